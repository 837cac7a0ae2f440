"""DRTResult and DRTSeriesResult on the result spine: kind, parameters with defaults, provenance, metrics
against the circuit that made the spectrum, the long ``drt`` table, strict JSON, pickling, immutability and
warnings."""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ValidationError
from anodelab.drt import DRTOptions, drt
from anodelab.drt.series import drt_analysis
from anodelab.models.circuits import ZARC, R, Series
from anodelab.sim.virtual import eis_spectrum, insitu_eis_series
from anodelab.sim.virtual.writers import write_mpt

TWO_ZARC = Series(R(10.0), ZARC(30.0, 1e-5, 0.85), ZARC(60.0, 1e-2, 0.8))
WINDOWS = {"fast": (1e-6, 1e-4), "slow": (1e-3, 1e-1)}


@pytest.fixture(scope="module")
def result():
    spectrum = eis_spectrum(TWO_ZARC, noise_pct=1.0, points_per_decade=10, seed=0).data[0]
    return drt(spectrum, windows=WINDOWS, credible=0.95)


def test_kind_parameters_and_metrics_against_the_circuit(result):
    assert (result.kind, result.version) == ("drt", 1)
    # every option by the name drt takes, defaults included
    assert set(result.parameters) == {"lambda_", "windows", *DRTOptions().to_dict()}
    assert result.parameters["lambda_"] == "auto" and result.parameters["criterion"] == "mgcv"
    assert result.parameters["credible"] == 0.95 and result.parameters["rbf_per_decade"] == 10.0
    metrics = {m.name: m for m in result.metrics()}
    assert list(metrics) == ["R_inf", "R_pol", "lambda", "R_fast", "R_slow", "tau_peak1", "R_peak1", "tau_peak2",
                             "R_peak2"]
    assert all(m.definition and m.index is None for m in metrics.values())
    assert metrics["R_inf"].value == pytest.approx(10.0, abs=0.3) and metrics["R_inf"].unit == "ohm"
    assert metrics["R_pol"].value == pytest.approx(90.0, rel=0.02)
    for name, R_ohm, tau_s in (("fast", 30.0, 1e-5), ("slow", 60.0, 1e-2)):
        k = 1 if name == "fast" else 2
        window = metrics[f"R_{name}"]
        assert window.value == pytest.approx(R_ohm, rel=0.03) and 0 < window.stderr < 0.05 * R_ohm
        assert abs(math.log10(metrics[f"tau_peak{k}"].value / tau_s)) < 0.02 and metrics[f"tau_peak{k}"].unit == "s"
        assert metrics[f"R_peak{k}"].value == window.value  # one peak per window
    assert metrics["lambda"].unit == "" and metrics["lambda"].stderr is None
    assert result.warnings == ()
    assert "R_fast" in result.headline() and repr(result).startswith("<DRTResult drt v1: R_inf")
    frame = result.to_dataframe()
    assert list(frame["name"]) == list(metrics)


def test_table_holds_the_curves_and_json_is_strict(result):
    table = result.tables()["drt"]
    assert list(table) == ["spectrum", "tau_s", "gamma_ohm", "gamma_lower_ohm", "gamma_upper_ohm"]
    assert {len(column) for column in table.values()} == {result.tau_s.size} and set(table["spectrum"]) == {0}
    # the curve integrates to R_pol (the RBFs' tails beyond the grid are below 0.1 %)
    assert np.trapezoid(table["gamma_ohm"], np.log(table["tau_s"])) == pytest.approx(result.R_pol.value, rel=1e-3)
    assert np.all(table["gamma_lower_ohm"] <= table["gamma_ohm"]) and np.all(table["gamma_ohm"] <= table["gamma_upper_ohm"])
    out = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert out["kind"] == "drt" and out["parameters"]["windows"] == {k: list(v) for k, v in WINDOWS.items()}
    assert not {"tau_s", "gamma_ohm", "gamma_lower_ohm"} & set(out)  # the curves are the table's
    assert out["credible"] == 0.95 and out["process_R_ohm"]["slow"] == result.process_R_ohm["slow"]
    assert [m["name"] for m in out["metrics"]][:3] == ["R_inf", "R_pol", "lambda"]


def test_frozen_and_picklable(result):
    with pytest.raises(FrozenInstanceError):
        result.lambda_ = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result.gamma_ohm[0] = 0.0
    back = pickle.loads(pickle.dumps(result))
    assert back.to_dict() == result.to_dict()
    np.testing.assert_array_equal(back.tables()["drt"]["gamma_ohm"], result.gamma_ohm)


def test_series_result_from_a_file(tmp_path):
    path = write_mpt(insitu_eis_series(spectra_per_half_cycle=2).data, tmp_path / "insitu.mpt")
    data = anodelab.read(path)
    assert drt_analysis(data).parameters["windows"] is None  # a paper's windows are a preset, not a default
    result = drt_analysis(data, windows="si_zno")
    assert (result.kind, result.version, len(result)) == ("drt_series", 1, 4)
    assert result.provenance.path == str(path)
    assert result.provenance.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.parameters["windows"] == "si_zno" and result.parameters["shared_lambda"] is True
    assert result.parameters["coordinate"] == "time_s" and result.parameters["criterion"] == "mgcv"
    sse = [m for m in result.metrics() if m.name == "R_SSE"]  # the presets' names are kept as they are
    assert [(m.index_name, m.index) for m in sse] == [("spectrum", i) for i in range(4)]
    np.testing.assert_allclose([m.value for m in sse], result.process_R_ohm["R_SSE"])
    table = result.tables()["drt"]
    assert list(table) == ["spectrum", "tau_s", "gamma_ohm"]
    assert np.bincount(table["spectrum"]).tolist() == [r.tau_s.size for r in result.results]
    out = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    first = out["series"][0]  # what the demo's headline reads
    assert first["process_R_ohm"]["R_SSE"] == result.results[0].process_R["R_SSE"].value
    assert {"R_ohm", "tail", "process"} <= set(first["peaks"][0])
    assert out["coordinate"] == result.coordinate.tolist() and out["coordinate_name"] == "time_s"
    assert pickle.loads(pickle.dumps(result)).to_dict() == result.to_dict()
    assert result.headline().startswith("4 spectra along time_s; [0] R_inf")


def test_warnings_say_when_the_deconvolution_was_refused(external):
    # LIB_data: the ZARC model fits worse than the DRT, so peak R are basin integrals, and the result says so
    result = drt(anodelab.read(external("eis/pydrttools_LIB_data.txt"))[0])
    assert result.peak_R_method == "basin"
    assert len(result.warnings) == 1 and "deconvolution was refused" in result.warnings[0]


def test_window_names_may_not_shadow_the_drt_metrics():
    spectrum = eis_spectrum(TWO_ZARC, noise_pct=1.0, seed=0).data[0]
    for name in ("pol", "R_inf", "peak2"):
        with pytest.raises(ValidationError, match=f"windows.{name}"):
            drt(spectrum, windows={name: (1e-6, 1e-4)})


def test_an_r_inf_of_zero_with_a_larger_stderr_is_warned_about(external):
    # exampleDataGamry: the high-frequency arc does not close, the DRT's R_inf sits at 0 with a stderr of ~1.7 kohm
    result = drt(anodelab.read(external("cycler/eis/exampleDataGamry.DTA"))[0])
    assert result.R_inf.value == 0.0 and result.R_inf.stderr > 100.0
    assert any(w.startswith("R_inf") and "standard error larger than the value" in w for w in result.warnings)
