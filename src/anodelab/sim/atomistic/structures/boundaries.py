"""Mirror-symmetric tilt grain boundaries: of any crystal and plane, and the LiF and Li3N ones of seed 003."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic.structures.bulk import Lattice, bulk
from anodelab.sim.atomistic.structures.slabs import check_slab

if TYPE_CHECKING:
    from ase import Atoms


def tilt_grain_boundary(crystal: Atoms, plane: tuple[int, int, int], *, layers: int = 2,
                        size: Sequence[int] = (1, 1), min_distance: float = 0.7) -> Atoms:
    """A mirror-symmetric tilt bicrystal of ``crystal`` on ``plane`` (Miller indices of ``crystal``'s cell).

    Grain 1 is ``layers`` bulk periods of ``ase.build.surface(crystal, plane, periodic=True)`` (normal along
    z, in-plane cell reduced to its shortest translations); grain 2 is its mirror image through the plane
    z = thickness, so the periodic cell holds two equivalent boundaries (at z = thickness and z = 0). Of a
    pair of atoms closer than ``min_distance`` times the bulk nearest-neighbour distance across a boundary,
    the grain-2 atom is dropped (the coincidence-site construction); a bicrystal that is then no longer
    stoichiometric raises. Tags 1 and 2 mark the grains. Unrelaxed, no rigid-body translation: relax
    (cell and positions) before use.
    """
    from ase.build import surface
    from ase.geometry import get_distances

    nx, ny = check_slab(size, layers, 1.0)
    if not 0 < min_distance < 1:
        raise ValidationError("min_distance", f"a fraction of the nearest-neighbour distance in (0, 1), got {min_distance}")
    grain1 = _shortest_in_plane(surface(crystal, plane, layers, periodic=True)).repeat((nx, ny, 1))
    if grain1.cell[2, :2].any():
        raise ValidationError("plane", f"the surface {plane} of this cell is not orthogonal; choose another plane")
    thickness = float(grain1.cell[2, 2])
    _, bulk_d = get_distances(crystal.positions, cell=crystal.cell, pbc=True)
    nearest_A = float(np.min(bulk_d[bulk_d > 1e-6])) if np.any(bulk_d > 1e-6) else float(np.min(crystal.cell.lengths()))
    grain1.set_tags(1)
    grain2 = grain1.copy()
    grain2.positions[:, 2] = 2 * thickness - grain2.positions[:, 2]
    grain2.set_tags(2)
    cell = np.array(grain1.cell[:])
    cell[2, 2] = 2 * thickness
    grain1.set_cell(cell)
    grain2.set_cell(cell)
    grain2.wrap()
    _, dist = get_distances(grain2.positions, grain1.positions, cell=cell, pbc=True)
    keep = dist.min(axis=1) >= min_distance * nearest_A
    bicrystal: Atoms = grain1 + grain2[np.nonzero(keep)[0].tolist()]
    bicrystal.pbc = True
    bicrystal.wrap()
    formula = crystal.symbols.formula.reduce()[0]
    if bicrystal.symbols.formula.reduce()[0] != formula:
        raise ValidationError("plane", f"dropping the atoms closer than {min_distance * nearest_A:.2f} A on the {plane} "
                                       f"boundary leaves {bicrystal.get_chemical_formula()}, not {formula}: "
                                       "change layers or min_distance")
    return bicrystal


def _shortest_in_plane(slab: Atoms) -> Atoms:
    """``slab`` (periodic in 3-D) in the smaller cell of an in-plane vector halved or thirded where that is
    still a translation of every atom."""
    from ase.geometry import get_distances

    for axis in (0, 1):
        for divisor in (2, 3, 2):
            shift = slab.cell[axis] / divisor
            _, dist = get_distances(slab.positions + shift, slab.positions, cell=slab.cell, pbc=True)
            same = np.array(slab.get_chemical_symbols())
            nearest = np.argmin(dist, axis=1)
            if np.all(dist[np.arange(len(slab)), nearest] < 1e-4) and np.all(same[nearest] == same):
                cell = np.array(slab.cell[:])
                cell[axis] = shift
                reduced = slab.copy()
                reduced.set_cell(cell)
                reduced.wrap()
                _, d = get_distances(reduced.positions, cell=cell, pbc=True)
                np.fill_diagonal(d, np.inf)
                unique = [i for i in range(len(reduced)) if not np.any(d[i, :i] < 1e-4)]
                slab = reduced[unique]
    return slab


def lif_grain_boundary(*, layers: int = 2, size: Sequence[int] = (1, 2), lattice: Lattice | None = None) -> Atoms:
    """LiF Sigma5 (310)[001] symmetric tilt bicrystal (36.87 deg about [001]), from the conventional cell."""
    return tilt_grain_boundary(bulk("LiF", lattice, cubic=True), (3, 1, 0), layers=layers, size=size)


def li3n_grain_boundary(*, layers: int = 3, size: Sequence[int] = (1, 2), lattice: Lattice | None = None) -> Atoms:
    """Li3N Sigma7 (1 2 -3 0)[0001] symmetric tilt bicrystal (21.79 deg about the c axis)."""
    return tilt_grain_boundary(bulk("Li3N", lattice), (1, 2, 0), layers=layers, size=size)
