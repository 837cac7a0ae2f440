"""Tables mapped by header names and units: BDF, BatteryArchive and the generic CSV/TSV reader.

Units are never guessed: a time, voltage, current, capacity or temperature column must carry its
unit in its header (``time/s``, ``Current (A)``, ``Voltage / V``, ``I_mA``, ``Ewe [V]``), in a
units row under the names, or in a sidecar YAML (``<file>.meta.yaml`` or ``<stem>.yaml``). The
one accepted exception are impedance tables (``Freq, Real, Imag`` or three bare numeric columns),
whose only unit in use is Hz and ohm; the record's provenance notes say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import (
    NEEDS_UNIT,
    Column,
    converted,
    describe_columns,
    imaginary_sign_note,
    numeric,
    pick,
    record_from_columns,
    spectra_from_arrays,
)
from anodelab.io.common import decode, read_lines_head, unique_names
from anodelab.io.layout import Layout, fit_names, read_table_body, sniff_layout

# -- sidecar metadata ---------------------------------------------------------------------------------


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


# -- the readers --------------------------------------------------------------------------------------

_TABLE_EXPECTED = "a delimited table with named columns and units (time, voltage, current ...) or an impedance table"


def _load(path: Path, expected: str) -> tuple[Layout, list[Column], dict[str, NDArray[Any]], list[str]]:
    lines, _ = read_lines_head(path, expected)
    layout = sniff_layout(lines)
    if layout is None:
        raise ReadError(path, "no block of numeric data rows found", expected=expected)
    notes: list[str] = []
    if layout.names is None:
        names = [f"column_{i + 1}" for i in range(layout.n_fields)]
        table = read_table_body(path, layout, names, expected)
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


def read_table(path: Path) -> Record | SpectrumSeries:
    """A CSV/TSV/whitespace table mapped by header names and units.

    Cycling or potentiostat columns give a :class:`Record`; frequency with Re(Z)/Im(Z) (or |Z| and
    phase) and no voltage column give a :class:`SpectrumSeries`; a headerless table of three
    numeric columns is read as frequency (Hz), Re(Z) and Im(Z) (ohm), with the sign of Im(Z)
    decided from the data (a capacitive spectrum has Im(Z) < 0 at most points).
    """
    path = Path(path)
    expected = _TABLE_EXPECTED
    layout, columns, table, notes = _load(path, expected)
    if layout.names is None:
        return _headerless_spectra(path, table, notes)
    roles = {c.role for c in columns}
    impedance = "frequency" in roles and ({"z_real", "z_imag"} <= roles or {"z_mod", "phase"} <= roles)
    if impedance and _every_row_has_a_frequency(table, pick(columns, "frequency")):
        return _spectra_from_table(path, table, columns, notes)  # time, <Ewe>, I are each spectrum's context
    if "voltage" in roles and ("time" in roles or "current" in roles):
        return record_from_columns(path, table, columns, instrument="unknown (generic table)",
                                   techniques=_techniques(columns), expected=expected, notes=notes)
    if impedance:
        return _spectra_from_table(path, table, columns, notes)
    names = [c.key for c in columns]
    if any(re.match(r"(?i)^(min|max)[_ ]", n) for n in names) and "cycle" in roles:
        raise ReadError(path, "this is a per-cycle summary (Min_/Max_ columns per cycle), not a time series",
                        expected="a time series with time, voltage and current columns")
    missing = (["voltage"] if "voltage" not in roles else []) + ([] if roles & {"time", "current"} else ["time or current"])
    raise ReadError(path, f"columns {', '.join(repr(n) for n in names[:8])} hold no {' and no '.join(missing)} column",
                    expected=expected)


def _every_row_has_a_frequency(table: Mapping[str, NDArray[Any]], column: Column | None) -> bool:
    """An impedance table, not a cycling table with impedance columns filled on a few rows."""
    values = np.asarray(table[column.key]) if column is not None else np.zeros(0)
    return values.dtype.kind == "f" and values.size > 0 and bool(np.all(values > 0))


def _techniques(columns: Sequence[Column]) -> tuple[str, ...]:
    roles = {c.role for c in columns}
    return ("cycling",) if roles & {"capacity", "charge_capacity", "discharge_capacity", "cycle", "step"} else ("unknown",)


def _headerless_spectra(path: Path, table: Mapping[str, NDArray[Any]], notes: list[str]) -> SpectrumSeries:
    if len(table) != 3:
        raise ReadError(path, f"table without header has {len(table)} columns; without names only a three-column "
                        "impedance table (f, Re(Z), Im(Z)) can be read", expected="a header row naming the columns")
    frequency, real, imag = (np.asarray(v, dtype=np.float64) for v in table.values())
    if not (np.all(frequency > 0) and frequency.size > 1):
        raise ReadError(path, "first column is not a positive frequency", expected="three columns f (Hz), Re(Z), Im(Z) (ohm)")
    positive = int(np.count_nonzero(imag > 0))
    if positive > imag.size / 2:
        imag = -imag
        decision = (f"third column stores -Im(Z): {positive} of {imag.size} points are positive, a capacitive "
                    "spectrum has Im(Z) < 0 at most points; flipped")
    else:
        decision = (f"third column stores Im(Z) as measured: {imag.size - positive} of {imag.size} points are "
                    "<= 0 (capacitive); kept")
    notes = notes + ["headerless table read as frequency (Hz), Re(Z) (ohm), Im(Z) (ohm)", decision]
    return spectra_from_arrays(path, frequency, real, imag, instrument="unknown (headerless impedance table)", notes=notes)


def _spectra_from_table(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column],
                        notes: list[str]) -> SpectrumSeries:
    expected = "an impedance table with frequency, Re(Z) and Im(Z) columns"
    notes = list(notes)
    frequency = pick(columns, "frequency")
    if frequency is None:
        raise ReadError(path, "no frequency column", expected=expected)
    unitless = [c.key for c in columns if c.role in ("frequency", "z_real", "z_imag", "z_mod") and c.unit is None]
    if unitless:
        notes.append(f"no units for {', '.join(unitless)}: frequency taken as Hz and impedance as ohm "
                     "(the only units impedance tables use)")

    def values(column: Column, dimension: str) -> NDArray[np.float64]:
        if column.unit is None:
            data = numeric(path, table, column, expected)
            return -data if column.negated else data
        return converted(path, table, column, expected)

    f = values(frequency, "frequency")
    real_col, imag_col = pick(columns, "z_real"), pick(columns, "z_imag")
    if real_col is not None and imag_col is not None:
        real, imag = values(real_col, "impedance"), values(imag_col, "impedance")
        if imag_col.negated:
            notes.append(f"'{imag_col.key}' stores -Im(Z): flipped to the physical sign")
        if (note := imaginary_sign_note(imag, f"'{imag_col.key}'")):
            notes.append(note)
    else:
        modulus, phase = values(pick(columns, "z_mod"), "impedance"), values(pick(columns, "phase"), "angle")  # type: ignore[arg-type]
        radians = np.radians(phase)
        real, imag = modulus * np.cos(radians), modulus * np.sin(radians)
        notes.append("Re(Z), Im(Z) computed from |Z| and phase")
    context: dict[str, NDArray[np.float64]] = {}
    for role, name in (("time", "time_s"), ("voltage", "voltage_V"), ("current", "current_mA"), ("cycle", "cycle"),
                       ("temperature", "temperature_C")):
        column = pick(columns, role)
        if column is not None and (column.unit is not None or role == "cycle"):
            context[name] = converted(path, table, column, expected, finite=False)
    if "time_s" in context and np.isfinite(context["time_s"]).any():
        context["time_s"] = context["time_s"] - context["time_s"][np.isfinite(context["time_s"])][0]
    return spectra_from_arrays(path, f, real, imag, instrument="unknown (generic table)", notes=notes, context=context)


def read_bdf(path: Path) -> Record:
    """Battery Data Format CSV (``Test Time / s``, ``Voltage / V``, ``Current / A``, ``Step Index / 1`` ...).

    Units come from the ``Name / unit`` headers. The current sign is checked against the file's
    ``Step Type`` labels or charge/discharge counters and flipped if charge is stored negative.
    """
    path = Path(path)
    expected = "a Battery Data Format CSV ('Name / unit' headers with Test Time, Voltage and Current)"
    layout, columns, table, notes = _load(path, expected)
    if layout.names is None or not any(re.search(r"\S / \S", c.key) for c in columns):
        raise ReadError(path, "header has no 'Name / unit' columns", expected=expected)
    for role in ("voltage", "current"):
        if pick(columns, role) is None:
            raise ReadError(path, f"no {role} column", expected=expected)
    return record_from_columns(path, table, columns, instrument="unknown (Battery Data Format)",
                               techniques=("cycling",), expected=expected, notes=notes)


def read_batteryarchive(path: Path) -> Record:
    """BatteryArchive.org time series CSV (``Date_Time, Test_Time (s), Cycle_Index, Current (A), Voltage (V)`` ...).

    The ``*_cycle_data.csv`` files are per-cycle summaries and are refused with a ReadError that says so.
    """
    path = Path(path)
    expected = "a BatteryArchive time-series CSV (Test_Time (s), Current (A), Voltage (V), ...)"
    layout, columns, table, notes = _load(path, expected)
    keys = [c.key for c in columns]
    if any(k.startswith(("Min_", "Max_")) for k in keys) and "Voltage (V)" not in keys:
        raise ReadError(path, "this is a BatteryArchive per-cycle summary (cycle_data), not a time series",
                        expected="the matching *_timeseries.csv")
    for name in ("Test_Time (s)", "Current (A)", "Voltage (V)"):
        if name not in keys:
            raise ReadError(path, f"no {name!r} column", expected=expected)
    return record_from_columns(path, table, columns, instrument="unknown (BatteryArchive.org)",
                               techniques=("cycling",), expected=expected, notes=notes)
