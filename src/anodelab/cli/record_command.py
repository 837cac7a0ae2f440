"""What the one-file analysis commands share: reading a time-series record with its cell (from a
cell.toml or the options that describe the cell on the command line), and printing a result as its
headline and metrics table or as strict JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import MetadataError, NotApplicableError

if TYPE_CHECKING:
    from anodelab.core.cell import CellInfo
    from anodelab.core.record import Record
    from anodelab.core.result import Result


def add_record_arguments(parser: argparse.ArgumentParser, *, cell_type: bool = False, mass: bool = False,
                         thickness: bool = False) -> None:
    """FILE, ``--format``, ``--cell`` and the inline cell options (``--area-cm2`` always; the others on
    request), and ``--json``."""
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    parser.add_argument("--cell", type=Path, help="cell.toml describing the cell (default: one beside FILE)")
    if cell_type:
        parser.add_argument("--cell-type", help="cell type, e.g. anode-half, cathode-half, full, plating, symmetric")
    if mass:
        parser.add_argument("--mass-mg", type=float, help="working electrode mass, mg")
        parser.add_argument("--active-fraction", type=float, help="active material / electrode mass, in (0, 1]")
    parser.add_argument("--area-cm2", type=float, help="working electrode area, cm2")
    if thickness:
        parser.add_argument("--thickness-um", type=float, help="working electrode thickness, um")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


_INLINE = ("cell_type", "mass_mg", "active_fraction", "area_cm2", "thickness_um")


def read_record(args: argparse.Namespace, needs: str = "a time series of voltage and current") -> tuple[Record, CellInfo | None]:
    """The record of ``args.file`` and its cell: ``--cell`` (or a cell.toml beside the file), with the
    inline options of :func:`add_record_arguments` applied over it; refused if the file holds
    something else than a time-series record."""
    from anodelab.core.record import Record
    from anodelab.core.spectrum import SpectrumSeries
    from anodelab.io import read

    given = inline_cell_options(args)
    record = read(args.file, format=args.format, cell=args.cell)
    if not isinstance(record, Record):
        held = ("impedance spectra (`anodelab eis` and `anodelab drt` analyse them)" if isinstance(record, SpectrumSeries)
                else "a per-cycle summary table (`anodelab read` shows it)")
        raise NotApplicableError(f"{args.file}: holds {held}, not {needs}")
    return record, with_cell_options(record.cell, given)


def inline_cell_options(args: argparse.Namespace) -> dict[str, Any]:
    """The inline cell options given (``--cell-type``, ``--mass-mg``, ...); refused beside ``--cell``."""
    given = {name: getattr(args, name) for name in _INLINE if getattr(args, name, None) is not None}
    if args.cell is not None and given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise MetadataError("--cell", f"give either --cell or {options}, not both")
    return given


def with_cell_options(cell: CellInfo | None, given: dict[str, Any]) -> CellInfo | None:
    """``cell`` (the file's) with the inline options ``given`` applied over it."""
    from dataclasses import replace

    from anodelab.core.cell import CellInfo, Electrode

    if not given:
        return cell
    given = dict(given)
    cell_type = given.pop("cell_type", None) or (cell.cell_type if cell is not None else None)
    if cell_type is None:
        raise MetadataError("--cell-type", f"needed with {', '.join('--' + n.replace('_', '-') for n in given)}")
    electrode = replace(cell.working_electrode if cell is not None else Electrode(), **given)
    if cell is None:
        return CellInfo(cell_type, working_electrode=electrode)
    return replace(cell, cell_type=cell_type, working_electrode=electrode)


def print_result(result: Result, as_json: bool, title: str) -> None:
    """``result.to_dict()`` as strict JSON, or ``title``, the headline, the metrics and the warnings."""
    if as_json:
        print(dumps(result.to_dict()))
        return
    lines = [f"{title}: {result.headline()}"]
    lines += [f"  {metric}" for metric in result.metrics()]
    lines += [f"warning: {warning}" for warning in result.warnings]
    print("\n".join(lines))
