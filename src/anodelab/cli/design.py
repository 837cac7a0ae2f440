"""``anodelab design {capacity,plating,np,expansion,crate,energy}``: cell design arithmetic."""

from __future__ import annotations

import argparse
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError

HELP = "theoretical capacity, plated thickness, N/P ratio, expansion, C-rate and stack energy density"
COMMANDS = ("capacity", "plating", "np", "expansion", "crate", "energy")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="design_command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    cap = commands.add_parser("capacity", help="theoretical capacity per g of host (Si --to Li15Si4: 3579 mAh/g)",
                              description="Theoretical capacity per g of host, n F / (3.6 M_host). FORMULA: a host "
                              "formula (Si, ZnO, Si0.6C0.4, graphite, a metal: Li, Na, Zn for its stripping capacity) "
                              "or a mixture by mass, 'Si:0.884, ZnO:0.116'.")
    cap.add_argument("formula", metavar="FORMULA")
    cap.add_argument("--to", metavar="PHASE", help="end phase(s) joined by '+' (Li15Si4, 'LiZn + Li2O'; ZnO --to LiZn "
                     "completes Li2O); for a mixture 'HOST:PHASE, ...'; default: the host's usual end phase")
    cap.add_argument("--ion", help="the mobile ion when the end phase does not tell (Li, Na, K, Mg, Ca, Zn, Al)")
    cap.add_argument("--json", action="store_true", help=JSON_HELP)
    plating = commands.add_parser("plating", help="thickness of a dense metal layer plated by an areal capacity")
    plating.add_argument("metal", metavar="METAL", help="Li, Na, K, Mg, Ca, Zn or Al")
    plating.add_argument("--areal-mAh-cm2", type=float, required=True, dest="areal_mAh_cm2")
    plating.add_argument("--density-g-cm3", type=float, dest="density_g_cm3", help="override the tabulated density")
    plating.add_argument("--json", action="store_true", help=JSON_HELP)
    np_ = commands.add_parser("np", help="N/P ratio from areal capacities or from loadings and specific capacities",
                              description="N/P = negative areal capacity / positive areal capacity. Give each side "
                              "as --SIDE-mAh-cm2, or as --SIDE-loading-mg-cm2 with --SIDE-mAh-g (and "
                              "--SIDE-active-fraction, default 1): areal capacity = loading x fraction x mAh/g / 1000.")
    for side in ("negative", "positive"):
        np_.add_argument(f"--{side}-mAh-cm2", type=float, dest=f"{side}_mAh_cm2", help=f"{side} areal capacity")
        np_.add_argument(f"--{side}-loading-mg-cm2", type=float, dest=f"{side}_loading_mg_cm2",
                         help=f"{side} coating mass per area")
        np_.add_argument(f"--{side}-mAh-g", type=float, dest=f"{side}_mAh_g", help=f"{side} capacity per g of active material")
        np_.add_argument(f"--{side}-active-fraction", type=float, default=1.0, dest=f"{side}_active_fraction")
    np_.add_argument("--json", action="store_true", help=JSON_HELP)
    expansion = commands.add_parser("expansion", help="thickness change in %% (> 0 expansion, < 0 shrinkage)")
    expansion.add_argument("--before-um", type=float, required=True, dest="before_um")
    expansion.add_argument("--after-um", type=float, required=True, dest="after_um")
    expansion.add_argument("--json", action="store_true", help=JSON_HELP)
    crate = commands.add_parser("crate", help="current for a C-rate, or the C-rate of a current")
    crate.add_argument("--capacity-mAh", type=float, required=True, dest="capacity_mAh",
                       help="cell capacity (mAh; or mAh/cm2 for a current density in mA/cm2)")
    given = crate.add_mutually_exclusive_group(required=True)
    given.add_argument("--c-rate", type=float, dest="c_rate", help="C-rate, 1/h (0.5 for C/2)")
    given.add_argument("--current-mA", type=float, dest="current_mA")
    crate.add_argument("--json", action="store_true", help=JSON_HELP)
    energy = commands.add_parser("energy", help="gravimetric and volumetric energy density of a stack",
                                 description="Energy density of one repeat unit, per cm2: --layer NAME:MG_CM2:UM for "
                                 "each layer (cathode, anode, separator, current collectors, electrolyte mass with "
                                 "thickness 0). Anode-free: --plated-metal adds the plated metal's thickness.")
    energy.add_argument("--layer", action="append", required=True, metavar="NAME:MG_CM2:UM")
    energy.add_argument("--capacity-mAh-cm2", type=float, required=True, dest="capacity_mAh_cm2")
    energy.add_argument("--voltage-V", type=float, required=True, dest="voltage_V", help="mean discharge voltage")
    energy.add_argument("--plated-metal", dest="plated_metal", help="anode-free/anode-less: the metal plated on charge")
    energy.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    out, text = {"capacity": _capacity, "plating": _plating, "np": _np, "expansion": _expansion,
                 "crate": _crate, "energy": _energy}[args.design_command](args)
    print(dumps(out) if args.json else text)
    return 0


def _capacity(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from anodelab.design import Capacity, capacity_of

    result = capacity_of(args.formula, args.to, ion=args.ion)
    out = result.to_dict()
    if isinstance(result, Capacity):
        lines = [(f"{result.host} -> {result.end_phase}: {result.capacity_mAh_g:.1f} mAh/g ({result.ions_per_host:.4g} "
                  f"{result.ion} per formula unit, M = {result.host_molar_mass_g_mol:.4f} g/mol)"),
                 f"  {result.convention}"]
    else:
        lines = [f"{result.composition}: {result.capacity_mAh_g:.1f} mAh/g per g of mixture"]
        lines += [f"  {c.host} ({w:g}) -> {c.end_phase}: {c.capacity_mAh_g:.1f} mAh/g, contributes "
                  f"{w * c.capacity_mAh_g:.1f}" for c, w in zip(result.components, result.mass_fractions)]
        if result.formula_capacity_mAh_g is not None:
            lines.append(f"  check: {result.overall_formula} -> {result.overall_end_phase}: "
                         f"{result.formula_capacity_mAh_g:.1f} mAh/g")
    lines += [f"  note: {note}" for note in out["notes"]]
    return out, "\n".join(lines)


def _plating(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from anodelab.design import plated_thickness

    layer = plated_thickness(args.metal, args.areal_mAh_cm2, density_g_cm3=args.density_g_cm3)
    return layer.to_dict(), (f"{layer.metal}: {layer.areal_capacity_mAh_cm2:g} mAh/cm2 plates {layer.thickness_um:.3f} um "
                             f"({layer.um_per_mAh_cm2:.4f} um per mAh/cm2, {layer.areal_mass_mg_cm2:.4f} mg/cm2; "
                             f"density {layer.density_g_cm3:g} g/cm3, {layer.density_source})")


def _side(args: argparse.Namespace, side: str) -> float:
    from anodelab.design import areal_capacity_mAh_cm2

    areal = getattr(args, f"{side}_mAh_cm2")
    loading, specific = getattr(args, f"{side}_loading_mg_cm2"), getattr(args, f"{side}_mAh_g")
    if areal is not None:
        if loading is not None or specific is not None:
            raise ValidationError(f"--{side}-mAh-cm2", f"give either it or --{side}-loading-mg-cm2 with --{side}-mAh-g")
        return float(areal)
    if loading is None or specific is None:
        raise ValidationError(f"--{side}-mAh-cm2", f"give it, or --{side}-loading-mg-cm2 with --{side}-mAh-g")
    return areal_capacity_mAh_cm2(loading, specific, getattr(args, f"{side}_active_fraction"))


def _np(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from anodelab.design import np_ratio

    negative, positive = _side(args, "negative"), _side(args, "positive")
    ratio = np_ratio(negative, positive)
    out = {"np_ratio": ratio, "negative_mAh_cm2": negative, "positive_mAh_cm2": positive,
           "definition": "negative areal capacity / positive areal capacity"}
    return out, f"N/P = {ratio:.4f} ({negative:.4g} / {positive:.4g} mAh/cm2)"


def _expansion(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from anodelab.design import thickness_change_pct

    change = thickness_change_pct(args.before_um, args.after_um)
    out = {"thickness_change_pct": change, "before_um": args.before_um, "after_um": args.after_um,
           "definition": "(after - before) / before x 100; > 0 expansion, < 0 shrinkage"}
    word = "expansion" if change >= 0 else "shrinkage"
    return out, f"{args.before_um:g} -> {args.after_um:g} um: {change:+.2f} % ({word})"


def _crate(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from anodelab.design import c_rate_for_current, current_for_c_rate_mA

    if args.c_rate is not None:
        current, rate = current_for_c_rate_mA(args.c_rate, args.capacity_mAh), float(args.c_rate)
    else:
        current, rate = float(args.current_mA), c_rate_for_current(args.current_mA, args.capacity_mAh)
    out = {"c_rate_per_h": rate, "current_mA": current, "capacity_mAh": args.capacity_mAh,
           "hours_per_half_cycle": 1.0 / rate}
    return out, f"{rate:.4g}C of {args.capacity_mAh:g} mAh = {abs(current):.4g} mA ({1.0 / rate:.4g} h per half-cycle)"


def _energy(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from anodelab.design import Layer, stack_energy_density

    layers = []
    for text in args.layer:
        name, mass, thickness = _layer_parts(text)
        layers.append(Layer(name, mass, thickness))
    result = stack_energy_density(layers, args.capacity_mAh_cm2, args.voltage_V, plated_metal=args.plated_metal)
    plated = f", plus {result.plated_thickness_um:.3f} um plated {result.plated_metal}" if result.plated_metal else ""
    return result.to_dict(), (f"{result.gravimetric_Wh_kg:.1f} Wh/kg, {result.volumetric_Wh_L:.1f} Wh/L "
                              f"({result.energy_mWh_cm2:.4g} mWh/cm2 over {result.areal_mass_mg_cm2:.4g} mg/cm2 and "
                              f"{result.thickness_um:.4g} um{plated})")


def _layer_parts(text: str) -> tuple[str, float, float]:
    parts = text.split(":")
    if len(parts) != 3 or not parts[0].strip():
        raise ValidationError("--layer", f"expected NAME:MG_CM2:UM, got {text!r}")
    try:
        return parts[0].strip(), float(parts[1]), float(parts[2])
    except ValueError:
        raise ValidationError("--layer", f"expected numbers in NAME:MG_CM2:UM, got {text!r}") from None
