"""The sweeps of a voltammetry record: rows cut at the vertices, the part at one scan rate, that rate, cycles.

Sweeps
    The rows of steps the step table (:func:`anodelab.core.steps.step_table`) calls impedance, rest
    or CV (a potential hold) of :data:`MIN_HOLD_ROWS` rows or more, or CC with a potential not linear
    in time (a galvanostatic step, :data:`MIN_CC_ROWS` rows or more) are left out. The potential of
    the others is cut at its vertices: a turn of at least ``reversal_mV`` against the direction of
    travel (hysteresis, so noise and the levels of a staircase make no vertex). With a time column, the part of each leg swept at one rate
    is kept: the local rate (least-squares slope of E against t over a sliding window of at least
    :data:`RATE_WINDOW_V` and :data:`RATE_WINDOW_ROWS` potential steps, which averages over a
    staircase and over times stored to a coarse resolution) is compared with the leg's rate (the mode
    of the local rates, weighted by the potential travelled) and the longest run within
    :data:`RATE_TOLERANCE` is the sweep; what is left out (a galvanostatic step from OCV before the
    sweep, as in many "LSV" files) is named in a warning. A sweep spanning less than ``min_span_mV``
    or :data:`MIN_SWEEP_ROWS` rows is dropped, and so is one at constant current whose leg is not
    linear in time (the CC part of a CC-CV step).
Scan rate
    Per sweep: the least-squares slope of E against t over the rows of the middle 80 % of its
    potential span, mV/s (its magnitude; the direction is named); the coefficient of determination
    must reach :data:`~anodelab.core.steps.SWEEP_MIN_R2`, else the leg is no sweep. Without a time
    column the programmed ``scan_rate_mV_s`` is used where given (source ``"given"``).
Cycles
    Cycle 1 is the first sweep and the next one in the other direction; a new cycle begins at every
    sweep in the direction of the first. One sweep is an LSV, more a CV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.record import Record
from anodelab.core.steps import CC_CURRENT_RTOL, SWEEP_MIN_R2, StepTable, step_table
from anodelab.kinetics.lines import slope_r2

#: local scan rates within this fraction of the leg's rate belong to its sweep
RATE_TOLERANCE = 0.05
#: a constant-current step of at least this many rows whose potential is not linear in time is no sweep
MIN_CC_ROWS = 5
#: a rest or potential hold of at least this many rows is left out of the sweeps
MIN_HOLD_ROWS = 10
#: a sweep has at least this many rows
MIN_SWEEP_ROWS = 10
#: the sliding window of the local scan rate: at least this many rows and this potential (V)
RATE_WINDOW_ROWS = 20
RATE_WINDOW_V = 0.02
#: the scan rate is fitted over the middle of a sweep: this fraction of its span is left out at each end
RATE_TRIM = 0.1
Direction = Literal["cathodic", "anodic"]


@dataclass(frozen=True)
class Sweep:
    """One sweep's rows (record positions, in order) and what was derived from them."""

    rows: NDArray[np.intp]
    direction: Direction
    scan_rate_mV_s: float | None        # magnitude
    rate_source: str                    # "fit", "given" or "none"
    r2: float | None


def find_sweeps(record: Record, reversal_V: float, min_span_V: float, given: float | None,
                warnings: list[str]) -> list[Sweep]:
    """The record's sweeps, in order (rules in the module docstring)."""
    table = step_table(record)
    potential = record["voltage_V"]
    time = record.columns.get("time_s")
    galvanostatic = _galvanostatic(table, potential, time)
    # a rest or hold of a few rows is no hold: a noisy current that changes sign cuts a record without
    # step numbers into steps of a few rows, of which those spanning under 5 mV count as "CV"
    hold = np.isin(table.mode, ("rest", "CV")) & (table.rows >= MIN_HOLD_ROWS)
    keep = ~hold & (table.mode != "impedance") & ~galvanostatic
    candidate = np.repeat(keep, table.rows)
    finite = np.isfinite(potential) & np.isfinite(record["current_mA"])
    if galvanostatic.any():
        steps = table.step[galvanostatic]
        named = ", ".join(map(str, steps[:5])) + (f" and {steps.size - 5} more" if steps.size > 5 else "")
        warnings.append(f"step{'s' * (steps.size > 1)} {named}: constant current, the potential not linear in time "
                        "(galvanostatic, not swept), left out")
    if time is not None:
        finite &= np.isfinite(time)
    rows = np.flatnonzero(candidate)
    if rows.size < 3:
        return []
    sweeps = []
    # runs of the steps kept; a row without a finite value is skipped, not a break in the sweep
    for run in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
        run = run[finite[run]]
        if run.size < 3:
            continue
        turns = _turning_points(potential[run], reversal_V)
        for a, b in pairwise(turns):
            leg = run[a:b + 1]
            if abs(float(potential[leg[-1]] - potential[leg[0]])) < min_span_V:
                continue
            sweep = _sweep(leg, potential, record["current_mA"], time, given, min_span_V, warnings)
            if sweep is not None:
                sweeps.append(sweep)
    return sweeps


def cycle_numbers(sweeps: list[Sweep]) -> list[int]:
    """The cycle of each sweep: a new one at every sweep in the direction of the first."""
    first = sweeps[0].direction
    cycles: list[int] = np.cumsum([s.direction == first for s in sweeps]).tolist()
    return cycles


def _galvanostatic(table: StepTable, potential: NDArray[np.float64], time: NDArray[np.float64] | None
                   ) -> NDArray[np.bool_]:
    """Per step: constant current (the step table's ``CC``, :data:`MIN_CC_ROWS` rows or more) with a
    potential that is not linear in time over its inner rows (R² below :data:`SWEEP_MIN_R2`; every such
    step without a time column). A capacitor swept at one rate passes a constant current and stays."""
    out: NDArray[np.bool_] = (table.mode == "CC") & (table.rows >= MIN_CC_ROWS)
    if time is None:
        return out
    for k in np.flatnonzero(out):
        inner = slice(int(table.start[k]) + 1, int(table.end[k]))
        r2 = slope_r2(time[inner], potential[inner])[1]
        out[k] = not r2 >= SWEEP_MIN_R2
    return out


def _sweep(leg: NDArray[np.intp], potential: NDArray[np.float64], current: NDArray[np.float64],
           time: NDArray[np.float64] | None, given: float | None, min_span_V: float, warnings: list[str]
           ) -> Sweep | None:
    """One leg as a sweep: its part at one rate, the scan rate fitted over it; None where that part
    is too short (under ``min_span_V`` or :data:`MIN_SWEEP_ROWS` rows), not linear in time, or passes
    a constant current while the leg's potential is not linear in time (a galvanostatic segment)."""
    E = potential[leg]
    direction: Direction = "anodic" if E[-1] > E[0] else "cathodic"
    if time is None:
        if leg.size < MIN_SWEEP_ROWS:
            return None
        return Sweep(leg, direction, given, "given" if given is not None else "none", None)
    t = time[leg]
    core = _one_rate(t, E)
    if core is None:
        return None
    first, last = core
    span = abs(float(E[last] - E[first]))
    if span < min_span_V or last - first + 1 < MIN_SWEEP_ROWS:
        return None
    I = current[leg[first:last + 1]]
    if np.std(I) <= CC_CURRENT_RTOL * abs(float(np.mean(I))) and not slope_r2(t, E)[1] >= SWEEP_MIN_R2:
        warnings.append(f"rows {leg[first]}-{leg[last]} ({E[first]:.4g} to {E[last]:.4g} V): constant current and a "
                        "potential not linear in time over its leg (galvanostatic), not a sweep")
        return None
    if first > 0 or last < leg.size - 1:
        left = [f"{E[0]:.4g}-{E[first]:.4g} V" if first > 0 else "", f"{E[last]:.4g}-{E[-1]:.4g} V" if last < leg.size - 1 else ""]
        parts = " and ".join(p for p in left if p)
        if abs(float(E[first] - E[0])) + abs(float(E[-1] - E[last])) >= min_span_V:
            warnings.append(f"rows {leg[0]}-{leg[-1]}: {parts} not swept at the sweep's rate, left out")
    rows = leg[first:last + 1]
    E, t = E[first:last + 1], t[first:last + 1]
    low, high = sorted((float(E[0]), float(E[-1])))
    middle = (E >= low + RATE_TRIM * (high - low)) & (E <= high - RATE_TRIM * (high - low))
    slope, r2 = slope_r2(t[middle], E[middle])
    if slope is None or r2 < SWEEP_MIN_R2:
        warnings.append(f"rows {rows[0]}-{rows[-1]} ({E[0]:.4g} to {E[-1]:.4g} V): potential not linear in time "
                        f"(R² {r2:.4f}), not a sweep")
        return None
    return Sweep(rows, direction, abs(slope) * 1e3, "fit", r2)


def _turning_points(values: NDArray[np.float64], threshold: float) -> list[int]:
    """Positions of the first value, every vertex (an extreme followed by a turn of at least
    ``threshold``) and the last value."""
    changed = np.r_[0, np.flatnonzero(np.diff(values) != 0) + 1]  # a staircase: each level once
    v = values[changed]
    points = [0]
    trend = 0
    extreme = 0
    low = high = 0
    for i in range(1, v.size):
        if trend == 0:
            if v[i] > v[high]:
                high = i
            if v[i] < v[low]:
                low = i
            if v[high] - v[low] >= threshold:
                trend = 1 if high > low else -1
                points[0] = low if trend == 1 else high
                extreme = high if trend == 1 else low
        elif (trend == 1 and v[i] > v[extreme]) or (trend == -1 and v[i] < v[extreme]):
            extreme = i
        elif abs(v[i] - v[extreme]) >= threshold:
            points.append(extreme)
            trend, extreme = -trend, i
    if trend == 0:
        return [0, values.size - 1]
    points = [int(changed[p]) for p in points]
    # a held level before the first move belongs to no sweep; a vertex is the level's last row
    ends = np.r_[changed[1:] - 1, values.size - 1]
    return [points[0]] + [int(ends[np.searchsorted(changed, p)]) for p in points[1:]] + [values.size - 1]


def _one_rate(t: NDArray[np.float64], E: NDArray[np.float64]) -> tuple[int, int] | None:
    """First and last position of the longest run of a leg swept at the leg's rate (the mode of its
    local rates); None where the leg has too few rows or no time passes."""
    n = E.size
    if n < 5 or not t[-1] > t[0]:
        return None
    local, travel, half = _local_rates(t, E)
    good = np.isfinite(local) & (local > 0)
    if not good.any():
        return None
    log_rate = np.log(local[good])
    width = math.log1p(RATE_TOLERANCE) / 2
    bins = np.floor((log_rate - log_rate.min()) / width).astype(np.intp)
    weight = np.bincount(bins, weights=np.abs(np.gradient(E))[good])
    top = int(np.argmax(weight))
    near = np.abs(bins - top) <= 1
    rate = math.exp(float(np.median(log_rate[near])))
    at_rate = np.zeros(n, dtype=bool)
    at_rate[good] = np.abs(local[good] / rate - 1) <= RATE_TOLERANCE
    at_rate = _close_gaps(at_rate, travel, 2 * half)
    starts = np.flatnonzero(np.diff(np.r_[0, at_rate.astype(np.int8)]) == 1)
    ends = np.flatnonzero(np.diff(np.r_[at_rate.astype(np.int8), 0]) == -1)
    if starts.size == 0:
        return None
    longest = int(np.argmax(np.abs(E[ends] - E[starts])))
    return int(starts[longest]), int(ends[longest])


def _local_rates(t: NDArray[np.float64], E: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """(|dE/dt| in V/s at each row, the potential travelled to each row, the window's half-width in V):
    least-squares slopes over a centred window of potential (at least :data:`RATE_WINDOW_V` and
    :data:`RATE_WINDOW_ROWS` median steps, and 2 rows each side), cut at the leg's ends (cumulative sums)."""
    n = E.size
    steps = np.abs(np.diff(E))
    travel = np.r_[0.0, np.cumsum(steps)]
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0
    half = max(RATE_WINDOW_V, RATE_WINDOW_ROWS * step) / 2
    index = np.arange(n)
    lo = np.minimum(np.searchsorted(travel, travel - half, side="left"), np.maximum(index - 2, 0))
    hi = np.maximum(np.searchsorted(travel, travel + half, side="right"), np.minimum(index + 3, n))
    x, y = t - t[0], E - E[0]
    count, sx, sy, sxx, sxy = (s[hi] - s[lo] for s in (np.r_[0.0, np.cumsum(v)] for v in (np.ones(n), x, y, x * x, x * y)))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (count * sxy - sx * sy) / (count * sxx - sx * sx)
    return np.abs(slope), travel, half


def _close_gaps(mask: NDArray[np.bool_], travel: NDArray[np.float64], gap_V: float) -> NDArray[np.bool_]:
    """``mask`` with the runs of False between two True runs that span less than ``gap_V`` set True."""
    out = mask.copy()
    true = np.flatnonzero(mask)
    for j in np.flatnonzero(np.diff(true) > 1):
        a, b = true[j], true[j + 1]
        if travel[b] - travel[a] < gap_V:
            out[a:b] = True
    return out
