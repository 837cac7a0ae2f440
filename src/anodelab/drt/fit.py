"""``drt(spectrum)``: Tikhonov-regularised, non-negative DRT on a Gaussian RBF basis.

``Z(w) = R_inf + j w L + 1 / (j w C) + integral gamma(ln tau) / (1 + j w tau) d ln tau`` with ``gamma >= 0``
(ohm per unit ln tau; the series C, on by default, takes the part of a low-frequency tail that does not
close inside the data, which the RBFs cannot hold without ringing; 1/C = 0 when there is none) expanded in
Gaussian RBFs (:mod:`anodelab.drt.kernels`, centres 10 per decade over 1/(2 pi f_max) .. 1/(2 pi f_min)
extended by half a decade on each side); penalty: the integral of the squared first or second derivative of
gamma (default second); rows unweighted, Z normalised by its largest modulus before lambda is chosen and the
problem is solved, so the result does not depend on the unit of Z. Lambda:
:mod:`anodelab.drt.lambda_choice`. Peaks: :mod:`anodelab.drt.peaks`.

Credible band: the Gaussian posterior of the *unconstrained* regularised problem, covariance
``sigma^2 (A'A + lambda R'R)^-1`` with ``sigma^2 = |residual|^2 / (rows - tr H)`` from the final fit,
centred on the (non-negative) solution, the lower bound clipped at 0. It is computed from the cached
decomposition in well under a millisecond. On request (``band="sampled"``) the band is instead the
percentiles of samples of that posterior truncated to non-negative unknowns (:mod:`anodelab.drt.sampling`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError
from anodelab.core.result import Quantity, stamps_call
from anodelab.core.spectrum import (
    Spectrum,
    SpectrumSeries,
    check_impedance_range,
    require_spectrum,
)
from anodelab.drt.deconvolution import Deconvolution, deconvolve, improves, is_tail
from anodelab.drt.kernels import Basis, basis_for, centres_for
from anodelab.drt.lambda_choice import CRITERIA, DEFAULT_GRID, choose_lambda
from anodelab.drt.peaks import (
    DEFAULT_MIN_PROMINENCE,
    DEFAULT_MIN_SIGNIFICANCE,
    Peak,
    assign,
    basin_peaks,
    peak_candidates,
    process_resistances,
    resolve_windows,
)
from anodelab.drt.result import DRTResult, drt_warnings
from anodelab.drt.solve import FITS, SERIES_ELEMENTS, Problem, problem_for, solve_nnls

OUTPUT_POINTS_PER_DECADE = 50
MAX_WEAK_TRIED = 2  # weak maxima offered to the deconvolution, most significant first
BANDS = {
    "gaussian": "Gaussian posterior of the unconstrained problem, lower clipped at 0",
    "sampled": "percentiles of the posterior truncated to non-negative unknowns (exact HMC samples)",
}
Fit = Literal["combined", "real", "imag"]
Criterion = Literal["gcv", "mgcv", "lcurve", "rescv", "evidence"]
Band = Literal["gaussian", "sampled"]


@dataclass(frozen=True)
class DRTOptions:
    """Options of :func:`drt` and :func:`~anodelab.drt.drt_series`, with their defaults.

    ``basis`` "gaussian" RBFs, ``shape_factor`` their FWHM as a fraction of the centre spacing (DRTtools'
    coefficient), ``rbf_per_decade`` centres per decade of tau over 1/(2 pi f_max)..1/(2 pi f_min) extended
    by ``extend_decades``; ``fit`` "combined", "real" or "imag" rows; ``criterion`` how an automatic
    lambda is chosen (gcv, mgcv, lcurve, rescv, evidence); ``resistance``, ``inductance``, ``capacitance``:
    fit a series R_inf, L, C (with ``resistance=False`` the model has no R_inf, e.g. for a spectrum whose
    high-frequency intercept was subtracted); ``nonnegative`` gamma >= 0 (False: signed, for inductive
    loops); ``deconvolve`` per-peak R from a ZARC fit of the impedance (else the basin integrals);
    ``derivative_order`` of the penalty (1 or 2); ``credible`` e.g. 0.95 for a 95 % band, ``band``
    "gaussian" (closed form, sub-millisecond) or "sampled" (``samples`` draws of the posterior truncated
    to non-negative unknowns, exact HMC seeded by ``seed``: seconds); ``min_prominence`` (fraction of the
    largest gamma) and ``min_significance`` (posterior sd) of a peak (see :mod:`anodelab.drt.peaks`).
    """

    basis: Literal["gaussian"] = "gaussian"
    shape_factor: float = 0.5
    fit: Fit = "combined"
    criterion: Criterion = "mgcv"
    resistance: bool = True
    inductance: bool = True
    capacitance: bool = True
    nonnegative: bool = True
    deconvolve: bool = True
    derivative_order: int = 2
    rbf_per_decade: float = 10.0
    extend_decades: float = 0.5
    credible: float | None = None
    band: Band = "gaussian"
    samples: int = 1000
    seed: int | None = 0
    min_prominence: float = DEFAULT_MIN_PROMINENCE
    min_significance: float = DEFAULT_MIN_SIGNIFICANCE

    def check(self) -> None:
        if self.basis != "gaussian":
            raise ValidationError("basis", f"only 'gaussian' is implemented, got {self.basis!r}")
        if self.fit not in FITS:
            raise ValidationError("fit", f"expected one of {', '.join(FITS)}, got {self.fit!r}")
        if self.criterion not in CRITERIA:
            raise ValidationError("criterion", f"expected one of {', '.join(CRITERIA)}, got {self.criterion!r}")
        if self.derivative_order not in (1, 2):
            raise ValidationError("derivative_order", f"expected 1 or 2, got {self.derivative_order!r}")
        for name in ("resistance", "inductance", "capacitance", "nonnegative", "deconvolve"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValidationError(name, f"must be True or False, got {getattr(self, name)!r}")
        for name in ("shape_factor", "rbf_per_decade"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValidationError(name, f"must be a finite number > 0, got {value!r}")
        if not isinstance(self.extend_decades, (int, float)) or not 0 <= self.extend_decades <= 3:
            raise ValidationError("extend_decades", f"must be in 0..3, got {self.extend_decades!r}")
        credible = self.credible
        if credible is not None and (isinstance(credible, bool) or not isinstance(credible, (int, float))
                                     or not 0.0 < credible < 1.0):
            raise ValidationError("credible", f"must be a probability in (0, 1), got {self.credible!r}")
        if self.band not in BANDS:
            raise ValidationError("band", f"expected one of {', '.join(BANDS)}, got {self.band!r}")
        if isinstance(self.samples, bool) or not isinstance(self.samples, int) or self.samples < 10:
            raise ValidationError("samples", f"must be an integer >= 10, got {self.samples!r}")
        if isinstance(self.min_significance, bool) or not isinstance(self.min_significance, (int, float)) or not (
            self.min_significance >= 0.0
        ):
            raise ValidationError("min_significance", f"must be >= 0, got {self.min_significance!r}")
        if not 0.0 < self.min_prominence < 1.0:
            raise ValidationError("min_prominence", f"must be in (0, 1), got {self.min_prominence!r}")

    @classmethod
    def of(cls, **options: Any) -> DRTOptions:
        """Validated options from keyword arguments; an unknown name is an error that lists the known ones."""
        known = {f.name for f in fields(cls)}
        for name in options:
            if name not in known:
                raise ValidationError(name, f"is not a DRT option; the options are {', '.join(sorted(known))}")
        settings = cls(**options)
        settings.check()
        return settings

    @property
    def series(self) -> tuple[str, ...]:
        """The series elements fitted beside the DRT (see :data:`anodelab.drt.solve.SERIES_ELEMENTS`)."""
        flags = (self.resistance, self.inductance, self.capacitance)
        return tuple(name for name, on in zip(SERIES_ELEMENTS, flags, strict=True) if on)

    def to_dict(self) -> dict[str, Any]:
        """Every option by the name :meth:`of` takes (defaults included): what a result's ``parameters`` hold."""
        return asdict(self)

    def describe(self) -> dict[str, Any]:
        """How the DRT is computed, in words and numbers (a result's ``settings``)."""
        return {
            "basis": self.basis,
            "shape_factor": self.shape_factor,
            "fit": self.fit,
            "series_resistance": self.resistance,
            "inductance": self.inductance,
            "series_capacitance": self.capacitance,
            "deconvolve": self.deconvolve,
            "nonnegative": self.nonnegative,
            "derivative_order": self.derivative_order,
            "rbf_per_decade": self.rbf_per_decade,
            "extend_decades": self.extend_decades,
            "weighting": "none (Z normalised by max |Z|)",
            "min_prominence_of_max_gamma": self.min_prominence,
            "min_prominence_in_posterior_sd": self.min_significance,
            "credible_band": BANDS[self.band if self.nonnegative else "gaussian"],
            **({"samples": self.samples, "seed": self.seed} if self.band == "sampled" and self.nonnegative else {}),
        }


INDUCTIVE_SHARE_LIMIT = 0.8


def check_spectrum(spectrum: Spectrum, field: str) -> None:
    """Refuse what a DRT cannot use: fewer than 5 frequencies, |Z| out of range (check_impedance_range),
    or an imaginary part positive almost everywhere (the sign convention flipped: a DRT of it would be
    silently wrong)."""
    if len(spectrum) < 5:
        raise ValidationError(field, f"a DRT needs at least 5 frequencies, got {len(spectrum)}")
    check_impedance_range(spectrum, field)
    share = float(np.mean(spectrum.Z_ohm.imag > 0))
    if share > INDUCTIVE_SHARE_LIMIT:
        raise ValidationError(
            field,
            f"Im Z > 0 at {share:.0%} of the frequencies; the convention here is Im Z < 0 for capacitive arcs "
            "(Z = Z' + j Z''): if the data hold -Z'', negate the imaginary part",
        )


def _check_lambda(lambda_: Any) -> float | None:
    if isinstance(lambda_, str):
        if lambda_ == "auto":
            return None
        try:
            lambda_ = float(lambda_)
        except ValueError:
            raise ValidationError("lambda_", f"expected 'auto' or a number > 0, got {lambda_!r}") from None
    if isinstance(lambda_, bool) or not isinstance(lambda_, (int, float)) or not math.isfinite(lambda_) or lambda_ <= 0:
        raise ValidationError("lambda_", f"expected 'auto' or a number > 0, got {lambda_!r}")
    return float(lambda_)


@functools.lru_cache(maxsize=32)
def _output_grid(basis: Basis) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    c = basis.centres_ln_tau
    decades = (c[-1] - c[0]) / math.log(10.0)
    ln_tau = np.linspace(c[0], c[-1], round(decades * OUTPUT_POINTS_PER_DECADE) + 1)
    phi = basis.evaluate(ln_tau)
    ln_tau.flags.writeable = False
    phi.flags.writeable = False
    return ln_tau, phi


def _basis(frequency_Hz: NDArray[np.float64], settings: DRTOptions) -> Basis:
    centres = centres_for(frequency_Hz, settings.rbf_per_decade, settings.extend_decades)
    return basis_for(frequency_Hz, centres, settings.shape_factor, settings.derivative_order)


def _series_elements(
    problem: Problem,
    p: NDArray[np.float64],
    covariance: NDArray[np.float64],
    Z: NDArray[np.complex128],
    Z_drt: NDArray[np.complex128],
    scale: float,
    resistance: bool,
) -> tuple[Quantity, Quantity | None, Quantity | None, NDArray[np.complex128]]:
    """R_inf, L, series C (ohm, H, F; None where not fitted) and the fitted impedance (ohm).

    A negative C (only possible with ``nonnegative=False``) is reported as it is, and kept in Z_fit."""
    omega = problem.basis.omega_rad_s
    k = problem.n_nuisance
    if problem.has_R_inf:
        R_inf = Quantity(float(p[0] * scale), float(np.sqrt(covariance[0, 0]) * scale), "ohm")
    elif problem.fit != "imag" or not resistance:  # not fitted: the model has none
        R_inf = Quantity(0.0, 0.0, "ohm")
    else:  # imaginary-only fit: R_inf from the real part the DRT leaves (noise + the DRT's own uncertainty)
        leftover = Z.real - Z_drt.real
        a = problem.basis.A_re.mean(axis=0)
        variance = np.var(leftover) / leftover.size + float(a @ covariance[k:, k:] @ a) * scale**2
        R_inf = Quantity(float(np.mean(leftover)), math.sqrt(max(float(variance), 0.0)), "ohm")
    L = C = None
    Z_fit = Z_drt + R_inf.value
    i = int(problem.has_R_inf)
    if problem.has_L:
        factor = scale / omega.max()
        L = Quantity(float(p[i] * factor), float(np.sqrt(covariance[i, i]) * factor), "H")
        Z_fit = Z_fit + 1j * omega * L.value
        i += 1
    if problem.has_C and p[i] != 0:  # p[i] = 1 / (w_min C s); 0 means no series capacitance
        value = 1.0 / (omega.min() * scale * p[i])
        C = Quantity(float(value), float(abs(value) * np.sqrt(covariance[i, i]) / abs(p[i])), "F")
        Z_fit = Z_fit - 1j / (omega * value)
    return R_inf, L, C, Z_fit


def _deconvolution_series(
    settings: DRTOptions,
    omega_rad_s: NDArray[np.float64],
    residual_ohm: NDArray[np.complex128],
    R_inf: Quantity,
    L: Quantity | None,
    C: Quantity | None,
) -> dict[str, float]:
    """The series elements the deconvolution carries and their starts (``R0`` ohm, ``L0`` H, ``C0`` F).

    It fits both parts of Z: R_inf when the model has one, L and C where the DRT found them > 0. A DRT of one
    part does not see the other's: an imaginary-only DRT's R_inf starts from the real part it leaves, and a
    real-only DRT's L and C from the imaginary part it leaves at the highest and lowest frequency, where that
    has the element's sign (``residual_ohm``: data - DRT model)."""
    series = {}
    if settings.resistance or settings.fit == "imag":
        series["R0"] = R_inf.value if settings.resistance else float(np.mean(residual_ohm.real))
    series |= {name: q.value for name, q in (("L0", L), ("C0", C)) if q is not None and q.value > 0}
    if settings.fit == "real":
        high, low = float(residual_ohm.imag[0]), float(residual_ohm.imag[-1])  # sorted high to low frequency
        if settings.inductance and high > 0:
            series["L0"] = high / float(omega_rad_s[0])
        if settings.capacitance and low < 0:
            series["C0"] = -1.0 / (float(omega_rad_s[-1]) * low)
    return series


#: the peaks' basin indices, the peaks, their R as rows of weights on the RBF weights, and their deconvolution
#: (None when there is none)
_PeakModel = tuple[NDArray[np.intp], tuple[Peak, ...], NDArray[np.float64], Deconvolution | None]


def _peaks(
    basis: Basis,
    settings: DRTOptions,
    spectrum: Spectrum,
    x: NDArray[np.float64],
    cov_x: NDArray[np.float64],
    scale: float,
    ln_tau: NDArray[np.float64],
    gamma: NDArray[np.float64],
    measured: NDArray[np.bool_],
    windows: Mapping[str, tuple[float, float]] | None,
    series: Mapping[str, float],
    drt_residual_ohm: NDArray[np.complex128],
) -> tuple[tuple[Peak, ...], NDArray[np.float64], str]:
    """Peaks, the covariance of their R (ohm^2) and how R was found ("zarc-deconvolution" or "basin").

    ``x``: the normalised RBF weights, ``cov_x`` their covariance; ``series``: the DRT's series elements the
    deconvolution starts from (:func:`anodelab.drt.deconvolution.deconvolve`)."""
    strong, weak = peak_candidates(
        basis, ln_tau, gamma, cov_x, scale, settings.min_prominence, settings.min_significance, measured
    )

    def attempt(indices: NDArray[np.intp]) -> _PeakModel:
        peaks, W = basin_peaks(basis, ln_tau, gamma, x, cov_x, scale, indices, windows)
        if not (settings.deconvolve and peaks):
            return indices, peaks, W, None
        found = deconvolve(spectrum, settings.fit, series, np.array([peak.tau_s for peak in peaks]),
                           np.array([peak.R.value for peak in peaks]), drt_residual_ohm)
        return indices, peaks, W, found

    if strong.size == 0 and not settings.deconvolve:  # nothing passes the significance rule and nothing can
        strong, weak = weak, weak[:0]  # test the weak maxima: the prominent ones are reported as they are
    model = _with_weak_maxima(attempt, attempt(np.sort(strong)), weak[:MAX_WEAK_TRIED])
    _, peaks, W, found = _without_loose_zarcs(attempt, model)
    if peaks and is_tail(peaks[-1].tau_s, float(basis.omega_rad_s.min())):
        peaks = (*peaks[:-1], replace(peaks[-1], tail=True))
    R_covariance = (W @ cov_x @ W.T) * scale**2
    if found is None or not found.accepted:
        return peaks, R_covariance, "basin"
    peaks, R_covariance = _deconvolved(peaks, R_covariance, found, windows)
    return peaks, R_covariance, "zarc-deconvolution"


def _with_weak_maxima(
    attempt: Callable[[NDArray[np.intp]], _PeakModel], model: _PeakModel, weak: NDArray[np.intp]
) -> _PeakModel:
    """``model`` with the ``weak`` maxima (most significant first) offered while its deconvolution is worth extending:
    a richer model is taken when it is the first the data accept, or fits significantly better."""
    for candidate in weak:
        indices, _, _, found = model
        if found is None or not found.worth_extending:
            break
        trial = attempt(np.sort(np.append(indices, candidate)))
        trial_found = trial[3]
        if trial_found is not None and trial_found.accepted and (not found.accepted or improves(found, trial_found)):
            model = trial
    return model


def _without_loose_zarcs(attempt: Callable[[NDArray[np.intp]], _PeakModel], model: _PeakModel) -> _PeakModel:
    """``model`` without the ZARCs the data do not determine: one leaves, its peak with it, when the model without
    it is accepted and the ZARC's drop in the residual is no more than noise would give (the F-test of
    :func:`_with_weak_maxima`, the other way)."""
    indices, _, _, found = model
    while found is not None and found.accepted and found.loosest is not None:
        trial = attempt(np.delete(indices, found.loosest))
        trial_found = trial[3]
        if trial_found is None or not trial_found.accepted or improves(trial_found, found):
            break
        model = trial
        indices, _, _, found = model
    return model


def _deconvolved(
    peaks: tuple[Peak, ...],
    R_covariance: NDArray[np.float64],
    found: Deconvolution,
    windows: Mapping[str, tuple[float, float]] | None,
) -> tuple[tuple[Peak, ...], NDArray[np.float64]]:
    """The peaks with the ZARC fit's tau, n and R (and its R covariance, ohm^2, written into ``R_covariance``);
    a tail peak (beyond 1/w_min) keeps its basin R, uncorrelated with the rest."""
    K = found.R_ohm.size
    R_covariance[:K, :] = R_covariance[:, :K] = 0.0
    R_covariance[:K, :K] = found.R_covariance_ohm2
    deconvolved = tuple(
        replace(peak, tau_s=float(tau), process=assign(float(tau), windows), n=float(n),
                R=Quantity(float(value), _root(R_covariance[i, i]), "ohm"))
        for i, (peak, value, tau, n) in enumerate(zip(peaks, found.R_ohm, found.tau_s, found.n, strict=False))
    )
    return deconvolved + peaks[K:], R_covariance


def _root(variance: float) -> float | None:
    """The standard error of a variance that may be NaN (the engine gave none)."""
    return math.sqrt(max(float(variance), 0.0)) if math.isfinite(variance) else None


def _band(
    problem: Problem,
    settings: DRTOptions,
    credible: float,
    b: NDArray[np.float64],
    lam: float,
    p: NDArray[np.float64],
    covariance: NDArray[np.float64],
    phi: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper ``credible`` bounds of the normalised gamma on the output grid (see the module doc)."""
    k = problem.n_nuisance
    if settings.band == "sampled" and settings.nonnegative:
        from anodelab.drt.sampling import truncated_gaussian_samples

        rng = np.random.default_rng(settings.seed)  # per spectrum: its band does not depend on its neighbours
        draws = truncated_gaussian_samples(problem.unconstrained(b, lam), covariance, p, settings.samples, rng)
        curves = phi @ draws[:, k:].T
        tail = 50.0 * (1.0 - credible)
        return np.percentile(curves, tail, axis=1), np.percentile(curves, 100.0 - tail, axis=1)
    from scipy.stats import norm

    z_value = float(norm.ppf(0.5 + credible / 2.0))
    gamma = phi @ p[k:]
    sd = np.sqrt(np.maximum(np.sum((phi @ covariance[k:, k:]) * phi, axis=1), 0.0))
    lower = gamma - z_value * sd
    return (np.maximum(lower, 0.0) if settings.nonnegative else lower), gamma + z_value * sd


@dataclass(frozen=True)
class LambdaPlan:
    """The lambda of each spectrum of a group, whether it sits on the edge of the search grid, and how it
    was found (a criterion name, "shared <criterion>" or "fixed")."""

    values: NDArray[np.float64]
    at_edge: NDArray[np.bool_]
    criterion: str

    def shared(self, value: float) -> LambdaPlan:
        """One lambda for all (e.g. the geometric mean over a series); at the edge only if it is on it."""
        grid = DEFAULT_GRID
        edge = bool(value <= grid[0] * (1 + 1e-9) or value >= grid[-1] * (1 - 1e-9))
        values, at_edge = np.full_like(self.values, value), np.full_like(self.at_edge, edge)
        return LambdaPlan(values, at_edge, f"shared {self.criterion}")


def _normalised(Z: NDArray[np.complex128]) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    scale = np.max(np.abs(Z), axis=0)
    if np.any(scale <= 0):
        raise ValidationError("Z_ohm", "a spectrum is identically zero")
    return Z / scale, scale


def plan_lambdas(
    frequency_Hz: NDArray[np.float64], Z: NDArray[np.complex128], settings: DRTOptions, lambda_: float | None
) -> LambdaPlan:
    """Lambda for each column of ``Z`` (N, S) on ``frequency_Hz``: ``lambda_`` itself, or chosen by the
    settings' criterion for each spectrum."""
    if lambda_ is not None:
        return LambdaPlan(np.full(Z.shape[1], lambda_), np.zeros(Z.shape[1], dtype=bool), "fixed")
    basis = _basis(frequency_Hz, settings)
    choice = choose_lambda(basis, settings.fit, settings.series, _normalised(Z)[0], settings.criterion)
    return LambdaPlan(choice.lambdas, choice.at_edge, settings.criterion)


def _measured_range(tau: NDArray[np.float64], frequency_Hz: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which ``tau`` lie inside the measured range 1/(2 pi f_max)..1/(2 pi f_min) (within a relative 1e-9)."""
    inside: NDArray[np.bool_] = (tau >= 1.0 / (2.0 * np.pi * frequency_Hz.max()) * (1 - 1e-9)) & (
        tau <= 1.0 / (2.0 * np.pi * frequency_Hz.min()) * (1 + 1e-9)
    )
    return inside


def _posterior(
    problem: Problem, b: NDArray[np.float64], lam: float, nonnegative: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The solution at ``lam`` for the rows ``b`` (non-negative or not) and its covariance, the noise
    ``sigma^2 = |residual|^2 / (rows - tr H)`` estimated from the fit (module docstring)."""
    p = solve_nnls(problem, b, lam) if nonnegative else problem.unconstrained(b, lam)
    residual_rows = b - problem.A @ p
    d = problem.nu + lam * (1.0 - problem.nu)
    dof = max(b.shape[0] - float(np.sum(problem.nu / d)), 1.0)
    return p, float(residual_rows @ residual_rows) / dof * problem.covariance(lam)


def _distribution(
    problem: Problem,
    settings: DRTOptions,
    b: NDArray[np.float64],
    lam: float,
    p: NDArray[np.float64],
    covariance: NDArray[np.float64],
    phi: NDArray[np.float64],
    areas: NDArray[np.float64],
    scale: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64] | None, Quantity]:
    """gamma on the output grid (ohm: the normalised gamma times ``scale``), its lower and upper credible bounds
    (None without ``settings.credible``), and R_pol, its integral (``areas``: of each RBF), with a standard error."""
    k = problem.n_nuisance
    x = p[k:]
    gamma = phi @ x * scale
    R_pol = Quantity(
        float(areas @ x * scale), float(np.sqrt(max(float(areas @ covariance[k:, k:] @ areas), 0.0)) * scale), "ohm"
    )
    if settings.credible is None:
        return gamma, None, None, R_pol
    lower, upper = (bound * scale for bound in _band(problem, settings, settings.credible, b, lam, p, covariance, phi))
    return gamma, lower, upper, R_pol


def solve_group(
    frequency_Hz: NDArray[np.float64],
    Z: NDArray[np.complex128],
    settings: DRTOptions,
    plan: LambdaPlan,
    windows: Mapping[str, tuple[float, float]] | None,
    parameters: Mapping[str, Any],
) -> list[DRTResult]:
    """DRTs of the columns of ``Z`` (N, S), all on ``frequency_Hz`` (sorted high to low), at the lambdas of
    ``plan``; ``parameters``: the options of the call, every result's ``parameters``."""
    basis = _basis(frequency_Hz, settings)
    problem = problem_for(basis, settings.fit, settings.series)
    Zn, scale = _normalised(Z)
    ln_tau, phi = _output_grid(basis)
    tau = np.exp(ln_tau)
    B = problem.rhs(Zn)
    k = problem.n_nuisance
    fitted_series = [name for name, on in zip(SERIES_ELEMENTS, (problem.has_R_inf, problem.has_L, problem.has_C),
                                              strict=True) if on]
    measured = _measured_range(tau, frequency_Hz)
    results = []
    for s in range(Z.shape[1]):
        lam, b = float(plan.values[s]), B[:, s]
        p, covariance = _posterior(problem, b, lam, settings.nonnegative)
        x, cov_x = p[k:], covariance[k:, k:]
        gamma, lower, upper, R_pol = _distribution(problem, settings, b, lam, p, covariance, phi, basis.areas, scale[s])
        Z_drt = (basis.A_re @ x + 1j * (basis.A_im @ x)) * scale[s]
        R_inf, L, C, Z_fit = _series_elements(problem, p, covariance, Z[:, s], Z_drt, float(scale[s]), settings.resistance)
        residual = Z[:, s] - Z_fit
        peaks, R_covariance, method = _peaks(
            basis, settings, Spectrum.from_arrays(frequency_Hz, Z[:, s]), x, cov_x, float(scale[s]), ln_tau, gamma,
            measured, windows, _deconvolution_series(settings, basis.omega_rad_s, residual, R_inf, L, C), residual,
        )
        result = DRTResult(
            parameters=parameters,
            tau_s=tau,
            gamma_ohm=gamma,
            gamma_lower_ohm=lower,
            gamma_upper_ohm=upper,
            credible=settings.credible,
            R_inf=R_inf,
            L=L,
            C=C,
            R_pol=R_pol,
            lambda_=lam,
            lambda_at_edge=bool(plan.at_edge[s]),
            criterion=plan.criterion,
            frequency_Hz=frequency_Hz,
            Z_fit_ohm=Z_fit,
            residuals_ohm=residual,
            peaks=peaks,
            peak_R_method=method,
            windows=windows,
            process_R=process_resistances(peaks, windows, R_covariance),
            settings={**settings.describe(), "scale_ohm": float(scale[s]), "fitted_series": fitted_series},
        )
        results.append(replace(result, warnings=drt_warnings(result)))
    return results


@stamps_call
def drt(
    spectrum: Spectrum | SpectrumSeries,
    *,
    lambda_: str | float = "auto",
    windows: str | Mapping[str, Sequence[float]] | None = None,
    **options: Any,
) -> DRTResult:
    """DRT of one spectrum (a one-spectrum :class:`SpectrumSeries` is accepted).

    ``lambda_``: "auto" (chosen by the ``criterion`` option) or a value (for Z normalised by its largest
    modulus, so a value means the same for any unit of Z). ``windows``: tau windows naming the peaks'
    processes, a preset (``si_zno``, ``si_c_pulse``), JSON text or ``{name: (low_s, high_s)}``. ``options``:
    any of :class:`DRTOptions` (e.g. ``criterion="evidence"``, ``credible=0.95``, ``capacitance=False``).
    """
    if isinstance(spectrum, SpectrumSeries):
        if len(spectrum) != 1:
            raise ValidationError("spectrum", f"holds {len(spectrum)} spectra; use drt_series")
        spectrum = spectrum[0]
    spectrum = require_spectrum(spectrum, "drt")
    settings = DRTOptions.of(**options)
    check_spectrum(spectrum, "spectrum")
    value = _check_lambda(lambda_)
    resolved = resolve_windows(windows)
    Z = spectrum.Z_ohm[:, None]
    parameters = {"lambda_": lambda_, "windows": windows, **settings.to_dict()}
    return solve_group(spectrum.frequency_Hz, Z, settings, plan_lambdas(spectrum.frequency_Hz, Z, settings, value),
                       resolved, parameters)[0]
