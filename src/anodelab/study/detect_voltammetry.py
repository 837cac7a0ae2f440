"""The kind of a swept record (rules in :mod:`anodelab.study.detect`): the voltage trace of the sweep rows
cut at its turning points into legs, making a ``cv``, an ``lsv`` or a ``polarization`` (Tafel) curve."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.record import Record
from anodelab.core.steps import StepTable
from anodelab.study import detect_words as words

K = ExperimentKind

#: a one-leg sweep through the zero-current potential at most this fast is a polarization curve (mV/s)
TAFEL_MAX_RATE_MV_S = 10.0
#: ... and spans at most this (V)
TAFEL_MAX_SPAN_V = 1.0
#: a voltammogram: at least this fraction of the voltage it travels at one scan rate (within 25 %)
SWEEP_MIN_FRACTION = 0.6


@dataclass(frozen=True)
class _Sweeps:
    """The voltage trace of a record's sweep rows, decimated, cut into monotonic legs."""

    rows: NDArray[np.intp]          # record rows (at most 4000, evenly picked)
    low_V: float                    # over all the sweep rows
    high_V: float
    turns: list[int]                # positions in ``rows`` where legs begin and end
    rate_mV_s: float | None         # the scan rate of most of the voltage travelled (None without time)
    fraction: float                 # of the voltage travelled at that rate (within 25 %)


def detect_voltammetry(record: Record, table: StepTable, active: NDArray[np.intp]) -> Detection | None:
    """cv, lsv or polarization from the voltage trace of the sweep rows; None if most of it is not
    swept at one rate."""
    sweeps = _sweeps(record, table, active)
    if sweeps is None or sweeps.fraction < SWEEP_MIN_FRACTION or _held_current(record, sweeps):
        return None
    voltage = record["voltage_V"][sweeps.rows]
    rate = f" at {words.scan_rate(sweeps.rate_mV_s)}" if sweeps.rate_mV_s else " (no time recorded: scan rate unknown)"
    legs = len(sweeps.turns) - 1
    low, high = words.volts(sweeps.low_V), words.volts(sweeps.high_V)
    if legs >= 2:
        cycles = legs // 2
        return Detection(K.CV, 0.9, f"triangular voltage sweeps: {legs} sweeps between {low} and {high}{rate} "
                         f"({cycles} cycle{'s' * (cycles != 1)})")
    first_V, last_V = float(voltage[0]), float(voltage[-1])
    current = record["current_mA"][sweeps.rows]
    crossing = np.flatnonzero(np.sign(current[1:]) * np.sign(current[:-1]) < 0)
    slow = sweeps.rate_mV_s is None or sweeps.rate_mV_s <= TAFEL_MAX_RATE_MV_S
    if crossing.size and slow and abs(last_V - first_V) <= TAFEL_MAX_SPAN_V:
        zero_V = float(voltage[crossing[0]])
        if 0.15 <= (zero_V - first_V) / (last_V - first_V) <= 0.85:
            return Detection(K.POLARIZATION, 0.8, f"one slow sweep{rate} from {words.volts(first_V)} to "
                             f"{words.volts(last_V)} through the zero-current potential ({words.volts(zero_V)}), "
                             "current of both signs: a polarization (Tafel) curve")
    return Detection(K.LSV, 0.85, f"one monotonic voltage sweep from {words.volts(first_V)} to "
                     f"{words.volts(last_V)}{rate}")


def _held_current(record: Record, sweeps: _Sweeps) -> bool:
    """Every leg keeps its current magnitude within 5 %: a noisy constant current, not a sweep."""
    current = np.abs(record["current_mA"][sweeps.rows])
    for first, last in itertools.pairwise(sweeps.turns):
        part = current[first:last + 1]
        if part.size < 3 or np.std(part) > 0.05 * np.mean(part):
            return False
    return True


def _sweeps(record: Record, table: StepTable, active: NDArray[np.intp]) -> _Sweeps | None:
    """The legs and scan rate of the rows of the active steps under neither constant current nor
    constant voltage; None where they span under 10 mV."""
    swept = np.zeros(len(table), dtype=bool)
    swept[active] = np.isin(table.mode[active], ("sweep", "other"))
    rows = np.flatnonzero(np.repeat(swept, table.rows))
    if rows.size < 5:
        return None
    low_V, high_V = float(record["voltage_V"][rows].min()), float(record["voltage_V"][rows].max())
    if rows.size > 4000:
        rows = rows[np.linspace(0, rows.size - 1, 4000).round().astype(np.intp)]
    voltage = record["voltage_V"][rows]
    if high_V - low_V < 0.01:
        return None
    timed = "time_s" in record
    x = record["time_s"][rows] if timed else rows.astype(np.float64)
    dx, dv = np.diff(x), np.diff(voltage)
    moving = (dx > 0) & np.isfinite(dv)
    speed, weight = np.abs(dv[moving] / dx[moving]), np.abs(dv[moving])  # weighted by voltage travelled
    if speed.size == 0 or weight.sum() == 0:
        return None
    order = np.argsort(speed)
    cumulative = np.cumsum(weight[order])
    typical = float(speed[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])  # weighted median
    at_rate = np.abs(speed - typical) <= 0.25 * typical
    fraction = float(weight[at_rate].sum() / weight.sum()) if typical > 0 else 0.0
    turns = _turning_points(voltage, max(0.05 * float(np.ptp(voltage)), 0.002))
    return _Sweeps(rows, low_V, high_V, turns, 1000.0 * typical if timed else None, fraction)


def _turning_points(values: NDArray[np.float64], threshold: float) -> list[int]:
    """Indices of the extremes between moves of at least ``threshold`` (first and last index included)."""
    points = [0]
    trend = 0
    high = low = extreme = 0
    for i in range(1, values.size):
        value = values[i]
        if trend == 0:
            if value > values[high]:
                high = i
            if value < values[low]:
                low = i
            if values[high] - values[low] >= threshold:
                trend = 1 if high > low else -1
                points[0] = low if trend == 1 else high
                extreme = high if trend == 1 else low
        elif trend == 1:
            if value > values[extreme]:
                extreme = i
            elif values[extreme] - value >= threshold:
                points.append(extreme)
                trend, extreme = -1, i
        else:
            if value < values[extreme]:
                extreme = i
            elif value - values[extreme] >= threshold:
                points.append(extreme)
                trend, extreme = 1, i
    if trend != 0:
        points.append(values.size - 1)
    return points if len(points) > 1 else [0, values.size - 1]
