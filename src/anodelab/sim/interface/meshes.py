"""Structured, graded triangle meshes of layered cells (numpy only): :class:`GridMesh`, the 1-D grading
and the tensor-grid mesh of an electrolyte (and interlayer) over a flat or rough electrode.

Meshes are tensor grids split into triangles, graded geometrically towards contact edges and the
electrode so that the singular edge fields are resolved with few elements. Lengths in cm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError

#: smallest grading width, as a fraction of the feature it resolves
GRADING_WIDTH = 1e-3
#: a wide layered cell with partial contact gets up to this many columns per row (its width / height, at least 1)
MAX_ASPECT = 8.0


@dataclass(frozen=True)
class GridMesh:
    """A triangle mesh with its boundary edges named (node pairs, ordered along each boundary).

    ``edges``: ``contact`` (metal touching the electrolyte or interlayer), ``gap`` (electrode void,
    insulating), ``counter``, ``side`` (symmetry planes), ``interlayer_top`` (interior). ``interface``
    are the edges of the electrolyte's own lower boundary, in order along it, ``interface_contact``
    which of them carry current; ``metal`` and ``metal_contact`` the same for the metal's surface
    (the same edges without an interlayer). ``region`` is 0 for electrolyte, 1 for interlayer elements.
    """

    points_cm: NDArray[np.float64]
    triangles: NDArray[np.int64]
    region: NDArray[np.int8]
    edges: dict[str, NDArray[np.int64]]
    interface: NDArray[np.int64]
    interface_contact: NDArray[np.bool_]
    metal: NDArray[np.int64]
    metal_contact: NDArray[np.bool_]
    axisymmetric: bool
    width_cm: float

    @property
    def projected_area_cm2(self) -> float:
        """Electrode area under the cell: ``W`` (per cm of depth) in 2-D, ``pi W^2`` axisymmetric."""
        return math.pi * self.width_cm**2 if self.axisymmetric else self.width_cm

    @property
    def elements(self) -> int:
        return int(self.triangles.shape[1])


def check_orientation(points: NDArray[np.float64], triangles: NDArray[np.int64], what: str) -> None:
    """ValidationError naming ``what`` when a triangle is folded or degenerate (its signed area not of the
    mesh's orientation)."""
    a, b, c = (points[:, triangles[k]] for k in range(3))
    area = 0.5 * ((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    area = area * np.sign(np.sum(area))
    scale = float(np.max(np.ptp(points, axis=1))) ** 2
    if not np.all(area > 1e-14 * scale):
        raise ValidationError(what, "the mesh folds over itself here: the interlayer is thicker than the surface's "
                                    "tightest valley (radius of curvature), or the shape is too steep for the mesh")


def graded_nodes(length: float, n: int, foci: Sequence[float] = (), width: float = 0.0,
                 share: float = 0.7) -> NDArray[np.float64]:
    """About ``n`` intervals on ``[0, length]``, the foci exact nodes, spacing growing linearly (a
    geometric mesh) away from each focus from about ``width``: nodes at equal steps of
    ``F(x) = (1 - share) x / length + share sum_j G_j(x) / sum_j G_j(length)`` with
    ``G_j' = 1 / (|x - c_j| + width)``; uniform without foci."""
    foci = sorted({min(max(float(c), 0.0), length) for c in foci})
    if not foci or width <= 0:
        return np.linspace(0.0, length, max(n, 1) + 1)
    centres = np.asarray(foci)[None, :]

    def cumulative(x: NDArray[np.float64]) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)[:, None]
        below = np.log((centres + width) / (np.maximum(centres - x, 0.0) + width))
        above = np.log((np.maximum(x - centres, 0.0) + width) / width)
        return np.asarray(np.sum(below + above, axis=1), dtype=np.float64)

    scale = float(cumulative(np.array([length]))[0])

    def F(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return (1.0 - share) * x / length + share * cumulative(x) / scale

    breaks = np.unique(np.concatenate(([0.0], foci, [length])))
    levels = F(breaks)
    targets, low, high = [], [], []
    for k in range(breaks.size - 1):
        count = max(2, round(n * (levels[k + 1] - levels[k])))
        inner = np.linspace(levels[k], levels[k + 1], count + 1)[1:-1]
        targets.append(inner)
        low.append(np.full_like(inner, breaks[k]))
        high.append(np.full_like(inner, breaks[k + 1]))
    goal, a, b = np.concatenate(targets), np.concatenate(low), np.concatenate(high)
    for _ in range(64):  # F is increasing: bisection, every node at once
        middle = 0.5 * (a + b)
        below = F(middle) < goal
        a, b = np.where(below, middle, a), np.where(below, b, middle)
    return np.unique(np.concatenate((breaks, 0.5 * (a + b))))


def grid_triangles(nx: int, ny: int) -> NDArray[np.int64]:
    """Triangles of an (nx + 1) x (ny + 1) node grid numbered ``i + (nx + 1) j``, each cell split in two
    along alternating diagonals (a union-jack pattern: no preferred direction, so a transport term does
    not drift the solution sideways); the cells in the order ``i ny + j`` (twice: first and second
    halves), every triangle of one orientation."""
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    a = (i + (nx + 1) * j).ravel()
    b, c, d = a + 1, a + nx + 1, a + nx + 2
    even = ((i + j) % 2 == 0).ravel()
    first = np.where(even, np.vstack((a, b, d)), np.vstack((a, b, c)))
    second = np.where(even, np.vstack((a, d, c)), np.vstack((b, d, c)))
    return np.hstack((first, second)).astype(np.int64)


def row_edges(nx: int, j: int) -> NDArray[np.int64]:
    start = (nx + 1) * j + np.arange(nx)
    return np.vstack((start, start + 1)).astype(np.int64)


def column_edges(nx: int, ny: int, i: int) -> NDArray[np.int64]:
    start = i + (nx + 1) * np.arange(ny)
    return np.vstack((start, start + nx + 1)).astype(np.int64)


def split_counts(elements: int, aspect: float) -> tuple[int, int]:
    """Columns and rows for about ``elements`` triangles, ``aspect`` = columns / rows."""
    if isinstance(elements, bool) or not isinstance(elements, (int, np.integer)) or elements < 32:
        raise ValidationError("elements", f"must be an integer >= 32, got {elements!r}")
    rows = max(4, round(math.sqrt(elements / (2.0 * aspect))))
    return max(4, round(elements / (2.0 * rows))), rows


def _surface_nodes(x: NDArray[np.float64], surface: tuple[NDArray[np.float64], NDArray[np.float64]],
                   t: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The surface height at ``x`` and its unit normals (2, nx + 1): central differences, vertical at the
    two sides (the symmetry planes)."""
    s = np.interp(x, *surface)
    slope = np.gradient(s, x) if t > 0 else np.zeros_like(s)
    slope[[0, -1]] = 0.0
    length = np.hypot(slope, 1.0)
    return s, np.vstack((-slope / length, 1.0 / length))


def layered_mesh(width: float, contacts: NDArray[np.float64] | None, thickness: float, t: float, elements: int, *,
                 axisymmetric: bool, surface: tuple[NDArray[np.float64], NDArray[np.float64]] | None) -> GridMesh:
    """A tensor grid over [0, W] x [surface, top]: ``t`` of interlayer (offset along the surface's
    normals: a conformal layer), then ``thickness`` of electrolyte, graded towards the contacts' edges
    (``contacts``: (k, 2) intervals of x in contact; None: contact everywhere) and the electrode."""
    partial = contacts is not None
    spots = np.asarray(contacts if contacts is not None else [[0.0, width]], dtype=np.float64)
    bounds = np.unique(np.concatenate(([0.0], spots.ravel(), [width])))
    w = GRADING_WIDTH * float(np.min(np.diff(bounds)))
    aspect = min(max(width / (t + thickness), 1.0), MAX_ASPECT) if partial else 1.0
    nx, ny = split_counts(elements, aspect)
    edges_x = [e for e in spots.ravel() if 0.0 < e < width] if partial else []
    x = np.linspace(0.0, width, nx + 1) if surface is not None else graded_nodes(width, nx, edges_x, w)
    # grading in y towards the electrode only where a contact edge (or the interlayer's faces) needs it
    y_foci = ([0.0] if partial else []) + ([t] if t > 0 else [])
    y = graded_nodes(t + thickness, ny, y_foci, w if partial else GRADING_WIDTH * (t + thickness), share=0.8)
    nx, ny = x.size - 1, y.size - 1
    jt = int(np.flatnonzero(y == t)[0]) if t > 0 else 0  # the interlayer's top is a focus: a node exactly
    X, Y = np.meshgrid(x, y, indexing="xy")  # (ny + 1, nx + 1): node i + (nx + 1) j
    if surface is not None:
        s, normal = _surface_nodes(x, surface, t)
        top = t + thickness
        layer = y[: jt + 1, None]  # distance along the normal
        X[: jt + 1] = x[None, :] + layer * normal[0][None, :]
        Y[: jt + 1] = s[None, :] + layer * normal[1][None, :]
        start_x, start_y = x + t * normal[0], s + t * normal[1]
        fraction = (y[jt:, None] - t) / thickness
        X[jt:] = start_x[None, :] + fraction * (x - start_x)[None, :]
        Y[jt:] = start_y[None, :] + fraction * (top - start_y)[None, :]
    points = np.vstack((X.ravel(), Y.ravel()))
    triangles = grid_triangles(nx, ny)
    if surface is not None:
        check_orientation(points, triangles, "interlayer thickness_um" if t > 0 else "height profile")
    row = np.tile(np.arange(ny), nx)  # the grid row of each cell (see grid_triangles)
    region = (np.concatenate((row, row)) < jt).astype(np.int8)
    bottom = row_edges(nx, 0)
    midpoints = 0.5 * (x[:-1] + x[1:])
    in_contact = (np.any((midpoints[:, None] > spots[:, 0]) & (midpoints[:, None] < spots[:, 1]), axis=1)
                  if partial else np.ones(nx, dtype=bool))
    edges = {
        "contact": bottom[:, in_contact],
        "gap": bottom[:, ~in_contact],
        "counter": row_edges(nx, ny),
        "side": np.hstack((column_edges(nx, ny, 0), column_edges(nx, ny, nx))),
    }
    interface, interface_contact = bottom, in_contact
    if t > 0:
        edges["interlayer_top"] = row_edges(nx, jt)
        interface, interface_contact = edges["interlayer_top"], np.ones(nx, dtype=bool)
    return GridMesh(points, triangles, region, edges, interface, interface_contact, bottom, in_contact, axisymmetric,
                    width)
