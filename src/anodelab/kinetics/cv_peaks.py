"""Peaks of a sweep and their baselines (the next cycle's current for a peak that does not recur).

Peaks
    Reduction peaks on cathodic sweeps (minima of I), oxidation peaks on anodic sweeps (maxima):
    local extremes of the smoothed current of prominence at least ``min_prominence`` of the record's
    current range and :data:`NOISE_SIGMAS` times the noise of the smoothed current. ``E_peak_V`` and
    the current there: the maximum of a cubic fitted to the binned current over the peak's top (a
    third of its narrower half-width at half prominence each side), which follows a diffusion peak's
    skew. ``I_peak_mA``: the current above the peak's baseline, signed (< 0 for reduction);
    ``I_measured_mA``: the current itself.
Baseline (per peak)
    A straight line I(E) fitted to the smoothed current over the flattest window (the least change
    of current across :data:`BASELINE_FRACTION` of the sweep's span) that is flat (a change of at most
    :data:`FLAT_SHARE` of the peak's prominence) and passes under the peak's bases, extrapolated to
    the peak: looked for first between the previous peak's foot (or the sweep's start) and this
    peak's foot (two half-widths from it), then between its foot and the next peak's, then anywhere
    before, then anywhere after (``baseline_side``); where none is flat, the horizontal line at the
    peak's higher base (``"base"``: I_peak is the prominence, with a warning). This is the extrapolated
    capacitive (double-layer) baseline where the sweep has one. A peak ``recurs`` when the next cycle
    has a peak of its direction within :data:`RECUR_V` (None where the next cycle has no sweep of that
    direction over it); the baseline of one that does not (an SEI or first-lithiation peak) is the next
    cycle's current over the same potentials plus the line of the same rule fitted to the difference
    of the two sweeps (``"next cycle + ..."``), as Attia et al. (2021) read their first-cycle peaks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.kinetics.cv_curves import SweepCurve
from anodelab.kinetics.lines import slope_r2

#: the baseline window, as a fraction of the sweep's potential span
BASELINE_FRACTION = 0.1
#: a baseline window is flat when its current changes by at most this fraction of the peak's prominence
FLAT_SHARE = 0.1
#: a peak recurs in the next cycle when that cycle has a peak of the same direction this close (V)
RECUR_V = 0.2
#: a peak stands out of the noise by this many standard deviations
NOISE_SIGMAS = 10.0


@dataclass(frozen=True)
class Peak:
    """A local maximum of ``sign * values`` on the sweep's grid."""

    bin: int
    potential_V: float
    value: float            # the curve's value at the peak (signed as the curve)
    prominence: float
    half_widths: tuple[float, float]    # bins from the peak to half prominence, upstream and downstream


def local_peaks(grid: NDArray[np.float64], values: NDArray[np.float64], sign: float, floor: float,
                raw: NDArray[np.float64] | None = None) -> list[Peak]:
    """The local maxima of ``sign * values`` of prominence at least ``floor``, in sweep order. The
    potential and value: the maximum of a cubic fitted to ``raw`` (the unsmoothed bins) over the peak's
    top (a third of its narrower half-width each side, at least one bin), else of the parabola through
    the extreme bin of ``values`` and its neighbours."""
    from scipy.signal import find_peaks

    if values.size < 3 or not floor > 0:
        return []
    y = sign * values
    found, info = find_peaks(y, prominence=floor, width=0, rel_height=0.5)
    out = []
    for k, prominence, left, right in zip(found, info["prominences"], info["left_ips"], info["right_ips"]):
        half_widths = (float(k - left), float(right - k))
        vertex = None
        if raw is not None:
            reach = max(1, round(min(half_widths) / 3))
            a, b = max(int(k) - reach, 0), min(int(k) + reach, y.size - 1) + 1
            vertex = _vertex(grid[a:b], sign * raw[a:b])
        if vertex is None:
            vertex = _vertex(grid[k - 1:k + 2], y[k - 1:k + 2])
        potential, top = vertex if vertex is not None else (float(grid[k]), float(y[k]))
        out.append(Peak(int(k), potential, sign * top, float(prominence), half_widths))
    return out


def _vertex(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float] | None:
    """(x, y) of the maximum of the least-squares cubic through the points (a parabola through three
    or four): the stationary point nearest their middle where the curve bends down; None where there
    is none inside them. A cubic follows the skew of a diffusion peak that pulls a parabola's vertex."""
    if x.size < 3:
        return None
    centre, scale = float(x.mean()), float(np.ptp(x)) or 1.0
    u = (x - centre) / scale
    polynomial = np.polynomial.Polynomial.fit(u, y, 3 if x.size >= 5 else 2, domain=[-1, 1], window=[-1, 1])
    first, second = polynomial.deriv(1), polynomial.deriv(2)
    roots = [float(r.real) for r in first.roots() if abs(r.imag) < 1e-12 and u.min() <= r.real <= u.max()
             and second(r.real) < 0]
    if not roots:
        return None
    u0 = min(roots, key=abs)
    return centre + u0 * scale, float(polynomial(u0))


def _baseline(grid: NDArray[np.float64], smooth: NDArray[np.float64], sign: float, peak: Peak,
              before: Peak | None, after: Peak | None) -> tuple[float, float, float, float, str]:
    """(intercept mA, slope mA/V, window low V, window high V, side) of a peak's baseline (rule in the
    module docstring); side ``before``/``after``: a window between the peak and its neighbour,
    ``before sweep``/``after sweep``: anywhere before or after the peak's foot, ``base``: none."""
    n = grid.size
    m = max(5, round(BASELINE_FRACTION * n))
    y = sign * smooth

    def foot(p: Peak, side: int) -> float:
        return p.bin + side * 2 * p.half_widths[0 if side < 0 else 1]

    up, down = math.floor(foot(peak, -1)) + 1, math.ceil(foot(peak, 1))
    regions = (("before", 0 if before is None else math.ceil(foot(before, 1)), up),
               ("after", down, n if after is None else math.floor(foot(after, -1)) + 1),
               ("before sweep", 0, up), ("after sweep", down, n))
    top = sign * peak.value
    for side, a, b in regions:
        a, b = max(a, 0), min(b, n)
        size = min(m, b - a)
        if size < max(5, m // 2):
            continue
        windows = np.lib.stride_tricks.sliding_window_view(y[a:b], size)
        change = windows.max(axis=1) - windows.min(axis=1)
        k = int(np.argmin(change))
        if change[k] > FLAT_SHARE * peak.prominence:
            continue
        E, Y = grid[a + k:a + k + size], y[a + k:a + k + size]
        slope = slope_r2(E, Y)[0] or 0.0
        level = float(Y.mean() + slope * (peak.potential_V - E.mean()))
        if level <= top - (1 - FLAT_SHARE) * peak.prominence:  # the line passes under the peak's bases
            return sign * float(Y.mean() - slope * E.mean()), sign * float(slope), float(E.min()), float(E.max()), side
    return sign * (top - peak.prominence), 0.0, peak.potential_V, peak.potential_V, "base"


def peak_rows(c: SweepCurve, sign: float, min_prominence: float, span_mA: float) -> list[dict[str, Any]]:
    """The peaks of one sweep (``sign`` -1: reduction on a cathodic sweep), each with its baseline: those
    of prominence at least ``min_prominence`` of the record's current range ``span_mA`` and
    :data:`NOISE_SIGMAS` times the noise of the smoothed current."""
    floor = max(min_prominence * span_mA, NOISE_SIGMAS * c.noise_mA * c.smooth_gain)
    found = local_peaks(c.grid_V, c.current_mA, sign, floor, c.binned_mA)
    step = abs(float(c.grid_V[1] - c.grid_V[0])) if c.grid_V.size > 1 else 0.0
    rows = []
    for k, peak in enumerate(found):
        neighbours = (found[k - 1] if k else None, found[k + 1] if k + 1 < len(found) else None)
        intercept, slope, low, high, side = _baseline(c.grid_V, c.current_mA, sign, peak, *neighbours)
        base = intercept + slope * peak.potential_V
        rows.append({
            "direction": "reduction" if sign < 0 else "oxidation", "E_peak_V": peak.potential_V,
            "I_peak_mA": peak.value - base, "I_measured_mA": peak.value, "baseline_mA": base,
            "baseline_slope_mA_V": slope, "baseline_low_V": low, "baseline_high_V": high, "baseline_side": side,
            "prominence_mA": peak.prominence, "width_V": sum(peak.half_widths) * step,
        })
    return rows


def _next_cycle_baseline(this: SweepCurve, later: SweepCurve, peak: dict[str, Any]) -> dict[str, Any] | None:
    """The baseline of a peak that does not recur: the next cycle's current over the same potentials
    plus the linear baseline (by :func:`_baseline`) of the difference between the two sweeps there;
    None where the difference shows no peak."""
    from scipy.signal import find_peaks

    order = np.argsort(later.grid_V)
    inside = (this.grid_V >= later.grid_V.min()) & (this.grid_V <= later.grid_V.max())
    grid = this.grid_V[inside]
    under = np.interp(grid, later.grid_V[order], later.current_mA[order])
    difference = this.current_mA[inside] - under
    sign = -1.0 if peak["direction"] == "reduction" else 1.0
    found, info = find_peaks(sign * difference, prominence=0.0, width=0, rel_height=0.5)
    near = np.abs(grid[found] - peak["E_peak_V"]) <= peak["width_V"]
    if not near.any():
        return None
    best = int(np.flatnonzero(near)[np.argmax(info["prominences"][near])])  # the difference's own peak
    k = int(found[best])
    half_widths = (float(k - info["left_ips"][best]), float(info["right_ips"][best] - k))
    top = Peak(k, float(grid[k]), float(difference[k]), float(info["prominences"][best]), half_widths)
    intercept, slope, low, high, side = _baseline(grid, difference, sign, top, None, None)
    E = peak["E_peak_V"]
    base_under = float(np.interp(E, grid, under)) if grid[0] < grid[-1] else float(np.interp(E, grid[::-1], under[::-1]))
    base = base_under + intercept + slope * E
    if sign * (peak["I_measured_mA"] - base) < 0.5 * peak["prominence_mA"]:  # no first-cycle excess to speak of
        return None
    return {"I_peak_mA": peak["I_measured_mA"] - base, "baseline_mA": base, "baseline_slope_mA_V": slope,
            "baseline_low_V": low, "baseline_high_V": high, "baseline_side": f"next cycle + {side}"}


def mark_recurrence(peaks: list[dict[str, Any]], segments: Sequence[dict[str, Any]],
                    curves: Sequence[SweepCurve]) -> None:
    """Number the peaks, say of each whether it ``recurs`` in the next cycle, and give one that does not
    the next cycle's current as its baseline (module docstring)."""
    for index, row in enumerate(peaks, start=1):
        row["peak"] = index
        later = _next_sweep(row, segments)
        row["recurs"] = None if later is None else any(
            p["segment"] == later and abs(p["E_peak_V"] - row["E_peak_V"]) <= RECUR_V for p in peaks)
        if row["recurs"] is False and later is not None:  # a first-cycle process: the next cycle is its baseline
            baseline = _next_cycle_baseline(curves[row["segment"] - 1], curves[later - 1], row)
            if baseline is not None:
                row.update(baseline)


def _next_sweep(peak: dict[str, Any], segments: Sequence[dict[str, Any]]) -> int | None:
    """The sweep of the next cycle in the peak's direction that covers its potential (None: none)."""
    direction = "cathodic" if peak["direction"] == "reduction" else "anodic"
    return next((s["segment"] for s in segments if s["cycle"] == peak["cycle"] + 1 and s["direction"] == direction
                 and min(s["start_V"], s["end_V"]) <= peak["E_peak_V"] <= max(s["start_V"], s["end_V"])), None)
