"""Figures of voltammetry results (:mod:`anodelab.kinetics.voltammetry`): the voltammogram with its
peaks marked per cycle, dI/dV of the opening (linear) sweep with its onset voltages, and the
Randles-Sevcik plot of peak current against sqrt(scan rate).

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure`; each ``plot_*`` writes it as
``<path>.png`` and ``<path>.svg`` (:func:`~anodelab.report.figures.style.save`) and returns the paths.
Currents are in mA (the result's analysed curves: binned and smoothed per sweep).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from anodelab.core.errors import NotApplicableError
from anodelab.kinetics.voltammetry import RandlesSevcik, Voltammogram
from anodelab.report.figures.style import (
    OKABE_ITO,
    decimate,
    house_style,
    label,
    new_figure,
    pick_cycles,
    require,
    save,
    value_colours,
    with_error,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

POTENTIAL = label("E", "V")
CURRENT = label("I", "mA")
SLOPE = label("dI/dE", "mA V⁻¹")
#: more cycles than this get a colour bar instead of a legend
LEGEND_CYCLES = 5
#: markers of reduction and oxidation peaks
MARKERS = {"reduction": "v", "oxidation": "^"}


@house_style
def voltammogram_figure(result: Voltammogram, *, cycles: Sequence[int] | int | None = None,
                        baselines: bool = True) -> Figure:
    """Current vs potential of every sweep, coloured by cycle (a legend for up to 5 cycles, else a colour
    bar); the peaks of each cycle marked (▼ reduction, ▲ oxidation, in the cycle's colour) and, with
    ``baselines``, each peak's baseline drawn dashed from its window to the peak. ``cycles``: those
    to draw (default all up to 10, else 1, 2, 5, 10, ... and the last)."""
    require(result, Voltammogram, "voltammogram_figure")
    curve = result.curve
    if not curve or np.size(curve.get("segment", [])) == 0:
        raise NotApplicableError("the voltammetry result holds no curve to draw")
    chosen = pick_cycles(sorted({int(s["cycle"]) for s in result.segments}), cycles)
    colours, mappable = value_colours(chosen)
    colour_of = dict(zip(chosen, colours, strict=True))
    figure = new_figure("single")
    ax = figure.add_subplot()
    labelled: set[int] = set()
    for sweep in result.segments:
        number, cycle = int(sweep["segment"]), int(sweep["cycle"])
        if cycle not in colour_of:
            continue
        rows = curve["segment"] == number
        ax.plot(*decimate(curve["potential_V"][rows], curve["current_mA"][rows]), color=colour_of[cycle],
                label=f"cycle {cycle}" if cycle not in labelled else None, gid=f"sweep-{number}")
        labelled.add(cycle)
    for cycle in chosen:
        for direction, marker in MARKERS.items():
            peaks = [p for p in result.peaks if p["cycle"] == cycle and p["direction"] == direction]
            if not peaks:
                continue
            ax.plot([p["E_peak_V"] for p in peaks], [p["I_measured_mA"] for p in peaks], marker, ms=4,
                    color=colour_of[cycle], markeredgecolor="black", markeredgewidth=0.4, linestyle="none",
                    gid=f"peaks-{cycle}-{direction}")
            if baselines:
                for p in peaks:
                    ends = [p["baseline_low_V"], p["baseline_high_V"], p["E_peak_V"]]
                    low, high = min(ends), max(ends)
                    x = np.array([low, high])
                    y = p["baseline_mA"] + p["baseline_slope_mA_V"] * (x - p["E_peak_V"])
                    ax.plot(x, y, "--", color="0.45", lw=0.6, gid=f"baseline-{p['peak']}")
                    ax.plot([p["E_peak_V"]] * 2, [p["baseline_mA"], p["I_measured_mA"]], ":", color="0.45",
                            lw=0.6, gid=f"height-{p['peak']}")
    ax.axhline(0.0, color="0.6", lw=0.5, zorder=0)
    ax.set_xlabel(POTENTIAL)
    ax.set_ylabel(CURRENT)
    rate = f"{result.scan_rate_mV_s:.4g} mV s⁻¹" if result.scan_rate_mV_s is not None else "scan rate unknown"
    ax.set_title(f"{result.technique.upper()}, {rate}", loc="left")
    if len(chosen) > LEGEND_CYCLES:
        figure.colorbar(mappable, ax=ax, label="Cycle", pad=0.02)
    elif len(chosen) > 1:
        ax.legend()
    return figure


@house_style
def didv_figure(result: Voltammogram, *, segments: Sequence[int] | None = None) -> Figure:
    """dI/dE vs potential of the sweeps that have onsets (default; or ``segments``), the onset voltages
    (the maxima of dI/dE) marked with open circles and labelled with their potential."""
    require(result, Voltammogram, "didv_figure")
    wanted = sorted({int(o["segment"]) for o in result.onsets}) if segments is None else [int(s) for s in segments]
    known = {int(s["segment"]) for s in result.segments}
    if not wanted or not set(wanted) <= known:
        raise NotApplicableError(f"no sweep to draw: onsets were found on {sorted({o['segment'] for o in result.onsets})}"
                                 f" of sweeps {sorted(known)}" if segments is None else
                                 f"segments {wanted} are not all in the result (it has {sorted(known)})")
    curve = result.curve
    figure = new_figure("single")
    ax = figure.add_subplot()
    for k, number in enumerate(wanted):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        rows = curve["segment"] == number
        sweep = result.segments[number - 1]
        ax.plot(*decimate(curve["potential_V"][rows], curve["dIdV_mA_V"][rows]), color=colour,
                label=f"sweep {number} ({sweep['direction']})", gid=f"didv-{number}")
        onsets = [o for o in result.onsets if o["segment"] == number]
        if onsets:
            ax.plot([o["E_onset_V"] for o in onsets], [o["dIdV_mA_V"] for o in onsets], "o", ms=4,
                    markerfacecolor="none", markeredgecolor=colour, markeredgewidth=0.8, gid=f"onsets-{number}")
            for o in onsets:
                ax.annotate(f"{o['E_onset_V']:.3g} V", (o["E_onset_V"], o["dIdV_mA_V"]), textcoords="offset points",
                            xytext=(0, 4), ha="center", fontsize=5.5, gid=f"onset-label-{o['onset']}")
    ax.axhline(0.0, color="0.6", lw=0.5, zorder=0)
    ax.margins(y=0.1)  # room above the highest onset for its label
    ax.set_xlabel(POTENTIAL)
    ax.set_ylabel(SLOPE)
    if len(wanted) > 1:
        ax.legend()
    return figure


@house_style
def randles_sevcik_figure(result: RandlesSevcik) -> Figure:
    """|I_p| vs sqrt(scan rate) of the peaks used (markers), the least-squares line, and in the legend
    the slope, the exponent b of |I_p| ~ nu^b and D where it was computed."""
    require(result, RandlesSevcik, "randles_sevcik_figure")
    root = np.sqrt(np.array([p["scan_rate_mV_s"] for p in result.points]) / 1e3)
    current = np.abs(np.array([p["I_peak_mA"] for p in result.points]))
    figure = new_figure("single", 2.6)
    ax = figure.add_subplot()
    ax.plot(root, current, "o", color=OKABE_ITO[0], ms=4, label=f"{result.direction} peaks", gid="rs-points")
    x = np.linspace(0.0, float(root.max()) * 1.05, 50)
    slope, intercept = result.slope_mA_s_V, result.intercept_mA
    text = f"slope {with_error(slope.value, slope.stderr, 'mA s½ V⁻½')}, b = {result.exponent.value:.2f}"
    if result.D_cm2_s is not None:
        text += f", D = {result.D_cm2_s.value:.3g} cm² s⁻¹"
    ax.plot(x, intercept.value + slope.value * x, "-", color=OKABE_ITO[1], label=text, gid="rs-fit")
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel(label("ν^½", "V½ s⁻½"))
    ax.set_ylabel(label("|I_p|", "mA"))
    ax.legend(loc="upper left")
    return figure


def plot_voltammogram(result: Voltammogram, path: str | Path, **options: Any) -> list[Path]:
    """:func:`voltammogram_figure` (with ``options``) written as ``<path>.png`` and ``<path>.svg``."""
    return save(voltammogram_figure(result, **options), path)


def plot_didv(result: Voltammogram, path: str | Path, **options: Any) -> list[Path]:
    """:func:`didv_figure` (with ``options``) written as ``<path>.png`` and ``<path>.svg``."""
    return save(didv_figure(result, **options), path)


def plot_randles_sevcik(result: RandlesSevcik, path: str | Path) -> list[Path]:
    """:func:`randles_sevcik_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(randles_sevcik_figure(result), path)
