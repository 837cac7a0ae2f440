"""Radial-basis discretisation of the DRT and its impedance kernels, built once and cached.

The DRT ``gamma(y)`` (ohm per unit ``y = ln tau``) is a sum of Gaussian radial basis functions
``phi_m(y) = exp(-(eps (y - y_m))^2)`` with centres ``y_m`` evenly spaced in ``ln tau``. The shape
factor follows DRTtools' "FWHM coefficient": each RBF's full width at half maximum is the centre
spacing divided by ``shape_factor`` (0.5: two spacings), i.e. ``eps = shape_factor 2 sqrt(ln 2) / dy``.

With ``Z(w) = R_inf + j w L + integral gamma(y) / (1 + j w e^y) dy`` the kernels are
``A_re[n, m] = integral phi_m(y) / (1 + (w_n e^y)^2) dy`` and
``A_im[n, m] = -integral phi_m(y) w_n e^y / (1 + (w_n e^y)^2) dy``, computed by the trapezoid rule on a
fixed grid (4 nodes per RBF width 1/eps, at most 0.1 apart, +-7 widths beyond the outer centres). The
integrands are analytic in a strip around the real axis (the kernel's poles sit at distance pi/2, the
Gaussian is entire), so the rule converges geometrically, its error of order exp(-pi^2 / (eps h)^2) +
exp(-pi^2 / h) for a step h, far below double precision here (checked against adaptive quadrature in the tests and
to 1e-13 against 40 nodes per width). The penalty ``integral (gamma^(k))^2 dy``
(k = 1 or 2) is the quadratic form ``x' P x`` with P in closed form (:func:`penalty_gram`), factorised
``P = R' R``.
Everything is built once per (frequency grid, centre grid, shape, order) and kept in an LRU cache.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_NODES_PER_WIDTH = 4
_MAX_STEP = 0.1  # ln tau: the kernel's poles at distance pi/2 bound the step whatever the RBF width
_TAIL_WIDTHS = 7.0


@dataclass(frozen=True, eq=False)
class Basis:
    """Gaussian RBF basis over ln tau and the kernels on one frequency grid (read-only arrays)."""

    omega_rad_s: NDArray[np.float64]
    centres_ln_tau: NDArray[np.float64]
    epsilon: float
    A_re: NDArray[np.float64]  # (N, M)
    A_im: NDArray[np.float64]  # (N, M)
    penalty_root: NDArray[np.float64]  # (M, M): P = R' R
    areas: NDArray[np.float64]  # integral phi_m dy, (M,)
    derivative_order: int

    def evaluate(self, ln_tau: NDArray[np.float64]) -> NDArray[np.float64]:
        """Matrix ``Phi[k, m] = phi_m(ln_tau[k])``: gamma on a grid is ``Phi @ x``."""
        return np.exp(-((self.epsilon * (ln_tau[:, None] - self.centres_ln_tau[None, :])) ** 2))

    def basin_weights(self, low: float, high: float) -> NDArray[np.float64]:
        """``w[m] = integral_low^high phi_m dy`` (closed form with erf), so R_basin = w @ x."""
        from scipy.special import erf

        scale = math.sqrt(math.pi) / (2.0 * self.epsilon)
        return scale * (
            erf(self.epsilon * (high - self.centres_ln_tau)) - erf(self.epsilon * (low - self.centres_ln_tau))
        )


def centres_for(frequency_Hz: NDArray[np.float64], points_per_decade: float, extend_decades: float) -> NDArray[np.float64]:
    """RBF centres (ln tau) spanning 1/(2 pi f_max) .. 1/(2 pi f_min), extended by ``extend_decades``."""
    low = math.log10(1.0 / (2.0 * math.pi * float(frequency_Hz.max()))) - extend_decades
    high = math.log10(1.0 / (2.0 * math.pi * float(frequency_Hz.min()))) + extend_decades
    count = max(round((high - low) * points_per_decade) + 1, 3)
    return np.linspace(low, high, count) * math.log(10.0)


def basis_for(
    frequency_Hz: NDArray[np.float64], centres_ln_tau: NDArray[np.float64], shape_factor: float, derivative_order: int
) -> Basis:
    """The cached :class:`Basis` for these grids (keys are rounded so equal grids share one entry)."""
    key_f = tuple(np.round(np.asarray(frequency_Hz, dtype=np.float64), 12).tolist())
    key_c = tuple(np.round(np.asarray(centres_ln_tau, dtype=np.float64), 12).tolist())
    return _basis(key_f, key_c, float(shape_factor), int(derivative_order))


def penalty_gram(centres: NDArray[np.float64], epsilon: float, derivative_order: int) -> NDArray[np.float64]:
    """``P[m, l] = integral phi_m^(k) phi_l^(k) dy`` for the Gaussian RBFs, in closed form: with the
    correlation of two of them ``Delta`` apart ``C(Delta) = a exp(-b Delta^2)`` (``a = sqrt(pi / 2) / eps``,
    ``b = eps^2 / 2``), ``P = -C^(2)(Delta)`` for k = 1 and ``C^(4)(Delta)`` for k = 2 (Hermite polynomials)."""
    a, b = math.sqrt(math.pi / 2.0) / epsilon, 0.5 * epsilon**2
    d2 = (centres[:, None] - centres[None, :]) ** 2
    if derivative_order == 1:
        polynomial = 2.0 * b - 4.0 * b**2 * d2
    else:
        polynomial = 16.0 * b**4 * d2**2 - 48.0 * b**3 * d2 + 12.0 * b**2
    return a * polynomial * np.exp(-b * d2)


@functools.lru_cache(maxsize=32)
def _basis(
    frequency_Hz: tuple[float, ...], centres_ln_tau: tuple[float, ...], shape_factor: float, derivative_order: int
) -> Basis:
    omega = 2.0 * np.pi * np.asarray(frequency_Hz)
    centres = np.asarray(centres_ln_tau)
    spacing = float(np.mean(np.diff(centres))) if centres.size > 1 else 1.0
    epsilon = shape_factor * 2.0 * math.sqrt(math.log(2.0)) / spacing
    width = 1.0 / epsilon
    step = min(width / _NODES_PER_WIDTH, _MAX_STEP)
    y = np.arange(centres[0] - _TAIL_WIDTHS * width, centres[-1] + _TAIL_WIDTHS * width + step, step)
    weights = np.full(y.size, step)
    weights[[0, -1]] *= 0.5
    phi = np.exp(-((epsilon * (y[:, None] - centres[None, :])) ** 2))  # (K, M)
    x = omega[:, None] * np.exp(y)[None, :]  # (N, K)
    denominator = 1.0 + x * x
    A_re = (weights / denominator) @ phi
    A_im = -((weights * x / denominator) @ phi)
    gram = penalty_gram(centres, epsilon, derivative_order)
    values, vectors = np.linalg.eigh(gram)
    values = np.clip(values, 0.0, None)
    penalty_root = (vectors * np.sqrt(values)).T  # R with R'R = gram
    areas = np.full(centres.size, math.sqrt(math.pi) / epsilon)
    for array in (omega, centres, A_re, A_im, penalty_root, areas):
        array.flags.writeable = False
    return Basis(omega, centres, epsilon, A_re, A_im, penalty_root, areas, derivative_order)
