"""Electrode arithmetic: plated metal thickness, loading, areal capacity, N/P ratio, C-rate and
current, thickness change, active fraction.

Plated thickness from the molar volume: a charge Q (mAh/cm2) plates ``3.6 Q / (z F)`` mol/cm2 of a
metal of molar mass M and density rho, a dense layer ``3.6 Q M / (z F rho)`` cm thick; Li 4.85 um
and Na 8.86 um per mAh/cm2 with the densities of :data:`~anodelab.design.constants.METAL_DENSITIES_G_CM3`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from anodelab.core.constants import FARADAY_C_MOL
from anodelab.core.errors import ValidationError
from anodelab.design.constants import (
    ATOMIC_WEIGHTS,
    C_PER_MAH,
    METAL_DENSITIES_G_CM3,
    MOBILE_IONS,
)

UM_PER_CM = 1e4


def positive(name: str, value: float) -> float:
    """``value`` as a float, or a ValidationError naming ``name`` unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValidationError(name, f"must be a finite number > 0, got {value!r}")
    return float(value)


def fraction(name: str, value: float) -> float:
    """``value`` as a float in (0, 1], or a ValidationError naming ``name``."""
    if positive(name, value) > 1.0:
        raise ValidationError(name, f"must lie in (0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PlatedMetal:
    """A dense metal layer plated by an areal capacity (see the module docstring)."""

    metal: str
    charge: int
    areal_capacity_mAh_cm2: float
    thickness_um: float
    um_per_mAh_cm2: float
    areal_mass_mg_cm2: float
    molar_mass_g_mol: float
    density_g_cm3: float
    molar_volume_cm3_mol: float
    density_source: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "definition": "3.6 Q M / (z F rho): dense metal, the plated charge all metal"}


def plated_thickness(metal: str, areal_capacity_mAh_cm2: float, *, density_g_cm3: float | None = None) -> PlatedMetal:
    """Thickness of ``metal`` (Li, Na, K, Mg, Ca, Zn, Al) plated by ``areal_capacity_mAh_cm2`` as a dense
    layer; ``density_g_cm3`` overrides the tabulated density."""
    if metal not in MOBILE_IONS:
        raise ValidationError("metal", f"unknown plating metal {metal!r}; expected one of {', '.join(MOBILE_IONS)}")
    q = positive("areal_capacity_mAh_cm2", areal_capacity_mAh_cm2)
    if density_g_cm3 is None:
        density, source = METAL_DENSITIES_G_CM3[metal]
    else:
        density, source = positive("density_g_cm3", density_g_cm3), "given"
    charge, molar_mass = MOBILE_IONS[metal], ATOMIC_WEIGHTS[metal]
    mol_per_mAh = C_PER_MAH / (charge * FARADAY_C_MOL)
    per_unit_um = mol_per_mAh * molar_mass / density * UM_PER_CM
    return PlatedMetal(metal, charge, q, q * per_unit_um, per_unit_um, q * mol_per_mAh * molar_mass * 1e3,
                       molar_mass, density, molar_mass / density, source)


def areal_loading_mg_cm2(mass_mg: float, area_cm2: float) -> float:
    """Mass per area, mg/cm2."""
    return positive("mass_mg", mass_mg) / positive("area_cm2", area_cm2)


def areal_capacity_mAh_cm2(loading_mg_cm2: float, specific_capacity_mAh_g: float, active_fraction: float = 1.0) -> float:
    """Capacity per area of an electrode of ``loading_mg_cm2`` (coating mass per area) whose active material
    (``active_fraction`` of it) stores ``specific_capacity_mAh_g``: loading x fraction x capacity / 1000."""
    return (positive("loading_mg_cm2", loading_mg_cm2) * fraction("active_fraction", active_fraction)
            * positive("specific_capacity_mAh_g", specific_capacity_mAh_g) / 1000.0)


def electrode_capacity_mAh_g(active_capacity_mAh_g: float, active_fraction: float) -> float:
    """Capacity per g of electrode (coating) from that per g of active material."""
    return positive("active_capacity_mAh_g", active_capacity_mAh_g) * fraction("active_fraction", active_fraction)


def np_ratio(negative_mAh_cm2: float, positive_mAh_cm2: float) -> float:
    """N/P ratio: areal capacity of the negative electrode / that of the positive."""
    return positive("negative_mAh_cm2", negative_mAh_cm2) / positive("positive_mAh_cm2", positive_mAh_cm2)


def current_for_c_rate_mA(c_rate_per_h: float, capacity_mAh: float) -> float:
    """Current (mA) that passes ``capacity_mAh`` in 1/``c_rate_per_h`` hours (1C: in one hour). With an
    areal capacity (mAh/cm2) it is the current density, mA/cm2."""
    return positive("c_rate_per_h", c_rate_per_h) * positive("capacity_mAh", capacity_mAh)


def c_rate_for_current(current_mA: float, capacity_mAh: float) -> float:
    """C-rate (1/h) of a current: |current| / capacity (mA / mAh, or mA/cm2 / mAh/cm2)."""
    if isinstance(current_mA, bool) or not isinstance(current_mA, (int, float)) or not math.isfinite(current_mA) \
            or current_mA == 0:
        raise ValidationError("current_mA", f"must be a finite non-zero number, got {current_mA!r}")
    return abs(float(current_mA)) / positive("capacity_mAh", capacity_mAh)


def thickness_change_pct(before_um: float, after_um: float) -> float:
    """``(after - before) / before x 100``: > 0 expansion, < 0 shrinkage, relative to ``before``."""
    before = positive("before_um", before_um)
    return (positive("after_um", after_um) - before) / before * 100.0
