"""Finite elements for the interface fields on scikit-fem: discretisation, constraints and the
nonlinear system that :mod:`anodelab.sim.interface.newton` solves.

Unknowns: the ionic potential ``phi`` (electrolyte and interlayer), in an electron-conducting
interlayer the electronic potential ``psi``, and with Nernst-Planck transport (:class:`SaltTransport`)
the salt field ``delta = c / c0 - 1`` in the electrolyte; Lagrange P1 or P2 elements on a
:class:`GridMesh`, in volts on a mesh in cm with conductivities in S/cm, so fluxes are A/cm2. The weak
form of ``div(kappa grad u) = 0`` carries the weight ``2 pi r`` axisymmetrically (currents in A) and 1
in 2-D (currents in A per cm of depth). Boundary and interface conditions:

- :class:`Dirichlet`: a given value (the metal at 0 V: equipotential contact, primary distribution;
  the bulk concentration at a reservoir);
- :class:`Flux`: a given current density entering the domain (the counter at a given current);
- :class:`Reaction`: ``i = (c / c0)^gamma f(eta)`` from the metal (``eta = -phi``) or the interlayer's
  electron conductor (``eta = psi - phi``) into the electrolyte, ``f`` linear or Butler-Volmer;
  integrated with Gauss points on the facets, so the law is honoured pointwise as the mesh is refined;
- :class:`Merge`: ``phi = psi`` (a reaction with no overpotential);
- :class:`Floating`: an equipotential boundary of unknown potential carrying a given total current
  (the counter at uniform potential at a given current).

With :class:`SaltTransport`, ``phi`` is the potential of a cation-reversible reference electrode in
the solution (so the kinetics see the surface overpotential) and the electrolyte carries
``i = -kappa (1 + delta) grad phi + kappa beta grad delta`` (``kappa`` the conductivity at ``c0``,
proportional to ``c``; ``beta = 2 t_- R T / F``) and the anion flux ``F N_- = -F D c0 grad delta - t_- i``,
zero through every boundary but a reservoir's; with the salt conserved (no reservoir) a Lagrange
multiplier holds the mean concentration at ``c0``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError
from anodelab.sim.interface import newton
from anodelab.sim.interface.assembly import (
    Quadrature,
    facet_indices,
    quadrature,
    require_skfem,
    values,
    weight,
)
from anodelab.sim.interface.conditions import (
    FIELDS,
    Dirichlet,
    Field,
    Floating,
    Flux,
    Merge,
    Reaction,
    SaltTransport,
)
from anodelab.sim.interface.meshes import GridMesh
from anodelab.sim.interface.solution import Solution

__all__ = ["Dirichlet", "Floating", "Flux", "Merge", "Reaction", "SaltTransport", "Solution", "require_skfem", "solve_fields"]
#: a residual within this many times machine epsilon of the sum of its row's terms is at round-off
ROUNDOFF = 16 * np.finfo(float).eps
#: with salt transport: Newton iterations per load step, and the smallest load step (as a factor)
SALT_ITERATIONS = 15
SALT_MIN_FACTOR = 1.02


# -- quadrature on boundaries -----------------------------------------------------------------------------


# -- discretisation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Discretisation:
    """Basis, per-region unit Laplacians and the field layout (``offset`` of each field's DOF block)."""

    grid: GridMesh
    basis: Any
    region_basis: dict[int, Any]
    unit: dict[int, sp.csr_matrix]
    fields: tuple[Field, ...]
    offset: dict[Field, int]
    active: dict[Field, NDArray[np.bool_]]
    facets: dict[str, NDArray[np.int64]]

    @property
    def n(self) -> int:
        return int(self.basis.N)

    @property
    def total(self) -> int:
        return self.n * len(self.fields)

    def block(self, U: NDArray[np.float64], field: Field) -> NDArray[np.float64]:
        return U[self.offset[field]:self.offset[field] + self.n]

    def edge_dofs(self, name: str) -> NDArray[np.int64]:
        if name not in self.facets:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.basis.get_dofs(facets=self.facets[name]).all(), dtype=np.int64)


def _laplacian(axisymmetric: bool) -> Any:
    skfem = require_skfem()
    r_weight = weight(axisymmetric)

    def gradients(u: Any, v: Any, w: Any) -> Any:
        return (u.grad[0] * v.grad[0] + u.grad[1] * v.grad[1]) * r_weight(w.x)

    return skfem.BilinearForm(gradients)


def _discretise(grid: GridMesh, order: int, conductivity: Mapping[Field, tuple[float, float]],
                salt: SaltTransport | None) -> _Discretisation:
    skfem = require_skfem()
    if order not in (1, 2):
        raise ValidationError("order", f"the element order is 1 or 2, got {order!r}")
    mesh = skfem.MeshTri(grid.points_cm, grid.triangles)
    element = skfem.ElementTriP1() if order == 1 else skfem.ElementTriP2()
    basis = skfem.Basis(mesh, element)
    laplace = _laplacian(grid.axisymmetric)
    region_basis = {r: skfem.Basis(mesh, element, elements=np.flatnonzero(grid.region == r))
                    for r in (0, 1) if np.any(grid.region == r)}
    unit = {r: sp.csr_matrix(laplace.assemble(b)) for r, b in region_basis.items()}
    regions: dict[Field, tuple[int, ...]] = {
        f: tuple(r for r, c in enumerate(conductivity.get(f, (0.0, 0.0))) if c > 0 and r in unit) for f in ("ion", "electron")}
    if salt is not None:
        regions["salt"] = (0,)
    if 0 not in regions["ion"]:
        raise ValidationError("kappa_S_cm", "the electrolyte needs an ionic conductivity > 0")
    fields = tuple(f for f in FIELDS if regions.get(f))
    active = {}
    for f in fields:
        mask = np.zeros(int(basis.N), dtype=bool)
        for r in regions[f]:
            mask[np.unique(basis.element_dofs[:, grid.region == r])] = True
        active[f] = mask
    facets = {name: facet_indices(mesh, edges) for name, edges in grid.edges.items() if edges.shape[1]}
    return _Discretisation(grid, basis, region_basis, unit, fields, {f: k * int(basis.N) for k, f in enumerate(fields)},
                           active, facets)


def _linear_operator(d: _Discretisation, conductivity: Mapping[Field, tuple[float, float]],
                     salt: SaltTransport | None) -> sp.csr_matrix:
    """The linear part of the equations, all fields: conduction, and with salt its linear couplings."""
    n = d.n
    blocks: dict[tuple[Field, Field], sp.csr_matrix] = {}
    for f in ("ion", "electron"):
        if f in d.offset:
            blocks[f, f] = sp.csr_matrix(sum((c * d.unit[r] for r, c in enumerate(conductivity[f]) if c > 0 and r in d.unit),
                                             sp.csr_matrix((n, n))))
    if salt is not None:
        k, t = salt.kappa_S_cm, salt.t_minus
        L0 = d.unit[0]
        blocks["ion", "salt"] = -k * salt.beta_V * L0
        blocks["salt", "ion"] = -t * k * L0
        blocks["salt", "salt"] = (salt.diffusion_A_cm + t * k * salt.beta_V) * L0
    grid = [[blocks.get((a, b)) for b in d.fields] for a in d.fields]
    return cast(sp.csr_matrix, sp.bmat(grid, format="csr", dtype=np.float64))


# -- constraints ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reduction:
    """The reduced unknowns: ``U = P u + lam fixed``; ``float_column`` the floating potential's, ``multiplier``
    the salt-conservation multiplier's column (or None)."""

    P: sp.csr_matrix
    column: NDArray[np.int64]
    fixed: NDArray[np.float64]
    float_column: int | None
    multiplier: int | None

    @property
    def size(self) -> int:
        return int(self.P.shape[1])


def _reduce(d: _Discretisation, dirichlet: Sequence[Dirichlet], merges: Sequence[Merge], floating: Floating | None,
            conserved: bool) -> _Reduction:
    column = np.full(d.total, -2, dtype=np.int64)  # -2: not yet assigned, -1: fixed at lam * fixed
    fixed = np.zeros(d.total)
    for f in d.fields:
        column[d.offset[f] + np.flatnonzero(~d.active[f])] = -1
    for condition in dirichlet:
        dofs = d.edge_dofs(condition.edges)
        column[d.offset[condition.field] + dofs] = -1
        fixed[d.offset[condition.field] + dofs] = values(condition.value_V, d.basis.doflocs[:, dofs])
    free = np.flatnonzero(column == -2)
    merged = np.unique(np.concatenate([d.edge_dofs(m.edges) for m in merges])) if merges else np.zeros(0, dtype=np.int64)
    float_dofs = d.edge_dofs(floating.edges) if floating is not None else np.zeros(0, dtype=np.int64)
    if merges:
        free = np.setdiff1d(free, d.offset["electron"] + merged)
    free = np.setdiff1d(free, d.offset["ion"] + float_dofs)
    column[free] = np.arange(free.size)
    if merges:
        if np.any(column[d.offset["ion"] + merged] < 0):
            raise ValidationError("boundary conditions", "a merge needs free ionic potentials")
        column[d.offset["electron"] + merged] = column[d.offset["ion"] + merged]
    size = free.size
    float_column = multiplier = None
    if floating is not None:
        float_column, size = size, size + 1
        column[d.offset["ion"] + float_dofs] = float_column
    if conserved:
        multiplier, size = size, size + 1
    rows = np.flatnonzero(column >= 0)
    P = sp.csr_matrix((np.ones(rows.size), (rows, column[rows])), shape=(d.total, size))
    return _Reduction(P, column, fixed, float_column, multiplier)


# -- the nonlinear system ---------------------------------------------------------------------------------


class _Problem:
    """Residual and Jacobian of the discrete equations in the reduced unknowns (a :class:`newton.System`)."""

    def __init__(self, d: _Discretisation, red: _Reduction, K: sp.csr_matrix, load: NDArray[np.float64],
                 reactions: Sequence[tuple[Quadrature, Reaction]], salt: SaltTransport | None,
                 floating: Floating | None, rtol: float) -> None:
        self.d, self.red, self.K, self.reacting, self.salt, self.rtol = d, red, K, list(reactions), salt, rtol
        A0 = sp.csr_matrix(red.P.T @ K @ red.P)
        if red.multiplier is not None and salt is not None:
            A0 = A0 + self._conservation(d, red, salt, red.multiplier)
        self.A0 = sp.csc_matrix(A0)
        self.magnitude = abs(self.A0)
        self.base = np.asarray(red.P.T @ (load - K @ red.fixed), dtype=np.float64)
        if floating is not None and red.float_column is not None:
            self.base[red.float_column] -= floating.current_A
        scale = float(np.sum(np.abs(self.base))) + (abs(floating.current_A) if floating is not None else 0.0)
        self.scale = scale if scale > 0 else 1.0
        self.symmetric = salt is None
        self.forms = _salt_forms(d.grid.axisymmetric) if salt is not None else None

    @staticmethod
    def _conservation(d: _Discretisation, red: _Reduction, salt: SaltTransport, k: int) -> sp.csr_matrix:
        """The coupling of the multiplier (column and row ``k``): ``mu m`` in the salt rows, ``m . delta = 0``
        its own row; ``m`` the electrolyte's lumped measure, scaled like the salt equations."""
        skfem = require_skfem()
        r_weight = weight(d.grid.axisymmetric)
        measure = np.asarray(skfem.LinearForm(lambda v, w: v * r_weight(w.x)).assemble(d.region_basis[0]))
        m = np.zeros(d.total)
        m[d.offset["salt"]:d.offset["salt"] + d.n] = measure * (salt.diffusion_A_cm / np.sum(measure))
        m_red = np.asarray(red.P.T @ m)
        rows = np.flatnonzero(m_red)
        data = np.concatenate((m_red[rows], m_red[rows]))
        return sp.csr_matrix((data, (np.concatenate((rows, np.full(rows.size, k))), np.concatenate((np.full(rows.size, k), rows)))),
                             shape=(red.size, red.size))

    def full(self, u: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
        return np.asarray(self.red.P @ u + lam * self.red.fixed, dtype=np.float64)

    def _theta(self, q: Quadrature, U: NDArray[np.float64]) -> NDArray[np.float64] | float:
        return 1.0 + q.B @ self.d.block(U, "salt") if "salt" in self.d.offset else 1.0

    def salt_term(self, U: NDArray[np.float64]) -> NDArray[np.float64]:
        """The bulk nonlinear term of salt transport, every DOF: ``kappa int delta grad phi . grad v`` in the
        ion rows, ``-t_- kappa`` times it in the salt rows."""
        d, out = self.d, np.zeros(self.d.total)
        if self.salt is None or self.forms is None:
            return out
        b0 = d.region_basis[0]
        Q = np.asarray(self.forms[0].assemble(b0, s=b0.interpolate(d.block(U, "salt")), p=b0.interpolate(d.block(U, "ion"))))
        out[d.offset["ion"]:d.offset["ion"] + d.n] = self.salt.kappa_S_cm * Q
        out[d.offset["salt"]:d.offset["salt"] + d.n] = -self.salt.t_minus * self.salt.kappa_S_cm * Q
        return out

    def nonlinear(self, U: NDArray[np.float64]) -> NDArray[np.float64]:
        """The bulk nonlinear term (salt transport) minus the reaction currents, every DOF."""
        d, R = self.d, self.salt_term(U)
        for q, r in self.reacting:
            phi = q.B @ d.block(U, "ion")
            psi = q.B @ d.block(U, "electron") if r.electronic else 0.0
            factor = np.maximum(self._theta(q, U), 0.0) ** r.concentration_exponent
            current = q.integrate(factor * r.kinetics.current_A_cm2(psi - phi))
            R[d.offset["ion"]:d.offset["ion"] + d.n] -= current
            if r.electronic:
                R[d.offset["electron"]:d.offset["electron"] + d.n] += current
        return R

    def residual(self, u: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
        if not self.reacting and self.salt is None:
            return np.asarray(self.A0 @ u - lam * self.base, dtype=np.float64)
        return np.asarray(self.A0 @ u - lam * self.base + self.red.P.T @ self.nonlinear(self.full(u, lam)), dtype=np.float64)

    def jacobian(self, u: NDArray[np.float64], lam: float) -> sp.csc_matrix:
        if not self.reacting and self.salt is None:
            return self.A0
        U = self.full(u, lam)
        J = self._reaction_jacobian(U) + self._salt_jacobian(U)
        return sp.csc_matrix(self.A0 + self.red.P.T @ J @ self.red.P)

    def _reaction_jacobian(self, U: NDArray[np.float64]) -> sp.csr_matrix:
        d = self.d
        parts: list[tuple[Field, Field, sp.coo_matrix]] = []
        for q, r in self.reacting:
            phi = q.B @ d.block(U, "ion")
            psi = q.B @ d.block(U, "electron") if r.electronic else 0.0
            theta = np.maximum(self._theta(q, U), 1e-300)
            gamma = r.concentration_exponent
            M = q.mass(theta**gamma * r.kinetics.slope_S_cm2(psi - phi)).tocoo()
            parts.append(("ion", "ion", M))
            if r.electronic:
                parts += [("ion", "electron", -M), ("electron", "ion", -M), ("electron", "electron", M)]
            if gamma and "salt" in d.offset:
                C = q.mass(gamma * theta ** (gamma - 1.0) * r.kinetics.current_A_cm2(psi - phi)).tocoo()
                parts.append(("ion", "salt", -C))
                if r.electronic:
                    parts.append(("electron", "salt", C))
        return self._assemble_blocks(parts)

    def _salt_jacobian(self, U: NDArray[np.float64]) -> sp.csr_matrix:
        if self.salt is None or self.forms is None:
            return sp.csr_matrix((self.d.total, self.d.total))
        d, b0 = self.d, self.d.region_basis[0]
        fields = {"s": b0.interpolate(d.block(U, "salt")), "p": b0.interpolate(d.block(U, "ion"))}
        by_phi = sp.coo_matrix(self.forms[1].assemble(b0, **fields)) * self.salt.kappa_S_cm
        by_salt = sp.coo_matrix(self.forms[2].assemble(b0, **fields)) * self.salt.kappa_S_cm
        t = self.salt.t_minus
        return self._assemble_blocks([("ion", "ion", by_phi), ("ion", "salt", by_salt),
                                      ("salt", "ion", -t * by_phi), ("salt", "salt", -t * by_salt)])

    def _assemble_blocks(self, parts: Sequence[tuple[Field, Field, Any]]) -> sp.csr_matrix:
        d = self.d
        if not parts:
            return sp.csr_matrix((d.total, d.total))
        rows = np.concatenate([sp.coo_matrix(M).row + d.offset[a] for a, _, M in parts])
        cols = np.concatenate([sp.coo_matrix(M).col + d.offset[b] for _, b, M in parts])
        data = np.concatenate([sp.coo_matrix(M).data for *_, M in parts])
        return sp.csr_matrix((data, (rows, cols)), shape=(d.total, d.total))

    def tolerance(self, u: NDArray[np.float64], lam: float) -> float:
        # the tolerance, or the round-off of the residual's terms where that is above it
        return max(self.rtol * self.scale * lam, ROUNDOFF * float(np.sum(self.magnitude @ np.abs(u))))

    def depletion(self, u: NDArray[np.float64]) -> str:
        """How low the salt concentration is in state ``u`` (at the load it was solved for)."""
        delta = self.d.block(self.red.P @ u, "salt")[self.d.active["salt"]]
        return f"there the salt concentration fell to {1.0 + float(np.min(delta)):.2%} of c0"

    def admissible(self, u: NDArray[np.float64]) -> bool:
        """A positive salt concentration at every DOF of the electrolyte."""
        if "salt" not in self.d.offset:
            return True
        delta = self.d.block(self.full(u, 1.0), "salt")[self.d.active["salt"]]
        return bool(np.all(delta > -1.0))


def _salt_forms(axisymmetric: bool) -> tuple[Any, Any, Any]:
    """``int s grad p . grad v`` and its derivatives by ``p`` and by ``s`` (the forms of the bulk term)."""
    skfem = require_skfem()
    r_weight = weight(axisymmetric)

    def dot(a: Any, b: Any) -> Any:
        return a[0] * b[0] + a[1] * b[1]

    term = skfem.LinearForm(lambda v, w: w["s"] * dot(w["p"].grad, v.grad) * r_weight(w.x))
    by_p = skfem.BilinearForm(lambda u, v, w: w["s"] * dot(u.grad, v.grad) * r_weight(w.x))
    by_s = skfem.BilinearForm(lambda u, v, w: u * dot(w["p"].grad, v.grad) * r_weight(w.x))
    return term, by_p, by_s


# -- the solver -------------------------------------------------------------------------------------------


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
    salt: SaltTransport | None = None,
    guess: Mapping[Field, NDArray[np.float64]] | None = None,
    rtol: float = 1e-10,
    max_iterations: int = 30,
) -> Solution:
    """Solve for the fields. ``conductivity_S_cm[field]`` = (electrolyte, interlayer) values for ``ion``
    and ``electron``; a field exists where its conductivity is > 0, the salt field in the electrolyte
    when ``salt`` is given. ``guess``: a start for Newton (per field, every DOF)."""
    d = _discretise(grid, order, conductivity_S_cm, salt)
    _check_conditions(d, dirichlet, fluxes, reactions, merges, salt)
    red = _reduce(d, dirichlet, merges, floating, conserved=salt is not None and salt.conserved)
    K = _linear_operator(d, conductivity_S_cm, salt)
    load = np.zeros(d.total)
    for flux in fluxes:
        q = quadrature(d.basis, d.facets[flux.edges], grid.axisymmetric)
        load[d.offset[flux.field]:d.offset[flux.field] + d.n] += q.integrate(values(flux.current_A_cm2, q.points_cm))
    reacting = [(quadrature(d.basis, d.facets[r.edges], grid.axisymmetric), r) for r in reactions if r.edges in d.facets]
    problem = _Problem(d, red, K, load, reacting, salt, floating, rtol)
    start = np.zeros(red.size)
    if guess is not None:
        U = np.concatenate([np.asarray(guess[f], dtype=np.float64) if f in guess else np.zeros(d.n) for f in d.fields])
        rows = np.flatnonzero(red.column >= 0)
        start[red.column[rows]] = U[rows]
    if salt is None:
        u, iterations, steps = newton.solve(problem, start, max_iterations=max_iterations,
                                            hint="; refine the mesh or lower the current")
    else:  # near the limiting current the steps would shrink for long: give up sooner, saying how depleted it got
        u, iterations, steps = newton.solve(problem, start, max_iterations=min(max_iterations, SALT_ITERATIONS),
                                            min_factor=SALT_MIN_FACTOR, describe=problem.depletion,
                                            hint="; the current is likely beyond this geometry's limiting current")
    return _solution(d, problem, problem.full(u, 1.0), conductivity_S_cm["ion"], iterations, steps)


def _check_conditions(d: _Discretisation, dirichlet: Sequence[Dirichlet], fluxes: Sequence[Flux],
                      reactions: Sequence[Reaction], merges: Sequence[Merge], salt: SaltTransport | None) -> None:
    needed: list[tuple[Field, str]] = [(c.field, c.edges) for c in dirichlet] + [(q.field, q.edges) for q in fluxes]
    needed += [("electron", m.edges) for m in merges] + [("electron", r.edges) for r in reactions if r.electronic]
    for field, edges in needed:
        if field not in d.offset:
            raise ValidationError("boundary conditions", f"no {field} field for the condition on {edges}")
    if salt is not None and salt.conserved and any(c.field == "salt" for c in dirichlet):
        raise ValidationError("boundary conditions", "a conserved salt takes no fixed concentration")


def _solution(d: _Discretisation, problem: _Problem, U: NDArray[np.float64], kappa: tuple[float, float],
              iterations: int, steps: int) -> Solution:
    """The fields and their nodal currents: the bulk operator's balance at each DOF (reactions left out,
    so at a boundary DOF it is the current entering the domain there)."""
    transport = problem.salt_term(U)
    bulk = problem.K @ U + transport
    potential: dict[Field, NDArray[np.float64]] = {f: d.block(U, f) for f in d.fields if f != "salt"}
    nodal: dict[Field, NDArray[np.float64]] = {f: np.asarray(d.block(bulk, f), dtype=np.float64) for f in potential}
    electrolyte = kappa[0] * (d.unit[0] @ potential["ion"]) + d.block(transport, "ion")
    salt_delta = d.block(U, "salt") if "salt" in d.offset else None
    if salt_delta is not None and problem.salt is not None:
        electrolyte = electrolyte - problem.salt.kappa_S_cm * problem.salt.beta_V * (d.unit[0] @ salt_delta)
    ionic = (d.grid.region == 0) | ((d.grid.region == 1) & (kappa[1] > 0))
    return Solution(d.grid, d.basis, potential, salt_delta, problem.salt, nodal, np.asarray(electrolyte, dtype=np.float64),
                    ionic, d.facets, iterations, steps)
