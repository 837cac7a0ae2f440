"""A schedule run on a virtual cell (:mod:`anodelab.sim.virtual.cells`): the trace a user would see.

Each primitive step becomes one instrument step (a CCCV two, a loop or pulse train one per step of each
repeat). The cells respond to what the instrument controls: a :class:`~anodelab.sim.virtual.cells.HostCell`
(a diffusing host film, so a voltage hold draws a decaying current and a GITT pulse the diffusion
transient) and a :class:`~anodelab.sim.virtual.cells.MetalCell` (symmetric or plating, ohmic, with a
metal inventory and a short at a critical current density). Without a ``cell``, :func:`default_cell`
chooses one for the schedule. :func:`simulate_pybamm` runs the schedule's PyBaMM strings
(:func:`~anodelab.protocols.export.to_pybamm`) through a PyBaMM half-cell model instead.
"""

from __future__ import annotations

import math

import numpy as np

from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.errors import MissingExtraError, ValidationError
from anodelab.core.record import Provenance, Record
from anodelab.protocols.export import to_pybamm
from anodelab.protocols.schedule import CC, CV, Other, Rest, Schedule
from anodelab.sim.virtual.cells import (
    Control,
    HostCell,
    MetalCell,
    VirtualCell,
    run_controls,
)

#: the open-circuit voltage of a pristine Si electrode vs Li (V) the formation and rate tests start from
PRISTINE_V = 2.9


def default_cell(schedule: Schedule) -> VirtualCell:
    """The virtual cell a schedule runs on unless told: GITT on a 0.5 um Si film (D = 1e-12 cm2/s) at 30 %
    lithiation; other half-cell schedules on that film, pristine at 2.9 V; a symmetric Li cell (20 ohm cm2,
    no short) or Li plated on Cu (CE 0.99) with the schedule's area."""
    area = 0.785 if schedule.area_cm2 is None else schedule.area_cm2
    if schedule.cell_type == "symmetric":
        return MetalCell(area_cm2=area)
    if schedule.cell_type == "plating":
        return MetalCell(substrate="Cu", electrolyte="1 M LiPF6 in EC/DEC", area_cm2=area)
    film_area = 1.13 if schedule.area_cm2 is None else schedule.area_cm2
    if schedule.name == "gitt":
        return HostCell(soc_start=0.3, area_cm2=film_area)
    return HostCell.at_voltage(PRISTINE_V, area_cm2=film_area)


def controls(schedule: Schedule) -> tuple[Control, ...]:
    """The schedule's primitive steps as the instrument's controls, in the order they run."""
    out = []
    for expanded in schedule.expanded():
        step = expanded.step
        if isinstance(step, CC):
            out.append(Control("CC", expanded.sample_s, current_mA=step.current_mA, duration_s=step.duration_s,
                               capacity_mAh=step.capacity_mAh, cutoff_V=step.cutoff_V))
        elif isinstance(step, CV):
            out.append(Control("CV", expanded.sample_s, voltage_V=step.voltage_V, duration_s=step.duration_s,
                               capacity_mAh=step.capacity_mAh, cutoff_current_mA=step.cutoff_current_mA))
        elif isinstance(step, Rest):
            out.append(Control("rest", expanded.sample_s, duration_s=step.duration_s))
        elif isinstance(step, Other):
            raise ValidationError(f"step {expanded.label}", f"a recovered {step.mode!r} step cannot be simulated")
    return tuple(out)


def simulate(schedule: Schedule, cell: VirtualCell | None = None, *, noise_V: float = 0.0, seed: int = 0) -> Record:
    """Run ``schedule`` on ``cell`` (default: :func:`default_cell`) from t = 0: the Record, one instrument step
    per primitive step, with Gaussian voltage noise ``noise_V`` (V). A schedule written for an area
    (``area_cm2``) refuses a cell of another area: its currents would be other current densities."""
    if not isinstance(schedule, Schedule):
        raise ValidationError("schedule", f"expected a Schedule, got {type(schedule).__name__}")
    cell = default_cell(schedule) if cell is None else cell
    cell_area = getattr(cell, "area_cm2", None)
    if schedule.area_cm2 is not None and cell_area is not None and not math.isclose(cell_area, schedule.area_cm2,
                                                                                     rel_tol=1e-9):
        raise ValidationError("cell.area_cm2", f"the schedule is written for {schedule.area_cm2:g} cm2, the cell has "
                                               f"{cell_area:g} cm2")
    technique = "MB" if any(isinstance(e.step, CV) for e in schedule.expanded()) else "GCPL"
    record, _ = run_controls(cell, controls(schedule), noise_V=noise_V, seed=seed, technique=technique)
    return record


def simulate_pybamm(schedule: Schedule, *, parameter_set: str = "Ecker2015_graphite_halfcell", model: str = "SPM",
                    soc_start: float = 0.3) -> Record:
    """Run ``pybamm.Experiment(to_pybamm(schedule))`` on PyBaMM's half-cell ``model`` (SPM or DFN, the
    working electrode in PyBaMM's positive slot) with ``parameter_set``, its working electrode starting at
    the stoichiometry ``soc_start``: the Record in the house sign (lithiation negative), one step per
    PyBaMM step. Needs the ``cellsim`` extra. PyBaMM's cell has its own size (Ecker2015: 85.85 cm2, 156 mAh),
    so the schedule's currents should suit it."""
    try:
        import pybamm
    except ImportError:
        raise MissingExtraError("pybamm", "cellsim", "Simulating a schedule with PyBaMM") from None
    models = {"SPM": pybamm.lithium_ion.SPM, "DFN": pybamm.lithium_ion.DFN}
    if model not in models:
        raise ValidationError("model", f"expected 'SPM' or 'DFN', got {model!r}")
    if not 0.0 < soc_start < 1.0:
        raise ValidationError("soc_start", f"must lie in (0, 1), got {soc_start!r}")
    parameters = pybamm.ParameterValues(parameter_set)
    c_max = float(parameters["Maximum concentration in positive electrode [mol.m-3]"])
    parameters.update({"Initial concentration in positive electrode [mol.m-3]": soc_start * c_max})
    area_cm2 = float(parameters["Electrode height [m]"]) * float(parameters["Electrode width [m]"]) * 1e4
    if schedule.area_cm2 is not None and not math.isclose(schedule.area_cm2, area_cm2, rel_tol=1e-6):
        raise ValidationError("schedule.area_cm2", f"the schedule is written for {schedule.area_cm2:g} cm2, PyBaMM's "
                                                   f"{parameter_set} cell has {area_cm2:g} cm2")
    experiment = pybamm.Experiment(to_pybamm(schedule), period=f"{schedule.sample_s} seconds")
    simulation = pybamm.Simulation(models[model]({"working electrode": "positive"}), parameter_values=parameters,
                                   experiment=experiment)
    solution = simulation.solve()
    parts = [step for cycle in solution.cycles for step in cycle.steps]
    columns = {name: np.concatenate([np.asarray(step[key].entries, dtype=np.float64) for step in parts])
               for name, key in (("time_s", "Time [s]"), ("voltage_V", "Voltage [V]"), ("current_mA", "Current [A]"))}
    columns["time_s"] = np.maximum.accumulate(columns["time_s"])  # PyBaMM's step boundaries may step back by 1e-14 s
    columns["current_mA"] = -1e3 * columns["current_mA"]  # PyBaMM: discharge > 0
    columns["step"] = np.repeat(np.arange(1, len(parts) + 1), [np.asarray(p["Time [s]"].entries).size for p in parts])
    cell = CellInfo("anode-half", working_electrode=Electrode(
        material=f"PyBaMM {parameter_set}", area_cm2=area_cm2,
        thickness_um=float(parameters["Positive electrode thickness [m]"]) * 1e6),
        counter_electrode=Electrode(material="Li"), notes=f"PyBaMM {pybamm.__version__} {model} half-cell")
    return Record.from_columns(columns, cell=cell, provenance=Provenance(
        instrument=f"PyBaMM {pybamm.__version__}", techniques=("MB",),
        notes=(f"{model} half-cell, {parameter_set}, schedule {schedule.name}",)))
