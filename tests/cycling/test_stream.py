"""cycle_summary_stream: the summary of a record fed as chunks equals cycle_summary of the whole record,
number for number (its to_dict(), its tables, its warnings), with chunk boundaries inside steps and cycles.

Ground truth: anodelab.cycling.cycle_summary of the record read whole (itself tested against the virtual
experiments' truth and cellpy).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from anodelab.cli import main
from anodelab.cli.strict_json import dumps
from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError
from anodelab.cycling import cycle_summary
from anodelab.cycling.stream import StepStream, cycle_summary_stream
from anodelab.io import read
from anodelab.io.stream import read_chunks
from anodelab.sim.virtual import cycling
from anodelab.sim.virtual.writers import write_experiment


def assert_same(whole, streamed) -> None:
    assert dumps(streamed.to_dict()) == dumps(whole.to_dict())
    assert streamed.warnings == whole.warnings
    for name, column in whole.tables()["cycles"].items():
        other = streamed.tables()["cycles"][name]
        assert other.dtype == column.dtype and np.array_equal(other, column, equal_nan=column.dtype.kind == "f"), name


def chunks_of(record, rows):
    return (record.take(slice(start, start + rows)) for start in range(0, len(record), rows))


@pytest.fixture(scope="module")
def experiments():
    return [cycling.alloy_half_cell(n_cycles=5, cv_hold=True, initial_rest_s=900.0, samples_per_half_cycle=40),
            cycling.full_cell(n_cycles=3), cycling.rate_test(samples_per_half_cycle=20)]


@pytest.mark.parametrize("rows", [1, 17, 95, 10**6])
def test_chunked_records_give_the_whole_summary(experiments, rows):
    for experiment in experiments:
        record = experiment.data.with_cell(experiment.cell)
        assert_same(cycle_summary(record), cycle_summary_stream(chunks_of(record, rows)))


def test_options_and_a_cell_of_another_type(experiments):
    record = experiments[0].data.with_cell(experiments[0].cell)
    options = {"formation_cycles": 1, "cutoff_tolerance_V": 0.05, "ce_cycles": (2, 4)}
    assert_same(cycle_summary(record, **options), cycle_summary_stream(chunks_of(record, 23), **options))
    other = CellInfo("full")  # charge opens a cycle: the steps' cycles are numbered again
    assert_same(cycle_summary(record, other), cycle_summary_stream(chunks_of(record, 23), other))


@pytest.mark.parametrize(("relative", "rows"), [
    ("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr", 4999),
    ("cycler/neware/neware_uio.csv", 700),
    ("cycler/biologic/test_loopsnewoutput_MB_CE1_short10k.csv", 1500),
])
def test_real_files_read_in_chunks_give_the_whole_summary(external, relative, rows):
    path = external(relative)
    assert_same(cycle_summary(read(path)), cycle_summary_stream(read_chunks(path, rows=rows)))


def test_only_the_open_step_is_carried(experiments):
    record = experiments[0].data.with_cell(experiments[0].cell)
    stream = StepStream()
    for chunk in chunks_of(record, 50):
        stream.add(chunk)
        held = stream._held
        assert held is not None and np.unique(held["step"]).size == 1  # the rows of one step, no more
        assert held["step"].size <= np.bincount(record["step"]).max()
    steps = stream.steps()
    assert len(steps.table) == record.n_steps


def test_a_record_without_capacity_or_rows_is_refused(experiments):
    record = experiments[0].data
    bare = record.take(slice(0, 0))
    with pytest.raises(NotApplicableError):
        cycle_summary_stream(chunks_of(bare, 10))
    with pytest.raises(NotApplicableError, match="no chunks"):
        cycle_summary_stream([])


def test_cli_chunk_rows_prints_the_same_summary(tmp_path, capsys, experiments):
    path = write_experiment(experiments[0], tmp_path)
    assert main(["cycling", str(path), "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main(["cycling", str(path), "--json", "--chunk-rows", "37"]) == 0
    assert json.loads(capsys.readouterr().out) == whole
