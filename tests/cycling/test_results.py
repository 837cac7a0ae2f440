"""The cycling results as :class:`anodelab.core.result.Result`: metrics against ground truth, parameters
with their defaults, provenance from the record, warnings, pickling and strict JSON."""

from __future__ import annotations

import hashlib
import json
import math
import pickle

import numpy as np
import pytest

import anodelab
from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.errors import ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result
from anodelab.cycling import (
    CycleSummary,
    cycle_summary,
    dqdv,
    profile_features,
    rate_table,
    voltage_profiles,
)
from anodelab.sim.virtual import alloy_half_cell, full_cell, rate_test, write_experiment

PLATEAUS_V = (0.20, 0.45)
WEIGHTS_MAH = (1.0, 0.6)


def _metrics(result):
    """(name, index) -> Metric."""
    return {(m.name, m.index): m for m in result.metrics()}


def _two_plateau_record():
    """A cathode half-cell charge at 1 mA whose Q(V) is two logistic steps (width 10 mV) centred on
    PLATEAUS_V: dQ/dV peaks exactly there, Q is half-way up each step at its centre, and the
    capacity-weighted mean voltage is sum(w V0) / sum(w) (each step is symmetric about its centre)."""
    v = np.linspace(0.05, 0.8, 4000)
    q = sum(w / (1 + np.exp(-(v - v0) / 0.01)) for v0, w in zip(PLATEAUS_V, WEIGHTS_MAH))
    columns = {"time_s": q * 3600.0, "voltage_V": v, "current_mA": np.ones_like(v), "capacity_mAh": q}
    return Record.from_columns(columns, cell=CellInfo("cathode-half"))


def _json(result):
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


# -- CycleSummary ------------------------------------------------------------------------------------


def test_cycle_summary_metrics_match_the_virtual_lab_truth():
    ex = alloy_half_cell(seed=3)
    truth = ex.truth
    summary = cycle_summary(ex.data, ex.cell)
    metrics = _metrics(summary)
    fade, n = truth["fade_per_cycle"], truth["n_cycles"]
    # closing_k = closing_1 (1 - fade)^(k - 1), reference cycle 1 (one current), last complete cycle n
    assert metrics["ice", None].value == pytest.approx(truth["ice"], rel=1e-9)
    assert metrics["retention", None].value == pytest.approx((1 - fade) ** (n - 1), rel=1e-9)
    assert metrics["decay", None].value == pytest.approx((1 - (1 - fade) ** (n - 1)) / (n - 1) * 100, rel=1e-9)
    assert metrics["decay", None].unit == "%/cycle"
    assert metrics["average_ce", None].value == pytest.approx(np.mean(truth["ce_per_cycle"][1:]), rel=1e-9)
    assert ("cycle_at_80pct", None) not in metrics  # never below 80 %: no number, not a made-up one
    area = truth["area_cm2"]
    for k in range(1, n + 1):
        assert metrics["insertion_capacity", k].value == pytest.approx(truth["insertion_mAh"][k - 1], rel=1e-9)
        assert metrics["extraction_capacity", k].unit == "mAh"
        assert metrics["extraction_specific_capacity", k].value == pytest.approx(truth["extraction_mAh_g"][k - 1], rel=1e-9)
        assert metrics["extraction_specific_capacity", k].unit == "mAh/g"
        assert metrics["insertion_areal_capacity", k].value == pytest.approx(truth["insertion_mAh"][k - 1] / area, rel=1e-9)
        assert metrics["ce", k].value == pytest.approx(truth["ce_per_cycle"][k - 1], rel=1e-9)
        assert metrics["ce", k].index_name == "cycle"
        assert 0 < metrics["hysteresis", k].value < truth["upper_cutoff_V"]
    assert not any(name == "energy_efficiency" for name, _ in metrics)  # an anode half-cell stores no energy
    assert all(m.definition for m in summary.metrics())
    assert summary.headline() == f"ICE {truth['ice']:.3f}; retention {(1 - fade) ** (n - 1):.3f} at cycle {n} vs 1; {n} cycles"
    assert summary.warnings == ()  # mass, area and cell type known, one current, every cycle complete


def test_cycle_at_80pct_and_full_cell_energy_efficiency():
    # retention_k = 0.95^(k - 1) <= 0.8 first at k - 1 = ceil(ln 0.8 / ln 0.95) = 5
    ex = alloy_half_cell(n_cycles=8, fade_per_cycle=0.05)
    summary = cycle_summary(ex.data, ex.cell)
    assert _metrics(summary)["cycle_at_80pct", None].value == 1 + math.ceil(math.log(0.8) / math.log(0.95)) == 6
    ex = full_cell()
    metrics = _metrics(cycle_summary(ex.data, ex.cell))
    assert metrics["discharge_capacity", 1].value == pytest.approx(ex.truth["discharge_mAh"][0], rel=1e-9)
    assert [metrics["energy_efficiency", k].value < metrics["ce", k].value for k in (1, 2)] == [True, True]


def test_parameters_record_every_option_with_its_default():
    ex = alloy_half_cell(n_cycles=3)
    assert cycle_summary(ex.data, ex.cell).parameters == {
        "formation_cycles": "auto", "current_rtol": 0.05, "cutoff_tolerance_V": None, "ce_cycles": None}
    chosen = cycle_summary(ex.data, ex.cell, formation_cycles=0, ce_cycles=(2, 3))
    assert chosen.parameters["formation_cycles"] == 0 and chosen.parameters["ce_cycles"] == [2, 3]
    assert rate_table(ex.data, ex.cell).parameters == {"rtol": 0.05}
    assert voltage_profiles(ex.data, ex.cell).parameters == {"cycles": None}
    assert dqdv(ex.data, ex.cell, cycles=2).parameters == {
        "cycles": 2, "bin_width_V": 0.005, "window_V": 0.05, "polyorder": 2, "min_share": 0.05}
    assert profile_features(ex.data, ex.cell).parameters == {
        "cycle": 1, "role": None, "bin_width_V": 0.005, "window_V": 0.05, "min_share": 0.05}


def test_provenance_comes_from_the_file_read(tmp_path):
    ex = alloy_half_cell(n_cycles=3)
    folder = write_experiment(ex, tmp_path)
    path = next(p for p in (folder if folder.is_dir() else tmp_path).rglob("*") if p.suffix in (".mpt", ".csv"))
    record = anodelab.read(path)
    summary = cycle_summary(record, ex.cell)
    results = [summary, rate_table(record, ex.cell), rate_table(summary), voltage_profiles(record, ex.cell),
               dqdv(record, ex.cell), profile_features(record, ex.cell)]
    for result in results:
        assert result.provenance is record.provenance, result.kind
        as_json = _json(result)
        assert as_json["provenance"]["path"] == str(path)
        assert as_json["provenance"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("make", [
    lambda ex: cycle_summary(ex.data, ex.cell), lambda ex: rate_table(ex.data, ex.cell),
    lambda ex: voltage_profiles(ex.data, ex.cell), lambda ex: dqdv(ex.data, ex.cell),
    lambda ex: profile_features(ex.data, ex.cell),
], ids=["cycle_summary", "rate_table", "voltage_profiles", "dqdv", "profile_features"])
def test_results_are_frozen_picklable_and_strict_json(make):
    result = make(rate_test(current_densities_A_g=(0.1, 0.5), cycles_per_block=2))
    assert isinstance(result, Result) and result.version == 1
    back = pickle.loads(pickle.dumps(result))
    assert back.to_dict() == result.to_dict()
    assert _json(result)["kind"] == result.kind and _json(result)["metrics"]
    assert [Metric(**m) for m in _json(result)["metrics"]] == list(result.metrics())
    with pytest.raises(AttributeError):
        result.warnings = ("changed",)


def test_pickled_summary_keeps_read_only_columns():
    ex = alloy_half_cell(n_cycles=3)
    back = pickle.loads(pickle.dumps(cycle_summary(ex.data, ex.cell)))
    assert isinstance(back, CycleSummary)
    np.testing.assert_allclose(back["extraction_mAh"], ex.truth["extraction_mAh"], rtol=1e-9)
    with pytest.raises(ValueError, match="read-only"):
        back["ce"][0] = 1.0
    with pytest.raises(TypeError):
        back.columns["ce"] = np.zeros(3)


def test_cycles_frame_tables_and_content_keep_the_per_cycle_table():
    ex = alloy_half_cell(n_cycles=4)
    summary = cycle_summary(ex.data, ex.cell)
    frame = summary.cycles_frame()
    assert frame["cycle"].tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(frame["insertion_mAh_g"], ex.truth["insertion_mAh_g"], rtol=1e-9)
    tidy = summary.to_dataframe()
    assert list(tidy.columns) == ["name", "value", "unit", "stderr", "index_name", "index", "definition"]
    assert set(summary.tables()["cycles"]) == set(summary.columns)
    out = _json(summary)
    assert [row["extraction_mAh_g"] for row in out["cycles"]] == pytest.approx(ex.truth["extraction_mAh_g"], rel=1e-9)
    assert out["ice"] == pytest.approx(ex.truth["ice"], rel=1e-9) and out["retention"] is not None


def test_warnings_say_what_is_missing_and_what_was_guessed():
    ex = alloy_half_cell(n_cycles=3)
    bare = cycle_summary(ex.data, CellInfo("anode-half"))
    assert any("no active mass" in w for w in bare.warnings) and any("no electrode area" in w for w in bare.warnings)
    assert not any(name.endswith(("specific_capacity", "areal_capacity")) for name, _ in _metrics(bare))
    unknown = cycle_summary(ex.data.with_cell(None))
    assert unknown.cell_type is None and any("no cell type" in w for w in unknown.warnings)
    # two blocks of 4 cycles: the first 4 ran at another current, so they are taken for formation
    ex = rate_test(current_densities_A_g=(0.05, 0.1), cycles_per_block=4)
    guessed = cycle_summary(ex.data, ex.cell)
    assert guessed.reference_cycle == 5
    assert [w for w in guessed.warnings if "formation cycles guessed" in w and "cycles 1..4" in w]
    assert not any("formation" in w for w in cycle_summary(ex.data, ex.cell, formation_cycles=4).warnings)


def test_incomplete_cycles_are_flagged_and_kept_out_of_the_metrics(external):
    cell = CellInfo("anode-half", working_electrode=Electrode(mass_mg=1.011))
    summary = cycle_summary(anodelab.read(external("cycling/attia2021_carbon_black_first_cycle/cellF_3C_split_CF6.txt")), cell)
    # the last delithiation stops at 0.92 V instead of 1.2 V (see test_cycle_summary)
    assert [w for w in summary.warnings if w.startswith("incomplete cycles 6 ")]
    assert {index for name, index in _metrics(summary) if name == "extraction_capacity"} == {1, 2, 3, 4, 5}
    assert summary.cycles_frame()["extraction_incomplete"].tolist()[-1]  # the table keeps the cycle
    assert any("no current recorded" in w for w in summary.warnings)  # a voltage/capacity-only export


def test_preamble_half_cycle_is_a_warning(external):
    record = anodelab.read(external("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"))
    summary = cycle_summary(record, CellInfo("cathode-half"))
    # the file opens with a 0.2065 mAh discharge from OCV before the first charge (test_cycle_summary)
    assert [w for w in summary.warnings if "before the first charge the record passes 0.2065 mAh of discharge" in w]


# -- RateTable -------------------------------------------------------------------------------------


def test_rate_table_metrics_match_the_blocks_of_the_truth():
    ex = rate_test(seed=5)
    table = rate_table(ex.data, ex.cell)
    metrics = _metrics(table)
    specific = np.asarray(ex.truth["extraction_mAh_g"])
    for b, block in enumerate(ex.truth["blocks"], start=1):
        cycles = specific[block["first_cycle"] - 1:block["last_cycle"]]
        capacity = metrics["extraction_specific_capacity", b]
        assert (capacity.value, capacity.unit, capacity.index_name) == (pytest.approx(cycles.mean(), rel=1e-9), "mAh/g", "block")
        assert capacity.stderr == pytest.approx(cycles.std(ddof=1) / math.sqrt(cycles.size), rel=1e-6)
        assert metrics["current_density", b].value == pytest.approx(block["current_density_A_g"], rel=1e-9)
        assert metrics["current", b].value == pytest.approx(block["current_mA"], rel=1e-9)
        # mA / mAh = 1/h: the current over the block's own capacity (mAh = mAh/g x active mass in g)
        mean_mAh = cycles.mean() * ex.truth["active_mass_mg"] / 1000.0
        assert metrics["effective_c_rate", b].value == pytest.approx(block["current_mA"] / mean_mAh, rel=1e-9)
        assert metrics["retention", b].value == pytest.approx(cycles.mean() / specific[:3].mean(), rel=1e-9)
    assert table.headline().startswith(f"7 rate steps; {specific[:3].mean():.4g} mAh/g at 0.1 A/g")
    assert table.warnings == ()
    assert table.blocks_frame()["first_cycle"].tolist() == [b["first_cycle"] for b in ex.truth["blocks"]]


# -- VoltageProfiles, DqdvResult, ProfileFeatures --------------------------------------------------


def test_voltage_profile_metrics():
    ex = alloy_half_cell(n_cycles=3, seed=2)
    profiles = voltage_profiles(ex.data, ex.cell)
    metrics = _metrics(profiles)
    for k in (1, 2, 3):
        assert metrics["insertion_capacity", k].value == pytest.approx(ex.truth["insertion_mAh"][k - 1], rel=1e-9)
        assert metrics["extraction_specific_capacity", k].value == pytest.approx(ex.truth["extraction_mAh_g"][k - 1], rel=1e-9)
    table = profiles.tables()["profiles"]
    assert table["cycle"].size == table["voltage_V"].size == sum(c["voltage_V"].size for c in profiles.curves)
    mean = _metrics(voltage_profiles(_two_plateau_record()))["charge_mean_voltage", 1].value
    assert mean == pytest.approx(np.dot(PLATEAUS_V, WEIGHTS_MAH) / sum(WEIGHTS_MAH), abs=1e-5)
    assert any("no active mass" in w for w in voltage_profiles(_two_plateau_record()).warnings)


def test_dqdv_peak_metrics_at_the_known_plateaus():
    result = dqdv(_two_plateau_record(), bin_width_V=0.001, window_V=0.006)
    metrics = _metrics(result)
    assert [metrics[f"charge_peak{n}_voltage", 1].value for n in (1, 2)] == pytest.approx(PLATEAUS_V, abs=0.001)
    # a logistic step of width w and height Q0 peaks at dQ/dV = Q0 / (4 w); a smoothing window much
    # narrower than w keeps the height (a wide one broadens and lowers the peak)
    heights = [metrics[f"charge_peak{n}_dqdv", 1].value for n in (1, 2)]
    assert heights == pytest.approx([w / 0.04 for w in WEIGHTS_MAH], rel=0.01)
    assert ("charge_peak3_voltage", 1) not in metrics
    assert result.warnings == ()
    assert set(result.tables()["dqdv"]) == {"cycle", "role", "voltage_V", "dqdv_mAh_V"}


def test_dqdv_leaves_out_a_half_cycle_too_short_with_a_warning():
    record = _two_plateau_record()
    columns = {name: record[name] for name in ("time_s", "voltage_V", "current_mA", "capacity_mAh")}
    tail = {"time_s": [1.0, 2.0], "voltage_V": [0.7, 0.6], "current_mA": [-1.0, -1.0], "capacity_mAh": [0.0, 1 / 3600]}
    columns = {name: np.r_[column, column[-1] + tail[name] if name == "time_s" else tail[name]]
               for name, column in columns.items()}
    result = dqdv(Record.from_columns(columns, cell=CellInfo("cathode-half")))
    assert [(c["cycle"], c["role"]) for c in result.curves] == [(1, "charge")]
    assert result.warnings == ("left out of dQ/dV: cycle 1 discharge (fewer than 3 points in the half-cycle)",)


def test_profile_feature_metrics_at_the_known_plateaus():
    features = profile_features(_two_plateau_record())
    metrics = _metrics(features)
    assert (features.cycle, features.role) == (1, "charge")
    assert [metrics["plateau_voltage", n].value for n in (1, 2)] == pytest.approx(PLATEAUS_V, abs=0.005)
    assert metrics["plateau_voltage", 1].index_name == "plateau"
    # half-way up each step at its centre (0.5 and 1.0 + 0.3 mAh); one 5 mV bin off costs at most
    # the slope there, Q0 / (4 x 0.01 V) x 0.005 V = Q0 / 8
    assert metrics["plateau_capacity", 1].value == pytest.approx(0.5, abs=1.0 / 8)
    assert metrics["plateau_capacity", 2].value == pytest.approx(1.3, abs=0.6 / 8)
    assert PLATEAUS_V[0] < metrics["inflection_voltage", 1].value < PLATEAUS_V[1]
    # between the steps Q sits on the first step's top (1.0 mAh) to within the tails e^(-12)
    assert metrics["inflection_capacity", 1].value == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValidationError, match="role"):
        profile_features(_two_plateau_record(), role="insertion")
