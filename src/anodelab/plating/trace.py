"""The overpotential trace of a symmetric (or metal|metal, metal|substrate) cell: plateau, peak, end
value and hysteresis per half-cycle, as a time series; its values at chosen times, growth rate and
shape; and the overpotential per current block of a rate test.

Points
    A cycled record: one point per half-cycle (a run of :mod:`anodelab.plating.segments`). A
    one-directional record (no current reversal): one point per window of at most ``window_s`` (of
    three sampling intervals where the sampling is sparser; :func:`~anodelab.plating.shorts.window_width_s`).
Plateau overpotential (``eta_plateau_mV``)
    the median of the polarization ``sign(I) * V`` over the *settled* rows of the half-cycle: those
    at or after ``settle_fraction`` of its duration (the nucleation or reversal transient left out;
    the median ignores the end-of-stripping rise). Its time is the midpoint of the settled rows' time
    span. For a window: the median over its rows, at the time of its middle row (the median time of
    its rows where they are sampled evenly). Peak: the largest polarization of
    the half-cycle; end: its last row's. Hysteresis: the plateau of a half-cycle plus that of the one
    before it (the gap between the stripping and plating plateaus, V_strip - V_plate).
Values at chosen times (``hours``)
    the plateaus linearly interpolated in time between the two points around each time (both current
    directions alike), for times the record reaches before its first short; points from the first
    short on (:func:`~anodelab.plating.shorts.detect_shorts`, default thresholds) are left out of
    these, of the growth rate and of the blocks.
Growth rate
    the least-squares slope of the plateaus against time (mV/h), its standard error from the residuals.
Shape (Wood et al., ACS Cent. Sci. 3, 2017; Menkin et al., Faraday Discuss. 2024)
    with x the fraction of a half-cycle's duration and the means of the polarization over x in
    [0.02, 0.15] (start), [0.35, 0.65] (middle) and [0.85, 0.98] (end), the *shape index* is
    ``(max(start, end) - middle) / middle``: **peaking** (start >= end) or **arcing** (end > start)
    when it is ``rect_threshold`` or more and the excess ``max(start, end) - middle`` exceeds three
    standard errors of the part means (noise from successive differences), **rectangular** otherwise
    (a flat, ohmic trace). A trace that turns rectangular (at the change point of the known shapes,
    with at least three peaking or arcing half-cycles and a majority of them before it, a majority of
    rectangular ones from it on) shows a soft-short sign, warned of at its first rectangular point;
    a trace rectangular throughout may be an electrolyte whose resistance dominates.
Rate blocks
    consecutive points whose |I| agrees within ``rtol``; per block the median plateau and its standard
    error (1.2533 x standard deviation / sqrt(n)), when the record has more than one current.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Quantity, Result, stamps_call
from anodelab.plating.segments import (
    Rows,
    Segments,
    current_levels,
    group_medians,
    group_starts,
    range_medians,
)
from anodelab.plating.shorts import ShortOptions, prepare, scan_shorts, window_width_s

SHAPES = ("peaking", "arcing", "rectangular", "undetermined")
#: peaking or arcing half-cycles (and a majority) before a rectangular trace that warns of a soft short
SHAPED_BEFORE = 3
#: the shape index must exceed this many standard errors of the part means (the noise) to be a shape
SHAPE_SIGMAS = 3.0
#: fractions of a half-cycle's duration averaged for the shape index
SHAPE_PARTS = {"start": (0.02, 0.15), "middle": (0.35, 0.65), "end": (0.85, 0.98)}
#: points of the whole trace kept for the figure (extremes of each bucket kept), and per inset
TRACE_POINTS = 4000
INSET_POINTS = 2000
#: half-cycles, or windows of a one-directional record, in each zoomed inset
INSET_HALF_CYCLES = 4
INSET_WINDOWS = 12


@dataclass(frozen=True, repr=False)
class OverpotentialTrace(Result):
    """Overpotential per half-cycle (or window) of a metal cell (definitions in :mod:`anodelab.plating.trace`)."""

    kind: ClassVar[str] = "overpotential_trace"
    version: ClassVar[int] = 2

    unit: str                                  # "half-cycle" or "window"
    points: dict[str, NDArray[Any]]            # the per-point table
    at_hours: tuple[dict[str, float], ...]     # {"hour", "eta_plateau_mV"}
    growth_rate: Quantity | None               # mV/h
    blocks: tuple[dict[str, Any], ...]
    short_onset_h: float | None
    short_kind: str | None
    rectangular_from_h: float | None
    trace: dict[str, NDArray[np.float64]]      # the whole record, decimated: time_h, voltage_V
    insets: dict[str, NDArray[Any]]            # rows of the early and late insets: inset, time_h, voltage_V
    area_cm2: float | None = None
    definitions: dict[str, str] = field(default_factory=dict)

    def metrics(self) -> tuple[Metric, ...]:
        d = self.definitions
        metrics = [Metric("eta_plateau", item["eta_plateau_mV"], "mV", index_name="hour", index=int(item["hour"]),
                          definition=d["at_hours"]) for item in self.at_hours]
        if self.growth_rate is not None:
            metrics.append(Metric.of("growth_rate", self.growth_rate, definition=d["growth_rate"]))
        unit = "mA/cm2" if self.area_cm2 else "mA"
        for block in self.blocks:
            metrics.append(Metric("block_eta_plateau", block["eta_plateau_mV"], "mV", block["eta_plateau_stderr_mV"],
                                  index_name="block", index=block["block"], definition=d["blocks"]))
            metrics.append(Metric("block_current_density", block["current_density"], unit, index_name="block",
                                  index=block["block"], definition="mean |I| of the block's points"))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        shapes = self.points["shape"]
        return {
            "unit": self.unit,
            "time_h": self.points["time_h"],
            "eta_plateau_mV": self.points["eta_plateau_mV"],
            "at_hours": [dict(item) for item in self.at_hours],
            "growth_rate_mV_h": self.growth_rate.value if self.growth_rate else None,
            "growth_rate_stderr_mV_h": self.growth_rate.stderr if self.growth_rate else None,
            "shapes": {name: int(np.count_nonzero(shapes == name)) for name in SHAPES},
            "rectangular_from_h": self.rectangular_from_h,
            "blocks": [dict(block) for block in self.blocks],
            "short_onset_h": self.short_onset_h,
            "short_kind": self.short_kind,
            "area_cm2": self.area_cm2,
            "definitions": dict(self.definitions),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        return {"points": dict(self.points), "trace": dict(self.trace), "insets": dict(self.insets)}

    def headline(self) -> str:
        eta = self.points["eta_plateau_mV"]
        known = eta[np.isfinite(eta)]
        first = f"{known[0]:.4g} mV" if known.size else "-"
        parts = [f"{eta.size} {self.unit}s", f"first plateau {first}"]
        parts += [f"{item['eta_plateau_mV']:.4g} mV at {item['hour']:g} h" for item in self.at_hours]
        if self.growth_rate is not None:
            parts.append(f"growth {self.growth_rate:.3g}")
        if self.short_onset_h is not None:
            parts.append(f"{self.short_kind} short at {self.short_onset_h:.4g} h")
        return "; ".join(parts)


@stamps_call
def overpotential_trace(
    record: Record,
    cell: CellInfo | None = None,
    *,
    current_mA: float | None = None,
    hours: Sequence[int] = (100, 200, 500),
    settle_fraction: float = 0.2,
    window_s: float = 600.0,
    rect_threshold: float = 0.05,
    rtol: float = 0.05,
) -> OverpotentialTrace:
    """Plateau, peak and end overpotential and hysteresis per half-cycle (or ``window_s`` window of a
    one-directional record), their values at ``hours`` (h), growth rate, shape and rate blocks.
    ``current_mA``: the current held, for a record without a current column. Definitions in the
    module docstring."""
    hours = _hours(hours)
    if not (isinstance(settle_fraction, (int, float)) and 0 <= settle_fraction < 1):
        raise ValidationError("settle_fraction", f"must lie in [0, 1), got {settle_fraction!r}")
    if not (isinstance(rect_threshold, (int, float)) and rect_threshold > 0):
        raise ValidationError("rect_threshold", f"must be > 0, got {rect_threshold!r}")
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        raise ValidationError("rtol", f"must lie in (0, 1), got {rtol!r}")
    segments, rows, warnings = prepare(record, cell, current_mA, "overpotential_trace")
    scan = scan_shorts(segments, rows, ShortOptions(window_s=window_s))
    width_s = window_width_s(rows, window_s)
    onset_s = scan.first_onset_s
    if segments.reversing:
        unit = "half-cycle"
        label = segments.run[rows.segment]
        points = half_cycle_points(segments, rows, label, settle_fraction, rect_threshold)
    else:
        unit = "window"
        win = scan.windows
        label = np.repeat(np.arange(len(win)), win.last - win.first + 1)
        points = _window_points(segments, rows, label)
    end_s = rows.time_s[_bounds(label)[1]]
    healthy = np.ones(end_s.size, dtype=bool) if onset_s is None else end_s < onset_s
    points["after_short"] = ~healthy
    eta, time_h = points["eta_plateau_mV"], points["time_h"]
    usable = healthy & np.isfinite(eta)
    at_hours = _at_hours(hours, time_h[usable], eta[usable], onset_s, warnings)
    growth = _growth(time_h[usable], eta[usable])
    blocks = _blocks(points, usable, segments.area_cm2, rtol)
    rect_from = _rectangular_from(points["shape"], time_h)
    if rect_from is not None:
        warnings.append(f"the trace turns rectangular (flat, ohmic) at {rect_from:.4g} h after peaking or arcing "
                        "half-cycles: a soft-short sign (Menkin et al., Faraday Discuss. 2024)")
    first_event = scan.events[0] if scan.events else None
    trace = decimated(segments.time_s, segments.voltage_V, TRACE_POINTS)
    insets = _insets(segments, rows, label, onset_s, INSET_HALF_CYCLES if segments.reversing else INSET_WINDOWS)
    return OverpotentialTrace(unit, points, at_hours, growth, blocks, onset_s / 3600.0 if onset_s is not None else None,
                              first_event["kind"] if first_event else None, rect_from, trace, insets,
                              segments.area_cm2, _definitions(unit, width_s, settle_fraction, rect_threshold, rtol),
                              warnings=tuple(warnings))


def _definitions(unit: str, width_s: float, settle_fraction: float, rect_threshold: float, rtol: float
                 ) -> dict[str, str]:
    """The result's definitions of its quantities, in words."""
    return {
        "points": f"one per {unit}" + (f" (runs cut into windows of at most {width_s:g} s)" if unit == "window" else ""),
        "eta_plateau": (f"median of sign(I) * V over the rows at or after {settle_fraction:g} of the half-cycle's "
                        "duration, at the midpoint of their time span" if unit == "half-cycle" else
                        "median of sign(I) * V over the window's rows, at the time of its middle row"),
        "eta_peak": "largest sign(I) * V of the point's rows",
        "eta_end": "sign(I) * V of the point's last row",
        "hysteresis": "plateau + the previous half-cycle's plateau (V_strip - V_plate)",
        "at_hours": "plateaus linearly interpolated in time between the points around the hour, before the first short",
        "growth_rate": "least-squares slope of the plateaus vs time before the first short (stderr from the residuals)",
        "shape_index": f"(max(mean start, mean end) - mean middle) / mean middle over the fractions {SHAPE_PARTS}; "
                       f"rectangular below {rect_threshold:g}",
        "blocks": f"consecutive points with |I| within rtol={rtol:g}: median plateau, stderr 1.2533 sd / sqrt(n)",
    }


def _hours(hours: Sequence[int]) -> tuple[int, ...]:
    try:
        values = tuple(hours)
    except TypeError:
        raise ValidationError("hours", f"must be a sequence of whole hours, got {hours!r}") from None
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValidationError("hours", f"must be whole numbers of hours > 0, got {value!r}")
    return tuple(int(v) for v in values)


def _bounds(label: NDArray[np.intp]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """First and last row of each point (runs of equal ``label``)."""
    first = group_starts(label)
    return first, np.r_[first[1:] - 1, label.size - 1].astype(np.intp)


def _common(segments: Segments, rows: Rows, first: NDArray[np.intp], last: NDArray[np.intp]
            ) -> dict[str, NDArray[Any]]:
    """Columns every point has: time span, cycle, current, peak and end polarization, charge."""
    p = rows.polarization_V
    seg_first = rows.segment[first]
    current = segments.current_mA[seg_first]
    columns: dict[str, NDArray[Any]] = {
        "point": np.arange(1, first.size + 1),
        "cycle": segments.cycle_of_row[rows.row[first]].astype(np.int64),
        "start_h": rows.time_s[first] / 3600.0,
        "end_h": rows.time_s[last] / 3600.0,
        "current_mA": current,
    }
    if segments.area_cm2:
        columns["current_mA_cm2"] = np.abs(current) / segments.area_cm2
    columns["eta_peak_mV"] = 1000.0 * np.maximum.reduceat(p, first)
    columns["eta_end_mV"] = 1000.0 * p[last]
    columns["n_rows"] = (last - first + 1).astype(np.int64)
    return columns


def half_cycle_points(segments: Segments, rows: Rows, label: NDArray[np.intp], settle_fraction: float,
                      rect_threshold: float) -> dict[str, NDArray[Any]]:
    """The per-half-cycle table (module docstring): one point per run of equal ``label`` (the run of
    each row), in row order. Parts of a half-cycle (settled, start, middle, end) are row ranges found
    by binary search in time."""
    first, last = _bounds(label)
    runs = label[first]
    columns = _common(segments, rows, first, last)
    time, p = rows.time_s, rows.polarization_V
    t0, t1 = time[first], time[last]

    def at(fraction: float, side: Literal["left", "right"]) -> NDArray[np.intp]:
        row = np.searchsorted(time, t0 + fraction * (t1 - t0), side=side)
        return np.clip(row, first, last + 1).astype(np.intp)

    settled = at(settle_fraction, "left")
    plateau = range_medians(p, settled, last + 1)
    columns["time_h"] = np.where(settled <= last, 0.5 * (time[np.minimum(settled, last)] + t1), np.nan) / 3600.0
    columns["duration_h"] = (t1 - t0) / 3600.0
    run_first, _ = segments.run_bounds()
    charge = np.add.reduceat(segments.charge_mAh, run_first)
    columns["capacity_mAh"] = charge[runs]
    if segments.area_cm2:
        columns["capacity_mAh_cm2"] = charge[runs] / segments.area_cm2
    columns["eta_plateau_mV"] = 1000.0 * plateau
    columns["hysteresis_mV"] = 1000.0 * (plateau + np.r_[np.nan, plateau[:-1]])
    total = np.r_[0.0, np.cumsum(p)]
    means, sizes = {}, {}
    for name, (low, high) in SHAPE_PARTS.items():
        begin, end = at(low, "left"), at(high, "right")
        sizes[name] = (end - begin).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            means[name] = (total[end] - total[begin]) / sizes[name]
    step = np.abs(np.diff(p, append=p[-1]))
    step[last] = 0.0  # no difference across half-cycles
    with np.errstate(invalid="ignore", divide="ignore"):
        noise = np.add.reduceat(step, first) / (last - first) * np.sqrt(np.pi) / 2.0
        larger = np.where(means["start"] >= means["end"], sizes["start"], sizes["end"])
        stderr = noise * np.sqrt(1.0 / larger + 1.0 / sizes["middle"])
    columns["shape_index"], columns["shape"] = _shape(means["start"], means["middle"], means["end"], stderr,
                                                      rect_threshold)
    return {key: columns[key] for key in _ORDER if key in columns}


def _window_points(segments: Segments, rows: Rows, label: NDArray[np.intp]) -> dict[str, NDArray[Any]]:
    first, last = _bounds(label)
    columns = _common(segments, rows, first, last)
    t0, t1 = rows.time_s[first], rows.time_s[last]
    columns["time_h"] = rows.time_s[first + (last - first) // 2] / 3600.0
    columns["duration_h"] = (t1 - t0) / 3600.0
    columns["eta_plateau_mV"] = 1000.0 * group_medians(rows.polarization_V, first)
    columns["hysteresis_mV"] = np.full(first.size, np.nan)
    columns["shape_index"] = np.full(first.size, np.nan)
    columns["shape"] = np.full(first.size, "undetermined", dtype="<U12")
    return {key: columns[key] for key in _ORDER if key in columns}


_ORDER = ("point", "cycle", "start_h", "time_h", "end_h", "duration_h", "current_mA", "current_mA_cm2",
          "capacity_mAh", "capacity_mAh_cm2", "eta_plateau_mV", "eta_peak_mV", "eta_end_mV", "hysteresis_mV",
          "shape_index", "shape", "n_rows")


def _shape(start: NDArray[np.float64], middle: NDArray[np.float64], end: NDArray[np.float64],
           stderr: NDArray[np.float64], rect_threshold: float) -> tuple[NDArray[np.float64], NDArray[np.str_]]:
    """Shape index and name per half-cycle from the mean polarization of its parts (module docstring):
    a shape where the index reaches ``rect_threshold`` and the excess over the middle
    :data:`SHAPE_SIGMAS` standard errors (``stderr``, V) of the part means; undetermined where a
    part has no row."""
    excess = np.maximum(start, end) - middle
    with np.errstate(invalid="ignore", divide="ignore"):
        index = excess / middle
    known = np.isfinite(index) & (middle > 0)
    index = np.where(known, index, np.nan)
    noise_excess = SHAPE_SIGMAS * np.where(np.isfinite(stderr), stderr, 0.0)
    shaped = known & (index >= rect_threshold) & ~(excess <= noise_excess)
    shape = np.full(index.size, "undetermined", dtype="<U12")
    shape[known & ~shaped] = "rectangular"
    shape[shaped & (start >= end)] = "peaking"
    shape[shaped & (start < end)] = "arcing"
    return index, shape


def _at_hours(hours: tuple[int, ...], time_h: NDArray[np.float64], eta: NDArray[np.float64], onset_s: float | None,
              warnings: list[str]) -> tuple[dict[str, float], ...]:
    found = []
    missed = []
    for hour in hours:
        if time_h.size and time_h[0] <= hour <= time_h[-1]:
            found.append({"hour": float(hour), "eta_plateau_mV": float(np.interp(hour, time_h, eta))})
        else:
            missed.append(hour)
    if missed:
        limit = f"the first short at {onset_s / 3600.0:.4g} h" if onset_s is not None else "the end of the record"
        warnings.append(f"no plateau at {', '.join(map(str, missed))} h: outside the points before {limit}")
    return tuple(found)


def _growth(time_h: NDArray[np.float64], eta: NDArray[np.float64]) -> Quantity | None:
    """Least-squares slope of eta (mV) vs time (h) with its standard error; None below three points."""
    if time_h.size < 3 or np.ptp(time_h) == 0:
        return None
    t = time_h - time_h.mean()
    sxx = float(t @ t)
    slope = float(t @ (eta - eta.mean())) / sxx
    residual = eta - eta.mean() - slope * t
    stderr = math.sqrt(float(residual @ residual) / (time_h.size - 2) / sxx)
    return Quantity(slope, stderr, "mV/h")


def _blocks(points: dict[str, NDArray[Any]], usable: NDArray[np.bool_], area_cm2: float | None,
            rtol: float) -> tuple[dict[str, Any], ...]:
    """Rate blocks of the usable points; none when they hold one current."""
    magnitude = np.abs(points["current_mA"][usable])
    level = current_levels(magnitude, rtol)
    if level.size == 0 or level[-1] == 0:
        return ()
    eta = points["eta_plateau_mV"][usable]
    number = points["point"][usable]
    blocks = []
    for b in range(int(level[-1]) + 1):
        inside = level == b
        values = eta[inside]
        current = float(magnitude[inside].mean())
        spread = 1.2533 * float(np.std(values, ddof=1)) / math.sqrt(values.size) if values.size > 1 else None
        blocks.append({"block": b + 1, "first_point": int(number[inside][0]), "last_point": int(number[inside][-1]),
                       "n_points": int(values.size), "current_mA": current,
                       "current_density": current / area_cm2 if area_cm2 else current,
                       "eta_plateau_mV": float(np.median(values)), "eta_plateau_stderr_mV": spread})
    return tuple(blocks)


def _rectangular_from(shape: NDArray[np.str_], time_h: NDArray[np.float64]) -> float | None:
    """The time of the first rectangular point from the change point of the known shapes on (the split
    leaving the fewest rectangular points before it and peaking or arcing ones after it, so that a
    noisy half-cycle does not set it), where at least :data:`SHAPED_BEFORE` points and the majority
    before the split were peaking or arcing and the majority from it on is rectangular; None if
    there is none."""
    known = np.flatnonzero(shape != "undetermined")
    flat = shape[known] == "rectangular"
    if not flat.any():
        return None
    k = np.arange(flat.size + 1)
    flat_before = np.r_[0, np.cumsum(flat)]
    shaped_before = k - flat_before
    flat_after = flat_before[-1] - flat_before
    cost = flat_before + (flat.size - k - flat_after)
    valid = (shaped_before >= SHAPED_BEFORE) & (2 * shaped_before > k) & (2 * flat_after > flat.size - k)
    if not valid.any():
        return None
    split = int(np.flatnonzero(valid)[np.argmin(cost[valid])])
    return float(time_h[known[split + int(np.argmax(flat[split:]))]])


def decimated(time_s: NDArray[np.float64], voltage_V: NDArray[np.float64], points: int
               ) -> dict[str, NDArray[np.float64]]:
    """About ``points`` points of the trace (h, V) for display: equal-row buckets keep their first,
    last, lowest and highest rows, in row order; a shorter trace whole."""
    n = time_s.size
    if n <= points:
        return {"time_h": time_s / 3600.0, "voltage_V": voltage_V.copy()}
    buckets = max(points // 4, 1)
    size = -(-n // buckets)
    padded = np.concatenate([voltage_V, np.full(buckets * size - n, voltage_V[-1])]).reshape(buckets, size)
    filled = np.where(np.isfinite(padded), padded, np.nanmedian(voltage_V))
    base = np.arange(buckets) * size
    keep = np.unique(np.minimum(np.concatenate([base, base + size - 1, base + np.argmin(filled, axis=1),
                                                base + np.argmax(filled, axis=1)]), n - 1))
    return {"time_h": time_s[keep] / 3600.0, "voltage_V": voltage_V[keep].copy()}


def _insets(segments: Segments, rows: Rows, label: NDArray[np.intp], onset_s: float | None, per_inset: int
            ) -> dict[str, NDArray[Any]]:
    """The record's rows over the first ``per_inset`` points (inset 0) and over the ``per_inset``
    points that end one point after the first short's (or at the end; inset 1), each decimated for
    display."""
    first, last = _bounds(label)
    n = first.size
    k = min(per_inset, n)
    end_point = n - 1 if onset_s is None else int(np.searchsorted(rows.time_s[last], onset_s, side="left")) + 1
    end_point = min(end_point, n - 1)
    spans = ((rows.time_s[first[0]], rows.time_s[last[k - 1]]),
             (rows.time_s[first[max(end_point - k + 1, 0)]], rows.time_s[last[end_point]]))
    time, voltage = segments.time_s, segments.voltage_V
    parts = []
    for number, (t0, t1) in enumerate(spans):
        lo, hi = int(np.searchsorted(time, t0, side="left")), int(np.searchsorted(time, t1, side="right"))
        piece = decimated(time[lo:hi], voltage[lo:hi], INSET_POINTS)
        parts.append((np.full(piece["time_h"].size, number), piece["time_h"], piece["voltage_V"]))
    return {"inset": np.concatenate([p[0] for p in parts]), "time_h": np.concatenate([p[1] for p in parts]),
            "voltage_V": np.concatenate([p[2] for p in parts])}
