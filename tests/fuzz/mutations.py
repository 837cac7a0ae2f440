"""Damaged copies of real instrument files, made from what each format declares.

A mutation kind is a function ``(source, rng) -> Mutant | None`` (None: the kind does not apply to
the file). Text kinds edit the data table the file holds (rows, cells, units, encodings, line
ends); binary kinds edit declared structure: BioLogic ``.mpr`` module headers, lengths, versions
and point counts; zip members and XML of ``.ndax`` / ``.xlsx``; Jet pages of Arbin ``.res``; the
header and record area of Neware ``.nda``. A :class:`Mutant` carries the bytes, a one-line
description that reproduces it with the same seed, and an :class:`Expect` for the oracle.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

LONG_FIELD_CHARS = 100_000
INFLATED_MIB = 2048  # a zip member that inflates to 2 GiB (above the oracle's memory cap per read)
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_INDEX_NAME = re.compile(r"(?<![\w ])(DataPoint|Data_Point|Data Point|Rec#?|Record ID|Pt|Point|number|Index)(?=[\s,;\"]|$)")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# unit tokens in a header field or a units row, with their size in SI base units
_UNIT = re.compile(r"(?:(?<=[/(\[ ])|^)(V|mV|A|mA|uA|µA|Ah|mAh|s|min|h|Hz|kHz)(?=[)\]]|$)")
_SI = {"V": 1.0, "mV": 1e-3, "A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6, "Ah": 1.0, "mAh": 1e-3, "s": 1.0,
       "min": 60.0, "h": 3600.0, "Hz": 1.0, "kHz": 1e3}
_SWAP = {"V": "mV", "mV": "V", "A": "mA", "mA": "A", "uA": "mA", "µA": "mA", "Ah": "mAh", "mAh": "Ah", "s": "min",
         "min": "s", "h": "s", "Hz": "kHz", "kHz": "Hz"}
_CANONICAL_UNIT = {"time_s": ("s", "min", "h"), "voltage_V": ("V", "mV"), "current_mA": ("A", "mA", "uA", "µA"),
                   "frequency_Hz": ("Hz", "kHz"), "charge_capacity_mAh": ("Ah", "mAh"),
                   "discharge_capacity_mAh": ("Ah", "mAh")}
#: the columns of the undamaged read a Source keeps (``baseline``): what maps the file's table to the reader's
#: columns (a per-cycle summary, read as a CycleTable, by its cycle and capacity columns)
BASELINE_COLUMNS = ("time_s", "voltage_V", "current_mA", "frequency_Hz", "cycle", "charge_capacity_mAh",
                    "discharge_capacity_mAh")
_FACTORS = (1.0, 1e-3, 1e3, 1e-6, 1e6, 60.0, 3600.0, 1 / 60, 1 / 3600, 86400.0, -1.0, -1e-3, -1e3)
TEXT_SUFFIXES = {".mpt", ".txt", ".csv", ".dta", ".z", ".tsv", ".dat"}
_MPR_MAGIC_BYTES = 52
_JET_PAGE = 4096


@dataclass(frozen=True)
class Expect:
    """What a reader that keeps its promises may return for a damaged copy (see oracle.judge)."""

    same: str = ""  # "strict": the original numbers; "lenient": the original numbers or a refusal
    rows_delta: int = 0  # rows gained (> 0) or lost (< 0) when the copy is read as it stands
    detectable: bool = True  # the format lets a reader see the change (point index, declared count)
    scale: tuple[str, float] | None = None  # a unit change: this canonical column, times this factor
    values_may_change: bool = False  # damage no reader can see (bit flips in values)
    last_row_may_change: bool = False  # a last row cut inside its last field still looks complete


@dataclass(frozen=True)
class Mutant:
    kind: str
    detail: str
    content: bytes
    expect: Expect = field(default_factory=Expect)


@dataclass
class TextTable:
    """The data table of a text file: its lines, delimiter, header, units row and data rows."""

    encoding: str
    bom: bool
    eol: str
    final_eol: bool
    lines: list[str]
    delimiter: str | None  # None: runs of whitespace
    header: int | None
    units: int | None
    first: int  # first data row (line index)
    stop: int  # one past the last data row
    values: np.ndarray  # data rows x columns, NaN where a cell is not a number

    @property
    def n_rows(self) -> int:
        return self.stop - self.first

    def split(self, line: str) -> list[str]:
        return line.split(self.delimiter) if self.delimiter else line.split()

    def join(self, fields: list[str]) -> str:
        return (self.delimiter or "\t").join(fields)

    def render(self, lines: list[str] | None = None, *, eol: str | None = None, final: bool | None = None,
               encoding: str | None = None, bom: bool | None = None) -> bytes:
        lines = self.lines if lines is None else lines
        eol = self.eol if eol is None else eol
        text = eol.join(lines) + (eol if (self.final_eol if final is None else final) else "")
        encoding = encoding or self.encoding
        prefix = "\ufeff" if (self.bom if bom is None else bom) and encoding == "utf-8" else ""
        return (prefix + text).encode(encoding)

    def index_columns(self) -> list[int]:
        """Columns holding consecutive integers (a point index that shows lost or repeated rows)."""
        found = []
        for j in range(self.values.shape[1]):
            column = self.values[:, j]
            if column.size > 2 and np.all(np.isfinite(column)) and np.all(np.diff(column) == 1):
                found.append(j)
        return found

    def has_point_index(self) -> bool:
        """A column of consecutive integers, or a header naming a point index (Rec#, DataPoint, Pt, ...)."""
        names = [self.lines[i] for i in (self.header, self.units) if i is not None]
        names += [line for line in self.lines[self.first:self.stop] if not _is_data(self.split(line))][:50]
        return bool(self.index_columns()) or any(_INDEX_NAME.search(line) for line in names)

    def declares_count(self) -> bool:
        """The header states the number of data rows (Gamry CURVE tables, ZPlot 'Data Points')."""
        header = "\n".join(line for line in self.lines[:self.first] if not _is_data(self.split(line)))
        return re.search(rf"(?<![\d.,]){self.n_rows}(?![\d.,])", header) is not None


@dataclass
class Source:
    """One real file to damage, with what the undamaged read returned (``baseline`` arrays)."""

    path: Path
    raw: bytes
    baseline: dict[str, np.ndarray]

    @cached_property
    def text(self) -> TextTable | None:
        if self.path.suffix.lower() not in TEXT_SUFFIXES and not _looks_text(self.raw):
            return None
        rows = next((v.size for k, v in self.baseline.items() if k in ("time_s", "voltage_V", "frequency_Hz", "cycle")),
                    None)
        return parse_table(self.raw, rows)

    @cached_property
    def sources(self) -> dict[str, tuple[int, float]]:
        """Canonical column -> (table column, factor from the file's numbers to the canonical values)."""
        table = self.text
        if table is None:
            return {}
        found: dict[str, tuple[int, float]] = {}
        for name, expected in self.baseline.items():
            if name not in _CANONICAL_UNIT or expected.size != table.n_rows or not np.all(np.isfinite(expected)):
                continue
            target = np.sort(expected) if name == "frequency_Hz" else expected
            scale = float(np.max(np.abs(target))) or 1.0
            for j in range(table.values.shape[1]):
                column = table.values[:, j]
                if not np.all(np.isfinite(column)):
                    continue
                for factor in _FACTORS:
                    candidate = np.sort(column * factor) if name == "frequency_Hz" else column * factor
                    if np.allclose(candidate, target, rtol=1e-6, atol=1e-9 * scale):
                        found.setdefault(name, (j, factor))
                        break
        return found


def _looks_text(raw: bytes) -> bool:
    head = raw[:65536]
    return b"\x00" not in head or head[:2] in (b"\xff\xfe", b"\xfe\xff")


def parse_table(raw: bytes, rows: int | None = None) -> TextTable | None:
    """The table of a text file: the run of data lines as long as the read's rows, else the longest."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = body.decode("latin-1"), "latin-1"
    eol = "\r\n" if "\r\n" in text[:200_000] else "\n" if "\n" in text else "\r"
    final_eol = text.endswith(eol)
    lines = text.split(eol)
    if final_eol:
        lines.pop()
    sample = [line for line in lines[-400:] if line.strip()]
    found = _delimiter(sample)
    if found is None:
        return None
    delimiter = found or None
    split = (lambda s: s.split(delimiter)) if delimiter else (lambda s: s.split())
    is_data = [_is_data(split(line)) for line in lines]
    runs, start = [(0, 0)], None
    for i, flag in enumerate([*is_data, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((i - start, start))
            start = None
    length, first = max(runs, key=lambda run: (run[0] == rows, run))
    if length < 3:
        return None
    stop = first + length
    table = [split(line) for line in lines[first:stop]]
    width = max(len(r) for r in table)
    values = np.full((length, width), np.nan)
    for i, cells in enumerate(table):
        for j, cell in enumerate(cells):
            cell = cell.strip().strip('"')
            if _NUMBER.match(cell):
                values[i, j] = float(cell.replace(",", ".")) if delimiter != "," else float(cell)
    names = [i for i in (first - 2, first - 1) if i >= 0 and len(split(lines[i])) >= 2 and not is_data[i]]
    header = names[0] if names else None
    units = names[1] if len(names) == 2 else None
    return TextTable(encoding, bom, eol, final_eol, lines, delimiter, header, units, first, stop, values)


def _delimiter(sample: list[str]) -> str | None:
    """The delimiter of the data lines ('' for runs of whitespace), None if they are not a table."""
    for delimiter in ("\t", ";", ",", ""):
        rows = [line.split(delimiter) if delimiter else line.split() for line in sample]
        if rows and np.median([len(r) for r in rows]) >= 2 and np.mean([_is_data(r) for r in rows]) > 0.5:
            return delimiter
    return None


def _is_data(cells: list[str]) -> bool:
    cells = [c.strip().strip('"') for c in cells]
    filled = [c for c in cells if c]
    return len(filled) >= 2 and sum(bool(_NUMBER.match(c)) for c in filled) * 2 >= len(filled)


# -- text kinds ----------------------------------------------------------------------------------------


def _row_in_middle(table: TextTable, rng: np.random.Generator) -> int:
    return int(rng.integers(table.first + table.n_rows // 4, table.first + max(table.n_rows * 3 // 4, 1)))


def _cell_column(src: Source, rng: np.random.Generator, line: str) -> int:
    """A column to damage: one the reader maps to time, voltage, current or frequency when known."""
    table = src.text
    assert table is not None
    mapped = [j for j, _ in src.sources.values() if j < len(table.split(line))]
    if mapped:
        return int(rng.choice(mapped))
    return int(rng.integers(0, len(table.split(line))))


def _replace_cell(src: Source, rng: np.random.Generator, kind: str, value: str, expect: Expect) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    row = _row_in_middle(table, rng)
    cells = table.split(table.lines[row])
    column = _cell_column(src, rng, table.lines[row])
    cells[column] = value
    lines = list(table.lines)
    lines[row] = table.join(cells)
    shown = value if len(value) < 20 else f"{value[:3]}... ({len(value)} chars)"
    return Mutant(kind, f"cell (line {row + 1}, column {column + 1}) set to {shown!r}", table.render(lines), expect)


def text_eol_swap(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    eol = "\n" if table.eol == "\r\n" else "\r\n"
    return Mutant("eol-swap", f"line ends {table.eol!r} -> {eol!r}", table.render(eol=eol), Expect(same="strict"))


def text_eol_cr(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or table.eol == "\r":
        return None
    return Mutant("eol-cr", "every line end -> CR (classic Mac)", table.render(eol="\r"), Expect(same="lenient"))


def text_eol_mixed(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    ends = rng.choice(["\n", "\r\n"], size=len(table.lines))
    text = "".join(line + str(end) for line, end in zip(table.lines, ends))
    if not table.final_eol:
        text = text[:-len(str(ends[-1]))]
    content = ("\ufeff" if table.bom else "").encode(table.encoding) + text.encode(table.encoding)
    return Mutant("eol-mixed", "each line end LF or CRLF at random", content, Expect(same="lenient"))


def text_bom(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or table.encoding != "utf-8":
        return None
    what = "UTF-8 BOM removed" if table.bom else "UTF-8 BOM added"
    return Mutant("bom", what, table.render(bom=not table.bom), Expect(same="strict"))


def text_utf16(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    return Mutant("utf16", "re-encoded as UTF-16 with BOM", table.render(encoding="utf-16"), Expect(same="lenient"))


def text_recode(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or all(ord(c) < 128 for line in table.lines for c in line):
        return None
    target = "cp1252" if table.encoding == "utf-8" else "utf-8"
    try:
        content = table.render(encoding=target, bom=False)
    except UnicodeEncodeError:
        return None
    return Mutant("recode", f"re-encoded {table.encoding} -> {target}", content, Expect(same="lenient"))


def text_no_final_newline(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or not table.final_eol:
        return None
    return Mutant("no-final-newline", "final line end removed", table.render(final=False), Expect(same="strict"))


def text_trailing_blank(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    return Mutant("trailing-blank-line", "one empty line appended", table.render([*table.lines, ""], final=True),
                  Expect(same="strict"))


def text_blank_lines(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    at = sorted({_row_in_middle(table, rng) for _ in range(3)}, reverse=True)
    lines = list(table.lines)
    for row in at:
        lines.insert(row, "")
    return Mutant("blank-lines", f"empty lines inserted before lines {sorted(r + 1 for r in at)}",
                  table.render(lines), Expect(same="lenient"))


def _rows_changed(table: TextTable, rows: np.ndarray) -> bool:
    """Whether a reader can see that the data rows became ``rows`` (positions of original rows, in order):
    the header declares the count, or a point index shows it (see :func:`index_blind`)."""
    if table.declares_count():
        return True
    if not table.has_point_index():
        return False
    index = _index_values(table)
    return index is None or not index_blind(index, index[rows])


def _index_values(table: TextTable) -> np.ndarray | None:
    """The point index column: one of consecutive integers, else the one the header names (Rec#, DataPoint ...)."""
    found = table.index_columns()
    if found:
        return table.values[:, found[0]]
    for line in reversed(table.lines[:table.first]):  # the header: the last line above the rows naming one
        for j, name in enumerate(table.split(line)[:table.values.shape[1]]):
            if _INDEX_NAME.fullmatch(name.strip().strip('"')):
                return table.values[:, j]
    return None


def index_blind(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether a point index cannot show that its rows ``before`` became ``after`` (rows removed or repeated).

    A reader sees, in an index that never decreases: a step back, a value on several rows that was on one
    before (a row repeated), or a skip between two rows that each continue a run of consecutive values
    (rows lost from a stretch the file keeps whole). Anything else it cannot tell from what the instrument
    or an export writes: rows removed or repeated inside a block sharing one value (Maccor's FRA rows share
    a Rec#), or removed next to a skip that was there (a reduced export keeps isolated records).
    """
    if not (np.isfinite(before).all() and np.isfinite(after).all()) or (np.diff(before) < 0).any():
        return False
    if (np.diff(after) < 0).any():
        return False

    def repeated(index: np.ndarray) -> set[float]:
        return set(index[1:][np.diff(index) == 0].tolist())

    def skips(index: np.ndarray, inside: bool) -> set[tuple[float, float]]:
        steps = np.diff(index)
        where = steps > 1
        if inside:
            consecutive = steps <= 1
            where &= np.r_[False, consecutive[:-1]] & np.r_[consecutive[1:], False]
        return {(float(index[i]), float(index[i + 1])) for i in np.flatnonzero(where)}

    return repeated(after) <= repeated(before) and skips(after, inside=True) <= skips(before, inside=False)


def text_rows_removed(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or table.n_rows < 8:
        return None
    k = int(rng.integers(1, max(2, table.n_rows // 20)))
    row = _row_in_middle(table, rng)
    lines = table.lines[:row] + table.lines[row + k:]
    kept = np.r_[0:row - table.first, row + k - table.first:table.n_rows]
    return Mutant("rows-removed", f"{k} rows removed from line {row + 1}", table.render(lines),
                  Expect(rows_delta=-k, detectable=_rows_changed(table, kept)))


def text_rows_duplicated(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or table.n_rows < 8:
        return None
    k = int(rng.integers(1, 4))
    row = _row_in_middle(table, rng)
    lines = table.lines[:row + k] + table.lines[row:]
    kept = np.r_[0:row + k - table.first, row - table.first:table.n_rows]
    return Mutant("rows-duplicated", f"{k} rows from line {row + 1} repeated", table.render(lines),
                  Expect(rows_delta=k, detectable=_rows_changed(table, kept)))


def text_rows_reversed(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or table.n_rows < 8:
        return None
    k = int(rng.integers(3, max(4, min(50, table.n_rows // 4))))
    row = _row_in_middle(table, rng)
    lines = table.lines[:row] + table.lines[row:row + k][::-1] + table.lines[row + k:]
    visible = table.has_point_index() or "time_s" in src.sources
    return Mutant("rows-reversed", f"{k} rows from line {row + 1} in reverse order", table.render(lines),
                  Expect(detectable=visible, values_may_change=not visible))


def text_last_line_cut(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or any(line.strip() for line in table.lines[table.stop:]):
        return None
    last = table.lines[table.stop - 1]
    if len(last) < 2:
        return None
    keep = int(rng.integers(1, len(last)))
    lines = [*table.lines[:table.stop - 1], last[:keep]]
    return Mutant("last-line-cut", f"last row cut after {keep} of {len(last)} characters, no final line end",
                  table.render(lines, final=False), Expect(last_row_may_change=True))


def text_truncated(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or table.n_rows < 8:
        return None
    row = _row_in_middle(table, rng)
    return Mutant("truncated", f"file ends after line {row} (whole lines)", table.render(table.lines[:row], final=True),
                  Expect(rows_delta=row - table.stop, detectable=table.declares_count()))


def text_stray_quotes(src: Source, rng: np.random.Generator) -> Mutant | None:
    """A '"' opening a text cell and another closing one rows further down the same column: a parser that
    quotes joins the lines between into one row (rows lost), one that never quotes keeps both in their cells."""
    table = src.text
    if table is None or table.delimiter is None or table.n_rows < 8:
        return None
    text = [j for j in range(table.values.shape[1]) if np.isnan(table.values[:, j]).all()]
    top = _row_in_middle(table, rng)
    bottom = min(top + int(rng.integers(2, max(3, table.n_rows // 5))), table.stop - 1)
    lines = list(table.lines)
    opened, closed = table.split(lines[top]), table.split(lines[bottom])
    text = [j for j in text if j < min(len(opened), len(closed)) and opened[j].strip() and closed[j].strip()]
    if not text or bottom - top < 2:
        return None
    column = int(rng.choice(text))
    opened[column], closed[column] = '"' + opened[column], closed[column] + '"'
    lines[top], lines[bottom] = table.join(opened), table.join(closed)
    return Mutant("stray-quotes", f"'\"' before the cell of line {top + 1} and after that of line {bottom + 1} "
                  f"in text column {column + 1}", table.render(lines))


def text_nan_cell(src: Source, rng: np.random.Generator) -> Mutant | None:
    return _replace_cell(src, rng, "nan-cell", str(rng.choice(["NaN", "nan", "#N/A"])), Expect())


def text_inf_cell(src: Source, rng: np.random.Generator) -> Mutant | None:
    return _replace_cell(src, rng, "inf-cell", str(rng.choice(["inf", "-inf", "1e999", "Infinity"])), Expect())


def text_empty_cell(src: Source, rng: np.random.Generator) -> Mutant | None:
    return _replace_cell(src, rng, "empty-cell", "", Expect())


def text_long_field(src: Source, rng: np.random.Generator) -> Mutant | None:
    return _replace_cell(src, rng, "long-field", str(rng.choice(["1", "x"])) * LONG_FIELD_CHARS, Expect())


def text_nan_column(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None or not src.sources:
        return None
    name = str(rng.choice(sorted(src.sources)))
    column = src.sources[name][0]
    lines = list(table.lines)
    for row in range(table.first, table.stop):
        cells = table.split(lines[row])
        if column < len(cells):
            cells[column] = "NaN"
            lines[row] = table.join(cells)
    return Mutant("nan-column", f"every cell of column {column + 1} (read as {name}) set to NaN",
                  table.render(lines), Expect())


def text_decimal_comma(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    lines = list(table.lines)
    commas = table.delimiter != "," and any(_DECIMAL_COMMA.search(line) for line in lines[table.first:table.stop])
    named = [i for i in (table.header, table.units) if i is not None]
    for row in [*named, *range(table.first, table.stop)]:
        cells = table.split(lines[row])
        if row >= table.first:
            cells = [(_DECIMAL_COMMA.sub(".", c) if commas else _DECIMAL_POINT.sub(",", c)) for c in cells]
        delimiter = ";" if table.delimiter == "," else (table.delimiter or "\t")
        lines[row] = delimiter.join(cells)
    what = "decimal commas -> points" if commas else "decimal points -> commas" + (
        ", ',' separators -> ';'" if table.delimiter == "," else "")
    return Mutant("decimal-comma", what, table.render(lines), Expect(same="lenient"))


def text_unit_change(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    options = []
    for name, (column, _) in src.sources.items():
        for row in (table.units, table.header):
            if row is None:
                continue
            cells = table.split(table.lines[row])
            match = _UNIT.search(cells[column].strip().strip('"')) if column < len(cells) else None
            if match and match.group(1) in _CANONICAL_UNIT[name]:
                options.append((name, row, column, match.group(1)))
                break
    if not options:
        return None
    name, row, column, unit = options[int(rng.integers(len(options)))]
    new = _SWAP[unit]
    cells = table.split(table.lines[row])
    cells[column] = _UNIT.sub(new, cells[column], count=1)
    lines = list(table.lines)
    lines[row] = table.join(cells)
    return Mutant("unit-change", f"unit of column {column + 1} ({name}) on line {row + 1}: {unit} -> {new}",
                  table.render(lines), Expect(scale=(name, _SI[new] / _SI[unit])))


def text_header_flips(src: Source, rng: np.random.Generator) -> Mutant | None:
    table = src.text
    if table is None:
        return None
    end = len(table.render(table.lines[:table.first], final=True))
    return _flips("header-flips", src.raw, rng, 0, end, Expect(values_may_change=True))


# -- binary kinds shared by all formats -------------------------------------------------------------


def _flips(kind: str, raw: bytes, rng: np.random.Generator, begin: int, end: int, expect: Expect) -> Mutant | None:
    if end - begin < 8:
        return None
    damaged = bytearray(raw)
    positions = sorted(int(p) for p in rng.integers(begin, end, size=8))
    for position in positions:
        damaged[position] ^= 1 << int(rng.integers(0, 8))
    return Mutant(kind, f"8 bit flips at bytes {positions}", bytes(damaged), expect)


def body_flips(src: Source, rng: np.random.Generator) -> Mutant | None:
    begin = len(src.raw) // 10 if src.text is None else len(src.text.render(src.text.lines[:src.text.first], final=True))
    return _flips("body-flips", src.raw, rng, begin, len(src.raw), Expect(values_may_change=True))


def binary_head_flips(src: Source, rng: np.random.Generator) -> Mutant | None:
    if src.text is not None:
        return None
    return _flips("head-flips", src.raw, rng, 0, min(len(src.raw), 4096), Expect(values_may_change=True))


def binary_truncated(src: Source, rng: np.random.Generator) -> Mutant | None:
    if src.text is not None:
        return None
    cut = int(rng.integers(len(src.raw) // 10, len(src.raw) - 1))
    return Mutant("truncated", f"file cut at byte {cut} of {len(src.raw)}", src.raw[:cut])


# -- BioLogic .mpr: the module chain -------------------------------------------------------------------


@dataclass(frozen=True)
class MprModule:
    name: str
    start: int  # of b"MODULE"
    length_at: int
    version_at: int
    data: int  # first byte of the module's data
    length: int


def mpr_modules(raw: bytes) -> list[MprModule]:
    modules, position = [], _MPR_MAGIC_BYTES
    while raw[position:position + 6] == b"MODULE":
        base = position + 6
        v2 = raw[base + 35:base + 39] == b"\xff\xff\xff\xff"
        length_at = base + 39 if v2 else base + 35
        header = 59 if v2 else 51
        length = struct.unpack_from("<I", raw, length_at)[0]
        name = raw[base:base + 10].decode("latin-1").strip(" \x00")
        modules.append(MprModule(name, position, length_at, length_at + 4, base + header, length))
        position = base + header + length
    return modules


def _mpr(src: Source) -> list[MprModule]:
    return mpr_modules(src.raw) if src.raw.startswith(b"BIO-LOGIC MODULAR FILE") else []


def _data_module(modules: list[MprModule]) -> MprModule | None:
    return next((m for m in modules if m.name == "VMP data"), None)


def _patch(raw: bytes, at: int, fmt: str, value: int) -> bytes:
    damaged = bytearray(raw)
    struct.pack_into(fmt, damaged, at, value)
    return bytes(damaged)


def mpr_length(src: Source, rng: np.random.Generator) -> Mutant | None:
    modules = _mpr(src)
    if not modules:
        return None
    module = _data_module(modules) if rng.random() < 0.6 else modules[int(rng.integers(len(modules)))]
    module = module or modules[0]
    value = int(rng.choice([module.length - 1, module.length + 1, module.length // 2, 0, 2 * module.length,
                            0xFFFFFFFF, module.length - 8]))
    return Mutant("mpr-module-length", f"module {module.name!r} declared length {module.length} -> {value}",
                  _patch(src.raw, module.length_at, "<I", value % 2**32))


def mpr_version(src: Source, rng: np.random.Generator) -> Mutant | None:
    module = _data_module(_mpr(src))
    if module is None:
        return None
    current = struct.unpack_from("<I", src.raw, module.version_at)[0]
    value = int(rng.choice([v for v in (0, 1, 2, 3, 4, 255, 2**31) if v != current]))
    return Mutant("mpr-module-version", f"data module version {current} -> {value}",
                  _patch(src.raw, module.version_at, "<I", value))


def mpr_points(src: Source, rng: np.random.Generator) -> Mutant | None:
    module = _data_module(_mpr(src))
    if module is None:
        return None
    n = struct.unpack_from("<I", src.raw, module.data)[0]
    value = int(rng.choice([n - 1, n + 1, n // 2, 0, 2 * n, 2**31 - 1]))
    return Mutant("mpr-point-count", f"data module point count {n} -> {value}",
                  _patch(src.raw, module.data, "<I", value % 2**32))


def mpr_columns(src: Source, rng: np.random.Generator) -> Mutant | None:
    module = _data_module(_mpr(src))
    if module is None:
        return None
    count = src.raw[module.data + 4]
    value = int(rng.choice([count - 1, count + 1, 0, 255])) % 256
    return Mutant("mpr-column-count", f"data module column count {count} -> {value}",
                  _patch(src.raw, module.data + 4, "B", value))


def mpr_column_id(src: Source, rng: np.random.Generator) -> Mutant | None:
    module = _data_module(_mpr(src))
    if module is None:
        return None
    version = struct.unpack_from("<I", src.raw, module.version_at)[0]
    if version not in (2, 3):
        return None
    count = src.raw[module.data + 4]
    ids = struct.unpack_from(f"<{count}H", src.raw, module.data + 5)
    index = int(rng.integers(count))
    value = int(rng.choice([9999, ids[(index + 1) % count]]))
    return Mutant("mpr-column-id", f"column ID #{index} {ids[index]} -> {value}",
                  _patch(src.raw, module.data + 5 + 2 * index, "<H", value))


def mpr_drop_module(src: Source, rng: np.random.Generator) -> Mutant | None:
    modules = _mpr(src)
    if len(modules) < 2:
        return None
    module = modules[int(rng.integers(len(modules)))]
    end = module.data + module.length
    return Mutant("mpr-module-dropped", f"module {module.name!r} removed", src.raw[:module.start] + src.raw[end:])


def mpr_swap_modules(src: Source, rng: np.random.Generator) -> Mutant | None:
    modules = _mpr(src)
    if len(modules) < 2:
        return None
    i = int(rng.integers(len(modules) - 1))
    a, b = modules[i], modules[i + 1]
    first, second = src.raw[a.start:a.data + a.length], src.raw[b.start:b.data + b.length]
    content = src.raw[:a.start] + second + first + src.raw[b.data + b.length:]
    return Mutant("mpr-modules-swapped", f"modules {a.name!r} and {b.name!r} swapped", content)


def mpr_duplicate_module(src: Source, rng: np.random.Generator) -> Mutant | None:
    modules = _mpr(src)
    if not modules:
        return None
    module = modules[int(rng.integers(len(modules)))]
    block = src.raw[module.start:module.data + module.length]
    end = module.data + module.length
    return Mutant("mpr-module-duplicated", f"module {module.name!r} repeated", src.raw[:end] + block + src.raw[end:])


def mpr_cut_data(src: Source, rng: np.random.Generator) -> Mutant | None:
    module = _data_module(_mpr(src))
    if module is None or module.length < 16:
        return None
    cut = int(rng.integers(module.data + 8, module.data + module.length))
    return Mutant("mpr-data-cut", f"file cut inside the data module at byte {cut}", src.raw[:cut])


def mpr_marker(src: Source, rng: np.random.Generator) -> Mutant | None:
    modules = _mpr(src)
    if not modules:
        return None
    module = modules[int(rng.integers(len(modules)))]
    damaged = bytearray(src.raw)
    damaged[module.start:module.start + 6] = b"MODULf"
    return Mutant("mpr-marker", f"'MODULE' marker of {module.name!r} damaged", bytes(damaged))


# -- zip archives (.ndax, .xlsx): members and XML -------------------------------------------------------


def _members(raw: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(BytesIO(raw)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


@cache
def _inflating_member(mib: int) -> tuple[bytes, int, int]:
    """Raw deflate of ``mib`` MiB of spaces (a few MiB), its CRC-32 and size, built in well under a second."""
    chunk = b" " * (1 << 20)
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return block * mib + deflate.flush(), crc, mib << 20


def write_zip(members: list[tuple[str, Any]]) -> bytes:
    """A zip archive of (name, data) members, deflated; data may be (raw deflate, crc, size) as is."""
    out, central = BytesIO(), BytesIO()
    for name, data in members:
        if isinstance(data, tuple):
            packed, crc, size = data
        else:
            deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed, crc, size = deflate.compress(data) + deflate.flush(), zlib.crc32(data), len(data)
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), size, len(encoded), 0))
        out.write(encoded + packed)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(packed), size,
                                  len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    directory = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central.getvalue()),
                          directory, 0))
    return out.getvalue()


def _zip(src: Source) -> list[tuple[str, bytes]]:
    if not src.raw.startswith(b"PK\x03\x04"):
        return []
    return _members(src.raw)


def _pick(members: list[tuple[str, bytes]], rng: np.random.Generator, prefer: Callable[[str], bool]) -> int:
    preferred = [i for i, (name, _) in enumerate(members) if prefer(name)]
    if preferred and rng.random() < 0.7:
        return int(rng.choice(preferred))
    return int(rng.integers(len(members)))


def _main_member(name: str) -> bool:
    return name == "data.ndc" or name.startswith("xl/worksheets/sheet")


def zip_member_cut(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    if not members:
        return None
    i = _pick(members, rng, _main_member)
    name, data = members[i]
    keep = int(rng.integers(0, max(len(data), 1)))
    members[i] = (name, data[:keep])
    return Mutant("zip-member-cut", f"member {name} cut to {keep} of {len(data)} bytes", write_zip(members))


def zip_member_dropped(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    if len(members) < 2:
        return None
    name, _ = members.pop(int(rng.integers(len(members))))
    return Mutant("zip-member-dropped", f"member {name} removed", write_zip(members))


def zip_member_inflated(src: Source, rng: np.random.Generator) -> Mutant | None:
    members: list[tuple[str, Any]] = list(_zip(src))
    if not members:
        return None
    i = _pick(members, rng, lambda n: n.endswith(".xml") and "worksheets" not in n)
    name, _ = members[i]
    members[i] = (name, _inflating_member(INFLATED_MIB))
    return Mutant("zip-member-inflated", f"member {name} replaced by one inflating to {INFLATED_MIB} MiB",
                  write_zip(members))


def zip_xml_corrupt(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    xml = [i for i, (name, _) in enumerate(members) if name.endswith(".xml")]
    if not xml:
        return None
    i = int(rng.choice(xml))
    name, data = members[i]
    how = int(rng.integers(4))
    if how == 0:
        data, what = data[:len(data) // 2], "cut in half"
    elif how == 1:
        at = int(rng.integers(len(data)))
        data, what = data[:at] + b"<<&\x00" + data[at:], f"junk '<<&\\0' at byte {at}"
    elif how == 2:
        data = re.sub(rb'="[^"]*"', b'="\xff\xfe-9e999"', data, count=3)
        what = "first 3 attribute values -> bytes 0xff 0xfe '-9e999'"
    else:
        bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + b"x" * 10 + b'">'
                + b"".join(b'<!ENTITY %c "%s">' % (98 + k, (b"&%c;" % (97 + k)) * 10) for k in range(7)) + b"]><r>&h;</r>")
        data, what = bomb, "replaced by a 10^8-character entity expansion ('billion laughs')"
    members[i] = (name, data)
    return Mutant("zip-xml-corrupt", f"XML member {name}: {what}", write_zip(members))


def zip_raw_cut(src: Source, rng: np.random.Generator) -> Mutant | None:
    if not src.raw.startswith(b"PK\x03\x04"):
        return None
    cut = int(rng.integers(len(src.raw) // 4, len(src.raw) - 1))
    return Mutant("zip-archive-cut", f"archive cut at byte {cut} of {len(src.raw)} (central directory lost)",
                  src.raw[:cut])


def ndc_chunk_moved(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    at = next((i for i, (name, _) in enumerate(members) if name == "data.ndc"), None)
    if at is None or len(members[at][1]) < 4096:
        return None
    name, data = members[at]
    mutant = _move_bytes(data, rng, 1024)
    members[at] = (name, mutant[1])
    return Mutant("ndc-bytes-moved", f"data.ndc: {mutant[0]}", write_zip(members))


def _xlsx_sheet(members: list[tuple[str, bytes]]) -> int | None:
    sheets = [i for i, (name, _) in enumerate(members) if name.startswith("xl/worksheets/sheet")]
    return max(sheets, key=lambda i: len(members[i][1])) if sheets else None


_ROW = re.compile(rb"<row[ >].*?</row>", re.DOTALL)


def xlsx_rows(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    sheet = _xlsx_sheet(members)
    if sheet is None:
        return None
    name, data = members[sheet]
    rows = list(_ROW.finditer(data))
    if len(rows) < 10:
        return None
    first = int(rng.integers(len(rows) // 4, len(rows) * 3 // 4))
    k = int(rng.integers(1, 4))
    a, b = rows[first].start(), rows[first + k - 1].end()
    if rng.random() < 0.5:
        data, what, delta = data[:a] + data[b:], f"{k} <row> elements removed from row #{first}", -k
    else:
        data, what, delta = data[:b] + data[a:b] + data[b:], f"{k} <row> elements from row #{first} repeated", k
    members[sheet] = (name, data)
    return Mutant("xlsx-rows", f"{name}: {what}", write_zip(members), Expect(rows_delta=delta, detectable=True))


def xlsx_cell(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    sheet = _xlsx_sheet(members)
    if sheet is None:
        return None
    name, data = members[sheet]
    cells = list(re.finditer(rb"<v>[-0-9.Ee+]+</v>", data))
    if not cells:
        return None
    cell = cells[int(rng.integers(len(cells) // 4, len(cells) * 3 // 4 + 1))]
    value = bytes(rng.choice([b"NaN", b"inf", b"", b"1" * LONG_FIELD_CHARS]))
    data = data[:cell.start()] + b"<v>" + value + b"</v>" + data[cell.end():]
    shown = value[:8] + (b"..." if len(value) > 8 else b"")
    members[sheet] = (name, data)
    return Mutant("xlsx-cell", f"{name}: numeric cell at byte {cell.start()} -> {shown!r}", write_zip(members))


def xlsx_unit(src: Source, rng: np.random.Generator) -> Mutant | None:
    members = _zip(src)
    at = next((i for i, (name, _) in enumerate(members) if name == "xl/sharedStrings.xml"), None)
    if at is None:
        return None
    name, data = members[at]
    swaps = [(rb"Voltage\(V\)", b"Voltage(mV)", ("voltage_V", 1e-3)), (rb"Current\(A\)", b"Current(mA)",
             ("current_mA", 1e-3)), (rb"Test_Time\(s\)", b"Test_Time(min)", ("time_s", 60.0))]
    found = [s for s in swaps if re.search(s[0], data)]
    if not found:
        return None
    pattern, new, scale = found[int(rng.integers(len(found)))]
    members[at] = (name, re.sub(pattern, new, data, count=1))
    return Mutant("xlsx-unit", f"shared string {pattern.decode()} -> {new.decode()}", write_zip(members),
                  Expect(scale=scale))


# -- Arbin .res: Jet database pages ---------------------------------------------------------------------


def _data_pages(raw: bytes) -> list[int]:
    """Data pages of the table that owns the most of them (the test's rows)."""
    if not raw.startswith(b"\x00\x01\x00\x00Standard Jet DB") or len(raw) % _JET_PAGE:
        return []
    owners: dict[int, list[int]] = {}
    for page in range(1, len(raw) // _JET_PAGE):
        at = page * _JET_PAGE
        if raw[at] == 0x01 and raw[at + 1] == 0x01:
            owners.setdefault(struct.unpack_from("<I", raw, at + 4)[0], []).append(page)
    return max(owners.values(), key=len) if owners else []


def res_blank_page(src: Source, rng: np.random.Generator) -> Mutant | None:
    pages = _data_pages(src.raw)
    if not pages:
        return None
    page = int(rng.choice(pages))
    damaged = bytearray(src.raw)
    if rng.random() < 0.5:
        damaged[page * _JET_PAGE:(page + 1) * _JET_PAGE] = bytes(_JET_PAGE)
        what = "zeroed"
    else:
        damaged[page * _JET_PAGE + 12:page * _JET_PAGE + 14] = b"\x00\x00"
        what = "row count set to 0"
    return Mutant("res-page-blanked", f"data page {page} (one of {len(pages)} data pages) {what}", bytes(damaged))


def res_swap_pages(src: Source, rng: np.random.Generator) -> Mutant | None:
    pages = _data_pages(src.raw)
    if len(pages) < 2:
        return None
    a, b = (int(p) for p in rng.choice(pages, size=2, replace=False))
    if rng.random() < 0.3:
        b = int(rng.integers(1, len(src.raw) // _JET_PAGE))
    damaged = bytearray(src.raw)
    page_a = src.raw[a * _JET_PAGE:(a + 1) * _JET_PAGE]
    damaged[a * _JET_PAGE:(a + 1) * _JET_PAGE] = src.raw[b * _JET_PAGE:(b + 1) * _JET_PAGE]
    damaged[b * _JET_PAGE:(b + 1) * _JET_PAGE] = page_a
    return Mutant("res-pages-swapped", f"pages {a} and {b} swapped", bytes(damaged))


def res_copy_page(src: Source, rng: np.random.Generator) -> Mutant | None:
    pages = _data_pages(src.raw)
    if len(pages) < 2:
        return None
    a, b = (int(p) for p in rng.choice(pages, size=2, replace=False))
    damaged = bytearray(src.raw)
    damaged[b * _JET_PAGE:(b + 1) * _JET_PAGE] = src.raw[a * _JET_PAGE:(a + 1) * _JET_PAGE]
    return Mutant("res-page-copied", f"data page {a} copied over data page {b}", bytes(damaged))


def res_cut_pages(src: Source, rng: np.random.Generator) -> Mutant | None:
    pages = _data_pages(src.raw)
    if not pages:
        return None
    keep = int(rng.integers(max(pages) // 2, max(pages) + 1))
    return Mutant("res-pages-cut", f"file cut after page {keep - 1} (whole pages, {keep} of "
                  f"{len(src.raw) // _JET_PAGE})", src.raw[:keep * _JET_PAGE])


# -- Neware .nda: header and record area ----------------------------------------------------------------


def _move_bytes(data: bytes, rng: np.random.Generator, begin: int) -> tuple[str, bytes]:
    size = int(rng.choice([1, 7, 59, 512]))
    a = int(rng.integers(begin, len(data) - size))
    b = int(rng.integers(begin, len(data) - size))
    how = int(rng.integers(3))
    if how == 0:
        return f"{size} bytes at {a} deleted", data[:a] + data[a + size:]
    if how == 1:
        return f"{size} bytes inserted at {a}", data[:a] + bytes(size) + data[a:]
    chunk = data[a:a + size]
    rest = data[:a] + data[a + size:]
    return f"{size} bytes moved from {a} to {b}", rest[:b] + chunk + rest[b:]


def nda_version(src: Source, rng: np.random.Generator) -> Mutant | None:
    if not src.raw.startswith(b"NEWARE") or len(src.raw) < 256:
        return None
    value = int(rng.choice([v for v in (0, 8, 29, 130, 255) if v != src.raw[14]]))
    return Mutant("nda-version", f"version byte 14: {src.raw[14]} -> {value}", _patch(src.raw, 14, "B", value))


def nda_header_blocks(src: Source, rng: np.random.Generator) -> Mutant | None:
    if not src.raw.startswith(b"NEWARE") or len(src.raw) < 256:
        return None
    at = int(rng.choice([18, 26, 34, 42, 64, 68, 72, 76]))
    size = 8 if at < 64 else 4
    old = int.from_bytes(src.raw[at:at + size], "little")
    value = int(rng.choice([0, old + 1, max(old - 1, 0), old * 2, 2 ** (8 * size) - 1])) % 2 ** (8 * size)
    return Mutant("nda-header-block", f"header field at byte {at} ({size} bytes): {old} -> {value}",
                  _patch(src.raw, at, "<Q" if size == 8 else "<I", value))


def nda_bytes_moved(src: Source, rng: np.random.Generator) -> Mutant | None:
    if not src.raw.startswith(b"NEWARE") or len(src.raw) < 4096:
        return None
    what, content = _move_bytes(src.raw, rng, 1024)
    return Mutant("nda-bytes-moved", what, content)


TEXT_KINDS: tuple[Callable[[Source, np.random.Generator], Mutant | None], ...] = (
    text_eol_swap, text_eol_cr, text_eol_mixed, text_bom, text_utf16, text_recode, text_no_final_newline,
    text_trailing_blank, text_blank_lines, text_rows_removed, text_rows_duplicated, text_rows_reversed,
    text_last_line_cut, text_truncated, text_nan_cell, text_inf_cell, text_empty_cell, text_long_field,
    text_nan_column, text_decimal_comma, text_unit_change, text_header_flips, text_stray_quotes,
)
BINARY_KINDS: tuple[Callable[[Source, np.random.Generator], Mutant | None], ...] = (
    binary_head_flips, binary_truncated,
    mpr_length, mpr_version, mpr_points, mpr_columns, mpr_column_id, mpr_drop_module, mpr_swap_modules,
    mpr_duplicate_module, mpr_cut_data, mpr_marker,
    zip_member_cut, zip_member_dropped, zip_member_inflated, zip_xml_corrupt, zip_raw_cut, ndc_chunk_moved,
    xlsx_rows, xlsx_cell, xlsx_unit,
    res_blank_page, res_swap_pages, res_copy_page, res_cut_pages,
    nda_version, nda_header_blocks, nda_bytes_moved,
)


_FAMILIES = {"mpr_": b"BIO-LOGIC MODULAR FILE", "res_": b"\x00\x01\x00\x00Standard Jet DB", "nda_": b"NEWARE"}


def kinds_for(src: Source) -> list[Callable[[Source, np.random.Generator], Mutant | None]]:
    """The kinds that apply to a file (text kinds that map columns need ``src.baseline``)."""
    if src.text is not None:
        probe = np.random.default_rng(0)
        return [k for k in (*TEXT_KINDS, body_flips) if k(src, probe) is not None]
    chosen: list[Callable[[Source, np.random.Generator], Mutant | None]] = [binary_head_flips, binary_truncated,
                                                                           body_flips]
    for prefix, magic in _FAMILIES.items():
        if src.raw.startswith(magic):
            chosen += [k for k in BINARY_KINDS if k.__name__.startswith(prefix)]
    if src.raw.startswith(b"PK\x03\x04"):
        names = {name for name, _ in _members(src.raw)}
        extra = "ndc_" if "data.ndc" in names else "xlsx_"
        chosen += [k for k in BINARY_KINDS if k.__name__.startswith(("zip_", extra))]
    return chosen


ALL_KINDS = {kind.__name__: kind for kind in (*TEXT_KINDS, *BINARY_KINDS, body_flips)}
