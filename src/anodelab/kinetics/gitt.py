"""GITT: chemical diffusion coefficients per titration pulse, by Weppner-Huggins, with a validity check.

Pulses and rests are found in the step table (:func:`~anodelab.core.steps.step_table`), whatever the
instrument or the direction: a *pulse* is a constant-current step (consecutive CC steps at one set point
merge); a *rest* is a rest step or any other step but a sweep whose mean current is at most
:data:`REST_CURRENT_FRACTION` of the largest pulse current (an instrument's offset, which the step table
may call CC, CV or other; an impedance measurement at open circuit); consecutive rests merge. A pulse
counts when a rest precedes and follows it, and pulses count only in runs of at least ``min_pulses``
at one current (:data:`RUN_CURRENT_RTOL`) separated by rests only (so a cycling record with rests
between half-cycles, which alternate, or a rate test is not a GITT). Per pulse, with ``t`` from its
first row and ``tau`` its duration:

- relaxed potentials: a least-squares line of E vs t over the last ``rest_window`` (fraction of the
  duration, at least 3 rows) of each rest, read at the rest's last row; its slope is the rest's drift.
  ``delta_E_s`` = relaxed potential after the pulse minus before it.
- ``sqrt`` (default): a least-squares line ``E = E0 + m sqrt(t)`` over ``sqrt_window[0] tau <= t <=
  sqrt_window[1] tau``; ``dE/dsqrt(t) = m``, ``delta_E_t = m sqrt(tau)``, IR drop ``E0 - E_before``.
  ``endpoint``: ``delta_E_t`` = last pulse row minus first, IR drop = first pulse row minus ``E_before``.
- D (Weppner & Huggins 1977, :func:`~anodelab.models.diffusion.weppner_huggins_D_cm2_s`)::

      D = 4 / (pi tau) L^2 (delta_E_s / delta_E_t)^2 = (4 / pi) (L delta_E_s / (tau dE/dsqrt(t)))^2

  with ``L`` = host volume over its surface: the film thickness, ``r / 3`` for spheres (or
  ``n_M V_M / S`` from the active mass, molar mass and molar volume over the electrode area).
- first-order spherical correction (spheres, on by default): the surface concentration of a sphere
  rises as ``2 sqrt(theta / pi) + theta + O(theta^1.5)`` (``theta = D t / r^2``); the ``theta`` term is a
  third of the mean rise, so ``delta_E_s t / (3 tau)`` is taken off E before the fit (``delta_E_s / 3``
  off the end-point ``delta_E_t``). Films need none (their next term is ``exp(-L^2 / (D t))``).
- validity, per pulse (``reason`` says which failed):

  * ``tau D / L^2`` (with the pulse's own D) at most :data:`MAX_TAU_D_OVER_L2`: the method's bias on
    the exact responses (:mod:`anodelab.models.diffusion`) stays below about 3 % there;
  * both rests relaxed: the drift at the rest's end times its duration at most ``relaxed_fraction``
    of ``|delta_E_s|``;
  * the OCV linear over the pulse: E vs sqrt(t) bends (the quadratic term of ``E = a + b sqrt(t) + c t``
    over the window, ``c sqrt(tau) / b``) by at most ``linearity`` more than the exact diffusion response
    bends at this ``tau D / L^2`` (a curved OCV sampled by the surface concentration's swing, which
    Weppner-Huggins assumes away; the sign of the excess shows which way);
  * ``delta_E_s`` and ``delta_E_t`` of one sign.

  The drift and curvature criteria fail only where they do so by more than three standard errors, so
  noise alone flags about one pulse in several hundred; both standard errors come from the noise of a
  reading pooled over the rests, at least the voltage's resolution over sqrt(12) (a smooth misfit of
  the pulse's own fit is no noise: it is the bend the criterion looks for).
- overpotential: pulse end minus the relaxed potential after the rest (IR, charge transfer and
  diffusion together).

D's standard error propagates the fits': ``2 D sqrt((s_t / delta_E_t)^2 + (s_s / delta_E_s)^2)``, with
``s_t`` from the sqrt(t) slope's covariance (``sqrt``) or sqrt(2) times one reading's noise
(``endpoint``), ``s_s`` from the two rests' lines; the noise of a reading is pooled over all rest fits
(a line through 3 rows has too few residuals to judge its own), at least the quantisation noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import MetadataError, NotApplicableError, ValidationError
from anodelab.core.experiment import require_record
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.core.steps import StepTable, step_table
from anodelab.models.diffusion import (
    GEOMETRIES,
    SHAPE_FACTOR,
    surface_concentration_factor,
    weppner_huggins_D_cm2_s,
)

METHODS = ("sqrt", "endpoint")
Geometry = Literal["film", "sphere"]  # the vocabulary of models.diffusion.GEOMETRIES
Method = Literal["sqrt", "endpoint"]
#: the largest tau D / L^2 at which a pulse is valid: the method's bias on the exact responses of
#: :mod:`anodelab.models.diffusion` is 1.5 % there for a film, 3.2 % for spheres with the first-order
#: correction and 3.2 % without it (whose bias grows as sqrt(tau D / L^2))
MAX_TAU_D_OVER_L2 = {"film": 0.3, "sphere": 0.2, "sphere-uncorrected": 0.003}
#: a rest counts as relaxed where its drift at the end (V/s, a line over its last rows) times its duration
#: is at most this fraction of |delta_E_s|: on the exact responses the error of D stays below 1 % there
RELAXED_FRACTION = 0.1
#: a rest step's mean current is at most this fraction of the largest pulse current
REST_CURRENT_FRACTION = 0.05
#: the pulses of a run share one current within this (relative): steps of changing current between
#: rests (a rate test, a stepped discharge) are no titration
RUN_CURRENT_RTOL = 0.1
#: consecutive CC steps merge into one pulse where their set points agree within this (relative)
SAME_SET_POINT_RTOL = 0.02
#: a change of E over a pulse below this fraction of |E| is floating-point round-off, not a measurement
ROUNDOFF = 1e-12
#: the most the E vs sqrt(t) curvature (quadratic over linear term at the pulse end) may exceed what
#: diffusion itself gives before the OCV counts as curved over the pulse (Weppner-Huggins' linear OCV)
LINEARITY = 0.015
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, repr=False)
class GITTResult(Result):
    """Per pulse (``pulses``, keys with units): D by the chosen method, both methods' D, the voltage
    changes, IR drop, overpotential, tau D / L^2, rest drifts, validity and the reason when invalid."""

    kind: ClassVar[str] = "gitt"
    version: ClassVar[int] = 2  # 2: curvature judged against the rests' noise; runs at one current

    pulses: tuple[dict[str, Any], ...]
    geometry: str
    method: str
    length_cm: float
    length_source: str
    max_tau_D_over_L2: float
    spherical_correction: bool  # the first-order term taken off (spheres only)
    sqrt_window: tuple[float, float]  # the sqrt(t) fit's window, fractions of the pulse
    definitions: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> NDArray[np.bool_]:
        return np.array([pulse["valid"] for pulse in self.pulses], dtype=bool)

    @property
    def D_cm2_s(self) -> NDArray[np.float64]:
        return np.array([pulse["D_cm2_s"] for pulse in self.pulses], dtype=np.float64)

    def summary(self) -> dict[str, float | int | None]:
        """Median and quartiles of D over the valid pulses (None without one) and the pulse counts."""
        D = self.D_cm2_s[self.valid & np.isfinite(self.D_cm2_s)]
        if D.size == 0:
            return {"n_pulses": len(self.pulses), "n_valid": 0, "D_median_cm2_s": None,
                    "D_p25_cm2_s": None, "D_p75_cm2_s": None}
        p25, median, p75 = np.percentile(D, [25.0, 50.0, 75.0])
        return {"n_pulses": len(self.pulses), "n_valid": int(D.size), "D_median_cm2_s": float(median),
                "D_p25_cm2_s": float(p25), "D_p75_cm2_s": float(p75)}

    def metrics(self) -> tuple[Metric, ...]:
        """Per pulse (index ``pulse``): D with its standard error and ``valid`` (1 or 0); then the median
        and quartiles of D over the valid pulses and their count."""
        d = self.definitions
        metrics: list[Metric] = []
        for pulse in self.pulses:
            where = {"index_name": "pulse", "index": pulse["pulse"]}
            metrics.append(Metric("D", pulse["D_cm2_s"], "cm2/s", pulse["D_stderr_cm2_s"], definition=d["D"], **where))
            metrics.append(Metric("valid", float(pulse["valid"]), "", definition=d["valid"], **where))
        summary = self.summary()
        for name, key, text in (("D_median", "D_median_cm2_s", "median of D over the valid pulses"),
                                ("D_p25", "D_p25_cm2_s", "25th percentile of D over the valid pulses"),
                                ("D_p75", "D_p75_cm2_s", "75th percentile of D over the valid pulses")):
            value = summary[key]
            metrics.append(Metric(name, math.nan if value is None else float(value), "cm2/s", definition=text))
        metrics.append(Metric("n_valid_pulses", float(summary["n_valid"] or 0), "", definition=d["valid"]))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"geometry": self.geometry, "method": self.method, "length_cm": self.length_cm,
                "length_source": self.length_source, "max_tau_D_over_L2": self.max_tau_D_over_L2,
                "spherical_correction": self.spherical_correction, "sqrt_window": list(self.sqrt_window),
                **self.summary(), "pulses": [dict(pulse) for pulse in self.pulses],
                "definitions": dict(self.definitions)}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        keys = dict.fromkeys(key for pulse in self.pulses for key in pulse)
        return {"pulses": {key: np.array([np.nan if p.get(key) is None else p[key] for p in self.pulses])
                           for key in keys}}

    def headline(self) -> str:
        summary = self.summary()
        median = summary["D_median_cm2_s"]
        spread = ("no valid pulse" if median is None else
                  f"median D {median:.3g} cm2/s (quartiles {summary['D_p25_cm2_s']:.3g}..{summary['D_p75_cm2_s']:.3g})")
        return (f"{summary['n_pulses']} pulses, {summary['n_valid']} valid; {spread}; {self.method}, "
                f"{self.geometry}, L = {self.length_cm * 1e4:.4g} um")


@dataclass(frozen=True)
class _Segment:
    """A run of steps: a pulse (``current_mA`` its mean) or a rest, rows ``start`` .. ``end``."""

    kind: str  # "pulse", "rest" or "other"
    start: int
    end: int
    step: int
    current_mA: float


@dataclass(frozen=True)
class _RestFit:
    """A line ``E = a + b (t - t_end)`` over a rest's last rows: its sums for a pooled noise estimate."""

    a: float
    b: float
    n: int
    x_mean: float
    Sxx: float  # sum of (x - x_mean)^2
    rss: float  # residual sum of squares
    duration_s: float


@dataclass(frozen=True)
class _Rest:
    """A rest's relaxed potential at its end and drift (V/s), with standard errors from the pooled noise."""

    relaxed_V: float
    relaxed_stderr_V: float
    drift_V_s: float
    drift_stderr_V_s: float
    duration_s: float
    noise_V: float  # the pooled standard deviation of one reading


@stamps_call
def gitt(
    record: Record,
    cell: CellInfo | None = None,
    *,
    geometry: Geometry = "film",
    method: Method = "sqrt",
    thickness_um: float | None = None,
    particle_radius_um: float | None = None,
    molar_volume_cm3_mol: float | None = None,
    molar_mass_g_mol: float | None = None,
    spherical_correction: bool = True,
    sqrt_window: tuple[float, float] = (0.1, 1.0),
    rest_window: float = 0.25,
    relaxed_fraction: float = RELAXED_FRACTION,
    linearity: float = LINEARITY,
    max_tau_D_over_L2: float | None = None,
    min_pulses: int = 3,
    capacity_mAh: float | None = None,
    soc_start: float = 0.0,
) -> GITTResult:
    """Diffusion coefficient per GITT pulse (rules in the module docstring).

    ``geometry``: ``film`` (L = ``thickness_um``, default the working electrode's thickness) or
    ``sphere`` (L = ``particle_radius_um`` / 3); without a thickness, a film's L is ``n_M V_M / S`` from
    the active mass (cell), ``molar_mass_g_mol``, ``molar_volume_cm3_mol`` and the electrode area.
    ``method``: ``sqrt`` (the sqrt(t) fit) or ``endpoint``. ``max_tau_D_over_L2`` overrides
    :data:`MAX_TAU_D_OVER_L2`. ``capacity_mAh`` (the host's full capacity) adds per pulse the state of
    charge ``soc = soc_start + inserted / capacity`` (the inserted fraction: lithiation raises it).
    """
    record = require_record(record, "gitt", "a Record (a time series of voltage and current)", ("time_s", "current_mA"))
    cell = cell if cell is not None else record.cell
    low, high, correct, threshold = _check_options(geometry, method, sqrt_window, rest_window, relaxed_fraction,
                                                   linearity, min_pulses, capacity_mAh, spherical_correction,
                                                   max_tau_D_over_L2)
    where = record.provenance.path or "record"
    # rows without a voltage or a current (gaps in a file) would break the steps and every fit through them
    finite = np.isfinite(record["voltage_V"]) & np.isfinite(record["current_mA"])
    dropped = int(finite.size - np.count_nonzero(finite))
    if dropped:
        record = record.take(finite)
    segments = _segments(step_table(record), where)
    runs, skipped = _pulse_runs(segments, min_pulses)
    if not runs:
        raise NotApplicableError(
            f"{where}: not a GITT: no run of {min_pulses} or more constant-current pulses at one current, "
            f"each between rests, among its {len(segments)} segments ({skipped} pulse(s) with rests around them)")

    length_cm, length_source = _length_cm(where, geometry, cell, thickness_um, particle_radius_um,
                                          molar_volume_cm3_mol, molar_mass_g_mol)
    rules = _PulseRules(geometry, correct, method, (low, high), length_cm, threshold, relaxed_fraction, linearity)
    usable = [unit for run in runs for unit in run if unit[1].end - unit[1].start + 1 >= 3]
    short = sum(len(run) for run in runs) - len(usable)
    pulses = _pulses(record, cell, usable, rules, rest_window, capacity_mAh, soc_start)
    if not pulses:
        raise NotApplicableError(f"{where}: not a GITT: every pulse has fewer than 3 rows")

    warnings = _warnings(dropped, skipped, short, min_pulses, cell, pulses)
    return GITTResult(tuple(pulses), geometry, method, length_cm, length_source, threshold, correct, (low, high),
                      _definitions(rules, length_source, rest_window), warnings=tuple(warnings))


@dataclass(frozen=True)
class _PulseRules:
    """How each pulse is read and judged: the geometry and its correction, the method and its sqrt(t)
    window (fractions of the pulse), L (cm) and the validity thresholds."""

    geometry: str
    correct: bool  # the first-order spherical term taken off
    method: str
    window: tuple[float, float]
    length_cm: float
    threshold: float  # the largest tau D / L^2
    relaxed_fraction: float
    linearity: float


def _check_options(geometry: str, method: str, sqrt_window: Any, rest_window: float, relaxed_fraction: float,
                   linearity: float, min_pulses: int, capacity_mAh: float | None, spherical_correction: bool,
                   max_tau_D_over_L2: float | None) -> tuple[float, float, bool, float]:
    """The options checked: the sqrt(t) window, whether the spherical correction applies, and the
    tau D / L^2 threshold."""
    if geometry not in GEOMETRIES:
        raise ValidationError("geometry", f"expected one of {', '.join(GEOMETRIES)}, got {geometry!r}")
    if method not in METHODS:
        raise ValidationError("method", f"expected one of {', '.join(METHODS)}, got {method!r}")
    low, high = _window(sqrt_window)
    for name, value in (("rest_window", rest_window), ("relaxed_fraction", relaxed_fraction),
                        ("linearity", linearity)):
        if not (isinstance(value, (int, float)) and 0.0 < value <= 1.0):
            raise ValidationError(name, f"must lie in (0, 1], got {value!r}")
    if isinstance(min_pulses, bool) or not isinstance(min_pulses, int) or min_pulses < 1:
        raise ValidationError("min_pulses", f"must be a positive integer, got {min_pulses!r}")
    if capacity_mAh is not None and not (isinstance(capacity_mAh, (int, float)) and capacity_mAh > 0):
        raise ValidationError("capacity_mAh", f"must be > 0, got {capacity_mAh!r}")
    correct = geometry == "sphere" and spherical_correction
    threshold_key = "sphere-uncorrected" if geometry == "sphere" and not correct else geometry
    threshold = MAX_TAU_D_OVER_L2[threshold_key] if max_tau_D_over_L2 is None else float(max_tau_D_over_L2)
    if not threshold > 0:
        raise ValidationError("max_tau_D_over_L2", f"must be > 0, got {max_tau_D_over_L2!r}")
    return low, high, correct, threshold


def _pulses(record: Record, cell: CellInfo | None, usable: list[tuple[_Segment, _Segment, _Segment]],
            rules: _PulseRules, rest_window: float, capacity_mAh: float | None, soc_start: float
            ) -> list[dict[str, Any]]:
    """One row per usable (rest, pulse, rest): what the pulse gives, the charge inserted by its end (per
    gram with an active mass), the state of charge (with a capacity) and the areal IR resistance."""
    time, voltage, current = record["time_s"], record["voltage_V"], record["current_mA"]
    inserted_mAh = -_cumulative_trapezoid(current, time) / SECONDS_PER_HOUR
    area = cell.working_electrode.area_cm2 if cell is not None else None
    mass_mg = cell.working_electrode.active_mass_mg if cell is not None else None
    fits = {rest.start: _rest_fit(time, voltage, rest, rest_window) for unit in usable for rest in (unit[0], unit[2])}
    rests = _rests(fits, _resolution_V(voltage) / math.sqrt(12.0))
    pulses: list[dict[str, Any]] = []
    for before, pulse, after in usable:
        row = _pulse_row(time, voltage, pulse, rests[before.start], rests[after.start], rules)
        row["inserted_mAh"] = float(inserted_mAh[pulse.end])
        if mass_mg:
            row["inserted_mAh_g"] = row["inserted_mAh"] / (mass_mg * 1e-3)
        if capacity_mAh is not None:
            row["soc"] = soc_start + row["inserted_mAh"] / capacity_mAh
        if area:
            row["R_ir_ohm_cm2"] = row["R_ir_ohm"] * area
        pulses.append({"pulse": len(pulses) + 1, **row})
    return pulses


def _warnings(dropped: int, skipped: int, short: int, min_pulses: int, cell: CellInfo | None,
              pulses: list[dict[str, Any]]) -> list[str]:
    """What was left out (rows without values, pulses outside a run, pulses too short), no area, no
    valid pulse."""
    warnings: list[str] = []
    if dropped:
        warnings.append(f"{dropped} row(s) without a finite voltage or current left out (rows are counted without them)")
    if skipped:
        warnings.append(f"{skipped} pulse(s) outside a run of {min_pulses} same-current pulses left out")
    if short:
        warnings.append(f"{short} pulse(s) with fewer than 3 rows left out")
    if cell is None or cell.working_electrode.area_cm2 is None:
        warnings.append("no electrode area (working_electrode.area_cm2): the IR drop is given in ohm only")
    n_valid = sum(pulse["valid"] for pulse in pulses)
    if n_valid == 0:
        warnings.append("no pulse passes the validity check: the median D is absent")
    return warnings


def _definitions(rules: _PulseRules, length_source: str, rest_window: float) -> dict[str, str]:
    """The result's quantities and validity rule in words."""
    low, high = rules.window
    return {
        "D": (f"Weppner-Huggins D = 4/(pi tau) L^2 (dE_s/dE_t)^2 by the {rules.method} method, {rules.geometry} L = "
              f"{rules.length_cm * 1e4:.4g} um ({length_source})"
              + (", first-order spherical correction" if rules.correct else "")),
        "valid": (f"tau D / L^2 <= {rules.threshold:g}, both rests relaxed (drift x rest duration <= "
                  f"{rules.relaxed_fraction:g} |dE_s|), E vs sqrt(t) bent at most {rules.linearity:g} beyond "
                  "diffusion's own bend (a linear OCV), dE_s and dE_t of one sign; drift and bend judged beyond 3 "
                  "standard errors"),
        "delta_E_s": "relaxed potential after the pulse minus before it (line fit over the last "
                     f"{rest_window:g} of each rest, read at its end)",
        "delta_E_t": (f"sqrt: slope of E vs sqrt(t) over t/tau in [{low:g}, {high:g}] times sqrt(tau); "
                      "endpoint: last pulse row minus first"),
        "ir_drop": "sqrt: fit intercept at t = 0 minus the relaxed potential before; endpoint: first pulse row minus it",
        "eta": "pulse end minus the relaxed potential after the rest",
        "inserted": "charge inserted into the working electrode since the record's start at the pulse end "
                    "(-integral of I dt; lithiation counts positive)",
    }


def _window(window: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ValidationError("sqrt_window", f"expected two fractions of the pulse (low, high), got {window!r}") from None
    if not 0.0 <= low < high <= 1.0:
        raise ValidationError("sqrt_window", f"need 0 <= low < high <= 1, got {window!r}")
    return low, high


def _length_cm(where: str, geometry: str, cell: CellInfo | None, thickness_um: float | None, radius_um: float | None,
               molar_volume: float | None, molar_mass: float | None) -> tuple[float, str]:
    """L = host volume over surface (cm), and where it came from."""
    electrode = cell.working_electrode if cell is not None else None
    if geometry == "sphere":
        if radius_um is None:
            raise MetadataError("particle_radius_um", f"{where}: geometry 'sphere' needs the particle radius (um)")
        return _positive("particle_radius_um", radius_um) * 1e-4 / SHAPE_FACTOR["sphere"], f"r/3, r = {radius_um:g} um"
    if thickness_um is not None:
        return _positive("thickness_um", thickness_um) * 1e-4, "thickness_um option"
    if electrode is not None and electrode.thickness_um is not None:
        return electrode.thickness_um * 1e-4, "working_electrode.thickness_um"
    mass_mg = electrode.active_mass_mg if electrode is not None else None
    area = electrode.area_cm2 if electrode is not None else None
    if molar_volume is not None and molar_mass is not None and mass_mg is not None and area is not None:
        moles = mass_mg * 1e-3 / _positive("molar_mass_g_mol", molar_mass)
        return moles * _positive("molar_volume_cm3_mol", molar_volume) / area, "n_M V_M / S"
    raise MetadataError("working_electrode.thickness_um",
                        f"{where}: a film needs its thickness (the thickness_um option or working_electrode.thickness_um), "
                        "or molar_volume_cm3_mol, molar_mass_g_mol, an active mass and an area")


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise ValidationError(name, f"must be a finite number > 0, got {value!r}")
    return float(value)


def _segments(steps: StepTable, where: str) -> list[_Segment]:
    """The steps as pulses, rests and others, consecutive rests and same-current pulses merged."""
    cc = steps.mode == "CC"
    if not cc.any():
        raise NotApplicableError(f"{where}: not a GITT: no constant-current step")
    largest = float(np.max(np.abs(steps.set_point[cc])))
    small = np.abs(np.nan_to_num(steps.mean_current_mA)) <= REST_CURRENT_FRACTION * largest
    rest = (steps.mode == "rest") | ((steps.mode != "sweep") & small)
    segments: list[_Segment] = []
    for i in range(len(steps)):
        kind = "rest" if rest[i] else "pulse" if cc[i] else "other"
        current = float(steps.mean_current_mA[i])
        last = segments[-1] if segments else None
        if last is not None and last.kind == kind and (kind == "rest" or (kind == "pulse" and math.isclose(
                current, last.current_mA, rel_tol=SAME_SET_POINT_RTOL))):
            rows = (last.end - last.start + 1, int(steps.end[i]) - last.end)
            mean = (last.current_mA * rows[0] + current * rows[1]) / sum(rows)
            segments[-1] = _Segment(kind, last.start, int(steps.end[i]), last.step, mean)
        else:
            segments.append(_Segment(kind, int(steps.start[i]), int(steps.end[i]), int(steps.step[i]), current))
    return segments


def _pulse_runs(segments: list[_Segment], min_pulses: int
                ) -> tuple[list[list[tuple[_Segment, _Segment, _Segment]]], int]:
    """Runs of (rest, pulse, rest) at one current (within :data:`RUN_CURRENT_RTOL`, so in one direction),
    each pulse's rest after it the next one's before; runs shorter than ``min_pulses`` are dropped and
    counted."""
    runs: list[list[tuple[_Segment, _Segment, _Segment]]] = []
    run: list[tuple[_Segment, _Segment, _Segment]] = []
    found = 0
    for i in range(1, len(segments) - 1):
        before, pulse, after = segments[i - 1], segments[i], segments[i + 1]
        if pulse.kind != "pulse" or before.kind != "rest" or after.kind != "rest":
            continue
        found += 1
        if run and run[-1][2] is before and math.isclose(pulse.current_mA, run[-1][1].current_mA,
                                                         rel_tol=RUN_CURRENT_RTOL):
            run.append((before, pulse, after))
            continue
        if len(run) >= min_pulses:
            runs.append(run)
        run = [(before, pulse, after)]
    if len(run) >= min_pulses:
        runs.append(run)
    return runs, found - sum(len(r) for r in runs)


def _lstsq(X: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Least-squares coefficients of ``y = X c`` and their covariance from the residual variance (zero
    without a residual degree of freedom)."""
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ coef
    dof = y.size - X.shape[1]
    s2 = float(residual @ residual) / dof if dof > 0 else 0.0
    return np.asarray(coef, dtype=np.float64), s2 * np.linalg.pinv(X.T @ X).astype(np.float64)


def _line(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float, float]:
    """Least-squares ``y = a + b x``: (a, b, the standard error of b)."""
    coef, cov = _lstsq(np.column_stack([np.ones(x.size), x]), y)
    return float(coef[0]), float(coef[1]), math.sqrt(max(float(cov[1, 1]), 0.0))


def _rest_fit(time: NDArray[np.float64], voltage: NDArray[np.float64], rest: _Segment, window: float) -> _RestFit:
    """A line over the rows of the last ``window`` of a rest's duration (at least its last 3 rows)."""
    t, v = time[rest.start:rest.end + 1], voltage[rest.start:rest.end + 1]
    duration = float(t[-1] - t[0])
    inside = np.flatnonzero(t >= t[-1] - window * duration)
    if inside.size < 3:
        inside = np.arange(max(t.size - 3, 0), t.size)
    x, y = t[inside] - t[-1], v[inside]
    if x.size < 2 or np.ptp(x) <= 0:
        return _RestFit(float(v[-1]), math.nan, 1, 0.0, 0.0, 0.0, duration)
    x_mean = float(x.mean())
    Sxx = float(np.sum((x - x_mean) ** 2))
    b = float(np.sum((x - x_mean) * (y - y.mean())) / Sxx)
    a = float(y.mean()) - b * x_mean
    rss = float(np.sum((y - a - b * x) ** 2))
    return _RestFit(a, b, int(x.size), x_mean, Sxx, rss, duration)


def _resolution_V(voltage: NDArray[np.float64]) -> float:
    """The smallest change of voltage between rows: a quantised file's digit (on a smooth or noisy curve
    of floats, next to nothing)."""
    steps = np.abs(np.diff(voltage))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 0.0


def _rests(fits: dict[int, _RestFit], floor_V: float) -> dict[int, _Rest]:
    """The rests with standard errors from the noise pooled over all their fits (a line through 3 rows
    alone has one residual degree of freedom: too few to judge its own noise), at least ``floor_V`` (the
    quantisation noise of a reading: flat rests of a quantised file have no scatter to pool)."""
    dof = sum(fit.n - 2 for fit in fits.values() if fit.n > 2)
    pooled = math.sqrt(sum(fit.rss for fit in fits.values() if fit.n > 2) / dof) if dof > 0 else 0.0
    sigma = max(pooled, floor_V)
    rests = {}
    for start, fit in fits.items():
        if fit.Sxx > 0:
            value_err = sigma * math.sqrt(1.0 / fit.n + fit.x_mean**2 / fit.Sxx)
            drift_err = sigma / math.sqrt(fit.Sxx)
        else:
            value_err, drift_err = sigma, math.nan
        rests[start] = _Rest(fit.a, value_err, fit.b, drift_err, fit.duration_s, sigma)
    return rests


def _pulse_row(time: NDArray[np.float64], voltage: NDArray[np.float64], pulse: _Segment, before: _Rest,
               after: _Rest, rules: _PulseRules) -> dict[str, Any]:
    """Everything one pulse gives (keys with units)."""
    t = time[pulse.start:pulse.end + 1] - time[pulse.start]
    v = voltage[pulse.start:pulse.end + 1]
    tau = float(t[-1])
    delta_s = after.relaxed_V - before.relaxed_V
    s_delta_s = math.hypot(before.relaxed_stderr_V, after.relaxed_stderr_V)
    sphere_term = delta_s / 3.0 if rules.correct else 0.0  # the first-order term at t = tau
    inside = (t >= rules.window[0] * tau) & (t <= rules.window[1] * tau)
    fit = _sqrt_fit(t, v, inside, tau, sphere_term, rules.correct, before.noise_V)
    endpoint_delta_t = float(v[-1] - v[0])
    delta_t, s_delta_t, E_start, raw_delta_t = _delta_E_t(rules.method, fit, tau, v, sphere_term, before.noise_V)
    D = _weppner_huggins(delta_s, delta_t, tau, rules.length_cm)
    relative = 2.0 * math.hypot(s_delta_t / delta_t, s_delta_s / delta_s) if delta_t and delta_s else math.nan
    tau_D_over_L2 = tau * D / rules.length_cm**2
    expected, relaxed, linear, reasons = _validity(t[inside], tau, D, tau_D_over_L2, fit, before, after, delta_s,
                                                   delta_t, rules)
    ir_drop = E_start - before.relaxed_V
    return {
        "step": pulse.step,
        "start_row": pulse.start,
        "end_row": pulse.end,
        "direction": "lithiation" if pulse.current_mA < 0 else "delithiation",
        "start_s": float(time[pulse.start]),
        "pulse_s": tau,
        "rest_s": after.duration_s,
        "current_mA": pulse.current_mA,
        "E_before_V": before.relaxed_V,
        "E_after_V": after.relaxed_V,
        "delta_E_s_mV": 1e3 * delta_s,
        "delta_E_t_mV": 1e3 * delta_t,
        "dE_dsqrt_t_mV_s05": 1e3 * fit.slope,
        "E0_V": fit.E0,
        "ir_drop_mV": 1e3 * ir_drop,
        "R_ir_ohm": ir_drop / (pulse.current_mA * 1e-3),
        "eta_mV": 1e3 * float(v[-1] - after.relaxed_V),
        "rest_drift_before_mV_h": 1e3 * SECONDS_PER_HOUR * before.drift_V_s,
        "rest_drift_after_mV_h": 1e3 * SECONDS_PER_HOUR * after.drift_V_s,
        "relaxed": relaxed,
        "tau_D_over_L2": tau_D_over_L2,
        "sqrt_curvature": fit.curvature,
        "sqrt_curvature_stderr": fit.curvature_err,
        "sqrt_curvature_diffusion": expected,
        "linear": linear,
        "D_cm2_s": D,
        "D_stderr_cm2_s": D * relative,
        "D_sqrt_cm2_s": _weppner_huggins(delta_s, fit.slope * math.sqrt(tau), tau, rules.length_cm),
        "D_endpoint_cm2_s": _weppner_huggins(delta_s, endpoint_delta_t - sphere_term, tau, rules.length_cm),
        "D_uncorrected_cm2_s": _weppner_huggins(delta_s, raw_delta_t, tau, rules.length_cm),
        "valid": not reasons,
        "reason": "; ".join(reasons),
    }


def _delta_E_t(method: str, fit: _SqrtFit, tau: float, v: NDArray[np.float64], sphere_term: float,
               noise_V: float) -> tuple[float, float, float, float]:
    """``delta_E_t`` by ``method`` (the spherical term taken off) and its standard error, the potential the
    pulse starts from (the IR drop's end), and ``delta_E_t`` without the spherical correction."""
    if method == "sqrt":
        return fit.slope * math.sqrt(tau), fit.slope_err * math.sqrt(tau), fit.E0, fit.raw_slope * math.sqrt(tau)
    endpoint_delta_t = float(v[-1] - v[0])
    return endpoint_delta_t - sphere_term, math.sqrt(2.0) * noise_V, float(v[0]), endpoint_delta_t


def _weppner_huggins(delta_E_s: float, delta_E_t: float, tau: float, length_cm: float) -> float:
    """Weppner-Huggins D (cm2/s) of a pulse; NaN without a duration or a finite, non-zero ``delta_E_t``."""
    if not (tau > 0 and math.isfinite(delta_E_t) and delta_E_t != 0):
        return math.nan
    return float(weppner_huggins_D_cm2_s(delta_E_s, delta_E_t, pulse_s=tau, length_cm=length_cm))


@dataclass(frozen=True)
class _SqrtFit:
    """The line ``E = E0 + slope sqrt(t)`` over the pulse's window (spherical term taken off), the slope
    without that correction, and the curvature of E vs sqrt(t) with its standard error; NaN with fewer
    than 3 rows there."""

    E0: float
    slope: float
    slope_err: float
    raw_slope: float
    curvature: float
    curvature_err: float


def _sqrt_fit(t: NDArray[np.float64], v: NDArray[np.float64], inside: NDArray[np.bool_], tau: float,
              sphere_term: float, correct: bool, noise_V: float) -> _SqrtFit:
    root = np.sqrt(t[inside])
    if not (root.size >= 3 and tau > 0):
        return _SqrtFit(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    corrected = v[inside] - sphere_term * t[inside] / tau
    E0, slope, slope_err = _line(root, corrected)
    raw_slope = _line(root, v[inside])[1] if correct else slope
    # a slope whose whole change over the pulse is round-off of the voltages (a flat pulse) is no change
    roundoff = ROUNDOFF * float(np.max(np.abs(v[inside])))
    slope, raw_slope = (0.0 if abs(m) * math.sqrt(tau) <= roundoff else m for m in (slope, raw_slope))
    curvature, curvature_err = _curvature(root, corrected, tau, noise_V)
    return _SqrtFit(E0, slope, slope_err, raw_slope, curvature, curvature_err)


def _validity(t: NDArray[np.float64], tau: float, D: float, tau_D_over_L2: float, fit: _SqrtFit, before: _Rest,
              after: _Rest, delta_s: float, delta_t: float, rules: _PulseRules) -> tuple[float, bool, bool, list[str]]:
    """The curvature diffusion itself gives over the window's times ``t``, whether both rests relaxed and
    the OCV is linear over the pulse, and the reasons the pulse is invalid (none: valid)."""
    # the curvature of E vs sqrt(t) the diffusion model itself gives at this tau D / L^2 (finite length,
    # the sphere's higher terms): only what exceeds it comes from a curved OCV
    expected = (_model_curvature(t, tau, tau_D_over_L2, rules.geometry, rules.correct) if math.isfinite(D)
                else math.nan)
    excess = fit.curvature - expected
    # a criterion fails where the data show it beyond three standard errors (noise alone: 1 in 700)
    drifts = [(abs(rest.drift_V_s) - 3.0 * np.nan_to_num(rest.drift_stderr_V_s)) * rest.duration_s
              for rest in (before, after)]
    relaxed = all(math.isfinite(d) and d <= rules.relaxed_fraction * abs(delta_s) for d in drifts)
    linear = bool(abs(excess) - 3.0 * np.nan_to_num(fit.curvature_err) <= rules.linearity)
    return expected, relaxed, linear, _reasons(D, tau_D_over_L2, rules.threshold, relaxed, linear, excess,
                                               delta_s * delta_t)


def _reasons(D: float, tau_D_over_L2: float, threshold: float, relaxed: bool, linear: bool, excess: float,
             product: float) -> list[str]:
    """Why a pulse is invalid (none: valid); ``product``: delta_E_s times delta_E_t."""
    reasons = []
    if not math.isfinite(D):
        reasons.append("no D (too few rows in the sqrt(t) window or no voltage change)")
    elif tau_D_over_L2 > threshold:
        reasons.append(f"tau D / L^2 = {tau_D_over_L2:.3g} > {threshold:g}")
    if not relaxed:
        reasons.append("rest not relaxed")
    if not linear:
        reasons.append(f"E vs sqrt(t) curved beyond diffusion ({excess:+.3f}): not a linear OCV's sqrt(t) response")
    if product <= 0:
        reasons.append("dE_s and dE_t of opposite sign")
    return reasons


def _curvature(root: NDArray[np.float64], y: NDArray[np.float64], tau: float,
               noise_V: float | None = None) -> tuple[float, float]:
    """The quadratic term of ``y = a + b sqrt(t) + c t`` at ``t = tau`` over the linear one, ``c sqrt(tau) / b``,
    and its standard error (NaN with fewer than 4 points) from the noise of a reading ``noise_V`` (None:
    from the residuals, which a smooth misfit inflates)."""
    if root.size < 4:
        return math.nan, math.nan
    X = np.column_stack([np.ones(root.size), root, root**2])
    coef, cov = _lstsq(X, y)
    if noise_V is not None:
        cov = noise_V**2 * np.linalg.pinv(X.T @ X)
    b, c = float(coef[1]), float(coef[2])
    if b == 0:
        return math.nan, math.nan
    return c * math.sqrt(tau) / b, math.sqrt(max(float(cov[2, 2]), 0.0)) * math.sqrt(tau) / abs(b)


def _model_curvature(t: NDArray[np.float64], tau: float, tau_D_over_L2: float, geometry: str, correct: bool) -> float:
    """:func:`_curvature` of the exact surface response at these times (the first-order term taken off
    for a corrected sphere)."""
    theta = tau_D_over_L2 / SHAPE_FACTOR[geometry] ** 2 * t / tau  # D t / l^2, l = thickness or radius
    response = surface_concentration_factor(theta, geometry=geometry) - (theta if correct else 0.0)
    return _curvature(np.sqrt(t), response, tau)[0]


def _cumulative_trapezoid(values: NDArray[np.float64], over: NDArray[np.float64]) -> NDArray[np.float64]:
    """Running trapezoid of ``values`` d``over`` from the first row (NaN currents count as zero)."""
    values = np.nan_to_num(values)
    return np.concatenate(([0.0], np.cumsum(0.5 * (values[1:] + values[:-1]) * np.diff(over))))
