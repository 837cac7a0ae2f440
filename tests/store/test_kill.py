"""kill -9 in the middle of a run leaves a consistent store that the next run completes; one writer at a time."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store.checks import orphans, table_counts
from store.fakes import STUDY, entry, expected_counts

from anodelab import store
from anodelab.core.errors import ReadError

WRITER = Path(__file__).with_name("writer.py")
FILES = 10
METRICS = ('SELECT path, analysis, name, index_name, "index", value, stderr, unit, definition FROM metric_table '
           'ORDER BY path, analysis, name, "index"')


def child(database: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WRITER), str(database), *arguments], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def complete_run(database: Path) -> None:
    """The second run, as the pipeline makes it: write what is not cached, touch the rest."""
    with store.open(database) as db:
        run = db.begin_run("test", {})
        for seed in range(FILES):
            stored = entry(seed)
            if db.cached(STUDY, stored.path, stored.key):
                db.touch(run, STUDY, stored.path)
            else:
                db.write_file(run, stored)
        db.finish_run(run, {})


def check_consistent(database: Path) -> set[int]:
    """Open the store as the next run would; every link holds and every stored file is whole. Returns
    the seeds stored."""
    with store.open(database) as db:
        assert {rule: count for rule, count in orphans(db).items() if count} == {}
        stored = {path: file_id for path, file_id in db.query("SELECT path, file_id FROM files").fetchall()}
        for seed in range(FILES):
            if entry(seed).path in stored:
                assert table_counts(db, stored[entry(seed).path]) == expected_counts(entry(seed))
        leftovers = [path.name for path in (db.folder / "timeseries").iterdir() if path.name.endswith(".tmp")]
        assert leftovers == []
        series = {row[0].split("/")[1] for row in db.query("SELECT timeseries FROM files").fetchall()}
        assert {path.name for path in (db.folder / "timeseries").iterdir()} == series
    return {seed for seed in range(FILES) if entry(seed).path in stored}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[tuple]:
    """The metrics of the study written by one uninterrupted run."""
    database = tmp_path_factory.mktemp("reference") / "anodelab.duckdb"
    complete_run(database)
    with store.open(database, read_only=True) as db:
        return db.query(METRICS).fetchall()


def test_killed_in_a_loop_of_writes(tmp_path, reference):
    database = tmp_path / "anodelab.duckdb"
    writer = child(database, "forever", str(FILES))
    assert writer.stdout is not None
    for _ in range(FILES + 3):
        assert writer.stdout.readline().strip() != ""  # a file committed
    writer.send_signal(signal.SIGKILL)  # while it replaces the next ones
    writer.communicate()
    assert writer.returncode == -signal.SIGKILL
    assert check_consistent(database) == set(range(FILES))
    with store.open(database, read_only=True) as db:
        keys = dict(db.query("SELECT path, key FROM files").fetchall())
    assert {keys[entry(seed).path] for seed in range(3)} == {f"key-{seed}-round-1" for seed in range(3)}
    complete_run(database)
    assert check_consistent(database) == set(range(FILES))
    with store.open(database, read_only=True) as db:
        assert db.query(METRICS).fetchall() == reference
        unfinished = db.query("SELECT count(*) FROM runs WHERE finished IS NULL").fetchall()
        assert unfinished == [(1,)]  # the killed run says so


@pytest.mark.parametrize("point", ["parquet", "metrics", "commit"])
def test_killed_at_each_point_of_a_write(tmp_path, reference, point):
    database = tmp_path / "anodelab.duckdb"
    writer = child(database, "kill", point, "3", str(FILES))
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL, err
    assert out.split() == ["0", "1", "2"]
    assert check_consistent(database) == {0, 1, 2}  # the file being written is not there, half or whole
    complete_run(database)
    assert check_consistent(database) == set(range(FILES))
    with store.open(database, read_only=True) as db:
        assert db.query(METRICS).fetchall() == reference


def test_a_store_open_for_writing_elsewhere_is_refused_by_name(tmp_path):
    database = tmp_path / "anodelab.duckdb"
    holder = child(database, "hold")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        for read_only in (False, True):
            with pytest.raises(ReadError, match=rf"anodelab.duckdb: is open for writing in another process "
                                                rf"\(.*PID {holder.pid}\)"):
                store.open(database, read_only=read_only)
    finally:
        holder.communicate("\n", timeout=30)
    with store.open(database, read_only=True) as db:  # released when the writer closes
        assert db.query("SELECT count(*) FROM files").fetchall() == [(0,)]
