"""Differential capacity dQ/dV by fixed-voltage binning and a Savitzky-Golay derivative, and the
plateaus and inflections of a voltage profile read from its peaks.

Method (keeps peak positions): the capacity-voltage curve of one half-cycle is binned on a fixed
voltage grid of width ``bin_width_V`` (mean capacity of the rows in each bin; empty bins filled by
linear interpolation), so noise in V cannot create spikes; the binned Q(V) is then differentiated
with a Savitzky-Golay filter (polynomial ``polyorder`` over ``window_V``), which is exact for
polynomials up to that order, so a peak of dQ/dV is not shifted by the smoothing (only broadened).
dQ/dV is signed as d(capacity passed)/dV: positive on charge (V rises), negative on discharge.
A peak is a local maximum of |dQ/dV| whose prominence is at least ``min_share`` of the largest;
peaks are numbered 1, 2, ... by rising voltage. A plateau of the profile is such a peak; an
inflection (the steepest point of V(Q) between two plateaus) is the minimum of |dQ/dV| between
adjacent peaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.cycling.halfcycles import require_record
from anodelab.cycling.profiles import NO_MASS, voltage_profiles

if TYPE_CHECKING:
    import pandas as pd

METHOD = "fixed-voltage binning + Savitzky-Golay derivative (anodelab.cycling.dqdv)"


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
    centres = lo + (np.arange(n_bins, dtype=np.float64) + 0.5) * bin_width_V
    filled = count > 0
    q_bin = np.interp(centres, centres[filled], total[filled] / count[filled])
    window = max(polyorder + 2, round(window_V / bin_width_V) | 1)
    if window > n_bins:
        window = n_bins if n_bins % 2 else n_bins - 1
    if window <= polyorder:
        raise NotApplicableError(f"dqdv: the half-cycle spans {hi - lo:.3g} V, too few {bin_width_V} V bins")
    derivative: NDArray[np.float64] = savgol_filter(q_bin, window, polyorder, deriv=1, delta=bin_width_V)
    if v[-1] < v[0]:  # a discharge: report in the order the half-cycle ran
        return centres[::-1], derivative[::-1]
    return centres, derivative


def dqdv_peaks(voltage_V: NDArray[np.float64], dqdv_mAh_V: NDArray[np.float64], *, min_share: float = 0.05) -> NDArray[np.intp]:
    """Indices of the peaks of |dQ/dV| (prominence >= ``min_share`` x the largest), by rising voltage."""
    from scipy.signal import find_peaks

    if not 0 < min_share < 1:
        raise ValidationError("min_share", f"must lie in (0, 1), got {min_share!r}")
    magnitude = np.abs(dqdv_mAh_V)
    peaks, _ = find_peaks(magnitude, prominence=min_share * float(magnitude.max()))
    return peaks[np.argsort(voltage_V[peaks])]


def curve_features(
    capacity_mAh: NDArray[np.float64], voltage_V: NDArray[np.float64], *, bin_width_V: float = 0.005,
    window_V: float = 0.05, min_share: float = 0.05,
) -> tuple[tuple[dict[str, float], ...], tuple[dict[str, float], ...]]:
    """(plateaus, inflections) of one capacity-voltage curve: each a dict of voltage_V and capacity_mAh
    (Q where the curve crosses that voltage), plateaus with their dqdv_mAh_V too."""
    q = np.asarray(capacity_mAh, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    centres, d = dqdv_curve(q, v, bin_width_V=bin_width_V, window_V=window_V)
    peaks = dqdv_peaks(centres, d, min_share=min_share)
    magnitude = np.abs(d)
    order = np.argsort(v, kind="stable")

    def capacity_at(volt: float) -> float:
        return float(np.interp(volt, v[order], q[order]))

    plateaus = tuple({"voltage_V": float(centres[p]), "capacity_mAh": capacity_at(centres[p]),
                      "dqdv_mAh_V": float(d[p])} for p in peaks)
    inflections = []
    for a, b in pairwise(peaks):
        lo, hi = sorted((int(a), int(b)))
        k = lo + int(np.argmin(magnitude[lo:hi + 1]))
        inflections.append({"voltage_V": float(centres[k]), "capacity_mAh": capacity_at(centres[k])})
    return plateaus, tuple(inflections)


@dataclass(frozen=True, repr=False)
class DqdvResult(Result):
    """dQ/dV per half-cycle: ``curves`` is a tuple of dicts (cycle, role, voltage_V, dqdv_mAh_V);
    ``peaks`` one dict per peak (cycle, role, peak: its number by rising voltage, voltage_V, dqdv_mAh_V)."""

    kind: ClassVar[str] = "dqdv"
    version: ClassVar[int] = 1

    curves: tuple[dict[str, Any], ...]
    peaks: tuple[dict[str, Any], ...] = ()
    definitions: dict[str, str] = field(default_factory=dict)
    method: str = METHOD

    def metrics(self) -> tuple[Metric, ...]:
        """Per peak (index ``cycle``): ``<role>_peak<n>_voltage`` (V) and ``<role>_peak<n>_dqdv`` (mAh/V)."""
        metrics = []
        for p in self.peaks:
            stem, where = f"{p['role']}_peak{p['peak']}", {"index_name": "cycle", "index": p["cycle"]}
            metrics.append(Metric(f"{stem}_voltage", p["voltage_V"], "V", definition=self.definitions["peak_voltage"],
                                  **where))
            metrics.append(Metric(f"{stem}_dqdv", p["dqdv_mAh_V"], "mAh/V", definition=self.definitions["peak_dqdv"],
                                  **where))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"method": self.method,
                "curves": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}
                           for c in self.curves],
                "peaks": [dict(p) for p in self.peaks], "definitions": dict(self.definitions)}

    def tables(self) -> dict[str, dict[str, Any]]:
        sizes = [c["voltage_V"].size for c in self.curves]
        return {"dqdv": {"cycle": np.repeat([c["cycle"] for c in self.curves], sizes),
                         "role": np.repeat([c["role"] for c in self.curves], sizes),
                         "voltage_V": np.concatenate([c["voltage_V"] for c in self.curves]),
                         "dqdv_mAh_V": np.concatenate([c["dqdv_mAh_V"] for c in self.curves])}}

    def dqdv_frame(self) -> pd.DataFrame:
        """The curves as one long DataFrame (columns cycle, role, voltage_V, dqdv_mAh_V)."""
        import pandas as pd

        return pd.DataFrame(self.tables()["dqdv"])

    def headline(self) -> str:
        first = self.curves[0]["cycle"]
        parts = [f"dQ/dV of {len(self.curves)} half-cycles"]
        for c in self.curves:
            if c["cycle"] == first:
                volts = ", ".join(f"{p['voltage_V']:.3f}" for p in self.peaks
                                  if (p["cycle"], p["role"]) == (first, c["role"]))
                parts.append(f"cycle {first} {c['role']} peaks at {volts or 'none'} V")
        return "; ".join(parts)


@stamps_call
def dqdv(
    record: Record, cell: CellInfo | None = None, *, cycles: Any = None, bin_width_V: float = 0.005,
    window_V: float = 0.05, polyorder: int = 2, min_share: float = 0.05,
) -> DqdvResult:
    """dQ/dV of every half-cycle of ``cycles`` (default all) of the record, and its peaks (see the
    module docstring). A half-cycle too short or too narrow in voltage is left out, with a warning."""
    profiles = voltage_profiles(require_record(record, "dqdv"), cell, cycles=cycles)
    curves, peaks, skipped = [], [], []
    for c in profiles.curves:
        try:
            v, d = dqdv_curve(c["capacity_mAh"], c["voltage_V"], bin_width_V=bin_width_V, window_V=window_V,
                              polyorder=polyorder)
        except NotApplicableError as error:
            skipped.append(f"cycle {c['cycle']} {c['role']} ({str(error).removeprefix('dqdv: ')})")
            continue
        v.flags.writeable = d.flags.writeable = False
        curves.append({"cycle": c["cycle"], "role": c["role"], "voltage_V": v, "dqdv_mAh_V": d})
        for n, k in enumerate(dqdv_peaks(v, d, min_share=min_share), start=1):
            peaks.append({"cycle": c["cycle"], "role": c["role"], "peak": n, "voltage_V": float(v[k]),
                          "dqdv_mAh_V": float(d[k])})
    if not curves:
        raise NotApplicableError(f"dqdv: no half-cycle to differentiate ({'; '.join(skipped) or 'none in the record'})")
    definitions = {
        "peak_voltage": f"voltage of the n-th peak of |dQ/dV| by rising voltage (prominence >= {min_share} x the "
                        f"largest of the half-cycle; {bin_width_V} V bins, so good to one bin)",
        "peak_dqdv": "dQ/dV at that peak (signed: positive on charge, negative on discharge)",
    }
    warnings = [warning for warning in profiles.warnings if warning != NO_MASS]
    if skipped:
        warnings.append("left out of dQ/dV: " + "; ".join(skipped))
    return DqdvResult(tuple(curves), tuple(peaks), definitions, warnings=tuple(warnings))


@dataclass(frozen=True, repr=False)
class ProfileFeatures(Result):
    """Plateaus (peaks of |dQ/dV|) and inflections (minima of |dQ/dV| between plateaus) of one
    half-cycle's curve (``cycle``, ``role``); each a dict of voltage_V and capacity_mAh."""

    kind: ClassVar[str] = "profile_features"
    version: ClassVar[int] = 1

    cycle: int
    role: str
    plateaus: tuple[dict[str, float], ...]
    inflections: tuple[dict[str, float], ...]
    definitions: dict[str, str] = field(default_factory=dict)

    def metrics(self) -> tuple[Metric, ...]:
        """``plateau_voltage`` (V) and ``plateau_capacity`` (mAh) per plateau (index ``plateau``, by rising
        voltage), ``inflection_voltage`` and ``inflection_capacity`` per inflection (index ``inflection``)."""
        metrics = []
        for name, points in (("plateau", self.plateaus), ("inflection", self.inflections)):
            text = self.definitions[name]
            for n, point in enumerate(points, start=1):
                where: dict[str, Any] = {"index_name": name, "index": n}
                metrics.append(Metric(f"{name}_voltage", point["voltage_V"], "V", definition=text, **where))
                metrics.append(Metric(f"{name}_capacity", point["capacity_mAh"], "mAh",
                                      definition=f"{self.role} capacity where the curve crosses that voltage", **where))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"cycle": self.cycle, "role": self.role, "plateaus": [dict(p) for p in self.plateaus],
                "inflections": [dict(p) for p in self.inflections], "definitions": dict(self.definitions)}

    def headline(self) -> str:
        volts = ", ".join(f"{p['voltage_V']:.3f}" for p in self.plateaus) or "none"
        return f"cycle {self.cycle} {self.role}: plateaus at {volts} V; {len(self.inflections)} inflections"


@stamps_call
def profile_features(
    record: Record, cell: CellInfo | None = None, *, cycle: int = 1, role: str | None = None,
    bin_width_V: float = 0.005, window_V: float = 0.05, min_share: float = 0.05,
) -> ProfileFeatures:
    """Plateaus and inflections of one half-cycle of the record: ``cycle`` (default the first) and
    ``role`` (default the opening half-cycle, e.g. the first lithiation of an anode half-cell).

    A plateau is a peak of |dQ/dV| (:func:`dqdv_curve`) whose prominence is at least ``min_share`` of
    the largest; its capacity is Q where the curve crosses the peak voltage. An inflection (the
    steepest point of V(Q) between two plateaus) is the minimum of |dQ/dV| between adjacent peaks.
    For a curve held as arrays, :func:`curve_features` gives the same.
    """
    profiles = voltage_profiles(require_record(record, "profile_features"), cell, cycles=cycle)
    role = profiles.roles[0] if role is None else role
    if role not in profiles.roles:
        raise ValidationError("role", f"must be one of {', '.join(profiles.roles)} for this cell, got {role!r}")
    curve = profiles.curve(cycle, role)
    plateaus, inflections = curve_features(curve["capacity_mAh"], curve["voltage_V"], bin_width_V=bin_width_V,
                                           window_V=window_V, min_share=min_share)
    definitions = {"plateau": f"peak of |dQ/dV| with prominence >= {min_share} x max (bins {bin_width_V} V)",
                   "inflection": "minimum of |dQ/dV| between two adjacent plateau peaks (steepest V(Q))"}
    warnings = [warning for warning in profiles.warnings if warning != NO_MASS]
    if len(plateaus) < 2:
        warnings.append(f"{'one plateau' if plateaus else 'no plateau'} found: no inflection between plateaus")
    return ProfileFeatures(cycle, role, plateaus, inflections, definitions, warnings=tuple(warnings))
