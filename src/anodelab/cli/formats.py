"""``anodelab formats``: the formats anodelab reads."""

from __future__ import annotations

import argparse

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps

HELP = "list the formats anodelab reads"
COLUMNS = ("name", "kind", "extensions", "options", "description")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    from anodelab.io import list_formats

    rows = list_formats()
    if args.json:
        print(dumps([
            {"name": f.name, "kind": f.kind, "extensions": list(f.extensions), "options": list(f.options),
             "description": f.description}
            for f in rows
        ]))
        return 0
    table = [COLUMNS] + [(f.name, f.kind, " ".join(f.extensions) or "(by content)", " ".join(f.options) or "-",
                          f.description) for f in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS) - 1)]  # the description runs on
    for row in table:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths)), row[-1]]))
    return 0
