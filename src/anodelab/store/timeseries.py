"""A Record's columns as a Parquet file beside the database, with Battery Data Format column names.

The Battery Data Format (BDF, battery-data-alliance) fixes the name and unit of the common columns:
``Test Time / s``, ``Voltage / V``, ``Current / A``, ``Step Count / 1`` (a step counter that never
resets: anodelab's ``step``), ``Cycle Count / 1``, ``Step Capacity / Ah`` (charge passed within
the step, >= 0: anodelab's ``capacity_mAh``) and ``Surface Temperature / degC``. ``state`` is kept
as its name (``rest``, ``charge``, ``discharge``, ``unknown``); every other column keeps its
anodelab name, which carries its unit.

Files are named by content (``<file sha256>-<digest of the columns>.parquet``), so the same data
is written once, and a file of the same bytes read with other cell metadata (other cycle numbers)
gets its own. They are written by DuckDB to a temporary name, flushed to disk and renamed into
place; the transaction that references one commits only after that.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import duckdb
import numpy as np

from anodelab.core.conventions import STATES
from anodelab.core.record import Record

FOLDER = "timeseries"
#: anodelab column -> (BDF preferred label, divisor from anodelab's unit to BDF's, None: as it is)
BDF_COLUMNS: dict[str, tuple[str, float | None]] = {
    "time_s": ("Test Time / s", None),
    "voltage_V": ("Voltage / V", None),
    "current_mA": ("Current / A", 1000.0),
    "step": ("Step Count / 1", None),
    "cycle": ("Cycle Count / 1", None),
    "capacity_mAh": ("Step Capacity / Ah", 1000.0),
    "temperature_C": ("Surface Temperature / degC", None),
}
_NAME = re.compile(r"^([0-9a-f]{64}|memory)-[0-9a-f]{16}\.parquet$")


def relative_path(record: Record) -> str:
    """Where ``record``'s Parquet file goes, relative to the database folder (POSIX)."""
    digest = hashlib.blake2b(digest_size=8)
    for name, array in record.columns.items():
        values = np.ascontiguousarray(array)
        digest.update(f"{name}\0{values.dtype.str}\0{values.size}\0".encode())
        digest.update(values.data if values.dtype.kind != "O" else repr(values.tolist()).encode())
    return f"{FOLDER}/{record.provenance.sha256 or 'memory'}-{digest.hexdigest()}.parquet"


def write_parquet(connection: duckdb.DuckDBPyConnection, record: Record, target: Path) -> None:
    """Write ``record`` to ``target`` (unless a file of that name, hence that content, is there)."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    view = f"_record_{os.getpid()}"
    connection.register(view, {name: _scannable(array) for name, array in record.columns.items()})
    try:
        select = ", ".join(_select(name) for name in record.columns)
        quoted = str(temporary).replace("'", "''")
        connection.execute(f"COPY (SELECT {select} FROM {view}) TO '{quoted}' (FORMAT parquet)")
    finally:
        connection.unregister(view)
    _flush(temporary)
    os.replace(temporary, target)
    _flush(target.parent)


def sweep(folder: Path, referenced: set[str]) -> None:
    """Remove what a killed writer left in ``folder/timeseries``: temporary files, and Parquet files
    of this store's naming that no stored file references (``referenced``: relative paths)."""
    timeseries = folder / FOLDER
    if not timeseries.is_dir():
        return
    for item in timeseries.iterdir():
        stale_temporary = item.name.startswith(".") and item.name.endswith(".tmp")
        unreferenced = _NAME.match(item.name) is not None and f"{FOLDER}/{item.name}" not in referenced
        if (stale_temporary or unreferenced) and item.is_file():
            item.unlink(missing_ok=True)


def _select(name: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    if name == "state":
        names = ", ".join(f"'{state}'" for state in STATES)
        return f"[{names}][{quoted} + 1] AS state"
    if name in BDF_COLUMNS:
        label, divisor = BDF_COLUMNS[name]
        value = quoted if divisor is None else f"{quoted} / {divisor!r}"
        return f'{value} AS "{label}"'
    return quoted


def _scannable(array: np.ndarray) -> np.ndarray:
    """A column DuckDB scans as it is: numbers as they are, anything else as text."""
    return array if array.dtype.kind in "biuf" else np.asarray(array, dtype=str).astype(object)


def _flush(path: Path) -> None:
    """Make ``path`` (a file, or a folder after a rename) durable before the database refers to it."""
    if os.name == "nt" and path.is_dir():
        return  # Windows cannot open a folder to flush it; NTFS journals the rename
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
