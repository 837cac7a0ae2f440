"""anodelab analyze: discovery, failures kept apart, idempotent re-runs, kill -9, --jobs, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from anodelab import store
from anodelab.cli import main
from anodelab.sim.virtual.writers import write_experiment
from anodelab.study import registry
from anodelab.study.demo import PLAN, experiments
from anodelab.study.pipeline import analyze, discover, headline_table

#: a few cheap experiments of the demo: cycling, a CCD staircase, one spectrum, a Tafel sweep
CHOSEN = ("si_zno_half_cell", "li_llzto_ccd", "li_llzto_eis", "na_tafel")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    for planned, experiment in zip(PLAN, experiments(seed=3)):
        if planned.name in CHOSEN:
            write_experiment(experiment, folder / "cells", format=planned.format)
    (folder / "README.md").write_text("# my study\n")
    (folder / "cells" / "notes.png").write_bytes(b"\x89PNG not really")
    return folder


@pytest.fixture
def study(source, tmp_path):
    import shutil

    return shutil.copytree(source, tmp_path / "study")


def _metrics(database):
    with store.open(database, read_only=True) as db:
        return db.query('SELECT path, analysis, name, "index", value, stderr, unit FROM metric_table ORDER BY ALL').fetchall()


def test_discovery_skips_documentation_sidecars_and_results(study):
    (study / ".hidden").mkdir()
    (study / ".hidden" / "x.csv").write_text("a,b\n1,2\n")
    found, skipped = discover(study, exclude=(study / "anodelab-results",))
    assert found == sorted(f"cells/{name}.{'csv' if name == 'li_llzto_ccd' else 'mpt'}" for name in CHOSEN)
    why = dict(skipped)
    assert why["README.md"].startswith(".md files") and why["cells/notes.png"].startswith(".png files")
    assert why["cells/si_zno_half_cell.cell.toml"] == why["cells/li_llzto_eis.truth.json"] == "sidecar of a data file"


def test_an_unchanged_rerun_does_no_work_and_a_changed_file_reruns_alone(study):
    first = analyze(study, figures=False)
    assert len(first.analysed) == len(CHOSEN) and not first.cached
    stored = _metrics(first.database)
    assert any(row[1] == "cycle_summary" and row[2] == "ice" for row in stored)
    again = analyze(study, figures=False)
    assert not again.analysed and len(again.cached) == len(CHOSEN)
    assert _metrics(again.database) == stored
    cell = study / "cells" / "si_zno_half_cell.cell.toml"  # new metadata: that file alone is analysed again
    cell.write_text(cell.read_text().replace("mass_mg = ", "mass_mg = 1"))
    third = analyze(study, figures=False)
    assert third.analysed == ("cells/si_zno_half_cell.mpt",) and len(third.cached) == len(CHOSEN) - 1
    changed = {row for row in _metrics(third.database) if row[0] == "cells/si_zno_half_cell.mpt"}
    assert changed != {row for row in stored if row[0] == "cells/si_zno_half_cell.mpt"}
    assert {row for row in _metrics(third.database) if row[0] != "cells/si_zno_half_cell.mpt"} == \
        {row for row in stored if row[0] != "cells/si_zno_half_cell.mpt"}


def test_a_study_option_reruns_only_the_files_it_touches(study):
    analyze(study, figures=False)
    (study / "study.toml").write_text('[[files]]\nglob = "cells/li_llzto_eis.*"\noptions = { circuit_fit = '
                                      '{ circuit = "R0-p(R1,CPE1)" } }\ngroup = "LLZTO"\n')
    run = analyze(study, figures=False)
    assert run.analysed == ("cells/li_llzto_eis.mpt",)
    rows = {row["path"]: row for row in headline_table(run.database, run.run_id)}
    assert rows["cells/li_llzto_eis.mpt"]["group"] == "LLZTO"


def test_a_truncated_file_fails_alone_and_leaves_no_metric(study):
    victim = study / "cells" / "si_zno_half_cell.mpt"
    victim.write_bytes(victim.read_bytes()[:300])
    run = analyze(study, figures=False)
    rows = {row["path"]: row for row in headline_table(run.database, run.run_id)}
    assert rows["cells/si_zno_half_cell.mpt"]["error"] and "si_zno_half_cell.mpt" in rows["cells/si_zno_half_cell.mpt"]["error"]
    assert not [row for row in _metrics(run.database) if row[0] == "cells/si_zno_half_cell.mpt"]
    assert all(rows[path]["error"] is None for path in rows if path != "cells/si_zno_half_cell.mpt")
    assert rows["cells/li_llzto_eis.mpt"]["kind"] == "eis"


def test_a_failing_analysis_is_recorded_and_the_rest_run(study, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    row = registry.get("kk")
    monkeypatch.setattr(registry, "ANALYSES", tuple(
        a if a.name != "kk" else registry.Analysis("kk", broken, row.returns, row.kinds) for a in registry.ANALYSES))
    run = analyze(study, figures=False)
    rows = {row["path"]: row for row in headline_table(run.database, run.run_id)}
    failed = rows["cells/li_llzto_eis.mpt"]["failed_analyses"]
    assert list(failed) == ["kk"] and "ZeroDivisionError: boom" in failed["kk"]
    assert any(row[0] == "cells/li_llzto_eis.mpt" and row[1] == "drt" for row in _metrics(run.database))
    with store.open(run.database, read_only=True) as db:
        assert db.query("SELECT path, analysis FROM failures").fetchall() == [("cells/li_llzto_eis.mpt", "kk")]


def test_an_analysis_that_does_not_apply_says_why_and_is_not_a_failure(study):
    (study / "study.toml").write_text('[[files]]\nglob = "cells/li_llzto_eis.mpt"\nkind = "eis-temperature"\n')
    run = analyze(study, figures=False)
    rows = {row["path"]: row for row in headline_table(run.database, run.run_id)}
    row = rows["cells/li_llzto_eis.mpt"]
    assert row["kind"] == "eis-temperature" and row["reason"] == "named in study.toml"
    assert "two or more known temperatures" in row["not_applicable"]["arrhenius"] and not row["failed_analyses"]


_KILLED = """
import os, signal, sys
from anodelab.study.pipeline import analyze
def progress(done, total, path):
    if done == 2:
        os.kill(os.getpid(), signal.SIGKILL)
analyze(sys.argv[1], figures=False, progress=progress)
"""


def test_a_run_killed_midway_leaves_a_consistent_store_that_the_next_run_completes(study, tmp_path):
    killed = subprocess.run([sys.executable, "-c", _KILLED, str(study)], capture_output=True, check=False)
    assert killed.returncode == -signal.SIGKILL
    database = study / "anodelab-results" / "anodelab.duckdb"
    with store.open(database, read_only=True) as db:
        assert db.query("SELECT count(*) FROM files").fetchall() == [(2,)]
        assert db.query("SELECT count(*) FROM metrics WHERE result_id NOT IN (SELECT result_id FROM results)"
                        ).fetchall() == [(0,)]
    run = analyze(study, figures=False)
    assert len(run.cached) == 2 and len(run.analysed) == len(CHOSEN) - 2
    reference = analyze(study, out=tmp_path / "reference", figures=False)
    assert _metrics(run.database) == _metrics(reference.database)


def test_two_processes_give_the_same_store_as_one(study, tmp_path):
    one = analyze(study, out=tmp_path / "one", figures=False)
    two = analyze(study, out=tmp_path / "two", jobs=2, figures=False)
    assert sorted(two.analysed) == sorted(one.analysed)
    assert _metrics(two.database) == _metrics(one.database)


def test_cli_analyze_json_and_query(study, capsys):
    assert main(["analyze", str(study), "--json", "--no-figures"]) == 0
    summary = json.loads(capsys.readouterr().out)
    kinds = {row["path"]: row["kind"] for row in summary["files"]}
    assert kinds == {"cells/si_zno_half_cell.mpt": "cycling", "cells/li_llzto_ccd.csv": "ccd",
                     "cells/li_llzto_eis.mpt": "eis", "cells/na_tafel.mpt": "polarization"}
    database = summary["database"]
    sql = "SELECT path, value FROM metric_table WHERE analysis = 'cycle_summary' AND name = 'ice'"
    assert main(["query", sql, "--db", database, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["path"] for row in rows] == ["cells/si_zno_half_cell.mpt"] and 0.5 < rows[0]["value"] < 1
    assert main(["query", sql, "--db", database, "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "path,value"
    assert main(["query", "DELETE FROM metrics", "--db", database]) == 2
    assert "writes nothing; got DELETE" in capsys.readouterr().err
    assert main(["analyze", str(study), "--no-figures"]) == 0
    out = capsys.readouterr()
    assert "4 unchanged" in out.out and "cells/si_zno_half_cell.mpt" in out.out and "ice" in out.out


def test_cli_analyze_refuses_what_is_not_a_study(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "study.toml").write_text("[[files]]\nglob = '*'\noptions = { kk = { nope = 1 } }\n")
    assert main(["analyze", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "kk takes no option 'nope'" in err[0]


def test_strict_exits_2_when_a_file_failed(study, capsys):
    victim = study / "cells" / "li_llzto_ccd.csv"
    victim.write_text("not,a\ncycler,file\n")
    assert main(["analyze", str(study), "--quiet", "--no-figures"]) == 0
    assert main(["analyze", str(study), "--quiet", "--no-figures", "--strict"]) == 2
    assert "li_llzto_ccd.csv" in capsys.readouterr().err.strip().splitlines()[-1]
    assert os.path.exists(study / "anodelab-results" / "anodelab.duckdb") and Path(victim).read_text().startswith("not")


def test_spectra_measured_during_a_record_are_analysed_and_stored_beside_it(tmp_path):
    import shutil

    from shared_data import external_file

    study = tmp_path / "mixed"
    study.mkdir()
    shutil.copy(external_file("cycler/biologic/biol.mpr"), study / "biol.mpr")
    run = analyze(study)
    with store.open(run.database, read_only=True) as db:
        analyses = dict(db.query("SELECT analysis, error IS NULL AND not_applicable IS NULL FROM results").fetchall())
        spectra = db.query("SELECT count(DISTINCT spectrum), count(*) FROM spectra").fetchall()[0]
        reason = db.query("SELECT reason FROM experiments").fetchall()[0][0]
    assert analyses["spectra.kk"] and analyses["spectra.drt"] and analyses["spectra.circuit_fit"]
    assert spectra == (5, 64 * 4 + 54)  # biol.mpr: five GEIS sweeps between its charge steps (galvani's rows)
    assert "5 impedance spectra measured during it" in reason
    figures = {path.name for path in (run.database.parent / "report" / "figures").iterdir()}
    assert "biol.mpr.spectra.drt.png" in figures


def test_a_file_deleted_from_the_folder_is_forgotten_by_the_next_run(study):
    first = analyze(study, figures=False, report=False)
    (study / "cells" / "na_tafel.mpt").unlink()
    run = analyze(study, figures=False, report=False)
    assert run.summary["forgotten"] == ["cells/na_tafel.mpt"] and len(run.cached) == len(CHOSEN) - 1
    with store.open(first.database, read_only=True) as db:
        paths = {row[0] for row in db.query("SELECT DISTINCT path FROM metric_table").fetchall()}
        assert db.query("SELECT count(*) FROM files WHERE path = 'cells/na_tafel.mpt'").fetchall() == [(0,)]
    assert "cells/na_tafel.mpt" not in paths and "cells/li_llzto_eis.mpt" in paths


def test_one_files_bad_cell_toml_fails_that_file_alone(study):
    (study / "cells" / "na_tafel.cell.toml").write_text("cell_type = 'battery'\n")
    run = analyze(study, figures=False, report=False)
    rows = {row["path"]: row for row in headline_table(run.database, run.run_id)}
    assert "unknown cell type 'battery'" in rows["cells/na_tafel.mpt"]["error"]
    assert all(rows[path]["error"] is None for path in rows if path != "cells/na_tafel.mpt")


def test_a_file_that_changes_after_it_was_hashed_is_refused_not_stored_half(study, monkeypatch):
    from anodelab.study import pipeline

    original = pipeline.read

    def read_after_an_edit(path, **options):
        if path.name == "na_tafel.mpt":
            path.write_bytes(path.read_bytes() + b"\n")  # the instrument appends while we analyse
        return original(path, **options)

    monkeypatch.setattr(pipeline, "read", read_after_an_edit)
    run = analyze(study, figures=False, report=False)
    rows = {row["path"]: row for row in headline_table(run.database, run.run_id)}
    assert "changed while the study was being analysed" in rows["cells/na_tafel.mpt"]["error"]
    monkeypatch.setattr(pipeline, "read", original)
    again = analyze(study, figures=False, report=False)  # a new key: analysed again, now whole
    assert again.analysed == ("cells/na_tafel.mpt",)


def test_a_kind_forced_on_the_wrong_data_is_not_applicable_not_a_crash(study):
    (study / "study.toml").write_text('[[files]]\nglob = "cells/li_llzto_eis.mpt"\nkind = "cycling"\n')
    run = analyze(study, figures=False, report=False)
    row = {row["path"]: row for row in headline_table(run.database, run.run_id)}["cells/li_llzto_eis.mpt"]
    assert not row["failed_analyses"] and set(row["not_applicable"]) == {"cycle_summary", "voltage_profiles", "dqdv"}


def test_a_report_that_fails_leaves_the_study_stored_and_says_so(study, monkeypatch, capsys):
    from anodelab.study import pipeline

    def broken(*args, **kwargs):
        raise KeyError("mean_extraction_mAh")

    monkeypatch.setattr(pipeline, "write_report", broken)
    assert main(["analyze", str(study), "--no-figures", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "report could not be written (KeyError" in captured.err and "cells/na_tafel.mpt" in captured.out


@pytest.mark.parametrize("sql", ["COPY (SELECT 1) TO 'x.csv'", "SELECT 1; DELETE FROM metrics", "ATTACH 'x.db'",
                                 "SELEC 1"])
def test_query_runs_one_select_and_nothing_that_writes(study, tmp_path, capsys, sql, monkeypatch):
    run = analyze(study, figures=False, report=False)
    monkeypatch.chdir(tmp_path)
    assert main(["query", sql, "--db", str(run.database)]) == 2
    assert capsys.readouterr().err.startswith("anodelab: error:") and not (tmp_path / "x.csv").exists()
