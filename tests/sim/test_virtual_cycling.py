"""The galvanostatic protocol engine and the cycling generators, against independent integrals and closed forms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.core.record import Record
from anodelab.sim.virtual.cycling import alloy_half_cell, full_cell, rate_test
from anodelab.sim.virtual.protocol import Step, run_protocol

RTOL = 1e-9


def half_cycles(record: Record) -> dict[int, dict[str, float]]:
    """Charge (mAh) passed per cycle and direction, by the trapezoid of |I| over each step's own rows."""
    out: dict[int, dict[str, float]] = {}
    step, cycle = record["step"], record["cycle"]
    for number in np.unique(step):
        rows = step == number
        current, time = record["current_mA"][rows], record["time_s"][rows]
        if not np.any(current):
            continue
        direction = "charge" if current.mean() > 0 else "discharge"
        totals = out.setdefault(int(cycle[rows][0]), {"charge": 0.0, "discharge": 0.0})
        totals[direction] += float(np.trapezoid(np.abs(current), time)) / 3600.0
    return out


def linear(e, q, t):
    return 0.1 + q


# -- engine ---------------------------------------------------------------------------------------------


def test_protocol_cutoffs_are_hit_exactly():
    steps = [
        Step(-1.0, linear, dt_s=100.0, capacity_mAh=0.5),
        Step(0.0, linear, dt_s=60.0, duration_s=300.0),
        Step(2.0, linear, dt_s=70.0, voltage_limit_V=0.75),
        Step(lambda e: 2.0 * np.exp(-e / 500.0), lambda e, q, t: np.full(e.shape, 0.75), dt_s=30.0, capacity_mAh=0.2),
    ]
    run = run_protocol(steps, record_at_s=[1234.5])
    c = run.columns
    charges = [np.trapezoid(np.abs(c["current_mA"][s.rows]), c["time_s"][s.rows]) / 3600 for s in run.steps]
    assert charges == pytest.approx([0.5, 0.0, 0.65, 0.2], rel=RTOL, abs=1e-15)
    assert [s.ended_by for s in run.steps] == ["capacity", "duration", "voltage", "capacity"]
    # V = 0.1 + q at 2 mA reaches 0.75 V after 0.65 mAh = 1170 s, between two samples
    assert run.steps[2].end_s - run.steps[2].start_s == pytest.approx(1170.0, rel=1e-12)
    assert c["voltage_V"][run.steps[2].rows][-1] == pytest.approx(0.75, abs=1e-12)
    assert 1234.5 in c["time_s"]
    assert np.all(np.diff(c["time_s"]) >= 0)
    assert c["step"].tolist() == sorted(c["step"].tolist()) and set(c["step"]) == {1, 2, 3, 4}


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ([Step(1.0, linear, dt_s=1.0)], "steps[0]"),
        ([Step(0.0, linear, dt_s=1.0, capacity_mAh=1.0)], "steps[0].capacity_mAh"),
        ([Step(1.0, linear, dt_s=1.0, capacity_mAh=0.0)], "steps[0].capacity_mAh"),
        ([Step(1.0, linear, dt_s=-1.0, duration_s=5.0)], "steps[0].dt_s"),
    ],
)
def test_protocol_rejects_bad_steps(steps, field):
    with pytest.raises(ValidationError) as error:
        run_protocol(steps)
    assert error.value.field == field


# -- alloy half-cell ------------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"cv_hold": True, "initial_rest_s": 3600.0, "n_cycles": 4}])
def test_half_cell_capacities_equal_the_integrated_current(options):
    experiment = alloy_half_cell(**options)
    truth, record = experiment.truth, experiment.data
    n = truth["n_cycles"]
    measured = half_cycles(record)
    assert sorted(measured) == list(range(1, n + 1))  # the initial rest, if any, is cycle 0
    assert record.cycles.tolist() == ([0] if options else []) + list(range(1, n + 1))
    insertion = [measured[k]["discharge"] for k in range(1, n + 1)]
    extraction = [measured[k]["charge"] for k in range(1, n + 1)]
    assert insertion == pytest.approx(truth["insertion_mAh"], rel=RTOL)
    assert extraction == pytest.approx(truth["extraction_mAh"], rel=RTOL)
    active_g = 1.0e-3 * truth["electrode_mass_mg"] * truth["active_fraction"]
    assert np.asarray(extraction) / active_g == pytest.approx(truth["extraction_mAh_g"], rel=RTOL)
    assert truth["ce_per_cycle"] == pytest.approx(np.asarray(extraction) / insertion, rel=RTOL)
    if options:
        assert np.add(truth["cc_mAh"], truth["cv_mAh"]) == pytest.approx(truth["extraction_mAh"], rel=RTOL)
    assert len(record) < 5000


def test_half_cell_capacity_laws_follow_the_parameters():
    truth = alloy_half_cell(n_cycles=6, ice=0.8, coulombic_efficiency=0.99, ce_recovery_cycles=2.0,
                            fade_per_cycle=0.01, reversible_capacity_mAh_g=2000.0, noise_V=0.0).truth
    k = np.arange(6)
    assert truth["extraction_mAh_g"] == pytest.approx(2000.0 * 0.99**k, rel=RTOL)
    assert truth["ce_per_cycle"] == pytest.approx(0.99 - (0.99 - 0.8) * np.exp(-k / 2.0), rel=RTOL)
    assert truth["ice"] == pytest.approx(0.8, rel=RTOL)
    assert truth["insertion_mAh_g"][0] == pytest.approx(2000.0 / 0.8, rel=RTOL)
    json.loads(alloy_half_cell(n_cycles=2).truth_json())


def test_half_cell_signs_and_si_profiles():
    experiment = alloy_half_cell(n_cycles=2, noise_V=0.0)
    record = experiment.data
    voltage, current, step = record["voltage_V"], record["current_mA"], record["step"]
    assert current[0] < 0  # lithiation first
    first, second = (step == 1), (step == 3)
    assert voltage[first][0] == pytest.approx(experiment.truth["ocv_V"], abs=0.01)
    assert voltage[first][-1] == pytest.approx(0.01, abs=1e-12)
    assert voltage[step == 2][-1] == pytest.approx(1.5, abs=1e-12)

    def share_above(rows, level):
        charge = np.abs(np.cumsum(np.r_[0.0, np.diff(record["time_s"][rows])] * current[rows]))
        return float(np.sum(np.diff(charge)[voltage[rows][1:] > level]) / charge[-1])

    # cycle 1: crystalline plateau near 0.1 V; cycle 2: sloping a-Si with much more capacity above 0.2 V
    x = np.linspace(0, 1, first.sum())
    assert 0.06 < np.median(voltage[first][(x > 0.3) & (x < 0.8)]) < 0.12
    assert share_above(second, 0.2) > 3 * share_above(first, 0.2)
    assert 0.3 < np.median(voltage[step == 2]) < 0.5


def test_counter_potential_shifts_the_recorded_voltage():
    plain = alloy_half_cell(n_cycles=2, noise_V=0.0).data
    li_in = alloy_half_cell(n_cycles=2, noise_V=0.0, counter_electrode="Li-In", counter_potential_V=0.62).data
    np.testing.assert_array_equal(plain["time_s"], li_in["time_s"])
    np.testing.assert_allclose(li_in["voltage_V"], plain["voltage_V"] - 0.62, atol=1e-12)


def test_generators_are_deterministic():
    a, b, c = (alloy_half_cell(n_cycles=2, seed=seed) for seed in (3, 3, 4))
    for name in a.data.column_names:
        np.testing.assert_array_equal(a.data[name], b.data[name])
    np.testing.assert_array_equal(a.data["current_mA"], c.data["current_mA"])
    assert not np.array_equal(a.data["voltage_V"], c.data["voltage_V"])
    assert a.truth_json() == b.truth_json()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"active_fraction": 1.5}, "active_fraction"),
        ({"active_fraction": 0.0}, "active_fraction"),
        ({"current_density_A_g": -0.1}, "current_density_A_g"),
        ({"reversible_capacity_mAh_g": 0.0}, "reversible_capacity_mAh_g"),
        ({"n_cycles": 0}, "n_cycles"),
        ({"ice": 1.2}, "ice"),
        ({"upper_cutoff_V": 0.0}, "upper_cutoff_V"),
        ({"resistance_ohm": 1000.0}, "resistance_ohm"),
        ({"cv_hold": True, "cv_fraction": 1.0}, "cv_fraction"),
        ({"initial_rest_s": -5.0}, "initial_rest_s"),
    ],
)
def test_half_cell_rejects_bad_parameters(options, field):
    with pytest.raises(ValidationError) as error:
        alloy_half_cell(**options)
    assert error.value.field == field


# -- full cell ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cv_hold", [False, True])
def test_full_cell_charges_first_and_matches_its_truth(cv_hold):
    experiment = full_cell(n_cycles=3, cv_hold=cv_hold, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    assert record["current_mA"][0] > 0 and record.cycles.tolist() == [1, 2, 3]
    nominal_mAh = 200.0 * 10.0 * 0.65 / 1000.0
    assert truth["charge_current_mA"] == pytest.approx(0.1 * nominal_mAh, rel=RTOL)
    measured = half_cycles(record)
    assert [measured[k]["charge"] for k in (1, 2, 3)] == pytest.approx(truth["charge_mAh"], rel=RTOL)
    assert [measured[k]["discharge"] for k in (1, 2, 3)] == pytest.approx(truth["discharge_mAh"], rel=RTOL)
    assert measured[1]["discharge"] / measured[1]["charge"] == pytest.approx(0.77, rel=RTOL)
    assert truth["discharge_mAh_g"][0] == pytest.approx(185.0, rel=RTOL)
    if cv_hold:  # step 2 is the CV hold of the first charge: constant voltage, decaying current
        hold = record["step"] == 2
        assert np.all(record["voltage_V"][hold] == 4.3)
        assert np.all(np.diff(record["current_mA"][hold]) < 0) and np.all(record["current_mA"][hold] > 0)


# -- rate test ------------------------------------------------------------------------------------------


def test_rate_test_blocks_and_capacity_law():
    densities = (0.1, 0.5, 2.0, 0.1)
    experiment = rate_test(current_densities_A_g=densities, cycles_per_block=2, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    active_mg = 0.8
    assert record.cycles.tolist() == list(range(1, 9))
    assert [b["first_cycle"] for b in truth["blocks"]] == [1, 3, 5, 7]
    measured = half_cycles(record)
    extraction = np.array([measured[k]["charge"] for k in range(1, 9)])
    assert extraction == pytest.approx(truth["extraction_mAh"], rel=RTOL)
    assert [measured[k]["discharge"] for k in range(1, 9)] == pytest.approx(truth["insertion_mAh"], rel=RTOL)
    per_cycle = np.repeat(densities, 2)
    for k in range(1, 9):  # the current of every cycle is its block's current density x active mass
        rows = record["cycle"] == k
        assert np.abs(record["current_mA"][rows]).max() == pytest.approx(per_cycle[k - 1] * active_mg, rel=RTOL)
    law = 2218.0 * active_mg / 1000 * (per_cycle / 0.1) ** -0.19 * (1 - 0.001) ** np.arange(8)
    assert extraction == pytest.approx(law, rel=RTOL)
    assert extraction[6] > extraction[4]  # capacity recovers when the rate returns to 0.1 A/g


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"current_densities_A_g": ()}, "current_densities_A_g"),
        ({"current_densities_A_g": (0.1, -0.2)}, "current_densities_A_g[1]"),
        ({"cycles_per_block": 0}, "cycles_per_block"),
    ],
)
def test_rate_test_rejects_bad_parameters(options, field):
    with pytest.raises(ValidationError) as error:
        rate_test(**options)
    assert error.value.field == field


def test_full_cell_truth_per_gram_and_per_cycle_ce():
    truth = full_cell(n_cycles=4, noise_V=0.0).truth
    active_mg = 10.0 * 0.65
    charge, discharge = np.array(truth["charge_mAh"]), np.array(truth["discharge_mAh"])
    assert truth["n_cycles"] == 4 and truth["active_mass_mg"] == pytest.approx(active_mg, rel=RTOL)
    assert truth["charge_mAh_g"] == pytest.approx(charge * 1000.0 / active_mg, rel=RTOL)
    assert truth["discharge_mAh_g"] == pytest.approx(185.0 * 0.9985 ** np.arange(4), rel=RTOL)
    ce = 0.998 - (0.998 - 0.77) * np.exp(-np.arange(4) / 0.5)
    assert truth["ce_per_cycle"] == pytest.approx(ce, rel=RTOL) and discharge / charge == pytest.approx(ce, rel=RTOL)
    assert truth["ice"] == pytest.approx(0.77, rel=RTOL)
    assert truth["discharge_current_mA"] == pytest.approx(-0.1 * 200.0 * active_mg / 1000.0, rel=RTOL)
