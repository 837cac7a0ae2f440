"""Primary, secondary and tertiary current distributions at an interface: :func:`simulate_interface`.

Laplace's equation for the ionic potential in the electrolyte (conductivity ``kappa``) and the
interlayer; at the metal either no kinetics (``none``: primary distribution, the contact an
equipotential at 0 V) or a reaction with exchange current density ``i0`` (``linear`` or Butler-Volmer
``bv``: secondary distribution); voids insulating; the counter boundary at uniform potential
(``counter="potential"``, its value found so that the mean current density is ``current_mA_cm2``) or
passing that current density uniformly (``counter="current"``). An electron-conducting interlayer
carries its own potential, equal to the metal's where it touches it, and metal ions react on its top
surface too (with the interlayer's ``i0``), so the current divides between the two paths.

``transport="nernst-planck"`` (with an :class:`~anodelab.sim.interface.electrolyte.Electrolyte`): the
tertiary distribution of a binary liquid electrolyte, the salt concentration coupled to the potential
(see :mod:`anodelab.sim.interface.electrolyte` for the equations, the boundaries and the 1-D closed
forms), solved by Newton on the coupled system from the secondary solution, with continuation in the
current where that fails.

Signs as in :mod:`anodelab.core.conventions`: a positive current strips the metal (anodic), a
negative one plates it; resistances are positive either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import ConvergenceError, ValidationError
from anodelab.core.result import stamps_call
from anodelab.models.kinetics import check_positive, thermal_voltage_V
from anodelab.sim.interface import electrolyte as np_cell
from anodelab.sim.interface.electrolyte import TRANSPORTS, Electrolyte, Transport
from anodelab.sim.interface.fem import (
    Dirichlet,
    Floating,
    Flux,
    Merge,
    Reaction,
    SaltTransport,
    Solution,
    solve_fields,
)
from anodelab.sim.interface.geometry import (
    UM_TO_CM,
    Disk,
    Geometry,
    GridMesh,
    Profile,
    Protrusion,
    geometry_dict,
)
from anodelab.sim.interface.kinetics import LAWS, Kinetics, Law
from anodelab.sim.interface.result import Concentration, InterfaceResult

COUNTERS = ("potential", "current")
Counter = Literal["potential", "current"]
#: bins of the decimated field and concentration maps along each direction
FIELD_BINS = 48
#: a height profile steeper than this (um/um) gets a warning: the mapped mesh shears its elements
STEEP_SLOPE = 2.0
#: a salt concentration below this fraction of c0 at the interface gets a warning: near the limiting current
DEPLETED = 0.1


@dataclass(frozen=True)
class _Case:
    """The checked inputs of one simulation."""

    geometry: Geometry
    kappa: float
    metal: Kinetics | None
    top: Kinetics | None
    J: float
    counter: Counter
    electrolyte: Electrolyte | None
    T_K: float
    threshold: float


@stamps_call
def simulate_interface(
    geometry: Geometry,
    *,
    kappa_S_cm: float,
    kinetics: Law = "none",
    i0_mA_cm2: float = 1.0,
    current_mA_cm2: float = 1.0,
    counter: Counter = "potential",
    transport: Transport = "ohmic",
    electrolyte: Electrolyte | None = None,
    elements: int = 20000,
    order: int = 1,
    alpha_a: float = 0.5,
    alpha_c: float = 0.5,
    T_K: float = 298.15,
    threshold_ratio: float = 1.5,
) -> InterfaceResult:
    """Current density along the interface, field map and effective resistance of ``geometry``.

    ``kappa_S_cm``: the electrolyte's ionic conductivity (at ``c0`` for Nernst-Planck); ``kinetics``:
    ``none`` (primary), ``linear`` or ``bv`` at the metal with exchange current density ``i0_mA_cm2``
    (and transfer coefficients, temperature); ``current_mA_cm2``: mean current density over the
    projected area (signed); ``transport``: ``ohmic`` or ``nernst-planck`` (needs ``electrolyte``);
    ``elements``: about this many triangles; ``order``: 1 or 2 (Lagrange P1 / P2);
    ``threshold_ratio``: the local / mean current density counted in ``fraction_above_threshold``.
    """
    case = _case(geometry, kappa_S_cm, kinetics, i0_mA_cm2, current_mA_cm2, counter, transport, electrolyte,
                 alpha_a, alpha_c, T_K, threshold_ratio)
    grid = geometry.mesh(elements)
    secondary = _solve_secondary(case, grid, order)
    solution = secondary if case.electrolyte is None else _solve_tertiary(case, case.electrolyte, grid, order, secondary)
    iterations = secondary.newton_iterations + (solution.newton_iterations if solution is not secondary else 0)
    return _result(case, secondary, solution, order=order, iterations=iterations)


def _case(geometry: Geometry, kappa_S_cm: float, kinetics: str, i0_mA_cm2: float, current_mA_cm2: float, counter: str,
          transport: str, electrolyte: Electrolyte | None, alpha_a: float, alpha_c: float, T_K: float,
          threshold_ratio: float) -> _Case:
    kappa = check_positive("kappa_S_cm", kappa_S_cm)
    if kinetics not in LAWS:
        raise ValidationError("kinetics", f"must be one of {', '.join(LAWS)}, got {kinetics!r}")
    if counter not in COUNTERS:
        raise ValidationError("counter", f"must be one of {', '.join(COUNTERS)}, got {counter!r}")
    if transport not in TRANSPORTS:
        raise ValidationError("transport", f"must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
    if (transport == "nernst-planck") != (electrolyte is not None):
        raise ValidationError("electrolyte", "transport='nernst-planck' needs an Electrolyte, and only it takes one")
    if electrolyte is not None and not isinstance(electrolyte, Electrolyte):
        raise ValidationError("electrolyte", f"must be an Electrolyte, got {type(electrolyte).__name__}")
    if isinstance(current_mA_cm2, bool) or not isinstance(current_mA_cm2, (int, float)) \
            or not math.isfinite(current_mA_cm2) or current_mA_cm2 == 0:
        raise ValidationError("current_mA_cm2", f"must be a finite, non-zero number, got {current_mA_cm2!r}")
    threshold = check_positive("threshold_ratio", threshold_ratio)
    thermal_voltage_V(T_K)
    metal = top = None
    interlayer = geometry.interlayer
    if kinetics != "none":
        metal = Kinetics(kinetics, i0_mA_cm2, alpha_a, alpha_c, T_K)  # type: ignore[arg-type]
        if interlayer is not None and interlayer.electronic:
            top_i0 = i0_mA_cm2 if interlayer.i0_mA_cm2 is None else interlayer.i0_mA_cm2
            top = Kinetics(kinetics, top_i0, alpha_a, alpha_c, T_K)  # type: ignore[arg-type]
    return _Case(geometry, kappa, metal, top, current_mA_cm2 * 1e-3, counter, electrolyte, T_K,  # type: ignore[arg-type]
                 threshold)


def _solve(case: _Case, grid: GridMesh, order: int, metal: Kinetics | None, top: Kinetics | None,
           salt: SaltTransport | None = None, guess: Any = None) -> Solution:
    conditions = _conditions(grid, case, metal, top, salt)
    return solve_fields(grid, order=order, guess=guess, salt=salt, **conditions)


def _solve_secondary(case: _Case, grid: GridMesh, order: int) -> Solution:
    """The ohmic (primary or secondary) distribution; Butler-Volmer started from the linear law through
    the uniform operating point."""
    if case.metal is None or case.metal.law != "bv":
        return _solve(case, grid, order, case.metal, case.top)
    current_A = case.J * grid.projected_area_cm2
    contact_area = _edge_area_cm2(grid, grid.edges["contact"])
    start = _solve(case, grid, order, case.metal.secant(current_A / contact_area),
                   case.top.secant(case.J) if case.top is not None else None)
    solution = _solve(case, grid, order, case.metal, case.top, guess=start.potential_V)
    return _with_iterations(solution, start.newton_iterations)


def _solve_tertiary(case: _Case, electrolyte: Electrolyte, grid: GridMesh, order: int, secondary: Solution) -> Solution:
    """The Nernst-Planck distribution, from the secondary one (uniform concentration); ValidationError at
    or beyond the 1-D cell's limiting current."""
    limit_A_cm2 = electrolyte.limiting_current_mA_cm2(case.geometry.thickness_um) * 1e-3
    np_cell.uniform_drop_V(case.J, case.geometry.thickness_um * UM_TO_CM, case.kappa, electrolyte, case.T_K)
    salt = electrolyte.transport(case.kappa, case.T_K)
    try:
        return _solve(case, grid, order, case.metal, case.top, salt, guess=secondary.potential_V)
    except ConvergenceError as error:
        raise ConvergenceError(f"{error} (the mean current density is {abs(case.J) / limit_A_cm2:.1%} of the 1-D "
                               f"limiting current {limit_A_cm2 * 1e3:.4g} mA/cm2; the local one can be lower)") from None


def _with_iterations(solution: Solution, more: int) -> Solution:
    return replace(solution, newton_iterations=solution.newton_iterations + more)


def uniform_drop_V(J_A_cm2: float, geometry: Geometry, kappa_S_cm: float, metal: Kinetics | None,
                   top: Kinetics | None, *, electrolyte: Electrolyte | None = None, T_K: float = 298.15) -> float:
    """Potential drop of the same stack in 1-D with uniform contact, at current density ``J_A_cm2``.

    ``J L / kappa + eta(J)`` (with an electrolyte the Nernst-Planck cell's drop, the kinetics at the
    salt concentration it leaves at the surface), plus, with an interlayer, its ionic path
    (``J t / kappa_il`` after the metal's kinetics) in parallel with its electronic path
    (``J t / sigma`` then the top surface's kinetics), the split found where both paths drop the same.
    """
    L = geometry.thickness_um * UM_TO_CM
    theta = 1.0
    if electrolyte is None:
        bulk = J_A_cm2 * L / kappa_S_cm
    else:
        bulk = np_cell.uniform_drop_V(J_A_cm2, L, kappa_S_cm, electrolyte, T_K)
        theta = np_cell.uniform_concentrations(J_A_cm2, L, electrolyte)[0]
    interlayer = geometry.interlayer

    def eta(law: Kinetics | None, j: float, wet: bool) -> float:  # wet: the surface touches the liquid
        return law.overpotential_V(j, theta**law.alpha_a if wet else 1.0) if law is not None else 0.0

    if interlayer is None:
        return bulk + eta(metal, J_A_cm2, True)
    t = interlayer.thickness_um * UM_TO_CM

    def ionic(j: float) -> float:
        return eta(metal, j, False) + j * t / interlayer.kappa_S_cm

    def electronic(j: float) -> float:
        return j * t / interlayer.sigma_S_cm + eta(top, j, True)

    if not interlayer.electronic:
        return bulk + ionic(J_A_cm2)
    if interlayer.kappa_S_cm == 0:
        return bulk + electronic(J_A_cm2)
    low, high = sorted((0.0, J_A_cm2))
    j_ion = brentq(lambda j: ionic(j) - electronic(J_A_cm2 - j), low, high, xtol=1e-16 * abs(J_A_cm2) + 1e-300,
                   rtol=1e-15)
    return bulk + ionic(float(j_ion))


def _conditions(grid: GridMesh, case: _Case, metal: Kinetics | None, top: Kinetics | None,
                salt: SaltTransport | None) -> dict[str, Any]:
    """The keyword arguments of :func:`solve_fields` for this stack."""
    interlayer = case.geometry.interlayer
    conductivity: dict[str, tuple[float, float]] = {"ion": (case.kappa, interlayer.kappa_S_cm if interlayer else 0.0)}
    dirichlet: list[Dirichlet] = []
    reactions: list[Reaction] = []
    merges: list[Merge] = []
    exponent = metal.alpha_a if metal is not None and salt is not None else 0.0
    if interlayer is None or interlayer.kappa_S_cm > 0:  # ions reach the metal
        if metal is None:
            dirichlet.append(Dirichlet("ion", "contact", 0.0))
        else:
            reactions.append(Reaction("contact", metal, concentration_exponent=exponent))
    if interlayer is not None and interlayer.electronic:
        conductivity["electron"] = (0.0, interlayer.sigma_S_cm)
        dirichlet.append(Dirichlet("electron", "contact", 0.0))
        if top is None:
            merges.append(Merge("interlayer_top"))
        else:
            reactions.append(Reaction("interlayer_top", top, electronic=True, concentration_exponent=exponent))
    if salt is not None and not salt.conserved:
        dirichlet.append(Dirichlet("salt", "counter", 0.0))
    out: dict[str, Any] = {"conductivity_S_cm": conductivity, "dirichlet": dirichlet, "reactions": reactions,
                           "merges": merges}
    current_A = case.J * grid.projected_area_cm2
    if case.counter == "potential":
        out["floating"] = Floating("counter", current_A)
    else:
        out["fluxes"] = [Flux("ion", "counter", -case.J)]
    return out


def _edge_area_cm2(grid: GridMesh, edges: NDArray[np.int64]) -> float:
    """Area of a set of edges: length (2-D, per cm of depth) or 2 pi r length (axisymmetric)."""
    a, b = grid.points_cm[:, edges[0]], grid.points_cm[:, edges[1]]
    length = np.hypot(*(b - a))
    if grid.axisymmetric:
        return float(np.sum(2.0 * math.pi * 0.5 * (a[0] + b[0]) * length))
    return float(np.sum(length))


def binned(centroid: NDArray[np.float64], area: NDArray[np.float64], columns: dict[str, NDArray[np.float64]],
           keep: NDArray[np.bool_]) -> dict[str, NDArray[Any]]:
    """Element values binned on a FIELD_BINS x FIELD_BINS grid over the kept elements: area-weighted
    means (``x_um``, ``y_um`` and each column) and the bin's centre (``x_bin_um``, ``y_bin_um``, for a
    heat map), empty bins left out."""
    x, y, w = centroid[0, keep], centroid[1, keep], area[keep]
    edges_x = np.linspace(x.min(), x.max(), FIELD_BINS + 1)
    edges_y = np.linspace(y.min(), y.max(), FIELD_BINS + 1)
    ix = np.clip(np.searchsorted(edges_x, x, side="right") - 1, 0, FIELD_BINS - 1)
    iy = np.clip(np.searchsorted(edges_y, y, side="right") - 1, 0, FIELD_BINS - 1)
    cell = ix * FIELD_BINS + iy
    total = np.bincount(cell, w, FIELD_BINS**2)
    filled = total > 0

    def mean(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.bincount(cell, w * values, FIELD_BINS**2)[filled] / total[filled], dtype=np.float64)

    index = np.flatnonzero(filled)
    centre_x, centre_y = 0.5 * (edges_x[:-1] + edges_x[1:]), 0.5 * (edges_y[:-1] + edges_y[1:])
    out = {"x_um": mean(x) / UM_TO_CM, "y_um": mean(y) / UM_TO_CM,
           "x_bin_um": centre_x[index // FIELD_BINS] / UM_TO_CM, "y_bin_um": centre_y[index % FIELD_BINS] / UM_TO_CM}
    out.update({name: mean(values[keep]) for name, values in columns.items()})
    return out


def _profile_table(profile: dict[str, NDArray[Any]]) -> tuple[dict[str, NDArray[Any]], float]:
    """The table of a boundary profile (lengths in um, mA/cm2, ratio to the mean over contact) and its max/mean."""
    contact, area, density = profile["contact"], profile["area_cm2"], profile["current_density_A_cm2"]
    mean = float(np.sum(density[contact] * area[contact]) / np.sum(area[contact]))
    ratio = density / mean
    table = {"s_um": profile["s_cm"] / UM_TO_CM, "x_um": profile["x_cm"] / UM_TO_CM, "y_um": profile["y_cm"] / UM_TO_CM,
             "current_density_mA_cm2": density * 1e3, "ratio": ratio, "contact": contact}
    return table, float(np.max(ratio[contact]))


def _warnings(case: _Case, conservation: float) -> list[str]:
    warnings = []
    geometry = case.geometry
    if isinstance(geometry, Profile):
        slope = float(np.max(np.abs(np.diff(geometry.height_um) / np.diff(geometry.x_um))))
        if slope > STEEP_SLOPE:
            warnings.append(f"the profile rises as steeply as {slope:.3g} um/um: its mesh columns shear the elements "
                            "there; compare with more elements")
    if conservation > 1e-6:
        warnings.append(f"current conserved only to {conservation:.2g} (relative): the solver stopped early")
    return warnings


def _interlayer_outputs(case: _Case, solution: Solution, current_A: float) -> dict[str, Any]:
    """The metal's own current distribution under an interlayer, and the share deposited on its top."""
    interlayer = case.geometry.interlayer
    out: dict[str, Any] = {}
    if interlayer is None:
        return out
    if interlayer.kappa_S_cm > 0:
        out["metal"], out["metal_max_mean_ratio"] = _profile_table(solution.metal_profile())
    if interlayer.electronic:
        dofs = solution.edge_dofs("contact")
        out["deposition_top_fraction"] = float(np.sum(solution.nodal_current_A["electron"][dofs]) / current_A)
    return out


def _concentration(case: _Case, electrolyte: Electrolyte, solution: Solution, delta: NDArray[np.float64],
                   secondary: Solution, profile: dict[str, NDArray[Any]], table: dict[str, NDArray[Any]]) -> Concentration:
    """The tertiary outputs (``delta``: the solution's c / c0 - 1 at every DOF); adds the concentration and
    cation flux to the interface ``table``."""
    c0 = electrolyte.c0_mol_L
    c = c0 * (1.0 + delta[profile["dof"]])
    table["c_mol_L"] = c
    table["cation_flux_nmol_cm2_s"] = profile["current_density_A_cm2"] / FARADAY_C_MOL * 1e9
    contact, area = profile["contact"], profile["area_cm2"]
    mean = float(np.sum(c[contact] * area[contact]) / np.sum(area[contact]))
    counter = c0 * (1.0 + solution.boundary_mean("counter", delta))
    theta, flux = solution.element_salt()
    _, centroid, element_area = solution.element_field_V_cm()
    liquid = solution.grid.region == 0
    concentration_map = binned(centroid, element_area, {"c_mol_L": c0 * theta, "cation_flux_nmol_cm2_s": flux * 1e9},
                               liquid)
    limit = electrolyte.limiting_current_mA_cm2(case.geometry.thickness_um)
    vt = thermal_voltage_V(case.T_K)
    return Concentration(
        c0_mol_L=c0, c_interface_min_mol_L=float(np.min(c[contact])), c_interface_mean_mol_L=mean,
        c_interface_max_mol_L=float(np.max(c[contact])), c_counter_mean_mol_L=counter,
        eta_concentration_mV=(secondary.boundary_mean_V("counter") - solution.boundary_mean_V("counter")) * 1e3,
        diffusion_potential_mV=vt * (electrolyte.t_minus - electrolyte.t_plus) * math.log(mean / counter) * 1e3,
        limiting_current_mA_cm2=limit, current_limiting_ratio=abs(case.J) * 1e3 / limit,
        concentration_map=concentration_map, element_theta=theta)


def _result(case: _Case, secondary: Solution, solution: Solution, *, order: int, iterations: int) -> InterfaceResult:
    grid, J, geometry = solution.grid, case.J, case.geometry
    current_A = J * grid.projected_area_cm2
    electrode_A = solution.boundary_current_A("contact")
    counter_A = -solution.boundary_current_A("counter")
    potential_drop_V = -solution.boundary_mean_V("counter")
    drop_V = uniform_drop_V(J, geometry, case.kappa, case.metal, case.top, electrolyte=case.electrolyte, T_K=case.T_K)
    profile = solution.interface_profile()
    interface, max_mean = _profile_table(profile)
    ratio, contact, area = interface["ratio"], profile["contact"], profile["area_cm2"]
    peak = float(np.max(np.abs(interface["current_density_mA_cm2"]))) / abs(J * 1e3)
    field, centroid, element_area = solution.element_field_V_cm()
    conservation = abs(electrode_A - counter_A) / abs(current_A)
    warnings = _warnings(case, conservation)
    concentration = None
    if case.electrolyte is not None and solution.salt_delta is not None:
        concentration = _concentration(case, case.electrolyte, solution, solution.salt_delta, secondary, profile, interface)
        if concentration.c_interface_min_mol_L < DEPLETED * concentration.c0_mol_L:
            warnings.append(f"the salt falls to {concentration.c_interface_min_mol_L / concentration.c0_mol_L:.1%} of c0 "
                            f"at the interface: the current is near the limiting current (1-D: "
                            f"{concentration.limiting_current_mA_cm2:.4g} mA/cm2); refine the mesh to trust the numbers there")
    return InterfaceResult(
        geometry=geometry.name, axisymmetric=grid.axisymmetric,
        R_eff_ohm_cm2=potential_drop_V / J, R_uniform_ohm_cm2=drop_V / J, R_constriction_ohm_cm2=(potential_drop_V - drop_V) / J,
        R_constriction_ohm=(potential_drop_V - drop_V) / current_A if isinstance(geometry, Disk) else None,
        max_mean_ratio=max_mean, peak_current_ratio=peak,
        tip_current_ratio=peak if isinstance(geometry, Protrusion) else None,
        fraction_above_threshold=float(np.sum(area[contact & (ratio > case.threshold)]) / np.sum(area[contact])),
        threshold_ratio=case.threshold, current_mA_cm2=J * 1e3, total_current_mA=current_A * 1e3,
        potential_drop_mV=potential_drop_V * 1e3, field_max_V_cm=float(np.nanmax(field)),
        field_uniform_V_cm=abs(J) / case.kappa, current_conservation_rel=conservation, elements=grid.elements,
        dofs=solution.dofs_count, order=order, newton_iterations=iterations, continuation_steps=solution.continuation_steps,
        interface=interface, field_map=binned(centroid, element_area, {"field_V_cm": field}, np.isfinite(field)),
        element_field_V_cm=field, transport="ohmic" if case.electrolyte is None else "nernst-planck",
        concentration=concentration, **_interlayer_outputs(case, solution, current_A),
        parameters={"geometry": geometry_dict(geometry)}, warnings=tuple(warnings),
    )
