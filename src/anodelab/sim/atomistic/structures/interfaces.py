"""Coincident supercells of two slabs with the smallest strain within an atom budget, and the
heterointerface built on them (one side strained onto the other)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ase import Atoms


FloatArray = NDArray[np.float64]


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
    supercells_b = list(_distinct_supercells(cell_b, n_b_max, orderings=True))
    inverse_b = np.linalg.inv(np.transpose(np.array([vectors for *_, vectors in supercells_b]), (0, 2, 1)))
    n_b_all = np.array([n for n, *_ in supercells_b])
    area_b = abs(float(np.linalg.det(cell_b)))
    best: tuple[tuple[float, int], SupercellMatch] | None = None
    for n_a, ma, va in _distinct_supercells(cell_a, n_a_max, orderings=False):
        allowed = n_a * len(slab_a) + n_b_all * len(slab_b) <= max_atoms
        ratio = abs(float(np.linalg.det(va))) / area_b
        candidates = np.nonzero(allowed & (np.abs(ratio - n_b_all) <= ratio * 2.1 * max_strain))[0]
        if not len(candidates):
            continue
        deformation = va.T[None, :, :] @ inverse_b[candidates]  # F with F vb_i = va_i, for each b basis
        stretches = np.linalg.svd(deformation, compute_uv=False)
        strain_b = np.max(np.abs(stretches - 1), axis=1)
        for m in np.nonzero(strain_b <= max_strain)[0]:
            k = int(candidates[m])
            key = (round(float(strain_b[m]), 4), int(n_a * len(slab_a) + n_b_all[k] * len(slab_b)))
            if best is None or key < best[0]:
                match = SupercellMatch(_pair(ma), _pair(supercells_b[k][1]),
                                       (float(stretches[m, 0]), float(stretches[m, 1])),
                                       float(np.max(np.abs(1 / stretches[m] - 1))), float(strain_b[m]),
                                       abs(float(np.linalg.det(va))), key[1])
                best = (key, match)
    if best is None:
        raise ValidationError("max_atoms", f"no coincident supercells within {max_atoms} atoms and "
                                           f"{max_strain:.1%} strain: raise max_atoms or max_strain")
    return best[1]


def _distinct_supercells(cell2: FloatArray, n_max: int, *, orderings: bool
                         ) -> Iterator[tuple[int, NDArray[np.int64], FloatArray]]:
    """(n, integer basis, canonical vectors) of the supercells of ``cell2`` of 1 to ``n_max`` cells, one per
    shape (the same shape from another sublattice pairs no differently), Lagrange-reduced; with
    ``orderings`` each reduced basis in each of its equivalent orderings too."""
    seen: set[tuple[float, ...]] = set()
    for n in range(1, n_max + 1):
        for hnf in _hnf(n):
            reduced = _reduce(hnf, cell2)
            for basis in _equivalent_bases(reduced, cell2) if orderings else [reduced]:
                vectors = _canonical((basis @ cell2).astype(float))
                shape = tuple(np.round(vectors, 6).ravel().tolist())
                if shape not in seen:
                    seen.add(shape)
                    yield n, basis, vectors


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
