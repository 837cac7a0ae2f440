"""Capacity-voltage curves per half-cycle, and plateau / inflection detection on one curve."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    HALF_CYCLE_ROLES,
    OPENING_STATE,
    REST,
    step_directions,
)
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.cycling.halfcycles import require_record

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class VoltageProfiles:
    """Curves, one dict per half-cycle: cycle, role, capacity_mAh (cumulative over the half-cycle's
    steps), voltage_V, and capacity_mAh_g where the active mass is known."""

    curves: tuple[dict[str, Any], ...]
    active_mass_mg: float | None

    def curve(self, cycle: int, role: str) -> dict[str, Any]:
        for c in self.curves:
            if c["cycle"] == cycle and c["role"] == role:
                return c
        raise NotApplicableError(f"no {role} half-cycle in cycle {cycle}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "voltage_profiles", "active_mass_mg": self.active_mass_mg,
                "curves": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}
                           for c in self.curves]}

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.concat([pd.DataFrame(c) for c in self.curves], ignore_index=True)

    def __repr__(self) -> str:
        return f"<VoltageProfiles {len(self.curves)} half-cycles>"


def voltage_profiles(record: Record, cell: CellInfo | None = None, *, cycles: Any = None) -> VoltageProfiles:
    """Capacity-voltage curves of the half-cycles of ``cycles`` (an int, an iterable, or None: all >= 1)."""
    record = require_record(record, "voltage_profiles")
    cell = cell if cell is not None else record.cell
    if cell is not None and (record.cell is None or record.cell.cell_type != cell.cell_type):
        record = record.with_cell(cell)
    if "capacity_mAh" not in record:
        raise NotApplicableError("voltage_profiles needs a capacity column (or time and current)")
    cell_type = cell.cell_type if cell else None
    roles = HALF_CYCLE_ROLES[cell_type] if cell_type else ("forward", "reverse")
    step, cycle = record["step"], record["cycle"]
    direction = step_directions(step, record["state"])[step - 1]
    opening = OPENING_STATE.get(cell_type) if cell_type else None
    if opening is None:
        active = direction[direction != REST]
        if active.size == 0:
            raise NotApplicableError("voltage_profiles: no charge or discharge rows")
        opening = int(active[0])
    wanted = record.cycles[record.cycles > 0] if cycles is None else np.atleast_1d(np.asarray(list(
        [cycles] if isinstance(cycles, (int, np.integer)) else cycles)))
    mass = cell.working_electrode.active_mass_mg if cell else None
    capacity = np.nan_to_num(record["capacity_mAh"])
    voltage = record["voltage_V"]
    curves = []
    for number in wanted:
        rows_of_cycle = np.flatnonzero(cycle == number)
        for code, role in ((opening, roles[0]), (CHARGE if opening == DISCHARGE else DISCHARGE, roles[1])):
            rows = rows_of_cycle[direction[rows_of_cycle] == code]
            if rows.size == 0:
                continue
            q = capacity[rows].copy()
            # cumulative over the half-cycle's steps: add the final charge of the steps before
            s = step[rows]
            first = np.r_[True, s[1:] != s[:-1]]
            ends = np.r_[np.flatnonzero(first)[1:] - 1, rows.size - 1]
            offsets = np.r_[0.0, np.cumsum(q[ends])[:-1]]
            q += np.repeat(offsets, np.diff(np.r_[np.flatnonzero(first), rows.size]))
            curve: dict[str, Any] = {"cycle": int(number), "role": role, "capacity_mAh": q,
                                     "voltage_V": voltage[rows].copy()}
            if mass is not None:
                curve["capacity_mAh_g"] = q * 1000.0 / mass
            curves.append(curve)
    return VoltageProfiles(tuple(curves), mass)


@dataclass(frozen=True, repr=False)
class ProfileFeatures:
    """Plateaus (peaks of |dQ/dV|) and inflections (minima of |dQ/dV| between plateaus) of one curve."""

    plateaus: tuple[dict[str, float], ...]
    inflections: tuple[dict[str, float], ...]
    definitions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "profile_features", "plateaus": [dict(p) for p in self.plateaus],
                "inflections": [dict(p) for p in self.inflections], "definitions": dict(self.definitions)}

    def __repr__(self) -> str:
        volts = ", ".join(f"{p['voltage_V']:.3f}" for p in self.plateaus)
        return f"<ProfileFeatures plateaus at [{volts}] V, {len(self.inflections)} inflections>"


def profile_features(
    capacity_mAh: NDArray[np.float64], voltage_V: NDArray[np.float64], *, bin_width_V: float = 0.005,
    window_V: float = 0.05, min_share: float = 0.05,
) -> ProfileFeatures:
    """Plateaus and inflections of one capacity-voltage curve (e.g. the first lithiation).

    A plateau is a peak of |dQ/dV| (:func:`anodelab.cycling.dqdv_curve`) whose prominence is at least
    ``min_share`` of the largest; its capacity is Q where the curve crosses the peak voltage. An
    inflection (the steepest point of V(Q) between two plateaus) is the minimum of |dQ/dV| between
    adjacent plateau peaks.
    """
    from scipy.signal import find_peaks

    from anodelab.cycling.dqdv import dqdv_curve

    if not 0 < min_share < 1:
        raise ValidationError("min_share", f"must lie in (0, 1), got {min_share!r}")
    q = np.asarray(capacity_mAh, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    centres, d = dqdv_curve(q, v, bin_width_V=bin_width_V, window_V=window_V)
    magnitude = np.abs(d)
    peaks, _ = find_peaks(magnitude, prominence=min_share * float(magnitude.max()))
    peaks = peaks[np.argsort(centres[peaks])]
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
    definitions = {"plateau": f"peak of |dQ/dV| with prominence >= {min_share} x max (bins {bin_width_V} V)",
                   "inflection": "minimum of |dQ/dV| between two adjacent plateau peaks (steepest V(Q))"}
    return ProfileFeatures(plateaus, tuple(inflections), definitions)
