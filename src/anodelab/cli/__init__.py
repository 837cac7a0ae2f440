"""The ``anodelab`` command line. Thin: parses arguments, calls the API, prints.

One module per subcommand, listed in :data:`COMMANDS` and imported only when its command runs
(parsers are built from each module's ``add_arguments``; the modules themselves import nothing
heavy at module level). Each module has ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.

Errors print one line on stderr, never a traceback:

- a user mistake (an :class:`~anodelab.core.errors.AnodelabError`) or a path the system cannot use
  (an :class:`OSError`: missing folder, permission, disk full; the message names the path) exits 2;
- any other exception is a bug in anodelab: the line names it, asks for a report, and exits 1, so
  scripts tell it from a user error. ``ANODELAB_DEBUG=1`` shows its traceback instead.

Python warnings raised while a command runs (NumPy's floating-point RuntimeWarnings, a library's
UserWarning) are collected, not printed as they come: after the command's output, one line on stderr
counts them and quotes the first few (``anodelab: warning: 2 numerical warnings (RuntimeWarning:
overflow encountered in exp ...); results may be affected``); the exit status is the command's. A
failed command prints only its one-line error. Deprecation and future warnings are not shown (they
concern the code, not the results), and no warning becomes an exception under ``-W error``.
``ANODELAB_DEBUG=1`` shows every warning as Python does.
Every ``--json`` output is strict JSON (:mod:`anodelab.cli.strict_json`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from anodelab._version import __version__
from anodelab.core.errors import AnodelabError

EXIT_USER_ERROR = 2
EXIT_BUG = 1

#: (command, module) in the order ``anodelab --help`` lists them
COMMANDS = (
    ("read", "anodelab.cli.read"),
    ("formats", "anodelab.cli.formats"),
    ("demo", "anodelab.cli.demo"),
    ("analyze", "anodelab.cli.analyze"),
    ("query", "anodelab.cli.query"),
    ("report", "anodelab.cli.report"),
    ("drt", "anodelab.cli.drt"),
    ("cycling", "anodelab.cli.cycling"),
    ("eis", "anodelab.cli.eis"),
    ("plating", "anodelab.cli.plating"),
    ("gitt", "anodelab.cli.gitt"),
    ("tafel", "anodelab.cli.tafel"),
    ("cv", "anodelab.cli.cv"),
    ("design", "anodelab.cli.design"),
    ("protocol", "anodelab.cli.protocol"),
    ("sim", "anodelab.cli.sim"),
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
    if os.environ.get("ANODELAB_DEBUG"):
        return int(args.run(args) or 0)
    caught = _Warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        warnings.showwarning = caught.add
        try:
            status = int(args.run(args) or 0)
        except AnodelabError as error:
            return _fail(str(error), EXIT_USER_ERROR)
        except BrokenPipeError:  # the reader of stdout went away (| head): stop quietly, as the docs of signal advise
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        except OSError as error:
            return _fail(_os_message(error), EXIT_USER_ERROR)
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # noqa: BLE001 -- a bug: one line, exit 1 (see the module docstring)
            return _fail(f"internal error ({type(error).__name__}: {str(error)[:300]}); this is a bug in anodelab {__version__}, "
                         "please report it with the command that caused it (ANODELAB_DEBUG=1 shows the traceback)",
                         EXIT_BUG)
    caught.report()
    return status


class _Warnings:
    """Counts a command's warnings by category and message (at most ``KEPT`` distinct ones, ``SHOWN`` quoted)."""

    SHOWN = 3
    KEPT = 100

    def __init__(self) -> None:
        self.count = 0
        self.distinct: dict[tuple[str, str], int] = {}
        self.numerical = True

    def add(self, message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
        self.count += 1
        self.numerical = self.numerical and issubclass(category, RuntimeWarning)
        key = (category.__name__, " ".join(str(message).split())[:120])
        if key in self.distinct or len(self.distinct) < self.KEPT:
            self.distinct[key] = self.distinct.get(key, 0) + 1

    def report(self) -> None:
        """One line on stderr, if anything was caught."""
        if not self.count:
            return
        quoted = [f"{name}: {text}" + (f" (x{n})" if n > 1 else "") for (name, text), n in self.distinct.items()]
        more = ", ..." if len(quoted) > self.SHOWN or sum(self.distinct.values()) < self.count else ""
        kind = "numerical warning" if self.numerical else "warning"
        print(f"anodelab: warning: {self.count} {kind}{'s' if self.count > 1 else ''} "
              f"({'; '.join(quoted[:self.SHOWN])}{more}); results may be affected", file=sys.stderr)


def _fail(message: str, status: int) -> int:
    print(f"anodelab: error: {' '.join(message.split())}", file=sys.stderr)
    return status


def _os_message(error: OSError) -> str:
    paths = [str(name) for name in (error.filename, error.filename2) if name is not None]
    reason = error.strerror or str(error)
    return f"{' -> '.join(paths)}: {reason}" if paths else reason
