from __future__ import annotations

import numpy as np
import pytest

from anodelab.core.errors import ValidationError
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries


def test_sorted_high_to_low_and_parts_agree():
    f = np.array([1.0, 100.0, 10.0])
    Z = np.array([10 - 5j, 1 - 0.1j, 3 - 2j])
    s = Spectrum.from_arrays(f, Z)
    assert s.frequency_Hz.tolist() == [100.0, 10.0, 1.0]
    assert s.Z_ohm.tolist() == [1 - 0.1j, 3 - 2j, 10 - 5j]
    t = Spectrum.from_arrays(f, Z_real_ohm=Z.real, Z_imag_ohm=Z.imag)
    assert np.array_equal(s.Z_ohm, t.Z_ohm)
    assert s.phase_deg[0] == pytest.approx(np.degrees(np.arctan2(-0.1, 1.0)))


@pytest.mark.parametrize(
    ("f", "Z", "message"),
    [
        ([1.0, 2.0], [1.0], "has 1 points"),
        ([1.0, -2.0], [1.0, 1.0], "> 0"),
        ([1.0, 1.0], [1.0, 2.0], "appears twice"),
        ([1.0, 2.0], [1.0, np.nan], "NaN"),
        ([], [], "at least one"),
    ],
)
def test_invalid_spectra(f, Z, message):
    with pytest.raises(ValidationError, match=message):
        Spectrum.from_arrays(f, Z)


def test_series_context_and_grids():
    f = np.logspace(3, -1, 9)
    spectra = [
        Spectrum.from_arrays(f, 1 + k - 1j / f, context=SpectrumContext(time_s=60.0 * k, temperature_C=20.0 + k))
        for k in range(3)
    ]
    series = SpectrumSeries.of(spectra)
    assert series.same_grid and len(series) == 3
    assert series.context_table()["temperature_C"].tolist() == [20.0, 21.0, 22.0]
    assert series.summary()["duration_s"] == 120.0
    assert len(series.to_pandas()) == 27
    other = SpectrumSeries.of([*spectra, Spectrum.from_arrays(f[:-1], np.ones(8))])
    assert not other.same_grid
    with pytest.raises(ValidationError):
        SpectrumSeries.of([])
