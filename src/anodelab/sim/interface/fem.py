"""Finite elements for the interface potentials on scikit-fem: assembly, constraints and Newton.

Unknowns: the ionic potential ``phi`` (electrolyte and interlayer) and, in an electron-conducting
interlayer, the electronic potential ``psi``; Lagrange P1 or P2 elements on a :class:`GridMesh`, in
volts on a mesh in cm with conductivities in S/cm, so fluxes are A/cm2. The weak form of
``div(kappa grad u) = 0`` carries the weight ``2 pi r`` axisymmetrically (currents in A) and 1 in
2-D (currents in A per cm of depth). Boundary and interface conditions:

- :class:`Dirichlet`: a given potential (the metal at 0 V: equipotential contact, primary distribution);
- :class:`Flux`: a given current density entering the domain (the counter at a given current);
- :class:`Reaction`: ``i = f(eta)`` from the metal (``eta = -phi``) or the interlayer's electron
  conductor (``eta = psi - phi``) into the electrolyte, ``f`` linear or Butler-Volmer; integrated
  with Gauss points on the facets, so the law is honoured pointwise as the mesh is refined;
- :class:`Merge`: ``phi = psi`` (a reaction with no overpotential);
- :class:`Floating`: an equipotential boundary of unknown potential carrying a given total current
  (the counter at uniform potential at a given current).

Newton's method with a backtracking line search solves the nonlinear system (one step when it is
linear); where it fails, continuation in the load factor (currents and potentials applied together,
from the zero solution) steps towards the full load.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.linalg import splu

from anodelab.core.errors import ConvergenceError, MissingExtraError, ValidationError
from anodelab.sim.interface.geometry import GridMesh
from anodelab.sim.interface.kinetics import Kinetics

Field = Literal["ion", "electron"]
FIELDS: tuple[Field, ...] = ("ion", "electron")
#: a value on a boundary: a constant or a function of the coordinates (2, ...) in cm
Value = float | Callable[[NDArray[np.float64]], NDArray[np.float64]]
#: a residual within this many times machine epsilon of the sum of its row's terms is at round-off
ROUNDOFF = 16 * np.finfo(float).eps


@dataclass(frozen=True)
class Dirichlet:
    field: Field
    edges: str
    value_V: Value = 0.0


@dataclass(frozen=True)
class Flux:
    """Current density (A/cm2) entering the field's domain through ``edges``."""

    field: Field
    edges: str
    current_A_cm2: Value


@dataclass(frozen=True)
class Reaction:
    """``i = kinetics(eta)`` into the electrolyte; ``eta = psi - phi`` when ``electronic`` else ``-phi``."""

    edges: str
    kinetics: Kinetics
    electronic: bool = False


@dataclass(frozen=True)
class Merge:
    """``phi = psi`` on ``edges``."""

    edges: str


@dataclass(frozen=True)
class Floating:
    """The ionic potential uniform (unknown) on ``edges``, ``current_A`` leaving through them."""

    edges: str
    current_A: float


def require_skfem() -> Any:
    """The ``skfem`` module, or MissingExtraError naming the ``fem`` extra."""
    try:
        import skfem
    except ImportError:
        raise MissingExtraError("scikit-fem", "fem", "The interface FEM (anodelab.sim.interface)") from None
    return skfem


@dataclass(frozen=True)
class _Quadrature:
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


@dataclass(frozen=True)
class Solution:
    """The potentials (per field, every DOF) and what is needed to read currents and fields off them."""

    grid: GridMesh
    basis: Any
    potential_V: dict[Field, NDArray[np.float64]]
    stiffness: dict[Field, sp.csr_matrix]
    electrolyte_stiffness: sp.csr_matrix
    facets: dict[str, NDArray[np.int64]]
    newton_iterations: int
    continuation_steps: int

    @property
    def dofs_count(self) -> int:
        return int(self.basis.N) * len(self.potential_V)

    def edge_dofs(self, edges: str) -> NDArray[np.int64]:
        return np.asarray(self.basis.get_dofs(facets=self.facets[edges]).all(), dtype=np.int64)

    def boundary_current_A(self, edges: str) -> float:
        """Current entering the domain through ``edges`` (every field), from the discrete balance
        ``(K u)_i`` at their DOFs: the consistent flux, conserved to solver tolerance."""
        dofs = self.edge_dofs(edges)
        return float(sum(np.sum((self.stiffness[f] @ u)[dofs]) for f, u in self.potential_V.items()))

    def boundary_mean_V(self, edges: str) -> float:
        """Mean ionic potential over ``edges`` (area-weighted)."""
        q = _quadrature(self.basis, self.facets[edges], self.grid.axisymmetric)
        return float(np.sum(q.weights * (q.B @ self.potential_V["ion"])) / np.sum(q.weights))

    def interface_profile(self) -> dict[str, NDArray[Any]]:
        """Normal current density entering the electrolyte along its lower boundary, per DOF in order
        along it: the consistent nodal flux of the electrolyte's own equations over the DOF's share of
        the current-carrying surface (lumped, weighted). Columns ``s_cm`` (arc length), ``x_cm``,
        ``y_cm``, ``current_density_A_cm2``, ``area_cm2`` (that share; 0 off contact), ``contact``."""
        grid, basis = self.grid, self.basis
        skfem = require_skfem()
        edges = grid.interface
        facets = _facet_indices(basis.mesh, edges)
        lengths = np.hypot(*(grid.points_cm[:, edges[1]] - grid.points_cm[:, edges[0]]))
        s_nodes = np.concatenate(([0.0], np.cumsum(lengths)))
        chain = np.concatenate((edges[:1, 0], edges[1]))
        dofs = [basis.nodal_dofs[0, chain]]
        positions = [s_nodes]
        if basis.facet_dofs.shape[0]:
            dofs.append(basis.facet_dofs[0, facets])
            positions.append(0.5 * (s_nodes[:-1] + s_nodes[1:]))
        dof = np.concatenate(dofs).astype(np.int64)
        s = np.concatenate(positions)
        order = np.argsort(s, kind="stable")
        dof, s = dof[order], s[order]

        weight = _weight(grid.axisymmetric)

        def surface_measure(v: Any, w: Any) -> Any:
            return v * weight(w.x)

        measure = skfem.LinearForm(surface_measure)

        def lumped(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
            if not np.any(mask):
                return np.zeros(basis.N)
            return np.asarray(measure.assemble(skfem.FacetBasis(basis.mesh, basis.elem, facets=facets[mask])))

        on, off = lumped(grid.interface_contact), lumped(~grid.interface_contact)
        area = on[dof]
        share = np.where(area > 0, area, off[dof])
        flux = (self.electrolyte_stiffness @ self.potential_V["ion"])[dof]
        density = np.divide(flux, share, out=np.zeros_like(flux), where=share > 0)
        return {"s_cm": s, "x_cm": basis.doflocs[0, dof], "y_cm": basis.doflocs[1, dof],
                "current_density_A_cm2": density, "area_cm2": area, "contact": area > 0}

    def element_field_V_cm(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Per element: magnitude of the ionic field ``|grad phi|`` (mean over the element, V/cm; NaN
        where no ions move), centroid (2, elements) in cm, area in cm2."""
        gradient = self.basis.interpolate(self.potential_V["ion"]).grad  # (2, elements, points)
        dx = self.basis.dx
        area = np.sum(dx, axis=1)
        mean = np.sum(gradient * dx[None], axis=2) / area[None]
        magnitude = np.hypot(mean[0], mean[1])
        ionic = np.asarray(self.stiffness["ion"].diagonal())[self.basis.element_dofs].min(axis=0) > 0
        centroid = self.grid.points_cm[:, self.grid.triangles].mean(axis=1)
        return np.where(ionic, magnitude, np.nan), centroid, area


def _weight(axisymmetric: bool) -> Callable[[Any], Any]:
    if axisymmetric:
        return lambda x: 2.0 * math.pi * x[0]
    return lambda x: 1.0 + 0.0 * x[0]


def _facet_indices(mesh: Any, edges: NDArray[np.int64]) -> NDArray[np.int64]:
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


def _quadrature(basis: Any, facets: NDArray[np.int64], axisymmetric: bool) -> _Quadrature:
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
    weights = (fb.dx * _weight(axisymmetric)(x)).ravel()
    return _Quadrature(B, np.asarray(weights, dtype=np.float64), x.reshape(2, -1))


def _norm(values: NDArray[np.float64]) -> float:
    """The 2-norm, without overflow; inf when a value is not finite."""
    largest = float(np.max(np.abs(values), initial=0.0))
    if not math.isfinite(largest):
        return math.inf
    return largest * float(np.linalg.norm(values / largest)) if largest > 0 else 0.0


def _values(value: Value, points: NDArray[np.float64]) -> NDArray[np.float64]:
    if callable(value):
        return np.asarray(value(points), dtype=np.float64)
    return np.full(points.shape[1], float(value))


def solve_fields(
    grid: GridMesh,
    *,
    order: int,
    conductivity_S_cm: Mapping[Field, tuple[float, float]],
    dirichlet: Sequence[Dirichlet] = (),
    fluxes: Sequence[Flux] = (),
    reactions: Sequence[Reaction] = (),
    merges: Sequence[Merge] = (),
    floating: Floating | None = None,
    guess: Mapping[Field, NDArray[np.float64]] | None = None,
    rtol: float = 1e-10,
    max_iterations: int = 30,
) -> Solution:
    """Solve for the potentials. ``conductivity_S_cm[field]`` = (electrolyte, interlayer) values; a
    field exists where its conductivity is > 0. ``guess``: a start for Newton (per field, every DOF)."""
    skfem = require_skfem()
    if order not in (1, 2):
        raise ValidationError("order", f"the element order is 1 or 2, got {order!r}")
    mesh = skfem.MeshTri(grid.points_cm, grid.triangles)
    element = skfem.ElementTriP1() if order == 1 else skfem.ElementTriP2()
    basis = skfem.Basis(mesh, element)
    n = int(basis.N)
    weight = _weight(grid.axisymmetric)

    def gradients(u: Any, v: Any, w: Any) -> Any:
        return (u.grad[0] * v.grad[0] + u.grad[1] * v.grad[1]) * weight(w.x)

    laplace = skfem.BilinearForm(gradients)

    unit: dict[int, sp.csr_matrix] = {}
    for region in (0, 1):
        elements = np.flatnonzero(grid.region == region)
        if elements.size:
            unit[region] = sp.csr_matrix(laplace.assemble(skfem.Basis(mesh, element, elements=elements)))
    fields = [f for f in FIELDS if any(c > 0 and r in unit for r, c in enumerate(conductivity_S_cm.get(f, (0.0, 0.0))))]
    if "ion" not in fields:
        raise ValidationError("kappa_S_cm", "the electrolyte needs an ionic conductivity > 0")
    stiffness = {f: sp.csr_matrix(sum((c * unit[r] for r, c in enumerate(conductivity_S_cm[f]) if c > 0 and r in unit),
                                      sp.csr_matrix((n, n)))) for f in fields}
    electrolyte = sp.csr_matrix(conductivity_S_cm["ion"][0] * unit[0])
    offset = {f: k * n for k, f in enumerate(fields)}
    total = n * len(fields)
    needed: list[tuple[Field, str]] = [(d.field, d.edges) for d in dirichlet] + [(q.field, q.edges) for q in fluxes]
    needed += [("electron", m.edges) for m in merges] + [("electron", r.edges) for r in reactions if r.electronic]
    for field, edges in needed:
        if field not in offset:
            raise ValidationError("boundary conditions", f"no {field} field for the condition on {edges}")
    facets = {name: _facet_indices(mesh, edges) for name, edges in grid.edges.items() if edges.shape[1]}
    quadratures: dict[str, _Quadrature] = {}

    def quadrature(name: str) -> _Quadrature:
        if name not in quadratures:
            quadratures[name] = _quadrature(basis, facets[name], grid.axisymmetric)
        return quadratures[name]

    def edge_dofs(name: str) -> NDArray[np.int64]:
        if name not in facets:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(basis.get_dofs(facets=facets[name]).all(), dtype=np.int64)

    # constraints: the column of each DOF in the reduced unknowns (-1: fixed at U0)
    column = np.full(total, -2, dtype=np.int64)  # -2: not yet assigned
    fixed = np.zeros(total)
    for f in fields:
        active = np.zeros(n, dtype=bool)
        for r, c in enumerate(conductivity_S_cm[f]):
            if c > 0 and r in unit:
                active[np.unique(basis.element_dofs[:, grid.region == r])] = True
        column[offset[f] + np.flatnonzero(~active)] = -1
    for condition in dirichlet:
        dofs = edge_dofs(condition.edges)
        column[offset[condition.field] + dofs] = -1
        fixed[offset[condition.field] + dofs] = _values(condition.value_V, basis.doflocs[:, dofs])
    free = np.flatnonzero(column == -2)
    merged = np.unique(np.concatenate([edge_dofs(m.edges) for m in merges])) if merges else np.zeros(0, dtype=np.int64)
    float_dofs = edge_dofs(floating.edges) if floating is not None else np.zeros(0, dtype=np.int64)
    if merges:
        free = np.setdiff1d(free, offset["electron"] + merged)
    free = np.setdiff1d(free, offset["ion"] + float_dofs)
    column[free] = np.arange(free.size)
    if merges:
        if np.any(column[offset["ion"] + merged] < 0):
            raise ValidationError("boundary conditions", "a merge needs free ionic potentials")
        column[offset["electron"] + merged] = column[offset["ion"] + merged]
    float_column = free.size
    if floating is not None:
        column[offset["ion"] + float_dofs] = float_column
    n_red = free.size + (floating is not None)
    rows = np.flatnonzero(column >= 0)
    P = sp.csr_matrix((np.ones(rows.size), (rows, column[rows])), shape=(total, n_red))
    K = sp.csr_matrix(sp.block_diag([stiffness[f] for f in fields], format="csr"))
    A0 = sp.csc_matrix(P.T @ K @ P)
    magnitude = abs(A0)

    load = np.zeros(total)
    for flux in fluxes:
        q = quadrature(flux.edges)
        load[offset[flux.field]:offset[flux.field] + n] += q.integrate(_values(flux.current_A_cm2, q.points_cm))
    base = P.T @ (load - K @ fixed)  # the linear part of -G at u = 0, scaled by the load factor
    if floating is not None:
        base[float_column] -= floating.current_A
    reacting = [(quadrature(r.edges), r) for r in reactions]
    scale = float(np.sum(np.abs(base))) + (abs(floating.current_A) if floating is not None else 0.0)
    if scale == 0:
        scale = 1.0

    def full(u: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
        return np.asarray(P @ u + lam * fixed, dtype=np.float64)

    def residual(u: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
        U = full(u, lam)
        R = np.zeros(total)
        for q, r in reacting:
            phi = q.B @ U[offset["ion"]:offset["ion"] + n]
            psi = q.B @ U[offset["electron"]:offset["electron"] + n] if r.electronic else 0.0
            current = q.integrate(r.kinetics.current_A_cm2(psi - phi))
            R[offset["ion"]:offset["ion"] + n] += current
            if r.electronic:
                R[offset["electron"]:offset["electron"] + n] -= current
        return np.asarray(A0 @ u - lam * base - P.T @ R, dtype=np.float64)

    def jacobian(u: NDArray[np.float64], lam: float) -> sp.csc_matrix:
        if not reacting:
            return A0
        U = full(u, lam)
        J = sp.csr_matrix((total, total))
        for q, r in reacting:
            phi = q.B @ U[offset["ion"]:offset["ion"] + n]
            psi = q.B @ U[offset["electron"]:offset["electron"] + n] if r.electronic else 0.0
            M = q.mass(r.kinetics.slope_S_cm2(psi - phi)).tocoo()
            pairs: list[tuple[Field, Field, float]] = [("ion", "ion", 1.0)]
            if r.electronic:
                pairs += [("ion", "electron", -1.0), ("electron", "ion", -1.0), ("electron", "electron", 1.0)]
            for a, b, sign in pairs:
                J = J + sp.csr_matrix((sign * M.data, (M.row + offset[a], M.col + offset[b])), shape=(total, total))
        return sp.csc_matrix(A0 + P.T @ J @ P)

    def newton(u: NDArray[np.float64], lam: float) -> tuple[NDArray[np.float64], int, bool]:
        """Damped Newton at load factor ``lam``: (solution, iterations, converged)."""
        G = residual(u, lam)
        for iteration in range(max_iterations + 1):
            # summed over the DOFs (what current conservation sees): the tolerance, or the round-off
            # of the residual's terms where that is above it
            tolerance = max(rtol * scale * lam, ROUNDOFF * float(np.sum(magnitude @ np.abs(u))))
            if np.sum(np.abs(G)) <= tolerance:
                return u, iteration, True
            if iteration == max_iterations:
                break
            # the Jacobian is symmetric positive definite: symmetric ordering, no pivoting
            step = splu(jacobian(u, lam), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                        options={"SymmetricMode": True}).solve(-G)
            norm, t = _norm(G), 1.0
            while True:
                trial = u + t * step
                G_trial = residual(trial, lam)
                if _norm(G_trial) <= (1.0 - 1e-4 * t) * norm:
                    break
                t *= 0.5
                if t < 1e-8:  # stalled: converged only if at round-off near the tolerance
                    return u, iteration + 1, bool(np.sum(np.abs(G)) <= 1e3 * tolerance)
            u, G = trial, G_trial
        return u, max_iterations, False

    start = np.zeros(n_red)
    if guess is not None:
        U = np.concatenate([np.asarray(guess[f], dtype=np.float64) for f in fields])
        start[column[rows]] = U[rows]
    u, iterations, converged = newton(start, 1.0)
    steps = 1
    if not converged:  # continuation in the load factor from the zero solution, in geometric steps
        u, lam, target, factor = np.zeros(n_red), 0.0, 1e-3, 4.0
        while lam < 1.0:
            trial, its, ok = newton(u, target)
            iterations += its
            if ok:
                u, lam, steps = trial, target, steps + 1
                factor = min(factor * factor, 100.0)
            elif lam == 0.0 and target > 1e-12:
                target *= 0.1
                continue
            else:
                factor = math.sqrt(factor)
                if factor < 1.001:
                    raise ConvergenceError(f"Newton did not converge at {lam:.3g} of the applied load "
                                           f"({iterations} iterations); refine the mesh or lower the current")
            target = min(1.0, lam * factor)
    U = full(u, 1.0)
    potential = {f: U[offset[f]:offset[f] + n] for f in fields}
    return Solution(grid, basis, potential, stiffness, electrolyte, facets, iterations, steps)
