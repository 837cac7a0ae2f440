"""Virtual GITT: the pulse train, the IR jump, geometry and the PyBaMM cell against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import physical_constants

from anodelab.core.errors import ValidationError
from anodelab.sim.virtual.gitt import gitt, gitt_pybamm

FARADAY = physical_constants["Faraday constant"][0]


def _step_bounds(record):
    """(first row, last row) of each step, in step order."""
    step = record["step"]
    return [(np.flatnonzero(step == k)[0], np.flatnonzero(step == k)[-1]) for k in np.unique(step)]


@pytest.mark.parametrize("initial_rest_s", [0.0, 300.0])
def test_pulse_train_is_pulse_and_rest_of_the_given_durations(initial_rest_s):
    experiment = gitt(n_pulses=3, pulse_s=40.0, rest_s=500.0, initial_rest_s=initial_rest_s, current_mA=0.02)
    record, truth = experiment.data, experiment.truth
    time, current = record["time_s"], record["current_mA"]
    bounds = _step_bounds(record)
    expected = ([(0.0, initial_rest_s, 0.0)] if initial_rest_s else []) + [
        (initial_rest_s + k * 540.0 + offset, initial_rest_s + k * 540.0 + offset + duration, amps)
        for k in range(3)
        for offset, duration, amps in ((0.0, 40.0, -0.02), (40.0, 500.0, 0.0))
    ]
    assert len(bounds) == len(expected)
    for (first, last), (start_s, end_s, amps) in zip(bounds, expected):
        assert time[first] == pytest.approx(start_s, abs=1e-9) and time[last] == pytest.approx(end_s, rel=1e-12)
        assert np.all(current[first : last + 1] == amps)
    assert truth["pulse_start_s"] == pytest.approx([initial_rest_s + k * 540.0 for k in range(3)])


def test_voltage_jumps_by_I_R_where_the_current_switches():
    experiment = gitt(n_pulses=2, R_ohm=7.0, current_mA=0.05, pulse_s=30.0)
    record = experiment.data
    voltage, current, time = record["voltage_V"], record["current_mA"], record["time_s"]
    switches = np.flatnonzero(np.diff(record["step"]))  # last row of a step; the next row is at the same time
    assert np.all(time[switches + 1] == time[switches])
    np.testing.assert_allclose(
        voltage[switches + 1] - voltage[switches], (current[switches + 1] - current[switches]) * 1e-3 * 7.0,
        rtol=1e-9, atol=1e-15,
    )


def test_delithiation_is_positive_current_and_lowers_the_lithiation_fraction():
    experiment = gitt(direction="delithiation", soc_start=0.8, n_pulses=4, soc_per_pulse=0.05)
    truth = experiment.truth
    assert truth["current_mA"] > 0 and truth["soc_per_pulse"] == pytest.approx(0.05, rel=1e-12)
    np.testing.assert_allclose(truth["soc_after_pulse"], 0.8 - 0.05 * np.arange(1, 5), rtol=1e-12)
    with pytest.raises(ValidationError, match="would leave") as error:
        gitt(direction="delithiation", soc_start=0.1, n_pulses=20)
    assert error.value.field == "n_pulses"


def test_given_current_sets_the_soc_per_pulse():
    experiment = gitt(current_mA=0.01, pulse_s=60.0, n_pulses=2)
    truth = experiment.truth
    volume_cm3 = 1.13 * 0.5e-4
    capacity_mAh = 3.75 * volume_cm3 / 12.06 * FARADAY / 3.6
    assert truth["current_mA"] == -0.01
    assert truth["soc_per_pulse"] == pytest.approx(0.01 * 60.0 / 3600.0 / capacity_mAh, rel=1e-9)


def test_spheres_fill_the_film_volume():
    truth = gitt(geometry="sphere", particle_radius_um=0.2, n_pulses=2).truth
    volume_cm3 = 1.13 * 0.5e-4
    assert truth["length_cm"] == pytest.approx(0.2e-4, rel=1e-12)
    assert truth["surface_area_cm2"] == pytest.approx(3 * volume_cm3 / 0.2e-4, rel=1e-12)
    assert truth["diffusion_time_s"] == pytest.approx((0.2e-4) ** 2 / 1e-12, rel=1e-12)
    with pytest.raises(ValidationError) as error:
        gitt(geometry="sphere", particle_radius_um=0.0)
    assert error.value.field == "particle_radius_um"


def test_pybamm_cell_is_the_parameter_set_s():
    pybamm = pytest.importorskip("pybamm")
    experiment = gitt_pybamm(n_pulses=1, rest_s=200.0, initial_rest_s=60.0)
    values = pybamm.ParameterValues("Ecker2015_graphite_halfcell")
    electrode = experiment.cell.working_electrode
    assert electrode.area_cm2 == pytest.approx(
        values["Electrode height [m]"] * values["Electrode width [m]"] * 1e4, rel=1e-12
    )
    assert electrode.thickness_um == pytest.approx(values["Positive electrode thickness [m]"] * 1e6, rel=1e-12)
    assert experiment.cell.temperature_C == pytest.approx(values["Ambient temperature [K]"] - 273.15)
    assert np.all(np.diff(experiment.data["time_s"]) >= 0)
    with pytest.raises(ValidationError) as error:
        gitt_pybamm(model="P2D")
    assert error.value.field == "model"
