"""Circuit elements against closed forms, limits, impedance.py, Kramers-Kronig and the ZARC's DRT."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.models.circuits import (
    CPE,
    ZARC,
    C,
    G,
    L,
    Parallel,
    R,
    Series,
    W,
    Wo,
    Ws,
    zarc_drt,
)

FREQUENCY = np.logspace(-3, 7, 121)
OMEGA = 2 * np.pi * FREQUENCY


def test_ideal_elements_follow_their_definitions():
    np.testing.assert_array_equal(R(5.0).impedance(FREQUENCY), np.full(FREQUENCY.size, 5.0 + 0j))
    np.testing.assert_allclose(C(2e-6).impedance(FREQUENCY), -1j / (OMEGA * 2e-6), rtol=1e-14)
    np.testing.assert_allclose(L(3e-7).impedance(FREQUENCY), 1j * OMEGA * 3e-7, rtol=1e-14)


def test_cpe_has_constant_phase_and_is_a_capacitor_at_n_one():
    np.testing.assert_allclose(np.angle(CPE(1e-5, 0.8).impedance(FREQUENCY), deg=True), -72.0, rtol=1e-12)
    np.testing.assert_allclose(CPE(1e-5, 1.0).impedance(FREQUENCY), C(1e-5).impedance(FREQUENCY), rtol=1e-12)


def test_zarc_is_a_resistor_in_parallel_with_a_cpe():
    zarc = ZARC.from_cpe(50.0, 2e-5, 0.8)
    branches = Parallel(R(50.0), CPE(2e-5, 0.8))
    np.testing.assert_allclose(zarc.impedance(FREQUENCY), branches.impedance(FREQUENCY), rtol=1e-12)
    assert zarc.Q_S_s_n == pytest.approx(2e-5, rel=1e-12)
    # the apex: Re Z = R/2 at w tau = 1 for every n, since Z = R / (1 + j^n)
    apex = ZARC(40.0, 1e-3, 0.7).impedance(ZARC(40.0, 1e-3, 0.7).peak_frequency_Hz)
    assert apex.real == pytest.approx(20.0, rel=1e-12)


def test_semi_infinite_warburg_is_a_45_degree_line():
    Z = W(12.0).impedance(FREQUENCY)
    np.testing.assert_allclose(np.angle(Z, deg=True), -45.0, rtol=1e-12)
    np.testing.assert_allclose(Z.real, 12.0 / np.sqrt(OMEGA), rtol=1e-12)


def test_finite_length_warburg_tends_to_R_and_to_a_semi_infinite_line():
    element = Ws(30.0, 2.0)
    low = np.array([1e-6, 1e-5])  # w tau << 1: tanh(x)/x = 1 - x^2/3 + 2 x^4/15
    x2 = 1j * 2 * np.pi * low * 2.0
    np.testing.assert_allclose(element.impedance(low), 30.0 * (1 - x2 / 3 + 2 * x2**2 / 15), rtol=1e-10)
    high = np.array([1e3, 1e5])  # w tau >> 1: tanh -> 1, so Z -> R / sqrt(j w tau) = W(R / sqrt(2 tau))
    np.testing.assert_allclose(
        element.impedance(high), W(30.0 / np.sqrt(2 * 2.0)).impedance(high), rtol=1e-12
    )


def test_finite_space_warburg_turns_capacitive_at_low_frequency():
    element = Wo(30.0, 2.0)
    low = np.array([1e-6, 1e-5])  # coth(x)/x = 1/x^2 + 1/3 - x^2/45: R/3 in series with C = tau/R
    x2 = 1j * 2 * np.pi * low * 2.0
    np.testing.assert_allclose(element.impedance(low), 30.0 * (1 / x2 + 1 / 3 - x2 / 45), rtol=1e-10)
    capacitive = Series(R(10.0), C(2.0 / 30.0)).impedance(low)
    np.testing.assert_allclose(element.impedance(low), capacitive, rtol=1e-4)
    high = np.array([1e3, 1e5])
    np.testing.assert_allclose(element.impedance(high), Ws(30.0, 2.0).impedance(high), rtol=1e-12)


def test_gerischer_limits():
    element = G(20.0, 1e-2)
    np.testing.assert_allclose(element.impedance([1e-9]), [20.0], rtol=1e-9)
    high = np.array([1e6, 1e7])
    np.testing.assert_allclose(
        element.impedance(high), 20.0 / np.sqrt(1j * 2 * np.pi * high * 1e-2), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("element", "parameters"),
    [
        (R(5.0), [5.0]),
        (C(1e-6), [1e-6]),
        (L(1e-6), [1e-6]),
        (CPE(1e-5, 0.8), [1e-5, 0.8]),
        (ZARC(30.0, 1e-3, 0.85), [30.0, 1e-3, 0.85]),
        (W(12.0), [12.0]),
        (Ws(20.0, 2.0), [20.0, 2.0]),
        (Wo(20.0, 2.0), [20.0, 2.0]),
        (G(15.0, 0.1), [15.0, 0.1]),
    ],
)
def test_elements_match_impedance_py_of_the_same_name(element, parameters):
    elements = pytest.importorskip("impedance.models.circuits.elements")
    reference = getattr(elements, element.code)(parameters, FREQUENCY)
    np.testing.assert_allclose(element.impedance(FREQUENCY), reference, rtol=1e-10)


def test_series_and_parallel_nest_and_name_their_leaves():
    circuit = Series(R(10.0), Parallel(R(20.0), C(1e-6)), Parallel(Series(R(5.0), C(1e-4)), R(100.0)))
    expected = 10.0 + 1.0 / (1 / 20.0 + 1j * OMEGA * 1e-6)
    expected = expected + 1.0 / (1.0 / (5.0 + 1.0 / (1j * OMEGA * 1e-4)) + 1 / 100.0)
    np.testing.assert_allclose(circuit.impedance(FREQUENCY), expected, rtol=1e-12)
    assert circuit.circuit_string == "R0-p(R1,C2)-p(R3-C4,R5)"
    assert circuit.parameters["C4.C_F"] == 1e-4
    assert circuit.parameters["R5.R_ohm"] == 100.0


def test_a_shorted_parallel_branch_gives_zero_without_warnings():
    np.testing.assert_array_equal(Parallel(R(0.0), C(1e-6)).impedance(FREQUENCY), 0.0)


def _kk_real(circuit, frequency, imaginary_scale=1.0, per_decade=100):
    """Re Z from Im Z by the Kramers-Kronig transform over 1e-10..1e16 Hz (log grid offset from the data)::

    Re Z(w) - Re Z(inf) = (2/pi) int_0^inf [x Im Z(x) - w Im Z(w)] / (w^2 - x^2) dx
    """
    x = 2 * np.pi * np.logspace(-10, 16, 26 * per_decade + 1) * 10 ** (0.5 / per_decade)
    w = 2 * np.pi * np.asarray(frequency)
    x_im = x * imaginary_scale * circuit.impedance(x / (2 * np.pi)).imag
    w_im = w * imaginary_scale * circuit.impedance(frequency).imag
    integrand = (x_im[None, :] - w_im[:, None]) / (w[:, None] ** 2 - x[None, :] ** 2) * x[None, :]
    return 2 / np.pi * np.trapezoid(integrand, np.log(x), axis=1) + circuit.impedance([1e18]).real


KK_CIRCUITS = [
    Series(R(20.0), ZARC(15.0, 3e-6, 0.9), ZARC(40.0, 3e-4, 0.85), ZARC(60.0, 1e-2, 0.8), W(30.0)),
    Series(R(5.0), Parallel(R(20.0), CPE(1e-5, 0.8)), Ws(30.0, 1.0)),
    Series(R(10.0), ZARC(40.0, 1e-3, 0.7), Wo(25.0, 3.0)),
    Series(R(3.0), G(20.0, 1e-2), Parallel(R(50.0), C(1e-6))),
]


@pytest.mark.parametrize("circuit", KK_CIRCUITS, ids=lambda c: c.circuit_string)
def test_noiseless_circuit_spectra_are_kramers_kronig_consistent(circuit):
    frequency = np.logspace(6, -2, 81)
    Z = circuit.impedance(frequency)
    residual = np.abs(_kk_real(circuit, frequency) - Z.real) / np.abs(Z)
    assert residual.max() < 1e-6
    # the check can fail: an imaginary part stretched by 30 % no longer matches the real part
    distorted = np.abs(_kk_real(circuit, frequency, imaginary_scale=1.3) - Z.real) / np.abs(Z)
    assert distorted.max() > 0.05


@pytest.mark.parametrize("n", [0.6, 0.8, 0.95])
def test_zarc_drt_integrates_to_R_and_reproduces_the_impedance(n):
    R_ohm, tau0 = 40.0, 1e-3
    u = np.linspace(-80.0, 80.0, 64001)  # ln(tau / tau0)
    tau = tau0 * np.exp(u)
    gamma = zarc_drt(tau, R_ohm, tau0, n)
    assert np.trapezoid(gamma, u) == pytest.approx(R_ohm, rel=1e-9)
    frequency = np.logspace(-1, 5, 13)
    kernel = 1.0 / (1.0 + 1j * 2 * np.pi * frequency[:, None] * tau[None, :])
    Z = np.trapezoid(gamma[None, :] * kernel, u, axis=1)
    np.testing.assert_allclose(Z, ZARC(R_ohm, tau0, n).impedance(frequency), rtol=1e-8)
    assert np.argmax(gamma) == np.argmin(np.abs(u))  # peak at tau0


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: R(-1.0), "R_ohm"),
        (lambda: C(0.0), "C_F"),
        (lambda: L(-1e-6), "L_H"),
        (lambda: CPE(1e-5, 1.2), "n"),
        (lambda: CPE(-1e-5, 0.8), "Q_S_s_n"),
        (lambda: ZARC(10.0, -1.0, 0.8), "tau_s"),
        (lambda: W(float("nan")), "sigma_ohm_s_half"),
        (lambda: Ws(10.0, 0.0), "tau_s"),
        (lambda: Series(), "elements"),
        (lambda: Parallel(R(1.0)), "elements"),
        (lambda: Series(R(1.0), 5.0), "elements"),
        (lambda: R(1.0).impedance([10.0, -1.0]), "frequency_Hz"),
        (lambda: zarc_drt([1.0], 10.0, 1e-3, 1.0), "n"),
        (lambda: R(True), "R_ohm"),
    ],
)
def test_bad_parameters_raise_validation_errors_naming_them(build, field):
    with pytest.raises(ValidationError) as error:
        build()
    assert error.value.field == field


@pytest.mark.parametrize(
    "element",
    [R(5.0), C(1e-6), L(1e-6), CPE(1e-5, 0.8), ZARC(30.0, 1e-3, 0.85), W(12.0), Ws(20.0, 2.0), Wo(20.0, 2.0), G(15.0, 0.1)],
    ids=lambda element: element.code,
)
def test_closed_form_gradients_match_finite_differences(element):
    frequency = np.logspace(-3, 6, 46)
    gradient = element.gradient(frequency)
    assert list(gradient) == list(element.parameters)
    for name, value in element.parameters.items():
        step = 1e-6 * value
        up, down = dict(element.parameters), dict(element.parameters)
        up[name], down[name] = value + step, value - step
        difference = (type(element)(*up.values()).impedance(frequency) - type(element)(*down.values()).impedance(frequency)) / (2 * step)
        # scaled by the impedance: a derivative that vanishes at some frequencies is compared in ohm there
        scale = np.abs(element.impedance(frequency)) / value
        np.testing.assert_allclose(gradient[name] / scale, difference / scale, rtol=0, atol=1e-7, err_msg=name)


@pytest.mark.parametrize(
    "element",
    [R(5.0), C(1e-6), L(1e-6), CPE(1e-5, 0.8), ZARC(30.0, 1e-3, 0.85), W(12.0), Ws(20.0, 2.0), Wo(20.0, 2.0), G(15.0, 0.1)],
    ids=lambda element: element.code,
)
def test_impedance_is_the_fitters_formula(element):
    # one formula per element: impedance(), gradient() and the fitter's Jacobian agree to the last bit
    frequency = np.logspace(-3, 6, 46)
    Z, _ = element._impedance_and_gradient(2 * np.pi * frequency, *element.parameters.values())
    np.testing.assert_array_equal(element.impedance(frequency), Z)
