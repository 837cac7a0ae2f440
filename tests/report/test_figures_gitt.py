"""The GITT figure, drawn from results of virtual GITTs with known D: what it drew (labels with units, a log
D axis, valid and invalid pulses apart, the median, the pulse panel's data, fit and window)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.kinetics.gitt import gitt
from anodelab.report.figures.gitt import gitt_figure, plot_gitt
from anodelab.sim.virtual.gitt import gitt as virtual_gitt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _by_gid(ax, gid):
    """The lines with this gid."""
    return [line for line in ax.get_lines() if line.get_gid() == gid]


@pytest.fixture(scope="module")
def experiment():
    return virtual_gitt(n_pulses=6, ocv_V=lambda soc: 0.6 - 0.4 * soc)


@pytest.fixture(scope="module")
def result(experiment):
    truth = experiment.truth
    plain = gitt(experiment.data, capacity_mAh=truth["capacity_mAh"], soc_start=truth["soc_start"])
    # pulses 2 and 5 marked invalid: the figure must draw them apart
    pulses = tuple({**p, "valid": p["pulse"] not in (2, 5)} for p in plain.pulses)
    return dataclasses.replace(plain, pulses=pulses)


def test_d_against_state_of_charge_valid_and_invalid_apart(result, experiment):
    figure = gitt_figure(result)
    (ax,) = figure.axes
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "State of charge" and ax.get_ylabel() == "D / cm² s⁻¹"
    soc = np.array(experiment.truth["soc_after_pulse"])
    valid = np.array([p["valid"] for p in result.pulses])
    D = result.D_cm2_s
    [bars] = ax.containers  # the valid pulses, with their standard errors
    drawn_valid = bars.lines[0]
    assert drawn_valid.get_gid() == "gitt-valid-lithiation" and drawn_valid.get_markerfacecolor() != "none"
    assert len(bars.lines[2][0].get_segments()) == valid.sum()
    np.testing.assert_allclose(drawn_valid.get_xdata(), soc[valid], rtol=1e-9)
    np.testing.assert_allclose(drawn_valid.get_ydata(), D[valid], rtol=1e-12)
    [drawn_invalid] = _by_gid(ax, "gitt-invalid-lithiation")
    np.testing.assert_allclose(drawn_invalid.get_xdata(), soc[~valid], rtol=1e-9)
    assert drawn_invalid.get_markerfacecolor() == "none"  # open: marked differently from the filled valid ones
    [median] = _by_gid(ax, "gitt-median")
    assert median.get_ydata()[0] == pytest.approx(np.median(D[valid]))
    assert np.all(np.abs(D / experiment.truth["D_cm2_s"] - 1) < 1e-4)  # what was drawn is the true D


def test_x_axis_falls_back_to_the_inserted_charge(experiment):
    result = gitt(experiment.data)
    ax = gitt_figure(result).axes[0]
    assert ax.get_xlabel() == "Inserted charge / mAh"
    line = next(line for line in ax.get_lines() if len(line.get_xdata()) == len(result.pulses))
    inserted = -experiment.truth["current_mA"] * experiment.truth["pulse_s"] / 3600 * np.arange(1, 7)
    np.testing.assert_allclose(line.get_xdata(), inserted, rtol=1e-9)


def test_pulse_panel_draws_the_data_the_fit_and_its_window(result, experiment):
    record = experiment.data
    figure = gitt_figure(result, record, pulse=3)
    assert len(figure.axes) == 2
    ax = figure.axes[1]
    assert ax.get_xlabel() == "√t / s½" and ax.get_ylabel() == "Potential / V"
    pulse = result.pulses[2]
    rows = slice(pulse["start_row"], pulse["end_row"] + 1)
    [data] = _by_gid(ax, "gitt-pulse-data")
    t = record["time_s"][rows] - record["time_s"][pulse["start_row"]]
    np.testing.assert_allclose(data.get_xdata(), np.sqrt(t), rtol=1e-12)
    np.testing.assert_allclose(data.get_ydata(), record["voltage_V"][rows], rtol=1e-12)
    [fit] = _by_gid(ax, "gitt-pulse-fit")
    # on the exact sqrt(t) response the fit line runs through the data
    np.testing.assert_allclose(np.interp(np.sqrt(t), fit.get_xdata(), fit.get_ydata()), record["voltage_V"][rows],
                               atol=2e-5)
    [window] = [patch for patch in ax.patches if patch.get_gid() == "gitt-pulse-window"]
    x0, x1 = window.get_x(), window.get_x() + window.get_width()
    assert (x0, x1) == pytest.approx((math.sqrt(0.1 * pulse["pulse_s"]), math.sqrt(pulse["pulse_s"])))
    assert "pulse 3" in ax.get_title(loc="left")
    # by default the valid pulse with the median D
    title = gitt_figure(result, record).axes[1].get_title(loc="left")
    chosen = result.pulses[int(title.split()[1]) - 1]
    valid_D = sorted(p["D_cm2_s"] for p in result.pulses if p["valid"])
    assert chosen["valid"] and chosen["D_cm2_s"] == valid_D[(len(valid_D) - 1) // 2]


def test_bad_requests(result, experiment):
    with pytest.raises(ValidationError, match="pulse"):
        gitt_figure(result, experiment.data, pulse=99)
    with pytest.raises(ValidationError, match="not the one analysed"):
        gitt_figure(result, experiment.data.take(slice(0, 50)))
    with pytest.raises(ValidationError, match="GITTResult"):
        gitt_figure(experiment.data)


def test_plot_writes_png_and_svg(result, experiment, tmp_path):
    paths = plot_gitt(result, tmp_path / "cell.gitt", experiment.data)
    assert [p.name for p in paths] == ["cell.gitt.png", "cell.gitt.svg"]
    assert paths[0].read_bytes()[:8] == PNG_MAGIC and b"<svg" in paths[1].read_bytes()[:500]
