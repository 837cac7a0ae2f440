"""``anodelab drt FILE``: distribution of relaxation times of each spectrum in an impedance file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import NotApplicableError
from anodelab.core.result import plain

HELP = "distribution of relaxation times (DRT) of an impedance file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    parser.add_argument("--lambda", dest="lambda_", default="auto", metavar="auto|VALUE",
                        help="regularisation parameter (for Z normalised by max |Z|), or auto (default)")
    parser.add_argument("--criterion", default="mgcv", choices=("gcv", "mgcv", "lcurve", "rescv", "evidence"),
                        help="how auto chooses lambda (default mgcv)")
    parser.add_argument("--windows", metavar="PRESET|JSON",
                        help='tau windows naming processes: si_zno, si_c_pulse, or JSON {"name": [low_s, high_s]}')
    parser.add_argument("--credible", type=float, metavar="P",
                        help="credible band probability, e.g. 0.95 (Gaussian posterior); with --curves in the JSON")
    parser.add_argument("--curves", action="store_true",
                        help="include tau_s, gamma_ohm (and the band) of every spectrum in the JSON")
    parser.add_argument("--shared-lambda", action="store_true",
                        help="one lambda for all spectra of a series (geometric mean of the per-spectrum choices)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def _summary(result: Any, curves: bool) -> dict[str, Any]:
    """The headline keys of one spectrum's DRT and, with ``curves``, its gamma curve (and band) from its table."""
    out = plain(result.content())
    keys = ("lambda", "criterion", "R_inf", "peaks", "R_pol", "lambda_at_edge", "L_H", "C_F", "peak_R_method",
            "process_R_ohm", "process_R_ohm_stderr")
    summary = {key: out[key] for key in keys}
    if curves:
        table = result.tables()["drt"]
        summary |= {"tau_s": plain(table["tau_s"]), "gamma_ohm": plain(table["gamma_ohm"])}
        if "gamma_lower_ohm" in table:
            summary |= {"credible": out["credible"], "gamma_lower_ohm": plain(table["gamma_lower_ohm"]),
                        "gamma_upper_ohm": plain(table["gamma_upper_ohm"])}
    return summary


def run(args: argparse.Namespace) -> int:
    from anodelab.core.spectrum import SpectrumSeries
    from anodelab.drt import drt, drt_series
    from anodelab.io import read

    data = read(args.file, format=args.format)
    if not isinstance(data, SpectrumSeries):
        raise NotApplicableError(f"{args.file}: holds no impedance spectra (a DRT needs EIS data)")
    options = {"lambda_": args.lambda_, "criterion": args.criterion, "windows": args.windows, "credible": args.credible}
    if len(data) == 1:
        payload = _summary(drt(data[0], **options), args.curves)
    else:
        result = drt_series(data, shared_lambda=args.shared_lambda, **options)
        payload = {"series": [_summary(r, args.curves) for r in result.results],
                   "coordinate_name": result.coordinate_name,
                   "coordinate": plain(result.coordinate)}
    print(dumps(payload) if args.json else _describe(payload))
    return 0


def _describe(payload: dict[str, Any]) -> str:
    items = payload.get("series", [payload])
    lines = []
    for index, item in enumerate(items):
        head = f"[{index}] " if len(items) > 1 else ""
        lines.append(f"{head}R_inf {item['R_inf']:.4g} ohm, R_pol {item['R_pol']:.4g} ohm, "
                     f"lambda {item['lambda']:.3g} ({item['criterion']}{', at grid edge' if item['lambda_at_edge'] else ''})")
        for peak in item["peaks"]:
            stderr = f" ± {peak['R_ohm_stderr']:.2g}" if peak["R_ohm_stderr"] is not None else ""
            name = f"  {peak['process']}" if peak["process"] else ""
            lines.append(f"    tau {peak['tau_s']:.3g} s  R {peak['R_ohm']:.4g}{stderr} ohm{name}")
    return "\n".join(lines)
