"""Maccor raw text files (``.001``, ``.022``, ``.041``, any numeric extension) and Maccor text exports.

Layout: one or more header lines (``Today's Date ...``, ``Filename: ...``), then a tab-separated
table whose header starts with ``Rec#`` (``Rec#, Cyc#, Step, Test (Sec) | Test (Min) | TestTime,
Step (Sec) | StepTime, Amp-hr, Watt-hr, Amps, Volts, State, ES, DPt Time, ...``). ``TestTime``
holds durations like ``0d 00:45:54.84``.

Maccor stores the current magnitude and the direction in ``State`` (C charge, D discharge, R rest,
O/S/P/FRA other); some exports store signed current. Either way the signed current here is
``+|I|`` on C rows and ``-|I|`` on D rows (beep keeps the stored value, battery-data-toolkit
negates D rows unconditionally, which turns an already signed export positive again).
``Amp-hr`` restarts at zero with every step (beep says so too); this is checked on every step's
first row against ``|I| x step time``, and the counter is then the within-step charge as is.

MIMS text exports (``Rec, Cycle P, Cycle C, Step, TestTime, StepTime, Cap. [Ah], Ener. [Wh],
Current [A], Voltage [V], Md, ES, DPT Time``; a dozen header lines, rows ending with a tab, decimal
commas in German locales) write ``TestTime`` and ``StepTime`` as plain numbers in minutes, where
other exports write seconds, under the same unitless name. The unit is never guessed: such a file
is refused until it is given, in a sidecar ``<file>.meta.yaml`` (as for the generic tables) or as
``time_unit`` (see :data:`TIME_UNIT_HINT`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import capacity_within_steps
from anodelab.core.errors import ReadError, ValidationError
from anodelab.core.record import Record
from anodelab.io.columns import (
    Column,
    RecordParts,
    add_extras,
    converted,
    describe_columns,
    finish_record,
    numeric,
    parse_durations,
    relative_time,
    step_ids,
)
from anodelab.io.common import read_lines_head, unique_names, uses_decimal_comma
from anodelab.io.layout import Layout, read_table_body, sidecar_units
from anodelab.io.point_index import note_point_index
from anodelab.io.units import unit_scale

EXPECTED = "a Maccor text file (tab-separated table with Rec#, Cyc#, Step, time, Amps, Volts, State)"
_HEADER = re.compile(r"^\s*Rec(#|\s*[\t,])")
# how to give the unit: the reader option (anodelab.read and the CLI pass it on) or a sidecar
TIME_UNIT_HINT = ("its unit given, e.g. the minutes of a MIMS text export: `anodelab read FILE --time-unit min`, "
                  "anodelab.read(FILE, options={'time_unit': 'min'}) or read_maccor(FILE, time_unit='min'), "
                  "or a sidecar FILE.meta.yaml listing '- name: TestTime' with 'unit: min' (and the same for "
                  "StepTime) under 'fields:'")

# Maccor's own column names -> (role, unit) understood by anodelab.io.tables
_NAMES: dict[str, tuple[str | None, str | None]] = {
    "amps": ("current", "A"), "volts": ("voltage", "V"), "amp-hr": ("capacity", "Ah"),
    "cap.": ("capacity", None), "cyc#": ("cycle", None), "cycle c": ("cycle", None), "step": ("step", None),
    "testtime": ("time", None), "test time": ("time", None),
}


def read_maccor(path: Path, *, time_unit: str | None = None) -> Record:
    """Read a Maccor raw text file or text export into a :class:`Record`.

    ``time_unit`` (``"s"``, ``"min"``, ``"h"``) is the unit of time columns whose header gives none
    and that hold plain numbers (MIMS ``TestTime`` / ``StepTime``); durations like ``0d 00:45:54``
    and headers with a unit (``Test (Min)``) need none.
    """
    path = Path(path)
    if time_unit is not None and (not isinstance(time_unit, str) or unit_scale(time_unit, "time") is None):
        raise ValidationError("time_unit", f"{time_unit!r} is not a time unit; e.g. 's', 'min' or 'h'")
    lines, _ = read_lines_head(path, EXPECTED)
    header = next((i for i, line in enumerate(lines[:50]) if _HEADER.match(line)), None)
    if header is None:
        raise ReadError(path, "no 'Rec#' table header in the first 50 lines", expected=EXPECTED)
    separator = "\t" if "\t" in lines[header] else ","
    names = lines[header].split(separator)
    rows = [line.split(separator) for line in lines[header + 1: header + 51] if line.strip()]
    if rows and len(rows[0]) > len(names) and not "".join(rows[0][len(names):]).strip():
        names += [""] * (len(rows[0]) - len(names))  # every row ends with a separator (MIMS text exports)
    names = unique_names(names)
    comma = separator == "\t" and uses_decimal_comma(field for row in rows for field in row)
    notes = ["decimal commas read as points"] if comma else []
    layout = Layout(separator, header + 1, tuple(names), None, comma, len(names))
    table = read_table_body(path, layout, names, EXPECTED, notes)
    if not table or len(next(iter(table.values()))) == 0:
        raise ReadError(path, "the table has no data rows", expected=EXPECTED)
    columns = _columns([n for n in names if n in table])
    return _record(path, table, columns, " ".join(lines[:header]), time_unit, notes)


def _time_units(path: Path, time_unit: str | None) -> dict[str, str]:
    """Units for the unitless ``TestTime`` / ``StepTime`` columns: ``time_unit``, or a sidecar's."""
    units, _ = sidecar_units(path)
    given = {key.strip().lower(): unit for key, unit in units.items() if key.strip().lower() in ("testtime", "steptime")}
    if time_unit is None:
        return given
    if any(unit != time_unit for unit in given.values()):
        raise ReadError(path, f"time_unit {time_unit!r} given, but the sidecar says {given}", expected="one time unit")
    return {"testtime": time_unit, "steptime": time_unit}


def _columns(keys: list[str]) -> list[Column]:
    columns = []
    for column in describe_columns(keys):
        text, base = column.key.strip().lower(), column.name.strip().lower()
        test_or_step = re.match(r"^(test|step)\s*\((sec|min|hr|s|h)\)$", text)
        if test_or_step:
            role = "time" if test_or_step.group(1) == "test" else None
            column = Column(column.key, f"{test_or_step.group(1)}_time", test_or_step.group(2), role)
        elif text in _NAMES or base in _NAMES:  # base: MIMS "Cap. [Ah]"
            role, unit = _NAMES.get(text) or _NAMES[base]
            column = Column(column.key, column.key, unit or column.unit, role)
        columns.append(column)
    return columns


def _record(path: Path, table: dict[str, NDArray[Any]], columns: list[Column], preamble: str,
            time_unit: str | None, notes: list[str]) -> Record:
    units = _time_units(path, time_unit)
    given = [_with_time_unit(path, table, c, units, notes) for c in columns]
    if time_unit is not None and all(new is old for new, old in zip(given, columns, strict=True)):
        notes.append(f"time_unit {time_unit!r} not used: the time columns of this file give their unit "
                     "(in the header, or as durations)")
    columns = given
    by_role = {c.role: c for c in columns if c.role}
    for role in ("voltage", "current", "time", "step"):
        if role not in by_role:
            raise ReadError(path, f"no {role} column in the Rec# table", expected=EXPECTED)
    state_column = next((c for c in columns if c.key.strip() in ("State", "Md")), None)
    if state_column is None:
        raise ReadError(path, "no State column", expected=EXPECTED)
    parts = RecordParts(notes=([f"Maccor header: {preamble.strip()[:200]}"] if preamble.strip() else []) + notes)
    used = {c.key for c in by_role.values()} | {state_column.key}
    states = np.char.strip(np.asarray(table[state_column.key], dtype=str))
    record_column = next((c for c in columns if c.key.strip() in ("Rec#", "Rec")), None)
    if record_column is not None:
        _check_record_numbers(path, numeric(path, table, record_column, EXPECTED), states == "FRA", parts.notes)
    parts.columns["voltage_V"] = converted(path, table, by_role["voltage"], EXPECTED)
    parts.columns["time_s"] = relative_time(converted(path, table, by_role["time"], EXPECTED))
    magnitude = np.abs(converted(path, table, by_role["current"], EXPECTED))
    parts.columns["current_mA"] = _signed_current(magnitude, states, parts.notes)
    cycle = numeric(path, table, by_role["cycle"], EXPECTED) if "cycle" in by_role else None
    steps = step_ids(numeric(path, table, by_role["step"], EXPECTED), cycle)
    parts.columns["step"] = steps
    if cycle is not None:
        parts.columns["cycle"] = np.nan_to_num(cycle, nan=-1).astype(np.int64)
    step_time = _step_time(path, table, columns, used)
    if "capacity" in by_role:
        counter = np.abs(np.nan_to_num(converted(path, table, by_role["capacity"], EXPECTED, finite=False)))
        parts.columns["capacity_mAh"] = _step_capacity(counter, steps, magnitude, step_time, parts.notes)
    if step_time is not None:
        parts.columns["step_time_s"] = step_time
    _energy(path, table, columns, parts, used)
    _aux(path, table, columns, parts, used)
    add_extras(parts, path, table, columns, used)
    return finish_record(path, parts, instrument="Maccor", techniques=("cycling",))


def _with_time_unit(path: Path, table: dict[str, NDArray[Any]], column: Column, units: dict[str, str],
                    notes: list[str]) -> Column:
    """``TestTime`` / ``StepTime`` holding plain numbers: the unit given, or a ReadError saying how to give it."""
    text = column.key.strip().lower()
    if text not in ("testtime", "steptime") or table[column.key].dtype.kind not in "fiub":
        return column
    if text not in units:
        raise ReadError(path, f"column {column.key!r} holds plain numbers and its header names no unit (minutes in "
                        "Maccor MIMS text exports, seconds elsewhere; units are never guessed)",
                        expected=TIME_UNIT_HINT)
    if unit_scale(units[text], "time") is None:
        raise ReadError(path, f"the unit given for {column.key!r}, {units[text]!r}, is not a time unit",
                        expected="s, min or h")
    notes.append(f"{column.key}: plain numbers in {units[text]}, the time unit given when reading")
    return Column(column.key, column.name, units[text], column.role)


def _check_record_numbers(path: Path, records: NDArray[np.float64], fra: NDArray[np.bool_], notes: list[str]) -> None:
    """``Rec#`` counts the instrument's records: it never decreases (refused), only FRA rows share one
    (other repeats are noted), and gaps are records the export left out (a reduced export) or lost rows
    (noted; see :func:`note_point_index`)."""
    steps = np.diff(records)
    if not np.isfinite(records).all() or (steps < 0).any():
        row = int(np.argmax(~np.isfinite(records[1:]) | (steps < 0))) + 1
        raise ReadError(path, f"record number Rec# goes from {records[row - 1]:g} to {records[row]:g} at data row "
                        f"{row + 1} (rows repeated, reordered or damaged)", expected=EXPECTED)
    note_point_index("Rec#", records, notes, may_repeat=fra)


def _signed_current(magnitude: NDArray[np.float64], states: NDArray[np.str_], notes: list[str]) -> NDArray[np.float64]:
    """+|I| on C rows, -|I| on D rows; other rows carrying current take the direction of the last C/D row."""
    direction = np.where(states == "C", 1.0, np.where(states == "D", -1.0, 0.0))
    known = np.where(direction != 0, np.arange(direction.size), 0)
    carried = direction[np.maximum.accumulate(known)] if direction.size else direction
    carried[: np.argmax(direction != 0) if (direction != 0).any() else direction.size] = 0.0
    other = (direction == 0) & (magnitude > 0)
    if other.any():
        labels = ", ".join(sorted(set(states[other].tolist())))
        notes.append(f"{int(other.sum())} rows with state {labels} carry current: direction of the last C/D row used")
    sign = np.where(direction != 0, direction, np.where(carried != 0, carried, 1.0))
    return magnitude * sign


def _step_time(path: Path, table: dict[str, NDArray[Any]], columns: list[Column], used: set[str]) -> NDArray[np.float64] | None:
    for column in columns:
        text = column.key.strip().lower()
        if text == "steptime" and column.unit is None:
            used.add(column.key)
            return parse_durations(path, column.key, table[column.key])
        if column.name == "step_time" or text == "steptime":
            used.add(column.key)
            return converted(path, table, Column(column.key, column.name, column.unit, "time"), EXPECTED)
    return None


def _step_capacity(counter_mAh: NDArray[np.float64], steps: NDArray[Any], current_mA: NDArray[np.float64],
                   step_time_s: NDArray[np.float64] | None, notes: list[str]) -> NDArray[np.float64]:
    """The counter itself when it restarts at every step (checked), else :func:`capacity_within_steps`."""
    starts = np.flatnonzero(np.r_[True, steps[1:] != steps[:-1]])
    if step_time_s is not None:
        first_sample = current_mA[starts] * step_time_s[starts] / 3600.0
        levels = np.unique(counter_mAh)
        resolution = float(np.diff(levels).min()) if levels.size > 1 else 0.0  # the file's rounding step
        if np.all(counter_mAh[starts] <= first_sample * 1.05 + resolution + 1e-9):
            notes.append("capacity_mAh: Maccor Amp-hr, which restarts at zero with every step (checked on every "
                         "step's first row against |I| x step time)")
            return counter_mAh
    notes.append("capacity_mAh: Amp-hr does not restart with every step here; value at each step's first row "
                 "taken as its zero")
    return capacity_within_steps(counter_mAh, steps)


def _energy(path: Path, table: dict[str, NDArray[Any]], columns: list[Column], parts: RecordParts, used: set[str]) -> None:
    for column in columns:
        text = column.key.strip().lower()
        if text in ("watt-hr", "ener.") or text.startswith("ener. ["):
            unit = column.unit if column.unit else "Wh"
            energy = Column(column.key, column.key, unit, "charge_energy")
            parts.columns["energy_mWh"] = np.abs(converted(path, table, energy, EXPECTED, finite=False))
            used.add(column.key)
            return


def _aux(path: Path, table: dict[str, NDArray[Any]], columns: list[Column], parts: RecordParts, used: set[str]) -> None:
    """``Aux #n`` values with their unit from the ``Units`` column after them; open thermocouples to NaN."""
    keys = [c.key for c in columns]
    emptied = []
    for index, key in enumerate(keys):
        match = re.match(r"^\s*Aux\s*#\s*(\d+)", key)
        if not match:
            continue
        used.add(key)
        unit = ""
        if index + 1 < len(keys) and keys[index + 1].strip().lower().startswith("units"):
            used.add(keys[index + 1])
            labels = [str(v).strip() for v in table[keys[index + 1]][:100] if v is not None and str(v).strip()]
            unit = labels[0] if labels else ""
        values = numeric(path, table, Column(key, key, unit or None, None), EXPECTED).copy()
        if unit == "C" and (impossible := values < -273.15).any():
            values[impossible] = np.nan
            emptied.append(f"#{match.group(1)} ({int(impossible.sum())} rows)")
        parts.columns[f"aux{match.group(1)}_{unit or 'value'}"] = values
    if emptied:
        parts.notes.append(f"Aux {', '.join(emptied)}: values below absolute zero (sensor not connected) set to NaN")
