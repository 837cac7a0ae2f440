"""The tertiary (Nernst-Planck) current distribution against the 1-D closed forms of a binary
electrolyte, its mesh convergence, the secondary limit at high concentration, salt conservation and
the limiting current.

Closed forms (derived in anodelab.sim.interface.electrolyte's docstring; re-derived here): a uniform
current J (> 0 strips the metal at y = 0) across a layer 0 < y < L blocks the anion everywhere, so
dc/dy = -(1 - t+) J / (F D): linear; with the salt conserved c(0) = c0 + (1 - t+) J L / (2 F D) and
i_lim = 2 F D c0 / ((1 - t+) L); against a bulk at y = L, c(L) = c0 and i_lim = F D c0 / ((1 - t+) L).
With kappa = kappa0 c / c0 and Phi the cation-reversible potential, J = -(kappa0 / c0)(c Phi' - beta c'),
beta = 2 (1 - t+) R T / F, so Phi(0) - Phi(L) = (J L / kappa0) ln(c_L / c_0) / ((c_L - c_0) / c0)
+ beta ln(c_0 / c_L); the metal's overpotential is Butler-Volmer with i0 (c_0 / c0)^alpha_a.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from anodelab.core.errors import ConvergenceError, ValidationError
from anodelab.sim.interface import (
    Disk,
    Electrolyte,
    Interlayer,
    Strips,
    simulate_interface,
)

pytest.importorskip("skfem")

F = 96485.33212
VT = 8.314462618 * 298.15 / F
KAPPA = 1e-2  # S/cm at c0
L_UM = 20.0
C0, D, T_PLUS = 1.0, 3e-6, 0.4  # mol/L, cm2/s
I0 = 2.0  # mA/cm2
LIMIT_CONSERVED = 2 * F * D * C0 * 1e-3 / ((1 - T_PLUS) * L_UM * 1e-4) * 1e3  # mA/cm2
LIMIT_BULK = LIMIT_CONSERVED / 2


def np_case(geometry, current_mA_cm2, *, salt="conserved", c0=C0, kinetics="bv", elements=2000, **kw):
    return simulate_interface(geometry, kappa_S_cm=KAPPA, kinetics=kinetics, i0_mA_cm2=I0, current_mA_cm2=current_mA_cm2,
                              transport="nernst-planck", electrolyte=Electrolyte(c0, D, T_PLUS, salt), elements=elements, **kw)


def one_d(J_mA_cm2, salt="conserved", c0=C0):
    """(c_0 / c0, c_L / c0, potential drop V) of the 1-D cell with Butler-Volmer (alpha 0.5) at the metal."""
    J, L = J_mA_cm2 * 1e-3, L_UM * 1e-4
    slope = (1 - T_PLUS) * J * L / (F * D * c0 * 1e-3)  # (c_0 - c_L) / c0
    low, high = (1 + slope / 2, 1 - slope / 2) if salt == "conserved" else (1 + slope, 1.0)
    ohmic = J * L / KAPPA * math.log(high / low) / (high - low)
    beta = 2 * (1 - T_PLUS) * VT
    eta_s = 2 * VT * math.asinh(J / (2 * I0 * 1e-3 * math.sqrt(low)))
    return low, high, eta_s + ohmic + beta * math.log(low / high)


@pytest.mark.parametrize(("salt", "share"), [("conserved", -0.6), ("conserved", 0.5), ("bulk", -0.7), ("bulk", 2.0)])
def test_uniform_contact_follows_the_1d_cell(salt, share):
    limit = LIMIT_CONSERVED if salt == "conserved" else LIMIT_BULK
    J = share * limit
    r = np_case(Strips(1.0, 10.0, L_UM), J, salt=salt)
    low, high, drop = one_d(J, salt)
    c = r.concentration
    assert c.limiting_current_mA_cm2 == pytest.approx(limit, rel=1e-12)
    assert c.c_interface_min_mol_L == pytest.approx(low * C0, rel=1e-4)
    assert c.c_interface_max_mol_L == pytest.approx(low * C0, rel=1e-4)
    assert c.c_counter_mean_mol_L == pytest.approx(high * C0, rel=1e-4)
    assert r.R_eff_ohm_cm2 == pytest.approx(drop / (J * 1e-3), rel=1e-3)
    assert r.R_uniform_ohm_cm2 == pytest.approx(drop / (J * 1e-3), rel=1e-12)
    assert r.max_mean_ratio == pytest.approx(1.0, abs=1e-4)
    # the linear salt profile, in the binned concentration map (bin means of a linear field are exact)
    table = r.tables()["concentration"]
    slope = (high - low) * C0 / L_UM
    np.testing.assert_allclose(table["c_mol_L"], low * C0 + slope * table["y_um"], rtol=1e-4)
    # the concentration overpotential: beyond the secondary drop (BV at i0, ohmic at kappa0) at the same current
    secondary = 2 * VT * math.asinh(J * 1e-3 / (2 * I0 * 1e-3)) + J * 1e-3 * L_UM * 1e-4 / KAPPA
    assert c.eta_concentration_mV == pytest.approx((drop - secondary) * 1e3, rel=2e-3)
    assert c.diffusion_potential_mV == pytest.approx(VT * (1 - 2 * T_PLUS) * math.log(low / high) * 1e3, rel=1e-4)
    assert r.current_conservation_rel < 1e-8
    # the cation flux along the interface is i / F; the anion's is zero (blocked)
    flux = r.interface["cation_flux_nmol_cm2_s"]
    np.testing.assert_allclose(flux, J * 1e-3 / F * 1e9, rtol=1e-4)


def test_axisymmetric_uniform_contact_and_an_ionic_interlayer():
    J = -0.5 * LIMIT_CONSERVED
    low, high, drop = one_d(J)
    disk = np_case(Disk(5.0, 5.0, L_UM), J)
    assert disk.R_eff_ohm_cm2 == pytest.approx(drop / (J * 1e-3), rel=1e-3)
    assert disk.concentration.c_interface_mean_mol_L == pytest.approx(low * C0, rel=1e-4)
    # a solid ion conductor between the metal and the liquid: its ohmic drop, and the metal's kinetics at i0
    # (no salt reaches the metal); the liquid's profile is the same
    t_um, k_il = 1.0, 1e-3
    coated = np_case(Strips(1.0, 10.0, L_UM, Interlayer(t_um, k_il)), J)
    ohmic = J * 1e-3 * L_UM * 1e-4 / KAPPA * math.log(high / low) / (high - low)
    expected = (2 * VT * math.asinh(J * 1e-3 / (2 * I0 * 1e-3)) + J * 1e-3 * t_um * 1e-4 / k_il + ohmic
                + 2 * (1 - T_PLUS) * VT * math.log(low / high))
    assert coated.R_eff_ohm_cm2 == pytest.approx(expected / (J * 1e-3), rel=1e-3)
    assert coated.concentration.c_interface_mean_mol_L == pytest.approx(low * C0, rel=1e-4)


def test_mesh_convergence_at_the_elements_rate():
    J = -0.8 * LIMIT_CONSERVED  # a strongly curved Phi (ln c): the discretisation error shows
    exact = one_d(J)[2] / (J * 1e-3)
    errors = [abs(np_case(Strips(1.0, 10.0, L_UM), J, elements=n).R_eff_ohm_cm2 / exact - 1) for n in (250, 1000, 4000)]
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))  # elements x4: h halves
    assert errors[-1] < 1e-3
    assert np.all(rates > 1.7), rates


def test_large_concentration_gives_the_secondary_distribution():
    geometry = Strips(0.2, 10.0, L_UM)
    secondary = simulate_interface(geometry, kappa_S_cm=KAPPA, kinetics="bv", i0_mA_cm2=I0, current_mA_cm2=-20.0,
                                   elements=3000)
    gaps = []
    for c0 in (10.0, 1000.0):
        tertiary = np_case(geometry, -20.0, c0=c0, elements=3000)
        gaps.append(abs(tertiary.R_eff_ohm_cm2 / secondary.R_eff_ohm_cm2 - 1))
        contact = secondary.interface["contact"]
        np.testing.assert_allclose(tertiary.interface["ratio"][contact], secondary.interface["ratio"][contact],
                                   rtol=10 * gaps[-1] + 1e-9)
    assert gaps[1] < 1e-4
    assert gaps[0] / gaps[1] == pytest.approx(100.0, rel=0.1)  # the correction goes as J / i_lim, i.e. 1 / c0


def test_partial_contact_conserves_the_salt_and_depletes_the_spots_more_than_1d():
    geometry = Strips(0.2, 10.0, L_UM)
    J = -0.3 * LIMIT_CONSERVED
    r = np_case(geometry, J, elements=3000)
    grid = geometry.mesh(3000)
    p = grid.points_cm[:, grid.triangles]
    area = 0.5 * np.abs((p[0, 1] - p[0, 0]) * (p[1, 2] - p[1, 0]) - (p[1, 1] - p[1, 0]) * (p[0, 2] - p[0, 0]))
    theta = r.concentration.element_theta
    assert np.sum(theta * area) / np.sum(area) == pytest.approx(1.0, abs=1e-10)  # the salt is conserved
    low = one_d(J)[0]
    c = r.concentration
    assert c.c_interface_min_mol_L < c.c_interface_mean_mol_L < low * C0  # the current crowds onto the spots
    assert r.current_conservation_rel < 1e-8
    # the tables: one length per table, the concentration map and the interface columns
    for name, table in r.tables().items():
        assert len({len(column) for column in table.values()}) == 1, name
    assert set(r.tables()["concentration"]) == {"x_um", "y_um", "x_bin_um", "y_bin_um", "c_mol_L", "cation_flux_nmol_cm2_s"}
    assert {"c_mol_L", "cation_flux_nmol_cm2_s"} <= set(r.interface)


def test_the_limiting_current_is_refused_and_approached_with_a_warning():
    with pytest.raises(ValidationError, match="current_mA_cm2.*limiting current"):
        np_case(Strips(1.0, 10.0, L_UM), -1.01 * LIMIT_CONSERVED)
    with pytest.raises(ValidationError, match="limiting current"):
        np_case(Strips(1.0, 10.0, L_UM), -1.01 * LIMIT_BULK, salt="bulk")
    stripping = np_case(Strips(1.0, 10.0, L_UM), 3.0 * LIMIT_BULK, salt="bulk")  # against a bulk: no limit
    assert stripping.concentration.c_interface_min_mol_L > C0
    near = np_case(Strips(1.0, 10.0, L_UM), -0.95 * LIMIT_CONSERVED)
    assert near.concentration.c_interface_min_mol_L == pytest.approx(0.05 * C0, rel=2e-2)
    assert any("near the limiting current" in w for w in near.warnings)
    assert near.concentration.current_limiting_ratio == pytest.approx(0.95)


@pytest.mark.slow
def test_partial_contact_beyond_its_own_limit_says_so():
    # spots of 20 %: the salt runs out at them well before the 1-D limit
    with pytest.raises(ConvergenceError, match="limiting current"):
        np_case(Strips(0.2, 10.0, L_UM), -0.95 * LIMIT_CONSERVED, elements=300)


def test_electrolyte_checks_and_the_nernst_einstein_conductivity():
    with pytest.raises(ValidationError, match="t_plus"):
        Electrolyte(1.0, 1e-6, 1.0)
    with pytest.raises(ValidationError, match="salt"):
        Electrolyte(1.0, 1e-6, 0.4, "stirred")
    with pytest.raises(ValidationError, match="electrolyte"):
        simulate_interface(Strips(1.0, 10.0, L_UM), kappa_S_cm=KAPPA, transport="nernst-planck")
    with pytest.raises(ValidationError, match="electrolyte"):
        simulate_interface(Strips(1.0, 10.0, L_UM), kappa_S_cm=KAPPA, electrolyte=Electrolyte(1.0, 1e-6, 0.4))
    ions = Electrolyte.from_ions(1.0, 1e-5, 3e-5)
    assert ions.t_plus == pytest.approx(0.25) and ions.D_cm2_s == pytest.approx(1.5e-5)
    # kappa = F^2 (D+ + D-) c / (R T): 1 M of ions at 4e-5 cm2/s
    assert ions.nernst_einstein_kappa_S_cm() == pytest.approx(F**2 * 4e-5 * 1e-3 / (8.314462618 * 298.15), rel=1e-12)
