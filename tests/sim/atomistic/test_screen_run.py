"""The barrier screen, and named systems run as their task (small EMT systems of the NamedSystem contract)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

pytest.importorskip("ase")

from ase.build import add_adsorbate, bulk, fcc100, fcc111

from anodelab.cli.strict_json import dumps
from anodelab.core.errors import ValidationError
from anodelab.sim.atomistic import (
    barrier_screen,
    get_system,
    run_system,
    run_system_ensemble,
)
from anodelab.sim.atomistic import run as run_module


def _systems(cases) -> dict:
    def hop():
        initial, final = cases.au_on_al100()
        return {"initial": initial, "final": final}

    def bind():
        surface = fcc100("Cu", size=(2, 2, 2), vacuum=6.0)
        adsorbed = surface.copy()
        add_adsorbate(adsorbed, "Cu", 1.8, "hollow")
        return {"surface": surface, "adsorbed": adsorbed, "bulk": bulk("Cu", "fcc", a=3.59)}

    def surface():
        return {"bulk": bulk("Cu", "fcc", a=3.59, cubic=True), "slab": fcc111("Cu", size=(1, 1, 4), a=3.59, vacuum=6.0)}

    def interface():
        whole = fcc111("Cu", size=(1, 1, 6), a=3.59, vacuum=6.0)
        low = whole.positions[:, 2] < np.median(whole.positions[:, 2])
        return {"a": whole[low], "b": whole[~low], "ab": whole}

    System = cases.System
    return {s.name: s for s in (
        System("au-al100", "neb", "Au hop on Al(100)", hop, dft_eV=0.5, dft_reference="made up"),
        System("cu-cu100", "bind", "Cu adatom on Cu(100)", bind, adsorbate="Cu"),
        System("cu111", "surface", "Cu(111)", surface),
        System("cu-cu", "interface", "Cu(111) halves", interface, strain=0.0),
    )}


@pytest.fixture
def systems(cases, monkeypatch):
    found = _systems(cases)
    monkeypatch.setattr(run_module, "named_systems", lambda: found)
    return found


def test_screen_ranks_the_al110_hops(cases):
    hops = [(name, *cases.al_on_al110(name)) for name in ("across", "along", "exchange")]
    result = barrier_screen(hops, "emt", n_images=3)
    assert result.labels == ("along", "exchange", "across")  # ASE's tutorial: 126 < 235 < 564 meV
    barriers = [hop.barrier_eV for hop in result.hops]
    assert barriers == sorted(barriers)
    table = result.tables()["hops"]
    assert list(table["label"]) == list(result.labels) and table["converged"].all()
    payload = json.loads(dumps(result.to_dict()))
    assert [row["rank"] for row in payload["hops"]] == [1, 2, 3]
    assert payload["parameters"]["n_images"] == 3
    with pytest.raises(ValidationError, match="unique"):
        barrier_screen([hops[0], hops[0]], "emt")
    with pytest.raises(ValidationError, match="at least one"):
        barrier_screen([], "emt")


def test_run_system_dispatches_each_task(systems):
    hop = run_system("au-al100", "emt", n_images=1)
    assert hop.kind == "atomistic_neb" and hop.system == "au-al100"
    assert hop.parameters["system"] == "au-al100"
    assert hop.delta_vs_dft() == pytest.approx(hop.barrier_eV - 0.5)
    assert hop.to_dict()["dft_reference"] == "made up"
    assert {m.name for m in hop.metrics()} >= {"barrier", "delta_vs_dft"}
    kinds = {name: run_system(name, "emt", relax=False).kind for name in ("cu-cu100", "cu111", "cu-cu")}
    assert kinds == {"cu-cu100": "atomistic_binding", "cu111": "atomistic_surface", "cu-cu": "atomistic_interface"}
    assert run_system(systems["cu-cu"], "emt", relax=False).strain == 0.0


def test_a_host_is_relaxed_with_the_model_before_the_hop_is_made(cases):
    from ase.calculators.emt import EMT
    from ase.optimize import BFGS

    from anodelab.sim.atomistic import neb
    from anodelab.sim.atomistic.systems import boundary_vacancy_hop

    def host():
        slab = fcc100("Cu", size=(2, 2, 4), vacuum=6.0)
        slab.rattle(0.05, seed=3)  # off its minimum: relaxing it moves every atom
        return {"host": slab}

    system = cases.System("cu-vacancy", "neb", "Cu vacancy hop", host, from_host=lambda a: boundary_vacancy_hop(a, "Cu"))
    result = run_system(system, "emt", n_images=1)
    # by hand: the host relaxed (positions, BFGS to fmax 0.05 as anodelab relaxes), then the hop made and run
    by_hand = host()["host"]
    by_hand.calc = EMT()
    BFGS(by_hand, logfile=None).run(fmax=0.05, steps=500)
    hop = boundary_vacancy_hop(by_hand, "Cu")
    expected = neb(hop["initial"], hop["final"], "emt", n_images=1)
    assert result.barrier_eV == pytest.approx(expected.barrier_eV, abs=1e-9)
    relaxed = result.parameters["host_relax"]
    assert relaxed["converged"] and relaxed["steps"] > 0 and relaxed["formula"] == "Cu16"
    unrelaxed = boundary_vacancy_hop(host()["host"], "Cu")
    assert not np.allclose(unrelaxed["initial"].positions, hop["initial"].positions, atol=1e-3)


def test_run_system_ensemble_and_errors(cases, systems):
    result = run_system_ensemble("cu-cu100", ["emt", cases.ScaledEMT(1.5)], relax=False)
    assert result.task == "bind cu-cu100" and result.system == "cu-cu100"
    values = result.values()["binding_energy_atom"][0]
    assert values[1] == pytest.approx(1.5 * values[0], rel=1e-9)
    with pytest.raises(ValidationError, match="unknown system 'nope'"):
        get_system("nope")
    broken = dataclasses.replace(systems["cu111"], structures=lambda: {"bulk": bulk("Cu", "fcc", a=3.59)})
    with pytest.raises(ValidationError, match="lack slab"):
        run_system(broken, "emt")
    with pytest.raises(ValidationError, match="unknown task"):
        run_system(dataclasses.replace(broken, task="md"), "emt")
