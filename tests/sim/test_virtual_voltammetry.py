"""Virtual sweeps: the cycle protocol shared by the CV generators, seeded noise of the stated size, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.sim.virtual.voltammetry import (
    cyclic_voltammogram,
    linear_sweep,
    plating_voltammogram,
    polarization_curve,
)

SWEEP = {"scan_rate_mV_s": 2.0, "vertex_low_V": -0.1, "vertex_high_V": 0.4, "n_cycles": 2, "step_mV": 5.0}


def test_cv_generators_sweep_the_same_cycles_with_each_vertex_recorded_once():
    cv = cyclic_voltammogram(**SWEEP, peaks=()).data
    plating = plating_voltammogram(**SWEEP).data
    for name in ("time_s", "voltage_V", "step"):
        assert np.array_equal(cv[name], plating[name])
    voltage, step = cv["voltage_V"], cv["step"]
    assert step.tolist() == sorted(step.tolist()) and np.unique(step).tolist() == [1, 2, 3, 4]
    assert np.all(np.diff(cv["time_s"]) > 0)  # no vertex twice
    for number in (1, 2, 3, 4):
        rows = np.flatnonzero(step == number)
        falling = number % 2 == 1  # odd steps are cathodic sweeps from the high vertex
        assert np.all(np.diff(voltage[rows]) < 0) if falling else np.all(np.diff(voltage[rows]) > 0)
        assert voltage[rows[-1]] == (-0.1 if falling else 0.4)
        start = 0.4 if falling else -0.1
        if number == 1:
            assert voltage[0] == start
        else:  # the vertex belongs to the sweep that ends there; this one starts one 5 mV sample on
            assert voltage[rows[0]] == pytest.approx(start + (-0.005 if falling else 0.005), abs=1e-12)


@pytest.mark.parametrize(
    "generator", [cyclic_voltammogram, plating_voltammogram, linear_sweep], ids=["cv", "plating", "lsv"]
)
def test_current_noise_is_seeded_gaussian_of_the_given_size(generator):
    clean = generator().data
    noisy = generator(noise_uA=5.0, seed=3).data
    for name in ("time_s", "voltage_V", "step"):
        assert np.array_equal(clean[name], noisy[name])
    residual = noisy["current_mA"] - clean["current_mA"]
    sigma_mA = 5e-3
    assert abs(residual.mean()) < 5 * sigma_mA / np.sqrt(residual.size)
    assert residual.std() == pytest.approx(sigma_mA, rel=0.1)  # > 1000 samples: the std is within a few %
    assert np.array_equal(generator(noise_uA=5.0, seed=3).data["current_mA"], noisy["current_mA"])
    assert not np.array_equal(generator(noise_uA=5.0, seed=4).data["current_mA"], noisy["current_mA"])


def test_polarization_noise_is_relative():
    clean = polarization_curve(step_mV=0.5).data["current_mA"]
    noisy = polarization_curve(step_mV=0.5, noise_pct=2.0, seed=1).data["current_mA"]
    ratio = noisy / clean - 1.0
    assert ratio.std() == pytest.approx(0.02, rel=0.1) and abs(ratio.mean()) < 5 * 0.02 / np.sqrt(ratio.size)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: cyclic_voltammogram(n_cycles=True), "n_cycles"),
        (lambda: plating_voltammogram(n_cycles=0), "n_cycles"),
        (lambda: plating_voltammogram(alpha=1.0), "alpha"),
        (lambda: linear_sweep(end_V=3.5), "end_V"),
        (lambda: linear_sweep(onsets_V=(), currents_mA=(), widths_V=(), labels=()), "onsets_V"),
        (lambda: linear_sweep(widths_V=(0.02, 0.0, 0.025)), "widths_V[1]"),
        (lambda: polarization_curve(alpha_c=1.5), "alpha_c"),
    ],
)
def test_bad_sweep_parameters_raise_validation_errors_naming_them(call, field):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.field == field


def test_a_peak_wholly_outside_the_window_is_not_observed():
    # the default a-Si alloying 2 peak: 0.05 V, width 0.02 V: its 6 widths end at 0.17 V, below the window
    experiment = cyclic_voltammogram(vertex_low_V=0.18)
    peaks = {peak["label"]: peak for peak in experiment.truth["peaks"]}
    assert peaks["a-Si alloying 2"]["observed_peak_V"] is None
    assert peaks["dealloying 2"]["observed_peak_V"] == pytest.approx(0.5, abs=0.005)
