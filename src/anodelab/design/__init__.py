"""Cell design arithmetic: theoretical capacities from formulas and end phases, composites, plated
metal thickness, N/P ratio, loading, C-rate and current, expansion, stack energy density.

Pure functions on numbers and formula text; every value carries its unit in its name, every
tabulated constant its source (:mod:`anodelab.design.constants`). Capacities are per gram of host
(the material as made): Si -> Li15Si4 is 3579 mAh/g per g of Si (:mod:`anodelab.design.capacity`).
"""

from anodelab.core.constants import FARADAY_C_MOL
from anodelab.design.capacity import (
    END_PHASES,
    Capacity,
    MixtureCapacity,
    capacity_of,
    composite_formula,
    mixture_capacity,
    parse_mixture,
    specific_capacity_mAh_g,
    theoretical_capacity,
)
from anodelab.design.constants import ATOMIC_WEIGHTS, METAL_DENSITIES_G_CM3, MOBILE_IONS
from anodelab.design.electrode import (
    PlatedMetal,
    areal_capacity_mAh_cm2,
    areal_loading_mg_cm2,
    c_rate_for_current,
    current_for_c_rate_mA,
    electrode_capacity_mAh_g,
    np_ratio,
    plated_thickness,
    thickness_change_pct,
)
from anodelab.design.formula import Formula, molar_mass_g_mol, parse_formula
from anodelab.design.stack import Layer, StackEnergy, stack_energy_density

__all__ = [
    "ATOMIC_WEIGHTS",
    "END_PHASES",
    "FARADAY_C_MOL",
    "METAL_DENSITIES_G_CM3",
    "MOBILE_IONS",
    "Capacity",
    "Formula",
    "Layer",
    "MixtureCapacity",
    "PlatedMetal",
    "StackEnergy",
    "areal_capacity_mAh_cm2",
    "areal_loading_mg_cm2",
    "c_rate_for_current",
    "capacity_of",
    "composite_formula",
    "current_for_c_rate_mA",
    "electrode_capacity_mAh_g",
    "mixture_capacity",
    "molar_mass_g_mol",
    "np_ratio",
    "parse_formula",
    "parse_mixture",
    "plated_thickness",
    "specific_capacity_mAh_g",
    "stack_energy_density",
    "theoretical_capacity",
    "thickness_change_pct",
]
