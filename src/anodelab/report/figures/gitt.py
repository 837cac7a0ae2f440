"""The GITT figure (:class:`~anodelab.kinetics.gitt.GITTResult`): D per pulse vs state of charge on a log
axis, valid pulses filled with their standard errors, invalid ones open and grey, lithiation and
delithiation in two colours, the median of the valid pulses dashed; with the record, a second panel
shows one pulse: E vs sqrt(t), the sqrt(t) fit and its window.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.kinetics.gitt import GITTResult
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

D_LABEL = label("D", "cm² s⁻¹")
#: the x axis, by the first column the result holds
X_AXES = (
    ("soc", "State of charge"),
    ("inserted_mAh_g", label("Inserted charge", "mAh g⁻¹")),
    ("inserted_mAh", label("Inserted charge", "mAh")),
)
DIRECTION_COLOURS = {"lithiation": OKABE_ITO[0], "delithiation": OKABE_ITO[1]}


def x_axis(result: GITTResult) -> tuple[str, str]:
    """The column the x axis shows and its label: the state of charge where the result has it, else the
    inserted charge per gram, else in mAh."""
    keys = result.pulses[0].keys()
    return next((key, text) for key, text in X_AXES if key in keys)


@house_style
def gitt_figure(result: GITTResult, record: Record | None = None, *, pulse: int | None = None) -> Figure:
    """D vs state of charge (module docstring). With ``record`` (the one analysed) a second panel draws
    pulse number ``pulse`` (default: the valid pulse with the median D, else the first)."""
    require(result, GITTResult, "gitt_figure")
    if not result.pulses:
        raise NotApplicableError("the GITT result holds no pulse to draw")
    figure = new_figure("double" if record is not None else "single", 2.6)
    ax = figure.add_subplot(1, 2, 1) if record is not None else figure.add_subplot()
    _d_panel(ax, result)
    if record is not None:
        _pulse_panel(figure.add_subplot(1, 2, 2), result, record, _chosen(result, pulse))
    return figure


def _d_panel(ax: Axes, result: GITTResult) -> None:
    key, x_label = x_axis(result)
    x = _column(result, key)
    D = _column(result, "D_cm2_s")
    stderr = _column(result, "D_stderr_cm2_s")
    valid = result.valid & np.isfinite(D) & (D > 0)
    invalid = ~result.valid & np.isfinite(D) & (D > 0)
    direction = np.array([p["direction"] for p in result.pulses])
    for name, colour in DIRECTION_COLOURS.items():
        mine = direction == name
        if (mine & valid).any():
            rows = mine & valid
            low = np.minimum(np.nan_to_num(stderr[rows]), 0.999 * D[rows])  # a log axis has no room below zero
            ax.errorbar(x[rows], D[rows], yerr=[low, np.nan_to_num(stderr[rows])], fmt="o", color=colour, ms=3.5,
                        elinewidth=0.8, label=f"{name}, valid", gid=f"gitt-valid-{name}")
        if (mine & invalid).any():
            ax.plot(x[mine & invalid], D[mine & invalid], "o", color="0.55", markerfacecolor="none",
                    markeredgecolor=colour, ms=3.5, label=f"{name}, invalid", gid=f"gitt-invalid-{name}")
    median = result.summary()["D_median_cm2_s"]
    if median is not None:
        ax.axhline(median, color="0.4", lw=0.7, ls="--", label=f"median of valid {median:.3g} cm² s⁻¹",
                   gid="gitt-median")
    ax.set_yscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(D_LABEL)
    ax.set_title(f"GITT, {result.method}, {result.geometry} L = {result.length_cm * 1e4:.3g} µm", loc="left")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")


def _chosen(result: GITTResult, pulse: int | None) -> dict[str, Any]:
    numbers = [p["pulse"] for p in result.pulses]
    if pulse is not None:
        if pulse not in numbers:
            raise ValidationError("pulse", f"no pulse {pulse!r} in the result (it has 1..{len(numbers)})")
        return result.pulses[numbers.index(pulse)]
    valid = [p for p in result.pulses if p["valid"] and math.isfinite(p["D_cm2_s"])]
    if not valid:
        return result.pulses[0]
    ordered = sorted(valid, key=lambda p: p["D_cm2_s"])
    return ordered[(len(ordered) - 1) // 2]


def _pulse_panel(ax: Axes, result: GITTResult, record: Record, pulse: dict[str, Any]) -> None:
    start, end = int(pulse["start_row"]), int(pulse["end_row"])
    if end >= len(record) or "time_s" not in record:
        raise ValidationError("record", f"the record ({len(record)} rows) is not the one analysed: "
                                        f"pulse {pulse['pulse']} ends at row {end}")
    t = record["time_s"][start:end + 1] - record["time_s"][start]
    v = record["voltage_V"][start:end + 1]
    tau = float(pulse["pulse_s"])
    root = np.sqrt(np.clip(t, 0.0, None))
    ax.plot(root, v, "o", color=OKABE_ITO[0], ms=2.5, markerfacecolor="none", label="data", gid="gitt-pulse-data")
    line = np.linspace(0.0, math.sqrt(tau), 50)
    sphere = (pulse["delta_E_s_mV"] * 1e-3 / 3.0) * line**2 / tau if result.spherical_correction else 0.0
    fit = pulse["E0_V"] + pulse["dE_dsqrt_t_mV_s05"] * 1e-3 * line + sphere
    ax.plot(line, fit, "-", color=OKABE_ITO[1], label="sqrt(t) fit" + (", sphere term added" if result.spherical_correction
                                                                     else ""), gid="gitt-pulse-fit")
    low, high = result.sqrt_window
    ax.axvspan(math.sqrt(low * tau), math.sqrt(high * tau), color="0.9", zorder=0, label="fit window",
               gid="gitt-pulse-window")
    ax.set_xlabel(label("√t", "s½"))
    ax.set_ylabel(label("Potential", "V"))
    state = "valid" if pulse["valid"] else "invalid"
    ax.set_title(f"pulse {pulse['pulse']} ({state}), τ = {tau:.3g} s", loc="left")
    ax.legend(loc="best")


def _column(result: GITTResult, key: str) -> NDArray[np.float64]:
    return np.array([np.nan if p.get(key) is None else p[key] for p in result.pulses], dtype=np.float64)


def plot_gitt(result: GITTResult, path: str | Path, record: Record | None = None, **options: Any) -> list[Path]:
    """:func:`gitt_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(gitt_figure(result, record, **options), path)
