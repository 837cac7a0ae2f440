"""The vectorised step and cycle numbering against the rule written as a plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    OPENING_STATE,
    REST,
    number_cycles,
    number_steps,
    run_starts,
)


def _cycles_by_the_rule(step: np.ndarray, state: np.ndarray, cell_type: str | None) -> list[int]:
    """The module docstring's rule, one step at a time (direction: the state most of its rows hold)."""
    steps = list(dict.fromkeys(step.tolist()))
    direction = {}
    for number in steps:
        rows = state[step == number]
        charge, discharge = int(np.sum(rows == CHARGE)), int(np.sum(rows == DISCHARGE))
        direction[number] = CHARGE if charge > discharge else DISCHARGE if discharge > 0 else REST
    opening = OPENING_STATE.get(cell_type) if cell_type else None
    if opening is None:
        opening = next((code for code in direction.values() if code != REST), None)
        if opening is None:
            return [1] * step.size
    cycle, closed, of_step = 0, False, {}
    for number in steps:
        if direction[number] == opening and (cycle == 0 or closed):
            cycle, closed = cycle + 1, False
        elif direction[number] not in (opening, REST) and cycle > 0:
            closed = True
        of_step[number] = cycle
    return [of_step[number] for number in step.tolist()]


@pytest.mark.parametrize("rows_per_row", [1, 2500])  # short steps; steps of thousands of rows (counted per step)
@pytest.mark.parametrize("seed", range(30))
def test_steps_and_cycles_follow_the_rule_on_random_protocols(seed, rows_per_row):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300 if rows_per_row == 1 else 40))
    step_id = np.cumsum(rng.random(n) < rng.uniform(0.01, 0.5))  # instrument ids, repeated in loops
    step_id = np.repeat(step_id % int(rng.integers(2, 6)), rows_per_row)
    state = np.repeat(rng.choice([REST, CHARGE, DISCHARGE, 3], n, p=[0.3, 0.3, 0.3, 0.1]), rows_per_row).astype(np.int8)
    step = number_steps(step_id)
    changes = np.r_[True, step_id[1:] != step_id[:-1]]
    np.testing.assert_array_equal(step, np.cumsum(changes))
    np.testing.assert_array_equal(run_starts(step_id), np.flatnonzero(changes))
    for cell_type in (None, "anode-half", "full", "symmetric"):
        assert number_cycles(step, state, cell_type).tolist() == _cycles_by_the_rule(step, state, cell_type)


def test_no_rows():
    assert number_steps(np.zeros(0)).size == 0 and run_starts(np.zeros(0)).size == 0
    assert number_cycles(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int8)).size == 0
