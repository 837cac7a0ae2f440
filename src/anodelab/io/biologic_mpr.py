"""BioLogic EC-Lab binary ``.mpr`` reader: the MODULE chain, the column-ID dtype, block-wise copies of
the columns the conversion reads, and the digest of the bytes read (deferred).

The ``.mpr`` parser is our own (layout learnt from galvani's ``BioLogic.py`` and yadg's ``eclab``
extractor). galvani refuses files with column IDs it does not know (e.g. the PEIS harmonics
473-503) and reads every ``.mpr`` into a record array we would convert anyway; here the column-ID
table builds one numpy structured dtype and ``np.frombuffer`` views the data module in place.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.biologic import _convert, _Raw
from anodelab.io.biologic_columns import (
    _ALTERNATIVE_COLUMNS,
    _CHARGE_COUNTERS,
    _CURRENT,
    _DATA_COLUMNS,
    _FLAG_COLUMNS,
    _TEMPERATURE,
    _VOLTAGE,
    Columns,
)
from anodelab.io.checksum import sha256_of_read

MPR_EXPECTED = "a BioLogic EC-Lab binary file (.mpr)"

# Technique byte at the start of the settings module: yadg's table (extractors/eclab/techniques.py),
# plus 0x88 = BCD, Battery Capacity Determination (yadg issue #241, "KeyError: 136" on a BCD file,
# fixed in yadg PR #242). Other bytes are shown as "technique 0x..", never guessed.
_MPR_TECHNIQUES = {
    0x04: "GCPL", 0x06: "CV", 0x0B: "OCV", 0x16: "MP", 0x18: "CA", 0x19: "CP", 0x1C: "WAIT",
    0x1D: "PEIS", 0x1E: "GEIS", 0x30: "CV", 0x32: "ZIR", 0x33: "CVA", 0x6C: "LSV", 0x75: "CstV",
    0x76: "CstC", 0x77: "GCPL", 0x7F: "MB", 0x88: "BCD",
}

_MPR_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a".ljust(48) + b"\x00" * 4
_MODULE_MAGIC = b"MODULE"
_HEADER_V1 = struct.Struct("<10s25sII8s")  # short name, long name, length, version, date
_HEADER_V2 = struct.Struct("<10s25sIIII8s")  # ... max length (0xFFFFFFFF), length, version, ?, date
_OLE_EPOCH = datetime(1899, 12, 30)

# .mpr columns the conversion reads, copied out of the row table in one pass over it (the others stay views
# into it); those it uses as float64 are copied as float64. Also copied, as float64, and turned in place
# into current_mA and capacity_mAh: dq/mA.h where no current is stored, and the first charge counter
_MPR_AS_FLOAT64 = frozenset({*_VOLTAGE, *_CURRENT, "control/mA", *_TEMPERATURE})
_MPR_READ_WHOLE = frozenset({
    "flags", "time/s", "Ns", "z cycle", "Loop", "cycle number", "Capacity/mA.h",
    "Ece/V", "<Ece>/V", "Ewe-Ece/V", "freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "|Z|/Ohm", "Phase(Z)/deg",
    *_MPR_AS_FLOAT64,
})
_UNPACK_BYTES = 1 << 18  # rows of the table copied per block: well inside a core's L2 cache


def read_mpr(path: Path) -> Record | SpectrumSeries:
    """Read a BioLogic EC-Lab binary file (``.mpr``): a Record, or a SpectrumSeries for PEIS/GEIS."""
    path = Path(path)
    return _convert(path, _mpr_raw(path), MPR_EXPECTED, drop_empty=False)


def _mpr_raw(path: Path) -> _Raw:
    """The instrument columns of an ``.mpr`` under EC-Lab names, with technique, loops and start time."""
    raw = path.read_bytes()
    if not raw.startswith(_MPR_MAGIC):
        raise ReadError(path, "not a BioLogic .mpr file (wrong magic bytes)", expected=MPR_EXPECTED)
    modules = _mpr_modules(path, memoryview(raw))
    if "VMP data" not in modules:
        raise ReadError(path, "no data rows: the file has no 'VMP data' module", expected=MPR_EXPECTED)
    columns, views, table, notes = _mpr_data(path, modules["VMP data"])
    n_points = table.size
    data = _Raw(columns, notes=notes, sha256=sha256_of_read(raw), views=views, table=table)
    if "VMP Set" in modules and len(modules["VMP Set"].data):
        code = modules["VMP Set"].data[0]
        data.techniques = (_MPR_TECHNIQUES.get(code, f"technique 0x{code:02x}"),)
    if "VMP loop" in modules:
        data.loop = _mpr_loops(path, modules["VMP loop"], n_points)
    if "VMP LOG" in modules:
        start = _mpr_start(modules["VMP LOG"].data)
        if start is not None:
            data.notes.append(f"acquisition started {start.isoformat(sep=' ')} (instrument clock)")
            if "time/s" in columns and n_points:
                first = start + timedelta(seconds=float(columns["time/s"][0]))
                data.notes.append(f"first row at {first.isoformat(sep=' ')} (instrument clock)")
    return data


@dataclass(frozen=True)
class _Module:
    version: int
    data: memoryview


def _mpr_modules(path: Path, raw: memoryview) -> dict[str, _Module]:
    """Walk the ``MODULE`` chain after the file magic; each module once."""
    modules: dict[str, _Module] = {}
    position = len(_MPR_MAGIC)
    while position < len(raw):
        if raw[position:position + 6] != _MODULE_MAGIC:
            raise ReadError(path, f"corrupt module chain: no 'MODULE' marker at byte {position}", expected=MPR_EXPECTED)
        position += 6
        header = _HEADER_V2 if raw[position + 35:position + 39].tobytes() == b"\xff\xff\xff\xff" else _HEADER_V1
        if position + header.size > len(raw):
            raise ReadError(path, f"file is truncated inside a module header at byte {position}", expected=MPR_EXPECTED)
        fields = header.unpack_from(raw, position)
        name = fields[0].decode("latin-1").strip(" \x00")
        length, version = (fields[3], fields[4]) if header is _HEADER_V2 else (fields[2], fields[3])
        start = position + header.size
        if start + length > len(raw):
            raise ReadError(path, f"file is truncated: module {name!r} declares {length} bytes, "
                            f"{len(raw) - start} remain", expected=MPR_EXPECTED)
        if name in modules:
            raise ReadError(path, f"module {name!r} appears twice", expected=MPR_EXPECTED)
        modules[name] = _Module(version, raw[start:start + length])
        position = start + length
    return modules


def _mpr_data(path: Path, module: _Module) -> tuple[Columns, Columns, NDArray[np.void], list[str]]:
    """Columns of the data module, the views into it of those copied out (:data:`_MPR_READ_WHOLE`), and the
    row table itself (:func:`mpr_table`, :func:`table_columns`)."""
    table, flags, notes = mpr_table(path, module)
    columns, views = table_columns(table, flags)
    return columns, views, table, notes


def mpr_table(path: Path, module: _Module) -> tuple[NDArray[np.void], dict[str, int], list[str]]:
    """The row table of the data module (viewed in place through one structured dtype), its flag masks and notes."""
    data, version = module.data, module.version
    if len(data) < 6:
        raise ReadError(path, "data module is too short for its header", expected=MPR_EXPECTED)
    n_points = int.from_bytes(data[0:4], "little")
    if version in (2, 3):
        n_columns, id_format, id_offset, offset = data[4], "<u2", 5, 405 if version == 2 else 406
    elif version == 0 and data[5] == 0:  # EC-Lab >= 11.50: u2 count, u2 IDs, data at 1007
        n_columns, id_format, id_offset, offset = int.from_bytes(data[4:6], "little"), "<u2", 6, 1007
    elif version == 0:  # oldest layout: u1 IDs, data at 100
        n_columns, id_format, id_offset, offset = data[4], "u1", 5, 100
    else:
        raise ReadError(path, f"data module version {version} is not supported", expected="version 0, 2 or 3")
    id_end = id_offset + n_columns * np.dtype(id_format).itemsize
    if n_columns == 0 or id_end > min(offset, len(data)):
        raise ReadError(path, f"data module declares {n_columns} columns, its header has no room for them",
                        expected=MPR_EXPECTED)
    if n_points == 0:
        extra = len(data) - offset
        detail = f", yet {extra} bytes follow its column table" if extra > 0 else ""
        raise ReadError(path, f"no data rows: the data module declares 0 points{detail}", expected=MPR_EXPECTED)
    ids = np.frombuffer(data, dtype=id_format, count=n_columns, offset=id_offset).astype(int).tolist()
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise ReadError(path, f"data module lists column ID(s) {', '.join(map(str, repeated))} more than once "
                        "(EC-Lab writes each column once: the column table is damaged)", expected=MPR_EXPECTED)
    dtype, flags, notes = _mpr_dtype(path, ids, n_points, len(data) - offset)
    return np.frombuffer(data, dtype=dtype, count=n_points, offset=offset), flags, notes


def table_columns(table: NDArray[np.void], flags: Mapping[str, int]) -> tuple[Columns, Columns]:
    """The columns of (rows of) a row table, and the views into it of those copied out.

    The columns are views into the table; those the conversion reads whole are copied out
    (contiguous arrays are many times faster to compute on), block by block (:func:`_unpack`), with
    dq/mA.h (where no current is stored) and the first charge counter.
    """
    names = [name for name in table.dtype.names or () if not name.startswith("unknown ")]
    columns: Columns = {name: table[name] for name in names}  # views into the file's bytes
    counter = next((name for name, _ in _CHARGE_COUNTERS if name in columns), None)  # capacity_mAh's source
    charge = None if any(name in columns for name in _CURRENT) else "dq/mA.h"  # current_mA's, where no current
    as_float64 = _MPR_AS_FLOAT64 | {name for name in (counter, charge) if name in columns}
    copied = _unpack(table, {name: np.dtype(np.float64) if name in as_float64 else table.dtype[name]
                             for name in names if name in _MPR_READ_WHOLE or name in as_float64})
    views = {name: columns[name] for name in copied}
    columns.update(copied)
    if flags:
        byte = columns.pop("flags")
        for name, mask in flags.items():
            if name == "control changes":  # a step marker the conversion does not use (Ns and loops make steps)
                continue
            column = byte & mask
            column >>= (mask & -mask).bit_length() - 1
            columns[name] = column
    return columns, views


def _unpack(table: NDArray[np.void], dtypes: Mapping[str, np.dtype]) -> Columns:
    """Contiguous copies of fields of a row table, as ``dtypes`` (field name -> dtype of the copy).

    Copied a block of rows at a time, every field per block, so that each block comes from memory
    into the cache once (a field at a time, each would fetch all of the table's bytes again).
    """
    out: Columns = {name: np.empty(table.size, dtype=dtype) for name, dtype in dtypes.items()}
    rows = max(1, _UNPACK_BYTES // max(1, table.itemsize))
    for begin in range(0, table.size, rows):
        block = table[begin:begin + rows]
        for name, column in out.items():
            column[begin:begin + rows] = block[name]
    return out


def _mpr_dtype(path: Path, ids: list[int], n_points: int, n_bytes: int) -> tuple[np.dtype, dict[str, int], list[str]]:
    """The row dtype whose width matches the module (``n_bytes`` for ``n_points`` rows)."""
    if n_points and n_bytes % n_points == 0 and (found := _row_dtype(tuple(ids), n_bytes // n_points)) is not None:
        dtype, flags, notes = found
        return dtype, dict(flags), list(notes)
    tried = _match_rows(ids, n_points, n_bytes)[1]
    raise ReadError(path, "data module does not match its column table: " + "; ".join(dict.fromkeys(tried)),
                    expected=f"{MPR_EXPECTED} with column IDs known from EC-Lab (galvani/yadg tables)")


@lru_cache(maxsize=256)
def _row_dtype(ids: tuple[int, ...], row_bytes: int) -> tuple[np.dtype, tuple[tuple[str, int], ...], tuple[str, ...]] | None:
    """:func:`_match_rows` for one row of ``row_bytes``, once per column table (files of one technique share it)."""
    found = _match_rows(list(ids), 1, row_bytes)[0]
    return None if found is None else (found[0], tuple(found[1].items()), tuple(found[2]))


def _match_rows(ids: list[int], n_points: int, n_bytes: int) -> tuple[tuple[np.dtype, dict[str, int], list[str]] | None,
                                                                       list[str]]:
    """The row dtype, flag masks and notes of the first column table whose rows fill the module (None if none
    does), and why each table tried does not."""
    tables = [_DATA_COLUMNS]
    if any(i in _ALTERNATIVE_COLUMNS for i in ids):
        tables.append({**_DATA_COLUMNS, **_ALTERNATIVE_COLUMNS})
    tried: list[str] = []
    for table in tables:
        fields, flags, unknown = _mpr_fields(ids, table)
        known = np.dtype([f for f in fields if f[1] is not None]).itemsize
        if n_points and n_bytes % n_points == 0 and len(unknown) == 1 and n_bytes // n_points - known in (1, 2, 4, 8):
            # One unknown ID: its width is what the module length leaves; skip it as raw bytes.
            width = n_bytes // n_points - known
            fields = [(name, fmt or f"V{width}") for name, fmt in fields]
            note = f"column ID {unknown[0]} is unknown to anodelab ({width} bytes per row); it was skipped"
            return (np.dtype(fields), flags, [note]), tried
        if unknown:
            tried.append(f"unknown column ID(s) {', '.join(map(str, unknown))} of unknown width")
            continue
        dtype = np.dtype(fields)
        if dtype.itemsize * n_points == n_bytes:
            return (dtype, flags, []), tried
        tried.append(f"{n_points} rows of {dtype.itemsize} bytes need {dtype.itemsize * n_points} bytes, "
                     f"the data module holds {n_bytes}")
    return None, tried


Fields = list[tuple[str, str | None]]


def _mpr_fields(ids: list[int], table: Mapping[int, tuple[str, str]]) -> tuple[Fields, dict[str, int], list[int]]:
    """Structured-dtype fields for a column-ID list; flag IDs share one leading byte."""
    fields: Fields = []
    flags: dict[str, int] = {}
    unknown: list[int] = []
    seen: dict[str, int] = {}
    for column_id in ids:
        if column_id in _FLAG_COLUMNS:
            if not flags:
                fields.append(("flags", "u1"))
            name, mask = _FLAG_COLUMNS[column_id]
            flags[name] = mask
        elif column_id in table:
            name, fmt = table[column_id]
            seen[name] = seen.get(name, 0) + 1
            fields.append((name if seen[name] == 1 else f"{name} {seen[name]}", fmt))
        else:
            unknown.append(column_id)
            fields.append((f"unknown {column_id}", None))
    return fields, flags, unknown


def _mpr_loops(path: Path, module: _Module, n_points: int) -> NDArray[np.int64]:
    """Loop number (0-based) of every row from the loop module's table of start rows."""
    return loop_of_rows(mpr_loop_starts(path, module, n_points), np.arange(n_points))


def mpr_loop_starts(path: Path, module: _Module, n_points: int) -> NDArray[np.int64]:
    """The first row of each loop, from the loop module."""
    data = module.data
    count = int.from_bytes(data[0:4], "little") if len(data) >= 4 else -1
    if count < 1 or 4 + 4 * count > len(data):
        raise ReadError(path, "loop module is corrupt (bad index count)", expected=MPR_EXPECTED)
    starts = np.frombuffer(data, dtype="<u4", count=count, offset=4).astype(np.int64)
    if starts[0] != 0 or np.any(np.diff(starts) < 0) or starts[-1] > n_points:
        raise ReadError(path, "loop module is corrupt (loop start rows out of order or beyond the data)",
                        expected=MPR_EXPECTED)
    return starts


def loop_of_rows(starts: NDArray[np.int64], rows: NDArray[np.intp]) -> NDArray[np.int64]:
    """Loop number (0-based) of the given rows, from the loops' first rows."""
    loops: NDArray[np.int64] = np.searchsorted(starts, rows, side="right") - 1
    return loops


def _mpr_start(log: memoryview) -> datetime | None:
    """Acquisition start (OLE date) from the LOG module: at byte 0x249, or where galvani found it."""
    for offset in (0x249, 465, 469, 473):
        if offset + 8 <= len(log):
            days = struct.unpack_from("<d", log, offset)[0]
            if 32874.0 < days < 73051.0:  # 1990-01-01 .. 2100-01-01
                return _OLE_EPOCH + timedelta(days=days)
    return None
