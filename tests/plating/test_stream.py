"""overpotential_trace_stream: the trace of a record fed as chunks equals overpotential_trace of the whole
record, number for number; the chunks' rows are kept in the trace's columns only.

Ground truth: anodelab.plating.overpotential_trace of the record read whole (tested against the virtual
symmetric cells' truth and the real Li|Li file).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from anodelab.cli import main
from anodelab.cli.strict_json import dumps
from anodelab.io import read
from anodelab.io.stream import read_chunks
from anodelab.plating import overpotential_trace
from anodelab.plating.stream import (
    TRACE_COLUMNS,
    overpotential_trace_stream,
    slim_record,
)
from anodelab.sim.virtual import metal
from anodelab.sim.virtual.writers import write_experiment


def assert_same(whole, streamed) -> None:
    assert dumps(streamed.to_dict()) == dumps(whole.to_dict())
    for table, columns in whole.tables().items():
        for name, column in columns.items():
            other = np.asarray(streamed.tables()[table][name])
            assert np.array_equal(other, np.asarray(column), equal_nan=np.asarray(column).dtype.kind == "f"), name


@pytest.fixture(scope="module")
def symmetric(tmp_path_factory):
    experiment = metal.symmetric_cycling(n_cycles=10, short_time_s=None)
    return write_experiment(experiment, tmp_path_factory.mktemp("symmetric"))


@pytest.mark.parametrize("rows", [1, 37, 10**6])
def test_chunks_give_the_whole_trace(symmetric, rows):
    assert_same(overpotential_trace(read(symmetric)), overpotential_trace_stream(read_chunks(symmetric, rows=rows)))


def test_real_one_directional_plating_with_the_current_given(external):
    path = external("symmetric/grey_lab_LiLi_TEGDME_insitu/"
                    "jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt")
    whole = overpotential_trace(read(path), current_mA=0.4, hours=(10, 20))
    assert whole.short_onset_h is not None and len(whole.at_hours) == 2
    assert_same(whole, overpotential_trace_stream(read_chunks(path, rows=9000), current_mA=0.4, hours=(10, 20)))


def test_the_slim_record_keeps_only_the_traces_columns(symmetric):
    whole = read(symmetric)
    slim = slim_record(read_chunks(symmetric, rows=100))
    assert set(slim.columns) == set(TRACE_COLUMNS) & set(whole.columns) < set(whole.columns)
    for name in slim.columns:
        assert np.array_equal(slim[name], whole[name])
    assert slim.provenance.to_dict() == whole.provenance.to_dict()


def test_cli_chunk_rows_prints_the_same_trace(symmetric, capsys):
    assert main(["plating", "trace", str(symmetric), "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert main(["plating", "trace", str(symmetric), "--json", "--chunk-rows", "41"]) == 0
    assert json.loads(capsys.readouterr().out) == whole
