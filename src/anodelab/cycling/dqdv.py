"""Differential capacity dQ/dV by fixed-voltage binning and a Savitzky-Golay derivative.

Method (keeps peak positions): the capacity-voltage curve of one half-cycle is binned on a fixed
voltage grid of width ``bin_width_V`` (mean capacity of the rows in each bin; empty bins filled by
linear interpolation), so noise in V cannot create spikes; the binned Q(V) is then differentiated
with a Savitzky-Golay filter (polynomial ``polyorder`` over ``window_V``), which is exact for
polynomials up to that order, so a peak of dQ/dV is not shifted by the smoothing (only broadened).
dQ/dV is signed as d(capacity passed)/dV: positive on charge (V rises), negative on discharge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.cycling.halfcycles import require_record

if TYPE_CHECKING:
    import pandas as pd


def dqdv_curve(
    capacity_mAh: NDArray[np.float64], voltage_V: NDArray[np.float64], *, bin_width_V: float = 0.005,
    window_V: float = 0.05, polyorder: int = 2,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(voltage bin centres in the order the half-cycle ran, dQ/dV in mAh/V) of one half-cycle."""
    from scipy.signal import savgol_filter

    q = np.asarray(capacity_mAh, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    if q.shape != v.shape or q.ndim != 1:
        raise ValidationError("capacity_mAh", "capacity and voltage must be 1-D arrays of the same length")
    if not bin_width_V > 0:
        raise ValidationError("bin_width_V", f"must be > 0, got {bin_width_V!r}")
    good = np.isfinite(q) & np.isfinite(v)
    q, v = q[good], v[good]
    if q.size < 3:
        raise NotApplicableError("dqdv: fewer than 3 points in the half-cycle")
    lo, hi = float(v.min()), float(v.max())
    n_bins = int(np.floor((hi - lo) / bin_width_V)) + 1
    index = np.minimum(((v - lo) / bin_width_V).astype(np.intp), n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    total = np.bincount(index, weights=q, minlength=n_bins)
    centres = lo + (np.arange(n_bins) + 0.5) * bin_width_V
    filled = count > 0
    q_bin = np.interp(centres, centres[filled], total[filled] / count[filled])
    window = max(polyorder + 2, round(window_V / bin_width_V) | 1)
    if window > n_bins:
        window = n_bins if n_bins % 2 else n_bins - 1
    if window <= polyorder:
        raise NotApplicableError(f"dqdv: the half-cycle spans {hi - lo:.3g} V, too few {bin_width_V} V bins")
    derivative = savgol_filter(q_bin, window, polyorder, deriv=1, delta=bin_width_V)
    if v[-1] < v[0]:  # a discharge: report in the order the half-cycle ran
        return centres[::-1], derivative[::-1]
    return centres, derivative


@dataclass(frozen=True, repr=False)
class DqdvResult:
    """dQ/dV per half-cycle: ``curves`` is a tuple of dicts (cycle, role, voltage_V, dqdv_mAh_V)."""

    curves: tuple[dict[str, Any], ...]
    bin_width_V: float
    window_V: float
    polyorder: int
    method: str = "fixed-voltage binning + Savitzky-Golay derivative (anodelab.cycling.dqdv)"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "dqdv", "method": self.method, "bin_width_V": self.bin_width_V, "window_V": self.window_V,
                "polyorder": self.polyorder,
                "curves": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}
                           for c in self.curves]}

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.concat([pd.DataFrame(c) for c in self.curves], ignore_index=True)

    def __repr__(self) -> str:
        return f"<DqdvResult {len(self.curves)} half-cycles, bins {self.bin_width_V} V>"


def dqdv(
    record: Record, cell: CellInfo | None = None, *, cycles: Any = None, bin_width_V: float = 0.005,
    window_V: float = 0.05, polyorder: int = 2,
) -> DqdvResult:
    """dQ/dV of every half-cycle of ``cycles`` (default all) of the record."""
    from anodelab.cycling.profiles import voltage_profiles

    profiles = voltage_profiles(require_record(record, "dqdv"), cell, cycles=cycles)
    curves = []
    for c in profiles.curves:
        if c["voltage_V"].size < 3:
            continue
        v, d = dqdv_curve(c["capacity_mAh"], c["voltage_V"], bin_width_V=bin_width_V, window_V=window_V,
                          polyorder=polyorder)
        curves.append({"cycle": c["cycle"], "role": c["role"], "voltage_V": v, "dqdv_mAh_V": d})
    return DqdvResult(tuple(curves), bin_width_V, window_V, polyorder)
