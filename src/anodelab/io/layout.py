"""Where a table sits in a text file: separator, header and units rows, first data line; parsing its
body; and the whole table with its columns described (units from the header, a units row or a sidecar)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.io.columns import (
    NEEDS_UNIT,
    Column,
    describe_columns,
    normal_name,
    role_of,
    unquote,
)
from anodelab.io.common import (
    decode,
    is_number,
    read_delimited,
    read_lines_head,
    unique_names,
    uses_decimal_comma,
)
from anodelab.io.units import unit_dimension

# -- text layout sniffing ----------------------------------------------------------------------------

_SEPARATORS: tuple[str | None, ...] = ("\t", ";", ",", None)  # None: runs of whitespace


@dataclass(frozen=True)
class Layout:
    """Where a delimited table sits in a text file."""

    separator: str | None
    data_line: int  # index of the first data line
    names: tuple[str, ...] | None  # None: no header
    units: tuple[str, ...] | None  # a units row under the names, when present
    decimal_comma: bool
    n_fields: int


def _fields(line: str, separator: str | None) -> list[str]:
    return [unquote(f) for f in (line.split(separator) if separator else line.split())]


def _numeric_line(fields: list[str], decimal_comma: bool) -> bool:
    filled = [f for f in fields if f]
    numbers = sum(is_number(f, decimal_comma) for f in filled)
    return len(fields) >= 2 and numbers >= 2 and numbers * 2 >= len(filled)


def sniff_layout(lines: Sequence[str]) -> Layout | None:
    """Find separator, header, units row and first data line (None when no table is found)."""
    for separator in _SEPARATORS:
        decimal_comma = separator != ","
        start = _first_data_run(lines, separator, decimal_comma)
        if start is None:
            continue
        n_fields = len(_fields(lines[start], separator))
        names, units = _header_above(lines, start, separator)
        comma = decimal_comma and uses_decimal_comma(_fields(lines[start], separator))
        return Layout(separator, start, names, units, comma, n_fields)
    return None


def _first_data_run(lines: Sequence[str], separator: str | None, decimal_comma: bool) -> int | None:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for position, index in enumerate(filled):
        fields = _fields(lines[index], separator)
        if not _numeric_line(fields, decimal_comma):
            continue
        following = filled[position: position + 3]
        if all(len(_fields(lines[i], separator)) == len(fields) and _numeric_line(_fields(lines[i], separator), decimal_comma)
               for i in following):
            return index
    return None


def _header_above(lines: Sequence[str], start: int, separator: str | None) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    above = [i for i in range(start - 1, -1, -1) if lines[i].strip()][:2]
    if not above:
        return None, None
    first = _fields(lines[above[0]], separator)
    if len(first) < 2:
        return None, None
    if len(above) == 2:
        second = _fields(lines[above[1]], separator)
        if len(second) == len(first) and _looks_like_units(first):
            return tuple(second), tuple(first)
    return tuple(first), None


def _looks_like_units(fields: list[str]) -> bool:
    filled = [f for f in fields if f]
    known = sum(unit_dimension(f) is not None for f in filled)
    return bool(filled) and known * 2 >= len(filled) and not any(role_of(normal_name(f))[0] for f in filled
                                                                  if unit_dimension(f) is None)


def fit_names(names: Sequence[str], n_fields: int) -> list[str]:
    """Header names matched to the data rows' field count: trailing empty names (a separator at the
    end of the header line only) are dropped, missing names are added as empty."""
    names = list(names)
    while len(names) > n_fields and not names[-1].strip():
        names.pop()
    return names + [""] * (n_fields - len(names))


def read_table_body(path: Path, layout: Layout, names: list[str], expected: str,
                    notes: list[str]) -> dict[str, NDArray[Any]]:
    """Parse the data rows. Whitespace tables are parsed here, others by polars.

    A last row cut short (fewer fields, no final newline) is dropped; rows without any value and
    blank lines inside the table are dropped too (see :func:`_drop_empty_rows`). ``notes`` gets a
    note for each.
    """
    if layout.separator is None:
        return _read_whitespace(path, layout, names, expected, notes)
    table = read_delimited(path, names, skip_lines=layout.data_line, separator=layout.separator,
                           decimal_comma=layout.decimal_comma, expected=expected)
    notes.extend(table.notes)
    return _drop_empty_rows(table.columns, notes)


def _drop_empty_rows(columns: dict[str, NDArray[Any]], notes: list[str]) -> dict[str, NDArray[Any]]:
    """Drop the rows that hold no value in any cell (blank lines, which polars reads as rows of nulls, and
    a spreadsheet's rows of separators only), noting how many and where.

    Empty rows after the last row with a value are a spreadsheet's padding; empty rows between rows
    with values are noted with their data row numbers. A row with text in any cell but no number
    holds data and is kept (the readers then refuse it or note it where a number is needed).
    """
    size = next(iter(columns.values())).size if columns else 0
    empty = np.ones(size, dtype=bool)
    for values in columns.values():
        if values.dtype.kind == "f":
            empty &= np.isnan(values)
    for values in columns.values():  # text cells, on the rows without a number only
        if values.dtype.kind != "f" and empty.any():
            candidates = np.flatnonzero(empty)
            empty[candidates] = [v is None or not str(v).strip() for v in values[candidates]]
    if not empty.any():
        return columns
    filled = np.flatnonzero(~empty)
    end = int(filled[-1]) + 1 if filled.size else 0
    inside = np.flatnonzero(empty[:end])
    padding = empty.size - end
    if inside.size:
        where = ", ".join(str(int(row) + 1) for row in inside[:10]) + (" ..." if inside.size > 10 else "")
        notes.append(f"{inside.size} empty row(s) or blank line(s) inside the table (data rows {where}, blank "
                     "lines counted) hold no value and are dropped")
    if padding:
        notes.append(f"{padding} empty row(s) after the table (from data row {end + 1}; a spreadsheet's padding) "
                     "hold no value and are dropped")
    keep = ~empty
    return {name: values[keep] for name, values in columns.items()}


def _read_whitespace(path: Path, layout: Layout, names: list[str], expected: str,
                     notes: list[str]) -> dict[str, NDArray[Any]]:
    with path.open("rb") as handle:
        text = decode(handle.read())
    body = text.split("\n")[layout.data_line:]
    filled = [i for i, line in enumerate(body) if line.strip()]
    blank = [i for i in range(filled[0], filled[-1]) if not body[i].strip()] if filled else []
    if blank:
        where = ", ".join(str(i + 1) for i in blank[:10]) + (" ..." if len(blank) > 10 else "")
        notes.append(f"{len(blank)} blank line(s) inside the table (data rows {where}, blank lines counted) "
                     "hold no value and are dropped")
    lines = [body[i] for i in filled]
    rows = [line.split() for line in lines]
    counts = {len(row) for row in rows}
    if counts != {layout.n_fields}:
        bad = next(i for i, row in enumerate(rows) if len(row) != layout.n_fields)
        raise ReadError(path, f"data row {bad + 1} has {len(rows[bad])} fields, the first has {layout.n_fields}",
                        expected=expected)
    try:
        values = np.array(rows, dtype=np.float64).reshape(len(rows), layout.n_fields)
    except ValueError:
        raise ReadError(path, "a whitespace-separated data row holds a non-numeric field", expected=expected) from None
    return {name: values[:, i].copy() for i, name in enumerate(names[: layout.n_fields])}


# -- sidecar metadata and whole tables ---------------------------------------------------------------------------------


def sidecar_units(path: Path) -> tuple[dict[str, str], list[str]]:
    """Column units from a YAML sidecar (``<file>.meta.yaml``, ``<stem>.yaml``, ``<file>.yaml``).

    Every list item with scalar ``name`` and ``unit`` keys (echemdb ``fields`` / ``fieldUnits``)
    counts; an optional ``reference`` (electrode) goes to the notes. Read with a small line parser
    of that YAML subset, so PyYAML is not needed. Returns (name -> unit, notes).
    """
    candidates = [path.with_name(path.name + ".meta.yaml"), path.with_name(path.stem + ".yaml"),
                  path.with_name(path.name + ".yaml")]
    sidecar = next((c for c in candidates if c.is_file()), None)
    if sidecar is None:
        return {}, []
    with sidecar.open("rb") as handle:
        text = decode(handle.read(1 << 20))
    units: dict[str, str] = {}
    notes: list[str] = []
    for entry in _yaml_list_items(text):
        if "name" in entry and "unit" in entry:
            units.setdefault(entry["name"], entry["unit"])
            if entry.get("reference"):
                notes.append(f"{entry['name']} is vs. {entry['reference']} (from sidecar {sidecar.name})")
    if units:
        notes.insert(0, f"units of {', '.join(sorted(units))} from sidecar {sidecar.name}")
    return units, notes


def _yaml_list_items(text: str) -> list[dict[str, str]]:
    """Scalar keys of every YAML block-list item (``- key: value`` plus same-indent ``key: value`` lines)."""
    items: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    indent = -1
    for raw in text.splitlines():
        line = raw.rstrip()
        item = re.match(r"^(\s*)-\s+([\w ]+):\s*(.*)$", line)
        pair = re.match(r"^(\s*)([\w ]+):\s*(.*)$", line)
        if item:
            current, indent = {}, len(item.group(1)) + 2
            items.append(current)
            current[item.group(2).strip()] = _yaml_scalar(item.group(3))
        elif pair and current is not None and len(pair.group(1)) == indent:
            current[pair.group(2).strip()] = _yaml_scalar(pair.group(3))
        elif pair and len(pair.group(1)) < indent:
            current, indent = None, -1
    return items


def _yaml_scalar(text: str) -> str:
    text = re.sub(r"\s+#.*$", "", text).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def load_table(path: Path, expected: str) -> tuple[Layout, list[Column], dict[str, NDArray[Any]], list[str]]:
    """Sniff the layout, parse the body and describe the columns (units from the header, a units row or a sidecar)."""
    lines, _ = read_lines_head(path, expected)
    layout = sniff_layout(lines)
    if layout is None:
        raise ReadError(path, "no block of numeric data rows found", expected=expected)
    notes: list[str] = []
    if layout.names is None:
        names = [f"column_{i + 1}" for i in range(layout.n_fields)]
        table = read_table_body(path, layout, names, expected, notes)
        return layout, [], table, notes
    names = unique_names(fit_names(layout.names, layout.n_fields))
    table = read_table_body(path, layout, names, expected, notes)
    units: dict[str, str] | None = None
    if layout.units is not None:
        units = {name: unit for name, unit in zip(names, layout.units) if name and unit}
        notes.append("units from the units row under the column names")
    columns = describe_columns([n for n in names if n in table], units)
    if any(c.role in NEEDS_UNIT and c.unit is None for c in columns):
        side, side_notes = sidecar_units(path)
        if side:
            merged = dict(units or {})
            merged.update({c.key: side[c.name] for c in columns if c.unit is None and c.name in side})
            columns = describe_columns([n for n in names if n in table], merged)
        notes += side_notes
    return layout, columns, table, notes
