"""Exchange current densities from a polarization curve: Tafel lines chosen by a printed rule, a full
Butler-Volmer fit with an uncompensated resistance and limiting currents, and the micro-polarization
(charge-transfer resistance) cross-check.

**The curve.** From :func:`anodelab.core.steps.step_table`: the rows of the record's potential sweeps
(steps of mode ``sweep``; sweeps back over the same potentials, as in a CV, leave only the first), or a
stepped polarization: four or more constant-potential (``CV``) or constant-current (``CC``) steps of
three rows or more at four or more distinct set points, each giving one point, the mean potential and
current over its last ``steady_fraction`` (by time). A step whose response still drifts there (by more
than 10 % of its distance from equilibrium, plus 2 mV or 1 % of the largest current) is dropped; when
most drift, the record is galvanostatic cycling, not a polarization, and is refused. So are steps not
measured around one equilibrium: rests among them more than :data:`OCV_SPREAD_V` apart, or a current
that changes sign more than :data:`ZERO_CURRENT_OFFSET_V` from the open-circuit potential before them
(cycling, GITT or pulses at a changing state of charge). Rows without a finite voltage or current are
left out first.

**Overpotential** ``eta = E - E_eq``. ``E_eq``: given (``E_eq_V``), else the open-circuit potential of
the rest just before the polarization (mean of its last quarter of rows), else the zero-current
potential: a straight line I(E) through the points within 5 mV of the median sign change of the
current, solved for I = 0. The result says which (``E_eq_source``). Current density ``i = I / A`` with
A the working electrode's area (``cell.working_electrode.area_cm2``); without one, the current itself
(mA) and a warning. ``symmetric=True``: the voltage spans two identical electrodes (a symmetric cell
without reference, alpha_a = alpha_c assumed): each branch's slope is the sum of both electrodes'
Tafel slopes, the intercept still gives i0, and alpha is the per-electrode ``2 ln10 RT / (F b)``.

**Tafel rule** (per branch, on ``eta - I R_u``, R_u the Butler-Volmer fit's unless given):

- lower limit: the back reaction below 1 % of the forward one, ``|eta| >= (R T / (n F)) ln 100``
  (118.3 mV at 298.15 K, n = 1; twice that for a symmetric cell, whose voltage splits over two
  electrodes), exact for ``alpha_a + alpha_c = n``.
- upper limit: the largest |eta| (from the lower limit out) whose window, fitted by
  ``log10|i| = log10 i0 + eta / b``, has R^2 >= ``r2_min`` and residuals without curvature: a
  quadratic term that changes the slope across the window by more than ``curvature_rtol`` and is
  significant (beyond 3 standard errors) marks where mass transport (or IR left uncorrected) bends the
  curve. The window needs ``min_points`` points and ``min_decades`` decades of current.

Per branch: the slope b (mV/dec, magnitude), ``alpha = ln10 R T / (F b)`` and i0 (the line at
eta = 0) with their standard errors from the line's covariance. Both branches combined:
the inverse-variance mean of log10 i0, its standard error at least half their difference.

**Butler-Volmer fit** (:func:`exchange_current`), over the whole curve, by ``scipy.optimize.least_squares``::

    i = i0 (e^{alpha_a f eta} - e^{-alpha_c f eta}) / (1 + i0 e^{alpha_a f eta} / i_lim,a + i0 e^{-alpha_c f eta} / i_lim,c)
    eta = E - E_eq - I R_u,      f = F / (R T)

(kinetics in series with mass transport to a limiting current per branch; under potential control the
model current solves ``E - E_eq = eta + I R_u``, under current control eta follows from the set current,
so the noise of one variable never enters the other), residuals relative to
``|i| + 0.001 max|i|``, free: i0, alpha_a, alpha_c, R_u (>= 0), 1/i_lim per branch (>= 0: 0 is "not
reached"), an offset of E_eq within 50 mV; several starts, the best kept (a fit with limits starts
from the fit without them and from the first start with the limits at the largest currents). A
limiting current enters only where it lowers the Bayesian information criterion by more than 10 (IR
and mass transport both bend the ends of the curve; noise alone must not buy a limit). The Jacobian
is analytic (through the implicit eta under potential control). Standard errors from the covariance
``s^2 (J^T J)^-1`` of the parameters off their bounds (a parameter at a bound has none). Without a
Tafel region, a micro-polarization i0 more than 20 % from the fit's is named in a warning.
A branch without points beyond RT/F fixes its alpha to ``n - alpha`` of the other and its limit to
none; a curve that stays short of the Tafel lower limit on both sides (only the near-linear region)
assumes ``alpha_a + alpha_c = n`` and no limits (it cannot tell them apart from i0).

**Micro-polarization**: near equilibrium (|eta - I R_u| <= ``micro_window_mV``, per electrode) ``i = eta / R_ct``
with ``R_ct = R T / (n F i0)`` (alpha_a + alpha_c = n); :func:`micro_polarization_i0` gives the same
i0 from an EIS charge-transfer resistance.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.constants import ZERO_CELSIUS_K
from anodelab.core.errors import FitError, NotApplicableError, ValidationError
from anodelab.core.experiment import require_record
from anodelab.core.record import Record
from anodelab.core.result import Metric, Quantity, Result, stamps_call
from anodelab.core.steps import StepTable, step_table
from anodelab.models.kinetics import check_positive, thermal_voltage_V

FloatArray = NDArray[np.float64]

#: the back reaction below this fraction of the forward one sets the lower limit of a Tafel window
BACK_REACTION_FRACTION = 0.01
#: a step response that still drifts by more than this fraction of its distance from equilibrium
STEADY_RTOL = 0.10
#: a step of a stepped polarization has at least this many rows
MIN_STEP_ROWS = 3
#: the rests among the steps of a polarization sit at one open-circuit potential, within this (V)
OCV_SPREAD_V = 0.05
#: the steps' zero-current potential lies within this of the open-circuit potential before them (V)
ZERO_CURRENT_OFFSET_V = 0.1
#: points within this of the median sign change of the current set the zero-current potential (V)
ZERO_CROSSING_WINDOW_V = 0.005
#: residual weights |i| + this fraction of max|i| (the near-zero points keep a finite weight)
WEIGHT_FLOOR_FRACTION = 1e-3
#: a limiting current enters the Butler-Volmer fit only where it lowers the Bayesian information criterion
#: by more than this ("very strong" evidence, Kass and Raftery 1995): IR and mass transport both bend
#: the curve's ends, and noise alone must not buy a limit
BIC_MARGIN = 10.0
#: the most model evaluations one Butler-Volmer fit may take (a converging fit takes some tens; past this
#: a variant that cannot improve, such as limits on a noiseless curve, stops and is judged as it stands)
MAX_EVALUATIONS = 200
#: the E_eq offset the Butler-Volmer fit may take (V)
E_EQ_OFFSET_V = 0.05
BRANCHES = ("anodic", "cathodic")


# -- the curve -----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PolarizationCurve:
    """The points analysed: potential (V), current (mA), and how they were read.

    ``control``: ``sweep``, ``potential steps`` or ``current steps``; ``E_eq_V`` and ``E_eq_source``:
    the equilibrium potential and where it came from; ``E_zero_current_V``: the zero-current potential
    of the points (None without a sign change); ``area_cm2`` None: currents stay in mA.
    """

    E_V: FloatArray
    I_mA: FloatArray
    control: str
    E_eq_V: float
    E_eq_source: str
    E_zero_current_V: float | None
    area_cm2: float | None
    T_K: float
    n_electrons: int
    symmetric: bool

    @property
    def i(self) -> FloatArray:
        """Current density (mA/cm2), or current (mA) without an area."""
        return self.I_mA / self.area_cm2 if self.area_cm2 else self.I_mA

    @property
    def unit(self) -> str:
        return "mA/cm2" if self.area_cm2 else "mA"

    @property
    def eta_V(self) -> FloatArray:
        """``E - E_eq`` (V), not corrected for IR."""
        return self.E_V - self.E_eq_V

    def corrected_eta_V(self, R_u_ohm: float) -> FloatArray:
        """``E - E_eq - I R_u`` (V)."""
        return self.eta_V - self.I_mA * 1e-3 * R_u_ohm

    @property
    def electrodes(self) -> int:
        return 2 if self.symmetric else 1

    def to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "n_points": int(self.E_V.size), "E_eq_V": self.E_eq_V,
                "E_eq_source": self.E_eq_source, "E_zero_current_V": self.E_zero_current_V,
                "area_cm2": self.area_cm2, "current_unit": self.unit, "T_K": self.T_K,
                "n_electrons": self.n_electrons, "symmetric": self.symmetric}


def _where(record: Record) -> str:
    return record.provenance.path or "record"


def _require(data: object, analysis: str) -> Record:
    data = require_record(data, analysis, "a polarization Record (potential and current of a sweep or of "
                          "potential/current steps)", ("current_mA",))
    current = data["current_mA"]
    if not np.any(np.isfinite(current) & (current != 0)):
        raise NotApplicableError(f"{_where(data)}: {analysis} needs current; every current of the record is zero")
    return data


def _temperature_K(record: Record, cell: CellInfo | None, T_K: float | None, warnings: list[str]) -> float:
    if T_K is not None:
        return check_positive("T_K", T_K)
    if cell is not None and cell.temperature_C is not None:
        return cell.temperature_C + ZERO_CELSIUS_K
    if "temperature_C" in record and np.any(np.isfinite(record["temperature_C"])):
        return float(np.nanmedian(record["temperature_C"])) + ZERO_CELSIUS_K
    warnings.append("no temperature (cell.temperature_C, a temperature column or T_K): 298.15 K assumed")
    return 298.15


def _rest_before(table: StepTable, index: int, voltage: FloatArray) -> float | None:
    """Open-circuit potential of the rest step just before step ``index`` (mean of its last quarter)."""
    if index == 0 or table.mode[index - 1] != "rest":
        return None
    start, end = int(table.start[index - 1]), int(table.end[index - 1])
    tail = voltage[start + (end - start + 1) * 3 // 4:end + 1]
    return float(np.mean(tail)) if tail.size else None


def _zero_current_V(E: FloatArray, I: FloatArray) -> float | None:
    """The potential where a straight line I(E) through the points near the current's sign changes
    gives zero (None without a sign change)."""
    order = np.argsort(E, kind="stable")
    E, I = E[order], I[order]
    nonzero = np.flatnonzero(I != 0)
    change = nonzero[:-1][np.sign(I[nonzero[1:]]) != np.sign(I[nonzero[:-1]])]
    if change.size == 0:
        return None
    after = nonzero[np.searchsorted(nonzero, change) + 1]
    middle = float(np.median(0.5 * (E[change] + E[after])))
    near = np.abs(E - middle) <= ZERO_CROSSING_WINDOW_V
    if np.count_nonzero(near) < 3:
        near = np.zeros(E.size, dtype=bool)
        near[np.argsort(np.abs(E - middle))[:min(4, E.size)]] = True
    if np.ptp(E[near]) == 0:
        return middle
    slope, intercept = np.polyfit(E[near], I[near], 1)
    estimate = -intercept / slope if slope != 0 else middle
    return float(estimate) if abs(estimate - middle) <= 2 * ZERO_CROSSING_WINDOW_V else middle


def _sweep_legs(table: StepTable) -> list[tuple[int, int, int]]:
    """(first step, last step, direction) of each run of sweep steps in one direction; short steps
    between two sweep steps (a sign flip of the current near zero splitting a step) are absorbed."""
    sweeps = np.flatnonzero(table.mode == "sweep")
    legs: list[tuple[int, int, int]] = []
    for index in sweeps:
        direction = 1 if table.set_point[index] > 0 else -1
        if legs:
            first, last, leg_direction = legs[-1]
            between = np.arange(last + 1, index)
            rows = int(table.end[last] - table.start[first] + 1)
            short = bool(np.all(table.rows[between] <= max(5, rows // 50))) and not np.any(
                table.mode[between] == "impedance")
            if leg_direction == direction and short:
                legs[-1] = (first, int(index), direction)
                continue
        legs.append((int(index), int(index), direction))
    return legs


def _sweep_points(record: Record, table: StepTable, warnings: list[str]
                  ) -> tuple[FloatArray, FloatArray, str, float | None] | None:
    legs = _sweep_legs(table)
    if not legs:
        return None
    voltage = record["voltage_V"]
    spans = [(float(table.min_V[a:b + 1].min()), float(table.max_V[a:b + 1].max())) for a, b, _ in legs]
    overlapping = any(
        min(spans[i][1], spans[j][1]) - max(spans[i][0], spans[j][0])
        > 0.5 * min(spans[i][1] - spans[i][0], spans[j][1] - spans[j][0])
        for i in range(len(legs)) for j in range(i + 1, len(legs)))
    if overlapping:
        warnings.append(f"{len(legs)} sweeps over the same potentials (a voltammogram): only the first, steps "
                        f"{table.step[legs[0][0]]}..{table.step[legs[0][1]]}, is analysed")
        legs = legs[:1]
    rows = np.concatenate([np.arange(table.start[a], table.end[b] + 1) for a, b, _ in legs])
    ocv = _rest_before(table, legs[0][0], voltage)
    return voltage[rows], record["current_mA"][rows], "sweep", ocv


def _step_points(record: Record, table: StepTable, steady_fraction: float, warnings: list[str]
                 ) -> tuple[FloatArray, FloatArray, str, float | None]:
    where = _where(record)
    # a step of one or two rows (an instrument's switching record) cannot show a steady state
    found = {mode: np.flatnonzero((table.mode == mode) & (table.rows >= MIN_STEP_ROWS)) for mode in ("CV", "CC")}
    mode = max(found, key=lambda name: found[name].size)
    chosen = found[mode]
    control = "potential steps" if mode == "CV" else "current steps"
    modes = ", ".join(f"{count} {name}" for name, count in zip(*np.unique(table.mode, return_counts=True)))
    if chosen.size < 4:
        raise NotApplicableError(
            f"{where}: not a polarization curve: no potential sweep and fewer than 4 constant-potential or "
            f"constant-current steps (steps: {modes or 'none'})")
    points = table.set_point[chosen]
    resolution = 1e-3 if mode == "CV" else 0.01 * float(np.max(np.abs(points)))
    levels = np.unique(np.round(points / resolution))
    if levels.size < 4:
        unit = "V" if mode == "CV" else "mA"
        shown = ", ".join(f"{value:.4g}" for value in np.unique(np.round(points, 6))[:6])
        what = ("galvanostatic cycling, not a stepped polarization" if mode == "CC"
                else "potentiostatic holds, not a stepped polarization")
        raise NotApplicableError(
            f"{where}: {chosen.size} constant-{'potential' if mode == 'CV' else 'current'} steps at only "
            f"{levels.size} distinct set points ({shown} {unit}); a polarization curve needs 4 or more: "
            f"this looks like {what}")
    if found["CV"].size and found["CC"].size:
        other = "CC" if mode == "CV" else "CV"
        warnings.append(f"{found[other].size} {other} steps left out: the {chosen.size} {mode} steps make the curve")
    voltage, current = record["voltage_V"], record["current_mA"]
    time = record.columns.get("time_s")
    E = np.empty(chosen.size)
    I = np.empty(chosen.size)
    drift = np.empty(chosen.size)
    for k, index in enumerate(chosen):
        rows = np.arange(table.start[index], table.end[index] + 1)
        if time is not None and time[rows[-1]] > time[rows[0]]:
            tail = rows[time[rows] >= time[rows[-1]] - steady_fraction * (time[rows[-1]] - time[rows[0]])]
        else:
            tail = rows[-max(1, round(steady_fraction * rows.size)):]
        response = current[tail] if mode == "CV" else voltage[tail]
        E[k], I[k] = float(np.mean(voltage[tail])), float(np.mean(current[tail]))
        drift[k] = abs(float(response[-1] - response[0])) if tail.size > 1 else 0.0
    ocv = _rest_before(table, int(chosen[0]), voltage)
    reference = ocv if ocv is not None else _zero_current_V(E, I)
    if mode == "CV":
        allowed = STEADY_RTOL * np.abs(I) + 0.01 * float(np.max(np.abs(I)))
    else:
        distance = np.abs(E - (reference if reference is not None else float(np.median(E))))
        allowed = STEADY_RTOL * distance + 0.002
    steady = drift <= allowed
    if np.count_nonzero(steady) * 2 < chosen.size or np.count_nonzero(steady) < 4:
        raise NotApplicableError(
            f"{where}: the {'current' if mode == 'CV' else 'voltage'} of {chosen.size - int(steady.sum())} of "
            f"{chosen.size} {mode} steps still drifts over their last {steady_fraction:.0%}: not a steady-state "
            "polarization" + (" (a galvanostatic cycling record?)" if mode == "CC" else ""))
    if not steady.all():
        warnings.append(f"steps {', '.join(map(str, table.step[chosen[~steady]]))} left out: their response "
                        f"still drifts over the last {steady_fraction:.0%} of the step")
    _check_one_equilibrium(where, table, chosen, voltage, ocv, _zero_current_V(E[steady], I[steady]), mode)
    return E[steady], I[steady], control, ocv


def _check_one_equilibrium(where: str, table: StepTable, chosen: NDArray[np.intp], voltage: FloatArray,
                           ocv: float | None, zero: float | None, mode: str) -> None:
    """Refuse steps that are not measured around one equilibrium: rests among them at open-circuit
    potentials more than :data:`OCV_SPREAD_V` apart, or a zero-current potential of the points more than
    :data:`ZERO_CURRENT_OFFSET_V` from the open-circuit potential before them (cycling, GITT, pulse tests
    at a changing state of charge)."""
    rests = [_rest_before(table, int(k) + 1, voltage) for k in range(int(chosen[0]) - 1, int(chosen[-1]))
             if k >= 0 and table.mode[k] == "rest"]
    potentials = np.array([v for v in rests if v is not None])
    if potentials.size >= 2 and np.ptp(potentials) > OCV_SPREAD_V:
        raise NotApplicableError(
            f"{where}: not a polarization curve: the rests among the {chosen.size} {mode} steps sit at "
            f"{potentials.min():.4g} to {potentials.max():.4g} V; the open-circuit potential moves (cycling, GITT or "
            "pulses at a changing state of charge), a polarization is measured around one equilibrium")
    if ocv is not None and zero is not None and abs(zero - ocv) > ZERO_CURRENT_OFFSET_V:
        raise NotApplicableError(
            f"{where}: not a polarization curve: the {mode} steps' current changes sign at {zero:.4g} V, "
            f"{1e3 * (zero - ocv):+.0f} mV from the open-circuit potential {ocv:.4g} V before them "
            "(charge and discharge of a cell, not one equilibrium)")


def polarization_curve_points(record: Record, cell: CellInfo | None = None, *, E_eq_V: float | None = None,
                              T_K: float | None = None, n_electrons: int = 1, symmetric: bool = False,
                              steady_fraction: float = 0.2, analysis: str = "tafel"
                              ) -> tuple[PolarizationCurve, list[str]]:
    """The polarization curve of ``record`` (rules in the module docstring) and the warnings it raised."""
    record = _require(record, analysis)
    if isinstance(n_electrons, bool) or not isinstance(n_electrons, int) or n_electrons < 1:
        raise ValidationError("n_electrons", f"must be a positive integer, got {n_electrons!r}")
    if not (isinstance(steady_fraction, (int, float)) and 0 < steady_fraction <= 1):
        raise ValidationError("steady_fraction", f"must lie in (0, 1], got {steady_fraction!r}")
    warnings: list[str] = []
    cell = cell if cell is not None else record.cell
    # rows without a voltage or a current (gaps in a file) would break the steps they fall in
    finite = np.isfinite(record["voltage_V"]) & np.isfinite(record["current_mA"])
    if not finite.all():
        warnings.append(f"{finite.size - np.count_nonzero(finite)} row(s) without a finite voltage or current left out")
        record = record.take(finite)
    table = step_table(record)
    found = _sweep_points(record, table, warnings)
    E, I, control, ocv = found if found is not None else _step_points(record, table, steady_fraction, warnings)
    finite = np.isfinite(E) & np.isfinite(I)
    E, I = np.ascontiguousarray(E[finite]), np.ascontiguousarray(I[finite])
    if E.size < 5 or not np.any(I != 0):
        raise NotApplicableError(f"{_where(record)}: {E.size} polarization points"
                                 f"{'' if np.any(I != 0) else ', all at zero current'}; {analysis} needs 5 or more "
                                 "with current")
    zero = _zero_current_V(E, I)
    if E_eq_V is not None:
        if not (isinstance(E_eq_V, (int, float)) and math.isfinite(E_eq_V)):
            raise ValidationError("E_eq_V", f"must be a finite potential (V), got {E_eq_V!r}")
        E_eq, source = float(E_eq_V), "given (E_eq_V)"
    elif ocv is not None:
        E_eq, source = ocv, "open-circuit potential of the rest before the polarization"
    elif zero is not None:
        E_eq, source = zero, "zero crossing of the current"
    else:
        raise NotApplicableError(
            f"{_where(record)}: the current never changes sign and no rest precedes the {control}: the "
            f"equilibrium potential is unknown (pass E_eq_V); {analysis} needs a curve through equilibrium")
    if ocv is not None and zero is not None and E_eq_V is None and abs(zero - ocv) > 0.005:
        warnings.append(f"the current crosses zero at {zero:.4f} V, {1000 * (zero - ocv):+.1f} mV from the "
                        f"open-circuit potential {ocv:.4f} V used as E_eq")
    area = cell.working_electrode.area_cm2 if cell is not None else None
    if not area:
        warnings.append("no electrode area (working_electrode.area_cm2): currents and i0 in mA, not mA/cm2")
    if cell is not None and cell.cell_type == "symmetric" and not symmetric:
        warnings.append("the cell is symmetric, but the voltage is analysed as one electrode's overpotential "
                        "against a non-polarisable counter (symmetric=False); symmetric=True treats it as two "
                        "identical electrodes in series")
    curve = PolarizationCurve(E, I, control, E_eq, source, zero, area, _temperature_K(record, cell, T_K, warnings),
                              n_electrons, bool(symmetric))
    return curve, warnings


# -- Butler-Volmer with mass transport --------------------------------------------------------------------


def limited_butler_volmer(eta_V: FloatArray, *, i0: float, alpha_a: float, alpha_c: float, T_K: float,
                          i_lim_anodic: float | None = None, i_lim_cathodic: float | None = None) -> FloatArray:
    """Butler-Volmer kinetics in series with mass transport to a limiting current per branch (same unit
    as ``i0``; None: no limit): ``i0 (A - C) / (1 + i0 A / i_lim,a + i0 C / i_lim,c)`` with
    ``A = exp(alpha_a f eta)``, ``C = exp(-alpha_c f eta)``."""
    f = 1.0 / thermal_voltage_V(T_K)
    return _limited(np.asarray(eta_V, dtype=float), i0, alpha_a * f, alpha_c * f,
                    0.0 if i_lim_anodic is None else 1.0 / i_lim_anodic,
                    0.0 if i_lim_cathodic is None else 1.0 / i_lim_cathodic)


def _limited(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float) -> FloatArray:
    forward = np.exp(np.clip(af * eta, -200.0, 200.0))
    back = np.exp(np.clip(-cf * eta, -200.0, 200.0))
    result: FloatArray = i0 * (forward - back) / (1.0 + i0 * forward * ga + i0 * back * gc)
    return result


def _overpotential(drop_V: FloatArray, R: float, i0: float, af: float, cf: float, ga: float, gc: float
                   ) -> FloatArray:
    """The overpotential at which ``eta + R i(eta) = drop_V`` (``R`` in V per unit of current): Newton
    steps kept inside the bracket [0, drop] (i(eta) increases strictly), bisection where they leave it
    or stop halving the excess; converged points are left alone."""
    if R <= 0:
        return drop_V
    low, high = np.minimum(drop_V, 0.0), np.maximum(drop_V, 0.0)
    eta = drop_V / (1.0 + R * i0 * (af + cf))
    previous = np.full(drop_V.shape, np.inf)
    for _ in range(100):
        current, slope = _current_and_slope(eta, i0, af, cf, ga, gc)
        excess = eta + R * current - drop_V
        converged = np.abs(excess) <= 1e-12 * (1.0 + np.abs(drop_V))
        if converged.all():
            break
        high = np.where(excess > 0, eta, high)
        low = np.where(excess < 0, eta, low)
        step = eta - excess / (1.0 + R * slope)
        # Newton where it stays in the bracket and at least halves the excess, else bisection (Newton
        # alone can swing between the bracket's ends where a limiting current bends i(eta));
        # a converged point stays
        newton = (step >= low) & (step <= high) & (np.abs(excess) <= 0.5 * previous)
        eta = np.where(converged, eta, np.where(newton, step, 0.5 * (low + high)))
        previous = np.abs(excess)
    return eta


def _terms(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float
           ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(forward, back, denominator, current, d current / d eta) of :func:`_limited`."""
    forward = np.exp(np.clip(af * eta, -200.0, 200.0))
    back = np.exp(np.clip(-cf * eta, -200.0, 200.0))
    denominator = 1.0 + i0 * forward * ga + i0 * back * gc
    net = forward - back
    current = i0 * net / denominator
    slope = i0 * ((af * forward + cf * back) * denominator - net * i0 * (af * forward * ga - cf * back * gc)
                  ) / (denominator * denominator)
    return forward, back, denominator, current, slope


def _current_and_slope(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float
                       ) -> tuple[FloatArray, FloatArray]:
    return _terms(eta, i0, af, cf, ga, gc)[3:]


def _limited_partials(eta: FloatArray, i0: float, af: float, cf: float, ga: float, gc: float
                      ) -> tuple[FloatArray, ...]:
    """:func:`_limited` and its derivatives by eta, ln i0, af, cf, ga and gc."""
    forward, back, denominator, current, slope = _terms(eta, i0, af, cf, ga, gc)
    net_square = i0 * (forward - back) * i0 / denominator
    return (current, slope, current / denominator, i0 * eta * forward * (1.0 - net_square * ga / i0) / denominator,
            i0 * eta * back * (1.0 + net_square * gc / i0) / denominator, -current * i0 * forward / denominator,
            -current * i0 * back / denominator)


PARAMETERS = ("ln_i0", "alpha_a", "alpha_c", "R_u_ohm", "g_anodic", "g_cathodic", "dE_eq_V")


@dataclass(frozen=True, repr=False)
class ButlerVolmerFit(Result):
    """A Butler-Volmer fit over a whole polarization curve (model in the module docstring). Currents
    in the curve's unit (mA/cm2, or mA without an area); ``i_lim_*`` None where the fit reaches no limit."""

    kind: ClassVar[str] = "butler_volmer"
    version: ClassVar[int] = 2  # 2: converged solves, limits also fitted from the first starts

    curve: PolarizationCurve
    i0: Quantity
    alpha_a: Quantity
    alpha_c: Quantity
    R_u_ohm: Quantity
    i_lim_anodic: Quantity | None
    i_lim_cathodic: Quantity | None
    E_eq_V: Quantity
    rms_residual_pct: float
    fixed: tuple[str, ...] = ()

    def current(self, eta_V: FloatArray) -> FloatArray:
        """The fitted current (the curve's unit) at overpotential ``eta_V`` (IR-free, from the fitted E_eq)."""
        return limited_butler_volmer(
            eta_V, i0=self.i0.value, alpha_a=self._apparent(self.alpha_a.value),
            alpha_c=self._apparent(self.alpha_c.value), T_K=self.curve.T_K,
            i_lim_anodic=None if self.i_lim_anodic is None else self.i_lim_anodic.value,
            i_lim_cathodic=None if self.i_lim_cathodic is None else self.i_lim_cathodic.value)

    def _apparent(self, alpha: float) -> float:
        return alpha / self.curve.electrodes

    @property
    def eta_V(self) -> FloatArray:
        """The curve's overpotential corrected by the fit: ``E - E_eq(fit) - I R_u``."""
        return self.curve.E_V - self.E_eq_V.value - self.curve.I_mA * 1e-3 * self.R_u_ohm.value

    def metrics(self) -> tuple[Metric, ...]:
        unit = self.curve.unit
        definition = ("Butler-Volmer fit over the whole curve with an uncompensated resistance and a limiting "
                      "current per branch (stderr from the fit covariance)")
        metrics = [
            Metric.of("i0_bv", self.i0, definition=f"exchange current ({unit}), {definition}"),
            Metric.of("alpha_a_bv", self.alpha_a, definition=f"anodic transfer coefficient, {definition}"),
            Metric.of("alpha_c_bv", self.alpha_c, definition=f"cathodic transfer coefficient, {definition}"),
            Metric.of("R_u_bv", self.R_u_ohm, definition=f"uncompensated resistance, {definition}"),
        ]
        for name, limit in (("i_lim_anodic_bv", self.i_lim_anodic), ("i_lim_cathodic_bv", self.i_lim_cathodic)):
            if limit is not None:
                metrics.append(Metric.of(name, limit, definition=f"limiting current ({unit}), {definition}"))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        per = "mA_cm2" if self.curve.area_cm2 else "mA"

        def limit(quantity: Quantity | None) -> float | None:
            return None if quantity is None else quantity.value

        return {
            "i0_mA_cm2": self.i0.value if self.curve.area_cm2 else None,
            "i0_stderr_mA_cm2": self.i0.stderr if self.curve.area_cm2 else None,
            "I0_mA": self.i0.value * (self.curve.area_cm2 or 1.0),
            "alpha_a": self.alpha_a.value, "alpha_a_stderr": self.alpha_a.stderr,
            "alpha_c": self.alpha_c.value, "alpha_c_stderr": self.alpha_c.stderr,
            "R_u_ohm": self.R_u_ohm.value, "R_u_stderr_ohm": self.R_u_ohm.stderr,
            f"i_lim_anodic_{per}": limit(self.i_lim_anodic), f"i_lim_cathodic_{per}": limit(self.i_lim_cathodic),
            "E_eq_fit_V": self.E_eq_V.value, "E_eq_fit_stderr_V": self.E_eq_V.stderr,
            "rms_residual_pct": self.rms_residual_pct, "fixed": list(self.fixed),
            "curve": self.curve.to_dict(),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        return {"points": {"E_V": self.curve.E_V, "I_mA": self.curve.I_mA, "eta_mV": 1e3 * self.eta_V,
                           "i_fit": self.current(self.eta_V)}}

    def headline(self) -> str:
        return (f"Butler-Volmer i0 {self.i0}; alpha_a {self.alpha_a.value:.3f}, alpha_c {self.alpha_c.value:.3f}; "
                f"R_u {self.R_u_ohm.value:.3g} ohm")


def _fit_butler_volmer(curve: PolarizationCurve, *, R_u_ohm: float | None, E_eq_fixed: bool,
                       warnings: list[str]) -> ButlerVolmerFit:
    """The Butler-Volmer fit of ``curve`` (module docstring): first without limiting currents, then with
    one per branch and with both, each kept only where it lowers the BIC by more than :data:`BIC_MARGIN`."""
    from scipy.optimize import least_squares

    n, electrodes = curve.n_electrons, curve.electrodes
    f = 1.0 / thermal_voltage_V(curve.T_K)
    i, I_mA, eta0 = curve.i, curve.I_mA, curve.eta_V
    scale = float(np.max(np.abs(i)))
    weight = 1.0 / (np.abs(i) + WEIGHT_FLOOR_FRACTION * scale)
    vt = thermal_voltage_V(curve.T_K) * electrodes
    present = {name: int(np.count_nonzero(sign * eta0 > vt)) >= 3 for name, sign in (("anodic", 1), ("cathodic", -1))}
    if not any(present.values()):
        present = {"anodic": True, "cathodic": True}  # only the linear region: both alphas from its curvature
    fixed: list[str] = (["R_u_ohm"] if R_u_ohm is not None else []) + (["dE_eq_V"] if E_eq_fixed else [])
    for name in BRANCHES:
        if not present[name]:
            fixed += [f"alpha_{name[0]}", f"g_{name}"]
            warnings.append(f"no {name} branch beyond RT/F: the fit fixes alpha_{name[0]} = n - alpha of the other "
                            f"branch and no {name} limiting current")
    reach_V = float(np.max(np.abs(eta0)))
    if "alpha_c" not in fixed and "alpha_a" not in fixed and reach_V < vt * math.log(1.0 / BACK_REACTION_FRACTION) / n:
        fixed += ["alpha_c", "g_anodic", "g_cathodic"]
        warnings.append(f"the curve stays within {1e3 * reach_V:.0f} mV of equilibrium, short of any Tafel region: "
                        "the Butler-Volmer fit assumes alpha_a + alpha_c = n and no limiting current")
    largest = {name: float(np.max(np.abs(i[sign * i > 0]), initial=0.0)) for name, sign in (("anodic", 1), ("cathodic", -1))}
    R_max = float(np.ptp(curve.E_V)) / max(float(np.max(np.abs(I_mA))) * 1e-3, 1e-300)
    bounds = {
        "ln_i0": (math.log(scale) - 30.0, math.log(scale) + 10.0), "alpha_a": (0.02, float(n)),
        "alpha_c": (0.02, float(n)), "R_u_ohm": (0.0, R_max), "g_anodic": (0.0, 1.5 / max(largest["anodic"], 1e-300)),
        "g_cathodic": (0.0, 1.5 / max(largest["cathodic"], 1e-300)), "dE_eq_V": (-E_EQ_OFFSET_V, E_EQ_OFFSET_V),
    }
    per_unit = 1e-3 * (curve.area_cm2 or 1.0)  # V per ohm per unit of i
    controlled_current = curve.control == "current steps"

    def unpack(free: list[str], x: FloatArray) -> dict[str, float]:
        values = dict(zip(free, (float(v) for v in x)))
        values.setdefault("R_u_ohm", R_u_ohm if R_u_ohm is not None else 0.0)
        values.setdefault("dE_eq_V", 0.0)
        values.setdefault("alpha_a", n - values.get("alpha_c", 0.5 * n))
        values.setdefault("alpha_c", n - values["alpha_a"])
        values.setdefault("g_anodic", 0.0)
        values.setdefault("g_cathodic", 0.0)
        return values

    def kinetics(v: Mapping[str, float]) -> tuple[float, float, float, float, float]:
        return (math.exp(v["ln_i0"]), v["alpha_a"] * f / electrodes, v["alpha_c"] * f / electrodes,
                v["g_anodic"], v["g_cathodic"])

    solved: dict[tuple[float, ...], FloatArray] = {}  # the last overpotential: the Jacobian is asked at the same x

    def overpotential(v: Mapping[str, float]) -> FloatArray:
        if controlled_current:  # the current is set: the overpotential follows from it exactly
            return eta0 - v["dE_eq_V"] - I_mA * 1e-3 * v["R_u_ohm"]
        # the potential is set: the current solves E - E_eq = eta + I R_u
        key = tuple(v[name] for name in PARAMETERS)
        if key not in solved:
            solved.clear()
            solved[key] = _overpotential(eta0 - v["dE_eq_V"], v["R_u_ohm"] * per_unit, *kinetics(v))
        return solved[key]

    def model(v: Mapping[str, float]) -> FloatArray:
        return _limited(overpotential(v), *kinetics(v))

    def jacobian(free: list[str], v: Mapping[str, float]) -> FloatArray:
        """d model / d free parameters (analytic; under potential control through the implicit eta)."""
        current, slope, d_ln_i0, d_af, d_cf, d_ga, d_gc = _limited_partials(overpotential(v), *kinetics(v))
        per_alpha = f / electrodes
        d_alpha_a, d_alpha_c = d_af * per_alpha, d_cf * per_alpha
        if "alpha_c" not in free:  # alpha_c = n - alpha_a
            d_alpha_a = d_alpha_a - d_alpha_c
        elif "alpha_a" not in free:  # alpha_a = n - alpha_c
            d_alpha_c = d_alpha_c - d_af * per_alpha
        gain: FloatArray | float
        if controlled_current:
            gain, d_R, d_E = 1.0, -slope * I_mA * 1e-3, -slope
        else:
            gain = 1.0 / (1.0 + v["R_u_ohm"] * per_unit * slope)
            d_R, d_E = -slope * per_unit * current * gain, -slope * gain
        columns = {"ln_i0": d_ln_i0 * gain, "alpha_a": d_alpha_a * gain, "alpha_c": d_alpha_c * gain,
                   "g_anodic": d_ga * gain, "g_cathodic": d_gc * gain, "R_u_ohm": d_R, "dE_eq_V": d_E}
        return np.column_stack([columns[name] for name in free]) * weight[:, None]

    def solve(free: list[str], starts: list[dict[str, float]]) -> Any:
        low = np.array([bounds[name][0] for name in free])
        high = np.array([bounds[name][1] for name in free])
        best = None
        for start in starts:
            x0 = np.clip([start[name] for name in free], low, high)
            def residuals(x: FloatArray) -> FloatArray:
                return (model(unpack(free, x)) - i) * weight

            def derivatives(x: FloatArray) -> FloatArray:
                return jacobian(free, unpack(free, x))

            try:
                # lsmr: an exact trust-region step costs an SVD of the whole Jacobian per iteration
                solution = least_squares(residuals, x0, jac=derivatives, bounds=(low, high), x_scale="jac",
                                         method="trf", tr_solver="lsmr", max_nfev=MAX_EVALUATIONS)
            except (ValueError, FloatingPointError):
                continue
            if np.isfinite(solution.cost) and (best is None or solution.cost < best.cost):
                best = solution
        return best

    micro = _micro_slope(curve, 0.0, 0.01)
    guess_i0 = micro[0] * vt / n if micro is not None and micro[0] > 0 else scale / 100
    starts = [{"ln_i0": math.log(guess_i0), "alpha_a": alpha * n, "alpha_c": (1 - alpha) * n, "R_u_ohm": R_start,
               "dE_eq_V": 0.0} for alpha, R_start in ((0.5, 0.0), (0.5, 0.1 * R_max), (0.3, 0.1 * R_max))]
    base = [name for name in PARAMETERS if name not in fixed and not name.startswith("g_")]
    best = solve(base, starts)
    if best is None:
        raise FitError("the Butler-Volmer fit failed from every start")
    best_free = base
    count = i.size

    def bic(solution: Any, free: list[str]) -> float:
        return count * math.log(max(2.0 * solution.cost, 1e-300) / count) + len(free) * math.log(count)

    criterion = bic(best, base)
    found = unpack(base, best.x)
    for limits in (["g_anodic"], ["g_cathodic"], ["g_anodic", "g_cathodic"]):
        if any(name in fixed for name in limits):
            continue
        free = base + limits
        seed = {name: found[name] if found[name] > 0 else 0.1 * bounds[name][1] for name in limits}
        # also from the first starts with the limit at the largest current seen: a fit without limits may
        # have bent the curve's ends by a large R_u, a valley the limits alone do not leave
        plateau = {name: 1.0 / max(largest[name.removeprefix("g_")], 1e-300) for name in limits}
        solution = solve(free, [{**found, **seed}, {**starts[0], **plateau}])
        if solution is not None and bic(solution, free) < criterion - BIC_MARGIN:
            best, best_free, criterion = solution, free, bic(solution, free)
            found = unpack(free, best.x)
    return _bv_result(curve, best, best_free, unpack(best_free, best.x), fixed, weight, scale, warnings)


def _bv_result(curve: PolarizationCurve, best: Any, free: list[str], values: dict[str, float], fixed: list[str],
               weight: FloatArray, scale: float, warnings: list[str]) -> ButlerVolmerFit:
    dof = best.fun.size - len(free)
    if dof <= 0:
        raise FitError(f"{best.fun.size} points cannot determine {len(free)} Butler-Volmer parameters")
    s2 = 2.0 * best.cost / dof
    off_bound = best.active_mask == 0
    stderr: dict[str, float | None] = dict.fromkeys(PARAMETERS)
    J = best.jac[:, off_bound]
    if J.shape[1]:
        singular = np.linalg.svd(J, compute_uv=False)
        if singular[-1] > singular[0] * 1e-10:
            covariance = s2 * np.linalg.inv(J.T @ J)
            for name, variance in zip(np.asarray(free)[off_bound], np.diag(covariance)):
                stderr[str(name)] = math.sqrt(max(float(variance), 0.0))
        else:
            warnings.append("the Butler-Volmer parameters are not all determined by the curve (singular Jacobian): "
                            "no standard errors")
    at_bound = [name for name, active in zip(free, best.active_mask) if active != 0]
    for name in at_bound:
        if name in ("alpha_a", "alpha_c"):
            warnings.append(f"{name} of the Butler-Volmer fit sits at its bound ({values[name]:.3g})")
    for name, other in (("alpha_c", "alpha_a"), ("alpha_a", "alpha_c")):
        if name in fixed and other not in fixed:
            stderr[name] = stderr[other]
    unit = curve.unit

    def limit(name: str) -> Quantity | None:
        g = values[f"g_{name}"]
        if f"g_{name}" not in free or f"g_{name}" in at_bound or g <= 0:
            return None
        error = stderr[f"g_{name}"]
        return Quantity(1.0 / g, None if error is None else error / g**2, unit)

    def quantity(name: str, value: float, unit_: str) -> Quantity:
        return Quantity(value, stderr[name], unit_)

    i0 = math.exp(values["ln_i0"])
    i0_error = stderr["ln_i0"]
    if i0_error is None or i0_error > 0.5:
        warnings.append("the Butler-Volmer fit leaves i0 undetermined (standard error above half its value, or "
                        "none): the curve does not separate the kinetics from the IR drop")
    relative = np.sqrt(np.mean((best.fun / (weight * (np.abs(curve.i) + WEIGHT_FLOOR_FRACTION * scale))) ** 2))
    return ButlerVolmerFit(
        curve=curve, i0=Quantity(i0, None if i0_error is None else i0 * i0_error, unit),
        alpha_a=quantity("alpha_a", values["alpha_a"], ""), alpha_c=quantity("alpha_c", values["alpha_c"], ""),
        R_u_ohm=quantity("R_u_ohm", values["R_u_ohm"], "ohm"), i_lim_anodic=limit("anodic"),
        i_lim_cathodic=limit("cathodic"), E_eq_V=quantity("dE_eq_V", curve.E_eq_V + values["dE_eq_V"], "V"),
        rms_residual_pct=100.0 * float(relative), fixed=tuple(fixed))


# -- Tafel lines ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TafelBranch:
    """The Tafel line of one branch: its window (|eta| from ``eta_low_mV`` to ``eta_high_mV``, IR-corrected),
    the line ``log10|i| = log10_i0 + eta / b``, slope b (mV/dec, magnitude), alpha and i0 with stderr."""

    branch: str
    eta_low_mV: float
    eta_high_mV: float
    n_points: int
    decades: float
    r2: float
    slope_mV_dec: Quantity
    alpha: Quantity
    i0: Quantity
    log10_i0: float
    rows: NDArray[np.intp]

    def to_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "eta_low_mV": self.eta_low_mV, "eta_high_mV": self.eta_high_mV,
                "n_points": self.n_points, "decades": self.decades, "r2": self.r2,
                "tafel_slope_mV_dec": self.slope_mV_dec.value, "tafel_slope_stderr_mV_dec": self.slope_mV_dec.stderr,
                "alpha": self.alpha.value, "alpha_stderr": self.alpha.stderr,
                "i0": self.i0.value, "i0_stderr": self.i0.stderr, "unit": self.i0.unit}


@dataclass(frozen=True, eq=False)
class MicroPolarization:
    """The linear fit ``i = (eta - eta_0) / R_ct`` within ``window_mV`` of equilibrium, and
    ``i0 = electrodes R T / (n F R_ct)``."""

    window_mV: float
    n_points: int
    R_ct: Quantity  # ohm cm2 (ohm without an area)
    i0: Quantity

    def to_dict(self) -> dict[str, Any]:
        return {"window_mV": self.window_mV, "n_points": self.n_points, "R_ct": self.R_ct.value,
                "R_ct_stderr": self.R_ct.stderr, "R_ct_unit": self.R_ct.unit,
                "i0": self.i0.value, "i0_stderr": self.i0.stderr, "unit": self.i0.unit}


def _line(x: FloatArray, y: FloatArray, degree: int) -> tuple[FloatArray, FloatArray, float]:
    """Least-squares polynomial (coefficients lowest first), their standard errors and R^2."""
    design = np.vander(x, degree + 1, increasing=True)
    coefficients, _, _, _ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    dof = max(x.size - degree - 1, 1)
    s2 = float(residual @ residual) / dof
    covariance = s2 * np.linalg.pinv(design.T @ design)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else 0.0
    errors = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    return np.asarray(coefficients, dtype=np.float64), np.asarray(errors, dtype=np.float64), r2


@dataclass(frozen=True)
class _Rule:
    eta_min_V: float
    r2_min: float
    curvature_rtol: float
    min_points: int
    min_decades: float


def _tafel_branch(name: str, eta: FloatArray, i: FloatArray, curve: PolarizationCurve, rule: _Rule
                  ) -> tuple[TafelBranch | None, str]:
    """The branch's Tafel line by the rule, or None and why not."""
    sign = 1.0 if name == "anodic" else -1.0
    candidate = np.flatnonzero((sign * eta >= rule.eta_min_V) & (sign * i > 0))
    reach = float(np.max(sign * eta, initial=0.0)) * 1e3
    if candidate.size < rule.min_points:
        return None, (f"no Tafel region on the {name} branch: |eta| reaches {reach:.0f} mV; the back reaction is "
                      f"below 1 % only beyond {1e3 * rule.eta_min_V:.0f} mV"
                      + (f" ({candidate.size} points there, {rule.min_points} needed)" if candidate.size else ""))
    order = candidate[np.argsort(sign * eta[candidate], kind="stable")]
    x = sign * eta[order]
    y = np.log10(sign * i[order])
    ends = np.unique(np.linspace(rule.min_points, order.size, min(order.size - rule.min_points + 1, 200)).astype(int))
    chosen = None
    reasons = []
    for end in ends:
        decades = float(np.ptp(y[:end]))
        if decades < rule.min_decades:
            reasons.append("decades")
            continue
        (_, slope), _, r2 = _line(x[:end], y[:end], 1)
        centred = x[:end] - x[:end].mean()
        (_, _, curvature), (_, _, curvature_error), _ = _line(centred, y[:end], 2)
        change = 2.0 * abs(curvature) * float(np.ptp(x[:end])) / abs(slope) if slope else math.inf
        curved = change > rule.curvature_rtol and abs(curvature) > 3.0 * curvature_error
        if r2 >= rule.r2_min and not curved and slope > 0:
            chosen = int(end)
        reasons.append("curved" if curved else "r2" if r2 < rule.r2_min else "ok")
    if chosen is None:
        why = (f"it spans less than {rule.min_decades:.2g} decade of current" if set(reasons) == {"decades"}
               else f"no window from {1e3 * rule.eta_min_V:.0f} mV fits a line with R^2 >= {rule.r2_min} without "
                    "curvature (mass transport or IR bends it)")
        return None, f"no Tafel region on the {name} branch: {why}"
    window = order[:chosen]
    (intercept, slope), (intercept_error, slope_error), r2 = _line(x[:chosen], y[:chosen], 1)
    vt = thermal_voltage_V(curve.T_K)
    b_mV = 1e3 / slope
    b_error = 1e3 * slope_error / slope**2
    alpha = curve.electrodes * math.log(10.0) * vt * 1e3 / b_mV
    i0 = 10.0**intercept
    branch = TafelBranch(
        name, 1e3 * float(x[0]), 1e3 * float(x[chosen - 1]), int(chosen), float(np.ptp(y[:chosen])), float(r2),
        Quantity(float(b_mV), float(b_error), "mV/dec"), Quantity(float(alpha), float(alpha * b_error / b_mV), ""),
        Quantity(float(i0), float(i0 * math.log(10.0) * intercept_error), curve.unit), float(intercept), window)
    return branch, ""


def _micro_slope(curve: PolarizationCurve, R_u_ohm: float, window_V: float
                 ) -> tuple[float, float, int] | None:
    """Slope di/deta (unit per V) of a line through the points within ``window_V`` of equilibrium, its
    stderr and the number of points (None with fewer than 3)."""
    eta = curve.corrected_eta_V(R_u_ohm)
    near = np.abs(eta) <= window_V
    if np.count_nonzero(near) < 3 or np.ptp(eta[near]) == 0:
        return None
    (_, slope), (_, error), _ = _line(eta[near], curve.i[near], 1)
    return float(slope), float(error), int(np.count_nonzero(near))


def _micro(curve: PolarizationCurve, R_u_ohm: float, window_mV: float) -> MicroPolarization | None:
    found = _micro_slope(curve, R_u_ohm, window_mV * 1e-3)
    if found is None or found[0] <= 0:
        return None
    slope, error, count = found
    per = "ohm cm2" if curve.area_cm2 else "ohm"
    R_ct = 1e3 / slope  # V / (mA/cm2) -> ohm cm2
    i0 = curve.electrodes * thermal_voltage_V(curve.T_K) * slope / curve.n_electrons
    return MicroPolarization(window_mV, count, Quantity(R_ct, R_ct * error / slope, per),
                             Quantity(i0, i0 * error / slope, curve.unit))


@dataclass(frozen=True, repr=False)
class TafelAnalysis(Result):
    """Tafel lines per branch chosen by the printed rule (``rules``), combined i0, the Butler-Volmer fit
    and the micro-polarization cross-check. ``i0`` is the Tafel value where a branch has a Tafel region,
    else the Butler-Volmer fit's (``i0_method`` says which)."""

    kind: ClassVar[str] = "tafel"
    version: ClassVar[int] = 2  # 2: the Butler-Volmer fit of version 2; steps around one equilibrium

    curve: PolarizationCurve
    anodic: TafelBranch | None
    cathodic: TafelBranch | None
    combined_i0: Quantity | None
    butler_volmer: ButlerVolmerFit | None
    micro_polarization: MicroPolarization | None
    R_u_ohm: float
    R_u_source: str
    rules: Mapping[str, str] = field(default_factory=dict)

    @property
    def branches(self) -> tuple[TafelBranch, ...]:
        return tuple(b for b in (self.anodic, self.cathodic) if b is not None)

    @property
    def i0(self) -> Quantity | None:
        if self.combined_i0 is not None:
            return self.combined_i0
        if self.butler_volmer is not None:
            return self.butler_volmer.i0
        return self.micro_polarization.i0 if self.micro_polarization is not None else None

    @property
    def i0_method(self) -> str:
        if self.combined_i0 is not None:
            return "tafel, " + " and ".join(b.branch for b in self.branches) + (" branch" if len(self.branches) == 1 else " branches")
        if self.butler_volmer is not None:
            return "butler-volmer fit (no Tafel region)"
        return "micro-polarization (no Tafel region, no Butler-Volmer fit)"

    @property
    def eta_V(self) -> FloatArray:
        """The overpotential the Tafel lines use: ``E - E_eq - I R_u``."""
        return self.curve.corrected_eta_V(self.R_u_ohm)

    def metrics(self) -> tuple[Metric, ...]:
        unit = self.curve.unit
        metrics: list[Metric] = []
        if self.i0 is not None:
            metrics.append(Metric.of("i0", self.i0, definition=f"exchange current ({unit}) by {self.i0_method}"))
        if self.combined_i0 is not None:
            metrics.append(Metric.of("i0_tafel", self.combined_i0, definition=(
                "inverse-variance mean of the Tafel lines' log10 i0 at eta = 0 (stderr at least half their "
                "difference); windows by the printed rule")))
        for b in self.branches:
            side = "a" if b.branch == "anodic" else "c"
            where = f"{b.branch} Tafel line, |eta - I R_u| {b.eta_low_mV:.0f}-{b.eta_high_mV:.0f} mV"
            metrics += [
                Metric.of(f"i0_tafel_{b.branch}", b.i0, definition=f"exchange current at eta = 0 of the {where}"),
                Metric.of(f"tafel_slope_{b.branch}", b.slope_mV_dec, definition=f"slope (magnitude) of the {where}"),
                Metric.of(f"alpha_{side}", b.alpha, definition=f"transfer coefficient ln10 RT/(F b) of the {where}"),
            ]
        if self.butler_volmer is not None:
            metrics += self.butler_volmer.metrics()
        if self.micro_polarization is not None:
            m = self.micro_polarization
            metrics += [
                Metric.of("i0_micro_polarization", m.i0, definition=(
                    f"RT/(nF R_ct) from the slope of i vs eta - I R_u within ±{m.window_mV:g} mV")),
                Metric.of("R_ct", m.R_ct, definition=f"charge-transfer resistance: d eta / d i within ±{m.window_mV:g} mV"),
            ]
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        area = self.curve.area_cm2
        i0 = self.i0
        branches = {name: getattr(self, name) for name in BRANCHES}
        return {
            "i0_mA_cm2": i0.value if i0 is not None and area else None,
            "i0_stderr_mA_cm2": i0.stderr if i0 is not None and area else None,
            "I0_mA": i0.value * (area or 1.0) if i0 is not None else None,
            "i0_method": self.i0_method,
            "alpha": {name: b.alpha.value if b else None for name, b in branches.items()},
            "tafel_slope_mV_dec": {name: b.slope_mV_dec.value if b else None for name, b in branches.items()},
            "branches": {name: b.to_dict() if b else None for name, b in branches.items()},
            "butler_volmer": self.butler_volmer.content() if self.butler_volmer is not None else None,
            "micro_polarization": self.micro_polarization.to_dict() if self.micro_polarization else None,
            "R_u_ohm": self.R_u_ohm, "R_u_source": self.R_u_source,
            "curve": self.curve.to_dict(),
            "rules": dict(self.rules),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        window = np.zeros(self.curve.E_V.size, dtype=np.int8)
        for b in self.branches:
            window[b.rows] = 1 if b.branch == "anodic" else -1
        columns: dict[str, Any] = {"E_V": self.curve.E_V, "I_mA": self.curve.I_mA,
                                   "eta_mV": 1e3 * self.curve.eta_V, "eta_iR_mV": 1e3 * self.eta_V,
                                   "tafel_window": window}
        if self.butler_volmer is not None:
            columns["i_bv_fit"] = self.butler_volmer.current(self.butler_volmer.eta_V)
        return {"points": columns}

    def headline(self) -> str:
        parts = [f"i0 {self.i0} ({self.i0_method})" if self.i0 is not None else "no i0"]
        parts += [f"b_{b.branch[0]} {b.slope_mV_dec.value:.0f} mV/dec" for b in self.branches]
        if self.butler_volmer is not None and self.combined_i0 is not None:
            parts.append(f"Butler-Volmer i0 {self.butler_volmer.i0}")
        return "; ".join(parts)


def _combine(branches: tuple[TafelBranch, ...], unit: str) -> Quantity | None:
    if not branches:
        return None
    logs = np.array([b.log10_i0 for b in branches])
    errors = np.array([max(b.i0.stderr or 0.0, 1e-300) / (b.i0.value * math.log(10.0)) for b in branches])
    weights = 1.0 / errors**2
    mean = float(np.sum(weights * logs) / np.sum(weights))
    error = max(math.sqrt(1.0 / float(np.sum(weights))), float(np.ptp(logs)) / 2.0)
    i0 = 10.0**mean
    return Quantity(i0, i0 * math.log(10.0) * error, unit)


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
    its standard error from the fit covariance (model and rules in the module docstring)."""
    _check_options(R_u_ohm, 0.5, 1.0, 3, 1.0, 1.0)
    curve, warnings = polarization_curve_points(record, cell, E_eq_V=E_eq_V, T_K=T_K, n_electrons=n_electrons,
                                                symmetric=symmetric, steady_fraction=steady_fraction,
                                                analysis="exchange_current")
    fit = _fit_butler_volmer(curve, R_u_ohm=R_u_ohm, E_eq_fixed=E_eq_V is not None, warnings=warnings)
    return _with_warnings(fit, warnings)


def _with_warnings(result: ButlerVolmerFit, warnings: list[str]) -> ButlerVolmerFit:
    return dataclasses.replace(result, warnings=tuple(warnings))


@stamps_call
def tafel(record: Record, cell: CellInfo | None = None, *, E_eq_V: float | None = None,
          R_u_ohm: float | None = None, T_K: float | None = None, n_electrons: int = 1, symmetric: bool = False,
          r2_min: float = 0.995, curvature_rtol: float = 0.05, min_points: int = 5, min_decades: float = 0.5,
          micro_window_mV: float = 10.0, steady_fraction: float = 0.2) -> TafelAnalysis:
    """Tafel analysis of a polarization curve (LSV, potential or current steps, symmetric cell): per branch
    the window by the printed rule (module docstring), slope (mV/dec), alpha and i0 with stderr, both
    branches combined, with the Butler-Volmer fit (:func:`exchange_current`) and the micro-polarization i0.

    ``R_u_ohm``: the uncompensated resistance the Tafel plot is corrected by (None: the Butler-Volmer
    fit's; 0: no correction). A curve with no Tafel region (too small in overpotential) says so and
    reports the Butler-Volmer and micro-polarization i0.
    """
    _check_options(R_u_ohm, r2_min, curvature_rtol, min_points, min_decades, micro_window_mV)
    curve, warnings = polarization_curve_points(record, cell, E_eq_V=E_eq_V, T_K=T_K, n_electrons=n_electrons,
                                                symmetric=symmetric, steady_fraction=steady_fraction)
    try:
        fit: ButlerVolmerFit | None = _fit_butler_volmer(curve, R_u_ohm=R_u_ohm, E_eq_fixed=E_eq_V is not None,
                                                         warnings=warnings)
    except FitError as error:
        fit = None
        warnings.append(f"no Butler-Volmer fit: {error}")
    if R_u_ohm is not None:
        resistance, source = float(R_u_ohm), "given (R_u_ohm)" if R_u_ohm else "none (R_u_ohm = 0)"
    elif fit is not None:
        resistance, source = fit.R_u_ohm.value, "the Butler-Volmer fit"
    else:
        resistance, source = 0.0, "none (no Butler-Volmer fit)"
    vt = thermal_voltage_V(curve.T_K)
    eta_min = curve.electrodes * vt * math.log(1.0 / BACK_REACTION_FRACTION) / n_electrons
    rule = _Rule(eta_min, r2_min, curvature_rtol, min_points, min_decades)
    eta = curve.corrected_eta_V(resistance)
    found = {name: _tafel_branch(name, eta, curve.i, curve, rule) for name in BRANCHES}
    for _, reason in found.values():
        if reason:
            warnings.append(reason)
    anodic, cathodic = found["anodic"][0], found["cathodic"][0]
    branches = tuple(b for b in (anodic, cathodic) if b is not None)
    for b in branches:
        if b.decades < 1.0:
            warnings.append(f"the {b.branch} Tafel window spans only {b.decades:.2f} decade of current")
    micro = _micro(curve, resistance, micro_window_mV * curve.electrodes)
    combined = _combine(branches, curve.unit)
    if combined is not None and fit is not None and abs(math.log(combined.value / fit.i0.value)) > math.log(1.2):
        warnings.append(f"the Tafel i0 ({combined}) and the Butler-Volmer fit's ({fit.i0}) differ by more than 20 %")
    if not branches:
        warnings.append("no Tafel region on either branch: i0 from the Butler-Volmer fit over the whole curve, "
                        "cross-checked by micro-polarization")
        if fit is not None and micro is not None and abs(math.log(micro.i0.value / fit.i0.value)) > math.log(1.2):
            warnings.append(f"the micro-polarization i0 ({micro.i0}) and the Butler-Volmer fit's ({fit.i0}) differ by "
                            "more than 20 %: the curve does not tell the kinetics from the IR drop (i0 uncertain)")
    twice = " (x2: two electrodes in series)" if curve.symmetric else ""
    rules = {
        "overpotential": f"eta = E - E_eq, E_eq = {curve.E_eq_V:.5g} V from the {curve.E_eq_source}; Tafel lines on "
                         f"eta - I R_u, R_u = {resistance:.4g} ohm from {source}",
        "lower": f"|eta| >= {'2 ' if curve.symmetric else ''}(R T / (n F)) ln 100 = {1e3 * eta_min:.1f} mV at "
                 f"{curve.T_K:.2f} K, n = {n_electrons}{twice}: the back reaction below 1 %",
        "upper": f"the largest |eta| whose window fits log10|i| = log10 i0 + eta / b with R^2 >= {r2_min} and no "
                 f"curvature (a quadratic term changing the slope by more than {curvature_rtol:.0%} across the window "
                 f"and beyond 3 standard errors); at least {min_points} points and {min_decades:g} decade",
        "combined": "inverse-variance mean of the branches' log10 i0, stderr at least half their difference",
    }
    return TafelAnalysis(curve=curve, anodic=anodic, cathodic=cathodic, combined_i0=combined, butler_volmer=fit,
                         micro_polarization=micro, R_u_ohm=resistance, R_u_source=source, rules=rules,
                         warnings=tuple(warnings))


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


__all__ = [
    "ButlerVolmerFit",
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

