"""Relaxation of a structure (positions, optionally the cell) with a model of the calculator slot.

The structure given is never changed: a copy is relaxed. Positions relax by ``optimizer`` (ASE's
BFGS by default, FIRE, LBFGS or MDMin) until the largest per-atom force is below ``fmax`` (eV/Å);
with ``cell=True`` the cell relaxes with them through ASE's ``FrechetCellFilter`` (its stress
components count towards ``fmax``). Constraints of the structure (``FixAtoms``...) hold throughout.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.core.record import Provenance
from anodelab.core.result import plain
from anodelab.sim.atomistic.calculators import DEFAULT_MODEL, Model, get_model
from anodelab.sim.atomistic.result import AtomisticResult, RelaxResult, Structure

if TYPE_CHECKING:
    from ase import Atoms
    from ase.optimize.optimize import Optimizer

    from anodelab.sim.atomistic.calculators import ModelLike

OptimizerName = Literal["bfgs", "fire", "lbfgs", "mdmin"]
OPTIMIZERS = ("bfgs", "fire", "lbfgs", "mdmin")
DEFAULT_STEPS = 500


def relax(atoms: Atoms, calculator: ModelLike = DEFAULT_MODEL, *, fmax: float = 0.05, steps: int = DEFAULT_STEPS,
          cell: bool = False, optimizer: OptimizerName = "bfgs") -> RelaxResult:
    """Relax a copy of ``atoms`` with ``calculator`` (a name of :func:`~anodelab.sim.atomistic.calculators.get_model`,
    a :class:`Model` or an ASE calculator): energy, largest force, convergence, steps, relaxed structure."""
    chosen = get_model(calculator)
    _, result = relaxed(atoms, chosen, fmax=fmax, steps=steps, cell=cell, optimizer=optimizer)
    stamped: RelaxResult = stamp(result, chosen, "relax", {"fmax_eV_A": fmax, "steps": steps, "cell": cell,
                                                           "optimizer": optimizer})
    return stamped


def relaxed(atoms: Atoms, model: Model, *, fmax: float, steps: int, cell: bool = False,
            optimizer: OptimizerName = "bfgs") -> tuple[Atoms, RelaxResult]:
    """The relaxed copy of ``atoms`` (its calculator and constraints set) and the result of relaxing it."""
    _check(fmax, steps)
    work = model.attach(atoms.copy())
    initial_energy = float(work.get_potential_energy())
    if steps == 0 or len(work) == 0:
        converged, taken = max_force_eV_A(work) < fmax, 0
    else:
        target: Any = work
        if cell:
            from ase.filters import FrechetCellFilter

            target = FrechetCellFilter(work)
        dynamics = make_optimizer(optimizer, target)
        converged = bool(dynamics.run(fmax=fmax, steps=steps))
        taken = int(dynamics.nsteps)
    result = RelaxResult(
        energy_eV=float(work.get_potential_energy()), initial_energy_eV=initial_energy,
        max_force_eV_A=max_force_eV_A(work), converged=converged, steps=taken, fmax_eV_A=fmax,
        cell_relaxed=cell, structure=Structure.from_atoms(work), model=model.to_dict())
    return work, result


def energy_of(atoms: Atoms, model: Model) -> float:
    """The potential energy of a copy of ``atoms`` as it is (no relaxation)."""
    return float(model.attach(atoms.copy()).get_potential_energy())


def max_force_eV_A(atoms: Atoms) -> float:
    """Largest per-atom force norm (constraints applied: fixed atoms count zero); 0 without atoms."""
    forces = np.asarray(atoms.get_forces(), dtype=np.float64)
    return float(np.sqrt((forces**2).sum(axis=1)).max()) if len(forces) else 0.0


def make_optimizer(name: str, target: Any) -> Optimizer:
    """An ASE optimizer of ``name`` (see :data:`OPTIMIZERS`) on ``target``, writing no log."""
    from ase.optimize import BFGS, FIRE, LBFGS, MDMin

    classes = {"bfgs": BFGS, "fire": FIRE, "lbfgs": LBFGS, "mdmin": MDMin}
    if name not in classes:
        raise ValidationError("optimizer", f"expected one of {', '.join(OPTIMIZERS)}, got {name!r}")
    dynamics: Optimizer = classes[name](target, logfile=None)
    return dynamics


def stamp(result: AtomisticResult, model: Model, technique: str, options: Mapping[str, Any]) -> Any:
    """``result`` with its options and model as ``parameters`` and the model as provenance."""
    import importlib.metadata

    parameters = {**plain(dict(options)), "model": model.name, "model_version": model.version}
    provenance = Provenance(reader="anodelab.sim.atomistic", reader_version=f"ase {importlib.metadata.version('ase')}",
                            instrument=f"{model.name} ({model.version})", techniques=(technique,),
                            notes=(f"model source: {model.source}",))
    return dataclasses.replace(result, parameters=parameters, provenance=provenance, model=model.to_dict())


def _check(fmax: float, steps: int) -> None:
    if not (isinstance(fmax, (int, float)) and fmax > 0):
        raise ValidationError("fmax", f"must be a force > 0 eV/A, got {fmax!r}")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValidationError("steps", f"must be an integer >= 0, got {steps!r}")
