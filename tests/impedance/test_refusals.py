"""What the fitting, KK, Arrhenius and circuit-choice analyses refuse (each error names the option), and the
options the other tests leave out: a given number of RC elements, excluded points, a two-point Arrhenius line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from anodelab.core.constants import GAS_CONSTANT_J_MOL_K, ZERO_CELSIUS_K
from anodelab.core.errors import FitError, ValidationError
from anodelab.core.spectrum import Spectrum
from anodelab.impedance.derived import arrhenius_fit
from anodelab.impedance.fit import fit_circuit
from anodelab.impedance.kk import kramers_kronig_test
from anodelab.impedance.select import choose_circuit
from anodelab.models.circuits import ZARC, R, Series

ONE_ARC = "R0-p(R1,CPE1)"


@pytest.fixture(scope="module")
def spectrum():
    frequency = np.logspace(5, -1, 25)
    return Spectrum.from_arrays(frequency, Series(R(5.0), ZARC(20.0, 1e-3, 0.9)).impedance(frequency))


@pytest.fixture(scope="module")
def three_points(spectrum):
    return Spectrum.from_arrays(spectrum.frequency_Hz[:3], spectrum.Z_ohm[:3])


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"n_starts": 0}, "n_starts", "positive integer"),
        ({"n_starts": True}, "n_starts", "positive integer"),
        ({"n_starts": 2.0}, "n_starts", "positive integer"),
        ({"fixed": {"R0": 5.0, "R1": 20.0, "CPE1_Q": 1e-4, "CPE1_n": 0.9}}, "fixed", "nothing to fit"),
        ({"initial": {"R1": -1.0}}, "R1", "finite and > 0"),
        ({"fixed": {"R0": math.nan}}, "R0", "finite and > 0"),
        ({"bounds": {"R1": (2.0, 1.0)}}, "bounds", "R1: need 0 < low < high"),
        ({"bounds": {"R1": (1.0, math.inf)}}, "bounds", "R1: need 0 < low < high"),
    ],
)
def test_fit_circuit_refuses_bad_options(spectrum, options, field, words):
    with pytest.raises(ValidationError, match=words) as info:
        fit_circuit(spectrum, ONE_ARC, **options)
    assert info.value.field == field


def test_fit_circuit_refuses_more_free_parameters_than_values(three_points):
    with pytest.raises(FitError, match="7 free parameters cannot be fitted to 3 points"):
        fit_circuit(three_points, "R0-p(R1,CPE1)-p(R2,CPE2)")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"mu_threshold": 1.0}, "mu_threshold"),
        ({"threshold_pct": 0.0}, "threshold_pct"),
        ({"threshold_pct": math.nan}, "threshold_pct"),
        ({"n_rc": 0}, "n_rc"),
        ({"n_rc": True}, "n_rc"),
        ({"n_rc": 23}, "n_rc"),  # 25 points, R0, L and C: at most 22 RC
    ],
)
def test_kk_refuses_bad_options(spectrum, options, field):
    with pytest.raises(ValidationError) as info:
        kramers_kronig_test(spectrum, **options)
    assert info.value.field == field


def test_kk_refuses_too_few_points(spectrum, three_points):
    with pytest.raises(FitError, match="3 points are too few"):
        kramers_kronig_test(three_points)
    with pytest.raises(FitError, match="25 points are too few"):
        kramers_kronig_test(spectrum, max_rc=0)


def test_kk_takes_the_number_of_rc_given_and_leaves_out_the_points_excluded(spectrum):
    assert kramers_kronig_test(spectrum, n_rc=5).n_rc == 5
    exclude = np.zeros(len(spectrum), dtype=bool)
    exclude[:4] = True
    result = kramers_kronig_test(spectrum, exclude=exclude)
    assert result.to_dict()["n_excluded"] == 4 and not result.used[:4].any() and result.used[4:].all()
    assert result.passed  # a noiseless R-ZARC spectrum is KK-compliant


T_C = [0.0, 20.0, 40.0, 60.0]
SIGMA = [1e-4, 3e-4, 8e-4, 1.7e-3]


@pytest.mark.parametrize(
    ("temperatures", "values", "window", "field"),
    [
        (T_C, SIGMA[:3], None, "values"),
        ([-300.0, *T_C[1:]], SIGMA, None, "temperatures_C"),
        (T_C, [0.0, *SIGMA[1:]], None, "values"),
        (T_C, [math.nan, *SIGMA[1:]], None, "values"),
        (T_C, SIGMA, (50.0, 10.0), "window_C"),
    ],
)
def test_arrhenius_refuses_bad_points(temperatures, values, window, field):
    with pytest.raises(ValidationError) as info:
        arrhenius_fit(temperatures, values, form="sigma", window_C=window)
    assert info.value.field == field


def test_arrhenius_needs_two_distinct_temperatures():
    with pytest.raises(FitError, match="two distinct"):
        arrhenius_fit([25.0] * 4, SIGMA, form="sigma")


def test_a_two_point_arrhenius_line_is_exact_and_has_no_stderr():
    fit = arrhenius_fit(T_C[:2], SIGMA[:2], form="sigma")
    T1, T2 = (t + ZERO_CELSIUS_K for t in T_C[:2])
    slope = (math.log(SIGMA[1]) - math.log(SIGMA[0])) / (1 / T2 - 1 / T1)
    assert fit.Ea_kJ_mol.value == pytest.approx(-slope * GAS_CONSTANT_J_MOL_K / 1e3, rel=1e-12)
    assert fit.Ea_kJ_mol.stderr is None and fit.Ea_ci95_kJ_mol is None and fit.prefactor.stderr is None
    assert fit.r2 == 1.0 and fit.n_points == 2


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"n_processes": True}, "n_processes"),
        ({"low_frequency_tail": 1}, "low_frequency_tail"),
        ({"candidates": []}, "candidates"),
    ],
)
def test_choose_circuit_refuses_bad_options(spectrum, options, field):
    with pytest.raises(ValidationError) as info:
        choose_circuit(spectrum, **options)
    assert info.value.field == field


def test_choose_circuit_says_when_no_candidate_can_be_fitted(three_points):
    with pytest.raises(FitError, match=r"none of the candidate circuits could be fitted \(R0-p\(R1,CPE1\)-p\(R2,CPE2\)\)"):
        choose_circuit(three_points, candidates=["R0-p(R1,CPE1)-p(R2,CPE2)"])
