"""The constant-current segments, runs and windows of a metal-cell record, and the grouped medians
the plating analyses share: against the protocol the virtual lab ran, and against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest
from plating.symmetric_builders import one_directional, voltage_only

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Provenance, Record
from anodelab.plating.segments import (
    cc_segments,
    current_levels,
    group_medians,
    range_medians,
    require_metal_cell,
    windows,
)
from anodelab.sim.virtual import alloy_half_cell, symmetric_cycling


def test_cycled_cell_one_segment_and_run_per_half_cycle():
    experiment = symmetric_cycling(n_cycles=5, short_time_s=None)
    truth = experiment.truth
    segments = cc_segments(experiment.data, experiment.cell)
    assert len(segments) == segments.n_runs == truth["n_half_cycles"]
    assert segments.reversing and not segments.given_current
    np.testing.assert_allclose(segments.current_mA, truth["current_mA"] * np.tile([-1.0, 1.0], 5))
    np.testing.assert_allclose(segments.charge_mAh, truth["half_cycle_capacity_mAh"], rtol=1e-9)
    np.testing.assert_allclose(segments.end_s - segments.start_s, truth["half_cycle_s"], rtol=1e-9)
    np.testing.assert_array_equal(segments.cycle, np.repeat(np.arange(1, 6), 2))
    assert segments.area_cm2 == experiment.cell.working_electrode.area_cm2
    np.testing.assert_allclose(segments.density(segments.current_mA), truth["current_density_mA_cm2"])


def test_one_directional_runs_bridge_the_rests():
    record, truth = one_directional(hours=5)
    segments = cc_segments(record)
    assert len(segments) == 5 and segments.n_runs == 1 and not segments.reversing
    np.testing.assert_allclose(segments.charge_mAh, abs(truth["current_mA"]) * truth["segment_s"] / 3600.0)
    rows = segments.rows()
    assert rows.time_s.size == sum(segments.end - segments.start + 1)  # the rests' rows are not segment rows
    np.testing.assert_allclose(rows.polarization_V, -record["voltage_V"][rows.row])


def test_voltage_only_record_held_at_the_given_current():
    record, _ = one_directional(hours=3)
    exported = voltage_only(record, transients=False, spikes=False)
    segments = cc_segments(exported, current_mA=-0.0785)
    assert segments.given_current and len(segments) == 1 and segments.area_cm2 is None
    duration_s = exported["time_s"][-1] - exported["time_s"][0]
    np.testing.assert_allclose(segments.charge_mAh, [0.0785 * duration_s / 3600.0])


def test_windows_cut_each_run_into_equal_time_under_current():
    record, truth = one_directional(hours=3, dt_s=7.0)
    segments = cc_segments(record)
    rows = segments.rows()
    win = windows(segments, rows, 1800.0)
    # one run: 3 h of plating in three segments with two 600 s rests between them; the clock under
    # current leaves the rests out, so the run is cut into 6 windows of equal time under current
    active = rows.time_s - truth["rest_s"] * rows.segment
    pieces = np.ceil((active[-1] - active[0]) / 1800.0)
    width = (active[-1] - active[0]) / pieces
    label = np.minimum(np.floor((active - active[0]) / width), pieces - 1)
    assert len(win) == pieces == 6
    np.testing.assert_array_equal(win.first, np.flatnonzero(np.r_[True, np.diff(label) > 0]))
    assert win.last[-1] == rows.time_s.size - 1
    np.testing.assert_array_equal(win.first[1:], win.last[:-1] + 1)
    for first, last, median in zip(win.first, win.last, win.median_V):
        assert np.median(rows.polarization_V[first:last + 1]) == median


@pytest.mark.parametrize("sizes", [[50] * 40, [3, 1, 7, 50, 50, 2, 1, 1, 9] * 3, [1000, 1, 999, 1000] * 4])
def test_group_medians_equal_numpy(sizes):
    values = np.random.default_rng(len(sizes)).normal(size=sum(sizes))
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.intp)
    expected = [np.median(values[a:a + n]) for a, n in zip(starts, sizes)]
    np.testing.assert_array_equal(group_medians(values, starts), expected)


def test_range_medians_of_empty_ranges_are_nan():
    values = np.arange(10.0)
    result = range_medians(values, np.array([0, 4, 9]), np.array([3, 4, 10]))
    np.testing.assert_array_equal(result, [1.0, np.nan, 9.0])


def test_current_levels():
    levels = current_levels(np.array([0.1, 0.1, 0.102, 0.2, 0.2, 0.1, 0.5]), rtol=0.05)
    np.testing.assert_array_equal(levels, [0, 0, 0, 1, 1, 2, 3])


def test_refusals_name_the_file_and_what_is_expected():
    provenance = Provenance(path="cell_07.mpt")
    empty = Record.from_columns({"time_s": [], "voltage_V": [], "current_mA": []}, provenance=provenance)
    with pytest.raises(NotApplicableError, match=r"cell_07.mpt.*no(ne)?"):
        cc_segments(empty)
    voltage = Record.from_columns({"time_s": [0.0, 1.0, 2.0], "voltage_V": [0.1, 0.1, 0.1]}, provenance=provenance)
    with pytest.raises(NotApplicableError, match=r"cell_07.mpt.*current_mA"):
        cc_segments(voltage)
    with pytest.raises(ValidationError, match="current_mA"):
        cc_segments(voltage, current_mA=0.0)
    experiment = symmetric_cycling(n_cycles=2, short_time_s=None)
    with pytest.raises(ValidationError, match="current column"):
        cc_segments(experiment.data, current_mA=0.1)
    with pytest.raises(NotApplicableError, match="anode-half"):
        cc_segments(experiment.data, CellInfo("anode-half"))
    no_time = Record.from_columns({"voltage_V": [0.1, 0.1], "current_mA": [0.1, 0.1]})
    with pytest.raises(NotApplicableError, match="time"):
        cc_segments(no_time)


def test_a_li_ion_half_cell_is_not_a_metal_cell():
    experiment = alloy_half_cell(n_cycles=3)
    data = experiment.data.with_cell(None)  # even without its cell type, the data give it away
    segments = cc_segments(data)
    rows = segments.rows()
    starts = np.flatnonzero(np.r_[True, rows.segment[1:] != rows.segment[:-1]])
    with pytest.raises(NotApplicableError, match="sign of the current"):
        require_metal_cell(segments, group_medians(rows.polarization_V, starts), "detect_shorts")
