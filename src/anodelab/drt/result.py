"""Result types of the DRT: :class:`DRTResult` (one spectrum) and :class:`DRTSeriesResult` (a map)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Quantity
from anodelab.drt.peaks import Peak

if TYPE_CHECKING:
    import pandas as pd


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


@dataclass(frozen=True, repr=False)
class DRTResult:
    """DRT of one spectrum. ``gamma_ohm`` is per unit ln(tau): ``R_pol = integral gamma d ln tau``."""

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
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def process_R_ohm(self) -> dict[str, float]:
        return {name: q.value for name, q in self.process_R.items()}

    @property
    def rms_residual_ohm(self) -> float:
        return float(np.sqrt(np.mean(np.abs(self.residuals_ohm) ** 2)))

    def to_dict(self, *, curves: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
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
            "settings": dict(self.settings),
        }
        if curves:
            out["tau_s"] = self.tau_s.tolist()
            out["gamma_ohm"] = self.gamma_ohm.tolist()
            if self.gamma_lower_ohm is not None and self.gamma_upper_ohm is not None:
                out["credible"] = self.credible
                out["gamma_lower_ohm"] = self.gamma_lower_ohm.tolist()
                out["gamma_upper_ohm"] = self.gamma_upper_ohm.tolist()
        return out

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        columns: dict[str, Any] = {"tau_s": self.tau_s, "gamma_ohm": self.gamma_ohm}
        if self.gamma_lower_ohm is not None and self.gamma_upper_ohm is not None:
            columns["gamma_lower_ohm"] = self.gamma_lower_ohm
            columns["gamma_upper_ohm"] = self.gamma_upper_ohm
        return pd.DataFrame(columns)

    def __repr__(self) -> str:
        peaks = ", ".join(f"{p.tau_s:.3g} s: {p.R.value:.3g} ohm" for p in self.peaks)
        return (
            f"<DRTResult R_inf={self.R_inf.value:.4g} ohm, R_pol={self.R_pol.value:.4g} ohm, "
            f"lambda={self.lambda_:.3g} ({self.criterion}), peaks [{peaks}]>"
        )


@dataclass(frozen=True, repr=False)
class DRTSeriesResult:
    """DRTs of a series on one tau grid: ``gamma_map_ohm[k, i]`` is gamma at ``tau_s[k]`` of spectrum i."""

    tau_s: NDArray[np.float64]
    gamma_map_ohm: NDArray[np.float64]
    results: tuple[DRTResult, ...]
    coordinate: NDArray[np.float64]
    coordinate_name: str
    process_R_ohm: Mapping[str, NDArray[np.float64]]
    process_R_ohm_stderr: Mapping[str, NDArray[np.float64]]

    def __len__(self) -> int:
        return len(self.results)

    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        return {
            "coordinate_name": self.coordinate_name,
            "coordinate": [_finite(v) for v in self.coordinate],
            "process_R_ohm": {k: v.tolist() for k, v in self.process_R_ohm.items()},
            "process_R_ohm_stderr": {k: v.tolist() for k, v in self.process_R_ohm_stderr.items()},
            "series": [r.to_dict(curves=curves) for r in self.results],
            **({"tau_s": self.tau_s.tolist(), "gamma_map_ohm": self.gamma_map_ohm.tolist()} if curves else {}),
        }

    def to_dataframe(self) -> pd.DataFrame:
        """One row per spectrum: coordinate, lambda, R_inf, R_pol and each process resistance."""
        import pandas as pd

        table: dict[str, Any] = {
            self.coordinate_name: self.coordinate,
            "lambda": [r.lambda_ for r in self.results],
            "R_inf_ohm": [r.R_inf.value for r in self.results],
            "R_pol_ohm": [r.R_pol.value for r in self.results],
        }
        for name, values in self.process_R_ohm.items():
            table[f"{name}_ohm"] = values
            table[f"{name}_ohm_stderr"] = self.process_R_ohm_stderr[name]
        return pd.DataFrame(table)

    def __repr__(self) -> str:
        return f"<DRTSeriesResult {len(self.results)} spectra x {self.tau_s.size} tau, processes {list(self.process_R_ohm)}>"
