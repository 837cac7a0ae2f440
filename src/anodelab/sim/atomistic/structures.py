"""Structures of the seed papers' atomistic studies, built with ``ase.build``: plain functions returning ASE ``Atoms``.

- :func:`bulk`: Si (diamond), Li15Si4 (Cu15Si4 type), ZnO (wurtzite), LiF (rocksalt), Li3N (P6/mmm),
  Ag and Cu (fcc), Zn (hcp), Li and Na (bcc), at the experimental lattice constants of
  :data:`EXPERIMENTAL` (each with its source) or a :class:`Lattice` of your own, such as a model's
  :func:`model_lattice`;
- slabs: :func:`si_slab` (Si(111) 1x1 and Si(100) 1x1, bulk-terminated, optionally H-passivated
  underneath), :func:`zno_slab` ((0001), polar, and (10-10)), :func:`metal_slab` (Ag/Cu (100), (111);
  Zn (0001), (10-10), (10-11), the papers' "Zn(101)"; Li/Na (100), (110));
- :func:`interstitial` and :func:`interstitial_hop`: Td, Hex and bond-centre sites of a diamond lattice,
  found from the bonds, so any diamond supercell works; :func:`vacancy_hop`;
- :func:`adsorb`: an atom over a top, bridge, hollow, fcc or hcp site of any slab, the sites found from
  the top layer's geometry (:func:`surface_sites`);
- :func:`match_supercells` and :func:`heterointerface`: the smallest-strain coincident supercells of two
  slabs within an atom budget, one side strained onto the other, the strain of each side reported;
- :func:`tilt_grain_boundary`: a mirror-symmetric tilt bicrystal (LiF Sigma5 (310)[001] and Li3N
  Sigma7 (1 2 -3 0)[0001] by :func:`lif_grain_boundary` and :func:`li3n_grain_boundary`).

Lengths in angstrom (``_A``). Slabs have their surface normal along z, vacuum on both sides, and
``FixAtoms`` on their ``fixed_layers`` lowest atomic planes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError

if TYPE_CHECKING:
    from ase import Atoms

    from anodelab.sim.atomistic.calculators import ModelLike

Site = Literal["Td", "Hex", "BC"]
SurfaceSite = Literal["top", "bridge", "hollow", "fcc", "hcp"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Lattice:
    """Lattice constants: ``a_A`` (and ``c_A`` of hexagonal crystals) and where they come from."""

    a_A: float
    c_A: float | None = None
    source: str = ""


#: experimental lattice constants near room temperature, with their sources
EXPERIMENTAL: Mapping[str, Lattice] = MappingProxyType({
    "Si": Lattice(5.431, None, "CODATA 2018: a(Si) = 543.102 pm at 22.5 C"),
    "Li15Si4": Lattice(10.685, None, "Obrovac & Christensen, Electrochem. Solid-State Lett. 7, A93 (2004), XRD of "
                                     "electrochemically formed c-Li15Si4; Cu15Si4 type (Zeilinger et al., "
                                     "Chem. Mater. 2013, 'Stabilizing the phase Li15Si4 ...': 10.632 A at 123 K)"),
    "ZnO": Lattice(3.250, 5.207, "Ozgur et al., J. Appl. Phys. 98, 041301 (2005), Table I (X-ray, room temperature; "
                                 "u = 0.382)"),
    "LiF": Lattice(4.027, None, "Wyckoff, Crystal Structures vol. 1 (1963): rocksalt, room temperature"),
    "Li3N": Lattice(3.648, 3.875, "Rabenau & Schulz, J. Less-Common Met. 50, 155 (1976): P6/mmm, room temperature"),
    "Ag": Lattice(4.086, None, "Wyckoff, Crystal Structures vol. 1 (1963): fcc, room temperature"),
    "Cu": Lattice(3.615, None, "Wyckoff, Crystal Structures vol. 1 (1963): fcc, room temperature"),
    "Zn": Lattice(2.665, 4.947, "Wyckoff, Crystal Structures vol. 1 (1963): hcp, room temperature (c/a = 1.856)"),
    "Li": Lattice(3.510, None, "Wyckoff, Crystal Structures vol. 1 (1963): bcc, room temperature"),
    "Na": Lattice(4.291, None, "Wyckoff, Crystal Structures vol. 1 (1963): bcc, room temperature"),
})
#: internal coordinate of wurtzite ZnO (Ozgur et al. 2005, Table I)
ZNO_U = 0.382
#: Li15Si4 (I-43d, No. 220, Cu15Si4 type): Li1 12a, Li2 48e, Si 16c. The free coordinates are approximate (to
#: about 0.005; after Zeilinger et al. 2013): every Si isolated among 12 Li at 2.63-2.77 A. Checked: CHGNet 0.3.0
#: forces at most 0.06 eV/A there, and relaxing (cell fixed) moves no atom by more than 0.03 A.
LI15SI4_SITES = (("Li", (0.375, 0.0, 0.25)), ("Li", (0.1216, 0.1567, 0.9617)), ("Si", (0.4581, 0.4581, 0.4581)))
#: Si-H bond length of H-terminated Si surfaces
SI_H_BOND_A = 1.48
_KINDS = {"Si": "diamond", "Li15Si4": "Li15Si4", "ZnO": "wurtzite", "LiF": "rocksalt", "Li3N": "Li3N",
          "Ag": "fcc", "Cu": "fcc", "Zn": "hcp", "Li": "bcc", "Na": "bcc"}


def _lattice(material: str, lattice: Lattice | None) -> Lattice:
    if material not in EXPERIMENTAL:
        raise ValidationError("material", f"unknown material {material!r}; expected one of {', '.join(EXPERIMENTAL)}")
    chosen = EXPERIMENTAL[material] if lattice is None else lattice
    if not (math.isfinite(chosen.a_A) and chosen.a_A > 0):
        raise ValidationError("lattice.a_A", f"must be a positive length in angstrom, got {chosen.a_A}")
    hexagonal = EXPERIMENTAL[material].c_A is not None
    if hexagonal and (chosen.c_A is None or not (math.isfinite(chosen.c_A) and chosen.c_A > 0)):
        raise ValidationError("lattice.c_A", f"{material} is hexagonal: c_A must be a positive length, got {chosen.c_A}")
    return chosen


def bulk(material: str, lattice: Lattice | None = None, *, cubic: bool = False) -> Atoms:
    """The bulk crystal of ``material`` (a key of :data:`EXPERIMENTAL`) at ``lattice`` (default: experiment).

    ``cubic``: the conventional cubic cell of a cubic crystal (8 atoms for Si, 76 for Li15Si4) instead of
    the primitive one; hexagonal crystals always come in their hexagonal cell.
    """
    from ase.build import bulk as ase_bulk
    from ase.spacegroup import crystal

    lat = _lattice(material, lattice)
    kind = _KINDS[material]
    a_A = lat.a_A
    c_A = lat.c_A if lat.c_A is not None else a_A
    if kind == "wurtzite":
        return crystal(["Zn", "O"], [(1 / 3, 2 / 3, 0.0), (1 / 3, 2 / 3, ZNO_U)], spacegroup=186,
                       cellpar=[a_A, a_A, c_A, 90, 90, 120])
    if kind == "Li3N":
        return crystal(["N", "Li", "Li"], [(0.0, 0.0, 0.0), (0.0, 0.0, 0.5), (1 / 3, 2 / 3, 0.0)], spacegroup=191,
                       cellpar=[a_A, a_A, c_A, 90, 90, 120])
    if kind == "Li15Si4":
        symbols = [symbol for symbol, _ in LI15SI4_SITES]
        basis = [position for _, position in LI15SI4_SITES]
        return crystal(symbols, basis, spacegroup=220, cellpar=[a_A] * 3 + [90] * 3, primitive_cell=not cubic)
    if kind == "hcp":
        return ase_bulk(material, "hcp", a=a_A, c=c_A)
    return ase_bulk(material, kind, a=a_A, cubic=cubic)


def model_lattice(material: str, model: ModelLike, *, strain_max: float = 0.04, n_points: int = 9) -> Lattice:
    """The lattice constants that minimise a model's energy of ``material``'s bulk.

    The experimental cell is scaled isotropically (c/a and internal coordinates kept) over
    ``1 +/- strain_max`` in length and the energies fitted with ASE's Birch-Murnaghan equation of state.
    ``model``: a model name, :class:`~anodelab.sim.atomistic.calculators.Model` or ASE calculator.
    """
    from ase.eos import EquationOfState

    from anodelab.sim.atomistic.calculators import calculator

    if not 0 < strain_max < 0.2 or n_points < 5:
        raise ValidationError("strain_max", f"need 0 < strain_max < 0.2 and n_points >= 5, got {strain_max}, {n_points}")
    chosen = calculator(model)
    reference = bulk(material)
    scales = np.linspace(1 - strain_max, 1 + strain_max, n_points)
    volumes, energies = [], []
    for scale in scales:
        atoms = reference.copy()
        atoms.set_cell(reference.cell[:] * scale, scale_atoms=True)
        chosen.attach(atoms)
        volumes.append(atoms.get_volume())
        energies.append(atoms.get_potential_energy())
    v0, _, _ = EquationOfState(volumes, energies, eos="birchmurnaghan").fit()
    scale0 = float((v0 / reference.get_volume()) ** (1 / 3))
    if not 1 - strain_max < scale0 < 1 + strain_max:
        raise ValidationError("strain_max", f"the {chosen.name} minimum of {material} lies outside 1 +/- {strain_max} "
                                            "of the experimental lattice constant: widen strain_max")
    exp = EXPERIMENTAL[material]
    return Lattice(exp.a_A * scale0, None if exp.c_A is None else exp.c_A * scale0,
                   f"relaxed with {chosen.name} ({chosen.version}): isotropic E(V) fit, c/a of experiment")


# ----------------------------------------------------------------------------------------------- slabs


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


def _check_slab(size: Sequence[int], layers: int, vacuum_A: float) -> tuple[int, int]:
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

    nx, ny = _check_slab(size, layers, vacuum_A)
    a_A = _lattice("Si", lattice).a_A
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

    nx, ny = _check_slab(size, layers, vacuum_A)
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

    nx, ny = _check_slab(size, layers, vacuum_A)
    kind = _KINDS.get(symbol)
    if kind not in _METAL_FACETS:
        raise ValidationError("symbol", f"expected one of Ag, Cu, Zn, Li, Na, got {symbol!r}")
    if facet not in _METAL_FACETS[kind]:
        raise ValidationError("facet", f"{symbol} ({kind}) facets are {', '.join(_METAL_FACETS[kind])}, got {facet!r}")
    lat = _lattice(symbol, lattice)
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


# ------------------------------------------------------------------------------ interstitials, vacancies


def interstitial_sites(atoms: Atoms, site: Site = "Td", *, bond_A: float | None = None) -> FloatArray:
    """Cartesian positions (n, 3) of every ``site`` of a diamond-lattice crystal (any supercell or strain).

    Found from the bonds (neighbours within 1.15 x ``bond_A``, default the shortest distance): a Td site lies
    one bond length along an antibonding direction (4 neighbours at sqrt(3)a/4, 6 at a/2); a Hex site halfway
    between two neighbouring Td sites (6 neighbours at sqrt(11)a/8); a bond centre (BC) mid-bond.
    """
    from ase.neighborlist import neighbor_list

    if site not in ("Td", "Hex", "BC"):
        raise ValidationError("site", f"expected 'Td', 'Hex' or 'BC', got {site!r}")
    if len(atoms) < 2:
        raise ValidationError("atoms", "need a diamond-lattice crystal of at least two atoms")
    if bond_A is None:
        d = neighbor_list("d", atoms, 3.5)
        if len(d) == 0:
            raise ValidationError("atoms", "no neighbours within 3.5 A: not a diamond-lattice crystal")
        bond_A = float(d.min())
    i, vectors = neighbor_list("iD", atoms, 1.15 * bond_A)
    counts = np.bincount(i, minlength=len(atoms))
    if not np.all(counts == 4):
        raise ValidationError("atoms", "not a diamond lattice: every atom needs exactly four bonds "
                                       f"(found {sorted(set(counts.tolist()))})")
    start = atoms.positions[i]
    if site == "BC":
        candidates = start + vectors / 2
    else:
        td = start - vectors
        if site == "Td":
            candidates = td
        else:
            # a Td site's 4 neighbouring Td sites lie at the positions of its 4 neighbours, mirrored through it
            tds = _unique(atoms, td)
            from ase.geometry import get_distances

            vec, dist = get_distances(tds, tds, cell=atoms.cell, pbc=atoms.pbc)
            a_idx, b_idx = np.nonzero(np.abs(dist - bond_A) < 0.15 * bond_A)
            candidates = tds[a_idx] + vec[a_idx, b_idx] / 2
    return _unique(atoms, candidates)


def _unique(atoms: Atoms, points: FloatArray, tol_A: float = 0.1) -> FloatArray:
    """``points`` wrapped into the cell with duplicates (minimum image) removed."""
    from ase.geometry import get_distances, wrap_positions

    wrapped = wrap_positions(points, atoms.cell, pbc=atoms.pbc)
    kept: list[int] = []
    _, dist = get_distances(wrapped, wrapped, cell=atoms.cell, pbc=atoms.pbc)
    taken = np.zeros(len(wrapped), dtype=bool)
    for k in range(len(wrapped)):
        if not taken[k]:
            kept.append(k)
            taken |= dist[k] < tol_A
    return np.asarray(wrapped[kept], dtype=np.float64)


def _centre(atoms: Atoms) -> FloatArray:
    return np.asarray(atoms.cell.cartesian_positions([0.5, 0.5, 0.5]), dtype=np.float64)


def _closest(atoms: Atoms, points: FloatArray, target: FloatArray) -> int:
    from ase.geometry import get_distances

    _, dist = get_distances(points, target.reshape(1, 3), cell=atoms.cell, pbc=atoms.pbc)
    return int(np.argmin(dist[:, 0]))


def interstitial(atoms: Atoms, symbol: str, site: Site = "Td", *,
                 near_A: Sequence[float] | None = None) -> Atoms:
    """A copy of the diamond-lattice crystal ``atoms`` with ``symbol`` added (last) at a ``site``.

    Of all such sites (:func:`interstitial_sites`) the one closest to ``near_A`` (Cartesian, default the cell
    centre) is taken.
    """
    sites = interstitial_sites(atoms, site)
    target = _centre(atoms) if near_A is None else np.asarray(near_A, dtype=float)
    out: Atoms = atoms.copy()
    from ase import Atom

    out.append(Atom(symbol, sites[_closest(atoms, sites, target)]))
    return out


def interstitial_hop(atoms: Atoms, symbol: str, site: Site = "Td", *,
                     near_A: Sequence[float] | None = None) -> tuple[Atoms, Atoms]:
    """Initial and final states of an interstitial hop between two nearest ``site`` positions.

    The initial site is the one nearest ``near_A`` (default the cell centre); the final one is its nearest
    equivalent neighbour. For Td -> Td in diamond the path crosses a Hex site halfway (the 65-atom Li in
    c-Si CI-NEB of :mod:`anodelab.sim.atomistic.systems`).
    """
    from ase.geometry import get_distances

    sites = interstitial_sites(atoms, site)
    target = _centre(atoms) if near_A is None else np.asarray(near_A, dtype=float)
    first = _closest(atoms, sites, target)
    vec, dist = get_distances(sites[first:first + 1], sites, cell=atoms.cell, pbc=atoms.pbc)
    dist[0, first] = np.inf
    second = int(np.argmin(dist[0]))
    initial = atoms.copy()
    final = atoms.copy()
    from ase import Atom

    initial.append(Atom(symbol, sites[first]))
    # the final position as the minimum-image neighbour of the first, so that interpolation takes the short way
    final.append(Atom(symbol, sites[first] + vec[0, second]))
    return initial, final


def vacancy_hop(atoms: Atoms, vacancy: int, hopping: int) -> tuple[Atoms, Atoms]:
    """Initial and final states of a vacancy hop: atom ``vacancy`` removed, atom ``hopping`` moving into its site.

    The two states keep the same atom order (the hopper at the same index), as NEB needs.
    """
    from ase.geometry import get_distances

    n = len(atoms)
    if not (0 <= vacancy < n and 0 <= hopping < n) or vacancy == hopping:
        raise ValidationError("vacancy", f"need two different atom indices in 0..{n - 1}, got {vacancy}, {hopping}")
    if atoms[vacancy].symbol != atoms[hopping].symbol:
        raise ValidationError("hopping", f"atom {hopping} is {atoms[hopping].symbol}, the vacancy's atom "
                                         f"{atoms[vacancy].symbol}: a vacancy hop moves a like atom")
    vec, _ = get_distances(atoms.positions[hopping], atoms.positions[vacancy], cell=atoms.cell, pbc=atoms.pbc)
    initial = atoms.copy()
    del initial[vacancy]
    final = initial.copy()
    index = hopping - (1 if hopping > vacancy else 0)
    final.positions[index] = atoms.positions[hopping] + vec[0, 0]
    return initial, final


# ------------------------------------------------------------------------------------------- adsorbates


def _surface_frame(slab: Atoms, depth_A: float) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """In-plane cell (2x2), top-layer xy, second-layer xy and the top height of a slab."""
    if slab.cell[2, :2].any() or slab.cell[:2, 2].any():
        raise ValidationError("slab", "expected a slab with its in-plane cell in xy and its normal along z")
    z = slab.positions[:, 2]
    z_top = float(z.max())
    top = slab.positions[z > z_top - depth_A, :2]
    below = z <= z_top - depth_A
    if not below.any():
        raise ValidationError("slab", "a slab needs atoms below its top layer")
    z_next = float(z[below].max())
    second = slab.positions[below & (z > z_next - depth_A), :2]
    return np.asarray(slab.cell[:2, :2], dtype=np.float64), top, second, z_top


def _min_distance_2d(points: FloatArray, atoms_xy: FloatArray, cell2: FloatArray) -> FloatArray:
    """Minimum-image in-plane distance from each of ``points`` (n, 2) to the nearest of ``atoms_xy``."""
    shifts = np.array([i * cell2[0] + j * cell2[1] for i in (-1, 0, 1) for j in (-1, 0, 1)])
    images = (atoms_xy[None, :, :] + shifts[:, None, :]).reshape(-1, 2)
    d = np.linalg.norm(points[:, None, :] - images[None, :, :], axis=2)
    return np.asarray(d.min(axis=1), dtype=np.float64)


def surface_sites(slab: Atoms, *, depth_A: float = 0.5, grid: int = 48) -> dict[str, FloatArray]:
    """The in-plane (x, y) of each kind of adsorption site on a slab's upper face.

    The top layer is the atoms within ``depth_A`` of the highest. ``top``: over a top-layer atom; ``bridge``:
    midway between the two closest top-layer atoms; ``hollow``: the point farthest from every top-layer
    atom (searched on a ``grid`` x ``grid`` mesh of the surface cell, then refined); on surfaces with two
    kinds of threefold hollow, ``hcp`` (a second-layer atom right below) and ``fcc`` (none).
    """
    from scipy.optimize import minimize

    cell2, top, second, _ = _surface_frame(slab, depth_A)
    frac = (np.stack(np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij"), -1).reshape(-1, 2) + 0.5) / grid
    points = frac @ cell2
    distance = _min_distance_2d(points, top, cell2)
    sites: dict[str, FloatArray] = {"top": top[0].copy()}
    # bridge: the midpoint of atom 0 and its nearest top-layer image
    shifts = np.array([i * cell2[0] + j * cell2[1] for i in (-1, 0, 1) for j in (-1, 0, 1)])
    images = (top[None, :, :] + shifts[:, None, :]).reshape(-1, 2)
    gaps = np.linalg.norm(images - top[0], axis=1)
    gaps[gaps < 1e-6] = np.inf
    sites["bridge"] = (top[0] + images[int(np.argmin(gaps))]) / 2

    def closeness(p: FloatArray) -> float:
        return -float(_min_distance_2d(p.reshape(1, 2), top, cell2)[0])

    def refine(start: FloatArray) -> FloatArray:
        result = minimize(closeness, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-7})
        return np.asarray(result.x, dtype=np.float64)

    best = distance.max()
    candidates = [refine(points[k]) for k in np.nonzero(distance > best - 0.05)[0]]
    values = np.array([_min_distance_2d(c.reshape(1, 2), top, cell2)[0] for c in candidates])
    hollows = [c for c, v in zip(candidates, values) if v > values.max() - 0.02]
    sites["hollow"] = hollows[int(np.argmax([_min_distance_2d(h.reshape(1, 2), top, cell2)[0] for h in hollows]))]
    for h in hollows:
        kind = "hcp" if _min_distance_2d(h.reshape(1, 2), second, cell2)[0] < 0.3 else "fcc"
        sites.setdefault(kind, h)
    if "hcp" not in sites or "fcc" not in sites:
        sites.pop("hcp", None)
        sites.pop("fcc", None)
    return sites


def adsorb(slab: Atoms, symbol: str, site: SurfaceSite = "hollow", *, height_A: float = 2.0,
           depth_A: float = 0.5) -> Atoms:
    """A copy of ``slab`` with ``symbol`` added (last) at ``height_A`` above the top layer over a ``site``.

    Sites as :func:`surface_sites` finds them; ``fcc``/``hcp`` only where the surface has both.
    """
    from ase import Atom

    if not (math.isfinite(height_A) and height_A > 0):
        raise ValidationError("height_A", f"must be a positive height in angstrom, got {height_A}")
    sites = surface_sites(slab, depth_A=depth_A)
    if site not in sites:
        raise ValidationError("site", f"this surface has sites {', '.join(sites)}, got {site!r}")
    z_top = float(slab.positions[:, 2].max())
    out: Atoms = slab.copy()
    x, y = sites[site]
    out.append(Atom(symbol, (x, y, z_top + height_A)))
    return out


def adsorbate_hop(slab: Atoms, symbol: str, start: SurfaceSite, end: SurfaceSite, *, height_A: float = 2.0,
                  depth_A: float = 0.5) -> tuple[Atoms, Atoms]:
    """Initial and final states of an adatom hop from a ``start`` site to the nearest ``end`` site.

    The ``end`` site's copies are its representative shifted by the vectors between top-layer atoms
    (every top-layer atom being equivalent, as on the low-index surfaces built here).
    """
    if start == end:
        raise ValidationError("end", f"a hop needs two different kinds of site, got {start!r} twice")
    initial = adsorb(slab, symbol, start, height_A=height_A, depth_A=depth_A)
    final = adsorb(slab, symbol, end, height_A=height_A, depth_A=depth_A)
    cell2, top, _, _ = _surface_frame(slab, depth_A)
    shifts = np.array([i * cell2[0] + j * cell2[1] for i in (-1, 0, 1) for j in (-1, 0, 1)])
    copies = (final.positions[-1, :2] + (top - top[0])[None, :, :] + shifts[:, None, :]).reshape(-1, 2)
    nearest = copies[int(np.argmin(np.linalg.norm(copies - initial.positions[-1, :2], axis=1)))]
    final.positions[-1, :2] = nearest
    return initial, final


def void_sites(atoms: Atoms, *, z_A: float, grid_A: float = 0.2) -> tuple[FloatArray, FloatArray]:
    """Centres of the empty spaces in the plane at height ``z_A`` (normal z), largest first:
    (positions (n, 3), radii (n,)).

    A grid (spacing about ``grid_A``) over the plane's cell is searched for local maxima of the distance to
    the nearest atom (minimum image); a maximum's radius is that distance.
    """
    from ase.geometry import get_distances
    from scipy.ndimage import maximum_filter

    lengths = np.linalg.norm(atoms.cell[:2], axis=1)
    nx, ny = (max(8, math.ceil(length / grid_A)) for length in lengths)
    fx, fy = np.meshgrid(np.arange(nx) / nx, np.arange(ny) / ny, indexing="ij")
    points = (fx[..., None] * atoms.cell[0] + fy[..., None] * atoms.cell[1]).reshape(-1, 3)
    points[:, 2] = z_A
    _, dist = get_distances(points, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    field = dist.min(axis=1).reshape(nx, ny)
    peaks = (field == maximum_filter(field, size=3, mode="wrap")) & (field > grid_A)
    order = np.argsort(field[peaks], kind="stable")[::-1]
    return points.reshape(nx, ny, 3)[peaks][order], field[peaks][order]


def void_hop(atoms: Atoms, symbol: str, *, z_A: float, grid_A: float = 0.2,
             radius_tol_A: float = 0.1) -> tuple[Atoms, Atoms]:
    """Initial and final states of an atom hopping, in the plane at height ``z_A``, between the largest void
    and its nearest distinct void of the same size (within ``radius_tol_A``), as along an interface
    channel (:func:`void_sites`)."""
    from ase import Atom
    from ase.geometry import get_distances

    centres, radii = void_sites(atoms, z_A=z_A, grid_A=grid_A)
    alike = np.nonzero(np.abs(radii - radii[0]) <= radius_tol_A)[0][1:]
    vec, dist = get_distances(centres[:1], centres[alike], cell=atoms.cell, pbc=atoms.pbc)
    distinct = np.nonzero(dist[0] > 3 * grid_A)[0]
    if not len(distinct):
        raise ValidationError("z_A", "the largest void of this plane has no twin: move z_A or raise radius_tol_A")
    k = int(distinct[np.argmin(dist[0, distinct])])
    initial, final = atoms.copy(), atoms.copy()
    initial.append(Atom(symbol, centres[0]))
    final.append(Atom(symbol, centres[0] + vec[0, k]))
    return initial, final


# ------------------------------------------------------------------------------- heterointerfaces


@dataclass(frozen=True)
class SupercellMatch:
    """Coincident in-plane supercells of two slabs ``a`` and ``b``.

    ``matrix_a``/``matrix_b``: integer rows giving each supercell's in-plane vectors in its slab's cell
    vectors; ``stretches_b``: principal stretches that map b's supercell onto a's (``strain_b`` = the
    largest |stretch - 1|, the strain b takes when strained onto a; ``strain_a`` likewise for a onto b);
    ``area_A2`` of a's supercell; ``n_atoms`` of both slabs' supercells together.
    """

    matrix_a: tuple[tuple[int, int], tuple[int, int]]
    matrix_b: tuple[tuple[int, int], tuple[int, int]]
    stretches_b: tuple[float, float]
    strain_a: float
    strain_b: float
    area_A2: float
    n_atoms: int


def _reduce(basis: NDArray[np.int64], cell2: FloatArray) -> NDArray[np.int64]:
    """Lagrange-Gauss reduction of a 2-D integer basis (rows, in units of ``cell2``), kept right-handed."""
    u, v = basis[0].copy(), basis[1].copy()

    def norm2(w: NDArray[np.int64]) -> float:
        x = w @ cell2
        return float(x @ x)

    while True:
        if norm2(u) > norm2(v):
            u, v = v, u
        mu = round(float((u @ cell2) @ (v @ cell2)) / norm2(u))
        if mu == 0:
            break
        v = v - mu * u
        if norm2(v) >= norm2(u):
            break
    out = np.array([u, v])
    if np.linalg.det((out @ cell2).astype(float)) < 0:
        out[1] = -out[1]
    return out


def _canonical(vectors: FloatArray) -> FloatArray:
    """2-D basis (rows) rotated so the first vector lies along +x."""
    angle = math.atan2(vectors[0, 1], vectors[0, 0])
    c, s = math.cos(-angle), math.sin(-angle)
    rotation = np.array([[c, -s], [s, c]])
    return np.asarray(vectors @ rotation.T, dtype=np.float64)


def _hnf(n: int) -> list[NDArray[np.int64]]:
    """All 2-D supercells of index ``n`` in Hermite normal form, rows [[p, q], [0, r]] with p r = n, 0 <= q < r."""
    out = []
    for p in range(1, n + 1):
        if n % p == 0:
            r = n // p
            for q in range(r):
                out.append(np.array([[p, q], [0, r]], dtype=np.int64))
    return out


def match_supercells(slab_a: Atoms, slab_b: Atoms, *, max_atoms: int = 120, max_strain: float = 0.05) -> SupercellMatch:
    """The coincident supercells of two slabs' surface cells with the smallest strain within ``max_atoms``.

    Every supercell of a and of b (Hermite normal forms, Lagrange-reduced, each reduced basis in its
    equivalent orderings) with n_a |a| + n_b |b| <= ``max_atoms`` atoms is compared with every other,
    rotation free: the deformation F that maps b's basis onto a's gives the principal stretches (singular
    values of F). The pair whose strain (largest |stretch - 1|) is smallest wins, fewer atoms breaking
    ties within 1e-4.
    """
    cell_a = np.asarray(slab_a.cell[:2, :2], dtype=np.float64)
    cell_b = np.asarray(slab_b.cell[:2, :2], dtype=np.float64)
    if max_atoms < len(slab_a) + len(slab_b):
        raise ValidationError("max_atoms", f"the two slabs alone have {len(slab_a) + len(slab_b)} atoms, "
                                           f"more than max_atoms = {max_atoms}")
    if not 0 < max_strain < 0.5:
        raise ValidationError("max_strain", f"must lie in (0, 0.5), got {max_strain}")
    n_a_max = (max_atoms - len(slab_b)) // len(slab_a)
    n_b_max = (max_atoms - len(slab_a)) // len(slab_b)
    bases_b, index_b, vectors_b = [], [], []
    seen: set[tuple[float, ...]] = set()
    for n_b in range(1, n_b_max + 1):
        for hnf in _hnf(n_b):
            for variant in _equivalent_bases(_reduce(hnf, cell_b), cell_b):
                vectors = _canonical((variant @ cell_b).astype(float))
                shape = tuple(np.round(vectors, 6).ravel().tolist())
                if shape not in seen:  # the same shape from another sublattice pairs no differently
                    seen.add(shape)
                    bases_b.append(variant)
                    index_b.append(n_b)
                    vectors_b.append(vectors)
    inverse_b = np.linalg.inv(np.transpose(np.array(vectors_b), (0, 2, 1)))
    n_b_all = np.array(index_b)
    area_b = abs(float(np.linalg.det(cell_b)))
    area_ratio_b = n_b_all.astype(float)
    best: tuple[tuple[float, int], SupercellMatch] | None = None
    for n_a in range(1, n_a_max + 1):
        allowed = n_a * len(slab_a) + n_b_all * len(slab_b) <= max_atoms
        shapes_a: set[tuple[float, ...]] = set()
        for hnf in _hnf(n_a):
            ma = _reduce(hnf, cell_a)
            va = _canonical((ma @ cell_a).astype(float))
            shape = tuple(np.round(va, 6).ravel().tolist())
            if shape in shapes_a:
                continue
            shapes_a.add(shape)
            ratio = abs(float(np.linalg.det(va))) / area_b
            candidates = np.nonzero(allowed & (np.abs(ratio - area_ratio_b) <= ratio * 2.1 * max_strain))[0]
            if not len(candidates):
                continue
            deformation = va.T[None, :, :] @ inverse_b[candidates]  # F with F vb_i = va_i, for each b basis
            stretches = np.linalg.svd(deformation, compute_uv=False)
            strain_b = np.max(np.abs(stretches - 1), axis=1)
            for m in np.nonzero(strain_b <= max_strain)[0]:
                k = int(candidates[m])
                key = (round(float(strain_b[m]), 4), int(n_a * len(slab_a) + n_b_all[k] * len(slab_b)))
                if best is None or key < best[0]:
                    match = SupercellMatch(_pair(ma), _pair(bases_b[k]),
                                           (float(stretches[m, 0]), float(stretches[m, 1])),
                                           float(np.max(np.abs(1 / stretches[m] - 1))), float(strain_b[m]),
                                           abs(float(np.linalg.det(va))), key[1])
                    best = (key, match)
    if best is None:
        raise ValidationError("max_atoms", f"no coincident supercells within {max_atoms} atoms and "
                                           f"{max_strain:.1%} strain: raise max_atoms or max_strain")
    return best[1]


def _equivalent_bases(basis: NDArray[np.int64], cell2: FloatArray) -> list[NDArray[np.int64]]:
    """Right-handed reduced bases of the same supercell that can pair differently with another lattice."""
    u, v = basis
    out = []
    for p, q in ((u, v), (v, -u), (-u, -v), (-v, u), (u, u + v), (u + v, -u), (v, -(u + v)), (u - v, u)):
        candidate = np.array([p, q])
        if np.linalg.det((candidate @ cell2).astype(float)) > 0:
            out.append(candidate)
    return out


def _pair(m: NDArray[np.int64]) -> tuple[tuple[int, int], tuple[int, int]]:
    return (int(m[0, 0]), int(m[0, 1])), (int(m[1, 0]), int(m[1, 1]))


def _supercell(slab: Atoms, matrix: tuple[tuple[int, int], tuple[int, int]]) -> Atoms:
    from ase.build import make_supercell

    p = np.array([[matrix[0][0], matrix[0][1], 0], [matrix[1][0], matrix[1][1], 0], [0, 0, 1]])
    out: Atoms = make_supercell(slab, p, wrap=True)
    out.set_constraint()
    return out


def heterointerface(slab_a: Atoms, slab_b: Atoms, *, max_atoms: int = 120, max_strain: float = 0.05,
                    gap_A: float = 2.0, vacuum_A: float = 10.0,
                    strained: Literal["a", "b"] = "b") -> tuple[dict[str, Atoms], SupercellMatch]:
    """Slab b on slab a in their smallest-strain coincident supercells (:func:`match_supercells`).

    The ``strained`` side takes the other's in-plane cell (its atoms move with the cell); b sits ``gap_A``
    above a's top atom, ``vacuum_A`` above b. Returns ``{"a", "b", "ab"}``, all three in the same cell and
    a and b at their positions in ab (so E_int = E_ab - E_a - E_b), and the match (``strain_b``: the strain
    b takes; ``strain_a``: that a would take instead). Constraints of the inputs are dropped.
    """
    if strained not in ("a", "b"):
        raise ValidationError("strained", f"expected 'a' or 'b', got {strained!r}")
    if not (gap_A > 0 and vacuum_A > 0):
        raise ValidationError("gap_A", f"gap_A and vacuum_A must be positive, got {gap_A}, {vacuum_A}")
    match = match_supercells(slab_a, slab_b, max_atoms=max_atoms, max_strain=max_strain)
    a = _supercell(slab_a, match.matrix_a)
    b = _supercell(slab_b, match.matrix_b)
    target = a if strained == "b" else b
    moved = b if strained == "b" else a
    cell = np.array(moved.cell[:])
    cell[:2] = target.cell[:2]
    moved.set_cell(cell, scale_atoms=True)
    za, zb = a.positions[:, 2], b.positions[:, 2]
    thickness_a, thickness_b = za.max() - za.min(), zb.max() - zb.min()
    a.positions[:, 2] += vacuum_A / 2 - za.min()
    b.positions[:, 2] += vacuum_A / 2 + thickness_a + gap_A - zb.min()
    full = np.array(a.cell[:])
    full[2] = (0.0, 0.0, thickness_a + gap_A + thickness_b + vacuum_A)
    for part in (a, b):
        part.set_cell(full, scale_atoms=False)
        part.pbc = (True, True, False)
    ab = a + b
    return {"a": a, "b": b, "ab": ab}, match


# --------------------------------------------------------------------------------- grain boundaries


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

    nx, ny = _check_slab(size, layers, 1.0)
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


__all__ = [
    "EXPERIMENTAL", "Lattice", "SupercellMatch", "adsorb", "adsorbate_hop", "atomic_planes", "bulk", "heterointerface",
    "interstitial", "interstitial_hop", "interstitial_sites", "li3n_grain_boundary", "lif_grain_boundary",
    "match_supercells", "metal_slab", "model_lattice", "si_slab", "surface_sites", "tilt_grain_boundary",
    "vacancy_hop", "void_hop", "void_sites", "zno_slab",
]
