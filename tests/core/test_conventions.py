from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    REST,
    capacity_from_current,
    capacity_within_steps,
    number_cycles,
    number_steps,
    state_from_current,
)


def _protocol(*segments):
    """Rows from (state, n_rows) segments, one step per segment."""
    state = np.concatenate([np.full(n, code, dtype=np.int8) for code, n in segments])
    step = np.repeat(np.arange(1, len(segments) + 1), [n for _, n in segments])
    return step, state


def test_state_from_current_sign_and_rest():
    assert state_from_current(np.array([0.5, -0.5, 0.0, 1e-9, np.nan]), zero_mA=1e-6).tolist() == [
        CHARGE, DISCHARGE, REST, REST, 3,
    ]


def test_steps_are_global_and_never_reset():
    # loop of two steps repeated: instrument ids 1,2,1,2 -> global steps 1..4
    assert number_steps(np.array([1, 1, 2, 2, 1, 2, 2])).tolist() == [1, 1, 2, 2, 3, 4, 4]


def test_anode_half_cycle_opens_with_lithiation_after_preamble():
    # OCV, a stray delithiation, then lithiation / rest / delithiation twice
    step, state = _protocol((REST, 2), (CHARGE, 3), (DISCHARGE, 4), (REST, 1), (CHARGE, 4), (DISCHARGE, 4), (CHARGE, 4))
    cycles = number_cycles(step, state, "anode-half")
    assert cycles.tolist() == [0] * 5 + [1] * 9 + [2] * 8


def test_full_cell_opens_with_charge_and_cccv_stays_in_one_cycle():
    # CC charge, CV charge (same direction, a new step), rest, discharge; repeated
    step, state = _protocol((CHARGE, 3), (CHARGE, 2), (REST, 1), (DISCHARGE, 3), (CHARGE, 3), (CHARGE, 2), (DISCHARGE, 3))
    assert number_cycles(step, state, "full").tolist() == [1] * 9 + [2] * 8


def test_unknown_cell_type_opens_with_first_active_step_and_gitt_pulses_stay_together():
    step, state = _protocol((REST, 1), (DISCHARGE, 2), (REST, 2), (DISCHARGE, 2), (REST, 2), (CHARGE, 2), (REST, 1), (DISCHARGE, 2))
    assert number_cycles(step, state, None).tolist() == [0] + [1] * 11 + [2] * 2
    assert number_cycles(*_protocol((REST, 3)), "symmetric").tolist() == [1, 1, 1]


def test_capacity_from_current_matches_charge_passed_per_step():
    time = np.arange(0.0, 7201.0, 1.0)
    current = np.where(time < 3600, -2.0, 1.0)  # 2 mA for 1 h, then 1 mA for 1 h
    step = np.where(time < 3600, 1, 2)
    capacity = capacity_from_current(time, current, step)
    assert capacity[3599] == pytest.approx(2.0 * 3599 / 3600)
    assert capacity[3600] == 0.0
    assert capacity[-1] == pytest.approx(1.0)


def test_capacity_within_steps_handles_resets_and_signed_counters():
    step = np.array([1, 1, 1, 2, 2, 3, 3])
    cumulative = np.array([0.0, 0.5, 1.0, 1.0, 0.2, 0.0, 0.4])  # net counter, then reset at step 3
    assert capacity_within_steps(cumulative, step).tolist() == pytest.approx([0, 0.5, 1.0, 0, 0.8, 0, 0.4])


@pytest.mark.parametrize("n_steps", [3, 400])  # few long steps (a slice each) / many short ones (per-row zeros)
def test_capacity_within_steps_in_place_and_with_known_starts_is_the_same(n_steps):
    rng = np.random.default_rng(n_steps)
    step = np.sort(rng.integers(0, n_steps, 10_000))
    cumulative = np.cumsum(rng.normal(size=step.size))
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    expected = [abs(value - cumulative[starts[np.searchsorted(starts, row, side="right") - 1]])
                for row, value in enumerate(cumulative)]  # the step's first value is its zero, row by row
    assert capacity_within_steps(cumulative, step).tolist() == expected
    assert capacity_within_steps(cumulative, step, starts=starts).tolist() == expected
    overwritten = cumulative.copy()
    assert capacity_within_steps(overwritten, step, starts=starts, out=overwritten) is overwritten
    assert overwritten.tolist() == expected


def test_the_codes_state_from_current_relies_on():
    """state_from_current reads the boolean ``I > zero`` as int8 codes (bench_read: 6 % of an .mpr read)."""
    assert (REST, CHARGE) == (0, 1)
    assert state_from_current(np.array([0.0, 2.0, -2.0, 0.5]), zero_mA=1.0).tolist() == [REST, CHARGE, DISCHARGE, REST]


@pytest.mark.parametrize("n_steps", [3, 400])  # few long runs (a count per run) / many short ones (reduceat)
def test_both_ways_of_counting_per_run_agree_with_a_loop(n_steps):
    from anodelab.core.conventions import _count_per_run

    rng = np.random.default_rng(n_steps)
    mask = rng.random(10_000) < 0.3
    starts = np.r_[0, np.sort(rng.choice(np.arange(1, mask.size), n_steps - 1, replace=False))]
    ends = np.r_[starts[1:], mask.size]
    assert _count_per_run(mask, starts).tolist() == [int(mask[a:b].sum()) for a, b in zip(starts, ends)]
