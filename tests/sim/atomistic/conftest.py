"""EMT test cases of the atomistic tasks: the ASE tutorials' adatom hops, and a calculator that scales
EMT by a known factor (so an ensemble's mean and spread have closed forms)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import sqrt

import pytest

pytest.importorskip("ase")

from ase import Atom, Atoms
from ase.build import add_adsorbate, fcc100
from ase.calculators.calculator import all_changes
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms


def au_on_al100(size: int = 2) -> tuple[Atoms, Atoms]:
    """ASE's NEB tutorial: Au in a hollow of a 2x2 (``size`` x ``size``) Al(100) 3-layer slab (lower two
    layers fixed), and the next hollow along x (through the bridge site)."""
    slab = fcc100("Al", size=(size, size, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    slab.set_constraint(FixAtoms(mask=[atom.tag > 1 for atom in slab]))
    final = slab.copy()
    final[-1].x += slab.get_cell()[0, 0] / size
    return slab, final


def al_on_al110(hop: str) -> tuple[Atoms, Atoms]:
    """ASE's self-diffusion tutorial (neb1.py, neb2.py, neb3.py): an Al adatom on a 2x2 Al(110) slab of
    4 layers (lower two fixed), hopping ``along`` the rows, ``across`` them, or by ``exchange`` with row atom 14."""
    a = 4.0614
    b = a / sqrt(2)
    h = b / 2
    initial = Atoms("Al2", positions=[(0, 0, 0), (a / 2, b / 2, -h)], cell=(a, b, 2 * h), pbc=(1, 1, 0))
    initial *= (2, 2, 2)
    initial.append(Atom("Al", (a / 2, b / 2, 3 * h)))
    initial.center(vacuum=4.0, axis=2)
    final = initial.copy()
    if hop == "along":
        final.positions[-1, 1] += b
    elif hop == "across":
        final.positions[-1, 0] += a
    else:
        final.positions[-1, :] = initial.positions[14]
        final.positions[14, :] = initial.positions[-1] + [a, b, 0]
    fixed = FixAtoms(mask=initial.positions[:, 2] - min(initial.positions[:, 2]) < 1.5 * h)
    initial.set_constraint(fixed)
    final.set_constraint(fixed)
    return initial, final


class ScaledEMT(EMT):
    """EMT with every energy, force and stress multiplied by ``factor``: a second 'model' whose numbers
    are known multiples of EMT's."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        for key in ("energy", "free_energy", "energies", "forces", "stress"):
            if key in self.results:
                self.results[key] = self.results[key] * self.factor


@dataclass(frozen=True)
class System:
    """A named system of the NamedSystem contract of sim.atomistic.systems, for systems of the tests' own."""

    name: str
    task: str
    description: str
    structures: Callable[[], dict[str, Atoms]]
    adsorbate: str | None = None
    dft_eV: float | None = None
    dft_reference: str | None = None
    strain: float | None = None
    from_host: Callable[[Atoms], dict[str, Atoms]] | None = None


class Cases:
    """The builders above, for the tests (a fixture hands them out)."""

    au_on_al100 = staticmethod(au_on_al100)
    al_on_al110 = staticmethod(al_on_al110)
    ScaledEMT = ScaledEMT
    System = System


@pytest.fixture(scope="session")
def cases() -> type[Cases]:
    return Cases


@pytest.fixture(scope="session")
def au_al_neb():
    """The CI-NEB of Au on Al(100), 3 images (computed once)."""
    from anodelab.sim.atomistic import neb

    initial, final = au_on_al100()
    return neb(initial, final, "emt", n_images=3)
