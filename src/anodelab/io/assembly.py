""":meth:`Record.from_columns`, a chunk of rows at a time: the same columns, dtypes, column order, steps,
states, capacities and cycles as from the whole file's columns, for readers that stream.

A row's cycle depends on the direction of every step before it (:mod:`anodelab.core.conventions`), and a
step's direction on all its rows, so the chunks go by twice: :meth:`RecordAssembly.observe` sees every
chunk first and counts each step's charge and discharge rows (O(steps) memory), then
:meth:`RecordAssembly.build` makes each chunk's :class:`Record`. Carried from chunk to chunk: the last
row's step key, time, current and running charge, and the charge total at the open step's first row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    REST,
    UNKNOWN,
    cycles_of_runs,
    state_from_current,
)
from anodelab.core.errors import ReadError
from anodelab.core.record import CANONICAL, Provenance, Record


class NotStreamable(Exception):
    """A file its format's reader can read only whole (the reason in the message): read it with ``read``."""


@contextmanager
def rows_from(path: Path, offset: int, skip_lines: int | None = None) -> Iterator[None]:
    """ReadErrors about ``path`` raised inside, their "data row N" counted ``offset`` rows further on (a
    chunk's rows are numbered from its first), with the file's line where the data start after
    ``skip_lines`` header lines."""
    def shifted(match: re.Match[str]) -> str:
        row = int(match.group(1)) + offset
        return f"data row {row}" + (f" (line {row + skip_lines})" if skip_lines is not None else "")

    try:
        yield
    except ReadError as error:
        if error.path != str(path):
            raise
        raise ReadError(path, re.sub(r"data row (\d+)", shifted, error.problem), expected=error.expected) from None


_FLOATS = ("time_s", "voltage_V", "current_mA", "capacity_mAh", "temperature_C")
_DTYPES = {"step": np.int32, "cycle": np.int32, "state": np.int8}


@dataclass
class _Carry:
    """What one chunk leaves the next: the last row's step key and number, time, |current| and running
    charge total, and that total at the open step's first row."""

    key: Any = None
    steps: int = 0
    time_s: float | None = None
    current_mA: float = 0.0
    total_mAh: float = 0.0
    zero_mAh: float = 0.0


@dataclass
class RecordAssembly:
    """The canonical columns of a file's chunks made into :class:`Record` chunks (module docstring).

    ``expected`` goes into the errors, which name ``path`` and the data row.
    """

    path: Path
    expected: str
    cell_type: str | None = None
    _carry: _Carry = field(default_factory=_Carry)
    _counts: list[tuple[int, NDArray[np.int64], NDArray[np.int64]]] = field(default_factory=list)
    _cycles: NDArray[np.int32] | None = None

    # -- the first pass ---------------------------------------------------------------------------

    def observe(self, columns: Mapping[str, Any], first_row: int) -> None:
        """Check a chunk (sizes, time) and count its steps' charge and discharge rows."""
        data = self._arrays(columns, first_row)
        state = self._state(data)
        number = self._numbers(data.get("step", state))
        if number.size:
            offset = number - number[0]
            size = int(offset[-1]) + 1
            self._counts.append((int(number[0]), np.bincount(offset, weights=state == CHARGE, minlength=size)
                                 .astype(np.int64), np.bincount(offset, weights=state == DISCHARGE, minlength=size)
                                 .astype(np.int64)))

    def start_building(self) -> None:
        """After every chunk was observed: each step's cycle, and the carry reset for :meth:`build`."""
        total = self._carry.steps
        charge, discharge = np.zeros(total, dtype=np.int64), np.zeros(total, dtype=np.int64)
        for first, charged, discharged in self._counts:
            charge[first - 1:first - 1 + charged.size] += charged
            discharge[first - 1:first - 1 + discharged.size] += discharged
        direction = np.full(total, REST, dtype=np.int8)
        direction[charge > discharge] = CHARGE
        direction[(discharge >= charge) & (discharge > 0)] = DISCHARGE
        # each step one "row" whose state is the step's direction: the conventions' own cycle rule
        self._cycles = cycles_of_runs(np.arange(total, dtype=np.intp), direction, total, self.cell_type)
        self._counts = []
        self._carry = _Carry()

    # -- the second pass --------------------------------------------------------------------------

    def build(self, columns: Mapping[str, Any], first_row: int, provenance: Provenance,
              cell: CellInfo | None) -> Record:
        """The chunk's Record, as :meth:`Record.from_columns` makes the file's rows (then ``with_cell``)."""
        if self._cycles is None:
            raise RuntimeError("RecordAssembly.build before start_building")
        carry = self._carry
        previous = (carry.time_s, carry.current_mA, carry.total_mAh, carry.zero_mAh, carry.key, carry.steps)
        data = self._arrays(columns, first_row)
        data["state"] = self._state(data)
        given = "step" in data
        number = self._numbers(data["step"] if given else data["state"])
        data["step"] = number
        if "capacity_mAh" not in data and "time_s" in data and "current_mA" in data:
            data["capacity_mAh"] = self._capacity(data["time_s"], data["current_mA"], number, previous)
        if not given:  # Record.from_columns adds the step after the state
            data["step"] = data.pop("step")
        if "cycle" in data:
            data["cycle_instrument"] = data.pop("cycle")
        data["cycle"] = self._cycles[number - 1] if number.size else np.zeros(0, dtype=np.int32)
        for name, dtype in _DTYPES.items():
            data[name] = np.ascontiguousarray(data[name], dtype=dtype)
        ordered = {name: data.pop(name) for name in CANONICAL if name in data}
        ordered.update(data)
        for array in ordered.values():
            array.flags.writeable = False
        return Record(MappingProxyType(ordered), cell, provenance)

    # -- shared -----------------------------------------------------------------------------------

    def _arrays(self, columns: Mapping[str, Any], first_row: int) -> dict[str, NDArray[Any]]:
        data: dict[str, NDArray[Any]] = {}
        for name, values in columns.items():
            array = np.asarray(values)
            if array.ndim != 1:
                raise ReadError(self.path, f"column {name} must be 1-D, got shape {array.shape}", expected=self.expected)
            data[name] = array
        if "voltage_V" not in data:
            raise ReadError(self.path, "a record needs a voltage column", expected=self.expected)
        n = data["voltage_V"].size
        for name, array in data.items():
            if array.size != n:
                raise ReadError(self.path, f"column {name} has {array.size} rows, voltage_V has {n}",
                                expected=self.expected)
        for name in _FLOATS:
            if name in data:
                data[name] = np.ascontiguousarray(data[name], dtype=np.float64)
        if "time_s" in data:
            self._check_time(data["time_s"], first_row)
            if n:
                self._carry.time_s = float(data["time_s"][-1])
        return data

    def _check_time(self, time: NDArray[np.float64], first_row: int) -> None:
        """Refuse times that are not finite or that run backwards, across chunks too."""
        before = self._carry.time_s
        joined = time if before is None else np.r_[before, time]
        if not joined.size or (np.isfinite(joined[0]) and np.isfinite(joined[-1]) and bool((joined[1:] >= joined[:-1]).all())):
            return
        if not (np.isfinite(joined.min()) and np.isfinite(joined.max())):
            bad = int(np.argmax(~np.isfinite(time)))
            raise ReadError(self.path, f"time_s: contains NaN or infinite times (data row {first_row + bad})",
                            expected=self.expected)
        row = int(np.argmax(joined[1:] < joined[:-1])) + (0 if before is None else -1) + 1
        raise ReadError(self.path, f"time_s: decreases at data row {first_row + row}; time must not run backwards",
                        expected=self.expected)

    @staticmethod
    def _state(data: Mapping[str, NDArray[Any]]) -> NDArray[np.int8]:
        if "state" in data:
            raise ValueError("RecordAssembly takes no state column")  # no streaming reader gives one
        if "current_mA" in data:
            return state_from_current(data["current_mA"])
        return np.full(data["voltage_V"].size, UNKNOWN, dtype=np.int8)

    def _numbers(self, key: NDArray[Any]) -> NDArray[np.int32]:
        """Global step numbers 1, 2, 3, ...: a new step wherever ``key`` changes from the row before."""
        carry = self._carry
        if key.size == 0:
            return np.zeros(0, dtype=np.int32)
        new = np.empty(key.size, dtype=bool)
        new[0] = carry.steps == 0 or bool(key[0] != carry.key)
        np.not_equal(key[1:], key[:-1], out=new[1:])
        number = (np.cumsum(new, dtype=np.int64) + carry.steps).astype(np.int32)
        carry.key, carry.steps = key[-1], int(number[-1])
        return number

    def _capacity(self, time: NDArray[np.float64], current_mA: NDArray[np.float64], step: NDArray[np.int32],
                  previous: tuple[Any, ...]) -> NDArray[np.float64]:
        """:func:`~anodelab.core.conventions.capacity_from_current`, the running sums carried over."""
        last_time, last_current, total, zero, _, last_step = previous
        current = np.abs(np.nan_to_num(current_mA))
        if time.size == 0:
            return np.zeros(0)
        increment = np.zeros(time.size)
        if last_step == 0:
            increment[1:] = 0.5 * (current[1:] + current[:-1]) * np.diff(time) / 3600.0
            increment[1:][step[1:] != step[:-1]] = 0.0
        else:
            times, currents, steps = np.r_[last_time, time], np.r_[last_current, current], np.r_[last_step, step]
            increment[:] = 0.5 * (currents[1:] + currents[:-1]) * np.diff(times) / 3600.0
            increment[steps[1:] != steps[:-1]] = 0.0
        running = np.cumsum(np.r_[total, increment])[1:]
        new = np.r_[last_step == 0 or step[0] != last_step, step[1:] != step[:-1]]
        starts = np.flatnonzero(new)
        zeros = running[starts]
        held = np.r_[zero, zeros] if not new[0] else zeros
        bounds = np.r_[0, starts, time.size] if not new[0] else np.r_[starts, time.size]
        within: NDArray[np.float64] = np.subtract(running, np.repeat(held, np.diff(bounds)))
        carry = self._carry
        carry.current_mA, carry.total_mAh = float(current[-1]), float(running[-1])
        carry.zero_mAh = float(held[-1])
        return within
