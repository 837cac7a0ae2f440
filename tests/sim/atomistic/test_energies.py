"""Binding, surface and interface energies with EMT, against closed forms: EMT's own cohesive energies
(its parameter E0: an isolated atom has energy -E0, the relaxed fcc bulk about 0), the identity between
the two binding references, slab-thickness convergence, and E_int of a slab cut in two = 2 A (g7 - g3 - g4)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import add_adsorbate, bulk, fcc100, fcc111
from ase.calculators.emt import parameters as EMT_PARAMETERS
from ase.constraints import FixAtoms

from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import binding_energy, interface_energy, surface_energy
from anodelab.sim.atomistic.result import J_M2_PER_EV_A2

#: EMT's fcc lattice constants (Å) near its own equilibrium (the bulk is relaxed anyway)
LATTICE_A = {"Cu": 3.59, "Ag": 4.06, "Au": 4.06}


def _adatom(metal: str):
    surface = fcc100(metal, size=(2, 2, 3), a=LATTICE_A[metal], vacuum=6.0)
    surface.set_constraint(FixAtoms(mask=[atom.tag > 2 for atom in surface]))
    adsorbed = surface.copy()
    add_adsorbate(adsorbed, metal, 1.8, "hollow")
    return surface, adsorbed, bulk(metal, "fcc", a=1.02 * LATTICE_A[metal])  # a strained bulk: its cell relaxes


@pytest.mark.parametrize("metal", ["Cu", "Ag", "Au"])
def test_adatom_binding_against_atom_and_bulk(metal):
    surface, adsorbed, metal_bulk = _adatom(metal)
    result = binding_energy(surface, adsorbed, metal, "emt", bulk=metal_bulk)
    e0 = EMT_PARAMETERS[metal][0]  # EMT's cohesive-energy parameter (negative)
    assert result.converged and result.n_adsorbate == 1
    assert result.atom_energy_eV == pytest.approx(-e0, abs=1e-9)
    assert result.cohesive_energy_eV == pytest.approx(-e0, abs=0.01)
    assert result.binding_energy_atom_eV - result.binding_energy_bulk_eV == pytest.approx(-result.cohesive_energy_eV,
                                                                                           abs=1e-9)
    # an adatom is bound against the free atom, but less than an atom in the bulk
    assert result.binding_energy_atom_eV < -0.5 * result.cohesive_energy_eV
    assert 0.0 < result.binding_energy_bulk_eV < 0.5 * result.cohesive_energy_eV
    assert result.relaxations["bulk"].cell_relaxed
    assert result.primary().name == "binding_energy_atom"
    assert "isolated atom" in result.headline() and "bulk" in result.headline()


def test_binding_reference_choice_and_missing_bulk():
    surface, adsorbed, metal_bulk = _adatom("Cu")
    by_bulk = binding_energy(surface, adsorbed, "Cu", "emt", bulk=metal_bulk, relax=False, reference="bulk")
    assert by_bulk.primary().name == "binding_energy_bulk"
    payload = json.loads(dumps(by_bulk.to_dict()))
    assert payload["binding_energy_eV"] == payload["binding_energy_bulk_eV"]
    assert payload["reference"] == "bulk" and payload["parameters"]["reference"] == "bulk"
    no_bulk = binding_energy(surface, adsorbed, "Cu", "emt", relax=False)
    assert no_bulk.binding_energy_bulk_eV is None and no_bulk.warnings
    assert no_bulk.binding_energy_atom_eV == pytest.approx(by_bulk.binding_energy_atom_eV, abs=1e-9)
    with pytest.raises(ValidationError, match="bulk"):
        binding_energy(surface, adsorbed, "Cu", "emt", reference="bulk")
    with pytest.raises(ValidationError, match="surface plus"):
        binding_energy(surface, adsorbed, "Ag", "emt")
    with pytest.raises(ValidationError, match="bulk Cu only"):
        binding_energy(surface, adsorbed, "Cu", "emt", bulk=bulk("Ag", "fcc", a=4.06))


def test_two_adatoms_count_per_atom():
    surface, _, _ = _adatom("Cu")
    two = surface.copy()
    add_adsorbate(two, "Cu", 1.8, "hollow")
    add_adsorbate(two, "Cu", 1.8, "hollow", offset=(1, 1))
    result = binding_energy(surface, two, "Cu", "emt", relax=False)
    assert result.n_adsorbate == 2
    assert result.binding_energy_atom_eV == pytest.approx(
        (result.adsorbed_energy_eV - result.surface_energy_eV) / 2 - result.atom_energy_eV, abs=1e-12)


def _cu111(layers: int, size: int = 1):
    return fcc111("Cu", size=(size, size, layers), a=LATTICE_A["Cu"], vacuum=6.0)


def test_surface_energy_converges_with_slab_thickness():
    cu = bulk("Cu", "fcc", a=LATTICE_A["Cu"], cubic=True)
    layers = (1, 2, 3, 4, 5, 7)

    def slab(n):
        return fcc100("Cu", size=(1, 1, n), a=LATTICE_A["Cu"], vacuum=6.0)

    fixed = {n: surface_energy(cu, slab(n), "emt", relax=False).surface_energy_J_m2 for n in layers}
    relaxed = {n: surface_energy(cu, slab(n), "emt", fmax=0.005).surface_energy_J_m2 for n in layers}
    errors = [abs(fixed[n] - fixed[7]) for n in layers[:-1]]
    assert errors[0] > 0.05  # a monolayer is no slab of two surfaces
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[3] < 1e-9 and errors[4] < 1e-9  # EMT is short-ranged: from 4 layers on, the middle is bulk
    assert all(abs(relaxed[n] - relaxed[7]) < 1e-4 for n in (3, 4, 5))
    assert all(relaxed[n] <= fixed[n] + 1e-9 for n in layers)  # relaxing lowers it
    assert 0.5 < relaxed[7] < 2.0  # the order of a close-packed metal surface's energy (J/m2)


def test_surface_energy_invariant_under_supercell_and_rotation():
    cu = bulk("Cu", "fcc", a=LATTICE_A["Cu"], cubic=True)
    one = surface_energy(cu, _cu111(4), "emt", fmax=0.005)
    two = surface_energy(cu, _cu111(4, size=2), "emt", fmax=0.005)
    assert two.area_A2 == pytest.approx(4 * one.area_A2)
    assert two.surface_energy_J_m2 == pytest.approx(one.surface_energy_J_m2, abs=1e-5)
    rotated_slab, rotated_bulk = _cu111(4), cu.copy()
    for atoms in (rotated_slab, rotated_bulk):
        atoms.rotate(50.0, (1.0, 2.0, 3.0), rotate_cell=True)
    rotated = surface_energy(rotated_bulk, rotated_slab, "emt", fmax=0.005)
    assert rotated.surface_energy_J_m2 == pytest.approx(one.surface_energy_J_m2, abs=1e-5)
    assert one.surface_energy_J_m2 == pytest.approx(one.surface_energy_eV_A2 * J_M2_PER_EV_A2)
    assert J_M2_PER_EV_A2 == pytest.approx(16.0217663, rel=1e-8)


def test_surface_energy_refuses_a_slab_of_other_composition():
    with pytest.raises(ValidationError, match="formula units"):
        surface_energy(bulk("Cu", "fcc", a=3.59), fcc111("Ag", size=(1, 1, 3), vacuum=6.0), "emt")


def test_interface_of_a_slab_cut_in_two():
    whole = _cu111(7, size=2)
    order = np.argsort(whole.positions[:, 2], kind="stable")
    a, b = whole[order[:12]], whole[order[12:]]  # the lower 3 and the upper 4 layers, same cell
    result = interface_energy(a, b, whole, "emt", relax=False, strain=0.0123)
    cu = bulk("Cu", "fcc", a=LATTICE_A["Cu"], cubic=True)
    gamma = {n: surface_energy(cu, s, "emt", relax=False).surface_energy_eV_A2 for n, s in ((3, a), (4, b), (7, whole))}
    assert result.interface_energy_eV_A2 == pytest.approx(2 * (gamma[7] - gamma[3] - gamma[4]), abs=1e-9)
    assert result.interface_energy_eV_A2 == pytest.approx(-2 * gamma[7], rel=0.01)  # two surfaces closed
    assert result.interface_energy_total_eV == pytest.approx(result.interface_energy_eV_A2 * result.area_A2)
    assert result.strain == 0.0123
    assert {m.name for m in result.metrics()} >= {"interface_energy_total", "interface_energy", "strain"}
    with pytest.raises(ValidationError, match="atoms of a and b"):
        interface_energy(a, a, whole, "emt")
