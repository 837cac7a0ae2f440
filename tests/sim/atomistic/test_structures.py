"""Geometry of the structure builders against closed forms: site distances, stoichiometry, strains, Sigma."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import fcc100, fcc111, hcp0001
from ase.geometry import get_distances
from ase.neighborlist import neighbor_list

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import structures as st

A_SI = st.EXPERIMENTAL["Si"].a_A


def shells(atoms, point, n):
    """The ``n`` nearest distances from ``point`` to the atoms of ``atoms`` (minimum image)."""
    _, d = get_distances(np.reshape(point, (1, 3)), atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    return np.sort(d[0])[:n]


def coordination(atoms, cutoff):
    i = neighbor_list("i", atoms, cutoff)
    return np.bincount(i, minlength=len(atoms))


# ------------------------------------------------------------------------------------------------ bulk


@pytest.mark.parametrize(("material", "cubic", "formula", "n"), [
    ("Si", True, "Si8", 8), ("Si", False, "Si2", 2), ("Li15Si4", True, "Li60Si16", 76),
    ("Li15Si4", False, "Li30Si8", 38), ("ZnO", False, "O2Zn2", 4), ("LiF", True, "F4Li4", 8),
    ("Li3N", False, "Li3N", 4), ("Ag", False, "Ag", 1), ("Zn", False, "Zn2", 2), ("Na", True, "Na2", 2),
])
def test_bulk_stoichiometry(material, cubic, formula, n):
    atoms = st.bulk(material, cubic=cubic)
    assert atoms.get_chemical_formula() == formula
    assert len(atoms) == n


def test_bulk_nearest_neighbours_are_the_closed_forms():
    si = st.bulk("Si", cubic=True).repeat(2)
    assert shells(si, si.positions[0], 5)[1:] == pytest.approx([math.sqrt(3) / 4 * A_SI] * 4)
    lif = st.bulk("LiF", cubic=True).repeat(2)
    assert shells(lif, lif.positions[0], 7)[1:] == pytest.approx([4.027 / 2] * 6)
    a, c = st.EXPERIMENTAL["Li3N"].a_A, st.EXPERIMENTAL["Li3N"].c_A
    li3n = st.bulk("Li3N").repeat((2, 2, 2))
    n_index = li3n.get_chemical_symbols().index("N")
    # N: two Li(1) along c at c/2, six Li(2) in the Li2N plane at a/sqrt(3)
    assert shells(li3n, li3n.positions[n_index], 9)[1:] == pytest.approx([c / 2] * 2 + [a / math.sqrt(3)] * 6)
    zno = st.bulk("ZnO")
    cz = st.EXPERIMENTAL["ZnO"].c_A
    zn, o = zno.positions[0], zno.positions[2]
    assert abs(o[2] - zn[2]) == pytest.approx(st.ZNO_U * cz)  # the bond along c is u c
    na = st.bulk("Na", cubic=True).repeat(2)
    assert shells(na, na.positions[0], 9)[1:] == pytest.approx([math.sqrt(3) / 2 * 4.291] * 8)


def test_li15si4_has_isolated_si_in_twelve_li():
    atoms = st.bulk("Li15Si4", cubic=True)
    symbols = np.array(atoms.get_chemical_symbols())
    i, j = neighbor_list("ij", atoms, 3.0)
    for k in np.nonzero(symbols == "Si")[0]:
        around = symbols[j[i == k]]
        assert list(around).count("Li") == 12 and "Si" not in around
    assert atoms.cell.lengths() == pytest.approx([10.685] * 3)


def test_lattice_can_be_replaced_and_is_checked():
    scaled = st.bulk("Si", st.Lattice(5.0, None, "test"), cubic=True)
    assert scaled.cell.lengths() == pytest.approx([5.0] * 3)
    with pytest.raises(ValidationError, match="c_A"):
        st.bulk("ZnO", st.Lattice(3.2))
    with pytest.raises(ValidationError, match="unknown material"):
        st.bulk("GaAs")


def test_model_lattice_is_at_zero_pressure():
    lattice = st.model_lattice("Cu", "emt")
    atoms = st.bulk("Cu", lattice)
    from ase.calculators.emt import EMT

    atoms.calc = EMT()
    pressure_GPa = -np.trace(atoms.get_stress(voigt=False)) / 3 * 160.21766
    assert abs(pressure_GPa) < 0.05
    assert "emt" in lattice.source


# ---------------------------------------------------------------------------------------- interstitials


@pytest.mark.parametrize(("site", "per_atom", "distances"), [
    ("Td", 1, [math.sqrt(3) / 4] * 4 + [0.5] * 6),
    ("Hex", 2, [math.sqrt(11) / 8] * 6),
    ("BC", 2, [math.sqrt(3) / 8] * 2),
])
def test_diamond_sites_counts_and_shells(site, per_atom, distances):
    si = st.bulk("Si", cubic=True).repeat(2)
    sites = st.interstitial_sites(si, site)
    assert len(sites) == per_atom * len(si)
    for point in sites[:: max(1, len(sites) // 7)]:
        assert shells(si, point, len(distances)) == pytest.approx(np.array(distances) * A_SI, abs=1e-6)


def test_sites_do_not_depend_on_cell_choice_or_orientation():
    """The primitive cell, and a rotated, translated supercell, give the same site shells."""
    primitive = st.bulk("Si")
    assert len(st.interstitial_sites(primitive, "Td")) == 2
    rotated = st.bulk("Si", cubic=True).repeat((2, 1, 1))
    rotated.rotate(37.0, (1, 2, 3), rotate_cell=True)
    rotated.translate((0.3, -0.2, 0.7))
    rotated.wrap()
    for point in st.interstitial_sites(rotated, "Hex"):
        assert shells(rotated, point, 7) == pytest.approx([math.sqrt(11) / 8 * A_SI] * 6 + [shells(rotated, point, 7)[6]])
        assert shells(rotated, point, 7)[6] > 0.45 * A_SI


def test_td_hop_crosses_a_hex_site():
    si = st.bulk("Si", cubic=True).repeat(2)
    initial, final = st.interstitial_hop(si, "Li", "Td")
    assert len(initial) == len(final) == 65 and initial[-1].symbol == "Li"
    start, end = initial.positions[-1], final.positions[-1]
    assert np.linalg.norm(end - start) == pytest.approx(math.sqrt(3) / 4 * A_SI)
    assert shells(si, (start + end) / 2, 6) == pytest.approx([math.sqrt(11) / 8 * A_SI] * 6)
    assert np.allclose(initial.positions[:-1], final.positions[:-1])
    # the initial site is the one nearest the cell centre
    centre = si.cell.cartesian_positions([0.5, 0.5, 0.5])
    all_td = st.interstitial_sites(si, "Td")
    assert np.linalg.norm(start - centre) == pytest.approx(np.min(np.linalg.norm(all_td - centre, axis=1)))


def test_interstitial_needs_a_diamond_lattice():
    with pytest.raises(ValidationError, match="four bonds"):
        st.interstitial_sites(st.bulk("Cu", cubic=True), "Td")
    with pytest.raises(ValidationError, match="site"):
        st.interstitial(st.bulk("Si"), "Li", "Oct")


def test_vacancy_hop_keeps_the_order():
    lif = st.bulk("LiF", cubic=True).repeat(2)
    initial, final = st.vacancy_hop(lif, 0, 4)
    assert len(initial) == len(final) == len(lif) - 1
    assert initial.get_chemical_symbols() == final.get_chemical_symbols()
    moved = np.nonzero(np.linalg.norm(final.positions - initial.positions, axis=1) > 1e-9)[0]
    assert moved.tolist() == [3]
    _, d = get_distances(final.positions[3], lif.positions[0], cell=lif.cell, pbc=True)
    assert d[0, 0] < 1e-9
    with pytest.raises(ValidationError, match="like atom"):
        st.vacancy_hop(lif, 0, lif.get_chemical_symbols().index("F"))


# ------------------------------------------------------------------------------------------------ slabs


def test_si111_is_cut_between_bilayers():
    slab = st.si_slab("111", size=(2, 2), layers=8)
    assert len(slab) == 32
    planes = st.atomic_planes(slab)
    z = [slab.positions[p, 2].mean() for p in planes]
    gaps = np.diff(z)
    assert gaps[0::2] == pytest.approx([math.sqrt(3) / 12 * A_SI] * 4)  # within a bilayer
    assert gaps[1::2] == pytest.approx([math.sqrt(3) / 4 * A_SI] * 3)   # the bond between bilayers
    counts = coordination(slab, 2.6)
    assert set(counts[planes[0]]) == set(counts[planes[-1]]) == {3}  # one dangling bond per surface atom
    assert set(counts[np.concatenate(planes[1:-1])]) == {4}
    assert slab.cell.lengths()[:2] == pytest.approx([2 * A_SI / math.sqrt(2)] * 2)


@pytest.mark.parametrize(("facet", "hydrogens_per_atom"), [("111", 1), ("100", 2)])
def test_passivation_puts_h_on_the_lower_dangling_bonds(facet, hydrogens_per_atom):
    slab = st.si_slab(facet, size=(2, 2), layers=8, passivate_bottom=True, fixed_layers=2)
    symbols = np.array(slab.get_chemical_symbols())
    bottom_si = 4
    assert (symbols == "H").sum() == hydrogens_per_atom * bottom_si
    i, j, d = neighbor_list("ijd", slab, 1.6)
    h_bonds = d[(symbols[i] == "H") & (symbols[j] == "Si")]
    assert h_bonds == pytest.approx([st.SI_H_BOND_A] * (hydrogens_per_atom * bottom_si))
    assert slab.positions[symbols == "H", 2].max() < slab.positions[symbols == "Si", 2].min()
    counts = coordination(slab, 2.6)
    assert set(counts[symbols == "Si"][slab.positions[symbols == "Si", 2] < slab.positions[:, 2].min() + 2.0]) == {4}
    fixed = slab.constraints[0].index
    assert set(symbols[fixed]) == {"H", "Si"}


def test_si100_surface_atoms_have_two_dangling_bonds():
    slab = st.si_slab("100", size=(1, 1), layers=8)
    planes = st.atomic_planes(slab)
    counts = coordination(slab, 2.6)
    assert set(counts[planes[0]]) == set(counts[planes[-1]]) == {2}
    assert np.diff([slab.positions[p, 2].mean() for p in planes]) == pytest.approx([A_SI / 4] * 7)


def test_slab_arguments_are_checked():
    with pytest.raises(ValidationError, match="even"):
        st.si_slab("111", layers=5)
    with pytest.raises(ValidationError, match="facets"):
        st.metal_slab("Ag", "0001")
    with pytest.raises(ValidationError, match="fix"):
        st.metal_slab("Ag", "100", layers=3, fixed_layers=3)


def test_metal_and_oxide_slab_cells():
    a, c = st.EXPERIMENTAL["Zn"].a_A, st.EXPERIMENTAL["Zn"].c_A
    zn = st.metal_slab("Zn", "10-11", size=(1, 1), layers=4)
    # the (10-11) plane holds the lattice vectors a2 (length a) and a1 - a3 (length sqrt(a^2 + c^2))
    assert sorted(zn.cell.lengths()[:2]) == pytest.approx(sorted([a, math.hypot(a, c)]))
    assert len(zn) == 8
    ag = st.metal_slab("Ag", "100", size=(3, 3), layers=4, fixed_layers=2)
    assert len(ag) == 36 and len(ag.constraints[0].index) == 18
    assert ag.cell.lengths()[:2] == pytest.approx([3 * 4.086 / math.sqrt(2)] * 2)
    zno = st.zno_slab("0001", size=(2, 2), layers=4)
    assert zno.get_chemical_formula() == "O16Zn16"
    assert zno.cell.lengths()[:2] == pytest.approx([2 * 3.250] * 2)
    side = st.zno_slab("10-10", size=(1, 1), layers=2)
    assert side.get_chemical_formula() == "O4Zn4"
    assert sorted(side.cell.lengths()[:2]) == pytest.approx([3.250, 5.207])


@pytest.mark.parametrize(("facet", "layers"), [("0001", 3), ("0001", 4), ("10-10", 3)])
def test_zno_surface_atoms_keep_three_bonds(facet, layers):
    slab = st.zno_slab(facet, size=(2, 2), layers=layers)
    planes = st.atomic_planes(slab)
    counts = coordination(slab, 2.2)
    outer = np.concatenate([planes[0], planes[-1]])
    assert set(counts[outer]) == {3}
    assert set(np.delete(counts, outer)) == {4}
    if facet == "0001":  # Zn on top, O below
        assert set(slab.symbols[planes[-1]]) == {"Zn"} and set(slab.symbols[planes[0]]) == {"O"}


# --------------------------------------------------------------------------------------------- adsorbates


def profile(slab, xy, depth_A=0.5):
    """Sorted in-plane distances from a point to the top two layers' atoms (periodic): a site's signature."""
    z = slab.positions[:, 2]
    out = []
    for low, high in ((z.max() - depth_A, np.inf), (z[z <= z.max() - depth_A].max() - depth_A, z.max() - depth_A)):
        layer = slab.positions[(z > low) & (z <= high)]
        flat = layer.copy()
        flat[:, 2] = 0
        point = np.array([xy[0], xy[1], 0.0])
        _, d = get_distances(point.reshape(1, 3), flat, cell=slab.cell, pbc=(True, True, False))
        out.append(np.round(np.sort(d[0])[:4], 6))
    return out


@pytest.mark.parametrize(("builder", "kwargs"), [
    (fcc100, {"symbol": "Ag", "a": 4.086}), (fcc111, {"symbol": "Cu", "a": 3.615}),
    (hcp0001, {"symbol": "Zn", "a": 2.665, "c": 4.947}),
])
def test_sites_match_ase_site_tables(builder, kwargs):
    """Each site found from the geometry is equivalent to the one ASE's builders tabulate."""
    slab = builder(size=(2, 2, 3), vacuum=8.0, **kwargs)
    info = slab.info["adsorbate_info"]
    ours = st.surface_sites(slab)
    for name, fractional in info["sites"].items():
        mine = ours["top" if name == "ontop" else name]
        theirs = np.array(fractional) @ info["cell"]
        for a, b in zip(profile(slab, mine), profile(slab, theirs)):
            assert a == pytest.approx(b, abs=1e-3)
    assert set(ours) == {"top", "bridge", "hollow"} | ({"fcc", "hcp"} if builder is not fcc100 else set())


def test_si111_hollows_and_hop():
    slab = st.si_slab("111", size=(2, 2), layers=8, passivate_bottom=True, fixed_layers=3)
    a_surface = A_SI / math.sqrt(2)
    sites = st.surface_sites(slab)
    top = slab.positions[slab.positions[:, 2] > slab.positions[:, 2].max() - 0.5]
    for kind in ("fcc", "hcp"):
        point = np.array([*sites[kind], top[0, 2]])
        assert shells(top_only(slab), point, 3) == pytest.approx([a_surface / math.sqrt(3)] * 3)
    initial, final = st.adsorbate_hop(slab, "Li", "fcc", "hcp", height_A=1.6)
    assert np.linalg.norm(final.positions[-1] - initial.positions[-1]) == pytest.approx(a_surface / math.sqrt(3))
    assert initial.positions[-1, 2] == pytest.approx(slab.positions[:, 2].max() + 1.6)
    assert len(initial.constraints[0].index) == 4 + 8


def top_only(slab):
    keep = slab.positions[:, 2] > slab.positions[:, 2].max() - 0.5
    return slab[np.nonzero(keep)[0].tolist()]


def test_adsorb_rejects_missing_sites():
    slab = st.metal_slab("Ag", "100", size=(2, 2), layers=3)
    with pytest.raises(ValidationError, match="sites"):
        st.adsorb(slab, "Na", "fcc")
    with pytest.raises(ValidationError, match="height_A"):
        st.adsorb(slab, "Na", "hollow", height_A=-1.0)


def test_void_sites_of_a_square_net():
    from ase import Atoms

    a = 3.0
    net = Atoms("Cu4", positions=[(0, 0, 5), (a, 0, 5), (0, a, 5), (a, a, 5)], cell=(2 * a, 2 * a, 10),
                pbc=(True, True, False))
    centres, radii = st.void_sites(net, z_A=5.0, grid_A=0.1)
    assert radii[0] == pytest.approx(a / math.sqrt(2), abs=1e-6)
    assert len(centres[np.abs(radii - radii[0]) < 1e-6]) == 4
    initial, final = st.void_hop(net, "Li", z_A=5.0, grid_A=0.1)
    assert np.linalg.norm(final.positions[-1] - initial.positions[-1]) == pytest.approx(a)


# --------------------------------------------------------------------------------------- heterointerfaces


def si_zno():
    return st.si_slab("111", size=(1, 1), layers=4), st.zno_slab("0001", size=(1, 1), layers=2)


def test_si_zno_match_is_sqrt3_on_2x2():
    si, zno = si_zno()
    match = st.match_supercells(si, zno, max_atoms=60)
    length_si = math.sqrt(3) * A_SI / math.sqrt(2)
    length_zno = 2 * st.EXPERIMENTAL["ZnO"].a_A
    assert match.strain_b == pytest.approx(length_si / length_zno - 1)
    assert match.strain_a == pytest.approx(1 - length_zno / length_si)
    assert match.stretches_b == pytest.approx((length_si / length_zno,) * 2)
    assert match.n_atoms == 3 * len(si) + 4 * len(zno)
    assert match.area_A2 == pytest.approx(math.sqrt(3) / 2 * length_si**2)


def test_match_is_rotation_free_and_finds_exact_multiples():
    si, zno = si_zno()
    turned = zno.copy()
    turned.rotate(23.0, "z", rotate_cell=True)
    assert st.match_supercells(si, turned, max_atoms=60).strain_b == pytest.approx(
        st.match_supercells(si, zno, max_atoms=60).strain_b)
    small = st.metal_slab("Ag", "100", size=(1, 1), layers=2)
    big = st.metal_slab("Ag", "100", size=(2, 2), layers=2)
    exact = st.match_supercells(big, small, max_atoms=40)
    assert exact.strain_b == pytest.approx(0.0, abs=1e-9)
    assert exact.n_atoms == len(big) + 4 * len(small)
    with pytest.raises(ValidationError, match="max_atoms"):
        st.match_supercells(si, zno, max_atoms=20, max_strain=0.01)


def test_heterointerface_strains_one_side():
    si, zno = si_zno()
    parts, match = st.heterointerface(si, zno, max_atoms=60, gap_A=2.0, vacuum_A=10.0)
    a, b, ab = parts["a"], parts["b"], parts["ab"]
    assert np.allclose(a.cell[:], ab.cell[:]) and np.allclose(b.cell[:], ab.cell[:])
    assert ab.get_chemical_formula() == "O8Si12Zn8"
    assert set(b.symbols[b.positions[:, 2] < b.positions[:, 2].min() + 0.1]) == {"O"}  # O faces Si
    assert np.allclose(ab.positions, np.vstack([a.positions, b.positions]))
    assert b.positions[:, 2].min() - a.positions[:, 2].max() == pytest.approx(2.0)
    # Zn-Zn in the strained ZnO plane: a_ZnO (1 + strain); Si untouched
    zn = b[[k for k, s in enumerate(b.get_chemical_symbols()) if s == "Zn"]]
    lowest = zn[np.nonzero(zn.positions[:, 2] < zn.positions[:, 2].min() + 0.1)[0].tolist()]
    assert shells(lowest, lowest.positions[0], 2)[1] == pytest.approx(3.250 * (1 + match.strain_b))
    assert shells(a, a.positions[0], 2)[1] == pytest.approx(math.sqrt(3) / 4 * A_SI)
    parts_a, _ = st.heterointerface(si, zno, max_atoms=60, strained="a")
    assert parts_a["a"].cell.lengths()[0] == pytest.approx(2 * 3.250)


# -------------------------------------------------------------------------------------- grain boundaries


def mirror_sigma(lattice, normal, n_box):
    """Sigma of the mirror through the plane of ``normal``: the fraction of lattice points whose image is a
    lattice point, over a box of lattice coordinates whose size is a multiple of the period."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    points = np.array(list(itertools.product(range(n_box), repeat=len(lattice)))) @ lattice
    images = points - 2 * np.outer(points @ n, n)
    fractional = np.linalg.solve(lattice.T, images.T).T
    return len(points) / np.all(np.abs(fractional - np.round(fractional)) < 1e-6, axis=1).sum()


def test_mirror_planes_are_sigma5_and_sigma7():
    fcc = np.array([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    assert mirror_sigma(fcc, (3, 1, 0), 20) == pytest.approx(5.0)
    hexagonal = np.array([[1.0, 0.0], [-0.5, math.sqrt(3) / 2]])
    reciprocal = np.linalg.inv(hexagonal).T
    assert mirror_sigma(hexagonal, reciprocal[0] + 2 * reciprocal[1], 84) == pytest.approx(7.0)


def test_lif_sigma5_bicrystal():
    a = 4.027
    gb = st.lif_grain_boundary(layers=6, size=(1, 1))
    assert gb.cell.lengths()[:2] == pytest.approx([a * math.sqrt(10) / 2, a])  # [-1 3 0]/2 and [001]
    assert gb.cell.lengths()[2] == pytest.approx(2 * 6 * a / math.sqrt(10))
    assert gb.symbols.formula.reduce()[0] == "LiF"
    _, d = get_distances(gb.positions, cell=gb.cell, pbc=True)
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 0.7 * a / 2
    tags = gb.get_tags()
    assert set(tags) == {1, 2}
    # grain 2 is grain 1 mirrored through z = thickness
    thickness = gb.cell[2, 2] / 2
    grain1, grain2 = gb.positions[tags == 1], gb.positions[tags == 2]
    mirrored = grain2.copy()
    mirrored[:, 2] = 2 * thickness - mirrored[:, 2]
    _, dm = get_distances(mirrored, grain1, cell=gb.cell, pbc=True)
    assert dm.min(axis=1).max() < 1e-6


def test_li3n_sigma7_bicrystal():
    a, c = st.EXPERIMENTAL["Li3N"].a_A, st.EXPERIMENTAL["Li3N"].c_A
    gb = st.li3n_grain_boundary(layers=4, size=(1, 1))
    assert sorted(gb.cell.lengths()[:2]) == pytest.approx(sorted([math.sqrt(7) * a, c]))
    assert gb.symbols.formula.reduce()[0] == "Li3N"
