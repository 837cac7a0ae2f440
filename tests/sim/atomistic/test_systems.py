"""The named systems: the structures each task needs, their geometry, and the papers' numbers."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ase")

from anodelab.sim.atomistic import structures as st
from anodelab.sim.atomistic.systems import SI_ZNO_STRAIN, SYSTEMS, NamedSystem

PAPERS = Path(__file__).resolve().parents[4] / "shared" / "papers"
NEEDS = {"neb": {"initial", "final"}, "bind": {"surface", "adsorbed", "bulk"}, "surface": {"bulk", "slab"},
         "interface": {"a", "b", "ab"}}


def test_named_system_fields_are_the_agreed_ones():
    assert [(f.name, f.default) for f in dataclasses.fields(NamedSystem)] == [
        ("name", dataclasses.MISSING), ("task", dataclasses.MISSING), ("description", dataclasses.MISSING),
        ("structures", dataclasses.MISSING), ("adsorbate", None), ("dft_eV", None), ("dft_reference", None),
        ("strain", None), ("from_host", None)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SYSTEMS["li-si-td-hex"].dft_eV = 0.0  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_each_system_builds_what_its_task_needs(name):
    system = SYSTEMS[name]
    assert system.name == name
    structures = system.structures()
    if system.from_host is not None:  # a host (relaxed by run_system first), the task's structures made from it
        assert set(structures) == {"host"}
        structures = system.from_host(structures["host"])
        initial, final = structures["initial"], structures["final"]
        mover = int(np.argmax(np.linalg.norm(final.positions - initial.positions, axis=1)))
        plane = initial.cell[2, 2] / 2  # the hop crosses the boundary plane, into the vacancy below it
        assert initial.positions[mover, 2] >= plane > final.positions[mover, 2]
    assert set(structures) == NEEDS[system.task]
    if system.task == "neb":
        initial, final = structures["initial"], structures["final"]
        assert np.array_equal(initial.numbers, final.numbers)
        assert np.allclose(initial.cell[:], final.cell[:])
        moved = np.linalg.norm(final.positions - initial.positions, axis=1)
        assert 1.0 < moved.max() < 3.5 and (moved > 1e-6).sum() == 1  # one atom hops, the rest stay
    elif system.task == "bind":
        added = Counter(structures["adsorbed"].get_chemical_symbols()) - Counter(structures["surface"].get_chemical_symbols())
        assert added == Counter({system.adsorbate: 1})
        assert set(structures["bulk"].get_chemical_symbols()) == {system.adsorbate}
    elif system.task == "interface":
        parts = structures
        assert Counter(parts["ab"].get_chemical_symbols()) == (Counter(parts["a"].get_chemical_symbols())
                                                               + Counter(parts["b"].get_chemical_symbols()))
        assert np.allclose(parts["a"].cell[:], parts["ab"].cell[:])
        assert system.strain is not None
    else:
        slab, bulk = structures["slab"], structures["bulk"]
        assert Counter(slab.get_chemical_symbols()).keys() == Counter(bulk.get_chemical_symbols()).keys()
    if system.task in ("neb", "bind"):
        assert system.dft_eV is not None and system.dft_reference


def test_li_si_td_hex_is_the_65_atom_hop():
    structures = SYSTEMS["li-si-td-hex"].structures()
    initial, final = structures["initial"], structures["final"]
    assert initial.get_chemical_formula() == "LiSi64"
    a = st.EXPERIMENTAL["Si"].a_A
    from ase.geometry import get_distances

    for state in (initial, final):
        _, d = get_distances(state.positions[-1], state.positions[:-1], cell=state.cell, pbc=True)
        assert np.sort(d[0])[:10] == pytest.approx([math.sqrt(3) / 4 * a] * 4 + [a / 2] * 6)
    middle = (initial.positions[-1] + final.positions[-1]) / 2
    _, d = get_distances(middle, initial.positions[:-1], cell=initial.cell, pbc=True)
    assert np.sort(d[0])[:6] == pytest.approx([math.sqrt(11) / 8 * a] * 6)


def test_interface_strain_is_the_match_and_the_closed_form():
    si = st.si_slab("111", size=(1, 1), layers=6)
    zno = st.zno_slab("0001", size=(1, 1), layers=4)
    match = st.match_supercells(si, zno, max_atoms=60)
    assert SYSTEMS["si-zno-interface"].strain == pytest.approx(match.strain_b)
    assert SI_ZNO_STRAIN == pytest.approx(math.sqrt(3) * 5.431 / math.sqrt(2) / (2 * 3.250) - 1)
    ab = SYSTEMS["si-zno-interface"].structures()["ab"]
    assert ab.cell.lengths()[0] == pytest.approx(math.sqrt(3) * 5.431 / math.sqrt(2))


def test_fixed_atoms_are_the_slab_bottoms():
    structures = SYSTEMS["li-si111-surface"].structures()
    initial = structures["initial"]
    fixed = initial.constraints[0].index
    assert initial.positions[fixed, 2].max() < initial.positions[:, 2].min() + 2.5
    assert len(initial) - 1 not in fixed  # the adatom moves


@pytest.mark.parametrize(("paper", "name", "printed"), [
    ("003", "li-lif-gb", "1.078 eV"), ("003", "li-li3n-gb", "0.235 eV"),
    ("004", "na-ag100", "-2.44 eV"), ("004", "na-zn101", "-2.40 eV"),
    ("000", "si-zno-interface", "-0.43"), ("000", "li-si-zno-interface", "about 0.5 eV"),
])
def test_dft_values_are_the_papers(paper, name, printed):
    files = sorted(PAPERS.glob(f"{paper}_*.txt")) if PAPERS.is_dir() else []
    if not files:
        pytest.skip(f"the seed papers are not at {PAPERS}")
    text = files[0].read_text(encoding="utf-8")
    assert printed in text
    number = float(printed.split()[-2] if printed.endswith("eV") else printed)
    assert SYSTEMS[name].dft_eV == pytest.approx(number)
