"""Exchange current densities from a polarization curve: Tafel lines chosen by a printed rule, a full
Butler-Volmer fit with an uncompensated resistance and limiting currents, and the micro-polarization
(charge-transfer resistance) cross-check.

The steps, each in its module (rules in its docstring):

- the curve, ``eta = E - E_eq`` and the current density: :mod:`anodelab.kinetics.polarization`;
- the Tafel window of each branch and the branches combined: :mod:`anodelab.kinetics.tafel_window`;
- the Butler-Volmer fit (:func:`exchange_current`): :mod:`anodelab.kinetics.bv_fit`, its model
  :mod:`anodelab.kinetics.butler_volmer`;
- micro-polarization and :func:`micro_polarization_i0`: :mod:`anodelab.kinetics.micro_polarization`;
- the results: :mod:`anodelab.kinetics.tafel_results`.

Without a Tafel region, a micro-polarization i0 more than 20 % from the Butler-Volmer fit's is named
in a warning; so is a Tafel i0 more than 20 % from it.
"""

from __future__ import annotations

import dataclasses
import math

from anodelab.core.cell import CellInfo
from anodelab.core.errors import FitError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Quantity, stamps_call
from anodelab.kinetics.butler_volmer import (
    ir_overpotential,
    limited_butler_volmer,
    limited_current,
)
from anodelab.kinetics.bv_fit import (
    BIC_MARGIN,
    E_EQ_OFFSET_V,
    MAX_EVALUATIONS,
    PARAMETERS,
    WEIGHT_FLOOR_FRACTION,
    fit_butler_volmer,
)
from anodelab.kinetics.micro_polarization import micro_fit, micro_polarization_i0
from anodelab.kinetics.polarization import (
    BRANCHES,
    MIN_STEP_ROWS,
    OCV_SPREAD_V,
    STEADY_RTOL,
    ZERO_CROSSING_WINDOW_V,
    ZERO_CURRENT_OFFSET_V,
    FloatArray,
    PolarizationCurve,
    polarization_curve_points,
)
from anodelab.kinetics.tafel_results import (
    ButlerVolmerFit,
    MicroPolarization,
    TafelAnalysis,
    TafelBranch,
)
from anodelab.kinetics.tafel_window import (
    BACK_REACTION_FRACTION,
    TafelRule,
    combine,
    tafel_branch,
    tafel_lower_limit_V,
)
from anodelab.models.kinetics import check_positive

# the solver's private names, as the regression tests reach them
_limited = limited_current
_overpotential = ir_overpotential


def _check_options(R_u_ohm: float | None, r2_min: float, curvature_rtol: float, min_points: int,
                   min_decades: float, micro_window_mV: float) -> None:
    if R_u_ohm is not None:
        check_positive("R_u_ohm", R_u_ohm, allow_zero=True)
    if not (isinstance(r2_min, (int, float)) and 0 < r2_min < 1):
        raise ValidationError("r2_min", f"must lie in (0, 1), got {r2_min!r}")
    check_positive("curvature_rtol", curvature_rtol)
    check_positive("min_decades", min_decades)
    check_positive("micro_window_mV", micro_window_mV)
    if isinstance(min_points, bool) or not isinstance(min_points, int) or min_points < 3:
        raise ValidationError("min_points", f"must be an integer >= 3, got {min_points!r}")


@stamps_call
def exchange_current(record: Record, cell: CellInfo | None = None, *, E_eq_V: float | None = None,
                     R_u_ohm: float | None = None, T_K: float | None = None, n_electrons: int = 1,
                     symmetric: bool = False, steady_fraction: float = 0.2) -> ButlerVolmerFit:
    """Butler-Volmer fit over a whole polarization curve (sweep or steps) with an uncompensated
    resistance (``R_u_ohm`` None: fitted; a number: fixed) and a limiting current per branch; i0 with
    its standard error from the fit covariance (model and rules in :mod:`anodelab.kinetics.bv_fit`)."""
    _check_options(R_u_ohm, 0.5, 1.0, 3, 1.0, 1.0)
    curve, warnings = polarization_curve_points(record, cell, E_eq_V=E_eq_V, T_K=T_K, n_electrons=n_electrons,
                                                symmetric=symmetric, steady_fraction=steady_fraction,
                                                analysis="exchange_current")
    fit = fit_butler_volmer(curve, R_u_ohm=R_u_ohm, E_eq_fixed=E_eq_V is not None, warnings=warnings)
    return _with_warnings(fit, warnings)


def _with_warnings(result: ButlerVolmerFit, warnings: list[str]) -> ButlerVolmerFit:
    return dataclasses.replace(result, warnings=tuple(warnings))


@stamps_call
def tafel(record: Record, cell: CellInfo | None = None, *, E_eq_V: float | None = None,
          R_u_ohm: float | None = None, T_K: float | None = None, n_electrons: int = 1, symmetric: bool = False,
          r2_min: float = 0.995, curvature_rtol: float = 0.05, min_points: int = 5, min_decades: float = 0.5,
          micro_window_mV: float = 10.0, steady_fraction: float = 0.2) -> TafelAnalysis:
    """Tafel analysis of a polarization curve (LSV, potential or current steps, symmetric cell): per branch
    the window by the printed rule (:mod:`anodelab.kinetics.tafel_window`), slope (mV/dec), alpha and i0
    with stderr, both branches combined, with the Butler-Volmer fit (:func:`exchange_current`) and the
    micro-polarization i0.

    ``R_u_ohm``: the uncompensated resistance the Tafel plot is corrected by (None: the Butler-Volmer
    fit's; 0: no correction). A curve with no Tafel region (too small in overpotential) says so and
    reports the Butler-Volmer and micro-polarization i0.
    """
    _check_options(R_u_ohm, r2_min, curvature_rtol, min_points, min_decades, micro_window_mV)
    curve, warnings = polarization_curve_points(record, cell, E_eq_V=E_eq_V, T_K=T_K, n_electrons=n_electrons,
                                                symmetric=symmetric, steady_fraction=steady_fraction)
    try:
        fit: ButlerVolmerFit | None = fit_butler_volmer(curve, R_u_ohm=R_u_ohm, E_eq_fixed=E_eq_V is not None,
                                                        warnings=warnings)
    except FitError as error:
        fit = None
        warnings.append(f"no Butler-Volmer fit: {error}")
    resistance, source = _resistance(R_u_ohm, fit)
    rule = TafelRule(tafel_lower_limit_V(curve), r2_min, curvature_rtol, min_points, min_decades)
    anodic, cathodic = _branches(curve, resistance, rule, warnings)
    branches = tuple(b for b in (anodic, cathodic) if b is not None)
    micro = micro_fit(curve, resistance, micro_window_mV * curve.electrodes)
    combined = combine(branches, curve.unit)
    _cross_check(combined, fit, micro, warnings)
    rules = {
        "overpotential": f"eta = E - E_eq, E_eq = {curve.E_eq_V:.5g} V from the {curve.E_eq_source}; Tafel lines on "
                         f"eta - I R_u, R_u = {resistance:.4g} ohm from {source}",
        **rule.definitions(curve),
    }
    return TafelAnalysis(curve=curve, anodic=anodic, cathodic=cathodic, combined_i0=combined, butler_volmer=fit,
                         micro_polarization=micro, R_u_ohm=resistance, R_u_source=source, rules=rules,
                         warnings=tuple(warnings))


def _resistance(R_u_ohm: float | None, fit: ButlerVolmerFit | None) -> tuple[float, str]:
    """The uncompensated resistance the Tafel lines are corrected by, and where it came from."""
    if R_u_ohm is not None:
        return float(R_u_ohm), "given (R_u_ohm)" if R_u_ohm else "none (R_u_ohm = 0)"
    if fit is not None:
        return fit.R_u_ohm.value, "the Butler-Volmer fit"
    return 0.0, "none (no Butler-Volmer fit)"


def _branches(curve: PolarizationCurve, resistance: float, rule: TafelRule, warnings: list[str]
              ) -> tuple[TafelBranch | None, TafelBranch | None]:
    """The anodic and cathodic Tafel lines on ``eta - I R_u`` (None where a branch has none, and why in
    ``warnings``; a window under one decade is named too)."""
    eta = curve.corrected_eta_V(resistance)
    found = {name: tafel_branch(name, eta, curve.i, curve, rule) for name in BRANCHES}
    for _, reason in found.values():
        if reason:
            warnings.append(reason)
    anodic, cathodic = found["anodic"][0], found["cathodic"][0]
    for b in (anodic, cathodic):
        if b is not None and b.decades < 1.0:
            warnings.append(f"the {b.branch} Tafel window spans only {b.decades:.2f} decade of current")
    return anodic, cathodic


def _cross_check(combined: Quantity | None, fit: ButlerVolmerFit | None, micro: MicroPolarization | None,
                 warnings: list[str]) -> None:
    """Warnings where the Tafel i0 or, without a Tafel region, the micro-polarization i0 lies more than
    20 % from the Butler-Volmer fit's."""
    if combined is not None and fit is not None and abs(math.log(combined.value / fit.i0.value)) > math.log(1.2):
        warnings.append(f"the Tafel i0 ({combined}) and the Butler-Volmer fit's ({fit.i0}) differ by more than 20 %")
    if combined is None:
        warnings.append("no Tafel region on either branch: i0 from the Butler-Volmer fit over the whole curve, "
                        "cross-checked by micro-polarization")
        if fit is not None and micro is not None and abs(math.log(micro.i0.value / fit.i0.value)) > math.log(1.2):
            warnings.append(f"the micro-polarization i0 ({micro.i0}) and the Butler-Volmer fit's ({fit.i0}) differ by "
                            "more than 20 %: the curve does not tell the kinetics from the IR drop (i0 uncertain)")


__all__ = [
    "BACK_REACTION_FRACTION",
    "BIC_MARGIN",
    "BRANCHES",
    "E_EQ_OFFSET_V",
    "MAX_EVALUATIONS",
    "MIN_STEP_ROWS",
    "OCV_SPREAD_V",
    "PARAMETERS",
    "STEADY_RTOL",
    "WEIGHT_FLOOR_FRACTION",
    "ZERO_CROSSING_WINDOW_V",
    "ZERO_CURRENT_OFFSET_V",
    "ButlerVolmerFit",
    "FloatArray",
    "MicroPolarization",
    "PolarizationCurve",
    "TafelAnalysis",
    "TafelBranch",
    "exchange_current",
    "limited_butler_volmer",
    "micro_polarization_i0",
    "polarization_curve_points",
    "tafel",
]
