"""``anodelab sim neb|bind|surface|interface-energy``: atomistic screening with offline potentials (the ``atomistic`` extra).

:func:`add_commands` adds the four commands to ``anodelab sim``'s subcommands; :func:`run` runs one
(``args.sim_command`` in :data:`COMMANDS`). Each runs a named system (``--system``, ``--list`` shows them)
with one model (``--model``) or several (``--models A,B``: the ensemble and its spread); ``neb`` also
takes two structure files (``--initial``, ``--final``: any format ASE reads).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from anodelab.cli.record_command import print_result
from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic.files import read_structure

#: command -> the task of the named systems it runs (the vocabulary of sim.atomistic.run.NEEDS)
COMMANDS = {"neb": "neb", "bind": "bind", "surface": "surface", "interface-energy": "interface"}
DEFAULT_MODEL = "sevennet-0"  # sim.atomistic.calculators.DEFAULT_MODEL (not imported: parsers import nothing heavy)
HELPS = {
    "neb": "migration barrier by climbing-image NEB: barrier, reaction energy, path energies, saddle",
    "bind": "binding energy of an adsorbate against the isolated atom and the bulk metal",
    "surface": "surface energy of a two-sided slab against its bulk (J/m2)",
    "interface-energy": "interface energy E_ab - E_a - E_b (total and per area)",
}


def add_commands(subparsers: Any) -> None:
    """Add ``neb``, ``bind``, ``surface`` and ``interface-energy`` to ``anodelab sim``'s subparsers."""
    for command, text in HELPS.items():
        parser = subparsers.add_parser(command, help=text, description=text + ". " + MODELS_HELP)
        add_task_options(parser, command)
        parser.add_argument("--json", action="store_true", help=JSON_HELP)


MODELS_HELP = ("Models: sevennet-0 (default), sevennet-0-22may2024, sevennet-l3i5, sevennet-mf-0[:PBE|:R2SCAN], chgnet, "
               "chgnet-r2scan, chgnet-0.2.0, emt; weights from the installed wheels, offline.")


def add_task_options(parser: Any, command: str) -> None:
    """The options of ``command`` (all but ``--json``) on ``parser`` (a parser or an argument group)."""
    parser.add_argument("--system", metavar="NAME", help="a named system (see --list)")
    parser.add_argument("--list", action="store_true", help="list the named systems of this command and exit")
    parser.add_argument("--model", default=DEFAULT_MODEL, metavar="NAME", help=f"potential (default {DEFAULT_MODEL})")
    parser.add_argument("--models", metavar="A,B,...", help="run with each of these models and report their spread")
    parser.add_argument("--fmax", type=float, default=0.05, help="force threshold, eV/A (default 0.05)")
    parser.add_argument("--steps", type=int, default=500, help="optimizer step limit per stage (default 500)")
    parser.add_argument("--no-relax", action="store_true", dest="no_relax",
                        help="single points on the structures as built (neb: endpoints not relaxed)")
    parser.add_argument("--device", default="cpu", help="torch device of ML models (default cpu)")
    if command == "neb":
        _neb_arguments(parser)
    if command == "bind":
        parser.add_argument("--reference", choices=("atom", "bulk"), default="atom",
                            help="headline binding energy against the isolated atom (default) or the bulk metal; "
                            "both are reported")


def _neb_arguments(parser: Any) -> None:
    parser.add_argument("--initial", type=Path, metavar="FILE", help="initial state (any structure file ASE reads)")
    parser.add_argument("--final", type=Path, metavar="FILE", help="final state (same atoms, same order)")
    parser.add_argument("--images", type=int, default=7, help="images between the endpoints (default 7)")
    parser.add_argument("--no-climb", action="store_true", dest="no_climb", help="plain NEB, no climbing image")
    parser.add_argument("--interpolation", choices=("idpp", "linear"), default="idpp", help="initial path (default idpp)")
    parser.add_argument("--optimizer", choices=("fire", "bfgs", "lbfgs", "mdmin"), default="fire",
                        help="band optimizer (default fire)")
    parser.add_argument("--figure", type=Path, metavar="PATH",
                        help="also write the energy profile and the structures as PATH.png and PATH.svg")


def run(args: argparse.Namespace) -> int:
    command = args.sim_command
    if args.list:
        return _list(COMMANDS[command], args.json)
    options = _options(args)
    models = _models(args)
    if command == "neb" and (args.initial is not None or args.final is not None):
        result = _neb_from_files(args, models, options)
        title = f"sim neb {args.initial.name} -> {args.final.name}"
    else:
        system = _system(args)
        result = _run_system(system, models, options)
        title = f"sim {command} {system}"
    print_result(result, args.json, title)
    if command == "neb":
        _figure(args, result)
    return 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"fmax": args.fmax, "steps": args.steps}
    if args.sim_command == "neb":
        options.update(n_images=args.images, climb=not args.no_climb, interpolation=args.interpolation,
                       optimizer=args.optimizer, relax_endpoints=not args.no_relax)
    else:
        options["relax"] = not args.no_relax
    if args.sim_command == "bind":
        options["reference"] = args.reference
    return options


def _models(args: argparse.Namespace) -> list[Any]:
    from anodelab.sim.atomistic.calculators import get_model

    names = [name.strip() for name in args.models.split(",") if name.strip()] if args.models else [args.model]
    if args.models and len(names) < 2:
        raise ValidationError("--models", f"an ensemble needs at least two models, got {args.models!r}")
    return [get_model(name, device=args.device) for name in names]


def _system(args: argparse.Namespace) -> str:
    from anodelab.sim.atomistic.run import get_system

    if args.system is None:
        files = " (or --initial FILE --final FILE)" if args.sim_command == "neb" else ""
        raise ValidationError("--system", f"needs a named system{files}; --list shows them")
    task = COMMANDS[args.sim_command]
    system = get_system(args.system)
    if system.task != task:
        raise ValidationError("--system", f"{system.name} is a {system.task} system, not a {task} one "
                                          f"(`anodelab sim {args.sim_command} --list` shows those)")
    return system.name


def _run_system(system: str, models: list[Any], options: dict[str, Any]) -> Any:
    from anodelab.sim.atomistic.run import run_system, run_system_ensemble

    if len(models) > 1:
        return run_system_ensemble(system, models, **options)
    return run_system(system, models[0], **options)


def _neb_from_files(args: argparse.Namespace, models: list[Any], options: dict[str, Any]) -> Any:
    from anodelab.sim.atomistic import ensemble, neb

    if args.system is not None or args.initial is None or args.final is None:
        raise ValidationError("--initial", "give --initial FILE and --final FILE together, without --system")
    initial, final = read_structure(args.initial), read_structure(args.final)
    if len(models) > 1:
        return ensemble(neb, initial, final, models=models, **options)
    return neb(initial, final, models[0], **options)


def _list(task: str, as_json: bool) -> int:
    from anodelab.sim.atomistic.run import named_systems

    rows = [{"name": s.name, "task": s.task, "description": s.description, "dft_eV": s.dft_eV,
             "dft_reference": s.dft_reference} for s in named_systems().values() if s.task == task]
    if as_json:
        print(dumps(rows))
        return 0
    if not rows:
        print(f"no named {task} systems")
    for row in rows:
        dft = "" if row["dft_eV"] is None else f" (DFT {row['dft_eV']:g}: {row['dft_reference']})"
        print(f"{row['name']:24s} {row['description']}{dft}")
    return 0


def _figure(args: argparse.Namespace, result: Any) -> None:
    """Write ``--figure`` (PNG and SVG) when given, saying where on stderr (stdout may be JSON)."""
    if getattr(args, "figure", None) is None:
        return
    from anodelab.report.figures.atomistic import plot_neb
    from anodelab.sim.atomistic import EnsembleResult, NEBResult

    shown = result.results[0] if isinstance(result, EnsembleResult) else result  # an ensemble: its first model's path
    if not isinstance(shown, NEBResult):
        raise ValidationError("--figure", f"draws a NEB path, got a {type(shown).__name__}")
    paths = plot_neb(shown, args.figure)
    print("figure: " + ", ".join(str(path) for path in paths), file=sys.stderr)
