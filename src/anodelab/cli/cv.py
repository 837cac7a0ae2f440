"""``anodelab cv FILE...``: scan rates, peaks, redox couples and dI/dV onsets of CVs and LSVs; across
files at two or more scan rates, the Randles-Sevcik diffusion coefficient."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from anodelab.cli.record_command import print_result, read_record
from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps

HELP = "CV/LSV: scan rates, peaks, couples (dE_p), dI/dV onsets; Randles-Sevcik D across scan rates"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE")
    parser.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    parser.add_argument("--cell", type=Path, help="cell.toml for every FILE (default: one beside each FILE)")
    parser.add_argument("--area-cm2", type=float, help="working electrode area, cm2")
    parser.add_argument("--scan-rate-mV-s", dest="scan_rate_mV_s", type=float,
                        help="the programmed scan rate, mV/s (needed for files without time; else checked)")
    parser.add_argument("--concentration-mol-L", dest="concentration_mol_L", type=float,
                        help="bulk concentration of the redox species (Randles-Sevcik D)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    from anodelab.core.errors import NotApplicableError
    from anodelab.kinetics.voltammetry import randles_sevcik, voltammetry

    results = []
    for path in args.files:
        record, cell = read_record(argparse.Namespace(**{**vars(args), "file": path}),
                                   "a voltammogram (potential and current)")
        results.append(voltammetry(record, cell, scan_rate_mV_s=args.scan_rate_mV_s))
    diffusion: Any = None
    reason = None
    if len(results) > 1:
        try:
            diffusion = randles_sevcik(results, concentration_mol_L=args.concentration_mol_L, area_cm2=args.area_cm2)
        except NotApplicableError as error:
            reason = str(error)
    if args.json:
        out: dict[str, Any] = {"files": [{"path": str(p), "result": r.to_dict()} for p, r in zip(args.files, results)]}
        if len(results) > 1:
            out["randles_sevcik"] = diffusion.to_dict() if diffusion is not None else {"not_applicable": reason}
        print(dumps(out))
        return 0
    for path, result in zip(args.files, results):
        print_result(result, False, path.name)
    if diffusion is not None:
        print_result(diffusion, False, "Randles-Sevcik")
    elif reason:
        print(f"Randles-Sevcik: not applicable: {reason}")
    return 0
