"""Bulk crystals of the papers at experimental lattice constants (each with its source), or a model's own."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from anodelab.core.errors import ValidationError

if TYPE_CHECKING:
    from ase import Atoms

    from anodelab.sim.atomistic.calculators import ModelLike


@dataclass(frozen=True)
class Lattice:
    """Lattice constants: ``a_A`` (and ``c_A`` of hexagonal crystals) and where they come from."""

    a_A: float
    c_A: float | None = None
    source: str = ""


#: experimental lattice constants near room temperature, with their sources
EXPERIMENTAL: Mapping[str, Lattice] = MappingProxyType({
    "Si": Lattice(5.431, None, "CODATA 2018: a(Si) = 543.102 pm at 22.5 C"),
    "Li15Si4": Lattice(10.685, None, "Obrovac & Christensen, Electrochem. Solid-State Lett. 7, A93 (2004), XRD of "
                                     "electrochemically formed c-Li15Si4; Cu15Si4 type (Zeilinger et al., "
                                     "Chem. Mater. 2013, 'Stabilizing the phase Li15Si4 ...': 10.632 A at 123 K)"),
    "ZnO": Lattice(3.250, 5.207, "Ozgur et al., J. Appl. Phys. 98, 041301 (2005), Table I (X-ray, room temperature; "
                                 "u = 0.382)"),
    "LiF": Lattice(4.027, None, "Wyckoff, Crystal Structures vol. 1 (1963): rocksalt, room temperature"),
    "Li3N": Lattice(3.648, 3.875, "Rabenau & Schulz, J. Less-Common Met. 50, 155 (1976): P6/mmm, room temperature"),
    "Ag": Lattice(4.086, None, "Wyckoff, Crystal Structures vol. 1 (1963): fcc, room temperature"),
    "Cu": Lattice(3.615, None, "Wyckoff, Crystal Structures vol. 1 (1963): fcc, room temperature"),
    "Zn": Lattice(2.665, 4.947, "Wyckoff, Crystal Structures vol. 1 (1963): hcp, room temperature (c/a = 1.856)"),
    "Li": Lattice(3.510, None, "Wyckoff, Crystal Structures vol. 1 (1963): bcc, room temperature"),
    "Na": Lattice(4.291, None, "Wyckoff, Crystal Structures vol. 1 (1963): bcc, room temperature"),
})
#: internal coordinate of wurtzite ZnO (Ozgur et al. 2005, Table I)
ZNO_U = 0.382
#: Li15Si4 (I-43d, No. 220, Cu15Si4 type): Li1 12a, Li2 48e, Si 16c. The free coordinates are approximate (to
#: about 0.005; after Zeilinger et al. 2013): every Si isolated among 12 Li at 2.63-2.77 A. Checked: CHGNet 0.3.0
#: forces at most 0.06 eV/A there, and relaxing (cell fixed) moves no atom by more than 0.03 A.
LI15SI4_SITES = (("Li", (0.375, 0.0, 0.25)), ("Li", (0.1216, 0.1567, 0.9617)), ("Si", (0.4581, 0.4581, 0.4581)))
#: the structure type of each material
KINDS = {"Si": "diamond", "Li15Si4": "Li15Si4", "ZnO": "wurtzite", "LiF": "rocksalt", "Li3N": "Li3N",
         "Ag": "fcc", "Cu": "fcc", "Zn": "hcp", "Li": "bcc", "Na": "bcc"}


def resolve_lattice(material: str, lattice: Lattice | None) -> Lattice:
    """``lattice``, or the experimental one of ``material``, checked (positive lengths, c where hexagonal)."""
    if material not in EXPERIMENTAL:
        raise ValidationError("material", f"unknown material {material!r}; expected one of {', '.join(EXPERIMENTAL)}")
    chosen = EXPERIMENTAL[material] if lattice is None else lattice
    if not (math.isfinite(chosen.a_A) and chosen.a_A > 0):
        raise ValidationError("lattice.a_A", f"must be a positive length in angstrom, got {chosen.a_A}")
    hexagonal = EXPERIMENTAL[material].c_A is not None
    if hexagonal and (chosen.c_A is None or not (math.isfinite(chosen.c_A) and chosen.c_A > 0)):
        raise ValidationError("lattice.c_A", f"{material} is hexagonal: c_A must be a positive length, got {chosen.c_A}")
    return chosen


def bulk(material: str, lattice: Lattice | None = None, *, cubic: bool = False) -> Atoms:
    """The bulk crystal of ``material`` (a key of :data:`EXPERIMENTAL`) at ``lattice`` (default: experiment).

    ``cubic``: the conventional cubic cell of a cubic crystal (8 atoms for Si, 76 for Li15Si4) instead of
    the primitive one; hexagonal crystals always come in their hexagonal cell.
    """
    from ase.build import bulk as ase_bulk
    from ase.spacegroup import crystal

    lat = resolve_lattice(material, lattice)
    kind = KINDS[material]
    a_A = lat.a_A
    c_A = lat.c_A if lat.c_A is not None else a_A
    if kind == "wurtzite":
        return crystal(["Zn", "O"], [(1 / 3, 2 / 3, 0.0), (1 / 3, 2 / 3, ZNO_U)], spacegroup=186,
                       cellpar=[a_A, a_A, c_A, 90, 90, 120])
    if kind == "Li3N":
        return crystal(["N", "Li", "Li"], [(0.0, 0.0, 0.0), (0.0, 0.0, 0.5), (1 / 3, 2 / 3, 0.0)], spacegroup=191,
                       cellpar=[a_A, a_A, c_A, 90, 90, 120])
    if kind == "Li15Si4":
        symbols = [symbol for symbol, _ in LI15SI4_SITES]
        basis = [position for _, position in LI15SI4_SITES]
        return crystal(symbols, basis, spacegroup=220, cellpar=[a_A] * 3 + [90] * 3, primitive_cell=not cubic)
    if kind == "hcp":
        return ase_bulk(material, "hcp", a=a_A, c=c_A)
    return ase_bulk(material, kind, a=a_A, cubic=cubic)


def model_lattice(material: str, calculator: ModelLike, *, strain_max: float = 0.04, n_points: int = 9) -> Lattice:
    """The lattice constants that minimise a model's energy of ``material``'s bulk.

    The experimental cell is scaled isotropically (c/a and internal coordinates kept) over
    ``1 +/- strain_max`` in length and the energies fitted with ASE's Birch-Murnaghan equation of state.
    ``calculator``: a model name, :class:`~anodelab.sim.atomistic.calculators.Model` or ASE calculator.
    """
    from ase.eos import EquationOfState

    from anodelab.sim.atomistic.calculators import get_model

    if not 0 < strain_max < 0.2 or n_points < 5:
        raise ValidationError("strain_max", f"need 0 < strain_max < 0.2 and n_points >= 5, got {strain_max}, {n_points}")
    chosen = get_model(calculator)
    reference = bulk(material)
    scales = np.linspace(1 - strain_max, 1 + strain_max, n_points)
    volumes, energies = [], []
    for scale in scales:
        atoms = reference.copy()
        atoms.set_cell(reference.cell[:] * scale, scale_atoms=True)
        chosen.attach(atoms)
        volumes.append(atoms.get_volume())
        energies.append(atoms.get_potential_energy())
    v0, _, _ = EquationOfState(volumes, energies, eos="birchmurnaghan").fit()
    scale0 = float((v0 / reference.get_volume()) ** (1 / 3))
    if not 1 - strain_max < scale0 < 1 + strain_max:
        raise ValidationError("strain_max", f"the {chosen.name} minimum of {material} lies outside 1 +/- {strain_max} "
                                            "of the experimental lattice constant: widen strain_max")
    exp = EXPERIMENTAL[material]
    return Lattice(exp.a_A * scale0, None if exp.c_A is None else exp.c_A * scale0,
                   f"relaxed with {chosen.name} ({chosen.version}): isotropic E(V) fit, c/a of experiment")
