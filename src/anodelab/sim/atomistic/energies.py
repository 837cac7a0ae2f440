"""Binding, surface and interface energies from relaxed total energies (definitions in
:data:`~anodelab.sim.atomistic.result.DEFINITIONS`).

- :func:`binding_energy`: per adsorbate atom, against the isolated atom (in a periodic box of
  :data:`ATOM_BOX_A`, no spin: the models here have none) and against the bulk metal per atom (its
  cell relaxed), both reported; ``reference`` picks the headline one (which a paper used).
- :func:`surface_energy`: ``(E_slab - N E_bulk) / 2A`` of a two-sided slab whose composition is a
  whole number of bulk formula units.
- :func:`interface_energy`: ``(E_ab - E_a - E_b) / A`` and the total, with the strain applied to
  match the lattices when given.

With ``relax`` the slabs and cells relax their positions (their cells fixed: a slab's in-plane
lattice is the bulk's); the bulk reference of a binding energy relaxes its cell too. A surface
energy's bulk is relaxed in its given cell: where its stress is large, the slab is strained against
the model's own lattice and the result says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic.calculators import DEFAULT_MODEL, Model, get_model
from anodelab.sim.atomistic.relax import DEFAULT_STEPS, relaxed, stamp
from anodelab.sim.atomistic.result import (
    BindingResult,
    InterfaceEnergyResult,
    RelaxResult,
    Structure,
    SurfaceEnergyResult,
)

if TYPE_CHECKING:
    from ase import Atoms

    from anodelab.sim.atomistic.calculators import ModelLike

#: edge of the cubic periodic box the isolated atom sits in (Å): beyond every model's cutoff
ATOM_BOX_A = 18.0
#: a bulk reference whose largest stress component exceeds this (GPa) is strained against the model
STRESS_WARN_GPA = 1.0
Reference = Literal["atom", "bulk"]


def binding_energy(surface: Atoms, adsorbed: Atoms, adsorbate: str, calculator: ModelLike = DEFAULT_MODEL, *,
                   bulk: Atoms | None = None, relax: bool = True, reference: Reference = "atom",
                   fmax: float = 0.05, steps: int = DEFAULT_STEPS) -> BindingResult:
    """Binding energy per ``adsorbate`` atom of ``adsorbed`` (``surface`` plus n atoms of it) against the
    isolated atom and, with ``bulk`` (the adsorbate's bulk metal), against the bulk per atom."""
    chosen = get_model(calculator)
    n = _added(surface, adsorbed, adsorbate)
    if reference not in ("atom", "bulk"):
        raise ValidationError("reference", f"expected 'atom' or 'bulk', got {reference!r}")
    if bulk is not None and set(bulk.get_chemical_symbols()) != {adsorbate}:
        raise ValidationError("bulk", f"must be bulk {adsorbate} only, got {bulk.get_chemical_formula()}")
    if bulk is None and reference == "bulk":
        raise ValidationError("bulk", "reference='bulk' needs the bulk metal of the adsorbate")
    surface_energy_eV, surface_relax = _energy(surface, chosen, relax, fmax, steps)
    adsorbed_energy_eV, adsorbed_relax = _energy(adsorbed, chosen, relax, fmax, steps)
    bulk_per_atom, bulk_relax = None, None
    if bulk is not None:
        bulk_energy, bulk_relax = _energy(bulk, chosen, relax, fmax, steps, cell=True)
        bulk_per_atom = bulk_energy / len(bulk)
    relaxations = {"surface": surface_relax, "adsorbed": adsorbed_relax, "bulk": bulk_relax}
    result = BindingResult(
        adsorbate=adsorbate, n_adsorbate=n, reference=reference, surface_energy_eV=surface_energy_eV,
        adsorbed_energy_eV=adsorbed_energy_eV, atom_energy_eV=isolated_atom_energy_eV(adsorbate, chosen),
        bulk_energy_per_atom_eV=bulk_per_atom, converged=_converged(relaxations),
        adsorbed=_structure(adsorbed, adsorbed_relax), relaxations=relaxations,
        warnings=() if bulk is not None else ("no bulk given: the binding energy against the bulk metal is missing",))
    stamped: BindingResult = stamp(result, chosen, "binding", {"adsorbate": adsorbate, "relax": relax,
                                                               "reference": reference, "fmax_eV_A": fmax, "steps": steps})
    return stamped


def surface_energy(bulk: Atoms, slab: Atoms, calculator: ModelLike = DEFAULT_MODEL, *, relax: bool = True,
                   fmax: float = 0.05, steps: int = DEFAULT_STEPS) -> SurfaceEnergyResult:
    """Surface energy of the two-sided ``slab`` (surfaces normal to its third cell vector) against ``bulk``."""
    chosen = get_model(calculator)
    n_formula = _formula_units(bulk, slab)
    bulk_energy, bulk_relax = _energy(bulk, chosen, relax, fmax, steps)
    slab_energy, slab_relax = _energy(slab, chosen, relax, fmax, steps)
    relaxations = {"bulk": bulk_relax, "slab": slab_relax}
    result = SurfaceEnergyResult(
        slab_energy_eV=slab_energy, bulk_energy_per_formula_eV=bulk_energy / float(_units(bulk)),
        n_formula=n_formula, area_A2=in_plane_area_A2(slab), converged=_converged(relaxations),
        slab=_structure(slab, slab_relax), relaxations=relaxations, warnings=_stress_warnings(bulk, chosen))
    stamped: SurfaceEnergyResult = stamp(result, chosen, "surface_energy", {"relax": relax, "fmax_eV_A": fmax,
                                                                              "steps": steps})
    return stamped


def interface_energy(a: Atoms, b: Atoms, ab: Atoms, calculator: ModelLike = DEFAULT_MODEL, *, relax: bool = True,
                     strain: float | None = None, fmax: float = 0.05, steps: int = DEFAULT_STEPS) -> InterfaceEnergyResult:
    """Interface energy of ``ab`` (the atoms of ``a`` and ``b`` together) against its parts, per in-plane area of ab."""
    chosen = get_model(calculator)
    if Counter(ab.get_chemical_symbols()) != Counter(a.get_chemical_symbols()) + Counter(b.get_chemical_symbols()):
        raise ValidationError("ab", f"must hold the atoms of a and b ({a.get_chemical_formula()} + "
                                    f"{b.get_chemical_formula()}), got {ab.get_chemical_formula()}")
    energies = {name: _energy(atoms, chosen, relax, fmax, steps) for name, atoms in (("a", a), ("b", b), ("ab", ab))}
    relaxations = {name: pair[1] for name, pair in energies.items()}
    result = InterfaceEnergyResult(
        a_energy_eV=energies["a"][0], b_energy_eV=energies["b"][0], ab_energy_eV=energies["ab"][0],
        area_A2=in_plane_area_A2(ab), strain=strain, converged=_converged(relaxations),
        ab=_structure(ab, relaxations["ab"]), relaxations=relaxations)
    stamped: InterfaceEnergyResult = stamp(result, chosen, "interface_energy",
                                           {"relax": relax, "strain": strain, "fmax_eV_A": fmax, "steps": steps})
    return stamped


def isolated_atom_energy_eV(symbol: str, model: Model) -> float:
    """Energy of one ``symbol`` atom alone in a periodic cubic box of :data:`ATOM_BOX_A`."""
    from ase import Atoms

    atom = Atoms(symbol, positions=[(ATOM_BOX_A / 2,) * 3], cell=[ATOM_BOX_A] * 3, pbc=True)
    return float(model.attach(atom).get_potential_energy())


def in_plane_area_A2(atoms: Atoms) -> float:
    """|a1 x a2| of the cell (Å²): the area of a slab whose surfaces are normal to the third vector."""
    cell = np.asarray(atoms.cell[:], dtype=np.float64)
    area = float(np.linalg.norm(np.cross(cell[0], cell[1])))
    if not area > 0:
        raise ValidationError("slab", "its first two cell vectors span no area (set the cell)")
    return area


def _energy(atoms: Atoms, model: Model, relax: bool, fmax: float, steps: int, *,
            cell: bool = False) -> tuple[float, RelaxResult | None]:
    """(energy, relaxation or None): relaxed when ``relax``, else a single point."""
    if relax:
        _, result = relaxed(atoms, model, fmax=fmax, steps=steps, cell=cell)
        return result.energy_eV, result
    return float(model.attach(atoms.copy()).get_potential_energy()), None


def _structure(atoms: Atoms, relaxation: RelaxResult | None) -> Structure:
    return relaxation.structure if relaxation is not None else Structure.from_atoms(atoms)


def _converged(relaxations: Mapping[str, RelaxResult | None]) -> bool:
    return all(r.converged for r in relaxations.values() if r is not None)


def _added(surface: Atoms, adsorbed: Atoms, adsorbate: str) -> int:
    """How many ``adsorbate`` atoms ``adsorbed`` holds beyond ``surface`` (nothing else may differ)."""
    difference: Counter[str] = Counter(adsorbed.get_chemical_symbols())
    difference.subtract(Counter(surface.get_chemical_symbols()))
    others = {s: n for s, n in difference.items() if s != adsorbate and n}
    n = difference.get(adsorbate, 0)
    if others or n < 1:
        raise ValidationError("adsorbed", f"must be the surface plus n >= 1 {adsorbate} atoms, got "
                                          f"{adsorbed.get_chemical_formula()} on {surface.get_chemical_formula()}")
    return n


def _units(bulk: Atoms) -> int:
    """Formula units in ``bulk`` (the greatest common divisor of its element counts)."""
    return int(np.gcd.reduce(list(Counter(bulk.get_chemical_symbols()).values())))


def _formula_units(bulk: Atoms, slab: Atoms) -> float:
    """Bulk formula units in ``slab``: refused unless its composition is a whole number of them."""
    bulk_counts: Counter[str] = Counter(bulk.get_chemical_symbols())
    per_unit = {s: Fraction(n, _units(bulk)) for s, n in bulk_counts.items()}
    counts: Counter[str] = Counter(slab.get_chemical_symbols())
    ratios = {Fraction(counts.get(s, 0)) / n for s, n in per_unit.items()}
    k = ratios.pop() if len(ratios) == 1 and set(counts) == set(per_unit) else Fraction(0)
    if k.denominator != 1 or k < 1:
        raise ValidationError("slab", f"must be a whole number of bulk formula units ({bulk.get_chemical_formula()}), "
                                      f"got {slab.get_chemical_formula()}: a non-stoichiometric slab has no "
                                      "surface energy without chemical potentials")
    return float(k)


def _stress_warnings(bulk: Atoms, model: Model) -> tuple[str, ...]:
    from ase.calculators.calculator import PropertyNotImplementedError
    from ase.units import GPa

    try:
        stress_GPa = float(np.abs(model.attach(bulk.copy()).get_stress()).max()) / GPa
    except PropertyNotImplementedError:
        return ()
    if stress_GPa <= STRESS_WARN_GPA:
        return ()
    warning = (f"the bulk's largest stress is {stress_GPa:.2g} GPa under {model.name}: the slab's lattice is not the "
               "model's equilibrium, and the surface energy includes its strain energy")
    return (warning,)
