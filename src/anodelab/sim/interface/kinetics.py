"""Electrode kinetics at a reacting surface: the current density leaving the metal (or electron
conductor) into the electrolyte at overpotential ``eta``, in SI-like units (A/cm2, V).

``linear``: ``i = eta / R_ct`` with ``R_ct = R T / ((alpha_a + alpha_c) F i0)``; ``bv``: Butler-Volmer
``i = i0 [exp(alpha_a eta / V_T) - exp(-alpha_c eta / V_T)]`` (``V_T = R T / F``), as in
:mod:`anodelab.models.kinetics`. A positive overpotential strips (anodic), a negative one plates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError
from anodelab.models.kinetics import (
    butler_volmer_overpotential_V,
    charge_transfer_resistance_ohm_cm2,
    check_positive,
    thermal_voltage_V,
)

LAWS = ("none", "linear", "bv")
Law = Literal["none", "linear", "bv"]
#: exponents above this (in units of the thermal voltage) are not evaluated: the current is taken as infinite
_MAX_EXPONENT = 700.0


@dataclass(frozen=True)
class Kinetics:
    """A reacting surface's law (``linear`` or ``bv``) with its exchange current density."""

    law: Literal["linear", "bv"]
    i0_mA_cm2: float
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    T_K: float = 298.15

    def __post_init__(self) -> None:
        if self.law not in ("linear", "bv"):
            raise ValidationError("kinetics", f"a reacting surface's law is 'linear' or 'bv', got {self.law!r}")
        check_positive("i0_mA_cm2", self.i0_mA_cm2)
        for name in ("alpha_a", "alpha_c"):
            if not 0 < check_positive(name, getattr(self, name)) <= 1:
                raise ValidationError(name, f"a transfer coefficient must lie in (0, 1], got {getattr(self, name)!r}")

    @property
    def R_ct_ohm_cm2(self) -> float:
        """The charge-transfer (linear-polarisation) area resistance."""
        return charge_transfer_resistance_ohm_cm2(self.i0_mA_cm2, alpha_a=self.alpha_a, alpha_c=self.alpha_c, T_K=self.T_K)

    def current_A_cm2(self, eta_V: NDArray[np.float64]) -> NDArray[np.float64]:
        """Current density at overpotential ``eta_V`` (inf beyond exp(700): rejected by the solver's line search)."""
        if self.law == "linear":
            return eta_V / self.R_ct_ohm_cm2
        vt = thermal_voltage_V(self.T_K)
        i0 = self.i0_mA_cm2 * 1e-3
        a, c = self.alpha_a * eta_V / vt, -self.alpha_c * eta_V / vt
        current = i0 * (np.exp(np.minimum(a, _MAX_EXPONENT)) - np.exp(np.minimum(c, _MAX_EXPONENT)))
        return np.where(a > _MAX_EXPONENT, np.inf, np.where(c > _MAX_EXPONENT, -np.inf, current))

    def slope_S_cm2(self, eta_V: NDArray[np.float64]) -> NDArray[np.float64]:
        """``di / deta`` at ``eta_V``."""
        if self.law == "linear":
            return np.full_like(eta_V, 1.0 / self.R_ct_ohm_cm2)
        vt = thermal_voltage_V(self.T_K)
        i0 = self.i0_mA_cm2 * 1e-3
        a = np.minimum(self.alpha_a * eta_V / vt, _MAX_EXPONENT)
        c = np.minimum(-self.alpha_c * eta_V / vt, _MAX_EXPONENT)
        return i0 * (self.alpha_a * np.exp(a) + self.alpha_c * np.exp(c)) / vt

    def overpotential_V(self, i_A_cm2: float, scale: float = 1.0) -> float:
        """The overpotential at which the surface passes the uniform current density ``i_A_cm2``, its
        exchange current density times ``scale`` (``(c / c0)^alpha_a`` at a depleted surface)."""
        if self.law == "linear":
            return i_A_cm2 * self.R_ct_ohm_cm2 / scale
        return float(butler_volmer_overpotential_V(i_A_cm2 * 1e3, i0_mA_cm2=self.i0_mA_cm2 * scale, alpha_a=self.alpha_a,
                                                   alpha_c=self.alpha_c, T_K=self.T_K))

    def secant(self, i_A_cm2: float) -> Kinetics:
        """The linear law through the origin and this law's point at ``i_A_cm2``: the Newton start."""
        if self.law == "linear" or i_A_cm2 == 0:
            return Kinetics("linear", self.i0_mA_cm2, self.alpha_a, self.alpha_c, self.T_K)
        resistance = self.overpotential_V(i_A_cm2) / i_A_cm2
        vt = thermal_voltage_V(self.T_K)
        i0_mA_cm2 = vt / ((self.alpha_a + self.alpha_c) * resistance) * 1e3
        return Kinetics("linear", i0_mA_cm2, self.alpha_a, self.alpha_c, self.T_K)
