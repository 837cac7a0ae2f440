"""The polarization noise of the windows, the noise bursts, and the burst that leads into an onset.

A window's noise is ``sqrt(pi) / 2`` times the mean absolute difference of its successive rows (white
noise of standard deviation s gives s), pooled with up to three windows of its run either side where
it has fewer than eight differences. The *reference noise* of a window is the median of that of the
healthy windows of the trailing ``reference_s`` (any run; :mod:`anodelab.plating.short_reference`);
before any, the median over the windows, or where no window has enough differences, the robust noise
of all successive differences, ``median |d| / (0.6745 sqrt 2)``. The *quiet noise* is the 10th
percentile over all windows (so that a long noisy stretch does not set it). A *noise burst* is a window
whose noise is ``noise_factor`` times the quiet noise: bursts are listed and marked on the events that
start within a window of one, but are no events by themselves (an NMR acquisition or a loose lead makes
them too). Where a noise burst leads into the first soft event without a break (burst windows before
the one of its onset, whatever their run), that onset moves back to the burst's start: the change point
of the successive differences across 3.5 quiet-noise standard deviations (a soft short often begins
noisy, its first drop too brief to count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.plating.change_point import change_point
from anodelab.plating.segments import Rows, Windows

#: successive differences a window needs for its noise to be assessed, and the neighbouring windows
#: (either side, same run) pooled for a reference noise where it has fewer
NOISE_PAIRS = 8
NOISE_NEIGHBOURS = 3
#: the percentile of the windows' noise taken as the quiet noise
QUIET_PERCENTILE = 10.0
#: a successive difference this many quiet-noise standard deviations is a noisy one (noise lead-in)
NOISE_JUMP = 3.5


@dataclass(frozen=True)
class WindowNoise:
    """The noise (V) of each window, its own (NaN with too few differences) and pooled where it has too
    few; the quiet noise of each (the 10th percentile over the windows, 0 with none); and the references'
    noise before any healthy window has told it."""

    own_V: NDArray[np.float64]
    pooled_V: NDArray[np.float64]
    quiet_V: float
    quiet_pooled_V: float
    before_V: float

    def bursts(self, factor: float) -> NDArray[np.intp]:
        """The windows whose own noise is ``factor`` times the quiet noise or more."""
        noise = self.own_V
        return np.flatnonzero(np.isfinite(noise) & (noise >= factor * self.quiet_V) & (self.quiet_V > 0))

    def burst_list(self, win: Windows, bursts: NDArray[np.intp]) -> tuple[dict[str, Any], ...]:
        """The bursts described: start and end (h), noise over the quiet noise."""
        return tuple({"start_h": float(win.start_s[w] / 3600.0), "end_h": float(win.end_s[w] / 3600.0),
                      "noise_ratio": float(self.own_V[w] / self.quiet_V)} for w in bursts.tolist())


def window_noise(rows: Rows, win: Windows) -> WindowNoise:
    """The noise of the windows (module docstring)."""
    noise, pooled = _own_and_pooled(rows.polarization_V, win)
    # the quiet noise: a low quantile of the windows' noise, so that a noisy majority (a long soft
    # short) does not set it
    quiet_V = float(np.percentile(noise[np.isfinite(noise)], QUIET_PERCENTILE)) if np.isfinite(noise).any() else 0.0
    known = pooled[np.isfinite(pooled)]
    quiet_pooled_V = float(np.percentile(known, QUIET_PERCENTILE)) if known.size else 0.0
    # the references' noise before any healthy window has told it: the median (a low quantile would
    # make single noisy rows significant); with no window able to tell it (sparse sampling), that of
    # all the successive differences within segments
    before_V = float(np.median(known)) if known.size else _row_noise_V(rows)
    return WindowNoise(noise, pooled, quiet_V, quiet_pooled_V, before_V)


def _own_and_pooled(polarization: NDArray[np.float64], win: Windows) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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


def _row_noise_V(rows: Rows) -> float:
    """Noise standard deviation from the successive differences within segments, robustly: their
    median magnitude / (0.6745 sqrt 2); 0 where there are none."""
    same = rows.segment[1:] == rows.segment[:-1]
    steps = np.abs(np.diff(rows.polarization_V)[same])
    return float(np.median(steps)) / (0.6745 * math.sqrt(2.0)) if steps.size else 0.0


def noise_lead_in(rows: Rows, win: Windows, bursting: NDArray[np.bool_], onset: int, quiet_V: float) -> int:
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
    return min(a + change_point(jumps) + 1, onset)  # the second row of the first noisy pair
