"""``anodelab demo``: generate the virtual study of the five papers, then analyse it as a user's study."""

from __future__ import annotations

import argparse

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps

HELP = "generate a small virtual study of the five papers' experiments, then analyse it (anodelab analyze)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="folder to write (default: ./anodelab-demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="files analysed in parallel (processes)")
    parser.add_argument("--no-figures", action="store_true", help="do not draw the static figures")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    from anodelab.cli.analyze import print_table
    from anodelab.study.demo import run_demo
    from anodelab.study.pipeline import group_table

    result = run_demo(args.out, seed=args.seed, jobs=args.jobs, figures=not args.no_figures)
    if args.json:
        print(dumps(result.to_dict()))
        return 0
    print(f"anodelab demo: wrote {len(result.files)} virtual experiments (each with its .cell.toml and "
          f".truth.json), {len(result.models)} models (.sim.toml) and a study.toml to {result.folder}, "
          "then analysed them:")
    rows = result.rows()
    print_table(result.run, rows, group_table(rows))
    detected = {row["path"]: row["kind"] for row in rows}
    wrong = [(path, kind, detected.get(path.relative_to(result.folder).as_posix()))
             for path, kind in zip(result.files, result.kinds)
             if detected.get(path.relative_to(result.folder).as_posix()) != kind]
    print(f"experiment kinds detected from the data: {len(result.files) - len(wrong)}/{len(result.files)} as generated"
          + "".join(f"; {path.name}: {found} (made as {kind})" for path, kind, found in wrong))
    return 0
