"""DRT figures: written as PNG without a display, for one spectrum (with band) and for a series map."""

from __future__ import annotations

import numpy as np

from anodelab.drt import drt, drt_series
from anodelab.report.drt_figures import plot_drt_curves, plot_drt_map
from anodelab.sim.virtual import insitu_eis_series


def test_curves_and_map_are_written(tmp_path):
    experiment = insitu_eis_series(spectra_per_half_cycle=3)
    one = drt(experiment.data[0], credible=0.95, windows="si_zno")
    series = drt_series(experiment.data, windows="si_zno")
    written = [
        plot_drt_curves(one, tmp_path / "one.png"),
        plot_drt_curves(series, tmp_path / "all.png", labels=[f"{t:.0f} s" for t in series.coordinate]),
        plot_drt_map(series, tmp_path / "map.png"),
        plot_drt_map(drt_series(experiment.data), tmp_path / "map-no-windows.png"),
    ]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert np.all(np.isfinite(series.gamma_map_ohm))
