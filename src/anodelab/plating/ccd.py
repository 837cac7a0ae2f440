"""Critical current density from a current-density staircase on a symmetric cell.

Levels
    consecutive half-cycles (runs of :mod:`anodelab.plating.segments`) whose |I| agrees within
    ``rtol``; the staircase needs two levels or more, each at a higher current than the one before.
Protocol
    ``fixed-time`` when the half-cycles of the levels before the failing one last the same time
    (within ``rtol``), ``fixed-capacity`` when they pass the same charge; the time (s) or charge per
    half-cycle is recorded (``undetermined`` with a single complete level, or when neither holds).
Failure
    the first hard short of :func:`~anodelab.plating.shorts.detect_shorts` (same rules and
    thresholds), or, without one, its first soft short (with a warning). Soft shorts before the
    failure are reported as warnings.
CCD, by the two conventions in use
    ``ccd_mA_cm2``: the current density of the level in which the cell fails (shorts);
    ``last_stable_mA_cm2``: the highest level before the first level with any short (the last one
    cycled without a short).
Plated capacity at failure
    the charge passed in plating half-cycles of the working electrode (I < 0) from the first row to
    the failure's onset (the failing half-cycle counted up to it), per cm2; also the charge passed in
    both directions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.plating.segments import Segments, current_levels
from anodelab.plating.shorts import ShortOptions, prepare, scan_shorts
from anodelab.plating.trace import TRACE_POINTS, decimated, half_cycle_points

PROTOCOLS = ("fixed-time", "fixed-capacity", "undetermined")


@dataclass(frozen=True, repr=False)
class CriticalCurrentDensity(Result):
    """CCD of a staircase (definitions in :mod:`anodelab.plating.ccd`); current densities in ``unit``
    (mA/cm2, or mA without an electrode area)."""

    kind: ClassVar[str] = "ccd"
    version: ClassVar[int] = 2

    levels: tuple[dict[str, Any], ...]
    protocol: str
    step_s: float | None
    step_capacity: float | None           # per half-cycle, mAh/cm2 (mAh without an area)
    ccd: float | None
    last_stable: float | None
    unit: str
    failure: dict[str, Any] | None
    soft_warnings: tuple[dict[str, Any], ...]
    plated_at_failure: float | None       # mAh/cm2 (mAh without an area)
    passed_at_failure: float | None
    trace: dict[str, NDArray[np.float64]]  # the whole record, decimated: time_h, voltage_V
    area_cm2: float | None = None
    definitions: dict[str, str] = field(default_factory=dict)

    @property
    def capacity_unit(self) -> str:
        return "mAh/cm2" if self.area_cm2 else "mAh"

    def metrics(self) -> tuple[Metric, ...]:
        d = self.definitions
        metrics = []
        if self.ccd is not None:
            metrics.append(Metric("ccd", self.ccd, self.unit, definition=d["ccd"]))
        if self.last_stable is not None:
            metrics.append(Metric("last_stable", self.last_stable, self.unit, definition=d["last_stable"]))
        if self.plated_at_failure is not None:
            metrics.append(Metric("plated_capacity_at_failure", self.plated_at_failure, self.capacity_unit,
                                  definition=d["plated"]))
        for level in self.levels:
            metrics.append(Metric("level_current_density", level["current_density"], self.unit, index_name="level",
                                  index=level["level"], definition="mean |I| of the level's half-cycles"))
            metrics.append(Metric("level_eta_plateau", level["eta_plateau_mV"], "mV", index_name="level",
                                  index=level["level"], definition=d["level_eta"]))
        return tuple(metrics)

    def _mA(self, density: float | None) -> float | None:
        """A current density of the result in mA."""
        return None if density is None else density * self.area_cm2 if self.area_cm2 else density

    def content(self) -> dict[str, Any]:
        areal = self.area_cm2 is not None
        return {
            "ccd_mA_cm2": self.ccd if areal else None,
            "last_stable_mA_cm2": self.last_stable if areal else None,
            "ccd_mA": self._mA(self.ccd),
            "last_stable_mA": self._mA(self.last_stable),
            "protocol": self.protocol,
            "step_s": self.step_s,
            ("step_capacity_mAh_cm2" if areal else "step_capacity_mAh"): self.step_capacity,
            ("plated_mAh_cm2_at_failure" if areal else "plated_mAh_at_failure"): self.plated_at_failure,
            ("passed_mAh_cm2_at_failure" if areal else "passed_mAh_at_failure"): self.passed_at_failure,
            "short_onset_h": self.failure["short_onset_h"] if self.failure else None,
            "failure": dict(self.failure) if self.failure else None,
            "soft_short_warnings": [dict(w) for w in self.soft_warnings],
            "levels": [dict(level) for level in self.levels],
            "area_cm2": self.area_cm2,
            "definitions": dict(self.definitions),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        keys = dict.fromkeys(key for level in self.levels for key in level)
        return {"levels": {key: np.array([np.nan if lv.get(key) is None else lv[key] for lv in self.levels])
                           for key in keys}, "trace": dict(self.trace)}

    def headline(self) -> str:
        if self.ccd is None:
            stable = f"{self.last_stable:.3g} {self.unit}" if self.last_stable is not None else "-"
            return f"no short in {len(self.levels)} levels ({self.protocol}); last stable {stable}"
        stable = f"{self.last_stable:.3g}" if self.last_stable is not None else "-"
        return (f"CCD {self.ccd:.3g} {self.unit} ({self.failure['kind'] if self.failure else ''} short), "
                f"last stable {stable} {self.unit}; {self.protocol}")


@stamps_call
def critical_current_density(
    record: Record,
    cell: CellInfo | None = None,
    *,
    current_mA: float | None = None,
    rtol: float = 0.05,
    window_s: float = 600.0,
    drop_fraction: float = 0.5,
) -> CriticalCurrentDensity:
    """The CCD of a current-density staircase by both conventions (``ccd``: the level the cell shorts
    in; ``last_stable``: the last level cycled without a short), the protocol, soft-short warnings
    before the failure and the plated capacity at failure. ``window_s`` and ``drop_fraction`` are
    :func:`~anodelab.plating.shorts.detect_shorts`' options. Definitions in the module docstring."""
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        raise ValidationError("rtol", f"must lie in (0, 1), got {rtol!r}")
    segments, rows, warnings = prepare(record, cell, current_mA, "critical_current_density")
    scan = scan_shorts(segments, rows, ShortOptions(drop_fraction=drop_fraction, window_s=window_s))
    points = half_cycle_points(segments, rows, segments.run[rows.segment], 0.2, 0.05)
    magnitude = np.abs(points["current_mA"])
    level = current_levels(magnitude, rtol)
    _require_staircase(segments, magnitude, level, bool(scan.events), warnings)
    area = segments.area_cm2
    failure = _failure(scan.events, warnings)
    event_level = [int(level[_point_of(points, e["onset_s"])]) for e in scan.events]
    failure_level = event_level[scan.events.index(failure)] if failure is not None else None
    first_event_level = min(event_level) if event_level else None
    levels = _levels(points, level, event_level, area)
    complete = [lv for lv in levels if failure_level is None or lv["level"] - 1 < failure_level]
    protocol, step_s, step_capacity = _protocol(complete if len(complete) >= 2 else levels, rtol)
    unit_scale = 1.0 / area if area else 1.0
    ccd = float(levels[failure_level]["current_density"]) if failure_level is not None else None
    stable_below = first_event_level if first_event_level is not None else len(levels)
    last_stable = float(levels[stable_below - 1]["current_density"]) if stable_below > 0 else None
    soft = tuple({"short_onset_h": e["short_onset_h"], "level": lv + 1,
                  "current_density": float(levels[lv]["current_density"]), "confidence": e["confidence"]}
                 for e, lv in zip(scan.events, event_level)
                 if failure is not None and e["kind"] == "soft" and e["onset_s"] < failure["onset_s"])
    if soft:
        warnings.append(f"{len(soft)} soft shorts before the failure, the first at "
                        f"{soft[0]['current_density']:.3g} {segments.density_unit}")
    plated = passed = None
    if failure is not None:
        plated_mAh, passed_mAh = _charge_before(segments, failure["onset_s"])
        plated, passed = plated_mAh * unit_scale, passed_mAh * unit_scale
    return CriticalCurrentDensity(levels, protocol, step_s, step_capacity, ccd, last_stable, segments.density_unit,
                                  _failure_entry(failure, failure_level), soft, plated, passed,
                                  decimated(segments.time_s, segments.voltage_V, TRACE_POINTS), area,
                                  _definitions(rtol), warnings=tuple(warnings))


def _failure(events: tuple[dict[str, Any], ...], warnings: list[str]) -> dict[str, Any] | None:
    """The failure (module docstring): the first hard short, else the first soft one, else None."""
    hard = [e for e in events if e["kind"] == "hard"]
    failure = hard[0] if hard else (events[0] if events else None)
    if failure is not None and not hard:
        warnings.append("no hard short: the failure is the first soft short")
    if failure is None:
        warnings.append("no short in the staircase: the CCD lies above the last level")
    return failure


def _failure_entry(failure: dict[str, Any] | None, failure_level: int | None) -> dict[str, Any] | None:
    """The result's account of the failure, with its level (numbered from 1)."""
    if failure is None:
        return None
    entry = {key: failure[key] for key in ("kind", "short_onset_h", "cycle", "current_mA", "confidence",
                                           "recovered", "evidence")}
    entry["level"] = failure_level + 1 if failure_level is not None else None
    return entry


def _definitions(rtol: float) -> dict[str, str]:
    """The result's definitions of its quantities, in words."""
    return {
        "levels": f"consecutive half-cycles with |I| within rtol={rtol:g}, increasing",
        "protocol": "fixed-time: equal half-cycle durations before the failing level; fixed-capacity: equal charges",
        "ccd": "current density of the level in which the cell first fails (first hard short, else first soft short)",
        "last_stable": "highest level before the first level with any short",
        "plated": "charge of the plating (I < 0) half-cycles up to the failure's onset",
        "level_eta": "median of the level's half-cycle plateaus (median of sign(I) * V after 20 % of each)",
        "shorts": "anodelab.plating.shorts rules (detect_shorts with these window_s and drop_fraction)",
    }


def _require_staircase(segments: Segments, magnitude: NDArray[np.float64], level: NDArray[np.intp],
                       shorted: bool, warnings: list[str]) -> None:
    """Refuse levels that do not increase, and a single level in which the cell does not short."""
    if level.size == 0 or level[-1] == 0:
        if not shorted:
            raise NotApplicableError(f"{segments.source}: critical_current_density needs a staircase of increasing "
                                     "current densities; the record holds one current and no short")
        warnings.append("one current level only: the cell shorted at the first step of the staircase")
        return
    first = np.flatnonzero(np.r_[True, level[1:] != level[:-1]])
    if np.any(np.diff(magnitude[first]) <= 0):
        steps = ", ".join(f"{m:.4g}" for m in magnitude[first][:8])
        raise NotApplicableError(f"{segments.source}: critical_current_density needs each level at a higher current "
                                 f"than the one before; the levels are {steps} mA")


def _point_of(points: dict[str, NDArray[Any]], onset_s: float) -> int:
    """The half-cycle (point index) holding the time ``onset_s``."""
    return int(np.clip(np.searchsorted(points["end_h"] * 3600.0, onset_s, side="left"), 0, points["end_h"].size - 1))


def _levels(points: dict[str, NDArray[Any]], level: NDArray[np.intp], event_level: list[int], area: float | None
            ) -> tuple[dict[str, Any], ...]:
    out = []
    for number in range(int(level[-1]) + 1):
        inside = level == number
        current = float(np.abs(points["current_mA"][inside]).mean())
        duration_s = points["duration_h"][inside] * 3600.0
        capacity = points["capacity_mAh"][inside]
        eta = points["eta_plateau_mV"][inside]
        events = sum(1 for lv in event_level if lv == number)
        out.append({
            "level": number + 1,
            "current_mA": current,
            "current_density": current / area if area else current,
            "n_half_cycles": int(inside.sum()),
            "half_cycle_s": float(np.median(duration_s)),
            "capacity": float(np.median(capacity)) / area if area else float(np.median(capacity)),
            "eta_plateau_mV": float(np.nanmedian(eta)) if np.isfinite(eta).any() else None,
            "shorts": events,
            "stable": events == 0,
            "start_h": float(points["start_h"][inside][0]),
            "end_h": float(points["end_h"][inside][-1]),
        })
    return tuple(out)


def _protocol(levels: list[dict[str, Any]] | tuple[dict[str, Any], ...], rtol: float
              ) -> tuple[str, float | None, float | None]:
    """The protocol and the time (s) or capacity per half-cycle it holds fixed."""
    if len(levels) < 2:
        return "undetermined", None, None
    duration = np.array([lv["half_cycle_s"] for lv in levels])
    capacity = np.array([lv["capacity"] for lv in levels])
    if np.allclose(duration, duration[0], rtol=rtol, atol=0.0):
        return "fixed-time", float(np.median(duration)), None
    if np.allclose(capacity, capacity[0], rtol=rtol, atol=0.0):
        return "fixed-capacity", None, float(np.median(capacity))
    return "undetermined", None, None


def _charge_before(segments: Segments, onset_s: float) -> tuple[float, float]:
    """Charge (mAh) passed in plating segments (I < 0) and in all segments before ``onset_s``."""
    start_s, end_s = segments.start_s, segments.end_s
    span = np.clip(np.minimum(end_s, onset_s) - start_s, 0.0, None)
    full = np.where(end_s - start_s > 0, span / np.where(end_s > start_s, end_s - start_s, 1.0), 0.0)
    charge = segments.charge_mAh * np.clip(full, 0.0, 1.0)
    return float(charge[segments.current_mA < 0].sum()), float(charge.sum())

