"""Figures of cycling results (:mod:`anodelab.cycling`): voltage profiles by cycle, capacity and CE vs
cycle, rate capability, dQ/dV with its peaks.

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure`; each ``plot_*`` writes it as
``<path>.png`` and ``<path>.svg`` (:func:`~anodelab.report.figures.style.save`) and returns the paths.
Capacities are per gram of active material when the result knows the mass (``specific=None``), else
in mAh; asking for specific capacities without the mass raises :class:`MetadataError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from anodelab.core.errors import MetadataError, NotApplicableError
from anodelab.cycling import CycleSummary, DqdvResult, RateTable, VoltageProfiles
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
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure

CAPACITY = label("Capacity", "mAh")
SPECIFIC_CAPACITY = label("Specific capacity", "mAh g⁻¹")
#: more cycles than this get a colour bar instead of a legend
LEGEND_CYCLES = 5


def _specific(specific: bool | None, known: bool) -> bool:
    if specific and not known:
        raise MetadataError("working_electrode.mass_mg",
                            "specific capacities need the active mass; give working_electrode.mass_mg in cell.toml")
    return known if specific is None else bool(specific)


def _cycle_key(figure: Figure, ax: Axes, cycles: list[int], mappable: ScalarMappable) -> None:
    """A legend of the cycles when there are few, else a colour bar of the cycle number."""
    if len(cycles) > LEGEND_CYCLES:
        figure.colorbar(mappable, ax=ax, label="Cycle", pad=0.02)
    elif len(cycles) > 1:
        ax.legend(title=None)


@house_style
def voltage_profiles_figure(
    profiles: VoltageProfiles, *, cycles: Sequence[int] | int | None = None, specific: bool | None = None
) -> Figure:
    """Voltage vs capacity of both half-cycles of each cycle, coloured by cycle number (a legend for up to
    5 cycles, else a colour bar). ``cycles``: those to draw (default all up to 10, else 1, 2, 5, 10, 20, 50,
    ... and the last). Curves longer than 2000 points are decimated for display, extremes kept."""
    require(profiles, VoltageProfiles, "voltage_profiles_figure")
    if not profiles.curves:
        raise NotApplicableError("the voltage profiles hold no half-cycle to draw")
    chosen = pick_cycles([c["cycle"] for c in profiles.curves], cycles)
    per_gram = _specific(specific, "capacity_mAh_g" in profiles.curves[0])
    colours, mappable = value_colours(chosen)
    colour_of = dict(zip(chosen, colours, strict=True))
    figure = new_figure("single")
    ax = figure.add_subplot()
    labelled: set[int] = set()
    for curve in profiles.curves:
        number = curve["cycle"]
        if number not in colour_of:
            continue
        x, y = decimate(curve["capacity_mAh_g" if per_gram else "capacity_mAh"], curve["voltage_V"])
        name = f"cycle {number}" if number not in labelled else None
        labelled.add(number)
        ax.plot(x, y, color=colour_of[number], label=name, gid=f"profile-{number}-{curve['role']}")
    ax.set_xlabel(SPECIFIC_CAPACITY if per_gram else CAPACITY)
    ax.set_ylabel(label("Voltage", "V"))
    ax.set_xlim(left=0)
    _cycle_key(figure, ax, chosen, mappable)
    return figure


@house_style
def capacity_figure(summary: CycleSummary, *, specific: bool | None = None) -> Figure:
    """Opening and closing capacity per cycle (left axis) and the coulombic efficiency in % (right axis);
    incomplete cycles (:class:`CycleSummary` ``incomplete``) drawn as grey crosses, left out of the lines."""
    require(summary, CycleSummary, "capacity_figure")
    per_gram = _specific(specific, summary.active_mass_mg is not None)
    suffix = "_mAh_g" if per_gram else "_mAh"
    cycles = summary.cycles
    incomplete = np.asarray(summary.columns["incomplete"], dtype=bool)
    figure = new_figure("single")
    ax = figure.add_subplot()
    styles = ((summary.opening, OKABE_ITO[1], "none"), (summary.closing, OKABE_ITO[0], OKABE_ITO[0]))
    for role, colour, face in styles:
        values = summary[role + suffix]
        ax.plot(cycles[~incomplete], values[~incomplete], "o", color=colour, markerfacecolor=face, ms=3.5,
                label=role.capitalize(), gid=f"capacity-{role}")
    if incomplete.any():
        closing = summary[summary.closing + suffix]
        ax.plot(cycles[incomplete], closing[incomplete], "x", color="0.5", label="Incomplete", gid="capacity-incomplete")
    ax.set_xlabel("Cycle")
    ax.set_ylabel(SPECIFIC_CAPACITY if per_gram else CAPACITY)
    ax.set_ylim(bottom=0)
    ax.tick_params(right=False)
    ce_ax = ax.twinx()
    ce_colour = OKABE_ITO[2]
    ce = 100.0 * np.asarray(summary.columns["ce"], dtype=float)
    ce_ax.plot(cycles[~incomplete], ce[~incomplete], "^", color=ce_colour, ms=3, label="CE", gid="ce")
    ce_ax.set_ylabel(label("Coulombic efficiency", "%"), color=ce_colour)
    ce_ax.tick_params(axis="y", colors=ce_colour, direction="in")
    ce_ax.spines["right"].set_color(ce_colour)
    handles = ax.get_legend_handles_labels()[0] + ce_ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower center")
    return figure


@house_style
def rate_capability_figure(table: RateTable, *, specific: bool | None = None) -> Figure:
    """Mean closing capacity of each rate block (:class:`RateTable`) at the middle of its cycles, the
    vertical bar its sample standard deviation over the block's cycles, the horizontal bar the cycles it
    spans, the current (A/g when the mass is known, else mA) written above it."""
    require(table, RateTable, "rate_capability_figure")
    first = table.blocks[0]
    per_gram = _specific(specific, f"mean_{table.capacity}_g" in first)
    key = f"{table.capacity}_g" if per_gram else table.capacity
    current_key, current_label = (("current_A_g", label("current density", "A g⁻¹")) if "current_A_g" in first
                                  else ("current_mA", label("current", "mA")))
    start = np.array([b["first_cycle"] for b in table.blocks], dtype=float)
    end = np.array([b["last_cycle"] for b in table.blocks], dtype=float)
    mean = np.array([b[f"mean_{key}"] for b in table.blocks], dtype=float)
    spread = np.array([np.nan if b[f"std_{key}"] is None else b[f"std_{key}"] for b in table.blocks], dtype=float)
    figure = new_figure("single")
    ax = figure.add_subplot()
    ax.errorbar((start + end) / 2, mean, yerr=spread, xerr=(end - start) / 2, fmt="o", color=OKABE_ITO[0],
                ms=3.5, elinewidth=0.8, label="mean ± sd of the block's cycles", gid="rate-blocks")
    for x, y, block in zip((start + end) / 2, mean, table.blocks, strict=True):
        ax.annotate(f"{block[current_key]:.3g}", (x, y), xytext=(0, 6), textcoords="offset points", ha="center",
                    va="bottom", fontsize=6, gid=f"rate-current-{block['block']}")
    ax.set_xlabel("Cycle")
    ax.set_ylabel(SPECIFIC_CAPACITY if per_gram else CAPACITY)
    ax.set_ylim(0, 1.15 * float(np.nanmax(mean + np.nan_to_num(spread))))
    ax.set_title(f"{table.capacity.removesuffix('_mAh').capitalize()} capacity; labels: {current_label}", loc="left")
    ax.legend(loc="lower left")
    return figure


@house_style
def dqdv_figure(result: DqdvResult, *, cycles: Sequence[int] | int | None = None) -> Figure:
    """dQ/dV vs voltage of each half-cycle (positive on charge, negative on discharge), coloured by cycle,
    its peaks (:attr:`DqdvResult.peaks`) marked with open circles. ``cycles`` as in
    :func:`voltage_profiles_figure`."""
    require(result, DqdvResult, "dqdv_figure")
    chosen = pick_cycles([c["cycle"] for c in result.curves], cycles)
    colours, mappable = value_colours(chosen)
    colour_of = dict(zip(chosen, colours, strict=True))
    figure = new_figure("single")
    ax = figure.add_subplot()
    labelled: set[int] = set()
    for curve in result.curves:
        number, role = curve["cycle"], curve["role"]
        if number not in colour_of:
            continue
        name = f"cycle {number}" if number not in labelled else None
        labelled.add(number)
        ax.plot(*decimate(curve["voltage_V"], curve["dqdv_mAh_V"]), color=colour_of[number], label=name,
                gid=f"dqdv-{number}-{role}")
        peaks = [p for p in result.peaks if (p["cycle"], p["role"]) == (number, role)]
        if peaks:
            ax.plot([p["voltage_V"] for p in peaks], [p["dqdv_mAh_V"] for p in peaks], "o", ms=4,
                    markerfacecolor="none", markeredgecolor=colour_of[number], markeredgewidth=0.8,
                    gid=f"peaks-{number}-{role}")
    ax.axhline(0.0, color="0.6", lw=0.5, zorder=0)
    ax.set_xlabel(label("Voltage", "V"))
    ax.set_ylabel(label("dQ/dV", "mAh V⁻¹"))
    _cycle_key(figure, ax, chosen, mappable)
    return figure


def plot_voltage_profiles(profiles: VoltageProfiles, path: str | Path, **options: Any) -> list[Path]:
    """:func:`voltage_profiles_figure` (with ``options``) written as ``<path>.png`` and ``<path>.svg``."""
    return save(voltage_profiles_figure(profiles, **options), path)


def plot_capacity(summary: CycleSummary, path: str | Path, **options: Any) -> list[Path]:
    """:func:`capacity_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(capacity_figure(summary, **options), path)


def plot_rate_capability(table: RateTable, path: str | Path, **options: Any) -> list[Path]:
    """:func:`rate_capability_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(rate_capability_figure(table, **options), path)


def plot_dqdv(result: DqdvResult, path: str | Path, **options: Any) -> list[Path]:
    """:func:`dqdv_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(dqdv_figure(result, **options), path)
