"""The virtual cells the schedules run on (anodelab.sim.virtual.cells) against closed forms: the film's
galvanostatic response (the exact series of anodelab.models.diffusion), a voltage hold on a linear host
(Crank's constant-surface-concentration solution), an ohmic metal cell, its short, its inventory."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.models.diffusion import surface_concentration_change_mol_cm3
from anodelab.sim.virtual.cells import Control, HostCell, MetalCell, run_controls
from anodelab.sim.virtual.gitt import (
    SI_MOLAR_VOLUME_CM3_MOL,
    SI_X_MAX,
    amorphous_si_ocv_V,
)


def test_host_film_follows_the_exact_diffusion_series_under_current():
    cell = HostCell(soc_start=0.3, D_cm2_s=2e-12, thickness_um=0.4, R_ohm=7.0)
    controls = [Control("rest", 10.0, duration_s=100.0), Control("CC", 1.0, current_mA=-0.3, duration_s=50.0),
                Control("rest", 20.0, duration_s=1000.0), Control("CC", 2.0, current_mA=0.2, duration_s=80.0)]
    record, ended = run_controls(cell, controls)
    assert ended == ("duration",) * 4
    time = record["time_s"]
    change = surface_concentration_change_mol_cm3(
        time, switch_times_s=np.array([0.0, 100.0, 150.0, 1150.0]), currents_mA=np.array([0.0, -0.3, 0.0, 0.2]),
        D_cm2_s=2e-12, length_cm=0.4e-4, area_cm2=1.13, geometry="film")
    expected_V = (amorphous_si_ocv_V(0.3 + SI_MOLAR_VOLUME_CM3_MOL * change / SI_X_MAX)
                  + record["current_mA"] * 1e-3 * 7.0)
    inner = np.r_[False, np.diff(record["step"]) == 0]  # a step's first row carries the modes left out, at once
    np.testing.assert_allclose(record["voltage_V"][inner], expected_V[inner], rtol=0, atol=1e-12)
    assert np.max(np.abs(record["voltage_V"] - expected_V)) < 2e-4
    np.testing.assert_allclose(record["capacity_mAh"][record["step"] == 2][-1], 0.3 * 50.0 / 3600.0, rtol=1e-12)


def test_host_voltage_hold_follows_the_constant_surface_concentration_solution():
    # R = 0 and a linear OCV: holding E pins u_s, so the film fills as Crank eq. 4.18 (blocking back face):
    # Q(t) / Q_inf = 1 - sum 8 / ((2n+1)^2 pi^2) exp(-(2n+1)^2 pi^2 D t / (4 L^2))
    cell = HostCell(soc_start=0.2, R_ohm=0.0, ocv_V=lambda u: 0.5 - 0.1 * np.asarray(u))
    tau_s = cell.diffusion_time_s
    record, ended = run_controls(cell, [Control("CV", 25.0, voltage_V=0.46, duration_s=2 * tau_s)])
    assert ended == ("duration",)
    time = record["time_s"][1:]
    n = np.arange(400)
    decay = np.exp(-np.outer(time, (2 * n + 1) ** 2) * np.pi**2 / (4 * tau_s))
    filled_mAh = 0.2 * cell.capacity_mAh  # from u = 0.2 to the held u_s = 0.4
    charge = filled_mAh * (1 - decay @ (8 / ((2 * n + 1) ** 2 * np.pi**2)))
    current = -filled_mAh * 3600.0 * 2 / tau_s * decay.sum(axis=1)  # lithiation: negative
    np.testing.assert_allclose(record["capacity_mAh"][1:], charge, rtol=2e-3)
    np.testing.assert_allclose(record["current_mA"][1:], current, rtol=0.02)
    np.testing.assert_allclose(record["voltage_V"], 0.46, rtol=0, atol=0)
    assert np.all(np.diff(np.diff(record["time_s"])[:-1]) == 0)  # rows every 25 s


def test_host_hold_ends_at_its_current_and_capacity_cutoffs():
    cell = HostCell.at_voltage(2.9)
    assert cell.potential_V(np.array([cell.soc_start]))[0] == pytest.approx(2.9, abs=1e-12)
    record, ended = run_controls(cell, [Control("CV", 1.0, voltage_V=1.0, cutoff_current_mA=0.2),
                                        Control("CV", 1.0, voltage_V=0.8, capacity_mAh=1e-4)])
    assert ended == ("current", "capacity")
    first, second = record["step"] == 1, record["step"] == 2
    assert abs(record["current_mA"][first][-1]) == pytest.approx(0.2, rel=1e-9)
    assert np.all(np.abs(record["current_mA"][first][:-1]) > 0.2)
    assert record["capacity_mAh"][second][-1] == pytest.approx(1e-4, rel=1e-9)


def test_host_constant_current_stops_at_its_voltage_cutoff():
    record, ended = run_controls(HostCell(soc_start=0.3), [Control("CC", 10.0, current_mA=-0.5, cutoff_V=0.1)])
    assert ended == ("voltage",)
    assert record["voltage_V"][-1] == pytest.approx(0.1, abs=1e-9)
    assert np.all(record["voltage_V"][:-1] > 0.1)


def test_symmetric_metal_cell_is_ohmic_and_shorts_at_its_ccd():
    cell = MetalCell(area_cm2=0.5, asr_ohm_cm2=40.0, ccd_mA_cm2=0.4, short_delay_s=100.0, short_resistance_ohm=3.0)
    controls = [Control("CC", 10.0, current_mA=-0.1, duration_s=300.0),  # 0.2 mA/cm2
                Control("CC", 10.0, current_mA=0.1, duration_s=300.0),
                Control("CC", 10.0, current_mA=-0.2, duration_s=300.0),  # 0.4 mA/cm2: shorts 100 s in
                Control("rest", 10.0, duration_s=50.0)]
    record, _ = run_controls(cell, controls)
    step, time, voltage = record["step"], record["time_s"], record["voltage_V"]
    np.testing.assert_allclose(voltage[step == 1], -0.2 * 40.0 / 1000.0)  # j ASR
    np.testing.assert_allclose(voltage[step == 2], 0.2 * 40.0 / 1000.0)
    shorted = (step == 3) & (time >= 700.0)
    assert 700.0 in time[step == 3]  # a row at the instant of the short
    np.testing.assert_allclose(voltage[shorted], -0.2 * 3.0 / 1000.0)
    np.testing.assert_allclose(voltage[(step == 3) & (time < 700.0)], -0.4 * 40.0 / 1000.0)
    np.testing.assert_allclose(voltage[step == 4], 0.0)


def test_plating_cell_strips_back_ce_of_what_it_plated():
    cell = MetalCell(substrate="Cu", area_cm2=1.0, ce=0.9)
    record, ended = run_controls(cell, [Control("CC", 60.0, current_mA=-1.0, capacity_mAh=2.0),
                                        Control("CC", 60.0, current_mA=1.0, cutoff_V=0.5),
                                        Control("rest", 60.0, duration_s=120.0)])
    assert ended == ("capacity", "voltage", "duration")
    stripped = record["capacity_mAh"][record["step"] == 2][-1]
    assert stripped == pytest.approx(0.9 * 2.0, abs=1e-3)  # the voltage tail adds ~2e-4 mAh
    assert stripped > 1.8
    np.testing.assert_allclose(record["voltage_V"][record["step"] == 3], 2.5)  # bare Cu vs Li


def test_cells_refuse_what_they_cannot_run():
    with pytest.raises(ValidationError, match="ohmic"):
        run_controls(MetalCell(), [Control("CV", 1.0, voltage_V=0.1, duration_s=10.0)])
    with pytest.raises(ValidationError, match="needs a duration, capacity or current cut-off"):
        Control("CV", 1.0, voltage_V=0.1)
    with pytest.raises(ValidationError, match="mode"):
        Control("CP", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="outside"):
        HostCell.at_voltage(500.0)
