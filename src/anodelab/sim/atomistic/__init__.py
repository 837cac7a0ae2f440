"""Atomistic screening with offline potentials: relaxations, (climbing-image) NEB barriers, binding,
surface and interface energies, barrier screens, and ensembles over several models with their spread.

Built on ASE ``Atoms``: every task takes structures and a ``calculator`` (a name of
:func:`~anodelab.sim.atomistic.calculators.get_model`: ``sevennet-0`` by default, other SevenNet
models, CHGNet, ``emt``; or any ASE calculator) and returns a result that names the model and its
version. ML models never touch the network: their weights are read from their wheels.

Needs the ``atomistic`` extra (``pip install torch==2.13.0 && pip install 'anodelab[atomistic]'``;
``emt`` needs ASE only). Nothing heavy is imported with this package: ASE when a task runs, torch
and the model packages when such a model is asked for.
"""

from anodelab.sim.atomistic.calculators import (
    DEFAULT_MODEL,
    Model,
    available_models,
    get_model,
)
from anodelab.sim.atomistic.energies import (
    binding_energy,
    interface_energy,
    surface_energy,
)
from anodelab.sim.atomistic.ensemble import ensemble, rank
from anodelab.sim.atomistic.ensemble_result import EnsembleResult, RankingResult
from anodelab.sim.atomistic.neb import neb
from anodelab.sim.atomistic.relax import relax
from anodelab.sim.atomistic.result import (
    BindingResult,
    InterfaceEnergyResult,
    NEBResult,
    RelaxResult,
    ScreenResult,
    Structure,
    SurfaceEnergyResult,
)
from anodelab.sim.atomistic.run import get_system, run_system, run_system_ensemble
from anodelab.sim.atomistic.screen import barrier_screen

__all__ = [
    "DEFAULT_MODEL",
    "BindingResult",
    "EnsembleResult",
    "InterfaceEnergyResult",
    "Model",
    "NEBResult",
    "RankingResult",
    "RelaxResult",
    "ScreenResult",
    "Structure",
    "SurfaceEnergyResult",
    "available_models",
    "barrier_screen",
    "binding_energy",
    "ensemble",
    "get_model",
    "get_system",
    "interface_energy",
    "neb",
    "rank",
    "relax",
    "run_system",
    "run_system_ensemble",
    "surface_energy",
]
