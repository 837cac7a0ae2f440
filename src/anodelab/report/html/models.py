"""The report's interactive figures of the simulations a study holds (``*.sim.toml``), from the tables
the store keeps: the current density along an interface against its mean with the voids shaded, the
ionic field over the electrolyte, a parameter sweep's effective resistance and max/mean ratio, and
the energy along a migration path. Nothing is solved here: the points are the stored ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from anodelab.report.data import Columns
from anodelab.report.html.plots import (
    TWIN_LEGEND,
    Figure,
    axis,
    category,
    line_trace,
    marker_trace,
    require_columns,
    transparent,
)

#: the field map is drawn on a square-ish panel
FIELD_HEIGHT_PX = 420


def interface_current(table: Columns, content: Mapping[str, Any]) -> Figure:
    """Local / mean current density along the electrolyte's lower boundary (contact only; the voids
    shaded), the threshold dashed; position along the electrode, arc length over a protrusion."""
    require_columns(table, ("ratio", "contact", "current_density_mA_cm2"), "interface")
    flat = content.get("geometry") != "protrusion"
    name = "x_um" if flat else "s_um"
    require_columns(table, (name,), "interface")
    position, ratio = table[name], table["ratio"]
    contact = table["contact"].astype(bool)
    shown = np.where(contact, ratio, np.nan)
    data: list[dict[str, Any]] = [{
        **line_trace(position, shown, "local / mean current density", category(0)),
        "customdata": table["current_density_mA_cm2"],
        "hovertemplate": "%{x:.4g} µm<br>%{y:.3g} × mean (%{customdata:.4g} mA/cm²)<extra></extra>"}]
    shapes = [{"type": "rect", "xref": "x", "yref": "y domain", "x0": float(position[run[0]]),
               "x1": float(position[run[-1]]), "y0": 0, "y1": 1, "fillcolor": transparent("#888888", 0.25),
               "line": {"width": 0}, "layer": "below"} for run in _runs(~contact)]
    threshold = content.get("threshold_ratio")
    if threshold is not None:
        shapes.append({"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": threshold,
                       "y1": threshold, "line": {"color": category(1), "dash": "dash", "width": 1}})
    ratio_max = content.get("max_mean_ratio")
    high = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
    log = threshold is not None and high > 10.0 * float(threshold)  # a singular contact edge
    layout = {"xaxis": axis("position along the electrode (µm)" if flat else "arc length from the axis (µm)"),
              "yaxis": axis("i / i_mean", type="log" if log else "linear"), "shapes": shapes}
    caption = (f"max/mean {ratio_max:.3g}" if isinstance(ratio_max, (int, float)) else "") + \
        (f"; {100 * content['fraction_above_threshold']:.3g} % of the interface above {threshold:g} × mean"
         if threshold is not None and content.get("fraction_above_threshold") is not None else "") + \
        "; grey: voids (no contact)."
    return Figure("Current density along the interface", data, layout, caption.lstrip("; "))


def field_map(table: Columns, content: Mapping[str, Any]) -> Figure:
    """The ionic field |∇φ| over the electrolyte as a heat map of the stored bins (area-weighted means
    of the element fields, at their bins' centres), in units of the uniform field J / κ."""
    require_columns(table, ("x_bin_um", "y_bin_um", "field_V_cm"), "field")
    uniform = content.get("field_uniform_V_cm")
    relative = isinstance(uniform, (int, float)) and uniform > 0
    value = table["field_V_cm"] / uniform if isinstance(uniform, (int, float)) and relative else table["field_V_cm"]
    return _heat_map(table, value, content, "Ionic field in the electrolyte", "E / E₀" if relative else "E (V/cm)",
                     "Element fields binned (area-weighted means); E₀ = J / κ, the field of uniform contact.")


def concentration_map(table: Columns, content: Mapping[str, Any]) -> Figure:
    """The salt concentration over the electrolyte (Nernst-Planck cases), binned like the field."""
    require_columns(table, ("x_bin_um", "y_bin_um", "c_mol_L"), "concentration")
    c0 = content.get("c0_mol_L")
    return _heat_map(table, table["c_mol_L"], content, "Salt concentration in the electrolyte", "c (mol/L)",
                     "Element concentrations binned (area-weighted means)" + (f"; c₀ = {c0:g} mol/L." if c0 else "."))


def _heat_map(table: Columns, value: np.ndarray[Any, Any], content: Mapping[str, Any], title: str, bar: str,
              caption: str) -> Figure:
    x, y, z = _gridded(table["x_bin_um"], table["y_bin_um"], value)
    r, h = ("r", "z") if content.get("axisymmetric") else ("x", "y")
    trace = {"type": "heatmap", "x": x, "y": y, "z": z, "colorscale": "Viridis", "hoverongaps": False,
             "colorbar": {"title": {"text": bar, "side": "right"}},
             "hovertemplate": f"{r} %{{x:.3g}} µm, {h} %{{y:.3g}} µm<br>%{{z:.4g}}<extra></extra>"}
    layout = {"height": FIELD_HEIGHT_PX, "xaxis": axis(f"{r} (µm)"),
              "yaxis": axis(f"{h} (µm)", scaleanchor="x", scaleratio=1), "showlegend": False}
    return Figure(title, [trace], layout, caption)


def _gridded(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any],
             value: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The stored bins as a heat map: the bin centres along each axis and a (y, x) grid of ``value``,
    NaN where a bin is empty."""
    columns, rows = np.unique(x), np.unique(y)
    grid = np.full((rows.size, columns.size), np.nan)
    grid[np.searchsorted(rows, y), np.searchsorted(columns, x)] = value
    return columns, rows, grid


def interface_sweep(table: Columns, content: Mapping[str, Any]) -> Figure:
    """R_eff (left axis) and max/mean (right axis) against the swept parameter."""
    parameter = str(content.get("parameter"))
    require_columns(table, (parameter, "R_eff_ohm_cm2", "max_mean_ratio"), "sweep")
    x = table[parameter]
    data = [marker_trace(x, table["R_eff_ohm_cm2"], "R_eff", category(0), mode="lines+markers"),
            {**marker_trace(x, table["max_mean_ratio"], "max/mean", category(3), mode="lines+markers",
                            symbol="square"), "yaxis": "y2"}]
    layout = {"xaxis": axis(parameter.replace("_", " ")), "yaxis": axis("R_eff (Ω cm²)"),
              "yaxis2": axis("max / mean current density", overlaying="y", side="right", showgrid=False),
              "legend": TWIN_LEGEND}
    return Figure(f"Interface sweep over {parameter}", data, layout)


def energy_path(table: Columns, content: Mapping[str, Any]) -> Figure:
    """Energy of each image along the path, relative to the initial state, the saddle marked."""
    require_columns(table, ("coordinate_A", "energy_eV"), "path")
    x, energy = table["coordinate_A"], table["energy_eV"] - table["energy_eV"][0]
    data: list[dict[str, Any]] = [marker_trace(x, energy, "images", category(0), mode="lines+markers")]
    barrier = content.get("barrier_eV")
    saddle = int(np.nanargmax(energy))
    data.append(marker_trace([x[saddle]], [energy[saddle]], "saddle", category(3), symbol="diamond"))
    model = content.get("model") or ""
    caption = (f"Barrier {barrier:.3g} eV" if isinstance(barrier, (int, float)) else "") + (f" ({model})" if model else "")
    return Figure("Energy along the path", data, {"xaxis": axis("reaction coordinate (Å)"),
                                                  "yaxis": axis("E - E_initial (eV)")}, caption)


def _runs(mask: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
    """The runs of consecutive True positions of ``mask``."""
    where = np.flatnonzero(mask)
    return [] if where.size == 0 else np.split(where, np.flatnonzero(np.diff(where) > 1) + 1)
