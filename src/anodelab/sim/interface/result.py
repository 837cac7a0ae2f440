"""The results of interface simulations: one case (:class:`InterfaceResult`, with :class:`Concentration`
for the tertiary distribution) and a parameter sweep (:class:`InterfaceSweep`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Metric, Result

DEFINITIONS = {
    "R_eff": "potential drop from the metal to the counter (mean over it) / mean current density over the projected area",
    "R_uniform": "the same for uniform contact in 1-D: L / kappa (+ t / kappa_interlayer, + the kinetic drop eta(J) / J)",
    "R_constriction": "R_eff - R_uniform: the resistance the current distribution adds (negative where a protrusion shortens the path)",
    "R_constriction_spot": "(potential drop - uniform drop) / total current: the contact disk's spreading resistance "
                           "(1 / (4 kappa a) for an equipotential disk on a half-space)",
    "max_mean_ratio": "largest / mean current density entering the electrolyte over its current-carrying lower boundary "
                      "(consistent nodal fluxes; at an equipotential contact's edge the density is singular, so this grows with refinement)",
    "fraction_above_threshold": "share of the current-carrying lower boundary of the electrolyte whose current density "
                                "exceeds threshold_ratio x its mean",
    "total_current": "current through the cell (per cm of depth in 2-D)",
    "potential_drop": "metal potential minus the mean counter potential",
    "field_max": "largest element-mean ionic field |grad phi| (singular at an equipotential contact's edge)",
    "field_ratio_max": "field_max / the uniform field J / kappa",
    "current_conservation_rel": "|I_electrode - I_counter| / I, both from the discrete flux balance",
    "elements": "triangles in the mesh",
    "peak_current_ratio": "largest local current density entering the electrolyte / the mean over the projected area J: "
                          "how much faster than uniform plating the hottest spot plates (1 for uniform contact; "
                          "about 1 / contact fraction at a point contact); unlike max_mean_ratio it compares cases "
                          "whose current-carrying boundaries differ, such as a bare contact and the same one coated",
    "tip_current_ratio": "largest current density on the protrusion / the mean over the projected area (the far-field "
                         "one): its tip enhancement (3 for a hemisphere, 2 for a half cylinder, 1 / n for a half spheroid of "
                         "depolarisation factor n, in a uniform field)",
    "metal_max_mean_ratio": "largest / mean ionic current density at the metal's surface under the interlayer (its "
                            "deposition or stripping)",
    "deposition_top_fraction": "share of the current that reacts on the electron-conducting interlayer's top surface "
                               "(the rest passes the layer as ions to the metal)",
    "c_interface_min": "lowest salt concentration along the electrolyte's current-carrying lower boundary",
    "c_interface_mean": "mean salt concentration over that boundary (area-weighted)",
    "eta_concentration": "potential drop of the tertiary distribution less that of the secondary one at the same current "
                         "(uniform concentration c0): the concentration overpotential",
    "diffusion_potential": "(R T / F)(t- - t+) ln(c_interface_mean / c_counter_mean): the liquid-junction potential "
                           "the salt gradient drives",
    "limiting_current": "the 1-D cell's limiting current density: 2 F D c0 / ((1 - t+) L) with the salt conserved, "
                        "F D c0 / ((1 - t+) L) against a bulk",
    "current_limiting_ratio": "|mean current density| / the 1-D limiting current density",
}


@dataclass(frozen=True)
class Concentration:
    """The salt of the tertiary distribution: concentrations (mol/L) at the interface and the counter,
    the concentration overpotential and diffusion potential (mV), the 1-D limiting current, the binned
    map (``x_um``, ``y_um``, ``c_mol_L``, ``cation_flux_nmol_cm2_s``) and the per-element ``c / c0``."""

    c0_mol_L: float
    c_interface_min_mol_L: float
    c_interface_mean_mol_L: float
    c_interface_max_mol_L: float
    c_counter_mean_mol_L: float
    eta_concentration_mV: float
    diffusion_potential_mV: float
    limiting_current_mA_cm2: float
    current_limiting_ratio: float
    concentration_map: Mapping[str, NDArray[Any]]
    element_theta: NDArray[np.float64]

    def content(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in (
            "c0_mol_L", "c_interface_min_mol_L", "c_interface_mean_mol_L", "c_interface_max_mol_L", "c_counter_mean_mol_L",
            "eta_concentration_mV", "diffusion_potential_mV", "limiting_current_mA_cm2", "current_limiting_ratio")}

    def metrics(self) -> list[tuple[str, float, str]]:
        return [("c_interface_min", self.c_interface_min_mol_L, "mol/L"), ("c_interface_mean", self.c_interface_mean_mol_L, "mol/L"),
                ("eta_concentration", self.eta_concentration_mV, "mV"), ("diffusion_potential", self.diffusion_potential_mV, "mV"),
                ("limiting_current", self.limiting_current_mA_cm2, "mA/cm2"),
                ("current_limiting_ratio", self.current_limiting_ratio, "")]


@dataclass(frozen=True, repr=False)
class InterfaceResult(Result):
    """Current and field distribution of one interface case (see :func:`simulate_interface`)."""

    kind: ClassVar[str] = "interface_fem"
    version: ClassVar[int] = 2

    geometry: str
    axisymmetric: bool
    R_eff_ohm_cm2: float
    R_uniform_ohm_cm2: float
    R_constriction_ohm_cm2: float
    R_constriction_ohm: float | None
    max_mean_ratio: float
    peak_current_ratio: float
    fraction_above_threshold: float
    threshold_ratio: float
    current_mA_cm2: float
    total_current_mA: float
    potential_drop_mV: float
    field_max_V_cm: float
    field_uniform_V_cm: float
    current_conservation_rel: float
    elements: int
    dofs: int
    order: int
    newton_iterations: int
    continuation_steps: int
    interface: Mapping[str, NDArray[Any]]
    field_map: Mapping[str, NDArray[Any]]
    element_field_V_cm: NDArray[np.float64]
    transport: str = "ohmic"
    tip_current_ratio: float | None = None
    metal: Mapping[str, NDArray[Any]] | None = None
    metal_max_mean_ratio: float | None = None
    deposition_top_fraction: float | None = None
    concentration: Concentration | None = None

    @property
    def current_unit(self) -> str:
        return "mA" if self.axisymmetric else "mA/cm"

    def metrics(self) -> tuple[Metric, ...]:
        d = DEFINITIONS
        rows: list[tuple[str, float | None, str]] = [
            ("R_eff", self.R_eff_ohm_cm2, "ohm cm2"),
            ("R_uniform", self.R_uniform_ohm_cm2, "ohm cm2"),
            ("R_constriction", self.R_constriction_ohm_cm2, "ohm cm2"),
            ("R_constriction_spot", self.R_constriction_ohm, "ohm"),
            ("max_mean_ratio", self.max_mean_ratio, ""),
            ("peak_current_ratio", self.peak_current_ratio, ""),
            ("fraction_above_threshold", self.fraction_above_threshold, ""),
            ("total_current", self.total_current_mA, self.current_unit),
            ("potential_drop", self.potential_drop_mV, "mV"),
            ("field_max", self.field_max_V_cm, "V/cm"),
            ("field_ratio_max", self.field_max_V_cm / self.field_uniform_V_cm, ""),
            ("current_conservation_rel", self.current_conservation_rel, ""),
            ("elements", float(self.elements), ""),
            ("tip_current_ratio", self.tip_current_ratio, ""),
            ("metal_max_mean_ratio", self.metal_max_mean_ratio, ""),
            ("deposition_top_fraction", self.deposition_top_fraction, ""),
        ]
        if self.concentration is not None:
            rows += self.concentration.metrics()
        return tuple(Metric(name, float(value), unit, definition=d[name]) for name, value, unit in rows if value is not None)

    def content(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "geometry": self.geometry,
            "axisymmetric": self.axisymmetric,
            "R_eff_ohm_cm2": self.R_eff_ohm_cm2,
            "R_uniform_ohm_cm2": self.R_uniform_ohm_cm2,
            "R_constriction_ohm_cm2": self.R_constriction_ohm_cm2,
        }
        if self.R_constriction_ohm is not None:
            out["R_constriction_ohm"] = self.R_constriction_ohm
        out.update({
            "max_mean_ratio": self.max_mean_ratio,
            "peak_current_ratio": self.peak_current_ratio,
            "fraction_above_threshold": self.fraction_above_threshold,
            "threshold_ratio": self.threshold_ratio,
            "current_mA_cm2": self.current_mA_cm2,
            ("total_current_mA" if self.axisymmetric else "total_current_mA_per_cm"): self.total_current_mA,
            "potential_drop_mV": self.potential_drop_mV,
            "field_max_V_cm": self.field_max_V_cm,
            "field_uniform_V_cm": self.field_uniform_V_cm,
            "current_conservation_rel": self.current_conservation_rel,
            "elements": self.elements,
            "dofs": self.dofs,
            "order": self.order,
            "newton_iterations": self.newton_iterations,
            "continuation_steps": self.continuation_steps,
            "transport": self.transport,
        })
        for key in ("tip_current_ratio", "metal_max_mean_ratio", "deposition_top_fraction"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.concentration is not None:
            out.update(self.concentration.content())
        shown = {m.name for m in self.metrics()} | {"R_uniform", "R_constriction", "total_current", "field_max", "elements"}
        out["interface"] = dict(self.interface)
        out["definitions"] = {k: v for k, v in DEFINITIONS.items() if k in shown}
        return out

    def tables(self) -> dict[str, dict[str, Any]]:
        """``interface``: current density along the electrolyte's lower boundary (one row per DOF, in order;
        tertiary: with the concentration and cation flux there); ``field``: the electric field binned on a
        coarse grid (area-weighted means); ``concentration`` (tertiary): the salt concentration and cation
        flux binned alike; ``metal`` (with an interlayer): the current density at the metal's surface."""
        out = {"interface": dict(self.interface), "field": dict(self.field_map)}
        if self.concentration is not None:
            out["concentration"] = dict(self.concentration.concentration_map)
        if self.metal is not None:
            out["metal"] = dict(self.metal)
        return out

    def headline(self) -> str:
        line = (f"R_eff {self.R_eff_ohm_cm2:.4g} ohm cm2 (uniform {self.R_uniform_ohm_cm2:.4g}, "
                f"constriction {self.R_constriction_ohm_cm2:.4g})")
        if self.R_constriction_ohm is not None:
            line += f"; spot {self.R_constriction_ohm:.4g} ohm"
        line += f"; max/mean {self.max_mean_ratio:.3g}"
        if self.concentration is not None:
            c = self.concentration
            line += (f"; c {c.c_interface_min_mol_L:.3g}..{c.c_interface_max_mol_L:.3g} mol/L at the interface, "
                     f"eta_c {c.eta_concentration_mV:.3g} mV ({100 * c.current_limiting_ratio:.3g} % of i_lim)")
        return line + f"; {self.elements} elements"


SWEEP_COLUMNS = ("R_eff_ohm_cm2", "R_constriction_ohm_cm2", "max_mean_ratio", "peak_current_ratio", "fraction_above_threshold",
                 "potential_drop_mV", "field_max_V_cm", "current_conservation_rel", "newton_iterations")
#: columns added when every point has them
OPTIONAL_COLUMNS = ("tip_current_ratio", "metal_max_mean_ratio", "deposition_top_fraction")
TERTIARY_COLUMNS = ("c_interface_min_mol_L", "c_interface_mean_mol_L", "eta_concentration_mV")


def _value(result: InterfaceResult, key: str) -> Any:
    if key in TERTIARY_COLUMNS:
        return getattr(result.concentration, key)
    return getattr(result, key)


@dataclass(frozen=True, repr=False)
class InterfaceSweep(Result):
    """One interface case per value of a parameter (see :func:`sweep_interface`); over random layouts'
    seeds also the mean and spread of R_eff."""

    kind: ClassVar[str] = "interface_sweep"
    version: ClassVar[int] = 2

    parameter: str
    values: tuple[float, ...]
    results: tuple[InterfaceResult, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        extra = tuple(k for k in OPTIONAL_COLUMNS if all(getattr(r, k) is not None for r in self.results))
        if all(r.concentration is not None for r in self.results):
            extra += TERTIARY_COLUMNS
        return SWEEP_COLUMNS + extra

    def spread(self) -> tuple[float, float] | None:
        """Over seeds: the mean R_eff and its sample standard deviation (ohm cm2); None otherwise."""
        if self.parameter != "seed":
            return None
        values = np.asarray([r.R_eff_ohm_cm2 for r in self.results])
        return float(np.mean(values)), float(np.std(values, ddof=1)) if values.size > 1 else 0.0

    def metrics(self) -> tuple[Metric, ...]:
        names = ("R_eff", "R_constriction", "R_constriction_spot", "max_mean_ratio", "fraction_above_threshold",
                 "metal_max_mean_ratio", "eta_concentration", "c_interface_min")
        points = tuple(Metric(m.name, m.value, m.unit, index_name="point", index=k,
                              definition=f"{m.definition} (at {self.parameter} = {value:g})")
                       for k, (value, result) in enumerate(zip(self.values, self.results, strict=True))
                       for m in result.metrics() if m.name in names)
        spread = self.spread()
        if spread is None:
            return points
        n = len(self.results)
        return (Metric("R_eff_mean", spread[0], "ohm cm2", spread[1] / np.sqrt(n),
                       definition=f"mean R_eff over {n} random layouts (stderr: their standard deviation / sqrt(n))"),
                Metric("R_eff_std", spread[1], "ohm cm2", definition=f"standard deviation of R_eff over {n} random layouts"),
                *points)

    def content(self) -> dict[str, Any]:
        out: dict[str, Any] = {"parameter": self.parameter, "points": [
            {self.parameter: value, **{key: _value(result, key) for key in self.columns}}
            for value, result in zip(self.values, self.results, strict=True)]}
        spread = self.spread()
        if spread is not None:
            out.update({"R_eff_mean_ohm_cm2": spread[0], "R_eff_std_ohm_cm2": spread[1]})
        return out

    def tables(self) -> dict[str, dict[str, Any]]:
        """``sweep``: one row per value."""
        table: dict[str, Any] = {self.parameter: np.asarray(self.values, dtype=np.float64)}
        for key in self.columns:
            table[key] = np.asarray([_value(result, key) for result in self.results], dtype=np.float64)
        return {"sweep": table}

    def headline(self) -> str:
        first, last = self.results[0], self.results[-1]
        spread = self.spread()
        if spread is not None:
            return (f"{len(self.values)} random layouts: R_eff {spread[0]:.4g} ± {spread[1]:.2g} ohm cm2 (mean ± sd), "
                    f"max/mean {min(r.max_mean_ratio for r in self.results):.3g} .. "
                    f"{max(r.max_mean_ratio for r in self.results):.3g}")
        return (f"{len(self.values)} values of {self.parameter}: R_eff {first.R_eff_ohm_cm2:.4g} .. "
                f"{last.R_eff_ohm_cm2:.4g} ohm cm2, max/mean {first.max_mean_ratio:.3g} .. {last.max_mean_ratio:.3g}")
