"""Virtual impedance instruments: spectra equal their circuits, truths reproduce data, Arrhenius is exact."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy.constants import physical_constants

from anodelab.core.errors import ValidationError
from anodelab.core.spectrum import SpectrumSeries
from anodelab.models.circuits import CPE, ZARC, C, Parallel, R, Series, W
from anodelab.sim.virtual.impedance import (
    blocking_cell_spectrum,
    eis_spectrum,
    insitu_eis_series,
    si_sulfide_circuit,
    temperature_eis_series,
)

GAS = physical_constants["molar gas constant"][0]


@pytest.mark.parametrize("system", ["si-sulfide", "si-c-liquid", "li-llzto", "na-symmetric"])
def test_noiseless_spectrum_is_the_circuit_on_a_log_grid(system):
    experiment = eis_spectrum(system=system, noise_pct=0.0)
    assert experiment.kind == "eis" and isinstance(experiment.data, SpectrumSeries)
    spectrum = experiment.data[0]
    assert len(spectrum) == 71  # 1 MHz .. 0.1 Hz, 10 per decade, both ends
    assert spectrum.frequency_Hz[0] == pytest.approx(1e6) and spectrum.frequency_Hz[-1] == pytest.approx(0.1)
    np.testing.assert_allclose(np.diff(np.log10(spectrum.frequency_Hz)), -0.1, rtol=1e-9)
    assert (
        experiment.truth["circuit"] == experiment.truth["circuit"].strip()
        and experiment.truth["system"] == system
    )
    json.loads(experiment.truth_json())


def test_given_circuit_and_its_truth():
    circuit = Series(R(12.0), Parallel(R(30.0), C(2e-6)), W(8.0))
    experiment = eis_spectrum(
        circuit, noise_pct=0.0, frequency_max_Hz=1e5, frequency_min_Hz=1.0, points_per_decade=5
    )
    spectrum = experiment.data[0]
    w = 2 * np.pi * spectrum.frequency_Hz
    expected = 12.0 + 30.0 / (1 + 1j * w * 30.0 * 2e-6) + 8.0 * (1 - 1j) / np.sqrt(w)
    np.testing.assert_allclose(spectrum.Z_ohm, expected, rtol=1e-12)
    assert experiment.truth["circuit"] == "R0-p(R1,C2)-W3"
    assert experiment.truth["circuit_parameters"]["R1.R_ohm"] == 30.0
    assert experiment.truth["system"] is None


def test_noise_is_relative_seeded_and_of_the_requested_size():
    first = eis_spectrum(noise_pct=1.0, seed=7, points_per_decade=40).data[0]
    again = eis_spectrum(noise_pct=1.0, seed=7, points_per_decade=40).data[0]
    other = eis_spectrum(noise_pct=1.0, seed=8, points_per_decade=40).data[0]
    np.testing.assert_array_equal(first.Z_ohm, again.Z_ohm)
    assert not np.array_equal(first.Z_ohm, other.Z_ohm)
    clean = si_sulfide_circuit().impedance(first.frequency_Hz)
    relative = (first.Z_ohm - clean) / np.abs(clean)
    spread = np.std(np.concatenate([relative.real, relative.imag]))
    assert spread == pytest.approx(0.01, rel=0.15)


def test_insitu_series_truth_rebuilds_every_spectrum():
    experiment = insitu_eis_series(noise_pct=0.0, spectra_per_half_cycle=6)
    truth, series = experiment.truth, experiment.data
    assert experiment.kind == "eis-series" and len(series) == 12
    for index, spectrum in enumerate(series):
        circuit = Series(
            R(truth["R_bulk_ohm"]),
            *(
                ZARC(truth[f"R_{key}_ohm"][index], truth[f"tau_{key}_s"][index], truth[f"n_{key}"][index])
                for key in ("SSE", "SEI", "ct")
            ),
            W(truth["sigma_W_ohm_s_half"]),
        )
        np.testing.assert_allclose(spectrum.Z_ohm, circuit.impedance(spectrum.frequency_Hz), rtol=1e-12)
        # tau = (R Q)^(1/n) for the fixed CPE
        for key in ("SSE", "SEI", "ct"):
            rq = truth[f"R_{key}_ohm"][index] * truth[f"Q_{key}_S_s_n"][index]
            assert truth[f"tau_{key}_s"][index] == pytest.approx(
                rq ** (1 / truth[f"n_{key}"][index]), rel=1e-12
            )
    contexts = series.contexts
    assert all(b.time_s > a.time_s for a, b in itertools.pairwise(contexts))
    assert [c.current_mA < 0 for c in contexts] == [True] * 6 + [False] * 6  # lithiation is cathodic
    for context, time, s in zip(contexts, truth["time_s"], truth["state_of_lithiation"]):
        assert context.time_s == time
        passed_mAh = 0.2 * time / 3600.0  # lithiation, then delithiation from the full 3 mAh
        assert passed_mAh == pytest.approx(
            3.0 * s if context.current_mA < 0 else 3.0 + 3.0 * (1.0 - s), rel=1e-12
        )
    assert truth["state_of_lithiation"][0] == 0.0 and truth["state_of_lithiation"][-1] == pytest.approx(
        1 - 2.6 / 3.0
    )
    windows = truth["tau_windows_s"]
    for key in ("SSE", "SEI", "ct"):
        assert all(windows[key][0] <= tau <= windows[key][1] for tau in truth[f"tau_{key}_s"])
    R_SEI, R_ct = truth["R_SEI_ohm"], truth["R_ct_ohm"]
    assert all(b < a for a, b in itertools.pairwise(R_SEI[:6]))  # SEI resistance falls during lithiation
    assert R_ct[-1] == 150.0 and R_ct[-1] - R_ct[-2] > R_ct[7] - R_ct[6]  # charge transfer surges at the end


@pytest.mark.parametrize(("form", "numerator"), [("T/R", 1.0), ("1/R", 0.0)])
def test_temperature_series_follows_arrhenius_exactly(form, numerator):
    experiment = temperature_eis_series(Ea_kJ_mol=11.0, form=form, noise_pct=0.0)
    truth = experiment.truth
    T = np.asarray(truth["temperatures_C"]) + 273.15
    R_int = np.asarray(truth["R_interface_ohm"])
    slope, intercept = np.polyfit(1 / T, np.log(T**numerator / R_int), 1)
    assert -slope * GAS / 1e3 == pytest.approx(11.0, rel=1e-9)
    assert intercept == pytest.approx(truth["ln_prefactor"], rel=1e-9)
    assert truth["Ea_eV"] == pytest.approx(11.0 / 96.4853321, rel=1e-8)
    slope_bulk, _ = np.polyfit(1 / T, np.log(T**numerator / np.asarray(truth["R_bulk_ohm"])), 1)
    assert -slope_bulk * GAS / 1e3 == pytest.approx(truth["Ea_bulk_kJ_mol"], rel=1e-9)
    for index, spectrum in enumerate(experiment.data):
        assert spectrum.context.temperature_C == truth["temperatures_C"][index]
        circuit = Series(
            R(truth["R_bulk_ohm"][index]),
            ZARC(R_int[index], truth["tau_interface_s"][index], truth["n_interface"]),
        )
        np.testing.assert_allclose(spectrum.Z_ohm, circuit.impedance(spectrum.frequency_Hz), rtol=1e-12)
    area = experiment.cell.working_electrode.area_cm2
    np.testing.assert_allclose(truth["ASR_interface_ohm_cm2"], R_int * area / 2, rtol=1e-12)


def test_blocking_cell_gives_R_equals_L_over_sigma_S():
    experiment = blocking_cell_spectrum(sigma_S_cm=2e-4, thickness_um=150.0, area_cm2=2.0, noise_pct=0.0)
    R_bulk = 150e-4 / (2e-4 * 2.0)
    assert experiment.kind == "conductivity"
    assert experiment.truth["R_bulk_ohm"][0] == pytest.approx(R_bulk, rel=1e-12)
    spectrum = experiment.data[0]
    epsilon0_F_cm = physical_constants["vacuum electric permittivity"][0] / 100.0
    circuit = Series(Parallel(R(R_bulk), C(epsilon0_F_cm * 10.0 * 2.0 / 150e-4)), CPE(5e-6, 0.85))
    np.testing.assert_allclose(spectrum.Z_ohm, circuit.impedance(spectrum.frequency_Hz), rtol=1e-8)
    valley = np.argmax(spectrum.Z_imag_ohm)  # between the bulk arc and the blocking tail
    assert spectrum.Z_real_ohm[valley] == pytest.approx(R_bulk, rel=0.03)
    assert spectrum.Z_imag_ohm[-1] < -10 * R_bulk  # the blocking electrodes' capacitive tail
    assert experiment.cell.cell_type == "blocking" and experiment.cell.electrolyte.thickness_um == 150.0


def test_blocking_cell_conductivity_is_arrhenius_in_temperature():
    experiment = blocking_cell_spectrum(
        temperatures_C=[20.0, 40.0, 60.0, 80.0], Ea_kJ_mol=35.0, noise_pct=0.0
    )
    truth = experiment.truth
    T = np.asarray(truth["temperatures_C"]) + 273.15
    slope, intercept = np.polyfit(1 / T, np.log(truth["sigma_S_cm"]), 1)
    assert -slope * GAS / 1e3 == pytest.approx(35.0, rel=1e-9)
    assert math.exp(intercept) == pytest.approx(truth["prefactor_S_cm"], rel=1e-8)
    np.testing.assert_allclose(
        truth["R_bulk_ohm"],
        truth["thickness_um"] * 1e-4 / (np.asarray(truth["sigma_S_cm"]) * truth["area_cm2"]),
        rtol=1e-12,
    )
    assert [s.context.temperature_C for s in experiment.data] == truth["temperatures_C"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: eis_spectrum(noise_pct=-1.0), "noise_pct"),
        (lambda: eis_spectrum(system="graphite"), "system"),
        (lambda: eis_spectrum(frequency_min_Hz=1e7), "frequency_min_Hz"),
        (lambda: eis_spectrum(points_per_decade=0), "points_per_decade"),
        (lambda: insitu_eis_series(R_SEI_start_ohm=-5.0), "R_SEI_start_ohm"),
        (lambda: insitu_eis_series(delithiation_capacity_mAh=4.0), "delithiation_capacity_mAh"),
        (lambda: temperature_eis_series(temperatures_C=[25.0]), "temperatures_C"),
        (lambda: temperature_eis_series(R_interface_ohm=-1.0), "R_interface_ohm"),
        (lambda: temperature_eis_series(form="sigma"), "form"),
        (lambda: blocking_cell_spectrum(thickness_um=-5.0), "thickness_um"),
        (lambda: blocking_cell_spectrum(sigma_S_cm=0.0), "sigma_S_cm"),
    ],
)
def test_bad_parameters_raise_validation_errors_naming_them(call, field):
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.field == field


def test_insitu_resistances_follow_the_documented_laws():
    experiment = insitu_eis_series(
        noise_pct=0.0, spectra_per_half_cycle=4, R_bulk_ohm=20.0, R_SSE_start_ohm=18.0, R_SSE_ohm=15.0,
        R_SEI_start_ohm=64.0, R_SEI_lithiated_ohm=33.0, R_ct_start_ohm=120.0, R_ct_lithiated_ohm=25.0,
        R_ct_delithiated_ohm=150.0,
    )
    truth = experiment.truth
    s = np.array([0.0, 0.25, 0.5, 0.75])  # lithiation: s = 0, 1/N, ..., (N-1)/N
    r = np.array([0.25, 0.5, 0.75, 1.0])  # delithiation: r = 1/N, ..., 1
    sse_lith = 15.0 + 3.0 * np.exp(-s / 0.05)
    sei_lith = 33.0 + 31.0 * np.exp(-s / 0.3)
    ct_lith = 25.0 + 95.0 * (1.0 - s) ** 2
    sse_full, sei_full = 15.0 + 3.0 * np.exp(-20.0), 33.0 + 31.0 * np.exp(-1.0 / 0.3)
    np.testing.assert_allclose(truth["R_SSE_ohm"], np.r_[sse_lith, np.full(4, sse_full)], rtol=1e-12)
    np.testing.assert_allclose(truth["R_SEI_ohm"], np.r_[sei_lith, sei_full * (1 + 0.05 * r)], rtol=1e-12)
    np.testing.assert_allclose(truth["R_ct_ohm"], np.r_[ct_lith, 25.0 + 125.0 * r**4], rtol=1e-12)
    np.testing.assert_allclose(truth["state_of_lithiation"], np.r_[s, 1.0 - r * 2.6 / 3.0], rtol=1e-12)
    # the context voltage: the amorphous-Si OCV at 0.9 s plus the DC drop I (R_bulk + the arcs)
    soc = 0.9 * np.asarray(truth["state_of_lithiation"])
    ocv = 0.04 + 0.30 * (1 - soc) ** 1.3 + 0.35 * np.exp(-soc / 0.04)
    current_A = np.r_[np.full(4, -0.2e-3), np.full(4, 0.2e-3)]
    dc_ohm = 20.0 + np.asarray(truth["R_SSE_ohm"]) + np.asarray(truth["R_SEI_ohm"]) + np.asarray(truth["R_ct_ohm"])
    voltage = [spectrum.context.voltage_V for spectrum in experiment.data]
    np.testing.assert_allclose(voltage, ocv + current_A * dc_ohm, rtol=1e-12)
    assert [c.extras["half_cycle"] for c in experiment.data.contexts] == truth["half_cycle"]


@pytest.mark.parametrize("make", [lambda: temperature_eis_series(temperatures_C=(10.0, 30.0, 50.0)),
                                  lambda: blocking_cell_spectrum(temperatures_C=(10.0, 30.0, 50.0))])
def test_temperature_spectra_are_an_hour_apart_each_with_its_cell(make):
    experiment = make()
    assert [s.context.time_s for s in experiment.data] == [0.0, 3600.0, 7200.0]
    assert [s.cell.temperature_C for s in experiment.data] == [10.0, 30.0, 50.0]
    assert experiment.cell.temperature_C == 10.0 and experiment.data.cell is experiment.cell


def test_the_presets_are_importable_from_the_instruments_module():
    from anodelab.sim.virtual import impedance, impedance_systems

    for name in ("SYSTEMS", "si_sulfide_cell", "si_c_liquid_cell", "li_llzto_cell", "na_symmetric_cell",
                 "blocking_cell", "si_sulfide_circuit", "symmetric_cell_circuit"):
        assert getattr(impedance, name) is getattr(impedance_systems, name)
    circuit, cell = impedance_systems.preset("li-llzto", 40.0)
    assert cell.temperature_C == 40.0 and cell.cell_type == "symmetric"
    # paper 001: a 1 mm LLZTO pellet, ASR 12 ohm cm2 per interface on 0.5 cm2 -> 2 x 12 / 0.5 = 48 ohm
    assert circuit.parameters["R0.R_ohm"] == 250.0 and circuit.parameters["Zarc1.R_ohm"] == 2 * 12.0 / 0.5
