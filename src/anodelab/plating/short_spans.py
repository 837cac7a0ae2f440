"""The evidence of a short and its onset: row-level drops and window-level declines.

Rows (each relative to its window's reference, :mod:`anodelab.plating.short_reference`)
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
Declines (windows)
    A decline counts when it lasts ``reference_s / 3`` or more, or falls to ``ohmic_fraction``. Its
    onset: the change point of the medians of sub-windows of ``window_s / 5`` over the trailing
    ``reference_s`` (the split leaving the fewest sub-windows on the wrong side of
    ``1 - decline_fraction / 3`` of the reference), refined to the first row below that level in the
    chosen sub-window; for a collapse to the ohmic fraction, the change point of the rows across the
    level midway between the reference and the collapsed level (from the window before, relative to
    each window's reference, where the collapse is at a run's first window: it may have begun before
    the reversal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.plating.change_point import change_point
from anodelab.plating.segments import (
    Rows,
    Segments,
    Windows,
    group_medians,
    group_starts,
)
from anodelab.plating.short_options import ONSET_SUBWINDOWS, SIGNIFICANCE, ShortOptions


@dataclass(frozen=True)
class Span:
    """One drop or decline: first row, last row of the event (index into Rows), whether it lasted to
    the end of the record, what found it, and its low rows or windows."""

    first: int
    last: int
    to_end: bool
    evidence: str
    n_low: int
    deep: bool = False  # a decline whose window medians fell to the ohmic fraction


def drops(segments: Segments, rows: Rows, relative: NDArray[np.float64], win: Windows,
          reference_V: NDArray[np.float64], noise_V: NDArray[np.float64], o: ShortOptions) -> list[Span]:
    """Row-level drops (module docstring), vectorised over the rows; ``reference_V`` and ``noise_V``:
    each window's reference and reference noise (V): a drop row lies five noise standard deviations
    below the reference (a drop of one row, ten or down to the ohmic fraction)."""
    run_of_row = segments.run[rows.segment]
    runs = _low_runs(rows, run_of_row, relative, win, reference_V, noise_V, o)
    if runs is None:
        return []
    spans = []
    previous_stop = -1
    for k in np.flatnonzero((runs.duration >= o.min_drop_s) | (runs.to_end & (runs.stop > runs.begin))).tolist():
        onset = _onset(rows.time_s, run_of_row, relative, 1.0 - o.decline_fraction, int(runs.tested[runs.begin[k]]),
                       int(runs.tested[runs.stop[k]]), previous_stop, o.min_drop_s)
        previous_stop = int(runs.tested[runs.stop[k]])
        span = _drop(runs, k, onset, rows, run_of_row, win, reference_V, noise_V, o)
        if span is not None:
            spans.append(span)
    return spans


@dataclass(frozen=True)
class _LowRuns:
    """The rows tested (indices into Rows, in order), their polarization relative to the reference, which
    are low, and the runs of low rows (``begin`` to ``stop``, positions among the tested) with the
    position of the first row after each, whether it lasts to the end, and its duration (s)."""

    tested: NDArray[np.intp]
    share: NDArray[np.float64]
    raw: NDArray[np.bool_]
    begin: NDArray[np.intp]
    stop: NDArray[np.intp]
    after: NDArray[np.intp]
    to_end: NDArray[np.bool_]
    duration: NDArray[np.float64]


def _low_runs(rows: Rows, run_of_row: NDArray[np.intp], relative: NDArray[np.float64], win: Windows,
              reference_V: NDArray[np.float64], noise_V: NDArray[np.float64], o: ShortOptions) -> _LowRuns | None:
    """The low rows past each run's first ``min_drop_s`` and their runs (module docstring); None where
    there are none."""
    time = rows.time_s
    run_first = group_starts(run_of_row)
    run_start_s = np.repeat(time[run_first], np.diff(np.r_[run_first, time.size]))
    tested = np.flatnonzero(time - run_start_s >= o.min_drop_s)
    if tested.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        share = relative[tested]
        margin = np.repeat(reference_V - SIGNIFICANCE * noise_V, win.last - win.first + 1)[tested]
        raw = (share < o.drop_fraction) & (share > -o.drop_fraction) & (rows.polarization_V[tested] < margin)
    if not raw.any():
        return None
    t = time[tested]
    low = _mostly_low(t, raw, o.min_drop_s / 2.0)
    if not low.any():
        return None
    edges = np.diff(np.r_[0, low.view(np.int8), 0])
    begin, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1  # runs of low tested rows
    # merge runs whose gap is short in time and in rows
    gap_s = t[begin[1:]] - t[stop[:-1]]
    joined = (gap_s <= o.min_drop_s) & (begin[1:] - stop[:-1] - 1 <= 2)
    begin, stop = begin[np.r_[True, ~joined]], stop[np.r_[~joined, True]]
    to_end = stop == tested.size - 1
    after = np.minimum(stop + 1, tested.size - 1)
    duration = np.where(to_end, t[-1], t[after]) - t[begin]
    return _LowRuns(tested, share, raw, begin, stop, after, to_end, duration)


def _mostly_low(t: NDArray[np.float64], raw: NDArray[np.bool_], half: float) -> NDArray[np.bool_]:
    """Rows the majority of whose neighbours within ``half`` either side are low (the row alone where
    sampling is sparser), evaluated only near low rows (elsewhere it is not low)."""
    count = np.r_[0, np.cumsum(raw)]
    near = np.flatnonzero(raw)
    cover = (np.bincount(np.searchsorted(t, t[near] - half, side="left"), minlength=t.size + 1)
             - np.bincount(np.searchsorted(t, t[near] + half, side="right"), minlength=t.size + 1))
    candidates = np.flatnonzero(np.cumsum(cover[:-1]) > 0)
    lo = np.searchsorted(t, t[candidates] - half, side="left")
    hi = np.searchsorted(t, t[candidates] + half, side="right")
    low = np.zeros(t.size, dtype=bool)
    low[candidates] = 2 * (count[hi] - count[lo]) > hi - lo
    return low


def _drop(runs: _LowRuns, k: int, onset: int, rows: Rows, run_of_row: NDArray[np.intp], win: Windows,
          reference_V: NDArray[np.float64], noise_V: NDArray[np.float64], o: ShortOptions) -> Span | None:
    """Low run ``k`` from ``onset`` as a drop, or None where it does not count: neither sudden nor deep,
    or one low reading of sparse sampling that stays short of the ohmic fraction and of ten noise
    standard deviations."""
    tested, raw = runs.tested, runs.raw
    inside = slice(int(np.searchsorted(tested, onset)), runs.stop[k] + 1)
    depth = float(np.nanmedian(runs.share[inside][raw[inside]]))
    # sudden: after a row of the same run (healthy: the change point); or deep enough to be ohmic
    sudden = onset > 0 and run_of_row[onset - 1] == run_of_row[onset]
    deep = depth <= o.ohmic_fraction
    # one low reading standing for more than 2 min_drop_s (sparse sampling) is a drop only when it
    # falls to the ohmic fraction or twice as many noise standard deviations below the reference: a
    # noisy reading seldom does
    lone = int(raw[inside].sum()) < 2 and runs.duration[k] > 2 * o.min_drop_s and not deep
    if lone:
        row = int(tested[inside][raw[inside]][0]) if raw[inside].any() else int(tested[runs.begin[k]])
        w = int(np.searchsorted(win.first, row, side="right")) - 1
        lone = not rows.polarization_V[row] < reference_V[w] - 2 * SIGNIFICANCE * noise_V[w]
    if not (sudden or deep) or lone:
        return None
    last = tested[runs.stop[k]] if runs.to_end[k] else tested[runs.after[k]] - 1
    return Span(onset, int(max(last, onset)), bool(runs.to_end[k]), "drop", int(raw[inside].sum()))


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
    return a + change_point(~(relative[a:b] >= healthy))


def decline_span(rows: Rows, win: Windows, reference: NDArray[np.float64], relative: NDArray[np.float64],
                  first: int, last: int | None, o: ShortOptions) -> Span:
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
    k = change_point(below)
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
        onset = a + change_point(below)
    elif deep:  # a collapse: the change point of the rows themselves across the midway level
        a = max(int(win.first[first - 1]) if first > 0 and win.run[first - 1] == win.run[first] else lo, lo)
        below = rows.polarization_V[a:hi] < 0.5 * (r + level_after)
        onset = a + change_point(below)
    return Span(onset, max(end, onset), last is None, "decline", final - first + 1, deep)
