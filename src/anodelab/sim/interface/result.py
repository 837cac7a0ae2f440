"""The results of interface simulations: one case (:class:`InterfaceResult`) and a parameter sweep
(:class:`InterfaceSweep`)."""

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
}


@dataclass(frozen=True, repr=False)
class InterfaceResult(Result):
    """Current and field distribution of one interface case (see :func:`simulate_interface`)."""

    kind: ClassVar[str] = "interface_fem"
    version: ClassVar[int] = 1

    geometry: str
    axisymmetric: bool
    R_eff_ohm_cm2: float
    R_uniform_ohm_cm2: float
    R_constriction_ohm_cm2: float
    R_constriction_ohm: float | None
    max_mean_ratio: float
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
            ("fraction_above_threshold", self.fraction_above_threshold, ""),
            ("total_current", self.total_current_mA, self.current_unit),
            ("potential_drop", self.potential_drop_mV, "mV"),
            ("field_max", self.field_max_V_cm, "V/cm"),
            ("field_ratio_max", self.field_max_V_cm / self.field_uniform_V_cm, ""),
            ("current_conservation_rel", self.current_conservation_rel, ""),
            ("elements", float(self.elements), ""),
        ]
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
            "interface": dict(self.interface),
            "definitions": {k: v for k, v in DEFINITIONS.items() if k != "R_constriction_spot" or self.R_constriction_ohm is not None},
        })
        return out

    def tables(self) -> dict[str, dict[str, Any]]:
        """``interface``: current density along the electrolyte's lower boundary (one row per DOF, in order);
        ``field``: the ionic field binned on a coarse grid (area-weighted means)."""
        return {"interface": dict(self.interface), "field": dict(self.field_map)}

    def headline(self) -> str:
        line = (f"R_eff {self.R_eff_ohm_cm2:.4g} ohm cm2 (uniform {self.R_uniform_ohm_cm2:.4g}, "
                f"constriction {self.R_constriction_ohm_cm2:.4g})")
        if self.R_constriction_ohm is not None:
            line += f"; spot {self.R_constriction_ohm:.4g} ohm"
        return line + f"; max/mean {self.max_mean_ratio:.3g}; {self.elements} elements"


SWEEP_COLUMNS = ("R_eff_ohm_cm2", "R_constriction_ohm_cm2", "max_mean_ratio", "fraction_above_threshold",
                 "potential_drop_mV", "field_max_V_cm", "current_conservation_rel", "newton_iterations")


@dataclass(frozen=True, repr=False)
class InterfaceSweep(Result):
    """One interface case per value of a parameter (see :func:`sweep_interface`)."""

    kind: ClassVar[str] = "interface_sweep"
    version: ClassVar[int] = 1

    parameter: str
    values: tuple[float, ...]
    results: tuple[InterfaceResult, ...]

    def metrics(self) -> tuple[Metric, ...]:
        names = ("R_eff", "R_constriction", "R_constriction_spot", "max_mean_ratio", "fraction_above_threshold")
        return tuple(Metric(m.name, m.value, m.unit, index_name="point", index=k,
                            definition=f"{m.definition} (at {self.parameter} = {value:g})")
                     for k, (value, result) in enumerate(zip(self.values, self.results, strict=True))
                     for m in result.metrics() if m.name in names)

    def content(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "points": [
            {self.parameter: value, **{key: getattr(result, key) for key in SWEEP_COLUMNS}}
            for value, result in zip(self.values, self.results, strict=True)]}

    def tables(self) -> dict[str, dict[str, Any]]:
        """``sweep``: one row per value."""
        table: dict[str, Any] = {self.parameter: np.asarray(self.values, dtype=np.float64)}
        for key in SWEEP_COLUMNS:
            table[key] = np.asarray([getattr(result, key) for result in self.results], dtype=np.float64)
        return {"sweep": table}

    def headline(self) -> str:
        first, last = self.results[0], self.results[-1]
        return (f"{len(self.values)} values of {self.parameter}: R_eff {first.R_eff_ohm_cm2:.4g} .. "
                f"{last.R_eff_ohm_cm2:.4g} ohm cm2, max/mean {first.max_mean_ratio:.3g} .. {last.max_mean_ratio:.3g}")
