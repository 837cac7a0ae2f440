"""Plating/stripping CE against sim.virtual.metal.plating_ce: per-cycle CE, its mean and spread over a
range, first-cycle loss, the Aurbach reservoir protocol told from the step structure (files written as
EC-Lab .mpt and CSV and read back, rests and split steps added), areal quantities, bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.steps import step_table
from anodelab.plating.efficiency import plating_efficiency
from anodelab.sim.virtual import (
    alloy_half_cell,
    first_plating,
    plating_ce,
    symmetric_cycling,
)
from anodelab.sim.virtual.writers import write_csv, write_mpt


@pytest.fixture(scope="module")
def per_cycle():
    return plating_ce(method="per-cycle", n_cycles=12)


@pytest.fixture(scope="module")
def reservoir():
    return plating_ce(method="reservoir", n_cycles=10, ce=0.995)


def test_per_cycle_ce_mean_spread_and_first_cycle_loss(per_cycle):
    truth = per_cycle.truth
    result = plating_efficiency(per_cycle.data)
    expected = np.asarray(truth["ce_per_cycle"])
    table = result.tables()["cycles"]
    np.testing.assert_allclose(table["ce"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["plated_mAh"], truth["plated_mAh"], rtol=1e-12)
    np.testing.assert_allclose(table["stripped_mAh_cm2"], truth["stripped_mAh_cm2"], rtol=1e-12)
    assert list(table["role"]) == ["per-cycle"] * 12 and table["to_cutoff"].all()
    assert result.ce_mean == pytest.approx(truth["average_ce"], abs=1e-12)
    assert result.ce_std == pytest.approx(float(np.std(expected, ddof=1)), abs=1e-12)
    assert result.ce_stderr == pytest.approx(result.ce_std / np.sqrt(12))
    assert result.ce_aurbach is None and result.aurbach == ()
    data = result.to_dict()
    assert data["first_cycle_loss"] == pytest.approx(1 - truth["initial_ce"], abs=1e-12)
    assert data["first_cycle_loss_mAh_cm2"] == pytest.approx((1 - truth["initial_ce"]) * truth["areal_capacity_mAh_cm2"])
    assert data["cutoff_V"] == pytest.approx(truth["strip_cutoff_V"], abs=3 * truth["noise_V"] + 1e-3)
    assert data["current_mA_cm2"] == pytest.approx(truth["current_density_mA_cm2"])
    per_cycle_metrics = [m for m in result.metrics() if m.name == "ce"]
    assert [m.index for m in per_cycle_metrics] == list(range(1, 13))
    assert len(data["cycles"]) == 12 and data["cycles"][0]["role"] == "per-cycle"
    assert result.warnings == ()


def test_mean_over_a_range_of_cycles(per_cycle):
    expected = np.asarray(per_cycle.truth["ce_per_cycle"])[4:10]
    result = plating_efficiency(per_cycle.data, cycles=(5, 10))
    assert result.ce_mean == pytest.approx(float(expected.mean()), abs=1e-12)
    assert result.ce_std == pytest.approx(float(np.std(expected, ddof=1)), abs=1e-12)
    assert result.cycle_range == (5, 10) and result.n_mean == 6
    assert result.first_cycle_ce == pytest.approx(per_cycle.truth["initial_ce"])  # the range is for the mean only
    with pytest.raises(NotApplicableError, match="no per-cycle pair in cycles 20-30"):
        plating_efficiency(per_cycle.data, cycles=(20, 30))
    with pytest.raises(ValidationError, match="cycles"):
        plating_efficiency(per_cycle.data, cycles=(0, 3))


def test_aurbach_reservoir(reservoir):
    truth = reservoir.truth
    result = plating_efficiency(reservoir.data)
    n, q_c, q_t, q_s = truth["n_cycles"], truth["cycled_mAh"], truth["reservoir_mAh"], truth["final_strip_mAh"]
    assert result.ce_aurbach == pytest.approx((n * q_c + q_s) / (n * q_c + q_t), abs=1e-12)
    assert result.ce_aurbach == pytest.approx(truth["ce"], abs=1e-12)
    data = result.to_dict()
    assert data["n_aurbach_cycles"] == n
    assert data["reservoir_mAh"] == pytest.approx(q_t, rel=1e-12)
    assert data["cycled_mAh"] == pytest.approx(q_c, rel=1e-12)
    assert data["final_strip_mAh"] == pytest.approx(q_s, rel=1e-12)
    assert data["aurbach_tests"][0]["reservoir_mAh_cm2"] == pytest.approx(truth["reservoir_capacity_mAh_cm2"])
    assert data["ce_mean"] is None and data["first_cycle_ce"] is None
    roles = list(result.cycles["role"])
    assert roles == ["reservoir"] + ["reservoir-cycling"] * (n - 1) + ["reservoir-final"]
    assert [m.name for m in result.metrics()] == ["ce_aurbach"]
    assert "Aurbach" in result.headline()


@pytest.mark.parametrize("method", ["per-cycle", "reservoir"])
@pytest.mark.parametrize("writer", [write_mpt, write_csv])
def test_files_read_back_give_the_in_memory_answer(tmp_path, method, writer, per_cycle, reservoir):
    """The reader's own step numbering (EC-Lab Ns, or the CSV's step column) gives the same answer."""
    experiment = per_cycle if method == "per-cycle" else reservoir
    path = writer(experiment.data, tmp_path / f"ce.{'mpt' if writer is write_mpt else 'csv'}")
    record = anodelab.read(path)
    from_file, in_memory = plating_efficiency(record, experiment.cell), plating_efficiency(experiment.data)
    for key in ("ce_mean", "ce_std", "ce_aurbach", "first_cycle_loss", "reservoir_mAh", "final_strip_mAh"):
        assert from_file.to_dict()[key] == pytest.approx(in_memory.to_dict()[key], abs=1e-12)
    assert list(from_file.cycles["role"]) == list(in_memory.cycles["role"])


def _restructured(record: Record, rest_s: float = 60.0) -> Record:
    """The record as another cycler might log it: a 60 s rest after every step, and each step split in
    two at its middle row (the row repeated: it ends the first part and starts the second)."""
    t, v, i, step = (record[name] for name in ("time_s", "voltage_V", "current_mA", "step"))
    parts = {"time_s": [], "voltage_V": [], "current_mA": [], "step": []}
    label, offset = 0, 0.0
    for number in np.unique(step):
        rows = np.flatnonzero(step == number)
        middle = rows[rows.size // 2]
        for piece in (rows[rows <= middle], rows[rows >= middle]):
            label += 1
            parts["time_s"].append(t[piece] + offset)
            parts["voltage_V"].append(v[piece])
            parts["current_mA"].append(i[piece])
            parts["step"].append(np.full(piece.size, label))
        label += 1
        end = t[rows[-1]] + offset
        parts["time_s"].append(end + np.array([1.0, rest_s]))
        parts["voltage_V"].append(np.full(2, v[rows[-1]]))
        parts["current_mA"].append(np.zeros(2))
        parts["step"].append(np.full(2, label))
        offset += rest_s
    return Record.from_columns({name: np.concatenate(values) for name, values in parts.items()}, cell=record.cell)


@pytest.mark.parametrize("method", ["per-cycle", "reservoir"])
def test_rests_and_split_steps_change_nothing(method, per_cycle, reservoir):
    experiment = per_cycle if method == "per-cycle" else reservoir
    record = _restructured(experiment.data)
    assert len(step_table(record)) == 3 * len(step_table(experiment.data))
    original, relogged = plating_efficiency(experiment.data), plating_efficiency(record)
    for key in ("ce_mean", "ce_std", "ce_aurbach", "first_cycle_loss", "reservoir_mAh", "final_strip_mAh"):
        assert relogged.to_dict()[key] == pytest.approx(original.to_dict()[key], abs=1e-12)
    assert list(relogged.cycles["role"]) == list(original.cycles["role"])
    np.testing.assert_allclose(relogged.cycles["stripped_mAh"], original.cycles["stripped_mAh"], rtol=1e-12)


def _joined(first: Record, second: Record) -> Record:
    """``second`` appended after ``first`` (times and steps continued)."""
    names = ("time_s", "voltage_V", "current_mA")
    columns = {name: np.r_[first[name], second[name] + (first["time_s"][-1] + 1.0 if name == "time_s" else 0.0)]
               for name in names}
    columns["step"] = np.r_[first["step"], second["step"] + first["step"][-1]]
    return Record.from_columns(columns, cell=first.cell)


def test_adams_protocol_with_a_conditioning_cycle():
    """Adams et al.: one plate/strip-to-cut-off cycle on the bare substrate, then the reservoir test."""
    conditioning = plating_ce(method="per-cycle", n_cycles=1, initial_ce=0.96)
    test = plating_ce(method="reservoir", n_cycles=5, ce=0.99)
    result = plating_efficiency(_joined(conditioning.data, test.data))
    assert list(result.cycles["role"])[:2] == ["per-cycle", "reservoir"]
    assert result.first_cycle_ce == pytest.approx(0.96, abs=1e-12)
    assert result.ce_mean == pytest.approx(0.96, abs=1e-12) and result.ce_std is None
    assert result.ce_aurbach == pytest.approx(0.99, abs=1e-12)
    assert result.aurbach[0].n_cycles == 5 and result.aurbach[0].first_cycle == 2
    assert plating_efficiency(_joined(conditioning.data, test.data), method="per-cycle").ce_aurbach is None


def test_noise_and_a_given_cutoff(per_cycle):
    noisy = plating_ce(method="per-cycle", n_cycles=6, noise_V=0.001, seed=4)
    result = plating_efficiency(noisy.data)
    np.testing.assert_allclose(result.cycles["ce"], noisy.truth["ce_per_cycle"], atol=1e-12)
    given = plating_efficiency(noisy.data, cutoff_V=0.5)
    assert given.ce_mean == pytest.approx(result.ce_mean, abs=1e-15)
    with pytest.raises(NotApplicableError, match="cut-off"):
        plating_efficiency(noisy.data, cutoff_V=0.8)


def test_areal_quantities_without_an_area(reservoir):
    bare = plating_efficiency(reservoir.data.with_cell(None))
    assert any("area" in warning for warning in bare.warnings)
    data = bare.to_dict()
    assert data["current_mA_cm2"] is None and "reservoir_mAh_cm2" not in data["aurbach_tests"][0]
    assert "plated_mAh_cm2" not in bare.tables()["cycles"]
    assert bare.ce_aurbach == plating_efficiency(reservoir.data).ce_aurbach
    per_cycle_bare = plating_efficiency(plating_ce(n_cycles=3).data.with_cell(None))
    assert {m.name: m.unit for m in per_cycle_bare.metrics()}["first_cycle_capacity_loss"] == "mAh"


def test_json_is_strict(reservoir, per_cycle):
    for experiment in (reservoir, per_cycle):
        data = plating_efficiency(experiment.data).to_dict()
        json.dumps(data, allow_nan=False)
        assert "ce_mean" in data and "ce_aurbach" in data


def test_methods_that_the_record_does_not_hold(per_cycle, reservoir):
    with pytest.raises(NotApplicableError, match="no Aurbach reservoir test"):
        plating_efficiency(per_cycle.data, method="reservoir")
    with pytest.raises(NotApplicableError, match="no per-cycle pair"):
        plating_efficiency(reservoir.data, method="per-cycle")
    with pytest.raises(ValidationError, match="method"):
        plating_efficiency(per_cycle.data, method="average")


def test_not_applicable_to_other_experiments():
    with pytest.raises(NotApplicableError, match="insertion or alloying"):
        plating_efficiency(alloy_half_cell(n_cycles=3).data)
    with pytest.raises(NotApplicableError, match="no stripping half-cycle reaches a cut-off"):
        plating_efficiency(symmetric_cycling(n_cycles=3, short_time_s=None).data)
    with pytest.raises(NotApplicableError, match="no plating half-cycle followed by a stripping"):
        plating_efficiency(first_plating().data)
    with pytest.raises(NotApplicableError, match="VirtualExperiment"):
        plating_efficiency(plating_ce())


def test_incomplete_test_at_the_end_is_reported():
    experiment = plating_ce(method="reservoir", n_cycles=4)
    record = experiment.data
    cut = record.take(slice(0, int(np.flatnonzero(record["step"] == record["step"][-1])[0])))  # no final strip
    joined = _joined(plating_ce(method="per-cycle", n_cycles=2).data, cut)
    result = plating_efficiency(joined)
    assert list(result.cycles["role"]).count("incomplete") == 4
    assert result.aurbach == () and any("no complete test" in w for w in result.warnings)
    assert any("no stripping after it" in w for w in result.warnings)
