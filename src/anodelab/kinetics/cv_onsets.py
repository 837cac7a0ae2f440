"""Onsets of a sweep: the maxima of dI/dE, where a faradaic process sets in.

A faradaic process in the sweep's direction makes dI/dE > 0 in either direction: its onsets are the
maxima of dI/dE of prominence at least ``min_onset_prominence`` of the largest and
:data:`~anodelab.kinetics.cv_peaks.NOISE_SIGMAS` times the noise of dI/dE, on the opening sweep
(``onsets="all"``: every sweep): decomposition or SEI-formation onset voltages of an LSV.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from anodelab.kinetics.cv_curves import SweepCurve
from anodelab.kinetics.cv_peaks import NOISE_SIGMAS, local_peaks


def onset_rows(c: SweepCurve, min_onset_prominence: float) -> list[dict[str, Any]]:
    """The onsets of one sweep: potential (V) and dI/dE (mA/V) of each rising maximum of dI/dE."""
    floor = max(min_onset_prominence * float(np.max(c.dIdV_mA_V, initial=0.0)),
                NOISE_SIGMAS * c.noise_mA * c.slope_gain)
    return [{"E_onset_V": o.potential_V, "dIdV_mA_V": o.value}
            for o in local_peaks(c.grid_V, c.dIdV_mA_V, 1.0, floor) if o.value > 0]
