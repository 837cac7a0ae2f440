"""Voltammetry figures, drawn from results of virtual data with known truth: what was drawn (labels with
units, one line per sweep, the peaks marked per cycle, the onsets, the Randles-Sevcik points and line)
and that PNG and SVG files are written."""

from __future__ import annotations

import dataclasses
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.cycling import cycle_summary
from anodelab.kinetics.voltammetry import randles_sevcik, voltammetry
from anodelab.report.figures import voltammetry as figures
from anodelab.sim.virtual import alloy_half_cell
from anodelab.sim.virtual.voltammetry import cyclic_voltammogram, linear_sweep

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _by_gid(ax, prefix):
    return [line for line in ax.get_lines() if (line.get_gid() or "").startswith(prefix)]


@pytest.fixture(scope="module")
def si_cv():
    experiment = cyclic_voltammogram()
    return experiment, voltammetry(experiment.data)


@pytest.fixture(scope="module")
def lsv():
    experiment = linear_sweep()
    return experiment, voltammetry(experiment.data)


@pytest.fixture(scope="module")
def surface_series():
    return randles_sevcik([voltammetry(cyclic_voltammogram(scan_rate_mV_s=rate, n_cycles=1).data)
                           for rate in (0.1, 0.2, 0.5)], direction="oxidation", near_V=0.33)


def test_voltammogram_marks_the_peaks_of_each_cycle(si_cv):
    experiment, result = si_cv
    figure = figures.voltammogram_figure(result)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "E / V" and ax.get_ylabel() == "I / mA"
    assert len(_by_gid(ax, "sweep-")) == 6
    for cycle in (1, 2, 3):
        for direction in ("reduction", "oxidation"):
            truth = sorted(t["observed_peak_V"] for t in experiment.truth["peaks"]
                           if t["direction"] == direction and cycle in t["cycles"])
            marked = _by_gid(ax, f"peaks-{cycle}-{direction}")
            assert len(marked) == 1
            np.testing.assert_allclose(sorted(marked[0].get_xdata()), truth, atol=2e-3)  # the sampling step
    # each peak's baseline and height drawn
    assert len(_by_gid(ax, "baseline-")) == len(_by_gid(ax, "height-")) == len(result.peaks)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["cycle 1", "cycle 2", "cycle 3"]
    one = figures.voltammogram_figure(result, cycles=[2], baselines=False).axes[0]
    assert len(_by_gid(one, "sweep-")) == 2 and not _by_gid(one, "baseline-")
    assert ax.get_title(loc="left") == "CV, 0.2 mV s⁻¹"


def test_didv_marks_the_onsets(lsv):
    experiment, result = lsv
    ax = figures.didv_figure(result).axes[0]
    assert ax.get_xlabel() == "E / V" and ax.get_ylabel() == "dI/dE / mA V⁻¹"
    assert len(_by_gid(ax, "didv-")) == 1
    marked = _by_gid(ax, "onsets-1")[0]
    np.testing.assert_allclose(sorted(marked.get_xdata()), sorted(experiment.truth["dIdV_peak_V"]), atol=1e-3)
    labels = sorted(t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("onset-label"))
    assert labels == ["0.8 V", "1 V", "1.4 V"]


def test_randles_sevcik_figure(surface_series):
    ax = figures.randles_sevcik_figure(surface_series).axes[0]
    assert ax.get_xlabel() == "ν^½ / V½ s⁻½" and ax.get_ylabel() == "|I_p| / mA"
    points = _by_gid(ax, "rs-points")[0]
    np.testing.assert_allclose(points.get_xdata(), np.sqrt(np.array([0.1, 0.2, 0.5]) / 1e3), rtol=1e-3)
    fit = _by_gid(ax, "rs-fit")[0]
    x, y = fit.get_xdata(), fit.get_ydata()
    assert (y[-1] - y[0]) / (x[-1] - x[0]) == pytest.approx(surface_series.slope_mA_s_V.value)
    assert "b = 1.00" in fit.get_label()


def test_plots_write_png_and_svg(tmp_path, si_cv, lsv, surface_series):
    calls = {"cv": (figures.plot_voltammogram, si_cv[1]), "didv": (figures.plot_didv, lsv[1]),
             "rs": (figures.plot_randles_sevcik, surface_series)}
    for name, (plot, result) in calls.items():
        written = plot(result, tmp_path / name)
        assert written == [tmp_path / f"{name}.png", tmp_path / f"{name}.svg"]
        png = written[0].read_bytes()
        assert png[:8] == PNG_MAGIC and struct.unpack(">I", png[16:20])[0] == round(3.35 * 300)
        assert ET.parse(written[1]).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_what_cannot_be_drawn(si_cv, lsv):
    with pytest.raises(ValidationError, match="draws a Voltammogram"):
        figures.voltammogram_figure(cycle_summary(alloy_half_cell(n_cycles=2).data))
    with pytest.raises(ValidationError, match="draws a RandlesSevcik"):
        figures.randles_sevcik_figure(si_cv[1])
    with pytest.raises(NotApplicableError, match="segments"):
        figures.didv_figure(lsv[1], segments=[2])
    with pytest.raises(NotApplicableError, match="no sweep to draw"):
        figures.didv_figure(dataclasses.replace(lsv[1], onsets=()))
    with pytest.raises(ValidationError, match="cycles"):
        figures.voltammogram_figure(si_cv[1], cycles=[7])
