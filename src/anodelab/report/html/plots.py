"""The report's interactive figures as plotly.js specifications (``data`` traces and a ``layout``),
built from what :mod:`anodelab.report.data` read from the store. Nothing is fitted or derived here:
the curves are stored points, fits and residuals; what is drawn beyond that is the plot's own
geometry (hours for seconds, -Z'' for Z'', the Bode modulus and phase of the stored Z, ln of the
Arrhenius ordinate and the line through the stored Ea and prefactor).

Colours: Okabe-Ito (colour-blind safe) for categories, viridis for an ordered series (cycles,
spectra along time, temperature). Every axis title carries its unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.constants import GAS_CONSTANT_J_MOL_K, ZERO_CELSIUS_K
from anodelab.core.errors import ValidationError
from anodelab.report.data import Columns, Curve
from anodelab.report.html.numbers import number

#: Okabe & Ito (2008), the colour-blind-safe categorical palette (black last)
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: viridis from dark to light green (its pale yellow end is left out: invisible on white)
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b")
#: the ordinate of each Arrhenius form (anodelab.impedance.derived.arrhenius_fit) and its unit inside the ln
#: a figure with a right-hand axis has its legend above the plot, right-aligned
TWIN_LEGEND = {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom",
               "bgcolor": "rgba(255,255,255,0)"}
#: spectra of a series drawn at first (evenly spaced, first and last among them); the legend shows the others
SHOWN_SPECTRA = 6
#: a figure's height unless its layout sets one (the page reserves it before the figure is drawn)
HEIGHT_PX = 340
ARRHENIUS_AXES = {"sigmaT": "ln(σT / (S K cm⁻¹))", "sigma": "ln(σ / (S cm⁻¹))", "1/R": "ln(R⁻¹ / Ω⁻¹)",
                  "T/R": "ln((T/R) / (K Ω⁻¹))"}


@dataclass(frozen=True)
class Figure:
    """One interactive figure: plotly traces, a layout (merged over the page's defaults), a caption."""

    title: str
    data: list[dict[str, Any]]
    layout: dict[str, Any] = field(default_factory=dict)
    caption: str = ""

    @property
    def height_px(self) -> int:
        """Its height (the layout's, else :data:`HEIGHT_PX`): what the page reserves for it."""
        return int(self.layout.get("height", HEIGHT_PX))

    def spec(self) -> dict[str, Any]:
        return {"data": self.data, "layout": {"title": {"text": self.title}, **self.layout, "height": self.height_px}}


def category(k: int) -> str:
    return OKABE_ITO[k % len(OKABE_ITO)]


def ordered(k: int, n: int) -> str:
    """The colour of item ``k`` of ``n`` ordered ones (viridis, dark to light)."""
    if n <= 1:
        return VIRIDIS[0]
    return VIRIDIS[round(k * (len(VIRIDIS) - 1) / (n - 1))]


def axis(title: str, **options: Any) -> dict[str, Any]:
    return {"title": {"text": title}, **options}


def coordinate(name: str | None, values: NDArray[np.float64]) -> tuple[str, NDArray[np.float64]]:
    """The axis title and values of a series' coordinate (hours for ``time_s``)."""
    if name == "time_s":
        return "time (h)", values / 3600.0
    titles = {"voltage_V": "voltage (V)", "temperature_C": "temperature (°C)", "current_mA": "current (mA)",
              "cycle": "cycle"}
    return titles.get(name or "", name or "spectrum"), values


# -- time series -----------------------------------------------------------------------------------


def voltage_current(voltage: Columns, current: Columns | None) -> Figure:
    """Voltage (left axis) and current (right axis) against time, as decimated from the store."""
    data: list[dict[str, Any]] = [line_trace(voltage["time_s"] / 3600.0, voltage["voltage_V"], "voltage", category(0))]
    layout: dict[str, Any] = {"xaxis": axis("time (h)"), "yaxis": axis("voltage (V)")}
    if current is not None and current["time_s"].size:
        data.append({**line_trace(current["time_s"] / 3600.0, current["current_mA"], "current", category(3)), "yaxis": "y2"})
        layout["yaxis2"] = axis("current (mA)", overlaying="y", side="right", showgrid=False, tickmode="auto")
        layout["legend"] = TWIN_LEGEND
    return Figure("Voltage and current", data, layout,
                  "The whole record, at most four points (first, lowest, highest, last) per time bucket.")


def sweep(trace: Columns, *, tafel: bool = False) -> Figure:
    """Current against voltage (a voltammogram), or |current| on a log axis (a Tafel plot)."""
    current = np.abs(trace["current_mA"]) if tafel else trace["current_mA"]
    if tafel:
        current = np.where(current > 0, current, np.nan)
    data = [line_trace(trace["voltage_V"], current, "current", category(0))]
    title = "Tafel plot" if tafel else "Current against voltage"
    yaxis = axis("|current| (mA)", type="log") if tafel else axis("current (mA)")
    return Figure(title, data, {"xaxis": axis("voltage (V)"), "yaxis": yaxis})


def overlaid_voltage(traces: Sequence[tuple[str, Columns]], kind: str) -> Figure:
    """The voltage of several files of one kind against time from each file's start."""
    data = []
    for k, (label, trace) in enumerate(traces):
        start = trace["time_s"][0] if trace["time_s"].size else 0.0
        data.append(line_trace((trace["time_s"] - start) / 3600.0, trace["voltage_V"], label, category(k)))
    return Figure(f"{kind}: voltage of every file", data, {"xaxis": axis("time from start (h)"),
                                                           "yaxis": axis("voltage (V)")})


# -- cycling ---------------------------------------------------------------------------------------


def profiles(curves: Sequence[Curve]) -> Figure:
    """Voltage against capacity per half-cycle as stored by ``voltage_profiles``, one colour per cycle
    (per g of active material where every curve has ``capacity_mAh_g``)."""
    cycles = sorted({curve.cycle for curve in curves})
    specific = all("capacity_mAh_g" in curve.columns for curve in curves)
    data = []
    seen: set[int] = set()
    for curve in curves:
        k = cycles.index(curve.cycle)
        x = curve.columns["capacity_mAh_g" if specific else "capacity_mAh"]
        trace = line_trace(x, curve.columns["voltage_V"], f"cycle {curve.cycle}", ordered(k, len(cycles)))
        trace.update(legendgroup=str(curve.cycle), showlegend=curve.cycle not in seen,
                     hovertemplate=f"cycle {curve.cycle} {curve.role}<br>%{{x:.4g}}, %{{y:.4g}} V<extra></extra>")
        seen.add(curve.cycle)
        data.append(trace)
    unit = "mAh/g" if specific else "mAh"
    return Figure("Voltage profiles", data, {"xaxis": axis(f"capacity ({unit})"), "yaxis": axis("voltage (V)")},
                  "Each half-cycle from zero; its capacity summed over its steps.")


def dqdv(curves: Sequence[Curve], peaks: Sequence[Mapping[str, Any]]) -> Figure:
    """dQ/dV against voltage per half-cycle as stored by ``dqdv``, one colour per cycle, and its
    stored peaks (markers)."""
    cycles = sorted({curve.cycle for curve in curves})
    data = []
    seen: set[int] = set()
    for curve in curves:
        k = cycles.index(curve.cycle)
        trace = line_trace(curve.columns["voltage_V"], curve.columns["dqdv_mAh_V"], f"cycle {curve.cycle}",
                      ordered(k, len(cycles)))
        trace.update(legendgroup=str(curve.cycle), showlegend=curve.cycle not in seen,
                     hovertemplate=f"cycle {curve.cycle} {curve.role}<br>%{{x:.4g}} V, %{{y:.4g}} mAh/V<extra></extra>")
        seen.add(curve.cycle)
        data.append(trace)
    shown = [p for p in peaks if p.get("cycle") in set(cycles)]
    if shown:
        data.append({**marker_trace(np.array([p["voltage_V"] for p in shown], dtype=np.float64),
                                np.array([p["dqdv_mAh_V"] for p in shown], dtype=np.float64), "peaks",
                                category(7), symbol="x"),
                     "text": [f"cycle {p['cycle']} {p['role']} peak {p['peak']}" for p in shown],
                     "hovertemplate": "%{text}<br>%{x:.4g} V, %{y:.4g} mAh/V<extra></extra>"})
    return Figure("Differential capacity (dQ/dV)", data, {"xaxis": axis("voltage (V)"), "yaxis": axis("dQ/dV (mAh/V)")},
                  "Positive on charge, negative on discharge; peaks as found by the analysis.")


def capacity_ce(table: Columns, roles: tuple[str, str]) -> Figure:
    """Capacity of both half-cycles and the coulombic efficiency (right axis) against cycle."""
    data: list[dict[str, Any]] = []
    unit = "mAh/g" if all(has_values(table, f"{role}_mAh_g") for role in roles) else "mAh"
    for k, role in enumerate(roles):
        name = f"{role}_mAh_g" if unit == "mAh/g" else f"{role}_mAh"
        if has_values(table, name):
            data.append(marker_trace(table["cycle"], table[name], role, category(k)))
    layout: dict[str, Any] = {"xaxis": axis("cycle"), "yaxis": axis(f"capacity ({unit})", rangemode="tozero")}
    if has_values(table, "ce"):
        data.append({**marker_trace(table["cycle"], 100.0 * table["ce"], "CE", category(3), symbol="diamond"),
                     "yaxis": "y2"})
        layout["yaxis2"] = axis("coulombic efficiency (%)", overlaying="y", side="right", showgrid=False,
                                tickmode="auto")
        layout["legend"] = TWIN_LEGEND
    return Figure("Capacity and coulombic efficiency", data, layout)


def rate_capability(blocks: Columns, capacity: str) -> Figure:
    """Mean capacity of each current block (error bars: the sample sd over its cycles); ``capacity``:
    the closing half-cycle's capacity column the blocks average (the rate table's, e.g. ``reverse_mAh``)."""
    role = capacity.removesuffix("_mAh")
    specific = has_values(blocks, f"mean_{capacity}_g")
    name = f"{capacity}_g" if specific else capacity
    mean = blocks[f"mean_{name}"]
    sd = blocks.get(f"std_{name}")
    for name, unit in (("current_A_g", "A/g"), ("current_mA_cm2", "mA/cm²"), ("current_mA", "mA")):
        if has_values(blocks, name):
            labels = [f"{int(b)}: {c:.3g} {unit}" for b, c in zip(blocks["block"], blocks[name])]
            break
    else:
        labels = [f"block {int(b)}" for b in blocks["block"]]
    bar: dict[str, Any] = {"type": "bar", "x": labels, "y": mean, "name": "mean capacity",
                           "marker": {"color": category(0)}}
    if sd is not None:
        bar["error_y"] = {"type": "data", "array": sd, "visible": True}
    return Figure("Rate capability", [bar], {"xaxis": axis(f"block: {role} current", type="category"),
                                             "yaxis": axis(f"{role} capacity ({'mAh/g' if specific else 'mAh'})")})


def cycle_table(table: Columns) -> Figure:
    """The capacity columns of a published per-cycle table against cycle."""
    specific = [name for name in table if name.endswith("_mAh_g") and "capacity" in name]
    names = specific or [name for name in table if name.endswith("_mAh") and "capacity" in name]
    data = [marker_trace(table["cycle"], table[name], name.removesuffix("_mAh_g").removesuffix("_mAh").replace("_", " "),
                     category(k)) for k, name in enumerate(names)]
    unit = "mAh/g" if specific else "mAh"
    return Figure("Capacity per cycle (as published)", data,
                  {"xaxis": axis("cycle"), "yaxis": axis(f"capacity ({unit})", rangemode="tozero")})


def overlaid_capacity(tables: Sequence[tuple[str, Columns, str]]) -> tuple[Figure, Figure]:
    """Closing-half-cycle capacity and CE against cycle of several files: (label, cycles table, closing role)."""
    specific = all(has_values(table, f"{role}_mAh_g") for _, table, role in tables)
    unit = "mAh/g" if specific else "mAh"
    capacity, ce = [], []
    for k, (label, table, role) in enumerate(tables):
        name = f"{role}_mAh_g" if specific else f"{role}_mAh"
        if has_values(table, name):
            capacity.append(marker_trace(table["cycle"], table[name], label, category(k)))
        if has_values(table, "ce"):
            ce.append(marker_trace(table["cycle"], 100.0 * table["ce"], label, category(k)))
    return (Figure("Capacity against cycle, every cycling file", capacity,
                   {"xaxis": axis("cycle"), "yaxis": axis(f"reversible capacity ({unit})", rangemode="tozero")},
                   "The capacity of each cycle's closing half-cycle (extraction of an anode half cell, "
                   "discharge of a full cell)."),
            Figure("Coulombic efficiency against cycle, every cycling file", ce,
                   {"xaxis": axis("cycle"), "yaxis": axis("coulombic efficiency (%)")}))


# -- impedance -------------------------------------------------------------------------------------


def spectrum_labels(points: Columns) -> dict[int, str]:
    """A label per spectrum: its time, temperature or voltage where these vary, else its number."""
    ids = np.unique(points["spectrum"]).astype(int)
    first: dict[str, NDArray[Any]] = {name: np.array([points[name][points["spectrum"] == i][0] for i in ids])
             for name in ("time_s", "temperature_C", "voltage_V") if name in points}
    for name, fmt in (("temperature_C", "{:.4g} °C"), ("time_s", "t = {:.3g} h"), ("voltage_V", "{:.4g} V")):
        values = first.get(name)
        if values is not None and np.all(np.isfinite(values)) and np.unique(values).size == ids.size > 1:
            shown = values / 3600.0 if name == "time_s" else values
            return {int(i): fmt.format(v) for i, v in zip(ids, shown)}
    return {int(i): f"spectrum {i}" for i in ids}


def nyquist(points: Columns, fit: Columns | None = None) -> Figure:
    """-Z'' against Z' of each spectrum (markers) and its fitted circuit (line), on equal scales."""
    labels = spectrum_labels(points)
    data = []
    for k, (spectrum, label) in enumerate(labels.items()):
        style = _series_style(k, len(labels), label)
        rows = points["spectrum"] == spectrum
        data.append({**marker_trace(points["z_real_ohm"][rows], -points["z_imag_ohm"][rows], label, style["colour"]),
                     **style["trace"], "customdata": points["frequency_Hz"][rows],
                     "hovertemplate": "%{customdata:.4g} Hz<br>Z' %{x:.4g} Ω<br>-Z'' %{y:.4g} Ω<extra>" + label + "</extra>"})
        if fit is not None and (fitted := fit["spectrum"] == spectrum).any():
            data.append({**line_trace(fit["Z_fit_real_ohm"][fitted], -fit["Z_fit_imag_ohm"][fitted], f"{label} fit",
                                 style["colour"]), **style["trace"], "showlegend": False})
    return Figure("Nyquist plot", data, {"xaxis": axis("Z' (Ω)"), "yaxis": axis("-Z'' (Ω)", scaleanchor="x",
                                                                                  scaleratio=1)},
                  _series_caption(len(labels), "Markers: measured; lines: the fitted circuit." if fit is not None
                                  else "Measured spectra."))


def bode(points: Columns, fit: Columns | None = None) -> Figure:
    """|Z| (top) and the phase (bottom) against frequency, measured (markers) and fitted (lines)."""
    labels = spectrum_labels(points)
    data = []
    lower = {"xaxis": "x2", "yaxis": "y2"}
    for k, (spectrum, label) in enumerate(labels.items()):
        style = _series_style(k, len(labels), label)
        rows = points["spectrum"] == spectrum
        f, re, im = points["frequency_Hz"][rows], points["z_real_ohm"][rows], points["z_imag_ohm"][rows]
        data.append({**marker_trace(f, np.hypot(re, im), label, style["colour"]), **style["trace"]})
        data.append({**marker_trace(f, -np.degrees(np.arctan2(im, re)), label, style["colour"]), **style["trace"],
                     "showlegend": False, **lower})
        if fit is not None and (fitted := fit["spectrum"] == spectrum).any():
            ff, fre, fim = fit["frequency_Hz"][fitted], fit["Z_fit_real_ohm"][fitted], fit["Z_fit_imag_ohm"][fitted]
            hidden = {**style["trace"], "showlegend": False}
            data.append({**line_trace(ff, np.hypot(fre, fim), f"{label} fit", style["colour"]), **hidden})
            data.append({**line_trace(ff, -np.degrees(np.arctan2(fim, fre)), f"{label} fit", style["colour"]), **hidden,
                         **lower})
    modulus = np.hypot(points["z_real_ohm"], points["z_imag_ohm"])
    decades = float(np.log10(np.nanmax(modulus) / np.nanmin(modulus))) if np.nanmin(modulus) > 0 else math.inf
    ticks = {"dtick": "D2"} if decades < 2 else {}  # a narrow range gets 2 and 5 labels, a wide one decades
    layout = {"height": 420,
              "xaxis": axis("", type="log", matches="x2", showticklabels=False, anchor="y"),
              "yaxis": axis("|Z| (Ω)", type="log", domain=[0.54, 1.0], **ticks),
              "xaxis2": axis("frequency (Hz)", type="log", anchor="y2"),
              "yaxis2": axis("-phase (°)", domain=[0.0, 0.46])}
    return Figure("Bode plot", data, layout, _series_caption(len(labels), "Markers: measured; lines: the fitted "
                                                             "circuit." if fit is not None else ""))


def kk_residuals(table: Columns, labels: Mapping[int, str], threshold_pct: float | None) -> Figure:
    """The lin-KK residuals against frequency per spectrum: real part (circles), imaginary (triangles)."""
    spectra = np.unique(table["spectrum"]).astype(int)
    data = []
    for k, spectrum in enumerate(spectra):
        label = labels.get(int(spectrum), f"spectrum {spectrum}")
        style = _series_style(k, spectra.size, label)
        rows = table["spectrum"] == spectrum
        data.append({**marker_trace(table["frequency_Hz"][rows], table["residual_real_pct"][rows], label,
                                style["colour"]), **style["trace"]})
        data.append({**marker_trace(table["frequency_Hz"][rows], table["residual_imag_pct"][rows], f"{label} imaginary",
                                style["colour"], symbol="triangle-up"), **style["trace"], "showlegend": False})
    layout: dict[str, Any] = {"xaxis": axis("frequency (Hz)", type="log"), "yaxis": axis("residual (% of |Z|)")}
    caption = "Circles: real part; triangles: imaginary part."
    if threshold_pct is not None:
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
                             "line": {"color": "#999", "dash": "dash", "width": 1}}
                            for y in (threshold_pct, -threshold_pct)]
        caption += f" Dashed: the ±{threshold_pct:g} % limit of the test."
    return Figure("Kramers-Kronig residuals", data, layout, _series_caption(spectra.size, caption))


def drt_curves(curves: Columns, labels: Mapping[int, str], windows: Mapping[str, Sequence[float | None]]) -> Figure:
    """gamma against tau per spectrum, the credible band where stored, and the tau windows of the
    named processes (shaded)."""
    spectra = np.unique(curves["spectrum"]).astype(int)
    data: list[dict[str, Any]] = []
    for k, spectrum in enumerate(spectra):
        label = labels.get(int(spectrum), f"spectrum {spectrum}")
        style = _series_style(k, spectra.size, label)
        rows = curves["spectrum"] == spectrum
        tau, lower, upper = curves["tau_s"][rows], curves["gamma_lower_ohm"][rows], curves["gamma_upper_ohm"][rows]
        if np.isfinite(lower).any() and np.isfinite(upper).any():
            data.append({"type": "scatter", "mode": "lines", "x": np.r_[tau, tau[::-1]], "y": np.r_[upper, lower[::-1]],
                         "fill": "toself", "fillcolor": transparent(style["colour"]), "line": {"width": 0},
                         **style["trace"], "showlegend": False, "hoverinfo": "skip", "name": f"{label} band"})
        data.append({**line_trace(tau, curves["gamma_ohm"][rows], label, style["colour"]), **style["trace"]})
    low_end, high_end = float(np.nanmin(curves["tau_s"])), float(np.nanmax(curves["tau_s"]))
    shapes, notes = [], []
    for k, (name, (low, high)) in enumerate(windows.items()):
        x0, x1 = low or low_end, high or high_end
        # plotly.js 4 places shapes on a log axis in data units, annotations in log10 units
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                       "fillcolor": transparent(category(k + 1), 0.12), "line": {"width": 0}, "layer": "below"})
        notes.append({"xref": "x", "yref": "paper", "x": (math.log10(x0) + math.log10(x1)) / 2, "y": 1,
                      "yanchor": "bottom", "text": name, "showarrow": False, "font": {"size": 10}})
    caption = "Shaded: the τ windows of the named processes." if shapes else ""
    return Figure("Distribution of relaxation times", data,
                  {"xaxis": axis("τ (s)", type="log", exponentformat="power"), "yaxis": axis("γ (Ω)"),
                   "shapes": shapes, "annotations": notes}, _series_caption(spectra.size, caption))


def drt_map(curves: Columns, name: str | None, values: Sequence[float]) -> Figure:
    """The DRT of a series as an interpolated contour map over the series' coordinate and tau."""
    spectra = np.unique(curves["spectrum"]).astype(int)
    tau = curves["tau_s"][curves["spectrum"] == spectra[0]]
    gamma = np.empty((tau.size, spectra.size))
    for k, spectrum in enumerate(spectra):
        rows = curves["spectrum"] == spectrum
        # a curve on another tau grid is put on the first one's (in log tau) for the map only
        gamma[:, k] = np.interp(np.log(tau), np.log(curves["tau_s"][rows]), curves["gamma_ohm"][rows])
    title, x = coordinate(name, np.asarray(values, dtype=np.float64)[spectra])
    if not np.all(np.isfinite(x)) or np.unique(x).size < x.size:
        title, x = "spectrum", spectra.astype(np.float64)  # no coordinate that tells the spectra apart
    order = np.argsort(x, kind="stable")
    x, gamma = x[order], gamma[:, order]
    trace = {"type": "contour", "x": x, "y": tau, "z": gamma, "colorscale": "Viridis", "ncontours": 24,
             "contours": {"coloring": "heatmap"}, "line": {"width": 0.4, "color": "rgba(255,255,255,0.35)"},
             "colorbar": {"title": {"text": "γ (Ω)", "side": "right"}},
             "hovertemplate": "%{x:.3g}<br>τ %{y:.3g} s<br>γ %{z:.3g} Ω<extra></extra>"}
    return Figure("DRT map", [trace], {"xaxis": axis(title), "yaxis": axis("τ (s)", type="log", exponentformat="power")},
                  "Contours interpolated between the spectra of the series.")


def process_traces(name: str | None, values: Sequence[float], resistances: Mapping[str, Sequence[float | None]],
                   stderrs: Mapping[str, Sequence[float | None]]) -> Figure:
    """The resistance of each named DRT process along the series, with its standard uncertainty."""
    title, x = coordinate(name, np.asarray(values, dtype=np.float64))
    if not np.all(np.isfinite(x)) or np.unique(x).size < x.size:
        title, x = "spectrum", np.arange(x.size, dtype=np.float64)
    data = []
    for k, (process, series) in enumerate(resistances.items()):
        trace = marker_trace(x, _array(series), process, category(k), mode="lines+markers")
        if process in stderrs:
            trace["error_y"] = {"type": "data", "array": _array(stderrs[process]), "visible": True}
        data.append(trace)
    return Figure("Process resistances along the series", data, {"xaxis": axis(title), "yaxis": axis("R (Ω)")})


def arrhenius(fit: Mapping[str, Any]) -> Figure:
    """The Arrhenius points of a stored fit and its line (through the stored Ea and prefactor)."""
    form = str(fit["form"])
    T_K = np.asarray(fit["temperatures_C"], dtype=np.float64) + ZERO_CELSIUS_K
    y = np.asarray(fit["values"], dtype=np.float64)
    ordinate = {"sigmaT": np.log(y * T_K), "sigma": np.log(y), "1/R": -np.log(y), "T/R": np.log(T_K / y)}[form]
    Ea_kJ_mol, ln_prefactor = float(fit["Ea_kJ_mol"]), float(fit["ln_prefactor"])
    ends = np.array([T_K.min(), T_K.max()])
    line_y = ln_prefactor - Ea_kJ_mol * 1e3 / (GAS_CONSTANT_J_MOL_K * ends)
    label = f"Ea = {number(Ea_kJ_mol, fit.get('Ea_kJ_mol_stderr'))} kJ/mol"
    data = [{**marker_trace(1000.0 / T_K, ordinate, "measured", category(0)),
             "customdata": T_K - ZERO_CELSIUS_K, "hovertemplate": "%{customdata:.4g} °C<br>%{y:.4g}<extra></extra>"},
            line_trace(1000.0 / ends, line_y, label, category(3), dash="dash")]
    return Figure("Arrhenius plot", data, {"xaxis": axis("1000 / T (K⁻¹)"), "yaxis": axis(ARRHENIUS_AXES[form])},
                  f"{label}, r² = {float(fit['r2']):.5f}" if fit.get("r2") is not None else label)


def overlaid_nyquist(spectra: Sequence[tuple[str, Columns]]) -> Figure:
    """The first spectrum of several files on one Nyquist plot."""
    data = []
    for k, (label, points) in enumerate(spectra):
        rows = points["spectrum"] == points["spectrum"].min()
        data.append({**marker_trace(points["z_real_ohm"][rows], -points["z_imag_ohm"][rows], label, category(k),
                                mode="lines+markers"), "customdata": points["frequency_Hz"][rows],
                     "hovertemplate": "%{customdata:.4g} Hz<br>Z' %{x:.4g} Ω<br>-Z'' %{y:.4g} Ω<extra>" + label + "</extra>"})
    return Figure("Nyquist plot, every impedance file", data,
                  {"xaxis": axis("Z' (Ω)"), "yaxis": axis("-Z'' (Ω)", scaleanchor="x", scaleratio=1)},
                  "The first spectrum of each file.")


# -- traces ----------------------------------------------------------------------------------------


def _series_style(k: int, n: int, label: str) -> dict[str, Any]:
    """Colour and visibility of spectrum ``k`` of ``n``: ordered colours, and of a long series only
    :data:`SHOWN_SPECTRA` evenly spaced ones drawn (the others one legend click away)."""
    shown = n <= SHOWN_SPECTRA or k in set(np.round(np.linspace(0, n - 1, SHOWN_SPECTRA)).astype(int).tolist())
    colour = ordered(k, n) if n > 1 else category(0)
    return {"colour": colour, "trace": {"legendgroup": label, "visible": True if shown else "legendonly"}}


def _series_caption(n: int, text: str) -> str:
    if n <= SHOWN_SPECTRA:
        return text
    return f"{text} {SHOWN_SPECTRA} of the {n} spectra drawn; click the legend for the others.".strip()


def line_trace(x: Any, y: Any, name: str, colour: str, *, dash: str = "solid") -> dict[str, Any]:
    """A scatter trace drawn as a line."""
    return {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": name,
            "line": {"color": colour, "width": 1.5, "dash": dash}}


def marker_trace(x: Any, y: Any, name: str, colour: str, *, symbol: str = "circle", mode: str = "markers") -> dict[str, Any]:
    """A scatter trace drawn as markers (``mode``: also ``lines+markers``)."""
    return {"type": "scatter", "mode": mode, "x": x, "y": y, "name": name,
            "marker": {"color": colour, "size": 5, "symbol": symbol}, "line": {"color": colour, "width": 1}}


def has_values(table: Columns, name: str) -> bool:
    """Whether ``table`` has a numeric column ``name`` with a finite value."""
    return name in table and table[name].dtype.kind == "f" and bool(np.isfinite(table[name]).any())


def require_columns(table: Columns, names: Sequence[str], what: str) -> None:
    """Refuse a stored table (``what``, e.g. ``ccd levels``) without the columns ``names`` a figure draws."""
    missing = [name for name in names if name not in table]
    if missing:
        raise ValidationError(what, f"the stored table has {', '.join(table) or 'no column'}; "
                              f"expected {', '.join(missing)} too")


def _array(values: Sequence[float | None]) -> NDArray[np.float64]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def transparent(colour: str, alpha: float = 0.2) -> str:
    """``#rrggbb`` as ``rgba(...)`` with opacity ``alpha``."""
    r, g, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
