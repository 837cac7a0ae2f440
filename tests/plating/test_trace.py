"""The overpotential trace against the virtual lab's overpotential law (sim.virtual.metal:
eta(t) = overpotential_V + growth * t): plateau per half-cycle, values at chosen hours, growth rate,
the same at 1 s and 60 s sampling and with 1 mV noise; shapes of built peaking, arcing and flat
traces; rate blocks of a CCD staircase; one-directional records; bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plating.symmetric_builders import one_directional, symmetric_cell, voltage_only

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.plating.trace import OverpotentialTrace, overpotential_trace
from anodelab.sim.virtual import alloy_half_cell, ccd_staircase, symmetric_cycling
from anodelab.sim.virtual.protocol import Step, run_protocol, to_record

HALF_CYCLE_S = 3600.0


def law_mV(truth, time_h):
    return 1000.0 * (truth["overpotential_V"] + truth["overpotential_growth_V_per_h"] * np.asarray(time_h))


def plateau_tolerance_mV(truth, samples, settle_fraction=0.2):
    """Four standard errors of a median of the settled rows' noise, plus the law's change over one
    sampling step (the time a plateau stands for is known to the step)."""
    settled = max(int(samples * (1 - settle_fraction)), 1)
    noise = 4 * 1.2533 * truth["noise_V"] / np.sqrt(settled)
    step = truth["overpotential_growth_V_per_h"] * HALF_CYCLE_S / samples / 3600.0
    return 1000.0 * (noise + step)


@pytest.mark.parametrize("samples", [20, 60, 3600])
@pytest.mark.parametrize("noise_V", [0.0003, 0.001])
def test_plateaus_follow_the_overpotential_law(samples, noise_V):
    experiment = symmetric_cycling(short_time_s=None, samples_per_half_cycle=samples, noise_V=noise_V, n_cycles=30)
    truth = experiment.truth
    result = overpotential_trace(experiment.data, experiment.cell, hours=(10, 50))
    points = result.points
    assert result.unit == "half-cycle" and points["eta_plateau_mV"].size == truth["n_half_cycles"]
    tolerance = plateau_tolerance_mV(truth, samples)
    np.testing.assert_allclose(points["eta_plateau_mV"], law_mV(truth, points["time_h"]), atol=tolerance)
    # each plateau's time lies in the settled 80 % of its half-cycle
    start = points["start_h"]
    assert np.all(points["time_h"] >= start + 0.2 * points["duration_h"] - 1e-9)
    assert np.all(points["time_h"] <= points["end_h"])
    np.testing.assert_allclose(points["duration_h"], truth["half_cycle_s"] / 3600.0, rtol=1e-9)
    np.testing.assert_allclose(points["capacity_mAh_cm2"], truth["areal_capacity_mAh_cm2"], rtol=1e-9)
    assert np.all(points["eta_peak_mV"] >= points["eta_plateau_mV"])
    np.testing.assert_allclose(points["hysteresis_mV"][1:], 2 * law_mV(truth, points["time_h"][1:]),
                               atol=2 * tolerance + 1000 * truth["overpotential_growth_V_per_h"])
    # values at chosen hours: interpolated plateaus, each within the plateaus' tolerance of the law
    assert [item["hour"] for item in result.at_hours] == [10, 50]
    for item in result.at_hours:
        assert item["eta_plateau_mV"] == pytest.approx(law_mV(truth, item["hour"]), abs=tolerance)
    growth = result.growth_rate
    assert growth.unit == "mV/h"
    assert growth.value == pytest.approx(1000 * truth["overpotential_growth_V_per_h"], abs=max(4 * growth.stderr, 1e-9))
    assert growth.stderr < 0.1 * growth.value


def test_dense_and_sparse_sampling_agree():
    values = {}
    for samples in (60, 3600):
        experiment = symmetric_cycling(short_time_s=None, samples_per_half_cycle=samples, noise_V=0.001, n_cycles=30)
        result = overpotential_trace(experiment.data, experiment.cell, hours=(20, 40))
        values[samples] = [item["eta_plateau_mV"] for item in result.at_hours]
    truth = experiment.truth
    np.testing.assert_allclose(values[60], values[3600], atol=2 * plateau_tolerance_mV(truth, 60))


def test_chosen_hours_after_the_short_or_the_end_are_left_out():
    experiment = symmetric_cycling(n_cycles=60)  # 120 h, hard short at 75.4 h
    truth = experiment.truth
    result = overpotential_trace(experiment.data, experiment.cell)
    assert result.at_hours == ()
    assert any("100, 200, 500 h" in w and "first short at 75.4 h" in w for w in result.warnings)
    assert result.short_onset_h == pytest.approx(truth["short_time_h"]) and result.short_kind == "hard"
    after = result.points["after_short"]
    assert int((~after).sum()) == truth["half_cycles_before_short"]
    healthy = overpotential_trace(experiment.data, experiment.cell, hours=(50,))
    assert healthy.at_hours[0]["eta_plateau_mV"] == pytest.approx(law_mV(truth, 50), abs=plateau_tolerance_mV(truth, 20))
    # the growth fit uses the half-cycles before the short only
    assert healthy.growth_rate.value == pytest.approx(1000 * truth["overpotential_growth_V_per_h"],
                                                      abs=4 * healthy.growth_rate.stderr)


def test_long_record_reaches_500_hours():
    experiment = symmetric_cycling(short_time_s=None, n_cycles=260)
    truth = experiment.truth
    result = overpotential_trace(experiment.data, experiment.cell)
    assert [item["hour"] for item in result.at_hours] == [100, 200, 500]
    for item in result.at_hours:
        assert item["eta_plateau_mV"] == pytest.approx(law_mV(truth, item["hour"]), abs=plateau_tolerance_mV(truth, 20))
    metric = [m for m in result.metrics() if m.name == "eta_plateau"]
    assert [(m.index_name, m.index, m.unit) for m in metric] == [("hour", 100, "mV"), ("hour", 200, "mV"),
                                                                  ("hour", 500, "mV")]


def _shaped_record(shape_of_half: list[str]):
    """Half-cycles of 1 h at +/-0.0785 mA whose polarization is 10 mV times a shape of x = t / 1 h:
    flat; peaking (a start peak decaying over 5 % and a smaller rise over the last 5 %); arcing
    (rising to the end)."""
    shapes = {
        "flat": lambda x: np.ones_like(x),
        "peaking": lambda x: 1 + 0.6 * np.exp(-x / 0.05) + 0.3 * np.exp(-(1 - x) / 0.05),
        "arcing": lambda x: 1 + 0.8 * x**3,
    }
    steps = []
    for k, name in enumerate(shape_of_half):
        sign = -1.0 if k % 2 == 0 else 1.0
        steps.append(Step(sign * 0.0785, lambda e, q, t, s=sign, f=shapes[name]: s * 0.010 * f(e / HALF_CYCLE_S),
                          dt_s=10.0, duration_s=HALF_CYCLE_S))
    return to_record(run_protocol(steps), cell=symmetric_cell(), rng=np.random.default_rng(0), noise_V=1e-4,
                     technique="GCPL", generator="tests.shaped")


def test_shapes_peaking_arcing_rectangular():
    record = _shaped_record(["peaking", "peaking", "arcing", "arcing", "flat", "flat"])
    result = overpotential_trace(record)
    assert result.points["shape"].tolist() == ["peaking", "peaking", "arcing", "arcing", "rectangular", "rectangular"]
    index = result.points["shape_index"]
    # flat: (max(start, end) - middle) / middle = 0 up to the noise; peaking: the start's mean excess
    assert abs(index[4]) < 0.01 and abs(index[5]) < 0.01
    def peaking(x):
        return 1 + 0.6 * np.exp(-x / 0.05) + 0.3 * np.exp(-(1 - x) / 0.05)

    start, middle = peaking(np.linspace(0.02, 0.15, 2001)).mean(), peaking(np.linspace(0.35, 0.65, 2001)).mean()
    assert index[0] == pytest.approx((start - middle) / middle, rel=0.05)
    assert result.rectangular_from_h == pytest.approx(4.0 + 0.2 + 0.4, abs=0.01)  # the 5th plateau's time
    assert any("rectangular" in w for w in result.warnings)


def test_flat_throughout_is_not_a_warning():
    result = overpotential_trace(_shaped_record(["flat"] * 6))
    assert set(result.points["shape"]) == {"rectangular"}
    assert result.rectangular_from_h is None and not any("rectangular" in w for w in result.warnings)


def test_rate_blocks_of_a_staircase():
    experiment = ccd_staircase(samples_per_half_cycle=60)
    truth = experiment.truth
    result = overpotential_trace(experiment.data, experiment.cell)
    blocks = result.blocks
    # the failing level's half-cycles come after the short: left out
    assert len(blocks) == len(truth["levels_mA_cm2"]) - 1
    for block, level, eta_V in zip(blocks, truth["levels_mA_cm2"], truth["level_overpotential_V"]):
        assert block["n_points"] == 2
        assert block["current_density"] == pytest.approx(level)
        assert block["eta_plateau_mV"] == pytest.approx(1000 * eta_V, abs=4 * 1.2533 * 1000 * truth["noise_V"] / np.sqrt(48))
    names = {m.name for m in result.metrics()}
    assert {"block_eta_plateau", "block_current_density"} <= names


def test_one_directional_points_are_windows():
    record, truth = one_directional(hours=10, dt_s=10.0)
    result = overpotential_trace(record, window_s=600.0)
    assert result.unit == "window" and np.isnan(result.points["hysteresis_mV"]).all()
    expected = 1000 * (truth["eta_V"] + truth["growth_V_per_h"] * result.points["time_h"])
    np.testing.assert_allclose(result.points["eta_plateau_mV"], expected, atol=4 * 1.2533 * 0.3 / np.sqrt(30) + 0.01)
    assert result.growth_rate.value == pytest.approx(1000 * truth["growth_V_per_h"], abs=4 * result.growth_rate.stderr)
    exported = overpotential_trace(voltage_only(record), current_mA=-0.0785, hours=(5,))
    assert exported.at_hours[0]["eta_plateau_mV"] == pytest.approx(
        1000 * (truth["eta_V"] + truth["growth_V_per_h"] * 5), abs=0.3)


def test_result_json_tables_and_figure_data():
    experiment = symmetric_cycling(n_cycles=30, short_time_s=None)
    result = overpotential_trace(experiment.data, experiment.cell, hours=(10,))
    assert isinstance(result, OverpotentialTrace)
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(document["eta_plateau_mV"]) == 60 and document["at_hours"][0]["hour"] == 10
    assert document["growth_rate_mV_h"] == pytest.approx(result.growth_rate.value)
    for name, table in result.tables().items():
        assert len({np.asarray(column).size for column in table.values()}) == 1, name
    inset = result.insets["inset"]
    assert set(inset.tolist()) == {0, 1}
    early = result.insets["time_h"][inset == 0]
    assert early.min() == 0.0 and early.max() == pytest.approx(4.0)  # the first four half-cycles
    assert result.trace["time_h"].size <= 4000


def test_bad_input():
    experiment = alloy_half_cell(n_cycles=3)
    with pytest.raises(NotApplicableError, match="metal"):
        overpotential_trace(experiment.data, experiment.cell)
    healthy = symmetric_cycling(n_cycles=2, short_time_s=None)
    with pytest.raises(ValidationError, match="hours"):
        overpotential_trace(healthy.data, hours=(1.5,))
    with pytest.raises(ValidationError, match="settle_fraction"):
        overpotential_trace(healthy.data, settle_fraction=1.0)
    no_area = overpotential_trace(healthy.data.with_cell(None), hours=())
    assert any("no electrode area" in w for w in no_area.warnings)
    assert "current_mA_cm2" not in no_area.points
