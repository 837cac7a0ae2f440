"""Excel workbooks with one sheet per scan rate or temperature (written here with openpyxl, known values)."""

from __future__ import annotations

import re
import zipfile

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


def test_nova_cv_reads_alike_from_excel_and_ascii(tmp_path):
    header = ["Potential applied (V)", "Time (s)", "WE(1).Current (A)", "WE(1).Potential (V)", "Scan", "Index",
              "Current range"]
    time, potential, current = cv_sheet(20)
    scans = 3
    rows = [[float(e), float(t + k * time[-1]), float(i), float(e) + 0.002, k + 1, n + 1, "1 mA"]
            for k in range(scans) for n, (t, e, i) in enumerate(zip(time, potential, current))]
    book = openpyxl.Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    book.save(tmp_path / "nova.xlsx")
    (tmp_path / "nova.txt").write_text("\n".join("\t".join(map(str, row)) for row in [header, *rows]) + "\n")
    excel, ascii_ = anodelab.read(tmp_path / "nova.xlsx"), anodelab.read(tmp_path / "nova.txt")
    assert excel.provenance.techniques == ascii_.provenance.techniques == ("CV",)
    assert excel.summary()["cycles"] == ascii_.summary()["cycles"] == scans  # the scans, not charge/discharge pairs
    for record in (excel, ascii_):  # the text column is not kept, and the notes say so
        assert "current_range" not in " ".join(record.column_names)
        assert any(note.endswith("text columns not kept: 'Current range'") for note in record.provenance.notes)


# -- damaged Arbin-layout workbooks (written with openpyxl, then their XML changed) -------------------------


def arbin_workbook(path, rows: int = 40):
    """An Arbin MITS Pro Excel export: Global_Info and Channel_1_1, data row k at 10k s, 3 + k/1000 V, k/4 Ah."""
    book = openpyxl.Workbook()
    book.active.title = "Global_Info"
    book.active.append(["ArbinSoftware", "MITS Pro"])
    sheet = book.create_sheet("Channel_1_1")
    sheet.append(["Test_Time(s)", "Step_Index", "Cycle_Index", "Voltage(V)", "Current(A)", "Charge_Capacity(Ah)",
                  "Discharge_Capacity(Ah)"])
    for k in range(rows):
        sheet.append([k * 10.0, 1, 1, 3.0 + k / 1000, 0.001, k * 0.25, 0.0])
    book.save(path)
    return path


def rewrite(source, target, change, extra=()):
    """A copy of a workbook with ``change(name, data)`` applied to every member, and ``extra`` members added."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for name in original.namelist():
            copy.writestr(name, change(name, original.read(name)))
        for name, data in extra:
            copy.writestr(name, data)
    return target


def in_sheet(pattern: bytes, new: bytes):
    return lambda name, data: re.sub(pattern, new, data, count=1) if name == "xl/worksheets/sheet2.xml" else data


def test_arbin_workbook_rows_missing_from_the_sheet_xml_are_noted(tmp_path):
    complete = read_excel(arbin_workbook(tmp_path / "a.xlsx"))
    assert len(complete) == 40 and not any("empty row" in note for note in complete.provenance.notes)
    # the <row> of data row 10 (sheet row 11) removed: calamine places rows by number, leaving it empty
    path = rewrite(tmp_path / "a.xlsx", tmp_path / "b.xlsx", in_sheet(rb'<row r="11"[^>]*>.*?</row>', b""))
    data = read_excel(path)
    np.testing.assert_array_equal(data.voltage_V, 3.0 + np.r_[0:9, 10:40] / 1000)
    assert any(note.startswith("sheet 'Channel_1_1': 1 empty row(s) inside the table (first after data row 9)")
               for note in data.provenance.notes)


@pytest.mark.parametrize("value", [b"inf", b"-inf", b"NaN", b"1" * 400])
def test_arbin_workbook_with_a_non_finite_number_is_refused(tmp_path, value):
    arbin_workbook(tmp_path / "a.xlsx")
    path = rewrite(tmp_path / "a.xlsx", tmp_path / "b.xlsx", in_sheet(rb"<v>3\.005</v>", b"<v>" + value + b"</v>"))
    with pytest.raises(ReadError, match=r"column 'Voltage\(V\)', data row 6 holds") as info:
        read_excel(path)
    assert str(path) in str(info.value) and "Excel stores no NaN or infinity" in str(info.value)


def test_workbook_member_that_inflates_too_far_is_refused_before_it_is_opened(tmp_path):
    arbin_workbook(tmp_path / "a.xlsx")
    path = rewrite(tmp_path / "a.xlsx", tmp_path / "b.xlsx", lambda name, data: data,
                   extra=[("xl/pad.xml", b" " * (40 << 20))])  # 40 MiB from about 40 kB
    with pytest.raises(ReadError, match="member xl/pad.xml would inflate"):
        anodelab.read(path)


def test_arbin_workbook_empty_number_cells_are_noted(tmp_path):
    arbin_workbook(tmp_path / "a.xlsx")
    path = rewrite(tmp_path / "a.xlsx", tmp_path / "b.xlsx", in_sheet(rb"<v>1\.25</v>", b"<v></v>"))  # data row 6
    data = read_excel(path)
    assert len(data) == 40
    assert "empty cells read as NaN in 'Charge_Capacity(Ah)' (1 rows)" in data.provenance.notes
    assert not any("empty cells" in note for note in read_excel(tmp_path / "a.xlsx").provenance.notes)
