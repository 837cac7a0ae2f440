"""The schedule a measured record ran, from its step table (:func:`anodelab.core.steps.step_table`): what
the cell really saw.

Each instrument step becomes a primitive step:

- ``CC``: the set point (mean current of the inner rows) with the step's duration and charge as its
  cut-offs (whichever ended it, the others were reached at that same instant), and its end voltage
  where the voltage was driven there (the step's extreme in the direction of the current, beyond its
  mean by more than ``voltage_tol_V``; a flat plateau ends at no voltage cut-off);
- ``CV``: the set point (mean voltage of the inner rows), duration, charge, and the |I| it ended at where
  that is the step's smallest;
- ``rest``: its duration;
- any other mode (a sweep, an impedance measurement, a current varying within one step): :class:`Other`
  with what it passed.

The sampling interval of a step is the median time between its rows (steps of fewer than four rows:
unknown, ``None``). Loops are folded: from the first step on, the block of at most ``max_block`` steps
repeated the most times (covering the most steps) becomes a :class:`Loop`, when its repeats have the same
controls (the same type; currents within ``rtol``, voltages within ``voltage_tol_V``) and each step of
the block ends at one value shared by all repeats (a duration or charge within ``rtol``, an end voltage
within ``voltage_tol_V``, an end current within ``rtol``): that shared value is kept as the cut-off,
those that vary between repeats (the outcome, not the programme) are dropped. Blocks are folded inside
too (loops in loops).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.steps import step_table
from anodelab.protocols.schedule import (
    CC,
    CV,
    Item,
    Loop,
    Other,
    Primitive,
    Rest,
    Schedule,
)

#: the cut-off fields of each recovered step type, and how two values of each are told equal
ENDINGS = {CC: ("duration_s", "capacity_mAh", "cutoff_V"), CV: ("duration_s", "capacity_mAh", "cutoff_current_mA"),
           Rest: ("duration_s",)}
_MIN_SAMPLING_ROWS = 4


def recover(record: Record, *, rtol: float = 0.01, voltage_tol_V: float = 0.005, max_block: int = 24,
            fold: bool = True) -> Schedule:
    """The schedule ``record`` ran (rules in the module docstring); ``fold=False`` leaves loops unfolded."""
    if not isinstance(record, Record):
        raise NotApplicableError(f"recover needs a Record (a time series), got {type(record).__name__}")
    where = record.provenance.path or "record"
    missing = [name for name in ("time_s", "current_mA") if name not in record]
    if missing:
        raise NotApplicableError(f"{where}: recovering a schedule needs {' and '.join(missing)}; the record has "
                                 f"{', '.join(record.column_names)}")
    if len(record) == 0:
        raise NotApplicableError(f"{where}: the record has no rows")
    if not (0 < rtol < 1) or not voltage_tol_V > 0:
        raise ValidationError("rtol", f"need 0 < rtol < 1 and voltage_tol_V > 0, got {rtol!r}, {voltage_tol_V!r}")
    table = step_table(record)
    time, current = record["time_s"], record["current_mA"]
    steps = [_primitive(table, i, time, current, voltage_tol_V) for i in range(len(table))]
    samples = [s.sample_s for s in steps if s.sample_s is not None]
    sample_s = float(np.median(samples)) if samples else 1.0
    items: list[Item] = _fold(steps, _Tolerance(rtol, voltage_tol_V), max_block) if fold else list(steps)
    cell = record.cell
    area = cell.working_electrode.area_cm2 if cell is not None else None
    return Schedule(tuple(items), name="recovered", sample_s=sample_s, cell_type=cell.cell_type if cell else None,
                    area_cm2=area, description=f"recovered from {where}",
                    parameters={"source": where, "rtol": rtol, "voltage_tol_V": voltage_tol_V, "fold": fold})


def _primitive(table: Any, i: int, time: Any, current: Any, voltage_tol_V: float) -> Primitive:
    start, end = int(table.start[i]), int(table.end[i])
    rows = end - start + 1
    sample = float(np.median(np.diff(time[start:end + 1]))) if rows >= _MIN_SAMPLING_ROWS else None
    sample = sample if sample is not None and sample > 0 else None
    duration = _positive_or_none(float(table.duration_s[i]))
    charge = _positive_or_none(float(table.charge_mAh[i]))
    mode = str(table.mode[i])
    if mode == "CC":
        set_point, end_V = float(table.set_point[i]), float(table.end_V[i])
        extreme = float(table.min_V[i] if set_point < 0 else table.max_V[i])
        moving = abs(end_V - extreme) <= voltage_tol_V < abs(end_V - float(table.mean_V[i]))
        cutoff_V = end_V if moving or (duration is None and charge is None) else None
        return CC(set_point, duration_s=duration, capacity_mAh=charge, cutoff_V=cutoff_V, sample_s=sample)
    if mode == "CV":
        magnitude = np.abs(current[start:end + 1])
        final = float(magnitude[-1])
        falling = final > 0 and final <= float(magnitude.min())
        cutoff = final if falling or (duration is None and charge is None) else None
        return CV(float(table.set_point[i]), duration_s=duration, capacity_mAh=charge,
                  cutoff_current_mA=_positive_or_none(cutoff) if cutoff is not None else None, sample_s=sample)
    if mode == "rest" and duration is not None:
        return Rest(duration, sample_s=sample)
    return Other(mode, duration_s=float(table.duration_s[i]), capacity_mAh=float(table.charge_mAh[i]),
                 start_V=float(table.start_V[i]), end_V=float(table.end_V[i]),
                 mean_current_mA=_finite_or_none(float(table.mean_current_mA[i])), sample_s=sample)


def _positive_or_none(value: float) -> float | None:
    return value if math.isfinite(value) and value > 0 else None


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


# -- folding --------------------------------------------------------------------------------------------


class _Tolerance:
    """When two recovered values count as the same."""

    def __init__(self, rtol: float, voltage_tol_V: float) -> None:
        self.rtol, self.voltage_tol_V = rtol, voltage_tol_V

    def same(self, name: str, a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return False
        if name in ("cutoff_V", "voltage_V"):
            return abs(a - b) <= self.voltage_tol_V
        return abs(a - b) <= self.rtol * max(abs(a), abs(b))

    def same_control(self, a: Item, b: Item) -> bool:
        if type(a) is not type(b):
            return False
        if isinstance(a, CC) and isinstance(b, CC):
            return a.current_mA * b.current_mA > 0 and self.same("current_mA", a.current_mA, b.current_mA)
        if isinstance(a, CV) and isinstance(b, CV):
            return self.same("voltage_V", a.voltage_V, b.voltage_V)
        return isinstance(a, Rest)  # an Other is never repeated: it has no programme to share


def _shared_endings(copies: Sequence[Primitive], tolerance: _Tolerance) -> list[str]:
    """The cut-off fields on which every copy agrees with the first."""
    names = ENDINGS.get(type(copies[0]), ())
    first = copies[0]
    return [name for name in names
            if all(tolerance.same(name, getattr(first, name), getattr(copy, name)) for copy in copies[1:])]


def _repeats(steps: Sequence[Primitive], i: int, length: int, tolerance: _Tolerance) -> int:
    """How many times the block ``steps[i:i + length]`` repeats from ``i`` (1: not at all), each repeat with
    the first's controls and, step by step, a cut-off value shared by all repeats so far."""
    shared = [list(ENDINGS.get(type(steps[i + j]), ())) for j in range(length)]
    k = 1
    while i + (k + 1) * length <= len(steps):
        following = []
        for j in range(length):
            first, copy = steps[i + j], steps[i + k * length + j]
            if not tolerance.same_control(first, copy):
                return k
            names = [name for name in shared[j] if tolerance.same(name, getattr(first, name), getattr(copy, name))]
            if not names:
                return k
            following.append(names)
        shared, k = following, k + 1
    return k


def _fold(steps: Sequence[Primitive], tolerance: _Tolerance, max_block: int) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(steps):
        best_length, best_count = 1, 1
        for length in range(1, min(max_block, (len(steps) - i) // 2) + 1):
            repeats = _repeats(steps, i, length, tolerance)
            if repeats >= 2 and repeats * length > best_length * best_count:
                best_length, best_count = length, repeats
        if best_count == 1:
            out.append(steps[i])
            i += 1
            continue
        block = [_merged(steps[i + j:i + best_length * best_count:best_length], tolerance) for j in range(best_length)]
        out.append(Loop(tuple(_fold(block, tolerance, max_block)), best_count))
        i += best_length * best_count
    return out


def _merged(copies: Sequence[Primitive], tolerance: _Tolerance) -> Primitive:
    """One step for all repeats: the shared cut-offs (their median), the set point's median, the sampling."""
    first = copies[0]
    shared = _shared_endings(copies, tolerance)
    changes: dict[str, Any] = {name: (float(np.median([getattr(c, name) for c in copies])) if name in shared else None)
                               for name in ENDINGS[type(first)]}
    for name in ("current_mA", "voltage_V"):
        if hasattr(first, name):
            changes[name] = float(np.median([getattr(c, name) for c in copies]))
    samples = [c.sample_s for c in copies if c.sample_s is not None]
    changes["sample_s"] = float(np.median(samples)) if samples else None
    return replace(first, **changes)
