"""Electrode kinetics: Butler-Volmer, Tafel, charge-transfer resistance and Arrhenius laws.

Sign convention as in :mod:`anodelab.core.conventions`: a positive overpotential ``eta_V`` drives an
anodic (oxidation, positive) current.

Butler-Volmer::

    i(eta) = i0 [exp(alpha_a F eta / (R T)) - exp(-alpha_c F eta / (R T))]

Tafel branches (|eta| >> RT/F): ``eta = b log10(|i| / i0)`` with slope ``b = ln(10) R T / (alpha F)``.
Near equilibrium: ``eta = R_ct i`` with ``R_ct = R T / ((alpha_a + alpha_c) F i0)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.constants import FARADAY_C_MOL, GAS_CONSTANT_J_MOL_K
from anodelab.core.errors import ValidationError


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a float, or ValidationError naming ``name`` when it is not a finite number > 0 (>= 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(name, f"must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(name, f"must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return number


def _check_alpha(name: str, value: Any) -> float:
    alpha = check_positive(name, value)
    if alpha > 1.0:
        raise ValidationError(name, f"a transfer coefficient must lie in (0, 1], got {value!r}")
    return alpha


def thermal_voltage_V(T_K: float) -> float:
    """``R T / F`` (V): 25.69 mV at 298.15 K."""
    return GAS_CONSTANT_J_MOL_K * check_positive("T_K", T_K) / FARADAY_C_MOL


def butler_volmer_mA_cm2(
    eta_V: ArrayLike,
    *,
    i0_mA_cm2: float,
    alpha_a: float = 0.5,
    alpha_c: float | None = None,
    T_K: float = 298.15,
) -> NDArray[np.float64]:
    """Butler-Volmer current density (mA/cm2) at overpotential ``eta_V``; ``alpha_c`` defaults to ``1 - alpha_a``."""
    i0 = check_positive("i0_mA_cm2", i0_mA_cm2)
    anodic = _check_alpha("alpha_a", alpha_a)
    cathodic = _check_alpha("alpha_c", 1.0 - anodic if alpha_c is None else alpha_c)
    f = 1.0 / thermal_voltage_V(T_K)
    eta = np.asarray(eta_V, dtype=np.float64)
    return i0 * (np.exp(anodic * f * eta) - np.exp(-cathodic * f * eta))


def butler_volmer_overpotential_V(
    i_mA_cm2: ArrayLike,
    *,
    i0_mA_cm2: float,
    alpha_a: float = 0.5,
    alpha_c: float | None = None,
    T_K: float = 298.15,
) -> NDArray[np.float64]:
    """The overpotential (V) at which Butler-Volmer gives current density ``i_mA_cm2`` (the inverse function).

    Closed form ``eta = (2 R T / F) asinh(i / (2 i0))`` for ``alpha_a = alpha_c = 0.5``; otherwise
    bisection to machine precision (i(eta) is strictly increasing).
    """
    i0 = check_positive("i0_mA_cm2", i0_mA_cm2)
    anodic = _check_alpha("alpha_a", alpha_a)
    cathodic = _check_alpha("alpha_c", 1.0 - anodic if alpha_c is None else alpha_c)
    current = np.asarray(i_mA_cm2, dtype=np.float64)
    if not np.all(np.isfinite(current)):
        raise ValidationError("i_mA_cm2", "current densities must be finite")
    vt = thermal_voltage_V(T_K)
    if anodic == cathodic == 0.5:
        return 2.0 * vt * np.arcsinh(current / (2.0 * i0))
    # bracket: each exponential branch alone bounds eta from outside
    bound = vt * np.log1p(np.abs(current) / i0) / min(anodic, cathodic) + vt
    low, high = -bound, bound
    for _ in range(200):
        middle = 0.5 * (low + high)
        above = (
            butler_volmer_mA_cm2(middle, i0_mA_cm2=i0, alpha_a=anodic, alpha_c=cathodic, T_K=T_K) > current
        )
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
        if np.all(high - low <= 4 * np.finfo(float).eps * np.maximum(np.abs(high), vt)):
            break
    return 0.5 * (low + high)


def tafel_slope_mV_dec(alpha: float, T_K: float = 298.15) -> float:
    """Tafel slope ``b = ln(10) R T / (alpha F)`` in mV per decade of current (118 mV/dec for alpha 0.5 at 25 degC)."""
    return math.log(10.0) * thermal_voltage_V(T_K) / _check_alpha("alpha", alpha) * 1000.0


def charge_transfer_resistance_ohm_cm2(
    i0_mA_cm2: float, *, alpha_a: float = 0.5, alpha_c: float | None = None, T_K: float = 298.15
) -> float:
    """Linear-polarisation (charge-transfer) area resistance ``R_ct = R T / ((alpha_a + alpha_c) F i0)``, ohm cm2."""
    i0_A_cm2 = check_positive("i0_mA_cm2", i0_mA_cm2) * 1e-3
    anodic = _check_alpha("alpha_a", alpha_a)
    cathodic = _check_alpha("alpha_c", 1.0 - anodic if alpha_c is None else alpha_c)
    return thermal_voltage_V(T_K) / ((anodic + cathodic) * i0_A_cm2)


def arrhenius(T_K: ArrayLike, *, Ea_kJ_mol: float, prefactor: float) -> NDArray[np.float64]:
    """``prefactor * exp(-Ea / (R T))``: a rate, conductance or conductivity in the prefactor's unit."""
    check_positive("Ea_kJ_mol", Ea_kJ_mol, allow_zero=True)
    check_positive("prefactor", prefactor)
    temperature = np.asarray(T_K, dtype=np.float64)
    if not np.all(np.isfinite(temperature)) or np.any(temperature <= 0):
        raise ValidationError("T_K", "temperatures must be finite and > 0 K")
    return prefactor * np.exp(-Ea_kJ_mol * 1e3 / (GAS_CONSTANT_J_MOL_K * temperature))


def kJ_mol_to_eV(Ea_kJ_mol: float) -> float:
    """An energy per mole (kJ/mol) as an energy per particle (eV): divide by F/1000 (96.485 kJ/mol per eV)."""
    return Ea_kJ_mol * 1e3 / FARADAY_C_MOL
