"""Figures of interface simulations (:mod:`anodelab.sim.interface`): the normal current density along
the interface (i / i_mean vs position, the threshold marked; under an interlayer also at the metal)
beside the map of the electric field in the electrolyte (log colour scale, the metal, its contact,
voids and an interlayer marked), for the tertiary distribution the map of the salt concentration,
and for a sweep R_eff and max / mean vs the swept parameter.

The field map is drawn on the simulation's own mesh (rebuilt from the geometry in the result's
``parameters``: meshing is deterministic and cheap); a result without it (e.g. read back from tables)
is drawn from its binned ``field`` table instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import AnodelabError
from anodelab.report.figures.style import (
    OKABE_ITO,
    SEQUENTIAL,
    house_style,
    label,
    new_figure,
    require,
    save,
)
from anodelab.sim.interface.geometry import (
    UM_TO_CM,
    Disk,
    GridMesh,
    Interlayer,
    Profile,
    Protrusion,
    Strips,
)
from anodelab.sim.interface.result import Concentration, InterfaceResult, InterfaceSweep

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: the colour map of the field: the house sequential map (colour-blind safe, dark at low field)
FIELD_CMAP = SEQUENTIAL
#: decades of field shown below the largest (the edge of an equipotential contact is singular)
FIELD_DECADES = 4.0
METAL_COLOUR = "0.55"
VOID_COLOUR = "0.85"
FIELD_LABEL = label("|E|", "V cm⁻¹")
CONCENTRATION_LABEL = label("c", "mol L⁻¹")
RATIO_LABEL = "i / i_mean"
#: the axis labels of the swept parameters (sim.interface.SWEEPS)
SWEPT = {
    "seed": label("Seed of the random layout"),
    "contact_fraction": label("Contact fraction"),
    "current_mA_cm2": label("Current density", "mA cm⁻²"),
    "interlayer_kappa_S_cm": label("Interlayer κ", "S cm⁻¹"),
}


def _axes_names(result: InterfaceResult) -> tuple[str, str]:
    return ("r", "z") if result.axisymmetric else ("x", "y")


def rebuild_mesh(result: InterfaceResult) -> GridMesh | None:
    """The mesh ``result`` was solved on, from the geometry and ``elements`` in its parameters; None
    when they are missing or do not give a mesh of the result's element count."""
    spec = result.parameters.get("geometry")
    requested = result.parameters.get("elements")
    if not isinstance(spec, Mapping) or not isinstance(requested, int):
        return None
    layer = spec.get("interlayer")
    interlayer = Interlayer(**layer) if isinstance(layer, Mapping) else None
    kinds: dict[str, type[Strips | Disk | Protrusion]] = {"strips": Strips, "disk": Disk, "protrusion": Protrusion}
    try:
        name = spec.get("name")
        geometry: Strips | Disk | Protrusion | Profile
        if name == "profile":
            geometry = Profile(spec["x_um"], spec["height_um"], spec["thickness_um"], interlayer)
        elif name in kinds:
            kind = kinds[str(name)]
            given = {f.name for f in dataclasses.fields(kind) if f.init} - {"interlayer"}
            geometry = kind(**{k: v for k, v in spec.items() if k in given}, interlayer=interlayer)
        else:
            return None
        grid = geometry.mesh(requested)
    except (AnodelabError, TypeError, KeyError, ValueError):
        return None
    return grid if grid.elements == np.asarray(result.element_field_V_cm).size else None


def _current_panel(ax: Axes, result: InterfaceResult) -> None:
    """i / i_mean along the interface (contact only), voids shaded, the threshold dashed, the maximum marked."""
    table = result.interface
    flat = result.geometry != "protrusion"  # position along the electrode; arc length over a protrusion
    position = np.asarray(table["x_um"] if flat else table["s_um"], dtype=float)
    ratio = np.asarray(table["ratio"], dtype=float)
    contact = np.asarray(table["contact"], dtype=bool)
    shown = np.where(contact, ratio, np.nan)
    # voids: runs of off-contact positions, shaded
    off = np.flatnonzero(~contact)
    if off.size:
        runs = np.split(off, np.flatnonzero(np.diff(off) > 1) + 1)
        for k, run in enumerate(runs):
            low, high = position[max(run[0] - 1, 0)], position[min(run[-1] + 1, position.size - 1)]
            ax.axvspan(low, high, color=VOID_COLOUR, lw=0, label="void (no contact)" if k == 0 else None,
                       gid="interface-void")
    ax.plot(position, shown, "-", color=OKABE_ITO[0], gid="interface-current",
            label=f"{RATIO_LABEL} (max/mean = {result.max_mean_ratio:.3g})")
    if result.metal is not None and result.metal_max_mean_ratio is not None:  # the deposition under an interlayer
        metal = result.metal
        at = np.asarray(metal["x_um"] if flat else metal["s_um"], dtype=float)
        ax.plot(at, np.where(np.asarray(metal["contact"], dtype=bool), np.asarray(metal["ratio"], dtype=float), np.nan),
                "--", color=OKABE_ITO[2], lw=1.0, gid="interface-metal-current",
                label=f"at the metal, under the interlayer (max/mean = {result.metal_max_mean_ratio:.3g})")
    ax.axhline(result.threshold_ratio, color=OKABE_ITO[1], ls="--", lw=0.8, gid="interface-threshold",
               label=f"threshold {result.threshold_ratio:g} × mean ({100 * result.fraction_above_threshold:.3g} % above)")
    ax.axhline(1.0, color="0.4", ls=":", lw=0.6, gid="interface-mean")
    peak = int(np.nanargmax(shown))
    ax.plot(position[peak], shown[peak], "o", color=OKABE_ITO[1], ms=3.5, mfc="none", mew=0.8, gid="interface-max")
    r_name = _axes_names(result)[0]
    ax.set_xlabel(label(r_name if flat else "Arc length s (from the axis)", "µm"))
    ax.set_ylabel(RATIO_LABEL)
    ax.set_xlim(float(position[0]), float(position[-1]))
    top = float(np.nanmax(shown))
    if top > 10.0 * result.threshold_ratio:  # a singular contact edge: log scale, so the rest stays legible
        ax.set_yscale("log")
        ax.set_ylim(0.5 * min(float(np.nanmin(shown[shown > 0])), 1.0), 8.0 * top)
    else:
        ax.set_ylim(0, 1.35 * max(top, result.threshold_ratio))  # headroom for the legend
    ax.legend(loc="upper right", frameon=True, facecolor="w", edgecolor="0.7", framealpha=1.0)  # readable over a void


def _metal_polygon(points_um: NDArray[np.float64], edges: NDArray[np.int64], depth_um: float) -> NDArray[np.float64]:
    """The metal under the electrode's boundary edges: their nodes by x, closed ``depth_um`` below."""
    nodes = np.unique(edges)
    xy = points_um[:, nodes]
    xy = xy[:, np.lexsort((-xy[1], xy[0]))]
    bottom = float(np.min(xy[1])) - depth_um
    return np.hstack((xy, [[xy[0, -1], xy[0, 0]], [bottom, bottom]])).T


def _segments(points_um: NDArray[np.float64], edges: NDArray[np.int64]) -> list[NDArray[np.float64]]:
    """The edges as line segments ((x0, y0), (x1, y1)) for a LineCollection."""
    return list(np.stack((points_um[:, edges[0]].T, points_um[:, edges[1]].T), axis=1))


def _map_panel(figure: Figure, ax: Axes, result: InterfaceResult, grid: GridMesh | None, values: NDArray[np.float64],
               table: Mapping[str, NDArray[Any]], column: str, *, log: bool, gid: str, bar_label: str) -> Any:
    """Element values on the mesh (or a binned ``table`` column without one) with the metal, its
    contact, voids and an interlayer marked; returns the colour bar."""
    from matplotlib.colors import LogNorm, Normalize

    shown = values if grid is not None else np.asarray(table[column], dtype=float)
    finite = shown[np.isfinite(shown) & ((shown > 0) if log else True)]
    high, low = float(np.max(finite)), float(np.min(finite))
    if log:
        low = max(low, high * 10.0**-FIELD_DECADES)
    # log over a decade or more; linear over less, where a log bar would have no decade to label
    norm = LogNorm(low, high, clip=True) if log and high > 10.0 * low else Normalize(low, high if high > low else low + 1e-12,
                                                                                   clip=True)
    mesh: Any
    if grid is not None:
        points = grid.points_cm / UM_TO_CM
        mesh = ax.tripcolor(points[0], points[1], grid.triangles.T, facecolors=np.where(np.isfinite(shown), shown, np.nan),
                            norm=norm, cmap=_cmap(), edgecolors="none", rasterized=True, gid=gid)
    else:
        x, y = np.asarray(table["x_um"], dtype=float), np.asarray(table["y_um"], dtype=float)
        mesh = ax.tripcolor(x, y, np.clip(shown, low, high), norm=norm, cmap=_cmap(), shading="gouraud", rasterized=True,
                            gid=gid)
        points = np.vstack((x, y))
    points = _decorate(ax, result, grid, points)
    x_name, y_name = _axes_names(result)
    depth = 0.06 * float(np.ptp(points[1]))
    ax.set_xlim(float(points[0].min()), float(points[0].max()))
    ax.set_ylim(float(points[1].min()) - depth, float(points[1].max()))
    ratio = float(np.ptp(points[0])) / max(float(np.ptp(points[1])) + depth, 1e-300)
    if 0.25 <= ratio <= 4.0:
        ax.set_aspect("equal")
    ax.set_xlabel(label(x_name, "µm"))
    ax.set_ylabel(label(y_name, "µm"))
    ax.tick_params(top=False, right=False)
    ax.legend(loc="upper right", fontsize=5.5, handlelength=1.2, facecolor="w", framealpha=0.8, frameon=True, edgecolor="none")
    clipped = log and low > float(np.min(finite))
    bar = figure.colorbar(mesh, ax=ax, label=bar_label, extend="min" if clipped else "neither", pad=0.02, shrink=0.9)
    bar.ax.tick_params(which="both", direction="out", right=True)
    return bar


def _decorate(ax: Axes, result: InterfaceResult, grid: GridMesh | None, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """The metal (grey), its contact (orange), voids (white) and an interlayer's top (dashed) on a map;
    returns the points spanning the map."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Polygon

    if grid is None:  # from the tables: the electrolyte's current-carrying boundary only
        boundary = np.vstack((np.asarray(result.interface["x_um"]), np.asarray(result.interface["y_um"])))
        contact = np.asarray(result.interface["contact"], dtype=bool)
        ax.plot(boundary[0], np.where(contact, boundary[1], np.nan), "-", color=OKABE_ITO[1], lw=1.6, zorder=5,
                label="contact", gid="interface-contact")
        return np.hstack((points, boundary))
    depth = 0.06 * float(np.ptp(points[1]))
    electrode = np.hstack((grid.edges["contact"], grid.edges["gap"]))
    ax.add_patch(Polygon(_metal_polygon(points, electrode, depth), closed=True, fc=METAL_COLOUR, ec="none",
                         zorder=3, gid="interface-metal", label="metal"))
    if "interlayer_top" in grid.edges:
        ax.add_collection(LineCollection(_segments(points, grid.edges["interlayer_top"]), colors="w", lw=0.6,
                                         linestyles="--", zorder=4, label="interlayer top", gid="interface-interlayer"))
    ax.add_collection(LineCollection(_segments(points, grid.edges["contact"]), colors=OKABE_ITO[1], lw=1.6, zorder=5,
                                     label="contact", gid="interface-contact"))
    if grid.edges["gap"].size:
        ax.add_collection(LineCollection(_segments(points, grid.edges["gap"]), colors="w", lw=1.6, zorder=5,
                                         label="void", gid="interface-gap"))
    return points


def _field_panel(figure: Figure, ax: Axes, result: InterfaceResult, grid: GridMesh | None) -> None:
    """|E| of the electrolyte and interlayer (log scale)."""
    _map_panel(figure, ax, result, grid, np.asarray(result.element_field_V_cm, dtype=float), result.field_map,
               "field_V_cm", log=True, gid="interface-field", bar_label=FIELD_LABEL)


def _concentration_panel(figure: Figure, ax: Axes, result: InterfaceResult, c: Concentration, grid: GridMesh | None) -> None:
    """The salt concentration ``c`` of the tertiary distribution (linear scale), c0 marked on the bar."""
    values = np.asarray(c.element_theta, dtype=float) * c.c0_mol_L
    bar = _map_panel(figure, ax, result, grid, values, c.concentration_map, "c_mol_L", log=False,
                     gid="interface-concentration", bar_label=CONCENTRATION_LABEL)
    low, high = bar.mappable.norm.vmin, bar.mappable.norm.vmax
    if low <= c.c0_mol_L <= high:
        bar.ax.axhline(c.c0_mol_L, color="w", lw=1.0, gid="concentration-c0")


def _cmap() -> Any:
    import matplotlib

    return matplotlib.colormaps[FIELD_CMAP].with_extremes(bad=VOID_COLOUR)  # bad: no ionic field (an electron-only interlayer)


@house_style
def interface_figure(result: InterfaceResult) -> Figure:
    """Two panels: (a) i / i_mean along the electrolyte's lower boundary vs position (x or r along the
    electrode, arc length from the axis over a protrusion), voids shaded, the threshold dashed
    and max / mean in the legend (under an interlayer also the metal's own, dashed); (b) the field |E|
    in V/cm on a log colour scale (viridis; linear when it varies less than 10x), the metal grey, its
    contact orange, voids white, an interlayer's top dashed; with the tertiary distribution (c) the
    salt concentration in mol/L, c0 marked on its bar."""
    require(result, InterfaceResult, "interface_figure")
    grid = rebuild_mesh(result)
    points = grid.points_cm / UM_TO_CM if grid is not None else np.vstack((result.field_map["x_um"], result.field_map["y_um"]))
    aspect = float(np.ptp(points[0])) / max(float(np.ptp(points[1])), 1e-300)
    concentration = result.concentration
    maps = 1 if concentration is None else 2
    figure = new_figure("double", 2.7)
    # the maps drawn to scale (about 2 in high, less with two) where they are not too tall or wide: their panels
    # as wide as that needs plus the bar, the current panel the rest of the 6.6 in inside the margins
    map_in = (2.0 if maps == 1 else 1.3) * min(max(aspect, 0.6), 2.0) + 0.6
    axes = figure.subplots(1, 1 + maps, width_ratios=[6.6 - maps * map_in] + [map_in] * maps)
    _current_panel(axes[0], result)
    _field_panel(figure, axes[1], result, grid)
    if concentration is not None:
        _concentration_panel(figure, axes[2], result, concentration, grid)
    for ax, letter in zip(axes, "abc", strict=False):
        ax.set_title(letter, loc="left", fontweight="bold")
    return figure


def plot_interface(result: InterfaceResult, path: str | Path) -> list[Path]:
    """:func:`interface_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(interface_figure(result), path)


@house_style
def sweep_figure(sweep: InterfaceSweep) -> Figure:
    """Two panels sharing the swept parameter: R_eff (ohm cm2) with the uniform-contact 1-D value
    dashed, and max / mean of the current density; a log x axis when the values span over 30x."""
    require(sweep, InterfaceSweep, "sweep_figure")
    x = np.asarray(sweep.values, dtype=float)
    order = np.argsort(x)
    x = x[order]
    results = [sweep.results[k] for k in order]
    figure = new_figure("single", 3.6)
    r_ax, ratio_ax = figure.subplots(2, 1, sharex=True)
    r_ax.plot(x, [r.R_eff_ohm_cm2 for r in results], "o-", color=OKABE_ITO[0], label="R_eff (FEM)", gid="sweep-R_eff")
    r_ax.plot(x, [r.R_uniform_ohm_cm2 for r in results], "--", color="0.4", lw=0.8, label="uniform contact (1-D)",
              gid="sweep-R_uniform")
    r_ax.set_ylabel(label("R_eff", "Ω cm²"))
    r_ax.legend(loc="best")
    ratio_ax.plot(x, [r.max_mean_ratio for r in results], "s-", color=OKABE_ITO[1], label="max / mean",
                  gid="sweep-max_mean")
    ratio_ax.axhline(1.0, color="0.4", ls=":", lw=0.6)
    ratio_ax.set_ylabel("i_max / i_mean")
    ratios = np.asarray([r.max_mean_ratio for r in results])
    if np.max(ratios) > 30.0 * np.min(ratios):
        ratio_ax.set_yscale("log")
    ratio_ax.set_xlabel(SWEPT.get(sweep.parameter, sweep.parameter))
    if x.size > 1 and x[0] > 0 and x[-1] / x[0] > 30.0:
        ratio_ax.set_xscale("log")
    if np.all(np.asarray([r.R_eff_ohm_cm2 for r in results]) > 0):
        top = max(r.R_eff_ohm_cm2 for r in results)
        low = min(min(r.R_eff_ohm_cm2, r.R_uniform_ohm_cm2) for r in results)
        if top / max(low, 1e-300) > 30.0:
            r_ax.set_yscale("log")
    for ax, letter in ((r_ax, "a"), (ratio_ax, "b")):
        ax.set_title(letter, loc="left", fontweight="bold")
    return figure


def plot_sweep(sweep: InterfaceSweep, path: str | Path) -> list[Path]:
    """:func:`sweep_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(sweep_figure(sweep), path)
