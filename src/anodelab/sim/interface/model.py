"""Secondary and primary current distributions at an interface: :func:`simulate_interface`.

Laplace's equation for the ionic potential in the electrolyte (conductivity ``kappa``) and the
interlayer; at the metal either no kinetics (``none``: primary distribution, the contact an
equipotential at 0 V) or a reaction with exchange current density ``i0`` (``linear`` or Butler-Volmer
``bv``: secondary distribution); voids insulating; the counter boundary at uniform potential
(``counter="potential"``, its value found so that the mean current density is ``current_mA_cm2``) or
passing that current density uniformly (``counter="current"``). An electron-conducting interlayer
carries its own potential, equal to the metal's where it touches it, and metal ions react on its top
surface too (with the interlayer's ``i0``), so the current divides between the two paths.

Signs as in :mod:`anodelab.core.conventions`: a positive current strips the metal (anodic), a
negative one plates it; resistances are positive either way.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from anodelab.core.errors import ValidationError
from anodelab.core.result import stamps_call
from anodelab.models.kinetics import check_positive
from anodelab.sim.interface.fem import (
    Dirichlet,
    Floating,
    Flux,
    Merge,
    Reaction,
    Solution,
    solve_fields,
)
from anodelab.sim.interface.geometry import (
    UM_TO_CM,
    Disk,
    Geometry,
    GridMesh,
    Interlayer,
    Profile,
    geometry_dict,
)
from anodelab.sim.interface.kinetics import LAWS, Kinetics, Law
from anodelab.sim.interface.result import InterfaceResult

COUNTERS = ("potential", "current")
Counter = Literal["potential", "current"]
#: bins of the decimated field map along each direction
FIELD_BINS = 48
#: a height profile steeper than this (um/um) gets a warning: the mapped mesh shears its elements
STEEP_SLOPE = 2.0


@stamps_call
def simulate_interface(
    geometry: Geometry,
    *,
    kappa_S_cm: float,
    kinetics: Law = "none",
    i0_mA_cm2: float = 1.0,
    current_mA_cm2: float = 1.0,
    counter: Counter = "potential",
    elements: int = 20000,
    order: int = 1,
    alpha_a: float = 0.5,
    alpha_c: float = 0.5,
    T_K: float = 298.15,
    threshold_ratio: float = 1.5,
) -> InterfaceResult:
    """Current density along the interface, field map and effective resistance of ``geometry``.

    ``kappa_S_cm``: the electrolyte's ionic conductivity; ``kinetics``: ``none`` (primary), ``linear``
    or ``bv`` at the metal with exchange current density ``i0_mA_cm2`` (and transfer coefficients,
    temperature); ``current_mA_cm2``: mean current density over the projected area (signed);
    ``elements``: about this many triangles; ``order``: 1 or 2 (Lagrange P1 / P2);
    ``threshold_ratio``: the local / mean current density counted in ``fraction_above_threshold``.
    """
    kappa = check_positive("kappa_S_cm", kappa_S_cm)
    if kinetics not in LAWS:
        raise ValidationError("kinetics", f"must be one of {', '.join(LAWS)}, got {kinetics!r}")
    if counter not in COUNTERS:
        raise ValidationError("counter", f"must be one of {', '.join(COUNTERS)}, got {counter!r}")
    if isinstance(current_mA_cm2, bool) or not isinstance(current_mA_cm2, (int, float)) or not math.isfinite(current_mA_cm2) \
            or current_mA_cm2 == 0:
        raise ValidationError("current_mA_cm2", f"must be a finite, non-zero number, got {current_mA_cm2!r}")
    threshold = check_positive("threshold_ratio", threshold_ratio)
    interlayer = geometry.interlayer
    metal = top = None
    if kinetics != "none":
        metal = Kinetics(kinetics, i0_mA_cm2, alpha_a, alpha_c, T_K)
        if interlayer is not None and interlayer.electronic:
            top_i0 = i0_mA_cm2 if interlayer.i0_mA_cm2 is None else interlayer.i0_mA_cm2
            top = Kinetics(kinetics, top_i0, alpha_a, alpha_c, T_K)
    grid = geometry.mesh(elements)
    J = current_mA_cm2 * 1e-3
    current_A = J * grid.projected_area_cm2
    contact_area = _edge_area_cm2(grid, grid.edges["contact"])
    drop = uniform_drop_V(J, geometry, kappa, metal, top)

    def solve(metal_law: Kinetics | None, top_law: Kinetics | None, guess: Any = None) -> Solution:
        return solve_fields(grid, order=order, guess=guess, **_conditions(grid, kappa, interlayer, metal_law, top_law,
                                                                          counter, current_A))

    if kinetics == "bv" and metal is not None:  # start Newton from the linear law through the uniform operating point
        start = solve(metal.secant(current_A / contact_area), top.secant(J) if top is not None else None)
        solution = solve(metal, top, start.potential_V)
        iterations = start.newton_iterations + solution.newton_iterations
    else:
        solution = solve(metal, top)
        iterations = solution.newton_iterations
    warnings = []
    if isinstance(geometry, Profile):
        slope = float(np.max(np.abs(np.diff(geometry.height_um) / np.diff(geometry.x_um))))
        if slope > STEEP_SLOPE:
            warnings.append(f"the profile rises as steeply as {slope:.3g} um/um: its mesh columns shear the elements "
                            "there; compare with more elements")
    return _result(geometry, solution, kappa=kappa, J=J, drop_V=drop, threshold=threshold, order=order,
                   iterations=iterations, warnings=warnings)


def uniform_drop_V(J_A_cm2: float, geometry: Geometry, kappa_S_cm: float, metal: Kinetics | None,
                   top: Kinetics | None) -> float:
    """Potential drop of the same stack in 1-D with uniform contact, at current density ``J_A_cm2``.

    ``J L / kappa + eta(J)``, plus, with an interlayer, its ionic path (``J t / kappa_il`` after the
    metal's kinetics) in parallel with its electronic path (``J t / sigma`` then the top surface's
    kinetics), the split found where both paths drop the same potential.
    """
    L = geometry.thickness_um * UM_TO_CM
    electrolyte = J_A_cm2 * L / kappa_S_cm
    interlayer = geometry.interlayer

    def eta(law: Kinetics | None, j: float) -> float:
        return law.overpotential_V(j) if law is not None else 0.0

    if interlayer is None:
        return electrolyte + eta(metal, J_A_cm2)
    t = interlayer.thickness_um * UM_TO_CM

    def ionic(j: float) -> float:
        return eta(metal, j) + j * t / interlayer.kappa_S_cm

    def electronic(j: float) -> float:
        return j * t / interlayer.sigma_S_cm + eta(top, j)

    if not interlayer.electronic:
        return electrolyte + ionic(J_A_cm2)
    if interlayer.kappa_S_cm == 0:
        return electrolyte + electronic(J_A_cm2)
    low, high = sorted((0.0, J_A_cm2))
    j_ion = brentq(lambda j: ionic(j) - electronic(J_A_cm2 - j), low, high, xtol=1e-16 * abs(J_A_cm2) + 1e-300,
                   rtol=1e-15)
    return electrolyte + ionic(float(j_ion))


def _conditions(grid: GridMesh, kappa: float, interlayer: Interlayer | None, metal: Kinetics | None,
                top: Kinetics | None, counter: Counter, current_A: float) -> dict[str, Any]:
    """The keyword arguments of :func:`solve_fields` for this stack."""
    conductivity: dict[str, tuple[float, float]] = {"ion": (kappa, interlayer.kappa_S_cm if interlayer else 0.0)}
    dirichlet: list[Dirichlet] = []
    reactions: list[Reaction] = []
    merges: list[Merge] = []
    if interlayer is None or interlayer.kappa_S_cm > 0:  # ions reach the metal
        if metal is None:
            dirichlet.append(Dirichlet("ion", "contact", 0.0))
        else:
            reactions.append(Reaction("contact", metal))
    if interlayer is not None and interlayer.electronic:
        conductivity["electron"] = (0.0, interlayer.sigma_S_cm)
        dirichlet.append(Dirichlet("electron", "contact", 0.0))
        if top is None:
            merges.append(Merge("interlayer_top"))
        else:
            reactions.append(Reaction("interlayer_top", top, electronic=True))
    out: dict[str, Any] = {"conductivity_S_cm": conductivity, "dirichlet": dirichlet, "reactions": reactions,
                           "merges": merges}
    if counter == "potential":
        out["floating"] = Floating("counter", current_A)
    else:
        out["fluxes"] = [Flux("ion", "counter", -current_A / grid.projected_area_cm2)]
    return out


def _edge_area_cm2(grid: GridMesh, edges: NDArray[np.int64]) -> float:
    """Area of a set of edges: length (2-D, per cm of depth) or 2 pi r length (axisymmetric)."""
    a, b = grid.points_cm[:, edges[0]], grid.points_cm[:, edges[1]]
    length = np.hypot(*(b - a))
    if grid.axisymmetric:
        return float(np.sum(2.0 * math.pi * 0.5 * (a[0] + b[0]) * length))
    return float(np.sum(length))


def _field_map(field: NDArray[np.float64], centroid: NDArray[np.float64], area: NDArray[np.float64]) -> dict[str, NDArray[Any]]:
    """The element fields binned on a FIELD_BINS x FIELD_BINS grid: area-weighted means, empty bins left out."""
    keep = np.isfinite(field)
    x, y, E, w = centroid[0, keep], centroid[1, keep], field[keep], area[keep]
    edges_x = np.linspace(x.min(), x.max(), FIELD_BINS + 1)
    edges_y = np.linspace(y.min(), y.max(), FIELD_BINS + 1)
    ix = np.clip(np.searchsorted(edges_x, x, side="right") - 1, 0, FIELD_BINS - 1)
    iy = np.clip(np.searchsorted(edges_y, y, side="right") - 1, 0, FIELD_BINS - 1)
    cell = ix * FIELD_BINS + iy
    total = np.bincount(cell, w, FIELD_BINS**2)
    filled = total > 0
    mean = [np.bincount(cell, w * values, FIELD_BINS**2)[filled] / total[filled] for values in (x, y, E)]
    return {"x_um": mean[0] / UM_TO_CM, "y_um": mean[1] / UM_TO_CM, "field_V_cm": mean[2]}


def _result(geometry: Geometry, solution: Solution, *, kappa: float, J: float, drop_V: float, threshold: float,
            order: int, iterations: int, warnings: list[str]) -> InterfaceResult:
    grid = solution.grid
    current_A = J * grid.projected_area_cm2
    electrode_A = solution.boundary_current_A("contact")
    counter_A = -solution.boundary_current_A("counter")
    potential_drop_V = -solution.boundary_mean_V("counter")
    R_eff = potential_drop_V / J
    R_uniform = drop_V / J
    spot = (potential_drop_V - drop_V) / current_A if isinstance(geometry, Disk) else None
    profile = solution.interface_profile()
    contact = profile["contact"]
    area = profile["area_cm2"]
    density = profile["current_density_A_cm2"]
    mean = float(np.sum(density[contact] * area[contact]) / np.sum(area[contact]))
    ratio = density / mean
    above = float(np.sum(area[contact & (ratio > threshold)]) / np.sum(area[contact]))
    field, centroid, element_area = solution.element_field_V_cm()
    conservation = abs(electrode_A - counter_A) / abs(current_A)
    if conservation > 1e-6:
        warnings.append(f"current conserved only to {conservation:.2g} (relative): the solver stopped early")
    interface = {
        "s_um": profile["s_cm"] / UM_TO_CM,
        "x_um": profile["x_cm"] / UM_TO_CM,
        "y_um": profile["y_cm"] / UM_TO_CM,
        "current_density_mA_cm2": density * 1e3,
        "ratio": ratio,
        "contact": contact,
    }
    return InterfaceResult(
        geometry=geometry.name,
        axisymmetric=grid.axisymmetric,
        R_eff_ohm_cm2=R_eff,
        R_uniform_ohm_cm2=R_uniform,
        R_constriction_ohm_cm2=R_eff - R_uniform,
        R_constriction_ohm=spot,
        max_mean_ratio=float(np.max(ratio[contact])),
        fraction_above_threshold=above,
        threshold_ratio=threshold,
        current_mA_cm2=J * 1e3,
        total_current_mA=current_A * 1e3,
        potential_drop_mV=potential_drop_V * 1e3,
        field_max_V_cm=float(np.nanmax(field)),
        field_uniform_V_cm=abs(J) / kappa,
        current_conservation_rel=conservation,
        elements=grid.elements,
        dofs=solution.dofs_count,
        order=order,
        newton_iterations=iterations,
        continuation_steps=solution.continuation_steps,
        interface=interface,
        field_map=_field_map(field, centroid, element_area),
        element_field_V_cm=field,
        parameters={"geometry": geometry_dict(geometry)},
        warnings=tuple(warnings),
    )
