"""Cyclic and linear sweep voltammetry from the raw record: sweeps and their scan rates, peaks above a
stated baseline, redox couples, dI/dV onsets, and Randles-Sevcik diffusion across scan rates.

Rules, in the order they are applied (none takes the file's cycle or step numbers as truth), each in
its module's docstring:

- sweeps, scan rates and cycles: :mod:`anodelab.kinetics.cv_sweeps`;
- the binned, smoothed and differentiated curve of each sweep, dQ/dV: :mod:`anodelab.kinetics.cv_curves`;
- peaks and their baselines: :mod:`anodelab.kinetics.cv_peaks`;
- redox couples: :mod:`anodelab.kinetics.cv_couples`;
- dI/dV onsets: :mod:`anodelab.kinetics.cv_onsets`;
- the results: :mod:`anodelab.kinetics.cv_results`.

:func:`randles_sevcik` (:mod:`anodelab.kinetics.randles`) takes results at two or more scan rates
(never one) and reads D from the slope of the peak current against sqrt(scan rate), with the power law
|I_p| ~ nu^b as its check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import stamps_call
from anodelab.kinetics.cv_couples import couples
from anodelab.kinetics.cv_curves import (
    CURVE_COLUMNS,
    MAD_TO_SIGMA,
    MAX_SMOOTH_BINS,
    SweepCurve,
    curve_columns,
    sweep_curve,
)
from anodelab.kinetics.cv_onsets import onset_rows
from anodelab.kinetics.cv_peaks import (
    BASELINE_FRACTION,
    FLAT_SHARE,
    NOISE_SIGMAS,
    RECUR_V,
    mark_recurrence,
    peak_rows,
)
from anodelab.kinetics.cv_results import (
    DEFINITIONS,
    IRREVERSIBLE,
    REVERSIBLE,
    RandlesSevcik,
    Voltammogram,
)
from anodelab.kinetics.cv_sweeps import (
    MIN_CC_ROWS,
    MIN_HOLD_ROWS,
    MIN_SWEEP_ROWS,
    RATE_TOLERANCE,
    RATE_TRIM,
    RATE_WINDOW_ROWS,
    RATE_WINDOW_V,
    Direction,
    Sweep,
    cycle_numbers,
    find_sweeps,
)
from anodelab.kinetics.randles import SAME_RATE_RTOL, randles_sevcik
from anodelab.models.kinetics import check_positive


@dataclass(frozen=True)
class _Options:
    """The options of :func:`voltammetry`, checked, in V."""

    given_mV_s: float | None
    reversal_V: float
    min_span_V: float
    bin_V: float | None
    smooth_V: float
    derivative_V: float
    min_prominence: float
    min_onset_prominence: float
    max_separation_V: float
    onsets: str


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
    o = _options(scan_rate_mV_s, reversal_mV, min_span_mV, bin_mV, smooth_mV, derivative_mV, min_prominence,
                 min_onset_prominence, max_separation_mV, onsets)
    cell = cell if cell is not None else record.cell
    warnings: list[str] = []
    sweeps = find_sweeps(record, o.reversal_V, o.min_span_V, o.given_mV_s, warnings)
    if not sweeps:
        raise NotApplicableError(f"voltammetry: {source} has no potential sweep of at least {min_span_mV:g} mV "
                                 "(outside rests, potential holds and galvanostatic steps)")
    segments, peaks, onset_list, curve = _analyse_sweeps(record, sweeps, o)
    for index, row in enumerate(onset_list, start=1):
        row["onset"] = index
    pairs = couples(peaks, o.max_separation_V)
    area = cell.working_electrode.area_cm2 if cell is not None else None
    _peak_warnings(peaks, area, warnings)
    _rate_warnings(record, sweeps, o.given_mV_s, warnings)
    rates = [s.scan_rate_mV_s for s in sweeps if s.scan_rate_mV_s is not None]
    return Voltammogram(
        technique="lsv" if len(sweeps) == 1 else "cv",
        scan_rate_mV_s=float(np.median(rates)) if rates else None,
        area_cm2=area,
        segments=tuple(segments), peaks=tuple(peaks), couples=tuple(pairs), onsets=tuple(onset_list),
        curve=curve,
        warnings=tuple(warnings),
    )


def _options(scan_rate_mV_s: float | None, reversal_mV: float, min_span_mV: float, bin_mV: float | None,
             smooth_mV: float, derivative_mV: float, min_prominence: float, min_onset_prominence: float,
             max_separation_mV: float, onsets: str) -> _Options:
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
    return _Options(given, reversal_V, min_span_V, bin_V, smooth_V, derivative_V, min_prominence,
                    min_onset_prominence, max_separation_V, onsets)


def _analyse_sweeps(record: Record, sweeps: list[Sweep], o: _Options
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], dict[str, NDArray[Any]]]:
    """Per sweep its segment row, peaks and (on the opening sweep, or all) onsets, and the curve table;
    the peaks numbered and marked for recurrence."""
    cycles = cycle_numbers(sweeps)
    potential, current = record["voltage_V"], record["current_mA"]
    swept = current[np.concatenate([s.rows for s in sweeps])]
    span_mA = float(swept.max() - swept.min())
    segments: list[dict[str, Any]] = []
    peaks: list[dict[str, Any]] = []
    onset_list: list[dict[str, Any]] = []
    curve: dict[str, list[NDArray[Any]]] = {name: [] for name in CURVE_COLUMNS}
    curves: list[SweepCurve] = []
    for number, (sweep, cycle) in enumerate(zip(sweeps, cycles), start=1):
        E, I = potential[sweep.rows], current[sweep.rows]
        c = sweep_curve(E, I, o.bin_V, o.smooth_V, o.derivative_V)
        curves.append(c)
        sign = -1.0 if sweep.direction == "cathodic" else 1.0
        segments.append(_segment_row(number, cycle, sweep, E, c))
        peaks += [{"segment": number, "cycle": cycle, **row, "scan_rate_mV_s": sweep.scan_rate_mV_s}
                  for row in peak_rows(c, sign, o.min_prominence, span_mA)]
        if o.onsets == "all" or number == 1:
            onset_list += [{"segment": number, "cycle": cycle, **row} for row in onset_rows(c, o.min_onset_prominence)]
        rate_V_s = None if sweep.scan_rate_mV_s is None else sign * sweep.scan_rate_mV_s / 1e3
        for name, values in curve_columns(c, number, cycle, rate_V_s).items():
            curve[name].append(values)
    mark_recurrence(peaks, segments, curves)
    return segments, peaks, onset_list, {name: np.concatenate(parts) for name, parts in curve.items()}


def _segment_row(number: int, cycle: int, sweep: Sweep, E: NDArray[np.float64], c: SweepCurve) -> dict[str, Any]:
    """One sweep's row of the segment table."""
    return {
        "segment": number, "cycle": cycle, "direction": sweep.direction, "start_V": float(E[0]),
        "end_V": float(E[-1]), "first_row": int(sweep.rows[0]), "last_row": int(sweep.rows[-1]),
        "scan_rate_mV_s": sweep.scan_rate_mV_s, "scan_rate_source": sweep.rate_source, "r2": sweep.r2,
        "bin_mV": 1e3 * abs(float(c.grid_V[1] - c.grid_V[0])) if c.grid_V.size > 1 else None,
        "noise_mA": c.noise_mA,
    }


def _peak_warnings(peaks: list[dict[str, Any]], area: float | None, warnings: list[str]) -> None:
    """Current densities of the peaks where the area is known (a warning where not), and a warning for
    the peaks whose baseline is their higher base."""
    if area:
        for row in peaks:
            row["j_peak_mA_cm2"] = row["I_peak_mA"] / area
    else:
        warnings.append("no electrode area (working_electrode.area_cm2): peak currents in mA, no current densities")
    based = [str(p["peak"]) for p in peaks if p["baseline_side"] == "base"]
    if based:
        warnings.append(f"peak{'s' * (len(based) > 1)} {', '.join(based)}: no flat stretch of current on either side "
                        "for a baseline; I_peak is the prominence (above the higher base), uncertain")


def _rate_warnings(record: Record, sweeps: list[Sweep], given: float | None, warnings: list[str]) -> None:
    """Sweeps more than 1 % off the programmed rate; no rate at all (no time, none given)."""
    if given is not None and "time_s" in record:
        off = [n for n, s in enumerate(sweeps, start=1)
               if s.scan_rate_mV_s is not None and abs(s.scan_rate_mV_s / given - 1) > 0.01]
        if off:
            warnings.append(f"sweeps {', '.join(map(str, off))} differ from the programmed {given:g} mV/s by more than 1 %")
    elif given is None and "time_s" not in record:
        warnings.append("no time column and no scan_rate_mV_s given: scan rates and dQ/dV unknown")


__all__ = [
    "BASELINE_FRACTION",
    "CURVE_COLUMNS",
    "DEFINITIONS",
    "FLAT_SHARE",
    "IRREVERSIBLE",
    "MAD_TO_SIGMA",
    "MAX_SMOOTH_BINS",
    "MIN_CC_ROWS",
    "MIN_HOLD_ROWS",
    "MIN_SWEEP_ROWS",
    "NOISE_SIGMAS",
    "RATE_TOLERANCE",
    "RATE_TRIM",
    "RATE_WINDOW_ROWS",
    "RATE_WINDOW_V",
    "RECUR_V",
    "REVERSIBLE",
    "SAME_RATE_RTOL",
    "Direction",
    "RandlesSevcik",
    "Voltammogram",
    "randles_sevcik",
    "voltammetry",
]
