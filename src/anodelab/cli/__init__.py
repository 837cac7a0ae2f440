"""The ``anodelab`` command line. Thin: parses arguments, calls the API, prints.

One module per subcommand, listed in :data:`COMMANDS` and imported only when its command runs
(parsers are built from each module's ``add_arguments``; the modules themselves import nothing
heavy at module level). Each module has ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.

User mistakes (an :class:`~anodelab.core.errors.AnodelabError`) print one line on stderr and exit
with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from anodelab._version import __version__
from anodelab.core.errors import AnodelabError

EXIT_USER_ERROR = 2

#: (command, module) in the order ``anodelab --help`` lists them
COMMANDS = (
    ("read", "anodelab.cli.read"),
    ("formats", "anodelab.cli.formats"),
    ("demo", "anodelab.cli.demo"),
    ("drt", "anodelab.cli.drt"),
    ("cycling", "anodelab.cli.cycling"),
    ("eis", "anodelab.cli.eis"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="anodelab", description="Battery anode and interface analysis from raw instrument files."
    )
    parser.add_argument("--version", action="version", version=f"anodelab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS:
        module = importlib.import_module(module_name)
        module.add_arguments(commands.add_parser(name, help=module.HELP, description=module.HELP))
        commands.choices[name].set_defaults(run=module.run)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except AnodelabError as error:
        print(f"anodelab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
