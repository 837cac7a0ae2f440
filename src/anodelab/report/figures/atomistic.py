"""The NEB figure (:class:`~anodelab.sim.atomistic.result.NEBResult`): the energy along the path, each
image marked, the saddle starred and the barrier drawn as an arrow from the initial state, above the
structures of the initial state, the saddle and the final state (ASE's matplotlib drawing of the
atoms, the atom that moves most coloured).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anodelab.report.figures.style import (
    OKABE_ITO,
    house_style,
    label,
    new_figure,
    require,
    save,
)
from anodelab.sim.atomistic.result import NEBResult, Structure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COORDINATE_LABEL = label("Reaction coordinate", "Å")
ENERGY_LABEL = label("E − E_initial", "eV")
MOVING_COLOUR = OKABE_ITO[1]


@house_style
def neb_figure(result: NEBResult, rotation: str = "") -> Figure:
    """Energy vs reaction coordinate (images as points, the saddle a star, the barrier an arrow) over
    three panels of structures: initial, saddle, final (``rotation`` as ASE takes it, e.g. ``"-70x"``;
    default a view down the third cell vector)."""
    require(result, NEBResult, "neb_figure")
    figure = new_figure("single", 3.6)
    grid = figure.add_gridspec(2, 3, height_ratios=(1.6, 1.0))
    _profile(figure.add_subplot(grid[0, :]), result)
    moving = moving_atom(result.images[0], result.images[-1])
    panels = (("Initial", 0), (f"Saddle (image {result.saddle_index})", result.saddle_index),
              ("Final", len(result.images) - 1))
    for column, (title, index) in enumerate(panels):
        _structure(figure.add_subplot(grid[1, column]), result.images[index], moving, title, rotation)
    return figure


def _profile(ax: Axes, result: NEBResult) -> None:
    x = np.asarray(result.coordinate_A, dtype=np.float64)
    y = result.path_energy_eV
    s = result.saddle_index
    ax.plot(x, y, "-o", color=OKABE_ITO[0], ms=3.5, label="images", gid="neb-path")
    ax.plot([x[s]], [y[s]], "*", color=OKABE_ITO[1], ms=9, label="saddle", gid="neb-saddle")
    ax.axhline(0.0, color="0.6", lw=0.6, ls="--", gid="neb-initial-level")
    ax.annotate("", xy=(x[s], y[s]), xytext=(x[s], 0.0), gid="neb-barrier",
                arrowprops={"arrowstyle": "<->", "color": "0.2", "lw": 0.8, "shrinkA": 0, "shrinkB": 0})
    state = "" if result.converged else " (not converged)"
    ax.text(x[s], 0.5 * y[s], f"  Ea = {result.barrier_eV:.3f} eV{state}", va="center", ha="left",
            gid="neb-barrier-label")
    ax.set_xlabel(COORDINATE_LABEL)
    ax.set_ylabel(ENERGY_LABEL)
    reaction = round(result.reaction_energy_eV, 3) + 0.0  # no "-0.000"
    ax.set_title(f"{result.model.get('name', '')}: reaction energy {reaction:+.3f} eV", loc="left")
    ax.legend(loc="best")


def _structure(ax: Axes, structure: Structure, moving: int, title: str, rotation: str) -> None:
    from ase.data.colors import jmol_colors
    from ase.visualize.plot import plot_atoms_raw

    colours: list[object] = [tuple(jmol_colors[z]) for z in structure.numbers]
    colours[moving] = MOVING_COLOUR
    plot_atoms_raw(structure.to_atoms(), ax, rotation=rotation, colors=colours, show_unit_cell=1)
    ax.set_axis_off()
    ax.set_title(title)


def moving_atom(initial: Structure, final: Structure) -> int:
    """Index of the atom that moves most from ``initial`` to ``final`` (minimum image where periodic)."""
    from ase.geometry import find_mic

    displacement = final.positions_A - initial.positions_A
    if any(initial.pbc):
        displacement, _ = find_mic(displacement, initial.cell_A, initial.pbc)
    return int(np.argmax((np.asarray(displacement) ** 2).sum(axis=1)))


def plot_neb(result: NEBResult, path: str | Path) -> list[Path]:
    """:func:`neb_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(neb_figure(result), path)
