"""anodelab analyze on a Dask cluster: the same store as one process, file by file; a killed worker, a
failing file and a file that kills every worker it meets stop nothing; unchanged files are not sent.

One LocalCluster of 2 single-threaded worker processes serves the module. Faults are injected by
replacing the function the cluster submits (``cluster.analyse_file``) with a closure, which cloudpickle
ships to the workers by value; the workers share this machine's file system, so a marker file decides
"first attempt" across worker processes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import psutil
import pytest

from anodelab import store
from anodelab.cli import main
from anodelab.core.errors import MissingExtraError, ValidationError
from anodelab.sim.virtual import alloy_half_cell, insitu_eis_series
from anodelab.sim.virtual.writers import write_experiment
from anodelab.study import cluster
from anodelab.study.cluster import stored_content
from anodelab.study.demo import PLAN, experiments
from anodelab.study.pipeline import analyse_file, analyze

pytestmark = pytest.mark.slow  # ~30 s: a cluster, worker restarts

distributed = pytest.importorskip("distributed")

#: cheap experiments of the demo (cycling, CCD, one spectrum with its DRT, a Tafel sweep) and small cells
CHOSEN = ("si_zno_half_cell", "li_llzto_ccd", "li_llzto_eis", "na_tafel")
CELLS = 6
VICTIM = "cells/cell_03.mpt"


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    for planned, experiment in zip(PLAN, experiments(seed=5)):
        if planned.name in CHOSEN:
            write_experiment(experiment, folder / "cells", format=planned.format)
    for index in range(CELLS):  # more files than the tasks kept in flight (4 per worker thread)
        write_experiment(alloy_half_cell(seed=index, n_cycles=4, name=f"cell_{index:02d}"), folder / "cells")
    return folder


def one_process(folder, out):
    """What ``anodelab analyze`` stores in a process of its own: this one may hold DRT bases that other
    tests built with more BLAS threads (see pipeline.analyse_file)."""
    subprocess.run([sys.executable, "-c", "import sys; from anodelab.cli import main; sys.exit(main(sys.argv[1:]))",
                    "analyze", str(folder), "--out", str(out), "--no-figures", "--no-report", "--quiet"],
                   check=True, capture_output=True)
    return stored_content(out / "anodelab.duckdb")


@pytest.fixture(scope="module")
def reference(source, tmp_path_factory):
    """What one process stores for the study."""
    content = one_process(source, tmp_path_factory.mktemp("reference"))
    assert len(content["files"]) == len(CHOSEN) + CELLS
    return content


@pytest.fixture(scope="module")
def client():
    """2 worker processes, 1 thread each; a task whose workers die twice is given up by the scheduler
    (KilledWorker), then submitted once more by the pipeline."""
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    with cluster.local_cluster(n_workers=2, memory_limit="1GiB", scheduler_kwargs={"allowed_failures": 1}) as local, \
            distributed.Client(local) as connected:
        yield connected
    _assert_no_process_left(before)


def _assert_no_process_left(before):
    # multiprocessing's resource tracker lives as long as this process, by design: not a worker left behind
    new = [child for child in psutil.Process().children(recursive=True) if child.pid not in before
           and "resource_tracker" not in " ".join(child.cmdline())]
    _, alive = psutil.wait_procs(new, timeout=60)
    assert not alive, f"processes left behind: {[p.cmdline() for p in alive]}"


def _error(database, path):
    with store.open(database, read_only=True) as db:
        return db.query("SELECT error FROM files WHERE path = ?", [path]).fetchall()[0][0]


def _without(content, path):
    return {table: [row for row in rows if row[0] != path] for table, rows in content.items()}


def test_the_cluster_stores_what_one_process_stores(source, reference, client, tmp_path):
    run = analyze(source, out=tmp_path / "cluster", scheduler=client, figures=False, report=False)
    assert sorted(run.analysed) == sorted(row[0] for row in reference["files"])
    assert stored_content(run.database) == reference
    assert reference["drt_curves"] and reference["cycles"] and reference["timeseries"]


def test_an_impedance_series_whose_drt_depends_on_blas_threads_is_stored_as_one_process_stores_it(
        client, tmp_path):
    # 16 spectra: with the machine's BLAS threads (not one, as on the workers) its DRT differs in the last bits
    write_experiment(insitu_eis_series(seed=2, name="insitu"), tmp_path / "study")
    run = analyze(tmp_path / "study", out=tmp_path / "cluster", scheduler=client, figures=False, report=False)
    assert run.analysed == ("insitu.mpt",)
    stored = stored_content(run.database)
    assert stored["drt_curves"] and stored == one_process(tmp_path / "study", tmp_path / "one")


def test_unchanged_files_are_not_sent_and_a_changed_one_alone_is(source, client, tmp_path, monkeypatch):
    study = shutil.copytree(source, tmp_path / "study")
    sent = tmp_path / "sent.txt"

    def logged(task):
        with open(sent, "a", encoding="utf-8") as log:
            log.write(task.path + "\n")
        return analyse_file(task)

    monkeypatch.setattr(cluster, "analyse_file", logged)
    first = analyze(study, scheduler=client, figures=False, report=False)
    assert sorted(sent.read_text().split()) == sorted(first.analysed) and len(first.analysed) == len(CHOSEN) + CELLS
    sent.unlink()
    again = analyze(study, scheduler=client, figures=False, report=False)
    assert not again.analysed and not sent.exists()
    cell = study / "cells" / "cell_01.cell.toml"
    cell.write_text(cell.read_text().replace("mass_mg = ", "mass_mg = 1"))
    third = analyze(study, scheduler=client, figures=False, report=False)
    assert third.analysed == ("cells/cell_01.mpt",) and sent.read_text().split() == ["cells/cell_01.mpt"]


def test_a_worker_killed_mid_run_loses_no_files_result(source, reference, client, tmp_path, monkeypatch):
    marker = tmp_path / "killed"

    def dies_once(task):
        if task.path == VICTIM and not marker.exists():
            marker.touch()
            os._exit(1)  # the worker process dies here; its nanny starts a new one
        return analyse_file(task)

    monkeypatch.setattr(cluster, "analyse_file", dies_once)
    run = analyze(source, out=tmp_path / "cluster", scheduler=client, figures=False, report=False)
    assert marker.exists() and len(run.analysed) == len(CHOSEN) + CELLS
    assert stored_content(run.database) == reference


def test_a_file_that_raises_is_retried_then_stored_as_failed_and_the_rest_are_stored(
        source, reference, client, tmp_path, monkeypatch):
    attempts = tmp_path / "attempts.txt"

    def raises(task):
        if task.path == VICTIM:
            with open(attempts, "a", encoding="utf-8") as log:
                log.write("attempt\n")
            raise RuntimeError("the reader blew up")
        return analyse_file(task)

    monkeypatch.setattr(cluster, "analyse_file", raises)
    run = analyze(source, out=tmp_path / "cluster", scheduler=client, figures=False, report=False)
    assert attempts.read_text().split() == ["attempt"] * (cluster.RETRIES + 1)
    assert f"after {cluster.RETRIES + 1} attempts (RuntimeError: the reader blew up)" in _error(run.database, VICTIM)
    stored = stored_content(run.database)
    assert not [row for row in stored["metrics"] if row[0] == VICTIM]
    assert _without(stored, VICTIM) == _without(reference, VICTIM)


def test_a_file_that_kills_every_worker_is_stored_as_failed_and_the_rest_are_stored(
        source, reference, client, tmp_path, monkeypatch):
    def always_dies(task):
        if task.path == VICTIM:
            os._exit(1)
        return analyse_file(task)

    monkeypatch.setattr(cluster, "analyse_file", always_dies)
    run = analyze(source, out=tmp_path / "cluster", scheduler=client, figures=False, report=False)
    assert len(run.analysed) == len(CHOSEN) + CELLS
    assert "the Dask workers analysing it died 4 times" in _error(run.database, VICTIM)
    stored = stored_content(run.database)
    assert _without(stored, VICTIM) == _without(reference, VICTIM)
    client.wait_for_workers(2, timeout=120)  # their nannies restarted the workers it killed


def test_cli_analyze_on_a_running_scheduler(source, reference, client, tmp_path, capsys):
    address = client.scheduler.address
    assert address.startswith("tcp://")
    out = tmp_path / "cli"
    assert main(["analyze", str(source), "--out", str(out), "--scheduler", address, "--json", "--no-figures",
                 "--no-report"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["analysed"]) == len(CHOSEN) + CELLS and not any(row["error"] for row in summary["files"])
    assert stored_content(summary["database"]) == reference


def test_local_starts_a_cluster_and_leaves_no_process_behind(source, tmp_path):
    study = tmp_path / "small"
    (study / "cells").mkdir(parents=True)
    for name in ("cell_00", "cell_01"):
        for path in (source / "cells").glob(f"{name}.*"):
            shutil.copy(path, study / "cells" / path.name)
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    run = analyze(study, scheduler="local", figures=False, report=False)
    assert sorted(run.analysed) == ["cells/cell_00.mpt", "cells/cell_01.mpt"]
    _assert_no_process_left(before)
    one = analyze(study, out=tmp_path / "one", figures=False, report=False)
    assert stored_content(run.database) == stored_content(one.database)


def test_what_is_not_a_scheduler_is_refused_before_anything_is_written(source, tmp_path, monkeypatch):
    with pytest.raises(ValidationError, match="scheduler address"):
        analyze(source, out=tmp_path / "a", scheduler="my cluster")
    with pytest.raises(ValidationError, match="not both"):
        analyze(source, out=tmp_path / "b", scheduler="local", jobs=2)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    monkeypatch.setattr(cluster.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingExtraError, match=r"anodelab\[scale\]"):
        analyze(source, out=tmp_path / "c", scheduler="local")


def test_a_scheduler_that_does_not_answer_is_an_error_naming_it(source, tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(ValidationError, match=f"no Dask scheduler answers at tcp://127.0.0.1:{port}"):
        analyze(source, out=tmp_path / "a", scheduler=f"tcp://127.0.0.1:{port}", figures=False, report=False)
