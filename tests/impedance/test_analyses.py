"""The study's EIS analyses against the virtual lab's truth: interfacial Arrhenius of a symmetric cell
(R_interface, ASR per interface, Ea) and the conductivity of a blocking cell (R_bulk, sigma, Ea)."""

from __future__ import annotations

import pytest

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.spectrum import Spectrum, SpectrumSeries
from anodelab.impedance.analyses import (
    conductivity_arrhenius,
    fit_default,
    interfacial_arrhenius,
)
from anodelab.sim.virtual.impedance import (
    blocking_cell_spectrum,
    eis_spectrum,
    temperature_eis_series,
)


def _close(q, truth, k=4.0):
    assert q.stderr is not None and abs(q.value - truth) <= k * q.stderr, f"{q} vs truth {truth}"


def test_interfacial_arrhenius_of_a_symmetric_cell_returns_the_truth():
    experiment = temperature_eis_series(system="li-llzto", form="1/R", Ea_kJ_mol=35.0, noise_pct=0.3, seed=3)
    truth = experiment.truth
    result = interfacial_arrhenius(experiment.data, form="1/R")
    assert result.fits.circuit == "R0-p(R1,CPE1)" and result.fits.choice is not None  # one arc, chosen from the data
    for index, R in enumerate(result.R_interface):
        _close(R, truth["R_interface_ohm"][index])
        asr = result.asr[index]
        assert asr.stderr_ohm_cm2 == pytest.approx(R.stderr * asr.area_cm2 / 2)
        assert asr.asr_ohm_cm2 == pytest.approx(truth["ASR_interface_ohm_cm2"][index], abs=4 * asr.stderr_ohm_cm2)
    _close(result.arrhenius.Ea_kJ_mol, 35.0)
    metrics = {(m.name, m.index): m for m in result.metrics()}
    assert metrics[("Ea", None)].unit == "kJ/mol" and metrics[("Ea", None)].stderr == result.arrhenius.Ea_kJ_mol.stderr
    assert metrics[("ASR", 2)].unit == "ohm cm2" and "two identical interfaces" in metrics[("ASR", 2)].definition
    assert metrics[("temperature", 2)].value == truth["temperatures_C"][2] and metrics[("R_interface", 2)].unit == "ohm"
    out = result.to_dict()
    assert out["parameters"] == {"circuit": None, "form": "1/R", "n_processes": None, "low_frequency_tail": None}
    # the keys the demo's headline reads
    assert out["arrhenius"]["form"] == "1/R" and out["arrhenius"]["Ea_kJ_mol"] == result.arrhenius.Ea_kJ_mol.value
    assert out["arrhenius"]["Ea_kJ_mol_stderr"] == result.arrhenius.Ea_kJ_mol.stderr
    assert out["R_interface_ohm"] == [q.value for q in result.R_interface] and len(out["asr_interface_ohm_cm2"]) == 6
    with pytest.raises(ValidationError, match="form"):
        interfacial_arrhenius(experiment.data, form="sigma")


def test_interfacial_arrhenius_without_temperatures_or_area():
    spectra = eis_spectrum(system="li-llzto", noise_pct=0.2).data
    no_temperature = SpectrumSeries.of([Spectrum.from_arrays(s.frequency_Hz, s.Z_ohm) for s in spectra])
    with pytest.raises(NotApplicableError, match="temperature"):
        interfacial_arrhenius(no_temperature, circuit="symmetric")
    experiment = temperature_eis_series(noise_pct=0.0)
    bare = SpectrumSeries.of(list(experiment.data))  # no cell: no area, no ASR
    result = interfacial_arrhenius(bare, circuit="R0-p(R1,CPE1)")
    assert result.asr == () and "asr_interface_ohm_cm2" not in result.to_dict()
    assert result.arrhenius.Ea_kJ_mol.value == pytest.approx(experiment.truth["Ea_kJ_mol"], rel=1e-5)


def test_conductivity_of_a_blocking_cell_returns_the_truth():
    experiment = blocking_cell_spectrum(temperatures_C=[0.0, 20.0, 40.0, 60.0], Ea_kJ_mol=30.0, noise_pct=0.3, seed=5)
    truth = experiment.truth
    result = conductivity_arrhenius(experiment.data)
    assert result.fits.circuit == "p(R0,C1)-CPE2"
    for index, (R, sigma) in enumerate(zip(result.R_bulk, result.sigma, strict=True)):
        _close(R, truth["R_bulk_ohm"][index])
        _close(sigma, truth["sigma_S_cm"][index])
        assert sigma.unit == "S/cm" and sigma.stderr / sigma.value == pytest.approx(R.stderr / R.value)
    _close(result.arrhenius.Ea_kJ_mol, 30.0)
    out = result.to_dict()
    assert out["sigma_S_cm"] == [q.value for q in result.sigma] and out["arrhenius"]["form"] == "sigma"
    assert {m.name for m in result.metrics()} == {"Ea", "prefactor", "r2", "temperature", "R_bulk", "sigma"}
    single = conductivity_arrhenius(blocking_cell_spectrum(noise_pct=0.3, seed=5).data)  # one spectrum: not indexed
    assert {(m.name, m.index) for m in single.metrics()} == {("temperature", None), ("R_bulk", None), ("sigma", None)}
    with pytest.raises(ValidationError, match="C1"):
        conductivity_arrhenius(experiment.data, bulk_parameter="C1")
    with pytest.raises(NotApplicableError, match="thickness_um"):
        conductivity_arrhenius(SpectrumSeries.of(list(experiment.data)))


def test_fit_default_takes_a_preset_or_a_circuit_string():
    data = eis_spectrum(system="li-llzto", noise_pct=0.5, seed=1).data
    assert fit_default(data, circuit="symmetric").circuit == "R0-p(R1,CPE1)"
    named = fit_default(data, circuit="R(RQ)")
    assert named.circuit == "R0-p(R1,CPE2)" and named.parameters["circuit"] == "R(RQ)" and named.choice is None
    with pytest.raises(ValidationError, match="circuit"):
        fit_default(data, circuit="si-llzto")
