"""Regressions found by probing the plating analyses across the virtual lab's parameters (each number
checked against the generator's truth): shorts at the first reversal, early in the first half-cycles,
at sparse sampling, near a reversal and through the last half-cycle; a rate test back to a low current;
single noisy readings; lost readings (NaN), split steps, a low stripping cut-off; bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from plating.symmetric_builders import peaking_then_rectangular, rate_blocks

from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.plating.ccd import critical_current_density
from anodelab.plating.efficiency import plating_efficiency
from anodelab.plating.nucleation import nucleation_overpotential
from anodelab.plating.shorts import detect_shorts
from anodelab.plating.trace import overpotential_trace
from anodelab.sim.virtual import (
    ccd_staircase,
    first_plating,
    plating_ce,
    symmetric_cycling,
)


def _only_short(experiment, kind):
    result = detect_shorts(experiment.data, experiment.cell)
    assert result.first is not None and result.first["kind"] == kind
    return result


@pytest.mark.parametrize(("metal", "density", "capacity"), [("Li", 0.1, 0.1), ("Na", 1.0, 1.0)])
def test_hard_short_at_the_first_reversal(metal, density, capacity):
    """The first stripping has no plateau of its own direction: its collapse is judged against the plating's."""
    experiment = symmetric_cycling(metal=metal, current_density_mA_cm2=density, areal_capacity_mAh_cm2=capacity,
                                   short_time_s=3600.0, samples_per_half_cycle=60, n_cycles=10)
    result = _only_short(experiment, "hard")
    assert len(result.events) == 1 and abs(result.first["onset_s"] - 3600.0) <= 60.0


@pytest.mark.parametrize("short_s", [450.0, 900.0, 1360.0])
def test_soft_short_in_the_first_half_cycles(short_s):
    """15-min half-cycles (two windows each): in the first plating's second window, at the first reversal,
    in the first stripping's second window."""
    experiment = symmetric_cycling(current_density_mA_cm2=2.0, areal_capacity_mAh_cm2=0.5, samples_per_half_cycle=60,
                                   noise_V=0.001, short_kind="soft", short_time_s=short_s, n_cycles=20)
    result = _only_short(experiment, "soft")
    assert abs(result.first["onset_s"] - short_s) <= 15.0


@pytest.mark.parametrize("samples", [2, 5])
def test_hard_short_at_sparse_sampling(samples):
    """Readings 30 or 12 min apart (windows of 10 min would hold one each)."""
    experiment = symmetric_cycling(samples_per_half_cycle=samples, short_time_s=108_000.0, n_cycles=40)
    result = _only_short(experiment, "hard")
    assert len(result.events) == 1 and abs(result.first["onset_s"] - 108_000.0) <= 3600.0 / samples
    healthy = symmetric_cycling(samples_per_half_cycle=samples, short_time_s=None, noise_V=0.001, n_cycles=40)
    assert detect_shorts(healthy.data, healthy.cell).events == ()


def test_hard_short_through_the_whole_last_half_cycle():
    """No reversal after it, but it lasts reference_s / 3 (3600 s, read 3599.99999... off the clock)."""
    experiment = symmetric_cycling(short_time_s=19 * 3600.0, n_cycles=10)
    assert _only_short(experiment, "hard").first["onset_s"] == pytest.approx(19 * 3600.0, abs=180.0)


def test_single_noisy_reading_is_no_short():
    """5 mV under 1 mV noise at 3-min sampling: one reading 2.3 mV down is no drop."""
    experiment = symmetric_cycling(samples_per_half_cycle=20, noise_V=0.001, seed=1, overpotential_V=0.005,
                                   short_time_s=None, n_cycles=25)
    assert detect_shorts(experiment.data, experiment.cell).events == ()


def test_rate_test_back_to_a_low_current():
    """Polarization j x ASR per block; the recovery block at 0.1 mA/cm2 after 2 mA/cm2 is no collapse."""
    levels = (0.1, 0.2, 0.5, 1.0, 2.0, 0.1)
    record = rate_blocks(levels_mA_cm2=levels)
    assert detect_shorts(record).events == ()
    result = overpotential_trace(record)
    assert result.short_onset_h is None
    assert [b["current_density"] for b in result.blocks] == pytest.approx(list(levels))
    assert [b["eta_plateau_mV"] for b in result.blocks] == pytest.approx([20.0 * j for j in levels], abs=0.3)
    assert [b["n_points"] for b in result.blocks] == [10] * len(levels)


def test_ccd_at_the_first_level():
    experiment = ccd_staircase(start_mA_cm2=0.1, step_mA_cm2=0.1, ccd_mA_cm2=0.1)
    result = critical_current_density(experiment.data, experiment.cell)
    assert result.ccd == pytest.approx(0.1) and result.last_stable is None
    assert result.failure["kind"] == "hard"
    assert abs(result.failure["short_onset_h"] * 3600.0 - experiment.truth["short_time_s"]) <= 60.0


@pytest.mark.parametrize(("samples", "delay_s"), [(5, 600.0), (1800, 1795.0)])
def test_ccd_sparse_and_short_just_before_the_reversal(samples, delay_s):
    experiment = ccd_staircase(samples_per_half_cycle=samples, short_delay_s=delay_s)
    truth = experiment.truth
    result = critical_current_density(experiment.data, experiment.cell)
    assert result.ccd == pytest.approx(truth["ccd_mA_cm2"])
    assert result.last_stable == pytest.approx(truth["last_stable_mA_cm2"])
    assert result.failure["kind"] == "hard" and result.soft_warnings == ()
    assert abs(result.failure["short_onset_h"] * 3600.0 - truth["short_time_s"]) <= truth["half_cycle_s"] / samples


def test_trace_turns_rectangular_at_the_change_point():
    """Two noisy peaking half-cycles early on read as rectangular; the turn is still at the first flat one."""
    result = overpotential_trace(peaking_then_rectangular(dt_s=60.0, noise_V=1e-3))
    assert result.rectangular_from_h == pytest.approx(20.6, abs=60.0 / 3600.0)  # settled midpoint of half-cycle 21


def test_sparse_trace_raises_no_numpy_warning():
    experiment = symmetric_cycling(samples_per_half_cycle=5, n_cycles=10, short_time_s=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = overpotential_trace(experiment.data, experiment.cell)
    assert result.points["eta_plateau_mV"].size == 20


def _with(record: Record, **columns) -> Record:
    """``record`` with some columns replaced; new steps get their charge integrated from the current."""
    data = {name: record[name] for name in ("time_s", "voltage_V", "current_mA", "capacity_mAh", "step")}
    if "step" in columns:
        del data["capacity_mAh"]
    data.update(columns)
    return Record.from_columns(data, cell=record.cell)


def test_nucleation_with_lost_readings_and_split_steps():
    experiment = first_plating()
    truth, record = experiment.truth, experiment.data
    voltage = record["voltage_V"].copy()
    voltage[50:55] = np.nan
    time = record["time_s"]
    for changed in (_with(record, voltage_V=voltage),
                    _with(record, step=np.where(time < 100.0, 1, 2)),   # re-logged before the tip (144 s)
                    _with(record, step=np.where(time < 200.0, 1, 2))):  # and after it
        result = nucleation_overpotential(changed)
        assert result.tip_resolved
        assert result.eta_tip_mV == pytest.approx(-1e3 * truth["tip_V"], abs=0.3)
        assert result.eta_plateau_mV == pytest.approx(-1e3 * truth["plateau_V"], abs=0.05)
        assert result.tip_capacity_mAh == pytest.approx(truth["tip_capacity_mAh"], rel=0.05)


def test_nucleation_tip_resolution_is_the_rise_over_one_interval():
    """60 s sampling: the fitted readings lie after the vertex only, the left curvature is unconstrained."""
    experiment = first_plating(samples_per_half_cycle=120, noise_V=0.0)
    truth = experiment.truth
    result = nucleation_overpotential(experiment.data, experiment.cell)
    # the generator's voltage 60 s after the tip (in the recovery: a Gaussian in the plated charge)
    j, q_rec = truth["current_density_mA_cm2"], truth["recovery_capacity_mAh_cm2"]
    eta_t, eta_p = truth["tip_overpotential_V"], truth["plateau_overpotential_V"]
    rise_V = (eta_t - eta_p) * (1.0 - math.exp(-((j * 60.0 / 3600.0) / q_rec) ** 2))
    assert 0.3 * rise_V <= result.content()["tip_resolution_mV"] / 1e3 <= 3.0 * rise_V


def test_ce_with_a_low_cutoff_and_lost_readings():
    experiment = plating_ce(strip_cutoff_V=0.1)  # 90 mV above the 10 mV stripping plateau
    expected = experiment.truth["ce_per_cycle"]
    result = plating_efficiency(experiment.data, experiment.cell)
    np.testing.assert_allclose(result.cycles["ce"], expected, rtol=1e-9)
    record = plating_ce().data
    ends = np.flatnonzero(np.diff(record["step"]))  # the last row of each step but the last
    voltage, capacity = record["voltage_V"].copy(), record["capacity_mAh"].copy()
    voltage[ends[1] - 20:ends[1] - 15] = np.nan    # readings lost in the first stripping
    capacity[ends[3] - 1:ends[3] + 1] = np.nan     # the second stripping's last two charges lost
    result = plating_efficiency(_with(record, voltage_V=voltage, capacity_mAh=capacity))
    assert list(result.cycles["role"]) == ["per-cycle"] * len(expected)
    np.testing.assert_allclose(result.cycles["ce"], plating_ce().truth["ce_per_cycle"], rtol=1e-9)


def test_bad_records_are_refused():
    one_row = Record.from_columns({"time_s": [0.0], "voltage_V": [-0.01], "current_mA": [-0.1]})
    for analysis in (detect_shorts, overpotential_trace, critical_current_density):
        with pytest.raises(NotApplicableError, match="span time"):
            analysis(one_row)
        with pytest.raises(NotApplicableError, match="needs a Record"):
            analysis({"time_s": [0.0, 1.0]})
    healthy = symmetric_cycling(n_cycles=5, short_time_s=None).data
    with pytest.raises(NotApplicableError, match="inverted"):
        detect_shorts(_with(healthy, current_mA=-healthy["current_mA"]))
