"""The thresholds of short detection, checked on construction, and the rules they set in words."""

from __future__ import annotations

import math
from dataclasses import dataclass

from anodelab.core.errors import ValidationError

#: a drop row lies more than this many noise standard deviations below the reference
SIGNIFICANCE = 5.0
#: sub-windows per window in the search for a decline's onset
ONSET_SUBWINDOWS = 5


@dataclass(frozen=True)
class ShortOptions:
    """The thresholds of the detection (:mod:`anodelab.plating.shorts`), checked on construction."""

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
