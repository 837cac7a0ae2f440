"""The report's interactive figures of the metal-anode analyses (:mod:`anodelab.plating`), as plotly.js
specifications built from what the store holds: the long voltage trace of a symmetric cell with its
per-half-cycle plateau overpotential, zoomed insets and short onsets; the critical-current-density
staircase with its failing level; the nucleation dip with its tip and plateau; the plating
Coulombic efficiency against cycle with its mean; and a radar of the overpotentials of the samples
of a group. Nothing is fitted or derived: what is drawn beyond the stored values is the plot's own
geometry (mV for V, % for a ratio, a plateau drawn at the sign of its half-cycle's current, a
level's span from its stored start and end).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from anodelab.report.data import Columns, MetricRow
from anodelab.report.html.numbers import number
from anodelab.report.html.plots import (
    Figure,
    axis,
    category,
    line_trace,
    marker_trace,
    require_columns,
    transparent,
)

#: the symmetric trace, with its insets above it, is taller than the other figures
TRACE_HEIGHT_PX = 500
#: the analyses whose overpotentials (mV, one value per file) the radar of a group compares
RADAR_ANALYSES = ("nucleation", "overpotential_trace", "ccd", "plating_ce")
SHORT = category(3)
INSET_NAMES = ("early", "late")


def symmetric_trace(voltage: Columns, points: Columns, insets: Columns, onsets: Sequence[tuple[float, str]]) -> Figure:
    """Voltage (mV) against time of the whole record (``voltage``: the decimated trace), the plateau
    overpotential of each half-cycle (``points`` of ``overpotential_trace``) drawn at the sign of its
    current, so it sits on its plateau (open grey markers from the first short on, left out of the
    growth rate), the short onsets (``onsets``: time in h and kind) dashed, and above it the stored
    zoomed insets (``insets``: the early and late half-cycles), their spans shaded on the trace."""
    require_columns(points, ("time_h", "eta_plateau_mV", "current_mA"), "overpotential_trace points")
    time_h, voltage_mV = voltage["time_s"] / 3600.0, 1e3 * voltage["voltage_V"]
    data: list[dict[str, Any]] = [{**line_trace(time_h, voltage_mV, "voltage", category(0)),
                                   "line": {"color": category(0), "width": 1}, "showlegend": False,
                                   "hovertemplate": "%{x:.4g} h, %{y:.4g} mV<extra></extra>"}]
    plateau_mV = np.sign(points["current_mA"]) * points["eta_plateau_mV"]
    after = (points["after_short"] > 0) if "after_short" in points else np.zeros(plateau_mV.size, dtype=bool)
    hover = "%{x:.4g} h<br>η plateau %{customdata:.4g} mV<extra></extra>"
    for rows, name, colour, symbol in ((~after, "plateau η", category(1), "circle"),
                                       (after, "after the short", "#888", "circle-open")):
        if rows.any():
            data.append({**marker_trace(points["time_h"][rows], plateau_mV[rows], name, colour, symbol=symbol),
                         "customdata": points["eta_plateau_mV"][rows], "hovertemplate": hover})
    layout: dict[str, Any] = {"height": TRACE_HEIGHT_PX, "xaxis": axis("time (h)", anchor="y"),
                              "yaxis": axis("voltage (mV)", domain=[0.0, 0.58], anchor="x"),
                              "legend": {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 0.58,
                                         "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0)"}}
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for position, name in enumerate(INSET_NAMES):
        inside = insets["inset"] == position if "inset" in insets else np.zeros(0, dtype=bool)
        if not inside.any():
            continue
        x, y = insets["time_h"][inside], 1e3 * insets["voltage_V"][inside]
        k = position + 2
        data.append({**line_trace(x, y, f"{name} inset", category(0)), "xaxis": f"x{k}", "yaxis": f"y{k}",
                     "showlegend": False, "line": {"color": category(0), "width": 1}})
        low, high = float(np.nanmin(x)), float(np.nanmax(x))
        layout[f"xaxis{k}"] = axis("", domain=[0.0, 0.45] if position == 0 else [0.55, 1.0], anchor=f"y{k}")
        layout[f"yaxis{k}"] = axis("voltage (mV)" if position == 0 else "", domain=[0.7, 1.0], anchor=f"x{k}")
        shapes.append({"type": "rect", "xref": "x", "yref": "y domain", "x0": low, "x1": high, "y0": 0, "y1": 1,
                       "fillcolor": transparent(category(2), 0.15), "line": {"width": 0}, "layer": "below"})
        notes.append({"xref": f"x{k} domain", "yref": f"y{k} domain", "x": 0.0, "y": 1.0, "xanchor": "left",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": 11},
                      "text": f"{name}: {low:.4g}–{high:.4g} h"})
        shapes += [_onset_line(onset_h, f"x{k}", f"y{k}") for onset_h, _ in onsets if low <= onset_h <= high]
    shapes += [_onset_line(onset_h, "x", "y") for onset_h, _ in onsets]
    if onsets and np.isfinite(voltage_mV).any():
        top = float(np.nanmax(voltage_mV))
        data.append({**marker_trace(np.array([t for t, _ in onsets]), np.full(len(onsets), top), "short",
                                    SHORT, symbol="triangle-down"),
                     "text": [f"{kind} short at {t:.4g} h" for t, kind in onsets],
                     "hovertemplate": "%{text}<extra></extra>"})
    layout["shapes"], layout["annotations"] = shapes, notes
    return Figure("Voltage trace and plateau overpotential", data, layout,
                  "The whole record, at most four points (first, lowest, highest, last) per time bucket; markers: "
                  "the plateau overpotential of each half-cycle, at the sign of its current (open: from the first short "
                  "on, left out of the growth rate); dashed: short onsets; above: the stored early and late "
                  "half-cycles (shaded on the trace).")


def _onset_line(onset_h: float, x: str, y: str) -> dict[str, Any]:
    return {"type": "line", "xref": x, "yref": f"{y} domain", "x0": onset_h, "x1": onset_h, "y0": 0, "y1": 1,
            "line": {"color": SHORT, "width": 1.2, "dash": "dash"}}


def ccd_staircase(levels: Columns, content: Mapping[str, Any]) -> Figure:
    """The current density of each level of a CCD staircase against time (a step line), the last stable
    level drawn thicker, the failing level shaded and its short's onset dashed, and the plateau
    overpotential of each level over its span (right axis)."""
    require_columns(levels, ("level", "start_h", "end_h", "current_density"), "ccd levels")
    areal = content.get("area_cm2") is not None
    unit = "mA/cm²" if areal else "mA"
    start, end, density = levels["start_h"], levels["end_h"], levels["current_density"]
    data: list[dict[str, Any]] = [{**line_trace(np.r_[start, end[-1:]], np.r_[density, density[-1:]],
                                                "current density" if areal else "current", category(0)),
                                   "line": {"color": category(0), "width": 1.5, "shape": "hv"}}]
    last_stable = content.get("last_stable_mA_cm2" if areal else "last_stable_mA")
    stable = np.flatnonzero(np.isclose(density, last_stable)) if last_stable is not None else np.zeros(0, dtype=int)
    if stable.size:
        k = int(stable[0])
        data.append({**line_trace(np.array([start[k], end[k]]), np.array([density[k]] * 2),
                                  f"last stable {number(last_stable)} {unit}", category(2)),
                     "line": {"color": category(2), "width": 4}})
    if "eta_plateau_mV" in levels:
        gaps = np.full(start.size, np.nan)
        x = np.column_stack([start, end, gaps]).ravel()
        y = np.column_stack([levels["eta_plateau_mV"], levels["eta_plateau_mV"], gaps]).ravel()
        data.append({**marker_trace(x, y, "plateau η per level", category(1), mode="lines+markers"),
                     "line": {"color": category(1), "width": 2}, "yaxis": "y2",
                     "hovertemplate": "%{x:.4g} h<br>η plateau %{y:.4g} mV<extra></extra>"})
    layout: dict[str, Any] = {"xaxis": axis("time (h)"),
                              "yaxis": axis(f"{'current density' if areal else 'current'} ({unit})", rangemode="tozero"),
                              "yaxis2": axis("plateau overpotential (mV)", overlaying="y", side="right",
                                             showgrid=False, tickmode="auto", rangemode="tozero"),
                              "legend": {"x": 0.01, "xanchor": "left", "y": 0.99, "yanchor": "top",
                                         "bgcolor": "rgba(255,255,255,0.8)"}}  # the staircase rises to the right
    failure = content.get("failure") or {}
    caption = "No short: every level stable."
    if failure.get("level") is not None:
        failing = np.flatnonzero(levels["level"] == failure["level"])
        shapes: list[dict[str, Any]] = []
        if failing.size:
            k = int(failing[0])
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": start[k], "x1": end[k], "y0": 0,
                           "y1": 1, "fillcolor": transparent(SHORT, 0.15), "line": {"width": 0}, "layer": "below"})
        onset = failure.get("short_onset_h")
        if onset is not None:
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": onset, "x1": onset, "y0": 0, "y1": 1,
                           "line": {"color": SHORT, "width": 1.2, "dash": "dash"}})
        layout["shapes"] = shapes
        ccd = content.get("ccd_mA_cm2" if areal else "ccd_mA")
        caption = (f"Shaded: the failing level {failure['level']}; dashed: its {failure.get('kind') or ''} short "
                   f"(CCD {number(ccd)} {unit}).")
    return Figure("Critical current density staircase", data, layout, caption)


def nucleation_dip(curve: Columns, content: Mapping[str, Any]) -> Figure:
    """Voltage (mV vs the counter) of the first plating against the charge plated (per cm² where the
    area is known): the stored rows, the tip (filled triangle; open for an under-sampled tip, a bound)
    and the plateau (dashed, from where it starts to the end of the step), zoomed on the dip."""
    areal = "capacity_mAh_cm2" in curve
    require_columns(curve, ("time_s", "voltage_V", "capacity_mAh_cm2" if areal else "capacity_mAh"), "nucleation curve")
    x = curve["capacity_mAh_cm2" if areal else "capacity_mAh"]
    unit = "mAh/cm²" if areal else "mAh"
    mV = 1e3 * curve["voltage_V"]
    data: list[dict[str, Any]] = [{**marker_trace(x, mV, "readings", category(0), mode="lines+markers"),
                                   "marker": {"color": category(0), "size": 3}}]
    tip_mV, plateau_mV = 1e3 * float(content["tip_V"]), 1e3 * float(content["plateau_V"])
    tip_x = content.get("tip_capacity_mAh_cm2" if areal else "tip_capacity_mAh")
    state = content.get("tip")
    if state in ("resolved", "under-sampled") and tip_x is not None:
        name = (f"tip: η = {number(content.get('eta_tip_mV'), content.get('eta_tip_stderr_mV'))} mV" if state == "resolved"
                else f"tip under-sampled: η ≥ {number(content.get('eta_tip_lower_bound_mV'))} mV")
        data.append({**marker_trace(np.array([tip_x]), np.array([tip_mV]), name, SHORT,
                                    symbol="triangle-down" if state == "resolved" else "triangle-down-open"),
                     "marker": {"color": SHORT, "size": 11,
                                "symbol": "triangle-down" if state == "resolved" else "triangle-down-open"}})
    after = np.flatnonzero(curve["time_s"] >= float(content["plateau_start_s"]))
    first = int(after[0]) if after.size else 0
    data.append({**line_trace(np.array([x[first], x[-1]]), np.array([plateau_mV, plateau_mV]),
                              f"plateau: η = {number(content.get('eta_plateau_mV'), content.get('eta_plateau_stderr_mV'))} mV",
                              category(2), dash="dash"), "line": {"color": category(2), "width": 2.5, "dash": "dash"}})
    if state == "resolved":
        nucleation = f"η nucleation = {number(content.get('eta_nucleation_mV'), content.get('eta_nucleation_stderr_mV'))} mV"
    elif state == "under-sampled":
        nucleation = f"η nucleation ≥ {number(content.get('eta_nucleation_lower_bound_mV'))} mV (tip under-sampled)"
    else:
        nucleation = f"no dip above the noise: η nucleation ≤ {number(content.get('eta_nucleation_upper_bound_mV'))} mV"
    layout: dict[str, Any] = {"xaxis": axis(f"{'areal capacity' if areal else 'capacity'} ({unit})"),
                              "yaxis": axis("voltage vs counter (mV)"),
                              "legend": {"x": 0.99, "xanchor": "right", "y": 0.02, "yanchor": "bottom",
                                         "bgcolor": "rgba(255,255,255,0.8)"}}  # below the plateau, right of the dip
    if state != "no-dip" and tip_x is not None:
        layout["annotations"] = [{"x": tip_x, "y": tip_mV, "ax": tip_x, "ay": plateau_mV, "xref": "x", "yref": "y",
                                  "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowside": "start+end",
                                  "arrowsize": 0.8, "arrowcolor": "#555", "text": ""}]
    # the view of the static figure: the dip and twice the time to the plateau (double-click: everything)
    depth_mV = max(plateau_mV - tip_mV, 4.0 * float(content.get("noise_mV") or 0.0), 1.0)
    span_s = max(2.0 * float(content["plateau_start_s"]),
                 float(content.get("tip_time_s") or 0.0) + 4.0 * max(float(content.get("dip_width_s") or 0.0), 1.0))
    shown = np.flatnonzero(curve["time_s"] <= span_s)
    if state != "no-dip" and shown.size > 1:
        layout["xaxis"]["range"] = [float(x[0]), float(x[shown[-1]])]
        layout["yaxis"]["range"] = [tip_mV - 0.6 * depth_mV, plateau_mV + 1.2 * depth_mV]
    zoomed = "xaxis" in layout and "range" in layout["xaxis"]
    return Figure("Nucleation overpotential", data, layout,
                  f"{nucleation}." + (" Zoomed on the dip: double-click the plot for the whole step." if zoomed else ""))


def plating_ce(cycles: Columns, content: Mapping[str, Any]) -> Figure:
    """The Coulombic efficiency (%) of each per-cycle plating/stripping pair against cycle, its mean over
    the cycles averaged (line) with ± one standard deviation (band), and each Aurbach test's CE over its
    cycles."""
    require_columns(cycles, ("cycle", "ce"), "plating_ce cycles")
    roles = cycles.get("role")
    per_cycle = (roles == "per-cycle") if roles is not None and roles.dtype == object else np.isfinite(cycles["ce"])
    data: list[dict[str, Any]] = [{**marker_trace(cycles["cycle"][per_cycle], 100.0 * cycles["ce"][per_cycle],
                                                  "per cycle", category(0)),
                                   "hovertemplate": "cycle %{x}<br>CE %{y:.4g} %<extra></extra>"}]
    mean, sd, span = content.get("ce_mean"), content.get("ce_std"), content.get("ce_mean_cycles")
    if mean is not None and span:
        x = np.array([span[0] - 0.4, span[1] + 0.4])
        if sd is not None:
            data.append({"type": "scatter", "mode": "lines", "x": np.r_[x, x[::-1]],
                         "y": 100.0 * np.array([mean + sd, mean + sd, mean - sd, mean - sd]), "fill": "toself",
                         "fillcolor": transparent(category(0), 0.15), "line": {"width": 0}, "hoverinfo": "skip",
                         "name": f"± sd ({number(100.0 * sd)} %)"})
        data.append(line_trace(x, 100.0 * np.array([mean, mean]),
                               f"mean {number(100.0 * mean, _scaled(content.get('ce_stderr')))} % "
                               f"(cycles {span[0]}–{span[1]})", category(0)))
    for k, test in enumerate(content.get("aurbach_tests") or [], start=1):
        data.append(line_trace(np.array([test["first_cycle"] - 0.4, test["last_cycle"] + 0.4]),
                               100.0 * np.array([test["ce"], test["ce"]]),
                               f"Aurbach test {k}: {number(100.0 * test['ce'])} % (n = {test['n_cycles']})",
                               category(1)))
    return Figure("Plating/stripping Coulombic efficiency", data,
                  {"xaxis": axis("cycle", **({"dtick": 1} if cycles["cycle"].size <= 20 else {})),
                   "yaxis": axis("Coulombic efficiency (%)"),
                   "legend": {"x": 0.99, "xanchor": "right", "y": 0.02, "yanchor": "bottom",
                              "bgcolor": "rgba(255,255,255,0.8)"}},
                  "Markers: each per-cycle pair (plated on the substrate, stripped to the cut-off).")


def overpotential_radar(group: str, samples: Sequence[tuple[str, Sequence[MetricRow]]]) -> Figure | None:
    """A radar of the overpotentials (mV metrics without an index of :data:`RADAR_ANALYSES`) of each
    sample of ``group`` (its label and metric rows), one axis per metric, one closed polygon per
    sample; None with fewer than two samples or three metrics."""
    chosen = {label: [m for m in rows if m.analysis in RADAR_ANALYSES and m.unit == "mV" and m.index_name is None
                      and m.value is not None] for label, rows in samples}
    keys = list(dict.fromkeys((m.analysis, m.name) for rows in chosen.values() for m in rows))
    if sum(1 for rows in chosen.values() if rows) < 2 or len(keys) < 3:
        return None
    names = [name for _, name in keys]
    theta = [name if names.count(name) == 1 else f"{name} ({analysis})" for analysis, name in keys]
    data = []
    for k, (label, rows) in enumerate(chosen.items()):
        if not rows:
            continue
        by_key = {(m.analysis, m.name): m for m in rows}
        found = [by_key.get(key) for key in keys]
        r = np.array([np.nan if m is None or m.value is None else m.value for m in found])
        text = ["not measured" if m is None else f"{number(m.value, m.stderr)} mV" for m in found]
        data.append({"type": "scatterpolar", "mode": "lines+markers", "name": label, "r": np.r_[r, r[:1]],
                     "theta": [*theta, theta[0]], "text": [*text, text[0]], "fill": "toself",
                     "fillcolor": transparent(category(k), 0.08), "line": {"color": category(k), "width": 1.5},
                     "marker": {"color": category(k), "size": 6},
                     "hovertemplate": f"{label}<br>%{{theta}}: %{{text}}<extra></extra>"})
    return Figure(f"Overpotentials, group {group}", data,
                  {"polar": {"radialaxis": {"rangemode": "tozero", "angle": 90 - 180 / len(keys), "nticks": 5,
                                            "ticksuffix": " mV", "tickfont": {"size": 9}},  # between two axes
                             "angularaxis": {"direction": "clockwise"}}},
                  "Each sample's stored overpotentials (mV), one axis per metric.")


def _scaled(stderr: float | None) -> float | None:
    return None if stderr is None else 100.0 * stderr
