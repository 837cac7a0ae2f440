"""One chunk of a BioLogic file's rows as the record's columns, for :mod:`anodelab.io.biologic_stream`:
the conversion of :mod:`anodelab.io.biologic` applied to a :class:`Window` (the chunk's rows with up to
:data:`MARGIN` rows of its neighbours either side) by the file's :class:`~anodelab.io.biologic_stream_plan.Plan`,
carrying from chunk to chunk (:class:`Carry`) the last row's step, the charge counter at the open step's first
row, the running sum of dq and the first row's time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import (
    capacity_within_steps,
    run_starts,
    state_from_current,
)
from anodelab.core.errors import ReadError
from anodelab.io.assembly import NotStreamable
from anodelab.io.biologic import (
    _add_extras,
    _current,
    _finite_scaled,
    _first_non_numeric,
    _Raw,
    _step_ids,
    current_from_charge,
    potential_mismatch,
)
from anodelab.io.biologic_columns import _STEP_MARKERS, _TEMPERATURE, Columns
from anodelab.io.biologic_stream_plan import Plan
from anodelab.io.biologic_text import split_flag_bytes
from anodelab.io.common import finite_column, text_series

#: rows of context a chunk is converted with, either side
MARGIN = 8


@dataclass
class Window:
    """Rows to convert: the chunk's ``core`` rows with ``before`` rows of context before them (and some after)."""

    columns: Columns
    views: Columns  # .mpr: the file's values of the columns copied as float64
    loop: NDArray[np.int64] | None
    before: int
    core: int
    first_row: int  # data row (1-based) of the first core row
    at_end: bool  # the context reaches the file's last row

    @property
    def inner(self) -> slice:
        return slice(self.before, self.before + self.core)


@dataclass
class Carry:
    """What one chunk's conversion leaves the next (module docstring)."""

    step_id: int = 0  # the instrument step (sequence and loop) number of the last row, counted from the first
    key: Any = None  # the last row's step key for the capacity (step id or state)
    zero: float = float("nan")  # the charge counter at the open step's first row
    dq_total: float = 0.0
    t0: float | None = None  # time/s of the first row
    micros0: int | None = None  # an absolute-time export's first row, microseconds
    start: str = ""  # and as text, for its note
    borrowed: int = 0
    mismatch: tuple[int, int] = (0, 0)  # rows where Ewe is not (Ewe-Ece) + Ece, the first of them
    notes: list[str] | None = None  # the conversion's own notes, from the first chunk


@dataclass
class ChunkConverter:
    """One chunk's canonical columns, as ``_record`` of :mod:`anodelab.io.biologic` makes the file's."""

    path: Path
    plan: Plan
    techniques: tuple[str, ...]
    expected: str
    carry: Carry = field(default_factory=Carry)

    def columns(self, window: Window, full: bool = True) -> dict[str, NDArray[Any]]:
        """The window's core rows as canonical columns; not ``full``: only those the first pass checks and
        observes (voltage, current, step, time), its notes' counts tallied."""
        plan, inner = self.plan, window.inner
        columns = {name: values for name, values in window.columns.items() if name not in plan.row_index}
        if plan.split_flags:
            columns = split_flag_bytes(columns)
        columns = {name: values for name, values in columns.items() if name not in plan.dropped}
        for name, values in columns.items():  # as _convert refuses them, naming the row
            if values.dtype.kind not in "fiub" and name != "time/s":
                raise ReadError(self.path, f"column {name!r} holds a non-numeric value in data row "
                                f"{_first_non_numeric(values)}", expected=self.expected)
        stub = _Raw(columns, techniques=self.techniques, notes=[], views=window.views)
        time = self._seconds(columns["time/s"], window) if "time/s" in columns else None
        if time is not None:
            columns["time/s"] = time
        voltage = finite_column(self.path, plan.voltage, columns[plan.voltage], self.expected)
        out: dict[str, NDArray[Any]] = {"voltage_V": voltage[inner]}
        steps = _step_ids(columns, window.loop)
        current: NDArray[np.float64] | None
        if plan.current == "dq" and time is not None:
            current, current_name = self._charge_current(columns, window, time, steps), ""
        else:
            current, current_name = _current(self.path, columns, stub, steps, self.expected)
        if self.carry.notes is None:
            self.carry.notes = stub.notes
        if current is not None:
            out["current_mA"] = current[inner]
        key = self._step_key(window, steps, current)
        if not full:
            self._mismatch(columns, voltage, window)
            if key is not None:
                out["step"] = key
            if time is not None:
                out["time_s"] = time[inner]
            return out
        if key is not None:
            out["step"] = key
            capacity = self._capacity(columns, window, key)
            if capacity is not None:
                out["capacity_mAh"] = capacity
        if time is not None:
            out["time_s"] = self._from_first_row(time[inner])
        if plan.cycle:
            out["cycle"] = columns["cycle number"][inner].astype(np.int64)
        if plan.temperature is not None:
            out["temperature_C"] = columns[plan.temperature][inner]
        consumed = {plan.voltage, current_name, "time/s", "cycle number", *_TEMPERATURE, *_STEP_MARKERS}
        _add_extras(out, {n: v[inner] for n, v in columns.items()}, consumed,
                    {n: v[inner] for n, v in window.views.items()})
        return out

    def _seconds(self, values: NDArray[Any], window: Window) -> NDArray[np.float64]:
        """``time/s`` in s (an absolute time export's from its first row), checked as ``_seconds`` checks it."""
        carry = self.carry
        if values.dtype.kind not in "fiu":

            fmt = "%m/%d/%Y %H:%M:%S%.f" if self.plan.month_first else "%d/%m/%Y %H:%M:%S%.f"
            parsed = text_series(values).str.strip_chars().str.to_datetime(fmt, strict=False, time_unit="us")
            if parsed.null_count():
                row = int(parsed.is_null().arg_true()[0]) + 1
                raise ReadError(self.path, f"time/s is neither a number nor a date-time {fmt!r} in data row {row}",
                                expected=self.expected)
            micros = parsed.dt.epoch("us").to_numpy()
            if carry.micros0 is None:
                carry.micros0, carry.start = int(micros[0]), str(parsed[0])
            values = (micros - carry.micros0) / 1e6
        time = finite_column(self.path, "time/s", np.ascontiguousarray(values), self.expected)
        backwards = time[1:] < time[:-1]
        if backwards.any():
            raise ReadError(self.path, f"time/s runs backwards at data row {int(np.argmax(backwards)) + 2}",
                            expected=self.expected)
        if carry.t0 is None:
            carry.t0 = float(time[0])
        return time

    def _from_first_row(self, time: NDArray[np.float64]) -> NDArray[np.float64]:
        t0 = self.carry.t0
        return time if not t0 else time - t0

    def _step_key(self, window: Window, steps: Any, current: NDArray[np.float64] | None) -> NDArray[Any] | None:
        """The rows' step ids over the file (the instrument's steps counted from the first row), else their
        state (the core's rule), as ``_steps_and_capacity`` keys the steps; None without either."""
        inner = window.inner
        if steps is not None:
            local = steps[0].astype(np.int64)
            ids: NDArray[np.int64] = (local[inner] if not window.before
                                      else local[inner] - local[window.before - 1] + self.carry.step_id)
            if ids.size:
                self.carry.step_id = int(ids[-1])
            return ids
        return state_from_current(current[inner]) if current is not None else None

    def _capacity(self, columns: Columns, window: Window, key: NDArray[Any]) -> NDArray[np.float64] | None:
        """Charge within each step from the plan's counter (``_capacity`` of :mod:`anodelab.io.biologic`), the
        counter's value at the open step's first row carried."""
        counter, carry, inner = self.plan.counter, self.carry, window.inner
        if counter is None or key.size == 0:
            return None
        name, scale = counter
        if scale == 0.0:  # the running sum of dq
            increments = window.views.get(name, columns[name])[inner]
            charge = np.cumsum(np.r_[carry.dq_total, increments.astype(np.float64)])[1:]
            carry.dq_total = float(charge[-1])
        else:
            values = columns[name][inner]
            charge = values if scale == 1.0 else np.multiply(values, scale, dtype=np.float64)
        first = carry.key is None
        counters = charge if first else np.r_[carry.zero, charge]
        keys = key if first else np.r_[carry.key, key]
        with np.errstate(over="ignore", invalid="ignore"):
            within = capacity_within_steps(counters, keys)
        carry.zero, carry.key = float(counters[run_starts(keys)[-1]]), key[-1]
        return within if first else within[1:]

    def _charge_current(self, columns: Columns, window: Window, time: NDArray[np.float64],
                        steps: Any) -> NDArray[np.float64]:
        """dq/dt as ``_current`` of :mod:`anodelab.io.biologic` derives it, the rows that borrowed a neighbour's
        value counted; every run of rows without an interval of their own that touches the chunk must lie
        inside the window (else the value borrowed could lie outside it)."""
        charge = _finite_scaled(self.path, "dq/mA.h", columns["dq/mA.h"], 3600.0, self.expected,
                                original=window.views.get("dq/mA.h"))
        if steps is None:  # runs of one sign of dq, the file's first row joining the second
            sign = np.sign(charge)
            if window.first_row - window.before == 1 and sign.size > 1:
                sign[0] = sign[1]
            step = np.cumsum(np.r_[False, sign[1:] != sign[:-1]], dtype=np.int32)
            steps = (step, run_starts(step))
        n, inner = time.size, window.inner
        bad = np.zeros(n, dtype=bool)
        bad[0] = True
        bad[1:] = np.diff(time) <= 0
        bad[steps[1]] = True
        runs = run_starts(bad)
        for start, length in zip(runs.tolist(), np.diff(runs, append=n).tolist()):
            if not bad[start] or start + length <= inner.start or start >= inner.stop:
                continue
            if (start <= 1 and window.first_row - window.before > 1) or (start + length == n and not window.at_end):
                raise NotStreamable(f"rows without an interval of their own run over more than {MARGIN} rows "
                                    "(a dq/dt current borrows across them)")
        current, borrowed = current_from_charge(time, charge, steps)
        self.carry.borrowed += int(np.count_nonzero((borrowed >= inner.start) & (borrowed < inner.stop)))
        return current

    def _mismatch(self, columns: Columns, voltage: NDArray[np.float64], window: Window) -> None:
        off = potential_mismatch(columns, voltage, self.plan.voltage)
        if off is None:
            return
        off = off[window.inner]
        count, first = self.carry.mismatch
        if off.any() and not count:
            first = window.first_row + int(np.argmax(off))
        self.carry.mismatch = (count + int(off.sum()), first)
