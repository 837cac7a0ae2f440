"""Hard and soft shorts of a metal cell, and its cycle life (the time to the first short).

The record is read as the polarization ``sign(I) * V`` of its constant-current rows
(:mod:`anodelab.plating.segments`), relative to a reference level, in two views: windows and rows.
The steps, each in its module (rules in its docstring):

- the thresholds, checked, and their definitions in words: :mod:`anodelab.plating.short_options`;
- the noise of the windows, noise bursts and the burst that leads into an onset:
  :mod:`anodelab.plating.short_noise`;
- the reference level of each window and the declines below it: :mod:`anodelab.plating.short_reference`;
- row-level drops, and the onsets of drops and declines: :mod:`anodelab.plating.short_spans`;
- drops and declines merged into hard and soft events: :mod:`anodelab.plating.short_events`;
- the result: :mod:`anodelab.plating.short_result`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.result import stamps_call
from anodelab.plating.segments import (
    Rows,
    Segments,
    Windows,
    cc_segments,
    group_medians,
    require_metal_cell,
    windows,
)
from anodelab.plating.short_events import merge
from anodelab.plating.short_noise import (
    NOISE_JUMP,
    NOISE_NEIGHBOURS,
    NOISE_PAIRS,
    QUIET_PERCENTILE,
    window_noise,
)
from anodelab.plating.short_options import ONSET_SUBWINDOWS, SIGNIFICANCE, ShortOptions
from anodelab.plating.short_reference import references
from anodelab.plating.short_result import ShortsResult
from anodelab.plating.short_spans import decline_span, drops

#: a window spans at least this many sampling intervals (so that sparse records have assessed windows)
WINDOW_ROWS = 3


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
    first_segment = segments.run_bounds()[0]
    run_sign = np.sign(segments.current_mA[first_segment])
    noise = window_noise(rows, win)
    reference, reference_noise, declines = references(win, noise.pooled_V, noise.before_V, run_sign,
                                                      np.abs(segments.current_mA[first_segment]), o)
    counts = win.last - win.first + 1
    relative = rows.polarization_V / np.repeat(np.where(reference > 0, reference, np.nan), counts)
    found = drops(segments, rows, relative, win, reference, reference_noise, o)
    spans = [*found, *(decline_span(rows, win, reference, relative, first, last, o) for first, last in declines)]
    bursts = noise.bursts(o.noise_factor)
    events = merge(segments, rows, relative, spans, win, bursts, noise.quiet_pooled_V, o)
    return ShortScan(events, win, reference, noise.burst_list(win, bursts), noise.quiet_V)


def window_width_s(rows: Rows, window_s: float) -> float:
    """The windows' width: ``window_s``, or :data:`WINDOW_ROWS` sampling intervals (the median time
    between successive rows of a segment) where the sampling is sparser."""
    pair = np.arange(0, rows.time_s.size - 1, max(rows.time_s.size // 200_000, 1))  # a sample is enough
    step = rows.time_s[pair + 1] - rows.time_s[pair]
    step = step[step > 0]
    return max(window_s, WINDOW_ROWS * float(np.median(step))) if step.size else window_s


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


__all__ = [
    "NOISE_JUMP",
    "NOISE_NEIGHBOURS",
    "NOISE_PAIRS",
    "ONSET_SUBWINDOWS",
    "QUIET_PERCENTILE",
    "SIGNIFICANCE",
    "WINDOW_ROWS",
    "ShortOptions",
    "ShortScan",
    "ShortsResult",
    "detect_shorts",
    "prepare",
    "scan_shorts",
    "window_width_s",
]
