"""Gravimetric and volumetric energy density of a cell stack (one repeat unit per cm2).

The stack is a list of layers, each with its mass and thickness per cm2 of cell: cathode coating,
anode (or none: anode-free), separator or solid electrolyte, current collectors, liquid electrolyte
(mass only, thickness 0, since it fills the pores). The energy is ``Q x V`` (mWh/cm2) for the areal
capacity Q the cell delivers and its mean discharge voltage V; per mass of the stack
(``Wh/kg = 1000 Q V / m``, m in mg/cm2) and per volume (``Wh/L = Q V / (t x 1e-4)``, t in um). In an
anode-free (or anode-less) cell the metal plated on charge comes from the cathode: it adds no mass but
adds its thickness (:func:`~anodelab.design.electrode.plated_thickness`) to the charged stack, the
volume used here (``plated_metal``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anodelab.core.errors import ValidationError
from anodelab.design.electrode import plated_thickness, positive


@dataclass(frozen=True)
class Layer:
    """One layer of the stack: name, mass per area (mg/cm2) and thickness (um), both >= 0."""

    name: str
    areal_mass_mg_cm2: float
    thickness_um: float

    def __post_init__(self) -> None:
        for name, value in (("areal_mass_mg_cm2", self.areal_mass_mg_cm2), ("thickness_um", self.thickness_um)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValidationError(f"layer {self.name!r}.{name}", f"must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class StackEnergy:
    """Energy densities of a stack (see the module docstring)."""

    capacity_mAh_cm2: float
    mean_voltage_V: float
    energy_mWh_cm2: float
    areal_mass_mg_cm2: float
    thickness_um: float
    gravimetric_Wh_kg: float
    volumetric_Wh_L: float
    layers: tuple[Layer, ...]
    plated_metal: str | None = None
    plated_thickness_um: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "capacity_mAh_cm2": self.capacity_mAh_cm2, "mean_voltage_V": self.mean_voltage_V,
            "energy_mWh_cm2": self.energy_mWh_cm2, "areal_mass_mg_cm2": self.areal_mass_mg_cm2,
            "thickness_um": self.thickness_um, "gravimetric_Wh_kg": self.gravimetric_Wh_kg,
            "volumetric_Wh_L": self.volumetric_Wh_L, "plated_metal": self.plated_metal,
            "plated_thickness_um": self.plated_thickness_um,
            "layers": [{"name": layer.name, "areal_mass_mg_cm2": layer.areal_mass_mg_cm2,
                        "thickness_um": layer.thickness_um} for layer in self.layers],
            "definition": "Wh/kg = 1000 Q V / (stack mass, mg/cm2); Wh/L = Q V / (stack thickness, cm), the "
                          "charged stack (plus the plated metal's thickness when plated_metal is given)",
        }


def stack_energy_density(layers: Sequence[Layer], capacity_mAh_cm2: float, mean_voltage_V: float,
                         *, plated_metal: str | None = None) -> StackEnergy:
    """Gravimetric and volumetric energy density of ``layers`` delivering ``capacity_mAh_cm2`` at
    ``mean_voltage_V``; ``plated_metal`` (anode-free / anode-less) adds the metal plated on charge to
    the thickness."""
    layers = tuple(layers)
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise ValidationError("layers", "expected at least one Layer")
    q = positive("capacity_mAh_cm2", capacity_mAh_cm2)
    v = positive("mean_voltage_V", mean_voltage_V)
    plated_um = plated_thickness(plated_metal, q).thickness_um if plated_metal is not None else 0.0
    mass = math.fsum(layer.areal_mass_mg_cm2 for layer in layers)
    thickness = math.fsum(layer.thickness_um for layer in layers) + plated_um
    if mass <= 0 or thickness <= 0:
        raise ValidationError("layers", f"the stack needs a mass and a thickness > 0 (got {mass} mg/cm2, {thickness} um)")
    energy = q * v
    return StackEnergy(q, v, energy, mass, thickness, 1000.0 * energy / mass, energy / (thickness * 1e-4),
                       layers, plated_metal, plated_um)
