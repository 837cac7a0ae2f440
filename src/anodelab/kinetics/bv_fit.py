"""The Butler-Volmer fit of a polarization curve: limits chosen by the BIC, standard errors from the covariance.

Over the whole curve, by ``scipy.optimize.least_squares``::

    i = i0 (e^{alpha_a f eta} - e^{-alpha_c f eta}) / (1 + i0 e^{alpha_a f eta} / i_lim,a + i0 e^{-alpha_c f eta} / i_lim,c)
    eta = E - E_eq - I R_u,      f = F / (R T)

(kinetics in series with mass transport to a limiting current per branch, :mod:`anodelab.kinetics.butler_volmer`;
under potential control the model current solves ``E - E_eq = eta + I R_u``, under current control eta
follows from the set current, so the noise of one variable never enters the other), residuals relative
to ``|i| + 0.001 max|i|``, free: i0, alpha_a, alpha_c, R_u (>= 0), 1/i_lim per branch (>= 0: 0 is "not
reached"), an offset of E_eq within 50 mV; several starts, the best kept (a fit with limits starts
from the fit without them and from the first start with the limits at the largest currents). A
limiting current enters only where it lowers the Bayesian information criterion by more than 10 (IR
and mass transport both bend the ends of the curve; noise alone must not buy a limit). The Jacobian
is analytic (through the implicit eta under potential control). Standard errors from the covariance
``s^2 (J^T J)^-1`` of the parameters off their bounds (a parameter at a bound has none).
A branch without points beyond RT/F fixes its alpha to ``n - alpha`` of the other and its limit to
none; a curve that stays short of the Tafel lower limit on both sides (only the near-linear region)
assumes ``alpha_a + alpha_c = n`` and no limits (it cannot tell them apart from i0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from anodelab.core.errors import FitError
from anodelab.core.result import Quantity
from anodelab.kinetics.butler_volmer import (
    current_partials,
    ir_overpotential,
    limited_current,
)
from anodelab.kinetics.micro_polarization import micro_slope
from anodelab.kinetics.polarization import BRANCHES, FloatArray, PolarizationCurve
from anodelab.kinetics.tafel_results import ButlerVolmerFit
from anodelab.kinetics.tafel_window import tafel_lower_limit_V
from anodelab.models.kinetics import thermal_voltage_V

#: residual weights |i| + this fraction of max|i| (the near-zero points keep a finite weight)
WEIGHT_FLOOR_FRACTION = 1e-3
#: a limiting current enters the Butler-Volmer fit only where it lowers the Bayesian information criterion
#: by more than this ("very strong" evidence, Kass and Raftery 1995): IR and mass transport both bend
#: the curve's ends, and noise alone must not buy a limit
BIC_MARGIN = 10.0
#: the most model evaluations one Butler-Volmer fit may take (a converging fit takes some tens; past this
#: a variant that cannot improve, such as limits on a noiseless curve, stops and is judged as it stands)
MAX_EVALUATIONS = 200
#: the E_eq offset the Butler-Volmer fit may take (V)
E_EQ_OFFSET_V = 0.05
PARAMETERS = ("ln_i0", "alpha_a", "alpha_c", "R_u_ohm", "g_anodic", "g_cathodic", "dE_eq_V")


def fit_butler_volmer(curve: PolarizationCurve, *, R_u_ohm: float | None, E_eq_fixed: bool,
                      warnings: list[str]) -> ButlerVolmerFit:
    """The Butler-Volmer fit of ``curve`` (module docstring): first without limiting currents, then with
    one per branch and with both, each kept only where it lowers the BIC by more than :data:`BIC_MARGIN`."""
    fixed = _fixed(curve, R_u_ohm, E_eq_fixed, warnings)
    problem = _Problem(curve, R_u_ohm)
    starts = _starts(curve, problem.scale, problem.bounds["R_u_ohm"][1])
    base = [name for name in PARAMETERS if name not in fixed and not name.startswith("g_")]
    best = problem.solve(base, starts)
    if best is None:
        raise FitError("the Butler-Volmer fit failed from every start")
    best, best_free = _with_limits(problem, base, best, fixed, starts[0])
    return _result(curve, best, best_free, problem.unpack(best_free, best.x), fixed, problem.weight, problem.scale,
                   warnings)


def _fixed(curve: PolarizationCurve, R_u_ohm: float | None, E_eq_fixed: bool, warnings: list[str]) -> list[str]:
    """The parameters the curve cannot tell, or the caller fixed: R_u given, E_eq given, a branch without
    points beyond RT/F (its alpha and limit), a curve short of any Tafel region (alpha_c and both limits)."""
    electrodes = curve.electrodes
    vt = thermal_voltage_V(curve.T_K) * electrodes
    eta0 = curve.eta_V
    present = {name: int(np.count_nonzero(sign * eta0 > vt)) >= 3 for name, sign in (("anodic", 1), ("cathodic", -1))}
    if not any(present.values()):
        present = {"anodic": True, "cathodic": True}  # only the linear region: both alphas from its curvature
    fixed: list[str] = (["R_u_ohm"] if R_u_ohm is not None else []) + (["dE_eq_V"] if E_eq_fixed else [])
    for name in BRANCHES:
        if not present[name]:
            fixed += [f"alpha_{name[0]}", f"g_{name}"]
            warnings.append(f"no {name} branch beyond RT/F: the fit fixes alpha_{name[0]} = n - alpha of the other "
                            f"branch and no {name} limiting current")
    reach_V = float(np.max(np.abs(eta0)))
    if "alpha_c" not in fixed and "alpha_a" not in fixed and reach_V < tafel_lower_limit_V(curve):
        fixed += ["alpha_c", "g_anodic", "g_cathodic"]
        warnings.append(f"the curve stays within {1e3 * reach_V:.0f} mV of equilibrium, short of any Tafel region: "
                        "the Butler-Volmer fit assumes alpha_a + alpha_c = n and no limiting current")
    return fixed


def _starts(curve: PolarizationCurve, scale: float, R_max: float) -> list[dict[str, float]]:
    """Starting points: i0 from the micro-polarization slope (else 1 % of the largest current), alpha
    0.5 and 0.3 of n, R_u 0 and a tenth of its bound."""
    n = curve.n_electrons
    vt = thermal_voltage_V(curve.T_K) * curve.electrodes
    micro = micro_slope(curve, 0.0, 0.01)
    guess_i0 = micro[0] * vt / n if micro is not None and micro[0] > 0 else scale / 100
    return [{"ln_i0": math.log(guess_i0), "alpha_a": alpha * n, "alpha_c": (1 - alpha) * n, "R_u_ohm": R_start,
             "dE_eq_V": 0.0} for alpha, R_start in ((0.5, 0.0), (0.5, 0.1 * R_max), (0.3, 0.1 * R_max))]


def _with_limits(problem: _Problem, base: list[str], best: Any, fixed: list[str], first_start: dict[str, float]
                 ) -> tuple[Any, list[str]]:
    """The fit without limits, or with the limit of one branch or both where that lowers the BIC by more
    than :data:`BIC_MARGIN`, and its free parameters."""
    best_free = base
    criterion = _bic(best, base)
    found = problem.unpack(base, best.x)
    for limits in (["g_anodic"], ["g_cathodic"], ["g_anodic", "g_cathodic"]):
        if any(name in fixed for name in limits):
            continue
        free = base + limits
        seed = {name: found[name] if found[name] > 0 else 0.1 * problem.bounds[name][1] for name in limits}
        # also from the first starts with the limit at the largest current seen: a fit without limits may
        # have bent the curve's ends by a large R_u, a valley the limits alone do not leave
        plateau = {name: 1.0 / max(problem.largest[name.removeprefix("g_")], 1e-300) for name in limits}
        solution = problem.solve(free, [{**found, **seed}, {**first_start, **plateau}])
        if solution is not None and _bic(solution, free) < criterion - BIC_MARGIN:
            best, best_free, criterion = solution, free, _bic(solution, free)
            found = problem.unpack(free, best.x)
    return best, best_free


def _bic(solution: Any, free: list[str]) -> float:
    count = int(solution.fun.size)
    return count * math.log(max(2.0 * solution.cost, 1e-300) / count) + len(free) * math.log(count)


class _Problem:
    """The weighted residuals of the model against the curve, with their analytic Jacobian and the
    bounded solve from several starts. The overpotential of the last parameters is kept: the Jacobian
    is asked at the point of the residuals before it."""

    def __init__(self, curve: PolarizationCurve, R_u_ohm: float | None) -> None:
        self.R_u_ohm = R_u_ohm
        self.n, self.electrodes = curve.n_electrons, curve.electrodes
        self.f = 1.0 / thermal_voltage_V(curve.T_K)
        self.i, self.I_mA, self.eta0 = curve.i, curve.I_mA, curve.eta_V
        self.scale = float(np.max(np.abs(self.i)))
        self.weight = 1.0 / (np.abs(self.i) + WEIGHT_FLOOR_FRACTION * self.scale)
        i = self.i
        self.largest = {name: float(np.max(np.abs(i[sign * i > 0]), initial=0.0))
                        for name, sign in (("anodic", 1), ("cathodic", -1))}
        R_max = float(np.ptp(curve.E_V)) / max(float(np.max(np.abs(self.I_mA))) * 1e-3, 1e-300)
        n, largest = self.n, self.largest
        self.bounds = {
            "ln_i0": (math.log(self.scale) - 30.0, math.log(self.scale) + 10.0), "alpha_a": (0.02, float(n)),
            "alpha_c": (0.02, float(n)), "R_u_ohm": (0.0, R_max),
            "g_anodic": (0.0, 1.5 / max(largest["anodic"], 1e-300)),
            "g_cathodic": (0.0, 1.5 / max(largest["cathodic"], 1e-300)), "dE_eq_V": (-E_EQ_OFFSET_V, E_EQ_OFFSET_V),
        }
        self.per_unit = 1e-3 * (curve.area_cm2 or 1.0)  # V per ohm per unit of i
        self.controlled_current = curve.control == "current steps"
        self._solved: dict[tuple[float, ...], FloatArray] = {}

    def unpack(self, free: list[str], x: FloatArray) -> dict[str, float]:
        """All parameters: the free ones from ``x``, the others at their fixed values."""
        n = self.n
        values = dict(zip(free, (float(v) for v in x)))
        values.setdefault("R_u_ohm", self.R_u_ohm if self.R_u_ohm is not None else 0.0)
        values.setdefault("dE_eq_V", 0.0)
        values.setdefault("alpha_a", n - values.get("alpha_c", 0.5 * n))
        values.setdefault("alpha_c", n - values["alpha_a"])
        values.setdefault("g_anodic", 0.0)
        values.setdefault("g_cathodic", 0.0)
        return values

    def kinetics(self, v: Mapping[str, float]) -> tuple[float, float, float, float, float]:
        f, electrodes = self.f, self.electrodes
        return (math.exp(v["ln_i0"]), v["alpha_a"] * f / electrodes, v["alpha_c"] * f / electrodes,
                v["g_anodic"], v["g_cathodic"])

    def overpotential(self, v: Mapping[str, float]) -> FloatArray:
        if self.controlled_current:  # the current is set: the overpotential follows from it exactly
            return self.eta0 - v["dE_eq_V"] - self.I_mA * 1e-3 * v["R_u_ohm"]
        # the potential is set: the current solves E - E_eq = eta + I R_u
        key = tuple(v[name] for name in PARAMETERS)
        if key not in self._solved:
            self._solved.clear()
            self._solved[key] = ir_overpotential(self.eta0 - v["dE_eq_V"], v["R_u_ohm"] * self.per_unit,
                                                 *self.kinetics(v))
        return self._solved[key]

    def model(self, v: Mapping[str, float]) -> FloatArray:
        return limited_current(self.overpotential(v), *self.kinetics(v))

    def jacobian(self, free: list[str], v: Mapping[str, float]) -> FloatArray:
        """d model / d free parameters (analytic; under potential control through the implicit eta)."""
        current, slope, d_ln_i0, d_af, d_cf, d_ga, d_gc = current_partials(self.overpotential(v), *self.kinetics(v))
        per_alpha = self.f / self.electrodes
        d_alpha_a, d_alpha_c = d_af * per_alpha, d_cf * per_alpha
        if "alpha_c" not in free:  # alpha_c = n - alpha_a
            d_alpha_a = d_alpha_a - d_alpha_c
        elif "alpha_a" not in free:  # alpha_a = n - alpha_c
            d_alpha_c = d_alpha_c - d_af * per_alpha
        gain: FloatArray | float
        if self.controlled_current:
            gain, d_R, d_E = 1.0, -slope * self.I_mA * 1e-3, -slope
        else:
            gain = 1.0 / (1.0 + v["R_u_ohm"] * self.per_unit * slope)
            d_R, d_E = -slope * self.per_unit * current * gain, -slope * gain
        columns = {"ln_i0": d_ln_i0 * gain, "alpha_a": d_alpha_a * gain, "alpha_c": d_alpha_c * gain,
                   "g_anodic": d_ga * gain, "g_cathodic": d_gc * gain, "R_u_ohm": d_R, "dE_eq_V": d_E}
        return np.column_stack([columns[name] for name in free]) * self.weight[:, None]

    def solve(self, free: list[str], starts: list[dict[str, float]]) -> Any:
        """The best of the bounded fits of the ``free`` parameters from each start (None: none converged)."""
        from scipy.optimize import least_squares

        low = np.array([self.bounds[name][0] for name in free])
        high = np.array([self.bounds[name][1] for name in free])
        best = None
        for start in starts:
            x0 = np.clip([start[name] for name in free], low, high)

            def residuals(x: FloatArray) -> FloatArray:
                return (self.model(self.unpack(free, x)) - self.i) * self.weight

            def derivatives(x: FloatArray) -> FloatArray:
                return self.jacobian(free, self.unpack(free, x))

            try:
                # lsmr: an exact trust-region step costs an SVD of the whole Jacobian per iteration
                solution = least_squares(residuals, x0, jac=derivatives, bounds=(low, high), x_scale="jac",
                                         method="trf", tr_solver="lsmr", max_nfev=MAX_EVALUATIONS)
            except (ValueError, FloatingPointError):
                continue
            if np.isfinite(solution.cost) and (best is None or solution.cost < best.cost):
                best = solution
        return best


def _result(curve: PolarizationCurve, best: Any, free: list[str], values: dict[str, float], fixed: list[str],
           weight: FloatArray, scale: float, warnings: list[str]) -> ButlerVolmerFit:
    """The fit as a result: standard errors of the parameters off their bounds (an alpha fixed to
    ``n - alpha`` of the other takes the other's), warnings for an alpha at a bound and an undetermined i0."""
    dof = best.fun.size - len(free)
    if dof <= 0:
        raise FitError(f"{best.fun.size} points cannot determine {len(free)} Butler-Volmer parameters")
    s2 = 2.0 * best.cost / dof
    off_bound = best.active_mask == 0
    stderr: dict[str, float | None] = dict.fromkeys(PARAMETERS)
    J = best.jac[:, off_bound]
    if J.shape[1]:
        singular = np.linalg.svd(J, compute_uv=False)
        if singular[-1] > singular[0] * 1e-10:
            covariance = s2 * np.linalg.inv(J.T @ J)
            for name, variance in zip(np.asarray(free)[off_bound], np.diag(covariance)):
                stderr[str(name)] = math.sqrt(max(float(variance), 0.0))
        else:
            warnings.append("the Butler-Volmer parameters are not all determined by the curve (singular Jacobian): "
                            "no standard errors")
    at_bound = [name for name, active in zip(free, best.active_mask) if active != 0]
    for name in at_bound:
        if name in ("alpha_a", "alpha_c"):
            warnings.append(f"{name} of the Butler-Volmer fit sits at its bound ({values[name]:.3g})")
    for name, other in (("alpha_c", "alpha_a"), ("alpha_a", "alpha_c")):
        if name in fixed and other not in fixed:
            stderr[name] = stderr[other]
    unit = curve.unit

    def limit(name: str) -> Quantity | None:
        g = values[f"g_{name}"]
        if f"g_{name}" not in free or f"g_{name}" in at_bound or g <= 0:
            return None
        error = stderr[f"g_{name}"]
        return Quantity(1.0 / g, None if error is None else error / g**2, unit)

    def quantity(name: str, value: float, unit_: str) -> Quantity:
        return Quantity(value, stderr[name], unit_)

    i0 = math.exp(values["ln_i0"])
    i0_error = stderr["ln_i0"]
    if i0_error is None or i0_error > 0.5:
        warnings.append("the Butler-Volmer fit leaves i0 undetermined (standard error above half its value, or "
                        "none): the curve does not separate the kinetics from the IR drop")
    relative = np.sqrt(np.mean((best.fun / (weight * (np.abs(curve.i) + WEIGHT_FLOOR_FRACTION * scale))) ** 2))
    return ButlerVolmerFit(
        curve=curve, i0=Quantity(i0, None if i0_error is None else i0 * i0_error, unit),
        alpha_a=quantity("alpha_a", values["alpha_a"], ""), alpha_c=quantity("alpha_c", values["alpha_c"], ""),
        R_u_ohm=quantity("R_u_ohm", values["R_u_ohm"], "ohm"), i_lim_anodic=limit("anodic"),
        i_lim_cathodic=limit("cathodic"), E_eq_V=quantity("dE_eq_V", curve.E_eq_V + values["dE_eq_V"], "V"),
        rms_residual_pct=100.0 * float(relative), fixed=tuple(fixed))
