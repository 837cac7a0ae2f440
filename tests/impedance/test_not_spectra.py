"""Impedance and DRT entry points given data that are not impedance spectra (a cycling Record, a per-cycle
CycleTable, a whole series where one spectrum is wanted) refuse with NotApplicableError naming the source
file and what the data hold, through anodelab.core.spectrum's require_spectrum / require_spectra."""

from __future__ import annotations

import numpy as np
import pytest
from example_files import half_cell_csv

import anodelab
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.spectrum import Spectrum, SpectrumSeries
from anodelab.drt import drt, drt_series
from anodelab.impedance import analyses
from anodelab.impedance.derived import spectrum_intercept_ohm
from anodelab.impedance.fit import fit_circuit, fit_series
from anodelab.impedance.kk import kk_series, kramers_kronig_test
from anodelab.impedance.select import choose_circuit

ENTRY_POINTS = {
    "fit_circuit": lambda data: fit_circuit(data, "R0-p(R1,C1)"),
    "fit_series": lambda data: fit_series(data, "R0-p(R1,C1)"),
    "kramers_kronig_test": kramers_kronig_test,
    "kk_series": kk_series,
    "kk": analyses.kk,
    "fit_default": analyses.fit_default,
    "choose_circuit": choose_circuit,
    "interfacial_arrhenius": analyses.interfacial_arrhenius,
    "conductivity_arrhenius": analyses.conductivity_arrhenius,
    "spectrum_intercept_ohm": spectrum_intercept_ohm,
    "drt": drt,
    "drt_series": drt_series,
}
ONE_SPECTRUM = ("fit_circuit", "kramers_kronig_test", "spectrum_intercept_ohm")


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> Record:
    data = anodelab.read(half_cell_csv(tmp_path_factory.mktemp("record")))
    assert isinstance(data, Record)
    return data


@pytest.fixture(scope="module")
def cycle_table(tmp_path_factory) -> CycleTable:
    path = tmp_path_factory.mktemp("cycles") / "summary.csv"
    path.write_text("Cycle_Index,Charge_Capacity (Ah),Discharge_Capacity (Ah)\n"
                    + "".join(f"{k},{1.0 - 0.01 * k},{0.99 - 0.01 * k}\n" for k in range(1, 11)))
    data = anodelab.read(path)
    assert isinstance(data, CycleTable)
    return data


def _spectrum(R_ohm: float = 10.0) -> Spectrum:
    f = np.logspace(5, -1, 40)
    return Spectrum.from_arrays(f, 1.0 + R_ohm / (1 + 1j * 2 * np.pi * f * R_ohm * 1e-4))


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_a_cycling_record_is_not_applicable_and_the_message_says_what_it_holds(name, record):
    with pytest.raises(NotApplicableError) as info:
        ENTRY_POINTS[name](record)
    message = str(info.value)
    assert message.startswith(f"{record.provenance.path}: {name} needs")
    assert "time series (Record" in message and f"{len(record)} rows" in message and "voltage_V" in message


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_a_cycle_table_is_not_applicable_and_the_message_says_what_it_holds(name, cycle_table):
    with pytest.raises(NotApplicableError) as info:
        ENTRY_POINTS[name](cycle_table)
    message = str(info.value)
    assert message.startswith(f"{cycle_table.provenance.path}: {name} needs")
    assert "per-cycle summary table (CycleTable, 10 cycles" in message and "charge_capacity_mAh" in message


@pytest.mark.parametrize("name", ONE_SPECTRUM)
def test_a_series_where_one_spectrum_is_wanted_names_the_series_analysis(name):
    series = SpectrumSeries.of([_spectrum(), _spectrum(20.0)])
    with pytest.raises(NotApplicableError, match=r"SpectrumSeries of 2 spectra; give one of them"):
        ENTRY_POINTS[name](series)


def test_series_entry_points_still_take_a_list_of_spectra_and_refuse_a_list_holding_a_record(record):
    spectra = [_spectrum(), _spectrum(20.0)]
    fits = fit_series(spectra, "R0-p(R1,C1)", n_starts=1)
    np.testing.assert_allclose([fit.fitted["R1"].value for fit in fits.fits], [10.0, 20.0], rtol=1e-6)
    assert len(kk_series(spectra).results) == 2
    with pytest.raises(NotApplicableError, match=r"time series \(Record.*\(in a list of 2 items\)"):
        fit_series([spectra[0], record], "R0-p(R1,C1)")
    with pytest.raises(NotApplicableError, match="an empty list"):
        fit_series([], "R0-p(R1,C1)")
