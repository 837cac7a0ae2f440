"""Distribution of relaxation times (DRT): Tikhonov-regularised, non-negative, on Gaussian RBFs.

``drt(spectrum)`` -> :class:`DRTResult`; ``drt_series(series)`` -> :class:`DRTSeriesResult` (a map and
per-process resistance traces); both are :class:`anodelab.core.result.Result` (metrics per spectrum, the
gamma curves as the ``"drt"`` table). Kernels are cached per frequency grid; lambda is chosen for Z
normalised by its largest modulus (unit-independent). See :mod:`anodelab.drt.fit` for the method; per-peak
resistances come from a ZARC fit by impedance's engine (:mod:`anodelab.drt.deconvolution`).
"""

from __future__ import annotations

from anodelab.drt.fit import DRTOptions, drt
from anodelab.drt.peaks import WINDOW_PRESETS, Peak
from anodelab.drt.result import DRTResult, DRTSeriesResult
from anodelab.drt.series import drt_series

__all__ = ["WINDOW_PRESETS", "DRTOptions", "DRTResult", "DRTSeriesResult", "Peak", "drt", "drt_series"]
