"""Cyclic and linear sweep voltammetry from the raw record: sweeps and their scan rates, peaks above a
stated baseline, redox couples, dI/dV onsets, and Randles-Sevcik diffusion across scan rates.

Rules, in the order they are applied (none takes the file's cycle or step numbers as truth):

Sweeps
    The rows of steps the step table (:func:`anodelab.core.steps.step_table`) calls impedance, rest
    or CV (a potential hold) of :data:`MIN_HOLD_ROWS` rows or more, or CC with a potential not linear
    in time (a galvanostatic step, :data:`MIN_CC_ROWS` rows or more) are left out. The potential of
    the others is cut at its vertices: a turn of at least ``reversal_mV`` against the direction of
    travel (hysteresis, so noise and the levels of a staircase make no vertex). With a time column, the part of each leg swept at one rate
    is kept: the local rate (least-squares slope of E against t over a sliding window of at least
    :data:`RATE_WINDOW_V` and :data:`RATE_WINDOW_ROWS` potential steps, which averages over a
    staircase and over times stored to a coarse resolution) is compared with the leg's rate (the mode
    of the local rates, weighted by the potential travelled) and the longest run within
    :data:`RATE_TOLERANCE` is the sweep; what is left out (a galvanostatic step from OCV before the
    sweep, as in many "LSV" files) is named in a warning. A sweep spanning less than ``min_span_mV``
    or :data:`MIN_SWEEP_ROWS` rows is dropped, and so is one at constant current whose leg is not
    linear in time (the CC part of a CC-CV step).
Scan rate
    Per sweep: the least-squares slope of E against t over the rows of the middle 80 % of its
    potential span, mV/s (its magnitude; the direction is named); the coefficient of determination
    must reach :data:`~anodelab.core.steps.SWEEP_MIN_R2`, else the leg is no sweep. Without a time
    column the programmed ``scan_rate_mV_s`` is used where given (source ``"given"``).
Cycles
    Cycle 1 is the first sweep and the next one in the other direction; a new cycle begins at every
    sweep in the direction of the first. One sweep is an LSV, more a CV.
Curves
    Each sweep's current is binned on a fixed potential grid (``bin_mV``, default the sweep's median
    potential step, at least ``smooth_mV`` / :data:`MAX_SMOOTH_BINS`; each bin's mean current at its
    rows' mean potential), smoothed and differentiated
    by quadratic Savitzky-Golay filters over ``smooth_mV`` and ``derivative_mV`` (no smoothing where
    that is under 5 bins). dQ/dV is the charge passed per volt, |I| / (dE/dt) / 3600 in mAh/V (< 0 on
    a cathodic sweep, as in :mod:`anodelab.cycling.dqdv`).
Peaks
    Reduction peaks on cathodic sweeps (minima of I), oxidation peaks on anodic sweeps (maxima):
    local extremes of the smoothed current of prominence at least ``min_prominence`` of the record's
    current range and :data:`NOISE_SIGMAS` times the noise of the smoothed current. ``E_peak_V`` and
    the current there: the maximum of a cubic fitted to the binned current over the peak's top (a
    third of its narrower half-width at half prominence each side), which follows a diffusion peak's
    skew. ``I_peak_mA``: the current above the peak's baseline, signed (< 0 for reduction);
    ``I_measured_mA``: the current itself.
Baseline (per peak)
    A straight line I(E) fitted to the smoothed current over the flattest window (the least change
    of current across :data:`BASELINE_FRACTION` of the sweep's span) that is flat (a change of at most
    :data:`FLAT_SHARE` of the peak's prominence) and passes under the peak's bases, extrapolated to
    the peak: looked for first between the previous peak's foot (or the sweep's start) and this
    peak's foot (two half-widths from it), then between its foot and the next peak's, then anywhere
    before, then anywhere after (``baseline_side``); where none is flat, the horizontal line at the
    peak's higher base (``"base"``: I_peak is the prominence, with a warning). This is the extrapolated
    capacitive (double-layer) baseline where the sweep has one. A peak ``recurs`` when the next cycle
    has a peak of its direction within :data:`RECUR_V` (None where the next cycle has no sweep of that
    direction over it); the baseline of one that does not (an SEI or first-lithiation peak) is the next
    cycle's current over the same potentials plus the line of the same rule fitted to the difference
    of the two sweeps (``"next cycle + ..."``), as Attia et al. (2021) read their first-cycle peaks.
Couples
    Peaks that do not recur are not paired. In each cycle, reduction and oxidation peaks are paired closest first, the
    oxidation peak at or above the reduction peak and at most ``max_separation_mV`` from it:
    ``dE_p_mV = E_pa - E_pc``, ``E_half_V = (E_pa + E_pc) / 2``.
Onsets
    Maxima of dI/dE (a faradaic process in the sweep's direction makes dI/dE > 0 in either direction)
    of prominence at least ``min_onset_prominence`` of the largest, on the opening sweep (``onsets=
    "all"``: every sweep): decomposition or SEI-formation onset voltages of an LSV.

:func:`randles_sevcik` takes results at two or more scan rates (never one) and reads D from the
slope of the peak current against sqrt(scan rate), with the power law |I_p| ~ nu^b as its check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.constants import FARADAY_C_MOL, GAS_CONSTANT_J_MOL_K
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Quantity, Result, stamps_call
from anodelab.core.steps import CC_CURRENT_RTOL, SWEEP_MIN_R2, StepTable, step_table
from anodelab.models.kinetics import check_positive

#: local scan rates within this fraction of the leg's rate belong to its sweep
RATE_TOLERANCE = 0.05
#: a constant-current step of at least this many rows whose potential is not linear in time is no sweep
MIN_CC_ROWS = 5
#: the default bin is at least ``smooth_mV`` over this
MAX_SMOOTH_BINS = 100
#: a rest or potential hold of at least this many rows is left out of the sweeps
MIN_HOLD_ROWS = 10
#: a sweep has at least this many rows
MIN_SWEEP_ROWS = 10
#: the sliding window of the local scan rate: at least this many rows and this potential (V)
RATE_WINDOW_ROWS = 20
RATE_WINDOW_V = 0.02
#: the baseline window, as a fraction of the sweep's potential span
BASELINE_FRACTION = 0.1
#: a baseline window is flat when its current changes by at most this fraction of the peak's prominence
FLAT_SHARE = 0.1
#: a peak recurs in the next cycle when that cycle has a peak of the same direction this close (V)
RECUR_V = 0.2
#: the scan rate is fitted over the middle of a sweep: this fraction of its span is left out at each end
RATE_TRIM = 0.1
#: a peak stands out of the noise by this many standard deviations
NOISE_SIGMAS = 10.0
#: two scan rates are one when they differ by less than this fraction (Randles-Sevcik)
SAME_RATE_RTOL = 0.01
#: the standard deviation of normal noise over its median absolute value
MAD_TO_SIGMA = 1.4826
#: Randles-Sevcik constants: reversible (Nernstian) and totally irreversible peak current functions
REVERSIBLE = 0.4463
IRREVERSIBLE = 0.4958

Direction = Literal["cathodic", "anodic"]


@dataclass(frozen=True)
class _Sweep:
    """One sweep's rows (record positions, in order) and what was derived from them."""

    rows: NDArray[np.intp]
    direction: Direction
    scan_rate_mV_s: float | None        # magnitude
    rate_source: str                    # "fit", "given" or "none"
    r2: float | None


@stamps_call
def voltammetry(
    record: Record,
    cell: CellInfo | None = None,
    *,
    scan_rate_mV_s: float | None = None,
    reversal_mV: float = 10.0,
    min_span_mV: float = 20.0,
    bin_mV: float | None = None,
    smooth_mV: float = 10.0,
    derivative_mV: float = 30.0,
    min_prominence: float = 0.01,
    min_onset_prominence: float = 0.1,
    max_separation_mV: float = 300.0,
    onsets: Literal["first", "all"] = "first",
) -> Voltammogram:
    """Sweeps, scan rates, cycles, baselines, peaks, redox couples and dI/dV onsets of a CV or LSV
    (rules in the module docstring). ``scan_rate_mV_s``: the programmed rate, used where the record
    has no time and otherwise checked against the rates found (a warning beyond 1 %)."""
    if not isinstance(record, Record):
        raise NotApplicableError(f"voltammetry needs a Record (a time series), got a {type(record).__name__}")
    source = record.provenance.path or "the record"
    if "current_mA" not in record:
        raise NotApplicableError(f"voltammetry: {source} has no current column (expected current_mA)")
    given = None if scan_rate_mV_s is None else check_positive("scan_rate_mV_s", scan_rate_mV_s)
    reversal_V = check_positive("reversal_mV", reversal_mV) / 1e3
    min_span_V = check_positive("min_span_mV", min_span_mV) / 1e3
    bin_V = None if bin_mV is None else check_positive("bin_mV", bin_mV) / 1e3
    smooth_V = check_positive("smooth_mV", smooth_mV) / 1e3
    derivative_V = check_positive("derivative_mV", derivative_mV) / 1e3
    for name, share in (("min_prominence", min_prominence), ("min_onset_prominence", min_onset_prominence)):
        if not (isinstance(share, (int, float)) and 0 < share < 1):
            raise ValidationError(name, f"must lie in (0, 1), got {share!r}")
    max_separation_V = check_positive("max_separation_mV", max_separation_mV) / 1e3
    if onsets not in ("first", "all"):
        raise ValidationError("onsets", f"expected 'first' or 'all', got {onsets!r}")
    cell = cell if cell is not None else record.cell
    warnings: list[str] = []
    sweeps = _sweeps(record, reversal_V, min_span_V, given, warnings)
    if not sweeps:
        raise NotApplicableError(f"voltammetry: {source} has no potential sweep of at least {min_span_mV:g} mV "
                                 "(outside rests, potential holds and galvanostatic steps)")
    first = sweeps[0].direction
    cycles = np.cumsum([s.direction == first for s in sweeps]).tolist()
    potential, current = record["voltage_V"], record["current_mA"]
    swept = current[np.concatenate([s.rows for s in sweeps])]
    span_mA = float(swept.max() - swept.min())
    segments: list[dict[str, Any]] = []
    peaks: list[dict[str, Any]] = []
    onset_rows: list[dict[str, Any]] = []
    curve: dict[str, list[NDArray[Any]]] = {name: [] for name in CURVE_COLUMNS}
    curves: list[_Curve] = []
    for number, (sweep, cycle) in enumerate(zip(sweeps, cycles), start=1):
        E, I = potential[sweep.rows], current[sweep.rows]
        c = _curve(E, I, bin_V, smooth_V, derivative_V)
        curves.append(c)
        sign = -1.0 if sweep.direction == "cathodic" else 1.0
        segments.append({
            "segment": number, "cycle": cycle, "direction": sweep.direction, "start_V": float(E[0]),
            "end_V": float(E[-1]), "first_row": int(sweep.rows[0]), "last_row": int(sweep.rows[-1]),
            "scan_rate_mV_s": sweep.scan_rate_mV_s, "scan_rate_source": sweep.rate_source, "r2": sweep.r2,
            "bin_mV": 1e3 * abs(float(c.grid_V[1] - c.grid_V[0])) if c.grid_V.size > 1 else None,
            "noise_mA": c.noise_mA,
        })
        floor = max(min_prominence * span_mA, NOISE_SIGMAS * c.noise_mA * c.smooth_gain)
        peaks += [{"segment": number, "cycle": cycle, **row, "scan_rate_mV_s": sweep.scan_rate_mV_s}
                  for row in _peak_rows(c, sign, floor)]
        if onsets == "all" or number == 1:
            floor = max(min_onset_prominence * float(np.max(c.dIdV_mA_V, initial=0.0)),
                        NOISE_SIGMAS * c.noise_mA * c.slope_gain)
            onset_rows += [{"segment": number, "cycle": cycle, "E_onset_V": o.potential_V, "dIdV_mA_V": o.value}
                           for o in _find_peaks(c.grid_V, c.dIdV_mA_V, 1.0, floor) if o.value > 0]
        rate_V_s = None if sweep.scan_rate_mV_s is None else sign * sweep.scan_rate_mV_s / 1e3
        n = c.grid_V.size
        for name, values in (("segment", np.full(n, number)), ("cycle", np.full(n, cycle)), ("potential_V", c.grid_V),
                             ("current_mA", c.current_mA), ("dIdV_mA_V", c.dIdV_mA_V),
                             ("dQdV_mAh_V", np.abs(c.current_mA) / (3.6e3 * rate_V_s) if rate_V_s else np.full(n, np.nan))):
            curve[name].append(np.asarray(values))
    for index, row in enumerate(peaks, start=1):
        row["peak"] = index
        later = _next_sweep(row, segments)
        row["recurs"] = None if later is None else any(
            p["segment"] == later and abs(p["E_peak_V"] - row["E_peak_V"]) <= RECUR_V for p in peaks)
        if row["recurs"] is False and later is not None:  # a first-cycle process: the next cycle is its baseline
            baseline = _next_cycle_baseline(curves[row["segment"] - 1], curves[later - 1], row)
            if baseline is not None:
                row.update(baseline)
    for index, row in enumerate(onset_rows, start=1):
        row["onset"] = index
    couples = _couples(peaks, max_separation_V)
    area = cell.working_electrode.area_cm2 if cell is not None else None
    if area:
        for row in peaks:
            row["j_peak_mA_cm2"] = row["I_peak_mA"] / area
    else:
        warnings.append("no electrode area (working_electrode.area_cm2): peak currents in mA, no current densities")
    based = [str(p["peak"]) for p in peaks if p["baseline_side"] == "base"]
    if based:
        warnings.append(f"peak{'s' * (len(based) > 1)} {', '.join(based)}: no flat stretch of current on either side "
                        "for a baseline; I_peak is the prominence (above the higher base), uncertain")
    rates = [s.scan_rate_mV_s for s in sweeps if s.scan_rate_mV_s is not None]
    if given is not None and "time_s" in record:
        off = [n for n, s in enumerate(sweeps, start=1)
               if s.scan_rate_mV_s is not None and abs(s.scan_rate_mV_s / given - 1) > 0.01]
        if off:
            warnings.append(f"sweeps {', '.join(map(str, off))} differ from the programmed {given:g} mV/s by more than 1 %")
    elif given is None and "time_s" not in record:
        warnings.append("no time column and no scan_rate_mV_s given: scan rates and dQ/dV unknown")
    return Voltammogram(
        technique="lsv" if len(sweeps) == 1 else "cv",
        scan_rate_mV_s=float(np.median(rates)) if rates else None,
        area_cm2=area,
        segments=tuple(segments), peaks=tuple(peaks), couples=tuple(couples), onsets=tuple(onset_rows),
        curve={name: np.concatenate(parts) for name, parts in curve.items()},
        warnings=tuple(warnings),
    )


CURVE_COLUMNS = ("segment", "cycle", "potential_V", "current_mA", "dIdV_mA_V", "dQdV_mAh_V")

DEFINITIONS = {
    "scan_rate": "least-squares slope of E against t over the middle 80 % of the sweep's potential span (mV/s)",
    "E_peak": "potential of a local extreme of the current in the sweep's direction (maximum of a cubic fitted to the "
              "binned current over the peak's top)",
    "I_peak": "current at the peak above its baseline, < 0 for a reduction peak: a straight line I(E) fitted over a flat "
              "window beside the peak (the double-layer current) and extrapolated; for a peak that does not recur in "
              "the next cycle, the next cycle's current plus such a line fitted to the difference",
    "dE_p": "E_pa - E_pc of a redox couple: reduction and oxidation peaks of one cycle paired closest first",
    "E_half": "(E_pa + E_pc) / 2 of a redox couple",
    "E_onset": "potential of a maximum of dI/dE (Savitzky-Golay derivative of the binned current) on the opening sweep",
}


@dataclass(frozen=True, repr=False)
class Voltammogram(Result):
    """A CV or LSV: per sweep its scan rate and baseline, the peaks, redox couples and dI/dV onsets,
    and the analysed curves (binned, smoothed current, baseline, dI/dV, dQ/dV per sweep)."""

    kind: ClassVar[str] = "voltammetry"
    version: ClassVar[int] = 2  # 2: galvanostatic steps out, coarse-grid noise, bins >= smooth_mV / 100

    technique: str                          # "cv" or "lsv"
    scan_rate_mV_s: float | None            # median of the sweeps'
    area_cm2: float | None
    segments: tuple[dict[str, Any], ...]
    peaks: tuple[dict[str, Any], ...]
    couples: tuple[dict[str, Any], ...]
    onsets: tuple[dict[str, Any], ...]
    curve: dict[str, NDArray[Any]] = field(default_factory=dict)

    def metrics(self) -> tuple[Metric, ...]:
        """The scan rate (the sweeps' median, and per ``segment``), per ``peak`` E_peak and I_peak
        (j_peak with an area), per ``couple`` dE_p and E_half, per ``onset`` E_onset."""
        d = DEFINITIONS
        out = []
        if self.scan_rate_mV_s is not None:
            out.append(Metric("scan_rate", self.scan_rate_mV_s, "mV/s", definition="median of the sweeps' " + d["scan_rate"]))
        for s in self.segments:
            if s["scan_rate_mV_s"] is not None:
                out.append(Metric("scan_rate", s["scan_rate_mV_s"], "mV/s", index_name="segment", index=s["segment"],
                                  definition=d["scan_rate"] if s["scan_rate_source"] == "fit" else "the programmed rate, given"))
        for p in self.peaks:
            where = {"index_name": "peak", "index": p["peak"]}
            out.append(Metric("E_peak", p["E_peak_V"], "V", definition=d["E_peak"], **where))
            out.append(Metric("I_peak", p["I_peak_mA"], "mA", definition=d["I_peak"], **where))
            if "j_peak_mA_cm2" in p:
                out.append(Metric("j_peak", p["j_peak_mA_cm2"], "mA/cm2", definition=d["I_peak"] + ", per cm2", **where))
        for c in self.couples:
            where = {"index_name": "couple", "index": c["couple"]}
            out.append(Metric("dE_p", c["dE_p_mV"], "mV", definition=d["dE_p"], **where))
            out.append(Metric("E_half", c["E_half_V"], "V", definition=d["E_half"], **where))
        for o in self.onsets:
            out.append(Metric("E_onset", o["E_onset_V"], "V", index_name="onset", index=o["onset"], definition=d["E_onset"]))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {"technique": self.technique, "scan_rate_mV_s": self.scan_rate_mV_s, "area_cm2": self.area_cm2,
                "segments": [dict(s) for s in self.segments], "peaks": [dict(p) for p in self.peaks],
                "couples": [dict(c) for c in self.couples], "onsets": [dict(o) for o in self.onsets],
                "definitions": dict(DEFINITIONS)}

    def tables(self) -> dict[str, dict[str, Any]]:
        tables = {"segments": _columns(self.segments), "peaks": _columns(self.peaks),
                  "couples": _columns(self.couples), "onsets": _columns(self.onsets), "curve": dict(self.curve)}
        return {name: table for name, table in tables.items() if table}

    def headline(self) -> str:
        rate = f" at {self.scan_rate_mV_s:.4g} mV/s" if self.scan_rate_mV_s is not None else " (scan rate unknown)"
        line = f"{self.technique}: {len(self.segments)} sweep{'s' * (len(self.segments) != 1)}{rate}; {len(self.peaks)} peaks"
        if self.couples:
            line += "; dE_p " + ", ".join(f"{c['dE_p_mV']:.0f}" for c in self.couples[:3]) + " mV"
        if self.onsets:
            line += "; onsets " + ", ".join(f"{o['E_onset_V']:.3g}" for o in self.onsets[:4]) + " V"
        return line


def _columns(rows: Sequence[dict[str, Any]]) -> dict[str, NDArray[Any]]:
    """A long table from dicts (keys in first-seen order; a missing or None value is NaN)."""
    keys = dict.fromkeys(key for row in rows for key in row)
    table = {}
    for key in keys:
        values = [row.get(key) for row in rows]
        if all(isinstance(v, str) for v in values):
            table[key] = np.array(values, dtype=object)
        else:
            table[key] = np.array([np.nan if v is None else float(v) for v in values])
    return table


# -- sweeps ----------------------------------------------------------------------------------------------


def _sweeps(record: Record, reversal_V: float, min_span_V: float, given: float | None,
            warnings: list[str]) -> list[_Sweep]:
    """The record's sweeps, in order (rules in the module docstring)."""
    table = step_table(record)
    potential = record["voltage_V"]
    time = record.columns.get("time_s")
    galvanostatic = _galvanostatic(table, potential, time)
    # a rest or hold of a few rows is no hold: a noisy current that changes sign cuts a record without
    # step numbers into steps of a few rows, of which those spanning under 5 mV count as "CV"
    hold = np.isin(table.mode, ("rest", "CV")) & (table.rows >= MIN_HOLD_ROWS)
    keep = ~hold & (table.mode != "impedance") & ~galvanostatic
    candidate = np.repeat(keep, table.rows)
    finite = np.isfinite(potential) & np.isfinite(record["current_mA"])
    if galvanostatic.any():
        steps = table.step[galvanostatic]
        named = ", ".join(map(str, steps[:5])) + (f" and {steps.size - 5} more" if steps.size > 5 else "")
        warnings.append(f"step{'s' * (steps.size > 1)} {named}: constant current, the potential not linear in time "
                        "(galvanostatic, not swept), left out")
    if time is not None:
        finite &= np.isfinite(time)
    rows = np.flatnonzero(candidate)
    if rows.size < 3:
        return []
    sweeps = []
    # runs of the steps kept; a row without a finite value is skipped, not a break in the sweep
    for run in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1):
        run = run[finite[run]]
        if run.size < 3:
            continue
        turns = _turning_points(potential[run], reversal_V)
        for a, b in pairwise(turns):
            leg = run[a:b + 1]
            if abs(float(potential[leg[-1]] - potential[leg[0]])) < min_span_V:
                continue
            sweep = _sweep(leg, potential, record["current_mA"], time, given, min_span_V, warnings)
            if sweep is not None:
                sweeps.append(sweep)
    return sweeps


def _galvanostatic(table: StepTable, potential: NDArray[np.float64], time: NDArray[np.float64] | None
                   ) -> NDArray[np.bool_]:
    """Per step: constant current (the step table's ``CC``, :data:`MIN_CC_ROWS` rows or more) with a
    potential that is not linear in time over its inner rows (R² below :data:`SWEEP_MIN_R2`; every such
    step without a time column). A capacitor swept at one rate passes a constant current and stays."""
    out: NDArray[np.bool_] = (table.mode == "CC") & (table.rows >= MIN_CC_ROWS)
    if time is None:
        return out
    for k in np.flatnonzero(out):
        inner = slice(int(table.start[k]) + 1, int(table.end[k]))
        r2 = _line(time[inner], potential[inner])[1]
        out[k] = not r2 >= SWEEP_MIN_R2
    return out


def _sweep(leg: NDArray[np.intp], potential: NDArray[np.float64], current: NDArray[np.float64],
           time: NDArray[np.float64] | None, given: float | None, min_span_V: float, warnings: list[str]
           ) -> _Sweep | None:
    """One leg as a sweep: its part at one rate, the scan rate fitted over it; None where that part
    is too short (under ``min_span_V`` or :data:`MIN_SWEEP_ROWS` rows), not linear in time, or passes
    a constant current while the leg's potential is not linear in time (a galvanostatic segment)."""
    E = potential[leg]
    direction: Direction = "anodic" if E[-1] > E[0] else "cathodic"
    if time is None:
        if leg.size < MIN_SWEEP_ROWS:
            return None
        return _Sweep(leg, direction, given, "given" if given is not None else "none", None)
    t = time[leg]
    core = _one_rate(t, E)
    if core is None:
        return None
    first, last = core
    span = abs(float(E[last] - E[first]))
    if span < min_span_V or last - first + 1 < MIN_SWEEP_ROWS:
        return None
    I = current[leg[first:last + 1]]
    if np.std(I) <= CC_CURRENT_RTOL * abs(float(np.mean(I))) and not _line(t, E)[1] >= SWEEP_MIN_R2:
        warnings.append(f"rows {leg[first]}-{leg[last]} ({E[first]:.4g} to {E[last]:.4g} V): constant current and a "
                        "potential not linear in time over its leg (galvanostatic), not a sweep")
        return None
    if first > 0 or last < leg.size - 1:
        left = [f"{E[0]:.4g}-{E[first]:.4g} V" if first > 0 else "", f"{E[last]:.4g}-{E[-1]:.4g} V" if last < leg.size - 1 else ""]
        parts = " and ".join(p for p in left if p)
        if abs(float(E[first] - E[0])) + abs(float(E[-1] - E[last])) >= min_span_V:
            warnings.append(f"rows {leg[0]}-{leg[-1]}: {parts} not swept at the sweep's rate, left out")
    rows = leg[first:last + 1]
    E, t = E[first:last + 1], t[first:last + 1]
    low, high = sorted((float(E[0]), float(E[-1])))
    middle = (E >= low + RATE_TRIM * (high - low)) & (E <= high - RATE_TRIM * (high - low))
    slope, r2 = _line(t[middle], E[middle])
    if slope is None or r2 < SWEEP_MIN_R2:
        warnings.append(f"rows {rows[0]}-{rows[-1]} ({E[0]:.4g} to {E[-1]:.4g} V): potential not linear in time "
                        f"(R² {r2:.4f}), not a sweep")
        return None
    return _Sweep(rows, direction, abs(slope) * 1e3, "fit", r2)


def _turning_points(values: NDArray[np.float64], threshold: float) -> list[int]:
    """Positions of the first value, every vertex (an extreme followed by a turn of at least
    ``threshold``) and the last value."""
    changed = np.r_[0, np.flatnonzero(np.diff(values) != 0) + 1]  # a staircase: each level once
    v = values[changed]
    points = [0]
    trend = 0
    extreme = 0
    low = high = 0
    for i in range(1, v.size):
        if trend == 0:
            if v[i] > v[high]:
                high = i
            if v[i] < v[low]:
                low = i
            if v[high] - v[low] >= threshold:
                trend = 1 if high > low else -1
                points[0] = low if trend == 1 else high
                extreme = high if trend == 1 else low
        elif (trend == 1 and v[i] > v[extreme]) or (trend == -1 and v[i] < v[extreme]):
            extreme = i
        elif abs(v[i] - v[extreme]) >= threshold:
            points.append(extreme)
            trend, extreme = -trend, i
    if trend == 0:
        return [0, values.size - 1]
    points = [int(changed[p]) for p in points]
    # a held level before the first move belongs to no sweep; a vertex is the level's last row
    ends = np.r_[changed[1:] - 1, values.size - 1]
    return [points[0]] + [int(ends[np.searchsorted(changed, p)]) for p in points[1:]] + [values.size - 1]


def _one_rate(t: NDArray[np.float64], E: NDArray[np.float64]) -> tuple[int, int] | None:
    """First and last position of the longest run of a leg swept at the leg's rate (the mode of its
    local rates); None where the leg has too few rows or no time passes."""
    n = E.size
    if n < 5 or not t[-1] > t[0]:
        return None
    local, travel, half = _local_rates(t, E)
    good = np.isfinite(local) & (local > 0)
    if not good.any():
        return None
    log_rate = np.log(local[good])
    width = math.log1p(RATE_TOLERANCE) / 2
    bins = np.floor((log_rate - log_rate.min()) / width).astype(np.intp)
    weight = np.bincount(bins, weights=np.abs(np.gradient(E))[good])
    top = int(np.argmax(weight))
    near = np.abs(bins - top) <= 1
    rate = math.exp(float(np.median(log_rate[near])))
    at_rate = np.zeros(n, dtype=bool)
    at_rate[good] = np.abs(local[good] / rate - 1) <= RATE_TOLERANCE
    at_rate = _close_gaps(at_rate, travel, 2 * half)
    starts = np.flatnonzero(np.diff(np.r_[0, at_rate.astype(np.int8)]) == 1)
    ends = np.flatnonzero(np.diff(np.r_[at_rate.astype(np.int8), 0]) == -1)
    if starts.size == 0:
        return None
    longest = int(np.argmax(np.abs(E[ends] - E[starts])))
    return int(starts[longest]), int(ends[longest])


def _local_rates(t: NDArray[np.float64], E: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """(|dE/dt| in V/s at each row, the potential travelled to each row, the window's half-width in V):
    least-squares slopes over a centred window of potential (at least :data:`RATE_WINDOW_V` and
    :data:`RATE_WINDOW_ROWS` median steps, and 2 rows each side), cut at the leg's ends (cumulative sums)."""
    n = E.size
    steps = np.abs(np.diff(E))
    travel = np.r_[0.0, np.cumsum(steps)]
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0
    half = max(RATE_WINDOW_V, RATE_WINDOW_ROWS * step) / 2
    index = np.arange(n)
    lo = np.minimum(np.searchsorted(travel, travel - half, side="left"), np.maximum(index - 2, 0))
    hi = np.maximum(np.searchsorted(travel, travel + half, side="right"), np.minimum(index + 3, n))
    x, y = t - t[0], E - E[0]
    count, sx, sy, sxx, sxy = (s[hi] - s[lo] for s in (np.r_[0.0, np.cumsum(v)] for v in (np.ones(n), x, y, x * x, x * y)))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (count * sxy - sx * sy) / (count * sxx - sx * sx)
    return np.abs(slope), travel, half


def _close_gaps(mask: NDArray[np.bool_], travel: NDArray[np.float64], gap_V: float) -> NDArray[np.bool_]:
    """``mask`` with the runs of False between two True runs that span less than ``gap_V`` set True."""
    out = mask.copy()
    true = np.flatnonzero(mask)
    for j in np.flatnonzero(np.diff(true) > 1):
        a, b = true[j], true[j + 1]
        if travel[b] - travel[a] < gap_V:
            out[a:b] = True
    return out


def _line(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float | None, float]:
    """Least-squares slope of y against x and the coefficient of determination (None, 0 when x does not vary)."""
    if x.size < 3:
        return None, 0.0
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    if sxx <= 0 or syy <= 0:
        return None, 0.0
    return sxy / sxx, sxy * sxy / (sxx * syy)


# -- curves, baseline, peaks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Curve:
    """One sweep binned on a fixed potential grid (in sweep order), smoothed and differentiated."""

    grid_V: NDArray[np.float64]
    binned_mA: NDArray[np.float64]      # before smoothing
    current_mA: NDArray[np.float64]
    dIdV_mA_V: NDArray[np.float64]
    noise_mA: float                 # noise of a bin: its scatter about the smoothed curve (unsmoothed: of its second differences)
    smooth_gain: float              # noise of the smoothed current per unit noise of a row
    slope_gain: float               # noise of dI/dE (1/V) per unit noise of a row


def _curve(E: NDArray[np.float64], I: NDArray[np.float64], bin_V: float | None, smooth_V: float,
           derivative_V: float) -> _Curve:
    """Bin the sweep's current on a fixed grid (mean of the rows in a bin, empty bins interpolated),
    smooth it and differentiate it by quadratic Savitzky-Golay filters."""
    from scipy.signal import savgol_coeffs, savgol_filter

    steps = np.abs(np.diff(E))
    if bin_V is not None:
        width = bin_V
    else:  # the median step, but no finer than a hundredth of the smoothing (the filters' cost grows as its square)
        width = max(float(np.median(steps[steps > 0])) if (steps > 0).any() else 1e-3, smooth_V / MAX_SMOOTH_BINS)
    low, high = float(E.min()) - width / 2, float(E.max())  # rows on a grid of the step fall on bin centres
    n_bins = max(int(np.floor((high - low) / width)) + 1, 1)
    index = np.minimum(((E - low) / width).astype(np.intp), n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    filled = count > 0
    mean_E = np.bincount(index, weights=E, minlength=n_bins)[filled] / count[filled]
    mean_I = np.bincount(index, weights=I, minlength=n_bins)[filled] / count[filled]
    grid = low + (np.arange(n_bins) + 0.5) * width
    binned = np.interp(grid, mean_E, mean_I)  # each bin's mean current at its rows' mean potential

    def window(span_V: float) -> int:
        size = max(3, round(span_V / width) | 1)
        return min(size, n_bins if n_bins % 2 else n_bins - 1)

    smooth_window, slope_window = window(smooth_V), window(derivative_V)
    if smooth_window >= 5:
        smooth = savgol_filter(binned, smooth_window, 2)
        smooth_gain = float(np.linalg.norm(savgol_coeffs(smooth_window, 2)))
    else:  # a coarse grid: the bins as they are
        smooth, smooth_gain = binned, 1.0
    if slope_window >= 3:
        slope = savgol_filter(binned, slope_window, 2, deriv=1, delta=width)
        slope_gain = float(np.linalg.norm(savgol_coeffs(slope_window, 2, deriv=1, delta=width)))
    else:
        slope = np.gradient(binned, width) if n_bins > 1 else np.zeros(n_bins)
        slope_gain = math.sqrt(0.5) / width
    order = slice(None, None, -1) if E[-1] < E[0] else slice(None)
    # white noise of variance s2 leaves the bins about a Savitzky-Golay smoothing (a projection whose
    # centre coefficient is smooth_gain**2) with variance s2 (1 - smooth_gain**2); unsmoothed (a coarse
    # grid), the second differences of the bins, of variance 6 s2, robustly (median absolute value)
    if smooth_gain < 1:
        residual = binned - smooth
        noise = float(np.sqrt(np.mean(residual * residual) / (1.0 - smooth_gain**2)))
    elif n_bins >= 5:
        noise = MAD_TO_SIGMA * float(np.median(np.abs(np.diff(binned, 2)))) / math.sqrt(6.0)
    else:
        noise = 0.0
    return _Curve(np.asarray(grid[order], dtype=np.float64), binned[order], smooth[order], slope[order],
                  noise, smooth_gain, slope_gain)


@dataclass(frozen=True)
class _Peak:
    """A local maximum of ``sign * values`` on the sweep's grid."""

    bin: int
    potential_V: float
    value: float            # the curve's value at the peak (signed as the curve)
    prominence: float
    half_widths: tuple[float, float]    # bins from the peak to half prominence, upstream and downstream


def _find_peaks(grid: NDArray[np.float64], values: NDArray[np.float64], sign: float, floor: float,
                raw: NDArray[np.float64] | None = None) -> list[_Peak]:
    """The local maxima of ``sign * values`` of prominence at least ``floor``, in sweep order. The
    potential and value: the maximum of a cubic fitted to ``raw`` (the unsmoothed bins) over the peak's
    top (a third of its narrower half-width each side, at least one bin), else of the parabola through
    the extreme bin of ``values`` and its neighbours."""
    from scipy.signal import find_peaks

    if values.size < 3 or not floor > 0:
        return []
    y = sign * values
    found, info = find_peaks(y, prominence=floor, width=0, rel_height=0.5)
    out = []
    for k, prominence, left, right in zip(found, info["prominences"], info["left_ips"], info["right_ips"]):
        half_widths = (float(k - left), float(right - k))
        vertex = None
        if raw is not None:
            reach = max(1, round(min(half_widths) / 3))
            a, b = max(int(k) - reach, 0), min(int(k) + reach, y.size - 1) + 1
            vertex = _vertex(grid[a:b], sign * raw[a:b])
        if vertex is None:
            vertex = _vertex(grid[k - 1:k + 2], y[k - 1:k + 2])
        potential, top = vertex if vertex is not None else (float(grid[k]), float(y[k]))
        out.append(_Peak(int(k), potential, sign * top, float(prominence), half_widths))
    return out


def _vertex(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float] | None:
    """(x, y) of the maximum of the least-squares cubic through the points (a parabola through three
    or four): the stationary point nearest their middle where the curve bends down; None where there
    is none inside them. A cubic follows the skew of a diffusion peak that pulls a parabola's vertex."""
    if x.size < 3:
        return None
    centre, scale = float(x.mean()), float(np.ptp(x)) or 1.0
    u = (x - centre) / scale
    polynomial = np.polynomial.Polynomial.fit(u, y, 3 if x.size >= 5 else 2, domain=[-1, 1], window=[-1, 1])
    first, second = polynomial.deriv(1), polynomial.deriv(2)
    roots = [float(r.real) for r in first.roots() if abs(r.imag) < 1e-12 and u.min() <= r.real <= u.max()
             and second(r.real) < 0]
    if not roots:
        return None
    u0 = min(roots, key=abs)
    return centre + u0 * scale, float(polynomial(u0))


def _baseline(grid: NDArray[np.float64], smooth: NDArray[np.float64], sign: float, peak: _Peak,
              before: _Peak | None, after: _Peak | None) -> tuple[float, float, float, float, str]:
    """(intercept mA, slope mA/V, window low V, window high V, side) of a peak's baseline (rule in the
    module docstring); side ``before``/``after``: a window between the peak and its neighbour,
    ``before sweep``/``after sweep``: anywhere before or after the peak's foot, ``base``: none."""
    n = grid.size
    m = max(5, round(BASELINE_FRACTION * n))
    y = sign * smooth

    def foot(p: _Peak, side: int) -> float:
        return p.bin + side * 2 * p.half_widths[0 if side < 0 else 1]

    up, down = math.floor(foot(peak, -1)) + 1, math.ceil(foot(peak, 1))
    regions = (("before", 0 if before is None else math.ceil(foot(before, 1)), up),
               ("after", down, n if after is None else math.floor(foot(after, -1)) + 1),
               ("before sweep", 0, up), ("after sweep", down, n))
    top = sign * peak.value
    for side, a, b in regions:
        a, b = max(a, 0), min(b, n)
        size = min(m, b - a)
        if size < max(5, m // 2):
            continue
        windows = np.lib.stride_tricks.sliding_window_view(y[a:b], size)
        change = windows.max(axis=1) - windows.min(axis=1)
        k = int(np.argmin(change))
        if change[k] > FLAT_SHARE * peak.prominence:
            continue
        E, Y = grid[a + k:a + k + size], y[a + k:a + k + size]
        slope = _line(E, Y)[0] or 0.0
        level = float(Y.mean() + slope * (peak.potential_V - E.mean()))
        if level <= top - (1 - FLAT_SHARE) * peak.prominence:  # the line passes under the peak's bases
            return sign * float(Y.mean() - slope * E.mean()), sign * float(slope), float(E.min()), float(E.max()), side
    return sign * (top - peak.prominence), 0.0, peak.potential_V, peak.potential_V, "base"


def _peak_rows(c: _Curve, sign: float, floor: float) -> list[dict[str, Any]]:
    """The peaks of one sweep (``sign`` -1: reduction on a cathodic sweep), each with its baseline."""
    found = _find_peaks(c.grid_V, c.current_mA, sign, floor, c.binned_mA)
    step = abs(float(c.grid_V[1] - c.grid_V[0])) if c.grid_V.size > 1 else 0.0
    rows = []
    for k, peak in enumerate(found):
        neighbours = (found[k - 1] if k else None, found[k + 1] if k + 1 < len(found) else None)
        intercept, slope, low, high, side = _baseline(c.grid_V, c.current_mA, sign, peak, *neighbours)
        base = intercept + slope * peak.potential_V
        rows.append({
            "direction": "reduction" if sign < 0 else "oxidation", "E_peak_V": peak.potential_V,
            "I_peak_mA": peak.value - base, "I_measured_mA": peak.value, "baseline_mA": base,
            "baseline_slope_mA_V": slope, "baseline_low_V": low, "baseline_high_V": high, "baseline_side": side,
            "prominence_mA": peak.prominence, "width_V": sum(peak.half_widths) * step,
        })
    return rows


def _next_cycle_baseline(this: _Curve, later: _Curve, peak: dict[str, Any]) -> dict[str, Any] | None:
    """The baseline of a peak that does not recur: the next cycle's current over the same potentials
    plus the linear baseline (by :func:`_baseline`) of the difference between the two sweeps there;
    None where the difference shows no peak."""
    from scipy.signal import find_peaks

    order = np.argsort(later.grid_V)
    inside = (this.grid_V >= later.grid_V.min()) & (this.grid_V <= later.grid_V.max())
    grid = this.grid_V[inside]
    under = np.interp(grid, later.grid_V[order], later.current_mA[order])
    difference = this.current_mA[inside] - under
    sign = -1.0 if peak["direction"] == "reduction" else 1.0
    found, info = find_peaks(sign * difference, prominence=0.0, width=0, rel_height=0.5)
    near = np.abs(grid[found] - peak["E_peak_V"]) <= peak["width_V"]
    if not near.any():
        return None
    best = int(np.flatnonzero(near)[np.argmax(info["prominences"][near])])  # the difference's own peak
    k = int(found[best])
    half_widths = (float(k - info["left_ips"][best]), float(info["right_ips"][best] - k))
    top = _Peak(k, float(grid[k]), float(difference[k]), float(info["prominences"][best]), half_widths)
    intercept, slope, low, high, side = _baseline(grid, difference, sign, top, None, None)
    E = peak["E_peak_V"]
    base_under = float(np.interp(E, grid, under)) if grid[0] < grid[-1] else float(np.interp(E, grid[::-1], under[::-1]))
    base = base_under + intercept + slope * E
    if sign * (peak["I_measured_mA"] - base) < 0.5 * peak["prominence_mA"]:  # no first-cycle excess to speak of
        return None
    return {"I_peak_mA": peak["I_measured_mA"] - base, "baseline_mA": base, "baseline_slope_mA_V": slope,
            "baseline_low_V": low, "baseline_high_V": high, "baseline_side": f"next cycle + {side}"}


def _next_sweep(peak: dict[str, Any], segments: Sequence[dict[str, Any]]) -> int | None:
    """The sweep of the next cycle in the peak's direction that covers its potential (None: none)."""
    direction = "cathodic" if peak["direction"] == "reduction" else "anodic"
    return next((s["segment"] for s in segments if s["cycle"] == peak["cycle"] + 1 and s["direction"] == direction
                 and min(s["start_V"], s["end_V"]) <= peak["E_peak_V"] <= max(s["start_V"], s["end_V"])), None)


def _couples(peaks: Sequence[dict[str, Any]], max_separation_V: float) -> list[dict[str, Any]]:
    """Reduction and oxidation peaks of each cycle paired closest first (oxidation at or above reduction)."""
    pairs = []
    for cycle in sorted({p["cycle"] for p in peaks}):
        reductions = [p for p in peaks if p["cycle"] == cycle and p["direction"] == "reduction" and p["recurs"] is not False]
        oxidations = [p for p in peaks if p["cycle"] == cycle and p["direction"] == "oxidation" and p["recurs"] is not False]
        options = sorted((ox["E_peak_V"] - red["E_peak_V"], i, j) for i, red in enumerate(reductions)
                         for j, ox in enumerate(oxidations) if 0 <= ox["E_peak_V"] - red["E_peak_V"] <= max_separation_V)
        used_red: set[int] = set()
        used_ox: set[int] = set()
        for separation, i, j in options:
            if i in used_red or j in used_ox:
                continue
            used_red.add(i)
            used_ox.add(j)
            red, ox = reductions[i], oxidations[j]
            pairs.append({
                "cycle": cycle, "reduction_peak": red["peak"], "oxidation_peak": ox["peak"],
                "E_pc_V": red["E_peak_V"], "E_pa_V": ox["E_peak_V"], "dE_p_mV": 1e3 * separation,
                "E_half_V": 0.5 * (red["E_peak_V"] + ox["E_peak_V"]),
                "I_pc_mA": red["I_peak_mA"], "I_pa_mA": ox["I_peak_mA"],
            })
    pairs.sort(key=lambda c: (c["cycle"], c["E_pc_V"]))
    for index, pair in enumerate(pairs, start=1):
        pair["couple"] = index
    return pairs


# -- Randles-Sevcik -------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class RandlesSevcik(Result):
    """Peak current against sqrt(scan rate) across voltammograms: the slope, the power law
    |I_p| ~ nu^b that says whether the peak is diffusion-controlled (b = 0.5), and D from the slope."""

    kind: ClassVar[str] = "randles_sevcik"
    version: ClassVar[int] = 1

    direction: str                          # "reduction" or "oxidation"
    points: tuple[dict[str, Any], ...]      # source, scan_rate_mV_s, peak, E_peak_V, I_peak_mA
    slope_mA_s_V: Quantity                  # d|I_p| / d sqrt(nu), mA per (V/s)^0.5
    intercept_mA: Quantity
    exponent: Quantity                      # b of |I_p| = k nu^b
    r2: float
    D_cm2_s: Quantity | None
    constant: float                         # 0.4463 (reversible) or 0.4958 (irreversible)

    def metrics(self) -> tuple[Metric, ...]:
        """D (where the area and concentration are known), the slope, the exponent b, R²."""
        law = "reversible" if self.constant == REVERSIBLE else "totally irreversible"
        out = []
        if self.D_cm2_s is not None:
            out.append(Metric.of("D", self.D_cm2_s, definition=f"from the slope of |I_p| vs sqrt(nu), {law} "
                                 f"Randles-Sevcik (I_p = {self.constant} n F A C sqrt(n F nu D / R T))"))
        out += [
            Metric.of("slope", self.slope_mA_s_V, definition="least-squares slope of |I_p| against sqrt(scan rate)"),
            Metric.of("intercept", self.intercept_mA, definition="intercept of that line (0 for an ideal peak)"),
            Metric.of("exponent", self.exponent, definition="b of |I_p| = k nu^b (log-log slope): 0.5 for diffusion "
                      "control, 1 for a surface-confined or capacitive peak"),
            Metric("r2", self.r2, "", definition="coefficient of determination of the sqrt(nu) line"),
        ]
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {"direction": self.direction, "points": [dict(p) for p in self.points],
                "slope_mA_s_V": self.slope_mA_s_V, "intercept_mA": self.intercept_mA, "exponent": self.exponent,
                "r2": self.r2, "D_cm2_s": self.D_cm2_s, "constant": self.constant}

    def tables(self) -> dict[str, dict[str, Any]]:
        return {"points": _columns(self.points)}

    def headline(self) -> str:
        D = f"D {self.D_cm2_s:.3g}; " if self.D_cm2_s is not None else ""
        return (f"{D}{self.direction} peaks at {len(self.points)} scan rates: |I_p| ~ nu^{self.exponent.value:.2f}, "
                f"slope {self.slope_mA_s_V.value:.4g} mA (V/s)^-0.5, R² {self.r2:.4f}")


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
    if direction not in ("reduction", "oxidation"):
        raise ValidationError("direction", f"expected 'reduction' or 'oxidation', got {direction!r}")
    if isinstance(n_electrons, bool) or not isinstance(n_electrons, int) or n_electrons < 1:
        raise ValidationError("n_electrons", f"must be a positive integer, got {n_electrons!r}")
    T = check_positive("T_K", T_K)
    concentration = None if concentration_mol_L is None else check_positive("concentration_mol_L", concentration_mol_L)
    if alpha is not None and not (isinstance(alpha, (int, float)) and 0 < alpha <= n_electrons):
        raise ValidationError("alpha", f"alpha n_a must lie in (0, n_electrons], got {alpha!r}")
    results = list(results) if not isinstance(results, Voltammogram) else [results]
    bad = [type(r).__name__ for r in results if not isinstance(r, Voltammogram)]
    if bad:
        raise ValidationError("results", f"expected voltammetry results, got {', '.join(bad)}")
    points = []
    for result in results:
        source = result.provenance.path if result.provenance is not None else None
        peak = _pick_peak(result, direction, cycle, near_V)
        if peak is None:
            raise NotApplicableError(f"randles_sevcik: {source or 'a result'} has no {direction} peak in cycle {cycle}")
        if peak["scan_rate_mV_s"] is None:
            raise NotApplicableError(f"randles_sevcik: {source or 'a result'} has no scan rate (no time column; "
                                     "give scan_rate_mV_s to voltammetry)")
        points.append({"source": source, "scan_rate_mV_s": peak["scan_rate_mV_s"], "peak": peak["peak"],
                       "E_peak_V": peak["E_peak_V"], "I_peak_mA": peak["I_peak_mA"]})
    rates = np.array([p["scan_rate_mV_s"] for p in points])
    ordered = np.sort(rates)
    distinct = 1 + int(np.count_nonzero(ordered[1:] > ordered[:-1] * (1 + SAME_RATE_RTOL)))
    if distinct < 2:
        raise NotApplicableError(f"randles_sevcik: {len(points)} voltammogram{'s' * (len(points) != 1)} at one scan "
                                 "rate; the slope of I_p against sqrt(scan rate) needs at least two scan rates")
    nu = rates / 1e3
    current = np.abs(np.array([p["I_peak_mA"] for p in points]))
    slope, intercept, r2 = _fit(np.sqrt(nu), current)
    exponent, _, _ = _fit(np.log(nu), np.log(current))
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
    area = area_cm2 if area_cm2 is not None else next((r.area_cm2 for r in results if r.area_cm2), None)
    D = None
    constant = IRREVERSIBLE if alpha is not None else REVERSIBLE
    if area is None or concentration is None:
        warnings.append("no " + " and no ".join(n for n, v in (("electrode area", area), ("concentration", concentration))
                        if v is None) + ": D is not computed")
    else:
        check_positive("area_cm2", area)
        electrons = alpha if alpha is not None else n_electrons
        scale = constant * n_electrons * FARADAY_C_MOL * area * concentration * 1e-3  # A per sqrt(cm2/s) ... x sqrt(F/RT)
        root_D = slope.value * 1e-3 / scale / math.sqrt(electrons * FARADAY_C_MOL / (GAS_CONSTANT_J_MOL_K * T))
        value = root_D * root_D
        stderr = None if slope.stderr is None else 2 * value * slope.stderr / abs(slope.value)
        D = Quantity(value, stderr, "cm2/s")
    return RandlesSevcik(direction, tuple(points), Quantity(slope.value, slope.stderr, "mA s^0.5 V^-0.5"),
                         Quantity(intercept.value, intercept.stderr, "mA"), Quantity(exponent.value, exponent.stderr, ""),
                         r2, D, constant, warnings=tuple(warnings))


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


def _fit(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[Quantity, Quantity, float]:
    """(slope, intercept, R²) of the least-squares line, standard errors where there are residual
    degrees of freedom (units left to the caller)."""
    n = x.size
    design = np.column_stack([x, np.ones(n)])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else 1.0
    if n > 2:
        covariance = float(residual @ residual) / (n - 2) * np.linalg.inv(design.T @ design)
        errors = np.sqrt(np.diag(covariance))
        return Quantity(float(coefficients[0]), float(errors[0]), ""), Quantity(float(coefficients[1]), float(errors[1]), ""), r2
    return Quantity(float(coefficients[0]), None, ""), Quantity(float(coefficients[1]), None, ""), r2
