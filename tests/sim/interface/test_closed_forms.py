"""The interface FEM against closed forms: 1-D resistances, spreading and constriction resistances,
a hemisphere in a uniform field, current conservation, and the trends the physics dictates.

References for the closed forms:
- equipotential disk of radius a on a half-space: R = 1 / (4 kappa a) (Newman, J. Electrochem. Soc.
  113 (1966) 501; Holm, Electric Contacts, 4th ed., 1967); on a long flux tube of radius b it falls by
  psi(a / b) = 1 - 1.40925 e + 0.33818 e^3 + 0.06793 e^5 (Roess 1950, as given by Yovanovich and
  Marotta, Heat Transfer Handbook, 2003, ch. 4);
- periodic equipotential strips of contact fraction f and period p on an insulating plane, far from
  the counter: R_c = (p / (pi kappa)) ln(1 / sin(pi f / 2)) per projected area (conformal map; Holm);
- a conducting hemisphere on a conducting plane in a uniform field E0 (potential theory, the image of
  a sphere / cylinder in a uniform field): surface field 3 E0 sin(theta) (sphere) and 2 E0 sin(theta)
  (half-cylinder, 2-D), theta measured from the plane.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.constants import R as GAS_J_MOL_K
from scipy.constants import physical_constants

from anodelab.sim.interface import (
    Disk,
    Interlayer,
    Protrusion,
    Strips,
    simulate_interface,
    sweep_interface,
)

pytest.importorskip("skfem")

FARADAY = physical_constants["Faraday constant"][0]
T_K = 298.15
VT = GAS_J_MOL_K * T_K / FARADAY
KAPPA = 1e-2  # S/cm
L_UM = 20.0


def rct_ohm_cm2(i0_mA_cm2):
    return VT / (i0_mA_cm2 * 1e-3)  # alpha_a + alpha_c = 1


def psi(e):
    return 1 - 1.40925 * e + 0.33818 * e**3 + 0.06793 * e**5


# -- uniform contact: the 1-D resistance ----------------------------------------------------------------


@pytest.mark.parametrize("geometry", [Strips(1.0, 10.0, L_UM), Disk(5.0, 5.0, L_UM)], ids=["planar", "axisymmetric"])
@pytest.mark.parametrize("counter", ["potential", "current"])
def test_uniform_contact_gives_the_1d_resistance(geometry, counter):
    r = simulate_interface(geometry, kappa_S_cm=KAPPA, elements=2000, counter=counter)
    assert r.R_eff_ohm_cm2 == pytest.approx(L_UM * 1e-4 / KAPPA, rel=1e-9)
    assert abs(r.R_constriction_ohm_cm2) < 1e-9 * r.R_eff_ohm_cm2
    assert r.max_mean_ratio == pytest.approx(1.0, abs=1e-6)


def test_linear_kinetics_adds_the_charge_transfer_resistance():
    r = simulate_interface(Strips(1.0, 10.0, L_UM), kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=2.0, elements=2000)
    assert r.R_eff_ohm_cm2 == pytest.approx(L_UM * 1e-4 / KAPPA + rct_ohm_cm2(2.0), rel=1e-8)


@pytest.mark.parametrize("current_mA_cm2", [30.0, -30.0])
def test_butler_volmer_uniform_contact_is_ohmic_plus_the_bv_overpotential(current_mA_cm2):
    r = simulate_interface(Strips(1.0, 10.0, L_UM), kappa_S_cm=KAPPA, kinetics="bv", i0_mA_cm2=1.0,
                           current_mA_cm2=current_mA_cm2, elements=2000)
    J = current_mA_cm2 * 1e-3
    eta = 2 * VT * math.asinh(J / (2 * 1e-3))
    assert r.R_eff_ohm_cm2 == pytest.approx(L_UM * 1e-4 / KAPPA + eta / J, rel=1e-8)


def test_butler_volmer_at_small_current_matches_linear_kinetics():
    geometry = Strips(0.3, 10.0, L_UM)
    linear = simulate_interface(geometry, kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=1.0, current_mA_cm2=0.01, elements=4000)
    bv = simulate_interface(geometry, kappa_S_cm=KAPPA, kinetics="bv", i0_mA_cm2=1.0, current_mA_cm2=0.01, elements=4000)
    assert linear.R_constriction_ohm_cm2 > 10  # the contact fraction matters here ...
    assert bv.R_eff_ohm_cm2 == pytest.approx(linear.R_eff_ohm_cm2, rel=1e-4)  # ... and BV is linear at i << i0
    strong = simulate_interface(geometry, kappa_S_cm=KAPPA, kinetics="bv", i0_mA_cm2=1.0, current_mA_cm2=10, elements=4000)
    assert strong.R_eff_ohm_cm2 < 0.8 * linear.R_eff_ohm_cm2  # and not at i >> i0 (Tafel: smaller secant resistance)


def test_interlayers_add_their_1d_resistances():
    t_um, k_il, s_il = 2.0, 1e-3, 4e-3
    ionic = simulate_interface(Strips(1.0, 10.0, L_UM, Interlayer(t_um, k_il)), kappa_S_cm=KAPPA, elements=2000)
    assert ionic.R_eff_ohm_cm2 == pytest.approx((L_UM / KAPPA + t_um / k_il) * 1e-4, rel=1e-9)
    # mixed conductor, linear kinetics below (metal | layer) and on top (layer | electrolyte, i0 3 mA/cm2):
    # the ionic path (R_ct + t / kappa) in parallel with the electronic one (t / sigma + R_ct,top)
    mixed = simulate_interface(Strips(1.0, 10.0, L_UM, Interlayer(t_um, k_il, sigma_S_cm=s_il, i0_mA_cm2=3.0)),
                               kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=1.0, elements=2000)
    ion_path = rct_ohm_cm2(1.0) + t_um * 1e-4 / k_il
    electron_path = t_um * 1e-4 / s_il + rct_ohm_cm2(3.0)
    expected = L_UM * 1e-4 / KAPPA + 1 / (1 / ion_path + 1 / electron_path)
    assert mixed.R_eff_ohm_cm2 == pytest.approx(expected, rel=1e-8)
    assert mixed.current_conservation_rel < 1e-8
    # an electron conductor: everything deposits on its top surface
    electronic = simulate_interface(Strips(1.0, 10.0, L_UM, Interlayer(t_um, 0.0, sigma_S_cm=s_il)), kappa_S_cm=KAPPA,
                                    kinetics="linear", i0_mA_cm2=1.0, elements=2000)
    assert electronic.R_eff_ohm_cm2 == pytest.approx(L_UM * 1e-4 / KAPPA + electron_path - rct_ohm_cm2(3.0)
                                                     + rct_ohm_cm2(1.0), rel=1e-8)


# -- constriction and spreading resistances --------------------------------------------------------------


@pytest.mark.parametrize("f", [0.1, 0.5, 0.8])
def test_periodic_strips_match_the_conformal_map_constriction(f):
    p_um = 10.0
    r = simulate_interface(Strips(f, p_um, 2 * p_um), kappa_S_cm=KAPPA, elements=4000, order=2)
    expected = p_um * 1e-4 / (math.pi * KAPPA) * math.log(1 / math.sin(math.pi * f / 2))
    assert r.R_constriction_ohm_cm2 == pytest.approx(expected, rel=1e-3)
    assert r.R_eff_ohm_cm2 == pytest.approx(2 * p_um * 1e-4 / KAPPA + expected, rel=1e-4)


def test_disk_spreading_resistance_is_newmans_1_over_4_kappa_a():
    a_um = 1.0
    half_space = 1 / (4 * KAPPA * a_um * 1e-4)
    spots = {}
    for ratio in (10, 20):  # cell radius b / a; counter 2 b away (its modes decay as exp(-3.83 L / b))
        r = simulate_interface(Disk(a_um, ratio * a_um, 2 * ratio * a_um), kappa_S_cm=KAPPA, elements=4000, order=2)
        spots[ratio] = r.R_constriction_ohm
        assert r.R_constriction_ohm == pytest.approx(half_space * psi(1 / ratio), rel=1e-3)  # the finite cell
        assert abs(r.R_constriction_ohm / half_space - 1) < 1.5 / ratio
        assert r.R_constriction_ohm_cm2 == pytest.approx(r.R_constriction_ohm * math.pi * (ratio * a_um * 1e-4) ** 2)
    # the half-space limit, extrapolated linearly in a / b from the two cells
    assert 2 * spots[20] - spots[10] == pytest.approx(half_space, rel=2e-3)


@pytest.mark.parametrize(("axisymmetric", "enhancement"), [(True, 3.0), (False, 2.0)], ids=["sphere", "cylinder"])
def test_hemisphere_current_follows_the_uniform_field_solution(axisymmetric, enhancement):
    r = simulate_interface(Protrusion(1.0, 1.0, 20.0, cell_radius_um=20.0, axisymmetric=axisymmetric),
                           kappa_S_cm=KAPPA, elements=8000)
    x, y = r.interface["x_um"], r.interface["y_um"]
    on_dome = (np.hypot(x, y) < 1.0 + 1e-9) & (y > 0.2) & (x > 0.05)
    sin_theta = y[on_dome]
    local = r.interface["current_density_mA_cm2"][on_dome] / r.current_mA_cm2
    assert on_dome.sum() > 20
    np.testing.assert_allclose(local, enhancement * sin_theta, rtol=1e-2)
    # the mean runs over the true (dome + plane) area, not the projected one
    W, a = 20.0, 1.0
    true_over_projected = (W**2 + a**2) / W**2 if axisymmetric else (W - a + math.pi * a / 2) / W
    assert r.max_mean_ratio == pytest.approx(enhancement * true_over_projected, rel=1e-2)


# -- conservation and trends ----------------------------------------------------------------------------


@pytest.mark.parametrize("counter", ["potential", "current"])
def test_current_is_conserved_between_electrode_and_counter(counter):
    # a poor electrolyte and Tafel kinetics: strongly non-uniform, strongly nonlinear
    r = simulate_interface(Strips(0.25, 10.0, L_UM), kappa_S_cm=1e-4, kinetics="bv", i0_mA_cm2=0.1,
                           current_mA_cm2=20.0, counter=counter, elements=6000)
    assert r.newton_iterations >= 3
    assert r.max_mean_ratio > 1.4
    assert r.current_conservation_rel < 1e-8
    area = np.where(r.interface["contact"], 1.0, 0.0)
    assert np.all(r.interface["current_density_mA_cm2"][area == 0] == pytest.approx(0.0, abs=1e-6))  # voids pass none


def test_resistance_rises_as_the_contact_fraction_falls():
    sweep = sweep_interface(Strips(0.8, 10.0, L_UM), "contact_fraction", [0.8, 0.5, 0.2, 0.05],
                            kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=5.0, elements=3000)
    resistance = sweep.tables()["sweep"]["R_eff_ohm_cm2"]
    assert np.all(np.diff(resistance) > 0)
    disk = sweep_interface(Disk(1.0, 10.0, L_UM), "contact_fraction", [0.5, 0.1, 0.01], kappa_S_cm=KAPPA, elements=3000)
    assert np.all(np.diff(disk.tables()["sweep"]["R_eff_ohm_cm2"]) > 0)


def test_a_highly_conducting_interlayer_evens_out_the_current():
    geometry = Strips(0.2, 10.0, L_UM, Interlayer(1.0, KAPPA))
    sweep = sweep_interface(geometry, "interlayer_kappa_S_cm", [KAPPA, 10 * KAPPA, 100 * KAPPA, 1e4 * KAPPA],
                            kappa_S_cm=KAPPA, elements=3000)
    ratio = sweep.tables()["sweep"]["max_mean_ratio"]
    assert np.all(np.diff(ratio) < 0)
    assert ratio[0] > 1.5
    assert ratio[-1] == pytest.approx(1.0, abs=2e-3)
    assert sweep.results[-1].R_eff_ohm_cm2 == pytest.approx((L_UM / KAPPA + 1.0 / (1e4 * KAPPA)) * 1e-4, rel=1e-3)


def test_kinetics_evens_out_the_current_as_its_resistance_grows():
    geometry = Strips(0.3, 10.0, L_UM)
    ratios = [simulate_interface(geometry, kappa_S_cm=KAPPA, kinetics="linear", i0_mA_cm2=i0, elements=3000).max_mean_ratio
              for i0 in (1e3, 10.0, 0.1)]
    assert ratios[0] > ratios[1] > ratios[2] > 1.0
    assert ratios[2] < 1.01


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.25])
def test_the_peak_current_ratio_is_one_over_the_contact_fraction_when_kinetics_dominate(fraction):
    """With a charge-transfer resistance far above the electrolyte's (i0 = 1e-4 mA/cm2 against a 10 um,
    0.01 S/cm layer), every contact carries the same density: J / f, so the peak is 1 / f x the projected mean."""
    result = simulate_interface(Strips(fraction, 10.0, 10.0), kappa_S_cm=1e-2, kinetics="linear", i0_mA_cm2=1e-4,
                                current_mA_cm2=0.01, elements=2000)
    assert result.peak_current_ratio == pytest.approx(1.0 / fraction, rel=2e-3)
    assert result.max_mean_ratio == pytest.approx(1.0, abs=2e-3)  # uniform over the contacts themselves
