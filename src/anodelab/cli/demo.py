"""``anodelab demo``: generate the virtual study of the five papers, read it back, summarise it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "generate a small virtual study of the five papers' experiments, read it back, summarise it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="DIR", help="folder to write (default: ./anodelab-demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from anodelab.study.demo import run_demo

    result = run_demo(args.out, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(f"anodelab demo: wrote {len(result.files)} files (each with .cell.toml and .truth.json) to "
          f"{result.folder} and read them back")
    names = [path.relative_to(result.folder).as_posix() for path in result.files]
    width = max(map(len, names))
    for name, kind, summary in zip(names, result.kinds, result.summaries):
        size = (f"{summary['spectra']} spectra, {summary['rows']} points" if summary["kind"] == "spectra"
                else f"{summary['rows']} rows, {summary['steps']} steps")
        print(f"  {name:<{width}}  {kind:<16} {size}")
    return 0
