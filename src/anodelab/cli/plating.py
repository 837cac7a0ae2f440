"""``anodelab plating {trace,shorts,ccd,nucleation,ce} FILE``: the metal-anode numbers of one file:
symmetric-cell overpotential, shorts and cycle life, critical current density, nucleation
overpotential, plating/stripping Coulombic efficiency."""

from __future__ import annotations

import argparse
from typing import Any

from anodelab.cli.cycling import add_chunk_argument, read_chunked
from anodelab.cli.record_command import add_record_arguments, print_result, read_record
from anodelab.core.errors import ValidationError

HELP = "metal anodes: overpotential trace, shorts, critical current density, nucleation, plating CE"
#: subcommand -> (help, function in anodelab.plating)
COMMANDS = {
    "trace": ("overpotential per half-cycle, at 100/200/500 h, growth rate, shape, rate blocks", "overpotential_trace"),
    "shorts": ("hard and soft shorts with onset, cycle, current density, confidence; cycle life", "detect_shorts"),
    "ccd": ("critical current density of a current-density staircase, by both conventions", "critical_current_density"),
    "nucleation": ("tip, plateau and nucleation overpotential of the first plating on a substrate",
                   "nucleation_overpotential"),
    "ce": ("plating/stripping Coulombic efficiency per cycle and by the Aurbach reservoir protocol",
           "plating_efficiency"),
}
#: the subcommands whose analysis takes the current held by a record without a current column
HELD_CURRENT = ("trace", "shorts", "ccd")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="plating_command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name, (text, _) in COMMANDS.items():
        command = commands.add_parser(name, help=text, description=text)
        add_record_arguments(command, cell_type=True)
        if name in HELD_CURRENT:
            command.add_argument("--current-mA", dest="current_mA", type=float,
                                 help="the current held (mA, signed: < 0 plates the working electrode), for a file "
                                      "without a current column")
        if name == "trace":
            command.add_argument("--hours", help="times to report the overpotential at, h (default 100,200,500)")
            add_chunk_argument(command)
        if name == "ce":
            command.add_argument("--cycles", help="FIRST-LAST: the cycles the mean CE covers (default: all)")
            command.add_argument("--cutoff-V", dest="cutoff_V", type=float,
                                 help="stripping cut-off vs the counter, V (default: told from each stripping)")


def run(args: argparse.Namespace) -> int:
    from anodelab import plating
    from anodelab.plating.stream import overpotential_trace_stream

    options: dict[str, Any] = {}
    if args.plating_command in HELD_CURRENT:
        options["current_mA"] = args.current_mA
    if getattr(args, "hours", None):
        options["hours"] = _numbers(args.hours, "--hours", ",", int)
    if getattr(args, "cycles", None):
        first, last = _numbers(args.cycles, "--cycles", "-", int)
        options["cycles"] = (first, last)
    if getattr(args, "cutoff_V", None) is not None:
        options["cutoff_V"] = args.cutoff_V
    if getattr(args, "chunk_rows", None) is not None:
        chunks, cell = read_chunked(args)
        print_result(overpotential_trace_stream(chunks, cell, **options), args.json, args.file.name)
        return 0
    record, cell = read_record(args, "a time series of a metal-anode cell")
    function = getattr(plating, COMMANDS[args.plating_command][1])
    print_result(function(record, cell, **options), args.json, args.file.name)
    return 0


def _numbers(text: str, option: str, separator: str, kind: type[int | float]) -> list[Any]:
    try:
        values = [kind(part) for part in text.split(separator)]
    except ValueError:
        raise ValidationError(option, f"expected numbers separated by {separator!r}, got {text!r}") from None
    if option == "--cycles" and len(values) != 2:
        raise ValidationError(option, f"expected FIRST-LAST, got {text!r}")
    return values
