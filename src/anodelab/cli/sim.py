"""``anodelab sim interface``: current and field distribution at an electrode interface (FEM, the ``fem`` extra)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from anodelab.cli.record_command import print_result
from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ReadError, ValidationError

HELP = "simulate: current and field distribution at point contacts, protrusions, interlayers, rough surfaces (FEM)"
GEOMETRIES = ("strips", "disk", "protrusion", "interlayer", "profile")
#: the vocabularies of sim.interface (not imported here: parsers are built without importing the simulator;
#: a test checks they agree)
KINETICS = ("none", "linear", "bv")
COUNTERS = ("potential", "current")
SHAPES = ("hemisphere", "gaussian")
SWEEPS = ("contact-fraction", "current-mA-cm2", "interlayer-kappa-S-cm")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="sim_command", required=True, metavar="{interface}")
    p = commands.add_parser(
        "interface", help="current density along an electrode interface, max/mean, field, effective resistance",
        description="Laplace in the electrolyte with primary (none: equipotential contact) or secondary (linear, bv: "
        "Butler-Volmer) kinetics at the metal, solved by finite elements (scikit-fem). strips: periodic contact strips "
        "(--contact-fraction, --period-um); disk: one axisymmetric contact spot (--radius-um, --cell-radius-um); "
        "protrusion: a hemispherical cap or Gaussian bump (--height-um, --radius-um); interlayer: strips (default "
        "full contact) under a layer (--interlayer-thickness-um, --interlayer-kappa-S-cm, optionally "
        "--interlayer-sigma-S-cm for electronic conduction); profile: a rough surface from --profile FILE.")
    p.add_argument("--geometry", required=True, choices=GEOMETRIES)
    p.add_argument("--contact-fraction", type=float, dest="contact_fraction", help="strips/interlayer: contact fraction (0, 1]")
    p.add_argument("--period-um", type=float, dest="period_um", help="strips/interlayer: strip period (default 10)")
    p.add_argument("--radius-um", type=float, dest="radius_um", help="disk: contact radius; protrusion: base radius")
    p.add_argument("--cell-radius-um", type=float, dest="cell_radius_um",
                   help="disk, protrusion: cell radius (half-width in 2-D); default 10 radii")
    p.add_argument("--height-um", type=float, dest="height_um", help="protrusion height")
    p.add_argument("--shape", choices=SHAPES, default="hemisphere", help="protrusion shape (default hemisphere)")
    p.add_argument("--planar", action="store_true", help="protrusion: a 2-D ridge, not an axisymmetric bump")
    p.add_argument("--profile", type=Path, metavar="FILE",
                   help="profile: text file of two columns, x_um and height_um (comma or whitespace separated)")
    p.add_argument("--thickness-um", type=float, dest="thickness_um", required=True, help="electrolyte thickness L")
    p.add_argument("--kappa-S-cm", type=float, dest="kappa_S_cm", required=True, help="electrolyte ionic conductivity")
    p.add_argument("--interlayer-thickness-um", type=float, dest="interlayer_thickness_um")
    p.add_argument("--interlayer-kappa-S-cm", type=float, dest="interlayer_kappa_S_cm", help="interlayer ionic conductivity")
    p.add_argument("--interlayer-sigma-S-cm", type=float, dest="interlayer_sigma_S_cm", default=0.0,
                   help="interlayer electronic conductivity (> 0: metal also deposits on its top surface)")
    p.add_argument("--interlayer-i0-mA-cm2", type=float, dest="interlayer_i0_mA_cm2",
                   help="exchange current density on the interlayer's top surface (default --i0-mA-cm2)")
    p.add_argument("--kinetics", choices=KINETICS, default="none", help="none (primary), linear or bv (default none)")
    p.add_argument("--i0-mA-cm2", type=float, dest="i0_mA_cm2", default=1.0, help="exchange current density (default 1)")
    p.add_argument("--current-mA-cm2", type=float, dest="current_mA_cm2", default=1.0,
                   help="mean current density over the projected area, > 0 stripping, < 0 plating (default 1)")
    p.add_argument("--counter", choices=COUNTERS, default="potential",
                   help="counter boundary at uniform potential (default) or uniform current density")
    p.add_argument("--elements", type=int, default=20000, metavar="N", help="about N triangles (default 20000)")
    p.add_argument("--order", type=int, choices=(1, 2), default=1, help="element order (default 1)")
    p.add_argument("--threshold-ratio", type=float, dest="threshold_ratio", default=1.5,
                   help="local / mean current density counted as 'above threshold' (default 1.5)")
    p.add_argument("--sweep", choices=SWEEPS, help="run one parameter over --values")
    p.add_argument("--values", help="V1,V2,...: the values of --sweep")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.add_argument("--figure", type=Path, metavar="PATH",
                   help="also write the figure as PATH.png and PATH.svg (the current along the interface and the field "
                   "map; with --sweep, R_eff and max/mean vs the swept value)")


def run(args: argparse.Namespace) -> int:
    from anodelab.sim.interface import simulate_interface, sweep_interface

    geometry = _geometry(args)
    options: dict[str, Any] = {
        "kappa_S_cm": args.kappa_S_cm, "kinetics": args.kinetics, "i0_mA_cm2": args.i0_mA_cm2,
        "current_mA_cm2": args.current_mA_cm2, "counter": args.counter, "elements": args.elements,
        "order": args.order, "threshold_ratio": args.threshold_ratio,
    }
    if args.sweep is None:
        if args.values is not None:
            raise ValidationError("--values", "needs --sweep")
        case = simulate_interface(geometry, **options)
        print_result(case, args.json, f"sim interface {args.geometry}")
        _figure(args, case)
        return 0
    if args.values is None:
        raise ValidationError("--sweep", "needs --values V1,V2,...")
    parameter = {"contact-fraction": "contact_fraction", "current-mA-cm2": "current_mA_cm2",
                 "interlayer-kappa-S-cm": "interlayer_kappa_S_cm"}[args.sweep]
    options.pop(parameter, None)
    result = sweep_interface(geometry, parameter, _floats(args.values, "--values"), **options)
    _figure(args, result)
    if args.json:
        print(dumps(result.to_dict()))
        return 0
    print(f"sim interface {args.geometry}: {result.headline()}")
    table = result.tables()["sweep"]
    columns = list(table)
    print("  " + "  ".join(f"{name:>14s}" for name in columns))
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


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(option, f"expected comma-separated numbers, got {text!r}") from None


def _need(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{name.replace('_', '-')}" for name in names if getattr(args, name) is None]
    if missing:
        raise ValidationError("--geometry", f"{args.geometry} needs {', '.join(missing)}")


def _geometry(args: argparse.Namespace) -> Any:
    from anodelab.sim.interface import Disk, Interlayer, Profile, Protrusion, Strips

    interlayer = None
    if args.interlayer_thickness_um is not None or args.geometry == "interlayer":
        _need(args, "interlayer_thickness_um")
        if args.interlayer_kappa_S_cm is None and not args.interlayer_sigma_S_cm:
            raise ValidationError("--interlayer-kappa-S-cm", "an interlayer needs --interlayer-kappa-S-cm "
                                  "(and/or --interlayer-sigma-S-cm)")
        interlayer = Interlayer(args.interlayer_thickness_um, args.interlayer_kappa_S_cm or 0.0,
                                args.interlayer_sigma_S_cm, args.interlayer_i0_mA_cm2)
    if args.geometry in ("strips", "interlayer"):
        if args.geometry == "strips":
            _need(args, "contact_fraction")
        fraction = 1.0 if args.contact_fraction is None else args.contact_fraction
        period = 10.0 if args.period_um is None else args.period_um
        return Strips(fraction, period, args.thickness_um, interlayer)
    if args.geometry == "disk":
        _need(args, "radius_um")
        cell = 10.0 * args.radius_um if args.cell_radius_um is None else args.cell_radius_um
        return Disk(args.radius_um, cell, args.thickness_um, interlayer)
    if args.geometry == "protrusion":
        _need(args, "height_um", "radius_um")
        if interlayer is not None:
            raise ValidationError("--interlayer-thickness-um", "a protrusion takes no interlayer; "
                                  "give its shape as --geometry profile instead")
        return Protrusion(args.height_um, args.radius_um, args.thickness_um, args.shape, args.cell_radius_um,
                          axisymmetric=not args.planar)
    _need(args, "profile")
    x, z = read_profile(args.profile)
    return Profile(x, z, args.thickness_um, interlayer)


def read_profile(path: Path) -> tuple[list[float], list[float]]:
    """Two numeric columns (x_um, height_um) of a text file; '#' comments and one header line allowed."""
    rows: list[tuple[float, float]] = []
    header = False
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        parts = [p for p in re.split(r"[,;\s]+", line.split("#", 1)[0].strip()) if p]
        if not parts:
            continue
        try:
            rows.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError):
            if rows or header:
                raise ReadError(path, f"line {number} is not two numbers: {line.strip()[:60]!r}",
                                expected="two columns x_um, height_um") from None
            header = True
    if len(rows) < 2:
        raise ReadError(path, "fewer than two (x, height) rows", expected="two columns x_um, height_um")
    return [r[0] for r in rows], [r[1] for r in rows]
