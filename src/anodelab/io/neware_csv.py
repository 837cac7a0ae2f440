"""Neware BTS CSV exports: the flat record layer and the nested cycle/step/record layout.

Units
    The CSV exports carry their units in the header (``Current(A)``, ``Capacity(Ah)``, ...);
    columns are converted by :mod:`anodelab.io.units` to mA / V / mAh / mWh / W.

Time, steps and capacity
    As for the binary files (:mod:`anodelab.io.neware`): ``time_s`` is the export's total test time,
    ``step`` the global step counter, and capacity and energy counters restarting at every step are
    read through :func:`~anodelab.io.neware.counters_restart` and :func:`~anodelab.io.neware.per_step`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import number_steps
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record
from anodelab.io.clock import monotonic_time
from anodelab.io.common import (
    decode,
    finite_column,
    head_text,
    read_delimited,
    require_text,
    text_series,
)
from anodelab.io.neware import _NO_RESTART, counters_restart, per_step
from anodelab.io.point_index import note_point_index
from anodelab.io.units import unit_scale

CSV_EXPECTED = "a Neware BTS CSV export (DataPoint ... Step Type ... Voltage(V) columns)"

#: dimension (io.units) of each Neware quantity column
_DIMENSIONS = {"current": "current", "voltage": "voltage", "capacity": "charge", "energy": "energy", "power": "power"}
_TEMPERATURE_UNITS = {"℃", "°c", "c", "?", "degc"}
_HMS = r"^\s*(?:(\d+)[d-]\s*)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*$"


def read_neware_csv(path: Path) -> Record:
    """Read a Neware BTS CSV export: the flat record layer or the nested cycle/step/record layout."""
    path = Path(path)
    with path.open("rb") as handle:
        require_text(path, handle.read(65536), CSV_EXPECTED)
    head = head_text(path).splitlines()
    if not head:
        raise ReadError(path, "empty file", expected=CSV_EXPECTED)
    if len(head) > 3 and head[0].startswith("Cycle Index,") and head[2].startswith(",,"):
        table, step_id, notes = _nested_layers(path, decode(path.read_bytes()).splitlines())
    else:
        table, step_id, notes = _flat_layer(path, head[0])
    if step_id.size == 0:
        raise ReadError(path, "no data rows", expected=CSV_EXPECTED)
    return _csv_record(path, table, step_id, notes)


def _fields(line: str) -> list[str]:
    return [field.strip() for field in line.split(",")]


def _flat_layer(path: Path, header: str) -> tuple[dict[str, NDArray[Any]], NDArray[Any], list[str]]:
    """One header row, one row per record.

    A step ends where the cycle, step number or step type changes, or the step time restarts.
    """
    # Neware never quotes: a stray '"' must not join the lines up to the next one into one row
    table = read_delimited(path, _fields(header), skip_lines=1, separator=",", expected=CSV_EXPECTED,
                           quote_char=None)
    notes = table.notes
    columns = table.columns
    rows = len(table)
    _note_data_points(path, columns, notes)
    step_time = _hms_seconds(path, columns, "Time")
    keys = [columns[name] for name in ("Cycle Index", "Step Index", "Step Type") if name in columns]
    if not keys:
        raise ReadError(path, "no 'Step Index' or 'Step Type' column", expected=CSV_EXPECTED)
    changed = np.zeros(rows, dtype=bool)
    for key in keys:
        changed[1:] |= key[1:] != key[:-1]
    changed[1:] |= np.diff(step_time) < 0
    return columns, np.cumsum(changed), notes


def _nested_layers(path: Path, lines: list[str]) -> tuple[dict[str, NDArray[Any]], NDArray[Any], list[str]]:
    """Cycle rows, ``,step`` rows and ``,,record`` rows (IFE-style export).

    Each record takes the cycle and step of the rows above it; the first cycle row also carries
    the first step after its own fields. The step rows' ``Step Number`` is the global step counter.
    """
    import polars as pl

    n_cycle_fields = len(_fields(lines[0]))
    step_names, record_names = _fields(lines[1])[1:], _fields(lines[2])[2:]
    body = pl.Series([line for line in lines[3:] if line.strip()], dtype=pl.String)
    is_record = body.str.starts_with(",,").to_numpy()
    is_step = body.str.starts_with(",").to_numpy() & ~is_record
    is_cycle = ~(is_record | is_step)
    carries_step = is_cycle & (body.str.count_matches(",", literal=True).to_numpy() + 1 > n_cycle_fields)
    opens_step = is_step | carries_step
    step_rows = [_fields(line)[n_cycle_fields:] if cycle_row else _fields(line)[1:]
                 for line, cycle_row in zip(body.filter(opens_step), carries_step[opens_step])]
    step_of_line = np.cumsum(opens_step) - 1
    cycle_of_line = np.cumsum(is_cycle) - 1
    if step_of_line[is_record].min(initial=0) < 0 or cycle_of_line[is_record].min(initial=0) < 0:
        raise ReadError(path, "data rows before the first cycle or step row", expected=CSV_EXPECTED)
    record_step = step_of_line[is_record]
    # object arrays: a fixed-width str array is as wide as its longest field in every row (one 100 kB field
    # in a step row repeated over every record row would take gigabytes)
    steps = {name: np.asarray([row[i] if i < len(row) else "" for row in step_rows], dtype=object)[record_step]
             for i, name in enumerate(step_names) if name in ("Step Type", "Step Index", "Step Number")}
    cycles = np.asarray([_fields(line)[0] for line in body.filter(is_cycle)], dtype=object)
    records = body.filter(is_record).str.slice(2)
    table = _parse_rows(path, record_names, "\n".join(records))
    if records.len() and next(iter(table.values())).size != records.len():
        raise ReadError(path, f"{next(iter(table.values())).size} rows were parsed from {records.len()} record lines",
                        expected=CSV_EXPECTED)
    table.update({name: steps[name] for name in ("Step Type", "Step Index") if name in steps})
    table["Cycle Index"] = cycles[cycle_of_line[is_record]]
    global_step = steps.get("Step Number", record_step)
    notes: list[str] = []
    _note_data_points(path, table, notes)
    return table, global_step, notes


def _note_data_points(path: Path, table: dict[str, NDArray[Any]], notes: list[str]) -> None:
    """Neware numbers its records 1, 2, 3, ... in ``DataPoint``: note the rows it shows lost or repeated."""
    if "DataPoint" in table:
        if table["DataPoint"].dtype.kind != "f":
            raise ReadError(path, "column 'DataPoint' holds text", expected="record numbers")
        note_point_index("DataPoint", table["DataPoint"], notes)


def _parse_rows(path: Path, names: list[str], text: str) -> dict[str, NDArray[Any]]:
    """Comma-separated rows (no header) -> columns, numeric where every value parses (polars)."""
    import io

    import polars as pl

    if not text:
        return {name: np.zeros(0) for name in names}
    try:
        frame = pl.read_csv(io.StringIO(text), has_header=False, new_columns=names, infer_schema=False,
                            truncate_ragged_lines=True, missing_columns="insert", quote_char=None)
    except pl.exceptions.PolarsError as error:  # (text in memory: no file errors)
        raise ReadError(path, f"rows could not be parsed ({type(error).__name__}: {error})",
                        expected=CSV_EXPECTED) from None
    columns: dict[str, NDArray[Any]] = {}
    for name, series in zip(frame.columns, frame.get_columns()):
        series = series.str.strip_chars()
        numeric = series.cast(pl.Float64, strict=False)
        columns[name] = numeric.to_numpy() if numeric.null_count() == series.null_count() else series.to_numpy()
    return columns


def _csv_record(path: Path, table: dict[str, NDArray[Any]], step_id: NDArray[Any], notes: list[str]) -> Record:
    units = {name: _unit_of(name) for name in table}
    voltage = _scaled(path, table, units, "voltage", required=True)
    current = _scaled(path, table, units, "current", required=True)
    clock = next((name for name in ("Total Time", "Cumulative Time") if name in table), None)
    if clock is None:
        raise ReadError(path, "no 'Total Time' or 'Cumulative Time' column", expected=CSV_EXPECTED)
    time_s = monotonic_time(path, _hms_seconds(path, table, clock), f"'{clock}'", notes)
    step_time = _hms_seconds(path, table, "Time")
    columns: dict[str, NDArray[Any]] = {"time_s": time_s, "voltage_V": voltage, "current_mA": current,
                                        "step": step_id}
    step = number_steps(step_id)
    capacity = _scaled(path, table, units, "capacity")
    restarts = capacity is None or counters_restart(capacity, step, current, step_time)
    if capacity is not None:
        columns["capacity_mAh"] = per_step(capacity, step, restarts)
    if not restarts:
        notes.append(_NO_RESTART)
    columns.update(optional_columns(path, table, notes))
    columns["step_time_s"] = step_time
    energy = _scaled(path, table, units, "energy")
    if energy is not None:
        columns["energy_mWh"] = per_step(energy, step, restarts)
    power = _scaled(path, table, units, "power")
    if power is not None:
        columns["power_W"] = power
    return Record.from_columns(columns, provenance=Provenance(
        instrument="Neware BTS (CSV export)", techniques=("cycling",), notes=tuple(notes),
    ))


def _unit_of(name: str) -> tuple[str, str] | None:
    """(quantity, unit) of a Neware header such as ``Current(mA)`` or ``Capacity(Ah)``."""
    match = re.fullmatch(r"(Current|Voltage|Capacity|Energy|Power)\s*\(([^)]*)\)", name.strip(), re.IGNORECASE)
    return (match.group(1).lower(), match.group(2).strip()) if match else None


@overload
def _scaled(path: Path, table: dict[str, NDArray[Any]], units: dict[str, tuple[str, str] | None], kind: str,
            *, required: Literal[True]) -> NDArray[np.float64]: ...
@overload
def _scaled(path: Path, table: dict[str, NDArray[Any]], units: dict[str, tuple[str, str] | None], kind: str,
            *, required: bool = False) -> NDArray[np.float64] | None: ...
def _scaled(path: Path, table: dict[str, NDArray[Any]], units: dict[str, tuple[str, str] | None], kind: str,
            *, required: bool = False) -> NDArray[np.float64] | None:
    """The column of one quantity, converted by its header unit (io.units) to mA / V / mAh / mWh / W."""
    found = next(((name, unit[1]) for name, unit in units.items() if unit and unit[0] == kind), None)
    if found is None:
        if required:
            raise ReadError(path, f"no {kind} column with a unit (such as '{kind.title()}(...)')",
                            expected=CSV_EXPECTED)
        return None
    name, unit = found
    scale = unit_scale(unit, _DIMENSIONS[kind])
    if scale is None:
        raise ReadError(path, f"column {name!r} has unit {unit!r}", expected=f"a {kind} unit")
    values = table[name]
    if values.dtype.kind != "f":
        raise ReadError(path, f"column {name!r} holds text", expected="numbers")
    # NaN, inf or an empty cell is refused, as by the other readers: Neware writes every quantity on every row
    return finite_column(path, name, values, "a number in every row") * scale[0]


def optional_columns(path: Path, table: dict[str, NDArray[Any]], notes: list[str]) -> dict[str, NDArray[Any]]:
    """The columns a Neware CSV may hold that need no per-step treatment: cycle, temperature (a note where
    it is left out), step type (spaces as underscores) and step index."""
    columns: dict[str, NDArray[Any]] = {}
    if "Cycle Index" in table:
        columns["cycle"] = _integers(path, table["Cycle Index"], "Cycle Index")
    temperature = _temperature(table, notes)
    if temperature is not None:
        columns["temperature_C"] = temperature
    if "Step Type" in table:
        columns["step_type"] = text_series(table["Step Type"]).str.replace_all(" ", "_", literal=True).to_numpy()
    if "Step Index" in table:
        columns["step_index"] = _integers(path, table["Step Index"], "Step Index")
    return columns


def _temperature(table: dict[str, NDArray[Any]], notes: list[str]) -> NDArray[np.float64] | None:
    """The first ``T<n>(unit)`` aux column; Neware exports write ℃ (often mangled to '?') there."""
    for name, values in table.items():
        match = re.fullmatch(r"T(\d+)\s*\(([^)]*)\)", name)
        if match and match.group(2).strip().lower() in _TEMPERATURE_UNITS and values.dtype.kind == "f":
            if match.group(2).strip() == "?":
                notes.append(f"column {name!r}: unit shown as '?' (℃ lost to the export's encoding), read as °C")
            return values
    return None


def _hms_seconds(path: Path, table: dict[str, NDArray[Any]], name: str) -> NDArray[np.float64]:
    """A Neware duration column (``h:mm:ss[.fff]``, hours may exceed 24, optional ``Nd`` prefix) in s."""
    import polars as pl

    if name not in table:
        raise ReadError(path, f"no {name!r} column", expected=CSV_EXPECTED)
    parts = text_series(table[name]).str.extract_groups(_HMS)
    days, hours, minutes, seconds = (parts.struct.field(field).cast(pl.Float64) for field in ("1", "2", "3", "4"))
    bad = seconds.is_null().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise ReadError(path, f"column {name!r} holds {table[name][row]!r} in data row {row + 1}",
                        expected="durations as h:mm:ss")
    total = days.fill_null(0) * 86400 + hours * 3600 + minutes * 60 + seconds
    total_s: NDArray[np.float64] = total.to_numpy()
    return total_s


def _integers(path: Path, values: NDArray[Any], name: str) -> NDArray[np.int64]:
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except ValueError:
        raise ReadError(path, f"column {name!r} is not numeric", expected="integers") from None
    if not np.all(np.isfinite(numbers)):
        raise ReadError(path, f"column {name!r} has missing values", expected="integers")
    return numbers.astype(np.int64)
