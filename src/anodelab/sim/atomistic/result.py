"""The results of the atomistic tasks, and the plain-array form of a structure they keep.

Energies in eV, forces in eV/Å (units ``eV/A``), lengths in Å (``_A``), areas in Å² (``_A2``).
Every result names its model (``model``: name, version, source) and, when run on a named system,
the system and the literature DFT value of its headline number (``dft_eV``, in the headline's unit:
eV for barriers and binding energies, eV/Å2 for interface energies, J/m2 for surface energies;
``delta_vs_dft``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Metric, Result

if TYPE_CHECKING:
    from ase import Atoms

#: 1 eV/Å² in J/m² (e / 1e-20 m²)
J_M2_PER_EV_A2 = 1.602176634e-19 / 1e-20

DEFINITIONS = {
    "energy": "potential energy of the relaxed structure",
    "max_force": "largest per-atom force norm (fixed atoms excluded) at the end of the relaxation",
    "converged": "1 if the optimizer reached the force threshold fmax within its step limit, else 0",
    "steps": "optimizer steps taken",
    "barrier": "forward barrier: highest image energy minus the initial state's (the climbing image: the saddle)",
    "reverse_barrier": "highest image energy minus the final state's",
    "reaction_energy": "final minus initial state energy",
    "saddle_max_force": "largest per-atom force norm on the highest image (zero at a saddle point)",
    "binding_energy_atom": "(E(surface + n X) - E(surface) - n E(isolated X atom)) / n",
    "binding_energy_bulk": "(E(surface + n X) - E(surface) - n E(bulk X per atom)) / n",
    "cohesive_energy": "E(isolated atom) - E(bulk per atom) of the adsorbate element, same model "
                       "(binding_energy_atom - binding_energy_bulk = -cohesive_energy)",
    "surface_energy": "(E(slab) - N E(bulk per formula unit)) / (2 A): a two-sided slab, A its in-plane cell area",
    "interface_energy": "(E(ab) - E(a) - E(b)) / A, A the in-plane cell area of ab (negative: the interface binds)",
    "interface_energy_total": "E(ab) - E(a) - E(b)",
    "delta_vs_dft": "headline value minus the literature DFT value",
}


@dataclass(frozen=True)
class Structure:
    """A structure as plain arrays: atomic numbers, positions (Å), cell (Å), periodicity, fixed atoms."""

    numbers: NDArray[np.int64]
    positions_A: NDArray[np.float64]
    cell_A: NDArray[np.float64]
    pbc: tuple[bool, bool, bool]
    fixed: NDArray[np.bool_]

    @classmethod
    def from_atoms(cls, atoms: Atoms) -> Structure:
        from ase.constraints import FixAtoms

        fixed = np.zeros(len(atoms), dtype=bool)
        for constraint in atoms.constraints:
            if isinstance(constraint, FixAtoms):
                fixed[constraint.index] = True
        pbc = tuple(bool(p) for p in atoms.pbc)
        return cls(np.array(atoms.numbers, dtype=np.int64), np.array(atoms.positions, dtype=np.float64),
                   np.array(atoms.cell[:], dtype=np.float64), (pbc[0], pbc[1], pbc[2]), fixed)

    def to_atoms(self) -> Atoms:
        """The structure as ASE ``Atoms`` (fixed atoms as a ``FixAtoms`` constraint)."""
        from ase import Atoms
        from ase.constraints import FixAtoms

        atoms = Atoms(numbers=self.numbers, positions=self.positions_A, cell=self.cell_A, pbc=self.pbc)
        if self.fixed.any():
            atoms.set_constraint(FixAtoms(mask=self.fixed))
        return atoms

    @property
    def formula(self) -> str:
        from ase.symbols import Symbols

        return str(Symbols(self.numbers).get_chemical_formula())

    def to_dict(self) -> dict[str, Any]:
        return {"formula": self.formula, "numbers": self.numbers.tolist(), "positions_A": self.positions_A.tolist(),
                "cell_A": self.cell_A.tolist(), "pbc": list(self.pbc), "fixed": self.fixed.tolist()}

    def table(self) -> dict[str, NDArray[Any]]:
        """Per atom: index, atomic number, x/y/z (Å), fixed."""
        return {"atom": np.arange(len(self.numbers)), "number": self.numbers, "x_A": self.positions_A[:, 0],
                "y_A": self.positions_A[:, 1], "z_A": self.positions_A[:, 2], "fixed": self.fixed}


@dataclass(frozen=True, repr=False, kw_only=True)
class AtomisticResult(Result):
    """What every atomistic result carries: its model, and when run on a named system, the system and
    the literature DFT value of the headline number (:meth:`primary`)."""

    model: Mapping[str, str] = field(default_factory=dict)
    system: str | None = None
    dft_eV: float | None = None
    dft_reference: str | None = None

    def quantities(self) -> tuple[Metric, ...]:
        """The result's own metrics (:meth:`metrics` adds the comparison with DFT); the first is the headline."""
        raise NotImplementedError(f"{type(self).__name__} does not list its quantities")

    def metrics(self) -> tuple[Metric, ...]:
        return (*self.quantities(), *self.dft_metrics())

    def primary(self) -> Metric:
        """The headline number (the one a DFT value is set against, in its unit)."""
        return self.quantities()[0]

    def delta_vs_dft(self) -> float | None:
        """The headline number minus ``dft_eV`` (read in the headline's unit), None without one."""
        return None if self.dft_eV is None else self.primary().value - self.dft_eV

    def context(self) -> dict[str, Any]:
        return {"model": dict(self.model), "system": self.system, "dft_eV": self.dft_eV,
                "dft_reference": self.dft_reference, "delta_vs_dft": self.delta_vs_dft(),
                "dft_unit": self.primary().unit if self.dft_eV is not None else None}

    def dft_metrics(self) -> tuple[Metric, ...]:
        delta = self.delta_vs_dft()
        if delta is None:
            return ()
        return (Metric("delta_vs_dft", delta, self.primary().unit, definition=DEFINITIONS["delta_vs_dft"]),)

    def model_note(self) -> str:
        return f"{self.model.get('name', '?')}" + (f", {self.system}" if self.system else "")


def _summaries(relaxations: Mapping[str, RelaxResult | None]) -> dict[str, dict[str, Any] | None]:
    """Each relaxation's numbers without its structure (None where a part was not relaxed)."""
    return {name: None if relax is None else relax.summary() for name, relax in relaxations.items()}


def _definitions(*keys: str) -> dict[str, str]:
    return {key: DEFINITIONS[key] for key in keys}


@dataclass(frozen=True, repr=False)
class RelaxResult(AtomisticResult):
    """A relaxation (positions, and the cell when ``cell_relaxed``): energies, force, convergence, structure."""

    kind: ClassVar[str] = "atomistic_relax"
    version: ClassVar[int] = 1

    energy_eV: float
    initial_energy_eV: float
    max_force_eV_A: float
    converged: bool
    steps: int
    fmax_eV_A: float
    cell_relaxed: bool
    structure: Structure

    @property
    def energy_per_atom_eV(self) -> float:
        return self.energy_eV / len(self.structure.numbers)

    def quantities(self) -> tuple[Metric, ...]:
        d = DEFINITIONS
        return (Metric("energy", self.energy_eV, "eV", definition=d["energy"]),
                Metric("energy_per_atom", self.energy_per_atom_eV, "eV", definition=d["energy"] + ", per atom"),
                Metric("max_force", self.max_force_eV_A, "eV/A", definition=d["max_force"]),
                Metric("converged", float(self.converged), "", definition=d["converged"]),
                Metric("steps", float(self.steps), "", definition=d["steps"]))

    def content(self) -> dict[str, Any]:
        return {"energy_eV": self.energy_eV, "energy_per_atom_eV": self.energy_per_atom_eV,
                "initial_energy_eV": self.initial_energy_eV, "max_force_eV_A": self.max_force_eV_A,
                "converged": self.converged, "steps": self.steps, "fmax_eV_A": self.fmax_eV_A,
                "cell_relaxed": self.cell_relaxed, "structure": self.structure.to_dict(), **self.context()}

    def summary(self) -> dict[str, Any]:
        """The numbers without the structure (what a task that ran this relaxation repeats)."""
        return {"energy_eV": self.energy_eV, "max_force_eV_A": self.max_force_eV_A, "converged": self.converged,
                "steps": self.steps, "formula": self.structure.formula}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"atoms": self.structure.table()}

    def headline(self) -> str:
        state = f"converged in {self.steps} steps" if self.converged else f"NOT converged after {self.steps} steps"
        return (f"{self.structure.formula}: E = {self.energy_eV:.4f} eV ({self.energy_per_atom_eV:.4f} eV/atom), "
                f"max force {self.max_force_eV_A:.3f} eV/A, {state} ({self.model_note()})")


@dataclass(frozen=True, repr=False)
class NEBResult(AtomisticResult):
    """A (climbing-image) nudged elastic band: the path's energies and forces, the saddle, the images.

    ``energies_eV`` are absolute, image 0 the initial and the last the final state; ``max_force_eV_A``
    is per image the force the optimizer converges (the NEB force: perpendicular true force plus springs,
    the climbing image's with its tangential part inverted; the endpoints' true force)."""

    kind: ClassVar[str] = "atomistic_neb"
    version: ClassVar[int] = 1

    energies_eV: tuple[float, ...]
    coordinate_A: tuple[float, ...]
    max_force_eV_A: tuple[float, ...]
    saddle_index: int
    saddle_max_force_eV_A: float
    converged: bool
    climb: bool
    fmax_eV_A: float
    steps: int
    images: tuple[Structure, ...]
    initial_relax: RelaxResult | None = None
    final_relax: RelaxResult | None = None

    @property
    def path_energy_eV(self) -> NDArray[np.float64]:
        """Energies relative to the initial state."""
        energies = np.asarray(self.energies_eV, dtype=np.float64)
        relative: NDArray[np.float64] = energies - energies[0]
        return relative

    @property
    def barrier_eV(self) -> float:
        return float(max(self.energies_eV) - self.energies_eV[0])

    @property
    def reverse_barrier_eV(self) -> float:
        return float(max(self.energies_eV) - self.energies_eV[-1])

    @property
    def reaction_energy_eV(self) -> float:
        return float(self.energies_eV[-1] - self.energies_eV[0])

    def quantities(self) -> tuple[Metric, ...]:
        d = DEFINITIONS
        return (Metric("barrier", self.barrier_eV, "eV", definition=d["barrier"]),
                Metric("reverse_barrier", self.reverse_barrier_eV, "eV", definition=d["reverse_barrier"]),
                Metric("reaction_energy", self.reaction_energy_eV, "eV", definition=d["reaction_energy"]),
                Metric("saddle_max_force", self.saddle_max_force_eV_A, "eV/A", definition=d["saddle_max_force"]),
                Metric("converged", float(self.converged), "", definition=d["converged"]))

    def content(self) -> dict[str, Any]:
        relaxed = _summaries({"initial_relax": self.initial_relax, "final_relax": self.final_relax})
        return {"barrier_eV": self.barrier_eV, "reverse_barrier_eV": self.reverse_barrier_eV,
                "reaction_energy_eV": self.reaction_energy_eV, "converged": self.converged,
                "path_energy_eV": self.path_energy_eV.tolist(), "energies_eV": list(self.energies_eV),
                "coordinate_A": list(self.coordinate_A), "max_force_eV_A": list(self.max_force_eV_A),
                "saddle_index": self.saddle_index, "saddle_max_force_eV_A": self.saddle_max_force_eV_A,
                "climb": self.climb, "n_images": len(self.images) - 2, "fmax_eV_A": self.fmax_eV_A,
                "steps": self.steps, **relaxed, "images": [image.to_dict() for image in self.images],
                "definitions": _definitions("barrier", "reverse_barrier", "reaction_energy", "saddle_max_force"),
                **self.context()}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        n = len(self.energies_eV)
        path = {"image": np.arange(n), "coordinate_A": np.asarray(self.coordinate_A),
                "energy_eV": self.path_energy_eV, "max_force_eV_A": np.asarray(self.max_force_eV_A),
                "saddle": np.arange(n) == self.saddle_index}
        tables = [image.table() for image in self.images]
        images = {key: np.concatenate([table[key] for table in tables]) for key in tables[0]}
        images = {"image": np.repeat(np.arange(n), [len(image.numbers) for image in self.images]), **images}
        return {"path": path, "images": images}

    def headline(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return (f"barrier {self.barrier_eV:.3f} eV (reverse {self.reverse_barrier_eV:.3f}, reaction "
                f"{round(self.reaction_energy_eV, 3) + 0.0:+.3f} eV), "
                f"saddle image {self.saddle_index} of {len(self.images) - 1}, "
                f"{state} ({self.model_note()})")


@dataclass(frozen=True, repr=False)
class BindingResult(AtomisticResult):
    """Binding energy of ``n_adsorbate`` atoms of ``adsorbate`` on a surface, per atom, against the
    isolated atom and against the bulk metal (per atom); ``reference`` names the headline one."""

    kind: ClassVar[str] = "atomistic_binding"
    version: ClassVar[int] = 1

    adsorbate: str
    n_adsorbate: int
    reference: str
    surface_energy_eV: float
    adsorbed_energy_eV: float
    atom_energy_eV: float
    bulk_energy_per_atom_eV: float | None
    converged: bool
    adsorbed: Structure
    relaxations: Mapping[str, RelaxResult | None] = field(default_factory=dict)

    @property
    def binding_energy_atom_eV(self) -> float:
        return (self.adsorbed_energy_eV - self.surface_energy_eV) / self.n_adsorbate - self.atom_energy_eV

    @property
    def binding_energy_bulk_eV(self) -> float | None:
        if self.bulk_energy_per_atom_eV is None:
            return None
        return (self.adsorbed_energy_eV - self.surface_energy_eV) / self.n_adsorbate - self.bulk_energy_per_atom_eV

    @property
    def cohesive_energy_eV(self) -> float | None:
        if self.bulk_energy_per_atom_eV is None:
            return None
        return self.atom_energy_eV - self.bulk_energy_per_atom_eV

    def quantities(self) -> tuple[Metric, ...]:
        d = DEFINITIONS
        values = {"binding_energy_atom": self.binding_energy_atom_eV, "binding_energy_bulk": self.binding_energy_bulk_eV}
        order = ("binding_energy_atom", "binding_energy_bulk")[:: 1 if self.reference == "atom" else -1]
        metrics = [Metric(name, _nan(values[name]), "eV", definition=d[name]) for name in order]
        metrics.append(Metric("cohesive_energy", _nan(self.cohesive_energy_eV), "eV", definition=d["cohesive_energy"]))
        metrics.append(Metric("converged", float(self.converged), "", definition=d["converged"]))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"binding_energy_eV": self.primary().value, "reference": self.reference,
                "binding_energy_atom_eV": self.binding_energy_atom_eV,
                "binding_energy_bulk_eV": self.binding_energy_bulk_eV, "cohesive_energy_eV": self.cohesive_energy_eV,
                "adsorbate": self.adsorbate, "n_adsorbate": self.n_adsorbate,
                "surface_energy_eV": self.surface_energy_eV, "adsorbed_energy_eV": self.adsorbed_energy_eV,
                "atom_energy_eV": self.atom_energy_eV, "bulk_energy_per_atom_eV": self.bulk_energy_per_atom_eV,
                "converged": self.converged, "adsorbed": self.adsorbed.to_dict(),
                "relaxations": _summaries(self.relaxations),
                "definitions": _definitions("binding_energy_atom", "binding_energy_bulk", "cohesive_energy"),
                **self.context()}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"adsorbed": self.adsorbed.table()}

    def headline(self) -> str:
        bulk = self.binding_energy_bulk_eV
        vs_bulk = "no bulk reference" if bulk is None else f"{bulk:.3f} eV vs bulk {self.adsorbate}"
        return (f"{self.adsorbate} binding {self.binding_energy_atom_eV:.3f} eV/atom vs the isolated atom, {vs_bulk} "
                f"(headline: {self.reference}; {self.model_note()})")


@dataclass(frozen=True, repr=False)
class SurfaceEnergyResult(AtomisticResult):
    """Surface energy of a two-sided slab against its bulk."""

    kind: ClassVar[str] = "atomistic_surface"
    version: ClassVar[int] = 1

    slab_energy_eV: float
    bulk_energy_per_formula_eV: float
    n_formula: float
    area_A2: float
    converged: bool
    slab: Structure
    relaxations: Mapping[str, RelaxResult | None] = field(default_factory=dict)

    @property
    def surface_energy_eV_A2(self) -> float:
        return (self.slab_energy_eV - self.n_formula * self.bulk_energy_per_formula_eV) / (2.0 * self.area_A2)

    @property
    def surface_energy_J_m2(self) -> float:
        return self.surface_energy_eV_A2 * J_M2_PER_EV_A2

    def quantities(self) -> tuple[Metric, ...]:
        d = DEFINITIONS
        return (Metric("surface_energy", self.surface_energy_J_m2, "J/m2", definition=d["surface_energy"]),
                Metric("surface_energy_per_A2", self.surface_energy_eV_A2, "eV/A2", definition=d["surface_energy"]),
                Metric("converged", float(self.converged), "", definition=d["converged"]))

    def content(self) -> dict[str, Any]:
        return {"surface_energy_J_m2": self.surface_energy_J_m2, "surface_energy_eV_A2": self.surface_energy_eV_A2,
                "slab_energy_eV": self.slab_energy_eV, "bulk_energy_per_formula_eV": self.bulk_energy_per_formula_eV,
                "n_formula": self.n_formula, "area_A2": self.area_A2, "converged": self.converged,
                "slab": self.slab.to_dict(),
                "relaxations": _summaries(self.relaxations), "definitions": _definitions("surface_energy"),
                **self.context()}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"slab": self.slab.table()}

    def headline(self) -> str:
        return (f"{self.slab.formula}: surface energy {self.surface_energy_J_m2:.4f} J/m2 "
                f"({self.surface_energy_eV_A2:.5f} eV/A2), area {self.area_A2:.2f} A2 ({self.model_note()})")


@dataclass(frozen=True, repr=False)
class InterfaceEnergyResult(AtomisticResult):
    """Interface energy of the combined cell ``ab`` against its parts ``a`` and ``b``."""

    kind: ClassVar[str] = "atomistic_interface"
    version: ClassVar[int] = 1

    a_energy_eV: float
    b_energy_eV: float
    ab_energy_eV: float
    area_A2: float
    strain: float | None
    converged: bool
    ab: Structure
    relaxations: Mapping[str, RelaxResult | None] = field(default_factory=dict)

    @property
    def interface_energy_total_eV(self) -> float:
        return self.ab_energy_eV - self.a_energy_eV - self.b_energy_eV

    @property
    def interface_energy_eV_A2(self) -> float:
        return self.interface_energy_total_eV / self.area_A2

    @property
    def interface_energy_J_m2(self) -> float:
        return self.interface_energy_eV_A2 * J_M2_PER_EV_A2

    def quantities(self) -> tuple[Metric, ...]:
        d = DEFINITIONS
        metrics = [Metric("interface_energy_per_A2", self.interface_energy_eV_A2, "eV/A2",
                          definition=d["interface_energy"]),
                   Metric("interface_energy", self.interface_energy_J_m2, "J/m2", definition=d["interface_energy"]),
                   Metric("interface_energy_total", self.interface_energy_total_eV, "eV",
                          definition=d["interface_energy_total"]),
                   Metric("converged", float(self.converged), "", definition=d["converged"])]
        if self.strain is not None:
            metrics.append(Metric("strain", self.strain, "", definition="strain applied to match the two lattices"))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"interface_energy_J_m2": self.interface_energy_J_m2,
                "interface_energy_eV_A2": self.interface_energy_eV_A2,
                "interface_energy_total_eV": self.interface_energy_total_eV, "a_energy_eV": self.a_energy_eV,
                "b_energy_eV": self.b_energy_eV, "ab_energy_eV": self.ab_energy_eV, "area_A2": self.area_A2,
                "strain": self.strain, "converged": self.converged, "ab": self.ab.to_dict(),
                "relaxations": _summaries(self.relaxations),
                "definitions": _definitions("interface_energy", "interface_energy_total"),
                **self.context()}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"ab": self.ab.table()}

    def headline(self) -> str:
        strain = "" if self.strain is None else f", strain {self.strain:.2%}"
        return (f"interface energy {self.interface_energy_J_m2:.4f} J/m2 ({self.interface_energy_total_eV:.3f} eV "
                f"over {self.area_A2:.2f} A2{strain}) ({self.model_note()})")


@dataclass(frozen=True, repr=False)
class ScreenResult(AtomisticResult):
    """Candidate hops ranked by forward barrier (lowest first), each with its NEB result."""

    kind: ClassVar[str] = "atomistic_screen"
    version: ClassVar[int] = 1

    labels: tuple[str, ...]
    hops: tuple[NEBResult, ...]

    def quantities(self) -> tuple[Metric, ...]:
        metrics: list[Metric] = []
        for rank, (label, hop) in enumerate(zip(self.labels, self.hops, strict=True), start=1):
            metrics.append(Metric("barrier", hop.barrier_eV, "eV", index_name="rank", index=rank,
                                  definition=f"{label}: {DEFINITIONS['barrier']}"))
            metrics.append(Metric("converged", float(hop.converged), "", index_name="rank", index=rank,
                                  definition=DEFINITIONS["converged"]))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        rows = [{"rank": rank, "label": label, **{k: hop.content()[k] for k in (
                    "barrier_eV", "reverse_barrier_eV", "reaction_energy_eV", "converged", "saddle_max_force_eV_A")}}
                for rank, (label, hop) in enumerate(zip(self.labels, self.hops, strict=True), start=1)]
        return {"hops": rows, "results": {label: hop.to_dict() for label, hop in zip(self.labels, self.hops, strict=True)},
                **self.context()}

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        return {"hops": {
            "rank": np.arange(1, len(self.hops) + 1), "label": np.array(self.labels, dtype=object),
            "barrier_eV": np.array([h.barrier_eV for h in self.hops]),
            "reverse_barrier_eV": np.array([h.reverse_barrier_eV for h in self.hops]),
            "reaction_energy_eV": np.array([h.reaction_energy_eV for h in self.hops]),
            "converged": np.array([h.converged for h in self.hops]),
            "saddle_max_force_eV_A": np.array([h.saddle_max_force_eV_A for h in self.hops])}}

    def headline(self) -> str:
        parts = [f"{label} {hop.barrier_eV:.3f} eV" + ("" if hop.converged else " (not converged)")
                 for label, hop in zip(self.labels, self.hops, strict=True)]
        return f"{len(self.hops)} hops, lowest barrier first: " + ", ".join(parts)

def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
