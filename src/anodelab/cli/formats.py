"""``anodelab formats``: the formats anodelab reads."""

from __future__ import annotations

import argparse

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps

HELP = "list the formats anodelab reads"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    from anodelab.io import list_formats

    rows = list_formats()
    if args.json:
        print(dumps([
            {"name": f.name, "kind": f.kind, "extensions": list(f.extensions), "description": f.description}
            for f in rows
        ]))
        return 0
    width = max(len(f.name) for f in rows)
    for fmt in rows:
        extensions = " ".join(fmt.extensions) or "(by content)"
        print(f"{fmt.name:<{width}}  {fmt.kind:<14}  {extensions:<24}  {fmt.description}")
    return 0
