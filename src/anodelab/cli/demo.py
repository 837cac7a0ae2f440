"""``anodelab demo``: generate the virtual study of the five papers, read it back, summarise it."""

from __future__ import annotations

import argparse
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps

HELP = "generate a small virtual study of the five papers' experiments, read it back, summarise it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="folder to write (default: ./anodelab-demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    from anodelab.study.demo import run_demo

    result = run_demo(args.out, seed=args.seed)
    if args.json:
        print(dumps(result.to_dict()))
        return 0
    print(f"anodelab demo: wrote {len(result.files)} files (each with .cell.toml, .truth.json and, where an "
          f"analysis applies, .results.json) to {result.folder} and read them back")
    names = [path.relative_to(result.folder).as_posix() for path in result.files]
    width = max(map(len, names))
    for name, kind, summary, results in zip(names, result.kinds, result.summaries, result.analyses):
        size = (f"{summary['spectra']} spectra, {summary['rows']} points" if summary["kind"] == "spectra"
                else f"{summary['rows']} rows, {summary['steps']} steps")
        print(f"  {name:<{width}}  {kind:<16} {size:<22} {headline(results)}".rstrip())
    return 0


def headline(results: dict[str, Any]) -> str:
    """The one or two numbers a researcher looks at first, from a file's analysis results."""
    parts = []
    summary = results.get("cycle_summary")
    if summary and summary.get("ice") is not None:
        parts.append(f"ICE {summary['ice']:.3f}")
    if summary and summary.get("retention") is not None:
        parts.append(f"retention {summary['retention']:.3f}")
    for name in ("arrhenius", "conductivity"):
        fit = (results.get(name) or {}).get("arrhenius")
        if fit:
            parts.append(f"Ea {fit['Ea_kJ_mol']:.1f} ± {fit['Ea_kJ_mol_stderr']:.1f} kJ/mol ({fit['form']})")
    drt = results.get("drt")
    if drt and drt["series"]:
        first = drt["series"][0]
        named = ", ".join(f"{name} {value:.3g}" for name, value in first["process_R_ohm"].items() if value > 0)
        closed = ", ".join(f"{p['R_ohm']:.3g}" for p in first["peaks"] if not p["tail"])
        parts.append(f"DRT[0] {named} ohm" if named else f"DRT[0] peaks {closed} ohm")
    kk = results.get("kk")
    if kk:
        parts.append(f"KK {kk['n_passed']}/{len(kk['spectra'])} pass")
    return "; ".join(parts)
