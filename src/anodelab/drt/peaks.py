"""DRT peaks: detection, per-peak resistance with uncertainty, assignment to named processes.

Detection rule: local maxima of gamma on the output grid (50 points per decade) whose prominence
(``scipy.signal.find_peaks``) is at least ``min_prominence`` (default 2 %) of the largest gamma inside
the measured range 1/(2 pi f_max) <= tau <= 1/(2 pi f_min) (a diffusion tail rising beyond it does not
set the scale) AND at least ``min_significance`` (default 3) posterior standard deviations of gamma at
the maximum, so a wiggle the noise can make is not a peak. A prominent maximum below that significance
is a peak only if adding a process there improves the deconvolution's fit of the impedance
significantly (F-test) or makes an acceptable fit of a refused one (:mod:`anodelab.drt.deconvolution`);
with ``deconvolve=False`` the prominent maxima are reported when none is significant. On 2-ZARC
spectra with 1 % noise the real peaks stand 10-30 sd above their valleys, the wiggles in the tails at
most 1.6 sd. The maximum's tau
(``tau_max_s``) is refined by a parabola through it and its two neighbours in log tau.

Basin resistance: each peak owns the basin between the minima of gamma that separate it from its
neighbouring peaks (the outermost basins extend to +-infinity), and ``R_basin = integral_basin gamma d ln
tau``, which is linear in the RBF weights (``R = w . x``, ``w`` exact through erf), so the basins add up to
R_pol and the standard error is ``sqrt(w' Sigma w)`` with Sigma the posterior covariance. Overlapping
peaks are then deconvolved (:mod:`anodelab.drt.deconvolution`) and ``Peak.R`` is the deconvolved value.

Process windows: ``{name: (tau_low_s, tau_high_s)}``, half-open ``[low, high)``; a peak takes the name of
the first window that holds its tau, or None. :data:`WINDOW_PRESETS` holds the papers' windows. A window's
resistance is the metric ``R_<name>`` (:func:`window_metric_name`), so a name that would make ``R_inf``,
``R_pol`` or ``R_peak<k>`` is refused.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError
from anodelab.core.result import Quantity
from anodelab.drt.kernels import Basis

#: tau windows (s) of the papers' process assignments.
WINDOW_PRESETS: dict[str, dict[str, tuple[float, float]]] = {
    # paper 000 (Si-ZnO, in-situ GEIS + DRT, Fig. 4): "peak around 1e-5-1e-6 s (denoted as R_SSE)",
    # "peaks at 1e-3-1e-4 s (denoted as R_SEI)", "two peaks at 1e-1-1e-3 s (denoted as R_ct)".
    "si_zno": {"R_SSE": (1e-6, 1e-5), "R_SEI": (1e-4, 1e-3), "R_ct": (1e-3, 1e-1)},
    # paper 003 (Si/C, consSEI, Fig. S20): "10^-5-10^-3 s ... ohmic internal resistance (R_ob)",
    # "10^-3-10^-2 s and 10^-2-10^-1 s ... (R_SEI) and the charge transfer impedance (R_ct)".
    "si_c_pulse": {"R_ob": (1e-5, 1e-3), "R_SEI": (1e-3, 1e-2), "R_ct": (1e-2, 1e-1)},
}

DEFAULT_MIN_PROMINENCE = 0.02
DEFAULT_MIN_SIGNIFICANCE = 3.0


@dataclass(frozen=True)
class Peak:
    """One DRT peak. ``tau_s``, ``R``: the process's time constant and resistance (of the fitted ZARC when
    the deconvolution was accepted, else ``tau_max_s`` and ``R_basin``); ``tau_max_s``, ``gamma_ohm``: where
    gamma has its maximum and its value there; ``R_basin``: gamma integrated over the peak's basin;
    ``n``: the fitted ZARC's dispersion (or None); ``tail``: the slowest peak, its maximum within 0.3
    decade of the slowest measured time constant or beyond, the visible part of a low-frequency tail
    (diffusion, blocking) rather than a closed process (:func:`anodelab.drt.deconvolution.is_tail`)."""

    tau_s: float
    tau_max_s: float
    gamma_ohm: float
    R: Quantity
    R_basin: Quantity
    n: float | None
    basin_tau_s: tuple[float | None, float | None]  # None: the basin runs to the end of the tau axis
    process: str | None
    tail: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "tau_s": self.tau_s,
            "tau_max_s": self.tau_max_s,
            "gamma_ohm": self.gamma_ohm,
            "R_ohm": self.R.value,
            "R_ohm_stderr": self.R.stderr,
            "R_basin_ohm": self.R_basin.value,
            "R_basin_ohm_stderr": self.R_basin.stderr,
            "n": self.n,
            "basin_tau_s": list(self.basin_tau_s),
            "process": self.process,
            "tail": self.tail,
        }


def window_metric_name(name: str) -> str:
    """The metric of a process window: ``R_<name>``, or the name itself when it already starts with ``R_``
    (the presets' ``R_SEI``)."""
    return name if name.startswith("R_") else f"R_{name}"


_RESERVED = re.compile(r"R_(inf|pol|peak\d+)")  # the DRT's other metrics


def resolve_windows(windows: str | Mapping[str, Any] | None) -> dict[str, tuple[float, float]] | None:
    """A preset name, a JSON object text, or a mapping ``{name: [low_s, high_s]}`` -> validated windows."""
    if windows is None:
        return None
    if isinstance(windows, str):
        if windows in WINDOW_PRESETS:
            return dict(WINDOW_PRESETS[windows])
        text = windows.strip()
        if not text.startswith("{"):
            raise ValidationError(
                "windows", f"unknown preset {windows!r}; presets: {', '.join(WINDOW_PRESETS)}, or a JSON object"
            )
        try:
            windows = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationError("windows", f"not valid JSON: {error}") from None
    if not isinstance(windows, Mapping):
        raise ValidationError("windows", f"expected a mapping name -> [tau_low_s, tau_high_s], got {windows!r}")
    out: dict[str, tuple[float, float]] = {}
    for name, bounds in windows.items():
        try:
            low, high = (float(v) for v in bounds)
        except (TypeError, ValueError):
            raise ValidationError(f"windows.{name}", f"expected [tau_low_s, tau_high_s], got {bounds!r}") from None
        if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
            raise ValidationError(f"windows.{name}", f"need 0 < low < high, got [{low!r}, {high!r}]")
        if _RESERVED.fullmatch(window_metric_name(str(name))):
            raise ValidationError(f"windows.{name}", f"names the DRT's own metric {window_metric_name(str(name))}; "
                                  "choose another name")
        out[str(name)] = (low, high)
    return out


def assign(tau_s: float, windows: Mapping[str, tuple[float, float]] | None) -> str | None:
    if not windows:
        return None
    for name, (low, high) in windows.items():
        if low <= tau_s < high:
            return name
    return None


def peak_candidates(
    basis: Basis,
    ln_tau: NDArray[np.float64],
    gamma: NDArray[np.float64],
    covariance_x: NDArray[np.float64] | None,
    scale: float,
    min_prominence: float = DEFAULT_MIN_PROMINENCE,
    min_significance: float = DEFAULT_MIN_SIGNIFICANCE,
    reference: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices of the maxima of ``gamma`` (ohm, on ``ln_tau``) that pass the prominence rule: those that
    also pass the significance rule, and the rest inside ``reference`` (weak maxima, most significant
    first), which become peaks only if the deconvolution finds them (see :mod:`anodelab.drt.deconvolution`).
    ``covariance_x``: the covariance of the normalised RBF weights (None: every prominent maximum is
    significant)."""
    from scipy.signal import find_peaks as scipy_find_peaks

    empty = np.zeros(0, dtype=np.intp)
    top = float(np.max(gamma[reference])) if reference is not None and np.any(reference) else float(np.max(gamma))
    if top <= 0:
        return empty, empty
    padded = np.concatenate([[0.0], gamma, [0.0]])  # a maximum on the grid edge still counts
    indices, properties = scipy_find_peaks(padded, prominence=min_prominence * top)
    indices = indices - 1
    if covariance_x is None or indices.size == 0:
        return indices, empty
    phi = basis.evaluate(ln_tau[indices])  # posterior sd of gamma at the maxima (ohm)
    gamma_sd = scale * np.sqrt(np.maximum(np.sum((phi @ covariance_x) * phi, axis=1), 0.0))
    significance = properties["prominences"] / np.maximum(gamma_sd, 1e-300)
    strong = significance >= min_significance
    inside = reference[indices] if reference is not None else np.ones(indices.size, dtype=bool)
    weak = np.flatnonzero(~strong & inside)  # weak maxima outside the measured range are not offered
    return indices[strong], indices[weak[np.argsort(-significance[weak])]]


def basin_peaks(
    basis: Basis,
    ln_tau: NDArray[np.float64],
    gamma: NDArray[np.float64],
    x: NDArray[np.float64],
    covariance_x: NDArray[np.float64] | None,
    scale: float,
    indices: NDArray[np.intp],
    windows: Mapping[str, tuple[float, float]] | None,
) -> tuple[tuple[Peak, ...], NDArray[np.float64]]:
    """The peaks at ``indices`` (sorted) of ``gamma`` and the matrix ``W`` (peaks x unknowns after the
    nuisance ones) of their basin integrals (``R_basin = scale W x``)."""
    if indices.size == 0:
        return (), np.zeros((0, x.size))
    # basin boundaries: the minimum of gamma between neighbouring peaks
    edges = [-np.inf]
    for left, right in itertools.pairwise(indices):
        edges.append(float(ln_tau[left + int(np.argmin(gamma[left : right + 1]))]))
    edges.append(np.inf)
    peaks, rows = [], []
    for i, index in enumerate(indices):
        y = float(ln_tau[index])
        if 0 < index < gamma.size - 1:
            g0, g1, g2 = gamma[index - 1 : index + 2]
            curvature = g0 - 2.0 * g1 + g2
            if curvature < 0:
                y += 0.5 * (ln_tau[index + 1] - ln_tau[index]) * (g0 - g2) / curvature
        low, high = edges[i], edges[i + 1]
        w = basis.basin_weights(max(low, -700.0), min(high, 700.0))
        rows.append(w)
        value = float(w @ x) * scale
        stderr = None
        if covariance_x is not None:
            stderr = math.sqrt(max(float(w @ covariance_x @ w), 0.0)) * scale
        tau = math.exp(y)
        R = Quantity(value, stderr, "ohm")
        peaks.append(
            Peak(
                tau_s=tau,
                tau_max_s=tau,
                gamma_ohm=float(gamma[index]),
                R=R,
                R_basin=R,
                n=None,
                basin_tau_s=(math.exp(low) if math.isfinite(low) else None, math.exp(high) if math.isfinite(high) else None),
                process=assign(tau, windows),
            )
        )
    return tuple(peaks), np.array(rows)


def process_resistances(
    peaks: tuple[Peak, ...], windows: Mapping[str, tuple[float, float]] | None, R_covariance: NDArray[np.float64]
) -> dict[str, Quantity]:
    """Sum of the peak resistances per named process (0 where a window holds no peak), its standard error
    from ``R_covariance`` (the covariance of the peaks' ``R``, ohm^2)."""
    if not windows:
        return {}
    out = {}
    for name in windows:
        member = np.array([peak.process == name for peak in peaks], dtype=np.float64)
        value = float(member @ np.array([peak.R.value for peak in peaks])) if peaks else 0.0
        stderr = math.sqrt(max(float(member @ R_covariance @ member), 0.0)) if peaks else 0.0
        out[name] = Quantity(value, stderr, "ohm")
    return out
