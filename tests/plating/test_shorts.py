"""Shorts against the virtual lab's truth (sim.virtual.metal.symmetric_cycling: the short's time and
kind, the soft short's drops): hard and soft shorts found at their onset to the sampling step, the
same at 1 s and 60 s sampling and with 1 mV noise, none on a healthy cell, one-directional records
with rests (with and without a current column, with restart transients and spikes), bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from plating.symmetric_builders import one_directional, voltage_only

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.plating.shorts import ShortsResult, detect_shorts
from anodelab.sim.virtual import alloy_half_cell, first_plating, symmetric_cycling

HALF_CYCLE_S = 3600.0  # symmetric_cycling's default: 0.1 mAh/cm2 at 0.1 mA/cm2
#: samples per half-cycle: the default (180 s), 60 s and 1 s sampling
SAMPLINGS = (20, 60, 3600)


def dt_s(samples):
    return HALF_CYCLE_S / samples


def truth_drops(truth, min_s=30.0):
    """Start times of the soft short's drops (overlapping ones joined) that last at least ``min_s``."""
    joined = []
    for start, end in truth["soft_drops_s"]:
        if joined and start <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return [start for start, end in joined if end - start >= min_s]


@pytest.mark.parametrize("samples", SAMPLINGS)
@pytest.mark.parametrize("noise_V", [0.0003, 0.001])
def test_hard_short_onset_to_the_sampling_step(samples, noise_V):
    experiment = symmetric_cycling(samples_per_half_cycle=samples, noise_V=noise_V, n_cycles=40)
    truth = experiment.truth
    result = detect_shorts(experiment.data, experiment.cell)
    assert len(result.events) == 1
    event = result.first
    assert event["kind"] == "hard" and not event["recovered"] and event["across_reversal"]
    assert abs(event["onset_s"] - truth["short_time_s"]) <= dt_s(samples)
    assert result.cycle_life_h == pytest.approx(truth["short_time_h"], abs=dt_s(samples) / 3600.0)
    row = int(np.searchsorted(experiment.data["time_s"], truth["short_time_s"]))
    assert event["cycle"] == experiment.data["cycle"][row]
    assert event["current_mA_cm2"] == pytest.approx(truth["current_density_mA_cm2"])
    assert event["depth"] <= 0.05 and event["confidence"] > 0.9


@pytest.mark.parametrize("samples", SAMPLINGS)
@pytest.mark.parametrize("noise_V", [0.0003, 0.001])
def test_soft_short_onset_to_the_sampling_step(samples, noise_V):
    experiment = symmetric_cycling(samples_per_half_cycle=samples, noise_V=noise_V, short_kind="soft")
    truth = experiment.truth
    result = detect_shorts(experiment.data, experiment.cell)
    first = result.first
    assert first["kind"] == "soft" and first["recovered"]
    assert abs(first["onset_s"] - truth["short_time_s"]) <= dt_s(samples)
    # nothing before the short, and every event after it is inside the soft-short period
    assert all(e["onset_s"] >= truth["short_time_s"] - dt_s(samples) for e in result.events)


def test_soft_short_whose_first_drop_is_too_brief_is_found_by_its_noise():
    """The first drop at the short lasts 22 s (under min_drop_s); the noise (five times the healthy)
    that starts with it leads into the first drop that counts, 2 h later: the onset is the short's."""
    short_s = 78132.26
    experiment = symmetric_cycling(short_kind="soft", samples_per_half_cycle=3600, short_time_s=short_s)
    first_drop = experiment.truth["soft_drops_s"][0]
    assert first_drop[0] == short_s and first_drop[1] - first_drop[0] < 30.0
    result = detect_shorts(experiment.data, experiment.cell)
    assert abs(result.first["onset_s"] - short_s) <= dt_s(3600)
    assert result.first["kind"] == "soft" and result.first["noise_burst"]


def test_a_first_plating_is_no_short():
    """A nucleation dip (the voltage from its open circuit through the tip to the plateau) is not a drop."""
    experiment = first_plating()
    assert detect_shorts(experiment.data, experiment.cell).events == ()


def test_soft_short_drops_each_found_and_recovered():
    """With the default (0.3 mV) noise every drop of 30 s or more is an event at its start, and no
    event lies outside a drop: the intermittent recovery of a soft short."""
    experiment = symmetric_cycling(short_kind="soft", samples_per_half_cycle=3600)
    truth = experiment.truth
    result = detect_shorts(experiment.data, experiment.cell)
    expected = truth_drops(truth)
    onsets = [e["onset_s"] for e in result.events]
    assert len(onsets) == len(expected)
    np.testing.assert_allclose(onsets, expected, atol=dt_s(3600))
    assert all(e["kind"] == "soft" for e in result.events)
    assert all(e["recovered"] for e in result.events[:-1])  # the last drop lasts to the end of the record
    assert result.noise_bursts and min(b["start_h"] for b in result.noise_bursts) >= truth["short_time_h"] - 1 / 6
    assert any("noise bursts" in w for w in result.warnings)


@pytest.mark.parametrize("samples", SAMPLINGS)
@pytest.mark.parametrize("noise_V", [0.0003, 0.001])
def test_healthy_cell_has_no_short(samples, noise_V):
    experiment = symmetric_cycling(short_time_s=None, samples_per_half_cycle=samples, noise_V=noise_V,
                                   overpotential_growth_V_per_h=2e-4, n_cycles=30)
    result = detect_shorts(experiment.data, experiment.cell)
    assert result.events == () and result.cycle_life_h is None
    assert result.headline().startswith("no short")
    assert result.duration_h == pytest.approx(experiment.truth["duration_s"] / 3600.0)


def test_healthy_cell_with_falling_overpotential_and_low_signal_to_noise():
    """A small overpotential (5 mV) under 1 mV noise at 60 s sampling: single noisy rows are no drops."""
    experiment = symmetric_cycling(short_time_s=None, samples_per_half_cycle=60, noise_V=0.001,
                                   overpotential_V=0.005, n_cycles=40)
    assert detect_shorts(experiment.data, experiment.cell).events == ()


@pytest.mark.parametrize("dt", [1.0, 10.0, 60.0])
def test_one_directional_plating_with_rests(dt):
    short_s = 9 * 4200.0 + 1234.0  # 1234 s into the 10th plating hour (each hour followed by a 600 s rest)
    record, _ = one_directional(hours=16, dt_s=dt, short_time_s=short_s)
    result = detect_shorts(record)
    assert result.one_directional and len(result.events) == 1
    event = result.first
    assert abs(event["onset_s"] - short_s) <= dt
    assert event["kind"] == "hard" and not event["across_reversal"] and not event["recovered"]
    assert event["current_mA_cm2"] == pytest.approx(0.1)


def test_short_during_a_rest_is_found_at_the_restart():
    short_s = 8 * 4200.0 + 3600.0 + 300.0  # in the rest after the 9th plating hour
    record, _ = one_directional(hours=16, short_time_s=short_s)
    result = detect_shorts(record)
    assert len(result.events) == 1 and result.first["kind"] == "hard"
    assert result.first["onset_s"] == 9 * 4200.0  # the first constant-current row after the short


def test_one_directional_healthy_plating_has_no_short():
    record, _ = one_directional(hours=16, growth_V_per_h=2e-4, noise_V=0.001)
    assert detect_shorts(record).events == ()


def test_voltage_only_export_with_transients_and_spikes():
    """The export of the real in-situ file's kind: no current column, rests left out, a restart
    transient row after each and upward spikes; the current is the caller's."""
    record, _ = one_directional(hours=16)
    exported = voltage_only(record)
    result = detect_shorts(exported, current_mA=-0.0785)
    assert result.events == ()
    assert any("no current column" in w for w in result.warnings)
    assert any("no electrode area" in w for w in result.warnings)
    short_s = 8 * 3600.0 + 1000.0
    record, _ = one_directional(hours=16, short_time_s=short_s)
    result = detect_shorts(voltage_only(record), current_mA=-0.0785)
    assert len(result.events) == 1 and abs(result.first["onset_s"] - short_s) <= 10.0
    assert "current_mA_cm2" not in result.first  # no area: absolute current only
    assert result.first["current_mA"] == -0.0785


def test_result_shape_and_json():
    experiment = symmetric_cycling()
    result = detect_shorts(experiment.data, experiment.cell)
    assert isinstance(result, ShortsResult)
    names = [m.name for m in result.metrics()]
    assert names[:3] == ["duration", "cycle_life", "n_shorts"] and "short_onset" in names
    onset = next(m for m in result.metrics() if m.name == "short_onset")
    assert onset.unit == "h" and onset.index_name == "event" and onset.index == 1
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["short_onset_h"] == pytest.approx(experiment.truth["short_time_h"])
    assert document["events"][0]["short_onset_h"] == document["short_onset_h"]
    assert document["parameters"]["drop_fraction"] == 0.5
    table = result.tables()["shorts"]
    assert {len(v) for v in table.values()} == {1}
    assert "hard short at 75.4 h" in result.headline()


def test_bad_input():
    with pytest.raises(NotApplicableError, match="current"):
        detect_shorts(Record.from_columns({"time_s": [0.0, 1.0], "voltage_V": [0.1, 0.1]}))
    with pytest.raises(NotApplicableError, match="no rows|none"):
        detect_shorts(Record.from_columns({"time_s": [], "voltage_V": [], "current_mA": []}))
    experiment = alloy_half_cell(n_cycles=3)
    with pytest.raises(NotApplicableError, match="metal"):
        detect_shorts(experiment.data, experiment.cell)
    with pytest.raises(NotApplicableError, match="sign of the current"):
        detect_shorts(experiment.data.with_cell(None))
    healthy = symmetric_cycling(n_cycles=2, short_time_s=None)
    with pytest.raises(ValidationError, match="drop_fraction"):
        detect_shorts(healthy.data, drop_fraction=1.5)
    with pytest.raises(ValidationError, match="ohmic_fraction"):
        detect_shorts(healthy.data, ohmic_fraction=0.6)
    with pytest.raises(ValidationError, match="window_s"):
        detect_shorts(healthy.data, window_s=0)
