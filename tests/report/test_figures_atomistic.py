"""The NEB figure (report.figures.atomistic): what it draws, on the EMT hop of Au on Al(100)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ase")
pytest.importorskip("matplotlib")

from ase.build import add_adsorbate, fcc100
from ase.constraints import FixAtoms
from matplotlib.patches import Circle

from anodelab.core.errors import ValidationError
from anodelab.report.figures.atomistic import moving_atom, neb_figure, plot_neb
from anodelab.sim.atomistic import neb, relax


@pytest.fixture(scope="module")
def hop():
    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.set_constraint(FixAtoms(mask=[atom.tag > 1 for atom in slab]))
    final = slab.copy()
    final[-1].x += slab.get_cell()[0, 0] / 2
    return neb(slab, final, "emt", n_images=3)


def _by_gid(ax, gid):
    return [artist for artist in ax.get_children() if artist.get_gid() == gid]


def test_profile_marks_images_saddle_and_barrier(hop):
    figure = neb_figure(hop)
    profile, *structures = figure.axes
    assert len(structures) == 3
    assert profile.get_xlabel() == "Reaction coordinate / Å"
    assert profile.get_ylabel() == "E − E_initial / eV"
    (path,) = _by_gid(profile, "neb-path")
    assert np.allclose(path.get_xdata(), hop.coordinate_A) and np.allclose(path.get_ydata(), hop.path_energy_eV)
    assert path.get_marker() == "o" and len(path.get_xdata()) == 5
    (saddle,) = _by_gid(profile, "neb-saddle")
    assert saddle.get_xdata()[0] == pytest.approx(hop.coordinate_A[hop.saddle_index])
    assert saddle.get_ydata()[0] == pytest.approx(hop.barrier_eV)
    (arrow,) = _by_gid(profile, "neb-barrier")
    assert arrow.xy[1] == pytest.approx(hop.barrier_eV) and arrow.xyann[1] == 0.0
    (text,) = _by_gid(profile, "neb-barrier-label")
    assert f"{hop.barrier_eV:.3f} eV" in text.get_text()


def test_structure_panels_draw_every_atom_and_colour_the_mover(hop):
    figure = neb_figure(hop)
    titles = [ax.get_title() for ax in figure.axes[1:]]
    assert titles == ["Initial", f"Saddle (image {hop.saddle_index})", "Final"]
    assert moving_atom(hop.images[0], hop.images[-1]) == 12  # the Au
    for ax in figure.axes[1:]:
        atoms = [patch for patch in ax.patches if isinstance(patch, Circle)]
        assert len(atoms) == 13
        assert not ax.axison


def test_plot_neb_writes_png_and_svg(hop, tmp_path):
    paths = plot_neb(hop, tmp_path / "hop")
    assert [p.name for p in paths] == ["hop.png", "hop.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_other_results_are_refused():
    slab = fcc100("Al", size=(1, 1, 2), vacuum=4.0)
    with pytest.raises(ValidationError, match="neb_figure draws a NEBResult"):
        neb_figure(relax(slab, "emt"))
