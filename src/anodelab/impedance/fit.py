"""Equivalent-circuit fitting that looks for the global minimum, not just the nearest one.

:func:`fit_circuit` minimises the weighted complex residual with ``scipy.optimize.least_squares``
(trust-region reflective) over the natural logarithms of the parameters (every parameter is > 0;
bounds in log space). It starts from initial guesses read off the spectrum (high-frequency
intercept, low-frequency real part, apexes of ``-Im Z`` -> ``tau = 1 / (2 pi f_apex)``, arc
resistances from apex heights) and from ``n_starts - 1`` further starts drawn by Latin-hypercube
sampling (seeded, so deterministic) up to a decade either side of that guess (exponents n in
0.5..1); the fit with the lowest chi-square wins. The search stops early once the lowest minimum
has been reached by two starts, one of them a Latin-hypercube draw (``CircuitFit.n_starts`` counts
the starts tried). Jacobians are closed form (each element's derivatives, chained through series
and parallel connections), not finite differences.

The fit does not depend on the spectrum's scale: it runs on ``Z / Z_ref`` (``Z_ref`` the power of two
just above max |Z|, so the division is exact) with each parameter in units of ``Z_ref`` to its unit's
power of ohm (:data:`~anodelab.impedance.problem.OHM_POWER`: R, W sigma, L 1; C, Q -1; tau, n 0), bounds
included. A spectrum scaled by ``k`` gives parameters scaled by ``k`` to those powers and the same chi2
(``unit``: ``k^2``).

Weighting (residual of point i, real and imaginary parts separately, ``Z`` data, ``Zm`` model):

- ``unit``: ``Zm - Z``;
- ``modulus``: ``(Zm - Z) / |Z|`` (impedance.py's ``weight_by_modulus``);
- ``proportional``: ``Re(Zm - Z) / |Re Z|`` and ``Im(Zm - Z) / |Im Z|`` (each floored at 1e-6 |Z|);
- ``boukamp``: ``(Zm - Z) / |Zm|`` (Boukamp 1995, weights from the model).

``chi2`` is the weighted sum of squares over real and imaginary parts; ``chi2_reduced`` divides it by
``2 N - p_free``. Standard errors come from the Jacobian: ``cov(ln p) = chi2_reduced (J^T J)^-1``
(the noise scale is estimated from the residuals), ``stderr(p) = p stderr(ln p)``; correlations are those
of ``ln p``. A fitted parameter whose standard error exceeds its value (or has none) puts a warning in the
result: the circuit is over-parametrised for the spectrum (:mod:`~anodelab.impedance.select` chooses one
the data determine). A parameter that ends at one of its bounds (within a relative 1e-6) is not determined
either: the data would take it beyond the bound, and the Jacobian's error there means nothing, so its
stderr is None and a warning names it and the bound.

Results (:class:`~anodelab.core.result.Result`): :class:`CircuitFit` (``circuit_fit``; the fitted
parameters in ``fitted``, the options in ``parameters``), :class:`SeriesFit` (``circuit_fit_series``),
:class:`ArcQuantities` (``arc_quantities``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import FitError, ValidationError
from anodelab.core.result import Metric, Quantity, Result, stamps_call
from anodelab.core.spectrum import (
    Spectrum,
    SpectrumSeries,
    check_impedance_range,
    require_spectra,
    require_spectrum,
)
from anodelab.impedance.circuit_strings import CircuitModel, Leaf, Node, as_model
from anodelab.impedance.guess import _arc_count, _guess, initial_guess  # noqa: F401 - initial_guess re-exported (tests, benchmarks import it from here)
from anodelab.impedance.problem import OHM_POWER, _compile, _Problem, _weights
from anodelab.models import circuits as mc

if TYPE_CHECKING:
    from anodelab.impedance.select import CircuitChoice

#: how the residual of each point is weighted (see the module docstring)
Weighting = Literal["modulus", "unit", "proportional", "boukamp"]
WEIGHTINGS: tuple[Weighting, ...] = get_args(Weighting)
CHI2_DEFINITION = {
    "unit": "sum over points of Re(Zm-Z)^2 + Im(Zm-Z)^2 (ohm^2)",
    "modulus": "sum over points of |Zm-Z|^2 / |Z|^2",
    "proportional": "sum over points of (Re(Zm-Z)/Re Z)^2 + (Im(Zm-Z)/Im Z)^2",
    "boukamp": "sum over points of |Zm-Z|^2 / |Zm|^2",
}
STDERR_DEFINITION = "from the Jacobian, noise scaled by chi2_reduced"
#: what each element code is, for the metrics' definitions
ELEMENT_WORDS = {
    "R": "resistor",
    "C": "capacitor",
    "L": "inductor",
    "CPE": "constant-phase element 1 / (Q (j w)^n)",
    "Zarc": "ZARC R / (1 + (j w tau)^n)",
    "W": "semi-infinite Warburg sigma (1 - j) / sqrt(w)",
    "Ws": "finite-length Warburg",
    "Wo": "finite-space Warburg",
    "G": "Gerischer element",
}


@dataclass(frozen=True, repr=False)
class CircuitFit(Result):
    """Result of :func:`fit_circuit`: ``fitted`` holds the fitted parameters (name -> value, stderr, unit);
    ``parameters`` (of every result) the options of the fit. A fitted parameter whose standard error
    exceeds its value puts a warning in ``warnings``: the circuit is over-parametrised for the spectrum.
    ``at_bound``: the fitted parameters that ended at a bound (stderr None, a warning each)."""

    kind: ClassVar[str] = "circuit_fit"
    version: ClassVar[int] = 1
    circuit: str
    fitted: Mapping[str, Quantity]
    chi2: float
    chi2_reduced: float
    weighting: Weighting
    n_points: int
    fixed: tuple[str, ...]
    correlation: NDArray[np.float64]
    frequency_Hz: NDArray[np.float64]
    Z_ohm: NDArray[np.complex128]
    Z_fit_ohm: NDArray[np.complex128]
    residuals: NDArray[np.float64]
    n_starts: int
    start_chosen: int
    success: bool
    context: Mapping[str, Any] = field(default_factory=dict)
    at_bound: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, float]:
        return {name: q.value for name, q in self.fitted.items()}

    @property
    def model(self) -> CircuitModel:
        return as_model(self.circuit)[0]

    def build(self) -> mc.Circuit:
        """The fitted circuit as a :mod:`anodelab.models.circuits` tree."""
        return self.model.build(self.values)

    @property
    def residuals_real_pct(self) -> NDArray[np.float64]:
        """``100 (Re Z - Re Zm) / |Z|`` per point."""
        return 100.0 * (self.Z_ohm.real - self.Z_fit_ohm.real) / np.abs(self.Z_ohm)

    @property
    def residuals_imag_pct(self) -> NDArray[np.float64]:
        return 100.0 * (self.Z_ohm.imag - self.Z_fit_ohm.imag) / np.abs(self.Z_ohm)

    @property
    def max_residual_pct(self) -> float:
        """Largest |residual| of the real or imaginary part over the points, percent of |Z|."""
        return float(max(np.abs(self.residuals_real_pct).max(), np.abs(self.residuals_imag_pct).max()))

    @property
    def undetermined(self) -> tuple[str, ...]:
        """The fitted (not fixed) parameters whose standard error is unknown or larger than their value."""
        return _undetermined(self.fitted, self.fixed)

    def metrics(self) -> tuple[Metric, ...]:
        return _fit_metrics(self)

    def content(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "fitted": {name: q.to_dict() for name, q in self.fitted.items()},
            "chi2": self.chi2,
            "chi2_reduced": self.chi2_reduced,
            "weighting": self.weighting,
            "chi2_definition": CHI2_DEFINITION[self.weighting],
            "stderr_definition": STDERR_DEFINITION,
            "n_points": self.n_points,
            "fixed": list(self.fixed),
            "correlation": {"names": list(self.fitted), "matrix": self.correlation},
            "n_starts": self.n_starts,
            "start_chosen": self.start_chosen,
            "success": self.success,
            "at_bound": list(self.at_bound),
            "max_residual_pct": self.max_residual_pct,
            "context": dict(self.context),
        }

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"circuit_fit": _fit_table(self)}

    def headline(self) -> str:
        resistances = [f"{name} {q}" for name, q in self.fitted.items() if q.unit == "ohm"][:4]
        return f"{self.circuit}: {', '.join(resistances) or 'no resistances'}; chi2_reduced {self.chi2_reduced:.3g}"


def _fit_metrics(fit: CircuitFit, **where: Any) -> tuple[Metric, ...]:
    """The fitted parameters, chi2, reduced chi2 and the largest residual of ``fit``, each with its definition."""
    code = {name: leaf.code for leaf in fit.model.leaves for name in leaf.parameter_names}
    how = f"{fit.weighting} weighting; stderr {STDERR_DEFINITION}"
    out = [
        Metric.of(
            name, q,
            definition=f"{name}, {ELEMENT_WORDS[code[name]]} of {fit.circuit}: "
            + ("held fixed" if name in fit.fixed else f"least-squares fit ({how})"),
            **where,
        )
        for name, q in fit.fitted.items()
    ]
    out += [
        Metric("chi2", fit.chi2, "ohm^2" if fit.weighting == "unit" else "", definition=CHI2_DEFINITION[fit.weighting], **where),
        Metric("chi2_reduced", fit.chi2_reduced, "ohm^2" if fit.weighting == "unit" else "",
               definition="chi2 / (2 N - number of free parameters)", **where),
        Metric("max_residual", fit.max_residual_pct, "%",
               definition="largest |100 (Z - Zm) / |Z|| of the real or imaginary part over the points", **where),
    ]
    return tuple(out)


def _fit_table(fit: CircuitFit) -> dict[str, NDArray[Any]]:
    return {
        "frequency_Hz": fit.frequency_Hz,
        "Z_real_ohm": fit.Z_ohm.real,
        "Z_imag_ohm": fit.Z_ohm.imag,
        "Z_fit_real_ohm": fit.Z_fit_ohm.real,
        "Z_fit_imag_ohm": fit.Z_fit_ohm.imag,
        "residual_real_pct": fit.residuals_real_pct,
        "residual_imag_pct": fit.residuals_imag_pct,
    }


def _undetermined(fitted: Mapping[str, Quantity], fixed: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        name for name, q in fitted.items() if name not in fixed and (q.stderr is None or not q.stderr <= abs(q.value))
    )


#: relative distance to a bound (in ln p) within which a fitted parameter counts as at the bound
_AT_BOUND = 1e-6


def _at_bound_warning(name: str, side: str, bound: float, unit: str) -> str:
    return f"{name} at its {side} bound {bound:.2g}{' ' + unit if unit else ''}: not determined by the data"


def _overparametrised(names: Sequence[str]) -> str:
    """The warning of a fit whose ``names`` have a standard error larger than their value."""
    return (
        f"the circuit is over-parametrised for this spectrum: {', '.join(names)} "
        + ("has a standard error larger than its value" if len(names) == 1 else "have standard errors larger than their values")
        + " (or none); a circuit with fewer elements may fit as well (see impedance.select.choose_circuit)"
    )


# -- the fit ----------------------------------------------------------------------------------------


#: default bounds per unit for a spectrum whose max |Z| is 1 ohm; C x |Z|, L / |Z| (s) and Q x |Z| (s^n) span
#: 1e-15..1e7, decades beyond the time constants of 10 MHz..0.1 mHz
_BOUNDS_AT_1_OHM = {
    "ohm": (1e-9, 1e4),
    "ohm s^-1/2": (1e-9, 1e4),
    "F": (1e-15, 1e7),
    "H": (1e-15, 1e7),
    "S s^n": (1e-15, 1e7),
    "s": (1e-12, 1e8),
    "": (1e-3, 1.0),
}


def default_bounds(model: CircuitModel, scale_ohm: float) -> dict[str, tuple[float, float]]:
    """Default bounds for a spectrum of max |Z| ``scale_ohm``: :data:`_BOUNDS_AT_1_OHM` times ``scale_ohm`` to the
    unit's :data:`OHM_POWER` (resistances 1e-9..1e4 x max|Z|; n 0.001..1, the domain impedance.py allows)."""
    bounds = {}
    for name, unit in zip(model.names, model.units, strict=True):
        low, high = _BOUNDS_AT_1_OHM[unit]
        factor = scale_ohm ** OHM_POWER[unit]
        bounds[name] = (low * factor, high * factor)
    return bounds


def _check_names(model: CircuitModel, given: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
    given = dict(given or {})
    names = set(model.names) if given else set()
    unknown = [name for name in given if name not in names]
    if unknown:
        raise ValidationError(what, f"unknown parameter(s) {', '.join(unknown)}; circuit {model.string} has {', '.join(model.names)}")
    return given


@stamps_call
def fit_circuit(
    spectrum: Spectrum,
    circuit: str | CircuitModel | mc.Circuit,
    *,
    initial: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, float] | None = None,
    weighting: Weighting = "modulus",
    n_starts: int = 8,
    seed: int = 0,
    max_nfev: int | None = None,
) -> CircuitFit:
    """Fit ``circuit`` (a string, :class:`CircuitModel`, or a circuit whose values are the initial guess) to ``spectrum``.

    ``initial``: name -> value (others from the spectrum); ``bounds``: name -> (low, high), > 0;
    ``fixed``: name -> value held constant; ``n_starts``: 1 = only the initial guess; more adds seeded
    Latin-hypercube starts around it (at most that many: see the module docstring). Raises :class:`FitError` when no start converges.
    The result's ``parameters`` record these options, the circuit as its string.
    """
    spectrum = require_spectrum(spectrum, "fit_circuit")
    check_impedance_range(spectrum, "spectrum")
    if weighting not in WEIGHTINGS:
        raise ValidationError("weighting", f"expected one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise ValidationError("n_starts", f"must be a positive integer, got {n_starts!r}")
    model, circuit_values = as_model(circuit)
    names, units = model.names, model.units  # (each a walk of the tree: computed once here)
    frequency, Z = spectrum.frequency_Hz, spectrum.Z_ohm
    initial, fixed, bounds = _checked_parameters(model, names, initial, fixed, bounds, len(Z))
    # the fit runs on Z / reference, every parameter in units of reference to its unit's power of ohm
    # (a power of two: both scalings are exact, so the fit does not depend on the spectrum's scale)
    reference = math.ldexp(1.0, math.frexp(float(np.abs(Z).max()))[1])
    Z = Z / reference
    to_fit = {name: reference ** -OHM_POWER[unit] for name, unit in zip(names, units, strict=True)}
    initial = {name: float(v) * to_fit[name] for name, v in initial.items()}
    fixed_fit = {name: float(v) * to_fit[name] for name, v in fixed.items()}
    given = {**{name: v * to_fit[name] for name, v in (circuit_values or {}).items()}, **initial, **fixed_fit}
    # the spectrum's own guess is needed only for parameters not given (a warm start gives them all)
    guess = _guess(model, frequency, Z) if n_starts > 1 or any(n not in given for n in names) else {}
    guess.update(given)
    limits = default_bounds(model, float(np.abs(Z).max()))
    limits.update({name: (pair[0] * to_fit[name], pair[1] * to_fit[name]) for name, pair in bounds.items()})
    problem = _problem(model, names, units, frequency, Z, weighting, guess, fixed)
    names_free = [names[i] for i in problem.free]
    low = np.log([limits[n][0] for n in names_free])
    high = np.log([limits[n][1] for n in names_free])
    starts = [_log_start(guess, names_free, low, high)]
    if n_starts > 1:  # the arcs spread over the band instead of at the apexes, with the values given
        spread = {**_guess(model, frequency, Z, spread=True), **initial, **fixed_fit}
        starts.append(_log_start(spread, names_free, low, high))
    starts += _lhs_starts(starts[0], names_free, model, low, high, n_starts - len(starts), seed)
    best, tried = _run_starts(problem, starts, low, high, max_nfev)
    return _result(problem, spectrum, reference, best, tried, weighting, tuple(fixed), (low, high))


def _checked_parameters(
    model: CircuitModel,
    names: Sequence[str],
    initial: Mapping[str, float] | None,
    fixed: Mapping[str, float] | None,
    bounds: Mapping[str, tuple[float, float]] | None,
    n_points: int,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, tuple[float, float]]]:
    """``initial``, ``fixed`` and ``bounds`` (as floats) checked against ``model`` (of parameters ``names``) and
    a spectrum of ``n_points``: known names, values > 0, at least one free parameter and fewer than 2 N."""
    initial = _check_names(model, initial, "initial")
    fixed = _check_names(model, fixed, "fixed")
    bounds = _check_names(model, bounds, "bounds")
    free_count = len(names) - len(fixed)
    if free_count < 1:
        raise ValidationError("fixed", "every parameter is fixed; nothing to fit")
    if 2 * n_points <= free_count:
        raise FitError(f"{free_count} free parameters cannot be fitted to {n_points} points (2 N values)")
    for name, value in {**initial, **fixed}.items():
        if not (math.isfinite(value) and value > 0):
            raise ValidationError(name, f"must be finite and > 0 (fitting is in log space), got {value!r}")
    for name, pair in bounds.items():
        given_low, given_high = (float(v) for v in pair)
        if not (0 < given_low < given_high) or not math.isfinite(given_high):
            raise ValidationError("bounds", f"{name}: need 0 < low < high (fitting is in log space), got {pair!r}")
        bounds[name] = (given_low, given_high)
    return initial, fixed, bounds


def _problem(
    model: CircuitModel,
    names: tuple[str, ...],
    units: tuple[str, ...],
    frequency: NDArray[np.float64],
    Z: NDArray[np.complex128],
    weighting: Weighting,
    start: Mapping[str, float],
    fixed: Mapping[str, float],
) -> _Problem:
    """The weighted residual of ``Z`` over the parameters not ``fixed``; every parameter (``names``, ``units``:
    the model's) starts at ``start``."""
    free = np.array([i for i, name in enumerate(names) if name not in fixed], dtype=np.intp)
    w_re, w_im = _weights(weighting, Z)
    omega = 2.0 * np.pi * frequency
    return _Problem(
        model, omega, Z, weighting, free, np.array([start[n] for n in names]), w_re, w_im, _compile(model, omega),
        names, units,
    )


def _log_start(
    values: Mapping[str, float], names: Sequence[str], low: NDArray[np.float64], high: NDArray[np.float64]
) -> NDArray[np.float64]:
    """ln of the ``values`` of ``names``, kept just inside the bounds ``low..high`` (ln)."""
    return np.clip(np.log([max(values[n], 1e-300) for n in names]), low + 1e-9, high - 1e-9)


def _lhs_starts(
    x0: NDArray[np.float64],
    names: Sequence[str],
    model: CircuitModel,
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    count: int,
    seed: int,
) -> list[NDArray[np.float64]]:
    if count <= 0:
        return []
    rng = np.random.default_rng(seed)
    unit_of = dict(zip(model.names, model.units, strict=True))
    d = len(x0)
    # Latin hypercube on [0, 1)^d
    samples = (np.argsort(rng.random((count, d)), axis=0) + rng.random((count, d))) / count
    starts = []
    for row in samples:
        x = x0.copy()
        for j, name in enumerate(names):
            if unit_of[name] == "":
                x[j] = math.log(0.5 + 0.5 * row[j])
            else:
                x[j] = x0[j] + math.log(10.0) * (2.0 * row[j] - 1.0)
        starts.append(np.clip(x, low + 1e-9, high - 1e-9))
    return starts


_SAME_MINIMUM = 1e-6  # relative difference of cost below which two starts found the same minimum


def _run_starts(problem: _Problem, starts: Sequence[NDArray[np.float64]], low: Any, high: Any, max_nfev: int | None) -> Any:
    from scipy.optimize import least_squares

    def solve(x: NDArray[np.float64], budget: int, tolerance: float) -> Any:
        return least_squares(
            problem.residual, x, jac=problem.jacobian, bounds=(low, high), method="trf", x_scale="jac",
            max_nfev=max_nfev or budget * (len(x) + 1), xtol=tolerance, ftol=tolerance, gtol=tolerance,
        )

    # one start: nothing to choose between, so straight to the polish's tight tolerances and budget
    budget, tolerance = (200, 1e-12) if len(starts) == 1 else (40, 1e-8)
    best = None
    costs: list[tuple[int, float]] = []
    for index, x in enumerate(starts):
        try:
            result = solve(x, budget, tolerance)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if not np.isfinite(result.cost):
            continue
        costs.append((index, float(result.cost)))
        if best is None or result.cost < best[1].cost * (1 - 1e-12):
            best = (index, result)
        # enough starts once the lowest minimum has been reached twice, once from a Latin-hypercube draw
        # (starts 0 and 1 share the given initial values, so their agreement alone proves little)
        reached = [i for i, cost in costs if cost <= best[1].cost * (1 + _SAME_MINIMUM)]
        if len(reached) >= 2 and max(reached) >= 2:
            break
    if best is None:
        from anodelab.core.errors import ConvergenceError

        raise ConvergenceError(f"no start converged for circuit {problem.model.string}")
    if len(starts) == 1:
        return best, 1
    # polish the winner with tight tolerances and a larger budget (starts are cut short to stay fast)
    polished = solve(best[1].x, 200, 1e-12)
    if np.isfinite(polished.cost) and polished.cost <= best[1].cost:
        best = (best[0], polished)
    return best, index + 1


def _signature(node: Node | Leaf) -> str:
    if isinstance(node, Leaf):
        return node.code
    return node.kind + "(" + ",".join(_signature(child) for child in node.children) + ")"


def _arc_tau(node: Node | Leaf, block: NDArray[np.float64]) -> float | None:
    if isinstance(node, Leaf):
        return float(block[1]) if node.code == "Zarc" else None
    codes = [child.code if isinstance(child, Leaf) else "" for child in node.children]
    if codes == ["R", "CPE"]:
        return float((block[0] * block[1]) ** (1.0 / block[2]))
    if codes == ["R", "C"]:
        return float(block[0] * block[1])
    return None


def _canonical_order(model: CircuitModel, values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Arcs of identical structure in series are interchangeable: order them fastest (smallest tau) first."""
    order = np.arange(values.size)
    top, _ = _arc_count(model)
    if not (isinstance(model.tree, Node) and model.tree.kind == "s"):
        return order
    blocks, start = [], 0
    for node in top:
        count = sum(len(leaf.field_names) for leaf in _leaves_of(node))
        blocks.append((node, start, count))
        start += count
    groups: dict[str, list[tuple[Node | Leaf, int, int]]] = {}
    for block in blocks:
        groups.setdefault(_signature(block[0]), []).append(block)
    for members in groups.values():
        found = [_arc_tau(node, values[b : b + c]) for node, b, c in members]
        taus = [t for t in found if t is not None]
        if len(members) < 2 or len(taus) < len(members):
            continue
        ranked = [members[i] for i in np.argsort(taus, kind="stable")]
        for (_, target, count), (_, source, _) in zip(members, ranked, strict=True):
            order[target : target + count] = np.arange(source, source + count)
    return order


def _leaves_of(node: Node | Leaf) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    return [leaf for child in node.children for leaf in _leaves_of(child)]


def _result(
    problem: _Problem,
    spectrum: Spectrum,
    reference: float,
    best: Any,
    n_starts: int,
    weighting: Weighting,
    fixed: tuple[str, ...],
    log_bounds: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> CircuitFit:
    """The fit in ohm units: ``problem`` and ``log_bounds`` (ln of the free parameters' bounds) are in units of
    ``reference`` ohm (see :func:`fit_circuit`)."""
    index, result = best
    to_ohm = reference ** np.array([OHM_POWER[unit] for unit in problem.units], dtype=float)
    values = problem.values(result.x) * to_ohm
    residual_unit = reference if weighting == "unit" else 1.0  # unit-weighted residuals are in ohm
    residual = problem.residual(result.x) * residual_unit  # (a new array)
    Z_fit = problem.model_impedance(result.x) * reference
    chi2 = float(residual @ residual)
    dof = residual.size - len(result.x)
    chi2_reduced = chi2 / dof if dof > 0 else math.nan
    stderr, correlation = _uncertainties(problem, values, result.jac * residual_unit, chi2_reduced)
    side, bound = _bound_sides(problem, result.x, log_bounds, to_ohm)
    model = problem.model
    if not fixed:
        order = _canonical_order(model, values)
        values, stderr, correlation = values[order], stderr[order], correlation[np.ix_(order, order)]
        side, bound = side[order], bound[order]
    fitted, at_bound, warnings = _fitted(problem, values, stderr, side, bound, fixed)
    return CircuitFit(
        circuit=model.string,
        fitted=fitted,
        chi2=chi2,
        chi2_reduced=chi2_reduced,
        weighting=weighting,
        n_points=len(spectrum),
        fixed=fixed,
        correlation=correlation,
        frequency_Hz=spectrum.frequency_Hz,
        Z_ohm=spectrum.Z_ohm,
        Z_fit_ohm=Z_fit,
        residuals=residual,
        n_starts=n_starts,
        start_chosen=index,
        success=bool(result.success),
        context={k: v for k, v in spectrum.context.to_dict().items() if v is not None},
        at_bound=at_bound,
        parameters={"circuit": model.string},
        provenance=spectrum.provenance,
        warnings=warnings,
    )


def _uncertainties(
    problem: _Problem, values: NDArray[np.float64], J: NDArray[np.float64], chi2_reduced: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Standard errors (units of ``values``) and correlations of every parameter from ``J``, the Jacobian of the
    residual in ln p of the free ones (module docstring); NaN for the fixed ones."""
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = chi2_reduced * np.linalg.pinv(J.T @ J)
        log_err = np.sqrt(np.clip(np.diag(cov), 0, None))
        correlation = cov / np.outer(log_err, log_err)
    P = len(problem.names)
    stderr = np.full(P, math.nan)
    stderr[problem.free] = values[problem.free] * log_err
    full_corr = np.full((P, P), math.nan)
    full_corr[np.ix_(problem.free, problem.free)] = correlation
    return stderr, full_corr


def _bound_sides(
    problem: _Problem,
    x: NDArray[np.float64],
    log_bounds: tuple[NDArray[np.float64], NDArray[np.float64]],
    to_ohm: NDArray[np.float64],
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Which bound each parameter ended at (-1 lower, +1 upper, 0 neither; ``x`` and ``log_bounds``: ln of the free
    ones, units of the reference), and that bound in ohm units (NaN where none)."""
    P = len(problem.names)
    side = np.zeros(P, dtype=np.intp)
    bound = np.full(P, math.nan)
    low, high = log_bounds
    for j, i in enumerate(problem.free):
        for s, edge in ((-1, low[j]), (1, high[j])):
            if abs(x[j] - edge) <= _AT_BOUND:
                side[i], bound[i] = s, math.exp(edge) * to_ohm[i]
    return side, bound


def _fitted(
    problem: _Problem,
    values: NDArray[np.float64],
    stderr: NDArray[np.float64],
    side: NDArray[np.intp],
    bound: NDArray[np.float64],
    fixed: tuple[str, ...],
) -> tuple[dict[str, Quantity], tuple[str, ...], tuple[str, ...]]:
    """Each parameter as a :class:`Quantity` (no stderr when fixed, at a bound or unknown), the names at a bound,
    and the warnings: one per parameter at a bound, one naming the others left undetermined."""
    fitted = {}
    warnings = []
    for i, (name, unit) in enumerate(zip(problem.names, problem.units, strict=True)):
        err = float(stderr[i])
        known = math.isfinite(err) and name not in fixed and not side[i]
        fitted[name] = Quantity(float(values[i]), err if known else None, unit)
        if side[i]:
            warnings.append(_at_bound_warning(name, "lower" if side[i] < 0 else "upper", float(bound[i]), unit))
    at_bound = tuple(name for i, name in enumerate(problem.names) if side[i])
    loose = [name for name in _undetermined(fitted, fixed) if name not in at_bound]
    if loose:
        warnings.append(_overparametrised(loose))
    return fitted, at_bound, tuple(warnings)


# -- series -------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class SeriesFit(Result):
    """Fits of every spectrum of a series (:func:`fit_series`); ``choice``: how the circuit was chosen
    from the data (:func:`~anodelab.impedance.select.choose_circuit`), None when it was named."""

    kind: ClassVar[str] = "circuit_fit_series"
    version: ClassVar[int] = 1
    fits: tuple[CircuitFit, ...]
    choice: CircuitChoice | None = None

    @property
    def circuit(self) -> str:
        return self.fits[0].circuit

    def metrics(self) -> tuple[Metric, ...]:
        return tuple(m for index, fit in enumerate(self.fits) for m in _fit_metrics(fit, index_name="spectrum", index=index))

    def content(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "circuit_choice": self.choice,
            "spectra": [{**fit.content(), "warnings": list(fit.warnings)} for fit in self.fits],
        }

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        tables = [_fit_table(fit) for fit in self.fits]
        columns = {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}
        spectrum = np.concatenate([np.full(fit.n_points, index) for index, fit in enumerate(self.fits)])
        return {"circuit_fit": {"spectrum": spectrum, **columns}}

    def headline(self) -> str:
        chosen = f" (chosen from the data: {self.choice.summary})" if self.choice is not None else ""
        count = f"{len(self.fits)} spectr{'um' if len(self.fits) == 1 else 'a'}"
        return f"{count}; spectrum 0: {self.fits[0].headline()}{chosen}"


def _series_warnings(fits: Sequence[CircuitFit]) -> tuple[str, ...]:
    """One warning for the spectra whose fits left parameters undetermined, naming them."""
    flagged = [(index, fit.undetermined) for index, fit in enumerate(fits) if fit.undetermined]
    if not flagged:
        return ()
    order = list(fits[0].fitted).index
    bounded = sorted({name for fit in fits for name in fit.at_bound}, key=order)
    loose = sorted({name for _, found in flagged for name in found} - set(bounded), key=order)
    spectra = ", ".join(str(index) for index, _ in flagged[:10]) + (", ..." if len(flagged) > 10 else "")
    found = [f"{', '.join(loose)} with a standard error larger than the value (or none)"] if loose else []
    found += [f"{', '.join(bounded)} at a bound (not determined by the data)"] if bounded else []
    message = (
        f"the circuit is over-parametrised for {len(flagged)} of {len(fits)} spectra ({spectra}): "
        f"{'; '.join(found)}; a circuit with fewer elements may fit as well (see impedance.select.choose_circuit)"
    )
    return (message,)


@stamps_call
def fit_series(
    series: SpectrumSeries | Sequence[Spectrum],
    circuit: str | CircuitModel | mc.Circuit,
    *,
    initial: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, float] | None = None,
    weighting: Weighting = "modulus",
    n_starts: int = 8,
    seed: int = 0,
    max_nfev: int | None = None,
    restart_factor: float = 3.0,
) -> SeriesFit:
    """Fit each spectrum in order, warm-starting from the previous fit.

    The first spectrum gets the full multi-start; each later one starts from its neighbour's
    parameters alone, and gets the multi-start too when its reduced chi-square exceeds
    ``restart_factor`` times the neighbour's (a sudden change the warm start may not follow).
    The options are :func:`fit_circuit`'s (``initial`` applies to the first spectrum only).
    """
    spectra = require_spectra(series, "fit_series")
    options: dict[str, Any] = {"bounds": bounds, "fixed": fixed, "weighting": weighting, "seed": seed, "max_nfev": max_nfev}
    fits = [fit_circuit(spectra[0], circuit, initial=initial, n_starts=n_starts, **options)]
    model = fits[0].model  # parsed once for the whole series
    for spectrum in list(spectra)[1:]:
        previous = fits[-1]
        warm = {name: v for name, v in previous.values.items() if name not in (fixed or {})}
        fit = fit_circuit(spectrum, model, initial=warm, n_starts=1, **options)
        if n_starts > 1 and not fit.chi2_reduced <= restart_factor * previous.chi2_reduced:
            retry = fit_circuit(spectrum, model, initial=warm, n_starts=n_starts, **options)
            fit = retry if retry.chi2 < fit.chi2 else fit
        fits.append(fit)
    return SeriesFit(
        tuple(fits), parameters={"circuit": model.string}, provenance=spectra.provenance, warnings=_series_warnings(fits)
    )


# -- derived quantities -----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ArcQuantities(Result):
    """Per R||CPE, R||C or ZARC arc of a fit: R, tau, effective capacitance, apex frequency, R x area."""

    kind: ClassVar[str] = "arc_quantities"
    version: ClassVar[int] = 1
    DEFINITION: ClassVar[str] = (
        "R||CPE: tau = (R Q)^(1/n), C_eff = tau / R = Q^(1/n) R^((1-n)/n) (Brug/Hsu-Mansfeld for a "
        "parallel R||CPE without series resistance); R||C: tau = R C; f_apex = 1 / (2 pi tau); "
        "R_area_ohm_cm2 = R x area (not halved; see derived.interfacial_asr_ohm_cm2 for symmetric cells)"
    )
    rows: tuple[Mapping[str, Any], ...]

    def metrics(self) -> tuple[Metric, ...]:
        out = []
        for index, row in enumerate(self.rows):
            where: dict[str, Any] = {"index_name": "arc", "index": index}
            out += [
                Metric("R", row["R_ohm"], "ohm", definition=f"resistance of arc {row['arc']}", **where),
                Metric("tau", row["tau_s"], "s", definition="R||CPE: (R Q)^(1/n); R||C: R C; ZARC: its tau", **where),
                Metric("C_eff", row["C_eff_F"], "F", definition="tau / R (Brug/Hsu-Mansfeld for R||CPE)", **where),
                Metric("f_apex", row["f_apex_Hz"], "Hz", definition="1 / (2 pi tau)", **where),
            ]
            if row["R_area_ohm_cm2"] is not None:
                out.append(Metric("R_area", row["R_area_ohm_cm2"], "ohm cm2", definition="R x area (not halved)", **where))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {"arcs": [dict(row) for row in self.rows], "definition": self.DEFINITION}

    def headline(self) -> str:
        shown = ", ".join(f"{row['arc']} tau {row['tau_s']:.3g} s, C_eff {row['C_eff_F']:.3g} F" for row in self.rows)
        return f"{len(self.rows)} arcs: {shown}" if self.rows else "no arcs"


@stamps_call
def arc_quantities(fit: CircuitFit, *, area_cm2: float | None = None) -> ArcQuantities:
    """Time constants and capacitances of each arc (``p(R,CPE)``, ``p(R,C)`` or ``Zarc``) of ``fit``."""
    if area_cm2 is not None and not (math.isfinite(area_cm2) and area_cm2 > 0):
        raise ValidationError("area_cm2", f"must be finite and > 0, got {area_cm2!r}")
    values = fit.values
    rows = []

    def walk(node: Node | Leaf) -> None:
        if isinstance(node, Leaf):
            if node.code == "Zarc":
                R, tau, n = (values[f"{node.label}_{s}"] for s in ("R", "tau", "n"))
                rows.append(_arc_row(node.label, f"{node.label}_R", R, tau, n, area_cm2))
            return
        if node.kind == "p" and len(node.children) == 2 and all(isinstance(c, Leaf) for c in node.children):
            codes = {c.code: c for c in node.children if isinstance(c, Leaf)}
            if "R" in codes and ("CPE" in codes or "C" in codes):
                R = values[codes["R"].label]
                if "CPE" in codes:
                    Q, n = values[f"{codes['CPE'].label}_Q"], values[f"{codes['CPE'].label}_n"]
                    tau = (R * Q) ** (1.0 / n)
                else:
                    n, tau = 1.0, R * values[codes["C"].label]
                other = codes.get("CPE") or codes["C"]
                rows.append(_arc_row(f"p({codes['R'].label},{other.label})", codes["R"].label, R, tau, n, area_cm2))
                return
        for child in node.children:
            walk(child)

    walk(fit.model.tree)
    return ArcQuantities(tuple(rows), provenance=fit.provenance)


def _arc_row(name: str, R_parameter: str, R: float, tau: float, n: float, area_cm2: float | None) -> dict[str, Any]:
    return {
        "arc": name,
        "R_parameter": R_parameter,
        "R_ohm": R,
        "tau_s": tau,
        "n": n,
        "C_eff_F": tau / R,
        "f_apex_Hz": 1.0 / (2.0 * math.pi * tau),
        "R_area_ohm_cm2": R * area_cm2 if area_cm2 is not None else None,
    }
