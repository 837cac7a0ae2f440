"""The interface simulator's result, sweeps, input checks, the missing-extra path and ``anodelab sim interface``."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from anodelab.cli import main
from anodelab.core.errors import ValidationError
from anodelab.sim.interface import (
    Disk,
    Interlayer,
    Profile,
    Protrusion,
    Strips,
    simulate_interface,
    sweep_interface,
)

pytest.importorskip("skfem")

KAPPA = 1e-2
JSON_FIELDS = ("R_eff_ohm_cm2", "R_constriction_ohm_cm2", "max_mean_ratio", "current_conservation_rel", "elements",
               "fraction_above_threshold", "potential_drop_mV", "field_max_V_cm")


def test_result_carries_the_issue_fields_and_tables_of_one_length():
    r = simulate_interface(Strips(0.4, 10.0, 20.0), kappa_S_cm=KAPPA, kinetics="bv", current_mA_cm2=-3.0, elements=3000)
    d = r.to_dict()
    assert d["kind"] == "interface_fem"
    for key in JSON_FIELDS:
        assert key in d
    assert "R_constriction_ohm" not in d  # only the disk has a spot
    assert d["parameters"]["geometry"] == {"name": "strips", "axisymmetric": False, "contact_fraction": 0.4,
                                           "period_um": 10.0, "thickness_um": 20.0, "interlayer": None,
                                           "layout": "periodic", "seed": None, "spot_um": None}
    assert d["version"] == 2 and d["transport"] == "ohmic" and "c_interface_min_mol_L" not in d
    assert d["parameters"]["kinetics"] == "bv"
    assert d["elements"] == r.element_field_V_cm.size
    json.dumps(d, allow_nan=False)
    for name, table in r.tables().items():
        lengths = {len(column) for column in table.values()}
        assert len(lengths) == 1, name
    profile = r.interface
    assert np.all(np.diff(profile["s_um"]) > 0)
    assert np.all(profile["current_density_mA_cm2"][profile["contact"]] < 0)  # plating: negative everywhere
    contact_share = profile["x_um"][profile["contact"]].max()
    assert contact_share == pytest.approx(0.4 * 5.0)
    assert r.R_eff_ohm_cm2 > 0 and r.potential_drop_mV < 0
    assert 0 <= r.fraction_above_threshold < 1
    assert {m.name for m in r.metrics()} >= {"R_eff", "R_constriction", "max_mean_ratio", "current_conservation_rel"}


def test_disk_reports_the_spots_resistance_in_ohm():
    d = simulate_interface(Disk(2.0, 10.0, 20.0), kappa_S_cm=KAPPA, elements=2000).to_dict()
    assert d["R_constriction_ohm"] == pytest.approx(d["R_constriction_ohm_cm2"] / (math.pi * (10e-4) ** 2))
    assert d["total_current_mA"] == pytest.approx(1.0 * math.pi * (10e-4) ** 2)


def test_a_flat_profile_is_uniform_contact_and_peaks_draw_the_current():
    x = np.linspace(0.0, 40.0, 81)
    flat = simulate_interface(Profile(x, np.zeros_like(x), 20.0), kappa_S_cm=KAPPA, kinetics="linear", elements=2000)
    assert flat.R_eff_ohm_cm2 == pytest.approx(20e-4 / KAPPA + 0.025693 / 1e-3, rel=1e-4)
    bumpy = simulate_interface(Profile(x, 2.0 * np.cos(2 * np.pi * x / 20.0), 20.0), kappa_S_cm=KAPPA, elements=6000)
    peak = np.argmax(bumpy.interface["current_density_mA_cm2"])
    assert bumpy.interface["y_um"][peak] == pytest.approx(2.0, abs=0.05)  # on a crest (cos = 1)
    assert bumpy.current_conservation_rel < 1e-9 and bumpy.warnings == ()
    steep = simulate_interface(Profile([0.0, 1.0, 2.0], [0.0, 3.0, 0.0], 20.0), kappa_S_cm=KAPPA, elements=500)
    assert "steeply" in steep.warnings[0]


def test_gaussian_protrusion_and_a_coated_rough_surface_solve():
    spike = Protrusion(1.0, 1.0, 20.0, shape="gaussian")
    primary = simulate_interface(spike, kappa_S_cm=KAPPA, elements=4000)
    assert primary.max_mean_ratio > 5  # tip radius s^2 / h = r / 9: sharper than a hemisphere (3)
    fast = simulate_interface(spike, kappa_S_cm=KAPPA, kinetics="bv", i0_mA_cm2=1e4, current_mA_cm2=1e3, elements=4000)
    assert 1.5 < fast.max_mean_ratio < primary.max_mean_ratio and fast.current_conservation_rel < 1e-8
    x = np.linspace(0.0, 20.0, 41)
    coated = simulate_interface(Profile(x, 0.5 * np.sin(2 * np.pi * x / 10.0), 20.0,
                                        Interlayer(1.0, 1e-3, sigma_S_cm=1e-2)),
                                kappa_S_cm=KAPPA, kinetics="bv", elements=4000)
    assert coated.current_conservation_rel < 1e-8


def test_counter_at_uniform_current_or_potential_agree_far_from_the_contacts():
    kwargs = {"kappa_S_cm": KAPPA, "kinetics": "linear", "elements": 3000}
    potential = simulate_interface(Strips(0.3, 10.0, 30.0), counter="potential", **kwargs)
    current = simulate_interface(Strips(0.3, 10.0, 30.0), counter="current", **kwargs)
    assert current.R_eff_ohm_cm2 == pytest.approx(potential.R_eff_ohm_cm2, rel=1e-6)


def test_sweep_is_one_result_with_a_table():
    sweep = sweep_interface(Strips(0.5, 10.0, 20.0), "current_mA_cm2", [0.1, 10.0], kappa_S_cm=KAPPA, kinetics="bv",
                            elements=2000)
    table = sweep.tables()["sweep"]
    assert list(table["current_mA_cm2"]) == [0.1, 10.0]
    assert table["R_eff_ohm_cm2"][1] < table["R_eff_ohm_cm2"][0]  # Tafel: the secant resistance falls with current
    d = sweep.to_dict()
    assert d["parameters"]["parameter"] == "current_mA_cm2" and d["parameters"]["kinetics"] == "bv"
    assert [p["current_mA_cm2"] for p in d["points"]] == [0.1, 10.0]
    assert {m.index for m in sweep.metrics()} == {0, 1}
    with pytest.raises(ValidationError, match="parameter"):
        sweep_interface(Strips(0.5, 10.0, 20.0), "interlayer_kappa_S_cm", [1.0], kappa_S_cm=KAPPA)
    with pytest.raises(ValidationError, match="parameter"):
        sweep_interface(Strips(0.5, 10.0, 20.0), "elements", [1.0], kappa_S_cm=KAPPA)


@pytest.mark.parametrize("make", [
    lambda: Strips(0.0, 10.0, 20.0),
    lambda: Strips(1.5, 10.0, 20.0),
    lambda: Disk(5.0, 2.0, 20.0),
    lambda: Protrusion(1.0, 1.0, 1.0),
    lambda: Protrusion(2.0, 1.0, 20.0, shape="hemisphere"),
    lambda: Profile([0.0, 2.0, 1.0], [0.0, 0.0, 0.0], 20.0),
    lambda: Profile([0.0, 1.0], [0.0, 30.0], 20.0),
    lambda: Interlayer(1.0, 0.0, 0.0),
])
def test_bad_geometries_are_refused(make):
    with pytest.raises(ValidationError):
        make()


@pytest.mark.parametrize("options", [
    {"kinetics": "tafel"}, {"counter": "floating"}, {"current_mA_cm2": 0.0}, {"elements": 10}, {"order": 3},
    {"kappa_S_cm": -1.0}, {"i0_mA_cm2": 0.0, "kinetics": "bv"}, {"alpha_a": 1.5, "kinetics": "linear"},
])
def test_bad_options_are_refused(options):
    kwargs = {"kappa_S_cm": KAPPA, "elements": 500, **options}
    with pytest.raises(ValidationError):
        simulate_interface(Strips(0.5, 10.0, 20.0), **kwargs)


def test_the_package_imports_without_scikit_fem_and_says_what_to_install():
    code = (
        "import sys; sys.modules['skfem'] = None\n"
        "import anodelab.sim, anodelab.sim.interface as fem\n"
        "from anodelab.core.errors import MissingExtraError\n"
        "try:\n"
        "    fem.simulate_interface(fem.Strips(0.5, 10.0, 20.0), kappa_S_cm=0.01)\n"
        "except MissingExtraError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'anodelab[fem]'" in out
    loaded = subprocess.run([sys.executable, "-c", "import sys, anodelab.sim.interface; print('skfem' in sys.modules)"],
                            capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"


# -- the command line -----------------------------------------------------------------------------------


def _json(capsys, *argv):
    assert main(["sim", "interface", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_disk_json(capsys):
    d = _json(capsys, "--geometry", "disk", "--radius-um", "1", "--cell-radius-um", "10", "--thickness-um", "20",
              "--kappa-S-cm", "0.01", "--elements", "4000", "--order", "2")
    psi = 1 - 1.40925 * 0.1 + 0.33818 * 0.1**3
    assert d["R_constriction_ohm"] == pytest.approx(psi / (4 * 0.01 * 1e-4), rel=2e-3)
    for key in (*JSON_FIELDS, "R_constriction_ohm"):
        assert key in d


def test_cli_strips_text_interlayer_sweep_and_profile(capsys, tmp_path):
    assert main(["sim", "interface", "--geometry", "strips", "--contact-fraction", "0.5", "--period-um", "10",
                 "--thickness-um", "20", "--kappa-S-cm", "0.01", "--kinetics", "bv", "--elements", "2000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sim interface strips: R_eff") and "current_conservation_rel" in out
    d = _json(capsys, "--geometry", "interlayer", "--contact-fraction", "0.2", "--thickness-um", "20", "--kappa-S-cm",
              "0.01", "--interlayer-thickness-um", "1", "--interlayer-kappa-S-cm", "0.01", "--sweep",
              "interlayer-kappa-S-cm", "--values", "0.01,1", "--elements", "2000")
    ratios = [p["max_mean_ratio"] for p in d["points"]]
    assert ratios[0] > ratios[1]
    profile = tmp_path / "line.csv"
    profile.write_text("x_um,height_um\n" + "".join(f"{x},{0.3 * math.sin(x)}\n" for x in np.linspace(0, 20, 60)))
    d = _json(capsys, "--geometry", "profile", "--profile", str(profile), "--thickness-um", "20", "--kappa-S-cm",
              "0.01", "--elements", "2000")
    assert d["parameters"]["geometry"]["name"] == "profile"


@pytest.mark.parametrize("argv", [
    ["--geometry", "strips", "--thickness-um", "20", "--kappa-S-cm", "0.01"],  # no contact fraction
    ["--geometry", "strips", "--contact-fraction", "2", "--thickness-um", "20", "--kappa-S-cm", "0.01"],
    ["--geometry", "disk", "--thickness-um", "20", "--kappa-S-cm", "0.01"],
    ["--geometry", "interlayer", "--thickness-um", "20", "--kappa-S-cm", "0.01"],
    ["--geometry", "profile", "--profile", "missing.csv", "--thickness-um", "20", "--kappa-S-cm", "0.01"],
    ["--geometry", "disk", "--radius-um", "1", "--thickness-um", "20", "--kappa-S-cm", "0.01", "--sweep",
     "contact-fraction"],
])
def test_cli_user_errors_are_one_line_exit_2(capsys, argv):
    assert main(["sim", "interface", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("anodelab: error:") and err.count("\n") == 1


def test_cli_bad_profile_file_names_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("x z\n1 2\noops\n")
    assert main(["sim", "interface", "--geometry", "profile", "--profile", str(bad), "--thickness-um", "20",
                 "--kappa-S-cm", "0.01"]) == 2
    assert str(bad) in capsys.readouterr().err


def test_cli_vocabularies_are_the_simulators():
    from anodelab.cli import sim
    from anodelab.sim.interface import LAYOUTS, SHAPES, SWEEPS, TRANSPORTS
    from anodelab.sim.interface.electrolyte import SALTS
    from anodelab.sim.interface.kinetics import LAWS
    from anodelab.sim.interface.model import COUNTERS
    from anodelab.sim.interface.spec import GEOMETRIES, KEYS

    assert sim.KINETICS == LAWS and sim.COUNTERS == COUNTERS and sim.SHAPES == SHAPES and sim.LAYOUTS == LAYOUTS
    assert sim.TRANSPORTS == TRANSPORTS and sim.SALTS == SALTS and sim.GEOMETRIES == GEOMETRIES
    assert tuple(s.replace("-", "_") for s in sim.SWEEPS) == SWEEPS
    assert set(sim.SPEC_OPTIONS) == set(KEYS)  # every spec key is an option, and the other way round
