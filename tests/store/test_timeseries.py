"""A Record's columns go to Parquet beside the store, under Battery Data Format names and units."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
from store.fakes import STUDY, entry, record

from anodelab import store
from anodelab.core.cell import CellInfo
from anodelab.store import FileEntry

#: the Battery Data Format preferred labels (battery-data-alliance README and ontology) of anodelab's columns
BDF = {"time_s": "Test Time / s", "voltage_V": "Voltage / V", "current_mA": "Current / A",
       "step": "Step Count / 1", "cycle": "Cycle Count / 1", "capacity_mAh": "Step Capacity / Ah"}


def stored_frame(db: store.Store, path: str):
    relation = db.timeseries(STUDY, path)
    assert relation is not None
    return relation.df()


def test_record_columns_under_bdf_names_and_units(db):
    data = record(3)
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "cell.mpr", "k", data=data))
    frame = stored_frame(db, "cell.mpr")
    assert list(frame.columns) == [BDF["time_s"], BDF["voltage_V"], BDF["current_mA"], BDF["step"], BDF["cycle"],
                                   BDF["capacity_mAh"], "state", "Ewe_control_V"]
    assert np.array_equal(frame["Test Time / s"], data.time_s)
    assert np.array_equal(frame["Voltage / V"], data.voltage_V)
    assert np.array_equal(frame["Current / A"], data.current_mA / 1000.0)
    assert np.array_equal(frame["Step Capacity / Ah"], data.capacity_mAh / 1000.0)
    assert np.array_equal(frame["Step Count / 1"], data["step"])
    assert np.array_equal(frame["Cycle Count / 1"], data["cycle"])
    assert list(frame["state"]) == list(data.states)
    assert np.array_equal(frame["Ewe_control_V"], data["Ewe_control_V"])
    assert {"rest", "charge", "discharge"} <= set(frame["state"])


def test_the_parquet_file_lies_beside_the_database_and_is_plain_parquet(db):
    data = record(4)
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "cell.mpr", "k", data=data))
    relative = db.query("SELECT timeseries FROM files").fetchall()[0][0]
    assert relative.startswith(f"timeseries/{4:064x}-") and relative.endswith(".parquet")
    assert [path.name for path in (db.folder / "timeseries").iterdir()] == [relative.split("/")[1]]  # no temporaries
    with duckdb.connect() as other:  # any Parquet reader, not the store, reads it
        assert other.execute(f"SELECT count(*), max(\"Test Time / s\") FROM '{db.folder / relative}'").fetchall() == [
            (len(data), data.time_s.max())]


def test_temperature_and_integer_columns(db):
    data = record(5)
    columns = dict(data.columns) | {"temperature_C": np.linspace(24.0, 26.0, len(data)),
                                    "counter": np.arange(len(data), dtype=np.int64)}
    data = replace(data, columns=columns)
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "t.mpr", "k", data=data))
    frame = stored_frame(db, "t.mpr")
    assert np.array_equal(frame["Surface Temperature / degC"], columns["temperature_C"])
    assert frame["counter"].dtype == np.int64 and np.array_equal(frame["counter"], columns["counter"])


def test_same_data_one_file_other_cycle_numbers_another(db):
    run = db.begin_run("0.1.0", {})
    data = record(6)
    db.write_file(run, FileEntry(STUDY, "a/cell.mpr", "k", data=data))
    db.write_file(run, FileEntry(STUDY, "b/copy.mpr", "k", data=data))
    assert len(list((db.folder / "timeseries").iterdir())) == 1
    full = data.with_cell(CellInfo("full"))  # opens with charge, not discharge
    assert not np.array_equal(full["cycle"], data["cycle"])  # the same bytes, numbered for another cell type
    db.write_file(run, FileEntry(STUDY, "c/full.mpr", "k", data=full))
    assert len(list((db.folder / "timeseries").iterdir())) == 2
    assert np.array_equal(stored_frame(db, "c/full.mpr")["Cycle Count / 1"], full["cycle"])
    assert np.array_equal(stored_frame(db, "a/cell.mpr")["Cycle Count / 1"], data["cycle"])


def test_no_record_no_timeseries(db):
    db.write_file(db.begin_run("0.1.0", {}), FileEntry(STUDY, "x.csv", "k", error="unreadable"))
    assert db.timeseries(STUDY, "x.csv") is None
    assert db.timeseries(STUDY, "never-stored.csv") is None


def test_opening_for_writing_removes_what_a_killed_writer_left(tmp_path):
    path = tmp_path / "anodelab.duckdb"
    with store.open(path) as db:
        db.write_file(db.begin_run("0.1.0", {}), entry(1))
    folder = tmp_path / "timeseries"
    kept = sorted(folder.iterdir())
    temporary = folder / f".{'1' * 64}-0123456789abcdef.parquet.4242.tmp"
    unreferenced = folder / f"{'2' * 64}-0123456789abcdef.parquet"
    mine = folder / "my-notes.txt"
    for leftover in (temporary, unreferenced, mine):
        leftover.write_bytes(b"PAR1")
    with store.open(path, read_only=True):
        assert temporary.exists()  # a reader changes nothing
    with store.open(path) as db:
        assert db.cached(STUDY, "cells/cell_1.mpr", "key-1")
    assert sorted(folder.iterdir()) == sorted([*kept, mine])  # not a file of the store's naming: left alone
