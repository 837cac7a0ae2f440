"""The same task with several models: how far their numbers agree, and which rankings survive that.

:func:`ensemble` runs one task (``neb``, ``binding_energy``, ``run_system``...) once per model and
reports per model every headline metric with their mean, standard deviation and spread (max - min).
:func:`rank` orders candidates by the ensemble mean of one metric; a step between two candidates whose
gap is not larger than the larger of their two spreads is *unresolved*: the models disagree by more
than the difference, so the potentials cannot tell the two apart.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.core.record import Provenance
from anodelab.core.result import plain
from anodelab.sim.atomistic.calculators import get_model
from anodelab.sim.atomistic.ensemble_result import EnsembleResult, RankingResult
from anodelab.sim.atomistic.result import AtomisticResult

if TYPE_CHECKING:
    from anodelab.sim.atomistic.calculators import ModelLike

DEFAULT_MODELS = ("sevennet-0", "chgnet")


def ensemble(task: Callable[..., AtomisticResult], *args: Any, models: Sequence[ModelLike] = DEFAULT_MODELS,
             **options: Any) -> EnsembleResult:
    """``task(*args, calculator=m, **options)`` for each of ``models`` (names, :class:`Model` or ASE
    calculators; at least two), gathered with their spread."""
    chosen = [get_model(model) for model in models]
    names = [model.name for model in chosen]
    if len(chosen) < 2 or len(set(names)) != len(names):
        raise ValidationError("models", f"needs at least two different models, got {names}")
    results = tuple(task(*args, calculator=model, **options) for model in chosen)
    first = results[0]
    warnings = tuple(f"{name}: {warning}" for name, r in zip(names, results, strict=True) for warning in r.warnings)
    task_name = getattr(task, "__name__", type(task).__name__)
    return EnsembleResult(task=task_name, results=results, system=first.system, dft_eV=first.dft_eV,
                          dft_reference=first.dft_reference, warnings=warnings,
                          model={"name": ",".join(names), "version": "; ".join(m.version for m in chosen),
                                 "source": "ensemble"},
                          parameters={"task": task_name, "models": names, **{k: _plain(v) for k, v in options.items()}},
                          provenance=Provenance(reader="anodelab.sim.atomistic", techniques=(task_name,),
                                                instrument="; ".join(f"{m.name} ({m.version})" for m in chosen)))


def rank(candidates: Mapping[str, EnsembleResult], metric: str | None = None) -> RankingResult:
    """Order ``candidates`` (label -> ensemble over the same models) by the mean of ``metric`` (default:
    the headline one), lowest first, each step to the next resolved or not (see the module docstring)."""
    if len(candidates) < 2:
        raise ValidationError("candidates", "a ranking needs at least two candidates")
    ensembles = list(candidates.values())
    name = metric or ensembles[0].primary().name
    models = ensembles[0].model_names
    for label, result in candidates.items():
        if name not in result.values():
            raise ValidationError("metric", f"{label} has no metric {name!r} (it has {', '.join(result.values())})")
        if result.model_names != models:
            raise ValidationError("candidates", f"{label} ran models {result.model_names}, the first {models}")
    order = sorted(candidates, key=lambda label: candidates[label].stats(name)["mean"])
    per_model = [candidates[label].values()[name][0] for label in order]
    agree = tuple(bool(np.all(np.sign(b - a) == np.sign(np.mean(b - a)))) for a, b in itertools.pairwise(per_model))
    return RankingResult(metric=name, unit=candidates[order[0]].values()[name][1], labels=tuple(order),
                         means=tuple(candidates[label].stats(name)["mean"] for label in order),
                         spreads=tuple(candidates[label].stats(name)["spread"] for label in order),
                         models_agree=agree, parameters={"metric": name, "models": list(models)})


def _plain(value: Any) -> Any:
    """An option as JSON-plain, a structure as its formula."""
    return value.get_chemical_formula() if hasattr(value, "get_chemical_formula") else plain(value)
