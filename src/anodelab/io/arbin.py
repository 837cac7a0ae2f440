"""Arbin readers: MITS Pro result databases (``.res``, MS Access / Jet 4) and Arbin CSV exports.

Units
    Arbin's data fields have fixed units: ``Test_Time`` and ``Step_Time`` in s, ``Current`` in A,
    ``Voltage`` in V, ``Charge_Capacity`` / ``Discharge_Capacity`` in Ah, ``Charge_Energy`` /
    ``Discharge_Energy`` in Wh, ``dV/dt`` in V/s, ``Internal_Resistance`` in ohm. The cellpy test
    file confirms them from its own Global_Table (tests/io/test_arbin.py): its MASS (g) times its
    Specific_Capacity (Ah/g) over 20 is the C/20 current its schedule names, in A. CSV exports that
    write units in the header (``Current(A)``, ``Charge_Capacity(Ah)``, ``Aux_Temperature_1(C)``)
    are converted by them; exports without units (beep, battery-data-toolkit) are read in the
    fixed units above, and the provenance says so.

Sign, steps, capacity
    Arbin stores signed current, > 0 on charge, as :mod:`anodelab.core.conventions` wants.
    ``Step_Index`` is the schedule's step number, repeated by loops; a step ends where
    ``Step_Index`` or ``Cycle_Index`` changes or ``Step_Time`` restarts, and ``step`` counts those.
    The capacity counters run across steps (they restart with the cycle), so
    ``capacity_mAh`` comes from their net value by :func:`capacity_within_steps`.

Why not access-parser alone for ``.res``
    access-parser reads the database catalog and table definitions well, but decodes rows in pure
    Python: about 2 s of CPU for the 10,261 rows of the cellpy file (0.2 ms per row, half an hour for
    ten million rows). ``Channel_Normal_Table`` has fixed-length columns only, so its rows are
    decoded here with numpy straight from the data pages (0.016 s for that file; bit-identical
    values, checked in the tests); access-parser's row decoder remains the fallback for anything
    else (overflow rows, Jet 3).
    Rows sit in page order, not in ``Data_Point`` order (arbin_example.res), so they are sorted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import (
    capacity_within_steps,
    number_steps,
    state_from_current,
)
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record
from anodelab.io.clock import monotonic_time
from anodelab.io.common import (
    finite_column,
    head_text,
    one_line,
    read_delimited,
    require_text,
)
from anodelab.io.point_index import note_point_index
from anodelab.io.third_party import library_messages, reader_version

RES_EXPECTED = "an Arbin .res result database (MS Access / Jet) with a Channel_Normal_Table"
CSV_EXPECTED = "an Arbin CSV export (Data_Point, Test_Time, Current, Voltage ... columns)"
_JET_MAGIC = b"\x00\x01\x00\x00Standard Jet DB"
_JET4_PAGE = 4096
# Jet column type -> numpy dtype: BYTE, INT, LONG, SINGLE, DOUBLE, DATETIME (days since 1899-12-30)
_JET_DTYPES = {2: "u1", 3: "<i2", 4: "<i4", 6: "<f4", 7: "<f8", 8: "<f8"}
_JET_BOOLEAN = 1
_OLE_EPOCH = datetime(1899, 12, 30)  # Access dates count days from here
_REQUIRED = ("Data_Point", "Test_Time", "Voltage")


# -- .res -----------------------------------------------------------------------------------------


def read_res(path: Path) -> Record:
    """Read an Arbin MITS Pro ``.res`` file (no mdbtools needed)."""
    path = Path(path)
    _check_res_layout(path)
    notes: list[str] = []
    with library_messages("access_parser") as messages:
        columns, global_table, statistic_points = _read_res_tables(path, notes)
    notes.extend(f"access-parser: {message}" for message in dict.fromkeys(messages))
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise ReadError(path, f"Channel_Normal_Table lacks {', '.join(missing)}", expected=RES_EXPECTED)
    for name in ("Data_Point", "Test_ID", "Test_Time", "Voltage"):
        if name in columns and (columns[name].dtype.kind not in "fiu" or not np.all(np.isfinite(columns[name]))):
            raise ReadError(path, f"{name} is missing or not a number in some rows", expected=RES_EXPECTED)
    test_ids = np.unique(columns["Test_ID"]) if "Test_ID" in columns else np.zeros(1)
    if test_ids.size > 1:
        raise ReadError(path, f"holds {test_ids.size} tests (Test_ID {', '.join(map(str, test_ids))})",
                        expected="one test per file")
    notes.extend(_global_notes(global_table))
    columns = _in_data_point_order(path, columns, notes)
    _note_missing_points(columns["Data_Point"], statistic_points, notes)
    return _arbin_record(path, columns, notes, "Arbin MITS Pro (.res)", reader_version("access-parser"))


def _check_res_layout(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(0x20)
        size = handle.seek(0, 2)
    if not head.startswith(_JET_MAGIC):
        raise ReadError(path, "no 'Standard Jet DB' signature", expected=RES_EXPECTED)
    page = _JET4_PAGE if head[0x14] >= 1 else 2048
    if size % page:
        raise ReadError(path, f"truncated: {size} bytes is not a whole number of {page}-byte pages",
                        expected="a complete .res file")


def _read_res_tables(path: Path, notes: list[str]) -> tuple[dict[str, NDArray[Any]], dict[str, list[Any]], NDArray[Any]]:
    """Channel_Normal_Table columns (Arbin units), the Global_Table as access-parser gives it, and the
    Data_Point of every Channel_Statistic_Table row (each names a row of Channel_Normal_Table)."""
    from access_parser import AccessParser

    try:
        database = AccessParser(str(path))
        table = database.get_table("Channel_Normal_Table")
        if table is None:
            raise ReadError(path, "no Channel_Normal_Table in the database", expected=RES_EXPECTED)
        if not table.table.linked_pages:
            raise ReadError(path, "Channel_Normal_Table has no rows", expected="at least one data point")
        columns = _fixed_length_rows(path, table, database.version)
        if columns is None:
            notes.append("rows decoded by access-parser's (slow) row parser")
            columns = _slow_rows(path, table)
        _note_row_count(int(table.table_header.number_of_rows), len(next(iter(columns.values()), [])), notes)
        global_table = database.parse_table("Global_Table") if "Global_Table" in database.catalog else {}
        statistic = (database.parse_table("Channel_Statistic_Table")
                     if "Channel_Statistic_Table" in database.catalog else {})
        statistic_points = np.asarray([point for point in statistic.get("Data_Point", []) if point is not None],
                                      dtype=np.float64)
    except ReadError:
        raise
    except Exception as error:  # noqa: BLE001 - access-parser and construct raise assorted types (struct.error,
        # construct errors, KeyError, IndexError, ...) on damaged databases; each becomes a ReadError naming the file
        raise ReadError(path, f"access-parser could not read the database ({one_line(error)})",
                        expected=RES_EXPECTED) from None
    return columns, dict(global_table), statistic_points


def _fixed_length_rows(path: Path, table: Any, jet_version: int) -> dict[str, NDArray[Any]] | None:
    """All rows of a Jet 4 table with fixed-length columns only, decoded with numpy.

    A data page holds a row count at byte 12 and a table of 16-bit row offsets from byte 14
    (flags 0x8000 deleted, 0x4000 overflow); row ``k`` spans from its offset to row ``k - 1``'s
    (the page end for row 0). A row is a 16-bit column count, the fixed-length fields at their
    declared offsets, and a null bitmap in its last bytes (bit set = value present; it also holds
    boolean values). Returns None (use access-parser) for layouts this does not cover.
    """
    columns = list(table.columns.values())
    if jet_version <= 3 or any(
        not column.column_flags.fixed_length or (column.type not in _JET_DTYPES and column.type != _JET_BOOLEAN)
        for column in columns
    ):
        return None
    pages = np.frombuffer(b"".join(table.table.linked_pages), dtype=np.uint8).reshape(-1, _JET4_PAGE)
    counts = pages[:, 12].astype(np.int64) | (pages[:, 13].astype(np.int64) << 8)
    width = int(counts.max())
    if 14 + 2 * width > _JET4_PAGE:
        raise ReadError(path, "a data page declares more rows than fit in it", expected=RES_EXPECTED)
    offsets = np.ascontiguousarray(pages[:, 14:14 + 2 * width]).view("<u2").astype(np.int64)
    in_page = np.arange(width) < counts[:, None]
    if np.any(in_page & (offsets & 0x4000 != 0)):
        return None
    start = offsets & 0x0FFF
    end = np.concatenate((np.full((pages.shape[0], 1), _JET4_PAGE), start[:, :-1]), axis=1)
    live = in_page & (offsets & 0x8000 == 0)
    page_of_row = np.nonzero(live)[0]
    row_start = page_of_row * _JET4_PAGE + start[live]
    row_end = page_of_row * _JET4_PAGE + end[live]
    flat = pages.reshape(-1)
    null_bytes = (table.table_header.column_count + 7) // 8
    needed = 2 + max((column.fixed_offset + column.length for column in columns), default=0) + null_bytes
    if np.any(row_end - row_start < needed) or np.any(start[live] < 14 + 2 * counts[page_of_row]):
        raise ReadError(path, "a row of Channel_Normal_Table is shorter than its columns", expected=RES_EXPECTED)
    column_count = flat[row_start] | (flat[row_start + 1].astype(np.int64) << 8)
    if np.any(column_count != table.table_header.column_count):
        raise ReadError(path, "a row of Channel_Normal_Table has the wrong column count", expected=RES_EXPECTED)
    decoded: dict[str, NDArray[Any]] = {}
    for column in columns:
        byte = flat[row_end - null_bytes + column.column_id // 8]
        present = (byte >> (column.column_id % 8)) & 1 == 1
        if column.type == _JET_BOOLEAN:
            decoded[column.col_name_str] = present
            continue
        dtype = np.dtype(_JET_DTYPES[column.type])
        where = row_start[:, None] + 2 + column.fixed_offset + np.arange(dtype.itemsize)
        values = np.ascontiguousarray(flat[where]).view(dtype).ravel()
        if not present.all():
            values = np.where(present, values.astype(np.float64), np.nan)
        decoded[column.col_name_str] = values
    return decoded


def _note_row_count(declared: int, decoded: int, notes: list[str]) -> None:
    """Jet keeps a table's live row count in its definition (TDEF) page: rows its data pages lack
    (a page emptied, damaged or cut off the end of the file) or hold twice show against it."""
    if decoded < declared:
        notes.append(f"Channel_Normal_Table's definition counts {declared} rows but its data pages hold {decoded}: "
                     f"{declared - decoded} rows are missing (a data page emptied, damaged or cut off)")
    elif decoded > declared:
        notes.append(f"Channel_Normal_Table's data pages hold {decoded} rows, {decoded - declared} more than the "
                     f"{declared} its definition counts (a data page copied or damaged)")


def _slow_rows(path: Path, table: Any) -> dict[str, NDArray[Any]]:
    """access-parser's row decoder; its NULLs become NaN, and ragged columns (skipped fields) an error."""
    columns: dict[str, NDArray[Any]] = {}
    for name, values in table.parse().items():
        try:
            columns[name] = np.array([np.nan if value is None else value for value in values], dtype=np.float64)
        except (TypeError, ValueError):
            columns[name] = np.asarray(values, dtype=object)
    if len({array.size for array in columns.values()}) > 1:
        raise ReadError(path, "Channel_Normal_Table rows could not all be decoded", expected=RES_EXPECTED)
    return columns


def _global_notes(global_table: dict[str, list[Any]]) -> list[str]:
    """Test name, schedule, start time, mass and software from the Global_Table."""
    facts = []
    for field, label in (("Test_Name", "test"), ("Schedule_File_Name", "schedule"), ("Creator", "creator"),
                         ("Software_Version", "MITS Pro"), ("Start_DateTime", "started (local time)"),
                         ("MASS", "mass (g)"), ("Specific_Capacity", "specific capacity (Ah/g)")):
        values = global_table.get(field) or []
        if values and values[0] not in (None, "", 0, 0.0):
            value = values[0]
            if field == "Start_DateTime" and isinstance(value, float):
                value = (_OLE_EPOCH + timedelta(days=value)).isoformat(sep=" ", timespec="seconds")
            facts.append(f"{label}: {value}")
    return [f"Global_Table {', '.join(facts)}"] if facts else []


def _in_data_point_order(path: Path, columns: dict[str, NDArray[Any]], notes: list[str]) -> dict[str, NDArray[Any]]:
    data_point = columns["Data_Point"]
    if data_point.size == 0:
        raise ReadError(path, "Channel_Normal_Table has no rows", expected="at least one data point")
    if np.all(np.diff(data_point) > 0):
        return columns
    order = np.argsort(data_point, kind="stable")
    notes.append("rows are stored out of Data_Point order in the database; sorted by Data_Point")
    if np.any(np.diff(data_point[order]) == 0):
        notes.append("Data_Point repeats; rows with the same Data_Point keep their stored order")
    return {name: np.asarray(values)[order] for name, values in columns.items()}


def _note_missing_points(data_point: NDArray[Any], statistic_points: NDArray[Any], notes: list[str]) -> None:
    """Arbin numbers its rows 1, 2, 3, ... (Data_Point): note the rows a gap, or a statistics row naming a
    point past the last one, says are lost (an emptied or damaged database page)."""
    points = np.unique(data_point)  # sorted; repeats are noted by _in_data_point_order
    note_point_index("Data_Point", points, notes, first=1)
    beyond = statistic_points[statistic_points > points[-1]]
    if beyond.size:
        notes.append(f"Channel_Statistic_Table refers to Data_Point {beyond.max():.0f}, past the last row "
                     f"({points[-1]:.0f}): at least {beyond.max() - points[-1]:.0f} data points are missing at the end")


# -- CSV ------------------------------------------------------------------------------------------

# canonical Arbin field -> (unit conversions to Arbin's own units, header spellings besides the field name)
_CSV_FIELDS: dict[str, tuple[dict[str, float], tuple[str, ...]]] = {
    "Test_Time": ({"s": 1.0, "min": 60.0, "h": 3600.0}, ()),
    "Step_Time": ({"s": 1.0, "min": 60.0, "h": 3600.0}, ()),
    "Current": ({"a": 1.0, "ma": 1e-3}, ()),
    "Voltage": ({"v": 1.0, "mv": 1e-3}, ()),
    "Charge_Capacity": ({"ah": 1.0, "mah": 1e-3}, ()),
    "Discharge_Capacity": ({"ah": 1.0, "mah": 1e-3}, ()),
    "Charge_Energy": ({"wh": 1.0, "mwh": 1e-3}, ()),
    "Discharge_Energy": ({"wh": 1.0, "mwh": 1e-3}, ()),
    "Internal_Resistance": ({"ohm": 1.0, "mohm": 1e-3}, ()),
    "dV/dt": ({"v/s": 1.0}, ()),
    "Temperature": ({"c": 1.0, "°c": 1.0, "degc": 1.0}, ("Aux_Temperature_1",)),
    "Step_Index": ({}, ()),
    "Cycle_Index": ({}, ()),
    "Data_Point": ({}, ()),
    "DateTime": ({}, ("Date_Time",)),
}


def read_arbin_csv(path: Path) -> Record:
    """Read an Arbin CSV export (MITS Pro with units in the header, or the beep / BDT layout)."""
    path = Path(path)
    with path.open("rb") as handle:
        require_text(path, handle.read(65536), CSV_EXPECTED)
    lines = head_text(path).splitlines()
    header = lines[0] if lines else ""
    names = [name.strip() for name in header.split(",")]
    # Arbin exports never quote: a stray '"' must not join the lines up to the next one into one row
    table = read_delimited(path, names, skip_lines=1, separator=",", expected=CSV_EXPECTED, quote_char=None)
    notes = table.notes
    if len(table) == 0:
        raise ReadError(path, "no data rows", expected=CSV_EXPECTED)
    columns, unitless = _csv_columns(path, table.columns)
    missing = [name for name in ("Test_Time", "Voltage") if name not in columns]
    if missing:
        raise ReadError(path, f"no {' or '.join(missing)} column", expected=CSV_EXPECTED)
    if unitless:
        notes.append(f"columns without units read in Arbin's fixed units (s, A, V, Ah, Wh, ohm, °C): "
                     f"{', '.join(unitless)}")
    if "Data_Point" in columns:  # Arbin numbers its rows 0 or 1, 2, 3, ...: rows lost or repeated show there
        note_point_index("Data_Point", _numbers(path, "Data_Point", columns["Data_Point"]), notes)
    return _arbin_record(path, columns, notes, "Arbin (CSV export)", None)


def _csv_columns(path: Path, raw: dict[str, NDArray[Any]]) -> tuple[dict[str, NDArray[Any]], list[str]]:
    """Header names -> canonical Arbin fields, values converted to Arbin's units."""
    lookup = {}
    for known, (_, aliases) in _CSV_FIELDS.items():
        for spelling in (known, *aliases):
            lookup[_normal(spelling)] = known
    columns: dict[str, NDArray[Any]] = {}
    unitless = []
    for name, values in raw.items():
        match = re.fullmatch(r"(.*?)\s*\(([^)]*)\)", name)
        base, unit = (match.group(1), match.group(2).strip()) if match else (name, "")
        field = lookup.get(_normal(base))
        if field is None or field in columns:
            continue
        factors = _CSV_FIELDS[field][0]
        if values.dtype.kind not in "fiu" and not any(str(value or "").strip() for value in values):
            values = np.full(values.size, np.nan)  # an empty column (beep leaves Step_Index etc. blank)
        elif unit and factors:
            factor = factors.get(unit.lower().replace("Ω", "ohm"))
            if factor is None:
                raise ReadError(path, f"column {name!r} has unit {unit!r}", expected=f"one of {', '.join(factors)}")
            values = _numbers(path, name, values) * factor
        elif factors:
            unitless.append(name)
            values = _numbers(path, name, values)
        columns[field] = values
    return columns, unitless


def _normal(name: str) -> str:
    return re.sub(r"[\s_]+", "_", name.strip()).lower()


def _numbers(path: Path, name: str, values: NDArray[Any]) -> NDArray[np.float64]:
    if values.dtype.kind not in "fiu":
        raise ReadError(path, f"column {name!r} holds text", expected="numbers")
    return values.astype(np.float64, copy=False)


# -- shared ---------------------------------------------------------------------------------------


def _arbin_record(path: Path, arbin: dict[str, NDArray[Any]], notes: list[str], instrument: str,
                  version: str | None) -> Record:
    """Canonical columns from Arbin fields in Arbin's units (see the module docstring)."""
    time_s = monotonic_time(path, arbin["Test_Time"], "Test_Time", notes)
    # NaN, inf or an empty cell in voltage or current is refused, as by the other readers
    voltage = finite_column(path, "Voltage", arbin["Voltage"], "a number in every row")
    columns: dict[str, NDArray[Any]] = {"time_s": time_s, "voltage_V": voltage}
    current = None
    if "Current" in arbin:
        current = finite_column(path, "Current", arbin["Current"], "a number in every row") * 1000.0
        columns["current_mA"] = current
    step_id = _step_ids(arbin, current, notes)
    if step_id is not None:
        columns["step"] = step_id
        if "Charge_Capacity" in arbin and "Discharge_Capacity" in arbin:
            net_mAh = (np.asarray(arbin["Charge_Capacity"]) - np.asarray(arbin["Discharge_Capacity"])) * 1000.0
            columns["capacity_mAh"] = capacity_within_steps(net_mAh, step_id)
        if "Charge_Energy" in arbin and "Discharge_Energy" in arbin:
            net_mWh = (np.asarray(arbin["Charge_Energy"]) - np.asarray(arbin["Discharge_Energy"])) * 1000.0
            columns["energy_mWh"] = capacity_within_steps(net_mWh, step_id)
    if _complete(arbin.get("Cycle_Index")):
        columns["cycle"] = np.asarray(arbin["Cycle_Index"]).astype(np.int64)
    if "Temperature" in arbin:
        columns["temperature_C"] = arbin["Temperature"]
    if _complete(arbin.get("Step_Index")):
        columns["step_index"] = np.asarray(arbin["Step_Index"]).astype(np.int64)
    for field, name in (("Step_Time", "step_time_s"), ("Internal_Resistance", "internal_resistance_ohm"),
                        ("dV/dt", "dVdt_V_s")):
        if field in arbin and np.asarray(arbin[field]).dtype.kind == "f" and not np.isnan(arbin[field]).all():
            columns[name] = arbin[field]
    date_time = arbin.get("DateTime")
    if date_time is not None and date_time.dtype.kind in "fiu" and np.all((date_time > 1e9) & (date_time < 4e9)):
        columns["unix_time_s"] = date_time.astype(np.float64)
    return Record.from_columns(columns, provenance=Provenance(
        instrument=instrument, techniques=("cycling",), notes=tuple(notes), reader_version=version,
    ))


def _complete(values: NDArray[Any] | None) -> bool:
    return values is not None and values.dtype.kind in "fiu" and bool(np.all(np.isfinite(values)))


def _step_ids(arbin: dict[str, NDArray[Any]], current_mA: NDArray[np.float64] | None,
              notes: list[str]) -> NDArray[Any] | None:
    """Global step numbers: a new step where Step_Index or Cycle_Index changes or Step_Time restarts.

    Without a complete Step_Index the steps follow the state (rest / charge / discharge), as the
    record would number them; without current either, None.
    """
    if not _complete(arbin.get("Step_Index")):
        if current_mA is None:
            return None
        notes.append("no Step_Index: steps follow changes of state (rest / charge / discharge)")
        return number_steps(state_from_current(current_mA))
    keys = [np.asarray(arbin[name]) for name in ("Step_Index", "Cycle_Index") if _complete(arbin.get(name))]
    changed = np.zeros(keys[0].size, dtype=bool)
    for key in keys:
        changed[1:] |= key[1:] != key[:-1]
    if _complete(arbin.get("Step_Time")):
        changed[1:] |= np.diff(arbin["Step_Time"]) < 0
    return np.cumsum(changed)
