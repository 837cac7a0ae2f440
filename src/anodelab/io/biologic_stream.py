"""BioLogic files a chunk of rows at a time, for :func:`anodelab.io.stream.read_chunks`: ``.mpt`` and EC-Lab
text exports block by block (:mod:`anodelab.io.lines`), ``.mpr`` by slices of its memory-mapped row table.

Every chunk is what :func:`~anodelab.io.biologic_text.read_mpt`, :func:`~anodelab.io.biologic_text.read_biologic_text`
or :func:`~anodelab.io.biologic_mpr.read_mpr` makes of those rows of the whole file (the conversion of
:mod:`anodelab.io.biologic`, applied to the chunk). Two passes over the rows:

1. every row is read and checked as the whole-file reader checks it, and what that reader decides from the
   whole file is gathered (:class:`_Facts`: the columns that hold a value, which are text, whether the
   cycle number and the charge counters are finite on every row, the counts of the notes, the rows the
   point index skips); from it the :class:`_Plan` (dropped columns, the current and charge counter used,
   the cycle number and temperature kept or not); each step's direction is counted for the cycle numbers
   (:class:`~anodelab.io.assembly.RecordAssembly`). A bad row anywhere is refused here, before any chunk.
2. each chunk is converted by the plan, carrying from chunk to chunk (:class:`_Carry`) the last row's
   step, the charge counter at the open step's first row, the running sum of dq and the first row's time.

Each chunk is converted with up to :data:`MARGIN` rows of its neighbours either side (a step change or a
time step back is seen across the boundary; a dq/dt current borrows a neighbour's value, which is checked
to lie inside). Read whole instead (:class:`~anodelab.io.assembly.NotStreamable`): impedance files
(spectra, not a record), files whose rows are partly impedance (a record with spectra), voltage/capacity-only
exports (a segment's state comes from its end) and dq/dt currents whose rows without a time step run longer
than the margin.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import (
    capacity_within_steps,
    run_starts,
    state_from_current,
)
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record
from anodelab.io.assembly import NotStreamable, RecordAssembly, rows_from
from anodelab.io.biologic import (
    _CHARGE_COUNTERS,
    _CURRENT,
    _IMPEDANCE_PAIRS,
    _IMPEDANCE_TECHNIQUES,
    _SPECTRUM_COLUMNS,
    _STEP_MARKERS,
    _TEMPERATURE,
    _VOLTAGE,
    INSTRUMENT,
    Columns,
    _add_extras,
    _current,
    _finite_scaled,
    _first_non_numeric,
    _has_impedance,
    _no_spectrum,
    _Raw,
    _step_ids,
    charge_current_note,
    current_from_charge,
    impedance_pair,
    impedance_without_frequency_note,
    potential_mismatch,
    potential_note,
)
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
from anodelab.io.biologic_text import (
    _FLAG_MASKS,
    _PANDAS_INDEX,
    MPT_EXPECTED,
    TEXT_EXPECTED,
    _in_ec_lab_units,
    flag_columns,
    flag_limit,
    mpt_layout,
    split_flag_bytes,
    text_layout,
)
from anodelab.io.columns import INDEX_NAMES, normal_name
from anodelab.io.common import PointIndexNotes, finite_column, text_series, unique_names
from anodelab.io.lines import Block, TextTable, all_empty

#: rows of context a chunk is converted with, either side
MARGIN = 8
#: columns whose presence changes the steps, the state or the time (a plan change there redoes the first pass)
_STEP_COLUMNS = frozenset({"Ns", "Ns changes", "z cycle", "counter inc.", "Loop", "time/s", "dq/mA.h", "control/mA",
                           "<Ece>/V", "Ece/V", "Ewe-Ece/V", *_CURRENT, *_VOLTAGE})


@dataclass
class _Window:
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


# -- what the whole file decides --------------------------------------------------------------------------


@dataclass
class _Facts:
    """What the conversion of the whole file decides from all its rows, gathered chunk by chunk."""

    rows: int = 0
    names: list[str] = field(default_factory=list)
    filled: dict[str, bool] = field(default_factory=dict)  # a value in some row (text: in the first 1000 rows)
    numeric: dict[str, bool] = field(default_factory=dict)
    first_text: dict[str, int] = field(default_factory=dict)  # data row of the first non-numeric value
    finite: dict[str, bool] = field(default_factory=dict)  # finite on every row
    any_finite: dict[str, bool] = field(default_factory=dict)
    positive_frequency: int = 0
    nonzero: dict[str, int] = field(default_factory=dict)  # rows with a finite impedance other than 0
    measured: dict[str, int] = field(default_factory=dict)  # rows with both values of a pair (_has_impedance)
    flag_max: dict[str, float] = field(default_factory=dict)
    month_first: bool = True

    def update(self, columns: Columns, first_row: int) -> None:
        if not self.names:
            self.names = list(columns)
        for name, values in columns.items():
            numeric = values.dtype.kind in "fiub"
            if not numeric and name not in self.first_text and (row := _first_non_numeric(values)):
                self.first_text[name] = first_row + row - 1
            self.numeric[name] = self.numeric.get(name, True) and numeric
            self.filled[name] = self.filled.get(name, False) or _filled(values, first_row)
            if numeric and values.dtype.kind == "f":
                with np.errstate(invalid="ignore"):
                    finite = np.isfinite(values)
                self.finite[name] = self.finite.get(name, True) and bool(finite.all())
                self.any_finite[name] = self.any_finite.get(name, False) or bool(finite.any())
            elif numeric:
                self.finite.setdefault(name, True)
                self.any_finite[name] = self.any_finite.get(name, False) or values.size > 0
        self.rows += next(iter(columns.values())).size if columns else 0
        self._impedance(columns)
        time = columns.get("time/s")
        if time is not None and time.dtype.kind not in "fiub":
            import polars as pl

            leading = text_series(time).str.strip_chars().str.slice(0, 2).cast(pl.Int32, strict=False)
            self.month_first = self.month_first and not bool((leading > 12).any())

    def _impedance(self, columns: Columns) -> None:
        frequency = columns.get("freq/Hz")
        if frequency is not None and frequency.dtype.kind in "fiu":
            with np.errstate(invalid="ignore"):
                self.positive_frequency += int(np.count_nonzero(np.isfinite(frequency) & (frequency > 0)))
        for first, second in _IMPEDANCE_PAIRS:
            if first in columns and second in columns:
                values = columns[first]
                if values.dtype.kind in "fiu":
                    with np.errstate(invalid="ignore"):
                        count = int(np.count_nonzero(np.isfinite(values) & (values != 0)))
                    self.nonzero[first] = self.nonzero.get(first, 0) + count
                measured = _has_impedance(values, columns[second], modulus=first == "|Z|/Ohm")
                self.measured[first] = self.measured.get(first, 0) + int(np.count_nonzero(measured))

    def flags(self, columns: Columns, names: list[str]) -> None:
        """The largest value of each numeric flag column (before any split)."""
        for name in names:
            with np.errstate(invalid="ignore"):
                largest = float(np.nanmax(columns[name], initial=0))
            self.flag_max[name] = max(self.flag_max.get(name, 0.0), largest)


def _filled(values: NDArray[Any], first_row: int) -> bool:
    """A value in the rows (as ``_has_values`` of :mod:`anodelab.io.biologic` sees a column: a text
    column by its first 1000 rows)."""
    if values.dtype.kind == "f":
        return bool(values.size) and not bool(np.all(np.isnan(values)))
    if values.dtype.kind in "OUS":
        head = values[: max(0, 1001 - first_row)]
        return any(value not in (None, "") for value in head)
    return True


@dataclass(frozen=True)
class _Plan:
    """How the file's columns become the record's (the whole-file conversion's choices)."""

    dropped: frozenset[str]
    voltage: str
    current: str | None  # a column, "dq" (dq/dt), "OCV" (zeros) or None
    counter: tuple[str, float] | None  # the charge counter and its scale to mAh; ("dq/mA.h", 0.0): the running dq
    cycle: bool
    temperature: str | None
    month_first: bool | None  # None: time/s is numeric
    split_flags: bool = False
    row_index: frozenset[str] = frozenset()

    def steps_key(self) -> tuple[Any, ...]:
        """What the steps, state and time depend on: a change redoes the first pass."""
        return (self.dropped & _STEP_COLUMNS, self.voltage, self.current, self.month_first, self.split_flags,
                self.row_index)


def _plan(path: Path, facts: _Facts, techniques: tuple[str, ...], expected: str, *, drop_empty: bool,
          split_flags: bool = False, row_index: frozenset[str] = frozenset()) -> _Plan:
    """The conversion's choices (as :func:`anodelab.io.biologic._convert` and ``_record`` make them)."""
    names = [n for n in facts.names if n not in row_index]
    dropped = frozenset(n for n in names if not facts.filled.get(n, False)) if drop_empty else frozenset()
    kept = [n for n in names if n not in dropped]
    _refuse_impedance(path, facts, techniques, kept, expected)
    if "time/s" in dropped:
        raise ReadError(path, "column 'time/s' holds no value in any row", expected=expected)
    for name in kept:
        if not facts.numeric[name] and name != "time/s":
            raise ReadError(path, f"column {name!r} holds a non-numeric value in data row "
                            f"{facts.first_text.get(name, 0)}", expected=expected)
    voltage = next((n for n in _VOLTAGE if n in kept), None)
    if voltage is None:
        raise ReadError(path, f"no potential column among {', '.join(kept) or 'no columns'}",
                        expected=f"{expected} with Ewe/V, <Ewe>/V or Ecell/V")
    current = next((n for n in _CURRENT if n in kept), None)
    if current is None:
        current = ("dq" if "time/s" in kept and "dq/mA.h" in kept else "control/mA" if "control/mA" in kept
                   else "OCV" if techniques == ("OCV",) else None)
    if "time/s" not in kept and current is None and "Capacity/mA.h" in kept:
        raise NotStreamable("a voltage/capacity-only export: each segment's state comes from its end")
    counter = next(((n, scale) for n, scale in _CHARGE_COUNTERS if n in kept and facts.numeric[n] and facts.finite[n]),
                   None)
    if counter is None and "dq/mA.h" in kept and facts.numeric["dq/mA.h"] and facts.finite["dq/mA.h"]:
        counter = ("dq/mA.h", 0.0)
    temperature = next((n for n in _TEMPERATURE if n in kept), None)
    if temperature is not None and not (facts.numeric[temperature] and facts.any_finite.get(temperature, False)):
        temperature = None
    timed = "time/s" in kept and not facts.numeric["time/s"]
    return _Plan(dropped, voltage, current, counter, "cycle number" in kept and facts.numeric["cycle number"]
                 and facts.finite["cycle number"], temperature, facts.month_first if timed else None, split_flags,
                 row_index)


def _refuse_impedance(path: Path, facts: _Facts, techniques: tuple[str, ...], kept: list[str], expected: str) -> None:
    """Impedance files and files with impedance rows are not streamed; an impedance technique without
    spectra is refused, as by the whole-file reader."""
    pair = next((first for first, second in _IMPEDANCE_PAIRS if first in facts.names and second in facts.names), None)
    frequency = "freq/Hz" in facts.names and facts.numeric["freq/Hz"]
    impedance = pair is not None and "freq/Hz" in facts.names and facts.rows > 0 and (
        (frequency and facts.positive_frequency * 2 > facts.rows)
        or (facts.numeric[pair] and facts.nonzero.get(pair, 0) * 2 > facts.rows))
    only = bool(techniques) and set(techniques) <= _IMPEDANCE_TECHNIQUES
    if not impedance and only:
        raise ReadError(path, f"technique {'/'.join(dict.fromkeys(techniques))} (impedance) but "
                        f"{_no_spectrum({name: np.zeros(0) for name in facts.names})}",
                        expected=f"{expected} with {_SPECTRUM_COLUMNS}")
    rows = "freq/Hz" in kept and facts.numeric["freq/Hz"] and facts.positive_frequency > 0
    if impedance:
        raise NotStreamable("impedance spectra, not a record")
    if rows and not only:
        raise NotStreamable("some rows are impedance measurements (a record with spectra)")


# -- carrying the chunks' conversion ------------------------------------------------------------------------


@dataclass
class _Carry:
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
class _Converter:
    """One chunk's canonical columns, as ``_record`` of :mod:`anodelab.io.biologic` makes the file's."""

    path: Path
    plan: _Plan
    techniques: tuple[str, ...]
    expected: str
    carry: _Carry = field(default_factory=_Carry)

    def columns(self, window: _Window, full: bool = True) -> dict[str, NDArray[Any]]:
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

    def _seconds(self, values: NDArray[Any], window: _Window) -> NDArray[np.float64]:
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

    def _step_key(self, window: _Window, steps: Any, current: NDArray[np.float64] | None) -> NDArray[Any] | None:
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

    def _capacity(self, columns: Columns, window: _Window, key: NDArray[Any]) -> NDArray[np.float64] | None:
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

    def _charge_current(self, columns: Columns, window: _Window, time: NDArray[np.float64],
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

    def _mismatch(self, columns: Columns, voltage: NDArray[np.float64], window: _Window) -> None:
        off = potential_mismatch(columns, voltage, self.plan.voltage)
        if off is None:
            return
        off = off[window.inner]
        count, first = self.carry.mismatch
        if off.any() and not count:
            first = window.first_row + int(np.argmax(off))
        self.carry.mismatch = (count + int(off.sum()), first)


# -- the rows of the files ----------------------------------------------------------------------------------


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


class _TextSource:
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

    def windows(self, rows: int, facts: _Facts | None) -> Iterator[_Window]:
        """The rows ``rows`` at a time as windows; ``facts`` (the first pass): what the rows show is gathered."""
        if facts is None:
            self.text = frozenset(name for name, kind in self.kinds.items() if kind != "float")
        for block in self.table.blocks(rows, self.text, MARGIN):
            columns = self._prepared(block, facts)
            yield _Window(columns, {}, None, block.before, block.core, block.first_row,
                          block.first_row + block.core + MARGIN > self.rows)

    def _prepared(self, block: Block, facts: _Facts | None) -> Columns:
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


class _MprSource:
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

    def windows(self, rows: int, facts: _Facts | None) -> Iterator[_Window]:
        n = self.rows
        for begin in range(0, n, rows):
            stop = min(n, begin + rows)
            low, high = max(0, begin - MARGIN), min(n, stop + MARGIN)
            part = np.array(self.table[low:high])  # the rows' bytes, copied: nothing refers into the map
            columns, views = table_columns(part, self.flags)
            loop = loop_of_rows(self.loops, np.arange(low, high)) if self.loops is not None else None
            window = _Window(columns, views, loop, begin - low, stop - begin, begin + 1, high == n)
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


# -- the two passes -----------------------------------------------------------------------------------------


class BiologicStream:
    """A BioLogic file's record as chunks of ``rows`` rows (module docstring); the first pass runs on construction.

    ``kind``: ``"mpt"``, ``"text"`` (an EC-Lab text export) or ``"mpr"``. Raises what the whole-file reader
    would (:class:`ReadError`), or :class:`~anodelab.io.assembly.NotStreamable` for a file it reads whole.
    """

    def __init__(self, path: Path, kind: str, rows: int, cell_type: str | None = None) -> None:
        self.path, self.chunk_rows = path, rows
        self.source: _TextSource | _MprSource = _MprSource(path) if kind == "mpr" else _TextSource(path, kind == "text")
        try:
            if self.source.rows == 0:
                raise NotStreamable("no data rows")
            self._first_pass(cell_type)
        except BaseException:
            self.source.close()
            raise

    @property
    def rows(self) -> int:
        return self.source.rows

    def _skip(self) -> int | None:
        return self.source.layout.skip_lines if isinstance(self.source, _TextSource) else None

    def _first_pass(self, cell_type: str | None) -> None:
        """Read every row: check it, gather the facts, count the steps' directions (with a plan made from the
        first rows; read again where the whole file's plan changes the steps)."""
        facts = _Facts()
        assembly = RecordAssembly(self.path, self.source.expected, cell_type)
        converter: _Converter | None = None
        guessed = False
        for window in self.source.windows(self.chunk_rows, facts):
            if not guessed:
                guessed, converter = True, self._provisional(facts)
            if converter is not None:
                try:
                    self._observe(converter, window, assembly)
                except ReadError:  # by a plan the whole file may not keep: the pass with its own plan tells
                    converter = None
        plan = self._plan(facts)
        if converter is None or converter.plan.steps_key() != plan.steps_key():
            assembly = RecordAssembly(self.path, self.source.expected, cell_type)
            converter = _Converter(self.path, plan, self.source.techniques, self.source.expected)
            for window in self.source.windows(self.chunk_rows, None):
                self._observe(converter, window, assembly)
        self.plan, self.assembly = plan, assembly
        assembly.start_building()
        self.notes = self._notes(facts, plan, converter.carry)

    def _provisional(self, facts: _Facts) -> _Converter | None:
        try:
            plan = self._plan(facts)
        except (ReadError, NotStreamable):  # the first rows cannot tell: the whole file will
            return None
        return _Converter(self.path, plan, self.source.techniques, self.source.expected)

    def _observe(self, converter: _Converter, window: _Window, assembly: RecordAssembly) -> None:
        with rows_from(self.path, window.first_row - window.before - 1, self._skip()):
            columns = converter.columns(window, full=False)
        assembly.observe(columns, window.first_row)

    def _plan(self, facts: _Facts) -> _Plan:
        source = self.source
        row_index = source.row_index()
        flags = [n for n in _FLAG_MASKS if n in facts.names and n not in row_index and facts.numeric[n]]
        split = source.csv and any(facts.flag_max.get(n, 0.0) > flag_limit(n) for n in flags)
        with rows_from(self.path, 0, self._skip()):  # the line of a row the facts name
            return _plan(self.path, facts, source.techniques, source.expected, drop_empty=source.drop_empty,
                         split_flags=split, row_index=row_index)

    def _notes(self, facts: _Facts, plan: _Plan, carry: _Carry) -> list[str]:
        """The record's notes, as the whole-file reader writes them."""
        notes = [f"first row at {carry.start} (instrument clock, absolute time export)"] if carry.start else []
        kept = {n: np.zeros(0) for n in facts.names if n not in plan.dropped and n not in plan.row_index}
        pair = impedance_pair(kept)
        if pair is not None and facts.measured.get(pair[0], 0):
            notes.append(impedance_without_frequency_note(pair, facts.measured[pair[0]], "freq/Hz" in kept))
        notes += [charge_current_note(carry.borrowed)] if plan.current == "dq" else carry.notes or []
        if plan.current is None:
            notes.append("no current column: state unknown")
        count, first = carry.mismatch
        if count:
            notes.append(potential_note(plan.voltage, count, facts.rows, first))
        return self.source.notes(notes)

    def provenance(self) -> Provenance:
        """The record's provenance, but for what :func:`anodelab.io.read` adds (path, checksum, format, reader)."""
        return Provenance(instrument=self.source.instrument, techniques=self.source.techniques, notes=tuple(self.notes))

    def records(self, provenance: Provenance, cell: CellInfo | None) -> Iterator[Record]:
        """The second pass: each chunk's Record."""
        converter = _Converter(self.path, self.plan, self.source.techniques, self.source.expected)
        try:
            for window in self.source.windows(self.chunk_rows, None):
                with rows_from(self.path, window.first_row - window.before - 1, self._skip()):
                    columns = converter.columns(window)
                yield self.assembly.build(columns, window.first_row, provenance, cell)
        finally:
            self.source.close()
