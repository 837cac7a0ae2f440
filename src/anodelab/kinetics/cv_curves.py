"""One sweep's current on a fixed potential grid: binned, smoothed and differentiated, with its noise.

Each sweep's current is binned on a fixed potential grid (``bin_mV``, default the sweep's median
potential step, at least ``smooth_mV`` / :data:`MAX_SMOOTH_BINS`; each bin's mean current at its rows'
mean potential), smoothed and differentiated by quadratic Savitzky-Golay filters over ``smooth_mV``
and ``derivative_mV`` (no smoothing where that is under 5 bins). dQ/dV is the charge passed per volt,
|I| / (dE/dt) / 3600 in mAh/V (< 0 on a cathodic sweep, as in :mod:`anodelab.cycling.dqdv`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: the columns of the voltammogram's curve table (one row per bin of each sweep)
CURVE_COLUMNS = ("segment", "cycle", "potential_V", "current_mA", "dIdV_mA_V", "dQdV_mAh_V")
#: the default bin is at least ``smooth_mV`` over this
MAX_SMOOTH_BINS = 100
#: the standard deviation of normal noise over its median absolute value
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class SweepCurve:
    """One sweep binned on a fixed potential grid (in sweep order), smoothed and differentiated."""

    grid_V: NDArray[np.float64]
    binned_mA: NDArray[np.float64]      # before smoothing
    current_mA: NDArray[np.float64]
    dIdV_mA_V: NDArray[np.float64]
    noise_mA: float                 # noise of a bin: its scatter about the smoothed curve (unsmoothed: of its second differences)
    smooth_gain: float              # noise of the smoothed current per unit noise of a row
    slope_gain: float               # noise of dI/dE (1/V) per unit noise of a row


def sweep_curve(E: NDArray[np.float64], I: NDArray[np.float64], bin_V: float | None, smooth_V: float,
                derivative_V: float) -> SweepCurve:
    """Bin the sweep's current on a fixed grid (mean of the rows in a bin, empty bins interpolated),
    smooth it and differentiate it by quadratic Savitzky-Golay filters."""
    from scipy.signal import savgol_coeffs, savgol_filter

    steps = np.abs(np.diff(E))
    if bin_V is not None:
        width = bin_V
    else:  # the median step, but no finer than a hundredth of the smoothing (the filters' cost grows as its square)
        width = max(float(np.median(steps[steps > 0])) if (steps > 0).any() else 1e-3, smooth_V / MAX_SMOOTH_BINS)
    low, high = float(E.min()) - width / 2, float(E.max())  # rows on a grid of the step fall on bin centres
    n_bins = max(int(np.floor((high - low) / width)) + 1, 1)
    index = np.minimum(((E - low) / width).astype(np.intp), n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    filled = count > 0
    mean_E = np.bincount(index, weights=E, minlength=n_bins)[filled] / count[filled]
    mean_I = np.bincount(index, weights=I, minlength=n_bins)[filled] / count[filled]
    grid = low + (np.arange(n_bins) + 0.5) * width
    binned = np.interp(grid, mean_E, mean_I)  # each bin's mean current at its rows' mean potential

    def window(span_V: float) -> int:
        size = max(3, round(span_V / width) | 1)
        return min(size, n_bins if n_bins % 2 else n_bins - 1)

    smooth_window, slope_window = window(smooth_V), window(derivative_V)
    if smooth_window >= 5:
        smooth = savgol_filter(binned, smooth_window, 2)
        smooth_gain = float(np.linalg.norm(savgol_coeffs(smooth_window, 2)))
    else:  # a coarse grid: the bins as they are
        smooth, smooth_gain = binned, 1.0
    if slope_window >= 3:
        slope = savgol_filter(binned, slope_window, 2, deriv=1, delta=width)
        slope_gain = float(np.linalg.norm(savgol_coeffs(slope_window, 2, deriv=1, delta=width)))
    else:
        slope = np.gradient(binned, width) if n_bins > 1 else np.zeros(n_bins)
        slope_gain = math.sqrt(0.5) / width
    order = slice(None, None, -1) if E[-1] < E[0] else slice(None)
    # white noise of variance s2 leaves the bins about a Savitzky-Golay smoothing (a projection whose
    # centre coefficient is smooth_gain**2) with variance s2 (1 - smooth_gain**2); unsmoothed (a coarse
    # grid), the second differences of the bins, of variance 6 s2, robustly (median absolute value)
    if smooth_gain < 1:
        residual = binned - smooth
        noise = float(np.sqrt(np.mean(residual * residual) / (1.0 - smooth_gain**2)))
    elif n_bins >= 5:
        noise = MAD_TO_SIGMA * float(np.median(np.abs(np.diff(binned, 2)))) / math.sqrt(6.0)
    else:
        noise = 0.0
    return SweepCurve(np.asarray(grid[order], dtype=np.float64), binned[order], smooth[order], slope[order],
                  noise, smooth_gain, slope_gain)


def curve_columns(c: SweepCurve, segment: int, cycle: int, rate_V_s: float | None) -> dict[str, NDArray[Any]]:
    """The sweep's rows of the voltammogram's curve table (:data:`CURVE_COLUMNS`); ``rate_V_s`` signed
    (None or 0: dQ/dV unknown, NaN)."""
    n = c.grid_V.size
    return {name: np.asarray(values) for name, values in (
        ("segment", np.full(n, segment)), ("cycle", np.full(n, cycle)), ("potential_V", c.grid_V),
        ("current_mA", c.current_mA), ("dIdV_mA_V", c.dIdV_mA_V),
        ("dQdV_mAh_V", np.abs(c.current_mA) / (3.6e3 * rate_V_s) if rate_V_s else np.full(n, np.nan)))}
