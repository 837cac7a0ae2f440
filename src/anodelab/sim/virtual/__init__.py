"""Virtual instruments: synthetic experiments with known ground truth, for tests and the demo.

Every generator returns a :class:`VirtualExperiment` (data, cell, truth); :func:`write_experiment`
writes it as a folder a user could have produced (BioLogic ``.mpt`` or CSV, ``cell.toml``,
``truth.json``). :mod:`.cells` holds cells that respond to a voltage as well as a current
(:class:`HostCell`, :class:`MetalCell`), driven by :func:`run_controls`: the protocols' simulator.
"""

from anodelab.sim.virtual.cells import Control, HostCell, MetalCell, run_controls
from anodelab.sim.virtual.cycling import alloy_half_cell, full_cell, rate_test
from anodelab.sim.virtual.experiment import KINDS, VirtualExperiment
from anodelab.sim.virtual.gitt import gitt, gitt_pybamm
from anodelab.sim.virtual.impedance import (
    blocking_cell_spectrum,
    eis_spectrum,
    insitu_eis_series,
    temperature_eis_series,
)
from anodelab.sim.virtual.metal import (
    ccd_staircase,
    first_plating,
    plating_ce,
    symmetric_cycling,
)
from anodelab.sim.virtual.voltammetry import (
    cyclic_voltammogram,
    linear_sweep,
    plating_voltammogram,
    polarization_curve,
)
from anodelab.sim.virtual.writers import write_csv, write_experiment, write_mpt

__all__ = [
    "KINDS",
    "Control",
    "HostCell",
    "MetalCell",
    "VirtualExperiment",
    "alloy_half_cell",
    "blocking_cell_spectrum",
    "ccd_staircase",
    "cyclic_voltammogram",
    "eis_spectrum",
    "first_plating",
    "full_cell",
    "gitt",
    "gitt_pybamm",
    "insitu_eis_series",
    "linear_sweep",
    "plating_ce",
    "plating_voltammogram",
    "polarization_curve",
    "rate_test",
    "run_controls",
    "symmetric_cycling",
    "temperature_eis_series",
    "write_csv",
    "write_experiment",
    "write_mpt",
]
