"""Relaxation with EMT: forces below fmax, the cell at the minimum of an independent E(V) fit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import relax


def _eos_lattice_A(symbol: str) -> float:
    """The fcc lattice constant at the minimum of a Birch-Murnaghan fit to EMT energies on a grid."""
    volumes, energies = [], []
    for a in np.linspace(3.50, 3.68, 9):
        atoms = bulk(symbol, "fcc", a=a)
        atoms.calc = EMT()
        volumes.append(atoms.get_volume())
        energies.append(atoms.get_potential_energy())
    v0, _, _ = EquationOfState(volumes, energies, eos="birchmurnaghan").fit()
    return float((4 * v0) ** (1 / 3))


def test_positions_relax_below_fmax_and_lower_the_energy():
    atoms = bulk("Cu", "fcc", a=3.59, cubic=True) * (2, 2, 2)
    atoms.rattle(0.05, seed=3)
    result = relax(atoms, "emt", fmax=0.01)
    assert result.converged and result.steps > 0
    assert result.max_force_eV_A < 0.01
    assert result.energy_eV < result.initial_energy_eV
    assert not result.cell_relaxed
    assert np.allclose(result.structure.cell_A, atoms.cell[:])
    assert atoms.calc is None  # the input is copied, not relaxed in place


def test_cell_relaxes_to_the_eos_minimum():
    result = relax(bulk("Cu", "fcc", a=3.40), "emt", cell=True, fmax=1e-4)
    assert result.converged and result.cell_relaxed
    a_A = float(np.linalg.norm(result.structure.cell_A[0])) * np.sqrt(2)
    assert a_A == pytest.approx(_eos_lattice_A("Cu"), abs=2e-3)
    assert result.energy_per_atom_eV == pytest.approx(result.energy_eV)


def test_result_names_model_and_structure_round_trips():
    atoms = bulk("Cu", "fcc", a=3.59, cubic=True)
    result = relax(atoms, "emt")
    assert result.parameters["model"] == "emt" and result.parameters["cell"] is False
    assert result.provenance is not None and result.provenance.techniques == ("relax",)
    back = result.structure.to_atoms()
    assert back.get_chemical_formula() == "Cu4" and np.allclose(back.positions, result.structure.positions_A)
    table = result.tables()["atoms"]
    assert len({len(column) for column in table.values()}) == 1 and len(table["atom"]) == 4
    assert "converged" in result.headline()


def test_step_limit_reported_unconverged_and_bad_options_raise():
    atoms = bulk("Cu", "fcc", a=3.59, cubic=True) * (2, 2, 2)
    atoms.rattle(0.1, seed=1)
    result = relax(atoms, "emt", fmax=1e-4, steps=2)
    assert not result.converged and result.steps == 2
    with pytest.raises(ValidationError, match="fmax"):
        relax(atoms, "emt", fmax=0.0)
    with pytest.raises(ValidationError, match="steps"):
        relax(atoms, "emt", steps=-1)
    with pytest.raises(ValidationError, match="optimizer"):
        relax(atoms, "emt", optimizer="newton")  # type: ignore[arg-type]
