"""The solved fields of the interface FEM and what is read off them: boundary currents and means,
current density along a boundary (consistent nodal fluxes), element fields, concentrations and
cation fluxes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import ValidationError
from anodelab.sim.interface.assembly import (
    facet_indices,
    quadrature,
    require_skfem,
    weight,
)
from anodelab.sim.interface.conditions import Field, SaltTransport
from anodelab.sim.interface.meshes import GridMesh


@dataclass(frozen=True)
class Solution:
    """The fields (every DOF) and their consistent nodal currents (A, or A per cm in 2-D), to read
    currents, fields and concentrations off."""

    grid: GridMesh
    basis: Any
    potential_V: dict[Field, NDArray[np.float64]]
    salt_delta: NDArray[np.float64] | None
    salt: SaltTransport | None
    nodal_current_A: dict[Field, NDArray[np.float64]]
    electrolyte_current_A: NDArray[np.float64]
    ionic_elements: NDArray[np.bool_]
    facets: dict[str, NDArray[np.int64]]
    newton_iterations: int
    continuation_steps: int

    @property
    def dofs_count(self) -> int:
        return int(self.basis.N) * (len(self.potential_V) + (self.salt_delta is not None))

    def edge_dofs(self, edges: str) -> NDArray[np.int64]:
        return np.asarray(self.basis.get_dofs(facets=self.facets[edges]).all(), dtype=np.int64)

    def boundary_current_A(self, edges: str) -> float:
        """Current entering the domain through ``edges`` (ions and electrons), from the discrete balance
        at their DOFs: the consistent flux, conserved to solver tolerance."""
        dofs = self.edge_dofs(edges)
        return float(sum(np.sum(current[dofs]) for current in self.nodal_current_A.values()))

    def boundary_mean_V(self, edges: str) -> float:
        """Mean ionic potential over ``edges`` (area-weighted)."""
        return self.boundary_mean(edges, self.potential_V["ion"])

    def boundary_mean(self, edges: str, values: NDArray[np.float64]) -> float:
        """Area-weighted mean over ``edges`` of a field given at every DOF."""
        q = quadrature(self.basis, self.facets[edges], self.grid.axisymmetric)
        return float(np.sum(q.weights * (q.B @ values)) / np.sum(q.weights))

    def interface_profile(self) -> dict[str, NDArray[Any]]:
        """Normal current density entering the electrolyte along its lower boundary, per DOF in order
        along it: the consistent nodal flux of the electrolyte's own equations over the DOF's share of
        the current-carrying surface (lumped, weighted). Columns ``s_cm`` (arc length), ``x_cm``,
        ``y_cm``, ``current_density_A_cm2``, ``area_cm2`` (that share; 0 off contact), ``contact``,
        ``dof``."""
        grid = self.grid
        return _profile(self.basis, grid.interface, grid.interface_contact, self.electrolyte_current_A, grid.axisymmetric)

    def metal_profile(self) -> dict[str, NDArray[Any]]:
        """As :meth:`interface_profile` along the metal's surface: the ionic current leaving the metal
        (its deposition or stripping), under an interlayer the current through the layer to the metal."""
        grid = self.grid
        return _profile(self.basis, grid.metal, grid.metal_contact, self.nodal_current_A["ion"], grid.axisymmetric)

    def element_field_V_cm(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Per element: magnitude of the electric field ``|grad phi|`` in the electrolyte and interlayer
        (mean over the element, V/cm; NaN where no ions move), centroid (2, elements) in cm, area in cm2.
        With salt transport the field of the electrostatic potential ``phi - (R T / F) ln(c / c0)``."""
        gradient = np.asarray(self.basis.interpolate(self.potential_V["ion"]).grad)  # (2, elements, points)
        if self.salt_delta is not None and self.salt is not None:
            s = self.basis.interpolate(self.salt_delta)
            correction = self.salt.thermal_voltage_V * np.asarray(s.grad) / np.maximum(1.0 + np.asarray(s), 1e-300)
            gradient = gradient - np.where((self.grid.region == 0)[None, :, None], correction, 0.0)
        mean, area = self._element_mean(gradient)
        magnitude = np.hypot(mean[0], mean[1])
        centroid = self.grid.points_cm[:, self.grid.triangles].mean(axis=1)
        return np.where(self.ionic_elements, magnitude, np.nan), centroid, area

    def element_salt(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per element of the electrolyte (NaN elsewhere): mean ``c / c0`` and the magnitude of the
        mean cation flux ``N+ = -D grad c + t+ i / F`` (mol cm-2 s-1)."""
        if self.salt_delta is None or self.salt is None:
            raise ValidationError("transport", "no salt transport in this solution")
        salt = self.salt
        s = self.basis.interpolate(self.salt_delta)
        p = self.basis.interpolate(self.potential_V["ion"])
        current = (-salt.kappa_S_cm * (1.0 + np.asarray(s)) * np.asarray(p.grad)
                   + salt.kappa_S_cm * salt.beta_V * np.asarray(s.grad))
        flux = (-salt.diffusion_A_cm * np.asarray(s.grad) + (1.0 - salt.t_minus) * current) / FARADAY_C_MOL
        theta, _ = self._element_mean(1.0 + np.asarray(s)[None])
        mean_flux, _ = self._element_mean(flux)
        electrolyte = self.grid.region == 0
        return (np.where(electrolyte, theta[0], np.nan),
                np.where(electrolyte, np.hypot(mean_flux[0], mean_flux[1]), np.nan))

    def _element_mean(self, values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Means over each element of (k, elements, points) values, and the element areas (weighted in
        ``dx``, i.e. plain areas in cm2)."""
        dx = self.basis.dx
        area = np.sum(dx, axis=1)
        return np.sum(values * dx[None], axis=2) / area[None], area


def _profile(basis: Any, edges: NDArray[np.int64], contact_edges: NDArray[np.bool_], nodal: NDArray[np.float64],
             axisymmetric: bool) -> dict[str, NDArray[Any]]:
    """Nodal currents along a chain of edges, per DOF in order, over each DOF's lumped share of the
    current-carrying edges (see :meth:`Solution.interface_profile`)."""
    skfem = require_skfem()
    facets = facet_indices(basis.mesh, edges)
    points = basis.mesh.p
    lengths = np.hypot(*(points[:, edges[1]] - points[:, edges[0]]))
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
    w_of = weight(axisymmetric)
    measure = skfem.LinearForm(lambda v, w: v * w_of(w.x))

    def lumped(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        if not np.any(mask):
            return np.zeros(basis.N)
        return np.asarray(measure.assemble(skfem.FacetBasis(basis.mesh, basis.elem, facets=facets[mask])))

    on, off = lumped(contact_edges), lumped(~contact_edges)
    area = on[dof]
    share = np.where(area > 0, area, off[dof])
    flux = nodal[dof]
    density = np.divide(flux, share, out=np.zeros_like(flux), where=share > 0)
    return {"s_cm": s, "x_cm": basis.doflocs[0, dof], "y_cm": basis.doflocs[1, dof],
            "current_density_A_cm2": density, "area_cm2": area, "contact": area > 0, "dof": dof}
