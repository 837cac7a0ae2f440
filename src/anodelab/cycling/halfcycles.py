"""Steps and half-cycles of a record, vectorised (one pass over the columns per reduction).

Definitions (the ones every cycling result records):

* A *step* is a run of rows with the same ``step`` number (see :mod:`anodelab.core.conventions`).
  Its direction is the dominant state of its rows (charge, discharge, or rest).
* A *half-cycle* is the set of active steps of one direction inside one cycle (the record's ``cycle``
  column, cycle 0 = preamble). A CC-CV half-cycle is therefore the CC step plus the CV step that
  follows it in the same direction.
* The charge of a step is its final ``capacity_mAh`` (charge passed within the step); the charge of a
  half-cycle is the sum over its steps.
* The energy of a step is the trapezoid integral of V dQ over its rows (mWh).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import REST
from anodelab.core.errors import NotApplicableError
from anodelab.core.experiment import require_record
from anodelab.core.record import Record
from anodelab.core.steps import CV_SPAN_V, StepTable, step_table

__all__ = ["CV_SPAN_V", "HalfCycles", "Steps", "half_cycles", "reduce_steps", "require_active", "require_record",
           "step_reductions"]


@dataclass(frozen=True)
class Steps:
    """The per-step reductions the half-cycles use: a view of the record's :class:`~anodelab.core.steps.StepTable`
    (``table``; its arrays, not copies) plus the middle-row current and the three-point voltage span."""

    table: StepTable
    span_V: NDArray[np.float64]     # largest |V - V_first| over the step's middle and last rows
    current_mA: NDArray[np.float64] | None     # |I| at the step's middle row
    time_start_s: NDArray[np.float64] | None
    time_end_s: NDArray[np.float64] | None

    @property
    def start(self) -> NDArray[np.intp]:
        return self.table.start

    @property
    def end(self) -> NDArray[np.intp]:
        return self.table.end

    @property
    def cycle(self) -> NDArray[np.int32]:
        return self.table.cycle

    @property
    def direction(self) -> NDArray[np.int8]:
        """CHARGE, DISCHARGE or REST."""
        return self.table.direction

    @property
    def capacity_mAh(self) -> NDArray[np.float64]:
        return self.table.charge_mAh

    @property
    def energy_mWh(self) -> NDArray[np.float64]:
        return self.table.energy_mWh

    @property
    def end_V(self) -> NDArray[np.float64]:
        return self.table.end_V

    @property
    def reversal(self) -> NDArray[np.bool_]:
        """Both charge- and discharge-state rows inside the step."""
        return self.table.reversal


def reduce_steps(record: Record) -> Steps:
    """The record's step table (:func:`~anodelab.core.steps.step_table`) as the half-cycles use it; refuses
    a record without capacity, rows, or any charge or discharge step."""
    if "capacity_mAh" not in record:
        raise NotApplicableError(
            f"{record.provenance.path or 'record'}: cycling needs a capacity column or time and current "
            "to integrate one; it has " + ", ".join(record.column_names))
    if len(record) == 0:
        raise NotApplicableError("cycling: the record has no rows")
    steps = step_reductions(record)
    require_active(steps, record.provenance.path)
    return steps


def require_active(steps: Steps, source: str | None) -> None:
    """Refuse steps none of which is a charge or a discharge."""
    if np.all(steps.direction == REST):
        raise NotApplicableError(
            f"{source or 'record'}: no charge or discharge step (state is rest/unknown "
            "everywhere); the direction of the half-cycles cannot be told")


def step_reductions(record: Record) -> Steps:
    """:func:`reduce_steps` without its checks: each step's reductions depend on its own rows only (but for
    the step table's control mode, which compares a step's current with the record's largest)."""
    table = step_table(record)
    voltage = record["voltage_V"]
    start, end = table.start, table.end
    # voltage span from the first, middle and last rows (a CV step holds all three within CV_SPAN_V)
    middle = (start + end) // 2
    span = np.maximum(np.abs(voltage[end] - voltage[start]), np.abs(voltage[middle] - voltage[start]))
    current = None
    if "current_mA" in record:
        current = np.abs(record["current_mA"][middle])  # |I| at the step's middle row (the CC current)
    time_start = time_end = None
    if "time_s" in record:
        time = record["time_s"]
        time_start, time_end = time[start], time[end]
    return Steps(table, span, current, time_start, time_end)


@dataclass(frozen=True)
class HalfCycles:
    """Per-cycle sums of the half-cycles of one direction (index k <-> cycle ``cycles[k]``)."""

    present: NDArray[np.bool_]
    capacity_mAh: NDArray[np.float64]
    energy_mWh: NDArray[np.float64]
    end_V: NDArray[np.float64]          # voltage at the end of the half-cycle's last charge-passing step
    current_mA: NDArray[np.float64]     # |I| at the middle row of the half-cycle's first step (NaN without current)
    cv: NDArray[np.bool_]               # a CV step joined the half-cycle
    reversal: NDArray[np.bool_]
    n_steps: NDArray[np.int64]


def half_cycles(steps: Steps, direction: int, cycles: NDArray[np.int32]) -> HalfCycles:
    """Sum the ``direction`` steps of each cycle in ``cycles`` (sorted, > 0)."""
    chosen = np.flatnonzero((steps.direction == direction) & (steps.cycle > 0))
    position = np.searchsorted(cycles, steps.cycle[chosen])
    size = cycles.size
    count = np.bincount(position, minlength=size)
    present = count > 0
    capacity = np.bincount(position, weights=steps.capacity_mAh[chosen], minlength=size).astype(np.float64)
    energy = np.bincount(position, weights=steps.energy_mWh[chosen], minlength=size).astype(np.float64)
    # first and last step of each half-cycle: steps are in row order, so positions are non-decreasing
    first = np.full(size, -1)
    last = np.full(size, -1)
    first[position[::-1]] = chosen[::-1]
    last[position] = chosen
    # the end voltage is that of the last step that passed charge (a zero-charge step of one row at
    # the end of a half-cycle, as Arbin schedules write, is the relaxed voltage, not the cutoff)
    passing = steps.capacity_mAh[chosen] > 0
    last[position[passing]] = chosen[passing]
    end_V = np.where(present, steps.end_V[last], np.nan)
    if steps.current_mA is not None:
        current = np.where(present, steps.current_mA[first], np.nan)
    else:
        current = np.full(size, np.nan)
    # a later step of the same half-cycle that holds the voltage (span < CV_SPAN_V) is a CV step
    later = chosen[chosen != first[position]]
    cv = np.zeros(size, dtype=bool)
    is_cv = (steps.span_V[later] < CV_SPAN_V) & (steps.capacity_mAh[later] > 0)
    cv[np.searchsorted(cycles, steps.cycle[later][is_cv])] = True
    reversal = np.bincount(position, weights=steps.reversal[chosen].astype(float), minlength=size) > 0
    return HalfCycles(present, capacity, energy, end_V, current, cv, reversal, count)
