"""``anodelab sim``: simulations. ``sim interface``: current and field distribution at an electrode
interface (FEM, the ``fem`` extra); ``sim neb|bind|surface|interface-energy``: atomistic screening
(:mod:`anodelab.cli.sim_atomistic`, the ``atomistic`` extra); ``sim run FILE.sim.toml``: a study's model
specification on its own.

Each subcommand group adds its parser in :data:`SUBCOMMANDS` (name, parser builder, runner); the
simulators are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anodelab.cli import sim_atomistic
from anodelab.cli.record_command import print_result
from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError

HELP = ("simulate: current and field at point contacts, protrusions, interlayers, rough surfaces (FEM); migration "
        "barriers, binding, surface and interface energies with offline ML potentials; a study's *.sim.toml")
GEOMETRIES = ("strips", "disk", "protrusion", "interlayer", "profile")
#: the vocabularies of sim.interface (not imported here: parsers are built without importing the simulator;
#: a test checks they agree)
KINETICS = ("none", "linear", "bv")
COUNTERS = ("potential", "current")
SHAPES = ("hemisphere", "spheroid", "gaussian", "needle")
LAYOUTS = ("periodic", "random")
TRANSPORTS = ("ohmic", "nernst-planck")
SALTS = ("conserved", "bulk")
SWEEPS = ("contact-fraction", "current-mA-cm2", "interlayer-kappa-S-cm", "seed")
#: the options that describe the case: their dests are the keys of sim.interface.spec
SPEC_OPTIONS = (
    "geometry", "contact_fraction", "period_um", "layout", "seed", "spot_um", "radius_um", "cell_radius_um", "height_um",
    "shape", "planar", "profile", "thickness_um", "kappa_S_cm", "interlayer_thickness_um", "interlayer_kappa_S_cm",
    "interlayer_sigma_S_cm", "interlayer_i0_mA_cm2", "kinetics", "i0_mA_cm2", "current_mA_cm2", "counter", "elements",
    "order", "threshold_ratio", "transport", "c0_mol_L", "D_cm2_s", "t_plus", "salt", "sweep", "values",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = "{" + ",".join([*(name for name, *_ in SUBCOMMANDS), *sim_atomistic.COMMANDS]) + "}"
    commands = parser.add_subparsers(dest="sim_command", required=True, metavar=names)
    for name, build, runner in SUBCOMMANDS:
        build(commands).set_defaults(sim_run=runner)
    sim_atomistic.add_commands(commands)
    for name in sim_atomistic.COMMANDS:
        commands.choices[name].set_defaults(sim_run=sim_atomistic.run)


def run(args: argparse.Namespace) -> int:
    runner: Callable[[argparse.Namespace], int] = args.sim_run
    return runner(args)


def _number(p: argparse.ArgumentParser, flag: str, help: str, **kw: Any) -> None:
    p.add_argument(flag, type=float, dest=flag[2:].replace("-", "_"), help=help, **kw)


def _interface_parser(commands: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = commands.add_parser(
        "interface", help="current density along an electrode interface, max/mean, field, effective resistance",
        description="Laplace in the electrolyte with primary (none: equipotential contact) or secondary (linear, bv: "
        "Butler-Volmer) kinetics at the metal, or the tertiary distribution of a binary liquid electrolyte "
        "(--transport nernst-planck), solved by finite elements (scikit-fem). strips: contact strips (--contact-fraction, "
        "--period-um; --layout random: spots of --spot-um at seeded random positions); disk: one axisymmetric contact "
        "spot (--radius-um, --cell-radius-um); protrusion: a cap, half spheroid, Gaussian bump or needle (--height-um, "
        "--radius-um, --shape); interlayer: strips (default full contact) under a layer (--interlayer-thickness-um, "
        "--interlayer-kappa-S-cm, optionally --interlayer-sigma-S-cm for electronic conduction), which disk, "
        "protrusion and profile also take; profile: a rough surface from --profile FILE. The options are the keys "
        "of a study's *.sim.toml (underscores for dashes).")
    p.add_argument("--geometry", choices=GEOMETRIES, help="the interface's geometry (required for the FEM)")
    _number(p, "--contact-fraction", "strips/interlayer: contact fraction (0, 1]")
    _number(p, "--period-um", "strips/interlayer: strip period, or the random layout's window (default 10)")
    p.add_argument("--layout", choices=LAYOUTS, help="strips: periodic (default) or random spots")
    p.add_argument("--seed", type=int, help="random layout: the seed of the spots' positions")
    _number(p, "--spot-um", "random layout: the spots' width")
    _number(p, "--radius-um", "disk: contact radius; protrusion: base radius")
    _number(p, "--cell-radius-um", "disk, protrusion: cell radius (half-width in 2-D); default 10 radii")
    _number(p, "--height-um", "protrusion height")
    p.add_argument("--shape", choices=SHAPES, help="protrusion shape (default hemisphere)")
    p.add_argument("--planar", action="store_true", help="protrusion: a 2-D ridge, not an axisymmetric bump")
    p.add_argument("--profile", type=Path, metavar="FILE",
                   help="profile: text file of two columns, x_um and height_um (comma or whitespace separated)")
    _number(p, "--thickness-um", "electrolyte thickness L (above any interlayer; required for the FEM)")
    _number(p, "--kappa-S-cm", "electrolyte ionic conductivity (at c0 for nernst-planck; required for the FEM)")
    _number(p, "--interlayer-thickness-um", "interlayer thickness (conformal)")
    _number(p, "--interlayer-kappa-S-cm", "interlayer ionic conductivity")
    _number(p, "--interlayer-sigma-S-cm", "interlayer electronic conductivity (> 0: metal also deposits on its top surface)")
    _number(p, "--interlayer-i0-mA-cm2", "exchange current density on the interlayer's top surface (default --i0-mA-cm2)")
    p.add_argument("--kinetics", choices=KINETICS, help="none (primary, default), linear or bv")
    _number(p, "--i0-mA-cm2", "exchange current density (default 1)")
    _number(p, "--current-mA-cm2", "mean current density over the projected area, > 0 stripping, < 0 plating (default 1)")
    p.add_argument("--counter", choices=COUNTERS, help="counter boundary at uniform potential (default) or current density")
    p.add_argument("--transport", choices=TRANSPORTS, help="ohmic (default) or nernst-planck (a binary liquid electrolyte)")
    _number(p, "--c0-mol-L", "nernst-planck: salt concentration")
    _number(p, "--D-cm2-s", "nernst-planck: the salt's diffusion coefficient")
    _number(p, "--t-plus", "nernst-planck: the cation's transference number")
    p.add_argument("--salt", choices=SALTS, help="nernst-planck: conserved (default; the counter a metal like the "
                   "electrode, as in a symmetric cell) or bulk (c0 held at the counter)")
    p.add_argument("--elements", type=int, metavar="N", help="about N triangles (default 20000)")
    p.add_argument("--order", type=int, choices=(1, 2), help="element order (default 1)")
    _number(p, "--threshold-ratio", "local / mean current density counted as 'above threshold' (default 1.5)")
    p.add_argument("--sweep", choices=SWEEPS, help="run one parameter over --values")
    p.add_argument("--values", help="V1,V2,...: the values of --sweep")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.add_argument("--figure", type=Path, metavar="PATH",
                   help="also write the figure as PATH.png and PATH.svg (the current along the interface and the field "
                   "map, and for nernst-planck the concentration; with --sweep, R_eff and max/mean vs the swept value)")
    energy = p.add_argument_group("interface energy", "with --system (or --list), the atomistic interface energy of a "
                                  "named system, as sim interface-energy. " + sim_atomistic.MODELS_HELP)
    sim_atomistic.add_task_options(energy, "interface-energy")
    return p


def interface_spec(args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line as a spec of :func:`anodelab.sim.interface.run_interface_spec`."""
    spec: dict[str, Any] = {}
    for key in SPEC_OPTIONS:
        value = getattr(args, key, None)
        if value is None or value is False:
            continue
        spec[key] = str(value) if isinstance(value, Path) else value
    return spec


def _run_interface(args: argparse.Namespace) -> int:
    from anodelab.sim.interface import run_interface_spec

    if args.system is not None or args.list:
        args.sim_command = "interface-energy"
        return sim_atomistic.run(args)
    for flag in ("geometry", "thickness_um", "kappa_S_cm"):
        if getattr(args, flag) is None:
            raise ValidationError("--" + flag.replace("_", "-"), "is required for the FEM interface (or give --system "
                                  "NAME for the interface energy of a named system)")
    try:
        result = run_interface_spec(interface_spec(args))
    except ValidationError as error:  # name the option as typed
        if error.field in SPEC_OPTIONS:
            raise ValidationError("--" + error.field.replace("_", "-"), str(error)[len(error.field) + 2:]) from None
        raise
    _figure(args, result)
    return _print(result, args.json, f"sim interface {args.geometry}")


def _print(result: Any, json: bool, label: str) -> int:
    """Print a simulation's result (a sweep as a table of its points), or its JSON."""
    from anodelab.sim.interface import InterfaceSweep

    if not isinstance(result, InterfaceSweep):
        print_result(result, json, label)
        return 0
    if json:
        print(dumps(result.to_dict()))
        return 0
    print(f"{label}: {result.headline()}")
    table = result.tables()["sweep"]
    print("  " + "  ".join(f"{name:>14s}" for name in table))
    for row in zip(*table.values(), strict=True):
        print("  " + "  ".join(f"{value:14.6g}" for value in row))
    for warning in result.warnings:
        print(f"warning: {warning}")
    return 0


def _figure(args: argparse.Namespace, result: Any) -> None:
    """Write ``--figure`` (PNG and SVG) when given, saying where on stderr (stdout may be JSON)."""
    if args.figure is None:
        return
    from anodelab.report.figures.interface import plot_interface, plot_sweep
    from anodelab.sim.interface import InterfaceSweep

    paths = plot_sweep(result, args.figure) if isinstance(result, InterfaceSweep) else plot_interface(result, args.figure)
    print("figure: " + ", ".join(str(path) for path in paths), file=sys.stderr)


def _spec_parser(commands: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = commands.add_parser(
        "run", help="run a model specification (a study's *.sim.toml) on its own",
        description="Run the simulation a *.sim.toml file describes (simulation = \"interface\", \"neb\", \"bind\", "
        "\"surface\" or \"interface-energy\", and that command's options with underscores), exactly as "
        "anodelab analyze runs it inside a study.")
    p.add_argument("spec", type=Path, metavar="FILE.sim.toml")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    return p


def _run_spec(args: argparse.Namespace) -> int:
    from anodelab.io.model_spec import read_model_spec
    from anodelab.sim.models import run_model

    return _print(run_model(read_model_spec(args.spec)), args.json, f"sim run {args.spec.name}")


SUBCOMMANDS: tuple[tuple[str, Callable[[Any], argparse.ArgumentParser], Callable[[argparse.Namespace], int]], ...] = (
    ("interface", _interface_parser, _run_interface),
    ("run", _spec_parser, _run_spec),
)
