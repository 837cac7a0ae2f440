"""How the protocols are judged: each built, exported to PyBaMM, simulated, written as an instrument file
and recovered from that file gives back its own steps; the CCD and GITT protocols simulated here give the
plating and kinetics analyses the virtual cell's own critical current density and diffusion coefficient."""

from __future__ import annotations

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ValidationError
from anodelab.kinetics.gitt import gitt as gitt_analysis
from anodelab.plating import critical_current_density, plating_efficiency
from anodelab.protocols import (
    BUILDERS,
    CC,
    CV,
    HostCell,
    Loop,
    MetalCell,
    Other,
    Rest,
    Schedule,
    aurbach_ce,
    ccd_staircase,
    compare,
    gitt,
    recover,
    simulate,
    simulate_pybamm,
    to_pybamm,
)
from anodelab.sim.virtual import write_csv, write_mpt

pybamm = pytest.importorskip("pybamm")

SMALL = {"pulse_cv_formation": {"repeats": 4, "rest_s": 5.0}, "rate_test": {"c_rates": (0.5, 2.0, 0.5),
                                                                          "cycles_per_rate": 2, "cv_end_c_rate": 0.05},
         "gitt": {"n_pulses": 6}}


@pytest.mark.parametrize("format", ["mpt", "csv"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_built_exported_simulated_recovered_gives_its_own_steps(name, format, tmp_path):
    schedule = BUILDERS[name](**SMALL.get(name, {}))
    assert len(pybamm.Experiment(to_pybamm(schedule)).steps) == schedule.n_steps
    record = simulate(schedule)
    path = tmp_path / f"{name}.{format}"
    write_mpt(record, path) if format == "mpt" else write_csv(record, path)
    recovered = recover(anodelab.read(path))
    comparison = compare(schedule, recovered)
    assert comparison.matches, comparison.to_text()
    assert comparison.n_recovered == comparison.n_intended == schedule.n_steps
    assert [type(s) for s in recovered.flat()] == [type(s) for s in schedule.flat()]


@pytest.mark.parametrize("name", ["pulse_cv_formation", "rate_test"])
def test_a_noisy_trace_still_gives_its_holds_back(name):
    # a potentiostat holds the voltage it controls: noise on the CC and rest rows, none on a CV hold (with
    # 1 mV on the holds their voltage spanned more than a CV step may, and they came back as "other")
    schedule = BUILDERS[name](**SMALL[name])
    record = simulate(schedule, noise_V=0.001, seed=1)
    comparison = compare(schedule, recover(record))
    assert comparison.matches, comparison.to_text()
    held = {e.label: e.step.voltage_V for e in schedule.expanded() if isinstance(e.step, CV)}
    steps, voltage = record["step"], record["voltage_V"]
    for number, expanded in enumerate(schedule.expanded(), start=1):
        rows = voltage[steps == number]
        if isinstance(expanded.step, CV):
            np.testing.assert_array_equal(rows, held[expanded.label])
        elif rows.size > 10:
            assert np.std(rows - np.convolve(rows, np.ones(3) / 3, mode="same")) > 3e-4  # the noise is there


def test_recovered_loops_are_the_protocols_loops():
    titration = recover(simulate(gitt(n_pulses=5)))
    assert [type(item) for item in titration.steps] == [Rest, Loop]
    assert titration.steps[1].repeat == 5 and [type(s) for s in titration.steps[1].steps] == [CC, Rest]
    reservoir = recover(simulate(aurbach_ce(n_cycles=7)))
    loops = [item for item in reservoir.steps if isinstance(item, Loop)]
    assert len(reservoir.steps) == 5 and [loop.repeat for loop in loops] == [7]
    assert [s.current_mA > 0 for s in loops[0].steps] == [True, False]  # strip Q_C, then plate it
    assert loops[0].steps[0].capacity_mAh == pytest.approx(1.13, rel=1e-9)
    assert reservoir.steps[-1].cutoff_V == pytest.approx(0.5, abs=1e-9)  # the last strip ends at its cut-off


@pytest.mark.parametrize(("protocol", "ccd_mA_cm2"), [("fixed-time", 0.5), ("fixed-capacity", 0.35)])
def test_ccd_staircase_on_a_cell_that_shorts_at_its_ccd(protocol, ccd_mA_cm2, tmp_path):
    schedule = ccd_staircase(start_mA_cm2=0.05, step_mA_cm2=0.05, stop_mA_cm2=0.8, protocol=protocol,
                             areal_capacity_mAh_cm2=0.1)
    cell = MetalCell(ccd_mA_cm2=ccd_mA_cm2, short_delay_s=300.0)
    path = write_mpt(simulate(schedule, cell), tmp_path / "ccd.mpt", cell=cell.info())
    result = critical_current_density(anodelab.read(path), cell.info())
    assert result.ccd == pytest.approx(ccd_mA_cm2, rel=1e-9)
    assert result.last_stable == pytest.approx(ccd_mA_cm2 - 0.05, rel=1e-9)
    assert result.failure["kind"] == "hard"
    assert result.protocol == protocol
    if protocol == "fixed-time":
        assert result.step_s == pytest.approx(1800.0)
    else:
        assert result.step_capacity == pytest.approx(0.1, rel=1e-6)


@pytest.mark.parametrize(("D_cm2_s", "thickness_um"), [(1e-12, 0.5), (4e-12, 0.3)])
def test_gitt_on_a_film_gives_its_diffusion_coefficient(D_cm2_s, thickness_um):
    cell = HostCell(D_cm2_s=D_cm2_s, thickness_um=thickness_um, soc_start=0.3)
    tau_s = cell.diffusion_time_s
    pulse_s = 0.02 * tau_s  # the Weppner-Huggins regime: tau << L^2 / D
    current_mA = -0.003 * cell.capacity_mAh * 3600.0 / pulse_s  # 0.3 % of the host per pulse: a linear OCV
    schedule = gitt(current_mA=current_mA, pulse_s=pulse_s, rest_s=1.5 * tau_s, n_pulses=8, initial_rest_s=600.0,
                    pulse_sample_s=pulse_s / 50, rest_sample_s=tau_s / 100)
    result = gitt_analysis(simulate(schedule, cell))
    assert result.summary()["n_valid"] == 8
    D = np.array([pulse["D_cm2_s"] for pulse in result.pulses])
    np.testing.assert_allclose(D / D_cm2_s, 1.0, atol=0.05)


def test_a_long_gitt_pulse_is_flagged_not_valid():
    cell = HostCell(soc_start=0.3)
    tau_s = cell.diffusion_time_s
    schedule = gitt(current_mA=-0.05, pulse_s=tau_s, rest_s=1.5 * tau_s, n_pulses=3, pulse_sample_s=10.0,
                    rest_sample_s=30.0)
    result = gitt_analysis(simulate(schedule, cell))
    assert result.summary()["n_valid"] == 0


def test_aurbach_on_a_plating_cell_gives_its_ce():
    record = simulate(aurbach_ce(), MetalCell(substrate="Cu", area_cm2=1.13, ce=0.985))
    assert plating_efficiency(record).to_dict()["ce_aurbach"] == pytest.approx(0.985, abs=2e-4)


def test_simulate_refuses_what_it_cannot_run():
    with pytest.raises(ValidationError, match="written for 0.785 cm2"):
        simulate(ccd_staircase(), MetalCell(area_cm2=2.0))
    with pytest.raises(ValidationError, match="cannot be simulated"):
        simulate(Schedule((Rest(10.0), Other("sweep", duration_s=5.0))))
    with pytest.raises(ValidationError, match="ohmic"):
        simulate(Schedule((CV(0.1, duration_s=10.0),), cell_type="symmetric"))


@pytest.mark.slow
def test_pybamm_runs_the_exported_strings_and_the_record_gives_the_steps_back(tmp_path):
    schedule = Schedule((Rest(60.0, sample_s=5.0), Loop((CC(-5.0, duration_s=120.0, sample_s=2.0), Rest(300.0)), 2),
                         CV(0.15, duration_s=120.0, cutoff_current_mA=0.5, sample_s=2.0), CC(50.0, cutoff_V=0.5)),
                        name="pybamm check", sample_s=10.0)
    record = simulate_pybamm(schedule)
    path = write_mpt(record, tmp_path / "pybamm.mpt")
    comparison = compare(schedule, recover(anodelab.read(path)))
    assert comparison.matches, comparison.to_text()
