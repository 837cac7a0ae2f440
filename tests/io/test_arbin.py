"""Arbin readers (.res databases, CSV exports) against access-parser and the files' own numbers."""

from __future__ import annotations

import shutil
from functools import cache

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.conventions import capacity_from_current, number_steps
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.io import arbin

CELLPY = "cycler/arbin/20160805_test001_45_cc_01.res"
NAVANI = "cycler/arbin/arbin_example.res"
BDT_CSV = "cycler/arbin/arbin_example.csv"
BEEP_CSV = "cycler/arbin/2017-05-09_test-TC-contact_CH33.csv"


@cache
def record(relative: str) -> Record:
    data = anodelab.read(external_file(relative))
    assert isinstance(data, Record)
    return data


@cache
def access_parser_tables(relative: str) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    from access_parser import AccessParser

    database = AccessParser(str(external_file(relative)))
    table = database.parse_table("Channel_Normal_Table")
    rows = {name: np.asarray(values, dtype=float) for name, values in table.items()}
    return rows, database.parse_table("Global_Table")


def step_ends(step: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[step[1:] != step[:-1], True])


@pytest.mark.parametrize(("relative", "fmt", "rows"), [
    # counts from ../shared/data/external/cycler/README.md (the beep file: its 287 data lines)
    (CELLPY, "arbin-res", 10261), (NAVANI, "arbin-res", 2150),
    (BDT_CSV, "arbin-csv", 2142), (BEEP_CSV, "arbin-csv", 287),
])
def test_every_file_reads_with_its_format_and_keeps_the_record_promises(relative, fmt, rows):
    data = record(relative)
    assert data.provenance.format == fmt
    assert len(data) == rows
    time = data.time_s
    assert time[0] == 0.0 and np.all(np.isfinite(time)) and np.all(np.diff(time) >= 0)
    assert np.all(np.isfinite(data.voltage_V)) and 0.0 < data.voltage_V.min() and data.voltage_V.max() < 5.0
    assert np.all(data.capacity_mAh >= 0)


@pytest.mark.parametrize("relative", [NAVANI, CELLPY])
def test_res_matches_access_parser(relative):
    """Our numpy row decoder against access-parser's own, after sorting by Data_Point.

    arbin_example.res stores rows 1321..1800 after 1801..: access-parser returns them in page
    order (Test_Time then runs backwards once); we sort by Data_Point.
    """
    data = record(relative)
    rows, _ = access_parser_tables(relative)
    order = np.argsort(rows["Data_Point"], kind="stable")
    assert (relative == NAVANI) == bool(np.any(np.diff(rows["Data_Point"]) < 0))
    np.testing.assert_array_equal(data.voltage_V, rows["Voltage"][order])
    np.testing.assert_array_equal(data.current_mA, rows["Current"][order] * 1000)
    test_time = rows["Test_Time"][order]
    np.testing.assert_allclose(data.time_s, test_time - test_time[0], rtol=0, atol=1e-9 * test_time.max())
    np.testing.assert_array_equal(data["cycle_instrument"], rows["Cycle_Index"][order])
    np.testing.assert_array_equal(data["step_index"], rows["Step_Index"][order])
    keys = np.stack([rows["Step_Index"][order], rows["Cycle_Index"][order]], axis=1)
    np.testing.assert_array_equal(data["step"], number_steps(np.unique(keys, axis=0, return_inverse=True)[1].ravel()))


def test_slow_fallback_gives_the_same_record(monkeypatch):
    monkeypatch.setattr(arbin, "_fixed_length_rows", lambda *args: None)
    slow = arbin.read_res(external_file(NAVANI))
    fast = record(NAVANI)
    assert any("slow" in note for note in slow.provenance.notes)
    for name in fast.column_names:
        np.testing.assert_array_equal(slow[name], fast[name], err_msg=name)


def test_units_from_the_global_table_of_the_cellpy_file():
    """The schedule runs its first cycles at C/20 of MASS (g) x Specific_Capacity (Ah/g): in A, as we assume."""
    _, global_table = access_parser_tables(CELLPY)
    assert "C20" in global_table["Schedule_File_Name"][0]
    c_over_20_mA = global_table["MASS"][0] * global_table["Specific_Capacity"][0] / 20 * 1000
    data = record(CELLPY)
    first_discharge = data["step"] == data["step"][np.argmax(data.current_mA < 0)]
    np.testing.assert_allclose(np.median(-data.current_mA[first_discharge]), c_over_20_mA, rtol=0.01)


@pytest.mark.parametrize("relative", [CELLPY, NAVANI, BDT_CSV, BEEP_CSV])
def test_capacity_equals_the_time_integral_of_current(relative):
    """Arbin's counters (Ah) and current (A) agree: our capacity_mAh matches the integral of current_mA."""
    data = record(relative)
    integral = capacity_from_current(data.time_s, data.current_mA, data["step"])
    ends = step_ends(data["step"])
    large = ends[data.capacity_mAh[ends] > 0.05 * data.capacity_mAh.max()]
    assert large.size
    np.testing.assert_allclose(data.capacity_mAh[large], integral[large], rtol=0.02)


@pytest.mark.parametrize("relative", [CELLPY, NAVANI, BDT_CSV])
def test_current_sign_follows_the_voltage(relative):
    """Over the constant-current part of each step (|I| within 10 % of its peak), the voltage moves the way
    the current flows (CC-CV steps: the CV tail is left out)."""
    data = record(relative)
    checked = 0
    for step in np.unique(data["step"]):
        in_step = data["step"] == step
        peak = np.abs(data.current_mA[in_step]).max()
        rows = in_step & (np.abs(data.current_mA) > 0.9 * peak)
        if peak > 0 and rows.sum() > 10:
            rising = data.voltage_V[rows][-1] > data.voltage_V[rows][0]
            assert rising == (np.median(data.current_mA[rows]) > 0), step
            checked += 1
    assert checked >= 3


def test_anode_half_cell_starts_with_lithiation():
    data = record(CELLPY)
    active = data.current_mA[data.current_mA != 0]
    assert active[np.abs(active) > 0.1][0] < 0  # first real current lithiates the Si (discharge)
    assert data.voltage_V.min() < 0.06
    assert np.unique(data["cycle_instrument"]).size == 18


def test_csv_in_the_database_fields_layout():
    """battery-data-toolkit's CSV is not arbin_example.res exported: it starts 2017-07-02 with 1.1 A / 6.6 A
    steps on a ~3.3 V cell, the .res on 2023-07-24 with 87 uA on an LCO solid-state cell, so no row-by-row
    comparison is possible; we check its own numbers."""
    data = record(BDT_CSV)
    assert any("fixed units" in note for note in data.provenance.notes)
    assert 25 < data.temperature_C.min() and data.temperature_C.max() < 35
    np.testing.assert_allclose(np.abs(data.current_mA).max(), 6641.9449, rtol=1e-9)  # 6.6419449 A in the file
    assert "unix_time_s" in data and data["unix_time_s"][0] == 1499006353


def test_csv_without_step_index_numbers_steps_by_state():
    data = record(BEEP_CSV)
    assert "step_index" not in data and "cycle_instrument" not in data
    assert any("no Step_Index" in note for note in data.provenance.notes)


def test_csv_units_in_the_header_are_converted(tmp_path):
    """The same rows written MITS Pro style, with units (mA, mAh, h), give the same record."""
    lines = external_file(BDT_CSV).read_text().splitlines()
    names = lines[0].split(",")
    scale = {"Current": ("Current(mA)", 1000), "Charge_Capacity": ("Charge_Capacity(mAh)", 1000),
             "Discharge_Capacity": ("Discharge_Capacity(mAh)", 1000), "Test_Time": ("Test_Time(h)", 1 / 3600),
             "Voltage": ("Voltage(V)", 1), "Temperature": ("Aux_Temperature_1(C)", 1)}
    rows = [line.split(",") for line in lines[1:]]
    header = [scale.get(name, (name, 1))[0] for name in names]
    converted = [",".join(repr(float(value) * scale[name][1]) if name in scale else value
                          for name, value in zip(names, row)) for row in rows]
    path = tmp_path / "mits.csv"
    path.write_text(",".join(header) + "\n" + "\n".join(converted) + "\n")
    mits, original = anodelab.read(path), record(BDT_CSV)
    for name in ("time_s", "voltage_V", "current_mA", "capacity_mAh", "temperature_C"):
        np.testing.assert_allclose(mits[name], original[name], rtol=1e-9, atol=1e-9, err_msg=name)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.5, -7])
@pytest.mark.parametrize("relative", [NAVANI, CELLPY])
def test_truncated_res_is_refused(tmp_path, relative, keep):
    raw = external_file(relative).read_bytes()
    path = tmp_path / "cut.res"
    path.write_bytes(raw[:keep] if keep < 0 else raw[: int(len(raw) * keep)])
    with pytest.raises(ReadError, match="truncated") as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_res_with_broken_signature_or_no_channel_table_is_refused(tmp_path):
    raw = bytearray(external_file(NAVANI).read_bytes())
    raw[4] ^= 0x20  # 'Standard Jet DB' -> 'standard Jet DB'
    path = tmp_path / "broken.res"
    path.write_bytes(bytes(raw))
    with pytest.raises(ReadError, match="Jet") as info:
        anodelab.read(path, format="arbin-res")
    assert str(path) in str(info.value)


def test_res_with_a_damaged_data_page_is_refused(tmp_path):
    """Corrupt the row-offset table of a Channel_Normal_Table page: an error, not shifted columns."""
    raw = bytearray(external_file(NAVANI).read_bytes())
    pages = np.frombuffer(bytes(raw), dtype=np.uint8).reshape(-1, 4096)
    data_pages = np.flatnonzero((pages[:, 0] == 1) & (pages[:, 1] == 1) & (pages[:, 12] == 40))
    page = int(data_pages[len(data_pages) // 2])
    raw[page * 4096 + 16: page * 4096 + 18] = (5).to_bytes(2, "little")  # row 1 would start inside the header
    path = tmp_path / "damaged.res"
    path.write_bytes(bytes(raw))
    with pytest.raises(ReadError, match="shorter than its columns") as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_wrong_extension_res(tmp_path):
    """An Arbin CSV named .res is refused as a database but found by its header; plain text is refused."""
    path = tmp_path / "export.res"
    shutil.copyfile(external_file(BDT_CSV), path)
    with pytest.raises(ReadError, match="Jet") as info:
        anodelab.read(path, format="arbin-res")
    assert str(path) in str(info.value)
    assert anodelab.read(path).provenance.format == "arbin-csv"
    path.write_text("Test notes\ncell 4, rested 2 h\n")
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("change", "message"), [
    (lambda header: header.replace("Voltage", "Volts"), "Voltage"),
    (lambda header: header.replace("Current", "Current(kA)"), "kA"),
])
def test_csv_without_voltage_or_with_unknown_units_is_refused(tmp_path, change, message):
    lines = external_file(BDT_CSV).read_text().splitlines()
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([change(lines[0]), *lines[1:50]]) + "\n")
    with pytest.raises(ReadError, match=message) as info:
        anodelab.read(path, format="arbin-csv")
    assert str(path) in str(info.value)


def test_csv_header_only_is_refused(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(external_file(BDT_CSV).read_text().splitlines()[0] + "\n")
    with pytest.raises(ReadError) as info:
        anodelab.read(path, format="arbin-csv")
    assert str(path) in str(info.value)
