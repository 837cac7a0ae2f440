"""The analysis registry: every row runs on the data of its kinds, options are checked against the
function's own parameters (Literal vocabularies included), and versions key the store."""

from __future__ import annotations

import pytest

from anodelab.core.errors import ValidationError
from anodelab.core.experiment import ExperimentKind
from anodelab.core.result import Result
from anodelab.sim.virtual import blocking_cell_spectrum
from anodelab.sim.virtual.impedance import temperature_eis_series
from anodelab.study import registry


def test_every_row_is_a_real_function_of_a_known_result_type():
    names = [analysis.name for analysis in registry.ANALYSES]
    assert len(set(names)) == len(names)
    for analysis in registry.ANALYSES:
        assert callable(analysis.function) and issubclass(analysis.returns, Result)
        assert analysis.kinds and all(isinstance(kind, ExperimentKind) for kind in analysis.kinds)
        assert all(names.index(used) < names.index(analysis.name) for used in analysis.uses)  # runs after what it uses
    assert registry.fingerprint() == {analysis.name: analysis.returns.version for analysis in registry.ANALYSES}


def test_the_kinds_analyses_run_on_virtual_data_and_recover_the_truth():
    experiment = temperature_eis_series(noise_pct=0.0, form="T/R")
    ran = {analysis.name: analysis.function(experiment.data)
           for analysis in registry.for_kind(ExperimentKind.EIS_TEMPERATURE)}
    assert set(ran) == {"kk", "arrhenius"}
    assert ran["kk"].to_dict()["passed"]
    arrhenius = ran["arrhenius"].to_dict()
    assert arrhenius["arrhenius"]["Ea_kJ_mol"] == pytest.approx(experiment.truth["Ea_kJ_mol"], rel=1e-5)
    assert arrhenius["circuit"] == "R0-p(R1,CPE1)"  # chosen from the data: one arc
    conductivity = registry.get("conductivity").function(blocking_cell_spectrum(noise_pct=0.0).data).to_dict()
    assert conductivity["sigma_S_cm"][0] == pytest.approx(3e-4, rel=1e-6)
    assert "arrhenius" not in conductivity  # one temperature


def test_options_are_the_functions_own_and_literals_are_enforced():
    drt = registry.get("drt")
    assert drt.check_options({"windows": "si_zno"}) == {"windows": "si_zno"}
    with pytest.raises(ValidationError, match="drt takes no option 'window'"):
        drt.check_options({"window": "si_zno"})
    summary = registry.get("cycle_summary")
    assert "cell" not in summary.options()
    circuit = registry.get("circuit_fit")
    assert "drt" not in circuit.options()  # what it uses is not an option
    with pytest.raises(ValidationError, match="unknown analysis 'nope'"):
        registry.get("nope")
    with pytest.raises(ValidationError, match="must be one of"):
        registry.check_study_options({"arrhenius": {"form": "invR"}})


def test_literal_values_are_read_from_hints():
    from typing import Literal

    assert registry._literal_values(Literal["a", "b"]) == ("a", "b")
    assert registry._literal_values(Literal["a"] | None) == ("a", None)
    assert registry._literal_values(int) is None
    assert registry._literal_values(Literal["a"] | int) is None
