"""The Tafel figure (:class:`~anodelab.kinetics.tafel.TafelAnalysis`, or a
:class:`~anodelab.kinetics.tafel.ButlerVolmerFit` alone): overpotential vs log10 |i| of every point, the
Tafel windows the rule chose shaded and their points marked, each Tafel line extrapolated to eta = 0
(the exchange current), and the Butler-Volmer fit drawn over both branches.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anodelab.kinetics.tafel import ButlerVolmerFit, TafelAnalysis, TafelBranch
from anodelab.report.figures.style import (
    OKABE_ITO,
    decimate,
    house_style,
    label,
    new_figure,
    require,
    save,
    with_error,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: points below this fraction of the largest |i| (those at equilibrium itself) are left off the plot
DECADES_SHOWN_FLOOR = 1e-4
#: colour per branch
COLOURS = {"anodic": OKABE_ITO[1], "cathodic": OKABE_ITO[0]}


def _x_label(unit: str) -> str:
    return "log₁₀(|i| / mA cm⁻²)" if unit == "mA/cm2" else "log₁₀(|I| / mA)"


def _draw_branch(ax: Axes, branch: TafelBranch, eta_mV: np.ndarray, log_i: np.ndarray) -> None:
    sign = 1.0 if branch.branch == "anodic" else -1.0
    colour = COLOURS[branch.branch]
    low, high = sorted((sign * branch.eta_low_mV, sign * branch.eta_high_mV))
    ax.axhspan(low, high, color=colour, alpha=0.12, lw=0, gid=f"tafel-region-{branch.branch}")
    ax.plot(log_i[branch.rows], eta_mV[branch.rows], "o", ms=2.5, color=colour, gid=f"tafel-window-{branch.branch}")
    end_mV = sign * branch.eta_high_mV
    line_eta = np.array([0.0, end_mV])
    slope = with_error(branch.slope_mV_dec.value, branch.slope_mV_dec.stderr, "mV dec⁻¹")
    ax.plot(branch.log10_i0 + sign * line_eta / branch.slope_mV_dec.value, line_eta, "--", color=colour,
            label=f"{branch.branch}: b = {slope}, α = {branch.alpha.value:.3f}", gid=f"tafel-line-{branch.branch}")


def _draw_fit(ax: Axes, fit: ButlerVolmerFit, offset_V: float, eta_mV: np.ndarray) -> None:
    """The fit's current on a fine grid of the plotted overpotential (shifted by the fit's E_eq offset),
    one line per branch, the legend entry on the first."""
    unit = "mA cm⁻²" if fit.curve.unit == "mA/cm2" else "mA"
    text: str | None = f"Butler-Volmer fit: i₀ = {with_error(fit.i0.value, fit.i0.stderr, unit)}"
    for name, sign in (("anodic", 1.0), ("cathodic", -1.0)):
        reach = float(np.max(sign * eta_mV, initial=0.0))
        if reach <= 0:
            continue
        grid_mV = sign * np.linspace(min(1.0, reach / 10), reach, 200)
        current = np.abs(fit.current(grid_mV * 1e-3 - offset_V))
        keep = current >= DECADES_SHOWN_FLOOR * float(np.max(np.abs(fit.curve.i)))
        ax.plot(np.log10(current[keep]), grid_mV[keep], "-", color=OKABE_ITO[6], lw=0.8, label=text,
                gid=f"tafel-bv-{name}")
        text = None


@house_style
def tafel_figure(result: TafelAnalysis | ButlerVolmerFit) -> Figure:
    """eta (IR-corrected where R_u > 0) vs log10 |i|: points, the chosen Tafel windows (shaded, marked),
    the Tafel lines to eta = 0 with the exchange current marked, and the Butler-Volmer fit."""
    require(result, (TafelAnalysis, ButlerVolmerFit), "tafel_figure")
    curve = result.curve
    if isinstance(result, TafelAnalysis):
        eta_V, R_u = result.eta_V, result.R_u_ohm
        fit = result.butler_volmer
        offset_V = 0.0 if fit is None else fit.E_eq_V.value - curve.E_eq_V
    else:
        eta_V, R_u, fit, offset_V = result.eta_V, result.R_u_ohm.value, result, 0.0
    eta_mV = 1e3 * eta_V
    magnitude = np.abs(curve.i)
    shown = magnitude >= DECADES_SHOWN_FLOOR * float(np.max(magnitude))
    with np.errstate(divide="ignore"):
        log_i = np.where(shown, np.log10(np.where(shown, magnitude, 1.0)), np.nan)
    figure = new_figure("single", 2.8)
    ax = figure.add_subplot()
    x, y = decimate(log_i[shown], eta_mV[shown])
    ax.plot(x, y, ".", ms=2, color="0.6", gid="tafel-data")
    if isinstance(result, TafelAnalysis):
        for branch in result.branches:
            _draw_branch(ax, branch, eta_mV, log_i)
    if fit is not None:
        _draw_fit(ax, fit, offset_V, eta_mV)
    if isinstance(result, TafelAnalysis) and result.combined_i0 is not None:
        unit = "mA cm⁻²" if curve.unit == "mA/cm2" else "mA"
        i0 = result.combined_i0
        ax.plot([np.log10(i0.value)], [0.0], "D", ms=4, color=OKABE_ITO[2], zorder=5,
                label=f"i₀ (Tafel) = {with_error(i0.value, i0.stderr, unit)}", gid="tafel-i0")
    ax.axhline(0.0, color="0.3", lw=0.5, gid="tafel-zero")
    ax.set_xlabel(_x_label(curve.unit))
    ax.set_ylabel(label("η − I·R_u" if R_u > 0 else "η", "mV"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    return figure


def plot_tafel(result: TafelAnalysis | ButlerVolmerFit, path: str | Path) -> list[Path]:
    """:func:`tafel_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(tafel_figure(result), path)
