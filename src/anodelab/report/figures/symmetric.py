"""Figures of symmetric-cell results (:mod:`anodelab.plating`): the long voltage trace with zoomed
insets of its early and late half-cycles and the short marked, and the critical-current-density
staircase with the failing step marked.

``*_figure`` functions return a :class:`matplotlib.figure.Figure`; ``plot_*`` write it as
``<path>.png`` and ``<path>.svg`` and return the paths. Lines carry ``gid`` names the tests (and an SVG
reader) find them by: ``trace``, ``inset-early``, ``inset-late``, ``short-onset``, ``event-<n>``,
``ccd-trace``, ``ccd-staircase``, ``failure-step``, ``last-stable``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anodelab.plating.ccd import CriticalCurrentDensity
from anodelab.plating.shorts import ShortsResult
from anodelab.plating.trace import OverpotentialTrace
from anodelab.report.figures.style import (
    OKABE_ITO,
    house_style,
    label,
    new_figure,
    require,
    save,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TIME = label("Time", "h")
VOLTAGE = label("Voltage", "mV")
INSET_NAMES = ("early", "late")


def _mark_onset(ax: Axes, onset_h: float, kind: str | None, gid: str, text: bool) -> None:
    ax.axvline(onset_h, color=OKABE_ITO[1], lw=0.8, ls="--", gid=gid,
               label=f"{kind or ''} short at {onset_h:.4g} h".strip() if text else None)


def _robust_limits(values_mV: np.ndarray) -> tuple[float, float]:
    """The 0.5-99.5 percentile range of the values, widened by 10 %: spikes (an NMR pulse, a contact
    glitch) run off the axes instead of squashing the trace."""
    finite = values_mV[np.isfinite(values_mV)]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    pad = 0.1 * (high - low) or 1.0
    return low - pad, high + pad


@house_style
def symmetric_trace_figure(trace: OverpotentialTrace, shorts: ShortsResult | None = None) -> Figure:
    """Voltage (mV) vs time (h) of the whole record (decimated for display, extremes kept), the first
    short's onset as a dashed line (every event of ``shorts`` as a dotted one when given), and two
    zoomed insets above it: the first half-cycles and the last ones up to the short (or the end),
    their spans shaded on the trace. Each voltage axis spans the 0.5-99.5 percentiles of what it draws
    (widened by 10 %), so spikes run off it."""
    require(trace, OverpotentialTrace, "symmetric_trace_figure")
    if shorts is not None:
        require(shorts, ShortsResult, "symmetric_trace_figure")
    figure = new_figure("double", 3.6)
    grid = figure.add_gridspec(2, 2, height_ratios=(1.0, 1.3))
    ax = figure.add_subplot(grid[1, :])
    ax.plot(trace.trace["time_h"], 1000.0 * trace.trace["voltage_V"], "-", lw=0.5, color=OKABE_ITO[0], gid="trace")
    ax.set_xlabel(TIME)
    ax.set_ylabel(VOLTAGE)
    ax.set_ylim(*_robust_limits(1000.0 * trace.trace["voltage_V"]))
    insets = trace.insets
    for number, name in enumerate(INSET_NAMES):
        inside = insets["inset"] == number
        t, v = insets["time_h"][inside], 1000.0 * insets["voltage_V"][inside]
        if t.size == 0:
            continue
        ax.axvspan(float(t.min()), float(t.max()), color=OKABE_ITO[2], alpha=0.15, lw=0, gid=f"span-{name}")
        zoom = figure.add_subplot(grid[0, number])
        zoom.plot(t, v, "-", lw=0.6, color=OKABE_ITO[0], gid=f"inset-{name}")
        zoom.set_title(f"{name}: {t.min():.4g}–{t.max():.4g} h")
        zoom.set_xlabel(TIME)
        zoom.set_ylabel(VOLTAGE)
        zoom.set_ylim(*_robust_limits(v))
        if trace.short_onset_h is not None and t.min() <= trace.short_onset_h <= t.max():
            _mark_onset(zoom, trace.short_onset_h, trace.short_kind, f"short-onset-{name}", False)
    if shorts is not None:
        for event in shorts.events[1:]:
            ax.axvline(event["short_onset_h"], color=OKABE_ITO[1], lw=0.5, ls=":", gid=f"event-{event['event']}")
    if trace.short_onset_h is not None:
        _mark_onset(ax, trace.short_onset_h, trace.short_kind, "short-onset", True)
        ax.legend(loc="best")
    return figure


@house_style
def ccd_figure(result: CriticalCurrentDensity) -> Figure:
    """The staircase: voltage (mV) vs time (h) above, the current density of each level below as a
    step line, the failing level shaded and its short's onset dashed, the last stable level's step
    drawn thicker."""
    require(result, CriticalCurrentDensity, "ccd_figure")
    figure = new_figure("single", 3.4)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(1.4, 1.0))
    top.plot(result.trace["time_h"], 1000.0 * result.trace["voltage_V"], "-", lw=0.5, color=OKABE_ITO[0],
             gid="ccd-trace")
    top.set_ylabel(VOLTAGE)
    starts = np.array([level["start_h"] for level in result.levels])
    ends = np.array([level["end_h"] for level in result.levels])
    density = np.array([level["current_density"] for level in result.levels])
    bottom.step(np.r_[starts, ends[-1]], np.r_[density, density[-1]], where="post", color=OKABE_ITO[6],
                gid="ccd-staircase")
    bottom.set_xlabel(TIME)
    unit = "mA cm⁻²" if result.area_cm2 else "mA"
    bottom.set_ylabel(label("Current density" if result.area_cm2 else "Current", unit))
    if result.last_stable is not None:
        stable = int(np.flatnonzero(np.isclose(density, result.last_stable))[0])
        bottom.plot([starts[stable], ends[stable]], [density[stable]] * 2, "-", lw=2.5, color=OKABE_ITO[2],
                    gid="last-stable", label=f"last stable {result.last_stable:.3g} {unit}")
    if result.failure is not None and result.failure["level"] is not None:
        failing = result.failure["level"] - 1
        for ax in (top, bottom):
            ax.axvspan(starts[failing], ends[failing], color=OKABE_ITO[1], alpha=0.15, lw=0, gid="failure-step")
        onset = result.failure["short_onset_h"]
        top.axvline(onset, color=OKABE_ITO[1], lw=0.8, ls="--", gid="short-onset",
                    label=f"{result.failure['kind']} short, CCD {result.ccd:.3g} {unit}")
        top.legend(loc="best")
    if result.last_stable is not None:
        bottom.legend(loc="upper left")
    return figure


def plot_symmetric_trace(trace: OverpotentialTrace, path: str | Path, shorts: ShortsResult | None = None) -> list[Path]:
    """:func:`symmetric_trace_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(symmetric_trace_figure(trace, shorts), path)


def plot_ccd(result: CriticalCurrentDensity, path: str | Path) -> list[Path]:
    """:func:`ccd_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(ccd_figure(result), path)
