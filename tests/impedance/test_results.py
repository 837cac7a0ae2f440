"""Every impedance result is a core Result: kind and version, metrics with units and definitions, strict-JSON
``to_dict`` with the options used and the input's provenance, frozen, picklable."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

import anodelab
from anodelab.core.result import Result
from anodelab.impedance.analyses import (
    conductivity_arrhenius,
    fit_default,
    interfacial_arrhenius,
    kk,
)
from anodelab.impedance.derived import arrhenius_fit, interfacial_asr_ohm_cm2
from anodelab.impedance.fit import arc_quantities, fit_circuit, fit_series
from anodelab.impedance.kk import kramers_kronig_test
from anodelab.impedance.select import choose_circuit
from anodelab.sim.virtual.impedance import (
    blocking_cell_spectrum,
    eis_spectrum,
    temperature_eis_series,
)
from anodelab.sim.virtual.writers import write_mpt

BASE_KEYS = {"kind", "version", "parameters", "provenance", "warnings", "metrics"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    path = write_mpt(eis_spectrum(system="li-llzto", noise_pct=0.5, seed=1).data, tmp_path_factory.mktemp("r") / "llzto.mpt")
    series = anodelab.read(path)
    temperature = temperature_eis_series(noise_pct=0.2, temperatures_C=(0.0, 25.0, 50.0)).data
    fit = fit_circuit(series[0], "R0-p(R1,CPE1)")
    return {
        "circuit_fit": fit,
        "circuit_fit_series": fit_series(series, "R0-p(R1,CPE1)", n_starts=2),
        "arc_quantities": arc_quantities(fit, area_cm2=0.5),
        "kk": kramers_kronig_test(series[0]),
        "kk_series": kk(series),
        "arrhenius": arrhenius_fit([0.0, 25.0, 50.0], [3.0, 2.0, 1.5], form="T/R"),
        "asr": interfacial_asr_ohm_cm2(48.0, 0.5),
        "circuit_choice": choose_circuit(series, candidates=["R0-p(R1,CPE1)", "R0-p(R1,C1)"]),
        "interfacial_arrhenius": interfacial_arrhenius(temperature, circuit="symmetric"),
        "conductivity": conductivity_arrhenius(blocking_cell_spectrum(temperatures_C=[20.0, 40.0]).data),
        "from_file": fit_default(series, circuit="symmetric"),
    }


def test_every_result_has_the_one_shape(results):
    for name, result in results.items():
        assert isinstance(result, Result) and result.version == (2 if result.kind in ("kk", "kk_series") else 1)
        assert result.kind == (name if name != "from_file" else "circuit_fit_series")
        out = result.to_dict()
        assert BASE_KEYS <= set(out) and out["kind"] == result.kind
        json.dumps(out, allow_nan=False)  # strict JSON: NaN and infinities are null
        metrics = result.metrics()
        assert metrics and all(m.definition and isinstance(m.unit, str) for m in metrics), name
        assert result.headline() and result.kind in repr(result)
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.warnings = ("changed",)  # type: ignore[misc]
        back = pickle.loads(pickle.dumps(result))
        assert back.to_dict() == out, name


def test_parameters_hold_the_options_with_defaults_and_provenance_the_file(results):
    fit = results["circuit_fit"]
    assert fit.parameters["circuit"] == "R0-p(R1,CPE1)" and fit.parameters["weighting"] == "modulus"
    assert fit.parameters["n_starts"] == 8 and fit.parameters["initial"] is None
    from_file = results["from_file"]
    assert from_file.parameters == {"circuit": "symmetric", "n_processes": None, "low_frequency_tail": None}
    assert from_file.provenance.path.endswith("llzto.mpt") and len(from_file.provenance.sha256) == 64
    assert results["kk_series"].provenance == from_file.provenance
    assert results["arc_quantities"].parameters == {"area_cm2": 0.5}
    assert results["circuit_choice"].parameters["candidates"] == ["R0-p(R1,CPE1)", "R0-p(R1,C1)"]


def test_series_metrics_are_indexed_by_spectrum(results):
    series = results["circuit_fit_series"]
    indexed = [m for m in series.metrics() if m.name == "R1"]
    assert [(m.index_name, m.index) for m in indexed] == [("spectrum", 0)]
    assert indexed[0].value == series.fits[0].fitted["R1"].value and indexed[0].unit == "ohm"
    chi2 = next(m for m in series.metrics() if m.name == "chi2")
    assert chi2.value == series.fits[0].chi2 and "|Zm-Z|^2 / |Z|^2" in chi2.definition
