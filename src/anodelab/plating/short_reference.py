"""The reference polarization and noise of each window, and the declines below it, in one pass.

Windows are the runs cut into pieces of at most ``window_s`` of time under current, or of three
sampling intervals where the sampling is sparser; median each. The reference of a window is the median
of the medians of the healthy windows of its run in the trailing ``reference_s``; with none yet, the
plateau of the last run of the same direction (the median of its healthy windows), scaled down by the
ratio of the currents where this run's is lower (an ohmic polarization; never scaled up). In the first
run of a direction the run's first window is the reference of the others, for a fall below
``drop_fraction`` of it; the first window itself is its own, but for a collapse to ``ohmic_fraction``
of the other direction's plateau. Otherwise a run's first window (a nucleation peak, the reversal) is
no reference for the rest of the run; a window of fewer than three rows, or spanning less than
``min_drop_s``, is not assessed. A window is healthy when its median lies within ``[b, 1 / b]`` of the
reference, ``b = 1 - decline_fraction`` (one above, an NMR spike, is left out of the reference unless
the level stays up for ``reference_s``). A *decline* starts at a window below ``b`` (and five standard
errors of its median, ``1.2533 x noise / sqrt(rows)``, below the reference) that has healthy windows
of its own run before it (a drop at unchanged current, not a new level after a reversal or a restart),
or at any window at most ``ohmic_fraction`` of the reference; the reference is then frozen until a
window is back at ``recover_fraction`` of it.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

import numpy as np
from numpy.typing import NDArray

from anodelab.plating.segments import Windows
from anodelab.plating.short_options import SIGNIFICANCE, ShortOptions

#: a decline: its first window, and its last (None for one that lasts to the end)
Decline = tuple[int, int | None]


def references(win: Windows, noise: NDArray[np.float64], noise_V: float, run_sign: NDArray[np.float64],
               run_mA: NDArray[np.float64], o: ShortOptions
               ) -> tuple[NDArray[np.float64], NDArray[np.float64], list[Decline]]:
    """The reference polarization and reference noise of each window and the declines, by the rules of
    the module docstring. The reference noise is the median noise of the healthy windows of the
    trailing ``reference_s``, whatever their run (the last one known where they have none; ``noise_V``
    before any), at least that of the first window where the first run of a direction is judged by
    it. ``run_mA``: each run's |I|, by which a plateau of another run is scaled (down only)."""
    scan = _ReferenceScan(win, noise, noise_V, run_sign, run_mA, o)
    for w, (m, start, run) in enumerate(zip(win.median_V.tolist(), win.start_s.tolist(), win.run.tolist())):
        scan.step(w, m, start, run)
    if scan.frozen is not None:
        scan.declines.append((scan.decline_start, None))
    return scan.reference, scan.reference_noise, scan.declines


class _ReferenceScan:
    """The state of the pass: the trailing healthy windows of the run (medians) and of any run (noise),
    the plateau of the last run of each direction, the frozen reference of a decline that lasts, and
    the run's first window."""

    def __init__(self, win: Windows, noise: NDArray[np.float64], noise_V: float, run_sign: NDArray[np.float64],
                 run_mA: NDArray[np.float64], o: ShortOptions) -> None:
        self.o = o
        self.band = 1.0 - o.decline_fraction
        self.run_sign, self.run_mA = run_sign, run_mA
        self.noises = noise.tolist()
        self.brief = (((win.end_s - win.start_s) < o.min_drop_s) | (win.last - win.first < 2)).tolist()
        # the standard error of a window's median, per V of noise: 1.2533 / sqrt(rows)
        self.spread = (1.2533 / np.sqrt(win.last - win.first + 1.0)).tolist()
        self.reference = np.empty(len(win))
        self.reference_noise = np.empty(len(win))
        self.quiet = noise_V
        self.declines: list[Decline] = []
        self.history: deque[tuple[float, float]] = deque()  # (start s, median V) of the run's healthy windows
        self.noisy: deque[tuple[float, float]] = deque()  # (start s, noise V) of the healthy windows, any run
        self.run_medians: list[float] = []
        self.plateau: dict[float, tuple[float, float]] = {}  # per direction: (plateau V, |I| mA) of its last run
        self.frozen: dict[float, float] | None = None  # per direction: the reference per mA while a decline lasts
        self.decline_start = 0
        self.current_run, self.run_direction, self.high_since = -1, 0.0, math.inf
        self.opening_V: float | None = None  # the median of the run's first window
        self.opening_noise = 0.0  # and its noise

    def step(self, w: int, m: float, start: float, run: int) -> None:
        """Window ``w`` (median ``m`` V, starting at ``start`` s, of run ``run``)."""
        direction, magnitude = float(self.run_sign[run]), float(self.run_mA[run])
        opening = run != self.current_run
        if opening:
            self._open(run, direction)
        self._forget_before(start - self.o.reference_s)
        if self.frozen is not None and self._still_low(self.frozen, w, m, direction, magnitude):
            return
        own = bool(self.history)
        same = self._scaled(direction, magnitude)
        r = statistics.median([h[1] for h in self.history]) if own else same if same is not None else m
        self.quiet = statistics.median([n[1] for n in self.noisy]) if self.noisy else self.quiet
        self.reference[w], self.reference_noise[w] = r, self.quiet
        if self.brief[w]:
            return
        low, judged = self.band, own
        if not own and same is None:
            r, low, judged = self._first_run(w, m, r, direction, magnitude)
        if self._decline_starts(w, m, r, low, judged, direction, magnitude):
            return
        if self._high(own, m, r, start):
            return
        self._remember(w, m, start, opening)

    def _scaled(self, direction: float, magnitude: float) -> float | None:
        """The last run of ``direction``'s plateau at the current ``magnitude`` (ohmic, never scaled up)."""
        if direction not in self.plateau:
            return None
        level, at_mA = self.plateau[direction]
        return level * min(magnitude / at_mA, 1.0) if at_mA > 0 else level

    def _open(self, run: int, direction: float) -> None:
        """A new run: the last one's plateau kept for its direction, the run's history begun afresh."""
        if self.run_medians:
            self.plateau[self.run_direction] = (statistics.median(self.run_medians),
                                                float(self.run_mA[self.current_run]))
        self.history.clear()
        self.run_medians, self.current_run, self.run_direction, self.high_since = [], run, direction, math.inf
        self.opening_V = None

    def _forget_before(self, time_s: float) -> None:
        while self.history and self.history[0][0] < time_s:
            self.history.popleft()
        while self.noisy and self.noisy[0][0] < time_s:
            self.noisy.popleft()

    def _still_low(self, frozen: dict[float, float], w: int, m: float, direction: float, magnitude: float) -> bool:
        """While a decline lasts, the window is judged by the frozen reference: True while it stays below
        ``recover_fraction`` of it; else the decline ends at the window before."""
        r = magnitude * frozen.get(direction, next(iter(frozen.values())))
        self.reference[w], self.reference_noise[w] = r, self.quiet
        if m < self.o.recover_fraction * r:
            return True
        self.declines.append((self.decline_start, w - 1))
        self.frozen = None
        return False

    def _first_run(self, w: int, m: float, r: float, direction: float, magnitude: float
                   ) -> tuple[float, float, bool]:
        """Nothing of this direction known yet (its first run): the run's first window is the reference,
        for a fall below drop_fraction of it (a nucleation transient lifts it, never twice over); at the
        first window, a collapse to the ohmic fraction of the other direction's plateau. The reference,
        the fraction of it a decline falls below, and whether the window is judged."""
        low, judged = self.band, False
        other = self._scaled(-direction, magnitude)
        if self.opening_V is not None:
            r, low, judged = self.opening_V, self.o.drop_fraction, True
        elif other is not None and other > 0 and m <= self.o.ohmic_fraction * other:
            r = other
        self.reference[w], self.reference_noise[w] = r, max(self.quiet, self.opening_noise)
        return r, low, judged

    def _decline_starts(self, w: int, m: float, r: float, low: float, judged: bool, direction: float,
                        magnitude: float) -> bool:
        """Whether a decline starts at the window; if so the reference is frozen (per mA, both directions)."""
        o = self.o
        significant = r - m > SIGNIFICANCE * self.spread[w] * self.reference_noise[w]
        if not (m < low * r and significant and (judged or m <= o.ohmic_fraction * r)):
            return False
        other_plateau = self._scaled(-direction, magnitude)
        self.frozen = {direction: r / magnitude,
                       -direction: (other_plateau if other_plateau is not None else r) / magnitude}
        self.decline_start = w
        return True

    def _high(self, own: bool, m: float, r: float, start: float) -> bool:
        """A window above ``1 / b`` of its run's reference (a spike) is left out of the reference until
        the level has stayed up for ``reference_s``."""
        if own and m > r / self.band:
            self.high_since = min(self.high_since, start)
            return start - self.high_since < self.o.reference_s
        self.high_since = math.inf
        return False

    def _remember(self, w: int, m: float, start: float, opening: bool) -> None:
        """A healthy window joins the reference; a run's first window (nucleation, reversal) is no
        reference for the rest of it, but is the reference of a direction's first run."""
        if not opening:
            self.history.append((start, m))
            if math.isfinite(self.noises[w]):
                self.noisy.append((start, self.noises[w]))
        elif self.opening_V is None:
            self.opening_V, self.opening_noise = m, self.noises[w] if math.isfinite(self.noises[w]) else 0.0
        self.run_medians.append(m)
