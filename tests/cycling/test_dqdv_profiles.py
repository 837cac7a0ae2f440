"""dQ/dV peak positions and plateau detection on curves with plateaus at known voltages."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.cycling import (
    curve_features,
    dqdv,
    dqdv_curve,
    profile_features,
    voltage_profiles,
)
from anodelab.sim.virtual import alloy_half_cell

PLATEAUS_V = (0.20, 0.45)


def _two_plateau_charge(n=4000, noise=0.0005, seed=1):
    """Q(V) = sum of logistic steps centred on PLATEAUS_V (width 10 mV): dQ/dV peaks exactly there."""
    v = np.linspace(0.05, 0.8, n)
    q = sum(w / (1 + np.exp(-(v - v0) / 0.01)) for v0, w in zip(PLATEAUS_V, (1.0, 0.6)))
    rng = np.random.default_rng(seed)
    return q, v + rng.normal(0, noise, n)


@pytest.mark.parametrize("bin_width", [0.002, 0.005])
def test_dqdv_peak_positions_within_a_bin(bin_width):
    from scipy.signal import find_peaks

    q, v = _two_plateau_charge()
    centres, d = dqdv_curve(q, v, bin_width_V=bin_width, window_V=0.03)
    peaks, _ = find_peaks(d, prominence=0.1 * d.max())
    assert centres[peaks] == pytest.approx(PLATEAUS_V, abs=bin_width)
    # the area under dQ/dV is the capacity passed (1.6 mAh by construction, minus the tails)
    assert np.trapezoid(d, centres) == pytest.approx(q[-1] - q[0], rel=0.02)


def test_discharge_sign_and_order():
    q, v = _two_plateau_charge(noise=0.0)
    centres, d = dqdv_curve(q[::-1].max() - q[::-1], v[::-1])
    assert centres[0] > centres[-1]  # reported in the order the half-cycle ran
    assert d[np.argmax(np.abs(d))] < 0  # capacity rises as voltage falls


def test_profile_features_finds_the_plateaus_and_inflection():
    q, v = _two_plateau_charge()
    plateaus, inflections = curve_features(q, v)
    assert [p["voltage_V"] for p in plateaus] == pytest.approx(PLATEAUS_V, abs=0.005)
    assert len(inflections) == 1
    assert PLATEAUS_V[0] < inflections[0]["voltage_V"] < PLATEAUS_V[1]
    # half-way up the first step (Q = 0.5 at 0.20 V); the peak voltage is good to one 5 mV bin, where
    # the slope is dQ/dV = 1 / (4 x 0.01 V) = 25 mAh/V: Q within 0.125 mAh
    assert plateaus[0]["capacity_mAh"] == pytest.approx(0.5, abs=0.125)


def test_voltage_profiles_end_at_truth_and_first_lithiation_plateau():
    ex = alloy_half_cell(n_cycles=3, cv_hold=True)
    profiles = voltage_profiles(ex.data, ex.cell)
    assert len(profiles.curves) == 6
    for k in range(3):
        assert profiles.curve(k + 1, "insertion")["capacity_mAh"][-1] == pytest.approx(ex.truth["insertion_mAh"][k], rel=1e-9)
        # CC + CV joined into one monotone curve
        ext = profiles.curve(k + 1, "extraction")["capacity_mAh"]
        assert ext[-1] == pytest.approx(ex.truth["extraction_mAh"][k], rel=1e-9)
        assert np.all(np.diff(ext) >= 0)
    features = profile_features(ex.data, ex.cell)  # default: cycle 1, its opening half-cycle (the first lithiation)
    assert (features.cycle, features.role) == (1, "insertion")
    # the generator's crystalline-Si plateau: 0.10 - 0.03 x V (x = fraction) plus the IR drop
    # (-0.08 mA x 10 ohm = -0.8 mV): the dominant plateau lies between 0.069 and 0.099 V
    main = max(features.plateaus, key=lambda p: abs(p["dqdv_mAh_V"]))
    assert 0.069 - 0.005 < main["voltage_V"] < 0.099 + 0.005


def test_dqdv_on_record():
    ex = alloy_half_cell(n_cycles=2, noise_V=0.0)
    result = dqdv(ex.data, ex.cell, cycles=2)
    assert [(c["cycle"], c["role"]) for c in result.curves] == [(2, "insertion"), (2, "extraction")]
    assert result.to_dict()["method"].startswith("fixed-voltage binning")
