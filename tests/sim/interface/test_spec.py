"""``run_interface_spec``: a case from a plain mapping (the keys of ``anodelab sim interface``), the
checks on its keys and values, and the command line going through it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anodelab.cli import main
from anodelab.core.errors import ReadError, ValidationError
from anodelab.sim.interface import (
    Electrolyte,
    InterfaceSweep,
    Interlayer,
    Profile,
    Protrusion,
    Strips,
    run_interface_spec,
    simulate_interface,
)

pytest.importorskip("skfem")

BASE = {"thickness_um": 20.0, "kappa_S_cm": 0.01, "elements": 1000}


def test_a_spec_is_the_same_case_as_the_api_call():
    spec = {**BASE, "geometry": "protrusion", "height_um": 4.0, "radius_um": 1.0, "shape": "needle",
            "interlayer_thickness_um": 0.2, "interlayer_kappa_S_cm": 0.1, "kinetics": "linear", "i0_mA_cm2": 5.0}
    via_spec = run_interface_spec(spec)
    direct = simulate_interface(Protrusion(4.0, 1.0, 20.0, shape="needle", interlayer=Interlayer(0.2, 0.1)),
                                kappa_S_cm=0.01, kinetics="linear", i0_mA_cm2=5.0, elements=1000)
    assert via_spec.to_dict() == direct.to_dict()


def test_a_tertiary_random_layout_spec_and_a_seed_sweep():
    spec = {**BASE, "geometry": "strips", "contact_fraction": 0.2, "period_um": 20.0, "layout": "random", "seed": 2,
            "spot_um": 1.0, "kinetics": "bv", "current_mA_cm2": -10.0, "transport": "nernst-planck", "c0_mol_L": 1.0,
            "D_cm2_s": 3e-6, "t_plus": 0.4, "salt": "bulk"}
    r = run_interface_spec(spec)
    direct = simulate_interface(Strips(0.2, 20.0, 20.0, layout="random", seed=2, spot_um=1.0), kappa_S_cm=0.01,
                                kinetics="bv", current_mA_cm2=-10.0, transport="nernst-planck",
                                electrolyte=Electrolyte(1.0, 3e-6, 0.4, "bulk"), elements=1000)
    assert r.to_dict() == direct.to_dict()
    d = r.to_dict()
    assert d["parameters"]["electrolyte"] == {"c0_mol_L": 1.0, "D_cm2_s": 3e-6, "t_plus": 0.4, "salt": "bulk"}
    sweep = run_interface_spec({**spec, "sweep": "seed", "values": [0, 1, 2]})
    assert isinstance(sweep, InterfaceSweep) and sweep.values == (0.0, 1.0, 2.0)
    assert "R_eff_mean_ohm_cm2" in sweep.to_dict() and "c_interface_min_mol_L" in sweep.tables()["sweep"]


def test_a_swept_parameter_need_not_be_given_as_well():
    sweep = run_interface_spec({**BASE, "geometry": "strips", "sweep": "contact_fraction", "values": [0.2, 1.0]})
    assert sweep.values == (0.2, 1.0) and sweep.results[0].parameters["geometry"]["contact_fraction"] == 0.2
    layered = run_interface_spec({**BASE, "geometry": "interlayer", "interlayer_thickness_um": 1.0,
                                  "sweep": "interlayer-kappa-S-cm", "values": [0.01, 1.0]})
    assert layered.results[1].parameters["geometry"]["interlayer"]["kappa_S_cm"] == 1.0


def test_profile_from_pairs_or_a_file_relative_to_base(tmp_path):
    x = np.linspace(0.0, 20.0, 41)
    z = 0.5 * np.sin(2 * np.pi * x / 10.0)
    (tmp_path / "line.csv").write_text("x_um,height_um\n" + "".join(f"{a},{b}\n" for a, b in zip(x, z, strict=True)))
    from_file = run_interface_spec({**BASE, "geometry": "profile", "profile": "line.csv"}, base=tmp_path)
    from_pairs = run_interface_spec({**BASE, "geometry": "profile", "profile": [[a, b] for a, b in zip(x, z, strict=True)]})
    direct = simulate_interface(Profile(x, z, 20.0), kappa_S_cm=0.01, elements=1000)
    assert from_file.R_eff_ohm_cm2 == from_pairs.R_eff_ohm_cm2 == direct.R_eff_ohm_cm2
    with pytest.raises(ReadError, match="missing.csv"):
        run_interface_spec({**BASE, "geometry": "profile", "profile": "missing.csv"}, base=tmp_path)


@pytest.mark.parametrize(("spec", "key"), [
    ({"geometry": "strips", "contact_fraction": 0.5, "colour": "red"}, "colour"),  # unknown key
    ({"geometry": "strips", "contact_fraction": "half"}, "contact_fraction"),  # wrong type
    ({"geometry": "strips", "contact_fraction": 0.5, "elements": 1000.5}, "elements"),
    ({"geometry": "strips", "contact_fraction": 0.5, "planar": "yes"}, "planar"),
    ({"geometry": "strips", "contact_fraction": 0.5, "values": {"a": 1}}, "values"),
    ({"geometry": "disk", "radius_um": 1.0, "shape": "needle"}, "shape"),  # not the disk's
    ({"geometry": "strips"}, "contact_fraction"),  # missing
    ({"geometry": "lattice"}, "geometry"),
    ({"geometry": "strips", "contact_fraction": 0.5, "c0_mol_L": 1.0}, "c0_mol_L"),  # needs nernst-planck
    ({"geometry": "strips", "contact_fraction": 0.5, "transport": "nernst-planck"}, "c0_mol_L"),
    ({"geometry": "strips", "contact_fraction": 0.5, "sweep": "seed"}, "sweep"),  # no values
    ({"geometry": "strips", "contact_fraction": 0.5, "values": [1.0]}, "values"),  # no sweep
    ({"geometry": "strips", "contact_fraction": 0.5, "sweep": "colour", "values": [1.0]}, "sweep"),
])
def test_bad_specs_name_the_key(spec, key):
    with pytest.raises(ValidationError) as caught:
        run_interface_spec({**BASE, **spec})
    assert caught.value.field == key
    with pytest.raises(ValidationError, match="spec"):
        run_interface_spec([("geometry", "strips")])  # type: ignore[arg-type]


def test_cli_tertiary_json_and_errors_name_the_option(capsys):
    argv = ["sim", "interface", "--geometry", "strips", "--contact-fraction", "1", "--thickness-um", "20", "--kappa-S-cm",
            "0.01", "--kinetics", "bv", "--current-mA-cm2", "-100", "--transport", "nernst-planck", "--c0-mol-L", "1",
            "--D-cm2-s", "3e-6", "--t-plus", "0.4", "--elements", "1000"]
    assert main([*argv, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("c_interface_min_mol_L", "c_interface_mean_mol_L", "c_counter_mean_mol_L", "eta_concentration_mV",
                "diffusion_potential_mV", "limiting_current_mA_cm2", "current_limiting_ratio", "transport"):
        assert key in d
    assert d["transport"] == "nernst-planck" and d["limiting_current_mA_cm2"] == pytest.approx(482.43, rel=1e-4)
    assert main([*argv[:-2], "--elements", "1000", "--layout", "random"]) == 2
    assert capsys.readouterr().err.startswith("anodelab: error: --spot-um: a random layout needs")
    assert main(["sim", "interface", "--geometry", "disk", "--radius-um", "1", "--seed", "3", "--thickness-um", "20",
                 "--kappa-S-cm", "0.01"]) == 2
    assert "--seed: does not apply to geometry 'disk'" in capsys.readouterr().err


def test_cli_random_layout_seed_sweep_text(capsys):
    assert main(["sim", "interface", "--geometry", "strips", "--contact-fraction", "0.2", "--period-um", "20",
                 "--layout", "random", "--spot-um", "1", "--seed", "0", "--thickness-um", "5", "--kappa-S-cm", "0.01",
                 "--elements", "800", "--sweep", "seed", "--values", "0,1,2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sim interface strips: 3 random layouts: R_eff") and "seed" in out
