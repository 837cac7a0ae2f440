"""``anodelab sim neb|bind|surface|interface-energy`` (cli.sim_atomistic), on EMT: parsed here the way
``anodelab sim`` adds them (add_commands on its subparsers)."""

from __future__ import annotations

import argparse
import json

import pytest

pytest.importorskip("ase")

from ase.io import write

from anodelab.cli import sim_atomistic
from anodelab.core.errors import ReadError, ValidationError
from anodelab.sim.atomistic import run as run_module


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="anodelab sim")
    sim_atomistic.add_commands(parser.add_subparsers(dest="sim_command", required=True))
    return sim_atomistic.run(parser.parse_args(argv))


@pytest.fixture
def endpoints(cases, tmp_path):
    initial, final = cases.au_on_al100()
    paths = tmp_path / "initial.traj", tmp_path / "final.traj"
    write(paths[0], initial)  # the trajectory format keeps the fixed atoms
    write(paths[1], final)
    return paths


def test_neb_from_files_as_json_with_figure(endpoints, tmp_path, capsys):
    figure = tmp_path / "profile"
    status = _run(["neb", "--initial", str(endpoints[0]), "--final", str(endpoints[1]), "--model", "emt",
                   "--images", "3", "--json", "--figure", str(figure)])
    assert status == 0
    out = capsys.readouterr()
    payload = json.loads(out.out)
    assert payload["kind"] == "atomistic_neb" and payload["converged"]
    assert payload["barrier_eV"] == pytest.approx(0.375, abs=0.003)
    assert payload["parameters"]["n_images"] == 3 and payload["model"]["name"] == "emt"
    assert (tmp_path / "profile.png").is_file() and (tmp_path / "profile.svg").is_file()
    assert "figure:" in out.err


def test_ensemble_from_files_prints_the_spread(endpoints, cases, capsys, monkeypatch):
    from anodelab.sim.atomistic import calculators

    real = calculators.get_model
    monkeypatch.setattr(calculators, "get_model",
                        lambda name, device="cpu": real(cases.ScaledEMT(1.1)) if name == "scaled" else real(name, device))
    assert _run(["neb", "--initial", str(endpoints[0]), "--final", str(endpoints[1]), "--models", "emt,scaled",
                 "--images", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sim neb initial.traj -> final.traj: neb barrier: mean")
    assert "barrier_spread" in out


def test_named_systems_listed_and_run(cases, monkeypatch, capsys):
    from ase.build import bulk, fcc111

    surface = cases.System("cu111", "surface", "Cu(111) slab", lambda: {
        "bulk": bulk("Cu", "fcc", a=3.59, cubic=True), "slab": fcc111("Cu", size=(1, 1, 4), a=3.59, vacuum=6.0)},
        dft_eV=1.5, dft_reference="made up")
    monkeypatch.setattr(run_module, "named_systems", lambda: {"cu111": surface})
    assert _run(["surface", "--list"]) == 0
    assert capsys.readouterr().out.startswith("cu111")
    assert _run(["neb", "--list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert _run(["surface", "--system", "cu111", "--model", "emt", "--no-relax"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sim surface cu111: Cu4: surface energy") and "delta_vs_dft" in out
    with pytest.raises(ValidationError, match="is a surface system, not a neb one"):
        _run(["neb", "--system", "cu111", "--model", "emt"])


def test_cli_errors_name_what_is_wrong(endpoints, tmp_path):
    with pytest.raises(ValidationError, match="--system"):
        _run(["bind", "--model", "emt"])
    with pytest.raises(ValidationError, match="together"):
        _run(["neb", "--initial", str(endpoints[0]), "--model", "emt"])
    with pytest.raises(ValidationError, match="at least two"):
        _run(["neb", "--initial", str(endpoints[0]), "--final", str(endpoints[1]), "--models", "emt"])
    bad = tmp_path / "bad.xyz"
    bad.write_text("not a structure\n")
    with pytest.raises(ReadError, match="bad.xyz"):
        _run(["neb", "--initial", str(bad), "--final", str(endpoints[1]), "--model", "emt"])
    with pytest.raises(ReadError, match="no such file"):
        _run(["neb", "--initial", str(tmp_path / "none.traj"), "--final", str(endpoints[1]), "--model", "emt"])


def test_sim_interface_with_a_system_is_the_interface_energy(cases, monkeypatch, capsys):
    from ase.build import fcc111

    from anodelab.cli import main

    def halves():
        whole = fcc111("Cu", size=(1, 1, 6), a=3.59, vacuum=6.0)
        low = whole.positions[:, 2] < whole.positions[:, 2].mean()
        return {"a": whole[low], "b": whole[~low], "ab": whole}

    system = cases.System("cu-cu", "interface", "Cu(111) halves", halves, strain=0.0)
    monkeypatch.setattr(run_module, "named_systems", lambda: {"cu-cu": system})
    assert main(["sim", "interface", "--system", "cu-cu", "--model", "emt", "--no-relax", "--json"]) == 0
    via_interface = json.loads(capsys.readouterr().out)
    assert main(["sim", "interface-energy", "--system", "cu-cu", "--model", "emt", "--no-relax", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["interface_energy_J_m2"] == via_interface["interface_energy_J_m2"]
    # E_ab - E_a - E_b of two halves of one slab: binding, so negative (two free surfaces fewer)
    assert via_interface["kind"] == "atomistic_interface" and via_interface["interface_energy_J_m2"] < 0
    assert main(["sim", "interface", "--thickness-um", "10", "--kappa-S-cm", "0.01"]) == 2
    assert "--geometry: is required for the FEM interface" in capsys.readouterr().err


def test_emt_refuses_elements_it_has_no_parameters_for():
    from ase.build import bulk

    from anodelab.sim.atomistic import relax

    with pytest.raises(ValidationError, match="emt has no parameters for Si"):
        relax(bulk("Si", "diamond", a=5.43), "emt")
