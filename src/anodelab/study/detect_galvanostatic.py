"""The kind of a galvanostatic record from its active steps (rules in :mod:`anodelab.study.detect`):
``nucleation``, ``plating-ce``, ``ccd`` or ``symmetric``, ``gitt``, ``polarization`` steps, ``rate``, else
``cycling``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import CHARGE, DISCHARGE
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.record import Record
from anodelab.core.steps import StepTable
from anodelab.study import detect_words as words

K = ExperimentKind

#: a metal|metal cell: |V| of its steps at most this (V)
METAL_CELL_MAX_V = 1.0
#: two currents are one level when they differ by less than this fraction
LEVEL_RTOL = 0.03
#: a GITT rest lasts at least this many times its pulse
GITT_REST_RATIO = 1.0


@dataclass(frozen=True)
class ActiveSteps:
    """The active steps of a record (no rest, no impedance), with what the rules need."""

    table: StepTable
    index: NDArray[np.intp]         # positions in the table
    span_s: NDArray[np.float64]     # from the step's start to the next step's start (NaN without time)
    area_cm2: float | None

    @property
    def direction(self) -> NDArray[np.int8]:
        return self.table.direction[self.index]

    @property
    def mode(self) -> NDArray[np.str_]:
        return self.table.mode[self.index]

    @property
    def cycle(self) -> NDArray[np.int32]:
        return self.table.cycle[self.index]

    @property
    def set_point(self) -> NDArray[np.float64]:
        return self.table.set_point[self.index]

    @property
    def charge_mAh(self) -> NDArray[np.float64]:
        return self.table.charge_mAh[self.index]

    @property
    def mean_V(self) -> NDArray[np.float64]:
        return self.table.mean_V[self.index]

    @property
    def end_V(self) -> NDArray[np.float64]:
        return self.table.end_V[self.index]

    @property
    def min_V(self) -> NDArray[np.float64]:
        return self.table.min_V[self.index]

    @property
    def max_V(self) -> NDArray[np.float64]:
        return self.table.max_V[self.index]

    @property
    def mean_current_mA(self) -> NDArray[np.float64]:
        return self.table.mean_current_mA[self.index]


def detect_galvanostatic(steps: ActiveSteps, record: Record) -> Detection:
    """The first rule that fits, in the order of the module docstring; else cycling."""
    n = steps.index.size
    current = np.where(np.isfinite(steps.set_point) & (steps.mode == "CC"), steps.set_point, steps.mean_current_mA)
    if n == 1 or _one_dominant(steps):
        return _single_step(steps, record, current)
    for rule in (_plating_ce, _metal_cell, _gitt, _polarization_steps, _rate):
        found = rule(steps, current)
        if found is not None:
            return found
    return _cycling(steps, current)


def _one_dominant(steps: ActiveSteps) -> bool:
    """One step passes at least 95 % of the charge."""
    charge = np.nan_to_num(steps.charge_mAh)
    return bool(charge.sum() > 0 and charge.max() >= 0.95 * charge.sum())


def _single_step(steps: ActiveSteps, record: Record, current: NDArray[np.float64]) -> Detection:
    k = int(np.argmax(np.nan_to_num(steps.charge_mAh))) if steps.index.size > 1 else 0
    position = int(steps.index[k])
    table = steps.table
    start, end = int(table.start[position]), int(table.end[position])
    voltage = record["voltage_V"][start:end + 1]
    duration = words.duration(steps.span_s[k]) if np.isfinite(steps.span_s[k]) else f"{voltage.size} rows"
    mode = steps.mode[k]
    if mode == "CV":
        return Detection(K.UNKNOWN, 0.7, f"one potentiostatic hold at {words.volts(table.set_point[position])} for "
                         f"{duration} (a chronoamperometry), which no experiment kind covers")
    plating = steps.direction[k] == DISCHARGE and mode == "CC"
    if plating and voltage.size >= 20:
        tip = int(np.argmin(voltage))
        tail = voltage[int(0.7 * voltage.size):]
        plateau_V = float(np.median(tail))
        noise_V = float(np.std(np.diff(tail))) / np.sqrt(2.0) if tail.size > 2 else 0.0
        recovery_V = plateau_V - float(voltage[tip])
        if (abs(plateau_V) <= 0.3 and tip < 0.5 * voltage.size and voltage[0] > plateau_V
                and recovery_V >= max(0.001, 5.0 * noise_V) and voltage[tip] < 0):
            return Detection(K.NUCLEATION, 0.85, f"one plating step at {words.current(current[k], steps.area_cm2)} for "
                             f"{duration}: the voltage falls from {words.volts(voltage[0])} to a "
                             f"{words.volts(voltage[tip])} dip, then recovers to a {words.volts(plateau_V)} plateau")
    what = "constant-current" if mode == "CC" else "current-passing"
    return Detection(K.UNKNOWN, 0.6, f"one {what} step ({words.current(current[k], steps.area_cm2)}, {duration}, "
                     f"{words.volts(voltage[0])} to {words.volts(voltage[-1])}) and nothing else: not a cycling test, "
                     "nor a plating nucleation (no voltage dip to a small plateau)")


def _alternates(direction: NDArray[np.int8]) -> float:
    """The fraction of consecutive active steps that change direction."""
    return float(np.mean(direction[1:] != direction[:-1])) if direction.size > 1 else 0.0


def _plating_ce(steps: ActiveSteps, current: NDArray[np.float64]) -> Detection | None:
    """Plating (cathodic, small |V|) then stripping (anodic) ending at a voltage cut-off."""
    direction = steps.direction
    plate = np.flatnonzero(direction == DISCHARGE)
    strip = np.flatnonzero(direction == CHARGE)
    if plate.size == 0 or strip.size == 0 or _alternates(direction) < 0.8 or direction[0] != DISCHARGE:
        return None
    if np.median(np.abs(steps.mean_V[plate])) > 0.3 or np.any(steps.mean_V[plate] > 0.05):
        return None
    rise = steps.end_V[strip] - steps.mean_V[strip]
    cutoff = (rise >= 0.05) & (rise >= 3.0 * np.abs(steps.mean_V[strip])) & (steps.end_V[strip] > 0.1)
    if not cutoff[-1]:
        return None
    plated, stripped = steps.charge_mAh[plate], steps.charge_mAh[strip]
    cutoff_V = float(np.median(steps.end_V[strip][cutoff]))
    at = words.current(float(np.median(current[plate])), steps.area_cm2)
    if np.mean(cutoff) >= 0.8:
        pairs = min(plate.size, strip.size)
        ce = stripped[:pairs] / plated[:pairs]
        if not (np.all(ce <= 1.05) and np.all(ce >= 0.3)):
            return None
        return Detection(K.PLATING_CE, 0.9, f"{pairs} cycles of plating {words.charge(np.median(plated))} at {at}, "
                         f"then stripping to a {words.volts(cutoff_V)} cut-off (stripped/plated {ce.min():.3f} to "
                         f"{ce.max():.3f})")
    reservoir = plated[0]
    cycled = plated[1:]
    if cutoff[:-1].any() or cycled.size == 0 or reservoir < 3.0 * np.median(cycled):
        return None
    return Detection(K.PLATING_CE, 0.85, f"Aurbach reservoir protocol: {words.charge(reservoir)} plated at {at}, "
                     f"{cycled.size} cycles of {words.charge(np.median(cycled))}, then stripped to a "
                     f"{words.volts(cutoff_V)} cut-off")


def _metal_cell(steps: ActiveSteps, current: NDArray[np.float64]) -> Detection | None:
    """The voltage of a metal|metal cell: its sign follows the current's, it is small and flat."""
    direction = steps.direction
    if _alternates(direction) < 0.8 or not np.any(direction == CHARGE) or not np.any(direction == DISCHARGE):
        return None
    sign = np.where(direction == CHARGE, 1.0, -1.0)
    follows = np.mean(np.sign(steps.mean_V) == sign)
    magnitude = np.abs(steps.mean_V)
    flat = np.median((steps.max_V - steps.min_V) / np.maximum(magnitude, 1e-6))
    if follows < 0.85 or np.median(magnitude) > METAL_CELL_MAX_V or flat > 1.5:
        return None
    typical = np.median(magnitude[np.sign(steps.mean_V) == sign])
    symmetric_V = f"voltage symmetric about 0 V (±{words.volts(typical)})"
    levels = _levels(np.abs(current))
    level_of = _level_of(levels, np.abs(current))
    if levels.size >= 3 and np.all(np.diff(level_of) >= 0) and levels[-1] >= 2.0 * levels[0]:
        return Detection(K.CCD, 0.9, f"current steps of rising magnitude ({words.current(levels[0], steps.area_cm2)} "
                         f"to {words.current(levels[-1], steps.area_cm2)}, {levels.size} levels), alternating sign, "
                         f"{symmetric_V}")
    cycles = steps.index.size // 2
    held = words.duration(float(np.median(steps.span_s))) if np.all(np.isfinite(steps.span_s)) else None
    level = words.current(float(np.median(np.abs(current))), steps.area_cm2, signed=False)
    each = f" for {held} each" if held else ""
    return Detection(K.SYMMETRIC, 0.9 if cycles >= 5 else 0.6,
                     f"{cycles} cycles of alternating ±{level}{each}, {symmetric_V}")


def _gitt(steps: ActiveSteps, current: NDArray[np.float64]) -> Detection | None:
    """Short constant-current pulses, each followed by a rest at least GITT_REST_RATIO times longer."""
    table = steps.table
    following = steps.index + 1
    has_next = following < len(table)
    rest_after = np.zeros(steps.index.size, dtype=bool)
    rest_after[has_next] = table.mode[following[has_next]] == "rest"
    if not np.all(np.isfinite(steps.span_s)):
        return None
    rest_s = np.full(steps.index.size, np.nan)
    spans = np.diff(np.r_[table.start_s, table.start_s[-1] + table.duration_s[-1]])
    rest_s[has_next] = spans[following[has_next]]
    pulse = (steps.mode == "CC") & rest_after & (rest_s >= GITT_REST_RATIO * steps.span_s) & (steps.span_s > 0)
    if pulse.sum() < 5 or pulse.mean() < 0.6:
        return None
    pulses = np.abs(current[pulse])
    if np.ptp(pulses) > 0.05 * np.median(pulses):
        return None
    signed = float(np.median(current[pulse]))
    return Detection(K.GITT, 0.9, f"{int(pulse.sum())} current pulses of {words.current(signed, steps.area_cm2)} for "
                     f"{words.duration(float(np.median(steps.span_s[pulse])))}, each followed by a rest of "
                     f"{words.duration(float(np.median(rest_s[pulse])))}")


def _polarization_steps(steps: ActiveSteps, current: NDArray[np.float64]) -> Detection | None:
    """Four or more steps held at set points that move one way (a steady-state polarization curve)."""
    if steps.index.size < 4 or not np.all(np.isin(steps.mode, ("CC", "CV"))) or len(set(steps.mode)) != 1:
        return None
    points = steps.set_point
    change = np.diff(points)
    scale = np.max(np.abs(points))
    if not (np.all(change > LEVEL_RTOL * scale) or np.all(change < -LEVEL_RTOL * scale)):
        return None
    if steps.mode[0] == "CC":
        what = f"current ({words.current(points[0], steps.area_cm2)} to {words.current(points[-1], steps.area_cm2)})"
    else:
        what = f"potential ({words.volts(points[0])} to {words.volts(points[-1])})"
    held = (f", each held for {words.duration(float(np.median(steps.span_s)))}"
            if np.all(np.isfinite(steps.span_s)) else "")
    return Detection(K.POLARIZATION, 0.75, f"{points.size} steady-state steps of {what}{held}")


def _rate(steps: ActiveSteps, current: NDArray[np.float64]) -> Detection | None:
    """Cycles at three or more current levels (the current of each half-cycle's main constant-current
    step, the one passing most charge), in blocks of two cycles or more (of one, with four levels or
    more), no level holding most cycles."""
    cycle = steps.cycle
    best = None
    for direction in (DISCHARGE, CHARGE):
        chosen = np.flatnonzero((steps.mode == "CC") & (steps.direction == direction) & (cycle > 0))
        if chosen.size < 3:
            continue
        # steps sorted by cycle, then by charge passed: the last of each cycle is its main step
        order = chosen[np.lexsort((np.nan_to_num(steps.charge_mAh[chosen]), cycle[chosen]))]
        last = np.r_[cycle[order][1:] != cycle[order][:-1], True]
        per_cycle = np.abs(current[order[last]])
        levels = _levels(per_cycle)
        assigned = _level_of(levels, per_cycle)
        blocks = 1 + int(np.count_nonzero(np.diff(assigned)))
        share = np.bincount(assigned).max() / assigned.size
        long_blocks = per_cycle.size >= 2 * blocks or levels.size >= 4
        if (levels.size >= 3 and blocks >= 3 and long_blocks and share <= 0.6 and levels[-1] >= 2.0 * levels[0]
                and (best is None or levels.size > best[0].size)):
            best = (levels, blocks, per_cycle.size, direction)
    if best is None:
        return None
    levels, blocks, cycles, direction = best
    which = "discharge" if direction == DISCHARGE else "charge"
    return Detection(K.RATE, 0.85, f"{cycles} cycles at {levels.size} {which} current levels "
                     f"({words.current(levels[0], steps.area_cm2, signed=False)} to "
                     f"{words.current(levels[-1], steps.area_cm2, signed=False)}) in {blocks} blocks")


def _cycling(steps: ActiveSteps, current: NDArray[np.float64]) -> Detection:
    """Charge and discharge steps alternating: galvanostatic cycling (the current range from the
    steps passing at least 5 % of the largest step charge; one-row instrument steps say nothing)."""
    direction = steps.direction
    charges, discharges = np.count_nonzero(direction == CHARGE), np.count_nonzero(direction == DISCHARGE)
    low, high = float(np.min(steps.min_V)), float(np.max(steps.max_V))
    if charges == 0 or discharges == 0:
        only, other = ("charge", "discharge") if charges else ("discharge", "charge")
        return Detection(K.UNKNOWN, 0.5, f"{steps.index.size} {only} steps and no {other} ({words.volts(low)} to "
                         f"{words.volts(high)}): not a cycling test")
    charge = np.nan_to_num(steps.charge_mAh)
    main = charge >= 0.05 * charge.max() if charge.max() > 0 else np.ones(charge.size, dtype=bool)
    cycles = len(np.unique(steps.cycle[steps.cycle > 0]))
    first = "discharge" if direction[main][0] == DISCHARGE else "charge"
    magnitude = np.abs(current[main & (steps.mode != "CV")])
    levels = _levels(magnitude[magnitude > 0])
    if levels.size == 1:
        at = f" at ±{words.current(levels[0], steps.area_cm2, signed=False)}"
    elif levels.size:
        at = (f" at {words.current(levels[0], steps.area_cm2, signed=False)} to "
              f"{words.current(levels[-1], steps.area_cm2, signed=False)}")
    else:
        at = " (no current recorded)"
    holds = " with constant-voltage holds" if np.any(steps.mode == "CV") else ""
    confidence = 0.9 if cycles >= 3 else 0.7
    return Detection(K.CYCLING, confidence, f"{cycles} galvanostatic cycle{'s' * (cycles != 1)} ({first} first) "
                     f"between {words.volts(low)} and {words.volts(high)}{at}{holds}")


def _levels(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distinct levels of ``values`` (sorted): values within LEVEL_RTOL of the level below join it."""
    ordered = np.sort(values[np.isfinite(values)])
    if ordered.size == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] > ordered[:-1] * (1 + LEVEL_RTOL) + 1e-12]]


def _level_of(levels: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Index of the level (the smallest value of its group, :func:`_levels`) each value belongs to."""
    return np.searchsorted(levels, values, side="right") - 1
