"""Metal-anode generators: charges, overpotential laws, shorts, nucleation and CE against their closed forms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.core.record import Record
from anodelab.sim.virtual.metal import (
    ccd_staircase,
    first_plating,
    plating_ce,
    symmetric_cycling,
)

RTOL = 1e-9


def step_charges(record: Record) -> tuple[np.ndarray, np.ndarray]:
    """Per record step: the sign of its current and the charge it passed (trapezoid of |I|, mAh)."""
    signs, charges = [], []
    for number in np.unique(record["step"]):
        rows = record["step"] == number
        current = record["current_mA"][rows]
        signs.append(np.sign(current.mean()))
        charges.append(np.trapezoid(np.abs(current), record["time_s"][rows]) / 3600.0)
    return np.array(signs), np.array(charges)


# -- symmetric cycling ----------------------------------------------------------------------------------


def test_symmetric_cycling_charge_sign_and_overpotential_law():
    experiment = symmetric_cycling(n_cycles=10, short_time_s=None, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    signs, charges = step_charges(record)
    assert charges == pytest.approx(np.full(20, 0.1 * 0.785), rel=RTOL)
    assert signs.tolist() == [-1.0, 1.0] * 10 and record.cycles.tolist() == list(range(1, 11))
    voltage, current = record["voltage_V"], record["current_mA"]
    assert np.all(np.sign(voltage) == np.sign(current))
    # eta(t) = 0.013 V + 5e-5 V/h * t; a half-cycle's mean |V| over its evenly spaced rows is eta at mid-time
    mid_s = (np.arange(20) + 0.5) * 3600.0
    assert truth["half_cycle_overpotential_V"] == pytest.approx(0.013 + 5e-5 * mid_s / 3600, rel=RTOL)
    means = [np.abs(voltage[record["step"] == s]).mean() for s in range(1, 21)]
    assert means == pytest.approx(truth["half_cycle_overpotential_V"], rel=1e-9)
    assert truth["short_time_s"] is None
    json.loads(experiment.truth_json())


def test_hard_short_collapses_to_an_ohmic_response_at_the_known_time():
    experiment = symmetric_cycling(n_cycles=10, short_time_s=12.3 * 3600, short_kind="hard", noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    time, voltage, current = record["time_s"], record["voltage_V"], record["current_mA"]
    t_s = truth["short_time_s"]
    assert t_s in time  # the cycler records the jump
    after, before = time >= t_s, time < t_s
    assert voltage[after] == pytest.approx(current[after] * 2.0 / 1000, rel=RTOL)
    assert np.abs(voltage[before]) == pytest.approx(0.013 + 5e-5 * time[before] / 3600, rel=RTOL)
    assert truth["half_cycles_before_short"] == 12
    _, charges = step_charges(record)
    assert charges == pytest.approx(np.full(20, 0.0785), rel=RTOL)  # the cycler keeps its current through a short


def test_soft_short_drops_intermittently_below_the_healthy_voltage():
    kw = {"n_cycles": 20, "short_time_s": 10.5 * 3600, "noise_V": 0.0}
    soft, hard = symmetric_cycling(short_kind="soft", **kw), symmetric_cycling(short_kind="hard", **kw)
    time, voltage = soft.data["time_s"], soft.data["voltage_V"]
    t_s = soft.truth["short_time_s"]
    healthy = 0.013 + 5e-5 * time / 3600
    before = time < t_s
    np.testing.assert_array_equal(voltage[before], hard.data["voltage_V"][hard.data["time_s"] < t_s])
    assert np.all(np.abs(voltage[~before]) <= healthy[~before] + 1e-15)
    assert np.abs(voltage[time == t_s][0]) == pytest.approx(0.1 * healthy[time == t_s][0], rel=RTOL)  # first drop
    dropped = np.abs(voltage[~before]) < 0.2 * healthy[~before]
    assert dropped.any() and not dropped.all()
    assert np.all(np.sign(voltage) == np.sign(soft.data["current_mA"]))


def test_symmetric_cycling_is_deterministic():
    a, b = symmetric_cycling(n_cycles=5, short_time_s=3e4, short_kind="soft", seed=1), \
        symmetric_cycling(n_cycles=5, short_time_s=3e4, short_kind="soft", seed=1)
    c = symmetric_cycling(n_cycles=5, short_time_s=3e4, short_kind="soft", seed=2)
    for name in a.data.column_names:
        np.testing.assert_array_equal(a.data[name], b.data[name])
    assert not np.array_equal(a.data["voltage_V"][:50], c.data["voltage_V"][:50])
    assert a.truth_json() == b.truth_json()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"short_time_s": 0.0}, "short_time_s"),
        ({"short_time_s": -10.0}, "short_time_s"),
        ({"n_cycles": 2, "short_time_s": 1e6}, "short_time_s"),
        ({"short_kind": "medium"}, "short_kind"),
        ({"current_density_mA_cm2": -0.1}, "current_density_mA_cm2"),
        ({"areal_capacity_mAh_cm2": 0.0}, "areal_capacity_mAh_cm2"),
        ({"metal": "K"}, "metal"),
    ],
)
def test_symmetric_cycling_rejects_bad_parameters(options, field):
    with pytest.raises(ValidationError) as error:
        symmetric_cycling(**options)
    assert error.value.field == field


# -- CCD ------------------------------------------------------------------------------------------------


def test_ccd_staircase_shorts_at_the_critical_current_density():
    experiment = ccd_staircase(start_mA_cm2=0.1, step_mA_cm2=0.1, ccd_mA_cm2=0.6, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    levels = 0.1 * np.arange(1, 7)
    assert truth["levels_mA_cm2"] == pytest.approx(levels, rel=RTOL)
    assert truth["last_stable_mA_cm2"] == pytest.approx(0.5)
    signs, charges = step_charges(record)
    assert charges == pytest.approx(np.repeat(levels, 2) * 0.785 * 1800 / 3600, rel=RTOL)
    assert signs.tolist() == [-1.0, 1.0] * 6 and record.cycles.tolist() == list(range(1, 7))
    time, voltage, current = record["time_s"], record["voltage_V"], record["current_mA"]
    # the short: 600 s into the plating half-cycle at 0.6 mA/cm2; before it V = j x ASR (20 ohm cm2)
    assert truth["short_time_s"] == pytest.approx(10 * 1800 + 600)
    before = time < truth["short_time_s"]
    assert voltage[before] == pytest.approx(current[before] / 0.785 * 20.0 / 1000, rel=RTOL)
    collapsed = np.abs(voltage) < 0.2 * np.abs(current) / 0.785 * 20.0 / 1000
    assert time[np.argmax(collapsed)] == truth["short_time_s"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"ccd_mA_cm2": 0.02}, "ccd_mA_cm2"),
        ({"ccd_mA_cm2": 0.33}, "ccd_mA_cm2"),
        ({"short_delay_s": 1800.0}, "short_delay_s"),
        ({"step_mA_cm2": 0.0}, "step_mA_cm2"),
    ],
)
def test_ccd_rejects_bad_parameters(options, field):
    with pytest.raises(ValidationError) as error:
        ccd_staircase(**options)
    assert error.value.field == field


# -- nucleation -----------------------------------------------------------------------------------------


def test_first_plating_has_the_known_tip_and_plateau():
    experiment = first_plating(noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    time, voltage, current = record["time_s"], record["voltage_V"], record["current_mA"]
    assert np.all(current < 0) and voltage[0] == pytest.approx(1.0)
    assert voltage.min() == pytest.approx(-0.030, abs=1e-15)
    assert time[np.argmin(voltage)] == pytest.approx(0.02 * 3600 / 0.5, rel=RTOL) == truth["tip_time_s"]
    assert voltage[-1] == pytest.approx(-0.0166, abs=1e-12) == truth["plateau_V"]
    assert truth["nucleation_overpotential_V"] == pytest.approx(0.030 - 0.0166, rel=RTOL)
    assert np.all(np.diff(voltage[time <= truth["tip_time_s"]]) < 0)  # falls to the tip, then recovers
    assert np.all(np.diff(voltage[time >= truth["tip_time_s"]]) >= 0)
    _, charges = step_charges(record)
    assert charges == pytest.approx([truth["plated_mAh"]], rel=RTOL) and truth["plated_mAh"] == pytest.approx(1.13)
    assert record.cycles.tolist() == [1]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"plateau_overpotential_V": 0.04}, "plateau_overpotential_V"),
        ({"tip_capacity_mAh_cm2": 0.98}, "areal_capacity_mAh_cm2"),
        ({"current_density_mA_cm2": 0.0}, "current_density_mA_cm2"),
    ],
)
def test_first_plating_rejects_bad_parameters(options, field):
    with pytest.raises(ValidationError) as error:
        first_plating(**options)
    assert error.value.field == field


# -- plating CE -----------------------------------------------------------------------------------------


def test_per_cycle_ce_equals_stripped_over_plated():
    experiment = plating_ce(n_cycles=6, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    signs, charges = step_charges(record)
    plated, stripped = charges[signs < 0], charges[signs > 0]
    assert plated == pytest.approx(truth["plated_mAh"], rel=RTOL)
    assert stripped == pytest.approx(truth["stripped_mAh"], rel=RTOL)
    ce = 0.999 - (0.999 - 0.975) * np.exp(-np.arange(6) / 2.0)
    assert stripped / plated == pytest.approx(ce, rel=RTOL) and truth["ce_per_cycle"] == pytest.approx(ce, rel=RTOL)
    assert truth["average_ce"] == pytest.approx(ce.mean(), rel=RTOL)
    assert record.cycles.tolist() == list(range(1, 7))
    ends = [record["voltage_V"][record["step"] == s][-1] for s in range(2, 13, 2)]
    assert ends == pytest.approx([0.5] * 6, abs=1e-12)  # every strip ends at the cutoff


def test_aurbach_reservoir_ce():
    n = 8
    experiment = plating_ce(method="reservoir", n_cycles=n, ce=0.99, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    signs, charges = step_charges(record)
    assert signs.tolist() == [-1.0, 1.0] * (n + 1) and record.cycles.tolist() == list(range(1, n + 2))
    q_t, q_c = 5.0 * 1.13, 0.5 * 1.13
    assert charges[0] == pytest.approx(q_t, rel=RTOL) and charges[1:-1] == pytest.approx([q_c] * 2 * n, rel=RTOL)
    q_s = charges[-1]
    assert (n * q_c + q_s) / (n * q_c + q_t) == pytest.approx(0.99, rel=RTOL) == truth["average_ce"]
    assert record["voltage_V"][-1] == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(ValidationError) as error:
        plating_ce(method="reservoir", n_cycles=50, ce=0.8)
    assert error.value.field == "ce"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"method": "aurbach"}, "method"),
        ({"initial_ce": 1.5}, "initial_ce"),
        ({"strip_cutoff_V": 0.005}, "strip_cutoff_V"),
        ({"areal_capacity_mAh_cm2": 0.0}, "areal_capacity_mAh_cm2"),
    ],
)
def test_plating_ce_rejects_bad_parameters(options, field):
    with pytest.raises(ValidationError) as error:
        plating_ce(**options)
    assert error.value.field == field


def test_default_sizes_stay_small():
    for generator in (symmetric_cycling, ccd_staircase, first_plating, plating_ce):
        assert len(generator().data) < 5000


def test_symmetric_truth_keeps_the_half_cycles_that_end_before_the_short():
    truth = symmetric_cycling(n_cycles=10, short_time_s=12.3 * 3600, noise_V=0.0).truth  # half-cycles of 1 h
    assert truth["half_cycles_before_short"] == 12
    mid_s = (np.arange(12) + 0.5) * 3600.0
    assert truth["half_cycle_mid_s"] == pytest.approx(mid_s, rel=RTOL)
    assert truth["half_cycle_overpotential_V"] == pytest.approx(0.013 + 5e-5 * mid_s / 3600, rel=RTOL)


def test_ccd_at_the_first_level_shorts_in_the_first_half_cycle():
    experiment = ccd_staircase(ccd_mA_cm2=0.05, noise_V=0.0)
    truth, record = experiment.truth, experiment.data
    assert truth["levels_mA_cm2"] == pytest.approx([0.05]) and truth["last_stable_mA_cm2"] is None
    assert truth["short_time_s"] == pytest.approx(600.0)
    assert record.cycles.tolist() == [1] and record["time_s"][-1] == pytest.approx(3600.0, rel=RTOL)


@pytest.mark.parametrize(
    ("generator", "options", "field"),
    [
        (first_plating, {"ocv_V": -0.02}, "ocv_V"),  # below the plateau (-16.6 mV): no fall to a tip
        (plating_ce, {"method": "reservoir", "reservoir_capacity_mAh_cm2": 0.0}, "reservoir_capacity_mAh_cm2"),
        (plating_ce, {"ce_recovery_cycles": 0.0}, "ce_recovery_cycles"),
    ],
)
def test_nucleation_and_ce_reject_inconsistent_parameters(generator, options, field):
    with pytest.raises(ValidationError) as error:
        generator(**options)
    assert error.value.field == field
