"""Named sites and the hops between them: interstitials of the diamond lattice, vacancies, the adsorption
sites of any slab, the voids of an interface gap."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError

if TYPE_CHECKING:
    from ase import Atoms


Site = Literal["Td", "Hex", "BC"]
SurfaceSite = Literal["top", "bridge", "hollow", "fcc", "hcp"]
FloatArray = NDArray[np.float64]


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
