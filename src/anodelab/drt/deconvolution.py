"""Deconvolution of DRT peaks into per-process resistances: the circuit the DRT suggests, fitted to the impedance.

Overlapping DRT peaks share their flanks, so integrating gamma over each peak's basin (the split at the
minimum between peaks) moves resistance from the larger to the smaller one, and the regularisation
broadens every peak. Deconvolution instead fits the spectrum with the model the DRT suggests,

``Z = R_inf + j w L + 1 / (j w C) + sum_k R_k / (1 + (j w tau_k)^n_k)``

(``R0-L0-Zarc1-...-ZarcK-C0``), one ZARC (whose DRT is a single symmetric peak,
:func:`anodelab.models.circuits.zarc_drt`) per DRT peak, by impedance's fitting engine
(:func:`anodelab.impedance.fit.fit_circuit`: log parameters, closed-form Jacobian, modulus weighting
``(Zm - Z) / |Z|``, the usual EIS noise being proportional to |Z|: unweighted, the large low-frequency
residuals would let an extra ZARC pass the F-test below by fitting noise). One start, from the DRT: each
ZARC at its peak's tau and basin resistance (n = 0.9), ``tau_k`` held within ``TAU_BOUND_DECADES`` of its
peak (the fit may not swap processes), ``0.3 <= n_k <= 1``; R_inf, L and C from the DRT's values (R_inf
when the model has one, L and C where the DRT found them > 0). A slowest peak beyond
``10^-TAIL_DECADES / w_min`` (within 0.3 decade of the slowest measured time constant, or past it) is the
visible part of a low-frequency tail that does not close inside the data (diffusion, blocking): it is
modelled by a series CPE ``1 / (Q (j w)^alpha)``, 0.3 <= alpha <= 1 (``CPE0``), in place of the series C
(alpha = 0.5 is a semi-infinite Warburg, 1 a capacitor), and keeps its basin resistance (a tail has no finite
resistance of its own inside the data).

Standard errors: the engine's, ``s^2 (J'J)^-1`` with ``s^2 = chi2 / (2 N - parameters)``. The fit is judged
on the rows the DRT fitted (both parts, or the real or imaginary part alone), same weights: it is accepted
only when its rms residual is at most ``ACCEPT_RMS_RATIO`` times the DRT's own (the model then describes the
spectrum as well as the DRT does); otherwise the basin integrals are kept and the result says so. When the
model fits worse than ``MATCH_RMS_RATIO`` x the DRT's residual (or is refused), a weak DRT maximum inside the
measured range (prominent but below the significance rule) is offered and joins the model when its extra
ZARC passes an F-test on the residual sums of squares at ``F_TEST_P`` (1e-3), or, when the model without it
was refused, when the model with it is accepted. Conversely a ZARC whose R the fit does not determine (its
standard error exceeds it, or the fit drove it to nothing: a DRT bump the neighbouring processes and the tail
explain) leaves the model, its peak with it, when the model without it is accepted and the F-test finds no
significant loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import FitError
from anodelab.core.spectrum import Spectrum
from anodelab.impedance.fit import fit_circuit

TAU_BOUND_DECADES = 0.5
TAIL_DECADES = 0.3
ACCEPT_RMS_RATIO = 1.5
RESCUE_RMS_RATIO = 5.0  # refused models that one more ZARC rescued were at 1.6-4.0x (virtual Si spectra)
MATCH_RMS_RATIO = 1.05
N_START, N_MIN = 0.9, 0.3
ALPHA_START, ALPHA_MIN = 0.5, 0.3
F_TEST_P = 1e-3
MAX_EVALUATIONS = 200  # converged fits took a median 10, at most 167 evaluations (355 fits of virtual spectra); more: refused
NEGLIGIBLE = 1e-6  # a ZARC whose R is below this fraction of the largest has vanished from the fit
SERIES_START_FLOOR = 1e-6  # an R the DRT put at 0 starts at this fraction of max |Z| (the fit is in log parameters)


@dataclass(frozen=True)
class Deconvolution:
    """ZARC parameters of the peaks that are not a tail (ohm, s) and the covariance of their ``R`` (ohm^2)."""

    R_ohm: NDArray[np.float64]
    R_covariance_ohm2: NDArray[np.float64]
    tau_s: NDArray[np.float64]
    n: NDArray[np.float64]
    rms: float  # weighted, on the DRT's rows: sqrt(rss / frequencies)
    rss: float
    dof: int
    drt_rms: float  # the DRT's own rms residual, same rows and weights
    circuit: str

    @property
    def accepted(self) -> bool:
        """Whether the model describes the spectrum about as well as the DRT (``ACCEPT_RMS_RATIO``)."""
        return self.rms <= ACCEPT_RMS_RATIO * self.drt_rms

    @property
    def worth_extending(self) -> bool:
        """Whether a weak maximum should be offered: the model falls short of the DRT, but not so far
        (``RESCUE_RMS_RATIO``) that one more ZARC could not close the gap."""
        return not self.as_good_as_the_drt and self.rms <= RESCUE_RMS_RATIO * self.drt_rms

    @property
    def loosest(self) -> int | None:
        """The ZARC whose R the fit determines least (largest stderr / R), if that stderr exceeds R or is
        unknown, or whose R the fit drove to nothing (``NEGLIGIBLE`` of the largest: at the engine's lower
        bound, where the standard error says nothing); None when every R is determined."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.sqrt(np.diag(self.R_covariance_ohm2)) / self.R_ohm
        negligible = self.R_ohm <= NEGLIGIBLE * float(self.R_ohm.max(initial=0.0))
        ratio = np.where(np.isfinite(ratio) & ~negligible, ratio, np.inf)
        k = int(np.argmax(ratio)) if ratio.size else -1
        return k if k >= 0 and ratio[k] > 1.0 else None

    @property
    def as_good_as_the_drt(self) -> bool:
        """Whether the ZARC model fits within ``MATCH_RMS_RATIO`` of the DRT's residual (no extra process
        is then looked for: the DRT itself has nothing left to explain)."""
        return self.rms <= MATCH_RMS_RATIO * self.drt_rms


def is_tail(tau_s: float, omega_min_rad_s: float) -> bool:
    """Whether a slowest peak at ``tau_s`` is the visible part of an unclosed low-frequency tail."""
    return math.log10(tau_s * omega_min_rad_s) > -TAIL_DECADES


def improves(simpler: Deconvolution, richer: Deconvolution) -> bool:
    """Whether the extra ZARC of ``richer`` lowers the residual more than noise would (F-test, p < F_TEST_P)."""
    from scipy.stats import f

    extra = simpler.dof - richer.dof
    if extra <= 0 or richer.rss <= 0 or richer.rss >= simpler.rss:
        return False
    statistic = (simpler.rss - richer.rss) / extra / (richer.rss / richer.dof)
    return bool(f.sf(statistic, extra, richer.dof) < F_TEST_P)


def deconvolution_circuit(
    spectrum: Spectrum,
    series: Mapping[str, float],
    peak_tau_s: NDArray[np.float64],
    peak_R_ohm: NDArray[np.float64],
) -> tuple[str, dict[str, float], dict[str, tuple[float, float]], int]:
    """The circuit string, start values, bounds and number of ZARCs for ``peak_tau_s`` (sorted, fastest first).

    ``series``: the DRT's series elements to carry, ``{"R0": ohm, "L0": H, "C0": F}`` (those in the model);
    a C is dropped when the slowest peak is a tail, which a ``CPE0`` models instead."""
    omega_min = float(2.0 * np.pi * spectrum.frequency_Hz.min())
    tail = bool(peak_tau_s.size) and is_tail(float(peak_tau_s[-1]), omega_min)
    K = peak_tau_s.size - int(tail)
    floor = SERIES_START_FLOOR * float(np.abs(spectrum.Z_ohm).max())
    initial = {name: value for name, value in series.items() if not (tail and name == "C0")}
    if "R0" in initial:
        initial["R0"] = max(initial["R0"], floor)
    elements: list[str] = [name for name in ("R0", "L0") if name in initial]
    bounds: dict[str, tuple[float, float]] = {}
    factor = 10.0**TAU_BOUND_DECADES
    for k in range(K):
        label = f"Zarc{k + 1}"
        elements.append(label)
        tau = float(peak_tau_s[k])
        initial |= {f"{label}_R": max(float(peak_R_ohm[k]), floor), f"{label}_tau": tau, f"{label}_n": N_START}
        bounds |= {f"{label}_tau": (tau / factor, tau * factor), f"{label}_n": (N_MIN, 1.0)}
    if "C0" in initial:
        elements.append("C0")
    if tail:  # |Z_CPE(w_min)| = 1 / (Q w_min^alpha) started at the spectrum's real span
        span = max(float(np.abs(spectrum.Z_ohm[-1] - spectrum.Z_ohm[0])), floor)
        elements.append("CPE0")
        initial |= {"CPE0_Q": 1.0 / (span * omega_min**ALPHA_START), "CPE0_n": ALPHA_START}
        bounds["CPE0_n"] = (ALPHA_MIN, 1.0)
    return "-".join(elements), initial, bounds, K


def deconvolve(
    spectrum: Spectrum,
    fit: str,
    series: Mapping[str, float],
    peak_tau_s: NDArray[np.float64],
    peak_R_ohm: NDArray[np.float64],
    drt_residual_ohm: NDArray[np.complex128],
) -> Deconvolution | None:
    """Fit one ZARC per peak, the slowest as a series CPE when it is a tail (see the module docstring).

    ``fit``: the DRT's rows ("combined", "real", "imag"), on which the fit is judged against
    ``drt_residual_ohm`` (data - DRT model). None when there is no ZARC to fit or the engine does not
    converge within ``MAX_EVALUATIONS``; otherwise the fit, which is used only if :attr:`Deconvolution.accepted`."""
    circuit, initial, bounds, K = deconvolution_circuit(spectrum, series, peak_tau_s, peak_R_ohm)
    if K == 0:
        return None
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a trial step may overflow; the engine refuses it
            found = fit_circuit(spectrum, circuit, initial=initial, bounds=bounds, weighting="modulus",
                                n_starts=1, max_nfev=MAX_EVALUATIONS)
    except FitError:  # too few points for the parameters, or no convergence
        return None
    if not found.success:
        return None
    parts = [np.real] if fit == "real" else [np.imag] if fit == "imag" else [np.real, np.imag]
    weight = 1.0 / np.abs(spectrum.Z_ohm)
    rows = np.concatenate([part(weight * (found.Z_fit_ohm - spectrum.Z_ohm)) for part in parts])
    drt_rows = np.concatenate([part(weight * drt_residual_ohm) for part in parts])
    rss = float(rows @ rows)
    if not math.isfinite(rss):
        return None
    names = list(found.fitted)
    labels = [f"Zarc{k + 1}" for k in range(K)]
    index = [names.index(f"{label}_R") for label in labels]
    stderr = np.array([found.fitted[f"{label}_R"].stderr for label in labels], dtype=np.float64)  # None: NaN
    correlation = found.correlation[np.ix_(index, index)]
    values = found.values
    return Deconvolution(
        R_ohm=np.array([values[f"{label}_R"] for label in labels]),
        R_covariance_ohm2=correlation * np.outer(stderr, stderr),
        tau_s=np.array([values[f"{label}_tau"] for label in labels]),
        n=np.array([values[f"{label}_n"] for label in labels]),
        rms=math.sqrt(rss / spectrum.Z_ohm.size),
        rss=rss,
        dof=int(rows.size - len(names)),
        drt_rms=math.sqrt(float(drt_rows @ drt_rows) / spectrum.Z_ohm.size),
        circuit=found.circuit,
    )
