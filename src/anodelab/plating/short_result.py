"""The result of short detection: the events, the cycle life, the noise bursts and the rules in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from anodelab.core.result import Metric, Result


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
