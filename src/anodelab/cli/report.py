"""``anodelab report``: the self-contained HTML report of a study, from its results store alone."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write the HTML report of a study (OUT/report/index.html) from its results store"

DEFAULT_DATABASE = "anodelab-results/anodelab.duckdb"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="FILE", default=DEFAULT_DATABASE,
                        help=f"the results store (default: ./{DEFAULT_DATABASE})")
    parser.add_argument("--out", metavar="DIR",
                        help="where report/ goes (default: the store's folder, beside the database)")
    parser.add_argument("--run", dest="run_id", type=int, metavar="ID", help="the run to report (default: the store's last run)")


def run(args: argparse.Namespace) -> int:
    from anodelab.report.html import write_report
    from anodelab.study.registry import ANALYSES

    database = Path(args.db)
    out = Path(args.out) if args.out is not None else database.absolute().parent
    headline = {analysis.name: analysis.headline for analysis in ANALYSES}
    path = write_report(database, out, run_id=args.run_id, headline=headline)
    print(f"anodelab report: {path} (open it in a browser; it needs no server or network)")
    return 0
