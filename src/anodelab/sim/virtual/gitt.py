"""Virtual GITT: galvanostatic pulses and rests on a host with a known diffusion coefficient.

The electrode is a dense film of thickness ``L`` on a blocking current collector (``geometry="film"``)
or that volume divided into spheres of radius ``r`` (``geometry="sphere"``). The potential is local
equilibrium at the host surface plus an ohmic drop::

    E(t) = OCV(x_s(t) / x_max) + I(t) R_ohm,   x_s = x0 + V_M dc_s(t)

with ``dc_s`` the exact diffusion solution of :mod:`anodelab.models.diffusion` (superposed over the
pulses). Choosing ``pulse_s`` against the diffusion time ``l^2 / D`` selects whether the Weppner-Huggins
assumptions (``tau << l^2 / D``, full relaxation, linear OCV) hold; the truth carries, per pulse, the
D that the Weppner-Huggins formula gives on these exact voltages, whatever the regime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import MissingExtraError, ValidationError
from anodelab.core.record import Provenance, Record
from anodelab.models.diffusion import (
    GEOMETRIES,
    SHAPE_FACTOR,
    surface_concentration_change_mol_cm3,
    weppner_huggins_D_cm2_s,
)
from anodelab.models.kinetics import check_positive
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.protocol import INSTRUMENT

#: pulse duration over the diffusion time l^2 / D, per regime and geometry. A sphere's surface response
#: 2 sqrt(theta / pi) + theta carries a curvature term, so its semi-infinite regime needs far shorter pulses.
REGIMES = {
    "weppner-huggins": {"film": 0.02, "sphere": 2e-4},
    "finite-length": {"film": 1.0, "sphere": 1.0},
}
SI_MOLAR_VOLUME_CM3_MOL = 12.06
SI_X_MAX = 3.75  # Li15Si4
_PYBAMM_MODELS = ("SPM", "DFN")
#: the surface potential model: (times s, current at those times mA) -> V
_Potential = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


def amorphous_si_ocv_V(soc: ArrayLike) -> NDArray[np.float64]:
    """A smooth amorphous-Si open-circuit potential vs Li/Li+ (V), decreasing in the lithiation fraction.

    ``E(s) = 0.04 + 0.30 (1 - s)^1.3 + 0.35 exp(-s / 0.04)`` for ``s`` clipped to [0, 1]: about 0.69 V
    empty, 0.33 V at s = 0.1, 0.16 V at s = 0.5, 0.04 V full (the sloping profiles of papers 002/003).
    """
    s = np.clip(np.asarray(soc, dtype=np.float64), 0.0, 1.0)
    return 0.04 + 0.30 * (1.0 - s) ** 1.3 + 0.35 * np.exp(-s / 0.04)


def _step_times(start_s: float, end_s: float, points: int) -> NDArray[np.float64]:
    """A step's sample times: its start, then geometric from 1 s (or 1/1000 of it) after, to its end exactly.

    Like a cycler logging at every step change and on voltage thresholds: dense where the voltage moves.
    """
    duration = end_s - start_s
    times = start_s + np.concatenate(([0.0], np.geomspace(min(1.0, duration / 1000.0), duration, points)))
    times[-1] = end_s  # the next step starts at this very time
    return times


def gitt_cell(area_cm2: float, thickness_um: float) -> CellInfo:
    """Si thin-film | liquid electrolyte | Li half-cell (paper 003's GITT cell, 1.13 cm2)."""
    return CellInfo(
        cell_type="anode-half",
        working_electrode=Electrode(material="Si film", area_cm2=area_cm2, thickness_um=thickness_um),
        counter_electrode=Electrode(material="Li"),
        electrolyte=Electrolyte(kind="LHCE"),
        temperature_C=25.0,
        notes="virtual Si film | electrolyte | Li GITT half-cell",
    )


def gitt(
    *,
    D_cm2_s: float = 1e-12,
    geometry: str = "film",
    thickness_um: float = 0.5,
    particle_radius_um: float = 0.5,
    area_cm2: float = 1.13,
    molar_volume_cm3_mol: float = SI_MOLAR_VOLUME_CM3_MOL,
    x_max: float = SI_X_MAX,
    regime: str = "weppner-huggins",
    pulse_s: float | None = None,
    rest_s: float | None = None,
    initial_rest_s: float = 600.0,
    n_pulses: int = 20,
    soc_per_pulse: float = 0.01,
    current_mA: float | None = None,
    soc_start: float = 0.3,
    direction: str = "lithiation",
    R_ohm: float = 5.0,
    ocv_V: Callable[[NDArray[np.float64]], NDArray[np.float64]] | None = None,
    points_per_step: int = 40,
    noise_mV: float = 0.0,
    seed: int | None = 0,
    name: str = "gitt",
) -> VirtualExperiment:
    """A GITT record: an initial rest, then ``n_pulses`` of (pulse, rest).

    ``l`` is the film thickness or the particle radius; the diffusion time is ``l^2 / D``. Unless given,
    ``pulse_s = REGIMES[regime][geometry] l^2 / D`` (``weppner-huggins``: 0.02 for a film, 2e-4 for
    spheres, the semi-infinite short-time regime; ``finite-length``: 1, where the pulse feels the
    film's far side or the particle's centre) and ``rest_s = 1.5 l^2 / D``
    (relaxed to 1e-6). The current passes ``soc_per_pulse`` of the host's capacity per pulse unless
    ``current_mA`` (its magnitude) is given; ``direction`` lithiation is negative current (anode half-cell
    convention). ``ocv_V`` maps the lithiation fraction (0..1 of ``x_max``) to volts (default
    :func:`amorphous_si_ocv_V`). Gaussian voltage noise of ``noise_mV`` is added to the record only.

    Truth: every parameter, the diffusion time, per pulse its start time, the mean SOC after it, the
    exact ``delta_E_s_V`` (relaxed potential after minus before), ``delta_E_t_V`` (pulse end minus
    pulse start, IR jump excluded) and the Weppner-Huggins D they give,
    ``4 / (pi tau) (V/S)^2 (dE_s/dE_t)^2`` with ``V/S`` = L (film) or r / 3 (spheres).
    """
    D = check_positive("D_cm2_s", D_cm2_s)
    _check_choices(geometry, regime, direction)
    thickness_cm = check_positive("thickness_um", thickness_um) * 1e-4
    area = check_positive("area_cm2", area_cm2)
    molar_volume = check_positive("molar_volume_cm3_mol", molar_volume_cm3_mol)
    x_full = check_positive("x_max", x_max)
    resistance = check_positive("R_ohm", R_ohm, allow_zero=True)
    for field, value in (("n_pulses", n_pulses), ("points_per_step", points_per_step)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(field, f"must be a positive integer, got {value!r}")
    noise = check_positive("noise_mV", noise_mV, allow_zero=True)
    if not 0.0 <= soc_start <= 1.0:
        raise ValidationError("soc_start", f"must lie in [0, 1], got {soc_start!r}")

    volume_cm3 = area * thickness_cm
    length_cm, surface_cm2 = _length_and_surface(geometry, thickness_cm, area, volume_cm3, particle_radius_um)
    volume_to_surface_cm = volume_cm3 / surface_cm2
    diffusion_time_s = length_cm**2 / D
    pulse = check_positive(
        "pulse_s", REGIMES[regime][geometry] * diffusion_time_s if pulse_s is None else pulse_s
    )
    rest = check_positive("rest_s", 1.5 * diffusion_time_s if rest_s is None else rest_s)
    initial_rest = check_positive("initial_rest_s", initial_rest_s, allow_zero=True)
    capacity_mAh = x_full * volume_cm3 / molar_volume * FARADAY_C_MOL / 3.6
    sign = -1.0 if direction == "lithiation" else 1.0
    current, soc_step = _pulse_current_and_soc_step(current_mA, soc_per_pulse, capacity_mAh, pulse, sign)
    _check_soc_window(soc_start, soc_step, sign, n_pulses)
    ocv = amorphous_si_ocv_V if ocv_V is None else ocv_V

    starts, switches, currents = _pulse_train(initial_rest, n_pulses, pulse, rest, current)
    potential = _surface_potential(
        ocv, resistance, soc_start, molar_volume, x_full,
        switches=switches, currents=currents, D=D, length_cm=length_cm, surface_cm2=surface_cm2, geometry=geometry,
    )
    cell = gitt_cell(area, thickness_um)
    record = _gitt_record(
        potential, switches, currents, rest, points_per_step, noise_mV=noise, seed=seed, cell=cell,
        note=f"virtual GITT, {geometry}, D = {D:.3g} cm2/s, regime {regime}",
    )
    soc_grid = np.linspace(0.0, 1.0, 101)
    truth: dict[str, Any] = {
        "D_cm2_s": D,
        "geometry": geometry,
        "thickness_um": thickness_um,
        "particle_radius_um": particle_radius_um if geometry == "sphere" else None,
        "length_cm": length_cm,
        "volume_to_surface_cm": volume_to_surface_cm,
        "surface_area_cm2": surface_cm2,
        "area_cm2": area,
        "molar_volume_cm3_mol": molar_volume,
        "x_max": x_full,
        "capacity_mAh": capacity_mAh,
        "diffusion_time_s": diffusion_time_s,
        "regime": regime if pulse_s is None else None,
        "pulse_s": pulse,
        "rest_s": rest,
        "initial_rest_s": initial_rest,
        "pulse_over_diffusion_time": pulse / diffusion_time_s,
        "n_pulses": n_pulses,
        "current_mA": current,
        "soc_per_pulse": soc_step,
        "soc_start": soc_start,
        "R_ohm": resistance,
        "noise_mV": noise,
        **_pulse_truth(potential, starts, pulse, rest, current, soc_start - sign * soc_step * np.arange(1, n_pulses + 1),
                       volume_to_surface_cm),
        "ocv": "amorphous_si_ocv_V" if ocv_V is None else "custom",
        "ocv_soc": soc_grid.tolist(),
        "ocv_V": np.asarray(ocv(soc_grid), dtype=np.float64).tolist(),
    }
    return VirtualExperiment(name=name, kind="gitt", data=record, cell=cell, truth=truth, seed=seed)


def _check_choices(geometry: str, regime: str, direction: str) -> None:
    if geometry not in GEOMETRIES:
        raise ValidationError(
            "geometry", f"unknown geometry {geometry!r}; expected one of {', '.join(GEOMETRIES)}"
        )
    if regime not in REGIMES:
        raise ValidationError("regime", f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}")
    if direction not in ("lithiation", "delithiation"):
        raise ValidationError("direction", f"expected 'lithiation' or 'delithiation', got {direction!r}")


def _length_and_surface(
    geometry: str, thickness_cm: float, area_cm2: float, volume_cm3: float, particle_radius_um: float
) -> tuple[float, float]:
    """Diffusion length (cm) and the surface the ion crosses (cm2): the film's thickness and area, or the
    particle radius and the total surface of the spheres that fill the film's volume."""
    if geometry == "film":
        return thickness_cm, area_cm2
    radius_cm = check_positive("particle_radius_um", particle_radius_um) * 1e-4
    return radius_cm, SHAPE_FACTOR["sphere"] * volume_cm3 / radius_cm


def _pulse_current_and_soc_step(
    current_mA: float | None, soc_per_pulse: float, capacity_mAh: float, pulse_s: float, sign: float
) -> tuple[float, float]:
    """The signed pulse current (mA; ``current_mA`` in magnitude, else the one passing ``soc_per_pulse`` of
    the capacity in a pulse) and the SOC a pulse passes."""
    if current_mA is None:
        magnitude = check_positive("soc_per_pulse", soc_per_pulse) * capacity_mAh * 3600.0 / pulse_s
    else:
        magnitude = check_positive("current_mA", current_mA)
    return sign * magnitude, magnitude * pulse_s / 3600.0 / capacity_mAh


def _check_soc_window(soc_start: float, soc_step: float, sign: float, n_pulses: int) -> None:
    soc_end = soc_start - sign * soc_step * n_pulses
    if not 0.0 <= soc_end <= 1.0:
        raise ValidationError(
            "n_pulses",
            f"{n_pulses} pulses of {soc_step:.4g} SOC from {soc_start:g} would leave [0, 1] (end {soc_end:.4g})",
        )


def _pulse_train(
    initial_rest_s: float, n_pulses: int, pulse_s: float, rest_s: float, current_mA: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Pulse start times, and the times the current switches with the current from each (the initial rest
    left out when it lasts 0 s)."""
    starts = initial_rest_s + np.arange(n_pulses, dtype=np.float64) * (pulse_s + rest_s)
    switches = np.concatenate(([0.0], np.column_stack([starts, starts + pulse_s]).ravel()))
    currents = np.concatenate(([0.0], np.tile([current_mA, 0.0], n_pulses)))
    if initial_rest_s == 0.0:
        switches, currents = switches[1:], currents[1:]
    return starts, switches, currents


def _surface_potential(
    ocv: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    R_ohm: float,
    soc_start: float,
    molar_volume_cm3_mol: float,
    x_max: float,
    *,
    switches: NDArray[np.float64],
    currents: NDArray[np.float64],
    D: float,
    length_cm: float,
    surface_cm2: float,
    geometry: str,
) -> _Potential:
    """``E(t, I) = OCV(x_s(t) / x_max) + I R_ohm`` under the pulse train (see the module docstring)."""

    def potential(times: NDArray[np.float64], step_current: NDArray[np.float64]) -> NDArray[np.float64]:
        change = surface_concentration_change_mol_cm3(
            times,
            switch_times_s=switches,
            currents_mA=currents,
            D_cm2_s=D,
            length_cm=length_cm,
            area_cm2=surface_cm2,
            geometry=geometry,
        )
        soc_surface = soc_start + molar_volume_cm3_mol * change / x_max
        return np.asarray(ocv(soc_surface), dtype=np.float64) + step_current * 1e-3 * R_ohm

    return potential


def _gitt_record(
    potential: _Potential,
    switches: NDArray[np.float64],
    currents: NDArray[np.float64],
    rest_s: float,
    points_per_step: int,
    *,
    noise_mV: float,
    seed: int | None,
    cell: CellInfo,
    note: str,
) -> Record:
    """The record: every step sampled by :func:`_step_times`, the model's voltage plus seeded Gaussian noise."""
    ends = np.append(switches[1:], switches[-1] + rest_s)
    time = np.concatenate([_step_times(t0, t1, points_per_step) for t0, t1 in zip(switches, ends)])
    row_current = np.repeat(currents, points_per_step + 1)
    step = np.repeat(np.arange(1, switches.size + 1), points_per_step + 1)
    voltage = potential(time, row_current)
    rng = np.random.default_rng(seed)
    if noise_mV > 0:
        voltage = voltage + rng.normal(0.0, noise_mV * 1e-3, voltage.size)
    return Record.from_columns(
        {"time_s": time, "voltage_V": voltage, "current_mA": row_current, "step": step},
        cell=cell,
        provenance=Provenance(instrument=INSTRUMENT, techniques=("GITT",), notes=(note,)),
    )


def _pulse_truth(
    potential: _Potential,
    starts: NDArray[np.float64],
    pulse_s: float,
    rest_s: float,
    current_mA: float,
    soc_after: NDArray[np.floating[Any]],
    volume_to_surface_cm: float,
) -> dict[str, list[float]]:
    """Per pulse: its start, the SOC after it and the exact Weppner-Huggins inputs and D, evaluated on the
    noiseless model at the step boundaries."""
    rest_ends = np.concatenate(([starts[0]], starts + pulse_s + rest_s))
    relaxed = potential(rest_ends, np.zeros(rest_ends.size))
    pulse_start = potential(starts, np.full(starts.size, current_mA))
    pulse_end = potential(starts + pulse_s, np.full(starts.size, current_mA))
    delta_E_s = np.diff(relaxed)
    delta_E_t = pulse_end - pulse_start
    D_wh = weppner_huggins_D_cm2_s(delta_E_s, delta_E_t, pulse_s=pulse_s, length_cm=volume_to_surface_cm)
    return {
        "pulse_start_s": starts.tolist(),
        "soc_after_pulse": soc_after.tolist(),
        "delta_E_s_V": delta_E_s.tolist(),
        "delta_E_t_V": delta_E_t.tolist(),
        "D_weppner_huggins_cm2_s": D_wh.tolist(),
    }


def gitt_pybamm(
    *,
    D_cm2_s: float = 1e-10,
    particle_radius_um: float = 5.0,
    c_rate: float = 0.5,
    pulse_s: float = 120.0,
    rest_s: float = 1800.0,
    initial_rest_s: float = 600.0,
    n_pulses: int = 10,
    soc_start: float = 0.3,
    model: str = "SPM",
    period_s: float = 10.0,
    particle_points: int | None = None,
    name: str = "gitt_pybamm",
) -> VirtualExperiment:
    """GITT (lithiation pulses) of a graphite | Li half-cell simulated by PyBaMM with a chosen diffusivity.

    PyBaMM's ``Ecker2015_graphite_halfcell`` parameters (graphite in the working-electrode slot, Li metal
    counter electrode), its particle diffusivity set to the constant ``D_cm2_s`` (converted to m2/s), its
    particle radius to ``particle_radius_um`` and its initial stoichiometry to ``soc_start``; the SPM or DFN
    half-cell model (``{"working electrode": "positive"}``) runs an initial rest, then ``n_pulses`` of
    (``c_rate`` x nominal capacity for ``pulse_s``, rest ``rest_s``), sampled every ``period_s``. The
    record is in the house sign (lithiation negative). ``particle_points``: radial mesh points of the
    particle (PyBaMM's default, 20, when None; short pulses want ~100). Truth: the values passed (both unit systems), the
    particle's volume over surface ``r / 3`` and diffusion time ``r^2 / D``, and PyBaMM's version. Needs
    the ``cellsim`` extra. The graphite OCP has staging plateaus, so a Weppner-Huggins estimate on this
    record varies with the state of charge.
    """
    try:
        import pybamm
    except ImportError:
        raise MissingExtraError("pybamm", "cellsim", "The PyBaMM GITT simulation") from None
    D = check_positive("D_cm2_s", D_cm2_s)
    radius_um = check_positive("particle_radius_um", particle_radius_um)
    rate = check_positive("c_rate", c_rate)
    pulse = check_positive("pulse_s", pulse_s)
    rest = check_positive("rest_s", rest_s)
    initial_rest = check_positive("initial_rest_s", initial_rest_s)
    period = check_positive("period_s", period_s)
    _check_pybamm_options(n_pulses, soc_start, model, particle_points)

    parameters, c_max = _ecker2015_parameters(D, radius_um, soc_start)
    amps = rate * float(parameters["Nominal cell capacity [A.h]"])
    columns = _simulate_gitt(
        model, parameters, particle_points, amps=amps, initial_rest_s=initial_rest, pulse_s=pulse, rest_s=rest,
        n_pulses=n_pulses, period_s=period,
    )
    cell = _ecker2015_cell(parameters, model)
    record = Record.from_columns(
        columns,
        cell=cell,
        provenance=Provenance(
            instrument=f"PyBaMM {pybamm.__version__}",
            techniques=("GITT",),
            notes=(f"{model} half-cell, Ecker2015_graphite_halfcell, D = {D:.3g} cm2/s",),
        ),
    )
    truth = {
        "model": model,
        "parameter_set": "Ecker2015_graphite_halfcell",
        "pybamm_version": pybamm.__version__,
        "D_cm2_s": D,
        "particle_diffusivity_m2_s": D * 1e-4,
        "particle_radius_um": radius_um,
        "particle_radius_m": radius_um * 1e-6,
        "volume_to_surface_cm": radius_um * 1e-4 / 3.0,
        "diffusion_time_s": (radius_um * 1e-4) ** 2 / D,
        "c_rate": rate,
        "current_mA": -amps * 1e3,
        "pulse_s": pulse,
        "rest_s": rest,
        "initial_rest_s": initial_rest,
        "n_pulses": n_pulses,
        "soc_start": soc_start,
        "maximum_concentration_mol_m3": c_max,
        "period_s": period,
        "particle_points": particle_points,  # None: PyBaMM's default mesh
    }
    return VirtualExperiment(name=name, kind="gitt", data=record, cell=cell, truth=truth, seed=None)


def _check_pybamm_options(n_pulses: int, soc_start: float, model: str, particle_points: int | None) -> None:
    if isinstance(n_pulses, bool) or not isinstance(n_pulses, int) or n_pulses < 1:
        raise ValidationError("n_pulses", f"must be a positive integer, got {n_pulses!r}")
    if not 0.0 < soc_start < 1.0:
        raise ValidationError("soc_start", f"must lie in (0, 1), got {soc_start!r}")
    if model not in _PYBAMM_MODELS:
        raise ValidationError("model", f"expected 'SPM' or 'DFN', got {model!r}")
    if particle_points is not None and (isinstance(particle_points, bool) or not isinstance(particle_points, int)
                                        or particle_points < 5):
        raise ValidationError("particle_points", f"must be an integer >= 5 or None, got {particle_points!r}")


def _ecker2015_parameters(D_cm2_s: float, radius_um: float, soc_start: float) -> tuple[Any, float]:
    """PyBaMM's ``Ecker2015_graphite_halfcell`` values with the diffusivity, particle radius and initial
    stoichiometry set, and the maximum concentration (mol/m3)."""
    import pybamm

    parameters = pybamm.ParameterValues("Ecker2015_graphite_halfcell")
    c_max = float(parameters["Maximum concentration in positive electrode [mol.m-3]"])
    parameters.update(
        {
            "Positive particle diffusivity [m2.s-1]": D_cm2_s * 1e-4,
            "Positive particle radius [m]": radius_um * 1e-6,
            "Initial concentration in positive electrode [mol.m-3]": soc_start * c_max,
        }
    )
    return parameters, c_max


def _simulate_gitt(
    model: str,
    parameters: Any,
    particle_points: int | None,
    *,
    amps: float,
    initial_rest_s: float,
    pulse_s: float,
    rest_s: float,
    n_pulses: int,
    period_s: float,
) -> dict[str, NDArray[np.float64]]:
    """Run the half-cell ``model`` through the rest and the pulses; the record's time, voltage and current
    columns, current in the house sign."""
    import pybamm

    experiment = pybamm.Experiment(
        [f"Rest for {initial_rest_s} seconds"]
        + [(f"Discharge at {amps} A for {pulse_s} seconds", f"Rest for {rest_s} seconds")] * n_pulses,
        period=f"{period_s} seconds",
    )
    cell_model = getattr(pybamm.lithium_ion, model)({"working electrode": "positive"})
    mesh_points = None if particle_points is None else {**cell_model.default_var_pts, "r_p": particle_points}
    simulation = pybamm.Simulation(cell_model, parameter_values=parameters, experiment=experiment, var_pts=mesh_points)
    solution = simulation.solve()
    time = np.asarray(solution["Time [s]"].entries, dtype=np.float64)
    voltage = np.asarray(solution["Voltage [V]"].entries, dtype=np.float64)
    current_mA = 0.0 - 1e3 * np.asarray(
        solution["Current [A]"].entries, dtype=np.float64
    )  # PyBaMM: discharge > 0
    # PyBaMM's step boundaries can step back by rounding (1e-12 s); time must not run backwards
    return {"time_s": np.maximum.accumulate(time), "voltage_V": voltage, "current_mA": current_mA}


def _ecker2015_cell(parameters: Any, model: str) -> CellInfo:
    """The simulated graphite | Li half-cell, its area, thickness and temperature from ``parameters``."""
    import pybamm

    area_cm2 = float(parameters["Electrode height [m]"]) * float(parameters["Electrode width [m]"]) * 1e4
    return CellInfo(
        cell_type="anode-half",
        working_electrode=Electrode(
            material="graphite (Ecker2015)",
            area_cm2=area_cm2,
            thickness_um=float(parameters["Positive electrode thickness [m]"]) * 1e6,
        ),
        counter_electrode=Electrode(material="Li"),
        temperature_C=float(parameters["Ambient temperature [K]"]) - 273.15,
        notes=f"PyBaMM {pybamm.__version__} {model} half-cell, Ecker2015_graphite_halfcell parameters",
    )
