"""Excel exports of cyclers (``.xlsx`` / ``.xls``) read with python-calamine: LAND and Arbin layouts.

LAND (Lanhe) CT2001A / CT3001A exports hold the time series on sheets named ``Record`` (more
rows continue on ``Record1``, ``Record2`` ... without a header) or on a single sheet whose header
row (``Index, Cycle, Step, TestTime/h, Current/mA, Capacity/mAh, Voltage/V, Energy/mWh ...``)
may sit below a title block. LAND stores signed current (charge > 0) and the capacity passed
within each step; units (``mA``/``uA``, ``mAh``/``uAh``, time in ``h`` or ``s`` or ``hh:mm:ss``)
are read from the header names.

Arbin MITS Pro Excel exports (``Global_Info`` plus ``Channel_<n>_<k>`` sheets with
``Test_Time(s), Step_Index, Cycle_Index, Voltage(V), Current(A), Charge_Capacity(Ah) ...``) use
the same extension and are read here too; the one "LAND" example in the shared data is such a
file (its Global_Info names ArbinSoftware and MITS Pro PV7.0).

Other workbooks (one sheet per scan rate or temperature, NOVA Excel exports, a single LAND sheet
with another name) are read sheet by sheet: every sheet whose header row (within its first 30
rows) names known quantities with units (``Potential(V)``, ``Current(A)``, ``Time (s)``, or
``Frequency (Hz)``, ``Z' (Ω)``, ``-Z'' (Ω)``) is read; the others are listed in the notes with the
reason. Time-series sheets become one :class:`Record` with a ``sheet`` column (when more than
one sheet is read); impedance sheets become a :class:`SpectrumSeries` whose spectra carry the
sheet name in ``context.extras["sheet"]`` (and ``temperature_C`` when the sheet is named by a
temperature such as ``25C`` or ``298 K``). A workbook holding both kinds is refused.

python-calamine parses the sheet XML in Rust (about 10x faster than openpyxl).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import AnodelabError, ReadError
from anodelab.core.record import Provenance, Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.autolab import INSTRUMENT as NOVA
from anodelab.io.autolab import is_nova, nova_columns, nova_notes, nova_techniques
from anodelab.io.columns import (
    Column,
    describe_columns,
    record_from_columns,
    spectra_from_table,
    techniques_of,
)
from anodelab.io.common import is_number, unique_names
from anodelab.io.units import unit_scale
from anodelab.io.zip_members import check_zip_member

EXPECTED = "a LAND or Arbin Excel export with a record sheet (voltage, current, time columns)"
#: worksheet XML deflates 5-15x (the shared file: 4.9x); calamine holds what it inflates in memory, so a
#: member may inflate at most 64x (beyond io.zip_members' fixed allowance) and all of them together to 1 GiB
_XLSX_RATIO = 64
_XLSX_BYTES = 1 << 30


def read_excel(path: Path) -> Record | SpectrumSeries:
    """Read an Excel workbook: the record sheet(s) of a LAND or Arbin export, else every sheet with a known header."""
    path = Path(path)
    from python_calamine import CalamineWorkbook

    _check_members(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
    except _calamine_errors() as error:  # corrupt or non-Excel files
        raise ReadError(path, f"not a readable Excel workbook ({type(error).__name__}: {error})",
                        expected=EXPECTED) from None
    arbin = [n for n in names if re.match(r"^Channel_\d+_\d+$", n)]
    land = [n for n in names if "record" in n.lower()]
    if not arbin and not land:
        return _read_sheets(path, workbook, names)
    sheets, instrument = (arbin, "Arbin (MITS Pro Excel export)") if arbin else (land, "LAND")
    header: list[str] | None = None
    blocks: list[tuple[str, list[list[Any]]]] = []
    for name in sheets:
        try:
            rows = workbook.get_sheet_by_name(name).to_python()
        except _calamine_errors() as error:  # name the sheet
            raise ReadError(path, f"sheet {name!r} could not be read ({type(error).__name__})", expected=EXPECTED) from None
        found = _header_row(rows)
        if found is not None:
            if header is not None and [str(c).strip() for c in rows[found]] != header:
                raise ReadError(path, f"sheet {name!r} has other columns than the first record sheet", expected=EXPECTED)
            header = [str(c).strip() for c in rows[found]]
            rows = rows[found + 1:]
        elif header is None:
            continue
        blocks.append((name, rows))
    if header is None:
        raise ReadError(path, f"no sheet among {names} has a header row with a voltage column", expected=EXPECTED)
    keys = unique_names(header)
    notes = [f"sheets read: {', '.join(sheets)}"]
    notes += [note for name, rows in blocks if (note := _blank_rows_note(name, rows))]
    body = [row for _, rows in blocks for row in rows if not _blank(row)]
    table = sheet_columns(keys, body, path=path, sheet=", ".join(name for name, _ in blocks))
    if not table or len(next(iter(table.values()))) == 0:
        raise ReadError(path, "the record sheet has no data rows", expected=EXPECTED)
    notes += [note for note in [_empty_cells_note(table)] if note]
    columns = describe_columns(list(table))
    if arbin:
        notes.append("workbook is an Arbin MITS Pro export (Global_Info/Channel sheets), not a LAND export")
    return record_from_columns(path, table, columns, instrument=instrument, techniques=("cycling",),
                               expected=EXPECTED, notes=notes)


def _check_members(path: Path) -> None:
    """Refuse a zip member (an .xlsx is a zip of XML) that would inflate beyond any real one, from its declared
    sizes, before calamine inflates it whole (it aborts the process when an allocation fails)."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return  # .xls: not a zip
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise ReadError(path, f"not a readable Excel workbook (BadZipFile: {error})", expected=EXPECTED) from None
    for info in members:
        check_zip_member(path, info, "Excel", ratio=_XLSX_RATIO)
    total = sum(info.file_size for info in members)
    if total > _XLSX_BYTES:
        raise ReadError(path, f"its members would inflate to {total} bytes (more than the {_XLSX_BYTES}-byte bound)",
                        expected="a workbook of at most 1 GiB of XML (export larger ones as CSV)")


def _blank(row: list[Any]) -> bool:
    return all(cell == "" or cell is None for cell in row)


def _blank_rows_note(sheet: str, rows: list[list[Any]]) -> str:
    """A note on the empty rows between a sheet's header and its last row: calamine places rows by their
    number, so an empty row is a row number the sheet's XML lacks (rows removed), or a row left blank."""
    filled = [index for index, row in enumerate(rows) if not _blank(row)]
    blank = filled[-1] + 1 - len(filled) if filled else 0
    if not blank:
        return ""
    first = next(index for index, row in enumerate(rows) if _blank(row))
    return (f"sheet {sheet!r}: {blank} empty row(s) inside the table (first after data row {first}) skipped: rows "
            "missing from the sheet (removed or damaged), or left blank")


def _empty_cells_note(table: dict[str, NDArray[Any]]) -> str:
    """A note naming the number columns with empty cells (NaN in the table: Excel stores no NaN itself)."""
    empty = [f"{key!r} ({int(np.isnan(values).sum())} rows)" for key, values in table.items()
             if values.dtype.kind == "f" and np.isnan(values).any() and not np.isnan(values).all()]
    return f"empty cells read as NaN in {', '.join(empty)}" if empty else ""


def _calamine_errors() -> tuple[type[Exception], ...]:
    """What python-calamine raises for damaged or non-Excel content (its own types, or OS/value errors)."""
    from python_calamine import CalamineError

    return (CalamineError, OSError, ValueError, TypeError)


def _header_row(rows: list[list[Any]]) -> int | None:
    for index, row in enumerate(rows[:30]):
        cells = [str(c).strip() for c in row if isinstance(c, str) and c.strip()]
        if len(cells) >= 3 and any(c.role == "voltage" for c in describe_columns(cells)):
            return index
    return None


def sheet_columns(keys: list[str], rows: list[list[Any]], *, path: Path, sheet: str) -> dict[str, NDArray[Any]]:
    """Column arrays: float64 (empty cells NaN) where every cell is a number or empty, else str.

    Excel stores no NaN or infinity: a number cell holding one (or a number too large for a double) is
    damage, refused naming the cell.
    """
    width = len(keys)
    cells = [list(row[:width]) + [""] * (width - len(row)) for row in rows]
    table: dict[str, NDArray[Any]] = {}
    for index, key in enumerate(keys):
        values = [row[index] for row in cells]
        if all(isinstance(v, (int, float)) or v == "" or v is None for v in values):
            table[key] = np.array([np.nan if v == "" or v is None else float(v) for v in values], dtype=np.float64)
            bad = ~np.isfinite(table[key]) & np.array([v != "" and v is not None for v in values], dtype=bool)
            if bad.any():
                row = int(np.argmax(bad))
                raise ReadError(path, f"sheet {sheet!r}, column {key!r}, data row {row + 1} holds {values[row]!r}",
                                expected="finite numbers (Excel stores no NaN or infinity: a damaged workbook)")
        else:
            table[key] = np.array([str(v) for v in values], dtype=object)
    return table


# -- one sheet per scan rate / temperature ----------------------------------------------------------

SHEETS_EXPECTED = ("an Excel workbook with sheets whose header row names quantities with units "
                   "(Potential(V), Current(A), Time (s), or Frequency (Hz), Z' (Ω), -Z'' (Ω))")
_TEMPERATURE_NAME = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(°C|ºC|degC|C|K)\s*$")


@dataclass(frozen=True)
class _Sheet:
    name: str
    kind: str  # "record" or "spectra"
    table: dict[str, NDArray[Any]]
    columns: list[Column]
    blank_rows: str  # a note on empty rows inside its table, or ""


def _read_sheets(path: Path, workbook: Any, names: Sequence[str]) -> Record | SpectrumSeries:
    found: list[_Sheet] = []
    skipped: list[str] = []
    for name in names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python()
        except _calamine_errors() as error:  # chart sheets, damaged XML: name the sheet
            raise ReadError(path, f"sheet {name!r} could not be read ({type(error).__name__})",
                            expected=SHEETS_EXPECTED) from None
        sheet, why = _sheet(path, name, rows)
        if sheet is None:
            skipped.append(f"{name!r} ({why})")
        else:
            found.append(sheet)
    if not found:
        raise ReadError(path, f"no sheet has a header naming known quantities: {'; '.join(skipped)}",
                        expected=SHEETS_EXPECTED)
    kinds = {sheet.kind for sheet in found}
    if len(kinds) > 1:
        listing = "; ".join(f"{s.name!r}: {'impedance' if s.kind == 'spectra' else 'time series'}" for s in found)
        raise ReadError(path, f"the workbook mixes impedance and time-series sheets ({listing}); anodelab reads one "
                        "kind per file: save them as separate workbooks", expected=SHEETS_EXPECTED)
    notes = [f"sheets read: {', '.join(repr(s.name) for s in found)}"] + [s.blank_rows for s in found if s.blank_rows]
    if skipped:
        notes.append(f"sheets skipped: {'; '.join(skipped)}")
    nova = any(re.match(r"WE\(\d+\)\.|Potential applied \(V\)", key) for s in found for key in s.table)
    instrument = NOVA.replace("ASCII", "Excel") if nova else "unknown (Excel workbook)"
    if kinds == {"spectra"}:
        return _spectra(path, found, notes, instrument)
    return _records(path, found, notes, instrument)


def _sheet(path: Path, name: str, rows: list[list[Any]]) -> tuple[_Sheet | None, str]:
    """The sheet's table, or None and why it is skipped."""
    for index, row in enumerate(rows[:30]):
        cells = [str(c).strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if sum(bool(c) and not is_number(c) for c in cells) < 2:
            continue
        keys = unique_names(cells)
        columns = nova_columns(keys) if is_nova(keys) else describe_columns(keys)
        roles = {c.role for c in columns}
        impedance = "frequency" in roles and ({"z_real", "z_imag"} <= roles or {"z_mod", "phase"} <= roles)
        series = "voltage" in roles and bool(roles & {"time", "current"})
        if not (impedance or series):
            continue
        body = [r for r in rows[index + 1:] if not _blank(r)]
        if not body:
            return None, "header row but no data rows"
        table = sheet_columns(keys, body, path=path, sheet=name)
        kind = "spectra" if impedance else "record"
        return _Sheet(name, kind, table, columns, _blank_rows_note(name, rows[index + 1:])), ""
    return None, "no header row with a voltage and a time or current column, nor frequency and impedance columns"


def _sheet_notes(sheets: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """Notes of several sheets, each note once with the sheets it applies to."""
    where: dict[str, list[str]] = {}
    for name, notes in sheets:
        for note in notes:
            where.setdefault(note, []).append(name)
    total = len(sheets)
    return [note if len(names) == total and total > 1 else f"sheet {', '.join(repr(n) for n in names)}: {note}"
            for note, names in where.items()]


def _records(path: Path, sheets: Sequence[_Sheet], notes: list[str], instrument: str) -> Record:
    """One record per sheet, then joined: steps never span sheets, time runs on from sheet to sheet."""
    records = []
    for sheet in sheets:
        try:
            nova = is_nova(list(sheet.table))
            notes_here = nova_notes(path, sheet.table, sheet.columns) if nova else []
            techniques = nova_techniques(sheet.columns) if nova else techniques_of(sheet.columns)
            records.append(record_from_columns(path, sheet.table, sheet.columns, instrument=instrument,
                                               techniques=techniques, expected=SHEETS_EXPECTED, notes=notes_here))
        except ReadError as error:
            raise ReadError(path, f"sheet {sheet.name!r}: {error.problem}", expected=error.expected) from None
    notes += _sheet_notes([(s.name, r.provenance.notes) for s, r in zip(sheets, records)])
    if len(records) == 1:
        return replace(records[0], provenance=replace(records[0].provenance, notes=tuple(notes)))
    names = [n for n in dict.fromkeys(n for r in records for n in r.column_names) if n != "cycle"]
    columns: dict[str, NDArray[Any]] = {}
    for name in names:
        parts = [r.columns[name] if name in r else np.full(len(r), np.nan) for r in records]
        columns[name] = np.concatenate([np.asarray(p, dtype=np.float64) if name not in ("step", "state") else p
                                        for p in parts])
    lacking = {n: [s.name for s, r in zip(sheets, records) if n not in r] for n in names}
    filled = [f"{n} ({', '.join(repr(s) for s in lack)})" for n, lack in lacking.items() if lack and n != "time_s"]
    if filled:
        notes.append(f"columns absent from some sheets are NaN there: {'; '.join(filled)}")
    offset = np.cumsum([0] + [int(r.n_steps) for r in records[:-1]])
    columns["step"] = np.concatenate([r.columns["step"] + k for r, k in zip(records, offset)])
    columns["sheet"] = np.concatenate([np.full(len(r), s.name) for s, r in zip(sheets, records)])
    if "time_s" in columns:
        own = columns.pop("time_s")
        columns["sheet_time_s"] = own
        if lacking["time_s"]:
            notes.append(f"time_s left out: sheets {', '.join(repr(s) for s in lacking['time_s'])} have no time "
                         "column; each sheet's own time is in sheet_time_s")
        else:
            ends = np.cumsum([0.0] + [float(r.columns["time_s"][-1]) for r in records[:-1]])
            columns["time_s"] = np.concatenate([r.columns["time_s"] + t0 for r, t0 in zip(records, ends)])
            notes.append("the sheets are separate measurements joined in workbook order: time_s runs on from the end "
                         "of one sheet to the next (each starts where the previous ended); sheet_time_s is each "
                         "sheet's own time")
    provenance = replace(records[0].provenance, notes=tuple(notes))
    try:
        return Record.from_columns(columns, provenance=provenance)
    except AnodelabError as error:
        raise ReadError(path, str(error), expected=SHEETS_EXPECTED) from None


def _spectra(path: Path, sheets: Sequence[_Sheet], notes: list[str], instrument: str) -> SpectrumSeries:
    """The spectra of every impedance sheet, each labelled with its sheet (and temperature, when the name is one)."""
    spectra = []
    per_sheet = []
    temperatures = []
    for sheet in sheets:
        try:
            series = spectra_from_table(path, sheet.table, sheet.columns, [], instrument=instrument)
        except ReadError as error:
            raise ReadError(path, f"sheet {sheet.name!r}: {error.problem}", expected=error.expected) from None
        per_sheet.append((sheet.name, series.provenance.notes))
        temperature = _temperature(sheet.name)
        if temperature is not None:
            temperatures.append(sheet.name)
        for spectrum in series:
            context = spectrum.context
            if temperature is not None and context.temperature_C is None:
                context = replace(context, temperature_C=temperature)
            spectra.append(replace(spectrum, context=replace(context, extras={**context.extras, "sheet": sheet.name})))
    notes += _sheet_notes(per_sheet)
    if temperatures:
        notes.append(f"temperature_C of the spectra on sheets {', '.join(repr(n) for n in temperatures)} is taken "
                     "from the sheet name")
    provenance = Provenance(instrument=instrument, techniques=("EIS",), notes=tuple(notes))
    return SpectrumSeries.of([replace(s, provenance=provenance) for s in spectra], provenance=provenance)


def _temperature(name: str) -> float | None:
    """°C from a sheet named by a temperature (``25C``, ``25 °C``, ``298 K``), else None."""
    match = _TEMPERATURE_NAME.match(name)
    if match is None:
        return None
    scale, offset = unit_scale(match.group(2), "temperature") or (1.0, 0.0)
    return float(match.group(1)) * scale + offset
