"""PyBaMM Experiment strings: each builder's schedule parses with ``pybamm.Experiment``, and PyBaMM reads
back every step as the schedule meant it (its control, value in A or V with PyBaMM's sign, duration,
cut-off, period)."""

from __future__ import annotations

import pytest

from anodelab.core.errors import ValidationError
from anodelab.protocols import (
    BUILDERS,
    CC,
    CV,
    Loop,
    Other,
    PulseTrain,
    Rest,
    Schedule,
    to_pybamm,
)

pybamm = pytest.importorskip("pybamm")

SMALL = {"pulse_cv_formation": {"repeats": 3, "cutoff_current_mA": 0.01}, "rate_test": {"cv_end_c_rate": 0.05}}


def _check_step(parsed, step, sample_s):
    """PyBaMM's step against ours (PyBaMM: current in A, positive on discharge)."""
    assert parsed.period == pytest.approx(sample_s)
    if isinstance(step, Rest):
        assert type(parsed).__name__ == "Rest" and parsed.duration == pytest.approx(step.duration_s)
        return
    terminations = {type(t).__name__: t.value for t in parsed.termination}
    if isinstance(step, CC):
        assert type(parsed).__name__ == "Current"
        assert parsed.value == pytest.approx(-step.current_mA / 1000.0, rel=1e-11)
        limits = [d for d in (step.duration_s, step.capacity_mAh and step.capacity_mAh * 3600.0 / abs(step.current_mA))
                  if d]
        if limits:
            assert parsed.duration == pytest.approx(min(limits), rel=1e-11)
        if step.cutoff_V is not None:
            assert terminations == {"VoltageTermination": pytest.approx(step.cutoff_V, abs=1e-12)}
        return
    assert type(parsed).__name__ == "Voltage" and parsed.value == pytest.approx(step.voltage_V)
    if step.duration_s is not None:
        assert parsed.duration == pytest.approx(step.duration_s)
    if step.cutoff_current_mA is not None:
        assert terminations == {"CurrentTermination": pytest.approx(step.cutoff_current_mA / 1000.0, rel=1e-11)}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builders_export_strings_pybamm_reads_as_meant(name):
    schedule = BUILDERS[name](**SMALL.get(name, {}))
    experiment = pybamm.Experiment(to_pybamm(schedule))
    assert len(experiment.steps) == schedule.n_steps
    for parsed, expanded in zip(experiment.steps, schedule.expanded()):
        _check_step(parsed, expanded.step, expanded.sample_s)


def test_loops_and_pulse_trains_are_pybamm_cycles():
    schedule = Schedule((Rest(60.0), PulseTrain(CC(-1.0, duration_s=10.0), Rest(30.0), 2),
                         Loop((CV(0.5, duration_s=5.0, cutoff_current_mA=0.1), CC(2.0, cutoff_V=1.0)), 3)),
                        sample_s=2.0)
    strings = to_pybamm(schedule)
    assert strings[0] == "Rest for 60 seconds (2 seconds period)"
    assert strings[1] == strings[2] == ("Discharge at 1 mA for 10 seconds (2 seconds period)",
                                        "Rest for 30 seconds (2 seconds period)")
    assert strings[3] == ("Hold at 0.5 V for 5 seconds or until 0.1 mA (2 seconds period)",
                          "Charge at 2 mA until 1 V (2 seconds period)")
    assert len(strings) == 6
    assert pybamm.Experiment(strings).cycle_lengths == [1, 2, 2, 2, 2, 2]


def test_what_pybamm_cannot_say_is_refused():
    with pytest.raises(ValidationError, match="no capacity cut-off"):
        to_pybamm(Schedule((CV(0.5, capacity_mAh=1.0),)))
    with pytest.raises(ValidationError, match="no PyBaMM equivalent"):
        to_pybamm(Schedule((Other("sweep", duration_s=1.0),)))
