"""Nucleation overpotential of the first plating on a bare substrate.

The first constant-current plating (current < 0; adjacent CC plating steps at one current, as a cycler
that re-logs a step writes them, are one plating) on a substrate falls from the open-circuit
voltage, overshoots to a voltage minimum (the *tip*: the barrier to forming nuclei) and recovers to
the growth *plateau*. Voltages are of the working electrode vs the counter; overpotentials are
reported as magnitudes in mV, as papers do: ``eta_tip = -V_tip``, ``eta_plateau = -V_plateau``,
``eta_nucleation = eta_tip - eta_plateau``.

Rules (their constants below):

noise
    sigma = 1.4826 MAD of the row-to-row voltage differences on the plateau / sqrt(2): the white
    noise of one reading, blind to a drifting plateau.
tip
    the vertex of a least-squares *two-sided parabola* ``V = a + b_(t - t0)^2`` (curvature b_left
    before t0, b_right after) fitted to the readings around the lowest point that lie within a band
    ``max(NOISE_BAND x sigma, BAND_FLOOR x depth)`` of it (at least :data:`MIN_FIT_ROWS`, at most the
    lower half of the dip; the lowest point and the band's edges are found on the running median of
    five readings when there is noise, so that one noisy reading neither sets nor cuts the band). The raw minimum of noisy data is biased low by one to two sigma (the
    deepest of a few noisy readings); a fit over many rows averages the noise, and the two curvatures
    follow the sharp fall and the slower recovery of a real dip, which one parabola would not (its
    vertex would be pulled up). The early rows (the capacitive decay from the open-circuit voltage)
    lie far above the band and never enter the fit.
plateau
    the median voltage from where the recovery has settled to the end of the step (its last row, a
    switching transient, left out): settled is the first row after the tip within
    ``max(SETTLED_FRACTION x depth, 3 sigma)`` of a provisional plateau (the median of the second
    half, by time, of the rows after the tip). Its standard error is ``1.2533 sigma / sqrt(n)``.
under-sampled tip
    fewer than :data:`MIN_DIP_ROWS` rows lie in the lower half of the dip (below the midpoint of tip
    and plateau): the sampling interval is too long for the dip, whose true minimum may lie between
    two readings, deeper than any. No tip or nucleation overpotential is then given, only lower
    bounds (the deepest reading, less twice the noise), marked as such, with a warning.
no dip
    the lowest point lies less than 1 / :data:`NOISY_FRACTION` noise standard deviations below the
    plateau (a substrate without a nucleation barrier, or a metal electrode): only an upper bound of
    eta_nucleation (that depth plus twice the noise), with a warning.

The tip's standard error is statistical: that of the fitted vertex for readings with the noise
sigma. ``tip_resolution_mV`` is the fitted parabola's rise over one sampling interval (or over the
fitted readings' span beyond the vertex, where shorter) on its steeper side, the scale of what the
sampling leaves open beyond it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import DISCHARGE
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.experiment import require_record
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.core.steps import StepTable, step_table
from anodelab.plating.segments import LEVEL_RTOL

#: the tip fit's band above the lowest point: this many noise standard deviations ...
NOISE_BAND = 4.0
#: ... and at least this fraction of the dip depth (for clean data), at most half of it
BAND_FLOOR = 0.02
#: rows the tip fit needs at least (four parameters)
MIN_FIT_ROWS = 5
#: rows the lower half of the dip needs for the tip to count as resolved
MIN_DIP_ROWS = 4
#: the recovery has settled within this fraction of the dip depth of the plateau
SETTLED_FRACTION = 0.05
#: noise larger than this fraction of the dip depth makes the dip unresolved
NOISY_FRACTION = 0.25
#: the cell types with a bare substrate as working electrode (metal||substrate)
SUBSTRATE_CELLS = ("plating", "anode-half")
#: rows of the plating step kept in the result's curve table (the dip region always whole)
CURVE_ROWS = 4000

FloatArray = NDArray[np.float64]


TIP_STATES = ("resolved", "under-sampled", "no-dip")


@dataclass(frozen=True, repr=False)
class NucleationOverpotential(Result):
    """Tip, plateau and nucleation overpotential of the first plating step (see the module docstring).

    Voltages vs the counter (V, signed); the ``eta_*_mV`` properties are the magnitudes in mV.
    ``tip``: ``"resolved"``; ``"under-sampled"`` (``tip_V`` is the deepest reading, only lower bounds
    are given); ``"no-dip"`` (no dip above the noise, only an upper bound of eta_nucleation is given).
    Times are from the start of the plating step.
    """

    kind: ClassVar[str] = "nucleation_overpotential"
    version: ClassVar[int] = 2

    step: int                      # the record's step number of the plating step
    tip: str                       # one of TIP_STATES
    tip_V: float
    tip_stderr_V: float | None
    plateau_V: float
    plateau_stderr_V: float | None
    tip_time_s: float
    tip_capacity_mAh: float
    current_mA: float
    area_cm2: float | None
    noise_V: float
    sampling_interval_s: float     # median interval between readings around the tip
    tip_resolution_V: float        # the fitted rise over one sampling interval, on the steeper side
    dip_rows: int                  # rows in the lower half of the dip
    dip_width_s: float             # duration of the lower half of the dip
    plateau_start_s: float
    plateau_rows: int
    fit: dict[str, float]          # the two-sided parabola: a_V, t0_s, curvature_left/right_V_s2, window
    curve: dict[str, FloatArray]   # time_s (into the step), capacity_mAh, voltage_V
    definitions: dict[str, str] = field(default_factory=dict)

    # -- magnitudes in mV -------------------------------------------------------------------------

    @property
    def tip_resolved(self) -> bool:
        return self.tip == "resolved"

    @property
    def eta_tip_mV(self) -> float | None:
        return -1e3 * self.tip_V if self.tip_resolved else None

    @property
    def eta_plateau_mV(self) -> float:
        return -1e3 * self.plateau_V

    @property
    def eta_nucleation_mV(self) -> float | None:
        return 1e3 * (self.plateau_V - self.tip_V) if self.tip_resolved else None

    @property
    def eta_nucleation_stderr_mV(self) -> float | None:
        if not self.tip_resolved or self.tip_stderr_V is None or self.plateau_stderr_V is None:
            return None
        return 1e3 * math.hypot(self.tip_stderr_V, self.plateau_stderr_V)

    @property
    def eta_tip_lower_bound_mV(self) -> float | None:
        """Under-sampled tip: the tip is at least this deep (the deepest reading less 2 sigma)."""
        if self.tip != "under-sampled":
            return None
        return max(-1e3 * (self.tip_V + 2.0 * self.noise_V), self.eta_plateau_mV)

    @property
    def eta_nucleation_lower_bound_mV(self) -> float | None:
        bound = self.eta_tip_lower_bound_mV
        return None if bound is None else bound - self.eta_plateau_mV

    @property
    def eta_nucleation_upper_bound_mV(self) -> float | None:
        """No dip above the noise: eta_nucleation is at most the deepest reading below the plateau plus 2 sigma."""
        if self.tip != "no-dip":
            return None
        return 1e3 * (max(self.plateau_V - self.tip_V, 0.0) + 2.0 * self.noise_V)

    # -- Result -----------------------------------------------------------------------------------

    def metrics(self) -> tuple[Metric, ...]:
        d = self.definitions
        out = []
        if self.eta_nucleation_mV is not None and self.eta_tip_mV is not None:
            out += [Metric("eta_nucleation", self.eta_nucleation_mV, "mV", self.eta_nucleation_stderr_mV,
                           definition=d["eta_nucleation"]),
                    Metric("eta_tip", self.eta_tip_mV, "mV", _mV(self.tip_stderr_V), definition=d["eta_tip"])]
        elif self.eta_nucleation_lower_bound_mV is not None and self.eta_tip_lower_bound_mV is not None:
            out += [Metric("eta_nucleation_lower_bound", self.eta_nucleation_lower_bound_mV, "mV",
                           definition=d["lower_bound"]),
                    Metric("eta_tip_lower_bound", self.eta_tip_lower_bound_mV, "mV", definition=d["lower_bound"])]
        elif self.eta_nucleation_upper_bound_mV is not None:
            out.append(Metric("eta_nucleation_upper_bound", self.eta_nucleation_upper_bound_mV, "mV",
                              definition=d["upper_bound"]))
        out.append(Metric("eta_plateau", self.eta_plateau_mV, "mV", _mV(self.plateau_stderr_V),
                          definition=d["eta_plateau"]))
        if self.tip != "no-dip":
            if self.area_cm2:
                out.append(Metric("tip_areal_capacity", self.tip_capacity_mAh / self.area_cm2, "mAh/cm2",
                                  definition=d["tip_capacity"] + ", per cm2 of electrode"))
            else:
                out.append(Metric("tip_capacity", self.tip_capacity_mAh, "mAh", definition=d["tip_capacity"]))
        if self.area_cm2:
            out.append(Metric("areal_current_density", abs(self.current_mA) / self.area_cm2, "mA/cm2",
                              definition=d["current"] + ", per cm2 of electrode"))
        else:
            out.append(Metric("current", abs(self.current_mA), "mA", definition=d["current"]))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        area = self.area_cm2
        return {
            "eta_nucleation_mV": self.eta_nucleation_mV,
            "eta_tip_mV": self.eta_tip_mV,
            "eta_plateau_mV": self.eta_plateau_mV,
            "eta_nucleation_stderr_mV": self.eta_nucleation_stderr_mV,
            "eta_tip_stderr_mV": _mV(self.tip_stderr_V) if self.tip_resolved else None,
            "eta_plateau_stderr_mV": _mV(self.plateau_stderr_V),
            "tip": self.tip,
            "tip_resolved": self.tip_resolved,
            "eta_nucleation_lower_bound_mV": self.eta_nucleation_lower_bound_mV,
            "eta_tip_lower_bound_mV": self.eta_tip_lower_bound_mV,
            "eta_nucleation_upper_bound_mV": self.eta_nucleation_upper_bound_mV,
            "tip_V": self.tip_V,
            "plateau_V": self.plateau_V,
            "step": self.step,
            "tip_time_s": self.tip_time_s,
            "tip_capacity_mAh": self.tip_capacity_mAh,
            "tip_capacity_mAh_cm2": self.tip_capacity_mAh / area if area else None,
            "current_mA": self.current_mA,
            "current_mA_cm2": abs(self.current_mA) / area if area else None,
            "area_cm2": area,
            "noise_mV": 1e3 * self.noise_V,
            "sampling_interval_s": self.sampling_interval_s,
            "tip_resolution_mV": 1e3 * self.tip_resolution_V,
            "dip_rows": self.dip_rows,
            "dip_width_s": self.dip_width_s,
            "plateau_start_s": self.plateau_start_s,
            "plateau_rows": self.plateau_rows,
            "fit": dict(self.fit),
            "definitions": dict(self.definitions),
        }

    def tables(self) -> dict[str, dict[str, FloatArray]]:
        """``curve``: the plating step's rows (time into the step, charge, voltage; thinned beyond the dip)."""
        curve = dict(self.curve)
        if self.area_cm2:
            curve["capacity_mAh_cm2"] = curve["capacity_mAh"] / self.area_cm2
        return {"curve": curve}

    def headline(self) -> str:
        plateau = f"plateau {self.eta_plateau_mV:.3g} mV"
        if self.tip_resolved:
            return f"eta_nucleation {self.eta_nucleation_mV:.3g} mV (tip {self.eta_tip_mV:.3g} mV, {plateau})"
        if self.tip == "under-sampled":
            return (f"tip under-sampled: eta_nucleation >= {self.eta_nucleation_lower_bound_mV:.3g} mV "
                    f"(tip >= {self.eta_tip_lower_bound_mV:.3g} mV, {plateau})")
        return f"no nucleation dip above the noise: eta_nucleation <= {self.eta_nucleation_upper_bound_mV:.3g} mV ({plateau})"


@stamps_call
def nucleation_overpotential(
    record: Record, cell: CellInfo | None = None, *, plating_index: int = 1
) -> NucleationOverpotential:
    """Tip, plateau and nucleation overpotential of the ``plating_index``-th constant-current plating
    of ``record`` (1: the first, on the bare substrate; adjacent CC plating steps at one current are
    one plating; rules in the module docstring). Areal quantities from ``cell`` (default: the
    record's) working-electrode area; without one, absolute values and a warning.

    Raises :class:`NotApplicableError` when the cell has no bare substrate (a symmetric or full
    cell), the record has no constant-current plating step, or that step is no metal plating (it
    ends above 0 V vs the counter: insertion or alloying) or has no dip and recovery (the voltage is
    lowest at the end of the step).
    """
    record = require_record(record, "the nucleation overpotential", "a plating Record (time, voltage, current)")
    where = record.provenance.path or "record"
    cell = cell if cell is not None else record.cell
    for name in ("time_s", "current_mA"):
        if name not in record:
            raise NotApplicableError(f"{where}: the nucleation overpotential needs {name}; the record has "
                                     + ", ".join(record.column_names))
    if isinstance(plating_index, bool) or not isinstance(plating_index, (int, np.integer)) or plating_index < 1:
        raise ValidationError("plating_index", f"must be an integer >= 1, got {plating_index!r}")
    if cell is not None and cell.cell_type not in SUBSTRATE_CELLS:
        raise NotApplicableError(f"{where}: a {cell.cell_type} cell has no bare substrate; the nucleation overpotential "
                                 f"is measured on one (cell type {' or '.join(SUBSTRATE_CELLS)})")
    table = step_table(record)
    k, k_last = _plating_steps(table, plating_index, where)
    t_step, v_step, q_step = _plating_rows(record, table, k, k_last)
    t, v, q = t_step[1:], v_step[1:], q_step[1:]  # the first row: the voltage before the current
    if v.size < MIN_FIT_ROWS + 2:
        raise NotApplicableError(f"{where}: the plating step (step {table.step[k]}) has {v.size + 1} rows; "
                                 f"the nucleation dip needs at least {MIN_FIT_ROWS + 3}")
    warnings: list[str] = []
    dip = _dip(t, v, where, int(table.step[k]), warnings)
    area = cell.working_electrode.area_cm2 if cell is not None else None
    if not area:
        warnings.append("no electrode area (working_electrode.area_cm2): tip capacity in mAh and current in mA, "
                        "not per cm2")
    known_q = np.isfinite(q)
    tip_q = float(np.interp(dip.tip_time_s, t[known_q], q[known_q])) if known_q.any() else math.nan
    return NucleationOverpotential(
        step=int(table.step[k]), tip_V=dip.tip_V, tip_stderr_V=dip.tip_stderr_V, plateau_V=dip.plateau_V,
        plateau_stderr_V=dip.plateau_stderr_V, tip=dip.tip, tip_time_s=dip.tip_time_s,
        tip_capacity_mAh=tip_q, current_mA=float(table.set_point[k]), area_cm2=area, noise_V=dip.noise_V,
        sampling_interval_s=dip.interval_s, tip_resolution_V=dip.resolution_V, dip_rows=dip.dip_rows, dip_width_s=dip.dip_width_s,
        plateau_start_s=float(t[dip.plateau_from]), plateau_rows=v.size - 1 - dip.plateau_from, fit=dip.fit,
        curve=_curve(t_step, q_step, v_step, dip), definitions=dict(_DEFINITIONS), warnings=tuple(warnings))


_DEFINITIONS = {
    "eta_tip": "-V at the voltage minimum of the first plating step: vertex of a two-sided parabola fitted "
               f"to the rows within max({NOISE_BAND:g} sigma, {BAND_FLOOR:g} x depth) of the lowest point",
    "eta_plateau": "-median V from where the recovery has settled (within "
                   f"max({SETTLED_FRACTION:g} x depth, 3 sigma)) to the end of the step",
    "eta_nucleation": "eta_tip - eta_plateau",
    "lower_bound": f"under-sampled tip (fewer than {MIN_DIP_ROWS} readings in the lower half of the dip): "
                   "the deepest reading less 2 sigma, a lower bound of the magnitude",
    "upper_bound": f"no dip above the noise (noise above {NOISY_FRACTION:g} x the depth): the deepest reading "
                   "below the plateau plus 2 sigma, an upper bound",
    "tip_capacity": "charge plated up to the tip",
    "current": "current of the plating step",
    "noise": "1.4826 MAD of successive voltage differences on the plateau / sqrt(2)",
}


# -- the plating step -------------------------------------------------------------------------------


def _plating_steps(table: StepTable, plating_index: int, where: str) -> tuple[int, int]:
    """The first and last step of the ``plating_index``-th constant-current plating (adjacent CC
    plating steps at one current, as a cycler that re-logs a step writes them, are one)."""
    plating = np.flatnonzero((table.mode == "CC") & (table.direction == DISCHARGE))
    if plating.size == 0:
        raise NotApplicableError(f"{where}: no constant-current plating step (current < 0) for the nucleation "
                                 f"overpotential; the steps are {_modes(table.mode, table.direction_names)}")
    same = (np.diff(plating) == 1) & np.isclose(table.set_point[plating[1:]], table.set_point[plating[:-1]],
                                                rtol=LEVEL_RTOL, atol=0.0)
    first_steps = plating[np.r_[True, ~same]]
    last_steps = plating[np.r_[~same, True]]
    if plating_index > first_steps.size:
        raise NotApplicableError(f"{where}: plating_index={plating_index}, but the record has {first_steps.size} "
                                 "constant-current plating(s)")
    return int(first_steps[plating_index - 1]), int(last_steps[plating_index - 1])


def _plating_rows(record: Record, table: StepTable, k: int, k_last: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Time from the plating's start, voltage and charge plated of the rows of steps ``k``..``k_last``
    (rows with a lost voltage reading, NaN, left out; the rows around them kept)."""
    step_rows = slice(int(table.start[k]), int(table.end[k_last]) + 1)
    t_step = record["time_s"][step_rows] - record["time_s"][int(table.start[k])]
    v_step = record["voltage_V"][step_rows]
    # the charge plated from the plating's start: each step's capacity after those of the steps before
    # and the current over the interval between a step's last row and the next one's first
    parts = range(k, k_last + 1)
    gap_s = [float(table.start_s[i + 1] - table.start_s[i] - table.duration_s[i]) for i in range(k, k_last)]
    passed = [float(np.nan_to_num(table.charge_mAh[i])) + abs(float(table.set_point[i])) * gap / 3600.0
              for i, gap in zip(parts, gap_s)]
    offset_mAh = np.cumsum([0.0, *passed])
    q_step = np.concatenate([record["capacity_mAh"][int(table.start[i]):int(table.end[i]) + 1] + offset_mAh[n]
                             for n, i in enumerate(parts)])
    readable = np.isfinite(v_step)
    if not readable.all():
        t_step, v_step, q_step = t_step[readable], v_step[readable], q_step[readable]
    return t_step, v_step, q_step


# -- the dip ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dip:
    tip_V: float
    tip_stderr_V: float | None
    tip_time_s: float
    plateau_V: float
    plateau_stderr_V: float | None
    plateau_from: int      # first row of the plateau window
    noise_V: float
    tip: str
    interval_s: float
    resolution_V: float
    dip_rows: int
    dip_width_s: float
    dip_span: tuple[int, int]   # rows of the region below the plateau
    fit: dict[str, float]


def _dip(t: FloatArray, v: FloatArray, where: str, step: int, warnings: list[str]) -> _Dip:
    """Locate, fit and judge the nucleation dip of one plating step's rows (the first row left out)."""
    n = v.size
    lowest = int(np.argmin(v))
    after = v[lowest:]
    provisional = float(np.median(after[after.size // 2:]))
    if provisional >= 0.0:
        raise NotApplicableError(
            f"{where}: the plating step (step {step}) ends at {provisional:.3g} V vs the counter, above 0 V: "
            "this is insertion or alloying, not metal plating on a bare substrate")
    noise = _noise_V(v[lowest + (n - lowest) // 2:])
    smooth = _median5(v) if noise > 0 else v  # to locate the dip and the plateau's start; fits use the readings
    i0 = int(np.argmin(smooth))
    if i0 >= n - 2:
        raise NotApplicableError(
            f"{where}: the voltage of the plating step (step {step}) is lowest at its end: no nucleation "
            "dip and recovery to a plateau")
    plateau, plateau_stderr, plateau_from, noise = _plateau(v, smooth, i0, noise, warnings)
    depth = max(plateau - float(smooth[i0]), 0.0)
    # tip: two-sided parabola over the band around the lowest point
    band = min(max(NOISE_BAND * noise, BAND_FLOOR * depth), 0.5 * depth) if depth > 0 else NOISE_BAND * noise
    below_lo, below_hi = _span(smooth, i0, plateau)
    lo, hi = _widen(v, *_span(smooth, i0, float(smooth[i0]) + band), MIN_FIT_ROWS)
    tip, tip_stderr, tip_t, fit = _two_sided_parabola(t[lo:hi + 1], v[lo:hi + 1], noise)
    if not (t[lo] <= tip_t <= t[hi]) or not math.isfinite(tip):
        tip, tip_stderr, tip_t = float(v[i0]), None, float(t[i0])
    # the lower half of the dip: the readings below the midpoint of tip and plateau around the tip
    half = 0.5 * (tip + plateau)
    at_tip = lo + int(np.argmin(np.abs(t[lo:hi + 1] - tip_t)))
    d_lo, d_hi = _span(v, at_tip, half)
    dip_rows = d_hi - d_lo + 1 if v[at_tip] < half else 0
    gaps = np.diff(t[max(d_lo - 1, 0):min(d_hi + 2, n)])
    interval = float(np.median(gaps)) if gaps.size else float("nan")
    state = _tip_state(depth, noise, dip_rows, interval, warnings)
    if state != "resolved":
        deepest = int(np.argmin(v[below_lo:below_hi + 1])) + below_lo
        tip, tip_stderr, tip_t = float(v[deepest]), None, float(t[deepest])
    fit.update(window_start_s=float(t[lo]), window_end_s=float(t[hi]), window_rows=float(hi - lo + 1))
    return _Dip(tip, tip_stderr, tip_t, plateau, plateau_stderr, plateau_from, noise, state, interval,
                _resolution_V(fit, t[lo:hi + 1], interval), dip_rows, float(t[d_hi] - t[d_lo]) if dip_rows else 0.0,
                (below_lo, below_hi), fit)


def _plateau(v: FloatArray, smooth: FloatArray, i0: int, noise: float, warnings: list[str]
             ) -> tuple[float, float, int, float]:
    """The plateau after the lowest smoothed point ``i0`` (module docstring): its median, standard
    error, first row, and the noise (measured on the plateau where it has 8 rows or more, else ``noise``)."""
    n = v.size
    later = smooth[i0:]
    provisional = float(np.median(later[later.size // 2:]))
    depth = max(provisional - float(smooth[i0]), 0.0)
    settled = provisional - max(SETTLED_FRACTION * depth, 3.0 * noise)
    reached = np.flatnonzero(later >= settled)
    plateau_from = i0 + int(reached[0]) if reached.size else i0 + later.size // 2
    plateau_from = min(plateau_from, n - 2)
    window = v[plateau_from:n - 1]
    noise = _noise_V(window) if window.size >= 8 else noise
    if window.size < 5:
        warnings.append(f"the plating step ends {window.size} rows after its recovery settled: the plateau is "
                        "barely reached")
    return float(np.median(window)), 1.2533 * noise / math.sqrt(window.size), plateau_from, noise


def _tip_state(depth: float, noise: float, dip_rows: int, interval: float, warnings: list[str]) -> str:
    """``resolved``, ``under-sampled`` or ``no-dip`` (module docstring), with a warning unless resolved."""
    if depth <= 0 or noise > NOISY_FRACTION * depth:
        warnings.append(f"no nucleation dip above the noise: the lowest point lies {1e3 * depth:.3g} mV below the "
                        f"plateau, the noise is {1e3 * noise:.3g} mV; only an upper bound of eta_nucleation is given")
        return "no-dip"
    if dip_rows < MIN_DIP_ROWS:
        warnings.append(
            f"under-sampled tip: {dip_rows} reading(s) in the lower half of the dip (at least {MIN_DIP_ROWS} needed) "
            f"at {interval:.3g} s between readings; the true tip may lie deeper between readings, so only lower "
            "bounds are given (sample faster, or record on a voltage change)")
        return "under-sampled"
    return "resolved"


def _resolution_V(fit: dict[str, float], span: FloatArray, interval: float) -> float:
    """The fitted parabola's rise on its steeper side over one sampling interval, or over the span of
    its fitted readings ``span`` (times) beyond the vertex where shorter (a curvature with no reading
    beyond the vertex is unconstrained, not steep)."""
    t0 = fit["t0_s"]
    reach_left = min(interval, max(t0 - float(span[0]), 0.0))
    reach_right = min(interval, max(float(span[-1]) - t0, 0.0))
    return max(fit["curvature_left_V_s2"] * reach_left**2, fit["curvature_right_V_s2"] * reach_right**2)


def _noise_V(v: FloatArray) -> float:
    """Standard deviation of a reading's white noise: 1.4826 MAD of successive differences / sqrt(2)."""
    if v.size < 3:
        return 0.0
    d = np.diff(v)
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0))


def _median5(v: FloatArray) -> FloatArray:
    """Running median of five readings (the ends: of the readings there are)."""
    from scipy.ndimage import median_filter

    out: FloatArray = median_filter(v, size=5, mode="nearest")
    return out


def _span(v: FloatArray, i: int, level: float) -> tuple[int, int]:
    """The rows around ``i`` (inclusive) where ``v`` stays at or below ``level``."""
    above = v > level
    left = np.flatnonzero(above[:i])
    right = np.flatnonzero(above[i + 1:])
    return (int(left[-1]) + 1 if left.size else 0), (i + int(right[0]) if right.size else v.size - 1)


def _widen(v: FloatArray, lo: int, hi: int, rows: int) -> tuple[int, int]:
    """Grow [lo, hi] one row at a time, on the side of the lower neighbour, to ``rows`` rows."""
    while hi - lo + 1 < rows and (lo > 0 or hi < v.size - 1):
        if hi == v.size - 1 or (lo > 0 and v[lo - 1] <= v[hi + 1]):
            lo -= 1
        else:
            hi += 1
    return lo, hi


def _two_sided_parabola(t: FloatArray, v: FloatArray, noise_V: float
                        ) -> tuple[float, float | None, float, dict[str, float]]:
    """Least-squares ``V = a + b (t - t0)^2`` with b = b_left before t0 and b_right after (b >= 0):
    (a, its standard error from readings of noise ``noise_V``, t0, the parameters)."""
    from scipy.optimize import least_squares

    i = int(np.argmin(v))
    t_ref, scale = float(t[i]), float(t[-1] - t[0]) or 1.0
    x = (t - t_ref) / scale

    def residuals(p: FloatArray) -> FloatArray:
        d = x - p[1]
        out: FloatArray = p[0] + np.where(d < 0, p[2], p[3]) * d * d - v
        return out

    c2, c1, _ = np.polyfit(x, v, 2)  # one parabola for the starting point
    curvature = max(float(c2), 1e-12)
    vertex = -float(c1) / (2.0 * curvature) if c2 > 0 else 0.0
    p0 = np.array([float(v[i]), vertex, curvature, curvature])
    bounds = ([-np.inf, float(x[0]), 0.0, 0.0], [np.inf, float(x[-1]), np.inf, np.inf])
    p0[1] = min(max(p0[1], bounds[0][1]), bounds[1][1])
    solution = least_squares(residuals, p0, bounds=bounds, x_scale="jac")
    p = solution.x
    stderr: float | None = None
    if v.size > 4:  # pseudo-inverse: a curvature without readings on its side leaves the vertex defined
        jac = np.asarray(solution.jac, dtype=float)
        variance = float(np.linalg.pinv(jac.T @ jac)[0, 0]) * noise_V**2
        stderr = math.sqrt(variance) if variance >= 0 else None
    t0 = t_ref + float(p[1]) * scale
    fit = {"a_V": float(p[0]), "t0_s": t0, "curvature_left_V_s2": float(p[2]) / scale**2,
           "curvature_right_V_s2": float(p[3]) / scale**2}
    return float(p[0]), stderr, t0, fit


def _curve(t: FloatArray, q: FloatArray, v: FloatArray, dip: _Dip) -> dict[str, FloatArray]:
    """The step's rows (its first included) for the figure: the dip region (and up to the plateau)
    whole, the rest thinned."""
    n = v.size
    keep = np.zeros(n, dtype=bool)
    stride = max(1, math.ceil(n / CURVE_ROWS))
    keep[::stride] = True
    lo, hi = dip.dip_span[0] + 1, dip.dip_span[1] + 1  # the dip's rows counted without the first row
    end = min(max(hi, dip.plateau_from + 1) + 1, n)
    dense = np.arange(0, end)
    if dense.size > CURVE_ROWS:
        dense = np.unique(np.r_[np.arange(lo, min(hi + 1, n)), dense[:: math.ceil(dense.size / CURVE_ROWS)]])
    keep[dense] = True
    keep[-1] = True
    return {"time_s": t[keep].copy(), "capacity_mAh": q[keep].copy(), "voltage_V": v[keep].copy()}


def _mV(value_V: float | None) -> float | None:
    return None if value_V is None else 1e3 * value_V


# -- checks -----------------------------------------------------------------------------------------


def _modes(mode: NDArray[np.str_], direction: NDArray[np.str_]) -> str:
    if mode.size == 0:
        return "none (no rows)"
    names, counts = np.unique([f"{m} {d}" for m, d in zip(mode, direction)], return_counts=True)
    return ", ".join(f"{c} {name}" for name, c in zip(names, counts))


__all__ = ["TIP_STATES", "NucleationOverpotential", "nucleation_overpotential"]
