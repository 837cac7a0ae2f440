"""Tafel lines by a printed rule: each branch's window, its slope, alpha and i0, and both branches combined.

Per branch, on ``eta - I R_u`` (R_u the Butler-Volmer fit's unless given):

- lower limit: the back reaction below 1 % of the forward one, ``|eta| >= (R T / (n F)) ln 100``
  (118.3 mV at 298.15 K, n = 1; twice that for a symmetric cell, whose voltage splits over two
  electrodes), exact for ``alpha_a + alpha_c = n``.
- upper limit: the largest |eta| (from the lower limit out) whose window, fitted by
  ``log10|i| = log10 i0 + eta / b``, has R^2 >= ``r2_min`` and residuals without curvature: a
  quadratic term that changes the slope across the window by more than ``curvature_rtol`` and is
  significant (beyond 3 standard errors) marks where mass transport (or IR left uncorrected) bends the
  curve. The window needs ``min_points`` points and ``min_decades`` decades of current.

Per branch: the slope b (mV/dec, magnitude), ``alpha = ln10 R T / (F b)`` and i0 (the line at
eta = 0) with their standard errors from the line's covariance. Both branches combined:
the inverse-variance mean of log10 i0, its standard error at least half their difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from anodelab.core.result import Quantity
from anodelab.kinetics.lines import polynomial
from anodelab.kinetics.polarization import FloatArray, PolarizationCurve
from anodelab.kinetics.tafel_results import TafelBranch
from anodelab.models.kinetics import thermal_voltage_V

#: the back reaction below this fraction of the forward one sets the lower limit of a Tafel window
BACK_REACTION_FRACTION = 0.01


def tafel_lower_limit_V(curve: PolarizationCurve) -> float:
    """The |eta| beyond which the back reaction is below :data:`BACK_REACTION_FRACTION` of the forward
    one: ``electrodes (R T / (n F)) ln 100``."""
    return curve.electrodes * thermal_voltage_V(curve.T_K) * math.log(1.0 / BACK_REACTION_FRACTION) / curve.n_electrons


@dataclass(frozen=True)
class TafelRule:
    """The thresholds of a Tafel window (module docstring)."""

    eta_min_V: float
    r2_min: float
    curvature_rtol: float
    min_points: int
    min_decades: float

    def definitions(self, curve: PolarizationCurve) -> dict[str, str]:
        """The rule in words: lower and upper limit of a window, the branches combined."""
        twice = " (x2: two electrodes in series)" if curve.symmetric else ""
        return {
            "lower": f"|eta| >= {'2 ' if curve.symmetric else ''}(R T / (n F)) ln 100 = {1e3 * self.eta_min_V:.1f} mV "
                     f"at {curve.T_K:.2f} K, n = {curve.n_electrons}{twice}: the back reaction below 1 %",
            "upper": f"the largest |eta| whose window fits log10|i| = log10 i0 + eta / b with R^2 >= {self.r2_min} and "
                     f"no curvature (a quadratic term changing the slope by more than {self.curvature_rtol:.0%} across "
                     f"the window and beyond 3 standard errors); at least {self.min_points} points and "
                     f"{self.min_decades:g} decade",
            "combined": "inverse-variance mean of the branches' log10 i0, stderr at least half their difference",
        }


def tafel_branch(name: str, eta: FloatArray, i: FloatArray, curve: PolarizationCurve, rule: TafelRule
                 ) -> tuple[TafelBranch | None, str]:
    """The branch's Tafel line by the rule, or None and why not."""
    sign = 1.0 if name == "anodic" else -1.0
    candidate = np.flatnonzero((sign * eta >= rule.eta_min_V) & (sign * i > 0))
    reach = float(np.max(sign * eta, initial=0.0)) * 1e3
    if candidate.size < rule.min_points:
        return None, (f"no Tafel region on the {name} branch: |eta| reaches {reach:.0f} mV; the back reaction is "
                      f"below 1 % only beyond {1e3 * rule.eta_min_V:.0f} mV"
                      + (f" ({candidate.size} points there, {rule.min_points} needed)" if candidate.size else ""))
    order = candidate[np.argsort(sign * eta[candidate], kind="stable")]
    x = sign * eta[order]
    y = np.log10(sign * i[order])
    ends = np.unique(np.linspace(rule.min_points, order.size, min(order.size - rule.min_points + 1, 200)).astype(int))
    chosen = None
    reasons = []
    for end in ends:
        decades = float(np.ptp(y[:end]))
        if decades < rule.min_decades:
            reasons.append("decades")
            continue
        (_, slope), _, r2 = polynomial(x[:end], y[:end], 1)
        centred = x[:end] - x[:end].mean()
        (_, _, curvature), (_, _, curvature_error), _ = polynomial(centred, y[:end], 2)
        change = 2.0 * abs(curvature) * float(np.ptp(x[:end])) / abs(slope) if slope else math.inf
        curved = change > rule.curvature_rtol and abs(curvature) > 3.0 * curvature_error
        if r2 >= rule.r2_min and not curved and slope > 0:
            chosen = int(end)
        reasons.append("curved" if curved else "r2" if r2 < rule.r2_min else "ok")
    if chosen is None:
        why = (f"it spans less than {rule.min_decades:.2g} decade of current" if set(reasons) == {"decades"}
               else f"no window from {1e3 * rule.eta_min_V:.0f} mV fits a line with R^2 >= {rule.r2_min} without "
                    "curvature (mass transport or IR bends it)")
        return None, f"no Tafel region on the {name} branch: {why}"
    window = order[:chosen]
    (intercept, slope), (intercept_error, slope_error), r2 = polynomial(x[:chosen], y[:chosen], 1)
    vt = thermal_voltage_V(curve.T_K)
    b_mV = 1e3 / slope
    b_error = 1e3 * slope_error / slope**2
    alpha = curve.electrodes * math.log(10.0) * vt * 1e3 / b_mV
    i0 = 10.0**intercept
    branch = TafelBranch(
        name, 1e3 * float(x[0]), 1e3 * float(x[chosen - 1]), int(chosen), float(np.ptp(y[:chosen])), float(r2),
        Quantity(float(b_mV), float(b_error), "mV/dec"), Quantity(float(alpha), float(alpha * b_error / b_mV), ""),
        Quantity(float(i0), float(i0 * math.log(10.0) * intercept_error), curve.unit), float(intercept), window)
    return branch, ""


def combine(branches: tuple[TafelBranch, ...], unit: str) -> Quantity | None:
    """The branches' i0 combined (module docstring); None without a branch."""
    if not branches:
        return None
    logs = np.array([b.log10_i0 for b in branches])
    errors = np.array([max(b.i0.stderr or 0.0, 1e-300) / (b.i0.value * math.log(10.0)) for b in branches])
    weights = 1.0 / errors**2
    mean = float(np.sum(weights * logs) / np.sum(weights))
    error = max(math.sqrt(1.0 / float(np.sum(weights))), float(np.ptp(logs)) / 2.0)
    i0 = 10.0**mean
    return Quantity(i0, i0 * math.log(10.0) * error, unit)
