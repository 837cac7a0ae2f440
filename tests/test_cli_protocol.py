"""``anodelab protocol NAME ...`` and ``anodelab protocol recover FILE``: the step table, JSON and PyBaMM
strings of a builder with parameters from the command line, a simulated file the other commands read,
and the recovered schedule compared with the intended one."""

from __future__ import annotations

import ast
import json

import pytest

from anodelab.cli import main
from anodelab.cli.protocol import NAMES
from anodelab.protocols import (
    BUILDERS,
    ccd_staircase,
    from_dict,
    gitt,
    pulse_cv_formation,
    to_pybamm,
)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["protocol", *argv]) == 0
    return capsys.readouterr().out


def test_the_cli_lists_every_builder():
    assert set(NAMES) == set(BUILDERS)


def test_step_table_with_parameters(capsys):
    out = _run(capsys, "ccd_staircase", "--start-mA-cm2", "0.1", "--step_mA_cm2", "0.1", "--stop-mA-cm2", "0.3",
               "--area-cm2", "2")
    assert "ccd_staircase: critical current density staircase, 0.1 to 0.3 mA/cm2" in out
    assert "-0.2 mA (-0.1 mA/cm2)" in out and "+0.6 mA (+0.3 mA/cm2)" in out


def test_json_is_the_builders_schedule(capsys):
    out = _run(capsys, "pulse_cv_formation", "--voltages-V", "1.4,1.0", "--repeats", "7", "--cutoff-current-mA",
               "none", "--json")
    assert from_dict(json.loads(out)) == pulse_cv_formation(voltages_V=(1.4, 1.0), repeats=7)


def test_pybamm_strings_are_a_python_list(capsys):
    out = _run(capsys, "gitt", "--n-pulses", "2", "--current-mA", "-0.25", "--pybamm")
    assert ast.literal_eval(out) == to_pybamm(gitt(n_pulses=2, current_mA=-0.25))
    listed = json.loads(_run(capsys, "gitt", "--n-pulses", "2", "--pybamm", "--json"))
    assert listed[1] == ["Discharge at 0.1 mA for 60 seconds (1 seconds period)",
                         "Rest for 3600 seconds (10 seconds period)"]


def test_simulate_writes_a_file_the_other_commands_read(tmp_path, capsys):
    out_file = tmp_path / "ccd.mpt"
    out = _run(capsys, "ccd_staircase", "--stop-mA-cm2", "0.3", "--simulate", str(out_file))
    assert f"-> {out_file}" in out
    assert {p.name for p in tmp_path.iterdir()} == {"ccd.mpt", "ccd.cell.toml", "ccd.truth.json"}
    assert main(["read", str(out_file)]) == 0
    capsys.readouterr()
    report = _run(capsys, "recover", str(out_file), "--against", str(tmp_path / "ccd.truth.json"))
    assert "the record ran the intended schedule" in report
    intended = tmp_path / "intended.json"
    intended.write_text(_run(capsys, "ccd_staircase", "--stop-mA-cm2", "0.2", "--json"), encoding="utf-8")
    payload = json.loads(_run(capsys, "recover", str(out_file), "--against", str(intended), "--json"))
    assert payload["schedule"]["format"] == "anodelab.schedule"
    comparison = payload["comparison"]
    assert not comparison["matches"] and comparison["n_intended"] == 8 and comparison["n_recovered"] == 12
    assert [d["field"] for d in comparison["differences"]] == ["extra"] * 4
    truth = json.loads((tmp_path / "ccd.truth.json").read_text(encoding="utf-8"))
    assert from_dict(truth["schedule"]) == ccd_staircase(stop_mA_cm2=0.3)
    assert truth["cell"]["type"] == "MetalCell"


def test_simulated_csv_gitt_is_analysed_by_anodelab_gitt(tmp_path, capsys):
    out_file = tmp_path / "titration.csv"
    _run(capsys, "gitt", "--n-pulses", "4", "--simulate", str(out_file), "--json")
    assert main(["gitt", str(out_file), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_pulses"] == 4


@pytest.mark.parametrize(("argv", "words"), [
    (["gitt", "--n-pulses", "0"], "n_pulses: must be an integer >= 1"),
    (["ccd_staircase", "--protocol", "weekly"], "protocol: must be 'fixed-time' or 'fixed-capacity'"),
    (["gitt", "--simulate", "out.txt"], "expected a .mpt or .csv file name"),
])
def test_user_mistakes_are_one_line(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["protocol", *argv]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_a_bad_simulate_name_is_refused_before_anything_runs(capsys, tmp_path, monkeypatch):
    # the file name was checked only after the table was printed and the cell simulated
    monkeypatch.chdir(tmp_path)
    assert main(["protocol", "gitt", "--simulate", "out.txt"]) == 2
    assert capsys.readouterr().out == ""
    assert list(tmp_path.iterdir()) == []


def test_bad_option_values_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["protocol", "rate_test", "--c-rates", "fast"])
    assert exit_.value.code == 2
    assert "expected numbers separated by commas" in capsys.readouterr().err
