"""``anodelab cycling``: JSON keys, cell options, and one-line user errors."""

from __future__ import annotations

import json

import pytest

from anodelab.cli import main
from anodelab.sim.virtual import alloy_half_cell, eis_spectrum, write_experiment

CELLF = "cycling/attia2021_carbon_black_first_cycle/cellF_3C_split_CF6.txt"


def test_json_keys_and_flags(external, capsys):
    path = external(CELLF)
    assert main(["cycling", str(path), "--cell-type", "anode-half", "--mass-mg", "1.011", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("cycles", "ice", "retention", "decay_pct_per_cycle"):
        assert key in out
    assert (out["kind"], out["parameters"]["formation_cycles"], out["provenance"]["path"]) == ("cycle_summary", "auto", str(path))
    first = out["cycles"][0]
    for key in ("cycle", "insertion_mAh", "extraction_mAh", "ce", "insertion_mAh_g", "extraction_mAh_g", "incomplete"):
        assert key in first
    assert first["insertion_mAh_g"] == pytest.approx(first["insertion_mAh"] * 1000 / 1.011)
    assert [c["incomplete"] for c in out["cycles"]][-1] is True
    assert out["ice"] == pytest.approx(first["extraction_mAh"] / first["insertion_mAh"])


def test_active_fraction_and_table(external, capsys):
    path = external(CELLF)
    assert main(["cycling", str(path), "--cell-type", "anode-half", "--mass-mg", "2.022", "--active-fraction", "0.5",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["active_mass_mg"] == pytest.approx(1.011)
    assert main(["cycling", str(path), "--cell-type", "anode-half"]) == 0
    table = capsys.readouterr().out
    assert "insertion mAh " in table and "incomplete" in table
    assert "warning: no active mass" in table and "warning: incomplete cycles 6 " in table


def test_cell_toml_beside_file(tmp_path, capsys):
    ex = alloy_half_cell(n_cycles=3)
    folder = write_experiment(ex, tmp_path)
    data = next(p for p in (folder if folder.is_dir() else tmp_path).rglob("*") if p.suffix in (".mpt", ".csv"))
    assert main(["cycling", str(data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["extraction_mAh_g"] for c in out["cycles"]] == pytest.approx(ex.truth["extraction_mAh_g"], rel=1e-6)


def test_user_errors_are_one_line(external, capsys):
    path = external(CELLF)
    assert main(["cycling", str(path), "--cell-type", "anode-hlf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cell_type" in err
    assert main(["cycling", str(path), "--mass-mg", "1.0"]) == 2
    assert "--cell-type" in capsys.readouterr().err


def test_an_impedance_file_is_one_line(tmp_path, capsys):
    path = write_experiment(eis_spectrum(noise_pct=0.0), tmp_path)
    assert main(["cycling", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "holds impedance spectra" in err[0] and "not a cycling record" in err[0]
