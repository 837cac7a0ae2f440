"""Damped Newton with a backtracking line search, and continuation in a load factor, for the
discrete interface problems of :mod:`anodelab.sim.interface.fem`.

A :class:`System` gives the residual ``G(u, lam)`` and its Jacobian at load factor ``lam`` (0: no
current, 1: the full load), the convergence tolerance, and which states are admissible (a salt
concentration must stay positive). :func:`solve` tries Newton at the full load from the start it is
given; where that fails it steps the load factor up from the zero state in geometric steps,
shrinking them where Newton fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import splu

from anodelab.core.errors import ConvergenceError

#: the line search gives up below this step fraction
MIN_STEP = 1e-8


class System(Protocol):
    """A nonlinear system ``G(u, lam) = 0`` in the reduced unknowns ``u``."""

    symmetric: bool

    def residual(self, u: NDArray[np.float64], lam: float) -> NDArray[np.float64]: ...

    def jacobian(self, u: NDArray[np.float64], lam: float) -> sp.csc_matrix: ...

    def tolerance(self, u: NDArray[np.float64], lam: float) -> float: ...

    def admissible(self, u: NDArray[np.float64]) -> bool: ...


def norm(values: NDArray[np.float64]) -> float:
    """The 2-norm, without overflow; inf when a value is not finite."""
    largest = float(np.max(np.abs(values), initial=0.0))
    if not math.isfinite(largest):
        return math.inf
    return largest * float(np.linalg.norm(values / largest)) if largest > 0 else 0.0


def _step(system: System, u: NDArray[np.float64], lam: float, G: NDArray[np.float64]) -> NDArray[np.float64]:
    J = system.jacobian(u, lam)
    if system.symmetric:  # symmetric positive definite: symmetric ordering, no pivoting
        lu = splu(J, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    else:
        lu = splu(J)
    return np.asarray(lu.solve(-G), dtype=np.float64)


def newton(system: System, u: NDArray[np.float64], lam: float,
           max_iterations: int) -> tuple[NDArray[np.float64], int, bool]:
    """Damped Newton at load factor ``lam``: (solution, iterations, converged). The residual is measured
    summed over the unknowns (what current conservation sees)."""
    G = system.residual(u, lam)
    for iteration in range(max_iterations + 1):
        tolerance = system.tolerance(u, lam)
        if np.sum(np.abs(G)) <= tolerance:
            return u, iteration, True
        if iteration == max_iterations:
            break
        step = _step(system, u, lam, G)
        size, t = norm(G), 1.0
        G_trial = G
        while True:
            trial = u + t * step
            if system.admissible(trial):
                G_trial = system.residual(trial, lam)
                if norm(G_trial) <= (1.0 - 1e-4 * t) * size:
                    break
            t *= 0.5
            if t < MIN_STEP:  # stalled: converged only if at round-off near the tolerance
                return u, iteration + 1, bool(np.sum(np.abs(G)) <= 1e3 * tolerance)
        u, G = trial, G_trial
    return u, max_iterations, False


def solve(system: System, start: NDArray[np.float64], *, max_iterations: int, hint: str = "",
          min_factor: float = 1.001,
          describe: Callable[[NDArray[np.float64]], str] | None = None) -> tuple[NDArray[np.float64], int, int]:
    """Newton at the full load from ``start``, else continuation from the zero state:
    (solution, Newton iterations, continuation steps). ConvergenceError (ending with ``hint``, and
    ``describe`` of the last converged state) when the load steps shrink below ``min_factor``."""
    u, iterations, converged = newton(system, start, 1.0, max_iterations)
    if converged:
        return u, iterations, 1
    steps = 1
    u, lam, target, factor = np.zeros_like(start), 0.0, 1e-3, 4.0
    while lam < 1.0:
        trial, its, ok = newton(system, u, target, max_iterations)
        iterations += its
        if ok:
            u, lam, steps = trial, target, steps + 1
            factor = min(factor * factor, 100.0)
        elif lam == 0.0 and target > 1e-12:
            target *= 0.1
            continue
        else:
            factor = math.sqrt(factor)
            if factor < min_factor:
                state = f"; {describe(u)}" if describe is not None and lam > 0 else ""
                raise ConvergenceError(f"Newton did not converge beyond {lam:.3g} of the applied load ({iterations} "
                                       f"iterations){state}{hint}")
        target = min(1.0, lam * factor)
    return u, iterations, steps
