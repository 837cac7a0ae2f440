"""The circuit chosen from the data: the generating number of arcs and tail on virtual-lab spectra (known
circuits), parameters recovered within their uncertainty, the caller's process count and tail honoured, and
the arc counts of the pyDRTtools synthetic spectra (their README) on the real files."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ValidationError
from anodelab.core.spectrum import Spectrum
from anodelab.impedance.analyses import fit_default
from anodelab.impedance.fit import fit_circuit
from anodelab.impedance.select import candidate_circuits, choose_circuit
from anodelab.models.circuits import C, Parallel, R, Series
from anodelab.sim.virtual.impedance import eis_spectrum


def _within(fit, name, truth, k=4.0):
    q = fit.fitted[name]
    assert q.stderr is not None and abs(q.value - truth) <= k * q.stderr, f"{name}: {q} vs truth {truth}"


def _arcs_and_tail(choice):
    chosen = choice.candidates[choice.chosen]
    return chosen.n_arcs, chosen.tail


@pytest.mark.parametrize(
    ("system", "noise_pct", "seed", "arcs", "tail"),
    [
        ("li-llzto", 1.0, 2, 1, None),  # R0-Zarc1 (the spectrum the three-arc default misfitted)
        ("na-symmetric", 0.2, 0, 1, None),
        ("si-sulfide", 0.2, 3, 3, "W"),  # R0-Zarc1-Zarc2-Zarc3-W4
        ("si-c-liquid", 0.5, 1, 3, "W"),
    ],
)
def test_the_generating_circuit_is_chosen_and_its_parameters_recovered(system, noise_pct, seed, arcs, tail):
    experiment = eis_spectrum(system=system, noise_pct=noise_pct, seed=seed)
    choice = choose_circuit(experiment.data)
    assert _arcs_and_tail(choice) == (arcs, tail), choice.reason
    assert not choice.warnings and choice.reason.startswith(f"{arcs} arc")
    fit = choice.fits[0]
    assert not fit.warnings and not fit.undetermined
    truth = experiment.truth["circuit_parameters"]
    _within(fit, "R0", truth["R0.R_ohm"])
    for k in range(1, arcs + 1):  # ZARC (R, tau, n) is R||CPE with tau = (R Q)^(1/n); arcs ordered by tau
        _within(fit, f"R{k}", truth[f"Zarc{k}.R_ohm"])
        _within(fit, f"CPE{k}_n", truth[f"Zarc{k}.n"])
        tau = (fit.values[f"R{k}"] * fit.values[f"CPE{k}_Q"]) ** (1 / fit.values[f"CPE{k}_n"])
        assert tau == pytest.approx(truth[f"Zarc{k}.tau_s"], rel=0.1)
    if tail == "W":
        _within(fit, f"W{arcs + 1}", truth[f"W{arcs + 1}.sigma_ohm_s_half"])


def test_bic_is_the_stated_formula_and_every_candidate_is_reported():
    spectrum = eis_spectrum(system="li-llzto", noise_pct=1.0, seed=2).data[0]
    choice = choose_circuit(spectrum, low_frequency_tail=False)
    assert [c.circuit for c in choice.candidates][:2] == ["R0-p(R1,CPE1)", "R0-p(R1,CPE1)-p(R2,CPE2)"]
    for candidate in choice.candidates:
        fit = fit_circuit(spectrum, candidate.circuit, n_starts=4)
        n = 2 * len(spectrum)
        p = len(fit.fitted)
        assert candidate.n_parameters == p
        # the same minimum (up to the candidates' shorter iteration budget) gives the same score
        assert candidate.bic == pytest.approx(n * math.log(fit.chi2 / n) + p * math.log(n), abs=0.5)
    metrics = {m.name: m for m in choice.metrics()}
    assert metrics["n_arcs"].value == 1 and metrics["bic"].value == choice.candidates[choice.chosen].bic


def test_the_callers_process_count_and_tail_set_the_candidates():
    spectrum = eis_spectrum(system="si-sulfide", noise_pct=0.2, seed=3).data[0]
    choice = choose_circuit(spectrum, n_processes=3, low_frequency_tail=True)
    assert [c.circuit for c in choice.candidates] == candidate_circuits(range(2, 5), ("W", "CPE"))
    assert choice.circuit == "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4"
    assert choice.parameters["n_processes"] == 3 and choice.parameters["low_frequency_tail"] is True
    with pytest.raises(ValidationError, match="n_processes"):
        choose_circuit(spectrum, n_processes=-1)


def test_an_ideal_rc_arc_prefers_the_capacitor_to_a_cpe_of_n_near_1():
    # R-(R||C): a CPE fits it as well with n = 1, one parameter more; BIC charges for it
    frequency = np.logspace(5, -1, 49)
    rng = np.random.default_rng(7)
    Z = Series(R(10.0), Parallel(R(40.0), C(2e-5))).impedance(frequency)
    Z = Z * (1 + 0.005 * (rng.standard_normal(Z.size) + 1j * rng.standard_normal(Z.size)))
    choice = choose_circuit(Spectrum.from_arrays(frequency, Z), candidates=["R0-p(R1,CPE1)", "R(RC)"])
    assert choice.circuit == "R0-p(R1,C2)" and "R0-p(R1,C2)" in [c.circuit for c in choice.candidates]
    _within(choice.fits[0], "R1", 40.0)
    _within(choice.fits[0], "C2", 2e-5)


def test_a_noiseless_spectrum_is_not_ranked_by_rounding_errors():
    choice = choose_circuit(eis_spectrum(system="li-llzto", noise_pct=0.0).data)
    assert choice.circuit == "R0-p(R1,CPE1)"
    assert choice.fits[0].fitted["R1"].value == pytest.approx(48.0, rel=1e-6)


def test_fit_default_fits_one_arc_to_the_one_arc_spectrum_and_warns_for_the_three_arc_preset():
    # the case: the three-arc Si circuit on Li|LLZTO gave R1 = 17 +- 89 ohm, silently
    data = eis_spectrum(system="li-llzto", noise_pct=1.0, seed=2).data
    preset = fit_default(data, circuit="si-sulfide")
    assert preset.circuit == "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4" and preset.choice is None
    undetermined = preset.fits[0].undetermined
    assert undetermined and len(preset.warnings) == 1 and "over-parametrised" in preset.warnings[0]
    assert all(name in preset.warnings[0] for name in undetermined)
    told = " ".join(preset.fits[0].warnings)
    for name, q in preset.fits[0].fitted.items():
        if q.stderr is None or q.stderr > q.value:
            assert name in told
    chosen = fit_default(data)
    assert chosen.circuit == "R0-p(R1,CPE1)" and chosen.choice is not None and not chosen.warnings
    assert all(q.stderr < q.value for q in chosen.fits[0].fitted.values())
    _within(chosen.fits[0], "R1", 48.0)
    assert chosen.parameters == {"circuit": None, "n_processes": None, "low_frequency_tail": None}
    assert chosen.to_dict()["circuit_choice"]["reason"] == chosen.choice.reason


def test_a_series_is_judged_on_its_first_middle_and_last_spectra():
    from anodelab.sim.virtual.impedance import insitu_eis_series

    experiment = insitu_eis_series(spectra_per_half_cycle=3, noise_pct=0.3, seed=4)  # 6 spectra, 3 arcs + W
    result = fit_default(experiment.data)
    assert result.choice.spectra_used == (0, 2, 5) and "summed over 3 spectra" in result.choice.reason
    assert result.circuit == "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4" and len(result.fits) == 6
    for index, fit in enumerate(result.fits):
        _within(fit, "R3", experiment.truth["R_ct_ohm"][index], k=5.0)


@pytest.mark.parametrize(
    ("name", "arcs"),
    [("eis/pydrttools_zarc_data.txt", 1), ("eis/pydrttools_tutorial_2ZARC0.csv", 2)],  # README: synthetic 1 and 2 ZARC
)
def test_real_files_get_the_arcs_they_were_made_with_and_impedancepy_agrees_on_the_fit(external, name, arcs):
    from impedance.models.circuits import CustomCircuit

    spectrum = anodelab.read(external(name))[0]
    choice = choose_circuit(spectrum)
    assert _arcs_and_tail(choice) == (arcs, None), choice.reason
    fit = fit_circuit(spectrum, choice.circuit)
    # impedance.py (weight_by_modulus: the same objective) from our result stays there: same minimum
    reference = CustomCircuit(choice.circuit, initial_guess=list(fit.values.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit(spectrum.frequency_Hz, spectrum.Z_ohm, weight_by_modulus=True)
    for (name_, q), theirs in zip(fit.fitted.items(), reference.parameters_, strict=True):
        assert abs(q.value - theirs) <= 0.1 * q.stderr, name_


def test_a_candidate_with_a_parameter_at_its_bound_is_not_determined_and_the_simpler_one_wins():
    # truth R0-Zarc1: the Warburg of the second candidate runs to its lower bound (stderr None)
    spectrum = eis_spectrum(system="li-llzto", noise_pct=1.0, seed=2).data[0]
    choice = choose_circuit(spectrum, candidates=["R0-p(R1,CPE1)-W2", "R0-p(R1,CPE1)"])
    with_w, without = choice.candidates
    assert with_w.undetermined == ("W2",) and not with_w.determined and without.determined
    assert choice.circuit == "R0-p(R1,CPE1)" and not choice.warnings
    assert "W2 not determined" in choice.reason
