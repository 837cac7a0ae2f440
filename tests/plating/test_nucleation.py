"""Nucleation overpotential against the closed-form first-plating curve of sim.virtual.metal.first_plating:
exact to the sampling step, the same at 1 s and 60 s sampling and with 1 mV noise, an under-sampled tip
flagged, areal quantities with and without an area, files read back, bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.plating.nucleation import nucleation_overpotential
from anodelab.sim.virtual import (
    alloy_half_cell,
    eis_spectrum,
    first_plating,
    symmetric_cycling,
)
from anodelab.sim.virtual.writers import write_csv, write_mpt

DURATION_S = 7200.0  # first_plating's default: 1 mAh/cm2 at 0.5 mA/cm2


def model_V(t_s, truth):
    """The generator's voltage (its docstring's closed form) at times into the step."""
    q = np.asarray(t_s, dtype=float) * truth["current_density_mA_cm2"] / 3600.0
    q_tip, q_rec = truth["tip_capacity_mAh_cm2"], truth["recovery_capacity_mAh_cm2"]
    eta_t, eta_p, ocv = truth["tip_overpotential_V"], truth["plateau_overpotential_V"], truth["ocv_V"]
    s = np.minimum(q / q_tip, 1.0)
    falling = -eta_t + (ocv + eta_t) * (1.0 - s) ** 2 * np.exp(-5.0 * s)
    return np.where(q <= q_tip, falling, -eta_p - (eta_t - eta_p) * np.exp(-(((q - q_tip) / q_rec) ** 2)))


def sampling_step_V(truth, dt_s):
    """How far the voltage moves within one sampling interval of the tip: 'exact to the sampling step'."""
    t = truth["tip_time_s"]
    return float(np.max(np.abs(model_V([t - dt_s, t + dt_s], truth) - truth["tip_V"])))


def check_against_truth(result, truth, dt_s, sigmas=4.0, largest_stderr_V=1e-3):
    """Tip, plateau, nucleation within the sampling step plus `sigmas` standard errors (each stated error
    itself small) plus 0.01 mV (the fit's model error on clean data), in the magnitudes (mV) reported;
    the tip's time where the model voltage lies within that tolerance of the tip."""
    assert result.tip == "resolved", result.warnings
    step = sampling_step_V(truth, dt_s)
    assert result.tip_stderr_V < largest_stderr_V and result.plateau_stderr_V < largest_stderr_V
    tip_tolerance_V = step + sigmas * result.tip_stderr_V + 1e-5
    assert abs(result.tip_V - truth["tip_V"]) <= tip_tolerance_V
    assert abs(result.plateau_V - truth["plateau_V"]) <= sigmas * result.plateau_stderr_V + 2e-5
    expected_mV = 1e3 * truth["nucleation_overpotential_V"]
    tolerance_mV = 1e3 * step + sigmas * result.eta_nucleation_stderr_mV + 0.02
    assert result.eta_nucleation_mV == pytest.approx(expected_mV, abs=tolerance_mV)
    assert result.eta_tip_mV == pytest.approx(-1e3 * truth["tip_V"], abs=1e3 * tip_tolerance_V)
    assert result.eta_plateau_mV == pytest.approx(-1e3 * truth["plateau_V"], abs=0.05)
    grid = np.linspace(0.0, 3.0 * truth["tip_time_s"], 30001)
    consistent = grid[np.abs(model_V(grid, truth) - truth["tip_V"]) <= tip_tolerance_V]
    assert consistent.min() - dt_s <= result.tip_time_s <= consistent.max() + dt_s


def test_default_cell_exact_to_the_sampling_step():
    experiment = first_plating()
    result = nucleation_overpotential(experiment.data)
    check_against_truth(result, experiment.truth, DURATION_S / 600)
    assert result.eta_nucleation_mV == pytest.approx(13.4, abs=0.3)
    assert result.to_dict()["eta_nucleation_mV"] == result.eta_nucleation_mV
    assert [m.name for m in result.metrics()][:3] == ["eta_nucleation", "eta_tip", "eta_plateau"]
    assert result.warnings == ()


@pytest.mark.parametrize("interval_s", [1.0, 60.0])
@pytest.mark.parametrize("noise_V", [0.0, 0.0001])
def test_1_s_and_60_s_sampling_agree(interval_s, noise_V):
    experiment = first_plating(samples_per_half_cycle=round(DURATION_S / interval_s), noise_V=noise_V, seed=3)
    result = nucleation_overpotential(experiment.data)
    check_against_truth(result, experiment.truth, interval_s)
    assert result.sampling_interval_s == pytest.approx(interval_s, rel=1e-6)


def test_dense_and_sparse_give_the_same_answer():
    dense = nucleation_overpotential(first_plating(samples_per_half_cycle=7200, seed=1).data)
    sparse_experiment = first_plating(samples_per_half_cycle=120, seed=1)
    sparse = nucleation_overpotential(sparse_experiment.data)
    step_mV = 1e3 * sampling_step_V(sparse_experiment.truth, 60.0)
    assert abs(dense.eta_nucleation_mV - sparse.eta_nucleation_mV) <= step_mV
    assert abs(dense.eta_plateau_mV - sparse.eta_plateau_mV) <= 0.05


@pytest.mark.parametrize("samples", [7200, 600])
def test_1_mV_noise_within_stated_errors_and_better_than_the_raw_minimum(samples):
    experiment = first_plating(samples_per_half_cycle=samples, noise_V=0.001, seed=5)
    result = nucleation_overpotential(experiment.data)
    check_against_truth(result, experiment.truth, DURATION_S / samples, largest_stderr_V=2e-3)
    assert 0.7e-3 < result.noise_V < 1.3e-3  # the noise it measured is the noise put in
    raw_error = abs(float(np.min(experiment.data["voltage_V"])) - experiment.truth["tip_V"])
    assert abs(result.tip_V - experiment.truth["tip_V"]) < raw_error  # noise biases the raw minimum low
    assert raw_error > 1e-3


@pytest.mark.parametrize("options", [
    {"tip_overpotential_V": 0.050, "plateau_overpotential_V": 0.010, "tip_capacity_mAh_cm2": 0.05},
    {"current_density_mA_cm2": 2.0, "tip_overpotential_V": 0.080, "plateau_overpotential_V": 0.045, "ocv_V": 2.5,
     "recovery_capacity_mAh_cm2": 0.05, "samples_per_half_cycle": 2000},
    {"metal": "Li", "substrate": "Cu", "tip_overpotential_V": 0.012, "plateau_overpotential_V": 0.009,
     "noise_V": 0.0002, "seed": 11},
])
def test_other_cells(options):
    experiment = first_plating(**options)
    truth = experiment.truth
    dt_s = truth["areal_capacity_mAh_cm2"] * 3600.0 / truth["current_density_mA_cm2"] / truth["samples_per_half_cycle"]
    check_against_truth(nucleation_overpotential(experiment.data), truth, dt_s)


@pytest.mark.parametrize("samples", [20, 60])
def test_under_sampled_tip_is_flagged_with_lower_bounds_only(samples):
    experiment = first_plating(samples_per_half_cycle=samples)
    result = nucleation_overpotential(experiment.data)
    assert result.tip == "under-sampled" and not result.tip_resolved
    assert result.eta_nucleation_mV is None and result.eta_tip_mV is None
    assert any("under-sampled" in w for w in result.warnings)
    truth_mV = 1e3 * experiment.truth["nucleation_overpotential_V"]
    assert 0 <= result.eta_nucleation_lower_bound_mV <= truth_mV
    assert result.eta_tip_lower_bound_mV <= -1e3 * experiment.truth["tip_V"]
    names = [m.name for m in result.metrics()]
    assert "eta_nucleation" not in names and "eta_nucleation_lower_bound" in names
    data = result.to_dict()
    assert data["eta_nucleation_mV"] is None and data["eta_nucleation_lower_bound_mV"] is not None
    assert "under-sampled" in result.headline()


def test_areal_quantities_with_and_without_an_area():
    experiment = first_plating()
    truth = experiment.truth
    with_area = nucleation_overpotential(experiment.data)
    charge_per_step = truth["current_density_mA_cm2"] * (DURATION_S / 600) / 3600.0
    assert with_area.to_dict()["tip_capacity_mAh_cm2"] == pytest.approx(truth["tip_capacity_mAh_cm2"], abs=charge_per_step)
    assert with_area.to_dict()["current_mA_cm2"] == pytest.approx(truth["current_density_mA_cm2"])
    assert {m.unit for m in with_area.metrics() if m.name.startswith(("tip", "areal"))} == {"mAh/cm2", "mA/cm2"}
    bare = nucleation_overpotential(experiment.data.with_cell(None))
    assert any("area" in w for w in bare.warnings)
    assert bare.to_dict()["tip_capacity_mAh_cm2"] is None
    assert bare.to_dict()["tip_capacity_mAh"] == pytest.approx(truth["tip_capacity_mAh"], abs=charge_per_step * 1.13)
    metric = {m.name: m for m in bare.metrics()}
    assert metric["tip_capacity"].unit == "mAh" and metric["current"].value == pytest.approx(-truth["current_mA"])
    assert bare.eta_nucleation_mV == with_area.eta_nucleation_mV


@pytest.mark.parametrize("writer", [write_mpt, write_csv])
def test_file_read_back_gives_the_in_memory_answer(tmp_path, writer):
    experiment = first_plating(noise_V=0.0003, seed=2)
    path = writer(experiment.data, tmp_path / ("nucleation." + ("mpt" if writer is write_mpt else "csv")))
    from_file = nucleation_overpotential(anodelab.read(path), experiment.cell)
    in_memory = nucleation_overpotential(experiment.data)
    assert from_file.eta_nucleation_mV == pytest.approx(in_memory.eta_nucleation_mV, abs=1e-9)
    assert from_file.eta_plateau_mV == pytest.approx(in_memory.eta_plateau_mV, abs=1e-9)


def test_json_is_strict_and_carries_the_fields():
    data = nucleation_overpotential(first_plating().data).to_dict()
    text = json.dumps(data, allow_nan=False)
    for key in ("eta_nucleation_mV", "eta_tip_mV", "eta_plateau_mV", "tip_capacity_mAh_cm2", "noise_mV"):
        assert key in data
    assert json.loads(text)["parameters"]["plating_index"] == 1


def test_curve_table_keeps_the_dip_whole():
    experiment = first_plating(samples_per_half_cycle=7200)
    result = nucleation_overpotential(experiment.data)
    curve = result.tables()["curve"]
    assert len({len(column) for column in curve.values()}) == 1
    near_tip = np.abs(curve["time_s"] - experiment.truth["tip_time_s"]) <= 100.0
    assert near_tip.sum() >= 200  # every 1-s reading around the tip kept
    assert float(np.min(curve["voltage_V"])) == float(np.min(experiment.data["voltage_V"]))
    assert curve["time_s"][0] == 0.0 and curve["voltage_V"][0] == experiment.data["voltage_V"][0]


def test_flat_plating_has_no_dip_and_an_upper_bound():
    record = symmetric_cycling(n_cycles=2, short_time_s=None, samples_per_half_cycle=200).data.with_cell(None)
    result = nucleation_overpotential(record)
    assert result.tip == "no-dip" and result.eta_nucleation_mV is None
    assert 0 < result.eta_nucleation_upper_bound_mV < 2.0
    assert result.eta_plateau_mV == pytest.approx(13.0, abs=0.1)


def test_not_applicable_to_other_experiments():
    with pytest.raises(NotApplicableError, match="insertion or alloying"):
        nucleation_overpotential(alloy_half_cell(n_cycles=2).data.with_cell(None))
    with pytest.raises(NotApplicableError, match="no bare substrate"):
        nucleation_overpotential(symmetric_cycling(n_cycles=2, short_time_s=None).data)
    with pytest.raises(NotApplicableError, match="needs a plating Record.*impedance spectra"):
        nucleation_overpotential(eis_spectrum().data)
    stripping_only = first_plating().data
    columns = {name: stripping_only[name] for name in ("time_s", "voltage_V", "current_mA")}
    columns["current_mA"] = -columns["current_mA"]
    with pytest.raises(NotApplicableError, match="no constant-current plating step"):
        nucleation_overpotential(anodelab.Record.from_columns(columns))
    with pytest.raises(NotApplicableError, match="plating_index=2"):
        nucleation_overpotential(first_plating().data, plating_index=2)
    with pytest.raises(ValidationError, match="plating_index"):
        nucleation_overpotential(first_plating().data, plating_index=0)


def test_falling_to_the_end_is_no_dip():
    experiment = first_plating()
    record = experiment.data
    t = record["time_s"]
    columns = {"time_s": t, "current_mA": record["current_mA"], "voltage_V": 1.0 - 1.1 * t / t[-1]}
    columns["voltage_V"] = np.minimum(columns["voltage_V"], 0.5)
    with pytest.raises(NotApplicableError, match="lowest at its end"):
        nucleation_overpotential(anodelab.Record.from_columns(columns))


def test_open_circuit_rest_before_the_plating_changes_nothing():
    experiment = first_plating(seed=4)
    record = experiment.data
    rest_s = np.arange(0.0, 600.0, 10.0)
    columns = {
        "time_s": np.r_[rest_s, record["time_s"] + 600.0],
        "voltage_V": np.r_[np.full(rest_s.size, record["voltage_V"][0]), record["voltage_V"]],
        "current_mA": np.r_[np.zeros(rest_s.size), record["current_mA"]],
        "step": np.r_[np.zeros(rest_s.size, dtype=int), record["step"]],
    }
    rested = nucleation_overpotential(anodelab.Record.from_columns(columns, cell=experiment.cell))
    plain = nucleation_overpotential(record)
    assert rested.step == 2 and rested.tip_time_s == pytest.approx(plain.tip_time_s, abs=1e-9)
    assert rested.eta_nucleation_mV == pytest.approx(plain.eta_nucleation_mV, abs=1e-9)
