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
of ``ln p``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import FitError, ValidationError
from anodelab.core.result import Quantity
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
    import pandas as pd

WEIGHTINGS = ("modulus", "unit", "proportional", "boukamp")
CHI2_DEFINITION = {
    "unit": "sum over points of Re(Zm-Z)^2 + Im(Zm-Z)^2 (ohm^2)",
    "modulus": "sum over points of |Zm-Z|^2 / |Z|^2",
    "proportional": "sum over points of (Re(Zm-Z)/Re Z)^2 + (Im(Zm-Z)/Im Z)^2",
    "boukamp": "sum over points of |Zm-Z|^2 / |Zm|^2",
}


@dataclass(frozen=True, repr=False)
class CircuitFit:
    """Result of :func:`fit_circuit`."""

    circuit: str
    parameters: dict[str, Quantity]
    chi2: float
    chi2_reduced: float
    weighting: str
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
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        return {name: q.value for name, q in self.parameters.items()}

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "circuit": self.circuit,
            "parameters": {name: q.to_dict() for name, q in self.parameters.items()},
            "chi2": self.chi2,
            "chi2_reduced": self.chi2_reduced,
            "weighting": self.weighting,
            "chi2_definition": CHI2_DEFINITION[self.weighting],
            "stderr_definition": "from the Jacobian, noise scaled by chi2_reduced",
            "n_points": self.n_points,
            "fixed": list(self.fixed),
            "correlation": {
                "names": list(self.parameters),
                "matrix": [[float(v) if np.isfinite(v) else None for v in row] for row in self.correlation],
            },
            "n_starts": self.n_starts,
            "start_chosen": self.start_chosen,
            "success": self.success,
            "max_residual_pct": float(
                max(np.abs(self.residuals_real_pct).max(), np.abs(self.residuals_imag_pct).max())
            ),
            "context": self.context,
        }

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [
                {"parameter": name, "value": q.value, "stderr": q.stderr, "unit": q.unit}
                for name, q in self.parameters.items()
            ]
        )

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={q.value:.4g}" for name, q in list(self.parameters.items())[:6])
        return f"<CircuitFit {self.circuit}: {shown}{', ...' if len(self.parameters) > 6 else ''}; chi2 {self.chi2:.3g}>"


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


def fit_circuit(
    spectrum: Spectrum,
    circuit: str | CircuitModel | mc.Circuit,
    *,
    initial: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    fixed: Mapping[str, float] | None = None,
    weighting: str = "modulus",
    n_starts: int = 8,
    seed: int = 0,
    max_nfev: int | None = None,
) -> CircuitFit:
    """Fit ``circuit`` (a string, :class:`CircuitModel`, or a circuit whose values are the initial guess) to ``spectrum``.

    ``initial``: name -> value (others from the spectrum); ``bounds``: name -> (low, high), > 0;
    ``fixed``: name -> value held constant; ``n_starts``: 1 = only the initial guess; more adds seeded
    Latin-hypercube starts around it (at most that many: see the module docstring). Raises :class:`FitError` when no start converges.
    """
    spectrum = require_spectrum(spectrum, "fit_circuit")
    check_impedance_range(spectrum, "spectrum")
    if weighting not in WEIGHTINGS:
        raise ValidationError("weighting", f"expected one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise ValidationError("n_starts", f"must be a positive integer, got {n_starts!r}")
    model, circuit_values = as_model(circuit)
    initial = _check_names(model, initial, "initial")
    fixed = _check_names(model, fixed, "fixed")
    bounds = _check_names(model, bounds, "bounds")
    frequency, Z = spectrum.frequency_Hz, spectrum.Z_ohm
    names, units = model.names, model.units  # (each a walk of the tree: computed once here)
    free_count = len(names) - len(fixed)
    if free_count < 1:
        raise ValidationError("fixed", "every parameter is fixed; nothing to fit")
    if 2 * len(Z) <= free_count:
        raise FitError(f"{free_count} free parameters cannot be fitted to {len(Z)} points (2 N values)")
    for name, value in {**initial, **fixed}.items():
        if not (math.isfinite(value) and value > 0):
            raise ValidationError(name, f"must be finite and > 0 (fitting is in log space), got {value!r}")
    for name, pair in bounds.items():
        given_low, given_high = (float(v) for v in pair)
        if not (0 < given_low < given_high) or not math.isfinite(given_high):
            raise ValidationError("bounds", f"{name}: need 0 < low < high (fitting is in log space), got {pair!r}")
        bounds[name] = (given_low, given_high)
    # the fit runs on Z / reference, every parameter in units of reference to its unit's power of ohm
    # (a power of two: both scalings are exact, so the fit does not depend on the spectrum's scale)
    reference = math.ldexp(1.0, math.frexp(float(np.abs(Z).max()))[1])
    Z = Z / reference
    to_fit = {name: reference ** -OHM_POWER[unit] for name, unit in zip(names, units, strict=True)}
    initial = {name: float(v) * to_fit[name] for name, v in initial.items()}
    fixed_fit = {name: float(v) * to_fit[name] for name, v in fixed.items()}
    given = {**(circuit_values or {}), **initial, **fixed_fit}
    # the spectrum's own guess is needed only for parameters not given (a warm start gives them all)
    guess = _guess(model, frequency, Z) if n_starts > 1 or any(n not in given for n in names) else {}
    guess.update({name: v * to_fit[name] for name, v in (circuit_values or {}).items()})
    guess.update(initial)
    guess.update(fixed_fit)
    limits = default_bounds(model, float(np.abs(Z).max()))
    limits.update({name: (pair[0] * to_fit[name], pair[1] * to_fit[name]) for name, pair in bounds.items()})
    free = np.array([i for i, name in enumerate(names) if name not in fixed], dtype=np.intp)
    w_re, w_im = _weights(weighting, Z)
    omega = 2.0 * np.pi * frequency
    problem = _Problem(
        model, omega, Z, weighting, free, np.array([guess[n] for n in names]), w_re, w_im, _compile(model, omega),
        names, units,
    )
    names_free = [names[i] for i in free]
    low = np.log([limits[n][0] for n in names_free])
    high = np.log([limits[n][1] for n in names_free])
    x0 = np.clip(np.log([max(guess[n], 1e-300) for n in names_free]), low + 1e-9, high - 1e-9)
    starts = [x0]
    if n_starts > 1:
        spread = _guess(model, frequency, Z, spread=True)
        spread.update(initial)
        spread.update(fixed_fit)
        starts.append(np.clip(np.log([max(spread[n], 1e-300) for n in names_free]), low + 1e-9, high - 1e-9))
    starts += _lhs_starts(x0, names_free, model, low, high, n_starts - len(starts), seed)
    best, tried = _run_starts(problem, starts, low, high, max_nfev)
    return _result(problem, spectrum, reference, best, tried, weighting, tuple(fixed))


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
    problem: _Problem, spectrum: Spectrum, reference: float, best: Any, n_starts: int, weighting: str, fixed: tuple[str, ...]
) -> CircuitFit:
    """The fit in ohm units: ``problem`` is in units of ``reference`` ohm (see :func:`fit_circuit`)."""
    index, result = best
    values = problem.values(result.x) * reference ** np.array([OHM_POWER[unit] for unit in problem.units])
    residual_unit = reference if weighting == "unit" else 1.0  # unit-weighted residuals are in ohm
    residual = problem.residual(result.x) * residual_unit  # (a new array)
    Z_fit = problem.model_impedance(result.x) * reference
    chi2 = float(residual @ residual)
    dof = residual.size - len(result.x)
    chi2_reduced = chi2 / dof if dof > 0 else math.nan
    J = result.jac * residual_unit
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = chi2_reduced * np.linalg.pinv(J.T @ J)
        log_err = np.sqrt(np.clip(np.diag(cov), 0, None))
        correlation = cov / np.outer(log_err, log_err)
    model = problem.model
    P = len(problem.names)
    stderr = np.full(P, math.nan)
    stderr[problem.free] = values[problem.free] * log_err
    full_corr = np.full((P, P), math.nan)
    full_corr[np.ix_(problem.free, problem.free)] = correlation
    if not fixed:
        order = _canonical_order(model, values)
        values, stderr, full_corr = values[order], stderr[order], full_corr[np.ix_(order, order)]
    correlation = full_corr
    parameters = {}
    for i, (name, unit) in enumerate(zip(problem.names, problem.units, strict=True)):
        err = float(stderr[i])
        parameters[name] = Quantity(float(values[i]), err if math.isfinite(err) and name not in fixed else None, unit)
    return CircuitFit(
        circuit=model.string,
        parameters=parameters,
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
    )


# -- series -------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class SeriesFit:
    """Fits of every spectrum of a series (:func:`fit_series`)."""

    fits: tuple[CircuitFit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"circuit": self.fits[0].circuit, "spectra": [fit.to_dict() for fit in self.fits]}

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for index, fit in enumerate(self.fits):
            row: dict[str, Any] = {"spectrum": index, **fit.context, "chi2": fit.chi2}
            for name, q in fit.parameters.items():
                row[name] = q.value
                row[f"{name}_stderr"] = q.stderr
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<SeriesFit {len(self.fits)} spectra, {self.fits[0].circuit}>"


def fit_series(
    series: SpectrumSeries | Sequence[Spectrum],
    circuit: str | CircuitModel | mc.Circuit,
    *,
    n_starts: int = 8,
    restart_factor: float = 3.0,
    **options: Any,
) -> SeriesFit:
    """Fit each spectrum in order, warm-starting from the previous fit.

    The first spectrum gets the full multi-start; each later one starts from its neighbour's
    parameters alone, and gets the multi-start too when its reduced chi-square exceeds
    ``restart_factor`` times the neighbour's (a sudden change the warm start may not follow).
    ``options`` go to :func:`fit_circuit` (``initial`` applies to the first spectrum only).
    """
    spectra = list(require_spectra(series, "fit_series"))
    initial = options.pop("initial", None)
    fits = [fit_circuit(spectra[0], circuit, initial=initial, n_starts=n_starts, **options)]
    model = fits[0].model  # parsed once for the whole series
    for spectrum in spectra[1:]:
        previous = fits[-1]
        warm = {name: v for name, v in previous.values.items() if name not in (options.get("fixed") or {})}
        fit = fit_circuit(spectrum, model, initial=warm, n_starts=1, **options)
        if n_starts > 1 and not fit.chi2_reduced <= restart_factor * previous.chi2_reduced:
            retry = fit_circuit(spectrum, model, initial=warm, n_starts=n_starts, **options)
            fit = retry if retry.chi2 < fit.chi2 else fit
        fits.append(fit)
    return SeriesFit(tuple(fits))


# -- derived quantities -----------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ArcQuantities:
    """Per R||CPE, R||C or ZARC arc of a fit: R, tau, effective capacitance, apex frequency, R x area."""

    rows: tuple[dict[str, Any], ...]
    definition: str = (
        "R||CPE: tau = (R Q)^(1/n), C_eff = tau / R = Q^(1/n) R^((1-n)/n) (Brug/Hsu-Mansfeld for a "
        "parallel R||CPE without series resistance); R||C: tau = R C; f_apex = 1 / (2 pi tau); "
        "R_area_ohm_cm2 = R x area (not halved; see derived.interfacial_asr_ohm_cm2 for symmetric cells)"
    )

    def to_dict(self) -> dict[str, Any]:
        return {"arcs": list(self.rows), "definition": self.definition}

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.rows))

    def __repr__(self) -> str:
        return f"<ArcQuantities {len(self.rows)} arcs>"


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
                rows.append(_arc_row(node.label, R, tau, n, area_cm2))
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
                rows.append(_arc_row(f"p({codes['R'].label},{other.label})", R, tau, n, area_cm2))
                return
        for child in node.children:
            walk(child)

    walk(fit.model.tree)
    return ArcQuantities(tuple(rows))


def _arc_row(name: str, R: float, tau: float, n: float, area_cm2: float | None) -> dict[str, Any]:
    return {
        "arc": name,
        "R_ohm": R,
        "tau_s": tau,
        "n": n,
        "C_eff_F": tau / R,
        "f_apex_Hz": 1.0 / (2.0 * math.pi * tau),
        "R_area_ohm_cm2": R * area_cm2 if area_cm2 is not None else None,
    }
