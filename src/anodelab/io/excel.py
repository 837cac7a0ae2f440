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

python-calamine parses the sheet XML in Rust (about 10x faster than openpyxl).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.io.columns import describe_columns, record_from_columns
from anodelab.io.common import unique_names

EXPECTED = "a LAND or Arbin Excel export with a record sheet (voltage, current, time columns)"


def read_excel(path: Path) -> Record:
    """Read the record sheet(s) of a LAND (or Arbin) Excel export into a :class:`Record`."""
    path = Path(path)
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        names = list(workbook.sheet_names)
    except Exception as error:  # calamine raises its own error types for corrupt or non-Excel files
        raise ReadError(path, f"not a readable Excel workbook ({type(error).__name__}: {error})",
                        expected=EXPECTED) from None
    arbin = [n for n in names if re.match(r"^Channel_\d+_\d+$", n)]
    land = [n for n in names if "record" in n.lower()]
    sheets, instrument = (arbin, "Arbin (MITS Pro Excel export)") if arbin else (land or names[:1], "LAND")
    header: list[str] | None = None
    blocks: list[list[list[Any]]] = []
    for name in sheets:
        try:
            rows = workbook.get_sheet_by_name(name).to_python()
        except Exception as error:  # calamine error types; name the sheet
            raise ReadError(path, f"sheet {name!r} could not be read ({type(error).__name__})", expected=EXPECTED) from None
        found = _header_row(rows)
        if found is not None:
            if header is not None and [str(c).strip() for c in rows[found]] != header:
                raise ReadError(path, f"sheet {name!r} has other columns than the first record sheet", expected=EXPECTED)
            header = [str(c).strip() for c in rows[found]]
            rows = rows[found + 1:]
        elif header is None:
            continue
        blocks.append(rows)
    if header is None:
        raise ReadError(path, f"no sheet among {names} has a header row with a voltage column", expected=EXPECTED)
    keys = unique_names(header)
    table = _columns(keys, [row for block in blocks for row in block if any(cell != "" for cell in row)])
    if not table or len(next(iter(table.values()))) == 0:
        raise ReadError(path, "the record sheet has no data rows", expected=EXPECTED)
    columns = describe_columns(list(table))
    notes = [f"sheets read: {', '.join(sheets)}"]
    if arbin:
        notes.append("workbook is an Arbin MITS Pro export (Global_Info/Channel sheets), not a LAND export")
    return record_from_columns(path, table, columns, instrument=instrument, techniques=("cycling",),
                               expected=EXPECTED, notes=notes)


def _header_row(rows: list[list[Any]]) -> int | None:
    for index, row in enumerate(rows[:30]):
        cells = [str(c).strip() for c in row if isinstance(c, str) and c.strip()]
        if len(cells) >= 3 and any(c.role == "voltage" for c in describe_columns(cells)):
            return index
    return None


def _columns(keys: list[str], rows: list[list[Any]]) -> dict[str, NDArray[Any]]:
    """Column arrays: float64 (empty cells NaN) where every cell is a number or empty, else str."""
    width = len(keys)
    cells = [list(row[:width]) + [""] * (width - len(row)) for row in rows]
    table: dict[str, NDArray[Any]] = {}
    for index, key in enumerate(keys):
        values = [row[index] for row in cells]
        if all(isinstance(v, (int, float)) or v == "" or v is None for v in values):
            table[key] = np.array([np.nan if v == "" or v is None else float(v) for v in values], dtype=np.float64)
        else:
            table[key] = np.array([str(v) for v in values], dtype=object)
    return table
