"""Symmetric-cell figures drawn from results of virtual data with known truth: what was drawn (labels
with units, the trace and its insets, the short's onset at the truth's time, the staircase's levels,
the failing step and the last stable one) and the PNG and SVG files written."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.plating.ccd import critical_current_density
from anodelab.plating.shorts import detect_shorts
from anodelab.plating.trace import overpotential_trace
from anodelab.report.figures.symmetric import (
    ccd_figure,
    plot_ccd,
    plot_symmetric_trace,
    symmetric_trace_figure,
)
from anodelab.sim.virtual import ccd_staircase, symmetric_cycling

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _by_gid(ax, prefix):
    return [line for line in ax.get_lines() if (line.get_gid() or "").startswith(prefix)]


def _patches(ax, gid):
    return [patch for patch in ax.patches if patch.get_gid() == gid]


@pytest.fixture(scope="module")
def soft():
    experiment = symmetric_cycling(short_kind="soft")
    return (experiment, overpotential_trace(experiment.data, experiment.cell),
            detect_shorts(experiment.data, experiment.cell))


@pytest.fixture(scope="module")
def staircase():
    experiment = ccd_staircase()
    return experiment, critical_current_density(experiment.data, experiment.cell)


def test_trace_with_insets_and_the_short(soft):
    experiment, trace, shorts = soft
    figure = symmetric_trace_figure(trace, shorts)
    main = next(ax for ax in figure.axes if _by_gid(ax, "trace"))
    assert main.get_xlabel() == "Time / h" and main.get_ylabel() == "Voltage / mV"
    (line,) = _by_gid(main, "trace")
    assert line.get_xdata().max() == pytest.approx(experiment.truth["duration_s"] / 3600.0)
    (onset,) = _by_gid(main, "short-onset")
    assert onset.get_xdata()[0] == pytest.approx(experiment.truth["short_time_h"])
    assert len(_by_gid(main, "event-")) == len(shorts.events) - 1
    early = next(ax for ax in figure.axes if _by_gid(ax, "inset-early"))
    late = next(ax for ax in figure.axes if _by_gid(ax, "inset-late"))
    assert early.get_xlabel() == late.get_xlabel() == "Time / h"
    assert early.get_title().startswith("early: 0") and late.get_title().startswith("late:")
    x_late = _by_gid(late, "inset-late")[0].get_xdata()
    assert x_late.min() < experiment.truth["short_time_h"] < x_late.max()  # the late inset shows the short
    assert _by_gid(late, "short-onset-late")
    assert len(_patches(main, "span-early")) == len(_patches(main, "span-late")) == 1
    # the voltages drawn are the record's, in mV
    np.testing.assert_allclose(_by_gid(early, "inset-early")[0].get_ydata()[:3],
                               1000 * experiment.data["voltage_V"][:3])


def test_trace_without_a_short_has_no_onset_line():
    experiment = symmetric_cycling(short_time_s=None, n_cycles=10)
    figure = symmetric_trace_figure(overpotential_trace(experiment.data, experiment.cell))
    assert not any(_by_gid(ax, "short-onset") for ax in figure.axes)


def test_ccd_staircase_with_the_failing_step(staircase):
    experiment, result = staircase
    truth = experiment.truth
    figure = ccd_figure(result)
    top, bottom = figure.axes
    assert top.get_ylabel() == "Voltage / mV" and bottom.get_xlabel() == "Time / h"
    assert bottom.get_ylabel() == "Current density / mA cm⁻²"
    (steps,) = _by_gid(bottom, "ccd-staircase")
    assert sorted(set(np.round(steps.get_ydata(), 9))) == pytest.approx(truth["levels_mA_cm2"])
    (stable,) = _by_gid(bottom, "last-stable")
    assert stable.get_ydata()[0] == pytest.approx(truth["last_stable_mA_cm2"])
    (onset,) = _by_gid(top, "short-onset")
    assert onset.get_xdata()[0] == pytest.approx(truth["short_time_s"] / 3600.0)
    (span,) = _patches(top, "failure-step")
    x0, x1 = span.get_x(), span.get_x() + span.get_width()
    failing_start_h = 2 * (len(truth["levels_mA_cm2"]) - 1) * truth["half_cycle_s"] / 3600.0
    assert x0 == pytest.approx(failing_start_h) and x1 == pytest.approx(failing_start_h + 2 * truth["half_cycle_s"] / 3600.0)
    assert "CCD 0.5" in top.get_legend().get_texts()[0].get_text()


def test_plots_write_png_and_svg(tmp_path, soft, staircase):
    _, trace, shorts = soft
    written = plot_symmetric_trace(trace, tmp_path / "cell.symmetric-trace", shorts)
    written += plot_ccd(staircase[1], tmp_path / "cell.ccd.png")
    assert [p.name for p in written] == ["cell.symmetric-trace.png", "cell.symmetric-trace.svg", "cell.ccd.png",
                                         "cell.ccd.svg"]
    for path in written[::2]:
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC and struct.unpack(">II", data[16:24])[0] > 600
    for path in written[1::2]:
        assert path.read_text().lstrip().startswith("<?xml")


def test_wrong_result_is_refused(staircase):
    with pytest.raises(ValidationError, match="OverpotentialTrace"):
        symmetric_trace_figure(staircase[1])
    with pytest.raises(ValidationError, match="CriticalCurrentDensity"):
        ccd_figure(object())
