"""Figures of the substrate analyses of :mod:`anodelab.plating`: the nucleation dip of the first plating
with its tip and plateau marked, and the plating/stripping Coulombic efficiency vs cycle with the mean band.

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure`; each ``plot_*`` writes it as
``<path>.png`` and ``<path>.svg`` (:func:`~anodelab.report.figures.style.save`) and returns the paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.plating.efficiency import PlatingEfficiency
from anodelab.plating.nucleation import NucleationOverpotential
from anodelab.report.figures.style import (
    OKABE_ITO,
    house_style,
    label,
    new_figure,
    require,
    save,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

VOLTAGE = label("Voltage vs counter", "mV")
CE = label("Coulombic efficiency", "%")


@house_style
def nucleation_figure(result: NucleationOverpotential, *, x: Literal["capacity", "time"] = "capacity",
                      zoom: bool = True) -> Figure:
    """Voltage (mV vs the counter) of the plating step vs the charge plated (per cm2 where the area is
    known) or the time into the step, zoomed on the dip (``zoom``): the readings, the fitted tip
    parabola, the tip (a filled triangle; open and labelled as a bound when under-sampled), the plateau
    (dashed, over the rows of its median) and eta_nucleation between them."""
    require(result, NucleationOverpotential, "nucleation_figure")
    if x not in ("capacity", "time"):
        raise ValidationError("x", f"expected 'capacity' or 'time', got {x!r}")
    curve = result.tables()["curve"]
    time = np.asarray(curve["time_s"], dtype=float)
    areal = result.area_cm2 is not None and x == "capacity"
    if x == "time":
        xs, xlabel = time, label("Time", "s")
    else:
        xs = np.asarray(curve["capacity_mAh_cm2" if areal else "capacity_mAh"], dtype=float)
        xlabel = label("Areal capacity", "mAh cm⁻²") if areal else label("Capacity", "mAh")

    def at(t_s: Any) -> Any:
        """The x coordinate of a time into the step."""
        return t_s if x == "time" else np.interp(t_s, time, xs)

    mV = 1e3 * np.asarray(curve["voltage_V"], dtype=float)
    tip_mV, plateau_mV = 1e3 * result.tip_V, 1e3 * result.plateau_V
    figure = new_figure("single", 2.6)
    ax = figure.add_subplot()
    ax.plot(xs, mV, "-", color=OKABE_ITO[0], marker="o", ms=1.5, lw=0.8, label="Readings", gid="nucleation-curve")
    fit = result.fit
    if result.tip_resolved:
        window = np.union1d(np.linspace(fit["window_start_s"], fit["window_end_s"], 60), [fit["t0_s"]])
        d = window - fit["t0_s"]
        parabola = fit["a_V"] + np.where(d < 0, fit["curvature_left_V_s2"], fit["curvature_right_V_s2"]) * d * d
        ax.plot(at(window), 1e3 * parabola, "-", color=OKABE_ITO[1], lw=1.0, label="Tip fit", gid="nucleation-fit")
        ax.plot([at(result.tip_time_s)], [tip_mV], "v", color=OKABE_ITO[1], ms=5,
                label=f"Tip: η = {result.eta_tip_mV:.3g} mV", gid="nucleation-tip")
    elif result.tip == "under-sampled":
        ax.plot([at(result.tip_time_s)], [tip_mV], "v", color=OKABE_ITO[1], markerfacecolor="none", ms=5,
                label=f"Tip under-sampled: η ≥ {result.eta_tip_lower_bound_mV:.3g} mV", gid="nucleation-tip")
    end_s = float(time[-1])
    ax.plot([at(result.plateau_start_s), at(end_s)], [plateau_mV, plateau_mV], "--", color=OKABE_ITO[2], lw=1.0,
            label=f"Plateau: η = {result.eta_plateau_mV:.3g} mV", gid="nucleation-plateau")
    if result.tip != "no-dip":
        nucleation = (f"η_nucleation = {result.eta_nucleation_mV:.3g} mV" if result.tip_resolved
                      else f"η_nucleation ≥ {result.eta_nucleation_lower_bound_mV:.3g} mV")
        ax.annotate("", xy=(at(result.tip_time_s), tip_mV), xytext=(at(result.tip_time_s), plateau_mV),
                    arrowprops={"arrowstyle": "<->", "color": "0.3", "lw": 0.7}, gid="nucleation-eta")
        ax.plot([], [], " ", label=nucleation)
    else:
        ax.plot([], [], " ", label=f"No dip: η_nucleation ≤ {result.eta_nucleation_upper_bound_mV:.3g} mV")
    if zoom:
        depth = max(plateau_mV - tip_mV, 4e3 * result.noise_V, 1.0)
        span_s = max(2.0 * result.plateau_start_s, result.tip_time_s + 4.0 * max(result.dip_width_s, 1.0))
        ax.set_xlim(float(at(0.0)), float(at(min(span_s, end_s))))
        ax.set_ylim(tip_mV - 0.6 * depth, plateau_mV + 1.2 * depth)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(VOLTAGE)
    ax.legend(loc="upper right")
    return figure


@house_style
def plating_ce_figure(result: PlatingEfficiency) -> Figure:
    """CE (%) vs cycle of the per-cycle pairs (markers), their mean over the cycles averaged (line) and
    mean ± one standard deviation (band); each Aurbach test's CE as a line over its cycles."""
    require(result, PlatingEfficiency, "plating_ce_figure")
    table = result.tables()["cycles"]
    cycle = np.asarray(table["cycle"], dtype=float)
    per_cycle = np.asarray(table["role"]) == "per-cycle"
    ce = 100.0 * np.asarray(table["ce"], dtype=float)
    from matplotlib.ticker import MaxNLocator

    figure = new_figure("single", 2.4)
    ax = figure.add_subplot()
    if per_cycle.any():
        ax.plot(cycle[per_cycle], ce[per_cycle], "o", color=OKABE_ITO[0], ms=3, label="Per cycle", gid="ce-points")
    if result.ce_mean is not None and result.cycle_range is not None:
        first, last = result.cycle_range
        mean = 100.0 * result.ce_mean
        span = [first - 0.4, last + 0.4]
        if result.ce_std is not None:
            std = 100.0 * result.ce_std
            ax.fill_between(span, mean - std, mean + std, color=OKABE_ITO[0], alpha=0.15, lw=0,
                            label=f"± sd ({std:.2g} %)", gid="ce-band")
        ax.plot(span, [mean, mean], "-", color=OKABE_ITO[0], lw=1.0,
                label=f"Mean {mean:.2f} % (cycles {first}–{last})", gid="ce-mean")
    for number, test in enumerate(result.aurbach, start=1):
        value = 100.0 * test.ce
        ax.plot([test.first_cycle - 0.4, test.last_cycle + 0.4], [value, value], "-", color=OKABE_ITO[1], lw=1.5,
                label=f"Aurbach {value:.2f} % (n = {test.n_cycles})", gid=f"ce-aurbach-{number}")
    ax.set_xlabel("Cycle")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(CE)
    ax.legend(loc="lower right")
    return figure


def plot_nucleation(result: NucleationOverpotential, path: str | Path, **options: Any) -> list[Path]:
    """:func:`nucleation_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(nucleation_figure(result, **options), path)


def plot_plating_ce(result: PlatingEfficiency, path: str | Path) -> list[Path]:
    """:func:`plating_ce_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(plating_ce_figure(result), path)
