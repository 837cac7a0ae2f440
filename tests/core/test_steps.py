"""The per-step table (anodelab.core.steps) against records whose steps are known in closed form,
and against a plain per-step loop on random records."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from anodelab.core import Record
from anodelab.core.conventions import CHARGE, DISCHARGE, REST
from anodelab.core.steps import CONTROL_MODES, CV_SPAN_V, StepTable, step_table
from anodelab.cycling.halfcycles import reduce_steps

DT_S = 1.0
TAU_S = 300.0


def _protocol() -> tuple[Record, dict[str, np.ndarray]]:
    """Seven steps, each a closed form, sampled every second (the capacity column given exactly):

    1. rest 600 s at 3.0 V
    2. CC -0.5 mA for 3600 s, V linear 3.0 -> 2.0 V
    3. CV hold at 2.0 V for 1800 s, I = -0.5 exp(-t / 300 s) mA
    4. sweep 2.0 -> 2.5 V at +0.5 mV/s (1000 s), I = 0.05 + 0.02 sin(t / 100 s) mA
    5. impedance, 120 s at 2.5 V, I = 0.001 sin(t) mA (rows with a frequency)
    6. CC +1.0 mA for 1800 s, V = 2.5 + 0.2 sqrt(t / 1800 s)
    7. current ramp 0.2 -> 1.0 mA over 600 s, V = 2.7 + 0.1 (t / 600 s)^2 (neither CC, CV nor sweep)
    """
    parts = []

    def add(duration_s: float, voltage, current, charge_mAh, frequency=None):
        t = np.arange(0.0, duration_s, DT_S)
        parts.append((t, voltage(t), current(t), charge_mAh(t),
                      np.full(t.size, np.nan) if frequency is None else frequency(t)))

    add(600, lambda t: np.full(t.size, 3.0), np.zeros_like, np.zeros_like)
    add(3601, lambda t: 3.0 - t / 3600.0, lambda t: np.full(t.size, -0.5), lambda t: 0.5 * t / 3600.0)
    add(1801, lambda t: np.full(t.size, 2.0), lambda t: -0.5 * np.exp(-t / TAU_S),
        lambda t: 0.5 * TAU_S * (1.0 - np.exp(-t / TAU_S)) / 3600.0)
    add(1001, lambda t: 2.0 + 0.0005 * t, lambda t: 0.05 + 0.02 * np.sin(t / 100.0),
        lambda t: (0.05 * t + 2.0 * (1.0 - np.cos(t / 100.0))) / 3600.0)
    add(121, lambda t: np.full(t.size, 2.5), lambda t: 0.001 * np.sin(t), np.zeros_like,
        lambda t: np.logspace(5, -1, t.size))
    add(1801, lambda t: 2.5 + 0.2 * np.sqrt(t / 1800.0), lambda t: np.full(t.size, 1.0), lambda t: t / 3600.0)
    add(601, lambda t: 2.7 + 0.1 * (t / 600.0) ** 2, lambda t: 0.2 + 0.8 * t / 600.0,
        lambda t: (0.2 * t + 0.4 * t**2 / 600.0) / 3600.0)
    offsets = np.cumsum([0.0] + [part[0][-1] + DT_S for part in parts[:-1]])
    columns = {
        "time_s": np.concatenate([t + offset for (t, *_), offset in zip(parts, offsets)]),
        "voltage_V": np.concatenate([p[1] for p in parts]),
        "current_mA": np.concatenate([p[2] for p in parts]),
        "capacity_mAh": np.concatenate([p[3] for p in parts]),
        "frequency_Hz": np.concatenate([p[4] for p in parts]),
        "step": np.concatenate([np.full(p[0].size, k) for k, p in enumerate(parts)]),
    }
    return Record.from_columns(columns), {"offsets": offsets, "sizes": np.array([p[0].size for p in parts])}


@pytest.fixture(scope="module")
def protocol():
    return _protocol()


def test_steps_rows_and_modes(protocol):
    record, known = protocol
    table = step_table(record)
    assert isinstance(table, StepTable) and len(table) == 7
    np.testing.assert_array_equal(table.step, np.arange(1, 8))
    np.testing.assert_array_equal(table.start, np.r_[0, np.cumsum(known["sizes"])[:-1]])
    np.testing.assert_array_equal(table.end, np.cumsum(known["sizes"]) - 1)
    assert list(table.mode) == ["rest", "CC", "CV", "sweep", "impedance", "CC", "other"]
    assert set(table.mode) <= set(CONTROL_MODES)
    directions = table.direction[[0, 1, 2, 3, 5, 6]]  # (the impedance step's is its dominant sign)
    np.testing.assert_array_equal(directions, [REST, DISCHARGE, DISCHARGE, CHARGE, CHARGE, CHARGE])
    assert list(table.direction_names[:3]) == ["rest", "discharge", "discharge"]


def test_set_points_durations_and_voltages(protocol):
    record, known = protocol
    table = step_table(record)
    assert np.isnan(table.set_point[[0, 4, 6]]).all()
    assert table.set_point[1] == pytest.approx(-0.5, abs=1e-12)       # mA
    assert table.set_point[2] == pytest.approx(2.0, abs=1e-12)        # V
    assert table.set_point[3] == pytest.approx(0.5, rel=1e-9)         # mV/s
    assert table.set_point[5] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(table.duration_s, [599, 3600, 1800, 1000, 120, 1800, 600])
    np.testing.assert_allclose(table.start_s, known["offsets"])
    np.testing.assert_allclose(table.start_V, [3.0, 3.0, 2.0, 2.0, 2.5, 2.5, 2.7])
    np.testing.assert_allclose(table.end_V, [3.0, 2.0, 2.0, 2.5, 2.5, 2.7, 2.8], atol=1e-12)
    np.testing.assert_allclose(table.min_V, [3.0, 2.0, 2.0, 2.0, 2.5, 2.5, 2.7], atol=1e-12)
    np.testing.assert_allclose(table.max_V, [3.0, 3.0, 2.0, 2.5, 2.5, 2.7, 2.8], atol=1e-12)
    # mean over the rows of a line sampled at equal steps is the mid value
    assert table.mean_V[1] == pytest.approx(2.5, abs=1e-12)
    assert table.mean_V[3] == pytest.approx(2.25, abs=1e-12)


def test_charge_energy_and_mean_current(protocol):
    record, _ = protocol
    table = step_table(record)
    cv_charge = 0.5 * TAU_S * (1.0 - np.exp(-1800.0 / TAU_S)) / 3600.0
    np.testing.assert_allclose(table.charge_mAh[[0, 1, 2, 5]], [0.0, 0.5, cv_charge, 0.5], rtol=1e-12, atol=0)
    assert table.charge_mAh[6] == pytest.approx((0.2 * 600 + 0.4 * 600) / 3600.0, rel=1e-12)
    # trapezoid of V dQ is exact where V and Q are both linear in t (CC step) or V is constant (CV hold)
    assert table.energy_mWh[1] == pytest.approx(0.5 * (3.0 + 2.0) / 2.0, rel=1e-12)
    assert table.energy_mWh[2] == pytest.approx(2.0 * cv_charge, rel=1e-12)
    assert table.energy_mWh[0] == 0.0
    # time-weighted mean current: the charge over the duration (trapezoid of a 1 s sampled exponential)
    assert table.mean_current_mA[1] == pytest.approx(-0.5, abs=1e-12)
    assert table.mean_current_mA[2] == pytest.approx(-cv_charge * 3600.0 / 1800.0, rel=1e-5)
    assert table.mean_current_mA[6] == pytest.approx(0.6, rel=1e-12)  # a linear ramp: its mid value
    assert table.mean_current_mA[0] == 0.0


def test_switching_transients_do_not_spoil_a_constant_current_step():
    """The first and last rows of a step (instrument switching) are left out of the CC and CV tests."""
    t = np.arange(0.0, 101.0)
    current = np.full(t.size, -1.0)
    current[0], current[-1] = -0.2, -0.01  # the current ramps in and out
    voltage = 1.0 - 0.1 * np.sqrt(t / t[-1])
    table = step_table(Record.from_columns({"time_s": t, "voltage_V": voltage, "current_mA": current}))
    assert list(table.mode) == ["CC"]
    assert table.set_point[0] == pytest.approx(-1.0)
    noisy = current * (1.0 + 0.05 * np.random.default_rng(0).standard_normal(t.size))
    assert list(step_table(Record.from_columns({"time_s": t, "voltage_V": voltage, "current_mA": noisy})).mode) \
        == ["other"]
    # the same noisy current under a voltage linear in time: a sweep (the current is free)
    assert list(step_table(Record.from_columns({"time_s": t, "voltage_V": 1.0 - 0.001 * t,
                                                 "current_mA": noisy})).mode) == ["sweep"]


def test_a_missing_current_reading_does_not_break_a_constant_current_step():
    """A dropped reading (NaN current) inside a CC step holds the last current, not 0 mA."""
    t = np.arange(0.0, 101.0)
    current = np.r_[np.full(50, -1.0), np.full(51, 0.5)]
    step = np.r_[np.ones(50, int), np.full(51, 2)]
    voltage = np.where(step == 1, -0.02, 0.02)
    current[[10, 11, 70]] = np.nan
    table = step_table(Record.from_columns({"time_s": t, "voltage_V": voltage, "current_mA": current, "step": step}))
    assert list(table.mode) == ["CC", "CC"]
    assert table.set_point == pytest.approx([-1.0, 0.5])


def test_cv_span_and_sweep_span_limits():
    """A hold must stay within CV_SPAN_V; a voltage that creeps by more, linearly, is a sweep."""
    t = np.arange(0.0, 200.0)
    current = -np.exp(-t / 50.0)
    held = Record.from_columns({"time_s": t, "voltage_V": 0.01 + 0.8 * CV_SPAN_V * t / t[-1], "current_mA": current})
    creeping = Record.from_columns({"time_s": t, "voltage_V": 0.01 + 0.02 * t / t[-1], "current_mA": current})
    assert step_table(held).mode[0] == "CV"
    assert step_table(creeping).mode[0] == "sweep"
    assert step_table(creeping).set_point[0] == pytest.approx(1000 * 0.02 / t[-1])


def test_records_without_time_or_current():
    voltage = np.r_[np.full(10, 3.0), np.linspace(3.0, 2.0, 50), np.full(20, 2.0)]
    state = np.r_[np.zeros(10), np.full(50, DISCHARGE), np.full(20, DISCHARGE)].astype(int)
    step = np.r_[np.zeros(10), np.ones(50), np.full(20, 2)]
    record = Record.from_columns({"voltage_V": voltage, "state": state, "step": step,
                                  "capacity_mAh": np.r_[np.zeros(10), np.linspace(0, 1, 50), np.linspace(0, 0.1, 20)]})
    table = step_table(record)
    assert list(table.mode) == ["rest", "other", "CV"]  # no current: a CC step cannot be told
    assert np.isnan(table.duration_s).all() and np.isnan(table.start_s).all()
    assert np.isnan(table.mean_current_mA).all()
    np.testing.assert_allclose(table.charge_mAh, [0.0, 1.0, 0.1])


def test_empty_record():
    table = step_table(Record.from_columns({"voltage_V": np.zeros(0)}))
    assert len(table) == 0 and table.columns.keys() == step_table(_protocol()[0]).columns.keys()


def test_pickles_read_only(protocol):
    table = step_table(protocol[0])
    loaded = pickle.loads(pickle.dumps(table))
    for name, column in table.columns.items():
        np.testing.assert_array_equal(getattr(loaded, name), column)
        assert not getattr(loaded, name).flags.writeable
    with pytest.raises(ValueError):
        loaded.charge_mAh[0] = 1.0


def test_matches_a_plain_loop_on_random_records():
    """Every column against a per-step Python loop over a random record of 300 steps."""
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 40, 300)
    step = np.repeat(np.arange(lengths.size), lengths)
    n = step.size
    time = np.cumsum(rng.uniform(0.5, 2.0, n))
    voltage = rng.normal(1.0, 0.3, n)
    current = np.repeat(rng.choice([-1.0, 0.0, 1.0], lengths.size) * rng.uniform(0.1, 2.0, lengths.size), lengths)
    current = current + rng.normal(0, 0.001, n) * (current != 0)
    record = Record.from_columns({"time_s": time, "voltage_V": voltage, "current_mA": current, "step": step})
    table = step_table(record)
    capacity = record["capacity_mAh"]
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    for k, (first, size) in enumerate(zip(starts, lengths)):
        rows = slice(first, first + size)
        v, t, i = voltage[rows], time[rows], current[rows]
        assert (table.start[k], table.end[k]) == (first, first + size - 1)
        assert (table.min_V[k], table.max_V[k]) == (v.min(), v.max())
        assert table.mean_V[k] == pytest.approx(v.mean())
        assert table.duration_s[k] == t[-1] - t[0]
        assert table.charge_mAh[k] == capacity[rows][-1]
        energy = 0.5 * np.sum((v[1:] + v[:-1]) * np.diff(capacity[rows]))
        assert table.energy_mWh[k] == pytest.approx(energy, abs=1e-12)
        mean = 0.5 * np.sum((i[1:] + i[:-1]) * np.diff(t)) / (t[-1] - t[0]) if size > 1 else i[0]
        assert table.mean_current_mA[k] == pytest.approx(mean, rel=1e-9, abs=1e-12)
        inner = slice(1, -1) if size >= 4 else slice(None)
        if np.all(i == 0):
            assert table.mode[k] == "rest" and table.direction[k] == REST
        elif np.std(i[inner]) <= 0.02 * abs(np.mean(i[inner])):
            assert table.mode[k] == "CC" and table.set_point[k] == pytest.approx(np.mean(i[inner]))


def test_half_cycles_build_on_the_table(protocol):
    """reduce_steps is a view of the step table: its columns are the table's arrays, not a second reduction."""
    record = protocol[0]
    steps = reduce_steps(record)
    np.testing.assert_array_equal(steps.table.charge_mAh, step_table(record).charge_mAh)
    assert steps.capacity_mAh is steps.table.charge_mAh and steps.energy_mWh is steps.table.energy_mWh
    assert steps.start is steps.table.start and steps.direction is steps.table.direction
