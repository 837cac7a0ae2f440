"""Maccor, LAND/Arbin Excel, Gamry and ZPlot readers against the files' own numbers,
the established readers (impedance.py, navani) and physical sense."""

from __future__ import annotations

import shutil
from functools import cache

import numpy as np
import pandas as pd
import pytest
from impedance_py import same_as_impedance_py
from shared_data import external_file

import anodelab
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.excel import read_excel
from anodelab.io.gamry import read_dta
from anodelab.io.maccor import read_maccor
from anodelab.io.zplot import read_z

MACCOR = {  # file -> rows stated in cycler/README.md or counted in the file
    "cycler/maccor/PreDiag_000412_00008Fshort.022": 10344,
    "cycler/maccor/maccor_001.txt": 6704,
    "cycler/maccor/maccor_example.001": 8,
    "cycler/maccor/maccor_test_file_4267-66-6519.041": 74,
}
LAND = "cycler/land/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"


@cache
def read(relative: str) -> Record | SpectrumSeries:
    return anodelab.read(external_file(relative))


def maccor_frame(relative: str) -> pd.DataFrame:
    """The same file parsed independently with pandas (the way beep and battery-data-toolkit load it)."""
    path = external_file(relative)
    with path.open("rb") as handle:
        skip = next(i for i, line in enumerate(handle) if line.startswith(b"Rec"))
    return pd.read_csv(path, sep="\t", skiprows=skip, index_col=False, encoding="latin-1")


# -- Maccor ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", MACCOR)
def test_maccor_rows_voltage_and_format(relative):
    record = read(relative)
    frame = maccor_frame(relative)
    assert record.provenance.format == "maccor-text"
    assert record.provenance.instrument == "Maccor"
    assert len(record) == MACCOR[relative] == len(frame)
    np.testing.assert_array_equal(record.voltage_V, frame["Volts"].to_numpy(dtype=float))
    assert np.all(np.diff(record.time_s) >= 0) and record.time_s[0] == 0


@pytest.mark.parametrize("relative", MACCOR)
def test_maccor_current_is_signed_by_state(relative):
    # navani's maccor_reader and battery-data-toolkit sign the magnitude by State (D negative);
    # beep keeps Amps as stored. PreDiag stores signed Amps already, the others magnitudes: taking
    # |Amps| with the State's sign gives the same physical current for both kinds of export, where
    # battery-data-toolkit's unconditional "negate D rows" would turn PreDiag's discharges positive.
    record, frame = read(relative), maccor_frame(relative)
    magnitude = frame["Amps"].abs().to_numpy() * 1000.0
    expected = np.where(frame["State"].str.strip() == "D", -magnitude, magnitude)
    np.testing.assert_allclose(record.current_mA, expected, rtol=0, atol=1e-9)
    states = frame["State"].str.strip().to_numpy()
    assert np.all(record.current_mA[states == "C"] >= 0) and np.all(record.current_mA[states == "D"] <= 0)


def test_prediag_stores_signed_current_and_discharge_lowers_the_voltage():
    frame = maccor_frame("cycler/maccor/PreDiag_000412_00008Fshort.022")
    discharge = frame["State"].str.strip() == "D"
    assert (frame.loc[discharge, "Amps"] < 0).all()  # this export is signed: beep reads it as is
    record = read("cycler/maccor/PreDiag_000412_00008Fshort.022")
    assert record.summary()["current_mA_min"] == pytest.approx(frame["Amps"].min() * 1000)


def test_maccor_capacity_is_amp_hr_which_restarts_every_step():
    # beep: "Input Maccor data resets to zero at each step"; the reader checks it and uses Amp-hr as is
    for relative in ("cycler/maccor/PreDiag_000412_00008Fshort.022", "cycler/maccor/maccor_001.txt"):
        record, frame = read(relative), maccor_frame(relative)
        np.testing.assert_allclose(record.capacity_mAh, frame["Amp-hr"].abs().to_numpy() * 1000, rtol=1e-12)
        assert any("restarts at zero with every step" in note for note in record.provenance.notes)


def test_maccor_001_step_capacity_equals_the_integral_of_current():
    record = read("cycler/maccor/maccor_001.txt")
    checked = 0
    for number in range(1, record.n_steps + 1):
        step = record.step(number)
        if len(step) < 50 or step.states[len(step) // 2] == "rest":
            continue
        charge = np.trapezoid(np.abs(step.current_mA), step.time_s) / 3600.0
        assert step.capacity_mAh[-1] == pytest.approx(charge + step.capacity_mAh[0], rel=0.01)
        checked += 1
    assert checked >= 10  # the 5 charge (CC + CV) and 5 discharge steps of the rate test


def test_maccor_001_testtime_strings_and_galvanostatic_sign():
    record = read("cycler/maccor/maccor_001.txt")
    # last TestTime in the file: "2d 02:52:51.5699996948242", first "0d 00:00:0"
    assert record.time_s[-1] == pytest.approx(2 * 86400 + 2 * 3600 + 52 * 60 + 51.5699996948242)
    charge = record.step(4)  # a 1.5 A constant-current charge
    assert np.all(charge.current_mA > 1400) and charge.voltage_V[-1] > charge.voltage_V[0] + 0.3
    discharge = record.step(2)  # 0.5 A discharge
    assert np.all(discharge.current_mA < -400) and discharge.voltage_V[-1] < discharge.voltage_V[0] - 0.3
    assert np.isnan(record["aux1_C"]).all()  # thermocouples read -2501 C: not connected


def test_maccor_minutes_time_base_and_fra_rows():
    example = read("cycler/maccor/maccor_example.001")
    # "Test (Min)" column: 0.0000 ... 1.1667 min, as battery-data-toolkit multiplies by 60
    assert example.time_s[-1] == pytest.approx(1.1667 * 60)
    fra = read("cycler/maccor/maccor_test_file_4267-66-6519.041")
    assert np.all(fra.current_mA == 0) and fra.time_s[-1] == pytest.approx(10.0)  # clock frozen during FRA


def test_maccor_sniffed_for_any_numeric_extension(tmp_path):
    copy = tmp_path / "cell.517"
    shutil.copyfile(external_file("cycler/maccor/maccor_example.001"), copy)
    assert anodelab.read(copy).provenance.format == "maccor-text"


def test_maccor_bad_input(tmp_path):
    raw = external_file("cycler/maccor/maccor_001.txt").read_bytes()
    cases = {
        "header_only.001": raw[:300],                       # cut inside the header block
        "magic.001": b"Yesterday's Date\n" + raw[raw.index(b"\n") + 1:].replace(b"Rec#", b"Record", 1),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_maccor(path)
        assert str(path) in str(info.value)


# -- LAND / Arbin Excel ---------------------------------------------------------------------------


def test_land_xlsx_matches_the_sheet_and_navani():
    record = read(LAND)
    assert record.provenance.format == "excel"
    sheet = pd.read_excel(external_file(LAND), sheet_name="Channel_11_1", engine="calamine")
    assert len(record) == len(sheet) == 4526  # cycler/README.md
    np.testing.assert_array_equal(record.voltage_V, sheet["Voltage(V)"].to_numpy())
    np.testing.assert_allclose(record.current_mA, sheet["Current(A)"].to_numpy() * 1000, rtol=1e-12)
    np.testing.assert_allclose(record.time_s, sheet["Test_Time(s)"].to_numpy() - sheet["Test_Time(s)"].iloc[0])
    # navani 0.1.22 (echem_file_loader, run in /work/venv-navani since it pins an older numpy) reads the
    # same 4,526 rows with half-cycle capacities 5.798033, 5.698108, 5.256826, 0.004593 mAh and the
    # current in A (navani does not convert to mA; values -5.0e-5 A = -0.050 mA here).
    per_step = [record.step(s).capacity_mAh.max() for s in range(2, record.n_steps + 1)]
    np.testing.assert_allclose(per_step, [5.798033, 5.698108, 5.256826, 0.004593], atol=2e-6)
    assert "Arbin" in record.provenance.instrument  # the "LAND" example is an Arbin MITS Pro export


def test_land_graphite_half_cell_lithiates_first():
    record = read(LAND)
    first = record.step(2)
    assert np.all(first.current_mA < 0) and first.voltage_V[-1] < 0.06  # 50 uA down to 50 mV
    assert record.voltage_V.min() == pytest.approx(0.05, abs=0.001)
    assert np.abs(record.current_mA).max() == pytest.approx(0.05, rel=0.06)


def test_land_layout_with_record_sheet_and_units(tmp_path):
    # a LAND-style workbook: title rows, then Index/TestTime/h/Current/uA/Capacity/uAh/Voltage/V
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Record"
    sheet.append(["LAND test report"])
    sheet.append(["Index", "Cycle", "Step", "TestTime/h", "Current/uA", "Capacity/uAh", "Voltage/V"])
    rows = [(1, 1, 1, 0.0, -50.0, 0.0, 1.0), (2, 1, 1, 0.5, -50.0, 25.0, 0.5), (3, 1, 2, 1.0, 50.0, 0.0, 0.6),
            (4, 1, 2, 1.5, 50.0, 25.0, 0.9)]
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / "land.xlsx"
    book.save(path)
    record = anodelab.read(path)
    assert record.provenance.format == "excel" and record.provenance.instrument == "LAND"
    np.testing.assert_allclose(record.time_s, [0, 1800, 3600, 5400])
    np.testing.assert_allclose(record.current_mA, [-0.05, -0.05, 0.05, 0.05])
    np.testing.assert_allclose(record.capacity_mAh, [0, 0.025, 0, 0.025])


def test_land_bad_input(tmp_path):
    raw = external_file(LAND).read_bytes()
    for name, content in {"cut.xlsx": raw[: len(raw) // 2], "magic.xlsx": b"PK\x03\x04" + b"\x00" * 200}.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_excel(path)
        assert str(path) in str(info.value)


# -- Gamry ------------------------------------------------------------------------------------------

GAMRY_EIS = ["cycler/eis/exampleDataGamry.DTA", "eis/impedancepy_exampleDataGamry.DTA", "eis/pyimpspec_tests_data.dta"]
GAMRY_HEADER = """EXPLAIN
TAG\t{tag}
TITLE\tLABEL\tTest\tTest &Identifier
DATE\tLABEL\t11/12/2015\tDate
NOTES\tNOTES\t1\t&Notes...
\t
PSTAT\tPSTAT\tREF3000-21108\tPotentiostat
CONVENTION\tIQUANT\t{convention}\tCurrent Convention
"""
CURVE = """{name}\tTABLE{count}
\tPt\tT\tVf\tIm\tVu\tSig\tAch\tTemp\tIERange\tOver
\t#\ts\tV vs. Ref.\tA\tV\tV\tV\tdeg C\t#\tbits
"""


def gamry_curve(name: str, times, volts, amps, count: str = "") -> str:
    rows = "".join(f"\t{i}\t{t}\t{v:.5E}\t{a:.5E}\t0.0\t1.9\t0.003\t-3.27597E+002\t10\t..........a\n"
                   for i, (t, v, a) in enumerate(zip(times, volts, amps)))
    return CURVE.format(name=name, count=count) + rows


@pytest.mark.parametrize("relative", GAMRY_EIS)
def test_gamry_impedance_equals_impedance_py(relative):
    series = read(relative)
    assert series.provenance.format == "gamry-dta"
    same_as_impedance_py(series, external_file(relative), "readGamry")  # which also replaces decimal commas
    assert series[0].context.voltage_V is not None  # mean Vdc of the sweep


def test_gamry_charge_curve_keeps_anodic_positive_and_temperature_sentinel(tmp_path):
    # the layout of gamry-parser's ccd_charge_data.dta (PWR800_CHARGE, CONVENTION 1): charge at +20 mA
    path = tmp_path / "charge.DTA"
    volts = np.linspace(-0.29, 0.30, 6)
    path.write_text(GAMRY_HEADER.format(tag="PWR800_CHARGE", convention=1)
                    + gamry_curve("CURVE", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], volts, [0.02] * 6, count="\t6"))
    record = anodelab.read(path)
    assert record.provenance.format == "gamry-dta"
    np.testing.assert_allclose(record.current_mA, 20.0)
    np.testing.assert_allclose(record.voltage_V, volts, rtol=1e-5)
    np.testing.assert_allclose(record.time_s, np.arange(6) * 0.1, atol=1e-12)
    assert np.isnan(record.temperature_C).all()  # -327.6 deg C: no thermocouple
    assert record.capacity_mAh[-1] == pytest.approx(20.0 * 0.5 / 3600)


def test_gamry_cv_curves_become_steps_and_convention_zero_flips(tmp_path):
    path = tmp_path / "cv.DTA"
    body = (gamry_curve("CURVE1", [0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [1e-6, 2e-6, 3e-6])
            + gamry_curve("CURVE2", [0.1, 0.2, 0.3], [0.3, 0.2, 0.1], [-1e-6, -2e-6, -3e-6]))  # clock restarts
    path.write_text(GAMRY_HEADER.format(tag="CV", convention=0) + body)
    record = read_dta(path)
    assert record.provenance.techniques == ("CV",) and record.n_steps == 2
    np.testing.assert_allclose(record.current_mA, [-1e-3, -2e-3, -3e-3, 1e-3, 2e-3, 3e-3])
    np.testing.assert_allclose(record.time_s, [0, 0.1, 0.2, 0.2, 0.3, 0.4], atol=1e-12)
    assert any("restart their clock" in note for note in record.provenance.notes)


def test_gamry_bad_input(tmp_path):
    raw = external_file("cycler/eis/exampleDataGamry.DTA").read_bytes()
    row = raw.index(b"\n", raw.index(b"ZCURVE") + 300)
    summary = GAMRY_HEADER.format(tag="PWR800_CYCLICCHARGEDISCHARGE", convention=1) + (
        "CAPACITYCURVE\tTABLE\n\tPt\tTime\tType\n\t#\ts\t#\n\t1\t3493\t0\n")
    cases = {
        "ocv_cut.DTA": raw[: raw.index(b"OCVCURVE") + 2000],             # OCVCURVE declares 387 points
        "pt_repeated.DTA": raw[:row + 1] + raw[raw.rindex(b"\n", 0, row) + 1: row + 1] + raw[row + 1:],
        "magic.DTA": b"EXPLAIM" + raw[7:],
        "summary.DTA": summary.encode(),
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_dta(path)
        assert str(path) in str(info.value)


# -- ZPlot ------------------------------------------------------------------------------------------


def test_zplot_equals_impedance_py(external):
    path = external("eis/impedancepy_Circuit1_EIS_1.z")
    series = anodelab.read(path)
    assert series.provenance.format == "zplot" and len(series[0]) == 48  # "Data Points: 48"
    same_as_impedance_py(series, path, "readZPlot")
    assert series[0].context.time_s == pytest.approx(2.59)


def test_zplot_bad_input(tmp_path, external):
    raw = external("eis/impedancepy_Circuit1_EIS_1.z").read_bytes()
    last_row = raw.rindex(b"\n", 0, len(raw) - 1) + 1
    cases = {"magic.z": raw.replace(b"Freq(Hz)", b"F(Hz)"),
             "text.z": raw[:last_row] + raw[last_row:].replace(b"E+0", b"X+0", 1),
             "extra_row.z": raw + raw[last_row:]}                             # 49 rows, "Data Points: 48"
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_z(path)
        assert str(path) in str(info.value)
