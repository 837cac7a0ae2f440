"""A protrusion on a flat electrode: its surface as a parametric curve and the boundary-fitted mesh of
the cell around it, with an optional conformal interlayer (constant normal thickness over the
protrusion and the plane). Lengths in cm.

Shapes (height ``h``, base radius ``r``), each from its apex on the axis (``tau = 0``) to its foot on
the plane (``tau = 1``):

- ``hemisphere``: a spherical cap (a hemisphere when ``h = r``);
- ``spheroid``: half a spheroid of semi-axes ``h`` (along the axis) and ``r`` (prolate when ``h > r``);
- ``gaussian``: ``h (exp(-x^2 / 2 s^2) - exp(-r^2 / 2 s^2)) / (1 - exp(-r^2 / 2 s^2))``, ``s = r / 3``;
- ``needle``: a cylinder of radius ``r`` with a hemispherical tip, apex at ``h`` (a dendrite).

The mesh is a structured grid, index ``i`` across (from the plane, through the layer, then along the
protrusion from its foot to the apex) and ``j`` outwards (from the metal, through the layer, then to
the cell's outer boundary). The electrolyte is swept by straight columns from the layer's top (the
offset surface) to the cell's side and counter: along the surface normals for convex shapes, along
rays from the axis point at the layer's height for the Gaussian (concave near its foot). The layer is
the band of normal offsets over the protrusion and the plane, joined at the concave foot by a
quadrilateral (foot, its normal projections on both offsets, their intersection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.sim.interface.meshes import (
    GRADING_WIDTH,
    GridMesh,
    check_orientation,
    column_edges,
    graded_nodes,
    grid_triangles,
    row_edges,
    split_counts,
)

SHAPES = ("hemisphere", "spheroid", "gaussian", "needle")
#: the Gaussian bump's standard deviation as a fraction of its base radius (it is shifted to reach zero there)
GAUSSIAN_SIGMA_OF_RADIUS = 1.0 / 3.0
#: samples of a surface for inverting its parametrisation
_SAMPLES = 4097
#: the least share of a needle's columns on its hemispherical tip, where the current concentrates
TIP_SHARE = 0.4


@dataclass(frozen=True)
class Bump:
    """A protrusion's surface (see the module docstring), lengths in cm."""

    shape: str
    height_cm: float
    radius_cm: float

    def _gaussian(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        h, r = self.height_cm, self.radius_cm
        sigma = GAUSSIAN_SIGMA_OF_RADIUS * r
        floor = math.exp(-0.5 * (r / sigma) ** 2)
        e = np.exp(-0.5 * (x / sigma) ** 2)
        return h * (e - floor) / (1.0 - floor), -h * x / sigma**2 * e / (1.0 - floor)

    def _gaussian_x(self, tau: NDArray[np.float64]) -> NDArray[np.float64]:
        """The Gaussian's x at fraction ``tau`` of its arc length from the apex."""
        x = np.linspace(0.0, self.radius_cm, _SAMPLES)
        y, _ = self._gaussian(x)
        s = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))))
        return np.asarray(np.interp(tau * s[-1], s, x), dtype=np.float64)

    def point(self, tau: NDArray[np.float64]) -> NDArray[np.float64]:
        """Points (2, k) of the surface at ``tau``."""
        return self._geometry(np.asarray(tau, dtype=np.float64))[0]

    def normal(self, tau: NDArray[np.float64]) -> NDArray[np.float64]:
        """Outward unit normals (2, k) at ``tau``."""
        return self._geometry(np.asarray(tau, dtype=np.float64))[1]

    def _geometry(self, tau: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        h, r = self.height_cm, self.radius_cm
        if self.shape == "hemisphere":  # a cap: sphere of radius rho centred rho - h below the apex
            rho = (r * r + h * h) / (2.0 * h)
            phi = tau * math.asin(min(r / rho, 1.0))
            n = np.vstack((np.sin(phi), np.cos(phi)))
            return np.vstack((rho * n[0], h - rho + rho * n[1])), n
        if self.shape == "spheroid":
            phi = tau * 0.5 * math.pi
            p = np.vstack((r * np.sin(phi), h * np.cos(phi)))
            n = np.vstack((np.sin(phi) / r, np.cos(phi) / h))
            return p, n / np.hypot(*n)
        if self.shape == "gaussian":
            x = self._gaussian_x(tau)
            y, slope = self._gaussian(x)
            n = np.vstack((-slope, np.ones_like(x)))
            return np.vstack((x, y)), n / np.hypot(*n)
        tip = 0.5 * math.pi * r  # needle: the tip's arc, then the cylinder's side down to the plane
        s = tau * (tip + h - r)
        phi = np.minimum(s, tip) / r
        on_tip = s <= tip
        n = np.where(on_tip, np.vstack((np.sin(phi), np.cos(phi))), np.vstack((np.ones_like(s), np.zeros_like(s))))
        p = np.where(on_tip, np.vstack((r * n[0], h - r + r * n[1])), np.vstack((np.full_like(s, r), h - r - (s - tip))))
        return p, n

    @property
    def tip_tau(self) -> float:
        """Where a needle's hemispherical tip meets its side (0 for the other shapes)."""
        if self.shape != "needle":
            return 0.0
        tip = 0.5 * math.pi * self.radius_cm
        return tip / (tip + self.height_cm - self.radius_cm)

    @property
    def radial_columns(self) -> bool:
        """Whether the electrolyte's columns run along rays (the Gaussian: its normals cross near the foot)."""
        return self.shape == "gaussian"


def _foot_corner(bump: Bump, t: float) -> float:
    """The ``tau`` whose offset point lies at height ``t`` nearest the foot (1 without a layer)."""
    if t == 0:
        return 1.0
    tau = np.linspace(1.0, 0.0, _SAMPLES)
    height = bump.point(tau)[1] + t * bump.normal(tau)[1]
    k = int(np.argmax(height >= t))  # the first sample from the foot that reaches t
    high, low = float(tau[k - 1]), float(tau[k])  # height(high) < t <= height(low)
    for _ in range(60):
        middle = 0.5 * (low + high)
        if bump.point(np.array([middle]))[1, 0] + t * bump.normal(np.array([middle]))[1, 0] >= t:
            low = middle
        else:
            high = middle
    return low


def _directions(bump: Bump, tau: NDArray[np.float64], t: float) -> NDArray[np.float64]:
    """Unit directions of the electrolyte's columns from the offset points at ``tau``."""
    if bump.radial_columns:
        d = bump.point(tau) + t * bump.normal(tau) - np.array([[0.0], [t]])
        return np.asarray(d / np.maximum(np.hypot(*d), 1e-300), dtype=np.float64)
    return bump.normal(tau)


def _box(start: NDArray[np.float64], direction: NDArray[np.float64], width: float, top: float) -> NDArray[np.float64]:
    """Where the rays from ``start`` along ``direction`` leave the box x <= width, y <= top."""
    with np.errstate(divide="ignore", invalid="ignore"):
        side = np.where(direction[0] > 0, (width - start[0]) / direction[0], np.inf)
        counter = np.where(direction[1] > 0, (top - start[1]) / direction[1], np.inf)
    out = start + np.minimum(side, counter) * direction
    out[0] = np.minimum(out[0], width)
    out[1] = np.minimum(out[1], top)
    return np.asarray(out, dtype=np.float64)


def _column_taus(bump: Bump, tau_foot: float, count: int, t: float, width: float, top: float) -> NDArray[np.float64]:
    """``count`` + 1 parameters from the layer's foot corner to the apex (a needle's tip gets at least
    TIP_SHARE of them), one of them the column that meets the box's corner (width, top) exactly."""
    u = np.linspace(0.0, 1.0, count + 1)
    tip = bump.tip_tau
    if tip > 0:  # piecewise uniform: the side, then the tip
        share = max(TIP_SHARE, tip / tau_foot)
        taus = np.where(u < 1.0 - share, tau_foot - (tau_foot - tip) * u / (1.0 - share), tip * (1.0 - u) / share)
    else:
        taus = tau_foot * (1.0 - u)

    def on_side(tau: float) -> bool:
        x = np.array([tau])
        end = _box(bump.point(x) + t * bump.normal(x), _directions(bump, x, t), width, top)
        return bool(end[1, 0] < top * (1.0 - 1e-12))

    low, high = 0.0, tau_foot  # the apex column meets the counter; the foot's runs along the plane
    for _ in range(60):
        middle = 0.5 * (low + high)
        if on_side(middle):
            high = middle
        else:
            low = middle
    k = 1 + int(np.argmin(np.abs(taus[1:-1] - high)))
    taus[k] = high
    return taus


def bump_mesh(bump: Bump, width: float, thickness: float, t: float, elements: int, *, axisymmetric: bool) -> GridMesh:
    """The cell around the protrusion: the counter ``t + thickness`` above the plane, the side at ``width``,
    a conformal layer of thickness ``t`` (none when 0) over the protrusion and the plane."""
    n_i, n_j = split_counts(elements, 1.0)
    m = 0 if t == 0 else max(2, round(0.12 * min(n_i, n_j)))
    top = t + thickness
    tau_foot = _foot_corner(bump, t)
    taus = _column_taus(bump, tau_foot, n_i - m, t, width, top)
    xi = graded_nodes(1.0, n_j - m, (0.0,), GRADING_WIDTH * 10.0 * bump.radius_cm / max(width, top), share=0.8)
    N, n = m + taus.size - 1, m + xi.size - 1
    X, Y = np.zeros((n + 1, N + 1)), np.zeros((n + 1, N + 1))
    surface, normal = bump.point(taus), bump.normal(taus)
    offset = surface + t * normal
    ends = _box(offset, _directions(bump, taus, t), width, top)
    ends[:, 0] = (width, t)  # the first column runs along the plane's offset
    ends[:, -1] = (0.0, top)
    X[m:, m:] = offset[0][None, :] + xi[:, None] * (ends[0] - offset[0])[None, :]
    Y[m:, m:] = offset[1][None, :] + xi[:, None] * (ends[1] - offset[1])[None, :]
    if m:
        across = np.linspace(0.0, 1.0, m + 1)
        X[:m + 1, m:] = surface[0][None, :] + t * across[:, None] * normal[0][None, :]
        Y[:m + 1, m:] = surface[1][None, :] + t * across[:, None] * normal[1][None, :]
        X[m:, :m + 1], Y[m:, :m + 1] = X[m:, m][:, None], t * across[None, :]
        _corner_block(bump, tau_foot, offset[:, 0], across, X, Y)
    X[:, -1] = 0.0  # the axis exactly
    points = np.vstack((X.ravel(), Y.ravel()))
    triangles = grid_triangles(N, n)
    check_orientation(points, triangles, "interlayer thickness_um" if t > 0 else "height_um")
    return _bump_grid(points, triangles, N, n, m, width, top, axisymmetric)


def _corner_block(bump: Bump, tau_foot: float, corner: NDArray[np.float64], across: NDArray[np.float64],
                  X: NDArray[np.float64], Y: NDArray[np.float64]) -> None:
    """Fill the layer's quadrilateral at the foot (Coons patch): foot F, B on the surface below the
    offsets' intersection C, P on the plane below it; ``a`` from the plane to the normal at B, ``b``
    from the surface to the segment P C."""
    m = across.size - 1
    F = bump.point(np.array([1.0]))[:, 0]
    B = bump.point(np.array([tau_foot]))[:, 0]
    C = corner
    P = np.array([C[0], 0.0])
    a, b = np.meshgrid(across, across, indexing="xy")  # (j, i): a along i, b along j
    bottom = bump.point(1.0 - across * (1.0 - tau_foot))  # F .. B
    for k, (f, bb, c, p) in enumerate(zip(F, B, C, P, strict=True)):
        patch = ((1 - b) * bottom[k][None, :] + b * (p + across * (c - p))[None, :]
                 + (1 - a) * (f + across * (p - f))[:, None] + a * (bb + across * (c - bb))[:, None]
                 - ((1 - a) * (1 - b) * f + a * (1 - b) * bb + (1 - a) * b * p + a * b * c))
        (X if k == 0 else Y)[:m + 1, :m + 1] = patch


def _bump_grid(points: NDArray[np.float64], triangles: NDArray[np.int64], N: int, n: int, m: int, width: float,
               top: float, axisymmetric: bool) -> GridMesh:
    """Name the boundaries of the grid (see :func:`bump_mesh`)."""
    metal = np.hstack((row_edges(N, 0)[::-1, ::-1], column_edges(N, n, 0)))  # apex to foot, then along the plane
    interface = metal
    if m:
        interface = np.hstack((row_edges(N, m)[:, m:][::-1, ::-1], column_edges(N, n, m)[:, m:]))
    outer = row_edges(N, n)
    on_counter = 0.5 * (points[1, outer[0]] + points[1, outer[1]]) > top * (1.0 - 1e-12)
    edges = {
        "contact": metal,
        "gap": np.zeros((2, 0), dtype=np.int64),
        "counter": outer[:, on_counter],
        "side": np.hstack((outer[:, ~on_counter], column_edges(N, n, N))),
    }
    if m:
        edges["interlayer_top"] = interface
    i = np.repeat(np.arange(N), n)
    j = np.tile(np.arange(n), N)  # the cell order of grid_triangles
    layer = (i < m) | (j < m)
    region = np.concatenate((layer, layer)).astype(np.int8)
    every = np.ones(interface.shape[1], dtype=bool)
    return GridMesh(points, triangles, region, edges, interface, every, metal, np.ones(metal.shape[1], dtype=bool),
                    axisymmetric, width)
