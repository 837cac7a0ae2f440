"""The rows of a BioLogic ``.mpt`` or EC-Lab text export, for :mod:`anodelab.io.biologic_stream`: block by
block (:mod:`anodelab.io.lines`), under EC-Lab names and units, as windows
(:class:`~anodelab.io.biologic_stream_chunk.Window`); in the first pass what their rows show is gathered
(:class:`~anodelab.io.biologic_stream_plan.Facts`), a re-saved export's row index checked chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.io.assembly import rows_from
from anodelab.io.biologic_columns import Columns
from anodelab.io.biologic_stream_chunk import MARGIN, Window
from anodelab.io.biologic_stream_plan import Facts
from anodelab.io.biologic_text import (
    _PANDAS_INDEX,
    MPT_EXPECTED,
    TEXT_EXPECTED,
    _in_ec_lab_units,
    flag_columns,
    mpt_layout,
    text_layout,
)
from anodelab.io.columns import INDEX_NAMES, normal_name
from anodelab.io.common import unique_names
from anodelab.io.lines import Block, TextTable, all_empty
from anodelab.io.point_index import PointIndexNotes


class _IndexCheck:
    """``is_point_index`` of :mod:`anodelab.io.columns` for a column seen a chunk at a time, and its notes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.size, self.numeric, self.whole = 0, True, True
        self.last: float | None = None
        self.less, self.ones, self.more = 0, 0, 0
        self.largest_less, self.smallest_more = -np.inf, np.inf
        self.notes = PointIndexNotes(name.strip() or "the unnamed first column (a row index)")

    def update(self, values: NDArray[Any]) -> None:
        self.size += values.size
        if values.dtype.kind not in "fiu":
            self.numeric = False
            return
        values = values.astype(np.float64, copy=False)
        self.notes.update(values)
        self.whole = self.whole and bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
        steps = np.diff(values if self.last is None else np.r_[self.last, values])
        self.last = float(values[-1]) if values.size else self.last
        less, more = steps[steps < 1], steps[steps > 1]
        self.less, self.more, self.ones = self.less + less.size, self.more + more.size, self.ones + int((steps == 1).sum())
        self.largest_less = max(self.largest_less, float(less.max(initial=-np.inf)))
        self.smallest_more = min(self.smallest_more, float(more.min(initial=np.inf)))

    def holds(self) -> bool:
        """Whether the whole column is a point index (a median step of 1)."""
        if not (self.numeric and self.size >= 3 and self.whole):
            return False
        count = self.less + self.ones + self.more

        def middle(k: int) -> float:
            return self.largest_less if k < self.less else 1.0 if k < self.less + self.ones else self.smallest_more

        low, high = middle((count - 1) // 2), middle(count // 2)
        return bool(np.mean([low, high]) == 1.0) if count % 2 == 0 else low == 1.0


class TextSource:
    """The rows of an ``.mpt`` or EC-Lab text export (``csv``), block by block, EC-Lab names and units."""

    drop_empty = True
    views_kept = False

    def __init__(self, path: Path, csv: bool) -> None:
        self.path, self.csv = path, csv
        self.layout = text_layout(path) if csv else mpt_layout(path)
        self.expected = TEXT_EXPECTED if csv else MPT_EXPECTED
        self.table = TextTable(path, list(self.layout.names), skip_lines=self.layout.skip_lines,
                               separator=self.layout.separator, decimal_comma=self.layout.decimal_comma,
                               expected=self.expected)
        self.techniques, self.instrument = self.layout.techniques, self.layout.instrument
        self.kinds: dict[str, str] = {}
        self.text: frozenset[str] = frozenset()
        self.unit_notes: list[str] = []
        pairs = zip(self.layout.names, unique_names(self.layout.names))
        self.index = {key: (name, _IndexCheck(name)) for name, key in pairs
                      if csv and key in self.table.names and normal_name(name) in INDEX_NAMES}

    @property
    def rows(self) -> int:
        return self.table.rows

    def windows(self, rows: int, facts: Facts | None) -> Iterator[Window]:
        """The rows ``rows`` at a time as windows; ``facts`` (the first pass): what the rows show is gathered."""
        if facts is None:
            self.text = frozenset(name for name, kind in self.kinds.items() if kind != "float")
        for block in self.table.blocks(rows, self.text, MARGIN):
            columns = self._prepared(block, facts)
            yield Window(columns, {}, None, block.before, block.core, block.first_row,
                          block.first_row + block.core + MARGIN > self.rows)

    def _prepared(self, block: Block, facts: Facts | None) -> Columns:
        """The block's columns under EC-Lab names and units; in the first pass, what its core rows show gathered."""
        columns, inner = block.columns, block.inner
        for name, values in list(columns.items()):
            empty = all_empty(values)
            if facts is not None:
                kind = "float" if values.dtype.kind in "fiub" else "empty" if empty else "text"
                known = self.kinds.get(name, "empty")
                self.kinds[name] = "text" if "text" in (kind, known) else "float" if "float" in (kind, known) else "empty"
            if empty and name not in self.text:  # a block of a column the whole file has numbers in: NaN
                columns[name] = np.full(values.size, np.nan)
        if facts is not None:
            for key, (_, check) in self.index.items():
                check.update(columns[key][inner])
        notes: list[str] = []
        with rows_from(self.path, block.first_row - block.before - 1, self.layout.skip_lines):
            columns = _in_ec_lab_units(self.path, columns, notes, self.expected)
        self.unit_notes = self.unit_notes or notes
        if facts is not None:
            core = {name: values[inner] for name, values in columns.items()}
            if self.csv:
                facts.flags(core, flag_columns(core))
            facts.update(core, block.first_row)
        return columns

    def row_index(self) -> frozenset[str]:
        """pandas' row index of a re-saved export (a point index without a name): left out of the columns."""
        return frozenset(key for key, (name, check) in self.index.items()
                         if normal_name(name).strip() in _PANDAS_INDEX and check.holds())

    def notes(self, conversion: list[str]) -> list[str]:
        """The record's notes, in the whole-file reader's order."""
        index = [note for _, (_, check) in self.index.items() if check.holds() for note in check.notes.notes()]
        return [*self.layout.notes, *index, *self.unit_notes, *self.table.notes, *conversion]

    def close(self) -> None:
        """Nothing held open."""
