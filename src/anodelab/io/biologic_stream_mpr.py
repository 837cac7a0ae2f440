"""The rows of a BioLogic ``.mpr``, for :mod:`anodelab.io.biologic_stream`: slices of its memory-mapped row
table as windows (:class:`~anodelab.io.biologic_stream_chunk.Window`), each slice's pages given back once it
is converted; in the first pass what their rows show is gathered
(:class:`~anodelab.io.biologic_stream_plan.Facts`)."""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np

from anodelab.core.errors import ReadError
from anodelab.io.biologic import INSTRUMENT
from anodelab.io.biologic_mpr import (
    _MPR_MAGIC,
    _MPR_TECHNIQUES,
    MPR_EXPECTED,
    _mpr_modules,
    _mpr_start,
    loop_of_rows,
    mpr_loop_starts,
    mpr_table,
    table_columns,
)
from anodelab.io.biologic_stream_chunk import MARGIN, Window
from anodelab.io.biologic_stream_plan import Facts


class MprSource:
    """The rows of an ``.mpr``: slices of its row table, memory-mapped (pages given back once converted)."""

    drop_empty = False
    csv = False
    expected = MPR_EXPECTED
    instrument = INSTRUMENT

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            if handle.seek(0, 2) < len(_MPR_MAGIC):
                raise ReadError(path, "not a BioLogic .mpr file (wrong magic bytes)", expected=MPR_EXPECTED)
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        raw = memoryview(self._map)
        if raw[:len(_MPR_MAGIC)] != _MPR_MAGIC:
            raise ReadError(path, "not a BioLogic .mpr file (wrong magic bytes)", expected=MPR_EXPECTED)
        modules = _mpr_modules(path, raw)
        if "VMP data" not in modules:
            raise ReadError(path, "no data rows: the data module has no 'VMP data' module", expected=MPR_EXPECTED)
        self.table, self.flags, self.header_notes = mpr_table(path, modules["VMP data"])
        setting = modules.get("VMP Set")
        code = setting.data[0] if setting is not None and len(setting.data) else None
        self.techniques = (_MPR_TECHNIQUES.get(code, f"technique 0x{code:02x}"),) if code is not None else ()
        loops = modules.get("VMP loop")
        self.loops = mpr_loop_starts(path, loops, self.table.size) if loops is not None else None
        log = modules.get("VMP LOG")
        start = _mpr_start(log.data) if log is not None else None
        if start is not None:
            self.header_notes.append(f"acquisition started {start.isoformat(sep=' ')} (instrument clock)")
            if "time/s" in (self.table.dtype.names or ()):
                first = start + timedelta(seconds=float(self.table["time/s"][0]))
                self.header_notes.append(f"first row at {first.isoformat(sep=' ')} (instrument clock)")
        self._base = np.frombuffer(self._map, dtype=np.uint8).__array_interface__["data"][0]

    @property
    def rows(self) -> int:
        return int(self.table.size)

    def windows(self, rows: int, facts: Facts | None) -> Iterator[Window]:
        n = self.rows
        for begin in range(0, n, rows):
            stop = min(n, begin + rows)
            low, high = max(0, begin - MARGIN), min(n, stop + MARGIN)
            part = np.array(self.table[low:high])  # the rows' bytes, copied: nothing refers into the map
            columns, views = table_columns(part, self.flags)
            loop = loop_of_rows(self.loops, np.arange(low, high)) if self.loops is not None else None
            window = Window(columns, views, loop, begin - low, stop - begin, begin + 1, high == n)
            if facts is not None:
                facts.update({name: values[window.inner] for name, values in columns.items()}, begin + 1)
            yield window
            self._give_back(max(0, stop - MARGIN))

    def _give_back(self, row: int) -> None:
        """Drop the map's pages before ``row`` from memory (they are read again from the file if asked for)."""
        address = self.table.__array_interface__["data"][0] + row * self.table.itemsize - self._base
        pages = address - address % mmap.PAGESIZE
        if pages > 0 and hasattr(self._map, "madvise"):
            self._map.madvise(mmap.MADV_DONTNEED, 0, pages)

    def row_index(self) -> frozenset[str]:
        return frozenset()

    def notes(self, conversion: list[str]) -> list[str]:
        return [*self.header_notes, *conversion]

    def close(self) -> None:
        """Release the map (no array refers into it once the table is let go)."""
        del self.table
        try:
            self._map.close()
        except BufferError:  # a view is still alive somewhere: the map goes when it does
            pass
