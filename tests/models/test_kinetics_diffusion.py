"""Butler-Volmer kinetics and the GITT diffusion solutions against limits and a finite-volume solve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.constants import physical_constants

from anodelab.core.errors import ValidationError
from anodelab.models.diffusion import (
    mean_concentration_change_mol_cm3,
    potential_response_V,
    short_time_surface_concentration_change_mol_cm3,
    sphere_roots,
    surface_concentration_change_mol_cm3,
    surface_concentration_factor,
    weppner_huggins_D_cm2_s,
)
from anodelab.models.kinetics import (
    arrhenius,
    butler_volmer_mA_cm2,
    butler_volmer_overpotential_V,
    charge_transfer_resistance_ohm_cm2,
    kJ_mol_to_eV,
    tafel_slope_mV_dec,
    thermal_voltage_V,
)

FARADAY = physical_constants["Faraday constant"][0]

# -- kinetics -----------------------------------------------------------------------------------------


def test_thermal_voltage_and_tafel_slope_at_25_C():
    assert thermal_voltage_V(298.15) == pytest.approx(0.025693, abs=1e-6)
    assert tafel_slope_mV_dec(1.0) == pytest.approx(59.16, abs=0.005)  # the textbook 59 mV per decade
    assert tafel_slope_mV_dec(0.5) == pytest.approx(2 * tafel_slope_mV_dec(1.0), rel=1e-12)


def test_butler_volmer_limits():
    f = 1 / thermal_voltage_V(298.15)
    assert butler_volmer_mA_cm2(0.0, i0_mA_cm2=2.0) == 0.0
    eta = np.linspace(-0.2, 0.2, 41)
    np.testing.assert_allclose(
        butler_volmer_mA_cm2(eta, i0_mA_cm2=2.0), 4.0 * np.sinh(0.5 * f * eta), rtol=1e-12
    )
    # Tafel branch: far from equilibrium i -> i0 exp(alpha_a f eta), so log10 i has slope 1/b
    high = np.array([0.3, 0.4])
    current = butler_volmer_mA_cm2(high, i0_mA_cm2=2.0, alpha_a=0.3, alpha_c=0.7)
    slope_mV_dec = np.diff(high)[0] * 1e3 / np.diff(np.log10(current))[0]
    assert slope_mV_dec == pytest.approx(tafel_slope_mV_dec(0.3), rel=1e-4)
    # linear region: eta / i -> R_ct (ohm cm2)
    small = 1e-6
    ratio = small / (butler_volmer_mA_cm2(small, i0_mA_cm2=2.0, alpha_a=0.3, alpha_c=0.7) * 1e-3)
    assert ratio == pytest.approx(charge_transfer_resistance_ohm_cm2(2.0, alpha_a=0.3, alpha_c=0.7), rel=1e-5)


@pytest.mark.parametrize(("alpha_a", "alpha_c"), [(0.5, 0.5), (0.3, 0.6), (0.8, 0.2)])
def test_overpotential_inverts_butler_volmer(alpha_a, alpha_c):
    current = np.array([-50.0, -1.0, -1e-3, 0.0, 0.2, 7.0, 300.0])
    eta = butler_volmer_overpotential_V(current, i0_mA_cm2=1.5, alpha_a=alpha_a, alpha_c=alpha_c, T_K=310.0)
    back = butler_volmer_mA_cm2(eta, i0_mA_cm2=1.5, alpha_a=alpha_a, alpha_c=alpha_c, T_K=310.0)
    np.testing.assert_allclose(back, current, rtol=1e-10, atol=1e-12)


def test_arrhenius_ratio_and_energy_units():
    T = np.array([273.15, 323.15])
    rate = arrhenius(T, Ea_kJ_mol=20.0, prefactor=1e3)
    gas = physical_constants["molar gas constant"][0]
    assert rate[1] / rate[0] == pytest.approx(math.exp(-20e3 / gas * (1 / 323.15 - 1 / 273.15)), rel=1e-9)
    assert kJ_mol_to_eV(96.485332) == pytest.approx(1.0, rel=1e-8)


# -- diffusion: the dimensionless solution ------------------------------------------------------------


def test_film_fourier_and_image_series_agree_everywhere():
    theta = np.logspace(-3, 1, 41)
    fourier = surface_concentration_factor(theta, method="fourier")
    images = surface_concentration_factor(theta, method="images")
    np.testing.assert_allclose(fourier, images, rtol=1e-12)


@pytest.mark.parametrize("geometry", ["film", "sphere"])
def test_series_tends_to_the_semi_infinite_limit_at_short_times(geometry):
    theta = np.logspace(-7, -3, 9)
    limit = 2 * np.sqrt(theta / np.pi)
    fourier = surface_concentration_factor(theta, geometry=geometry, method="fourier")
    error = np.abs(fourier / limit - 1)
    if geometry == "film":  # the far face is felt only at order exp(-1/theta)
        assert error.max() < 1e-9
    else:  # curvature: g = 2 sqrt(theta/pi) + theta + (4/3) theta^1.5 / sqrt(pi) + ..., shrinking with theta
        np.testing.assert_allclose(error, np.sqrt(np.pi * theta) / 2 + 2 * theta / 3, rtol=0.01)


@pytest.mark.parametrize(("geometry", "shape", "offset"), [("film", 1.0, 1 / 3), ("sphere", 3.0, 1 / 5)])
def test_series_tends_to_uniform_filling_at_long_times(geometry, shape, offset):
    theta = np.array([2.0, 5.0, 20.0])
    g = surface_concentration_factor(theta, geometry=geometry)
    # the surface runs ahead of the mean (shape x theta) by the steady profile's offset
    np.testing.assert_allclose(g - shape * theta, offset, rtol=1e-6)
    np.testing.assert_allclose(g / (shape * theta), 1.0, atol=offset / (shape * 2.0) * 1.001)


def test_sphere_series_agrees_with_its_short_time_closed_form():
    theta = np.logspace(-3, np.log10(0.02), 7)
    fourier = surface_concentration_factor(theta, geometry="sphere", method="fourier")
    closed = surface_concentration_factor(theta, geometry="sphere", method="images")
    np.testing.assert_allclose(fourier, closed, rtol=1e-9)
    roots = sphere_roots(5)
    np.testing.assert_allclose(np.tan(roots), roots, rtol=1e-12)
    assert roots[0] == pytest.approx(4.493409457909064, rel=1e-12)
    assert np.sum(1 / sphere_roots(100000) ** 2) == pytest.approx(0.1, abs=2e-6)  # sum 1/alpha^2 = 1/10


def _finite_volume_surface(theta_switch, theta_end, cells=100, dt=4e-5):
    """Crank-Nicolson finite volumes for a unit film (D = L = 1) with unit flux at x = 1 until theta_switch."""
    h = 1.0 / cells
    A = (
        np.diag(np.full(cells - 1, 1.0), -1) + np.diag(np.full(cells - 1, 1.0), 1) - 2 * np.eye(cells)
    ) / h**2
    A[0, 0] = A[-1, -1] = -1.0 / h**2
    identity = np.eye(cells)
    step = np.linalg.solve(identity - dt / 2 * A, identity + dt / 2 * A)
    source = np.linalg.solve(identity - dt / 2 * A, np.eye(cells)[-1] * dt / h)
    c = np.zeros(cells)
    out, times = [], []
    for k in range(round(theta_end / dt)):
        flux_on = (k + 0.5) * dt < theta_switch
        c = step @ c + (source if flux_on else 0.0)
        time = (k + 1) * dt
        surface = c[-1] + (h / 2 if (k + 1.5) * dt < theta_switch else 0.0)  # c_s = c_N + F h / (2 D)
        out.append(surface)
        times.append(time)
    return np.array(times), np.array(out)


def test_pulse_and_rest_superpose_like_a_finite_volume_solution():
    times, numeric = _finite_volume_surface(0.3, 1.0)
    pick = np.searchsorted(times, [0.1, 0.25, 0.35, 0.5, 0.99])
    exact = surface_concentration_change_mol_cm3(
        np.append(times[pick], 5.0),
        switch_times_s=[0.0, 0.3],
        currents_mA=[-1.0, 0.0],
        D_cm2_s=1.0,
        length_cm=1.0,
        area_cm2=1e-3 / FARADAY,  # unit flux density: -I / (z F S) = 1 mol cm-2 s-1
    )
    np.testing.assert_allclose(numeric[pick], exact[:-1], atol=2e-4 * exact.max())
    assert exact[-1] == pytest.approx(0.3, rel=1e-9)  # relaxed: the surface equals the mean, F t_pulse / L


# -- diffusion: physical units and the GITT potential -------------------------------------------------


def test_mean_change_is_the_charge_over_the_volume():
    time = np.array([0.0, 10.0, 100.0, 400.0])
    mean = mean_concentration_change_mol_cm3(
        time, switch_times_s=[0.0, 100.0], currents_mA=[-0.5, 0.0], length_cm=2e-4, area_cm2=1.13
    )
    charge_C = 0.5e-3 * np.minimum(time, 100.0)
    np.testing.assert_allclose(mean, charge_C / FARADAY / (1.13 * 2e-4), rtol=1e-8)


def test_film_surface_follows_2_I_sqrt_t_over_zFS_sqrt_pi_D_in_its_regime():
    D, L_cm, area, current_mA = 1e-12, 5e-5, 1.13, -0.3
    time = np.logspace(-2, 1, 7)  # t << L^2 / D = 2500 s
    exact = surface_concentration_change_mol_cm3(
        time, switch_times_s=[0.0], currents_mA=[current_mA], D_cm2_s=D, length_cm=L_cm, area_cm2=area
    )
    limit = 2 * (abs(current_mA) * 1e-3) * np.sqrt(time) / (FARADAY * area * np.sqrt(np.pi * D))
    np.testing.assert_allclose(exact, limit, rtol=1e-8)
    np.testing.assert_allclose(
        short_time_surface_concentration_change_mol_cm3(
            time, current_mA=current_mA, D_cm2_s=D, area_cm2=area
        ),
        limit,
        rtol=1e-8,
    )
    late = surface_concentration_change_mol_cm3(
        [2500.0], switch_times_s=[0.0], currents_mA=[current_mA], D_cm2_s=D, length_cm=L_cm, area_cm2=area
    )
    assert late[0] > 1.1 * 2 * 0.3e-3 * math.sqrt(2500.0) / (FARADAY * area * math.sqrt(math.pi * D))


def test_weppner_huggins_recovers_D_from_an_exact_short_pulse():
    D, L_cm, tau = 1e-11, 2e-4, 40.0  # tau D / L^2 = 0.01
    kwargs = {
        "switch_times_s": [0.0, tau],
        "currents_mA": [-0.2, 0.0],
        "D_cm2_s": D,
        "length_cm": L_cm,
        "area_cm2": 1.0,
        "molar_volume_cm3_mol": 12.06,
        "dE_dx_V": -0.3,
        "R_ohm": 7.0,
    }
    # a switch time belongs to the step it starts: the pulse's last loaded instant is just before tau
    before, start, end, relaxed = potential_response_V(
        [-1.0, 0.0, tau * (1 - 1e-12), 3 * L_cm**2 / D], **kwargs
    )
    D_wh = weppner_huggins_D_cm2_s(relaxed - before, end - start, pulse_s=tau, length_cm=L_cm)
    assert D_wh == pytest.approx(D, rel=1e-6)
    # a nonlinear OCV through the same point gives the same shape to first order
    ocv = potential_response_V(
        [0.0], **{**kwargs, "dE_dx_V": None, "ocv_V": lambda x: 0.4 - 0.3 * x, "x0": 0.0}
    )
    assert ocv[0] == pytest.approx(0.4 - 0.2e-3 * 7.0, abs=1e-12)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: butler_volmer_mA_cm2(0.1, i0_mA_cm2=-1.0), "i0_mA_cm2"),
        (lambda: butler_volmer_mA_cm2(0.1, i0_mA_cm2=1.0, alpha_a=1.5), "alpha_a"),
        (lambda: thermal_voltage_V(0.0), "T_K"),
        (lambda: surface_concentration_factor([0.1], geometry="cube"), "geometry"),
        (lambda: surface_concentration_factor([0.1], method="laplace"), "method"),
        (
            lambda: surface_concentration_change_mol_cm3(
                [1.0],
                switch_times_s=[0.0, 1.0],
                currents_mA=[1.0],
                D_cm2_s=1e-10,
                length_cm=1e-4,
                area_cm2=1.0,
            ),
            "currents_mA",
        ),
        (
            lambda: surface_concentration_change_mol_cm3(
                [1.0], switch_times_s=[0.0], currents_mA=[1.0], D_cm2_s=-1e-10, length_cm=1e-4, area_cm2=1.0
            ),
            "D_cm2_s",
        ),
        (
            lambda: potential_response_V(
                [1.0],
                switch_times_s=[0.0],
                currents_mA=[1.0],
                D_cm2_s=1e-10,
                length_cm=1e-4,
                area_cm2=1.0,
                molar_volume_cm3_mol=12.0,
            ),
            "ocv_V",
        ),
        (lambda: weppner_huggins_D_cm2_s(0.01, 0.02, pulse_s=0.0, length_cm=1e-4), "pulse_s"),
    ],
)
def test_bad_parameters_raise_validation_errors_naming_them(call, field):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.field == field
