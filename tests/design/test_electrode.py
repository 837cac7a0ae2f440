"""Plated thickness, loading, N/P, C-rate and thickness change against closed forms and the seeds."""

from __future__ import annotations

import pytest

from anodelab.core.errors import ValidationError
from anodelab.design import (
    areal_capacity_mAh_cm2,
    areal_loading_mg_cm2,
    c_rate_for_current,
    current_for_c_rate_mA,
    electrode_capacity_mAh_g,
    np_ratio,
    plated_thickness,
    thickness_change_pct,
)

F = 96485.33212  # C/mol, CODATA 2018


def dense_layer_um(q_mAh_cm2: float, z: int, molar_mass_g_mol: float, density_g_cm3: float) -> float:
    """Q (C/cm2) / (z F) mol/cm2 x molar volume (cm3/mol), in um."""
    return q_mAh_cm2 * 3.6 / (z * F) * molar_mass_g_mol / density_g_cm3 * 1e4


@pytest.mark.parametrize(("metal", "z", "molar_mass", "density", "per_mAh_cm2"), [
    # Li: M 6.94 (IUPAC), 0.534 g/cm3 (CRC Handbook): ~4.85 um per mAh/cm2 (issue 15)
    ("Li", 1, 6.94, 0.534, 4.85),
    # Na: M 22.990, 0.968 g/cm3 (20 degC): ~8.86 um per mAh/cm2 ("~8.8", issue 15)
    ("Na", 1, 22.990, 0.968, 8.86),
    # Zn: M 65.38, 7.14 g/cm3 (CRC), two electrons
    ("Zn", 2, 65.38, 7.14, 1.71),
])
def test_plated_thickness_from_the_molar_volume(metal, z, molar_mass, density, per_mAh_cm2):
    layer = plated_thickness(metal, 1.0)
    assert layer.thickness_um == pytest.approx(dense_layer_um(1.0, z, molar_mass, density), rel=1e-12)
    assert layer.thickness_um == pytest.approx(per_mAh_cm2, abs=0.005)
    assert layer.molar_volume_cm3_mol == pytest.approx(molar_mass / density)
    assert layer.areal_mass_mg_cm2 == pytest.approx(3.6 / (z * F) * molar_mass * 1e3)
    three = plated_thickness(metal, 3.0)
    assert three.thickness_um == pytest.approx(3 * layer.thickness_um)
    assert three.to_dict()["thickness_um"] == three.thickness_um


def test_seed_004_sodium_for_2_mAh_cm2_is_17_7_um():
    # seed 004: "the theoretical value of 17.7 um for 2.0 mA h cm-2 Na"
    assert round(plated_thickness("Na", 2.0).thickness_um, 1) == 17.7


def test_density_can_be_given():
    layer = plated_thickness("Li", 1.0, density_g_cm3=0.5)
    assert layer.thickness_um == pytest.approx(dense_layer_um(1.0, 1, 6.94, 0.5))
    assert layer.density_source == "given"


def test_loading_areal_capacity_and_np():
    # seed 000's electrodes: 8 mm discs (0.503 cm2) with ~1 mg of Si-ZnO
    assert areal_loading_mg_cm2(1.0, 0.503) == pytest.approx(1 / 0.503)
    # 2 mg/cm2 coating, 98 % active at 3579 mAh/g -> 2 x 0.98 x 3579 / 1000 mAh/cm2
    negative = areal_capacity_mAh_cm2(2.0, 3579.0, 0.98)
    assert negative == pytest.approx(2.0 * 0.98 * 3579.0 / 1000)
    positive = areal_capacity_mAh_cm2(15.0, 200.0, 0.65)  # seed 000's 15 mg/cm2 NCM811 composite, 65 %
    assert np_ratio(negative, positive) == pytest.approx(negative / positive)
    assert np_ratio(3.3, 3.0) == pytest.approx(1.1)
    assert electrode_capacity_mAh_g(3579.0, 0.98) == pytest.approx(3579.0 * 0.98)


def test_c_rate_and_current():
    assert current_for_c_rate_mA(0.5, 2.0) == pytest.approx(1.0)  # C/2 of 2 mAh: 1 mA
    assert c_rate_for_current(-1.0, 2.0) == pytest.approx(0.5)  # the sign of the current does not matter
    assert c_rate_for_current(current_for_c_rate_mA(3.0, 1.7), 1.7) == pytest.approx(3.0)


def test_thickness_change_seed_000():
    # seed 000: 22 um pristine -> 41 um lithiated, "a volume expansion of 86.4%"; -> 37 um delithiated
    assert round(thickness_change_pct(22.0, 41.0), 1) == 86.4
    assert thickness_change_pct(41.0, 37.0) == pytest.approx((37 - 41) / 41 * 100)
    assert thickness_change_pct(22.0, 37.0) == pytest.approx(15 / 22 * 100)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: plated_thickness("Cu", 1.0), "metal"),
    (lambda: plated_thickness("Li", 0.0), "areal_capacity_mAh_cm2"),
    (lambda: plated_thickness("Li", float("nan")), "areal_capacity_mAh_cm2"),
    (lambda: plated_thickness("Li", 1.0, density_g_cm3=-1), "density_g_cm3"),
    (lambda: areal_capacity_mAh_cm2(1.0, 300.0, 1.5), "active_fraction"),
    (lambda: np_ratio(1.0, 0.0), "positive_mAh_cm2"),
    (lambda: c_rate_for_current(0.0, 1.0), "current_mA"),
    (lambda: thickness_change_pct(0.0, 1.0), "before_um"),
    (lambda: areal_loading_mg_cm2(True, 1.0), "mass_mg"),
])
def test_bad_values_name_the_parameter(call, field):
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field
