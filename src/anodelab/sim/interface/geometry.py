"""Parametrised interface geometries and their structured, graded triangle meshes (numpy only).

Every geometry is an electrolyte layer above a metal electrode, in a 2-D planar (per unit depth) or
axisymmetric (r, z) cross-section; ``x`` runs along the electrode (``x = 0`` a symmetry plane or the
axis), ``y`` away from it, up to the counter boundary; the side ``x = W`` is a symmetry plane
(insulating). Lengths are given in micrometres and meshed in centimetres (conductivities in S/cm).

- :class:`Strips`: periodic contact strips of contact fraction ``f`` and period ``p`` (half a period
  meshed, the strip centred on ``x = 0``); the rest of the electrode is a void (insulating).
- :class:`Disk`: one contact disk of radius ``a`` in a cell of radius ``b`` (axisymmetric).
- :class:`Protrusion`: a hemispherical cap or Gaussian bump of height ``h`` and base radius ``r`` on a
  flat electrode, meshed in polar coordinates about its foot so that the mesh follows the surface.
- :class:`Profile`: a rough surface from a height profile the user gives (e.g. a profilometry line).
- :class:`Interlayer`: a layer of thickness ``t`` between the metal and the electrolyte of
  :class:`Strips`, :class:`Disk` or :class:`Profile`, with ionic and (for mixed conduction)
  electronic conductivity.

Meshes are tensor (or polar) grids split into triangles, graded geometrically towards contact edges
and the electrode so that the singular edge fields are resolved with few elements.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.errors import ValidationError
from anodelab.models.kinetics import check_positive

UM_TO_CM = 1e-4
SHAPES = ("hemisphere", "gaussian")
Shape = Literal["hemisphere", "gaussian"]
#: smallest grading width, as a fraction of the feature it resolves
GRADING_WIDTH = 1e-3
#: the Gaussian bump's standard deviation as a fraction of its base radius (it is shifted to reach zero there)
GAUSSIAN_SIGMA_OF_RADIUS = 1.0 / 3.0


@dataclass(frozen=True)
class Interlayer:
    """A layer of thickness ``thickness_um`` between the metal and the electrolyte.

    ``kappa_S_cm`` is its ionic conductivity; ``sigma_S_cm`` its electronic conductivity (0: a pure
    ion conductor; > 0: a mixed conductor, or with ``kappa_S_cm = 0`` an electron conductor, on whose
    top surface metal ions also react, with exchange current density ``i0_mA_cm2``, default the
    electrode's).
    """

    thickness_um: float
    kappa_S_cm: float
    sigma_S_cm: float = 0.0
    i0_mA_cm2: float | None = None

    def __post_init__(self) -> None:
        check_positive("interlayer thickness_um", self.thickness_um)
        check_positive("interlayer kappa_S_cm", self.kappa_S_cm, allow_zero=True)
        check_positive("interlayer sigma_S_cm", self.sigma_S_cm, allow_zero=True)
        if self.kappa_S_cm == 0 and self.sigma_S_cm == 0:
            raise ValidationError("interlayer", "needs an ionic (kappa_S_cm) or electronic (sigma_S_cm) conductivity > 0")
        if self.i0_mA_cm2 is not None:
            check_positive("interlayer i0_mA_cm2", self.i0_mA_cm2)

    @property
    def electronic(self) -> bool:
        """Whether electrons move in the layer (metal deposits on its top surface too)."""
        return self.sigma_S_cm > 0


@dataclass(frozen=True)
class GridMesh:
    """A triangle mesh with its boundary edges named (node pairs, ordered along each boundary).

    ``edges``: ``contact`` (metal touching the electrolyte or interlayer), ``gap`` (electrode void,
    insulating), ``counter``, ``side`` (symmetry planes), ``interlayer_top`` (interior). ``interface``
    are the edges of the electrolyte's own lower boundary, in order along it, ``interface_contact``
    which of them carry current. ``region`` is 0 for electrolyte, 1 for interlayer elements.
    """

    points_cm: NDArray[np.float64]
    triangles: NDArray[np.int64]
    region: NDArray[np.int8]
    edges: dict[str, NDArray[np.int64]]
    interface: NDArray[np.int64]
    interface_contact: NDArray[np.bool_]
    axisymmetric: bool
    width_cm: float

    @property
    def projected_area_cm2(self) -> float:
        """Electrode area under the cell: ``W`` (per cm of depth) in 2-D, ``pi W^2`` axisymmetric."""
        return math.pi * self.width_cm**2 if self.axisymmetric else self.width_cm

    @property
    def elements(self) -> int:
        return int(self.triangles.shape[1])


@dataclass(frozen=True)
class Strips:
    """Periodic contact strips: contact fraction ``contact_fraction`` of period ``period_um``, under an
    electrolyte of thickness ``thickness_um`` (and an optional interlayer)."""

    contact_fraction: float
    period_um: float
    thickness_um: float
    interlayer: Interlayer | None = None
    name: str = field(default="strips", init=False)
    axisymmetric: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        f = check_positive("contact_fraction", self.contact_fraction)
        if f > 1:
            raise ValidationError("contact_fraction", f"must lie in (0, 1], got {self.contact_fraction!r}")
        check_positive("period_um", self.period_um)
        check_positive("thickness_um", self.thickness_um)

    def mesh(self, elements: int) -> GridMesh:
        width = 0.5 * self.period_um * UM_TO_CM
        edge = self.contact_fraction * width
        return _layered_mesh(width, edge, self.thickness_um * UM_TO_CM, self.interlayer, elements,
                             axisymmetric=False, surface=None)


@dataclass(frozen=True)
class Disk:
    """One contact disk of radius ``radius_um`` in a cell of radius ``cell_radius_um`` (axisymmetric)."""

    radius_um: float
    cell_radius_um: float
    thickness_um: float
    interlayer: Interlayer | None = None
    name: str = field(default="disk", init=False)
    axisymmetric: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        check_positive("radius_um", self.radius_um)
        check_positive("cell_radius_um", self.cell_radius_um)
        check_positive("thickness_um", self.thickness_um)
        if self.radius_um > self.cell_radius_um:
            raise ValidationError("radius_um", f"the disk ({self.radius_um} um) must fit in the cell "
                                               f"(cell_radius_um {self.cell_radius_um})")

    def mesh(self, elements: int) -> GridMesh:
        return _layered_mesh(self.cell_radius_um * UM_TO_CM, self.radius_um * UM_TO_CM, self.thickness_um * UM_TO_CM,
                             self.interlayer, elements, axisymmetric=True, surface=None)


@dataclass(frozen=True)
class Protrusion:
    """A protrusion of height ``height_um`` and base radius ``radius_um`` centred on ``x = 0`` of a flat
    electrode, the counter at ``thickness_um`` above the electrode's plane, the cell
    ``cell_radius_um`` wide (half-width in 2-D; default ten radii).

    ``shape``: ``hemisphere`` (a spherical cap; a hemisphere when height = radius) or ``gaussian``
    (``h (exp(-x^2 / 2 s^2) - exp(-r^2 / 2 s^2)) / (1 - exp(-r^2 / 2 s^2))``, ``s = r / 3``, zero at the
    base radius). ``axisymmetric``: a bump (True, default) or a ridge (False, 2-D).
    """

    height_um: float
    radius_um: float
    thickness_um: float
    shape: Shape = "hemisphere"
    cell_radius_um: float | None = None
    axisymmetric: bool = True
    name: str = field(default="protrusion", init=False)
    interlayer: None = field(default=None, init=False)

    def __post_init__(self) -> None:
        h = check_positive("height_um", self.height_um)
        r = check_positive("radius_um", self.radius_um)
        L = check_positive("thickness_um", self.thickness_um)
        if self.shape not in SHAPES:
            raise ValidationError("shape", f"must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        if not 0.05 <= h / r <= 5.0:
            raise ValidationError("height_um", f"height / radius must lie in [0.05, 5] for the mesh, got {h / r:.3g}")
        if self.shape == "hemisphere" and h > r:
            raise ValidationError("height_um", "a spherical cap is at most a hemisphere (height <= radius)")
        if L < 1.5 * h:
            raise ValidationError("thickness_um", f"the counter must stand well above the protrusion (>= 1.5 height), got {L}")
        if self.cell_radius_um is not None and check_positive("cell_radius_um", self.cell_radius_um) < 1.5 * r:
            raise ValidationError("cell_radius_um", f"must be >= 1.5 radius_um, got {self.cell_radius_um}")

    @property
    def width_um(self) -> float:
        return 10.0 * self.radius_um if self.cell_radius_um is None else self.cell_radius_um

    def surface_radius(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """Distance from the protrusion's foot centre to its surface along the ray at angle ``theta``
        from the electrode plane (cm)."""
        h, r = self.height_um * UM_TO_CM, self.radius_um * UM_TO_CM
        sin, cos = np.sin(theta), np.cos(theta)
        if self.shape == "hemisphere":
            sphere = (r * r + h * h) / (2.0 * h)
            d = sphere - h  # the sphere's centre lies d below the plane
            return np.asarray(-d * sin + np.sqrt((d * sin) ** 2 + r * r), dtype=np.float64)
        sigma = GAUSSIAN_SIGMA_OF_RADIUS * r
        floor = math.exp(-0.5 * (r / sigma) ** 2)

        def height(x: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.asarray(h * (np.exp(-0.5 * (x / sigma) ** 2) - floor) / (1.0 - floor), dtype=np.float64)

        low = np.zeros_like(theta)
        high = np.minimum(r / np.maximum(cos, 1e-300), h / np.maximum(sin, 1e-300))
        for _ in range(80):  # the height falls and the ray rises along x: one crossing
            middle = 0.5 * (low + high)
            inside = height(np.minimum(middle * cos, r)) > middle * sin
            low, high = np.where(inside, middle, low), np.where(inside, high, middle)
        return 0.5 * (low + high)

    def mesh(self, elements: int) -> GridMesh:
        return _polar_mesh(self, elements)


@dataclass(frozen=True)
class Profile:
    """A rough electrode from a height profile (``x_um`` increasing, ``height_um``), under an
    electrolyte of mean thickness ``thickness_um`` (measured from the profile's mean height)."""

    x_um: tuple[float, ...]
    height_um: tuple[float, ...]
    thickness_um: float
    interlayer: Interlayer | None = None
    name: str = field(default="profile", init=False)
    axisymmetric: bool = field(default=False, init=False)

    def __init__(self, x_um: ArrayLike, height_um: ArrayLike, thickness_um: float,
                 interlayer: Interlayer | None = None) -> None:
        x = np.asarray(x_um, dtype=np.float64).ravel()
        z = np.asarray(height_um, dtype=np.float64).ravel()
        if x.size < 2 or x.size != z.size:
            raise ValidationError("height profile", f"needs two or more (x, height) pairs of equal length, got {x.size} and {z.size}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
            raise ValidationError("height profile", "x and height must be finite numbers")
        if np.any(np.diff(x) <= 0):
            raise ValidationError("height profile", "x_um must increase strictly")
        check_positive("thickness_um", thickness_um)
        relief = float(np.max(z) - np.mean(z))
        if thickness_um <= 1.5 * relief:
            raise ValidationError("thickness_um", f"the counter must stand well above the highest peak "
                                                  f"(> 1.5 x {relief:.4g} um above the mean height), got {thickness_um}")
        object.__setattr__(self, "x_um", tuple(float(v) for v in x))
        object.__setattr__(self, "height_um", tuple(float(v) for v in z))
        object.__setattr__(self, "thickness_um", float(thickness_um))
        object.__setattr__(self, "interlayer", interlayer)
        object.__setattr__(self, "name", "profile")
        object.__setattr__(self, "axisymmetric", False)

    def mesh(self, elements: int) -> GridMesh:
        x = (np.asarray(self.x_um) - self.x_um[0]) * UM_TO_CM
        z = np.asarray(self.height_um) * UM_TO_CM
        z = z - np.mean(z)
        return _layered_mesh(float(x[-1]), None, self.thickness_um * UM_TO_CM, self.interlayer, elements,
                             axisymmetric=False, surface=(x, z))


Geometry = Strips | Disk | Protrusion | Profile


def geometry_dict(geometry: Geometry) -> dict[str, Any]:
    """The geometry's parameters, JSON-ready (lengths in um)."""
    out: dict[str, Any] = {"name": geometry.name, "axisymmetric": geometry.axisymmetric}
    for key, value in vars(geometry).items():
        if key in out:
            continue
        out[key] = vars(value) if isinstance(value, Interlayer) else (list(value) if isinstance(value, tuple) else value)
    return out


# -- 1-D grading -----------------------------------------------------------------------------------------


def graded_nodes(length: float, n: int, foci: Sequence[float] = (), width: float = 0.0,
                 share: float = 0.7) -> NDArray[np.float64]:
    """About ``n`` intervals on ``[0, length]``, the foci exact nodes, spacing growing linearly (a
    geometric mesh) away from each focus from about ``width``: nodes at equal steps of
    ``F(x) = (1 - share) x / length + share sum_j G_j(x) / sum_j G_j(length)`` with
    ``G_j' = 1 / (|x - c_j| + width)``; uniform without foci."""
    foci = sorted({min(max(float(c), 0.0), length) for c in foci})
    if not foci or width <= 0:
        return np.linspace(0.0, length, max(n, 1) + 1)

    def cumulative(x: NDArray[np.float64]) -> NDArray[np.float64]:
        total = np.zeros_like(x)
        for c in foci:
            below = np.log((c + width) / (np.maximum(c - x, 0.0) + width))
            above = np.log((np.maximum(x - c, 0.0) + width) / width)
            total += below + above
        return total

    scale = float(cumulative(np.array([length]))[0])

    def F(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return (1.0 - share) * x / length + share * cumulative(x) / scale

    breaks = np.unique(np.concatenate(([0.0], foci, [length])))
    levels = F(breaks)
    nodes = [np.array([0.0])]
    for k in range(breaks.size - 1):
        count = max(2, round(n * (levels[k + 1] - levels[k])))
        targets = np.linspace(levels[k], levels[k + 1], count + 1)[1:-1]
        low, high = np.full_like(targets, breaks[k]), np.full_like(targets, breaks[k + 1])
        for _ in range(64):  # F is increasing: bisection
            middle = 0.5 * (low + high)
            below = F(middle) < targets
            low, high = np.where(below, middle, low), np.where(below, high, middle)
        nodes += [0.5 * (low + high), np.array([breaks[k + 1]])]
    return np.concatenate(nodes)


# -- meshes ----------------------------------------------------------------------------------------------


def _grid_triangles(nx: int, ny: int) -> NDArray[np.int64]:
    """Triangles of an (nx + 1) x (ny + 1) node grid numbered ``i + (nx + 1) j``, each cell split in two."""
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    a = (i + (nx + 1) * j).ravel()
    b, c, d = a + 1, a + nx + 1, a + nx + 2
    return np.hstack((np.vstack((a, b, d)), np.vstack((a, d, c)))).astype(np.int64)


def _row_edges(nx: int, j: int) -> NDArray[np.int64]:
    start = (nx + 1) * j + np.arange(nx)
    return np.vstack((start, start + 1)).astype(np.int64)


def _column_edges(nx: int, ny: int, i: int) -> NDArray[np.int64]:
    start = i + (nx + 1) * np.arange(ny)
    return np.vstack((start, start + nx + 1)).astype(np.int64)


def _split_counts(elements: int, aspect: float) -> tuple[int, int]:
    """Columns and rows for about ``elements`` triangles, ``aspect`` = columns / rows."""
    if isinstance(elements, bool) or not isinstance(elements, (int, np.integer)) or elements < 32:
        raise ValidationError("elements", f"must be an integer >= 32, got {elements!r}")
    rows = max(4, round(math.sqrt(elements / (2.0 * aspect))))
    return max(4, round(elements / (2.0 * rows))), rows


def _layered_mesh(width: float, contact_edge: float | None, thickness: float, interlayer: Interlayer | None,
                  elements: int, *, axisymmetric: bool,
                  surface: tuple[NDArray[np.float64], NDArray[np.float64]] | None) -> GridMesh:
    """A tensor grid over [0, W] x [surface, top]: interlayer rows then electrolyte rows, graded
    towards the contact edge (at ``contact_edge``; none when the contact is whole) and the electrode."""
    t = interlayer.thickness_um * UM_TO_CM if interlayer is not None else 0.0
    partial = contact_edge is not None and contact_edge < width * (1.0 - 1e-12)
    feature = min(contact_edge, width - contact_edge) if partial and contact_edge is not None else width
    w = GRADING_WIDTH * feature
    nx, ny = _split_counts(elements, 1.0)
    if surface is not None:
        x = np.linspace(0.0, width, nx + 1)
    else:
        x = graded_nodes(width, nx, (contact_edge,) if partial and contact_edge is not None else (), w)
    # grading in y towards the electrode only where a contact edge (or the interlayer's faces) needs it
    y_foci = ([0.0] if partial else []) + ([t] if t > 0 else [])
    y = graded_nodes(t + thickness, ny, y_foci, w if partial else GRADING_WIDTH * (t + thickness), share=0.8)
    nx, ny = x.size - 1, y.size - 1
    jt = int(np.flatnonzero(y == t)[0]) if t > 0 else 0  # the interlayer's top is a focus: a node exactly
    X, Y = np.meshgrid(x, y, indexing="xy")  # (ny + 1, nx + 1): node i + (nx + 1) j
    if surface is not None:
        s = np.interp(x, *surface)
        top = t + thickness
        below = Y <= t
        Y = np.where(below, s[None, :] + Y, s[None, :] + t + (Y - t) * (top - t - s[None, :]) / (top - t))
    points = np.vstack((X.ravel(), Y.ravel()))
    triangles = _grid_triangles(nx, ny)
    row = np.tile(np.arange(ny), nx)  # the grid row of each cell (see _grid_triangles)
    region = (np.concatenate((row, row)) < jt).astype(np.int8)
    bottom = _row_edges(nx, 0)
    midpoints = 0.5 * (x[:-1] + x[1:])
    in_contact = midpoints < contact_edge if partial and contact_edge is not None else np.ones(nx, dtype=bool)
    edges = {
        "contact": bottom[:, in_contact],
        "gap": bottom[:, ~in_contact],
        "counter": _row_edges(nx, ny),
        "side": np.hstack((_column_edges(nx, ny, 0), _column_edges(nx, ny, nx))),
    }
    if t > 0:
        edges["interlayer_top"] = _row_edges(nx, jt)
        interface, interface_contact = edges["interlayer_top"], np.ones(nx, dtype=bool)
    else:
        interface, interface_contact = bottom, in_contact
    return GridMesh(points, triangles, region, edges, interface, interface_contact, axisymmetric, width)


def _polar_mesh(p: Protrusion, elements: int) -> GridMesh:
    """Rays from the protrusion's foot centre: ``xi`` from its surface (or the plane, at angle 0) to the
    cell's outer boundary (side ``x = W``, then the counter ``y = L``), angle 0 .. pi/2 (the axis)."""
    W, H = p.width_um * UM_TO_CM, p.thickness_um * UM_TO_CM
    r = p.radius_um * UM_TO_CM
    n_xi, n_theta = _split_counts(elements, 1.0)
    corner = math.atan2(H, W)
    theta = graded_nodes(0.5 * math.pi, n_theta, (corner,), 1.0, share=0.0)  # uniform, the box corner a node
    # first spacing along the rays about GRADING_WIDTH radii at the surface, growing geometrically
    xi = graded_nodes(1.0, n_xi, (0.0,), GRADING_WIDTH * 10.0 * r / max(W, H), share=0.8)
    n_xi, n_theta = xi.size - 1, theta.size - 1
    inner = p.surface_radius(theta)
    outer = np.where(theta <= corner, W / np.cos(theta), H / np.maximum(np.sin(theta), 1e-300))
    R = inner[None, :] + xi[:, None] * (outer - inner)[None, :]  # (n_xi + 1, n_theta + 1)
    X, Y = R * np.cos(theta)[None, :], R * np.sin(theta)[None, :]
    X[:, -1] = 0.0  # the axis exactly
    Y[:, 0] = 0.0   # the plane exactly
    X[-1, theta <= corner] = W
    Y[-1, theta >= corner] = H
    # node i + (n_theta + 1) j for angle i, ray fraction j
    points = np.vstack((X.ravel(), Y.ravel()))
    triangles = _grid_triangles(n_theta, n_xi)
    surface = _row_edges(n_theta, 0)[::-1, ::-1]  # from the axis (apex) down to the foot
    plane = _column_edges(n_theta, n_xi, 0)           # from the foot out along the plane
    outer_edges = _row_edges(n_theta, n_xi)
    mid_theta = 0.5 * (theta[:-1] + theta[1:])
    interface = np.hstack((surface, plane))
    edges = {
        "contact": interface,
        "gap": np.zeros((2, 0), dtype=np.int64),
        "counter": outer_edges[:, mid_theta > corner],
        "side": np.hstack((outer_edges[:, mid_theta < corner], _column_edges(n_theta, n_xi, n_theta))),
    }
    return GridMesh(points, triangles, np.zeros(triangles.shape[1], dtype=np.int8), edges, interface,
                    np.ones(interface.shape[1], dtype=bool), p.axisymmetric, W)
