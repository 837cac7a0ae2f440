"""The Butler-Volmer current with limiting currents, its overpotential under an IR drop, its derivatives.

In the fit's variables: ``af = alpha_a F / (R T)``, ``cf = alpha_c F / (R T)`` (per electrode in
series), ``ga = 1 / i_lim,a`` and ``gc = 1 / i_lim,c`` (0: no limit)::

    i = i0 (A - C) / (1 + i0 A ga + i0 C gc),      A = e^{af eta},  C = e^{-cf eta}
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from anodelab.models.kinetics import thermal_voltage_V

FloatArray = NDArray[np.float64]


def limited_butler_volmer(eta_V: FloatArray, *, i0: float, alpha_a: float, alpha_c: float, T_K: float,
                          i_lim_anodic: float | None = None, i_lim_cathodic: float | None = None) -> FloatArray:
    """Butler-Volmer kinetics in series with mass transport to a limiting current per branch (same unit
    as ``i0``; None: no limit): ``i0 (A - C) / (1 + i0 A / i_lim,a + i0 C / i_lim,c)`` with
    ``A = exp(alpha_a f eta)``, ``C = exp(-alpha_c f eta)``."""
    f = 1.0 / thermal_voltage_V(T_K)
    return limited_current(np.asarray(eta_V, dtype=float), i0, alpha_a * f, alpha_c * f,
                    0.0 if i_lim_anodic is None else 1.0 / i_lim_anodic,
                    0.0 if i_lim_cathodic is None else 1.0 / i_lim_cathodic)


def limited_current(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float) -> FloatArray:
    """The current at overpotential ``eta`` (module docstring), exponents clipped at 200."""
    forward = np.exp(np.clip(af * eta, -200.0, 200.0))
    back = np.exp(np.clip(-cf * eta, -200.0, 200.0))
    result: FloatArray = i0 * (forward - back) / (1.0 + i0 * forward * ga + i0 * back * gc)
    return result


def ir_overpotential(drop_V: FloatArray, R: float, i0: float, af: float, cf: float, ga: float, gc: float
                   ) -> FloatArray:
    """The overpotential at which ``eta + R i(eta) = drop_V`` (``R`` in V per unit of current): Newton
    steps kept inside the bracket [0, drop] (i(eta) increases strictly), bisection where they leave it
    or stop halving the excess; converged points are left alone."""
    if R <= 0:
        return drop_V
    low, high = np.minimum(drop_V, 0.0), np.maximum(drop_V, 0.0)
    eta = drop_V / (1.0 + R * i0 * (af + cf))
    previous = np.full(drop_V.shape, np.inf)
    for _ in range(100):
        current, slope = _current_and_slope(eta, i0, af, cf, ga, gc)
        excess = eta + R * current - drop_V
        converged = np.abs(excess) <= 1e-12 * (1.0 + np.abs(drop_V))
        if converged.all():
            break
        high = np.where(excess > 0, eta, high)
        low = np.where(excess < 0, eta, low)
        step = eta - excess / (1.0 + R * slope)
        # Newton where it stays in the bracket and at least halves the excess, else bisection (Newton
        # alone can swing between the bracket's ends where a limiting current bends i(eta));
        # a converged point stays
        newton = (step >= low) & (step <= high) & (np.abs(excess) <= 0.5 * previous)
        eta = np.where(converged, eta, np.where(newton, step, 0.5 * (low + high)))
        previous = np.abs(excess)
    return eta


def _terms(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float
           ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(forward, back, denominator, current, d current / d eta) of :func:`limited_current`."""
    forward = np.exp(np.clip(af * eta, -200.0, 200.0))
    back = np.exp(np.clip(-cf * eta, -200.0, 200.0))
    denominator = 1.0 + i0 * forward * ga + i0 * back * gc
    net = forward - back
    current = i0 * net / denominator
    slope = i0 * ((af * forward + cf * back) * denominator - net * i0 * (af * forward * ga - cf * back * gc)
                  ) / (denominator * denominator)
    return forward, back, denominator, current, slope


def _current_and_slope(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float
                       ) -> tuple[FloatArray, FloatArray]:
    return _terms(eta, i0, af, cf, ga, gc)[3:]


def current_partials(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float
                      ) -> tuple[FloatArray, ...]:
    """:func:`limited_current` and its derivatives by eta, ln i0, af, cf, ga and gc."""
    forward, back, denominator, current, slope = _terms(eta, i0, af, cf, ga, gc)
    net_square = i0 * (forward - back) * i0 / denominator
    return (current, slope, current / denominator, i0 * eta * forward * (1.0 - net_square * ga / i0) / denominator,
            i0 * eta * back * (1.0 + net_square * gc / i0) / denominator, -current * i0 * forward / denominator,
            -current * i0 * back / denominator)
