"""Slabs, surface normal along z, vacuum on both sides, the lowest planes fixed: Si, ZnO and metal facets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic.structures.bulk import KINDS, Lattice, bulk, resolve_lattice

if TYPE_CHECKING:
    from ase import Atoms


#: Si-H bond length of H-terminated Si surfaces
SI_H_BOND_A = 1.48


def atomic_planes(atoms: Atoms, tol_A: float = 0.2) -> list[NDArray[np.intp]]:
    """Indices of ``atoms`` grouped into planes normal to z (heights within ``tol_A``), lowest plane first."""
    z = atoms.positions[:, 2]
    order = np.argsort(z, kind="stable")
    planes: list[list[int]] = []
    for i in order:
        if planes and z[i] - z[planes[-1][-1]] <= tol_A:
            planes[-1].append(int(i))
        else:
            planes.append([int(i)])
    return [np.array(sorted(p), dtype=np.intp) for p in planes]


def _finish_slab(atoms: Atoms, fixed_layers: int) -> Atoms:
    from ase.constraints import FixAtoms

    atoms.pbc = (True, True, False)
    if fixed_layers < 0:
        raise ValidationError("fixed_layers", f"must be >= 0, got {fixed_layers}")
    planes = atomic_planes(atoms)
    if fixed_layers >= len(planes):
        raise ValidationError("fixed_layers", f"the slab has {len(planes)} atomic planes, cannot fix {fixed_layers}")
    if fixed_layers:
        atoms.set_constraint(FixAtoms(indices=np.concatenate(planes[:fixed_layers])))
    return atoms


def check_slab(size: Sequence[int], layers: int, vacuum_A: float) -> tuple[int, int]:
    """The in-plane repeats of a slab, its layers and vacuum checked."""
    if len(size) != 2 or min(size) < 1:
        raise ValidationError("size", f"expected two positive in-plane repeats, got {tuple(size)}")
    if layers < 1:
        raise ValidationError("layers", f"must be >= 1, got {layers}")
    if not vacuum_A > 0:
        raise ValidationError("vacuum_A", f"must be positive, got {vacuum_A}")
    return int(size[0]), int(size[1])


def si_slab(facet: Literal["111", "100"] = "111", *, size: Sequence[int] = (2, 2), layers: int = 8,
            vacuum_A: float = 10.0, fixed_layers: int = 0, passivate_bottom: bool = False,
            lattice: Lattice | None = None) -> Atoms:
    """A bulk-terminated (1x1) Si(111) or Si(100) slab of ``layers`` atomic planes.

    Si(111) is cut between bilayers (one dangling bond per surface atom; ``layers`` even); Si(100) has two
    dangling bonds per surface atom. ``passivate_bottom`` puts H on the lower surface's dangling bonds
    (Si-H 1.48 A), as the seed 000 paper did on the fixed side of its Si(111) slab (it used the 7x7 DAS
    reconstruction, which this builder does not make).
    """
    from ase.build import diamond100, diamond111

    nx, ny = check_slab(size, layers, vacuum_A)
    a_A = resolve_lattice("Si", lattice).a_A
    if facet == "111":
        if layers % 2:
            raise ValidationError("layers", f"Si(111) is cut between bilayers: layers must be even, got {layers}")
        # ase's diamond111 stacks bonded pairs along z; dropping the lowest and highest plane leaves whole bilayers
        atoms = diamond111("Si", (nx, ny, layers + 2), a=a_A, vacuum=vacuum_A, orthogonal=False)
        planes = atomic_planes(atoms)
        del atoms[np.concatenate([planes[0], planes[-1]]).tolist()]
    elif facet == "100":
        atoms = diamond100("Si", (nx, ny, layers), a=a_A, vacuum=vacuum_A)
    else:
        raise ValidationError("facet", f"expected '111' or '100', got {facet!r}")
    atoms.info.pop("adsorbate_info", None)
    if passivate_bottom:
        _passivate_bottom(atoms)
    atoms.center(vacuum=vacuum_A, axis=2)
    return _finish_slab(atoms, fixed_layers)


def _passivate_bottom(atoms: Atoms) -> None:
    """Add H along the missing bonds of the lowest plane of a diamond slab (the bond directions taken from
    a fourfold-bonded atom of the same slab, so the slab's orientation does not matter)."""
    from ase import Atoms as AseAtoms
    from ase.geometry import get_distances
    from ase.neighborlist import neighbor_list

    i, vectors = neighbor_list("iD", atoms, 2.6)
    counts = np.bincount(i, minlength=len(atoms))
    if not np.any(counts == 4):
        raise ValidationError("layers", "the slab is too thin to passivate: no atom has all four bonds")
    bonds = vectors[i == int(np.argmax(counts == 4))]
    hydrogens = []
    for k in atomic_planes(atoms)[0]:
        r = atoms.positions[k]
        for sign in (1.0, -1.0):
            _, dist = get_distances(r + sign * bonds, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
            present = dist.min(axis=1) < 0.3
            if present.any():  # this atom's sublattice bonds along sign * bonds
                hydrogens += [r + b / np.linalg.norm(b) * SI_H_BOND_A
                              for b, there in zip(sign * bonds, present) if not there and b[2] < 0]
                break
    atoms.extend(AseAtoms("H" * len(hydrogens), positions=hydrogens))


def zno_slab(facet: Literal["0001", "10-10"] = "0001", *, size: Sequence[int] = (2, 2), layers: int = 4,
             vacuum_A: float = 10.0, fixed_layers: int = 0, lattice: Lattice | None = None) -> Atoms:
    """A wurtzite ZnO slab of ``layers`` Zn-O double layers, cut so that every surface atom keeps three bonds.

    (0001): double layers of one Zn and one O per 1x1 cell, cut through the bonds along c: Zn-terminated on
    top (the (0001)-Zn face), O-terminated below ((000-1)-O); stoichiometric, so it carries a dipole.
    (10-10), the non-polar face: double layers of Zn-O dimer rows (two Zn and two O per 1x1 cell).
    """
    from ase.build import surface

    nx, ny = check_slab(size, layers, vacuum_A)
    if facet == "0001":
        # ase's cut starts on a Zn bonded only along c: skip that plane, keep O-Zn double layers
        miller, periods, first, per_layer = (0, 0, 1), layers // 2 + 1, 1, 2
    elif facet == "10-10":
        miller, periods, first, per_layer = (1, 0, 0), layers, 0, 2
    else:
        raise ValidationError("facet", f"expected '0001' or '10-10', got {facet!r}")
    atoms = surface(bulk("ZnO", lattice), miller, periods, vacuum=vacuum_A)
    planes = atomic_planes(atoms)
    keep = np.concatenate(planes[first:first + per_layer * layers])
    atoms = atoms[np.sort(keep).tolist()]
    atoms.center(vacuum=vacuum_A, axis=2)
    return _finish_slab(atoms.repeat((nx, ny, 1)), fixed_layers)


_METAL_FACETS = {"fcc": ("100", "111", "110"), "hcp": ("0001", "10-10", "10-11"), "bcc": ("100", "110")}


def metal_slab(symbol: Literal["Ag", "Cu", "Zn", "Li", "Na"], facet: str, *, size: Sequence[int] = (3, 3),
               layers: int = 4, vacuum_A: float = 10.0, fixed_layers: int = 0, lattice: Lattice | None = None) -> Atoms:
    """A metal slab: fcc Ag/Cu (100), (111), (110); hcp Zn (0001), (10-10), (10-11); bcc Li/Na (100), (110).

    ``layers``: atomic planes for the low-index facets built by ``ase.build`` (fcc100, fcc111, fcc110,
    hcp0001, hcp10m10, bcc100, bcc110); for Zn(10-11) (the seed 004 paper's "Zn(101)"), cut from the hcp
    bulk by ``ase.build.surface``, rumpled double planes (two atoms per 1x1 cell, 0.35 A apart).
    """
    from ase import build

    nx, ny = check_slab(size, layers, vacuum_A)
    kind = KINDS.get(symbol)
    if kind not in _METAL_FACETS:
        raise ValidationError("symbol", f"expected one of Ag, Cu, Zn, Li, Na, got {symbol!r}")
    if facet not in _METAL_FACETS[kind]:
        raise ValidationError("facet", f"{symbol} ({kind}) facets are {', '.join(_METAL_FACETS[kind])}, got {facet!r}")
    lat = resolve_lattice(symbol, lattice)
    if facet == "10-11":
        atoms = build.surface(bulk(symbol, lat), (1, 0, 1), layers, vacuum=vacuum_A).repeat((nx, ny, 1))
    elif facet == "0001":
        atoms = build.hcp0001(symbol, (nx, ny, layers), a=lat.a_A, c=lat.c_A, vacuum=vacuum_A)
    elif facet == "10-10":
        if ny % 2:
            raise ValidationError("size", f"hcp (10-10) needs an even second repeat (rectangular cell), got {ny}")
        atoms = build.hcp10m10(symbol, (nx, ny, layers), a=lat.a_A, c=lat.c_A, vacuum=vacuum_A)
    elif kind == "fcc" and facet == "100":
        atoms = build.fcc100(symbol, (nx, ny, layers), a=lat.a_A, vacuum=vacuum_A)
    elif kind == "fcc" and facet == "111":
        atoms = build.fcc111(symbol, (nx, ny, layers), a=lat.a_A, vacuum=vacuum_A)
    elif kind == "fcc":
        atoms = build.fcc110(symbol, (nx, ny, layers), a=lat.a_A, vacuum=vacuum_A)
    elif facet == "100":
        atoms = build.bcc100(symbol, (nx, ny, layers), a=lat.a_A, vacuum=vacuum_A)
    else:
        atoms = build.bcc110(symbol, (nx, ny, layers), a=lat.a_A, vacuum=vacuum_A)
    atoms.info.pop("adsorbate_info", None)
    return _finish_slab(atoms, fixed_layers)
