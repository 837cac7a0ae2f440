"""The demo study: every experiment kind written, read back unchanged, recognised from the data,
analysed into the store, reproducible, and polite about folders it did not make."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import anodelab
from anodelab import store
from anodelab.cli import main
from anodelab.core import CellInfo, Record
from anodelab.core.errors import ValidationError
from anodelab.sim.virtual import KINDS
from anodelab.study.demo import MARKER, MODELS, PLAN, experiments, run_demo

SPECTRA_KINDS = {"eis", "eis-series", "eis-temperature", "conductivity"}
SNIFFED = {".mpt": "biologic-mpt", ".csv": "generic-table"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_demo(tmp_path_factory.mktemp("demo") / "out", seed=0, figures=False)


def _contents(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_every_experiment_kind_of_the_five_papers_is_written(demo):
    assert set(demo.kinds) == set(KINDS)
    papers = sorted({path.parent.name for path in demo.files})
    assert [name[:3] for name in papers] == ["000", "001", "002", "003", "004"]
    assert {path.suffix for path in demo.files} == {".mpt", ".csv"}
    for path in demo.files:
        assert path.with_name(path.stem + ".cell.toml").is_file()
        assert json.loads(path.with_name(path.stem + ".truth.json").read_text())


def _stored(demo, stem, analysis):
    """The content of one analysis of one demo file, as the store keeps it."""
    with store.open(demo.database, read_only=True) as db:
        rows = db.query("SELECT r.content FROM results r JOIN files f USING (file_id) WHERE f.path LIKE ? "
                        "AND r.analysis = ?", [f"%/{stem}.%", analysis]).fetchall()
    assert len(rows) == 1, (stem, analysis)
    return json.loads(rows[0][0])


def test_every_experiment_is_recognised_from_its_data_and_analysed(demo):
    rows = {row["path"]: row for row in demo.rows()}
    assert len(rows) == len(PLAN) + len(MODELS)
    for path, kind in zip(demo.files, demo.kinds):
        row = rows[path.relative_to(demo.folder).as_posix()]
        assert row["kind"] == kind and row["error"] is None and not row["failed_analyses"], row
        assert row["reason"] and 0 < row["confidence"] <= 1
    assert rows["000_si_zno_solid_state/si_zno_half_cell.mpt"]["metrics"]["cycle_summary.ice"]["value"] == \
        pytest.approx(json.loads(demo.files[0].with_name("si_zno_half_cell.truth.json").read_text())["ice"], abs=1e-3)


def test_every_file_reads_back_with_its_kind_and_cell(demo):
    for path, kind in zip(demo.files, demo.kinds):
        summary = anodelab.read(path).summary()
        assert summary["kind"] == ("spectra" if kind in SPECTRA_KINDS else "record"), path.name
        assert summary["format"] == SNIFFED[path.suffix]
        assert summary["rows"] > 0 and summary["provenance"]["path"] == str(path)
        cell = CellInfo.from_toml(path.with_name(path.stem + ".cell.toml"))
        assert summary["cell_type"] == cell.cell_type


def test_drt_processes_match_each_papers_truth(demo):
    # paper 000's in-situ GEIS named by its windows, paper 003's Si/C spectrum by its own (R_ob, R_SEI,
    # R_ct): every process within 5 % of the circuit that made the file (0.2 % noise)
    index = {path.stem: i for i, path in enumerate(demo.files)}
    cases = {"si_zno_insitu_eis": ("R_SSE", "R_SEI", "R_ct"), "si_c_eis": ("R_ob", "R_SEI", "R_ct")}
    circuit_keys = {"R_ob": "Zarc1.R_ohm", "R_SEI": "Zarc2.R_ohm", "R_ct": "Zarc3.R_ohm"}
    for stem, names in cases.items():
        path = demo.files[index[stem]]
        truth = json.loads(path.with_name(stem + ".truth.json").read_text())
        first = _stored(demo, stem, "drt")["series"][0]
        for name in names:
            if stem == "si_zno_insitu_eis":
                expected = truth[f"{name}_ohm"][0]
            else:
                expected = truth["circuit_parameters"][circuit_keys[name]]
            assert first["process_R_ohm"][name] == pytest.approx(expected, rel=0.05), (stem, name)


def test_files_hold_exactly_the_generated_data(demo):
    """The round trip through the writers and anodelab.read, for every generator in the demo."""
    for path, experiment in zip(demo.files, experiments(seed=0)):
        back = anodelab.read(path)
        assert replace(back.cell, source=None) == experiment.cell
        if isinstance(experiment.data, Record):
            for name in ("voltage_V", "current_mA", "step", "cycle", "state"):
                np.testing.assert_array_equal(back[name], experiment.data[name], err_msg=f"{path.name}: {name}")
            np.testing.assert_array_equal(back.time_s, experiment.data.time_s - experiment.data.time_s[0])
            # .mpt: per-step differences of the running (Q-Qo) counter, exact to its rounding
            scale = max(float(np.abs(experiment.data.capacity_mAh).max()), 1e-300)
            np.testing.assert_allclose(back.capacity_mAh, experiment.data.capacity_mAh, rtol=0, atol=1e-12 * scale)
        else:
            assert len(back) == len(experiment.data)
            for read, made in zip(back, experiment.data):
                np.testing.assert_array_equal(read.frequency_Hz, made.frequency_Hz)
                np.testing.assert_array_equal(read.Z_ohm, made.Z_ohm)


def _metrics(demo):
    """Every metric stored for the demo's own folder (a copied store also holds the folder it came from)."""
    with store.open(demo.database, read_only=True) as db:
        return db.query("SELECT path, analysis, name, index_name, \"index\", value, stderr, unit FROM metric_table "
                        "WHERE study = ? ORDER BY ALL", [demo.folder.resolve().as_posix()]).fetchall()


def test_same_seed_same_bytes_other_seed_other_data(demo, tmp_path):
    before = _metrics(demo)
    again = shutil.copytree(demo.folder, tmp_path / "again")  # a previous demo, moved: replaced in place
    moved = run_demo(again, seed=0, figures=False)  # another folder is another study: analysed anew, the same numbers
    data = lambda contents: {k: v for k, v in contents.items() if not k.startswith("anodelab-results/")}
    assert data(_contents(again)) == data(_contents(demo.folder))
    assert moved.run.analysed and _metrics(moved) == before
    rerun = run_demo(again, seed=0, figures=False)
    assert len(rerun.run.cached) == len(PLAN) + len(MODELS) and not rerun.run.analysed  # unchanged files: no analysis work
    assert _metrics(rerun) == before
    first = next(experiments(seed=0)).data
    other = next(experiments(seed=1)).data
    assert not np.array_equal(first.voltage_V, other.voltage_V)


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_cli_default_folder_replaces_a_previous_demo(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "anodelab-demo"
    first, second = list(dict.fromkeys(planned.paper for planned in PLAN))[:2]
    paper, other = folder / first, folder / second
    paper.mkdir(parents=True)
    other.mkdir()
    (paper / "old.png").write_bytes(b"old demo figure")  # written by a previous demo: its checksum matches
    (paper / "mine.txt").write_text("a user's file, listed by a planted marker\n")
    (tmp_path / "outside.txt").write_text("never touched\n")
    (other / "link.txt").symlink_to(tmp_path / "outside.txt")
    (folder / "notes.txt").write_text("mine\n")
    outside = _sha256(b"never touched\n")
    (folder / MARKER).write_text(json.dumps({"files": {
        f"{first}/old.png": _sha256(b"old demo figure"), f"{first}/mine.txt": _sha256(b"other"),
        "../outside.txt": outside, f"{second}/link.txt": outside, "notes.txt": _sha256(b"mine\n")}}))
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--no-figures"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert str(folder) in out[0] and out[-1].endswith(f"{len(PLAN)}/{len(PLAN)} as generated")
    assert any("si_zno_half_cell.mpt" in line and "cycling" in line and "ice 0.7" in line for line in out)
    assert not (paper / "old.png").exists()  # the previous demo's file: removed
    assert (paper / "mine.txt").read_text().startswith("a user's file") and (other / "link.txt").is_symlink()
    assert (folder / "notes.txt").read_text() == "mine\n" and (tmp_path / "outside.txt").read_text() == "never touched\n"
    listed = json.loads((folder / MARKER).read_text())["files"]
    assert len(listed) == 3 * len(PLAN) + len(MODELS) + 1  # data, cell.toml, truth per experiment, models, study.toml
    assert all(_sha256((folder / name).read_bytes()) == checksum for name, checksum in listed.items())


def test_a_changed_or_foreign_file_stops_the_demo_before_it_deletes_anything(demo, tmp_path, capsys):
    again = shutil.copytree(demo.folder, tmp_path / "again")
    edited = again / PLAN[2].paper / f"{PLAN[2].name}.cell.toml"
    edited.write_text(edited.read_text() + "# my edit\n")
    before = _contents(again)
    assert main(["demo", "--out", str(again)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(edited) in err[0] and "changed since" in err[0]
    assert _contents(again) == before
    foreign = tmp_path / "foreign" / PLAN[0].paper
    foreign.mkdir(parents=True)
    (foreign.parent / MARKER).write_text(json.dumps({"files": {}}))
    (foreign / f"{PLAN[0].name}.mpt").write_text("a user's measurement\n")
    with pytest.raises(ValidationError, match=f"{PLAN[0].name}.mpt was not written by the demo"):
        run_demo(foreign.parent)
    assert (foreign / f"{PLAN[0].name}.mpt").read_text() == "a user's measurement\n"


def test_out_must_name_a_folder(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder\n")
    for out, expected in (("", "empty folder name"), (str(a_file / "sub"), "which is not a folder")):
        assert main(["demo", "--out", out]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


# A fresh process (matplotlib not yet imported) runs `anodelab demo` on one planned experiment, a single
# spectrum: its figures are those of every EIS file (the rest of the plan draws with the same code).
_ONE_FIGURE_DEMO = """
import sys
from anodelab.study import demo
demo.PLAN = tuple(planned for planned in demo.PLAN if planned.name == "si_c_eis")
demo.MODELS = ()
from anodelab.cli import main
sys.exit(main(["demo", "--out", sys.argv[1]]))
"""


def test_the_demo_writes_nothing_into_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MPL", "XDG_"))}
    env["HOME"] = str(home)
    result = subprocess.run([sys.executable, "-c", _ONE_FIGURE_DEMO, str(tmp_path / "out")],
                            capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert list(home.iterdir()) == []
    figures = sorted((tmp_path / "out" / "anodelab-results" / "report" / "figures").iterdir())
    assert {path.name for path in figures} == {f"003_si_c_pulse_sei__si_c_eis.csv.{name}.{suffix}" for suffix in
                                               ("png", "svg") for name in ("drt", "kk", "impedance", "nyquist")}
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in figures if path.suffix == ".png")


def test_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("\\chapter{}\n")
    with pytest.raises(ValidationError, match="thesis") as error:
        run_demo(foreign)
    assert error.value.field == "out"
    assert main(["demo", "--out", str(foreign)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(foreign) in err[0] and "not made by `anodelab demo`" in err[0]
    assert sorted(p.name for p in foreign.iterdir()) == ["chapter1.tex"]
    with pytest.raises(ValidationError, match="not a folder"):
        run_demo(foreign / "chapter1.tex")
    with pytest.raises(ValidationError) as error:
        run_demo(tmp_path / "new", seed=-1)
    assert error.value.field == "seed"
