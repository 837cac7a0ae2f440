"""The results store: schema, exact metrics, replacement without stale rows, cache keys, runs, views."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import ClassVar

import duckdb
import numpy as np
import pytest
from store.checks import orphans, table_counts
from store.fakes import (
    STUDY,
    BrokenResult,
    CapacityResult,
    cell,
    entry,
    expected_counts,
    record,
)

from anodelab import store
from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import AnodelabError, ReadError, ValidationError
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.result import Metric, Result
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries
from anodelab.store import AnalysisEntry, FileEntry


@dataclass(frozen=True, repr=False, kw_only=True)
class ValuesResult(Result):
    """Given metrics, as they are."""

    kind: ClassVar[str] = "test-values"
    given: tuple[Metric, ...] = ()

    def metrics(self) -> tuple[Metric, ...]:
        return self.given


def broken_links(db: store.Store) -> dict[str, int]:
    return {rule: count for rule, count in orphans(db).items() if count}


def file_id(db: store.Store, path: str) -> int:
    return db.query("SELECT file_id FROM files WHERE study = ? AND path = ?", [STUDY, path]).fetchall()[0][0]


# -- the schema ------------------------------------------------------------------------------------------


def test_open_creates_folder_schema_and_version(tmp_path):
    path = tmp_path / "new" / "deeper" / "anodelab.duckdb"
    with store.open(path) as db:
        tables = {row[0] for row in db.query("SELECT table_name FROM duckdb_tables()").fetchall()}
        views = {row[0] for row in db.query("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert db.query("SELECT schema_version FROM meta").fetchall() == [(store.SCHEMA_VERSION,)]
    assert path.is_file()
    assert {"meta", "runs", "files", "run_files", "experiments", "results", "metrics", "cycles", "drt_curves",
            "result_tables", "spectra", "data_cycles"} <= tables
    assert {"metric_table", "experiment_table", "group_table", "failures"} <= views
    with store.open(path) as again:  # an existing store opens as it is
        assert again.query("SELECT count(*) FROM meta").fetchall() == [(1,)]


def test_a_file_that_is_not_duckdb_is_refused_by_name(tmp_path):
    path = tmp_path / "results.duckdb"
    path.write_text("time_s,voltage_V\n0,1\n" * 200)
    with pytest.raises(ReadError, match="results.duckdb: is not a DuckDB database"):
        store.open(path)
    assert path.read_text().startswith("time_s,voltage_V")  # left as it was


def test_an_empty_file_is_a_new_store_for_a_writer_and_none_for_a_reader(tmp_path):
    path = tmp_path / "anodelab.duckdb"
    path.write_bytes(b"")  # what a run killed as it created the store leaves
    with pytest.raises(ReadError, match="anodelab.duckdb: is not a DuckDB database"):
        store.open(path, read_only=True)
    with store.open(path) as db:
        assert db.query("SELECT schema_version FROM meta").fetchall() == [(store.SCHEMA_VERSION,)]


def test_a_duckdb_database_of_something_else_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE measurements (x DOUBLE)")
    with pytest.raises(ReadError, match="other.duckdb: is a DuckDB database but not an anodelab results store"):
        store.open(path)


@pytest.mark.parametrize(("version", "message"), [(99, "newer anodelab .*version 99.*upgrade"),
                                                  (0, "unknown store schema version 0")])
def test_another_schema_version_is_refused(tmp_path, version, message):
    path = tmp_path / "anodelab.duckdb"
    store.open(path).close()
    with duckdb.connect(str(path)) as connection:
        connection.execute("UPDATE meta SET schema_version = ?", [version])
    for read_only in (False, True):
        with pytest.raises(ReadError, match=message):
            store.open(path, read_only=read_only)


def test_read_only(tmp_path):
    path = tmp_path / "anodelab.duckdb"
    with pytest.raises(ReadError, match="anodelab.duckdb: no results store here"):
        store.open(path, read_only=True)
    assert not path.exists()
    with store.open(path) as db:
        db.write_file(db.begin_run("0.1.0", {}), entry(1))
    with store.open(path, read_only=True) as db:
        assert db.query("SELECT count(*) FROM files").fetchall() == [(1,)]
        with pytest.raises(ValidationError, match="open read-only; cannot begin a run"):
            db.begin_run("0.1.0", {})
        with pytest.raises(ValidationError, match="open read-only; cannot write a file"):
            db.write_file(1, entry(2))


def test_open_twice_in_one_process_in_two_modes_says_so(tmp_path):
    path = tmp_path / "anodelab.duckdb"
    with store.open(path), pytest.raises(ReadError, match="already open in this process"):
        store.open(path, read_only=True)


def test_a_bad_query_is_an_anodelab_error_naming_the_store(db):
    with pytest.raises(ValidationError, match="anodelab.duckdb: .*no_such_table"):
        db.query("SELECT * FROM no_such_table")
    assert db.query("SELECT ? + 1", [41]).fetchall() == [(42,)]


# -- what is stored ------------------------------------------------------------------------------------


def test_metrics_round_trip_exactly_with_units_and_stderr(db):
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**64, 400, dtype=np.uint64, endpoint=False).view(np.float64)
    values = np.concatenate([bits[np.isfinite(bits)], [np.pi, 1e-310, 5e-324, -1.7976931348623157e308, 0.0, -0.0]])
    given = tuple(Metric(f"m{i}", float(value), f"unit{i % 7}", stderr=float(abs(value)) / 3 if i % 2 else None,
                         index_name="cycle" if i % 3 else None, index=i if i % 3 else None, definition=f"def {i}")
                  for i, value in enumerate(values))
    run = db.begin_run("0.1.0", {})
    db.write_file(run, FileEntry(STUDY, "values.csv", "k", analyses=(AnalysisEntry("values", ValuesResult(given=given)),)))
    rows = db.query('SELECT name, value, stderr, unit, index_name, "index", definition FROM metrics '
                    "ORDER BY CAST(substr(name, 2) AS INTEGER)").fetchall()
    assert len(rows) == len(given)
    stored = np.array([row[1] for row in rows])
    assert np.array_equal(stored.view(np.uint64), values.view(np.uint64))  # bit for bit
    for row, metric in zip(rows, given):
        assert row == (metric.name, row[1], metric.stderr, metric.unit, metric.index_name, metric.index,
                       metric.definition)


def test_non_finite_values_and_uncertainties_are_null(db):
    given = (Metric("nan", float("nan"), "V", stderr=float("inf")), Metric("inf", float("-inf"), "V", stderr=0.5))
    db.write_file(db.begin_run("0.1.0", {}),
                  FileEntry(STUDY, "x.csv", "k", analyses=(AnalysisEntry("values", ValuesResult(given=given)),)))
    assert db.query("SELECT name, value, stderr FROM metrics ORDER BY name").fetchall() == [
        ("inf", None, 0.5), ("nan", None, None)]


def test_a_file_entry_is_stored_whole(db):
    stored = entry(4)
    db.write_file(db.begin_run("0.1.0", {}), stored)
    assert broken_links(db) == {}
    assert table_counts(db, file_id(db, stored.path)) == expected_counts(stored)
    files = db.query("SELECT key, sha256, size, format, reader, error, notes, timeseries FROM files").fetchall()
    assert files[0][:6] == ("key-4", f"{4:064x}", 1004, "test", "fakes", None)
    assert json.loads(files[0][6]) == ["row 12 dropped"]
    assert db.query("SELECT kind, confidence, reason, source, cell_type, sample, \"group\", "
                    "cell->>'$.working_electrode.material' FROM experiments").fetchall() == [
        ("cycling", 0.9, "alternating current steps", "data", "anode-half", "S1", "coated", "Si-ZnO")]
    capacity = stored.analyses[0].result
    results = db.query("SELECT analysis, kind, version, parameters, warnings, content, error, seconds FROM results "
                       "ORDER BY result_id").fetchall()
    assert [row[:3] for row in results] == [("capacity", "test-capacity", 3), ("drt", "test-drt", 1),
                                            ("gitt", None, None)]
    assert json.loads(results[0][3]) == {"window_V": [0.01, 1.5]}
    assert json.loads(results[0][4]) == ["mass from cell.toml"]
    assert json.loads(results[0][5]) == {"curve_V": [0.0, 1 / 3, 2 / 3, 1.0], "note": "fake", "bad": None}
    assert results[2][6:] == ("NotApplicableError: no pulses", 0.001)
    cycles = db.query("SELECT cycle, value, text FROM cycles WHERE name = 'capacity_mAh' ORDER BY cycle").fetchall()
    assert [row[1] for row in cycles] == list(capacity.capacity_mAh)
    assert db.query("SELECT cycle, text FROM cycles WHERE name = 'role' ORDER BY cycle LIMIT 2").fetchall() == [
        (1, "first"), (2, "later")]
    assert db.query("SELECT \"row\", value FROM result_tables WHERE \"table\" = 'steps' AND name = 'duration_s' "
                    "ORDER BY \"row\" LIMIT 3").fetchall() == [(0, 0.0), (1, 10.0), (2, 20.0)]
    drt = stored.analyses[1].result
    curves = db.query("SELECT spectrum, tau_s, gamma_ohm, gamma_lower_ohm, gamma_upper_ohm FROM drt_curves "
                      "ORDER BY spectrum, tau_s").fetchall()
    assert [row[2] for row in curves] == list(drt.gamma_ohm.ravel())
    assert [row[0] for row in curves] == [0] * drt.tau_s.size + [1] * drt.tau_s.size
    assert {row[4] for row in curves} == {None}  # not given


def test_provenance_carries_the_inputs_sha256(db):
    data = record(9)
    result = CapacityResult(ice=0.8, ice_stderr=None, provenance=data.provenance)
    db.write_file(db.begin_run("0.1.0", {}),
                  FileEntry(STUDY, "a.mpr", "k", sha256=data.provenance.sha256, data=data,
                            analyses=(AnalysisEntry("capacity", result),)))
    provenance = json.loads(db.query("SELECT provenance FROM results").fetchall()[0][0])
    assert provenance["sha256"] == f"{9:064x}"
    assert provenance["path"] == f"{STUDY}/cell_9.mpr"


def test_a_failed_analysis_and_an_unreadable_file_have_no_metrics(db):
    run = db.begin_run("0.1.0", {})
    db.write_file(run, FileEntry(STUDY, "cut.mpr", "k1", sha256="ab" * 32, size=10,
                                 error="ReadError: cut.mpr: the file ends inside a record"))
    broken = AnalysisEntry("broken", BrokenResult())
    db.write_file(run, FileEntry(STUDY, "ok.mpr", "k2", data=record(2), analyses=(broken, *entry(2).analyses)))
    assert db.query("SELECT path, analysis, error FROM failures ORDER BY path, analysis").fetchall() == [
        ("cut.mpr", None, "ReadError: cut.mpr: the file ends inside a record"),
        ("ok.mpr", "broken", "the result could not be stored: RuntimeError: metrics exploded"),
        ("ok.mpr", "gitt", "NotApplicableError: no pulses")]
    assert db.query("SELECT analysis, count(*) FROM metrics GROUP BY analysis ORDER BY analysis").fetchall() == [
        ("capacity", 6), ("drt", 2)]
    assert db.query("SELECT count(*) FROM results r JOIN files f USING (file_id) WHERE path = 'cut.mpr'"
                    ).fetchall() == [(0,)]
    assert broken_links(db) == {}


def test_analysis_names_are_unique_per_file():
    with pytest.raises(ValidationError, match="name an analysis twice"):
        FileEntry(STUDY, "a.mpr", "k", analyses=(AnalysisEntry("x", error="e"), AnalysisEntry("x", error="f")))


def test_spectra_are_stored_point_by_point_with_their_context(db):
    frequency_Hz = np.logspace(5, -1, 25)
    spectra = [Spectrum.from_arrays(frequency_Hz, 10 + 100 / (1 + 1j * frequency_Hz * k * 1e-3) + 0.5 * k,
                                    context=SpectrumContext(time_s=3600.0 * k, voltage_V=0.1 * k, cycle=k))
               for k in (1, 2, 3)]
    series = SpectrumSeries.of(spectra)
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "eis.mpr", "k", data=series))
    rows = db.query("SELECT spectrum, frequency_Hz, z_real_ohm, z_imag_ohm, time_s, voltage_V, cycle, temperature_C "
                    "FROM spectra ORDER BY spectrum, frequency_Hz DESC").fetchall()
    assert len(rows) == 75
    for index, spectrum in enumerate(spectra):
        part = rows[index * 25:(index + 1) * 25]
        assert {row[0] for row in part} == {index}
        assert [row[1] for row in part] == list(spectrum.frequency_Hz)
        assert [complex(row[2], row[3]) for row in part] == list(spectrum.Z_ohm)
        assert {row[4:] for row in part} == {(spectrum.context.time_s, spectrum.context.voltage_V,
                                              spectrum.context.cycle, None)}
    assert db.query("SELECT timeseries FROM files").fetchall() == [(None,)]


def test_a_cycle_table_is_stored_in_long_form(db):
    table = CycleTable.from_columns({"cycle": [1, 2, 5], "charge_capacity_mAh": [1.0, 0.9, 0.8],
                                     "discharge_capacity_mAh": [1.1, 0.95, 0.81]})
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "cycles.csv", "k", data=table))
    assert db.query("SELECT cycle, value FROM data_cycles WHERE name = 'discharge_capacity_mAh' "
                    "ORDER BY cycle").fetchall() == [(1, 1.1), (2, 0.95), (5, 0.81)]
    assert db.query("SELECT count(*) FROM data_cycles").fetchall() == [(6,)]


# -- replacing, the cache key, runs ---------------------------------------------------------------------


def test_writing_a_file_again_replaces_it_and_leaves_no_stale_rows(db):
    first_run = db.begin_run("0.1.0", {})
    for seed in (1, 2):
        db.write_file(first_run, entry(seed))
    before = file_id(db, "cells/cell_1.mpr")
    others = table_counts(db, file_id(db, "cells/cell_2.mpr"))
    smaller = replace(entry(1, key="key-new"), data=record(11), analyses=entry(7).analyses[:1],
                      detection=Detection(ExperimentKind.RATE, 0.6, "stepped currents"), sample="S9")
    second_run = db.begin_run("0.1.0", {})
    db.write_file(second_run, smaller)
    assert file_id(db, "cells/cell_1.mpr") == before
    assert table_counts(db, before) == expected_counts(smaller)
    assert table_counts(db, file_id(db, "cells/cell_2.mpr")) == others  # the other file untouched
    assert db.query("SELECT count(*) FROM files").fetchall() == [(2,)]
    assert db.query("SELECT kind, sample FROM experiments WHERE file_id = ?", [before]).fetchall() == [("rate", "S9")]
    ice = smaller.analyses[0].result.ice
    assert db.query("SELECT value FROM metrics WHERE file_id = ? AND name = 'ice'", [before]).fetchall() == [(ice,)]
    assert db.query("SELECT run_id FROM run_files WHERE file_id = ? ORDER BY run_id", [before]).fetchall() == [
        (first_run,), (second_run,)]
    parquet = sorted(path.name for path in (db.folder / "timeseries").iterdir())
    assert len(parquet) == 2  # the replaced record's file is gone
    assert broken_links(db) == {}


def test_cached_only_for_the_stored_key_and_a_complete_file(db):
    run = db.begin_run("0.1.0", {})
    stored = entry(3)
    db.write_file(run, stored)
    assert db.cached(STUDY, stored.path, "key-3")
    assert not db.cached(STUDY, stored.path, "key-changed")
    assert not db.cached(STUDY, "cells/other.mpr", "key-3")
    assert not db.cached("/data/other-study", stored.path, "key-3")
    series = db.query("SELECT timeseries FROM files").fetchall()[0][0]
    (db.folder / series).unlink()
    assert not db.cached(STUDY, stored.path, "key-3")  # its time series is gone: store it again


def test_runs_and_touch(db):
    first = db.begin_run("0.1.0", {"jobs": 2, "out": "OUT"})
    db.write_file(first, entry(1))
    db.finish_run(first, {"files": 1, "failures": 0})
    second = db.begin_run("0.1.1", {"jobs": 1})
    db.touch(second, STUDY, "cells/cell_1.mpr")
    db.touch(second, STUDY, "cells/cell_1.mpr")  # twice is once
    runs = db.query("SELECT run_id, anodelab_version, parameters, started <= finished, summary FROM runs "
                    "ORDER BY run_id").fetchall()
    assert [row[:2] for row in runs] == [(first, "0.1.0"), (second, "0.1.1")]
    assert json.loads(runs[0][2]) == {"jobs": 2, "out": "OUT"}
    assert runs[0][3] is True and runs[1][3] is None  # the second is not finished
    assert json.loads(runs[0][4]) == {"files": 1, "failures": 0}
    assert db.query("SELECT run_id FROM run_files ORDER BY run_id").fetchall() == [(first,), (second,)]
    assert db.query("SELECT run_id FROM files").fetchall() == [(first,)]  # stored by the first
    with pytest.raises(ValidationError, match="cells/nope.mpr: is not stored"):
        db.touch(second, STUDY, "cells/nope.mpr")
    with pytest.raises(ValidationError, match="has no run 99"):
        db.write_file(99, entry(2))
    with pytest.raises(ValidationError, match="has no run 99"):
        db.finish_run(99, {})
    assert db.query("SELECT count(*) FROM files").fetchall() == [(1,)]


def test_a_database_error_rolls_the_file_back(db, monkeypatch):
    run = db.begin_run("0.1.0", {})
    db.write_file(run, entry(1))
    before = {table: db.query(f"SELECT count(*) FROM {table}").fetchall() for table in ("files", "results", "metrics")}
    original = store.Store._insert

    def failing(self, table, columns, **constants):
        if table == "cycles":
            raise duckdb.IOException("disk full (simulated)")
        return original(self, table, columns, **constants)

    monkeypatch.setattr(store.Store, "_insert", failing)
    with pytest.raises(AnodelabError, match="could not store /data/si-study/cells/cell_1.mpr: .*disk full"):
        db.write_file(run, entry(1, key="new"))
    with pytest.raises(AnodelabError, match="disk full"):
        db.write_file(run, entry(5))
    after = {table: db.query(f"SELECT count(*) FROM {table}").fetchall() for table in ("files", "results", "metrics")}
    assert after == before
    assert db.cached(STUDY, "cells/cell_1.mpr", "key-1")  # the old version is intact
    assert len(list((db.folder / "timeseries").iterdir())) == 1  # the failed ones' Parquet removed
    assert broken_links(db) == {}


# -- entries are checked when built ------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"study": "relative/study"}, "absolute POSIX path"),
    ({"study": "C:\\data\\study"}, "absolute POSIX path"),
    ({"path": "/abs/file.mpr"}, "relative POSIX path"),
    ({"path": "../outside.mpr"}, "relative POSIX path"),
    ({"path": "a\\b.mpr"}, "relative POSIX path"),
    ({"path": ""}, "relative POSIX path"),
    ({"key": ""}, "key: must be a non-empty string"),
    ({"size": -1}, "size: must be a byte count"),
    ({"data": [1, 2, 3]}, "must be a Record, SpectrumSeries, CycleTable or ModelSpec"),
    ({"error": "unreadable", "analyses": (AnalysisEntry("x", error="e"),)}, "no data and no analyses"),
])
def test_bad_entries_are_refused(fields, message):
    values = {"study": STUDY, "path": "a.mpr", "key": "k", **fields}
    with pytest.raises(ValidationError, match=message):
        FileEntry(**values)


def test_an_analysis_entry_has_a_result_or_an_error_or_a_reason_it_does_not_apply():
    with pytest.raises(ValidationError, match="exactly one of"):
        AnalysisEntry("x")
    with pytest.raises(ValidationError, match="exactly one of"):
        AnalysisEntry("x", ValuesResult(), error="also failed")
    with pytest.raises(ValidationError, match="exactly one of"):
        AnalysisEntry("x", error="failed", not_applicable="no temperatures")
    assert AnalysisEntry("x", not_applicable="no temperatures").result is None
    with pytest.raises(ValidationError, match="must be an anodelab Result"):
        AnalysisEntry("x", {"ice": 0.8})
    assert FileEntry(STUDY, "sub/dir/a.mpr", "k").study == STUDY
    assert FileEntry("C:/data/study", "a.mpr", "k").study == "C:/data/study"


# -- the views -------------------------------------------------------------------------------------------


def test_ice_of_every_si_half_cell_is_one_short_query(db):
    run = db.begin_run("0.1.0", {})
    graphite = CellInfo("anode-half", working_electrode=Electrode(material="graphite"))
    si_full = CellInfo("full", working_electrode=Electrode(material="Si-ZnO"))
    entries = [entry(1), entry(2), replace(entry(3), cell=graphite), replace(entry(4), cell=si_full), entry(5)]
    for stored in entries:
        db.write_file(run, stored)
    rows = db.query("SELECT path, value, stderr, unit FROM metric_table WHERE name = 'ice' "
                    "AND cell_type = 'anode-half' AND material = 'Si-ZnO' ORDER BY path").fetchall()
    expected = [(e.path, e.analyses[0].result.ice, e.analyses[0].result.ice_stderr, "") for e in entries
                if e.cell == cell()]
    assert rows == expected
    assert [row[0] for row in rows] == ["cells/cell_1.mpr", "cells/cell_2.mpr", "cells/cell_5.mpr"]


def test_group_table_gives_mean_and_sd_over_replicates(db):
    run = db.begin_run("0.1.0", {})
    entries = [entry(seed, group="coated" if seed < 4 else "bare") for seed in range(7)]
    for stored in entries:
        db.write_file(run, stored)
    rows = db.query("SELECT \"group\", n, mean, sd FROM group_table WHERE name = 'ice' ORDER BY \"group\"").fetchall()
    for group, n, mean, sd in rows:
        ice = np.array([e.analyses[0].result.ice for e in entries if e.group == group])
        assert n == ice.size
        assert mean == pytest.approx(ice.mean(), rel=1e-12)
        assert sd == pytest.approx(ice.std(ddof=1), rel=1e-12)
    assert [row[0] for row in rows] == ["bare", "coated"]


def test_experiment_table_lists_every_file(db):
    run = db.begin_run("0.1.0", {})
    db.write_file(run, entry(1))
    db.write_file(run, FileEntry(STUDY, "cut.mpr", "k", error="ReadError: truncated", sample="S1", group="bare"))
    assert db.query("SELECT path, kind, material, sample, \"group\", error FROM experiment_table "
                    "ORDER BY path").fetchall() == [
        ("cells/cell_1.mpr", "cycling", "Si-ZnO", "S1", "bare", None),
        ("cut.mpr", None, None, "S1", "bare", "ReadError: truncated")]
