"""The regularised least-squares problem of the DRT and its solution (NNLS or unconstrained).

Unknowns ``p = [R_inf, L', C', x_1..x_M]``: the series elements asked for (``series``, a tuple of
"R_inf", "L", "C"; R_inf only when the real part is fitted, ``L' = L w_max / s`` and ``C' = 1 / (w_min C s)``
of a series capacitance only when the imaginary part is), then ``x`` the RBF weights, all for the impedance
normalised by a scale ``s`` (the largest ``|Z|``), so every choice below is independent of the units of
Z and the results are rescaled by ``s`` afterwards. Rows: the real and/or imaginary parts, unweighted.

The minimiser of ``|A p - b|^2 + lambda |R x|^2`` is found from one generalised eigendecomposition
per design matrix, cached: ``A'A v = nu (A'A + R'R) v`` with ``V'(A'A + R'R)V = I`` gives, for every lambda,
``(A'A + lambda R'R)^-1 = V diag(1 / (nu + lambda (1 - nu))) V'``. Lambda searches, hat-matrix traces,
and the Gaussian posterior covariance all reuse it. With ``nonnegative`` the final solve is
``scipy.optimize.nnls`` on the square system with the same normal equations (all unknowns >= 0).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import FitError
from anodelab.drt.kernels import Basis

FITS = ("combined", "real", "imag")


@dataclass(frozen=True, eq=False)
class Problem:
    """Design matrix and the cached decomposition for one (basis, fit, series elements)."""

    basis: Basis
    fit: str
    has_R_inf: bool
    has_L: bool
    has_C: bool
    A: NDArray[np.float64]  # (rows, P)
    V: NDArray[np.float64]  # (P, P)
    nu: NDArray[np.float64]  # (P,)
    U: NDArray[np.float64]  # A V, (rows, P)
    V_inverse: NDArray[np.float64]  # V' (A'A + R'R), (P, P)

    @property
    def n_nuisance(self) -> int:
        return int(self.has_R_inf) + int(self.has_L) + int(self.has_C)

    def rhs(self, Z_normalised: NDArray[np.complex128]) -> NDArray[np.float64]:
        """Right-hand side(s) for normalised impedance of shape (N,) or (N, S)."""
        parts = []
        if self.fit in ("combined", "real"):
            parts.append(Z_normalised.real)
        if self.fit in ("combined", "imag"):
            parts.append(Z_normalised.imag)
        return np.concatenate(parts, axis=0)

    def denominators(self, lambdas: NDArray[np.float64]) -> NDArray[np.float64]:
        """``d[k, i] = nu_i + lambda_k (1 - nu_i)`` (the eigenvalues of A'A + lambda R'R in the V basis)."""
        return self.nu[None, :] + np.asarray(lambdas)[:, None] * (1.0 - self.nu[None, :])

    def unconstrained(self, b: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
        d = self.denominators(np.array([lam]))[0]
        x: NDArray[np.float64] = self.V @ ((self.U.T @ b) / (d if b.ndim == 1 else d[:, None]))
        return x

    def covariance(self, lam: float) -> NDArray[np.float64]:
        """``(A'A + lambda R'R)^-1`` (multiply by the noise variance for the posterior covariance)."""
        d = self.denominators(np.array([lam]))[0]
        covariance: NDArray[np.float64] = (self.V / d) @ self.V.T
        return covariance


SERIES_ELEMENTS = ("R_inf", "L", "C")


def problem_for(basis: Basis, fit: str, series: tuple[str, ...]) -> Problem:
    """The cached :class:`Problem`; ``series``: which of :data:`SERIES_ELEMENTS` are fitted beside the DRT."""
    return _problem(basis, fit, tuple(name for name in SERIES_ELEMENTS if name in series))


@functools.lru_cache(maxsize=64)
def _problem(basis: Basis, fit: str, series: tuple[str, ...]) -> Problem:
    from scipy.linalg import eigh

    n = basis.omega_rad_s.size
    m = basis.centres_ln_tau.size
    has_R_inf = "R_inf" in series and fit in ("combined", "real")
    has_L = "L" in series and fit in ("combined", "imag")
    has_C = "C" in series and fit in ("combined", "imag")
    omega = basis.omega_rad_s
    zero = np.zeros((n, 1))
    blocks = []
    if fit in ("combined", "real"):
        columns = [np.ones((n, 1))] if has_R_inf else []
        columns += [zero] * (int(has_L) + int(has_C))
        blocks.append(np.hstack([*columns, basis.A_re]))
    if fit in ("combined", "imag"):
        columns = [zero] if has_R_inf else []
        if has_L:
            columns.append((omega / omega.max())[:, None])
        if has_C:
            columns.append(-(omega.min() / omega)[:, None])
        blocks.append(np.hstack([*columns, basis.A_im]))
    A = np.vstack(blocks)
    k = int(has_R_inf) + int(has_L) + int(has_C)
    R = np.hstack([np.zeros((m, k)), basis.penalty_root])
    gram = A.T @ A
    total = gram + R.T @ R
    try:
        nu, V = eigh(gram, total)
    except np.linalg.LinAlgError as error:  # total not positive definite: nothing pins some direction
        raise FitError(f"DRT design matrix is singular for fit={fit!r}: {error}") from None
    nu = np.clip(nu, 0.0, 1.0)
    U = A @ V
    V_inverse = V.T @ total
    for array in (A, V, nu, U, V_inverse):
        array.flags.writeable = False
    return Problem(basis, fit, has_R_inf, has_L, has_C, A, V, nu, U, V_inverse)


def solve_nnls(problem: Problem, b: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
    """Non-negative minimiser of ``|A p - b|^2 + lambda |R p|^2``, solved as the square problem
    ``|M p - c|^2`` with ``M = diag(sqrt(d)) V^-1`` (so ``M'M = A'A + lambda R'R``) and ``c = U'b / sqrt(d)``,
    which differs from the original by a constant only."""
    from scipy.optimize import nnls

    root = np.sqrt(problem.denominators(np.array([lam]))[0])
    square = root[:, None] * problem.V_inverse
    rhs = (problem.U.T @ b) / root
    try:
        solution, _ = nnls(square, rhs, maxiter=50 * square.shape[1])
    except RuntimeError as error:
        from anodelab.core.errors import ConvergenceError

        raise ConvergenceError(f"NNLS for the DRT did not converge (lambda={lam:g}): {error}") from None
    return np.asarray(solution)
