"""A named system (:data:`anodelab.sim.atomistic.systems.SYSTEMS`) run as its task.

Each system says its task and builds its structures: ``neb`` (``initial``, ``final``), ``bind``
(``surface``, ``adsorbed``, optionally ``bulk``: the adsorbate's metal), ``surface`` (``bulk``,
``slab``) or ``interface`` (``a``, ``b``, ``ab``). A system with ``from_host`` builds a ``host``
instead (a grain boundary as cut from two crystals), which is relaxed first (positions, with the
task's model, ``fmax`` and ``steps``), and makes the task's structures from the relaxed host: a
defect hop in an unrelaxed boundary would otherwise relax each endpoint into its own reconstruction
and the band would join two different boundaries. The result names the system and carries its
literature DFT value, so ``delta_vs_dft`` says how far the model is from it; the host's relaxation
is in its ``parameters`` (``host_relax``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic.calculators import DEFAULT_MODEL, get_model
from anodelab.sim.atomistic.energies import (
    binding_energy,
    interface_energy,
    surface_energy,
)
from anodelab.sim.atomistic.ensemble import DEFAULT_MODELS, ensemble
from anodelab.sim.atomistic.neb import neb
from anodelab.sim.atomistic.relax import DEFAULT_STEPS, relaxed

if TYPE_CHECKING:
    from ase import Atoms

    from anodelab.sim.atomistic.calculators import ModelLike
    from anodelab.sim.atomistic.ensemble_result import EnsembleResult
    from anodelab.sim.atomistic.result import AtomisticResult, RelaxResult

#: the structures each task needs (``bulk`` of a binding task is optional)
NEEDS = {"neb": ("initial", "final"), "bind": ("surface", "adsorbed"), "surface": ("bulk", "slab"),
         "interface": ("a", "b", "ab")}


class SystemLike(Protocol):
    """What :func:`run_system` reads of a named system (``systems.NamedSystem``)."""

    @property
    def name(self) -> str: ...
    @property
    def task(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def structures(self) -> Callable[[], Mapping[str, Atoms]]: ...
    @property
    def adsorbate(self) -> str | None: ...
    @property
    def dft_eV(self) -> float | None: ...
    @property
    def dft_reference(self) -> str | None: ...
    @property
    def strain(self) -> float | None: ...
    @property
    def from_host(self) -> Callable[[Atoms], Mapping[str, Atoms]] | None: ...


def named_systems() -> Mapping[str, SystemLike]:
    """The named systems (``anodelab.sim.atomistic.systems.SYSTEMS``)."""
    from anodelab.sim.atomistic.systems import SYSTEMS

    return SYSTEMS


def get_system(system: SystemLike | str) -> SystemLike:
    """``system`` itself, or the named system of that name."""
    if not isinstance(system, str):
        return system
    systems = named_systems()
    if system not in systems:
        raise ValidationError("system", f"unknown system {system!r}; expected one of {', '.join(sorted(systems))}")
    return systems[system]


def run_system(system: SystemLike | str, calculator: ModelLike = DEFAULT_MODEL, **options: Any) -> AtomisticResult:
    """Run ``system``'s task with ``calculator`` (``options`` go to :func:`neb`, :func:`binding_energy`,
    :func:`surface_energy` or :func:`interface_energy`)."""
    chosen = get_system(system)
    if chosen.task not in NEEDS:
        raise ValidationError("system", f"{chosen.name}: unknown task {chosen.task!r} (expected {', '.join(NEEDS)})")
    model = get_model(calculator)
    structures = chosen.structures()
    host_relax: RelaxResult | None = None
    if chosen.from_host is not None:
        host, host_relax = relaxed(structures["host"], model, fmax=options.get("fmax", 0.05),
                                   steps=options.get("steps", DEFAULT_STEPS))
        structures = chosen.from_host(host)
    missing = [key for key in NEEDS[chosen.task] if key not in structures]
    if missing:
        raise ValidationError("system", f"{chosen.name}: its structures lack {', '.join(missing)}")
    result: AtomisticResult
    if chosen.task == "neb":
        result = neb(structures["initial"], structures["final"], model, **options)
    elif chosen.task == "bind":
        if not chosen.adsorbate:
            raise ValidationError("system", f"{chosen.name}: a binding system names its adsorbate")
        result = binding_energy(structures["surface"], structures["adsorbed"], chosen.adsorbate, model,
                                bulk=structures.get("bulk"), **options)
    elif chosen.task == "surface":
        result = surface_energy(structures["bulk"], structures["slab"], model, **options)
    else:
        result = interface_energy(structures["a"], structures["b"], structures["ab"], model, strain=chosen.strain,
                                  **options)
    parameters = {"system": chosen.name, **result.parameters}
    warnings = result.warnings
    if host_relax is not None:
        parameters["host_relax"] = host_relax.summary()
        if not host_relax.converged:
            warnings = (f"the host was not relaxed to fmax within {host_relax.steps} steps", *warnings)
    return dataclasses.replace(result, system=chosen.name, dft_eV=chosen.dft_eV, dft_reference=chosen.dft_reference,
                               parameters=parameters, warnings=warnings)


def run_system_ensemble(system: SystemLike | str, models: Sequence[ModelLike] = DEFAULT_MODELS,
                        **options: Any) -> EnsembleResult:
    """:func:`run_system` with each of ``models``, gathered with their spread."""
    chosen = get_system(system)
    result = ensemble(run_system, chosen, models=models, **options)
    return dataclasses.replace(result, task=f"{chosen.task} {chosen.name}",
                               parameters={**result.parameters, "task": chosen.task, "system": chosen.name})
