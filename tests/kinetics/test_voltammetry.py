"""Voltammetry against ground truth: the virtual lab's CVs, LSVs and plating CVs (known peaks, scan
rates, onsets), a finite-difference simulation of a reversible diffusion-controlled CV (the textbook
peak potentials and separation) and the Randles-Sevcik closed form (D back from the peak currents)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.constants import FARADAY_C_MOL, GAS_CONSTANT_J_MOL_K
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.kinetics.voltammetry import (
    RandlesSevcik,
    Voltammogram,
    randles_sevcik,
    voltammetry,
)
from anodelab.sim.virtual import alloy_half_cell
from anodelab.sim.virtual.voltammetry import (
    cyclic_voltammogram,
    linear_sweep,
    plating_voltammogram,
    redox_couple,
)

T_K = 298.15
THERMAL_V = GAS_CONSTANT_J_MOL_K * T_K / FARADAY_C_MOL


def reversible_cv(scan_rate_V_s: float, *, D_cm2_s: float = 1e-5, C_mol_L: float = 1e-3, area_cm2: float = 1.0,
                  E0_V: float = 0.0, span_V: float = 0.3, step_V: float = 2e-4) -> Record:
    """O + e- = R, reversible, semi-infinite linear diffusion (D_O = D_R), bulk O only: explicit finite
    differences (lambda = 0.45) from E0 + span down to E0 - span and back; cathodic current < 0."""
    f = 1.0 / THERMAL_V
    bulk = C_mol_L * 1e-3  # mol/cm3
    potential = np.r_[np.arange(E0_V + span_V, E0_V - span_V, -step_V), np.arange(E0_V - span_V, E0_V + span_V + step_V / 2, step_V)]
    dt = step_V / scan_rate_V_s
    dx = math.sqrt(D_cm2_s * dt / 0.45)
    concentration = np.full(int(6 * math.sqrt(D_cm2_s * dt * potential.size) / dx) + 3, bulk)
    current = np.empty(potential.size)
    for k, E in enumerate(potential):
        theta = math.exp(f * (E - E0_V))
        concentration[0] = bulk * theta / (1 + theta)
        gradient = (-3 * concentration[0] + 4 * concentration[1] - concentration[2]) / (2 * dx)
        current[k] = -FARADAY_C_MOL * area_cm2 * D_cm2_s * gradient * 1e3  # mA
        concentration[1:-1] += 0.45 * (concentration[2:] - 2 * concentration[1:-1] + concentration[:-2])
    return Record.from_columns({"time_s": np.arange(potential.size) * dt, "voltage_V": potential, "current_mA": current})


def randles_sevcik_mA(scan_rate_V_s: float, *, D_cm2_s: float = 1e-5, C_mol_L: float = 1e-3, area_cm2: float = 1.0) -> float:
    """The closed form: I_p = 0.4463 n F A C sqrt(n F nu D / R T), n = 1 (mA)."""
    return 0.4463 * FARADAY_C_MOL * area_cm2 * C_mol_L * 1e-3 * math.sqrt(scan_rate_V_s * D_cm2_s / THERMAL_V) * 1e3


def sech2_current_mA(truth: dict, E: float, direction: str, cycle: int) -> float:
    """The virtual CV's faradaic current of every active peak of ``direction`` at ``E`` (its closed form)."""
    nu = truth["scan_rate_mV_s"] / 1e3
    total = 0.0
    for peak in truth["peaks"]:
        if peak["direction"] == direction and cycle in peak["cycles"]:
            height = peak["charge_mC"] * nu / (4 * peak["width_V"])
            total += height / math.cosh((E - peak["potential_V"]) / (2 * peak["width_V"])) ** 2
    return -total if direction == "reduction" else total


@pytest.fixture(scope="module")
def si_cv():
    experiment = cyclic_voltammogram()
    return experiment, voltammetry(experiment.data)


@pytest.fixture(scope="module")
def diffusion_cvs():
    return {nu: voltammetry(reversible_cv(nu)) for nu in (0.005, 0.02, 0.05, 0.2)}


# -- sweeps, scan rates, cycles -------------------------------------------------------------------------------


def test_si_cv_sweeps_scan_rates_and_cycles(si_cv):
    experiment, result = si_cv
    assert result.technique == "cv"
    assert [s["cycle"] for s in result.segments] == [1, 1, 2, 2, 3, 3]
    assert [s["direction"] for s in result.segments] == ["cathodic", "anodic"] * 3
    for sweep in result.segments:
        assert sweep["scan_rate_mV_s"] == pytest.approx(experiment.truth["scan_rate_mV_s"], rel=1e-3)
        assert sweep["scan_rate_source"] == "fit"
        assert {round(sweep["start_V"], 6), round(sweep["end_V"], 6)} == {0.005, 1.5}
    assert result.scan_rate_mV_s == pytest.approx(0.2, rel=1e-3)


def test_the_file_cycle_column_is_not_trusted():
    experiment = cyclic_voltammogram(n_cycles=2)
    columns = dict(experiment.data.columns)
    columns["step"] = np.ones(len(experiment.data), dtype=int)  # one instrument step, one "cycle"
    result = voltammetry(Record.from_columns({k: columns[k] for k in ("time_s", "voltage_V", "current_mA", "step")}))
    assert [s["cycle"] for s in result.segments] == [1, 1, 2, 2]


@pytest.mark.parametrize("stair_mV", [2.0, 5.0])
def test_scan_rate_of_a_staircase(stair_mV):
    experiment = cyclic_voltammogram(scan_rate_mV_s=1.0, step_mV=1.0, n_cycles=2)
    columns = experiment.data.columns
    stairs = np.round(columns["voltage_V"] / (stair_mV / 1e3)) * stair_mV / 1e3  # each level held for several samples
    record = Record.from_columns({"time_s": columns["time_s"], "voltage_V": stairs, "current_mA": columns["current_mA"]})
    result = voltammetry(record)
    assert len(result.segments) == 4
    for sweep in result.segments:
        assert sweep["scan_rate_mV_s"] == pytest.approx(1.0, rel=0.01)
    dealloying = [p["E_peak_V"] for p in result.peaks if p["direction"] == "oxidation"]
    assert min(abs(np.array(dealloying) - 0.331238)) <= stair_mV / 1e3


def test_scan_rate_with_times_stored_to_three_digits():
    """Times written with 3 significant digits (rows every 2 s): 1 s resolution from 100 s, 10 s from 1000 s."""
    experiment = cyclic_voltammogram(scan_rate_mV_s=1.0, step_mV=2.0, n_cycles=2)
    columns = experiment.data.columns
    coarse = np.array([float(f"{t:.3g}") for t in columns["time_s"]])
    assert np.diff(coarse).max() >= 10.0
    record = Record.from_columns({"time_s": coarse, "voltage_V": columns["voltage_V"], "current_mA": columns["current_mA"]})
    for sweep in voltammetry(record).segments:
        assert sweep["scan_rate_mV_s"] == pytest.approx(1.0, rel=0.01)


def test_a_galvanostatic_step_before_the_sweeps_is_left_out():
    """As in 'LSV from OCV' files: a constant-current discharge from 2.5 V (not linear in time) runs into
    the first sweep; the sweep starts where the programmed rate begins."""
    experiment = cyclic_voltammogram(n_cycles=1)
    columns = experiment.data.columns
    t_cc = np.linspace(0.0, 4000.0, 400)
    E_cc = 1.5 + 1.0 * np.exp(-t_cc / 800.0)  # relaxes towards 1.5 V
    E_cc = E_cc - (E_cc[-1] - 1.5) - 0.0
    record = Record.from_columns({
        "time_s": np.r_[t_cc, columns["time_s"][1:] + t_cc[-1]],
        "voltage_V": np.r_[E_cc, columns["voltage_V"][1:]],
        "current_mA": np.r_[np.full(t_cc.size, -0.05), columns["current_mA"][1:]],
    })
    result = voltammetry(record)
    first = result.segments[0]
    assert first["direction"] == "cathodic" and first["start_V"] <= 1.5 + 0.01
    assert first["scan_rate_mV_s"] == pytest.approx(0.2, rel=1e-3)
    assert any("not swept at the sweep's rate, left out" in w for w in result.warnings)


def test_without_time_the_programmed_rate_is_used():
    experiment = cyclic_voltammogram(n_cycles=1)
    columns = experiment.data.columns
    record = Record.from_columns({"voltage_V": columns["voltage_V"], "current_mA": columns["current_mA"]})
    unknown = voltammetry(record)
    assert unknown.scan_rate_mV_s is None and all(s["scan_rate_source"] == "none" for s in unknown.segments)
    assert np.isnan(unknown.curve["dQdV_mAh_V"]).all()
    assert any("no time column" in w for w in unknown.warnings)
    given = voltammetry(record, scan_rate_mV_s=0.2)
    assert [s["scan_rate_source"] for s in given.segments] == ["given", "given"]
    assert [s["scan_rate_mV_s"] for s in given.segments] == [0.2, 0.2]
    # with time, a programmed rate that the data contradict is named
    off = voltammetry(experiment.data, scan_rate_mV_s=0.25)
    assert any("differ from the programmed 0.25 mV/s" in w for w in off.warnings)


# -- peaks, baselines, couples ----------------------------------------------------------------------------------


def test_si_cv_peaks_at_the_known_potentials_and_currents(si_cv):
    experiment, result = si_cv
    step = 2e-3
    for truth in experiment.truth["peaks"]:
        for cycle in truth["cycles"]:
            found = [p for p in result.peaks if p["cycle"] == cycle and p["direction"] == truth["direction"]
                     and abs(p["E_peak_V"] - truth["observed_peak_V"]) <= step]
            assert len(found) == 1, (truth["label"], cycle)
            peak = found[0]
            # the extrapolated capacitive baseline is C nu: I_peak is the faradaic current of all the
            # sweep's peaks at E_p (closed form), to 3 % (a baseline window on a neighbour's sech^2 tail,
            # which decays only as exp(-|E - E_k| / w), tilts the line by up to 2 %)
            expected = sech2_current_mA(experiment.truth, peak["E_peak_V"], truth["direction"], cycle)
            assert peak["I_peak_mA"] == pytest.approx(expected, rel=0.03), (truth["label"], cycle)
            assert peak["I_measured_mA"] - peak["baseline_mA"] == pytest.approx(peak["I_peak_mA"])
    assert len(result.peaks) == sum(len(t["cycles"]) for t in experiment.truth["peaks"])


def test_first_cycle_only_peaks_are_not_paired(si_cv):
    experiment, result = si_cv
    sei = [p for p in result.peaks if abs(p["E_peak_V"] - 0.8) < 0.01]
    assert len(sei) == 1 and sei[0]["recurs"] is False and sei[0]["baseline_side"].startswith("next cycle")
    assert sei[0]["peak"] not in {c["reduction_peak"] for c in result.couples}
    # cycles 2 and 3: a-Si alloying 1 (0.20 V) with dealloying 1 (0.33 V), the closest pair
    later = [c for c in result.couples if c["cycle"] >= 2]
    assert len(later) == 2
    observed = {t["label"]: t["observed_peak_V"] for t in experiment.truth["peaks"]}
    for couple in later:
        assert couple["dE_p_mV"] == pytest.approx(1e3 * (observed["dealloying 1"] - observed["a-Si alloying 1"]), abs=1.0)


def test_redox_couples_separation_and_half_wave_potential():
    peaks = (*redox_couple(0.6, separation_V=0.08, charge_mC=300.0, width_V=0.025),
             *redox_couple(1.1, separation_V=0.15, charge_mC=200.0, width_V=0.03))
    experiment = cyclic_voltammogram(peaks=peaks, vertex_low_V=0.2, vertex_high_V=1.5, n_cycles=2, scan_rate_mV_s=1.0)
    result = voltammetry(experiment.data)
    assert len(result.couples) == 4
    for couple in result.couples:
        E0, separation = (0.6, 0.08) if couple["E_half_V"] < 0.85 else (1.1, 0.15)
        assert couple["dE_p_mV"] == pytest.approx(1e3 * separation, abs=2.0)  # the 2 mV sampling step
        assert couple["E_half_V"] == pytest.approx(E0, abs=1e-3)
        assert couple["I_pa_mA"] == pytest.approx(-couple["I_pc_mA"], rel=0.02)


def test_noise_leaves_the_large_peaks_within_two_steps():
    experiment = cyclic_voltammogram(noise_uA=5.0, seed=3)
    result = voltammetry(experiment.data)
    for truth in experiment.truth["peaks"]:
        if abs(truth["peak_current_mA"]) < 1.0:
            continue
        for cycle in truth["cycles"]:
            found = [p for p in result.peaks if p["cycle"] == cycle and p["direction"] == truth["direction"]]
            assert min(abs(p["E_peak_V"] - truth["observed_peak_V"]) for p in found) <= 4e-3


def test_plating_cv_stripping_peaks():
    experiment = plating_voltammogram()
    result = voltammetry(experiment.data)
    assert [s["cycle"] for s in result.segments] == [1, 1, 2, 2, 3, 3]
    for sweep in result.segments:
        assert sweep["scan_rate_mV_s"] == pytest.approx(1.0, rel=1e-3)
    for cycle, truth in enumerate(experiment.truth["cycles"], start=1):
        oxidation = [p for p in result.peaks if p["cycle"] == cycle and p["direction"] == "oxidation"]
        assert len(oxidation) == 1
        assert oxidation[0]["E_peak_V"] == pytest.approx(truth["stripping_peak_V"], abs=1e-3)
        # the stripping current above the double-layer baseline (C nu = 2e-5 mA)
        assert oxidation[0]["I_peak_mA"] == pytest.approx(truth["stripping_peak_mA"], rel=0.01)


# -- diffusion: the textbook reversible CV and Randles-Sevcik ------------------------------------------------------


def test_finite_difference_cv_matches_the_closed_form():
    """The simulation used below is itself right: its peak current is Randles-Sevcik's to 0.1 %."""
    record = reversible_cv(0.05)
    assert -record["current_mA"].min() == pytest.approx(randles_sevcik_mA(0.05), rel=1e-3)


def test_reversible_cv_peak_potentials_and_separation(diffusion_cvs):
    for nu, result in diffusion_cvs.items():
        reduction = [p for p in result.peaks if p["direction"] == "reduction"]
        oxidation = [p for p in result.peaks if p["direction"] == "oxidation"]
        assert len(reduction) == len(oxidation) == 1
        # E_pc = E1/2 - 1.109 RT/F (Nicholson & Shain), to the 0.2 mV step and the simulation's grid
        assert reduction[0]["E_peak_V"] == pytest.approx(-1.109 * THERMAL_V, abs=3e-4)
        couple = result.couples[0]
        # switching 300 mV past E1/2: dE_p = 57.8 mV (Nicholson 1965: 57.8 at 271.5 mV, 57.0 at infinity)
        assert couple["dE_p_mV"] == pytest.approx(57.6, abs=0.6)
        assert couple["E_half_V"] == pytest.approx(0.0, abs=5e-4)  # the simulation's own: 0.3 mV
        # the first sweep's baseline is the zero current before the wave: I_peak is Randles-Sevcik's
        assert reduction[0]["I_peak_mA"] == pytest.approx(-randles_sevcik_mA(nu), rel=2e-3)


def test_randles_sevcik_recovers_D(diffusion_cvs):
    result = randles_sevcik(list(diffusion_cvs.values()), concentration_mol_L=1e-3, area_cm2=1.0, T_K=T_K)
    assert isinstance(result, RandlesSevcik)
    assert result.D_cm2_s is not None and result.D_cm2_s.unit == "cm2/s"
    assert result.D_cm2_s.value == pytest.approx(1e-5, rel=0.01)
    assert result.exponent.value == pytest.approx(0.5, abs=0.01)
    assert result.r2 > 0.9999
    assert not result.warnings
    assert [p["scan_rate_mV_s"] for p in result.points] == pytest.approx([5.0, 20.0, 50.0, 200.0], rel=1e-3)
    names = [m.name for m in result.metrics()]
    assert names[:3] == ["D", "slope", "intercept"]
    json.dumps(result.to_dict())


def test_randles_sevcik_irreversible_form_scales_as_the_closed_forms(diffusion_cvs):
    results = list(diffusion_cvs.values())
    reversible = randles_sevcik(results, concentration_mol_L=1e-3, area_cm2=1.0).D_cm2_s
    irreversible = randles_sevcik(results, concentration_mol_L=1e-3, area_cm2=1.0, alpha=0.5).D_cm2_s
    # same slope: 0.4463^2 n / (RT/F) = 0.4958^2 alpha / (RT/F) x D_irr / D_rev
    assert irreversible.value == pytest.approx(reversible.value * (0.4463 / 0.4958) ** 2 / 0.5, rel=1e-9)


def test_randles_sevcik_refuses_one_scan_rate(diffusion_cvs):
    one = diffusion_cvs[0.05]
    with pytest.raises(NotApplicableError, match="at least two scan rates"):
        randles_sevcik([one])
    with pytest.raises(NotApplicableError, match="at least two scan rates"):
        randles_sevcik([one, voltammetry(reversible_cv(0.0502))])  # within 1 %: one rate
    two = randles_sevcik([one, diffusion_cvs[0.2]])
    assert two.slope_mA_s_V.stderr is None and any("two scan rates" in w for w in two.warnings)
    with pytest.raises(ValidationError):
        randles_sevcik([one, diffusion_cvs[0.2]], direction="sideways")
    with pytest.raises(ValidationError):
        randles_sevcik(["not a result", one])


def test_randles_sevcik_flags_a_surface_confined_peak():
    """Thin-layer peaks (the virtual CV) grow as nu, not sqrt(nu): b = 1, flagged, no D without C."""
    results = [voltammetry(cyclic_voltammogram(scan_rate_mV_s=rate, n_cycles=1).data) for rate in (0.1, 0.2, 0.5)]
    result = randles_sevcik(results, direction="oxidation", near_V=0.33)
    assert result.exponent.value == pytest.approx(1.0, abs=0.02)
    assert result.D_cm2_s is None
    assert any("not diffusion-controlled" in w for w in result.warnings)
    assert any("no concentration: D is not computed" in w for w in result.warnings)


# -- LSV: dI/dV onsets ----------------------------------------------------------------------------------------------


def test_lsv_onsets_at_the_dIdV_maxima():
    experiment = linear_sweep()
    result = voltammetry(experiment.data)
    assert result.technique == "lsv" and len(result.segments) == 1
    assert result.segments[0]["scan_rate_mV_s"] == pytest.approx(0.5, rel=1e-3)
    assert not result.peaks  # the waves saturate: no current peak
    onsets = sorted(o["E_onset_V"] for o in result.onsets)
    assert onsets == pytest.approx(sorted(experiment.truth["dIdV_peak_V"]), abs=1e-3)  # the 1 mV step
    heights = {round(o["E_onset_V"], 1): o["dIdV_mA_V"] for o in result.onsets}
    for E, height in zip(experiment.truth["onsets_V"], experiment.truth["dIdV_peak_mA_V"]):
        assert heights[round(E, 1)] == pytest.approx(height, rel=0.03)  # smoothed over 30 mV, w = 20-25 mV
    # dQ/dV of a cathodic sweep: |I| / (dE/dt), negative
    curve = result.curve
    expected = np.abs(curve["current_mA"]) / (3.6e3 * -0.5e-3)
    np.testing.assert_allclose(curve["dQdV_mAh_V"], expected, rtol=1e-3)


def test_noisy_lsv_onsets():
    experiment = linear_sweep(noise_uA=0.5, seed=1)
    result = voltammetry(experiment.data)
    assert not result.peaks
    assert sorted(o["E_onset_V"] for o in result.onsets) == pytest.approx(sorted(experiment.truth["dIdV_peak_V"]), abs=0.01)


def test_onsets_on_every_sweep_on_request(si_cv):
    experiment, _ = si_cv
    every = voltammetry(experiment.data, onsets="all")
    assert {o["segment"] for o in every.onsets} > {1}


# -- the result -------------------------------------------------------------------------------------------------------


def test_result_metrics_content_and_tables(si_cv):
    _, result = si_cv
    assert isinstance(result, Voltammogram)
    metrics = result.metrics()
    assert metrics[0].name == "scan_rate" and metrics[0].index_name is None and metrics[0].unit == "mV/s"
    peak_metrics = [m for m in metrics if m.index_name == "peak"]
    assert {m.name for m in peak_metrics} == {"E_peak", "I_peak", "j_peak"}  # the virtual cell has an area
    assert len(peak_metrics) == 3 * len(result.peaks)
    assert all(m.definition for m in metrics)
    assert [m.value for m in metrics if m.name == "dE_p"] == [c["dE_p_mV"] for c in result.couples]
    document = json.loads(json.dumps(result.to_dict()))
    assert document["kind"] == "voltammetry" and document["technique"] == "cv"
    assert all("scan_rate_mV_s" in s for s in document["segments"])
    assert all({"E_peak_V", "I_peak_mA"} <= set(p) for p in document["peaks"])
    assert all("dE_p_mV" in c for c in document["couples"])
    assert document["parameters"]["reversal_mV"] == 10.0 and document["parameters"]["onsets"] == "first"
    for name, table in result.tables().items():
        lengths = {np.size(column) for column in table.values()}
        assert len(lengths) == 1, name
    assert result.tables()["curve"]["segment"].size == result.curve["potential_V"].size
    assert "cv: 6 sweeps at 0.2 mV/s" in result.headline()
    assert any("no electrode area" in w for w in result.warnings) is False  # the virtual cell has an area


def test_current_densities_with_an_area_and_a_warning_without():
    experiment = cyclic_voltammogram(n_cycles=1)
    area = experiment.cell.working_electrode.area_cm2
    with_area = voltammetry(experiment.data)
    for peak in with_area.peaks:
        assert peak["j_peak_mA_cm2"] == pytest.approx(peak["I_peak_mA"] / area)
    bare = voltammetry(experiment.data.with_cell(None))
    assert all("j_peak_mA_cm2" not in p for p in bare.peaks)
    assert any("no electrode area" in w for w in bare.warnings)
    other = voltammetry(experiment.data, CellInfo(cell_type="anode-half", working_electrode=Electrode(area_cm2=2.0)))
    assert other.peaks[0]["j_peak_mA_cm2"] == pytest.approx(other.peaks[0]["I_peak_mA"] / 2.0)


def test_what_is_not_a_voltammogram():
    with pytest.raises(NotApplicableError, match="no potential sweep"):
        voltammetry(alloy_half_cell(n_cycles=2).data)  # galvanostatic cycling: never linear in time
    experiment = cyclic_voltammogram(n_cycles=1)
    columns = experiment.data.columns
    with pytest.raises(NotApplicableError, match="no current column"):
        voltammetry(Record.from_columns({"time_s": columns["time_s"], "voltage_V": columns["voltage_V"]}))
    with pytest.raises(NotApplicableError, match="needs a Record"):
        voltammetry(experiment.truth)
    for option in ({"reversal_mV": 0}, {"min_prominence": 1.5}, {"onsets": "some"}, {"scan_rate_mV_s": -1.0},
                   {"smooth_mV": float("nan")}):
        with pytest.raises(ValidationError):
            voltammetry(experiment.data, **option)
