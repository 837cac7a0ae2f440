"""The schedule type, its builders and its exports: validation, expansion, the step table, JSON round trips
(hand-written expectations from each builder's parameters)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.protocols import (
    BUILDERS,
    CC,
    CCCV,
    CV,
    Loop,
    Other,
    PulseTrain,
    Rest,
    Schedule,
    aurbach_ce,
    ccd_staircase,
    from_json,
    gitt,
    pulse_cv_formation,
    rate_test,
    to_dataframe,
    to_json,
    to_text,
)

EVERY_TYPE = Schedule(
    (Rest(600.0),
     CCCV(-0.5, 0.01, cutoff_current_mA=0.05, sample_s=2.0),
     PulseTrain(CC(-0.1, duration_s=60.0, cutoff_V=0.05), Rest(3600.0), 3),
     Loop((CV(1.4, duration_s=10.0), Loop((CC(0.2, capacity_mAh=0.1),), 2)), 2),
     Other("sweep", duration_s=10.0, start_V=0.1, end_V=0.6)),
    name="every type", sample_s=5.0, cell_type="anode-half", area_cm2=1.13, description="all step types",
    parameters={"rates": (0.1, 0.2), "n": 3, "note": None})


def test_expansion_runs_every_step_in_order_with_its_label_and_sampling():
    expanded = EVERY_TYPE.expanded()
    assert [e.label for e in expanded] == [
        "1", "2.1", "2.2",
        "3.1 (1/3)", "3.2 (1/3)", "3.1 (2/3)", "3.2 (2/3)", "3.1 (3/3)", "3.2 (3/3)",
        "4.1 (1/2)", "4.2.1 (1/2)(1/2)", "4.2.1 (1/2)(2/2)", "4.1 (2/2)", "4.2.1 (2/2)(1/2)", "4.2.1 (2/2)(2/2)",
        "5"]
    assert EVERY_TYPE.n_steps == len(expanded) == 16
    flat = EVERY_TYPE.flat()
    assert flat[1] == CC(-0.5, cutoff_V=0.01, sample_s=2.0)  # the CCCV: CC to its voltage, then the hold
    assert flat[2] == CV(0.01, cutoff_current_mA=0.05, sample_s=2.0)
    assert [s.sample_s for s in flat] == [5.0, 2.0, 2.0] + [5.0] * 13
    assert [type(s) for s in flat[9:15]] == [CV, CC, CC, CV, CC, CC]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_json_round_trips_every_builder(name):
    schedule = BUILDERS[name]()
    text = to_json(schedule)
    assert json.loads(text)["format"] == "anodelab.schedule"
    assert from_json(text) == schedule


def test_json_round_trips_every_step_type():
    back = from_json(to_json(EVERY_TYPE, indent=None))
    assert back == EVERY_TYPE
    assert back.parameters == {"rates": (0.1, 0.2), "n": 3, "note": None}


@pytest.mark.parametrize(("make", "field", "words"), [
    (lambda: CC(0.0, duration_s=1.0), "CC.current_mA", "must not be 0"),
    (lambda: CC(-1.0), "CC", "needs a cut-off"),
    (lambda: CV(1.0, duration_s=-5.0), "CV.duration_s", "> 0"),
    (lambda: CV(float("nan"), duration_s=5.0), "CV.voltage_V", "finite"),
    (lambda: Rest("60"), "Rest.duration_s", "number"),
    (lambda: CCCV(-1.0, 0.01), "CCCV", "needs a cut-off"),
    (lambda: Loop((), 2), "Loop.steps", "at least one step"),
    (lambda: Loop((Rest(1.0),), 0), "Loop.repeat", "integer >= 1"),
    (lambda: PulseTrain(Rest(1.0), Rest(1.0), 2), "PulseTrain.pulse", "CC or CV"),
    (lambda: Schedule((1.0,)), "Schedule.steps[0]", "not a step"),
    (lambda: Schedule((Rest(1.0),), cell_type="battery"), "Schedule.cell_type", "unknown cell type"),
    (lambda: Schedule((Rest(1.0),), sample_s=0.0), "Schedule.sample_s", "> 0"),
])
def test_invalid_steps_name_their_field(make, field, words):
    with pytest.raises(ValidationError, match=words) as caught:
        make()
    assert caught.value.field == field


@pytest.mark.parametrize(("text", "words"), [
    ('{"format": "other"}', "expected 'anodelab.schedule'"),
    ('[1, 2]', "JSON object"),
    ("{not json", "not JSON"),
])
def test_from_json_refuses_what_is_not_a_schedule(text, words):
    with pytest.raises(ValidationError, match=words):
        from_json(text)


def test_from_json_names_the_step_at_fault():
    data = json.loads(to_json(EVERY_TYPE))
    data["steps"][3]["steps"][1]["steps"][0]["current_mA"] = 0
    with pytest.raises(ValidationError, match=r"schedule\.steps\[3\]\.steps\[1\]\.steps\[0\]: CC\.current_mA"):
        from_json(json.dumps(data))
    data = json.loads(to_json(EVERY_TYPE))
    data["steps"][0]["speed"] = 3
    with pytest.raises(ValidationError, match=r"schedule\.steps\[0\].*unknown field\(s\) speed"):
        from_json(json.dumps(data))
    data["steps"][0] = {"type": "CP", "power_W": 1}
    with pytest.raises(ValidationError, match="expected one of CC, CV, rest"):
        from_json(json.dumps(data))


def test_ccd_staircase_levels_and_halves():
    fixed_time = ccd_staircase(start_mA_cm2=0.1, step_mA_cm2=0.1, stop_mA_cm2=0.3, area_cm2=2.0, half_cycle_s=900.0)
    currents = [s.current_mA for s in fixed_time.flat()]
    np.testing.assert_allclose(currents, [-0.2, 0.2, -0.4, 0.4, -0.6, 0.6], rtol=1e-12)
    assert all(s.duration_s == 900.0 and s.capacity_mAh is None for s in fixed_time.flat())
    fixed_capacity = ccd_staircase(start_mA_cm2=0.1, step_mA_cm2=0.1, stop_mA_cm2=0.3, area_cm2=2.0,
                                   protocol="fixed-capacity", areal_capacity_mAh_cm2=0.2, cycles_per_level=2,
                                   cutoff_V=5.0)
    assert [type(item) for item in fixed_capacity.steps] == [Loop, Loop, Loop]
    flat = fixed_capacity.flat()
    assert len(flat) == 12
    assert all(s.capacity_mAh == pytest.approx(0.4) and s.duration_s is None for s in flat)
    assert [s.cutoff_V for s in flat[:2]] == [-5.0, 5.0]  # plating stops at -5 V, stripping at +5 V
    assert fixed_capacity.area_cm2 == 2.0 and fixed_capacity.cell_type == "symmetric"


def test_aurbach_ce_is_adams_protocol():
    # Adams et al. 2018: 0.5 mA/cm2, Q_T 5 mAh/cm2, Q_C 1 mAh/cm2 x 10, strip to 0.5 V; here on 1.13 cm2
    flat = aurbach_ce().flat()
    assert len(flat) == 2 + 1 + 20 + 1
    assert flat[0].current_mA == pytest.approx(-0.565) and flat[0].capacity_mAh == pytest.approx(5.65)
    assert flat[1] == CC(0.565, cutoff_V=0.5, sample_s=60.0)  # the conditioning strip
    assert flat[2].capacity_mAh == pytest.approx(5.65)
    assert [s.current_mA for s in flat[3:23]] == [0.565, -0.565] * 10
    assert all(s.capacity_mAh == pytest.approx(1.13) for s in flat[3:23])
    assert flat[-1] == CC(0.565, cutoff_V=0.5, sample_s=60.0)
    assert len(aurbach_ce(conditioning=False).flat()) == 22


def test_gitt_formation_and_rate_test_steps():
    titration = gitt(current_mA=-0.2, pulse_s=30.0, rest_s=600.0, n_pulses=4, initial_rest_s=300.0)
    flat = titration.flat()
    assert [type(s) for s in flat] == [Rest] + [CC, Rest] * 4
    assert flat[1] == CC(-0.2, duration_s=30.0, sample_s=1.0) and flat[2] == Rest(600.0, sample_s=10.0)
    formation = pulse_cv_formation(repeats=3, rest_s=5.0)
    voltages = [s.voltage_V for s in formation.flat() if isinstance(s, CV)]
    assert voltages == [1.4, 1.0, 0.8] * 3
    assert formation.n_steps == 1 + 3 * 6
    assert pulse_cv_formation(voltages_V=(1.0,), repeats=1, hold_s=3600.0).steps == (
        Rest(60.0), CV(1.0, duration_s=3600.0))
    rates = rate_test(capacity_mAh=2.0, c_rates=(0.5, 2.0), cycles_per_rate=2, cv_end_c_rate=0.05)
    flat = rates.flat()
    assert [s.current_mA for s in flat if isinstance(s, CC)] == [-1.0, 1.0] * 2 + [-4.0, 4.0] * 2
    assert [s.cutoff_current_mA for s in flat if isinstance(s, CV)] == [0.1] * 4
    assert flat[0].sample_s == pytest.approx(3600.0 / 0.5 / 100)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: ccd_staircase(protocol="fixed"), "protocol"),
    (lambda: ccd_staircase(stop_mA_cm2=0.01), "stop_mA_cm2"),
    (lambda: aurbach_ce(cycle_mAh_cm2=6.0), "cycle_mAh_cm2"),
    (lambda: rate_test(lower_cutoff_V=2.0), "upper_cutoff_V"),
    (lambda: rate_test(c_rates=()), "c_rates"),
    (lambda: gitt(n_pulses=0), "n_pulses"),
    (lambda: pulse_cv_formation(hold_s=-1.0), "hold_s"),
])
def test_builders_refuse_bad_parameters(build, field):
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field


def test_step_table_text_and_dataframe():
    text = to_text(EVERY_TYPE)
    assert text.splitlines()[0] == "every type: all step types (anode-half cell, 1.13 cm2)"
    assert "16 steps, sampled every 5 s" in text
    assert "-0.5 mA (-0.4425 mA/cm2) to 0.01 V" in text  # the CCCV
    assert "pulse train  x3" in text and "60 s or 0.05 V" in text and "every 2 s" in text
    frame = to_dataframe(EVERY_TYPE)
    assert list(frame["number"]) == ["1", "2", "3", "3.1", "3.2", "4", "4.1", "4.2", "4.2.1", "5"]
    assert list(frame["type"]) == ["rest", "CCCV", "pulse_train", "CC", "rest", "loop", "CV", "loop", "CC", "other"]
    assert frame.loc[frame["number"] == "3", "repeat"].item() == 3
    assert frame.loc[frame["number"] == "3.1", "current_mA_cm2"].item() == pytest.approx(-0.1 / 1.13)
    assert frame.loc[frame["number"] == "1", "sample_s"].item() == 5.0  # the schedule's, filled in
