"""Hard and soft shorts of a metal cell, and its cycle life (the time to the first short).

The record is read as the polarization ``sign(I) * V`` of its constant-current rows
(:mod:`anodelab.plating.segments`), relative to a reference level, in two views.

Noise
    A window's noise is ``sqrt(pi) / 2`` times the mean absolute difference of its successive rows
    (white noise of standard deviation s gives s), pooled with up to three windows of its run either
    side where it has fewer than eight differences. The *reference noise* of a window is the median
    of that of the healthy windows of the trailing ``reference_s`` (any run; before any, the median
    over the windows, or where no window has enough differences, the robust noise of all successive
    differences, ``median |d| / (0.6745 sqrt 2)``); the *quiet noise* the 10th percentile over all
    windows (so that a long noisy stretch does not set it).
Windows (the runs cut into pieces of at most ``window_s`` of time under current, or of three
sampling intervals where the sampling is sparser; median each)
    The reference of a window is the median of the medians of the healthy windows of its run in the
    trailing ``reference_s``; with none yet, the plateau of the last run of the same direction (the
    median of its healthy windows), scaled down by the ratio of the currents where this run's is
    lower (an ohmic polarization; never scaled up). In the first run of a direction the run's first
    window is the reference of the others, for a fall below ``drop_fraction`` of it; the first
    window itself is its own, but for a collapse to ``ohmic_fraction`` of the other direction's
    plateau. Otherwise a run's first window
    (a nucleation peak, the reversal) is no reference for the rest of the run; a window of fewer
    than three rows, or spanning less than ``min_drop_s``, is not assessed. A window is healthy when
    its median lies within ``[b, 1 / b]`` of the reference, ``b = 1 - decline_fraction`` (one above,
    an NMR spike, is left out of the reference unless the level stays up for ``reference_s``). A
    *decline* starts at a window below ``b`` (and five standard errors of its median, ``1.2533 x
    noise / sqrt(rows)``, below the reference) that has healthy windows of its own run before it (a
    drop at unchanged current, not a new level after a reversal or a restart), or at any window at
    most ``ohmic_fraction`` of the reference; the reference is then frozen until a window is back
    at ``recover_fraction`` of it. A decline counts when it lasts ``reference_s / 3`` or more, or
    falls to ``ohmic_fraction``. Its onset: the change point of the medians of sub-windows of
    ``window_s / 5`` over the trailing ``reference_s`` (the split leaving the fewest sub-windows on
    the wrong side of ``1 - decline_fraction / 3`` of the reference), refined to the first row below
    that level in the chosen sub-window; for a collapse to the ohmic fraction, the change point of
    the rows across the level midway between the reference and the collapsed level (from the window
    before, relative to each window's reference, where the collapse is at a run's first window: it
    may have begun before the reversal).
Rows (each relative to its window's reference)
    A row is *low* below ``drop_fraction`` of the reference (not below minus that: a voltage of the
    wrong sign is an open circuit or a relaxation) and five reference-noise standard deviations below
    it; a *drop* is a run of rows most of whose neighbours within ``min_drop_s / 2`` are low (so one
    noisy row neither makes nor breaks it), runs merged across gaps of at most ``min_drop_s`` and
    two rows. It counts when it lasts ``min_drop_s`` or more (to the first row back, or to the end
    of the record: a restart transient or a spike does not) and begins after a row of its own run
    (sudden, at unchanged current), unless it falls to ``ohmic_fraction``; a drop of a single low
    row lasting over ``2 min_drop_s`` (sparse sampling) counts only when it falls to ``ohmic_fraction`` or ten noise standard
    deviations below the reference. Its onset is the change
    point of the rows of its run from ``4 min_drop_s`` (or three rows) before it to ``2 min_drop_s``
    (or three rows) after: the split leaving the fewest rows on the wrong side of ``b`` times the
    reference (noise lifts single drop rows over the drop threshold, seldom back to the healthy
    level). Rows in the first ``min_drop_s`` of a run (the reversal transient) are not tested, but
    an onset may fall among them.

Drops and declines that overlap are one event. Its onset is the earliest of theirs, but a drop's
where it starts within ``window_s`` of the decline's (row-level, exact for a sudden drop) and the
decline is no collapse to the ohmic fraction (whose onset is row-level too); where a
noise burst leads into the first soft event without a break (burst windows before the one of its
onset, whatever their run), that onset moves back to the burst's start: the change point of the
successive differences across 3.5 quiet-noise standard deviations (a soft short often begins noisy,
its first drop too brief to count). An event *recovered* when it ended before the record did. It is
a **hard** short when it never recovered, its median relative polarization is at most
``ohmic_fraction`` (the voltage collapsed to an ohmic fraction of the plateau and stayed there), and
it lasted through a current reversal (``across_reversal``: the polarization did not come back when
the current turned) or, with no reversal after it, for ``reference_s / 3`` or more; else a **soft**
short. Confidence = ``min(1, (1 - depth) / 0.5) * (1 - 0.5**n)``, ``depth`` the event's median
relative polarization and ``n`` its low rows (drops) or windows (declines). A *noise burst* is a
window whose noise is ``noise_factor`` times the quiet noise: bursts are listed and marked on the
events that start within a window of one, but are no events by themselves (an NMR acquisition or a
loose lead makes them too).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.plating.segments import (
    Rows,
    Segments,
    Windows,
    cc_segments,
    group_medians,
    group_starts,
    require_metal_cell,
    windows,
)

#: a drop row lies more than this many noise standard deviations below the reference
SIGNIFICANCE = 5.0
#: successive differences a window needs for its noise to be assessed, and the neighbouring windows
#: (either side, same run) pooled for a reference noise where it has fewer
NOISE_PAIRS = 8
NOISE_NEIGHBOURS = 3
#: the percentile of the windows' noise taken as the quiet noise
QUIET_PERCENTILE = 10.0
#: a successive difference this many quiet-noise standard deviations is a noisy one (noise lead-in)
NOISE_JUMP = 3.5
#: a window spans at least this many sampling intervals (so that sparse records have assessed windows)
WINDOW_ROWS = 3
#: sub-windows per window in the search for a decline's onset
ONSET_SUBWINDOWS = 5


@dataclass(frozen=True)
class ShortOptions:
    """The thresholds of the detection (module docstring), checked on construction."""

    drop_fraction: float = 0.5
    decline_fraction: float = 0.3
    recover_fraction: float = 0.9
    ohmic_fraction: float = 0.2
    window_s: float = 600.0
    reference_s: float = 10_800.0
    min_drop_s: float = 30.0
    noise_factor: float = 3.0

    def __post_init__(self) -> None:
        for name in ("drop_fraction", "decline_fraction", "recover_fraction", "ohmic_fraction"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value < 1):
                raise ValidationError(name, f"must lie in (0, 1), got {value!r}")
        for name in ("window_s", "reference_s", "min_drop_s", "noise_factor"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValidationError(name, f"must be a finite number > 0, got {value!r}")
        if self.ohmic_fraction >= self.drop_fraction:
            raise ValidationError("ohmic_fraction", f"must be below drop_fraction ({self.drop_fraction}), "
                                                    f"got {self.ohmic_fraction}")
        if self.recover_fraction <= 1 - self.decline_fraction:
            raise ValidationError("recover_fraction", f"must exceed 1 - decline_fraction "
                                                      f"({1 - self.decline_fraction:g}), got {self.recover_fraction}")

    def definitions(self) -> dict[str, str]:
        low = 1 - self.decline_fraction
        return {
            "polarization": "sign(I) * V of the constant-current rows",
            "reference": f"median of the healthy {self.window_s:g} s window medians of the same run over the trailing "
                         f"{self.reference_s:g} s (at a run's start: the last same-direction run's plateau)",
            "drop": f"rows below {self.drop_fraction:g} x reference (and 5 noise sigma below it) for >= "
                    f"{self.min_drop_s:g} s, after a non-low row of the same run or to <= {self.ohmic_fraction:g} x",
            "decline": f"window medians below {low:g} x reference after healthy windows of the same run, lasting >= "
                       f"{self.reference_s / 3:g} s or down to {self.ohmic_fraction:g} x; onset: the change point "
                       f"of {self.window_s / ONSET_SUBWINDOWS:g} s medians across {1 - self.decline_fraction / 3:g} x",
            "recovered": f"the event ended before the record did (rows back above {self.drop_fraction:g} x, "
                         f"windows back at {self.recover_fraction:g} x the reference)",
            "hard": f"not recovered, median relative polarization <= {self.ohmic_fraction:g}, through a current "
                    f"reversal or for >= {self.reference_s / 3:g} s",
            "soft": "any other event (a sudden drop that recovered, or a lasting partial decline)",
            "confidence": "min(1, (1 - depth) / 0.5) * (1 - 0.5**n), depth the event's median relative "
                          "polarization, n its low rows or low windows",
            "noise_burst": f"window noise >= {self.noise_factor:g} x the quiet noise (10th percentile of the windows')",
            "cycle_life": "time of the first event's onset (h from the record's first row)",
        }


@dataclass(frozen=True)
class ShortScan:
    """What the detection found: events (dicts, keys with units) in onset order, the windows and their
    reference polarization (V), the noise bursts, and the polarization noise (V)."""

    events: tuple[dict[str, Any], ...]
    windows: Windows
    reference_V: NDArray[np.float64]
    noise_bursts: tuple[dict[str, Any], ...]
    noise_V: float

    @property
    def first_onset_s(self) -> float | None:
        return self.events[0]["onset_s"] if self.events else None


def scan_shorts(segments: Segments, rows: Rows, options: ShortOptions) -> ShortScan:
    """Run the detection of the module docstring over the segments' rows."""
    o = options
    win = windows(segments, rows, window_width_s(rows, o.window_s))
    run_sign = np.sign(segments.current_mA[segments.run_bounds()[0]])
    noise, pooled = _window_noise(rows.polarization_V, win)
    # the quiet noise: a low quantile of the windows' noise, so that a noisy majority (a long soft
    # short) does not set it
    noise_V = float(np.percentile(noise[np.isfinite(noise)], QUIET_PERCENTILE)) if np.isfinite(noise).any() else 0.0
    known = pooled[np.isfinite(pooled)]
    quiet_V = float(np.percentile(known, QUIET_PERCENTILE)) if known.size else 0.0
    # the references' noise before any healthy window has told it: the median (a low quantile would
    # make single noisy rows significant); with no window able to tell it (sparse sampling), that of
    # all the successive differences within segments
    first_segment = segments.run_bounds()[0]
    reference, reference_noise, declines = _references(win, pooled, float(np.median(known)) if known.size else
                                                       _row_noise_V(rows), run_sign,
                                                       np.abs(segments.current_mA[first_segment]), o)
    counts = win.last - win.first + 1
    relative = rows.polarization_V / np.repeat(np.where(reference > 0, reference, np.nan), counts)
    drops = _drops(segments, rows, relative, win, reference, reference_noise, o)
    spans = [*drops, *(_decline_span(rows, win, reference, relative, first, last, o) for first, last in declines)]
    bursts = np.flatnonzero(np.isfinite(noise) & (noise >= o.noise_factor * noise_V) & (noise_V > 0))
    events = _merge(segments, rows, relative, spans, win, bursts, quiet_V, o)
    burst_list = tuple({"start_h": float(win.start_s[w] / 3600.0), "end_h": float(win.end_s[w] / 3600.0),
                        "noise_ratio": float(noise[w] / noise_V)} for w in bursts.tolist())
    return ShortScan(events, win, reference, burst_list, noise_V)


def window_width_s(rows: Rows, window_s: float) -> float:
    """The windows' width: ``window_s``, or :data:`WINDOW_ROWS` sampling intervals (the median time
    between successive rows of a segment) where the sampling is sparser."""
    pair = np.arange(0, rows.time_s.size - 1, max(rows.time_s.size // 200_000, 1))  # a sample is enough
    step = rows.time_s[pair + 1] - rows.time_s[pair]
    step = step[step > 0]
    return max(window_s, WINDOW_ROWS * float(np.median(step))) if step.size else window_s


def _references(win: Windows, noise: NDArray[np.float64], noise_V: float, run_sign: NDArray[np.float64],
                run_mA: NDArray[np.float64], o: ShortOptions
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], list[tuple[int, int | None]]]:
    """The reference polarization and reference noise of each window and the declines (first window,
    last window or None for one that lasts to the end), by the rules of the module docstring (one
    pass over the windows). The reference noise is the median noise of the healthy windows of the
    trailing ``reference_s``, whatever their run (the last one known where they have none; ``noise_V``
    before any), at least that of the first window where the first run of a direction is judged by
    it. ``run_mA``: each run's |I|, by which a plateau of another run is
    scaled (down only)."""
    band = 1.0 - o.decline_fraction
    medians, starts, runs = win.median_V.tolist(), win.start_s.tolist(), win.run.tolist()
    noises = noise.tolist()
    brief = (((win.end_s - win.start_s) < o.min_drop_s) | (win.last - win.first < 2)).tolist()
    # the standard error of a window's median, per V of noise: 1.2533 / sqrt(rows)
    spread = (1.2533 / np.sqrt(win.last - win.first + 1.0)).tolist()
    reference = np.empty(len(win))
    reference_noise = np.empty(len(win))
    quiet = noise_V
    declines: list[tuple[int, int | None]] = []
    history: deque[tuple[float, float]] = deque()  # (start s, median V) of the run's healthy windows
    noisy: deque[tuple[float, float]] = deque()  # (start s, noise V) of the healthy windows, any run
    run_medians: list[float] = []
    plateau: dict[float, tuple[float, float]] = {}  # per direction: (plateau V, |I| mA) of its last run
    frozen: dict[float, float] | None = None  # per direction: the reference per mA while a decline lasts
    decline_start = 0
    current_run, run_direction, high_since = -1, 0.0, math.inf
    opening_V: float | None = None  # the median of the run's first window
    opening_noise = 0.0  # and its noise

    def scaled(direction: float, magnitude: float) -> float | None:
        """The last run of ``direction``'s plateau at the current ``magnitude`` (ohmic, never scaled up)."""
        if direction not in plateau:
            return None
        level, at_mA = plateau[direction]
        return level * min(magnitude / at_mA, 1.0) if at_mA > 0 else level

    for w, (m, start, run) in enumerate(zip(medians, starts, runs)):
        direction, magnitude = float(run_sign[run]), float(run_mA[run])
        opening = run != current_run
        if opening:
            if run_medians:
                plateau[run_direction] = (statistics.median(run_medians), float(run_mA[current_run]))
            history.clear()
            run_medians, current_run, run_direction, high_since = [], run, direction, math.inf
            opening_V = None
        while history and history[0][0] < start - o.reference_s:
            history.popleft()
        while noisy and noisy[0][0] < start - o.reference_s:
            noisy.popleft()
        if frozen is not None:
            r = magnitude * frozen.get(direction, next(iter(frozen.values())))
            reference[w], reference_noise[w] = r, quiet
            if m < o.recover_fraction * r:
                continue
            declines.append((decline_start, w - 1))
            frozen = None
        own = bool(history)
        same = scaled(direction, magnitude)
        r = statistics.median([h[1] for h in history]) if own else same if same is not None else m
        quiet = statistics.median([n[1] for n in noisy]) if noisy else quiet
        reference[w], reference_noise[w] = r, quiet
        if brief[w]:
            continue
        low, judged = band, own
        if not own and same is None:
            # nothing of this direction known yet (its first run): the run's first window is the
            # reference, for a fall below drop_fraction of it (a nucleation transient lifts it, never
            # twice over); at the first window, a collapse to the ohmic fraction of the other direction's
            other = scaled(-direction, magnitude)
            if opening_V is not None:
                r, low, judged = opening_V, o.drop_fraction, True
            elif other is not None and other > 0 and m <= o.ohmic_fraction * other:
                r = other
            reference[w], reference_noise[w] = r, max(quiet, opening_noise)
        significant = r - m > SIGNIFICANCE * spread[w] * reference_noise[w]
        if m < low * r and significant and (judged or m <= o.ohmic_fraction * r):
            other_plateau = scaled(-direction, magnitude)
            frozen = {direction: r / magnitude, -direction: (other_plateau if other_plateau is not None else r) / magnitude}
            decline_start = w
            continue
        if own and m > r / band:
            high_since = min(high_since, start)
            if start - high_since < o.reference_s:
                continue
        else:
            high_since = math.inf
        if not opening:  # a run's first window (nucleation, reversal) is no reference for the rest of it
            history.append((start, m))
            if math.isfinite(noises[w]):
                noisy.append((start, noises[w]))
        elif opening_V is None:
            opening_V, opening_noise = m, noises[w] if math.isfinite(noises[w]) else 0.0
        run_medians.append(m)
    if frozen is not None:
        declines.append((decline_start, None))
    return reference, reference_noise, declines


def _row_noise_V(rows: Rows) -> float:
    """Noise standard deviation from the successive differences within segments, robustly: their
    median magnitude / (0.6745 sqrt 2); 0 where there are none."""
    same = rows.segment[1:] == rows.segment[:-1]
    steps = np.abs(np.diff(rows.polarization_V)[same])
    return float(np.median(steps)) / (0.6745 * math.sqrt(2.0)) if steps.size else 0.0


def _window_noise(polarization: NDArray[np.float64], win: Windows) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Noise standard deviation of each window (V): sqrt(pi)/2 x the mean |difference| of successive
    rows (white noise of standard deviation s gives 2 s / sqrt(pi)); NaN for a window of fewer than
    :data:`NOISE_PAIRS` differences (too few to tell a burst). Also the same pooled over the window
    and up to :data:`NOISE_NEIGHBOURS` windows of its run either side where it has too few (sparse
    sampling), the noise the references use."""
    step = np.abs(np.diff(polarization, append=polarization[-1]))
    step[win.last] = 0.0  # no difference across a window boundary
    total = np.add.reduceat(step, win.first)
    pairs = (win.last - win.first).astype(np.float64)
    scale = math.sqrt(math.pi) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(pairs >= NOISE_PAIRS, total / pairs, np.nan) * scale
        summed, counted = np.r_[0.0, np.cumsum(total)], np.r_[0.0, np.cumsum(pairs)]
        index = np.arange(len(win))
        run_first = np.searchsorted(win.run, win.run, side="left")
        run_last = np.searchsorted(win.run, win.run, side="right") - 1
        lo = np.maximum(index - NOISE_NEIGHBOURS, run_first)
        hi = np.minimum(index + NOISE_NEIGHBOURS, run_last) + 1
        wide = counted[hi] - counted[lo]
        pooled = np.where(wide >= NOISE_PAIRS, (summed[hi] - summed[lo]) / wide, np.nan) * scale
    return own, np.where(np.isfinite(own), own, pooled)


@dataclass(frozen=True)
class _Span:
    """One drop or decline: first row, last row of the event (index into Rows), whether it lasted to
    the end of the record, what found it, and its low rows or windows."""

    first: int
    last: int
    to_end: bool
    evidence: str
    n_low: int
    deep: bool = False  # a decline whose window medians fell to the ohmic fraction


def _drops(segments: Segments, rows: Rows, relative: NDArray[np.float64], win: Windows,
           reference_V: NDArray[np.float64], noise_V: NDArray[np.float64], o: ShortOptions) -> list[_Span]:
    """Row-level drops (module docstring), vectorised over the rows; ``reference_V`` and ``noise_V``:
    each window's reference and reference noise (V): a drop row lies five noise standard deviations
    below the reference (a drop of one row, ten or down to the ohmic fraction)."""
    time = rows.time_s
    run_of_row = segments.run[rows.segment]
    run_first = group_starts(run_of_row)
    run_start_s = np.repeat(time[run_first], np.diff(np.r_[run_first, time.size]))
    tested = np.flatnonzero(time - run_start_s >= o.min_drop_s)
    if tested.size == 0:
        return []
    with np.errstate(invalid="ignore"):
        share = relative[tested]
        margin = np.repeat(reference_V - SIGNIFICANCE * noise_V, win.last - win.first + 1)[tested]
        raw = (share < o.drop_fraction) & (share > -o.drop_fraction) & (rows.polarization_V[tested] < margin)
    if not raw.any():
        return []
    # the majority of the rows within min_drop_s / 2 either side (the row alone where sampling is
    # sparser), evaluated only near low rows (elsewhere it is not low)
    t = time[tested]
    half = o.min_drop_s / 2.0
    count = np.r_[0, np.cumsum(raw)]
    near = np.flatnonzero(raw)
    cover = (np.bincount(np.searchsorted(t, t[near] - half, side="left"), minlength=t.size + 1)
             - np.bincount(np.searchsorted(t, t[near] + half, side="right"), minlength=t.size + 1))
    candidates = np.flatnonzero(np.cumsum(cover[:-1]) > 0)
    lo = np.searchsorted(t, t[candidates] - half, side="left")
    hi = np.searchsorted(t, t[candidates] + half, side="right")
    low = np.zeros(t.size, dtype=bool)
    low[candidates] = 2 * (count[hi] - count[lo]) > hi - lo
    if not low.any():
        return []
    edges = np.diff(np.r_[0, low.view(np.int8), 0])
    begin, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1  # runs of low tested rows
    # merge runs whose gap is short in time and in rows
    gap_s = t[begin[1:]] - t[stop[:-1]]
    joined = (gap_s <= o.min_drop_s) & (begin[1:] - stop[:-1] - 1 <= 2)
    begin, stop = begin[np.r_[True, ~joined]], stop[np.r_[~joined, True]]
    to_end = stop == tested.size - 1
    after = np.minimum(stop + 1, tested.size - 1)
    duration = np.where(to_end, t[-1], t[after]) - t[begin]
    spans = []
    previous_stop = -1
    for k in np.flatnonzero((duration >= o.min_drop_s) | (to_end & (stop > begin))).tolist():
        onset = _onset(time, run_of_row, relative, 1.0 - o.decline_fraction, int(tested[begin[k]]),
                       int(tested[stop[k]]), previous_stop, o.min_drop_s)
        previous_stop = int(tested[stop[k]])
        inside = slice(int(np.searchsorted(tested, onset)), stop[k] + 1)
        depth = float(np.nanmedian(share[inside][raw[inside]]))
        # sudden: after a row of the same run (healthy: the change point); or deep enough to be ohmic
        sudden = onset > 0 and run_of_row[onset - 1] == run_of_row[onset]
        deep = depth <= o.ohmic_fraction
        # one low reading standing for more than 2 min_drop_s (sparse sampling) is a drop only when it
        # falls to the ohmic fraction or twice as many noise standard deviations below the reference: a
        # noisy reading seldom does
        lone = int(raw[inside].sum()) < 2 and duration[k] > 2 * o.min_drop_s and not deep
        if lone:
            row = int(tested[inside][raw[inside]][0]) if raw[inside].any() else int(tested[begin[k]])
            w = int(np.searchsorted(win.first, row, side="right")) - 1
            lone = not rows.polarization_V[row] < reference_V[w] - 2 * SIGNIFICANCE * noise_V[w]
        if not (sudden or deep) or lone:
            continue
        last = tested[stop[k]] if to_end[k] else tested[after[k]] - 1
        spans.append(_Span(onset, int(max(last, onset)), bool(to_end[k]), "drop", int(raw[inside].sum())))
    return spans


def _onset(t: NDArray[np.float64], run: NDArray[np.intp], relative: NDArray[np.float64], healthy: float,
           begin: int, stop: int, previous_stop: int, min_drop_s: float) -> int:
    """A drop's onset (row): the change point among the rows of its run from ``4 min_drop_s`` (or three
    rows) before ``begin`` to ``2 min_drop_s`` (or three rows) after it, not before the previous drop's
    end nor after its own: the split with the fewest rows on the wrong side of the healthy level
    (``healthy`` x the reference)."""
    a = min(int(np.searchsorted(t, t[begin] - 4.0 * min_drop_s, side="left")), begin - 3)
    a = max(a, previous_stop + 1, 0)
    while run[a] != run[begin]:  # rows are in run order: few steps at most
        a += 1
    b = min(max(int(np.searchsorted(t, t[begin] + 2.0 * min_drop_s, side="right")), begin + 4), stop + 1)
    flags = ~(relative[a:b] >= healthy)
    cost = np.r_[0, np.cumsum(flags)] + np.r_[np.cumsum((~flags)[::-1])[::-1], 0]
    return a + int(np.argmin(cost[:-1]))


def _decline_span(rows: Rows, win: Windows, reference: NDArray[np.float64], relative: NDArray[np.float64],
                  first: int, last: int | None, o: ShortOptions) -> _Span:
    """A decline from window ``first`` to ``last`` (None: to the end), its onset found by the change
    point of sub-window medians over the trailing ``reference_s`` of the same run; for a collapse to
    the ohmic fraction, by the change point of the rows of it and the window before across the level
    midway between the reference and the declined windows' median (relative to each window's
    reference where the collapse is at a run's first window: it may have begun before the reversal)."""
    r = float(reference[first])
    level = (1.0 - o.decline_fraction / 3.0) * r
    lo = int(np.searchsorted(rows.time_s, win.start_s[first] - o.reference_s, side="left"))
    run_rows = np.flatnonzero(win.run == win.run[first])
    lo = max(lo, int(win.first[run_rows[0]]))
    hi = int(win.last[first]) + 1
    t, p = rows.time_s[lo:hi], rows.polarization_V[lo:hi]
    label = np.floor((t - t[0]) / (o.window_s / ONSET_SUBWINDOWS)).astype(np.intp)
    starts = group_starts(label)
    below = group_medians(p, starts) < level
    # wrong side: below the level before the split, or not below it after (split k: sub-windows k..)
    cost = np.r_[0, np.cumsum(below)] + np.r_[np.cumsum((~below)[::-1])[::-1], 0]
    k = int(np.argmin(cost[:-1]))
    sub = slice(starts[k], starts[k + 1] if k + 1 < starts.size else p.size)
    under = np.flatnonzero(p[sub] < level)
    onset = lo + int(starts[k]) + (int(under[0]) if under.size else 0)
    end = rows.time_s.size - 1 if last is None else int(win.last[last])
    final = last if last is not None else len(win) - 1
    level_after = float(np.median(win.median_V[first:final + 1]))
    deep = level_after <= o.ohmic_fraction * r
    if deep and first > 0 and win.run[first - 1] != win.run[first]:
        # a collapse at a run's first window may have begun before the reversal: the change point of
        # the rows of the window before and of it, each relative to its reference, across the midway level
        a = int(win.first[first - 1])
        with np.errstate(invalid="ignore"):
            below = relative[a:hi] < 0.5 * (1.0 + level_after / r)
        cost = np.r_[0, np.cumsum(below)] + np.r_[np.cumsum((~below)[::-1])[::-1], 0]
        onset = a + int(np.argmin(cost[:-1]))
    elif deep:  # a collapse: the change point of the rows themselves across the midway level
        a = max(int(win.first[first - 1]) if first > 0 and win.run[first - 1] == win.run[first] else lo, lo)
        below = rows.polarization_V[a:hi] < 0.5 * (r + level_after)
        cost = np.r_[0, np.cumsum(below)] + np.r_[np.cumsum((~below)[::-1])[::-1], 0]
        onset = a + int(np.argmin(cost[:-1]))
    return _Span(onset, max(end, onset), last is None, "decline", final - first + 1, deep)


def _noise_lead_in(rows: Rows, win: Windows, bursting: NDArray[np.bool_], onset: int, quiet_V: float) -> int:
    """``onset`` moved back to the start of the noise burst that leads into it without a break (burst
    windows before the one holding it, whatever their run: noise knows no current direction): the
    change point of the rows from the window
    before the burst, across successive differences of ``NOISE_JUMP`` x the quiet noise ``quiet_V``.
    The onset as it was where no burst leads in."""
    w = int(np.searchsorted(win.first, onset, side="right")) - 1
    start = w
    while start > 0 and bursting[start - 1]:
        start -= 1
    if start == w or quiet_V <= 0:
        return onset
    a = int(win.first[max(start - 1, 0)])
    if a >= onset:
        return onset
    jumps = np.abs(np.diff(rows.polarization_V[a:onset + 1])) > NOISE_JUMP * quiet_V  # pair (i, i + 1) at i
    cost = np.r_[0, np.cumsum(jumps)] + np.r_[np.cumsum((~jumps)[::-1])[::-1], 0]
    return min(a + int(np.argmin(cost[:-1])) + 1, onset)  # the second row of the first noisy pair


def _merge(segments: Segments, rows: Rows, relative: NDArray[np.float64], spans: list[_Span], win: Windows,
           bursts: NDArray[np.intp], quiet_V: float, o: ShortOptions) -> tuple[dict[str, Any], ...]:
    """Overlapping drops and declines as one event each, described (keys with units), in onset order;
    declines that neither last ``reference_s / 3`` nor fall to the ohmic fraction are left out."""
    if not spans:
        return ()
    spans = sorted(spans, key=lambda s: s.first)
    groups: list[list[_Span]] = []
    for span in spans:
        if groups and span.first <= max(s.last for s in groups[-1]) + 1:
            groups[-1].append(span)
        else:
            groups.append([span])
    time, area = rows.time_s, segments.area_cm2
    burst_start = win.start_s[bursts]
    bursting = np.zeros(len(win), dtype=bool)
    bursting[bursts] = True
    events: list[dict[str, Any]] = []
    for group in groups:
        first = min(s.first for s in group)
        drops = [s.first for s in group if s.evidence == "drop"]
        if drops and time[min(drops)] - time[first] <= o.window_s and not any(s.deep for s in group):
            first = min(drops)  # a sudden drop: its row-level onset, not the decline's search (a
            # collapse's is row-level too, and may begin before a reversal a drop cannot cross)
        last = max(s.last for s in group)
        to_end = any(s.to_end for s in group)
        depth = float(np.nanmedian(relative[first:last + 1]))
        # (a relative tolerance: cyclers' clocks accumulate rounding, a half-cycle of 3600 s reads 3599.9999...)
        lasted = time[last] - time[first] >= o.reference_s / 3.0 * (1.0 - 1e-9)
        lasting = lasted or any(s.deep for s in group)
        if all(s.evidence == "decline" for s in group) and not lasting:
            continue
        n_low = sum(s.n_low for s in group)
        signs = np.sign(segments.current_mA[rows.segment[first:last + 1]])
        across = bool(signs.min() != signs.max())
        hard = to_end and depth <= o.ohmic_fraction and (across or lasted)
        if not events and not hard:
            first = _noise_lead_in(rows, win, bursting, first, quiet_V)
        segment = int(rows.segment[first])
        current = float(segments.current_mA[segment])
        onset_s = float(time[first])
        event: dict[str, Any] = {
            "kind": "hard" if hard else "soft",
            "onset_s": onset_s,
            "short_onset_h": onset_s / 3600.0,
            "end_h": None if to_end else float(time[min(last + 1, time.size - 1)] / 3600.0),
            "duration_h": float((time[last] - time[first]) / 3600.0),
            "cycle": int(segments.cycle_of_row[rows.row[first]]),
            "current_mA": current,
            "depth": depth,
            "confidence": min(1.0, (1.0 - depth) / 0.5) * (1.0 - 0.5 ** max(n_low, 1)),
            "recovered": not to_end,
            "across_reversal": across,
            "evidence": "+".join(sorted({s.evidence for s in group})),
            "noise_burst": bool(np.any(np.abs(burst_start - onset_s) <= o.window_s)),
        }
        if area:
            event["current_mA_cm2"] = abs(current) / area
        events.append(event)
    for number, event in enumerate(events, start=1):
        event["event"] = number
    return tuple(events)


@dataclass(frozen=True, repr=False)
class ShortsResult(Result):
    """Shorts found in a metal-cell record (definitions in :mod:`anodelab.plating.shorts`)."""

    kind: ClassVar[str] = "shorts"
    version: ClassVar[int] = 2

    events: tuple[dict[str, Any], ...]
    duration_h: float
    one_directional: bool
    noise_bursts: tuple[dict[str, Any], ...] = ()
    area_cm2: float | None = None
    definitions: dict[str, str] = field(default_factory=dict)

    @property
    def cycle_life_h(self) -> float | None:
        """Time to the first short (h), None when the record shows none."""
        return self.events[0]["short_onset_h"] if self.events else None

    @property
    def first(self) -> dict[str, Any] | None:
        return self.events[0] if self.events else None

    def metrics(self) -> tuple[Metric, ...]:
        d = self.definitions
        metrics = [Metric("duration", self.duration_h, "h", definition="time from the record's first row to its last")]
        if self.events:
            metrics.append(Metric("cycle_life", self.events[0]["short_onset_h"], "h", definition=d["cycle_life"]))
        metrics.append(Metric("n_shorts", float(len(self.events)), "", definition="events found (hard and soft)"))
        for event in self.events:
            metrics.append(Metric("short_onset", event["short_onset_h"], "h", index_name="event", index=event["event"],
                                  definition=f"onset of a {event['kind']} short ({d[event['kind']]})"))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        first = self.first
        return {
            "short_onset_h": first["short_onset_h"] if first else None,
            "short_kind": first["kind"] if first else None,
            "cycle_life_h": self.cycle_life_h,
            "duration_h": self.duration_h,
            "one_directional": self.one_directional,
            "area_cm2": self.area_cm2,
            "events": [dict(e) for e in self.events],
            "noise_bursts": [dict(b) for b in self.noise_bursts],
            "definitions": dict(self.definitions),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        keys = ("event", "kind", "short_onset_h", "end_h", "duration_h", "cycle", "current_mA", "depth",
                "confidence", "recovered", "across_reversal")
        return {"shorts": {key: np.array([np.nan if e[key] is None else e[key] for e in self.events])
                           for key in keys}}

    def headline(self) -> str:
        if not self.events:
            return f"no short in {self.duration_h:.4g} h"
        first = self.events[0]
        where = f" at {first['current_mA_cm2']:.3g} mA/cm2" if "current_mA_cm2" in first else ""
        more = f"; {len(self.events)} events" if len(self.events) > 1 else ""
        return (f"{first['kind']} short at {first['short_onset_h']:.4g} h (cycle {first['cycle']}{where}), "
                f"confidence {first['confidence']:.2f}{more}")


def prepare(record: Record, cell: CellInfo | None, current_mA: float | None, analysis: str
            ) -> tuple[Segments, Rows, list[str]]:
    """The segments and rows of a metal-cell record, checked to be one (:func:`require_metal_cell`),
    and the warnings every plating result carries (no area)."""
    segments = cc_segments(record, cell, current_mA=current_mA, analysis=analysis)
    rows = segments.rows()
    if rows.time_s.size == 0:
        raise NotApplicableError(f"{segments.source}: {analysis}: no constant-current row has a finite voltage")
    if rows.time_s[-1] <= rows.time_s[0]:
        raise NotApplicableError(f"{segments.source}: {analysis} needs constant-current rows that span time; "
                                 f"there are {rows.time_s.size}, at {rows.time_s[0]:g} s")
    counts = np.bincount(rows.segment, minlength=len(segments))
    starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.intp)
    medians = np.full(len(segments), np.nan)
    present = counts > 0
    medians[present] = group_medians(rows.polarization_V, starts[present])
    require_metal_cell(segments, medians, analysis)
    warnings = []
    if not segments.area_cm2:
        warnings.append("no electrode area (working_electrode.area_cm2): currents in mA, capacities in mAh")
    if segments.given_current:
        warnings.append(f"no current column: the record is taken as held at {segments.current_mA[0]:g} mA throughout")
    return segments, rows, warnings


@stamps_call
def detect_shorts(
    record: Record,
    cell: CellInfo | None = None,
    *,
    current_mA: float | None = None,
    drop_fraction: float = 0.5,
    decline_fraction: float = 0.3,
    recover_fraction: float = 0.9,
    ohmic_fraction: float = 0.2,
    window_s: float = 600.0,
    reference_s: float = 10_800.0,
    min_drop_s: float = 30.0,
    noise_factor: float = 3.0,
) -> ShortsResult:
    """Hard and soft shorts of a symmetric (or metal|substrate) cell record, cycled or one-directional,
    with onset (h), cycle, current density, confidence and recovery each; cycle life = the first onset.
    ``current_mA``: the current held, for a record without a current column. Rules in the module docstring.
    """
    options = ShortOptions(drop_fraction, decline_fraction, recover_fraction, ohmic_fraction, window_s,
                           reference_s, min_drop_s, noise_factor)
    segments, rows, warnings = prepare(record, cell, current_mA, "detect_shorts")
    scan = scan_shorts(segments, rows, options)
    if scan.noise_bursts:
        warnings.append(f"{len(scan.noise_bursts)} noise bursts (windows >= {noise_factor:g} x the quiet noise); "
                        "listed, not counted as shorts")
    duration_h = float((rows.time_s[-1] - record["time_s"][0]) / 3600.0)
    return ShortsResult(scan.events, duration_h, not segments.reversing, scan.noise_bursts, segments.area_cm2,
                        options.definitions(), warnings=tuple(warnings))
