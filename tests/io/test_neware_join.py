""".ndax records joined with their run info and steps here, against fastnda's own read of the same files."""

from __future__ import annotations

import logging
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from shared_data import external_file

from anodelab.core.errors import ReadError
from anodelab.io.neware import (
    _check_ndax_layout,
    _cumsum_within_runs,
    _join_run_info,
    _ndax_columns,
)

NDAX = [
    "cycler/neware/test.ndax",  # .ndc version 5: every column in data.ndc, read by fastnda itself
    "cycler/neware/123456789012_Unit27_Example_Data_File.ndax",  # version 14: joined here
    "cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax",  # version 17: joined here
    "cycler/neware/BTS85-36-6-5-110-20240424.ndax",  # version 14, 699,677 records
]


@pytest.mark.parametrize("relative", NDAX)
def test_ndax_records_equal_fastnda_bit_for_bit(relative):
    """Every column of fastnda.read (raw cycles, integer step types) but its aux channels (paired by
    TestInfo.xml here): same dtype, same values, every row."""
    import fastnda

    path = external_file(relative)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)  # fastnda's log lines about the file are not the subject
        try:
            reference = fastnda.read(path, cycle_mode="raw", raw_categories=True)
        finally:
            logging.disable(logging.NOTSET)
    with zipfile.ZipFile(path) as archive:
        members = _check_ndax_layout(path, archive)[1]
    columns = _ndax_columns(path, members)[0]
    for name in (name for name in reference.columns if not name.startswith("aux")):
        expected = reference[name].to_numpy()
        assert columns[name].dtype == expected.dtype, name
        np.testing.assert_array_equal(columns[name], expected, err_msg=name)


def running_sums(values: list[float], lengths: list[int]) -> list[float]:
    """Python floats added one by one, from 0 at each run's first row: the sequential sum by definition."""
    out, row = [], 0
    for length in lengths:
        total = 0.0
        for value in values[row:row + length]:
            total += value
            out.append(total)
        row += length
    return out


@pytest.mark.parametrize("lengths", [
    [61] * 40 + [3, 1, 60, 2] * 10,  # the real pattern: runs up to 61 records, some cut short
    [1] * 200 + [3000] + [1, 2] * 50,  # lengths far apart: padded in classes of similar length
    [1] * 50,
])
def test_running_sums_restart_at_every_run_and_add_in_row_order(lengths):
    rng = np.random.default_rng(7)
    sizes = np.array(lengths)
    starts = np.cumsum(sizes) - sizes
    terms = [rng.normal(size=int(sizes.sum())) * 10.0 ** rng.integers(-8, 8, size=int(sizes.sum())) for _ in range(2)]
    for term, summed in zip(terms, _cumsum_within_runs(terms, starts, sizes)):
        assert summed.tolist() == running_sums(term.tolist(), lengths)  # exactly, not approximately


def tables(run_index: list[int], step_count: list[int]) -> tuple[dict, dict, dict]:
    """data.ndc, data_runInfo.ndc and data_step.ndc columns as fastnda decodes them (version 14 dtypes)."""
    main = {"index": np.arange(1, 7, dtype=np.int32), "voltage_V": np.full(6, 3.5, dtype=np.float32),
            "current_mA": np.full(6, 100.0, dtype=np.float32)}
    k = len(run_index)
    run = {"index": np.array(run_index, dtype=np.uint32), "step_time_s": np.arange(k, dtype=np.float64),
           "dt": np.ones(k), "unix_time_s": 1.7e9 + np.arange(k), "step_count": np.array(step_count, dtype=np.uint32),
           **{name: np.zeros(k, dtype=np.float32) for name in ("charge_capacity_mAh", "discharge_capacity_mAh",
                                                               "charge_energy_mWh", "discharge_energy_mWh")}}
    step = {"cycle_count": np.array([1, 1], dtype=np.int64), "step_index": np.array([1, 2], dtype=np.uint32),
            "step_type": np.array([4, 1], dtype=np.uint8), "step_count": np.array([1, 2], dtype=np.int32)}
    return main, run, step


def test_records_between_run_info_records_carry_its_time_on():
    columns = _join_run_info(Path("x.ndax"), *tables([1, 4], [1, 2]))
    np.testing.assert_array_equal(columns["step_time_s"], [0, 1, 2, 1, 2, 3])  # dt = 1 s per record after each
    np.testing.assert_array_equal(columns["total_time_s"], [0, 1, 2, 3, 4, 5])  # step 1 lasted 2 s
    np.testing.assert_array_equal(columns["step_count"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_allclose(columns["capacity_mAh"], np.array([0, 100, 200, 0, 100, 200]) / 3600, rtol=1e-6)  # mAh


def test_a_first_record_without_run_info_is_refused():
    with pytest.raises(ReadError, match="record 1 .* has no run-info record"):
        _join_run_info(Path("x.ndax"), *tables([2, 4], [1, 2]))


def test_a_step_missing_from_the_step_table_is_refused():
    with pytest.raises(ReadError, match="refers to step 3, which data_step.ndc does not hold"):
        _join_run_info(Path("x.ndax"), *tables([1, 4], [1, 3]))


def test_a_discharge_counts_down_from_its_run_info_counters():
    main, run, step = tables([1, 4], [1, 2])
    main["current_mA"] = np.array([100, 100, 100, -50, -50, -50], dtype=np.float32)
    run["charge_capacity_mAh"] = np.array([0.5, 0.0], dtype=np.float32)
    run["discharge_capacity_mAh"] = np.array([0.0, 0.25], dtype=np.float32)
    run["discharge_energy_mWh"] = np.array([0.0, 0.875], dtype=np.float32)
    columns = _join_run_info(Path("x.ndax"), main, run, step)
    k = np.array([0, 1, 2])  # records since the run-info record, 1 s each
    np.testing.assert_allclose(columns["capacity_mAh"], np.r_[0.5 + 100 * k / 3600, -(0.25 + 50 * k / 3600)], rtol=1e-6)
    np.testing.assert_allclose(columns["energy_mWh"], np.r_[3.5 * 100 * k / 3600, -(0.875 + 3.5 * 50 * k / 3600)],
                               rtol=1e-6)  # mWh = V mA h
    assert columns["capacity_mAh"].dtype == np.float32 and columns["energy_mWh"].dtype == np.float32


def test_run_info_in_any_order_and_of_no_record_joins_the_same():
    ordered = _join_run_info(Path("x.ndax"), *tables([1, 4], [1, 2]))
    main, run, step = tables([4, 9, 1], [2, 2, 1])  # fastnda's run info comes in no order; record 9 is not in data.ndc
    run["step_time_s"] = np.array([1.0, 7.0, 0.0])
    run["unix_time_s"] = 1.7e9 + np.array([1.0, 7.0, 0.0])
    joined = _join_run_info(Path("x.ndax"), main, run, step)
    assert list(joined) == list(ordered)
    for name, values in ordered.items():
        assert joined[name].dtype == values.dtype and joined[name].tobytes() == values.tobytes(), name
