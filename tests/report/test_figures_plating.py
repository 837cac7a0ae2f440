"""The substrate figures of anodelab.plating: what they drew (labels with units, curves, marked tip and
plateau, the CE points, mean and band, the Aurbach line) and the files written."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.plating.efficiency import plating_efficiency
from anodelab.plating.nucleation import nucleation_overpotential
from anodelab.report.figures.plating import (
    nucleation_figure,
    plating_ce_figure,
    plot_nucleation,
    plot_plating_ce,
)
from anodelab.sim.virtual import first_plating, plating_ce

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _line(ax, gid):
    lines = [line for line in ax.get_lines() if line.get_gid() == gid]
    assert len(lines) == 1, f"{gid}: {len(lines)} lines"
    return lines[0]


@pytest.fixture(scope="module")
def nucleation():
    experiment = first_plating()
    return experiment, nucleation_overpotential(experiment.data)


def test_nucleation_figure_marks_tip_and_plateau(nucleation):
    experiment, result = nucleation
    ax = nucleation_figure(result).axes[0]
    assert ax.get_xlabel() == "Areal capacity / mAh cm⁻²" and ax.get_ylabel() == "Voltage vs counter / mV"
    tip = _line(ax, "nucleation-tip")
    assert tip.get_xdata()[0] == pytest.approx(experiment.truth["tip_capacity_mAh_cm2"], abs=0.002)
    assert tip.get_ydata()[0] == pytest.approx(1e3 * experiment.truth["tip_V"], abs=0.3)
    plateau = _line(ax, "nucleation-plateau")
    np.testing.assert_allclose(plateau.get_ydata(), 1e3 * experiment.truth["plateau_V"], atol=0.05)
    fit = _line(ax, "nucleation-fit")
    assert np.min(fit.get_ydata()) == pytest.approx(1e3 * result.tip_V, abs=1e-6)
    assert _line(ax, "nucleation-curve").get_xdata().size == result.tables()["curve"]["time_s"].size
    low, high = ax.get_ylim()
    assert low < 1e3 * result.tip_V < 1e3 * result.plateau_V < high < 0  # zoomed on the dip: OCV (1 V) off the axes
    assert ax.get_xlim()[1] < 0.2  # of the 1 mAh/cm2 plated
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any("η_nucleation = 13.5 mV" in text for text in labels)


def test_nucleation_figure_vs_time_and_without_area():
    result = nucleation_overpotential(first_plating().data.with_cell(None))
    assert nucleation_figure(result).axes[0].get_xlabel() == "Capacity / mAh"
    ax = nucleation_figure(result, x="time", zoom=False).axes[0]
    assert ax.get_xlabel() == "Time / s"
    assert _line(ax, "nucleation-tip").get_xdata()[0] == pytest.approx(144.0, abs=12.0)
    assert ax.get_ylim()[1] > 900  # unzoomed: the open-circuit voltage in view
    with pytest.raises(ValidationError, match="x"):
        nucleation_figure(result, x="charge")


def test_under_sampled_tip_is_drawn_as_a_bound():
    result = nucleation_overpotential(first_plating(samples_per_half_cycle=20).data)
    ax = nucleation_figure(result).axes[0]
    tip = _line(ax, "nucleation-tip")
    assert tip.get_markerfacecolor() == "none"
    assert not [line for line in ax.get_lines() if line.get_gid() == "nucleation-fit"]
    assert any("≥" in text.get_text() for text in ax.get_legend().get_texts())


def test_ce_figure_points_mean_and_band():
    experiment = plating_ce(n_cycles=15)
    result = plating_efficiency(experiment.data, cycles=(3, 15))
    ax = plating_ce_figure(result).axes[0]
    assert ax.get_xlabel() == "Cycle" and ax.get_ylabel() == "Coulombic efficiency / %"
    points = _line(ax, "ce-points")
    np.testing.assert_allclose(points.get_ydata(), 100 * np.asarray(experiment.truth["ce_per_cycle"]), atol=1e-10)
    mean = _line(ax, "ce-mean")
    expected = 100 * np.mean(experiment.truth["ce_per_cycle"][2:])
    np.testing.assert_allclose(mean.get_ydata(), expected, atol=1e-10)
    assert mean.get_xdata()[0] == pytest.approx(2.6) and mean.get_xdata()[-1] == pytest.approx(15.4)
    band = [c for c in ax.collections if c.get_gid() == "ce-band"]
    assert len(band) == 1
    heights = band[0].get_paths()[0].vertices[:, 1]
    assert heights.max() - heights.min() == pytest.approx(2 * 100 * result.ce_std, rel=1e-9)


def test_ce_figure_of_an_aurbach_test():
    experiment = plating_ce(method="reservoir", n_cycles=8, ce=0.998)
    ax = plating_ce_figure(plating_efficiency(experiment.data)).axes[0]
    line = _line(ax, "ce-aurbach-1")
    np.testing.assert_allclose(line.get_ydata(), 99.8, atol=1e-9)
    assert not [line for line in ax.get_lines() if line.get_gid() in ("ce-points", "ce-mean")]


def test_files_written(tmp_path, nucleation):
    _, result = nucleation
    for paths in (plot_nucleation(result, tmp_path / "dip"), plot_plating_ce(plating_efficiency(plating_ce().data),
                                                                               tmp_path / "ce")):
        assert [p.suffix for p in paths] == [".png", ".svg"]
        assert paths[0].read_bytes()[:8] == PNG_MAGIC and b"<svg" in paths[1].read_bytes()[:500]
    with pytest.raises(ValidationError, match="PlatingEfficiency"):
        plating_ce_figure(result)
