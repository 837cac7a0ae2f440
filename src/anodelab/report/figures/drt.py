"""Figures of the DRT (:mod:`anodelab.drt`): gamma(tau) with its credible band, peaks and process
windows, and the map of a series as papers draw it (an interpolated contour over the series' coordinate
and log tau) with the per-process resistance traces below.

``*_figure`` functions return a Figure; ``plot_*`` write ``<path>.png`` and ``<path>.svg`` and return
the paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.drt.result import DRTResult, DRTSeriesResult
from anodelab.report.figures.style import (
    OKABE_ITO,
    house_style,
    label,
    new_figure,
    require,
    save,
    time_axis,
    value_colours,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TAU = label("τ", "s")
GAMMA = label("γ", "Ω")
#: columns of the interpolated map
MAP_COLUMNS = 240
#: filled contour levels of the map
MAP_LEVELS = 48
COORDINATE_LABELS = {"voltage_V": label("Voltage", "V"), "cycle": "Cycle",
                     "temperature_C": label("Temperature", "°C"), "index": "Spectrum"}


def coordinate_axis(series: DRTSeriesResult) -> tuple[NDArray[np.float64], str]:
    """The series' coordinate as drawn (time in s, min or h by its span) and its axis label."""
    if series.coordinate_name == "time_s":
        return time_axis(series.coordinate)
    return np.asarray(series.coordinate, dtype=float), COORDINATE_LABELS.get(series.coordinate_name,
                                                                              series.coordinate_name)


def _windows(ax: Axes, windows: dict[str, tuple[float, float]]) -> None:
    for index, (name, (low, high)) in enumerate(windows.items()):
        ax.axvspan(low, high, color="0.93" if index % 2 == 0 else "0.86", zorder=0, lw=0)  # alternate: windows may touch
        ax.text((low * high) ** 0.5, 0.98, name, transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=6)


@house_style
def drt_curves_figure(results: DRTResult | DRTSeriesResult, *, labels: Sequence[str] | None = None) -> Figure:
    """gamma(tau) of one spectrum, with its credible band when computed and each peak marked (triangle at
    the maximum, labelled with its process and R), or of every spectrum of a series coloured by the
    series' coordinate (a colour bar, or a legend of ``labels``); the process windows shaded."""
    require(results, (DRTResult, DRTSeriesResult), "drt_curves_figure")
    items = list(results.results) if isinstance(results, DRTSeriesResult) else [results]
    if labels is not None and len(labels) != len(items):
        raise ValidationError("labels", f"{len(labels)} labels for {len(items)} spectra")
    figure = new_figure("single", 2.6)
    ax = figure.add_subplot()
    mappable = None
    axis_label = ""
    colours: Sequence[Any] = [OKABE_ITO[0]]
    if isinstance(results, DRTSeriesResult) and len(items) > 1:
        values, axis_label = coordinate_axis(results)
        colours, mappable = value_colours(values)
    for index, (result, colour) in enumerate(zip(items, colours, strict=True)):
        ax.semilogx(result.tau_s, result.gamma_ohm, color=colour, label=labels[index] if labels else None,
                    gid=f"drt-{index}")
        if result.gamma_lower_ohm is not None and result.gamma_upper_ohm is not None:
            band_label = f"{result.credible:.0%} credible band" if len(items) == 1 else None
            ax.fill_between(result.tau_s, result.gamma_lower_ohm, result.gamma_upper_ohm, color=colour, alpha=0.25,
                            lw=0, label=band_label, gid=f"drt-band-{index}")
        if result.peaks:
            ax.plot([p.tau_max_s for p in result.peaks], [p.gamma_ohm for p in result.peaks], "v", color=colour,
                    ms=3.5, gid=f"drt-peaks-{index}")
        if len(items) == 1:
            for peak in result.peaks:
                name = f"{peak.process}: " if peak.process else "tail: " if peak.tail else ""
                ax.annotate(f"{name}{peak.R.value:.3g} Ω", (peak.tau_max_s, peak.gamma_ohm), textcoords="offset points",
                            xytext=(0, 5), ha="center", fontsize=6)
    _windows(ax, dict(items[0].windows or {}))
    ax.set_xlabel(TAU)
    ax.set_ylabel(GAMMA)
    top = max(float(np.max(r.gamma_upper_ohm if r.gamma_upper_ohm is not None else r.gamma_ohm)) for r in items)
    ax.set_ylim(0, 1.25 * top if top > 0 else 1.0)  # headroom for the window names and peak labels
    if labels or (len(items) == 1 and items[0].has_band):
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.91))
    elif mappable is not None:
        figure.colorbar(mappable, ax=ax, label=axis_label, pad=0.02)
    return figure


def _map_grid(series: DRTSeriesResult) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], str]:
    """(spectrum positions in the series' order, interpolated columns, gamma on them, axis label): the
    coordinate as drawn (the position when it is not monotonic), gamma interpolated between spectra by PCHIP, which does not
    overshoot, on columns that include the spectra's, so the map's range is the data's."""
    from scipy.interpolate import PchipInterpolator

    x, axis_label = coordinate_axis(series)
    gamma = np.asarray(series.gamma_map_ohm, dtype=float)
    steps = np.diff(x)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        x, axis_label = np.arange(x.size, dtype=float), f"Spectrum (in order; {axis_label.split(' / ')[0].lower()} not monotonic)"
    rising, gamma = (x, gamma) if x[0] < x[-1] else (x[::-1], gamma[:, ::-1])
    columns = np.union1d(np.linspace(rising[0], rising[-1], MAP_COLUMNS), rising)  # the spectra's own columns kept
    if x.size == 2:
        fine = gamma[:, :1] + (gamma[:, 1:] - gamma[:, :1]) * (columns - rising[0]) / (rising[1] - rising[0])
    else:
        fine = PchipInterpolator(rising, gamma, axis=1)(columns)
    return x, columns, fine, axis_label


@house_style
def drt_map_figure(series: DRTSeriesResult) -> Figure:
    """The DRT map of a series: gamma as filled contours over the series' coordinate (time in s, min or h)
    and log tau, interpolated between the spectra (their positions ticked along the top), the process
    windows dashed; below it, each process window's resistance with its standard error per spectrum.
    The contours are rasterised (at 300 dpi) in vector formats; axes and text stay vector."""
    require(series, DRTSeriesResult, "drt_map_figure")
    if len(series) < 2:
        raise NotApplicableError("a DRT map needs two or more spectra; draw one with drt_curves_figure")
    from matplotlib.ticker import MaxNLocator

    x, columns, gamma, axis_label = _map_grid(series)
    traces = dict(series.process_R_ohm)
    figure = new_figure("single", 4.2 if traces else 3.0)
    if traces:
        ax, trace_ax = figure.subplots(2, 1, sharex=True, height_ratios=[1.6, 1.0])
    else:
        ax, trace_ax = figure.add_subplot(), None
    low, high = float(gamma.min()), float(gamma.max())
    levels = np.linspace(low, high if high > low else low + 1.0, MAP_LEVELS + 1)
    contours = ax.contourf(columns, series.tau_s, gamma, levels=levels, cmap="viridis")
    contours.set_gid("drt-map")
    contours.set_rasterized(True)  # at DPI inside the SVG: a vector map of thousands of contour paths is megabytes
    ax.set_yscale("log")
    ax.set_ylabel(TAU)
    ax.plot(x, np.full(x.size, 1.0), "|", color="w", ms=4, mew=0.8, transform=ax.get_xaxis_transform(),
            clip_on=False, gid="drt-map-spectra")
    for name, (low_s, high_s) in (series.results[0].windows or {}).items():
        for bound in (low_s, high_s):
            ax.axhline(bound, color="w", lw=0.5, ls="--")
        ax.text(0.01, (low_s * high_s) ** 0.5, name, transform=ax.get_yaxis_transform(), va="center", fontsize=6,
                color="w")
    figure.colorbar(contours, ax=ax, location="top", label=GAMMA, aspect=40, pad=0.02, ticks=MaxNLocator(6))
    if trace_ax is not None:
        for (name, values), colour in zip(traces.items(), OKABE_ITO, strict=False):
            trace_ax.errorbar(x, values, yerr=series.process_R_ohm_stderr[name], fmt="o-", ms=3, lw=0.8, color=colour,
                              label=name, gid=f"drt-trace-{name}")
        trace_ax.set_ylabel(label("R", "Ω"))
        trace_ax.set_ylim(bottom=0)
        trace_ax.legend(loc="upper left", ncols=len(traces))
    (trace_ax or ax).set_xlabel(axis_label)
    return figure


def plot_drt_curves(results: DRTResult | DRTSeriesResult, path: str | Path, *,
                    labels: Sequence[str] | None = None) -> list[Path]:
    """:func:`drt_curves_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(drt_curves_figure(results, labels=labels), path)


def plot_drt_map(series: DRTSeriesResult, path: str | Path) -> list[Path]:
    """:func:`drt_map_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(drt_map_figure(series), path)
