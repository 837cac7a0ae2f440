"""The command line: summaries, JSON keys, export, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
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
    result = subprocess.run([sys.executable, "-m", "anodelab.cli", "read", str(bad)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(bad) in result.stderr
    result = subprocess.run([sys.executable, "-m", "anodelab.cli", "read", str(source), "--json"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and json.loads(result.stdout)["rows"] > 0
    assert Path(source).read_bytes() == before


def _one_error_line(capsys, *expected):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("anodelab: error: ") and "Traceback" not in err, err
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


@pytest.mark.parametrize("alias", ["same", "dot", "hardlink", "hardlink.parquet", "symlink.parquet"])
def test_export_never_writes_onto_the_input(tmp_path, capsys, monkeypatch, half_cell, alias):
    before = half_cell.read_bytes()
    monkeypatch.chdir(half_cell.parent)
    if alias == "same":
        target = str(half_cell)
    elif alias == "dot":
        target = f"./{half_cell.name}"
    elif alias.startswith("hardlink"):
        target = str(tmp_path / f"alias{Path(alias).suffix or '.csv'}")
        os.link(half_cell, target)
    else:
        target = str(tmp_path / "alias.parquet")
        os.symlink(half_cell, target)
    for force in ([], ["--force"]):
        assert main(["read", half_cell.name, "--to", target, *force]) == 2
        _one_error_line(capsys, "is the input file", "never writes onto its input")
    assert half_cell.read_bytes() == before


def test_export_replaces_an_existing_file_only_with_force(tmp_path, capsys, half_cell):
    out = tmp_path / "out.csv"
    out.write_text("a file the user keeps\n")
    assert main(["read", str(half_cell), "--to", str(out)]) == 2
    _one_error_line(capsys, str(out), "exists; give --force")
    assert out.read_text() == "a file the user keeps\n"
    assert main(["read", str(half_cell), "--to", str(out), "--force"]) == 0
    assert len(pd.read_csv(out)) == len(anodelab.read(half_cell))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([half_cell.name, half_cell.stem + ".cell.toml", "out.csv"])
    assert main(["read", str(half_cell), "--to", str(tmp_path / "missing" / "out.csv")]) == 2
    _one_error_line(capsys, "missing", "does not exist")
    assert main(["read", str(half_cell), "--to", str(half_cell / "out.csv")]) == 2
    _one_error_line(capsys, "is not a folder")
    (tmp_path / "folder.csv").mkdir()
    assert main(["read", str(half_cell), "--to", str(tmp_path / "folder.csv"), "--force"]) == 2
    _one_error_line(capsys, "folder.csv is a folder")


def test_a_failed_export_leaves_the_old_file_and_no_partial_one(tmp_path, capsys, monkeypatch, half_cell):
    out = tmp_path / "out.csv"
    out.write_text("previous export\n")

    def disk_full(self, path, **options):
        Path(path).write_text("time_s,voltage_V\n0,")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    assert main(["read", str(half_cell), "--to", str(out), "--force"]) == 2
    _one_error_line(capsys, "No space left on device")
    assert out.read_text() == "previous export\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_unreadable_input_is_one_line_naming_it(capsys, monkeypatch, half_cell):
    # tests may run as root, for whom chmod 000 changes nothing: the open itself is refused here
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == half_cell.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert main(["read", str(half_cell)]) == 2
    _one_error_line(capsys, str(half_cell), "Permission denied")


def test_a_bug_is_one_line_asking_for_a_report_with_its_own_status(capsys, monkeypatch, half_cell):
    import anodelab.io

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(anodelab.io, "read", broken)
    assert main(["read", str(half_cell)]) == 1
    _one_error_line(capsys, "internal error (ZeroDivisionError: float division by zero)", "bug", "ANODELAB_DEBUG")


def test_multi_line_messages_and_numpy_warnings_keep_the_error_on_one_line(capsys, monkeypatch, half_cell):
    import anodelab.io
    from anodelab.core.errors import ReadError

    real_read = anodelab.io.read

    def noisy(path, **options):
        np.float64(1e308) * 10.0  # RuntimeWarning: overflow (an error under this suite's -W error)
        if Path(path).suffix == ".csv":
            return real_read(path, **options)
        raise ReadError(path, "the reader said:\n  line one\n  line two")

    monkeypatch.setattr(anodelab.io, "read", noisy)
    assert main(["read", str(half_cell), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rows"] > 0
    assert captured.err.startswith("anodelab: warning: 1 numerical warning (RuntimeWarning: overflow")
    assert captured.err.count("\n") == 1
    assert main(["read", str(half_cell.with_suffix(".mpr"))]) == 2
    _one_error_line(capsys, "the reader said: line one line two")  # the warning adds no second line


@pytest.mark.parametrize("status", [0, 1])
def test_warnings_are_counted_on_one_line_after_the_output(capsys, monkeypatch, status):
    from anodelab.cli import formats

    real_run = formats.run

    def noisy(args):
        real_run(args)
        with np.errstate(over="warn", invalid="warn"):
            for _ in range(2):
                np.exp(np.array([1000.0]))
            np.array([np.inf]) - np.inf
        warnings.warn("a library's deprecation", DeprecationWarning, stacklevel=1)
        warnings.warn("a library's future change", FutureWarning, stacklevel=1)
        return status

    monkeypatch.setattr(formats, "run", noisy)
    assert main(["formats"]) == status
    captured = capsys.readouterr()
    assert all(fmt.name in captured.out for fmt in anodelab.list_formats())
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("anodelab: warning: 3 numerical warnings (RuntimeWarning: "), lines
    assert "in exp (x2); RuntimeWarning: invalid value" in lines[0] and lines[0].endswith("results may be affected")
    assert "deprecation" not in lines[0] and "future" not in lines[0]

    def other(args):
        warnings.warn("first\n  second line", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(formats, "run", other)
    assert main(["formats"]) == 0
    assert capsys.readouterr().err == "anodelab: warning: 1 warning (UserWarning: first second line); results may be affected\n"


@pytest.mark.parametrize("kind", ["fifo", "device", "large", "latin-1", "nested-arrays", "nested-tables"])
def test_a_bad_cell_toml_is_one_line_without_hanging(tmp_path, capsys, half_cell, kind):
    cell = tmp_path / "bad.toml"
    if kind == "fifo":
        os.mkfifo(cell)  # opening it for reading would block until a writer comes
    elif kind == "device":
        cell = Path(os.devnull)
    elif kind == "large":
        cell.write_text('cell_type = "full"\n' + "#" * (2 << 20) + "\n")
    elif kind == "latin-1":
        cell.write_bytes('cell_type = "full"\nnotes = "Zürich"\n'.encode("latin-1"))
    else:
        depth = 5000
        value = "[" * depth + "]" * depth if kind == "nested-arrays" else "{a=" * depth + "1" + "}" * depth
        cell.write_text(f'cell_type = "full"\nnotes = {value}\n')
    assert main(["read", str(half_cell), "--cell", str(cell)]) == 2
    expected = {"fifo": "not a regular file", "device": "not a regular file", "large": "larger than 1 MiB",
                "latin-1": "not UTF-8 text (byte 0xfc", "nested-arrays": "nested too deeply",
                "nested-tables": "nested too deeply"}[kind]
    _one_error_line(capsys, str(cell), expected)


def test_drt_refuses_impedance_out_of_range_and_json_is_strict(tmp_path, capsys):
    path = symmetric_peis_csv(tmp_path)
    assert main(["drt", str(path), "--json"]) == 0
    json.loads(capsys.readouterr().out, parse_constant=_not_json)
    frame = pd.read_csv(path)
    frame[["Z_real_ohm", "Z_imag_ohm"]] *= 1e250
    huge = tmp_path / "huge.csv"
    frame.to_csv(huge, index=False)
    assert main(["drt", str(huge), "--json"]) == 2
    _one_error_line(capsys, "huge.csv", "ohm", "outside 1e-09..1e+15 ohm")


def _not_json(constant):
    raise AssertionError(f"{constant} is not JSON")


def test_every_json_output_is_strict(tmp_path, capsys, monkeypatch, half_cell):
    import anodelab.cycling

    (tmp_path / "eis").mkdir()
    spectra = symmetric_peis_csv(tmp_path / "eis")
    for argv in (["read", str(half_cell)], ["read", str(spectra)], ["formats"], ["cycling", str(half_cell)],
                 ["drt", str(spectra)], ["eis", "kk", str(spectra)], ["eis", "fit", str(spectra), "--circuit", "R(RQ)"]):
        assert main([*argv, "--json"]) == 0, argv
        json.loads(capsys.readouterr().out, parse_constant=_not_json)
    # none of those holds a non-finite number: one that does, through the command's own printing
    real_summary = anodelab.cycling.cycle_summary

    class NonFinite:
        def __init__(self, *args, **kwargs):
            self.summary = real_summary(*args, **kwargs)

        def to_dict(self):
            return {**self.summary.to_dict(), "probe": [float("nan"), np.float64(np.inf), {"x": -np.inf}]}

    monkeypatch.setattr(anodelab.cycling, "cycle_summary", NonFinite)
    assert main(["cycling", str(half_cell), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out, parse_constant=_not_json)["probe"] == [None, None, {"x": None}]
    assert '"probe": [null, null, {"x": null}]' in out


def test_strict_json_writes_non_finite_numbers_as_null():
    from anodelab.cli.strict_json import dumps

    text = dumps({"a": float("inf"), "b": [float("nan"), 1.5, np.float64(-np.inf)], "c": ("x", 2)})
    assert json.loads(text, parse_constant=_not_json) == {"a": None, "b": [None, 1.5, None], "c": ["x", 2]}
