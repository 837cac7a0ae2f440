"""``anodelab eis {fit,kk,arrhenius}``: circuit fits, Kramers-Kronig checks and Arrhenius plots from EIS files."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError

HELP = "fit equivalent circuits, check Kramers-Kronig, Arrhenius fits of EIS files"
#: the vocabularies of impedance.fit.Weighting and impedance.derived.ArrheniusForm (not imported here: parsers
#: are built without importing the analyses; a test checks they agree)
WEIGHTINGS = ("modulus", "unit", "proportional", "boukamp")
ARRHENIUS_FORMS = ("sigmaT", "sigma", "1/R", "T/R")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="eis_command", required=True, metavar="{fit,kk,arrhenius}")
    fit = commands.add_parser("fit", help="fit a circuit to each spectrum of FILE")
    fit.add_argument("file", type=Path)
    fit.add_argument("--circuit", help='impedance.py string "R0-p(R1,CPE1)-W1" or CDC "R(RQ)W"; default: chosen '
                     "from the data (R0 + 1..3 R||CPE arcs, with or without a Warburg or CPE tail, by BIC)")
    fit.add_argument("--processes", type=int, metavar="N", help="without --circuit: try N-1..N+1 arcs (e.g. the DRT's peaks)")
    fit.add_argument("--tail", action=argparse.BooleanOptionalAction,
                     help="without --circuit: only candidates with (--tail) or without (--no-tail) a low-frequency element")
    fit.add_argument("--weighting", default="modulus", choices=WEIGHTINGS, help="with --circuit (the choice uses modulus)")
    fit.add_argument("--spectrum", type=int, help="fit only this spectrum (0-based); default: all, one by one")
    fit.add_argument("--json", action="store_true", help=JSON_HELP)
    kk = commands.add_parser("kk", help="linear Kramers-Kronig test of each spectrum of FILE")
    kk.add_argument("file", type=Path)
    kk.add_argument("--threshold-pct", type=float, default=1.0, help="pass when every residual is within this (percent)")
    kk.add_argument("--spectrum", type=int)
    kk.add_argument("--json", action="store_true", help=JSON_HELP)
    arr = commands.add_parser("arrhenius", help="activation energy from spectra at several temperatures")
    arr.add_argument("files", type=Path, nargs="+")
    arr.add_argument("--form", required=True, choices=ARRHENIUS_FORMS)
    arr.add_argument("--temperatures-C", help="T1,T2,... one per spectrum (default: from each file's cell.toml / context)")
    arr.add_argument("--resistance", default="intercept", help="'intercept' or a fitted parameter name (needs --circuit)")
    arr.add_argument("--circuit")
    arr.add_argument("--thickness-um", type=float)
    arr.add_argument("--area-cm2", type=float)
    arr.add_argument("--window-C", help="LO,HI: fit only temperatures inside (degC)")
    arr.add_argument("--json", action="store_true", help=JSON_HELP)


def _floats(text: str, option: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(option, f"expected comma-separated numbers, got {text!r}") from None


def _spectra(path: Path, index: int | None) -> list[Any]:
    from anodelab.core.spectrum import SpectrumSeries
    from anodelab.io import read

    data = read(path)
    if not isinstance(data, SpectrumSeries):
        raise ValidationError(str(path), "holds no impedance spectra")
    if index is None:
        return list(data)
    if not 0 <= index < len(data):
        raise ValidationError("--spectrum", f"{path} has {len(data)} spectra; got index {index}")
    return [data[index]]


def run(args: argparse.Namespace) -> int:
    return {"fit": _fit, "kk": _kk, "arrhenius": _arrhenius}[args.eis_command](args)


def _fit(args: argparse.Namespace) -> int:
    from anodelab.core.spectrum import SpectrumSeries
    from anodelab.impedance.circuit_strings import parse_circuit
    from anodelab.impedance.fit import fit_series
    from anodelab.impedance.select import choose_circuit

    if args.circuit is not None:
        parse_circuit(args.circuit)  # a bad string is reported before the file is read
    elif args.processes is not None and args.processes < 0:
        raise ValidationError("--processes", f"must be >= 0, got {args.processes}")
    spectra = _spectra(args.file, args.spectrum)
    if args.circuit is not None:
        result = fit_series(spectra, args.circuit, weighting=args.weighting)
    else:
        choice = choose_circuit(spectra, n_processes=args.processes, low_frequency_tail=args.tail)
        result = fit_series(spectra, choice.circuit, initial=choice.fits[0].values)
        result = replace(result, choice=choice, warnings=choice.warnings + result.warnings)
    if not isinstance(spectra, SpectrumSeries) and result.provenance is not None and not result.provenance.path:
        result = replace(result, provenance=spectra[0].provenance)
    if args.json:
        print(dumps(result.to_dict()))
        return 0
    if result.choice is not None:
        print(f"{args.file.name}: circuit chosen from the data: {result.choice.reason}")
    for index, fit in enumerate(result.fits):
        number = args.spectrum if args.spectrum is not None else index
        print(f"{args.file.name} spectrum {number}: {fit.circuit}, chi2 {fit.chi2:.4g} ({fit.weighting})")
        for name, q in fit.fitted.items():
            print(f"  {name:12s} {q}")
        for warning in fit.warnings:
            print(f"  warning: {warning}")
    return 0


def _kk(args: argparse.Namespace) -> int:
    from anodelab.impedance.kk import kk_series

    result = kk_series(_spectra(args.file, args.spectrum), threshold_pct=args.threshold_pct)
    if args.json:
        print(dumps(result.to_dict()))
        return 0
    for index, r in enumerate(result.results):
        number = args.spectrum if args.spectrum is not None else index
        verdict = "passed" if r.passed else "FAILED"
        print(f"{args.file.name} spectrum {number}: KK {verdict}, {r.n_rc} RC, max residual {r.max_residual_pct:.3g} % (threshold {r.threshold_pct:g} %)")
    return 0


def _arrhenius(args: argparse.Namespace) -> int:
    from anodelab.impedance.derived import (
        arrhenius_fit,
        ionic_conductivity_S_cm,
        spectrum_intercept_ohm,
    )
    from anodelab.impedance.fit import fit_circuit

    spectra = [s for path in args.files for s in _spectra(path, None)]
    if args.temperatures_C:
        temperatures = _floats(args.temperatures_C, "--temperatures-C")
        if len(temperatures) != len(spectra):
            raise ValidationError("--temperatures-C", f"{len(temperatures)} temperatures for {len(spectra)} spectra")
    else:
        temperatures = []
        for s in spectra:
            t = s.context.temperature_C if s.context.temperature_C is not None else (s.cell.temperature_C if s.cell else None)
            if t is None:
                raise ValidationError("--temperatures-C", "a spectrum has no temperature in its file or cell.toml; give --temperatures-C")
            temperatures.append(float(t))
    if args.resistance == "intercept":
        R = [spectrum_intercept_ohm(s) for s in spectra]
    else:
        if not args.circuit:
            raise ValidationError("--circuit", f"--resistance {args.resistance} needs --circuit")
        R = [fit_circuit(s, args.circuit).fitted[args.resistance].value if args.resistance in _names(args.circuit)
             else _unknown(args.resistance, args.circuit) for s in spectra]
    values: list[float] = R
    if args.form in ("sigmaT", "sigma"):
        if args.thickness_um is None or args.area_cm2 is None:
            raise ValidationError("--thickness-um", f"form {args.form} needs --thickness-um and --area-cm2")
        values = ionic_conductivity_S_cm(R, thickness_um=args.thickness_um, area_cm2=args.area_cm2).tolist()
    window = None
    if args.window_C:
        pair = _floats(args.window_C, "--window-C")
        if len(pair) != 2:
            raise ValidationError("--window-C", f"expected LO,HI, got {args.window_C!r}")
        window = (pair[0], pair[1])
    fit = arrhenius_fit(temperatures, values, form=args.form, window_C=window)
    out = fit.to_dict()
    out["resistance"] = args.resistance
    out["R_ohm"] = R
    if args.json:
        print(dumps(out))
    else:
        ci = fit.Ea_ci95_kJ_mol
        print(f"Arrhenius ({fit.form}, R from {args.resistance}): Ea = {fit.Ea_kJ_mol} = {fit.Ea_eV}"
              + (f", 95 % CI {ci[0]:.4g}..{ci[1]:.4g} kJ/mol" if ci else "")
              + f", R^2 {fit.r2:.5f}, {fit.n_points} points {min(fit.temperatures_C):g}..{max(fit.temperatures_C):g} degC")
    return 0


def _names(circuit: str) -> tuple[str, ...]:
    from anodelab.impedance.circuit_strings import parse_circuit

    return parse_circuit(circuit).names


def _unknown(name: str, circuit: str) -> float:
    raise ValidationError("--resistance", f"{name!r} is not a parameter of {circuit}: {', '.join(_names(circuit))}")
