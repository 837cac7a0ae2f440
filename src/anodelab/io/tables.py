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

from anodelab.core.cycles import CycleTable
from anodelab.core.errors import AnodelabError, ReadError
from anodelab.core.record import Provenance, Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import (
    ROLES,
    Column,
    converted,
    extra_name,
    is_empty_column,
    note_point_indices,
    numeric,
    pick,
    record_from_columns,
    spectra_from_arrays,
    spectra_from_table,
    techniques_of,
)
from anodelab.io.layout import fit_names, load_table
from anodelab.io.units import CANONICAL_UNIT, unit_dimension, unit_scale

# -- the readers --------------------------------------------------------------------------------------

_TABLE_EXPECTED = "a delimited table with named columns and units (time, voltage, current ...) or an impedance table"


def read_table(path: Path) -> Record | SpectrumSeries | CycleTable:
    """A CSV/TSV/whitespace table mapped by header names and units.

    Cycling or potentiostat columns give a :class:`Record`; frequency with Re(Z)/Im(Z) (or |Z| and
    phase) give a :class:`SpectrumSeries` when most rows have a frequency (rows without a valid
    one are left out and listed in the notes) or when there is no voltage column; one row per
    cycle (see :func:`is_cycle_table`) gives a :class:`CycleTable`; a headerless table of three
    numeric columns is read as frequency (Hz), Re(Z) and Im(Z) (ohm), with the sign of Im(Z)
    decided from the data (a capacitive spectrum has Im(Z) < 0 at most points). A point-index column
    (``number``, ``index``, pandas' unnamed first column; see :func:`is_point_index`) that skips,
    repeats or steps back is noted.
    """
    path = Path(path)
    expected = _TABLE_EXPECTED
    layout, columns, table, notes = load_table(path, expected)
    if layout.names is None:
        return _headerless_spectra(path, table, notes)
    note_point_indices(fit_names(layout.names, layout.n_fields), table, notes)
    roles = {c.role for c in columns}
    impedance = "frequency" in roles and ({"z_real", "z_imag"} <= roles or {"z_mod", "phase"} <= roles)
    if impedance and _mostly_frequencies(table, pick(columns, "frequency")):
        return spectra_from_table(path, table, columns, notes)  # time, <Ewe>, I are each spectrum's context
    if "voltage" in roles and ("time" in roles or "current" in roles):
        return record_from_columns(path, table, columns, instrument="unknown (generic table)",
                                   techniques=techniques_of(columns), expected=expected, notes=notes)
    if impedance:
        return spectra_from_table(path, table, columns, notes)
    if is_cycle_table(table, columns):
        return cycle_table_from_columns(path, table, columns, notes)
    names = [c.key for c in columns]
    missing = (["voltage"] if "voltage" not in roles else []) + ([] if roles & {"time", "current"} else ["time or current"])
    raise ReadError(path, f"columns {', '.join(repr(n) for n in names[:8])} hold no {' and no '.join(missing)} column",
                    expected=expected)


def _mostly_frequencies(table: Mapping[str, NDArray[Any]], column: Column | None) -> bool:
    """An impedance table (a frequency > 0 on most rows), not a cycling table with impedance columns
    filled on a few rows. Rows without a valid frequency are dropped, with a note, by the spectra builder."""
    values = np.asarray(table[column.key]) if column is not None else np.zeros(0)
    if values.dtype.kind != "f" or values.size == 0:
        return False
    return int(np.count_nonzero(np.isfinite(values) & (values > 0))) * 2 > values.size


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


def read_bdf(path: Path) -> Record:
    """Battery Data Format CSV (``Test Time / s``, ``Voltage / V``, ``Current / A``, ``Step Index / 1`` ...).

    Units come from the ``Name / unit`` headers. The current sign is checked against the file's
    ``Step Type`` labels or charge/discharge counters and flipped if charge is stored negative.
    """
    path = Path(path)
    expected = "a Battery Data Format CSV ('Name / unit' headers with Test Time, Voltage and Current)"
    layout, columns, table, notes = load_table(path, expected)
    if layout.names is None or not any(re.search(r"\S / \S", c.key) for c in columns):
        raise ReadError(path, "header has no 'Name / unit' columns", expected=expected)
    for role in ("voltage", "current"):
        if pick(columns, role) is None:
            raise ReadError(path, f"no {role} column", expected=expected)
    return record_from_columns(path, table, columns, instrument="unknown (Battery Data Format)",
                               techniques=("cycling",), expected=expected, notes=notes)


def read_batteryarchive(path: Path) -> Record:
    """BatteryArchive.org time series CSV (``Date_Time, Test_Time (s), Cycle_Index, Current (A), Voltage (V)`` ...).

    The ``*_cycle_data.csv`` files are per-cycle summaries: this reader refuses them, the
    ``cycle-table`` format (:func:`read_cycle_table`) reads them.
    """
    path = Path(path)
    expected = "a BatteryArchive time-series CSV (Test_Time (s), Current (A), Voltage (V), ...)"
    _, columns, table, notes = load_table(path, expected)
    keys = [c.key for c in columns]
    if any(k.startswith(("Min_", "Max_")) for k in keys) and "Voltage (V)" not in keys:
        raise ReadError(path, "this is a BatteryArchive per-cycle summary (cycle_data), not a time series; "
                        "the cycle-table format reads it", expected="the matching *_timeseries.csv")
    for name in ("Test_Time (s)", "Current (A)", "Voltage (V)"):
        if name not in keys:
            raise ReadError(path, f"no {name!r} column", expected=expected)
    return record_from_columns(path, table, columns, instrument="unknown (BatteryArchive.org)",
                               techniques=("cycling",), expected=expected, notes=notes)


# -- per-cycle summaries ------------------------------------------------------------------------------

_CYCLE_EXPECTED = ("a per-cycle summary table: one row per cycle, a cycle index and charge and/or discharge "
                   "capacity columns with units")
#: role -> CycleTable column for the roles a per-cycle summary shares with time series
_CYCLE_COLUMNS = {"charge_capacity": "charge_capacity_mAh", "discharge_capacity": "discharge_capacity_mAh",
                  "charge_energy": "charge_energy_mWh", "discharge_energy": "discharge_energy_mWh",
                  "time": "test_time_s"}
#: dimensions whose extra columns a cycle table converts to their canonical unit
_CONVERTED_DIMENSIONS = frozenset(dimension for dimension, _ in ROLES.values()) - {"count"}


def read_cycle_table(path: Path) -> CycleTable:
    """A per-cycle summary (BatteryArchive ``cycle_data``, CALCE, cycler statistics exports) as a :class:`CycleTable`.

    Capacities become mAh, energies mWh, times s; every other column with a known unit is kept
    in its canonical unit (``Min_Current (A)`` -> ``min_current_mA``), other columns as in the file.
    """
    path = Path(path)
    layout, columns, table, notes = load_table(path, _CYCLE_EXPECTED)
    if layout.names is None or not is_cycle_table(table, columns):
        raise ReadError(path, "not a per-cycle summary (no cycle column that increases row by row next to "
                        "charge/discharge capacity columns)", expected=_CYCLE_EXPECTED)
    return cycle_table_from_columns(path, table, columns, notes)


def is_cycle_table(table: Mapping[str, NDArray[Any]], columns: Sequence[Column]) -> bool:
    """One row per cycle: a strictly increasing cycle column, capacity counters, and no voltage/current series."""
    roles = {c.role for c in columns}
    cycle = pick(columns, "cycle")
    if cycle is None or not roles & {"charge_capacity", "discharge_capacity"} or {"voltage", "current"} <= roles:
        return False
    values = np.asarray(table[cycle.key])
    return (values.dtype.kind == "f" and values.size > 0 and bool(np.all(np.isfinite(values)))
            and bool(np.all(np.diff(values) > 0)))


def cycle_table_from_columns(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column],
                             notes: Sequence[str]) -> CycleTable:
    """Convert the columns of a per-cycle summary (see :func:`read_cycle_table`) and build the CycleTable."""
    notes = list(notes)
    cycle = pick(columns, "cycle")
    if cycle is None:
        raise ReadError(path, "no cycle column", expected=_CYCLE_EXPECTED)
    out: dict[str, NDArray[Any]] = {"cycle": numeric(path, table, cycle, _CYCLE_EXPECTED)}
    chosen = {role: pick(columns, role) for role in _CYCLE_COLUMNS}
    empty: list[str] = []
    for column in columns:
        if column.key == cycle.key:
            continue
        if is_empty_column(table[column.key]):
            empty.append(column.key)
            continue
        if column.role in _CYCLE_COLUMNS and chosen[column.role] == column:
            name, data = _CYCLE_COLUMNS[column.role], converted(path, table, column, _CYCLE_EXPECTED, finite=False)
        else:
            name, data = _converted_extra(path, table, column)
        while name in out:
            name += "_2"
        out[name] = data
    if empty:
        notes.append(f"columns without any value not kept: {', '.join(repr(k) for k in empty)}")
    for name, values in out.items():
        if values.dtype.kind == "f" and not (finite := np.isfinite(values)).all():
            cycles = ", ".join(f"{c:g}" for c in out["cycle"][~finite][:10]) + (" ..." if (~finite).sum() > 10 else "")
            notes.append(f"{name} is empty or not a finite number in {int((~finite).sum())} row(s) (cycles {cycles}); "
                         "kept as read (NaN or inf)")
    notes.append("per-cycle summary as published in the file (one row per cycle); capacities in mAh, energies in "
                 "mWh, times in s; the file's cycle numbers are kept as they are")
    provenance = Provenance(instrument="unknown (per-cycle summary table)", techniques=("cycling summary",),
                            notes=tuple(notes))
    try:
        return CycleTable.from_columns(out, provenance=provenance)
    except AnodelabError as error:
        raise ReadError(path, str(error), expected=_CYCLE_EXPECTED) from None


def _converted_extra(path: Path, table: Mapping[str, NDArray[Any]], column: Column) -> tuple[str, NDArray[Any]]:
    """An extra column of a cycle table: in its canonical unit when its unit is known, else as in the file."""
    values = np.asarray(table[column.key])
    dimension = unit_dimension(column.unit)
    name, unit = column.name, column.unit
    if unit is None and (match := re.match(r"^(.*\S)\s*[(\[]([^()\[\]]+)[)\]]$", name)):
        name, unit = match.group(1), match.group(2)  # a unit anodelab does not convert (%, mAh/g): kept in the name
    scale = unit_scale(unit, dimension) if dimension is not None and dimension in _CONVERTED_DIMENSIONS else None
    if values.dtype.kind != "f" or dimension is None or scale is None:
        return extra_name(name, unit), values
    factor, offset = scale
    return extra_name(column.name, CANONICAL_UNIT[dimension]), values * factor + offset
