"""Random contact layouts, protrusion shapes (half spheroids, needles) and conformal coatings on
protrusions and profiles, against closed forms and exact comparisons.

Closed forms and the facts used:
- an isolated equipotential strip of half-width a at the bottom of a slab of thickness L (equipotential
  top, insulating bottom elsewhere) has, per unit depth, R1 = 2 K(k) / (kappa K(k')) with
  (1 + k)^2 / (4 k) = exp(2 pi a / L): the map exp(pi z / L) takes the slab to a half plane and the
  strip and counter to two segments whose cross-ratio fixes k (Schwarz-Christoffel to a rectangle);
  n spots far apart (gaps >> L: interactions decay as exp(-pi d / 2 L)) in a window W conduct in
  parallel, R_eff = W R1 / n;
- a perfectly conducting half spheroid (semi-axes h along the field, r across) on a conducting plane in
  a uniform field: tip field E0 / n, n = ((1 - e^2) / e^3)(artanh e - e), e^2 = 1 - r^2 / h^2 (the
  depolarisation factor); a half elliptic cylinder (2-D): 1 + h / r;
- comparison (maximum principle): of two grounded conductors sharing their apex, the one inside the
  other has the higher field there; the half spheroid (h, r) lies inside the needle (h, r), which lies
  inside the half spheroid (h, sqrt(r h)): their fields bound the needle's tip.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ellipk, ellipkm1

from anodelab.core.errors import ValidationError
from anodelab.sim.interface import (
    Interlayer,
    Profile,
    Protrusion,
    Strips,
    simulate_interface,
    sweep_interface,
)

pytest.importorskip("skfem")

KAPPA = 1e-2


def isolated_strip_ohm_cm(a_um, L_um, kappa):
    X = math.exp(2 * math.pi * a_um / L_um)
    k = 1 / (2 * X - 1 + math.sqrt((2 * X - 1) ** 2 - 1))  # the root of (1 + k)^2 = 4 k X below 1
    return 2 * ellipk(k * k) / (kappa * ellipkm1(k * k))


def spheroid_enhancement(aspect):
    e = math.sqrt(1 - 1 / aspect**2)
    return e**3 / ((1 - e * e) * (math.atanh(e) - e))


# -- random contact layouts -----------------------------------------------------------------------------


def test_random_spots_are_seeded_non_overlapping_and_give_the_contact_fraction():
    layout = Strips(0.2, 50.0, 5.0, layout="random", seed=7, spot_um=1.0)
    spots = layout.spots_um()
    assert spots.shape == (10, 2) and np.all(np.diff(spots, axis=1) == pytest.approx(1.0))
    assert np.all(spots[1:, 0] > spots[:-1, 1]) and spots[0, 0] >= 0 and spots[-1, 1] <= 50.0
    np.testing.assert_array_equal(spots, Strips(0.2, 50.0, 5.0, layout="random", seed=7, spot_um=1.0).spots_um())
    assert not np.array_equal(spots, Strips(0.2, 50.0, 5.0, layout="random", seed=8, spot_um=1.0).spots_um())
    grid = layout.mesh(2000)
    a, b = grid.points_cm[0, grid.edges["contact"]] * 1e4
    assert np.sum(b - a) == pytest.approx(0.2 * 50.0)  # the contact edges cover the spots exactly
    for bad in ({"spot_um": None}, {"seed": -1}, {"spot_um": 20.0}):
        with pytest.raises(ValidationError):
            Strips(0.2, 50.0, 5.0, **{"layout": "random", "seed": 1, "spot_um": 1.0, **bad})
    with pytest.raises(ValidationError, match="layout"):
        Strips(0.2, 50.0, 5.0, seed=1)


def test_far_apart_spots_conduct_as_isolated_strips_in_parallel():
    L_um, W_um, spot_um = 5.0, 400.0, 2.0
    layout = Strips(0.02, W_um, L_um, layout="random", seed=3, spot_um=spot_um)
    spots = layout.spots_um()
    gaps = spots[1:, 0] - spots[:-1, 1]
    assert gaps.min() > 6 * L_um and 2 * min(spots[0, 0], W_um - spots[-1, 1]) > 6 * L_um  # mirror images too
    r = simulate_interface(layout, kappa_S_cm=KAPPA, elements=16000, order=2)
    expected = W_um * 1e-4 * isolated_strip_ohm_cm(spot_um / 2, L_um, KAPPA) / layout.spot_count
    assert r.R_eff_ohm_cm2 == pytest.approx(expected, rel=1e-3)


def test_seeds_give_a_spread_whose_mean_rises_as_contact_falls_and_clustering_costs():
    seeds = list(range(6))
    means = []
    for f in (0.4, 0.2, 0.1):
        sweep = sweep_interface(Strips(f, 40.0, 5.0, layout="random", seed=0, spot_um=1.0), "seed", seeds,
                                kappa_S_cm=KAPPA, elements=2000)
        mean, std = sweep.spread()
        values = sweep.tables()["sweep"]["R_eff_ohm_cm2"]
        assert mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values, ddof=1)) and std > 0
        assert {m.name for m in sweep.metrics()} >= {"R_eff_mean", "R_eff_std"}
        means.append(mean)
        if f == 0.2:  # 8 spots of 1 um in 40 um: evenly spread < every random layout < all in one block
            n = Strips(f, 40.0, 5.0, layout="random", seed=0, spot_um=1.0).spot_count
            spread = simulate_interface(Strips(f, 40.0 / n, 5.0), kappa_S_cm=KAPPA, elements=2000).R_eff_ohm_cm2
            block = simulate_interface(Strips(f, 80.0, 5.0), kappa_S_cm=KAPPA, elements=2000).R_eff_ohm_cm2
            assert np.all(spread < values) and np.all(values < block)
    assert means[0] < means[1] < means[2]


# -- protrusion shapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "aspect", "axisymmetric", "elements"), [
    ("hemisphere", 1.0, True, 4000), ("hemisphere", 1.0, False, 4000),
    ("spheroid", 3.0, True, 4000), ("spheroid", 3.0, False, 4000), ("spheroid", 6.0, False, 6000),
])
def test_tip_enhancement_of_half_spheroids_and_cylinders_in_a_uniform_field(shape, aspect, axisymmetric, elements):
    h = aspect  # radius 1 um; the cell 20 heights wide and tall: the field far from it uniform
    r = simulate_interface(Protrusion(h, 1.0, 20 * h, shape=shape, cell_radius_um=20 * h, axisymmetric=axisymmetric),
                           kappa_S_cm=KAPPA, elements=elements)
    if axisymmetric:
        expected = 3.0 if aspect == 1.0 else spheroid_enhancement(aspect)
    else:
        expected = 1.0 + aspect
    assert r.tip_current_ratio == pytest.approx(expected, rel=1e-2)
    assert r.current_conservation_rel < 1e-9


def test_needle_tip_enhancement_grows_with_aspect_ratio_between_the_spheroid_bounds():
    tips = []
    for aspect in (2.0, 5.0, 15.0):
        r = simulate_interface(Protrusion(aspect, 1.0, 20 * aspect, shape="needle", cell_radius_um=20 * aspect),
                               kappa_S_cm=KAPPA, elements=4000)
        tips.append(r.tip_current_ratio)
        assert spheroid_enhancement(math.sqrt(aspect)) < r.tip_current_ratio < spheroid_enhancement(aspect)
        apex = r.interface["y_um"][0]
        assert apex == pytest.approx(aspect) and r.interface["x_um"][0] == 0.0
    assert tips[0] < tips[1] < tips[2]
    with pytest.raises(ValidationError, match="height"):
        Protrusion(1.0, 1.0, 20.0, shape="needle")  # no cylinder: that is a hemisphere


# -- coatings on protrusions and profiles ----------------------------------------------------------------


@pytest.mark.parametrize("shape", ["hemisphere", "needle", "gaussian"])
def test_a_coating_of_the_electrolytes_conductivity_is_the_uncoated_case(shape):
    h, t = (4.0 if shape == "needle" else 1.0), 0.2
    kw = {"kappa_S_cm": KAPPA, "kinetics": "linear", "i0_mA_cm2": 1e3, "elements": 5000}
    bare = simulate_interface(Protrusion(h, 1.0, 10 * h + t, shape=shape), **kw)  # the counter as far from the metal
    coated = simulate_interface(Protrusion(h, 1.0, 10 * h, shape=shape, interlayer=Interlayer(t, KAPPA)), **kw)
    assert coated.R_eff_ohm_cm2 == pytest.approx(bare.R_eff_ohm_cm2, rel=2e-4)
    assert coated.metal_max_mean_ratio == pytest.approx(bare.max_mean_ratio, rel=2e-3)
    assert coated.R_uniform_ohm_cm2 == pytest.approx(bare.R_uniform_ohm_cm2, rel=1e-12)
    # the layer follows the surface: its top lies t from the metal along the normals
    grid = Protrusion(h, 1.0, 10 * h, shape=shape, interlayer=Interlayer(t, KAPPA)).mesh(5000)
    top = np.unique(grid.edges["interlayer_top"])
    metal = grid.points_cm[:, np.unique(grid.edges["contact"])]
    distance = np.min(np.hypot(*(grid.points_cm[:, top, None] - metal[:, None, :])), axis=1) * 1e4
    assert np.percentile(distance, 90) == pytest.approx(t, rel=0.02)


def test_a_highly_ion_conducting_coating_evens_out_deposition_on_the_metal():
    ratios = [simulate_interface(Protrusion(4.0, 1.0, 40.0, shape="needle", interlayer=Interlayer(0.2, k)),
                                 kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=1e3, elements=4000).metal_max_mean_ratio
              for k in (KAPPA, 10 * KAPPA, 1e4 * KAPPA)]
    assert ratios[0] > ratios[1] > ratios[2] and ratios[0] > 1.5
    assert ratios[2] - 1 < (ratios[0] - 1) / 50  # lateral conduction in the layer outruns the fast kinetics


def test_an_electron_conducting_coating_moves_deposition_to_its_top():
    shares = []
    for sigma in (1e-8, 1e-3, 1.0):
        r = simulate_interface(Protrusion(1.0, 1.0, 10.0, interlayer=Interlayer(0.2, 1e-10, sigma_S_cm=sigma)),
                               kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=1.0, elements=3000)
        shares.append(r.deposition_top_fraction)
        assert r.current_conservation_rel < 1e-8
    assert shares[0] < shares[1] < shares[2] and shares[2] > 0.999
    # the 1-D split (uniform contact): ionic path R_ct + t / kappa_il in parallel with t / sigma + R_ct
    rct = 8.314462618 * 298.15 / 96485.33212 / 1e-3
    t_cm, kappa_il, sigma = 0.5e-4, 1e-5, 2e-3
    flat = simulate_interface(Strips(1.0, 10.0, 20.0, Interlayer(0.5, kappa_il, sigma_S_cm=sigma)), kappa_S_cm=KAPPA,
                              kinetics="linear", i0_mA_cm2=1.0, elements=1000)
    ion, electron = rct + t_cm / kappa_il, t_cm / sigma + rct
    assert flat.deposition_top_fraction == pytest.approx(ion / (ion + electron), rel=1e-8)


def test_a_coated_profile_follows_its_normals():
    x = np.linspace(0.0, 20.0, 81)
    z = 1.0 * np.cos(2 * np.pi * x / 20.0)
    t = 0.5
    coated = Profile(x, z, 10.0, Interlayer(t, KAPPA))
    grid = coated.mesh(4000)
    top = grid.points_cm[:, np.unique(grid.edges["interlayer_top"])] * 1e4
    dense = np.linspace(0.0, 20.0, 20001)
    curve = np.vstack((dense, np.cos(2 * np.pi * dense / 20.0) - np.mean(z)))
    distance = np.min(np.hypot(*(top[:, :, None] - curve[:, None, :])), axis=1)
    assert np.max(np.abs(distance - t)) < 0.01 * t
    bare = simulate_interface(Profile(x, z, 10.0 + t), kappa_S_cm=KAPPA, kinetics="linear", elements=4000)
    same = simulate_interface(coated, kappa_S_cm=KAPPA, kinetics="linear", elements=4000)
    assert same.R_eff_ohm_cm2 == pytest.approx(bare.R_eff_ohm_cm2, rel=1e-3)
    with pytest.raises(ValidationError, match="folds"):  # thicker than the valleys' radius of curvature (20 / (2 pi)^2)
        Profile(x, 3.0 * np.cos(2 * np.pi * x / 4.0), 20.0, Interlayer(1.5, KAPPA)).mesh(4000)
