"""A binary liquid electrolyte for the tertiary current distribution (Nernst-Planck), and its 1-D cell.

Model (dilute-solution theory, electroneutral, steady; Newman, *Electrochemical Systems*, ch. 11-12).
A salt of one cation (charge +1, the one the metal exchanges) and one anion (-1), ``c+ = c- = c``,
fluxes ``N± = -D± grad c ∓ D± c (F / R T) grad phi_s`` (``phi_s`` the electrostatic potential).
Eliminating ``phi_s``:

- the salt diffuses with the ambipolar coefficient ``D = 2 D+ D- / (D+ + D-)``; with ``t+ = D+ / (D+ + D-)``,
  ``t- = 1 - t+`` and the current density ``i``, ``N- = -D grad c - t- i / F``, and in steady state
  ``div N- = 0`` and ``div i = 0`` give ``laplacian(c) = 0``;
- ``i = -kappa(c) grad Phi + kappa(c) beta grad ln c`` with ``beta = 2 t- R T / F``, where
  ``Phi = phi_s + (R T / F) ln(c / c0)`` is the potential of a cation-reversible reference electrode
  in the solution, and ``kappa(c) = kappa0 c / c0``. The dilute theory gives ``kappa0 = F^2 (D+ + D-) c0 / (R T)``
  (:meth:`Electrolyte.nernst_einstein_kappa_S_cm`); the simulator takes ``kappa0`` as given, which is
  Newman's concentrated binary electrolyte with constant ``D``, ``t+`` and ``kappa`` proportional to ``c``.

Boundaries: at the metal the cation reacts and the anion is blocked (``N- . n = 0``), so the salt
enters at ``t- i / F``; the kinetics see the surface overpotential ``eta_s = V - Phi`` with the exchange
current density ``i0 (c / c0)^alpha_a`` (Li = Li+ + e-). ``salt="conserved"``: the counter is an
electrode of the same metal, reversible (at uniform ``Phi``) and blocking the anion: the salt in the
cell is conserved, mean ``c0`` (a symmetric Li | Li cell). ``salt="bulk"``: the counter boundary is
the edge of a stirred bulk at ``c0`` (a diffusion layer of the cell's thickness).

The 1-D cell, a uniform current density ``J`` (> 0 strips the metal at ``y = 0``) across an
electrolyte of thickness ``L`` (:func:`uniform_concentrations`, :func:`uniform_drop_V`):

- the salt profile is linear (``N- = 0``): ``dc/dy = -t- J / (F D)``; conserved: ``c(0) = c0 + t- J L / (2 F D)``,
  ``c(L) = c0 - t- J L / (2 F D)``; bulk: ``c(L) = c0``, ``c(0) = c0 + t- J L / (F D)``;
- the limiting current (the concentration at the depleting electrode reaches 0): conserved
  ``i_lim = 2 F D c0 / (t- L)`` either way; bulk ``i_lim = F D c0 / (t- L)`` for plating (none for stripping);
- ``Phi(0) - Phi(L) = (J L / kappa0) ln(c_L / c_0) / (c_L / c0 - c_0 / c0) + beta ln(c_0 / c_L)``: the ohmic drop at
  the log-mean conductivity and the concentration term;
- the concentration overpotential (the drop beyond the secondary distribution's at the same current):
  ``eta_c = eta_s(J; i0 (c_0/c0)^alpha_a) - eta_s(J; i0) + (J L / kappa0)(ln(c_L/c_0) / (c_L/c0 - c_0/c0) - 1)
  + beta ln(c_0 / c_L)``;
- the diffusion (liquid-junction) potential, the part of ``phi_s(0) - phi_s(L)`` that the gradient
  drives: ``(R T / F)(t- - t+) ln(c_0 / c_L)`` (``beta ln(c_0/c_L)`` less the Nernst term ``(R T / F) ln(c_0/c_L)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from anodelab.core.constants import FARADAY_C_MOL, GAS_CONSTANT_J_MOL_K
from anodelab.core.errors import ValidationError
from anodelab.models.kinetics import check_positive, thermal_voltage_V
from anodelab.sim.interface.conditions import SaltTransport

SALTS = ("conserved", "bulk")
Salt = Literal["conserved", "bulk"]
TRANSPORTS = ("ohmic", "nernst-planck")
Transport = Literal["ohmic", "nernst-planck"]
#: mol/L to mol/cm3
MOL_L_TO_MOL_CM3 = 1e-3


@dataclass(frozen=True)
class Electrolyte:
    """A binary electrolyte: salt concentration ``c0_mol_L``, the salt's diffusion coefficient
    ``D_cm2_s``, the cation's transference number ``t_plus`` (in (0, 1)) and how the salt is held
    (``salt``: ``conserved`` or ``bulk``, see the module docstring)."""

    c0_mol_L: float
    D_cm2_s: float
    t_plus: float
    salt: Salt = "conserved"

    def __post_init__(self) -> None:
        check_positive("c0_mol_L", self.c0_mol_L)
        check_positive("D_cm2_s", self.D_cm2_s)
        if isinstance(self.t_plus, bool) or not isinstance(self.t_plus, (int, float)) or not 0 < self.t_plus < 1:
            raise ValidationError("t_plus", f"a binary electrolyte's transference number lies in (0, 1), got {self.t_plus!r}")
        if self.salt not in SALTS:
            raise ValidationError("salt", f"must be one of {', '.join(SALTS)}, got {self.salt!r}")

    @classmethod
    def from_ions(cls, c0_mol_L: float, D_plus_cm2_s: float, D_minus_cm2_s: float, salt: Salt = "conserved") -> Electrolyte:
        """From the ions' diffusion coefficients: ``D = 2 D+ D- / (D+ + D-)``, ``t+ = D+ / (D+ + D-)``."""
        plus, minus = check_positive("D_plus_cm2_s", D_plus_cm2_s), check_positive("D_minus_cm2_s", D_minus_cm2_s)
        return cls(c0_mol_L, 2.0 * plus * minus / (plus + minus), plus / (plus + minus), salt)

    @property
    def t_minus(self) -> float:
        return 1.0 - self.t_plus

    @property
    def c0_mol_cm3(self) -> float:
        return self.c0_mol_L * MOL_L_TO_MOL_CM3

    def nernst_einstein_kappa_S_cm(self, T_K: float = 298.15) -> float:
        """The dilute theory's conductivity ``F^2 (D+ + D-) c0 / (R T)``, ``D+ + D- = D / (2 t+ t-)``."""
        ions = self.D_cm2_s / (2.0 * self.t_plus * self.t_minus)
        return FARADAY_C_MOL**2 * ions * self.c0_mol_cm3 / (GAS_CONSTANT_J_MOL_K * check_positive("T_K", T_K))

    def limiting_current_mA_cm2(self, thickness_um: float) -> float:
        """The 1-D cell's limiting current density: ``2 F D c0 / (t- L)`` with the salt conserved,
        ``F D c0 / (t- L)`` (plating) against a bulk."""
        L_cm = check_positive("thickness_um", thickness_um) * 1e-4
        share = 2.0 if self.salt == "conserved" else 1.0
        return share * FARADAY_C_MOL * self.D_cm2_s * self.c0_mol_cm3 / (self.t_minus * L_cm) * 1e3

    def transport(self, kappa_S_cm: float, T_K: float) -> SaltTransport:
        """The FEM's coefficients for this electrolyte with conductivity ``kappa_S_cm`` at ``c0``."""
        return SaltTransport(kappa_S_cm, self.t_minus, thermal_voltage_V(T_K),
                             FARADAY_C_MOL * self.D_cm2_s * self.c0_mol_cm3, self.salt == "conserved")

    def to_dict(self) -> dict[str, Any]:
        return {"c0_mol_L": self.c0_mol_L, "D_cm2_s": self.D_cm2_s, "t_plus": self.t_plus, "salt": self.salt}


def uniform_concentrations(J_A_cm2: float, L_cm: float, electrolyte: Electrolyte) -> tuple[float, float]:
    """``(c_0 / c0, c_L / c0)``: the 1-D cell's concentrations at the metal and at the counter."""
    drop = electrolyte.t_minus * J_A_cm2 * L_cm / (FARADAY_C_MOL * electrolyte.D_cm2_s * electrolyte.c0_mol_cm3)
    if electrolyte.salt == "conserved":
        return 1.0 + 0.5 * drop, 1.0 - 0.5 * drop
    return 1.0 + drop, 1.0


def uniform_drop_V(J_A_cm2: float, L_cm: float, kappa_S_cm: float, electrolyte: Electrolyte, T_K: float) -> float:
    """``Phi(0) - Phi(L)`` of the 1-D cell (ohmic at the log-mean conductivity plus ``beta ln(c_0 / c_L)``);
    ValidationError at or beyond the limiting current."""
    low, high = uniform_concentrations(J_A_cm2, L_cm, electrolyte)
    if min(low, high) <= 0:
        limit = electrolyte.limiting_current_mA_cm2(L_cm * 1e4)
        raise ValidationError("current_mA_cm2", f"{J_A_cm2 * 1e3:.4g} mA/cm2 is at or beyond the cell's limiting current "
                                                f"({limit:.4g} mA/cm2: 2 F D c0 / ((1 - t+) L) with the salt conserved, "
                                                f"F D c0 / ((1 - t+) L) against a bulk)")
    ohmic = J_A_cm2 * L_cm / kappa_S_cm
    if abs(high - low) > 1e-12:
        ohmic *= math.log(high / low) / (high - low)
    beta = 2.0 * electrolyte.t_minus * thermal_voltage_V(T_K)
    return ohmic + beta * math.log(low / high)
