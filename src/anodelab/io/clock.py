"""An instrument's clock as time since the first row that never decreases (:func:`monotonic_time`;
:class:`MonotonicTime` a chunk at a time): a backward jump is given zero duration and noted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError


def monotonic_time(path: Path, time_s: NDArray[np.float64], clock: str, notes: list[str]) -> NDArray[np.float64]:
    """Time since the first row (s) that never decreases.

    A backward jump of the instrument's clock is given zero duration (later intervals are kept)
    and reported in ``notes``; missing or non-finite times raise :class:`ReadError`.
    """
    time = MonotonicTime(path, clock)
    time.observe(time_s)
    notes.extend(time.notes())
    return time.time_s(time_s)


class MonotonicTime:
    """:func:`monotonic_time` of a clock read a chunk at a time: :meth:`observe` every chunk first (whether
    the clock ever runs back decides how every row's time is made), then :meth:`time_s` of each. Carried
    from chunk to chunk: the first row's time, the last row's, and the running sum of the intervals."""

    def __init__(self, path: Path, clock: str) -> None:
        self.path, self.clock = path, clock
        self.first: float | None = None
        self._last: float | None = None
        self._rows = 0
        self._backwards, self._first_back, self._largest = 0, 0, 0.0
        self._total = 0.0
        self._emitting = False  # time_s was called: the carry is the second pass's

    def _shifted(self, time_s: NDArray[Any]) -> NDArray[np.float64]:
        time = np.asarray(time_s, dtype=np.float64)
        if self.first is None and time.size:
            self.first = float(time[0])
        return time - self.first if self.first else time

    def observe(self, time_s: NDArray[Any]) -> None:
        """The next rows' clock readings: checked, their backward jumps counted."""
        time = np.asarray(time_s, dtype=np.float64)
        finite = np.isfinite(time)
        if not finite.all():
            raise ReadError(self.path, f"{self.clock} is missing or not a number at data row "
                            f"{self._rows + int(np.argmin(finite)) + 1}", expected="a time for every row")
        time = self._shifted(time)
        joined = time if self._last is None else np.r_[self._last, time]
        steps = np.diff(joined)
        backwards = steps < 0
        if backwards.any():
            if not self._backwards:
                self._first_back = self._rows + int(np.argmax(backwards)) + (2 if self._last is None else 1)
            self._backwards += int(backwards.sum())
            self._largest = max(self._largest, float(-steps.min()))
        self._rows += time.size
        if time.size:
            self._last = float(time[-1])

    def notes(self) -> list[str]:
        """What :func:`monotonic_time` notes of the rows observed."""
        notes = []
        if self.first:
            notes.append(f"the first row is at {self.clock} = {self.first:.6g} s; time_s counts from the first row")
        if self._backwards:
            notes.append(
                f"{self.clock} runs backwards at {self._backwards} row(s) (first at data row {self._first_back}, "
                f"largest jump {self._largest:.6g} s); each backward jump was given zero duration, so later times "
                "are shifted and time_s never decreases")
        return notes

    def time_s(self, time_s: NDArray[Any]) -> NDArray[np.float64]:
        """The next rows' time since the first row (after every row was observed, in the same chunks)."""
        time = self._shifted(time_s)
        if not self._backwards or not time.size:
            return time
        if not self._emitting:  # the first chunk of the second pass: start the sums
            self._emitting, self._last = True, None
        steps = np.diff(time if self._last is None else np.r_[self._last, time])
        steps[steps < 0] = 0.0
        if self._last is None:
            out = np.concatenate(([0.0], np.cumsum(steps)))
        else:
            out = np.cumsum(np.r_[self._total, steps])[1:]
        self._last, self._total = float(time[-1]), float(out[-1])
        return out
