"""Drops and declines merged into events, each judged hard or soft, with onset, depth and confidence.

Drops and declines that overlap are one event. Its onset is the earliest of theirs, but a drop's where
it starts within ``window_s`` of the decline's (row-level, exact for a sudden drop) and the decline is
no collapse to the ohmic fraction (whose onset is row-level too); a noise burst may move the first soft
event's onset back (:mod:`anodelab.plating.short_noise`). An event *recovered* when it ended before the
record did. It is a **hard** short when it never recovered, its median relative polarization is at
most ``ohmic_fraction`` (the voltage collapsed to an ohmic fraction of the plateau and stayed there),
and it lasted through a current reversal (``across_reversal``: the polarization did not come back when
the current turned) or, with no reversal after it, for ``reference_s / 3`` or more; else a **soft**
short. Confidence = ``min(1, (1 - depth) / 0.5) * (1 - 0.5**n)``, ``depth`` the event's median
relative polarization and ``n`` its low rows (drops) or windows (declines).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.plating.segments import Rows, Segments, Windows
from anodelab.plating.short_noise import noise_lead_in
from anodelab.plating.short_options import ShortOptions
from anodelab.plating.short_spans import Span


def merge(segments: Segments, rows: Rows, relative: NDArray[np.float64], spans: list[Span], win: Windows,
          bursts: NDArray[np.intp], quiet_V: float, o: ShortOptions) -> tuple[dict[str, Any], ...]:
    """Overlapping drops and declines as one event each, described (keys with units), in onset order;
    declines that neither last ``reference_s / 3`` nor fall to the ohmic fraction are left out."""
    if not spans:
        return ()
    bursting = np.zeros(len(win), dtype=bool)
    bursting[bursts] = True
    events: list[dict[str, Any]] = []
    for group in _overlapping(spans):
        event = _event(group, not events, segments, rows, relative, win, bursts, bursting, quiet_V, o)
        if event is not None:
            events.append(event)
    for number, event in enumerate(events, start=1):
        event["event"] = number
    return tuple(events)


def _overlapping(spans: list[Span]) -> list[list[Span]]:
    """The spans in groups that overlap or touch, in order of their first row."""
    groups: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: s.first):
        if groups and span.first <= max(s.last for s in groups[-1]) + 1:
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def _event(group: list[Span], opening: bool, segments: Segments, rows: Rows, relative: NDArray[np.float64],
           win: Windows, bursts: NDArray[np.intp], bursting: NDArray[np.bool_], quiet_V: float, o: ShortOptions
           ) -> dict[str, Any] | None:
    """One group of spans as an event (module docstring), None for declines that neither last nor
    collapse; ``opening``: no event before it (a noise burst may lead into its onset)."""
    time, area = rows.time_s, segments.area_cm2
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
        return None
    n_low = sum(s.n_low for s in group)
    signs = np.sign(segments.current_mA[rows.segment[first:last + 1]])
    across = bool(signs.min() != signs.max())
    hard = to_end and depth <= o.ohmic_fraction and (across or lasted)
    if opening and not hard:
        first = noise_lead_in(rows, win, bursting, first, quiet_V)
    current = float(segments.current_mA[int(rows.segment[first])])
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
        "noise_burst": bool(np.any(np.abs(win.start_s[bursts] - onset_s) <= o.window_s)),
    }
    if area:
        event["current_mA_cm2"] = abs(current) / area
    return event
