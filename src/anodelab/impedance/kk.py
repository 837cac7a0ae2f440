"""Linear Kramers-Kronig test (Boukamp 1995; Schönleber et al. 2014, "lin-KK").

The spectrum is fitted, by weighted *linear* least squares, with a KK-compliant model
``Z = R_0 + sum_k R_k / (1 + j w tau_k) [+ j w L] [+ 1 / (j w C)]`` whose ``M`` time constants
``tau_k`` are log-spaced from ``1 / w_max`` to ``1 / w_min``; residuals are weighted by ``1 / |Z|``
(real and imaginary parts together). ``M`` is chosen automatically, by Schönleber's mu criterion
with a convergence guard: starting from one element per decade of frequency, ``M`` is the smallest
for which ``mu = 1 - sum |R_k < 0| / sum |R_k >= 0|`` is below ``c`` (default 0.85, Schönleber's value;
the sign that the fit starts to follow noise) *and* the fit has converged: its pseudo chi-square is
within ``PLATEAU_FACTOR`` (1.5) of the smallest one of the next ``PLATEAU_WINDOW`` (3) M. An
under-fitted M also makes negative R_k (they compensate the misfit), so mu alone can stop too early
(Yrjänä & Bobacka 2024, pyimpspec, likewise bound M from below by where the pseudo chi-square stops
falling steeply). The guard looks at the next few M only, not at the best fit of all M: for drifting
data the chi-square keeps falling slowly with M, and a global comparison would let M grow until the
drift is fitted. When no M qualifies, ``M_max`` (about N / 2) is used. The series capacitance is
included by default so that KK-compliant low-frequency tails (Warburg, blocking electrodes) are
represented; the inductance likewise for cable inductance. The time constants span the measured range
only: extending it (pyimpspec's ``F_ext``) would let the fit absorb drift at the low frequencies. The
price: a CPE tail that goes on below ``f_min`` (blocking electrodes, n ~ 0.85) leaves a systematic
residual of up to ~0.9 % at the lowest frequency.

Per-point residuals are ``100 (Z' - Z'_fit) / |Z|`` and ``100 (Z'' - Z''_fit) / |Z|`` (percent).
The spectrum **passes** when every residual of the points used lies within ``threshold_pct``
(default 1 %); choose a threshold above the noise level of the instrument. Points can be left out of the
fit (``exclude``, or ``exclude_inductive`` for ``Im Z > 0``); they still get residuals, reported apart.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.errors import FitError, ValidationError
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.core.spectrum import (
    Spectrum,
    SpectrumSeries,
    check_impedance_range,
    require_spectra,
    require_spectrum,
)

#: the tau range spans 1 / (TAU_EXTENSION w_max) .. TAU_EXTENSION / w_min
TAU_EXTENSION = 1.0
#: an M counts as converged when its pseudo chi-square is at most PLATEAU_FACTOR times the smallest of
#: the next PLATEAU_WINDOW M
PLATEAU_FACTOR = 1.5
PLATEAU_WINDOW = 3

_Fit = tuple[NDArray[np.float64], NDArray[np.complex128], float, float]  # coefficients, columns, mu, pseudo chi2


KK_DEFINITION = (
    "lin-KK (Schönleber 2014): RC elements with tau log-spaced over 1/w_max..1/w_min, weights 1/|Z|; "
    f"n_rc: smallest M with mu < mu_threshold whose pseudo chi-square is within {PLATEAU_FACTOR:g}x of the smallest "
    f"of the next {PLATEAU_WINDOW} M; "
    "residuals 100 (Z - Z_fit)/|Z| per part; "
    "passed: every residual of the points used within threshold_pct"
)


@dataclass(frozen=True, repr=False)
class KKResult(Result):
    """Result of :func:`kramers_kronig_test`; a spectrum that fails carries a warning."""

    kind: ClassVar[str] = "kk"
    version: ClassVar[int] = 2  # 2: the number of RC chosen by mu and a converged pseudo chi-square (was mu alone)
    passed: bool
    n_rc: int
    mu: float
    mu_threshold: float
    threshold_pct: float
    frequency_Hz: NDArray[np.float64]
    residuals_real_pct: NDArray[np.float64]
    residuals_imag_pct: NDArray[np.float64]
    used: NDArray[np.bool_]
    Z_fit_ohm: NDArray[np.complex128]
    R0_ohm: float
    L_H: float | None
    C_F: float | None
    pseudo_chi2: float

    @property
    def max_residual_pct(self) -> float:
        """Largest |residual| over the points used, percent of |Z|."""
        return _max_residual_pct(self.residuals_real_pct, self.residuals_imag_pct, self.used)

    def metrics(self) -> tuple[Metric, ...]:
        return _kk_metrics(self)

    def content(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "n_rc": self.n_rc,
            "max_residual_pct": self.max_residual_pct,
            "threshold_pct": self.threshold_pct,
            "mu": self.mu,
            "mu_threshold": self.mu_threshold,
            "pseudo_chi2": self.pseudo_chi2,
            "n_points": int(self.frequency_Hz.size),
            "n_excluded": int((~self.used).sum()),
            "R0_ohm": self.R0_ohm,
            "L_H": self.L_H,
            "C_F": self.C_F,
            "definition": KK_DEFINITION,
        }

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"kk": _kk_table(self)}

    def headline(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (f"KK {verdict}: {self.n_rc} RC, max residual {self.max_residual_pct:.3g} % "
                f"(threshold {self.threshold_pct:g} %)")


def _max_residual_pct(real: NDArray[np.float64], imag: NDArray[np.float64], used: NDArray[np.bool_]) -> float:
    return float(max(np.abs(real[used]).max(), np.abs(imag[used]).max()))


def _kk_metrics(result: KKResult, **where: Any) -> tuple[Metric, ...]:
    return (
        Metric("kk_passed", float(result.passed), "", definition=f"1 when every residual of the points used is "
               f"within {result.threshold_pct:g} % of |Z| (lin-KK), else 0", **where),
        Metric("kk_max_residual", result.max_residual_pct, "%",
               definition="largest |100 (Z - Z_KK) / |Z|| of the real or imaginary part over the points used", **where),
        Metric("kk_n_rc", float(result.n_rc), "", definition="number of RC elements of the lin-KK fit (mu criterion, "
               "converged fits only)", **where),
    )


def _kk_table(result: KKResult) -> dict[str, NDArray[Any]]:
    return {
        "frequency_Hz": result.frequency_Hz,
        "residual_real_pct": result.residuals_real_pct,
        "residual_imag_pct": result.residuals_imag_pct,
        "used": result.used,
        "Z_kk_real_ohm": result.Z_fit_ohm.real,
        "Z_kk_imag_ohm": result.Z_fit_ohm.imag,
    }


@stamps_call
def kramers_kronig_test(
    spectrum: Spectrum,
    *,
    mu_threshold: float = 0.85,
    threshold_pct: float = 1.0,
    inductance: bool = True,
    capacitance: bool = True,
    n_rc: int | None = None,
    max_rc: int | None = None,
    exclude: ArrayLike | None = None,
    exclude_inductive: bool = False,
) -> KKResult:
    """Linear KK test of ``spectrum`` (see the module docstring). ``n_rc`` fixes M instead of choosing it."""
    spectrum = require_spectrum(spectrum, "kramers_kronig_test")
    check_impedance_range(spectrum, "spectrum")
    if not (0 < mu_threshold < 1):
        raise ValidationError("mu_threshold", f"must be between 0 and 1, got {mu_threshold!r}")
    if not (math.isfinite(threshold_pct) and threshold_pct > 0):
        raise ValidationError("threshold_pct", f"must be > 0, got {threshold_pct!r}")
    frequency, Z = spectrum.frequency_Hz, spectrum.Z_ohm
    used = _used_points(Z, exclude, exclude_inductive)
    extra = 1 + int(inductance) + int(capacitance)
    N = int(used.sum())
    limit = max_rc if max_rc is not None else max(1, min(N - extra - 1, N // 2 + 1))
    if N < extra + 2 or limit < 1:
        raise FitError(f"{N} points are too few for a KK test")
    omega = 2.0 * np.pi * frequency
    weight = 1.0 / np.abs(Z)
    # each M is fitted once
    fit = functools.cache(functools.partial(_fit, omega, Z, weight, used, inductance=inductance, capacitance=capacitance))
    M = _number_of_rc(fit, frequency[used], n_rc, N - extra, limit, mu_threshold)
    coef, columns, mu, pseudo = fit(M)
    Z_fit = columns @ coef
    residual_re = 100.0 * (Z.real - Z_fit.real) * weight
    residual_im = 100.0 * (Z.imag - Z_fit.imag) * weight
    L = float(coef[1 + M]) if inductance else None
    C = float(1.0 / coef[-1]) if capacitance and coef[-1] != 0 else None
    largest = _max_residual_pct(residual_re, residual_im, used)
    passed = bool(largest <= threshold_pct)
    failed = (f"the spectrum fails the Kramers-Kronig test: a residual of {largest:.3g} % exceeds {threshold_pct:g} % "
              "(drift, non-linearity or an instrument artefact; fits to it may mislead)")
    return KKResult(
        passed=passed,
        n_rc=M,
        mu=float(mu),
        mu_threshold=mu_threshold,
        threshold_pct=threshold_pct,
        frequency_Hz=frequency,
        residuals_real_pct=residual_re,
        residuals_imag_pct=residual_im,
        used=used,
        Z_fit_ohm=Z_fit,
        R0_ohm=float(coef[0]),
        L_H=L,
        C_F=C,
        pseudo_chi2=pseudo,
        provenance=spectrum.provenance,
        warnings=() if passed else (failed,),
    )


def _used_points(Z: NDArray[np.complex128], exclude: ArrayLike | None, exclude_inductive: bool) -> NDArray[np.bool_]:
    """The points the fit uses: those ``exclude`` does not mark, less the inductive ones (``Im Z > 0``) with
    ``exclude_inductive``."""
    used = np.ones(Z.size, dtype=bool)
    if exclude is not None:
        mask = np.asarray(exclude, dtype=bool)
        if mask.shape != used.shape:
            raise ValidationError("exclude", f"needs one boolean per point ({used.size}), got shape {mask.shape}")
        used &= ~mask
    if exclude_inductive:
        used &= Z.imag <= 0
    return used


def _number_of_rc(
    fit: Callable[[int], _Fit], frequency_used: NDArray[np.float64], n_rc: int | None, most: int, limit: int,
    mu_threshold: float,
) -> int:
    """``n_rc`` when given (an integer in 1..``most``), else chosen by :func:`_choose_M` from one RC per decade of
    the frequencies used."""
    if n_rc is not None:
        if isinstance(n_rc, bool) or not isinstance(n_rc, int) or not 1 <= n_rc <= most:
            raise ValidationError("n_rc", f"must be an integer in 1..{most}, got {n_rc!r}")
        return n_rc
    first = min(limit, max(1, round(math.log10(frequency_used.max() / frequency_used.min()))))
    return _choose_M(fit, first, limit, mu_threshold)


def _choose_M(fit: Callable[[int], _Fit], first: int, limit: int, mu_threshold: float) -> int:
    """The smallest M in ``first..limit`` with mu below ``mu_threshold`` whose fit has converged, else ``limit``."""
    for M in range(first, limit + 1):
        _coef, _columns, mu, pseudo = fit(M)
        if mu >= mu_threshold:
            continue
        ahead = [fit(m)[3] for m in range(M + 1, min(limit, M + PLATEAU_WINDOW) + 1)]
        if not ahead or pseudo <= PLATEAU_FACTOR * min(ahead):
            return M
    return limit


def _fit(
    omega: NDArray[np.float64],
    Z: NDArray[np.complex128],
    weight: NDArray[np.float64],
    used: NDArray[np.bool_],
    M: int,
    inductance: bool,
    capacitance: bool,
) -> _Fit:
    """The lin-KK fit with M RC elements, its mu and its pseudo chi-square over the points used."""
    coef, columns = _solve(omega, Z, weight, used, M, inductance, capacitance)
    residual = ((Z - columns @ coef) * weight)[used]
    return coef, columns, _mu(coef[1 : 1 + M]), float(np.sum(residual.real**2 + residual.imag**2))


def _mu(R: NDArray[np.float64]) -> float:
    positive = float(np.abs(R[R >= 0]).sum())
    negative = float(np.abs(R[R < 0]).sum())
    return 1.0 - negative / positive if positive > 0 else -math.inf


def _solve(
    omega: NDArray[np.float64],
    Z: NDArray[np.complex128],
    weight: NDArray[np.float64],
    used: NDArray[np.bool_],
    M: int,
    inductance: bool,
    capacitance: bool,
) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
    w_max, w_min = omega[used].max(), omega[used].min()
    low, high = 1.0 / (TAU_EXTENSION * w_max), TAU_EXTENSION / w_min
    tau = np.geomspace(low, high, M) if M > 1 else np.array([1.0 / math.sqrt(w_max * w_min)])
    columns: list[NDArray[np.complexfloating[Any, Any]]] = [np.ones_like(omega, dtype=np.complex128)]
    columns += [1.0 / (1.0 + 1j * omega * t) for t in tau]
    if inductance:
        columns.append(1j * omega)
    if capacitance:
        columns.append(1.0 / (1j * omega))  # coefficient = 1 / C
    A = np.column_stack(columns)
    Aw = A[used] * weight[used, None]
    b = Z[used] * weight[used]
    design = np.vstack([Aw.real, Aw.imag])
    target = np.concatenate([b.real, b.imag])
    scale = np.linalg.norm(design, axis=0)
    scale[scale == 0] = 1.0
    coef, *_ = np.linalg.lstsq(design / scale, target, rcond=None)
    return coef / scale, A


@dataclass(frozen=True, repr=False)
class SeriesKK(Result):
    """KK tests of every spectrum of a series."""

    kind: ClassVar[str] = "kk_series"
    version: ClassVar[int] = 2  # 2: see KKResult.version
    results: tuple[KKResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    def metrics(self) -> tuple[Metric, ...]:
        every = tuple(m for index, r in enumerate(self.results) for m in _kk_metrics(r, index_name="spectrum", index=index))
        every_passed = Metric("kk_passed", float(self.passed), "", definition="1 when every spectrum passes the lin-KK "
                              "test, else 0")
        count = Metric("kk_n_passed", float(self.n_passed), "", definition="number of spectra that pass the lin-KK test")
        return (every_passed, count, *every)

    def content(self) -> dict[str, Any]:
        return {"passed": self.passed, "n_passed": self.n_passed, "spectra": [r.content() for r in self.results]}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        tables = [_kk_table(r) for r in self.results]
        columns = {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}
        spectrum = np.concatenate([np.full(r.frequency_Hz.size, index) for index, r in enumerate(self.results)])
        return {"kk": {"spectrum": spectrum, **columns}}

    def headline(self) -> str:
        worst = max(r.max_residual_pct for r in self.results)
        return f"KK {self.n_passed}/{len(self.results)} pass; largest residual {worst:.3g} %"


@stamps_call
def kk_series(
    series: SpectrumSeries | Sequence[Spectrum],
    *,
    mu_threshold: float = 0.85,
    threshold_pct: float = 1.0,
    inductance: bool = True,
    capacitance: bool = True,
    n_rc: int | None = None,
    max_rc: int | None = None,
    exclude_inductive: bool = False,
) -> SeriesKK:
    """:func:`kramers_kronig_test` on every spectrum of ``series`` with these options (the analysis of EIS kinds)."""
    spectra = require_spectra(series, "kk_series")
    options: dict[str, Any] = {
        "mu_threshold": mu_threshold, "threshold_pct": threshold_pct, "inductance": inductance,
        "capacitance": capacitance, "n_rc": n_rc, "max_rc": max_rc, "exclude_inductive": exclude_inductive,
    }
    results = tuple(kramers_kronig_test(spectrum, **options) for spectrum in spectra)
    failed = [index for index, r in enumerate(results) if not r.passed]
    warnings = (f"{len(failed)} of {len(results)} spectra fail the Kramers-Kronig test (spectra "
                + ", ".join(map(str, failed[:10])) + (", ..." if len(failed) > 10 else "") + ")",) if failed else ()
    return SeriesKK(results, provenance=spectra.provenance, warnings=warnings)
