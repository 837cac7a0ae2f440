"""Recovering the schedule a record ran, and the differences compare() reports when it is not the intended
one (a shorter pulse, another current, missing steps, a cut-off run past, another sampling)."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.steps import step_table
from anodelab.protocols import (
    CC,
    CV,
    Loop,
    Other,
    Rest,
    Schedule,
    compare,
    gitt,
    pulse_cv_formation,
    recover,
    simulate,
)


def test_formation_folds_into_its_loop_of_holds():
    recovered = recover(simulate(pulse_cv_formation(repeats=5, rest_s=2.0)))
    assert [type(item) for item in recovered.steps] == [Rest, Loop]
    loop = recovered.steps[1]
    assert loop.repeat == 5
    assert [type(s) for s in loop.steps] == [CV, Rest] * 3
    assert [s.voltage_V for s in loop.steps if isinstance(s, CV)] == pytest.approx([1.4, 1.0, 0.8], abs=1e-12)
    assert all(s.duration_s == pytest.approx(10.0) for s in loop.steps if isinstance(s, CV))
    # the current each hold ends at differs from repeat to repeat: an outcome, not a cut-off
    assert all(s.cutoff_current_mA is None for s in loop.steps if isinstance(s, CV))
    assert len(recover(simulate(pulse_cv_formation(repeats=5)), fold=False).steps) == 16


def test_a_shorter_pulse_and_another_current_are_reported_step_by_step():
    intended = gitt(current_mA=-0.1, pulse_s=60.0, n_pulses=4, rest_s=1200.0)
    shorter = compare(intended, recover(simulate(gitt(current_mA=-0.1, pulse_s=45.0, n_pulses=4, rest_s=1200.0))))
    assert [(d.step, d.field) for d in shorter.differences] == [(2, "ending"), (4, "ending"), (6, "ending"),
                                                                (8, "ending")]
    assert shorter.differences[0].label == "2.1 (1/4)"
    assert "before any of its cut-offs (60 s)" in shorter.differences[0].message
    stronger = compare(intended, recover(simulate(gitt(current_mA=-0.12, pulse_s=60.0, n_pulses=4, rest_s=1200.0))))
    assert [d.field for d in stronger.differences] == ["current_mA"] * 4
    assert stronger.differences[0].recovered == pytest.approx(-0.12)


def test_missing_and_extra_steps():
    intended = gitt(n_pulses=3, rest_s=600.0)
    fewer = compare(intended, recover(simulate(gitt(n_pulses=2, rest_s=600.0))))
    assert [(d.step, d.field) for d in fewer.differences] == [(6, "missing"), (7, "missing")]
    assert (fewer.n_intended, fewer.n_recovered) == (7, 5)
    more = compare(intended, recover(simulate(gitt(n_pulses=4, rest_s=600.0))))
    assert [(d.step, d.field) for d in more.differences] == [(8, "extra"), (9, "extra")]
    assert not more.matches and "2 difference(s)" in more.to_text()


@pytest.mark.parametrize(("intended", "recovered", "field"), [
    (CC(-1.0, duration_s=100.0), CC(-1.0, duration_s=150.0, capacity_mAh=0.04), "duration_s"),
    (CC(-1.0, cutoff_V=0.05), CC(-1.0, duration_s=100.0, cutoff_V=0.02), "cutoff_V"),  # below a lower limit
    (CC(2.0, cutoff_V=1.0), CC(2.0, duration_s=100.0, cutoff_V=1.2), "cutoff_V"),
    (CC(-1.0, cutoff_V=0.05), CC(-1.0, duration_s=100.0, cutoff_V=0.08), "ending"),  # stopped above it
    (CV(0.5, cutoff_current_mA=0.1), CV(0.5, duration_s=10.0, cutoff_current_mA=0.05), "cutoff_current_mA"),
    (CC(-1.0, capacity_mAh=1.0), CC(-1.0, capacity_mAh=1.1), "capacity_mAh"),
    (Rest(60.0), Rest(30.0), "ending"),
    (CV(0.5, duration_s=10.0), CV(0.52, duration_s=10.0), "voltage_V"),
    (CV(0.5, duration_s=10.0), CC(-1.0, duration_s=10.0), "type"),
    (Rest(60.0, sample_s=1.0), Rest(60.0, sample_s=10.0), "sample_s"),
])
def test_each_kind_of_difference(intended, recovered, field):
    comparison = compare(Schedule((intended,)), Schedule((recovered,)))
    assert [d.field for d in comparison.differences] == [field]
    assert compare(Schedule((intended,)), Schedule((intended,))).matches


def test_within_tolerance_is_the_same_step():
    intended = Schedule((CC(-1.0, cutoff_V=0.05, duration_s=3600.0), Rest(60.0)))
    recovered = Schedule((CC(-1.004, duration_s=1800.0, capacity_mAh=0.5, cutoff_V=0.052), Rest(60.05)))
    assert compare(intended, recovered).matches


def test_recover_needs_a_time_series_with_current():
    record = simulate(gitt(n_pulses=2))
    voltage_only = Record.from_columns({"time_s": record["time_s"], "voltage_V": record["voltage_V"],
                                        "step": record["step"]})
    with pytest.raises(NotApplicableError, match="needs current_mA"):
        recover(voltage_only)
    with pytest.raises(NotApplicableError, match="needs a Record"):
        recover(np.zeros(3))


def test_a_real_gcpl_file_recovers_as_its_protocol():
    # navani's example: coin cell, GCPL, 5 cycles 2.0-3.8 V at C/24 (README of the shared folder)
    record = anodelab.read(external_file("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr"))
    recovered = recover(record)
    assert recovered.n_steps == len(step_table(record))
    loops = [item for item in recovered.steps if isinstance(item, Loop)]
    assert len(loops) == 1 and loops[0].repeat >= 5
    discharge, charge = loops[0].steps
    assert discharge.cutoff_V == pytest.approx(2.0, abs=0.005) and charge.cutoff_V == pytest.approx(3.8, abs=0.005)
    assert discharge.current_mA < 0 < charge.current_mA
    assert not any(isinstance(s, Other) for s in recovered.flat())
