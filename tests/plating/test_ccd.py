"""Critical current density against the virtual lab's staircases (sim.virtual.metal.ccd_staircase, and
a fixed-capacity staircase built from its protocol engine): the CCD by both conventions, the protocol,
the failure's onset to the sampling step, the plated capacity at failure, soft-short warnings, the same
at dense and sparse sampling and with 1 mV noise; records that are no staircase refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plating.symmetric_builders import fixed_capacity_staircase

from anodelab.core.errors import NotApplicableError
from anodelab.plating.ccd import CriticalCurrentDensity, critical_current_density
from anodelab.sim.virtual import ccd_staircase, symmetric_cycling


def plated_at_failure_mAh_cm2(levels, half_cycle_s, delay_s):
    """The plating half-cycles of every level before the failing one, and the failing one up to the short."""
    return float(np.sum(levels[:-1]) * half_cycle_s / 3600.0 + levels[-1] * delay_s / 3600.0)


@pytest.mark.parametrize("samples", [30, 60, 1800])
@pytest.mark.parametrize("noise_V", [0.0003, 0.001])
@pytest.mark.parametrize("kind", ["hard", "soft"])
def test_ccd_of_a_fixed_time_staircase(samples, noise_V, kind):
    experiment = ccd_staircase(samples_per_half_cycle=samples, noise_V=noise_V, short_kind=kind)
    truth = experiment.truth
    result = critical_current_density(experiment.data, experiment.cell)
    assert isinstance(result, CriticalCurrentDensity)
    assert result.ccd == pytest.approx(truth["ccd_mA_cm2"])
    assert result.last_stable == pytest.approx(truth["last_stable_mA_cm2"])
    assert result.unit == "mA/cm2"
    assert result.protocol == "fixed-time" and result.step_s == pytest.approx(truth["half_cycle_s"])
    dt_s = truth["half_cycle_s"] / samples
    assert result.failure["kind"] == kind
    assert abs(result.failure["short_onset_h"] * 3600.0 - truth["short_time_s"]) <= dt_s
    assert result.failure["level"] == len(truth["levels_mA_cm2"])
    levels = np.array(truth["levels_mA_cm2"])
    expected = plated_at_failure_mAh_cm2(levels, truth["half_cycle_s"], truth["short_delay_s"])
    assert result.plated_at_failure == pytest.approx(expected, abs=levels[-1] * dt_s / 3600.0)
    assert result.passed_at_failure == pytest.approx(2 * expected - levels[-1] * truth["short_delay_s"] / 3600.0,
                                                     abs=levels[-1] * dt_s / 3600.0)
    assert result.soft_warnings == ()
    assert [lv["current_density"] for lv in result.levels] == pytest.approx(levels.tolist())
    assert [lv["stable"] for lv in result.levels] == [True] * (levels.size - 1) + [False]
    stable = result.levels[:-1]
    tolerance = 4 * 1.2533 * 1000 * noise_V / np.sqrt(0.8 * samples)
    for level, eta_V in zip(stable, truth["level_overpotential_V"]):
        assert level["eta_plateau_mV"] == pytest.approx(1000 * eta_V, abs=tolerance)


def test_ccd_of_a_fixed_capacity_staircase_with_a_soft_short_first():
    record, truth = fixed_capacity_staircase(soft_level=2, fail_level=4)
    result = critical_current_density(record)
    assert result.protocol == "fixed-capacity" and result.step_s is None
    assert result.step_capacity == pytest.approx(truth["capacity_mAh_cm2"])
    assert result.ccd == pytest.approx(truth["ccd_mA_cm2"])
    assert result.last_stable == pytest.approx(truth["last_stable_mA_cm2"])  # the level before the soft short
    assert result.failure["kind"] == "hard"
    (warning,) = result.soft_warnings
    assert warning["current_density"] == pytest.approx(truth["levels_mA_cm2"][2])
    dt_s = truth["capacity_mAh_cm2"] * 3600.0 / truth["levels_mA_cm2"][2] / 60
    assert abs(warning["short_onset_h"] * 3600.0 - truth["soft_time_s"]) <= dt_s
    assert any("soft shorts before the failure" in w for w in result.warnings)
    # fixed capacity: each plating half-cycle before the failing one passes 0.1 mAh/cm2
    assert result.plated_at_failure == pytest.approx(
        4 * truth["capacity_mAh_cm2"] + truth["ccd_mA_cm2"] * 120.0 / 3600.0, rel=1e-6)


def test_no_area_gives_absolute_currents_and_a_warning():
    experiment = ccd_staircase()
    truth = experiment.truth
    result = critical_current_density(experiment.data.with_cell(None))
    assert result.unit == "mA" and result.area_cm2 is None
    area = experiment.cell.working_electrode.area_cm2
    assert result.ccd == pytest.approx(truth["ccd_mA_cm2"] * area)
    assert any("no electrode area" in w for w in result.warnings)
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["ccd_mA_cm2"] is None and document["ccd_mA"] == pytest.approx(truth["ccd_mA_cm2"] * area)
    units = {m.name: m.unit for m in result.metrics()}
    assert units["ccd"] == "mA" and units["last_stable"] == "mA" and units["plated_capacity_at_failure"] == "mAh"


def test_json_fields_and_metrics():
    experiment = ccd_staircase()
    result = critical_current_density(experiment.data, experiment.cell)
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["ccd_mA_cm2"] == pytest.approx(0.5) and document["last_stable_mA_cm2"] == pytest.approx(0.45)
    assert document["protocol"] == "fixed-time" and document["step_s"] == pytest.approx(1800.0)
    assert document["short_onset_h"] == pytest.approx(experiment.truth["short_time_s"] / 3600.0)
    metrics = {m.name: m for m in result.metrics() if m.index is None}
    assert metrics["ccd"].unit == "mA/cm2" and metrics["plated_capacity_at_failure"].unit == "mAh/cm2"
    assert "CCD 0.5 mA/cm2" in result.headline()
    for table in result.tables().values():
        assert len({np.asarray(column).size for column in table.values()}) == 1


def test_first_level_failure_and_no_failure():
    experiment = ccd_staircase(ccd_mA_cm2=0.05)  # shorts in the first level: one current only
    result = critical_current_density(experiment.data, experiment.cell)
    assert result.ccd == pytest.approx(0.05) and result.last_stable is None
    assert any("one current level" in w for w in result.warnings)
    record, truth = fixed_capacity_staircase(fail_level=4, fail_after_s=1e9)  # the short never comes
    result = critical_current_density(record)
    assert result.ccd is None and result.failure is None and result.plated_at_failure is None
    assert result.last_stable == pytest.approx(truth["levels_mA_cm2"][-1])
    assert any("no short" in w for w in result.warnings)


def test_not_a_staircase():
    healthy = symmetric_cycling(n_cycles=5, short_time_s=None)
    with pytest.raises(NotApplicableError, match="staircase"):
        critical_current_density(healthy.data, healthy.cell)
    record, _ = fixed_capacity_staircase(levels_mA_cm2=(0.3, 0.2, 0.1, 0.4), fail_level=3)
    with pytest.raises(NotApplicableError, match="higher current"):
        critical_current_density(record)
