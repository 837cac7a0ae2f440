"""``anodelab protocol NAME [--PARAM VALUE ...] [--json] [--pybamm] [--simulate OUT.csv|OUT.mpt]``: one of the
papers' protocols as a schedule (the step table, its JSON, or PyBaMM experiment strings), optionally run
on a virtual cell and written as the file a cycler would have made; ``anodelab protocol recover FILE
[--json] [--against SCHEDULE.json]``: the schedule a measured file ran, compared with an intended one.

The parameters of ``NAME`` are its builder's keyword arguments (:mod:`anodelab.protocols.builders`),
``--start-mA-cm2 0.1`` or ``--start_mA_cm2 0.1``; sequences comma-separated (``--voltages-V 1.4,1.0``),
``none`` for an optional value left out. ``anodelab protocol NAME --help`` lists them with their defaults.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError

HELP = "protocols as schedules: step table, JSON, PyBaMM strings, a simulated trace; recover one from a file"
#: the builders (anodelab.protocols.BUILDERS), named here so that the parser needs no import
NAMES = ("pulse_cv_formation", "ccd_staircase", "gitt", "aurbach_ce", "rate_test")
#: the experiment kind a simulated file of each builder is (its truth.json and the study's detection)
KINDS = {"pulse_cv_formation": "cycling", "ccd_staircase": "ccd", "gitt": "gitt", "aurbach_ce": "plating-ce",
         "rate_test": "rate"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=(*NAMES, "recover"), metavar="NAME",
                        help=f"a protocol ({', '.join(NAMES)}) or recover")
    parser.add_argument("options", nargs=argparse.REMAINDER,
                        help="the protocol's parameters and output options (anodelab protocol NAME --help); for "
                             "recover: FILE [--json] [--against SCHEDULE.json]")


def run(args: argparse.Namespace) -> int:
    if args.name == "recover":
        return _recover(args.options)
    return _build(args.name, args.options)


# -- building -----------------------------------------------------------------------------------------


def _build(name: str, argv: Sequence[str]) -> int:
    from anodelab.protocols import BUILDERS, simulate, to_dict, to_pybamm, to_text

    builder = BUILDERS[name]
    parser = builder_parser(name, builder)
    args = parser.parse_args(argv)
    if args.simulate is not None and args.simulate.suffix.lower() not in (".mpt", ".csv"):
        raise ValidationError("--simulate", f"expected a .mpt or .csv file name, got {args.simulate}")
    options = {key: getattr(args, key) for key in inspect.signature(builder).parameters}
    schedule = builder(**options)
    if args.pybamm and args.json:
        print(dumps(to_pybamm(schedule)))
    elif args.pybamm:
        print("[\n" + "".join(f"    {entry!r},\n" for entry in to_pybamm(schedule)) + "]")
    elif args.json:
        print(dumps(to_dict(schedule)))
    else:
        print(to_text(schedule))
    if args.simulate is not None:
        from anodelab.protocols import default_cell

        cell = default_cell(schedule)
        record = simulate(schedule, cell, noise_V=args.noise_V, seed=args.seed)
        path = _write(args.simulate, name, record, cell, schedule)
        stream = sys.stderr if args.json or args.pybamm else sys.stdout
        print(f"simulated on {type(cell).__name__} ({record.cell.notes if record.cell else ''}): {len(record)} rows "
              f"-> {path} (with its cell.toml and truth.json)", file=stream)
    return 0


def builder_parser(name: str, builder: Callable[..., Any]) -> argparse.ArgumentParser:
    """The options of ``anodelab protocol name``: one per keyword argument of ``builder``, and the outputs."""
    doc = inspect.getdoc(builder) or ""
    parser = argparse.ArgumentParser(prog=f"anodelab protocol {name}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    hints = typing.get_type_hints(builder)
    for parameter in inspect.signature(builder).parameters.values():
        converter, shown = _converter(hints[parameter.name])
        flags = [f"--{parameter.name.replace('_', '-')}"]
        if "_" in parameter.name:
            flags.append(f"--{parameter.name}")
        default = parameter.default
        text = ",".join(f"{v:g}" for v in default) if isinstance(default, tuple) else default
        parser.add_argument(*flags, dest=parameter.name, type=converter, default=default, metavar=shown,
                            help=f"default {text}")
    parser.add_argument("--json", action="store_true", help=f"the schedule as JSON; {JSON_HELP}")
    parser.add_argument("--pybamm", action="store_true", help="PyBaMM Experiment strings (a Python list; with "
                                                              "--json a JSON list)")
    parser.add_argument("--simulate", type=Path, metavar="OUT.csv|OUT.mpt",
                        help="run it on the protocol's virtual cell and write the trace (cell.toml, truth.json beside)")
    parser.add_argument("--noise-V", dest="noise_V", type=float, default=0.0, help="voltage noise of --simulate, V")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise")
    return parser


def _converter(hint: Any) -> tuple[Callable[[str], Any], str]:
    """A string-to-value function for a builder argument's type, and its metavar."""
    arguments = typing.get_args(hint)
    if type(None) in arguments:  # X | None
        inner, shown = _converter(next(a for a in arguments if a is not type(None)))
        return (lambda text: None if text.lower() == "none" else inner(text)), f"{shown}|none"
    if typing.get_origin(hint) in (Sequence, tuple, list):
        return _floats, "X,Y,..."
    if hint is bool:
        return _boolean, "true|false"
    if hint is int:
        return int, "N"
    if hint is float:
        return float, "X"
    return str, "TEXT"


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None


def _boolean(text: str) -> bool:
    value = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def _write(path: Path, name: str, record: Any, cell: Any, schedule: Any) -> Path:
    """The trace as ``path`` (.mpt or .csv) with ``<stem>.cell.toml`` and ``<stem>.truth.json`` (the schedule
    and the virtual cell) beside it."""
    from dataclasses import fields

    from anodelab.protocols import to_dict
    from anodelab.sim.virtual import VirtualExperiment, write_experiment

    format = path.suffix.lower().lstrip(".")
    cell_parameters = {f.name: getattr(cell, f.name) for f in fields(cell) if not callable(getattr(cell, f.name))}
    truth = {"schedule": to_dict(schedule), "cell": {"type": type(cell).__name__, **cell_parameters}}
    experiment = VirtualExperiment(name=path.stem, kind=KINDS[name], data=record, cell=record.cell, truth=truth)
    return write_experiment(experiment, path.parent, format=format)


# -- recovering ---------------------------------------------------------------------------------------


def _recover(argv: Sequence[str]) -> int:
    from anodelab.cli.record_command import add_record_arguments, read_record
    from anodelab.protocols import compare, recover, to_dict, to_text

    parser = argparse.ArgumentParser(prog="anodelab protocol recover",
                                     description="the schedule FILE ran (modes, set points, durations, cut-offs "
                                                 "reached, loops folded), compared with --against when given")
    add_record_arguments(parser)
    parser.add_argument("--against", type=Path, metavar="SCHEDULE.json",
                        help="the intended schedule (`anodelab protocol NAME --json`, or a truth.json holding one)")
    parser.add_argument("--no-fold", dest="fold", action="store_false", help="list every step, loops unfolded")
    args = parser.parse_args(argv)
    record, _ = read_record(args, "a time series of voltage and current")
    recovered = recover(record, fold=args.fold)
    comparison = compare(_intended(args.against), recovered) if args.against is not None else None
    if args.json:
        payload: dict[str, Any] = {"schedule": to_dict(recovered)}
        if comparison is not None:
            payload["comparison"] = {"matches": comparison.matches, "n_intended": comparison.n_intended,
                                     "n_recovered": comparison.n_recovered, "differences": comparison.to_dicts()}
        print(dumps(payload))
        return 0
    print(to_text(recovered))
    if comparison is not None:
        print(comparison.to_text())
    return 0


def _intended(path: Path) -> Any:
    import json

    from anodelab.protocols import from_dict

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValidationError(str(path), f"not JSON: {error}") from None
    if isinstance(data, dict) and "schedule" in data and "format" not in data:
        data = data["schedule"]  # a truth.json of `anodelab protocol NAME --simulate`
    try:
        return from_dict(data)
    except ValidationError as error:
        raise ValidationError(f"{path}: {error.field}", str(error).split(": ", 1)[-1]) from None
