"""Gamry Framework text files (``.DTA``, EXPLAIN format).

Layout: ``EXPLAIN``, then header lines ``KEY<TAB>TYPE<TAB>VALUE<TAB>label`` (``TAG``, ``VDC``,
``CONVENTION``, ``AREA`` ...), and tables::

    ZCURVE<TAB>TABLE[<TAB>n]
    <TAB>Pt<TAB>Time<TAB>Freq<TAB>Zreal<TAB>Zimag<TAB>...     <- names
    <TAB>#<TAB>s<TAB>Hz<TAB>ohm<TAB>ohm<TAB>...               <- units
    <TAB>0<TAB>1<TAB>200015.6<TAB>825.8<TAB>-1367.2<TAB>...   <- rows

``ZCURVE`` tables (EIS) become a SpectrumSeries (Zimag is stored with the physical sign,
negative for a capacitor, as impedance.py's ``readGamry`` also takes it). ``CURVE`` /
``CURVE1..n`` tables (charge/discharge, CV cycles, chrono) become one Record, with the curve
number as the step; a file with only an ``OCVCURVE`` gives the open-circuit record. European
locales write decimal commas (``0,25``); they are detected from the data rows.

Current sign: ``CONVENTION`` 1 is anodic current positive (anodelab's sign; a Gamry charge step
with rising voltage stores positive Im), 0 is cathodic positive and is flipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import (
    Column,
    RecordParts,
    add_extras,
    converted,
    finish_record,
    spectra_from_arrays,
)
from anodelab.io.common import cut_short, is_number, read_text_lines, uses_decimal_comma
from anodelab.io.point_index import note_point_index
from anodelab.io.units import unit_scale, voltage_reference

EXPECTED = "a Gamry EXPLAIN file (.DTA) with a ZCURVE or CURVE table"
_TECHNIQUES = {"EISPOT": "EIS", "EISGALV": "EIS", "CV": "CV", "CHRONOA": "CA", "CHRONOP": "CP", "CORPOT": "OCV",
               "LSV": "LSV"}
# Gamry column name -> anodelab role
_ROLES = {"T": "time", "Time": "time", "Vf": "voltage", "Im": "current", "Temp": "temperature",
          "Freq": "frequency", "Zreal": "z_real", "Zimag": "z_imag", "Vdc": "voltage", "Idc": "current"}
OPEN_ENDED = 99999  # the point count of a table whose length was not known when it was opened
_KEYWORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\t|$)")  # header lines and TABLE lines


@dataclass
class _Table:
    name: str
    declared: int | None
    names: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # file line number of each row
    blank_lines: int = 0  # blank lines between its rows


def read_dta(path: Path) -> Record | SpectrumSeries:
    """Read a Gamry .DTA file: ZCURVE tables into spectra, CURVE tables into a Record."""
    path = Path(path)
    lines, newline_at_end = read_text_lines(path, EXPECTED)
    if not lines or lines[0].strip() != "EXPLAIN":
        raise ReadError(path, "first line is not 'EXPLAIN'", expected=EXPECTED)
    notes: list[str] = []
    header, tables, aborted = _parse(path, lines, newline_at_end, notes)
    tag = header.get("TAG", "")
    technique = _TECHNIQUES.get(tag, tag or "unknown")
    notes[:0] = [f"Gamry {tag or 'file'}"] + (["experiment aborted (EXPERIMENTABORTED)"] if aborted else [])
    comma = uses_decimal_comma(cell for table in tables for row in table.rows[:5] for cell in row)
    if comma:
        notes.append("decimal commas read as points")
    zcurves = [t for t in tables if t.name == "ZCURVE"]
    if zcurves:
        return _spectra(path, zcurves, comma, notes)
    if technique == "EIS" and not aborted:
        raise ReadError(path, f"TAG {tag} (impedance) but no ZCURVE table (truncated file?)", expected=EXPECTED)
    curves = [t for t in tables if re.fullmatch(r"CURVE\d*", t.name)] or [t for t in tables if t.name == "OCVCURVE"]
    if not curves:
        found = ", ".join(t.name for t in tables) or "none"
        raise ReadError(path, f"no ZCURVE or CURVE table (tables: {found}); CAPACITYCURVE is a per-cycle summary",
                        expected=EXPECTED)
    return _record(path, curves, header, comma, technique, notes)


def _parse(path: Path, lines: list[str], newline_at_end: bool,
           notes: list[str]) -> tuple[dict[str, str], list[_Table], bool]:
    """Header keys and tables. A table runs from its ``TABLE`` line to the next keyword line: every
    line between is a row (or blank), and one that is not a well-formed row is refused."""
    header: dict[str, str] = {}
    tables: list[_Table] = []
    table: _Table | None = None
    blank = 0  # blank lines since the last row of the current table
    aborted = False
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("EXPERIMENTABORTED"):
            aborted = True
            break
        if table is not None:
            if not line.strip():
                blank += 1
                continue
            if line.startswith("\t"):
                cells = [c.strip() for c in line.split("\t")[1:]]
                if not table.names:
                    table.names = _names(cells)
                elif not table.units:
                    table.units = cells
                else:
                    cut = number == len(lines) and not newline_at_end
                    if _add_row(path, table, cells, number, cut, notes):
                        table.blank_lines += blank
                    blank = 0
                continue
            if not _KEYWORD.match(line):
                raise ReadError(path, f"line {number} in table {table.name} is not a row (rows start with a tab) "
                                f"and no header keyword: {line[:40]!r}", expected=EXPECTED)
            table, blank = None, 0
        fields = line.split("\t")
        if len(fields) >= 2 and fields[1].strip() == "TABLE":
            declared = int(fields[2]) if len(fields) > 2 and fields[2].strip().isdigit() else None
            table = _Table(fields[0].strip(), declared)
            tables.append(table)
        elif len(fields) >= 2 and fields[0].strip():
            header[fields[0].strip()] = fields[2].strip() if len(fields) >= 3 else fields[1].strip()
        elif tables and _looks_like_row(fields, tables[-1]):
            raise ReadError(path, f"line {number} is a row of table {tables[-1].name} after the table ended "
                            "(a damaged line before it?)", expected=EXPECTED)
    for table in tables:
        _check_table(path, table, aborted, notes)
    return header, tables, aborted


def _names(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def _add_row(path: Path, table: _Table, cells: list[str], number: int, unterminated: bool, notes: list[str]) -> bool:
    """Append a row (True), or drop the file's unterminated last line when it was cut short (False)."""
    width = len(table.names)
    if unterminated and (reason := cut_short(cells, width, table.rows[-50:])):
        notes.append(f"the last row of table {table.name} (line {number}) was cut short ({reason}: the file ends "
                     "without a newline) and is dropped")
        return False
    if len(cells) < width or any(cells[width:]):
        raise ReadError(path, f"line {number} of table {table.name} has {len(cells)} fields, its column line names "
                        f"{width}", expected=EXPECTED)
    table.rows.append(cells[:width])
    table.lines.append(number)
    return True


def _looks_like_row(fields: list[str], table: _Table) -> bool:
    """A tab-led line of numbers as wide as ``table``'s rows (header notes are text)."""
    cells = [c.strip() for c in fields[1:]]
    return len(cells) >= max(len(table.names), 2) and all(re.fullmatch(r"[-+]?[\d.,]+(E[-+]?\d+)?", c, re.IGNORECASE)
                                                           for c in cells[:2])


def _check_table(path: Path, table: _Table, aborted: bool, notes: list[str]) -> None:
    """Declared point count (99999: open-ended), point index ``Pt`` in order, and blank lines."""
    held = len(table.rows)
    if table.declared == OPEN_ENDED:
        notes.append(f"table {table.name} declares an open-ended point count ({OPEN_ENDED}): read to its end, "
                     f"{held} rows")
    elif table.declared is not None and held < table.declared and aborted:
        notes.append(f"table {table.name}: {held} of the {table.declared} points it declares (experiment aborted)")
    elif table.declared is not None and held != table.declared:
        problem = "truncated file" if held < table.declared else "more rows than declared"
        raise ReadError(path, f"table {table.name} declares {table.declared} points but holds {held} ({problem})",
                        expected=EXPECTED)
    if table.blank_lines:
        notes.append(f"table {table.name}: {table.blank_lines} blank line(s) between its rows skipped; all {held} "
                     "rows read")
    if "Pt" in table.names and held > 1:
        index = table.names.index("Pt")
        try:
            points = np.array([row[index] for row in table.rows], dtype=np.int64)
        except ValueError:
            return  # reported with the row number when the columns are parsed
        steps = np.diff(points)
        if (steps <= 0).any():
            row = int(np.argmax(steps <= 0)) + 1
            raise ReadError(path, f"table {table.name}: point index Pt goes from {points[row - 1]} to {points[row]} at "
                            f"line {table.lines[row]} (rows repeated or out of order)", expected=EXPECTED)
        note_point_index(f"table {table.name}: Pt", points, notes)


def _arrays(path: Path, tables: list[_Table], comma: bool) -> tuple[dict[str, NDArray[Any]], list[Column], NDArray[np.int64]]:
    """Concatenated columns of tables with the same names, their Columns, and the table index of each row.

    A column is numeric when most of its cells are numbers; a cell that is not then names its line.
    """
    names, units = tables[0].names, tables[0].units
    for table in tables[1:]:
        if table.names != names:
            raise ReadError(path, f"table {table.name} has other columns than {tables[0].name}", expected=EXPECTED)
    rows = [row for table in tables for row in table.rows]
    if not rows:
        raise ReadError(path, f"table {tables[0].name} has no data rows", expected=EXPECTED)
    numbers = [number for table in tables for number in table.lines]
    origin = np.concatenate([np.full(len(t.rows), i, dtype=np.int64) for i, t in enumerate(tables)])
    columns: dict[str, NDArray[Any]] = {}
    described = []
    for index, name in enumerate(names):
        cells = [row[index].replace(",", ".") if comma else row[index] for row in rows]
        try:
            columns[name] = np.array(cells, dtype=np.float64)
        except ValueError:
            bad = [row for row, cell in enumerate(cells) if not is_number(cell)]
            if len(bad) * 2 < len(cells):
                raise ReadError(path, f"line {numbers[bad[0]]}: column {name} holds {cells[bad[0]]!r}, not a number",
                                expected=EXPECTED) from None
            columns[name] = np.array(cells, dtype=object)  # a text column (Over: "...........")
        unit = units[index] if index < len(units) and units[index] not in ("", "#") else None
        described.append(Column(name, name, unit, _ROLES.get(name)))
    return columns, described, origin


def _convention(header: dict[str, str], notes: list[str]) -> float:
    value = header.get("CONVENTION")
    if value is None:
        notes.append("no CONVENTION line: Gamry's default (anodic current positive) assumed")
        return 1.0
    if value.strip() == "0":
        notes.append("CONVENTION 0 (cathodic current positive): current flipped to anodic > 0")
        return -1.0
    return 1.0


def _spectra(path: Path, tables: list[_Table], comma: bool, notes: list[str]) -> SpectrumSeries:
    columns, described, _ = _arrays(path, tables, comma)
    by_name = {c.key: c for c in described}
    for name in ("Freq", "Zreal", "Zimag"):
        if name not in by_name:
            raise ReadError(path, f"ZCURVE has no {name} column", expected=EXPECTED)
    expected = "ZCURVE columns Freq (Hz), Zreal, Zimag (ohm)"
    context = {}
    for name, key in (("Time", "time_s"), ("Vdc", "voltage_V"), ("Idc", "current_mA"), ("Temp", "temperature_C")):
        if name in by_name and by_name[name].unit is not None:
            context[key] = converted(path, columns, by_name[name], expected, finite=False)
    return spectra_from_arrays(path, converted(path, columns, by_name["Freq"], expected),
                               converted(path, columns, by_name["Zreal"], expected),
                               converted(path, columns, by_name["Zimag"], expected),
                               instrument="Gamry", notes=notes, context=context)


def _record(path: Path, tables: list[_Table], header: dict[str, str], comma: bool, technique: str,
            notes: list[str]) -> Record:
    columns, described, origin = _arrays(path, tables, comma)
    by_name = {c.key: c for c in described}
    for name in ("T", "Vf"):
        if name not in by_name:
            raise ReadError(path, f"{tables[0].name} has no {name} column", expected=EXPECTED)
    parts = RecordParts(notes=notes)
    parts.columns["voltage_V"] = converted(path, columns, by_name["Vf"], EXPECTED)
    if (reference := voltage_reference(by_name["Vf"].unit)):
        parts.notes.append(f"voltage_V is Vf, vs. {reference}")
    parts.columns["time_s"] = _continuous_time(converted(path, columns, by_name["T"], EXPECTED), origin, parts.notes)
    used = {"T", "Vf", "Pt"}
    if "Im" in by_name:
        parts.columns["current_mA"] = converted(path, columns, by_name["Im"], EXPECTED) * _convention(header, parts.notes)
        used.add("Im")
    if len(tables) > 1:
        parts.columns["step"] = origin
        parts.notes.append(f"step: one per curve table ({tables[0].name} ... {tables[-1].name})")
    if "Temp" in by_name and unit_scale(by_name["Temp"].unit, "temperature") is not None:
        temperature = converted(path, columns, by_name["Temp"], EXPECTED, finite=False).copy()
        unplugged = temperature < -273.15
        if unplugged.any():
            temperature[unplugged] = np.nan
            parts.notes.append(f"Temp: {int(unplugged.sum())} values below absolute zero (no sensor) set to NaN")
        parts.columns["temperature_C"] = temperature
        used.add("Temp")
    add_extras(parts, path, columns, described, used)
    return finish_record(path, parts, instrument="Gamry", techniques=(technique,))


def _continuous_time(time_s: NDArray[np.float64], origin: NDArray[np.int64], notes: list[str]) -> NDArray[np.float64]:
    """Time since the first row; curves whose clock restarts are shifted to follow the previous curve."""
    time_s = time_s.copy()
    starts = np.flatnonzero(np.r_[False, origin[1:] != origin[:-1]])
    shifted = 0
    for start in starts:
        if time_s[start] < time_s[start - 1]:
            time_s[start:][origin[start:] == origin[start]] += time_s[start - 1] - time_s[start]
            shifted += 1
    if shifted:
        notes.append(f"time_s: {shifted} curve(s) restart their clock; each shifted to start where the previous ended")
    since_start_s: NDArray[np.float64] = time_s - time_s[0]
    return since_start_s
