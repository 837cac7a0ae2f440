"""The conventions every reader converts to, stated once.

Current sign
    ``current_mA > 0`` is **anodic at the working electrode**: the working electrode is oxidised
    and the cell voltage (working minus counter) is driven up. Cyclers call this *charge*.
    ``current_mA < 0`` is cathodic at the working electrode (*discharge*). Readers convert every
    instrument to this sign (Maccor and LAND store magnitudes with a state flag; BioLogic, Neware
    and Arbin already store signed current this way).

State
    Per row: ``rest`` (|I| below the instrument's zero), ``charge`` (I > 0) or ``discharge``
    (I < 0); ``unknown`` where the file carries no current and no other hint.

Half-cycle roles from the cell type
    ========================  ===================  ==================  ====================
    cell type                 opening half-cycle   closing half-cycle  efficiency
    ========================  ===================  ==================  ====================
    anode-half (WE vs Li/Na)  discharge: insertion charge: extraction  extraction/insertion
    plating (bare substrate)  discharge: plating   charge: stripping   stripped/plated
    cathode-half, full        charge               discharge           discharge/charge
    symmetric, blocking       first active step    the other           closing/opening
    ========================  ===================  ==================  ====================

Steps
    A step is a maximal run of consecutive rows with the same instrument step (sequence)
    identifier; where the file carries none, a maximal run with the same state. Steps are
    numbered 1, 2, 3, ... through the whole file: loops and cycles never reset them.
    ``capacity_mAh`` is the charge passed within the step (mAh, >= 0).

Cycles
    Cycle 0 holds everything before the first step in the opening direction (an initial rest or
    OCV, or a half-cycle of the "wrong" direction). Cycle ``n + 1`` begins with the first step in
    the opening direction that follows a step in the closing direction of cycle ``n``. A step's
    direction is the sign of the net charge it passes (rests have none). Cycle 1 is therefore
    always the first opening half-cycle and its closing partner, whatever the instrument counted;
    the instrument's own counter is kept as the extra column ``cycle_instrument``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

STATES = ("rest", "charge", "discharge", "unknown")
REST, CHARGE, DISCHARGE, UNKNOWN = range(4)

#: (opening, closing) roles per cell type, as names used in results.
HALF_CYCLE_ROLES: dict[str, tuple[str, str]] = {
    "anode-half": ("insertion", "extraction"),
    "plating": ("plating", "stripping"),
    "cathode-half": ("charge", "discharge"),
    "full": ("charge", "discharge"),
    "symmetric": ("forward", "reverse"),
    "blocking": ("forward", "reverse"),
}

#: Direction of the opening half-cycle per cell type: CHARGE, DISCHARGE or None (first active step).
OPENING_STATE: dict[str, int | None] = {
    "anode-half": DISCHARGE,
    "plating": DISCHARGE,
    "cathode-half": CHARGE,
    "full": CHARGE,
    "symmetric": None,
    "blocking": None,
}


def state_from_current(current_mA: NDArray[np.float64], zero_mA: float = 0.0) -> NDArray[np.int8]:
    """State codes (indices into :data:`STATES`) from signed current; ``|I| <= zero_mA`` is rest."""
    current = np.asarray(current_mA, dtype=float)
    state = (current < -zero_mA).view(np.int8) * np.int8(DISCHARGE)  # (no masked assignment: faster)
    state += current > zero_mA  # CHARGE (1) where I > zero
    if current.size and not (np.isfinite(current.min()) and np.isfinite(current.max())):  # NaN propagates
        state[~np.isfinite(current)] = UNKNOWN
    return state


def run_starts(values: NDArray[Any]) -> NDArray[np.intp]:
    """First row of each run of equal consecutive values (none for no rows)."""
    values = np.asarray(values)
    if values.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.concatenate(([0], np.flatnonzero(values[1:] != values[:-1]) + 1))


def _per_row(per_run: NDArray[Any], starts: NDArray[np.intp], n: int) -> NDArray[Any]:
    """One value per run spread over the run's rows."""
    return np.repeat(per_run, np.diff(starts, append=n))


def number_steps(step_id: NDArray[Any]) -> NDArray[np.int32]:
    """Global 1-based step numbers: a new step wherever ``step_id`` changes from the row before."""
    return steps_of_runs(run_starts(step_id), np.size(step_id))


def steps_of_runs(starts: NDArray[np.intp], n: int) -> NDArray[np.int32]:
    """:func:`number_steps` for the ``n`` rows whose steps begin at ``starts`` (:func:`run_starts`)."""
    return _per_row(np.arange(1, starts.size + 1, dtype=np.int32), starts, n)


def step_directions(step: NDArray[Any], state: NDArray[Any]) -> NDArray[np.int8]:
    """Direction of each step (CHARGE, DISCHARGE or REST), by the state that dominates its rows.

    ``step`` holds global step numbers (1, 2, 3, ... in runs). Returns one code per step (index
    0 <-> step 1). A step is active in the direction that holds most of its charge- or
    discharge-state rows; a step with none is a rest.
    """
    return _directions(run_starts(step), np.asarray(state))


def _directions(starts: NDArray[np.intp], state: NDArray[Any]) -> NDArray[np.int8]:
    if starts.size == 0:
        return np.zeros(0, dtype=np.int8)
    charge_rows = _count_per_run(state == CHARGE, starts)
    discharge_rows = _count_per_run(state == DISCHARGE, starts)
    direction = np.full(starts.size, REST, dtype=np.int8)
    direction[charge_rows > discharge_rows] = CHARGE
    direction[(discharge_rows >= charge_rows) & (discharge_rows > 0)] = DISCHARGE
    return direction


def _count_per_run(mask: NDArray[np.bool_], starts: NDArray[np.intp]) -> NDArray[np.intp]:
    """True rows of ``mask`` in each run (a count per run where runs are long: many times faster)."""
    if starts.size * 2048 <= mask.size:
        bounds = [*starts.tolist(), mask.size]
        return np.array([np.count_nonzero(mask[a:b]) for a, b in pairwise(bounds)], dtype=np.intp)
    return np.add.reduceat(mask, starts, dtype=np.intp)


def number_cycles(
    step: NDArray[Any], state: NDArray[Any], cell_type: str | None = None
) -> NDArray[np.int32]:
    """Cycle number of each row by the rule in this module's docstring.

    ``step`` holds the global step numbers (1-based, non-decreasing), ``state`` the state codes.
    """
    return cycles_of_runs(run_starts(step), state, np.size(step), cell_type)


def cycles_of_runs(
    starts: NDArray[np.intp], state: NDArray[Any], n: int, cell_type: str | None = None
) -> NDArray[np.int32]:
    """:func:`number_cycles` for the ``n`` rows whose steps begin at ``starts`` (:func:`run_starts`)."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.int32)
    direction = _directions(starts, np.asarray(state))
    active = np.flatnonzero(direction != REST)
    opening = OPENING_STATE.get(cell_type) if cell_type else None
    if opening is None:
        if active.size == 0:
            return np.ones(n, dtype=np.int32)
        opening = int(direction[active[0]])
    # a cycle begins at each opening step whose previous active step is not an opening one
    # (closing steps before the first opening step stay in cycle 0)
    codes = direction[active]
    begins = codes == opening
    begins[1:] &= codes[:-1] != opening
    new_cycle = np.zeros(direction.size, dtype=np.int32)
    new_cycle[active[begins]] = 1
    return _per_row(np.cumsum(new_cycle, dtype=np.int32), starts, n)


def capacity_from_current(
    time_s: NDArray[np.float64], current_mA: NDArray[np.float64], step: NDArray[Any]
) -> NDArray[np.float64]:
    """Charge passed within each step (mAh, >= 0) by trapezoidal integration of |I| over time."""
    time = np.asarray(time_s, dtype=float)
    current = np.abs(np.nan_to_num(np.asarray(current_mA, dtype=float)))
    step = np.asarray(step)
    if time.size == 0:
        return np.zeros(0)
    increment = np.zeros(time.size)
    increment[1:] = 0.5 * (current[1:] + current[:-1]) * np.diff(time) / 3600.0
    increment[1:][step[1:] != step[:-1]] = 0.0
    return _cumsum_within_steps(increment, step)


def capacity_within_steps(
    cumulative_mAh: NDArray[np.float64], step: NDArray[Any], *, starts: NDArray[np.intp] | None = None,
    out: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Per-step charge passed (mAh, >= 0) from an instrument counter that runs across steps.

    Works for counters that reset at some step boundaries and not others, and for signed
    counters (net charge): the value at each step's first row is the step's zero. ``starts``:
    the first row of each step (:func:`run_starts` of ``step``), where the caller has it;
    ``out``: the float64 array to write to (``cumulative_mAh`` itself, to overwrite it).
    """
    cumulative = np.asarray(cumulative_mAh, dtype=float)
    if starts is None:
        starts = run_starts(step)
    zeros = cumulative[starts]
    if starts.size * 2048 <= cumulative.size:  # few, long steps: each its own slice (no array of zeros)
        within = np.empty_like(cumulative) if out is None else out
        for (begin, end), zero in zip(pairwise([*starts.tolist(), cumulative.size]), zeros.tolist()):
            np.subtract(cumulative[begin:end], zero, out=within[begin:end])
    else:
        zero = _per_row(zeros, starts, cumulative.size)
        within = np.subtract(cumulative, zero, out=zero if out is None else out)
    return np.abs(within, out=within)


def _cumsum_within_steps(increment: NDArray[np.float64], step: NDArray[Any]) -> NDArray[np.float64]:
    total: NDArray[np.float64] = np.cumsum(increment)
    starts = run_starts(step)
    within: NDArray[np.float64] = np.subtract(total, _per_row(total[starts], starts, total.size), out=total)
    return within
