"""``anodelab cycling FILE``: per-cycle capacities, CE, retention and fade of a cycling record."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import MetadataError, NotApplicableError

if TYPE_CHECKING:
    from anodelab.cycling.summary import CycleSummary

HELP = "per-cycle capacity, CE, retention and fade of a cycling file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    parser.add_argument("--cell", type=Path, help="cell.toml describing the cell (default: one beside FILE)")
    parser.add_argument("--cell-type", help="cell type, e.g. anode-half, cathode-half, full, plating")
    parser.add_argument("--mass-mg", type=float, help="working electrode mass, mg")
    parser.add_argument("--active-fraction", type=float, help="active material / electrode mass, in (0, 1]")
    parser.add_argument("--area-cm2", type=float, help="working electrode area, cm2")
    parser.add_argument("--formation-cycles", default="auto",
                        help="cycles before the retention reference (default: auto, from the currents)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def run(args: argparse.Namespace) -> int:
    from anodelab.core.cell import CellInfo, Electrode
    from anodelab.core.record import Record
    from anodelab.core.spectrum import SpectrumSeries
    from anodelab.cycling import cycle_summary
    from anodelab.io import read

    inline = args.cell_type or args.mass_mg is not None or args.active_fraction is not None or args.area_cm2 is not None
    if args.cell is not None and inline:
        raise MetadataError("--cell", "give either --cell or --cell-type/--mass-mg/--active-fraction/--area-cm2, not both")
    record = read(args.file, format=args.format, cell=args.cell)
    if not isinstance(record, Record):
        held = ("impedance spectra (`anodelab eis` and `anodelab drt` analyse them)" if isinstance(record, SpectrumSeries)
                else "a per-cycle summary table (`anodelab read` shows it)")
        raise NotApplicableError(f"{args.file}: holds {held}, not a cycling record with time, voltage and current")
    cell = record.cell
    if inline:
        if args.cell_type:
            cell_type = str(args.cell_type)
        elif cell is not None:
            cell_type = cell.cell_type
        else:
            raise MetadataError("--cell-type", "needed with --mass-mg/--active-fraction/--area-cm2")
        base = cell.working_electrode if cell is not None else Electrode()
        electrode = Electrode(
            base.material,
            args.mass_mg if args.mass_mg is not None else base.mass_mg,
            args.active_fraction if args.active_fraction is not None else base.active_fraction,
            args.area_cm2 if args.area_cm2 is not None else base.area_cm2,
            base.thickness_um,
        )
        cell = CellInfo(cell_type, working_electrode=electrode)
    formation: Any = args.formation_cycles
    if formation != "auto":
        try:
            formation = int(formation)
        except ValueError:
            raise MetadataError("--formation-cycles", f"expected a whole number or 'auto', got {formation!r}") from None
    summary = cycle_summary(record, cell, formation_cycles=formation)
    print(dumps(summary.to_dict()) if args.json else _table(summary))
    return 0


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _table(summary: CycleSummary) -> str:
    o, c = summary.opening, summary.closing
    specific = summary.active_mass_mg is not None
    unit = "mAh/g" if specific else "mAh"
    suffix = "_mAh_g" if specific else "_mAh"
    source = summary.provenance.path if summary.provenance is not None else None
    lines = [f"{Path(source).name if source else 'record'}  ({summary.cell_type or 'cell type unknown'})",
             f"{'cycle':>5} {o + ' ' + unit:>20} {c + ' ' + unit:>20} {'CE':>8}  flags"]
    for row in summary.content()["cycles"]:
        flags = ",".join(f for f, on in (("incomplete", row["incomplete"]), ("cv", row["cv_step"]),
                                         ("reversal", row["current_reversal"])) if on)
        lines.append(f"{row['cycle']:>5} {_fmt(row[o + suffix], '20.4f')} {_fmt(row[c + suffix], '20.4f')} "
                     f"{_fmt(row['ce'], '8.4f')}  {flags}")
    lines.append(f"ICE {_fmt(summary.ice, '.4f')}; retention {_fmt(summary.retention, '.4f')} vs cycle "
                 f"{summary.reference_cycle}; decay {_fmt(summary.decay_pct_per_cycle, '.4f')} %/cycle; "
                 f"average CE {_fmt(summary.average_ce, '.5f')}")
    lines += [f"warning: {warning}" for warning in summary.warnings]
    return "\n".join(lines)
