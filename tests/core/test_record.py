from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Provenance, Record


def _cycling(n_cycles=3, cell=None):
    time, current = [], []
    t = 0.0
    for _ in range(n_cycles):
        for value in (-1.0, 0.0, 1.0, 0.0):
            for _ in range(10):
                time.append(t)
                current.append(value)
                t += 36.0
    time = np.array(time)
    voltage = 0.5 + 0.01 * np.cumsum(current)
    return Record.from_columns(
        {"time_s": time, "voltage_V": voltage, "current_mA": np.array(current), "cycle": np.zeros(time.size)},
        cell=cell,
        provenance=Provenance(path="mem.csv"),
    )


def test_derived_columns_follow_the_conventions():
    record = _cycling(cell=CellInfo("anode-half"))
    assert record.column_names[:7] == ("time_s", "voltage_V", "current_mA", "step", "cycle", "capacity_mAh", "state")
    assert record.n_steps == 12
    assert record.cycles.tolist() == [1, 2, 3]
    assert "cycle_instrument" in record
    # 10 rows at 1 mA, 36 s apart -> 9 intervals of 0.01 mAh within the step
    assert record.step(1).capacity_mAh[-1] == pytest.approx(0.09)
    assert set(record.cycle(2).states) == {"discharge", "rest", "charge"}


def test_renumbering_for_a_full_cell():
    record = _cycling()
    full = record.with_cell(CellInfo("full"))
    # a full cell opens with charge: the leading discharge + rest become cycle 0
    assert full.select(cycles=0).states.tolist() == ["discharge"] * 10 + ["rest"] * 10
    assert full.cycles.tolist() == [0, 1, 2, 3]


def test_columns_are_read_only_and_pandas_shares_memory():
    record = _cycling()
    with pytest.raises(ValueError):
        record.voltage_V[0] = 1.0
    frame = record.to_pandas()
    assert np.shares_memory(frame["voltage_V"].to_numpy(), record.voltage_V)
    assert list(frame["state"].cat.categories) == ["rest", "charge", "discharge", "unknown"]
    assert frame.shape == (len(record), len(record.column_names))


def test_missing_column_error_names_the_source():
    record = Record.from_columns({"voltage_V": [1.0, 2.0]}, provenance=Provenance(path="export.txt"))
    assert "time_s" not in record and record.duration_s is None
    assert record.states.tolist() == ["unknown", "unknown"]
    with pytest.raises(NotApplicableError, match=r"export.txt has no column 'current_mA'"):
        record.current_mA  # noqa: B018


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"time_s": [0.0, 1.0]}, "voltage"),
        ({"voltage_V": [1.0, 2.0], "time_s": [0.0]}, "has 1 rows"),
        ({"voltage_V": [1.0, 2.0], "time_s": [0.0, np.nan]}, "NaN"),
        ({"voltage_V": [1.0, 2.0, 3.0], "time_s": [0.0, 2.0, 1.0]}, "decreases at row 2"),
        ({"voltage_V": [1.0], "state": ["charging"]}, "unknown state"),
    ],
)
def test_invalid_columns_raise_validation_errors(columns, message):
    with pytest.raises(ValidationError, match=message):
        Record.from_columns(columns, provenance=Provenance(path="bad.csv"))


def test_summary_counts_active_cycles_only():
    summary = _cycling(cell=CellInfo("full")).summary()
    assert summary["cycles"] == 3 and summary["rows"] == 120
    assert summary["current_mA_min"] == -1.0 and summary["current_mA_max"] == 1.0


def test_summary_of_a_cv_counts_the_instruments_sweep_cycles():
    """Four triangular sweeps (instrument cycles 1..4): the charge/discharge pairing of ``cycle`` does
    not count them, the instrument's cycle column does; a non-CV record keeps the paired count."""
    sweep = np.r_[np.linspace(0.0, 1.0, 20, endpoint=False), np.linspace(1.0, 0.0, 20, endpoint=False)]
    columns = {"time_s": np.arange(160) * 0.1, "voltage_V": np.tile(sweep, 4),
               "current_mA": np.tile(np.r_[np.full(20, 0.1), np.full(20, -0.1)], 4),
               "step": np.zeros(160), "cycle": np.repeat([1, 2, 3, 4], 40)}
    cv = Record.from_columns(columns, provenance=Provenance(techniques=("CV",)))
    assert int((cv.cycles > 0).sum()) != 4  # one step throughout: the paired count is not the sweep count
    assert cv.summary()["cycles"] == 4
    cycling = Record.from_columns(columns, provenance=Provenance(techniques=("CV", "GCPL")))
    assert cycling.summary()["cycles"] == int((cycling.cycles > 0).sum())


def test_summary_of_a_cv_counts_a_restarting_counter_as_new_cycles():
    """Two sheets (scan rates) of two scans each, the instrument counter 1, 2 in both: four CV cycles."""
    sweep = np.r_[np.linspace(0.0, 1.0, 20, endpoint=False), np.linspace(1.0, 0.0, 20, endpoint=False)]
    columns = {"time_s": np.arange(160) * 0.1, "voltage_V": np.tile(sweep, 4),
               "current_mA": np.tile(np.r_[np.full(20, 0.1), np.full(20, -0.1)], 4),
               "step": np.zeros(160), "cycle": np.tile(np.repeat([1, 2], 40), 2)}
    cv = Record.from_columns(columns, provenance=Provenance(techniques=("CV",)))
    assert np.unique(cv["cycle_instrument"]).size == 2
    assert cv.summary()["cycles"] == 4


@pytest.mark.parametrize(("step", "numbered"), [
    (np.array([1, 1, 2, 2, 3], dtype=np.int32), [1, 1, 2, 2, 3]),  # numbered already: kept, not copied
    (np.array([1, 1, 3, 3, 3], dtype=np.int32), [1, 1, 2, 2, 2]),  # a number skipped
    (np.array([2, 2, 3, 3, 4], dtype=np.int32), [1, 1, 2, 2, 3]),  # not from 1
    (np.array([1, 1, 2, 1, 1], dtype=np.int32), [1, 1, 2, 3, 3]),  # a number back again: a new step
    (np.array([1, 1, 2, 2, 3], dtype=np.int64), [1, 1, 2, 2, 3]),  # another dtype: an int32 copy
])
def test_steps_are_numbered_from_1_at_each_change(step, numbered):
    record = Record.from_columns({"voltage_V": np.ones(5), "step": step})
    assert record["step"].dtype == np.int32 and record["step"].tolist() == numbered
    assert np.shares_memory(record["step"], step) == (step.dtype == np.int32 and step.tolist() == numbered)


@pytest.mark.parametrize("time", [[0.0, np.nan, 2.0], [0.0, 1.0, np.inf], [-np.inf, 0.0, 1.0], [0.0, np.inf, np.inf],
                                  [np.nan, 1.0, 2.0]])
def test_times_that_are_not_finite_are_refused_wherever_they_are(time):
    with pytest.raises(ValidationError, match="NaN or infinite"):
        Record.from_columns({"voltage_V": np.ones(3), "time_s": np.array(time)})
