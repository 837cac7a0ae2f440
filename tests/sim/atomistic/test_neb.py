"""CI-NEB with EMT against the ASE tutorials' published EMT barriers, an independent saddle by
constrained relaxation, ASE's own test value, and the invariances a barrier must have."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("ase")

from ase import Atoms
from ase.calculators.calculator import all_changes
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixedPlane
from ase.optimize import BFGS

from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import NEBResult, neb

#: published EMT barriers of the ASE tutorials (eV)
#: - Au on Al(100), hollow -> hollow via bridge: "The barrier is found to be 0.35 eV - exactly as in the
#:   NEB tutorial" (ASE docs, tutorials/constraints/diffusion.rst, "Surface diffusion energy barriers using
#:   ASE constraints"; the NEB tutorial is tutorials/neb/diffusion.rst)
#: - Al adatom on Al(110) (tutorials/selfdiffusion/neb1.py, neb2.py, neb3.py: "# 126 meV", "# 564 meV",
#:   "# 235 meV"), the tutorials' own 5-image plain NEB with MDMin
AU_AL100_EV = 0.35
AL110_EV = {"along": 0.126, "across": 0.564, "exchange": 0.235}
#: how close: the tutorials quote 2-3 digits read off a plot; with today's ASE (3.29) the tutorials' own
#: scripts give 0.374 (Au/Al(100)) and 0.111 (along) eV, ours agree with those to 2 meV (see below)
PUBLISHED_TOL_EV = 0.03
#: ASE's own test (ase/test/neb/test_autoneb.py, test_Au2Ag): Au hopping between a fixed Au and Ag, EMT
AU2AG_EV = 4.185


def _bridge_barrier_by_constraint() -> float:
    """The constraint tutorial's method, run here by hand: Au relaxed in the hollow, and at the bridge
    with its x fixed (FixedPlane normal to x): the bridge is the saddle by symmetry."""
    from ase.build import add_adsorbate, fcc100

    slab = fcc100("Al", size=(2, 2, 3))
    add_adsorbate(slab, "Au", 1.7, "hollow")
    slab.center(axis=2, vacuum=4.0)
    fixed = FixAtoms(mask=[atom.tag > 1 for atom in slab])
    slab.set_constraint([fixed, FixedPlane(len(slab) - 1, (1, 0, 0))])
    slab.calc = EMT()
    BFGS(slab, logfile=None).run(fmax=0.002)
    hollow = slab.get_potential_energy()
    slab[-1].x += slab.get_cell()[0, 0] / 4
    BFGS(slab, logfile=None).run(fmax=0.002)
    return float(slab.get_potential_energy() - hollow)


def test_au_on_al100_matches_the_published_and_the_constrained_saddle(au_al_neb):
    result = au_al_neb
    assert result.converged
    assert result.barrier_eV == pytest.approx(AU_AL100_EV, abs=PUBLISHED_TOL_EV)
    assert result.barrier_eV == pytest.approx(_bridge_barrier_by_constraint(), abs=0.003)
    # symmetric hop: the same barrier back, no reaction energy
    assert result.reverse_barrier_eV == pytest.approx(result.barrier_eV, abs=0.003)
    assert abs(result.reaction_energy_eV) < 0.003


def test_climbing_image_sits_at_the_bridge_with_force_below_fmax(au_al_neb):
    result = au_al_neb
    assert result.saddle_max_force_eV_A < result.fmax_eV_A
    first, saddle, last = (result.images[i].positions_A[-1] for i in (0, result.saddle_index, -1))
    assert np.allclose(saddle[:2], (first[:2] + last[:2]) / 2, atol=0.03)  # the bridge: midway
    assert result.saddle_index == int(np.argmax(result.energies_eV))
    assert all(force < result.fmax_eV_A for force in result.max_force_eV_A)


@pytest.mark.parametrize("hop", ["along", "across", "exchange"])
def test_al_on_al110_matches_the_published_barriers(cases, hop):
    initial, final = cases.al_on_al110(hop)
    result = neb(initial, final, "emt", n_images=5)
    assert result.converged
    assert result.saddle_max_force_eV_A < result.fmax_eV_A
    assert result.barrier_eV == pytest.approx(AL110_EV[hop], abs=PUBLISHED_TOL_EV)


def test_au_between_au_and_ag_matches_ase_test_suite():
    d = 4.0
    initial = Atoms("Au2Ag", positions=((-d, 0, 0), (-d / 2, 0, 0), (d, 0, 0)))
    final = initial.copy()
    final[1].position[0] += d
    for atoms in (initial, final):
        atoms.set_constraint(FixAtoms([0, 2]))
    result = neb(initial, final, "emt", n_images=3)
    assert result.barrier_eV == pytest.approx(AU2AG_EV, rel=1e-3)
    assert result.reaction_energy_eV > 0.5  # Au ends beside Ag: uphill


def test_plain_neb_stays_below_the_climbing_image(cases, au_al_neb):
    initial, final = cases.au_on_al100()
    plain = neb(initial, final, "emt", n_images=2, climb=False)  # 2 images: none at the bridge
    assert plain.converged
    assert plain.barrier_eV < au_al_neb.barrier_eV - 0.01


def test_barrier_invariant_under_rotation_and_mirror(cases, au_al_neb):
    reference = au_al_neb.barrier_eV
    initial, final = cases.au_on_al100()
    for atoms in (initial, final):
        atoms.rotate(37.0, "z", rotate_cell=True)
    assert neb(initial, final, "emt", n_images=3).barrier_eV == pytest.approx(reference, abs=2e-3)

    initial, final = cases.au_on_al100()
    for atoms in (initial, final):
        atoms.positions[:, 1] *= -1.0
        cell = atoms.cell[:].copy()
        cell[:, 1] *= -1.0
        atoms.set_cell(cell)
    assert neb(initial, final, "emt", n_images=3).barrier_eV == pytest.approx(reference, abs=2e-3)



def test_barrier_and_path_invariant_under_a_supercell_translation(cases):
    # 3x3 cell, the hop a third of it: wrapped back into the cell, the Au's displacement is -2/3 of the
    # cell unless the band interpolates by minimum image (the long way round passes a second hollow)
    initial, final = cases.au_on_al100(3)
    reference = neb(initial, final, "emt", n_images=3)
    initial, final = cases.au_on_al100(3)
    shift = 0.6 * initial.cell[0] + 0.81 * initial.cell[1]
    for atoms in (initial, final):
        atoms.translate(shift)
        atoms.wrap()
    assert final.positions[-1, 0] < initial.positions[-1, 0]  # the Au crossed the cell face
    moved = neb(initial, final, "emt", n_images=3)
    assert moved.barrier_eV == pytest.approx(reference.barrier_eV, abs=2e-3)
    assert moved.coordinate_A[-1] == pytest.approx(reference.coordinate_A[-1], abs=0.02)
    assert np.allclose(moved.path_energy_eV, reference.path_energy_eV, atol=2e-3)


def test_linear_interpolation_and_mdmin_find_the_same_saddle(cases, au_al_neb):
    initial, final = cases.au_on_al100()
    result = neb(initial, final, "emt", n_images=3, interpolation="linear", optimizer="mdmin")
    assert result.barrier_eV == pytest.approx(au_al_neb.barrier_eV, abs=2e-3)


def test_inputs_are_left_unchanged(cases):
    initial, final = cases.au_on_al100()
    before = initial.positions.copy(), final.positions.copy()
    neb(initial, final, "emt", n_images=1)
    assert np.array_equal(initial.positions, before[0]) and np.array_equal(final.positions, before[1])
    assert initial.calc is None


class CountingEMT(EMT):
    """One EMT instance shared by every image (as an ML model is), recording each structure it computes."""

    def __init__(self) -> None:
        super().__init__()
        self.computed: list[bytes] = []

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.computed.append(atoms.positions.tobytes())


def test_a_shared_calculator_computes_each_structure_once_and_finds_the_per_image_path(cases, au_al_neb):
    initial, final = cases.au_on_al100()
    counting = CountingEMT()
    result = neb(initial, final, calculator=counting, n_images=3, climb=True, fmax=0.05, relax_endpoints=True)
    # ASE's optimizers ask for the band's forces several times a step: no structure may be computed twice
    assert len(counting.computed) == len(set(counting.computed))
    # every band step moves every image once: endpoint relaxations + n_images per band evaluation
    relax_calls = result.initial_relax.steps + result.final_relax.steps + 2
    assert len(counting.computed) <= relax_calls + 3 * (result.steps + 3)
    # the same path as EMT with one calculator per image (which ASE caches image by image)
    assert result.steps == au_al_neb.steps
    np.testing.assert_allclose(result.energies_eV, au_al_neb.energies_eV, rtol=0, atol=1e-10)
    # and an ASE calculator class (one instance per structure) finds it too
    by_class = neb(initial, final, calculator=EMT, n_images=3)
    assert by_class.model["name"] == "EMT"
    np.testing.assert_allclose(by_class.energies_eV, au_al_neb.energies_eV, rtol=0, atol=1e-10)


def test_result_is_json_with_one_length_tables_and_the_model(au_al_neb):
    result: NEBResult = au_al_neb
    payload = json.loads(dumps(result.to_dict()))
    assert payload["kind"] == "atomistic_neb"
    for key in ("barrier_eV", "reaction_energy_eV", "reverse_barrier_eV", "converged", "path_energy_eV",
                "coordinate_A", "saddle_index", "images"):
        assert key in payload
    assert payload["path_energy_eV"][0] == 0.0
    assert len(payload["images"]) == 5 and len(payload["images"][0]["numbers"]) == 13
    assert payload["parameters"]["model"] == "emt" and payload["parameters"]["n_images"] == 3
    assert payload["provenance"]["instrument"].startswith("emt (ase ")
    assert payload["model"]["name"] == "emt"
    for table in result.tables().values():
        assert len({len(column) for column in table.values()}) == 1
    path = result.tables()["path"]
    assert np.all(np.diff(path["coordinate_A"]) > 0)
    assert path["coordinate_A"][-1] == pytest.approx(np.linalg.norm(result.images[0].cell_A[0]) / 2, rel=0.05)
    assert "barrier" in result.headline() and "converged" in result.headline()


def test_endpoints_that_relax_into_one_structure_are_refused(cases):
    from anodelab.core.errors import NotApplicableError

    initial, _ = cases.au_on_al100()
    nudged = initial.copy()
    nudged.positions[-1, 0] += 0.3  # off the hollow: relaxes back into it
    with pytest.raises(NotApplicableError, match="one structure"):
        neb(initial, nudged, "emt", n_images=1)
    with pytest.raises(NotApplicableError, match="one structure"):
        neb(initial, initial.copy(), "emt", n_images=1, relax_endpoints=False)


def test_bad_inputs_raise(cases):
    initial, final = cases.au_on_al100()
    with pytest.raises(ValidationError, match="same order"):
        neb(initial, final[:-1], "emt")
    with pytest.raises(ValidationError, match="n_images"):
        neb(initial, final, "emt", n_images=0)
    with pytest.raises(ValidationError, match="interpolation"):
        neb(initial, final, "emt", interpolation="spline")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="model"):
        neb(initial, final, "no-such-model")
