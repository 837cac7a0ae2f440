"""Choosing the regularisation parameter lambda, vectorised over a log grid and over spectra.

Every criterion is evaluated on the *unconstrained* Tikhonov problem (closed form from the cached
generalised eigendecomposition, see :mod:`anodelab.drt.solve`) for the impedance normalised by its largest
``|Z|``, at every lambda of a log grid (default 1e-7..1, 20 per decade: the interval DRTtools searches) and
for all spectra at once; the chosen value is the grid point that minimises (or, for the L-curve, maximises
the curvature of) the criterion, refined by a parabola through it and its two neighbours in log lambda. A
choice on the edge of the grid is reported (``at_edge``), never returned silently.

- ``gcv``: ``n |(I - H) b|^2 / tr(I - H)^2`` (Golub, Heath & Wahba 1979).
- ``mgcv``: the same with ``tr(I - rho H)``, rho = 2 for >= 50 rows (two per frequency when both parts are
  fitted) and 1.3 otherwise, as in
  DRTtools (Kim & Gu 2004; Maradesa et al. 2023).
- ``lcurve``: maximum curvature of ``(log |residual|, log |R x|)`` (Hansen).
- ``rescv``: real-imaginary cross-validation (Saccoccio et al. 2014): fit the real part, predict the
  imaginary part and vice versa; the nuisance parameters the other part cannot see (L and series C;
  R_inf) are re-fitted by least squares to the residual it predicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.drt.kernels import Basis
from anodelab.drt.solve import Problem, problem_for

CRITERIA = ("gcv", "mgcv", "lcurve", "rescv", "evidence")
DEFAULT_GRID = np.logspace(-7.0, 0.0, 141)


@dataclass(frozen=True)
class LambdaChoice:
    lambdas: NDArray[np.float64]  # (S,)
    at_edge: NDArray[np.bool_]  # (S,)
    grid: NDArray[np.float64]  # (K,)
    scores: NDArray[np.float64]  # (K, S): the criterion (lower is better; lcurve: minus curvature)


def _residual_and_trace(
    problem: Problem, b: NDArray[np.float64], grid: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``|(I - H) b|^2`` (K, S), ``tr H`` (K,), ``|R x|^2`` (K, S) for every lambda of the grid.

    With ``c = U'b`` and ``y = c / d`` the coefficients in the V basis (``U'U = diag(nu)``):
    ``|b - U y|^2 = |b|^2 - 2 c'y + nu'y^2`` and ``|R x|^2 = (1 - nu)'y^2``, so no fitted vector is formed."""
    d = problem.denominators(grid)  # (K, P)
    c = problem.U.T @ b  # (P, S)
    inverse = 1.0 / d
    c2 = c * c
    residual = np.sum(b * b, axis=0)[None, :] - 2.0 * (inverse @ c2) + (problem.nu * inverse**2) @ c2
    penalty = ((1.0 - problem.nu) * inverse**2) @ c2
    trace = np.sum(problem.nu[None, :] * inverse, axis=1)
    return np.maximum(residual, 0.0), trace, penalty


def _scores(
    problem: Problem,
    basis: Basis,
    series: tuple[str, ...],
    Zn: NDArray[np.complex128],
    criterion: str,
    grid: NDArray[np.float64],
) -> NDArray[np.float64]:
    b = problem.rhs(Zn)
    rows = b.shape[0]
    if criterion in ("gcv", "mgcv"):
        residual, trace, _ = _residual_and_trace(problem, b, grid)
        rho = 1.0 if criterion == "gcv" else (2.0 if rows >= 50 else 1.3)
        denominator = rows - rho * trace
        if criterion == "mgcv" and not np.any(denominator > 0):
            denominator = rows - trace  # too few rows for rho's stabilisation anywhere on the grid: plain GCV
        # where tr(rho H) reaches the number of rows the score is meaningless (its square would turn it
        # positive again as lambda -> 0 and pick the bottom of the grid): excluded
        valid = denominator > 0
        return np.where(valid[:, None], rows * residual / np.where(valid, denominator, 1.0)[:, None] ** 2, np.inf)
    if criterion == "evidence":  # -2 log marginal likelihood, noise variance profiled out (up to a constant)
        residual, _, penalty = _residual_and_trace(problem, b, grid)
        penalised = (1.0 - problem.nu) > 1e-10
        free = rows - int(np.sum(~penalised))
        log_det = np.sum(np.log(problem.denominators(grid)), axis=1) - np.sum(penalised) * np.log(grid)
        evidence: NDArray[np.float64] = free * np.log(np.maximum(residual + grid[:, None] * penalty, 1e-300)) + log_det[:, None]
        return evidence
    if criterion == "lcurve":
        residual, _, penalty = _residual_and_trace(problem, b, grid)
        x = 0.5 * np.log(np.maximum(residual, 1e-300))
        y = 0.5 * np.log(np.maximum(penalty, 1e-300))
        t = np.log(grid)[:, None]
        dx, dy = np.gradient(x, t[:, 0], axis=0), np.gradient(y, t[:, 0], axis=0)
        ddx, ddy = np.gradient(dx, t[:, 0], axis=0), np.gradient(dy, t[:, 0], axis=0)
        curvature: NDArray[np.float64] = (dx * ddy - ddx * dy) / np.maximum((dx**2 + dy**2) ** 1.5, 1e-300)
        return -curvature
    # rescv
    real = problem_for(basis, "real", series)
    imag = problem_for(basis, "imag", series)
    b_re, b_im = Zn.real, Zn.imag
    hidden = imag.A[:, : imag.n_nuisance]  # the L and C columns of the imaginary part
    project = hidden @ np.linalg.pinv(hidden) if hidden.shape[1] else None
    d_re, d_im = real.denominators(grid), imag.denominators(grid)
    c_re, c_im = real.U.T @ b_re, imag.U.T @ b_im
    scores = np.empty((grid.size, Zn.shape[1]))
    for k in range(grid.size):
        p_re = real.V @ (c_re / d_re[k][:, None])  # [R_inf, x]
        p_im = imag.V @ (c_im / d_im[k][:, None])  # [L', x] or [x]
        x_re = p_re[real.n_nuisance :]
        x_im = p_im[imag.n_nuisance :]
        err_im = b_im - basis.A_im @ x_re
        if project is not None:  # least-squares L', C' for the imaginary part the real fit cannot see
            err_im = err_im - project @ err_im
        err_re = b_re - basis.A_re @ x_im
        if real.has_R_inf:  # least-squares R_inf for the real part the imaginary fit cannot see
            err_re = err_re - err_re.mean(axis=0)
        scores[k] = np.sum(err_im**2, axis=0) + np.sum(err_re**2, axis=0)
    return scores


def choose_lambda(
    basis: Basis,
    fit: str,
    series: tuple[str, ...],
    Z_normalised: NDArray[np.complex128],
    criterion: str,
    grid: NDArray[np.float64] | None = None,
) -> LambdaChoice:
    """Lambda for each column of ``Z_normalised`` (N, S) by ``criterion`` over ``grid``."""
    grid = DEFAULT_GRID if grid is None else np.asarray(grid, dtype=np.float64)
    problem = problem_for(basis, fit, series)
    scores = _scores(problem, basis, series, Z_normalised, criterion, grid)
    scores = np.where(np.isfinite(scores), scores, np.inf)
    best = np.argmin(scores, axis=0)
    log_grid = np.log10(grid)
    chosen = log_grid[best].copy()
    at_edge = (best == 0) | (best == grid.size - 1)
    for s in np.flatnonzero(~at_edge):
        k = best[s]
        y0, y1, y2 = scores[k - 1, s], scores[k, s], scores[k + 1, s]
        curvature = y0 - 2.0 * y1 + y2
        if np.isfinite(curvature) and curvature > 0:
            step = log_grid[k + 1] - log_grid[k]
            chosen[s] = log_grid[k] + 0.5 * step * (y0 - y2) / curvature
    return LambdaChoice(10.0**chosen, at_edge, grid, scores)
