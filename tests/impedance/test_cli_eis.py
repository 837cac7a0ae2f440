"""``anodelab eis`` subcommands and the study registration."""

from __future__ import annotations

import json

import pytest

import anodelab
from anodelab.cli import main
from anodelab.core import Spectrum, SpectrumSeries
from anodelab.core.errors import ValidationError
from anodelab.impedance.fit import fit_circuit
from anodelab.impedance.kk import kramers_kronig_test
from anodelab.sim.virtual.impedance import blocking_cell_spectrum, eis_spectrum
from anodelab.sim.virtual.writers import write_mpt


def test_eis_fit_and_kk_json(tmp_path, capsys):
    experiment = eis_spectrum(system="li-llzto", noise_pct=0.2, seed=1)
    path = write_mpt(experiment.data, tmp_path / "llzto.mpt")
    assert main(["eis", "fit", str(path), "--circuit", "R(RQ)", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "circuit_fit_series" and out["circuit_choice"] is None
    assert out["provenance"]["path"] == str(path) and len(out["provenance"]["sha256"]) == 64
    fit = out["spectra"][0]
    assert fit["circuit"] == "R0-p(R1,CPE2)" and set(fit["fitted"]["R1"]) == {"value", "stderr", "unit"}
    assert fit["fitted"]["R1"]["value"] == pytest.approx(48.0, rel=0.02)
    assert fit["fitted"]["R0"]["value"] == pytest.approx(250.0, rel=0.01)
    R1 = next(m for m in out["metrics"] if m["name"] == "R1")
    assert (R1["index_name"], R1["index"], R1["unit"]) == ("spectrum", 0, "ohm") and R1["value"] == fit["fitted"]["R1"]["value"]
    assert main(["eis", "kk", str(path), "--json"]) == 0
    kk = json.loads(capsys.readouterr().out)["spectra"][0]
    assert kk["passed"] is True and kk["n_rc"] >= 1 and kk["max_residual_pct"] < 1.0


def test_eis_fit_without_a_circuit_chooses_one_arc_for_the_one_arc_spectrum(tmp_path, capsys):
    experiment = eis_spectrum(system="li-llzto", noise_pct=1.0, seed=2)  # R0-Zarc1: 250 ohm, 48 ohm
    path = write_mpt(experiment.data, tmp_path / "llzto.mpt")
    assert main(["eis", "fit", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["circuit"] == "R0-p(R1,CPE1)" and out["circuit_choice"]["circuit"] == "R0-p(R1,CPE1)"
    assert out["circuit_choice"]["reason"].startswith("1 arc: BIC") and not out["warnings"]
    assert main(["eis", "fit", str(path), "--processes", "1", "--no-tail"]) == 0
    text = capsys.readouterr().out
    assert "circuit chosen from the data: 1 arc: BIC" in text and "2 arcs" in text and "Warburg" not in text
    assert "R1" in text and "warning" not in text


def test_cli_vocabularies_are_the_analyses_literals():
    from typing import get_args

    from anodelab.cli import eis
    from anodelab.impedance.derived import ARRHENIUS_FORMS, ArrheniusForm
    from anodelab.impedance.fit import Weighting

    assert eis.WEIGHTINGS == get_args(Weighting)
    assert eis.ARRHENIUS_FORMS == get_args(ArrheniusForm) == tuple(ARRHENIUS_FORMS)


def test_eis_arrhenius_on_a_blocking_cell(tmp_path, capsys):
    temperatures = [0.0, 20.0, 40.0, 60.0]
    experiment = blocking_cell_spectrum(temperatures_C=temperatures, noise_pct=0.0, Ea_kJ_mol=30.0)
    paths = [write_mpt(experiment.data[i : i + 1], tmp_path / f"t{i}.mpt") for i in range(len(temperatures))]
    argv = ["eis", "arrhenius", *map(str, paths), "--form", "sigma", "--temperatures-C", "0,20,40,60",
            "--resistance", "R0", "--circuit", "p(R0,C1)-CPE2", "--thickness-um", "100", "--area-cm2", "2", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    # noiseless data, but written to text with limited digits: Ea to 1e-4
    assert out["Ea_kJ_mol"] == pytest.approx(30.0, rel=1e-4)
    assert out["Ea_ci95_kJ_mol"][0] <= out["Ea_kJ_mol"] <= out["Ea_ci95_kJ_mol"][1] and out["r2"] > 0.9999
    assert main([*argv[:-1], "--window-C", "0,45", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_points"] == 3


def test_user_errors_are_one_line(tmp_path, capsys):
    path = write_mpt(eis_spectrum(noise_pct=0.0).data, tmp_path / "a.mpt")
    assert main(["eis", "fit", str(path), "--circuit", "R0-X1"]) == 2
    assert "expected an element" in capsys.readouterr().err
    assert main(["eis", "arrhenius", str(path), "--form", "T/R", "--resistance", "R9", "--circuit", "R0-p(R1,C1)",
                 "--temperatures-C", "25"]) == 2
    assert "R9" in capsys.readouterr().err


def _scaled_spectrum(tmp_path, name, scale=1.0, zero_first=False):
    spectrum = eis_spectrum(system="li-llzto", noise_pct=0.0, seed=1).data
    Z = spectrum[0].Z_ohm * scale
    if zero_first:
        Z[0] = 0.0
    series = SpectrumSeries.of([Spectrum.from_arrays(spectrum[0].frequency_Hz, Z)])
    return write_mpt(series, tmp_path / name)


@pytest.mark.parametrize(("scale", "zero_first"), [(0.0, False), (1e-300, False), (1.0, True), (1e250, False)])
def test_zero_tiny_or_huge_impedance_is_one_line(tmp_path, capsys, scale, zero_first):
    path = _scaled_spectrum(tmp_path, "bad.mpt", scale, zero_first)
    for argv in (["eis", "fit", str(path), "--circuit", "R(RQ)"], ["eis", "kk", str(path)], ["drt", str(path)]):
        assert main([*argv, "--json"]) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "bad.mpt" in err[0] and "outside 1e-09..1e+15 ohm" in err[0], err
    spectrum = anodelab.read(path)[0]
    with pytest.raises(ValidationError, match="range of measured impedances"):
        fit_circuit(spectrum, "R(RQ)")
    with pytest.raises(ValidationError, match="range of measured impedances"):
        kramers_kronig_test(spectrum)


def test_small_and_large_impedances_in_range_are_analysed(tmp_path, capsys):
    for scale in (1e-6, 1e10):  # a 1 mOhm-scale cell and a 10 GOhm-scale insulator
        path = _scaled_spectrum(tmp_path, f"x{scale:g}.mpt", scale)
        assert main(["eis", "kk", str(path), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["passed"] is True


def test_a_circuit_nested_500_deep_is_one_line(tmp_path, capsys):
    path = write_mpt(eis_spectrum(noise_pct=0.0).data, tmp_path / "a.mpt")
    assert main(["eis", "fit", str(path), "--circuit", "p(R," * 500 + "R" + ")" * 500]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nested more than" in err[0] and len(err[0]) < 400
