"""Excel workbooks with one sheet per scan rate or temperature (written here with openpyxl, known values)."""

from __future__ import annotations

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.excel import read_excel

openpyxl = pytest.importorskip("openpyxl")
RATES_mV_s = (10, 50, 100)


def cv_sheet(rate_mV_s: float):
    """One CV cycle 0 -> 1 -> 0 V at the scan rate; current (A) proportional to the rate."""
    potential = np.r_[np.linspace(0.0, 1.0, 21), np.linspace(1.0, 0.0, 21)[1:]]
    time = np.arange(potential.size) * 0.05 / (rate_mV_s / 1000)
    current = 1e-5 * rate_mV_s * np.where(np.arange(potential.size) < 21, 1.0, -1.0)
    return time, potential, current


def scan_rate_workbook(path, extra_sheets=()):
    book = openpyxl.Workbook()
    info = book.active
    info.title = "Info"
    info.append(["Operator", "test"])
    info.append(["Electrode", "glassy carbon"])
    for rate in RATES_mV_s:
        sheet = book.create_sheet(f"{rate} mV s-1")
        sheet.append([f"CV at {rate} mV/s"])  # a title row above the header
        sheet.append(["Time(s)", "Potential(V)", "Current(A)"])
        for row in zip(*cv_sheet(rate)):
            sheet.append([float(v) for v in row])
    for name, rows in extra_sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_every_scan_rate_sheet_is_read_with_its_name(tmp_path):
    path = scan_rate_workbook(tmp_path / "cv.xlsx", extra_sheets=[("empty", [["Potential(V)", "Current(A)"]])])
    record = anodelab.read(path)
    assert isinstance(record, Record) and record.provenance.format == "excel"
    sizes = [cv_sheet(rate)[0].size for rate in RATES_mV_s]
    assert len(record) == sum(sizes)
    names = [f"{rate} mV s-1" for rate in RATES_mV_s]
    np.testing.assert_array_equal(record["sheet"], np.repeat(names, sizes))
    for name, rate in zip(names, RATES_mV_s):
        rows = record["sheet"] == name
        time, potential, current = cv_sheet(rate)
        np.testing.assert_allclose(record.voltage_V[rows], potential, rtol=1e-14, atol=1e-15)  # xlsx keeps 15 digits
        np.testing.assert_allclose(record.current_mA[rows], current * 1000, rtol=1e-12)  # A -> mA
        np.testing.assert_allclose(record["sheet_time_s"][rows], time, rtol=1e-12)
        # the scan rate of each sheet, from its own time column
        assert np.median(np.abs(np.diff(potential) / np.diff(record["sheet_time_s"][rows]))) == pytest.approx(rate / 1000)
        assert set(record["step"][rows]).isdisjoint(record["step"][~rows])  # no step spans two sheets
    assert np.all(np.diff(record.time_s) >= 0)
    notes = " | ".join(record.provenance.notes)
    assert "'Info' (no header row" in notes and "'empty' (header row but no data rows)" in notes


def test_impedance_sheets_per_temperature(tmp_path):
    book = openpyxl.Workbook()
    book.remove(book.active)
    frequency = np.logspace(5, 0, 11)
    truth = {}
    for name, resistance in (("25C", 100.0), ("40 °C", 60.0), ("323.15 K", 35.0), ("after cycling", 80.0)):
        sheet = book.create_sheet(name)
        sheet.append(["Frequency (Hz)", "Z' (Ω)", "-Z'' (Ω)"])
        Z = 5 + resistance / (1 + 1j * 2 * np.pi * frequency * resistance * 1e-6)
        truth[name] = Z
        for f, z in zip(frequency, Z):
            sheet.append([float(f), float(z.real), float(-z.imag)])
    path = tmp_path / "eis.xlsx"
    book.save(path)
    series = anodelab.read(path)
    assert isinstance(series, SpectrumSeries) and len(series) == 4
    for spectrum, (name, Z) in zip(series, truth.items()):
        assert spectrum.context.extras["sheet"] == name
        np.testing.assert_allclose(spectrum.Z_ohm, Z, rtol=1e-12)
    assert [s.context.temperature_C for s in series] == [25.0, 40.0, pytest.approx(50.0), None]


def test_workbooks_that_cannot_be_read_completely_are_refused(tmp_path):
    cases = {
        "mixed.xlsx": [("eis", [["Frequency (Hz)", "Z' (Ω)", "-Z'' (Ω)"], [1000.0, 1.0, 0.5], [100.0, 2.0, 1.0]])],
        "text.xlsx": [("broken", [["Time(s)", "Potential(V)", "Current(A)"], [0.0, 0.1, 1e-3], [1.0, "n.a.", 1e-3]])],
        "unitless.xlsx": [("no units", [["Time", "Potential", "Current"], [0.0, 0.1, 1e-3], [1.0, 0.2, 1e-3]])],
    }
    for name, sheets in cases.items():
        path = scan_rate_workbook(tmp_path / name, extra_sheets=sheets)
        with pytest.raises(ReadError) as info:
            read_excel(path)
        assert str(path) in str(info.value) and repr(sheets[0][0]) in str(info.value), name
    nothing = openpyxl.Workbook()
    nothing.active.append(["just", "words"])
    nothing.save(tmp_path / "nothing.xlsx")
    with pytest.raises(ReadError, match="'Sheet' \\(no header row"):
        read_excel(tmp_path / "nothing.xlsx")


def test_nova_excel_export_uses_the_we1_columns(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "CV 20 mV per s"
    sheet.append(["Potential applied (V)", "Time (s)", "WE(1).Current (A)", "WE(1).Potential (V)", "Scan", "Index"])
    time, potential, current = cv_sheet(20)
    for k, (t, e, i) in enumerate(zip(time, potential, current)):
        sheet.append([float(e), float(t), float(i), float(e) + 0.002, 1, k + 1])
    book.save(tmp_path / "nova.xlsx")
    record = anodelab.read(tmp_path / "nova.xlsx")
    np.testing.assert_allclose(record.voltage_V, potential + 0.002, rtol=1e-12)
    np.testing.assert_allclose(record.current_mA, current * 1000, rtol=1e-12)
    assert "sheet" not in record and "NOVA" in record.provenance.instrument
