"""The interface figures (report.figures.interface): what they draw, on small FEM cases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("skfem")
pytest.importorskip("matplotlib")

from anodelab.cli import main
from anodelab.core.errors import ValidationError
from anodelab.report.figures.interface import (
    interface_figure,
    plot_interface,
    rebuild_mesh,
    sweep_figure,
)
from anodelab.sim.interface import (
    Interlayer,
    Protrusion,
    Strips,
    simulate_interface,
    sweep_interface,
)

ELEMENTS = 3000


@pytest.fixture(scope="module")
def strips():
    return simulate_interface(Strips(0.4, 10.0, 5.0), kappa_S_cm=1e-3, elements=ELEMENTS)


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_interface_figure_axes_lines_and_marks(strips):
    figure = interface_figure(strips)
    current_ax, field_ax = figure.axes[:2]
    assert current_ax.get_xlabel() == "x / µm"
    assert current_ax.get_ylabel() == "i / i_mean"
    (curve,) = _by_gid(current_ax, "interface-current")
    (threshold,) = _by_gid(current_ax, "interface-threshold")
    assert np.allclose(threshold.get_ydata(), strips.threshold_ratio)
    # the curve is the contact part of the table; the void (x > f W = 2 um) is shaded, not drawn
    x, y = curve.get_xdata(), curve.get_ydata()
    assert np.nanmax(x[np.isfinite(y)]) == pytest.approx(0.4 * 5.0)
    assert _by_gid(current_ax, "interface-void")
    (peak,) = _by_gid(current_ax, "interface-max")
    assert peak.get_ydata()[0] == pytest.approx(strips.max_mean_ratio)
    legend = [t.get_text() for t in current_ax.get_legend().get_texts()]
    assert any(f"max/mean = {strips.max_mean_ratio:.3g}" in t for t in legend)
    assert any("threshold 1.5" in t for t in legend)
    # the map: one face per element, log colour scale over the element fields, the bar in V/cm
    assert field_ax.get_xlabel() == "x / µm" and field_ax.get_ylabel() == "y / µm"
    (faces,) = _by_gid(field_ax, "interface-field")
    assert faces.get_array().size == strips.elements
    assert type(faces.norm).__name__ == "LogNorm"
    assert faces.norm.vmax == pytest.approx(strips.field_max_V_cm)
    assert figure.axes[2].get_ylabel() == "|E| / V cm⁻¹"
    (contact,) = _by_gid(field_ax, "interface-contact")
    ends = np.concatenate(contact.get_segments())
    assert ends[:, 0].max() == pytest.approx(2.0) and np.allclose(ends[:, 1], 0.0)
    (gap,) = _by_gid(field_ax, "interface-gap")
    assert np.concatenate(gap.get_segments())[:, 0].min() == pytest.approx(2.0)
    assert _by_gid(field_ax, "interface-metal")


def test_mesh_rebuilt_matches_the_solved_one(strips):
    grid = rebuild_mesh(strips)
    assert grid is not None and grid.elements == strips.elements
    assert rebuild_mesh(dataclasses.replace(strips, parameters={})) is None


def test_field_map_from_the_binned_table_without_a_mesh(strips):
    figure = interface_figure(dataclasses.replace(strips, parameters={}))
    (faces,) = _by_gid(figure.axes[1], "interface-field")
    assert faces.get_array().size == strips.field_map["field_V_cm"].size
    assert figure.axes[2].get_ylabel() == "|E| / V cm⁻¹"


def test_protrusion_uses_arc_length_and_marks_its_surface():
    result = simulate_interface(Protrusion(2.0, 2.0, 10.0), kappa_S_cm=1e-3, kinetics="linear", elements=ELEMENTS)
    figure = interface_figure(result)
    current_ax, field_ax = figure.axes[:2]
    assert current_ax.get_xlabel().endswith("/ µm") and "Arc length" in current_ax.get_xlabel()
    assert field_ax.get_xlabel() == "r / µm" and field_ax.get_ylabel() == "z / µm"
    (contact,) = _by_gid(field_ax, "interface-contact")
    ends = np.concatenate(contact.get_segments())
    assert ends[:, 1].max() == pytest.approx(2.0)  # the apex, on the axis
    assert not _by_gid(current_ax, "interface-void") and not _by_gid(field_ax, "interface-gap")


def test_interlayer_top_is_marked():
    result = simulate_interface(Strips(0.5, 10.0, 5.0, Interlayer(1.0, 1e-4)), kappa_S_cm=1e-3, elements=ELEMENTS)
    (top,) = _by_gid(interface_figure(result).axes[1], "interface-interlayer")
    assert np.allclose(np.concatenate(top.get_segments())[:, 1], 1.0)


def test_sweep_figure_panels():
    sweep = sweep_interface(Strips(0.5, 10.0, 5.0), "contact_fraction", [1.0, 0.25, 0.5], kappa_S_cm=1e-3,
                            elements=1000)
    figure = sweep_figure(sweep)
    r_ax, ratio_ax = figure.axes
    assert r_ax.get_ylabel() == "R_eff / Ω cm²"
    assert ratio_ax.get_ylabel() == "i_max / i_mean"
    assert ratio_ax.get_xlabel() == "Contact fraction"
    (r_eff,) = _by_gid(r_ax, "sweep-R_eff")
    assert list(r_eff.get_xdata()) == [0.25, 0.5, 1.0]  # in order of the value
    assert r_eff.get_ydata()[-1] == pytest.approx(sweep.results[0].R_eff_ohm_cm2)
    (uniform,) = _by_gid(r_ax, "sweep-R_uniform")
    assert np.allclose(uniform.get_ydata(), 5e-4 / 1e-3)  # L / kappa
    (ratio,) = _by_gid(ratio_ax, "sweep-max_mean")
    assert len(ratio.get_xdata()) == 3


def test_wrong_result_is_refused(strips):
    with pytest.raises(ValidationError):
        sweep_figure(strips)


def test_plot_writes_png_and_svg(strips, tmp_path):
    paths = plot_interface(strips, tmp_path / "case")
    assert [p.name for p in paths] == ["case.png", "case.svg"] and all(p.stat().st_size > 0 for p in paths)


def test_cli_figure_option(tmp_path, capsys):
    target = tmp_path / "sweep"
    assert main(["sim", "interface", "--geometry", "strips", "--contact-fraction", "0.5", "--thickness-um", "5",
                 "--kappa-S-cm", "1e-3", "--elements", "500", "--sweep", "contact-fraction", "--values", "0.5,1",
                 "--figure", str(target)]) == 0
    assert (tmp_path / "sweep.png").exists() and (tmp_path / "sweep.svg").exists()
    assert "sweep.png" in capsys.readouterr().err


def test_tertiary_figure_draws_the_concentration_map():
    from anodelab.sim.interface import Electrolyte

    electrolyte = Electrolyte(1.0, 3e-6, 0.4)
    result = simulate_interface(Strips(0.3, 10.0, 10.0), kappa_S_cm=1e-2, kinetics="bv", current_mA_cm2=-200.0,
                                transport="nernst-planck", electrolyte=electrolyte, elements=ELEMENTS)
    figure = interface_figure(result)
    concentration_ax = figure.axes[2]
    assert concentration_ax.get_title(loc="left") == "c"
    assert concentration_ax.get_xlabel() == "x / µm" and concentration_ax.get_ylabel() == "y / µm"
    (faces,) = _by_gid(concentration_ax, "interface-concentration")
    shown = faces.get_array()
    assert shown.size == result.elements
    np.testing.assert_allclose(np.asarray(shown), result.concentration.element_theta * 1.0)
    assert type(faces.norm).__name__ == "Normalize"  # linear: concentrations are not spread over decades
    assert faces.norm.vmin == pytest.approx(np.min(result.concentration.element_theta))
    bars = [ax for ax in figure.axes if ax.get_ylabel() == "c / mol L⁻¹"]
    (bar,) = bars
    (c0,) = _by_gid(bar, "concentration-c0")
    assert np.allclose(c0.get_ydata(), 1.0)  # c0 marked on the bar
    assert _by_gid(concentration_ax, "interface-contact") and _by_gid(concentration_ax, "interface-gap")
    # the map from the binned table when the mesh cannot be rebuilt
    bare = interface_figure(dataclasses.replace(result, parameters={}))
    (binned,) = _by_gid(bare.axes[2], "interface-concentration")
    assert binned.get_array().size == result.tables()["concentration"]["c_mol_L"].size


def test_coated_protrusion_draws_its_layer_and_the_metals_current():
    coating = Interlayer(0.3, 1e-1)
    result = simulate_interface(Protrusion(4.0, 1.0, 8.0, shape="needle", cell_radius_um=4.0, interlayer=coating),
                                kappa_S_cm=1e-2, kinetics="linear", i0_mA_cm2=100.0, elements=ELEMENTS)
    figure = interface_figure(result)
    current_ax, field_ax = figure.axes[:2]
    (metal_line,) = _by_gid(current_ax, "interface-metal-current")
    finite = np.isfinite(metal_line.get_ydata())
    assert np.nanmax(metal_line.get_ydata()) == pytest.approx(result.metal_max_mean_ratio)
    assert finite.sum() == result.metal["ratio"].size
    assert any("at the metal" in t.get_text() for t in current_ax.get_legend().get_texts())
    # the layer's top: 0.3 um off the needle (a cylinder of radius 1 with a hemispherical tip, apex at 4)
    (top,) = _by_gid(field_ax, "interface-interlayer")
    points = np.concatenate(top.get_segments())
    x, y = points[:, 0], points[:, 1]
    tip = y > 3.0
    np.testing.assert_allclose(np.hypot(x[tip], y[tip] - 3.0), 1.3, rtol=1e-6)  # the tip's offset
    side = (y > 0.3 + 1e-9) & (y < 3.0)
    np.testing.assert_allclose(x[side], 1.3, rtol=1e-9)  # the side's offset
    plane = x > 1.3 + 1e-9
    np.testing.assert_allclose(y[plane], 0.3, rtol=1e-9)  # the plane's offset
    assert field_ax.get_xlabel() == "r / µm"
