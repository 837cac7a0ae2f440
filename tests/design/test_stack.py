"""Stack energy density against Q V / m and Q V / t worked by hand, full and anode-free."""

from __future__ import annotations

import pytest

from anodelab.core.errors import ValidationError
from anodelab.design import Layer, stack_energy_density

F = 96485.33212  # C/mol, CODATA 2018

# a Prussian-blue || Na cell per cm2 (seed 004's chemistry; illustrative masses): cathode coating 12 mg
# over 80 um, Al foil 12 um (2.70 g/cm3 -> 3.24 mg), glass-fibre separator 3 mg over 60 um, electrolyte 4 mg
CATHODE = Layer("PB cathode", 12.0, 80.0)
AL = Layer("Al collector", 3.24, 12.0)
SEPARATOR = Layer("separator", 3.0, 60.0)
ELECTROLYTE = Layer("electrolyte", 4.0, 0.0)


def test_full_cell_with_a_metal_anode():
    anode = Layer("Na foil", 0.968 * 50e-4 * 1e3, 50.0)  # 50 um Na at 0.968 g/cm3
    layers = [CATHODE, AL, SEPARATOR, ELECTROLYTE, anode]
    q, v = 1.5, 3.2
    mass = 12.0 + 3.24 + 3.0 + 4.0 + 0.968 * 50e-4 * 1e3
    thickness = 80.0 + 12.0 + 60.0 + 50.0
    result = stack_energy_density(layers, q, v)
    assert result.energy_mWh_cm2 == pytest.approx(q * v)
    assert result.gravimetric_Wh_kg == pytest.approx(q * v / mass * 1000)  # mWh/mg = Wh/g
    assert result.volumetric_Wh_L == pytest.approx(q * v / (thickness * 1e-4))  # mWh/cm3 = Wh/L
    assert result.plated_thickness_um == 0.0


def test_anode_free_adds_the_plated_thickness_not_mass():
    collector = Layer("Zn@Ag collector", 7.14 * 10e-4 * 1e3, 10.0)  # 10 um Zn foil
    layers = [CATHODE, AL, SEPARATOR, ELECTROLYTE, collector]
    q, v = 1.5, 3.2
    plated_um = q * 3.6 / F * 22.990 / 0.968 * 1e4  # Na from the cathode, dense at 0.968 g/cm3
    mass = 12.0 + 3.24 + 3.0 + 4.0 + 7.14
    result = stack_energy_density(layers, q, v, plated_metal="Na")
    assert result.plated_thickness_um == pytest.approx(plated_um, rel=1e-12)
    assert result.thickness_um == pytest.approx(80 + 12 + 60 + 10 + plated_um)
    assert result.gravimetric_Wh_kg == pytest.approx(q * v / mass * 1000)
    assert result.volumetric_Wh_L == pytest.approx(q * v / ((80 + 12 + 60 + 10 + plated_um) * 1e-4))
    out = result.to_dict()
    assert out["gravimetric_Wh_kg"] == result.gravimetric_Wh_kg and len(out["layers"]) == 5


@pytest.mark.parametrize(("call", "field"), [
    (lambda: Layer("x", -1.0, 1.0), "layer 'x'.areal_mass_mg_cm2"),
    (lambda: stack_energy_density([], 1.0, 3.0), "layers"),
    (lambda: stack_energy_density([Layer("x", 0.0, 0.0)], 1.0, 3.0), "layers"),
    (lambda: stack_energy_density([CATHODE], 0.0, 3.0), "capacity_mAh_cm2"),
    (lambda: stack_energy_density([CATHODE], 1.0, 3.0, plated_metal="Cu"), "metal"),
])
def test_bad_stacks_are_refused(call, field):
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field
