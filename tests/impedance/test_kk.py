"""Linear Kramers-Kronig test: clean circuit spectra pass, a spectrum with drift fails."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.core.spectrum import Spectrum
from anodelab.impedance.kk import kk_series, kramers_kronig_test
from anodelab.models.circuits import ZARC, R, Series
from anodelab.sim.virtual.impedance import blocking_cell_spectrum, eis_spectrum


@pytest.mark.parametrize("system", ["si-sulfide", "li-llzto", "na-symmetric"])
def test_noiseless_circuit_spectra_pass(system):
    result = kramers_kronig_test(eis_spectrum(system=system, noise_pct=0.0).data[0])
    assert result.passed
    assert result.max_residual_pct < 0.2  # a noiseless KK-compliant spectrum is fitted almost exactly
    assert result.to_dict()["n_rc"] == result.n_rc >= 7  # at least one element per decade (7 decades)


def test_blocking_cell_passes_with_its_capacitive_tail():
    assert kramers_kronig_test(blocking_cell_spectrum(noise_pct=0.0).data[0]).passed


def test_small_noise_passes_and_residuals_match_the_noise_level():
    result = kramers_kronig_test(eis_spectrum(system="li-llzto", noise_pct=0.2, seed=5).data[0])
    assert result.passed
    # residuals of a good KK fit are the noise: 0.2 % standard deviation per part
    spread = np.std(np.concatenate([result.residuals_real_pct, result.residuals_imag_pct]))
    assert 0.1 < spread < 0.3


def _drifting_spectrum(growth: float) -> Spectrum:
    """The interfacial resistance grows by ``growth`` (relative) linearly in time while the sweep runs high -> low."""
    frequency = eis_spectrum(noise_pct=0.0).data[0].frequency_Hz
    progress = np.arange(frequency.size) / (frequency.size - 1)
    Z = np.array(
        [Series(R(20.0), ZARC(60.0 * (1 + growth * p), 1e-2, 0.8)).impedance([f])[0] for f, p in zip(frequency, progress, strict=True)]
    )
    return Spectrum.from_arrays(frequency, Z)


def test_drift_during_the_sweep_fails_with_a_warning():
    steady = kramers_kronig_test(_drifting_spectrum(0.0))
    assert steady.passed and not steady.warnings
    drifting = kramers_kronig_test(_drifting_spectrum(0.5))
    assert not drifting.passed
    assert drifting.max_residual_pct > 1.0
    assert len(drifting.warnings) == 1 and "fails the Kramers-Kronig test" in drifting.warnings[0]
    metrics = {m.name: m for m in drifting.metrics()}
    assert metrics["kk_passed"].value == 0.0 and metrics["kk_max_residual"].value == drifting.max_residual_pct
    assert metrics["kk_max_residual"].unit == "%" and all(m.definition for m in metrics.values())
    series = kk_series([_drifting_spectrum(0.0), _drifting_spectrum(0.5)], threshold_pct=2.0)
    assert series.parameters["threshold_pct"] == 2.0 and series.parameters["mu_threshold"] == 0.85
    assert [r.passed for r in series.results] == [True, drifting.max_residual_pct <= 2.0]


def test_masking_inductive_points():
    frequency = np.logspace(6, -1, 50)
    Z = Series(R(5.0), ZARC(20.0, 1e-3, 0.9)).impedance(frequency)
    Z = Z + 1j * 2 * np.pi * frequency * 1e-6  # cable inductance
    spectrum = Spectrum.from_arrays(frequency, Z)
    masked = kramers_kronig_test(spectrum, exclude_inductive=True)
    assert masked.to_dict()["n_excluded"] == int((Z.imag > 0).sum()) > 0
    assert masked.passed
    with pytest.raises(ValidationError, match="exclude"):
        kramers_kronig_test(spectrum, exclude=[True, False])


def test_series_wrapper():
    data = eis_spectrum(noise_pct=0.0).data
    result = kk_series(data)
    out = result.to_dict()
    assert out["kind"] == "kk_series" and out["passed"] and out["n_passed"] == 1 and out["spectra"][0]["passed"]
    spectrum_metrics = [m for m in result.metrics() if m.index_name == "spectrum"]
    assert {m.index for m in spectrum_metrics} == {0}
    assert [(m.name, m.value, m.index) for m in result.metrics()[:2]] == [("kk_passed", 1.0, None), ("kk_n_passed", 1.0, None)]
    table = result.tables()["kk"]
    assert set(table["spectrum"]) == {0} and table["frequency_Hz"].size == len(data[0])
