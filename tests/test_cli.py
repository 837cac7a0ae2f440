"""The command line: summaries, JSON keys, export, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from example_files import half_cell_csv, symmetric_peis_csv

import anodelab
from anodelab.cli import main

JSON_KEYS = {"kind", "format", "rows", "duration_s", "voltage_V_min", "voltage_V_max", "current_mA_min",
             "current_mA_max", "cycles", "spectra", "sha256"}


@pytest.fixture
def half_cell(tmp_path):
    return half_cell_csv(tmp_path)


def test_read_json_has_the_promised_keys(capsys, half_cell):
    assert main(["read", str(half_cell), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(summary)
    assert summary["kind"] == "record" and summary["cycles"] == 3 and summary["spectra"] == 0
    assert summary["current_mA_min"] == pytest.approx(-0.2) and summary["current_mA_max"] == pytest.approx(0.2)
    assert summary["voltage_V_min"] < summary["voltage_V_max"]


def test_read_spectra_json(capsys, tmp_path):
    assert main(["read", str(symmetric_peis_csv(tmp_path)), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(summary)
    assert summary["kind"] == "spectra" and summary["spectra"] == 1 and summary["rows"] == 61


def test_human_summary_and_formats(capsys, half_cell):
    assert main(["read", str(half_cell)]) == 0
    out = capsys.readouterr().out
    assert "si_half_cell_gcpl.csv" in out and "3 cycles" in out and "anode-half" in out
    assert main(["formats"]) == 0
    listed = capsys.readouterr().out
    assert all(fmt.name in listed for fmt in anodelab.list_formats())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips_columns(tmp_path, capsys, suffix, half_cell):
    out = tmp_path / f"out{suffix}"
    assert main(["read", str(half_cell), "--to", str(out)]) == 0
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    record = anodelab.read(half_cell)
    assert list(frame.columns) == list(record.column_names)
    assert frame["voltage_V"].to_numpy() == pytest.approx(record.voltage_V)


def test_user_errors_print_one_line_and_exit_2(tmp_path, capsys, half_cell):
    assert main(["read", str(tmp_path / "missing.mpr")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.mpr" in err[0] and "file not found" in err[0]
    assert main(["read", str(half_cell), "--to", str(tmp_path / "x.xlsx")]) == 2
    assert "expected a .csv or .parquet" in capsys.readouterr().err


def test_console_script_has_no_traceback(tmp_path, half_cell):
    bad = tmp_path / "garbage.nda"
    bad.write_bytes(b"\x00garbage" * 10)
    source = shutil.copy(half_cell, tmp_path / "ok.csv")
    before = Path(source).read_bytes()
    result = subprocess.run([sys.executable, "-m", "anodelab.cli", "read", str(bad)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(bad) in result.stderr
    result = subprocess.run([sys.executable, "-m", "anodelab.cli", "read", str(source), "--json"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and json.loads(result.stdout)["rows"] > 0
    assert Path(source).read_bytes() == before
