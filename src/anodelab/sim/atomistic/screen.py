"""A barrier screen: one NEB per candidate hop, ranked by barrier, with each one's convergence.

A hop whose band did not converge keeps its place by its (unconverged) barrier, flagged: its number
is an estimate, not a saddle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic.calculators import DEFAULT_MODEL, get_model
from anodelab.sim.atomistic.neb import neb
from anodelab.sim.atomistic.relax import stamp
from anodelab.sim.atomistic.result import ScreenResult

if TYPE_CHECKING:
    from ase import Atoms

    from anodelab.sim.atomistic.calculators import ModelLike


def barrier_screen(candidates: Sequence[tuple[str, Atoms, Atoms]], calculator: ModelLike = DEFAULT_MODEL,
                   **options: Any) -> ScreenResult:
    """Run :func:`~anodelab.sim.atomistic.neb.neb` (``options`` passed on) for each ``(label, initial,
    final)`` and rank the hops by forward barrier."""
    if not candidates:
        raise ValidationError("candidates", "needs at least one (label, initial, final) hop")
    labels = [str(candidate[0]) for candidate in candidates]
    if len(set(labels)) != len(labels):
        raise ValidationError("candidates", f"labels must be unique, got {labels}")
    chosen = get_model(calculator)
    results = [neb(initial, final, chosen, **options) for _, initial, final in candidates]
    order = sorted(range(len(results)), key=lambda i: results[i].barrier_eV)
    result = ScreenResult(labels=tuple(labels[i] for i in order), hops=tuple(results[i] for i in order),
                          warnings=tuple(f"{labels[i]}: the band did not converge" for i in order
                                         if not results[i].converged))
    stamped: ScreenResult = stamp(result, chosen, "barrier_screen", options)
    return stamped
