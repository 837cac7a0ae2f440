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
    state = np.full(current.shape, REST, dtype=np.int8)
    state[current > zero_mA] = CHARGE
    state[current < -zero_mA] = DISCHARGE
    state[~np.isfinite(current)] = UNKNOWN
    return state


def number_steps(step_id: NDArray) -> NDArray[np.int32]:
    """Global 1-based step numbers: a new step wherever ``step_id`` changes from the row before."""
    step_id = np.asarray(step_id)
    if step_id.size == 0:
        return np.zeros(0, dtype=np.int32)
    changed = np.empty(step_id.shape, dtype=bool)
    changed[0] = True
    changed[1:] = step_id[1:] != step_id[:-1]
    return np.cumsum(changed, dtype=np.int32)


def step_directions(step: NDArray, state: NDArray) -> NDArray[np.int8]:
    """Direction of each step (CHARGE, DISCHARGE or REST), by the state that dominates its rows.

    ``step`` holds global step numbers (1, 2, 3, ... in runs). Returns one code per step (index
    0 <-> step 1). A step is active in the direction that holds most of its charge- or
    discharge-state rows; a step with none is a rest.
    """
    step = np.asarray(step)
    state = np.asarray(state)
    if step.size == 0:
        return np.zeros(0, dtype=np.int8)
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    charge_rows = np.add.reduceat((state == CHARGE).astype(np.int32), starts)
    discharge_rows = np.add.reduceat((state == DISCHARGE).astype(np.int32), starts)
    direction = np.full(starts.size, REST, dtype=np.int8)
    direction[charge_rows > discharge_rows] = CHARGE
    direction[(discharge_rows >= charge_rows) & (discharge_rows > 0)] = DISCHARGE
    return direction


def number_cycles(
    step: NDArray, state: NDArray, cell_type: str | None = None
) -> NDArray[np.int32]:
    """Cycle number of each row by the rule in this module's docstring.

    ``step`` holds the global step numbers (1-based, non-decreasing), ``state`` the state codes.
    """
    step = np.asarray(step)
    if step.size == 0:
        return np.zeros(0, dtype=np.int32)
    direction = step_directions(step, np.asarray(state))
    opening = OPENING_STATE.get(cell_type) if cell_type else None
    active = direction[direction != REST]
    if opening is None:
        if active.size == 0:
            return np.ones(step.shape, dtype=np.int32)
        opening = int(active[0])
    closing = CHARGE if opening == DISCHARGE else DISCHARGE
    cycle_of_step = np.zeros(direction.size, dtype=np.int32)
    cycle, closed = 0, False
    for index, code in enumerate(direction):
        if code == opening and (cycle == 0 or closed):
            cycle += 1
            closed = False
        elif code == closing and cycle > 0:
            closed = True
        cycle_of_step[index] = cycle
    return cycle_of_step[step - 1]


def capacity_from_current(
    time_s: NDArray[np.float64], current_mA: NDArray[np.float64], step: NDArray
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


def capacity_within_steps(cumulative_mAh: NDArray[np.float64], step: NDArray) -> NDArray[np.float64]:
    """Per-step charge passed (mAh, >= 0) from an instrument counter that runs across steps.

    Works for counters that reset at some step boundaries and not others, and for signed
    counters (net charge): the value at each step's first row is the step's zero.
    """
    cumulative = np.asarray(cumulative_mAh, dtype=float)
    step = np.asarray(step)
    if cumulative.size == 0:
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    lengths = np.diff(np.r_[starts, cumulative.size])
    return np.abs(cumulative - np.repeat(cumulative[starts], lengths))


def _cumsum_within_steps(increment: NDArray[np.float64], step: NDArray) -> NDArray[np.float64]:
    total = np.cumsum(increment)
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    lengths = np.diff(np.r_[starts, increment.size])
    return total - np.repeat(total[starts], lengths)
