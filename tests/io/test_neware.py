"""Neware readers (.nda, .ndax, BTS CSV exports) against NewareNDA, its reference frames and the files' own numbers."""

from __future__ import annotations

import shutil
import warnings
import zipfile
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.conventions import capacity_from_current, number_steps
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.io.clock import monotonic_time
from anodelab.io.neware import counters_restart, per_step, read_nda, read_ndax
from anodelab.io.registry import get_format

NDA = ["cycler/neware/test.nda", "cycler/neware/2-1-6_61[07005012].nda", "cycler/neware/TestFile.nda"]
NDAX = [
    "cycler/neware/test.ndax",
    "cycler/neware/123456789012_Unit27_Example_Data_File.ndax",
    "cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax",
    "cycler/neware/BTS85-36-6-5-110-20240424.ndax",
]
CSV = ["cycler/neware/neware_uio.csv", "cycler/neware/nw_regular_export_ife_example.csv"]
FORMAT = {".nda": "neware-nda", ".ndax": "neware-ndax", ".csv": "neware-csv"}


@cache
def record(relative: str) -> Record:
    data = anodelab.read(external_file(relative))
    assert isinstance(data, Record)
    return data


@cache
def newarenda(relative: str) -> pd.DataFrame:
    NewareNDA = pytest.importorskip("NewareNDA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference tool's own deprecations are not ours to fail on
        return NewareNDA.read(str(external_file(relative)), software_cycle_number=False)  # the file's own cycle


def step_ends(step: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[step[1:] != step[:-1], True])


@pytest.mark.parametrize("relative", NDA + NDAX + CSV)
def test_every_file_reads_with_its_format_and_keeps_the_record_promises(relative):
    data = record(relative)
    assert data.provenance.format == FORMAT[Path(relative).suffix]
    time = data.time_s
    assert time[0] == 0.0 and np.all(np.isfinite(time)) and np.all(np.diff(time) >= 0)
    assert np.all(np.isfinite(data.voltage_V)) and np.all(np.isfinite(data.current_mA))
    assert np.all(data.capacity_mAh >= 0)
    assert -1.0 < data.voltage_V.min() and data.voltage_V.max() < 6.0  # single cells


@pytest.mark.parametrize(("relative", "rows"), [
    # counts from ../shared/data/external/cycler/README.md
    ("cycler/neware/test.nda", 439), ("cycler/neware/test.ndax", 1464), ("cycler/neware/2-1-6_61[07005012].nda", 15567),
    ("cycler/neware/TestFile.nda", 6670), ("cycler/neware/BTS85-36-6-5-110-20240424.ndax", 699677),
    ("cycler/neware/123456789012_Unit27_Example_Data_File.ndax", 301),
    ("cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax", 252951),
])
def test_row_counts_match_the_published_counts(relative, rows):
    assert len(record(relative)) == rows


@pytest.mark.parametrize("name", ["2-1-6_61[07005012]", "TestFile"])
def test_nda_matches_newarenda_reference_frames(name):
    data = record(f"cycler/neware/{name}.nda")
    reference = pd.read_feather(external_file(f"cycler/neware/{name}.ftr"))
    assert len(data) == len(reference)
    np.testing.assert_array_equal(data.voltage_V.astype(np.float32), reference["Voltage"].to_numpy())
    np.testing.assert_array_equal(data.current_mA.astype(np.float32), reference["Current(mA)"].to_numpy())
    # The reference keeps Neware's total time as float32 and starting where the file starts (0.463 s
    # for 2-1-6); ours is float64 from the first row, so compare differences at float32 precision.
    ref_time = reference["Time"].to_numpy(np.float64)
    np.testing.assert_allclose(data.time_s, ref_time - ref_time[0], rtol=0, atol=4e-7 * ref_time.max() + 1e-6)
    np.testing.assert_array_equal(data["step"], number_steps(reference["Step"].to_numpy()))
    np.testing.assert_array_equal(data.states == "charge", reference["Current(mA)"].to_numpy() > 0)
    net = reference["Charge_Capacity(mAh)"].to_numpy(np.float64) - reference["Discharge_Capacity(mAh)"].abs().to_numpy()
    np.testing.assert_allclose(data.capacity_mAh, np.abs(net), rtol=1e-6, atol=1e-3)
    assert list(np.unique(data["step_type"])) == sorted(reference["Status"].astype(str).unique())
    if name == "TestFile":
        np.testing.assert_array_equal(data["cycle_instrument"], reference["Cycle"].to_numpy())
        np.testing.assert_allclose(data["temperature_C"], reference["T1"].to_numpy(), rtol=1e-6)
    else:
        # this BTS 9 file has no cycle counter: NewareNDA writes a derived 1, we keep none
        assert "cycle_instrument" not in data
        assert any("no cycle counter" in note for note in data.provenance.notes)


@pytest.mark.parametrize("relative", ["cycler/neware/test.nda", "cycler/neware/test.ndax",
                                      "cycler/neware/123456789012_Unit27_Example_Data_File.ndax",
                                      "cycler/neware/BTS85-36-6-5-110-20240424.ndax"])
def test_matches_newarenda(relative):
    data, reference = record(relative), newarenda(relative)
    assert len(data) == len(reference)
    np.testing.assert_allclose(data.voltage_V, reference["Voltage"], rtol=1e-6)
    np.testing.assert_allclose(data.current_mA, reference["Current(mA)"], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(data["step"], number_steps(reference["Step"].to_numpy()))
    np.testing.assert_array_equal(data["cycle_instrument"], reference["Cycle"].to_numpy())
    # NewareNDA's "Time" is the step time for these versions; ours runs on from step to step
    np.testing.assert_allclose(data["step_time_s"], reference["Time"], rtol=2e-7, atol=1e-6)  # theirs: float32
    within_steps = np.diff(data["step"]) == 0
    np.testing.assert_allclose(np.diff(data.time_s)[within_steps], np.diff(data["step_time_s"])[within_steps],
                               atol=1e-6)
    if not any("absolute clock" in note for note in data.provenance.notes):
        wall = (reference["Timestamp"] - reference["Timestamp"].iloc[0]).dt.total_seconds().to_numpy()
        np.testing.assert_allclose(data.time_s, wall, atol=1.0)
    net = reference["Charge_Capacity(mAh)"].to_numpy(np.float64) - reference["Discharge_Capacity(mAh)"].abs().to_numpy()
    np.testing.assert_allclose(data.capacity_mAh, np.abs(net), rtol=1e-5, atol=1e-6)


def test_units_from_the_step_program_stored_in_the_ndax():
    """Step.xml holds the current set point of each CC step in mA; the recorded current must equal it."""
    for relative in ("cycler/neware/test.ndax", "cycler/neware/BTS85-36-6-5-110-20240424.ndax"):
        data = record(relative)
        with zipfile.ZipFile(external_file(relative)) as archive:
            program = ElementTree.fromstring(archive.read("Step.xml").decode("gb2312"))
        checked = 0
        for step in program.iter():
            limit = step.find("Limit/Main/Curr")
            if step.get("Step_ID") is None or limit is None:
                continue
            rows = data["step_index"] == int(step.get("Step_ID"))
            if rows.any():
                recorded = np.median(np.abs(data.current_mA[rows]))
                np.testing.assert_allclose(recorded, float(limit.get("Value")), rtol=0.01)
                checked += 1
        assert checked >= 2, relative


def test_units_from_the_cell_named_in_the_nda_header():
    """TestFile.nda names its cell, a 6000 mAh VAPCELL F60; full half-cycles must pass most of that (mAh, not Ah)."""
    assert b"VAPCELL_F60_6000" in external_file("cycler/neware/TestFile.nda").read_bytes()
    data = record("cycler/neware/TestFile.nda")
    full = data.capacity_mAh[step_ends(data["step"])]
    assert 0.9 * 6000 < full.max() <= 6000


@pytest.mark.parametrize("relative", ["cycler/neware/test.nda", "cycler/neware/TestFile.nda", "cycler/neware/test.ndax",
                                      "cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax",
                                      "cycler/neware/BTS85-36-6-5-110-20240424.ndax"] + CSV)
def test_capacity_equals_the_time_integral_of_current(relative):
    """mA x h = mAh: the counter and the current agree in unit and scale (2-1-6 is sampled only at pulse edges)."""
    data = record(relative)
    integral = capacity_from_current(data.time_s, data.current_mA, data["step"])
    ends = step_ends(data["step"])
    large = ends[data.capacity_mAh[ends] > 0.05 * data.capacity_mAh.max()]
    assert large.size
    np.testing.assert_allclose(data.capacity_mAh[large], integral[large], rtol=0.02)


@pytest.mark.parametrize("relative", NDA + NDAX + CSV)
def test_current_sign_follows_the_step_type(relative):
    data = record(relative)
    names = np.asarray(data["step_type"], dtype=str)
    charge, discharge = np.char.endswith(names, "_Chg"), np.char.endswith(names, "_DChg")
    assert not np.any(data.current_mA[charge] < 0)
    assert not np.any(data.current_mA[discharge] > 0)
    constant_current = np.char.startswith(names, "CC_")
    for step in np.unique(data["step"][constant_current]):
        rows = data["step"] == step
        if rows.sum() > 10:  # constant-current steps drive the voltage the way the current flows
            rising = data.voltage_V[rows][-1] > data.voltage_V[rows][0]
            assert rising == (np.median(data.current_mA[rows]) > 0), (relative, step)


def test_ndax_aux_channels_follow_testinfo_not_file_order():
    """fastnda names this file's aux columns by sorted file name: its 'temperature' is the unconnected
    voltage input (all 0) and its 'voltage' a ~24.8 degC channel of type 1122. We pair each aux file with
    its TestInfo entry, so the temperature is the type-103 channel and the voltage input reads 0 V."""
    data = record("cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax")
    assert np.all(data["aux1_voltage_V"] == 0.0)
    assert 20 < data.temperature_C.min() and data.temperature_C.max() < 35 and np.ptp(data.temperature_C) > 0.5
    others = [name for name in data.column_names if name.startswith("aux1_") and name != "aux1_voltage_V"]
    assert len(others) == 1 and 20 < np.median(data[others[0]]) < 35  # the type-1122 channel, kept under its own name


def test_big_ndax_steps_cycles_and_clock():
    data = record("cycler/neware/BTS85-36-6-5-110-20240424.ndax")
    assert data.n_steps == 45
    assert np.all(np.diff(data["step"]) >= 0)
    # its absolute clock jumps back 17 times; time_s uses the test time and says so
    assert any("jumps backwards at 17" in note for note in data.provenance.notes)


def test_neware_csv_flat_export():
    data = record("cycler/neware/neware_uio.csv")
    assert len(data) == 9065  # DataPoint 1..9065
    assert data.time_s[-1] == 144 * 3600 + 2 * 60 + 18  # Cumulative Time 144:02:18
    assert np.ptp(data.current_mA) > 1.9 and np.abs(data.current_mA).max() < 1.0  # Current(A) 0.00099 -> mA
    assert set(np.unique(data["cycle_instrument"])) == {1, 2, 3, 4}


def test_neware_csv_nested_export_matches_its_own_step_rows():
    """Each step row states the step's capacity (Ah); our last record of that step must carry the same."""
    path = external_file("cycler/neware/nw_regular_export_ife_example.csv")
    data = record("cycler/neware/nw_regular_export_ife_example.csv")
    lines = path.read_text().splitlines()
    step_rows = [line for line in lines[3:] if line.startswith(",") and not line.startswith(",,")]
    step_capacity = [float(line.split(",")[5]) for line in step_rows]
    assert len(data) == sum(line.startswith(",,") for line in lines[3:])
    ends = step_ends(data["step"])
    assert data.n_steps == 81 and len(step_capacity) == 80  # the first step shares the first cycle row
    np.testing.assert_allclose(data.capacity_mAh[ends[1:]], np.array(step_capacity) * 1000, atol=0.006)
    assert data.time_s[-1] == 27 * 3600 + 55 * 60 + 43
    assert 25 < data.temperature_C.min() and data.temperature_C.max() < 30
    assert any("'?'" in note for note in data.provenance.notes)


NEWARE_CSVS = ("cycler/neware/neware_uio.csv", "cycler/neware/nw_regular_export_ife_example.csv")


def test_csv_header_pattern_claims_both_neware_exports_and_no_other_csv():
    fmt = get_format("neware-csv")
    neware = {external_file(relative) for relative in NEWARE_CSVS}  # fails under CI, skips elsewhere, when absent
    csvs = sorted(external_file("cycler/README.md").parent.rglob("*.csv"))
    others = [path for path in csvs if path not in neware]
    assert others, "no CSV but Neware's in the shared cycler folder: nothing shows the pattern claims no other CSV"
    claimed = {path for path in csvs if fmt.matches_header(path.read_bytes()[:65536].decode("latin-1"))}
    assert claimed == neware


def test_csv_clock_running_backwards_is_repaired_and_noted(tmp_path):
    lines = external_file("cycler/neware/neware_uio.csv").read_text().splitlines()[:40]
    fields = lines[20].split(",")
    fields[5] = "00:00:05"  # Cumulative Time jumps back to 5 s in data row 20
    lines[20] = ",".join(fields)
    path = tmp_path / "glitch.csv"
    path.write_text("\n".join(lines) + "\n")
    data = anodelab.read(path)
    assert np.all(np.diff(data.time_s) >= 0)
    assert any("runs backwards" in note for note in data.provenance.notes)


def test_counters_that_do_not_restart_count_from_each_step_start():
    step, current = np.array([1, 1, 1, 2, 2, 2]), np.ones(6)
    step_time = np.array([0.0, 3600, 7200, 0, 3600, 7200])
    running = np.array([0.0, 1, 2, 2, 3, 4])  # mAh at 1 mA: runs on across the step boundary
    assert not counters_restart(running, step, current, step_time)
    np.testing.assert_array_equal(per_step(running, step, False), [0, 1, 2, 0, 1, 2])
    assert counters_restart(np.array([0.0, 1, 2, 0, 1, 2]), step, current, step_time)


def test_monotonic_time_gives_backward_jumps_zero_duration():
    notes: list[str] = []
    time = monotonic_time(Path("x"), np.array([10.0, 11.0, 12.0, 2.0, 3.0]), "clock", notes)
    np.testing.assert_array_equal(time, [0.0, 1.0, 2.0, 2.0, 3.0])
    assert len(notes) == 2  # the offset of the first row, and the jump
    with pytest.raises(ReadError, match="row 2"):
        monotonic_time(Path("x"), np.array([0.0, np.nan]), "clock", [])


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", ["cycler/neware/test.nda", "cycler/neware/TestFile.nda"])
@pytest.mark.parametrize("keep", [0.5, 0.9, -7])
def test_truncated_nda_is_refused(tmp_path, relative, keep):
    raw = external_file(relative).read_bytes()
    path = tmp_path / Path(relative).name
    path.write_bytes(raw[:keep] if keep < 0 else raw[: int(len(raw) * keep)])
    if keep == -7 and relative.endswith("TestFile.nda"):
        anodelab.read(path)  # only trailing padding is lost: the data blocks are complete
        return
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("relative", NDA)
def test_damaged_nda_header_is_refused(tmp_path, relative):
    raw = bytearray(external_file(relative).read_bytes())
    raw[0] ^= 0x01  # the magic
    path = tmp_path / "damaged.nda"
    path.write_bytes(bytes(raw))
    with pytest.raises(ReadError, match="NEWARE") as info:
        anodelab.read(path, format="neware-nda")
    assert str(path) in str(info.value)


def test_nda_missing_records_are_refused(tmp_path):
    raw = bytearray(external_file("cycler/neware/TestFile.nda").read_bytes())
    raw[1024 + 56] ^= 0xFF  # the identifier of the 2nd (56-byte) record: fastnda skips it, the header counts it
    path = tmp_path / "TestFile.nda"
    path.write_bytes(bytes(raw))
    with pytest.raises(ReadError, match="declares 6670 records"):
        anodelab.read(path)


@pytest.mark.parametrize("keep", [0.3, 0.99])
def test_truncated_ndax_is_refused(tmp_path, keep):
    raw = external_file("cycler/neware/test.ndax").read_bytes()
    path = tmp_path / "test.ndax"
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_ndax_without_data_is_refused(tmp_path):
    path = tmp_path / "empty.ndax"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("TestInfo.xml", "<root/>")
    with pytest.raises(ReadError, match="data.ndc"):
        anodelab.read(path)


@pytest.mark.parametrize(("source", "renamed", "reader"), [
    ("cycler/neware/test.ndax", "test.nda", read_ndax), ("cycler/neware/test.nda", "test.ndax", read_nda),
])
def test_wrong_extension_is_refused_with_the_reason(tmp_path, source, renamed, reader):
    """fastnda picks its decoder by extension, so a mislabelled file is refused, saying what to rename."""
    path = tmp_path / renamed
    shutil.copyfile(external_file(source), path)
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert str(path) in str(info.value)
    with pytest.raises(ReadError, match="rename it") as info:
        reader(path)
    assert str(path) in str(info.value)


def test_csv_with_broken_time_is_refused(tmp_path):
    lines = external_file("cycler/neware/neware_uio.csv").read_text().splitlines()[:30]
    fields = lines[10].split(",")
    fields[5] = "9 minutes"  # Cumulative Time
    lines[10] = ",".join(fields)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError, match="Cumulative Time") as info:
        anodelab.read(path, format="neware-csv")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("relative", CSV)
def test_csv_header_only_is_refused(tmp_path, relative):
    lines = external_file(relative).read_text().splitlines()
    path = tmp_path / "header.csv"
    path.write_text("\n".join(lines[: 3 if "ife" in relative else 1]) + "\n")
    with pytest.raises(ReadError) as info:
        anodelab.read(path, format="neware-csv")
    assert str(path) in str(info.value)
