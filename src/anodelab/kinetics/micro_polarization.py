"""Micro-polarization: i0 from the slope of the curve near equilibrium, or from a charge-transfer resistance.

Near equilibrium (|eta - I R_u| <= ``micro_window_mV``, per electrode) ``i = eta / R_ct`` with
``R_ct = R T / (n F i0)`` (alpha_a + alpha_c = n); :func:`micro_polarization_i0` gives the same i0
from an EIS charge-transfer resistance.
"""

from __future__ import annotations

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.core.result import Quantity
from anodelab.kinetics.lines import polynomial
from anodelab.kinetics.polarization import PolarizationCurve
from anodelab.kinetics.tafel_results import MicroPolarization
from anodelab.models.kinetics import check_positive, thermal_voltage_V


def micro_slope(curve: PolarizationCurve, R_u_ohm: float, window_V: float
                ) -> tuple[float, float, int] | None:
    """Slope di/deta (unit per V) of a line through the points within ``window_V`` of equilibrium, its
    stderr and the number of points (None with fewer than 3)."""
    eta = curve.corrected_eta_V(R_u_ohm)
    near = np.abs(eta) <= window_V
    if np.count_nonzero(near) < 3 or np.ptp(eta[near]) == 0:
        return None
    (_, slope), (_, error), _ = polynomial(eta[near], curve.i[near], 1)
    return float(slope), float(error), int(np.count_nonzero(near))


def micro_fit(curve: PolarizationCurve, R_u_ohm: float, window_mV: float) -> MicroPolarization | None:
    """R_ct and i0 from the slope within ``window_mV`` of equilibrium (None without a positive slope)."""
    found = micro_slope(curve, R_u_ohm, window_mV * 1e-3)
    if found is None or found[0] <= 0:
        return None
    slope, error, count = found
    per = "ohm cm2" if curve.area_cm2 else "ohm"
    R_ct = 1e3 / slope  # V / (mA/cm2) -> ohm cm2
    i0 = curve.electrodes * thermal_voltage_V(curve.T_K) * slope / curve.n_electrons
    return MicroPolarization(window_mV, count, Quantity(R_ct, R_ct * error / slope, per),
                             Quantity(i0, i0 * error / slope, curve.unit))


def micro_polarization_i0(R_ct_ohm: float, area_cm2: float, T_K: float = 298.15, n: int = 1, *,
                          R_ct_stderr_ohm: float | None = None, symmetric: bool = False) -> Quantity:
    """Exchange current density (mA/cm2) from a charge-transfer resistance (ohm, e.g. an EIS fit's):
    ``i0 = R T / (n F R_ct A)`` (alpha_a + alpha_c = n). ``symmetric``: R_ct holds two identical
    interfaces in series, each R_ct / 2. The stderr follows from ``R_ct_stderr_ohm``."""
    resistance = check_positive("R_ct_ohm", R_ct_ohm)
    area = check_positive("area_cm2", area_cm2)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError("n", f"must be a positive integer, got {n!r}")
    per_interface = resistance / 2.0 if symmetric else resistance
    i0 = thermal_voltage_V(T_K) / (n * per_interface * area) * 1e3
    error = None if R_ct_stderr_ohm is None else i0 * check_positive("R_ct_stderr_ohm", R_ct_stderr_ohm,
                                                                     allow_zero=True) / resistance
    return Quantity(i0, error, "mA/cm2")
