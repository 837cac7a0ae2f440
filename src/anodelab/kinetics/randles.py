"""Randles-Sevcik: D from the peak current against sqrt(scan rate) across voltammograms at several rates.

Two or more scan rates (never one); the power law |I_p| ~ nu^b is its check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.constants import FARADAY_C_MOL, GAS_CONSTANT_J_MOL_K
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.result import Quantity, stamps_call
from anodelab.kinetics.cv_results import (
    IRREVERSIBLE,
    REVERSIBLE,
    RandlesSevcik,
    Voltammogram,
)
from anodelab.kinetics.lines import line_fit
from anodelab.models.kinetics import check_positive

#: two scan rates are one when they differ by less than this fraction (Randles-Sevcik)
SAME_RATE_RTOL = 0.01


@stamps_call
def randles_sevcik(
    results: Sequence[Voltammogram],
    *,
    direction: Literal["reduction", "oxidation"] = "reduction",
    cycle: int = 1,
    near_V: float | None = None,
    n_electrons: int = 1,
    concentration_mol_L: float | None = None,
    area_cm2: float | None = None,
    T_K: float = 298.15,
    alpha: float | None = None,
) -> RandlesSevcik:
    """D from the slope of |I_p| against sqrt(scan rate) across voltammograms at two or more scan
    rates (never from one). From each result: the ``direction`` peak of the first sweep of that
    direction in ``cycle`` nearest ``near_V`` (default: the largest |I_peak|). ``alpha`` (alpha n_a)
    given: the totally irreversible form (0.4958, sqrt(alpha F nu D / R T)); else the reversible one
    (0.4463, sqrt(n F nu D / R T)). D needs the electrode area (``area_cm2``, else the results') and
    the bulk concentration of the species (``concentration_mol_L``); without them the slope and the
    exponent are reported alone."""
    T, concentration = _check_options(direction, n_electrons, T_K, concentration_mol_L, alpha)
    voltammograms = _voltammograms(results)
    points = [_point(result, direction, cycle, near_V) for result in voltammograms]
    rates = np.array([p["scan_rate_mV_s"] for p in points])
    distinct = _distinct_rates(rates)
    if distinct < 2:
        raise NotApplicableError(f"randles_sevcik: {len(points)} voltammogram{'s' * (len(points) != 1)} at one scan "
                                 "rate; the slope of I_p against sqrt(scan rate) needs at least two scan rates")
    nu = rates / 1e3
    current = np.abs(np.array([p["I_peak_mA"] for p in points]))
    slope, intercept, r2 = line_fit(np.sqrt(nu), current)
    exponent, _, _ = line_fit(np.log(nu), np.log(current))
    warnings = _line_warnings(distinct, exponent, intercept, current)
    area = area_cm2 if area_cm2 is not None else next((r.area_cm2 for r in voltammograms if r.area_cm2), None)
    constant = IRREVERSIBLE if alpha is not None else REVERSIBLE
    D = _diffusion(slope, area, concentration, alpha, n_electrons, T, constant, warnings)
    return RandlesSevcik(direction, tuple(points), Quantity(slope.value, slope.stderr, "mA s^0.5 V^-0.5"),
                         Quantity(intercept.value, intercept.stderr, "mA"), Quantity(exponent.value, exponent.stderr, ""),
                         r2, D, constant, warnings=tuple(warnings))


def _check_options(direction: str, n_electrons: int, T_K: float, concentration_mol_L: float | None,
                   alpha: float | None) -> tuple[float, float | None]:
    """The options checked: the temperature (K) and the concentration (mol/L, or None)."""
    if direction not in ("reduction", "oxidation"):
        raise ValidationError("direction", f"expected 'reduction' or 'oxidation', got {direction!r}")
    if isinstance(n_electrons, bool) or not isinstance(n_electrons, int) or n_electrons < 1:
        raise ValidationError("n_electrons", f"must be a positive integer, got {n_electrons!r}")
    T = check_positive("T_K", T_K)
    concentration = None if concentration_mol_L is None else check_positive("concentration_mol_L", concentration_mol_L)
    if alpha is not None and not (isinstance(alpha, (int, float)) and 0 < alpha <= n_electrons):
        raise ValidationError("alpha", f"alpha n_a must lie in (0, n_electrons], got {alpha!r}")
    return T, concentration


def _voltammograms(results: Sequence[Voltammogram] | Voltammogram) -> list[Voltammogram]:
    """The results as a list (one alone is a list of one), each checked to be a voltammogram."""
    listed = list(results) if not isinstance(results, Voltammogram) else [results]
    bad = [type(r).__name__ for r in listed if not isinstance(r, Voltammogram)]
    if bad:
        raise ValidationError("results", f"expected voltammetry results, got {', '.join(bad)}")
    return listed


def _point(result: Voltammogram, direction: str, cycle: int, near_V: float | None) -> dict[str, Any]:
    """The result's peak (source, scan rate, peak number, potential, current), or NotApplicableError
    where it has none or no scan rate."""
    source = result.provenance.path if result.provenance is not None else None
    peak = _pick_peak(result, direction, cycle, near_V)
    if peak is None:
        raise NotApplicableError(f"randles_sevcik: {source or 'a result'} has no {direction} peak in cycle {cycle}")
    if peak["scan_rate_mV_s"] is None:
        raise NotApplicableError(f"randles_sevcik: {source or 'a result'} has no scan rate (no time column; "
                                 "give scan_rate_mV_s to voltammetry)")
    return {"source": source, "scan_rate_mV_s": peak["scan_rate_mV_s"], "peak": peak["peak"],
            "E_peak_V": peak["E_peak_V"], "I_peak_mA": peak["I_peak_mA"]}


def _distinct_rates(rates: NDArray[np.float64]) -> int:
    """How many scan rates differ by :data:`SAME_RATE_RTOL` or more."""
    ordered = np.sort(rates)
    return 1 + int(np.count_nonzero(ordered[1:] > ordered[:-1] * (1 + SAME_RATE_RTOL)))


def _line_warnings(distinct: int, exponent: Quantity, intercept: Quantity, current: NDArray[np.float64]) -> list[str]:
    """What the lines say against Randles-Sevcik: too few rates, an exponent off 0.5, an intercept off 0."""
    warnings = []
    if distinct == 2:
        warnings.append("two scan rates: the line has no residual, no uncertainties, and linearity cannot be judged")
    if exponent.stderr is not None and abs(exponent.value - 0.5) > max(0.1, 2 * exponent.stderr) \
            or exponent.stderr is None and abs(exponent.value - 0.5) > 0.1:
        warnings.append(f"|I_p| ~ nu^{exponent.value:.2f}: not diffusion-controlled (0.5); Randles-Sevcik does not apply")
    if intercept.stderr is not None and abs(intercept.value) > 2 * intercept.stderr \
            and abs(intercept.value) > 0.1 * float(current.mean()):
        warnings.append(f"the sqrt(nu) line misses the origin by {intercept.value:.3g} mA (a baseline, a resistance or "
                        "a non-diffusive contribution)")
    return warnings


def _diffusion(slope: Quantity, area: float | None, concentration: float | None, alpha: float | None,
               n_electrons: int, T: float, constant: float, warnings: list[str]) -> Quantity | None:
    """D (cm2/s) from the slope, by the reversible or (``alpha`` given) irreversible form; None, and a
    warning, without the area or the concentration."""
    if area is None or concentration is None:
        warnings.append("no " + " and no ".join(n for n, v in (("electrode area", area), ("concentration", concentration))
                        if v is None) + ": D is not computed")
        return None
    check_positive("area_cm2", area)
    electrons = alpha if alpha is not None else n_electrons
    scale = constant * n_electrons * FARADAY_C_MOL * area * concentration * 1e-3  # A per sqrt(cm2/s) ... x sqrt(F/RT)
    root_D = slope.value * 1e-3 / scale / math.sqrt(electrons * FARADAY_C_MOL / (GAS_CONSTANT_J_MOL_K * T))
    value = root_D * root_D
    stderr = None if slope.stderr is None else 2 * value * slope.stderr / abs(slope.value)
    return Quantity(value, stderr, "cm2/s")


def _pick_peak(result: Voltammogram, direction: str, cycle: int, near_V: float | None) -> dict[str, Any] | None:
    """The result's ``direction`` peak in the first sweep of that direction in ``cycle``."""
    sweep = "cathodic" if direction == "reduction" else "anodic"
    segment = next((s["segment"] for s in result.segments if s["cycle"] == cycle and s["direction"] == sweep), None)
    candidates = [p for p in result.peaks if p["segment"] == segment and p["direction"] == direction]
    if not candidates:
        return None
    if near_V is not None:
        return min(candidates, key=lambda p: abs(p["E_peak_V"] - near_V))
    return max(candidates, key=lambda p: abs(p["I_peak_mA"]))
