"""``anodelab design ...``: the JSON fields with units against the textbook values, and one-line errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from anodelab.cli import main

F = 96485.33212  # C/mol, CODATA 2018
M_SI, M_ZNO, M_LI, M_NA = 28.085, 65.38 + 15.999, 6.94, 22.990  # IUPAC 2021 abridged, g/mol


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["design", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_capacity(capsys):
    assert _json(capsys, "capacity", "Si", "--to", "Li15Si4")["capacity_mAh_g"] == pytest.approx(3.75 * F / (3.6 * M_SI))
    zno = _json(capsys, "capacity", "ZnO", "--to", "LiZn")
    assert zno["capacity_mAh_g"] == pytest.approx(3 * F / (3.6 * M_ZNO))
    assert zno["end_phase"] == "LiZn + Li2O"
    assert _json(capsys, "capacity", "Na")["capacity_mAh_g"] == pytest.approx(F / (3.6 * M_NA))
    mixture = _json(capsys, "capacity", "Si:0.884, ZnO:0.116")
    expected = 0.884 * 3.75 * F / (3.6 * M_SI) + 0.116 * 3 * F / (3.6 * M_ZNO)
    assert mixture["capacity_mAh_g"] == pytest.approx(expected)
    assert mixture["formula_capacity_mAh_g"] == pytest.approx(expected)
    assert main(["design", "capacity", "Si", "--to", "Li22Si5"]) == 0
    assert "4198.9 mAh/g" in capsys.readouterr().out


def test_plating_np_expansion_crate_energy(capsys):
    li = _json(capsys, "plating", "Li", "--areal-mAh-cm2", "2")
    assert li["thickness_um"] == pytest.approx(2 * 3.6 / F * M_LI / 0.534 * 1e4)
    np_ = _json(capsys, "np", "--negative-loading-mg-cm2", "1.0", "--negative-mAh-g", "3579",
                "--negative-active-fraction", "0.98", "--positive-mAh-cm2", "3.0")
    assert np_["np_ratio"] == pytest.approx(1.0 * 0.98 * 3579 / 1000 / 3.0)
    assert _json(capsys, "np", "--negative-mAh-cm2", "3.3", "--positive-mAh-cm2", "3")["np_ratio"] == pytest.approx(1.1)
    expansion = _json(capsys, "expansion", "--before-um", "22", "--after-um", "41")
    assert expansion["thickness_change_pct"] == pytest.approx(19 / 22 * 100)
    crate = _json(capsys, "crate", "--capacity-mAh", "2", "--current-mA", "0.4")
    assert crate["c_rate_per_h"] == pytest.approx(0.2) and crate["hours_per_half_cycle"] == pytest.approx(5)
    energy = _json(capsys, "energy", "--layer", "cathode:20:70", "--layer", "collector:5:20",
                   "--capacity-mAh-cm2", "3", "--voltage-V", "3.5")
    assert energy["gravimetric_Wh_kg"] == pytest.approx(3 * 3.5 / 25 * 1000)
    assert energy["volumetric_Wh_L"] == pytest.approx(3 * 3.5 / (90e-4))


@pytest.mark.parametrize(("argv", "expected"), [
    (["capacity", "Xx"], "unknown element 'Xx'"),
    (["capacity", "Fe2O3"], "no default end phase"),
    (["plating", "Cu", "--areal-mAh-cm2", "1"], "unknown plating metal"),
    (["np", "--negative-mAh-cm2", "3"], "--positive-mAh-cm2"),
    (["np", "--negative-mAh-cm2", "3", "--negative-mAh-g", "300", "--positive-mAh-cm2", "3"], "give either"),
    (["expansion", "--before-um", "0", "--after-um", "3"], "before_um"),
    (["energy", "--layer", "cathode:20", "--capacity-mAh-cm2", "3", "--voltage-V", "3"], "NAME:MG_CM2:UM"),
])
def test_user_errors_are_one_line_exit_2(capsys, argv, expected):
    assert main(["design", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]
