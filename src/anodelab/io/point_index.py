"""What a point index that numbers the instrument's records 1, 2, 3, ... (Arbin Data_Point, Neware
DataPoint, Maccor Rec#, NOVA Index, Gamry Pt) shows about the rows read: skips, repeats, steps back and
empty cells, as provenance notes (:func:`note_point_index`; :class:`PointIndexNotes` a chunk at a time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


def note_point_index(name: str, index: NDArray[Any], notes: list[str], may_repeat: NDArray[np.bool_] | None = None,
                     *, first: float | None = None, may_restart: NDArray[np.bool_] | None = None) -> None:
    """Note what a point index that numbers the instrument's records 1, 2, 3, ... (Arbin Data_Point,
    Neware DataPoint, Maccor Rec#, NOVA Index, Gamry Pt) shows about the rows read.

    A skip is records the file does not hold: inside a stretch of consecutive records it is noted as
    rows lost (or thinned by the export), between isolated records as records an export left out (or
    rows lost); so is a first row above ``first`` (the number of the first record, when the format
    fixes it). A repeat (outside the rows ``may_repeat`` marks, which may share the previous row's
    index) is a row duplicated; a step back, rows repeated or out of order, except a restart at the
    first number on the rows ``may_restart`` marks (a new scan). Empty cells are noted too.
    """
    check = PointIndexNotes(name, first)
    check.update(index, may_repeat, may_restart)
    notes.extend(check.notes())


@dataclass
class _Tally:
    """Places a point index does something (skips, repeats, goes back): how many, how many records, the first."""

    places: int = 0
    records: float = 0.0
    first: float | None = None

    def add(self, where: NDArray[np.bool_], records: NDArray[np.float64] | None, at: NDArray[Any]) -> None:
        if where.any():
            self.places += int(where.sum())
            self.records += float(records[where].sum()) if records is not None else 0.0
            if self.first is None:
                self.first = float(at[int(np.argmax(where))])


class PointIndexNotes:
    """:func:`note_point_index` fed a chunk of rows at a time (:meth:`update`), its notes (:meth:`notes`)
    those of the whole column. Carried from chunk to chunk: the last numbered row and the step into it."""

    _INSIDE = "inside runs of consecutive records: rows lost, or thinned by the export"
    _BETWEEN = "between isolated records: records the export left out, or rows lost"

    def __init__(self, name: str, first: float | None = None) -> None:
        self.name, self.first = name, first
        self._rows = 0  # rows seen
        self._unknown, self._first_unknown = 0, 0
        self._start: float | None = None  # the first number
        self._last: tuple[float, int] | None = None  # the last number and its row (0-based)
        # the step into the last number, classified once the next step is known: (step, from, before consecutive)
        self._pending: tuple[float, float, bool] | None = None
        self._inside, self._between, self._repeats, self._back = _Tally(), _Tally(), _Tally(), _Tally()

    def update(self, index: NDArray[Any], may_repeat: NDArray[np.bool_] | None = None,
               may_restart: NDArray[np.bool_] | None = None) -> None:
        """The next rows' index values (and their ``may_repeat`` / ``may_restart`` marks)."""
        values = np.asarray(index, dtype=np.float64)
        known = np.isfinite(values)
        offset, self._rows = self._rows, self._rows + values.size
        if not known.all():
            if not self._unknown:
                self._first_unknown = offset + int(np.argmax(~known))
            self._unknown += int((~known).sum())
        rows = np.flatnonzero(known)
        if rows.size == 0:
            return
        points = values[rows]
        if self._start is None:
            self._start = float(points[0])
        previous = [self._last] if self._last is not None else []
        joined = np.r_[[p for p, _ in previous], points]
        at_rows = np.r_[[r for _, r in previous], rows + offset].astype(np.int64)
        self._last = (float(points[-1]), int(rows[-1]) + offset)
        steps = np.diff(joined)
        if steps.size == 0:
            return
        later = rows[len(rows) - steps.size:]  # the rows each step goes to (chunk positions)
        if may_restart is not None:
            restart = self._start if self.first is None else self.first
            steps[np.asarray(may_restart)[later] & (joined[1:] == restart)] = 1.0
        self._classify(steps, joined[:-1])
        repeats = steps == 0
        if may_repeat is not None:
            repeats &= ~np.asarray(may_repeat)[later]
        self._repeats.add(repeats, None, at_rows[1:] + 1)
        self._back.add(steps < 0, None, at_rows[1:] + 1)

    def _classify(self, steps: NDArray[np.float64], starts: NDArray[np.float64]) -> None:
        """Skips inside runs of consecutive records or between isolated ones; the last step waits for the next."""
        consecutive = (steps == 0) | (steps == 1)
        pending = self._pending
        before = np.r_[pending is not None and pending[0] in (0.0, 1.0), consecutive[:-1]]
        if pending is not None:  # the waiting step, its next now known
            self._count(np.array([pending[0]]), np.array([pending[1]]), np.array([pending[2]]), consecutive[:1])
        self._count(steps[:-1], starts[:-1], before[:-1], consecutive[1:])
        self._pending = (float(steps[-1]), float(starts[-1]), bool(before[-1]))

    def _count(self, steps: NDArray[np.float64], starts: NDArray[np.float64], before: NDArray[np.bool_],
               after: NDArray[np.bool_]) -> None:
        skips = steps > 1
        inside = skips & before & after
        self._inside.add(inside, steps - 1, starts)
        self._between.add(skips & ~inside, steps - 1, starts)

    def notes(self) -> list[str]:
        """The notes of every row given so far, as :func:`note_point_index` writes them."""
        if self._start is None:
            return []
        if self._pending is not None:
            step, start, before = self._pending
            self._count(np.array([step]), np.array([start]), np.array([before]), np.array([False]))
            self._pending = None
        name, notes = self.name, []
        if self._unknown:
            notes.append(f"{name} is empty or not a number in {self._unknown} row(s) (first at data row "
                         f"{self._first_unknown + 1}); its sequence is checked on the other rows")
        if self.first is not None and self._start > self.first:
            notes.append(f"{name} starts at {self._start:g}, not {self.first:g}: the {self._start - self.first:g} "
                         "record(s) before the first row are not in the file (rows lost, or left out by the export)")
        for tally, what in ((self._inside, self._INSIDE), (self._between, self._BETWEEN)):
            if tally.places:
                notes.append(f"{name} skips {int(tally.records)} record(s) at {tally.places} place(s) {what} (first "
                             f"after {name} {tally.first:g})")
        for tally, what in ((self._repeats, "repeats"), (self._back, "goes back")):
            if tally.places:
                notes.append(f"{name} {what} at {tally.places} row(s) (first at data row {int(tally.first or 0)}): "
                             "rows duplicated or out of order, kept as stored")
        return notes
