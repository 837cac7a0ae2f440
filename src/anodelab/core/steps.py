"""The per-step table of a record: what each step did (control mode, direction, set point) and what
it passed (duration, charge, energy, voltages), derived once, vectorised.

A step is a run of rows with one ``step`` number (:mod:`anodelab.core.conventions`). Its control
mode is told from the data, in this order:

``impedance``
    most of its rows carry a frequency (a ``frequency_Hz`` column, as a mixed GCPL/PEIS file has).
``rest``
    no charge- or discharge-state row, or an rms current at most :data:`REST_CURRENT_FRACTION` of
    the largest |I| of the record (an OCV period).
``CC``
    the current of its inner rows (a missing reading holds the last one before it) (all but the first and the last, where a step has four or more:
    the instrument's switching transients) has one sign (no row in the other state) and a standard
    deviation at most :data:`CC_CURRENT_RTOL` of its mean magnitude. Set point: that mean current,
    mA (signed).
``CV``
    charge passes while the inner rows' voltage spans less than :data:`CV_SPAN_V`. Set point: their
    mean voltage, V.
``sweep``
    the voltage of the inner rows is linear in time (coefficient of determination at least
    :data:`SWEEP_MIN_R2`) over at least :data:`SWEEP_MIN_SPAN_V`, the current free. Set point: the
    scan rate dV/dt, mV/s (signed: > 0 for an anodic sweep up).
``other``
    none of these (a current that varies without a linear sweep, such as a CC-CV charge in one
    instrument step, or a record without current whose voltage moves).

The direction is the dominant state of the step's rows, as :func:`~anodelab.core.conventions.step_directions`
decides it. Charge is the step's final ``capacity_mAh``; energy the trapezoid of V dQ over its rows;
the duration runs from the step's first row to its last. The half-cycles of
:mod:`anodelab.cycling.halfcycles` and the kind detection of :mod:`anodelab.study.detect` build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import CHARGE, DISCHARGE, REST, STATES
from anodelab.core.record import Record

if TYPE_CHECKING:
    import pandas as pd

ControlMode = Literal["CC", "CV", "rest", "sweep", "impedance", "other"]
CONTROL_MODES: tuple[ControlMode, ...] = ("CC", "CV", "rest", "sweep", "impedance", "other")
#: the unit of ``set_point`` per control mode (NaN for the others)
SET_POINT_UNITS = {"CC": "mA", "CV": "V", "sweep": "mV/s"}

#: CC: the inner rows' current standard deviation at most this fraction of its mean magnitude
CC_CURRENT_RTOL = 0.02
#: CV: a step that passes charge while its inner rows' voltage spans less than this (V)
CV_SPAN_V = 0.005
#: sweep: the least coefficient of determination of V against t, and the least voltage span (V)
SWEEP_MIN_R2 = 0.998
SWEEP_MIN_SPAN_V = 0.01
#: rest: an rms current at most this fraction of the record's largest |I|
REST_CURRENT_FRACTION = 1e-4


@dataclass(frozen=True, repr=False)
class StepTable:
    """One entry per step of a record, in row order (index i <-> the i-th step). Arrays are read-only.

    ``direction`` holds state codes (CHARGE, DISCHARGE or REST of :mod:`anodelab.core.conventions`);
    ``mode`` the names of :data:`CONTROL_MODES`; ``set_point`` is in :data:`SET_POINT_UNITS` of the
    mode (NaN for rest, impedance and other). Quantities the record cannot give (time, current,
    capacity) are NaN.
    """

    step: NDArray[np.int32]            # the record's step number
    start: NDArray[np.intp]            # first row
    end: NDArray[np.intp]              # last row
    cycle: NDArray[np.int32]
    mode: NDArray[np.str_]
    direction: NDArray[np.int8]
    reversal: NDArray[np.bool_]        # both charge- and discharge-state rows inside the step
    set_point: NDArray[np.float64]
    start_s: NDArray[np.float64]       # time of the first row
    duration_s: NDArray[np.float64]
    charge_mAh: NDArray[np.float64]
    energy_mWh: NDArray[np.float64]
    start_V: NDArray[np.float64]
    end_V: NDArray[np.float64]
    min_V: NDArray[np.float64]
    max_V: NDArray[np.float64]
    mean_V: NDArray[np.float64]        # mean over the step's rows
    mean_current_mA: NDArray[np.float64]  # time-weighted (the row mean where the step has no duration)

    def __post_init__(self) -> None:
        for name in self.columns:
            getattr(self, name).flags.writeable = False

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled by its columns; read-only again when loaded."""
        return (type(self), tuple(np.array(column) for column in self.columns.values()))

    def __len__(self) -> int:
        return int(self.step.size)

    @property
    def columns(self) -> dict[str, NDArray[Any]]:
        """The columns by name, in field order."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @property
    def rows(self) -> NDArray[np.intp]:
        """Rows per step."""
        return self.end - self.start + 1

    @property
    def direction_names(self) -> NDArray[np.str_]:
        """``charge``, ``discharge`` or ``rest`` per step."""
        return np.asarray(STATES)[self.direction]

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        frame = self.columns
        frame["direction"] = self.direction_names
        return pd.DataFrame(frame)

    def __repr__(self) -> str:
        names, counts = np.unique(self.mode, return_counts=True)
        modes = ", ".join(f"{count} {name}" for name, count in zip(names, counts)) or "none"
        return f"<StepTable {len(self)} steps: {modes}>"


def step_table(record: Record) -> StepTable:
    """The per-step table of ``record`` (rules in the module docstring), vectorised: a few
    ``reduceat`` passes over the rows; inner-row sums are whole-step sums less the two end rows."""
    n = len(record)
    if n == 0:
        return _empty()
    step = record["step"]
    voltage = record["voltage_V"]
    # Record guarantees step numbers that never decrease (anodelab.core.conventions), so the step
    # starts come from a binary search, not from a pass over the rows
    start = np.unique(np.searchsorted(step, np.arange(step[0], step[-1] + 1), side="left"))
    end = np.r_[start[1:] - 1, n - 1]
    rows = end - start + 1
    ends = _Ends(start, end, rows >= 4)  # inner rows: all but the first and last of a step of 4 rows or more
    direction, reversal, one_sign = _states(record["state"], ends)
    active = direction != REST

    first_V = voltage[start]
    dv = voltage - np.repeat(first_V, rows)  # relative to the step's first row: squares keep their precision
    dv_sum, v_mean, v_var = ends.moments(dv)
    inner_min, inner_max = ends.extremes(voltage)
    span_V = inner_max - inner_min
    time = record.columns.get("time_s")
    rest, cc, i_mean, mean_current = _current_modes(record.columns.get("current_mA"), time, ends, active, one_sign)
    cv = ~rest & ~cc & (span_V < CV_SPAN_V)
    mode = np.full(start.size, "other", dtype="<U9")
    set_point = np.full(start.size, np.nan)
    mode[rest] = "rest"
    mode[cc] = "CC"
    set_point[cc] = i_mean[cc]
    mode[cv] = "CV"
    set_point[cv] = (v_mean + first_V)[cv]

    if time is not None:
        start_s = time[start]
        duration_s = time[end] - start_s
        candidate = ~rest & ~cc & ~cv & (span_V >= SWEEP_MIN_SPAN_V)
        if candidate.any():
            slope_V_s, r2 = _line_fits(time, dv, ends, candidate, v_mean, v_var)
            sweep = candidate & (r2 >= SWEEP_MIN_R2)
            mode[sweep] = "sweep"
            set_point[sweep] = 1000.0 * slope_V_s[sweep]
    else:
        start_s = duration_s = np.full(start.size, np.nan)
    impedance = _impedance(record, start, rows)
    mode[impedance] = "impedance"
    set_point[impedance] = np.nan
    charge_mAh, energy_mWh = _charge_energy(record, voltage, start, end)
    return StepTable(
        step[start].astype(np.int32), start.astype(np.intp), end.astype(np.intp), record["cycle"][start],
        mode, direction, reversal, set_point, start_s, duration_s,
        charge_mAh, energy_mWh, first_V, voltage[end], np.minimum(inner_min, np.minimum(first_V, voltage[end])),
        np.maximum(inner_max, np.maximum(first_V, voltage[end])), first_V + dv_sum / rows, mean_current)


def _states(state: NDArray[np.int8], ends: _Ends
            ) -> tuple[NDArray[np.int8], NDArray[np.bool_], NDArray[np.bool_]]:
    """Per step: the direction (the dominant state of its rows), whether it holds both charge- and
    discharge-state rows, and whether its inner rows lack the one or the other (one sign of current)."""
    charging, discharging = state == CHARGE, state == DISCHARGE
    charge_rows = np.add.reduceat(charging, ends.start, dtype=np.int64)
    discharge_rows = np.add.reduceat(discharging, ends.start, dtype=np.int64)
    direction = np.full(ends.start.size, REST, dtype=np.int8)
    direction[charge_rows > discharge_rows] = CHARGE
    direction[(discharge_rows >= charge_rows) & (discharge_rows > 0)] = DISCHARGE
    one_sign = (ends.inner(charge_rows, charging) == 0) | (ends.inner(discharge_rows, discharging) == 0)
    return direction, (charge_rows > 0) & (discharge_rows > 0), one_sign


def _current_modes(current: NDArray[np.float64] | None, time: NDArray[np.float64] | None, ends: _Ends,
                   active: NDArray[np.bool_], one_sign: NDArray[np.bool_]
                   ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """The rest and the CC steps (module docstring), the inner rows' mean current and the time-weighted
    mean current per step; without a current, rest is a step with no active state and there is no CC step."""
    nan = np.full(ends.start.size, np.nan)
    if current is None:
        return ~active, np.zeros(ends.start.size, dtype=bool), nan, nan
    if not np.isfinite(np.sum(current)):
        current = _held(current)
    i_sum, i_mean, i_var = ends.moments(current)
    largest = float(np.max(np.abs(current)))
    rest = ~active | (np.sqrt(i_var + i_mean * i_mean) <= REST_CURRENT_FRACTION * largest)  # rms current
    cc = ~rest & one_sign & (np.sqrt(i_var) <= CC_CURRENT_RTOL * np.abs(i_mean))
    return rest, cc, i_mean, _mean_current_mA(current, i_sum, time, ends.start, ends.end)


def _impedance(record: Record, start: NDArray[np.intp], rows: NDArray[np.intp]) -> NDArray[np.bool_]:
    """The steps most of whose rows carry a frequency (none without a ``frequency_Hz`` column)."""
    if "frequency_Hz" not in record:
        return np.zeros(start.size, dtype=bool)
    frequency = record["frequency_Hz"]
    with np.errstate(invalid="ignore"):
        marked = np.add.reduceat(np.isfinite(frequency) & (frequency > 0), start, dtype=np.int64)
    return 2 * marked > rows


def _charge_energy(record: Record, voltage: NDArray[np.float64], start: NDArray[np.intp], end: NDArray[np.intp]
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each step's charge (its last capacity, a lost reading counted 0) and energy (NaN without capacity)."""
    if "capacity_mAh" not in record:
        return np.full(start.size, np.nan), np.full(start.size, np.nan)
    capacity = record["capacity_mAh"]
    if np.isnan(capacity).any():
        capacity = np.nan_to_num(capacity)
    return capacity[end], _energy_mWh(voltage, capacity, start, end)


@dataclass(frozen=True)
class _Ends:
    """The end rows of each step that its inner rows leave out (those of ``long`` steps)."""

    start: NDArray[np.intp]
    end: NDArray[np.intp]
    long: NDArray[np.bool_]

    def inner(self, total: NDArray[Any], values: NDArray[Any], power: int = 1) -> NDArray[np.float64]:
        """Inner-row sums of ``values ** power`` from their whole-step sums ``total``."""
        inner = total.astype(np.float64)
        first = values[self.start[self.long]].astype(np.float64)
        last = values[self.end[self.long]].astype(np.float64)
        inner[self.long] -= first**power + last**power
        return inner

    def moments(self, values: NDArray[np.float64]
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Whole-step sum, and mean and variance over the inner rows, of ``values``."""
        count = (self.end - self.start + 1) - 2.0 * self.long
        total = np.add.reduceat(values, self.start)
        mean = self.inner(total, values) / count
        square = self.inner(np.add.reduceat(values * values, self.start), values, 2) / count
        return total, mean, np.maximum(square - mean * mean, 0.0)

    def extremes(self, values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Minimum and maximum over the inner rows: the end rows take their neighbour's value."""
        inner = values.copy()
        inner[self.start[self.long]] = values[self.start[self.long] + 1]
        inner[self.end[self.long]] = values[self.end[self.long] - 1]
        return np.minimum.reduceat(inner, self.start), np.maximum.reduceat(inner, self.start)


def _line_fits(time: NDArray[np.float64], dv: NDArray[np.float64], ends: _Ends, candidate: NDArray[np.bool_],
               v_mean: NDArray[np.float64], v_var: NDArray[np.float64]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Slope (V/s) and coefficient of determination of V against t over the inner rows of the
    ``candidate`` steps (NaN for the others), computed on those steps' rows only."""
    rows = ends.end - ends.start + 1
    kept = rows[candidate]
    start = np.r_[0, np.cumsum(kept)[:-1]].astype(np.intp)
    sub = _Ends(start, start + kept - 1, ends.long[candidate])
    within = np.repeat(candidate, rows)
    t, v = time[within], dv[within]
    dt = t - np.repeat(t[start], kept)
    _, t_mean, t_var = sub.moments(dt)
    product = dt * v
    count = kept - 2.0 * sub.long
    covariance = sub.inner(np.add.reduceat(product, start), product) / count - t_mean * v_mean[candidate]
    slope, r2 = np.full(rows.size, np.nan), np.full(rows.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope[candidate] = covariance / t_var
        r2[candidate] = covariance * covariance / (t_var * v_var[candidate])
    return slope, r2


def _trapezoids(values: NDArray[np.float64], over: NDArray[np.float64], end: NDArray[np.intp]) -> NDArray[np.float64]:
    """Twice the trapezoid of ``values`` d``over`` between rows i and i + 1, stored at i; 0 at each
    step's last row (an increment across a step boundary is dropped), so a step sums start .. end - 1."""
    increment = np.empty(values.size)
    np.add(values[1:], values[:-1], out=increment[:-1])
    increment[:-1] *= np.diff(over)
    increment[-1] = 0.0
    increment[end] = 0.0
    return increment


def _energy_mWh(voltage: NDArray[np.float64], capacity: NDArray[np.float64], start: NDArray[np.intp],
                end: NDArray[np.intp]) -> NDArray[np.float64]:
    """Trapezoid of V dQ inside each step."""
    return 0.5 * np.add.reduceat(_trapezoids(voltage, capacity, end), start)


def _mean_current_mA(current: NDArray[np.float64], total: NDArray[np.float64], time: NDArray[np.float64] | None,
                     start: NDArray[np.intp], end: NDArray[np.intp]) -> NDArray[np.float64]:
    """Time-weighted mean current per step (trapezoid of I dt over the duration); the row mean
    (``total`` over the rows) where the record has no time or the step no duration."""
    row_mean = total / (end - start + 1)
    if time is None:
        return row_mean
    duration = time[end] - time[start]
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = 0.5 * np.add.reduceat(_trapezoids(current, time, end), start) / duration
    return np.where(duration > 0, weighted, row_mean)


def _held(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``values`` with each missing (NaN or infinite) reading replaced by the last finite one before it
    (sample and hold: a dropped reading inside a CC step keeps the step's current, not 0 mA); 0 before
    the first finite reading."""
    finite = np.isfinite(values)
    last = np.maximum.accumulate(np.where(finite, np.arange(values.size), 0))
    return np.where(finite[last], values[last], 0.0)


def _empty() -> StepTable:
    ints, floats = np.zeros(0, dtype=np.intp), np.zeros(0)
    return StepTable(np.zeros(0, dtype=np.int32), ints, ints.copy(), np.zeros(0, dtype=np.int32),
                     np.zeros(0, dtype="<U9"), np.zeros(0, dtype=np.int8), np.zeros(0, dtype=bool),
                     *(floats.copy() for _ in range(11)))
