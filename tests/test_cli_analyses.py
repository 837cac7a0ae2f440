"""The one-file analysis commands (``anodelab plating ...``, ``gitt``, ``tafel``, ``cv``): each on a
virtual file with a known answer, the JSON fields named with units, cell options, one-line errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from anodelab.cli import main
from anodelab.sim.virtual import (
    ccd_staircase,
    cyclic_voltammogram,
    first_plating,
    gitt,
    plating_ce,
    polarization_curve,
    symmetric_cycling,
    write_experiment,
)


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_plating_shorts_and_trace(tmp_path, capsys):
    experiment = symmetric_cycling(n_cycles=40, short_time_s=100_000.0)
    path = str(write_experiment(experiment, tmp_path))
    shorts = _json(capsys, "plating", "shorts", path)
    assert shorts["kind"] == "shorts"
    onset = shorts["events"][0]["short_onset_h"]
    step_h = experiment.truth["half_cycle_s"] / experiment.truth["samples_per_half_cycle"] / 3600  # one sample
    assert onset == pytest.approx(100_000.0 / 3600, abs=step_h)
    trace = _json(capsys, "plating", "trace", path)
    first = experiment.truth["half_cycle_overpotential_V"][0] * 1000
    assert trace["eta_plateau_mV"][0] == pytest.approx(first, rel=0.05)


def test_plating_ccd(tmp_path, capsys):
    experiment = ccd_staircase(ccd_mA_cm2=0.4)
    out = _json(capsys, "plating", "ccd", str(write_experiment(experiment, tmp_path, "csv")))
    assert out["ccd_mA_cm2"] == pytest.approx(0.4)
    assert out["last_stable_mA_cm2"] == pytest.approx(experiment.truth["last_stable_mA_cm2"])


def test_plating_nucleation_and_area_option(tmp_path, capsys):
    experiment = first_plating()
    path = str(write_experiment(experiment, tmp_path))
    out = _json(capsys, "plating", "nucleation", path)
    assert out["eta_nucleation_mV"] == pytest.approx(1000 * experiment.truth["nucleation_overpotential_V"], abs=0.5)
    assert out["eta_tip_mV"] == pytest.approx(-1000 * experiment.truth["tip_V"], abs=0.5)
    doubled = _json(capsys, "plating", "nucleation", path, "--area-cm2", str(2 * experiment.truth["area_cm2"]))
    assert doubled["current_mA_cm2"] == pytest.approx(out["current_mA_cm2"] / 2)


@pytest.mark.parametrize("method", ["per-cycle", "reservoir"])
def test_plating_ce(tmp_path, capsys, method):
    experiment = plating_ce(method=method)
    out = _json(capsys, "plating", "ce", str(write_experiment(experiment, tmp_path)))
    key = "ce_mean" if method == "per-cycle" else "ce_aurbach"
    assert out[key] == pytest.approx(experiment.truth["average_ce"], abs=1e-6)


def test_gitt(tmp_path, capsys):
    experiment = gitt(soc_per_pulse=0.005)
    out = _json(capsys, "gitt", str(write_experiment(experiment, tmp_path)))
    pulses = out["pulses"]
    assert len(pulses) == experiment.truth["n_pulses"] and all(p["valid"] for p in pulses)
    assert out["D_median_cm2_s"] == pytest.approx(experiment.truth["D_cm2_s"], rel=0.05)


def test_tafel(tmp_path, capsys):
    experiment = polarization_curve(i0_mA_cm2=2.0, eta_max_V=0.3, noise_pct=0.5)
    out = _json(capsys, "tafel", str(write_experiment(experiment, tmp_path)))
    assert out["i0_mA_cm2"] == pytest.approx(2.0, rel=0.05)
    assert out["alpha"]["anodic"] == pytest.approx(0.5, abs=0.03)
    assert out["tafel_slope_mV_dec"]["cathodic"] == pytest.approx(experiment.truth["tafel_slope_cathodic_mV_dec"], rel=0.05)


def test_cv_several_files(tmp_path, capsys):
    paths = [str(write_experiment(cyclic_voltammogram(scan_rate_mV_s=rate, name=f"cv{rate}"), tmp_path))
             for rate in (0.1, 0.4)]
    out = _json(capsys, "cv", *paths)
    rates = [f["result"]["scan_rate_mV_s"] for f in out["files"]]
    assert rates == pytest.approx([0.1, 0.4], rel=0.01)
    assert "randles_sevcik" in out
    assert main(["cv", *paths]) == 0
    assert "Randles-Sevcik" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["plating", "nucleation", "{tafel}"],      # a polarization curve is no plating on a substrate
    ["gitt", "{tafel}"],                      # nor a GITT record
    ["plating", "ce", "{tafel}", "--cycles", "3"],
    ["tafel", "{missing}"],
])
def test_user_errors_are_one_line_exit_2(tmp_path, capsys, argv):
    tafel = str(write_experiment(polarization_curve(), tmp_path))
    argv = [a.format(tafel=tafel, missing=str(tmp_path / "missing.mpt")) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("anodelab: error:") and err.count("\n") == 1
