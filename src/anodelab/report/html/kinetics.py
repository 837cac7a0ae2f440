"""The report's interactive figures of the kinetics analyses (:mod:`anodelab.kinetics`), as plotly.js
specifications built from what the store holds: GITT's diffusion coefficient against state of
charge, the Tafel plot with its chosen regions, lines and Butler-Volmer fit, and the voltammogram
with its peaks and the dI/dV of its sweeps with their onsets. Nothing is fitted here: beyond the
stored values the figures draw the plot's geometry (|i| on a log axis, the current per cm² of the
stored area, each Tafel line through its stored exchange current and slope).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.report.data import Columns
from anodelab.report.html.numbers import number
from anodelab.report.html.plots import (
    Figure,
    axis,
    category,
    line_trace,
    marker_trace,
    ordered,
    require_columns,
    transparent,
)

#: the x axis of the GITT figure, by the first column the pulses table holds
GITT_AXES = (("soc", "state of charge"), ("inserted_mAh_g", "inserted charge (mAh/g)"),
             ("inserted_mAh", "inserted charge (mAh)"))
DIRECTION_COLOURS = {"lithiation": category(0), "delithiation": category(1)}
#: Tafel points below this fraction of the largest |i| (those at equilibrium itself) are left off the plot
TAFEL_FLOOR = 1e-4
BRANCH_COLOURS = {"anodic": category(1), "cathodic": category(0)}
#: the Tafel plot is taller: its legend (the lines' slopes and i0) sits below it
TAFEL_HEIGHT_PX = 460
#: a voltammogram of more cycles than this draws 1, 2, 5, 10, 20, 50, ... and the last
SHOWN_CYCLES = 10
PEAK_SYMBOLS = {"reduction": "triangle-down", "oxidation": "triangle-up"}


def gitt_diffusion(pulses: Columns, content: Mapping[str, Any]) -> Figure:
    """D of each pulse against the state of charge (else the inserted charge) on a log axis: valid
    pulses filled with their standard errors, one colour per direction; invalid ones apart (open, grey,
    their reason on hover); the median of the valid pulses dashed and their quartiles shaded."""
    require_columns(pulses, ("pulse", "D_cm2_s", "valid"), "gitt pulses")
    key, title = next(((key, title) for key, title in GITT_AXES if key in pulses), ("pulse", "pulse"))
    x, D = pulses[key], pulses["D_cm2_s"]
    shown = np.isfinite(D) & (D > 0)
    valid = (pulses["valid"] > 0) & shown
    invalid = ~(pulses["valid"] > 0) & shown
    direction = pulses.get("direction", np.full(D.size, "", dtype=object))
    stderr = pulses.get("D_stderr_cm2_s")
    data: list[dict[str, Any]] = []
    for name in dict.fromkeys(direction.tolist()):
        mine = direction == name
        colour = DIRECTION_COLOURS.get(str(name), category(2))
        if (rows := mine & valid).any():
            trace = {**marker_trace(x[rows], D[rows], f"{name or 'pulse'}, valid", colour),
                     "customdata": pulses["pulse"][rows],
                     "hovertemplate": "pulse %{customdata}<br>%{x:.4g}, D %{y:.3g} cm²/s<extra></extra>"}
            if stderr is not None:
                trace["error_y"] = {"type": "data", "array": stderr[rows], "visible": True, "thickness": 1}
            data.append(trace)
        if (rows := mine & invalid).any():
            reasons = pulses.get("reason", np.full(D.size, "", dtype=object))[rows]
            data.append({**marker_trace(x[rows], D[rows], f"{name or 'pulse'}, invalid", "#888",
                                        symbol="circle-open"),
                         "marker": {"color": colour, "size": 7, "symbol": "circle-open", "line": {"width": 1.5}},
                         "text": [f"pulse {int(p)} invalid: {r or 'no reason stored'}"
                                  for p, r in zip(pulses["pulse"][rows], reasons)],
                         "hovertemplate": "%{text}<br>%{x:.4g}, D %{y:.3g} cm²/s<extra></extra>"})
    layout: dict[str, Any] = {"xaxis": axis(title), "yaxis": axis("D (cm²/s)", type="log", exponentformat="e")}
    median, low, high = content.get("D_median_cm2_s"), content.get("D_p25_cm2_s"), content.get("D_p75_cm2_s")
    if median is not None and shown.any():
        ends = np.array([np.nanmin(x[shown]), np.nanmax(x[shown])])
        data.append(line_trace(ends, np.array([median, median]), f"median of valid {number(median)} cm²/s", "#555",
                               dash="dash"))
        if low is not None and high is not None:
            layout["shapes"] = [{"type": "rect", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": low, "y1": high,
                                 "fillcolor": "rgba(85,85,85,0.1)", "line": {"width": 0}, "layer": "below"}]
    caption = (f"{content.get('method', '')} method, {content.get('geometry', '')}, "
               f"{content.get('n_valid', '?')} of {content.get('n_pulses', '?')} pulses valid; shaded: the quartiles "
               "of the valid pulses.")
    return Figure("GITT: diffusion coefficient", data, layout, caption)


def tafel_plot(points: Columns, content: Mapping[str, Any]) -> Figure:
    """The overpotential (IR-corrected where R_u > 0) of every point against |i| on a log axis, the
    Tafel window of each branch shaded and its points coloured, each Tafel line dashed from its
    exchange current at eta = 0 to the window's far end, the combined i0 marked, and the
    Butler-Volmer fit's current at each point's overpotential (line)."""
    require_columns(points, ("I_mA", "eta_iR_mV"), "tafel points")
    curve = content.get("curve") or {}
    area = curve.get("area_cm2")
    unit = "mA/cm²" if area else "mA"
    per = float(area) if area else 1.0
    eta_mV = points["eta_iR_mV"]
    magnitude = np.abs(points["I_mA"]) / per
    floor = TAFEL_FLOOR * float(np.nanmax(magnitude)) if np.isfinite(magnitude).any() else 0.0
    magnitude = np.where(magnitude >= floor, magnitude, np.nan)
    window = points.get("tafel_window", np.zeros(eta_mV.size))
    outside = window == 0
    data: list[dict[str, Any]] = [{**marker_trace(magnitude[outside], eta_mV[outside], "points", "#999"),
                                   "marker": {"color": "#999", "size": 3}, "showlegend": False}]
    shapes: list[dict[str, Any]] = []
    branches = content.get("branches") or {}
    for name, sign in (("anodic", 1.0), ("cathodic", -1.0)):
        traces, shaded = _tafel_branch(name, sign, magnitude, eta_mV, window, branches.get(name))
        data += traces
        shapes += shaded
    if "i_bv_fit" in points:
        data.append(_butler_volmer_line(points["i_bv_fit"], eta_mV, floor, content.get("butler_volmer") or {}, area,
                                        unit))
    i0 = content.get("i0_mA_cm2") if area else content.get("I0_mA")
    if i0 is not None and str(content.get("i0_method", "")).startswith("tafel"):
        data.append({**marker_trace(np.array([i0]), np.array([0.0]),
                                    f"i0 (Tafel) = {number(i0, content.get('i0_stderr_mA_cm2') if area else None)} {unit}",
                                    category(2), symbol="diamond"), "marker": {"color": category(2), "size": 9,
                                                                                 "symbol": "diamond"}})
    shapes.append({"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                   "line": {"color": "#555", "width": 0.8}})
    corrected = float(content.get("R_u_ohm") or 0.0) > 0
    return Figure("Tafel plot", data,
                  {"height": TAFEL_HEIGHT_PX,
                   "xaxis": axis(f"|i| ({unit})" if area else "|I| (mA)", type="log", exponentformat="power"),
                   "yaxis": axis("η − I·R_u (mV)" if corrected else "η (mV)"), "shapes": shapes,
                   "legend": {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.22, "yanchor": "top"}},
                  f"Shaded: the Tafel windows chosen by the rule; i0 by {content.get('i0_method', '?')}"
                  + (f"; R_u = {number(content.get('R_u_ohm'))} Ω ({content.get('R_u_source', '')})" if corrected else "")
                  + ".")


def _tafel_branch(name: str, sign: float, magnitude: NDArray[Any], eta_mV: NDArray[Any], window: NDArray[Any],
                  branch: Mapping[str, Any] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One branch drawn: its traces (the points of its window, ``window == sign``, and its Tafel line dashed
    from i0 at eta = 0 to the window's far end) and its window shaded; the line and shading need its stored fit."""
    rows = window == sign
    colour = BRANCH_COLOURS[name]
    data: list[dict[str, Any]] = []
    if rows.any():
        data.append({**marker_trace(magnitude[rows], eta_mV[rows], f"{name} window", colour),
                     "marker": {"color": colour, "size": 4}})
    if not branch:
        return data, []
    low, high = sorted((sign * branch["eta_low_mV"], sign * branch["eta_high_mV"]))
    shaded = {"type": "rect", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": low, "y1": high,
              "fillcolor": transparent(colour, 0.12), "line": {"width": 0}, "layer": "below"}
    far_mV, slope = sign * branch["eta_high_mV"], branch["tafel_slope_mV_dec"]
    data.append(line_trace(np.array([branch["i0"], branch["i0"] * 10.0 ** (branch["eta_high_mV"] / slope)]),
                           np.array([0.0, far_mV]),
                           f"{name}: b = {number(slope, branch.get('tafel_slope_stderr_mV_dec'))} mV/dec, "
                           f"α = {number(branch['alpha'], branch.get('alpha_stderr'))}", colour, dash="dash"))
    return data, [shaded]


def _butler_volmer_line(i_fit: NDArray[Any], eta_mV: NDArray[Any], floor: float, bv: Mapping[str, Any],
                        area: float | None, unit: str) -> dict[str, Any]:
    """The Butler-Volmer fit's |i| at each point's overpotential (in order of eta; below ``floor`` left off),
    labelled with its i0."""
    fitted = np.abs(i_fit)
    order = np.argsort(eta_mV, kind="stable")
    fit_i = np.where(fitted >= floor, fitted, np.nan)[order]
    i0_bv = bv.get("i0_mA_cm2") if area else bv.get("I0_mA")
    return line_trace(fit_i, eta_mV[order],
                      f"Butler-Volmer fit: i0 = {number(i0_bv, bv.get('i0_stderr_mA_cm2') if area else None)} {unit}",
                      category(4))


def voltammogram(curve: Columns, content: Mapping[str, Any]) -> Figure:
    """Current against potential of each analysed sweep (binned and smoothed, as stored), one colour per
    cycle, and the peaks (▼ reduction, ▲ oxidation) at their measured current."""
    require_columns(curve, ("segment", "cycle", "potential_V", "current_mA"), "voltammetry curve")
    cycles = _shown_cycles(sorted({int(c) for c in curve["cycle"][np.isfinite(curve["cycle"])]}))
    data: list[dict[str, Any]] = []
    seen: set[int] = set()
    for segment in dict.fromkeys(curve["segment"].tolist()):
        rows = curve["segment"] == segment
        cycle = int(curve["cycle"][rows][0])
        if cycle not in cycles:
            continue
        trace = line_trace(curve["potential_V"][rows], curve["current_mA"][rows], f"cycle {cycle}",
                           ordered(cycles.index(cycle), len(cycles)) if len(cycles) > 1 else category(0))
        trace.update(legendgroup=str(cycle), showlegend=cycle not in seen,
                     hovertemplate=f"sweep {int(segment)}, cycle {cycle}<br>%{{x:.4g}} V, %{{y:.4g}} mA<extra></extra>")
        seen.add(cycle)
        data.append(trace)
    for direction, symbol in PEAK_SYMBOLS.items():
        peaks = [p for p in content.get("peaks") or [] if p.get("direction") == direction and p.get("cycle") in cycles]
        if peaks:
            data.append({**marker_trace(np.array([p["E_peak_V"] for p in peaks], dtype=np.float64),
                                        np.array([p["I_measured_mA"] for p in peaks], dtype=np.float64),
                                        f"{direction} peaks", "#000", symbol=symbol),
                         "marker": {"color": [ordered(cycles.index(p["cycle"]), len(cycles)) if len(cycles) > 1
                                              else category(0) for p in peaks], "size": 10, "symbol": symbol,
                                    "line": {"color": "#000", "width": 1}},
                         "text": [f"peak {p['peak']}, cycle {p['cycle']}: {number(p['E_peak_V'])} V, "
                                  f"{number(p['I_peak_mA'])} mA above its baseline" for p in peaks],
                         "hovertemplate": "%{text}<extra></extra>"})
    technique = str(content.get("technique", "cv"))
    rate = content.get("scan_rate_mV_s")
    caption = f"Scan rate {number(rate)} mV/s." if rate is not None else "Scan rate unknown."
    if len(cycles) < len({int(c) for c in curve["cycle"][np.isfinite(curve["cycle"])]}):
        caption += f" Cycles {', '.join(map(str, cycles))} drawn."
    layout: dict[str, Any] = {"xaxis": axis("potential (V)"), "yaxis": axis("current (mA)")}
    if len(data) == 1:
        layout["showlegend"] = False
    return Figure("Cyclic voltammogram" if technique == "cv" else "Linear sweep voltammogram", data, layout, caption)


def didv(curve: Columns, content: Mapping[str, Any]) -> Figure | None:
    """dI/dE against potential of the sweeps that have onsets, the onsets (maxima of dI/dE) marked and
    labelled with their potential; None when no sweep has one."""
    onsets = content.get("onsets") or []
    if not onsets:
        return None
    require_columns(curve, ("segment", "potential_V", "dIdV_mA_V"), "voltammetry curve")
    data: list[dict[str, Any]] = []
    directions = {s.get("segment"): s.get("direction") for s in content.get("segments") or []}
    for k, segment in enumerate(dict.fromkeys(int(o["segment"]) for o in onsets)):
        rows = curve["segment"] == segment
        colour = category(k)
        data.append(line_trace(curve["potential_V"][rows], curve["dIdV_mA_V"][rows],
                               f"sweep {segment} ({directions.get(segment) or '?'})", colour))
        mine = [o for o in onsets if int(o["segment"]) == segment]
        data.append({**marker_trace(np.array([o["E_onset_V"] for o in mine], dtype=np.float64),
                                    np.array([o["dIdV_mA_V"] for o in mine], dtype=np.float64),
                                    f"onsets, sweep {segment}", colour, symbol="circle-open", mode="markers+text"),
                     "marker": {"color": colour, "size": 9, "symbol": "circle-open", "line": {"width": 1.5}},
                     "text": [f"{number(o['E_onset_V'])} V" for o in mine], "textposition": "top center",
                     "textfont": {"size": 10}, "hovertemplate": "onset %{x:.4g} V<br>dI/dE %{y:.4g} mA/V<extra></extra>"})
    return Figure("dI/dE with onset potentials", data,
                  {"xaxis": axis("potential (V)"), "yaxis": axis("dI/dE (mA/V)")},
                  "Onsets: the maxima of dI/dE found on the opening sweep.")


def _shown_cycles(cycles: Sequence[int]) -> list[int]:
    """Every cycle up to :data:`SHOWN_CYCLES`, else 1, 2, 5, 10, 20, 50, ... and the last."""
    if len(cycles) <= SHOWN_CYCLES:
        return list(cycles)
    marks = {m * 10**e for e in range(7) for m in (1, 2, 5)}
    return [c for c in cycles if c in marks or c == cycles[-1]]
