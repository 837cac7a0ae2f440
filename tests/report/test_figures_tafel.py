"""The Tafel figure, drawn from analyses of virtual polarization curves with known kinetics: what it drew
(axis labels with units, the data, the shaded windows, the Tafel lines down to i0, the Butler-Volmer
curve) and the files it writes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.kinetics.tafel import exchange_current, tafel
from anodelab.models.kinetics import butler_volmer_mA_cm2
from anodelab.report.figures.tafel import plot_tafel, tafel_figure
from anodelab.sim.virtual import polarization_curve

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _by_gid(ax, gid):
    return [line for line in ax.get_lines() if line.get_gid() == gid]


@pytest.fixture(scope="module")
def curve():
    return polarization_curve(i0_mA_cm2=0.5, eta_max_V=0.3, R_ohm=1.0, noise_pct=0.5, seed=7)


@pytest.fixture(scope="module")
def analysis(curve):
    return tafel(curve.data)


def test_the_tafel_lines_run_from_their_windows_to_the_true_exchange_current(curve, analysis):
    ax = tafel_figure(analysis).axes[0]
    assert ax.get_xlabel() == "log₁₀(|i| / mA cm⁻²)" and ax.get_ylabel() == "η − I·R_u / mV"
    (data,) = _by_gid(ax, "tafel-data")
    assert data.get_xdata().size == curve.data["voltage_V"].size - 1  # all but the point at equilibrium itself
    truth = curve.truth
    for branch, sign in (("anodic", 1.0), ("cathodic", -1.0)):
        (line,) = _by_gid(ax, f"tafel-line-{branch}")
        x, y = line.get_xdata(), line.get_ydata()
        assert y[0] == 0.0 and x[0] == pytest.approx(np.log10(truth["i0_mA_cm2"]), abs=np.log10(1.05))
        slope = sign * (y[1] - y[0]) / (x[1] - x[0])
        assert slope == pytest.approx(truth[f"tafel_slope_{branch}_mV_dec"], rel=0.02)
        (band,) = [p for p in ax.patches if p.get_gid() == f"tafel-region-{branch}"]
        chosen = getattr(analysis, branch)
        low, high = sorted((band.get_y(), band.get_y() + band.get_height()))
        assert (low, high) == pytest.approx(tuple(sorted((sign * chosen.eta_low_mV, sign * chosen.eta_high_mV))))
        (window,) = _by_gid(ax, f"tafel-window-{branch}")
        assert window.get_xdata().size == chosen.n_points
        assert np.all(np.abs(window.get_ydata()) >= 118.3)
    (i0,) = _by_gid(ax, "tafel-i0")
    assert 10 ** i0.get_xdata()[0] == pytest.approx(truth["i0_mA_cm2"], rel=0.05) and i0.get_ydata()[0] == 0.0
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[0].startswith("anodic: b = ") and "mV dec⁻¹" in legend[0]
    assert any(text.startswith("Butler-Volmer fit: i₀ = ") for text in legend)


def test_the_butler_volmer_curve_is_the_true_kinetics(curve, analysis):
    ax = tafel_figure(analysis).axes[0]
    for branch in ("anodic", "cathodic"):
        (line,) = _by_gid(ax, f"tafel-bv-{branch}")
        eta_V = np.asarray(line.get_ydata()) * 1e-3
        expected = np.log10(np.abs(butler_volmer_mA_cm2(eta_V, i0_mA_cm2=0.5)))
        np.testing.assert_allclose(line.get_xdata(), expected, atol=0.02)


def test_a_fit_alone_and_a_curve_without_tafel_region(curve):
    fit = exchange_current(curve.data)
    ax = tafel_figure(fit).axes[0]
    assert not _by_gid(ax, "tafel-line-anodic") and not _by_gid(ax, "tafel-i0")
    assert len(_by_gid(ax, "tafel-bv-anodic")) == len(_by_gid(ax, "tafel-bv-cathodic")) == 1
    small = tafel(polarization_curve(eta_max_V=0.05, noise_pct=0.5).data)
    ax = tafel_figure(small).axes[0]
    assert not ax.patches and not _by_gid(ax, "tafel-i0") and len(_by_gid(ax, "tafel-bv-anodic")) == 1
    unlabelled = dataclasses.replace(small, curve=dataclasses.replace(small.curve, area_cm2=None), butler_volmer=None)
    ax = tafel_figure(unlabelled).axes[0]
    assert ax.get_xlabel() == "log₁₀(|I| / mA)"


def test_plot_tafel_writes_png_and_svg(analysis, tmp_path):
    paths = plot_tafel(analysis, tmp_path / "cell.tafel")
    assert [p.name for p in paths] == ["cell.tafel.png", "cell.tafel.svg"]
    assert paths[0].read_bytes()[:8] == PNG_MAGIC and b"<svg" in paths[1].read_bytes()[:500]
    with pytest.raises(ValidationError, match="tafel_figure draws"):
        tafel_figure(analysis.curve)
