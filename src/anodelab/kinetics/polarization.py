"""The polarization curve of a record: the points of a sweep or of steady steps, E_eq, area and temperature.

**The points.** From :func:`anodelab.core.steps.step_table`: the rows of the record's potential sweeps
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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.constants import ZERO_CELSIUS_K
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.experiment import require_record
from anodelab.core.record import Record
from anodelab.core.steps import StepTable, step_table
from anodelab.models.kinetics import check_positive

FloatArray = NDArray[np.float64]
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
BRANCHES = ("anodic", "cathodic")


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
    """One point per steady step of a stepped polarization, its control and the open-circuit potential
    before it."""
    where = _where(record)
    mode, chosen = _polarization_steps(where, table, warnings)
    voltage = record["voltage_V"]
    E, I, drift = _step_means(record, table, chosen, mode, steady_fraction)
    ocv = _rest_before(table, int(chosen[0]), voltage)
    steady = _steady(where, table, chosen, mode, E, I, drift, ocv, steady_fraction, warnings)
    _check_one_equilibrium(where, table, chosen, voltage, ocv, _zero_current_V(E[steady], I[steady]), mode)
    control = "potential steps" if mode == "CV" else "current steps"
    return E[steady], I[steady], control, ocv


def _polarization_steps(where: str, table: StepTable, warnings: list[str]) -> tuple[str, NDArray[np.intp]]:
    """The mode (``CV`` or ``CC``) of the steps that make the curve and those steps: the more numerous
    of three rows or more, at 4 or more distinct set points."""
    # a step of one or two rows (an instrument's switching record) cannot show a steady state
    found = {mode: np.flatnonzero((table.mode == mode) & (table.rows >= MIN_STEP_ROWS)) for mode in ("CV", "CC")}
    mode = max(found, key=lambda name: found[name].size)
    chosen = found[mode]
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
    return mode, chosen


def _step_means(record: Record, table: StepTable, chosen: NDArray[np.intp], mode: str, steady_fraction: float
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per step: the mean potential and current over its last ``steady_fraction`` (by time, else by
    rows), and the drift of its response (current under potential control, potential under current
    control) across that tail."""
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
    return E, I, drift


def _steady(where: str, table: StepTable, chosen: NDArray[np.intp], mode: str, E: FloatArray, I: FloatArray,
            drift: FloatArray, ocv: float | None, steady_fraction: float, warnings: list[str]) -> NDArray[np.bool_]:
    """The steps whose response no longer drifts (module docstring); refused where most still do."""
    reference = ocv if ocv is not None else _zero_current_V(E, I)
    if mode == "CV":
        allowed = STEADY_RTOL * np.abs(I) + 0.01 * float(np.max(np.abs(I)))
    else:
        distance = np.abs(E - (reference if reference is not None else float(np.median(E))))
        allowed = STEADY_RTOL * distance + 0.002
    steady: NDArray[np.bool_] = drift <= allowed
    if np.count_nonzero(steady) * 2 < chosen.size or np.count_nonzero(steady) < 4:
        raise NotApplicableError(
            f"{where}: the {'current' if mode == 'CV' else 'voltage'} of {chosen.size - int(steady.sum())} of "
            f"{chosen.size} {mode} steps still drifts over their last {steady_fraction:.0%}: not a steady-state "
            "polarization" + (" (a galvanostatic cycling record?)" if mode == "CC" else ""))
    if not steady.all():
        warnings.append(f"steps {', '.join(map(str, table.step[chosen[~steady]]))} left out: their response "
                        f"still drifts over the last {steady_fraction:.0%} of the step")
    return steady


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
