"""Result types of the DRT: :class:`DRTResult` (one spectrum) and :class:`DRTSeriesResult` (a map).

Both are :class:`anodelab.core.result.Result`: their metrics are, per spectrum, R_inf, R_pol, lambda, the
resistance of each named process window and each peak's tau and R; their ``"drt"`` table holds the gamma
curves (long form, one row per spectrum and tau point, with the credible band when one was computed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Metric, Quantity, Result
from anodelab.drt.peaks import Peak, window_metric_name

PEAK_R_WORDS = {
    "zarc-deconvolution": "R of the peak's ZARC in a fit of the impedance by one ZARC per peak "
    "(anodelab.drt.deconvolution), stderr from that fit's Jacobian",
    "basin": "gamma integrated over the peak's basin (between the minima that separate it from its neighbours), "
    "stderr from the posterior covariance",
}
TAU_WORDS = {
    "zarc-deconvolution": "time constant of the peak's fitted ZARC",
    "basin": "where gamma has its maximum",
}


def _read_only(array: NDArray[Any] | None) -> NDArray[Any] | None:
    if array is None:
        return None
    view = np.asarray(array).view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, repr=False, kw_only=True)
class DRTResult(Result):
    """DRT of one spectrum. ``gamma_ohm`` is per unit ln(tau): ``R_pol = integral gamma d ln tau``."""

    kind: ClassVar[str] = "drt"
    version: ClassVar[int] = 1
    tau_s: NDArray[np.float64]
    gamma_ohm: NDArray[np.float64]
    gamma_lower_ohm: NDArray[np.float64] | None
    gamma_upper_ohm: NDArray[np.float64] | None
    credible: float | None
    R_inf: Quantity
    L: Quantity | None
    C: Quantity | None  # series capacitance (a blocking or unclosed low-frequency tail); None: none fitted
    R_pol: Quantity
    lambda_: float
    lambda_at_edge: bool
    criterion: str
    frequency_Hz: NDArray[np.float64]
    Z_fit_ohm: NDArray[np.complex128]
    residuals_ohm: NDArray[np.complex128]
    peaks: tuple[Peak, ...]
    peak_R_method: str  # "zarc-deconvolution" or "basin" (see anodelab.drt.deconvolution)
    windows: Mapping[str, tuple[float, float]] | None
    process_R: Mapping[str, Quantity]  # per named window: the sum of its peaks' R
    settings: Mapping[str, Any] = field(default_factory=dict)  # how the DRT was computed, in words and numbers

    def __post_init__(self) -> None:
        for name in ("tau_s", "gamma_ohm", "gamma_lower_ohm", "gamma_upper_ohm", "frequency_Hz", "Z_fit_ohm",
                     "residuals_ohm"):
            object.__setattr__(self, name, _read_only(getattr(self, name)))

    @property
    def process_R_ohm(self) -> dict[str, float]:
        return {name: q.value for name, q in self.process_R.items()}

    @property
    def rms_residual_ohm(self) -> float:
        return float(np.sqrt(np.mean(np.abs(self.residuals_ohm) ** 2)))

    @property
    def has_band(self) -> bool:
        return self.gamma_lower_ohm is not None and self.gamma_upper_ohm is not None

    def metrics(self) -> tuple[Metric, ...]:
        """R_inf, R_pol, lambda, R of each named window, then tau and R of each peak (fastest first)."""
        fitted = self.settings.get("fitted_series", ())
        if "R_inf" in fitted:
            how = "the series resistance of the DRT model (high-frequency intercept), stderr from the posterior"
        elif self.R_inf.value == 0.0 and self.R_inf.stderr == 0.0:
            how = "not in the DRT model (resistance=False): 0"
        else:
            how = "the mean real part the imaginary-only DRT leaves (the high-frequency intercept)"
        out = [
            Metric.of("R_inf", self.R_inf, definition=f"R_inf: {how}"),
            Metric.of("R_pol", self.R_pol, definition="total polarisation resistance: gamma integrated over ln tau "
                      "(every process, a tail beyond the data included), stderr from the posterior"),
            Metric("lambda", self.lambda_, "", definition=f"regularisation parameter for Z / max |Z|, chosen by "
                   f"{self.criterion}" + (" (on the edge of the search grid)" if self.lambda_at_edge else "")),
        ]
        for name, q in self.process_R.items():
            low, high = (self.windows or {})[name]
            out.append(Metric.of(window_metric_name(name), q, definition=(
                f"process {name}: sum of the R of the peaks whose tau lies in [{low:g}, {high:g}) s "
                f"({PEAK_R_WORDS[self.peak_R_method]}); 0 when none does")))
        for k, peak in enumerate(self.peaks, 1):
            where = f"DRT peak {k} from the fastest" + (", the visible part of a low-frequency tail" if peak.tail else "")
            method = "basin" if peak.tail else self.peak_R_method  # a tail keeps its basin R
            out.append(Metric(f"tau_peak{k}", peak.tau_s, "s", definition=f"{where}: {TAU_WORDS[method]}"))
            out.append(Metric.of(f"R_peak{k}", peak.R, definition=f"{where}: {PEAK_R_WORDS[method]}"))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {
            "lambda": self.lambda_,
            "lambda_at_edge": self.lambda_at_edge,
            "criterion": self.criterion,
            "R_inf": self.R_inf.value,
            "R_inf_ohm": self.R_inf.to_dict(),
            "L_H": self.L.to_dict() if self.L is not None else None,
            "C_F": self.C.to_dict() if self.C is not None else None,
            "R_pol": self.R_pol.value,
            "R_pol_ohm": self.R_pol.to_dict(),
            "peaks": [p.to_dict() for p in self.peaks],
            "peak_R_method": self.peak_R_method,
            "process_R_ohm": self.process_R_ohm,
            "process_R_ohm_stderr": {name: q.stderr for name, q in self.process_R.items()},
            "windows_tau_s": {k: list(v) for k, v in self.windows.items()} if self.windows else None,
            "rms_residual_ohm": self.rms_residual_ohm,
            "credible": self.credible if self.has_band else None,
            "settings": dict(self.settings),
        }

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"drt": _curves([self])}

    def headline(self) -> str:
        named = [f"{window_metric_name(name)} {q:.3g}" for name, q in self.process_R.items() if q.value > 0]
        peaks = named or [f"{p.R:.3g} at {p.tau_s:.2g} s" for p in self.peaks if not p.tail]
        return f"R_inf {self.R_inf:.4g}; R_pol {self.R_pol:.4g}; " + (", ".join(peaks) or "no closed peak")


def drt_warnings(result: DRTResult) -> tuple[str, ...]:
    """What a reader of ``result`` must know: lambda on the grid edge, a refused deconvolution, and every
    resistance whose standard error exceeds its value (the model is over-parametrised for the spectrum)."""
    out = []
    if result.lambda_at_edge:
        out.append(f"lambda {result.lambda_:.3g} lies on the edge of the search grid: {result.criterion} found no "
                   "interior optimum, so the DRT may be over- or under-smoothed")
    if result.settings.get("deconvolve") and result.peak_R_method == "basin" and any(not p.tail for p in result.peaks):
        out.append("the ZARC deconvolution was refused (it fits the spectrum worse than the DRT, or did not converge):"
                   " peak R are basin integrals, which overlapping peaks share")
    loose = [m.name for m in result.metrics()  # a value of 0 (at the nonnegativity bound) with a stderr included
             if m.unit == "ohm" and m.stderr is not None and m.stderr > abs(m.value)]
    if loose:
        out.append(f"{', '.join(loose)}: standard error larger than the value; the model is over-parametrised "
                   "for this spectrum (a process the data hardly determine)")
    return tuple(out)


def _curves(results: list[DRTResult]) -> dict[str, NDArray[Any]]:
    """The long ``drt`` table of ``results`` (spectrum i = position i)."""
    table: dict[str, NDArray[Any]] = {
        "spectrum": np.concatenate([np.full(r.tau_s.size, i, dtype=np.int64) for i, r in enumerate(results)]),
        "tau_s": np.concatenate([r.tau_s for r in results]),
        "gamma_ohm": np.concatenate([r.gamma_ohm for r in results]),
    }
    if all(r.has_band for r in results):
        table["gamma_lower_ohm"] = np.concatenate([r.gamma_lower_ohm for r in results])
        table["gamma_upper_ohm"] = np.concatenate([r.gamma_upper_ohm for r in results])
    return table


@dataclass(frozen=True, repr=False, kw_only=True)
class DRTSeriesResult(Result):
    """DRTs of a series on one tau grid: ``gamma_map_ohm[k, i]`` is gamma at ``tau_s[k]`` of spectrum i."""

    kind: ClassVar[str] = "drt_series"
    version: ClassVar[int] = 1
    tau_s: NDArray[np.float64]
    gamma_map_ohm: NDArray[np.float64]
    results: tuple[DRTResult, ...]
    coordinate: NDArray[np.float64]
    coordinate_name: str
    process_R_ohm: Mapping[str, NDArray[np.float64]]
    process_R_ohm_stderr: Mapping[str, NDArray[np.float64]]

    def __post_init__(self) -> None:
        for name in ("tau_s", "gamma_map_ohm", "coordinate"):
            object.__setattr__(self, name, _read_only(getattr(self, name)))
        for name in ("process_R_ohm", "process_R_ohm_stderr"):
            object.__setattr__(self, name, {k: _read_only(v) for k, v in getattr(self, name).items()})

    def __len__(self) -> int:
        return len(self.results)

    def metrics(self) -> tuple[Metric, ...]:
        """Every spectrum's metrics (:meth:`DRTResult.metrics`), indexed by ``spectrum``."""
        return tuple(dataclasses.replace(metric, index_name="spectrum", index=i)
                     for i, result in enumerate(self.results) for metric in result.metrics())

    def content(self) -> dict[str, Any]:
        return {
            "coordinate_name": self.coordinate_name,
            "coordinate": self.coordinate,
            "process_R_ohm": dict(self.process_R_ohm),
            "process_R_ohm_stderr": dict(self.process_R_ohm_stderr),
            "series": [r.content() for r in self.results],
        }

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"drt": _curves(list(self.results))}

    def headline(self) -> str:
        return f"{len(self.results)} spectra along {self.coordinate_name}; [0] {self.results[0].headline()}"
