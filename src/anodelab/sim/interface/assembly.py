"""Assembly helpers of the interface FEM on scikit-fem: the import of scikit-fem (or the missing
extra named), the weight of axisymmetric integrals, facets of named edges and Gauss quadrature on
them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from anodelab.core.errors import MissingExtraError, ValidationError
from anodelab.sim.interface.conditions import Value


def require_skfem() -> Any:
    """The ``skfem`` module, or MissingExtraError naming the ``fem`` extra."""
    try:
        import skfem
    except ImportError:
        raise MissingExtraError("scikit-fem", "fem", "The interface FEM (anodelab.sim.interface)") from None
    return skfem


@dataclass(frozen=True)
class Quadrature:
    """Facet Gauss points of an edge set: values ``B`` (points x DOFs), weights (ds, times 2 pi r), points."""

    B: sp.csr_matrix
    weights: NDArray[np.float64]
    points_cm: NDArray[np.float64]

    def integrate(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """``int values v_i`` for every DOF ``i``."""
        return np.asarray(self.B.T @ (self.weights * values), dtype=np.float64)

    def mass(self, values: NDArray[np.float64]) -> sp.csr_matrix:
        """``int values u v``."""
        return sp.csr_matrix(self.B.T @ sp.diags(self.weights * values) @ self.B)


def weight(axisymmetric: bool) -> Callable[[Any], Any]:
    if axisymmetric:
        return lambda x: 2.0 * math.pi * x[0]
    return lambda x: 1.0 + 0.0 * x[0]


def facet_indices(mesh: Any, edges: NDArray[np.int64]) -> NDArray[np.int64]:
    """Indices into ``mesh.facets`` of the edges given as node pairs."""
    n = mesh.p.shape[1]
    keys = np.sort(mesh.facets, axis=0)
    keys = keys[0].astype(np.int64) * n + keys[1]
    wanted = np.sort(edges, axis=0)
    wanted = wanted[0] * n + wanted[1]
    order = np.argsort(keys)
    found = order[np.searchsorted(keys, wanted, sorter=order).clip(0, keys.size - 1)]
    if not np.array_equal(keys[found], wanted):
        raise ValidationError("mesh", "a boundary edge is not an edge of the mesh")
    return np.asarray(found, dtype=np.int64)


def quadrature(basis: Any, facets: NDArray[np.int64], axisymmetric: bool) -> Quadrature:
    skfem = require_skfem()
    order = 2 * basis.elem.maxdeg + 2
    fb = skfem.FacetBasis(basis.mesh, basis.elem, facets=facets, intorder=order)
    nf, nq = fb.dx.shape
    rows = np.arange(nf * nq).reshape(nf, nq)
    data, r, c = [], [], []
    for i, (phi, *_) in enumerate(fb.basis):
        data.append(np.asarray(phi).ravel())
        r.append(rows.ravel())
        c.append(np.repeat(fb.element_dofs[i], nq))
    B = sp.csr_matrix((np.concatenate(data), (np.concatenate(r), np.concatenate(c))), shape=(nf * nq, basis.N))
    x = np.asarray(fb.global_coordinates())
    weights = (fb.dx * weight(axisymmetric)(x)).ravel()
    return Quadrature(B, np.asarray(weights, dtype=np.float64), x.reshape(2, -1))


def values(value: Value, points: NDArray[np.float64]) -> NDArray[np.float64]:
    if callable(value):
        return np.asarray(value(points), dtype=np.float64)
    return np.full(points.shape[1], float(value))
