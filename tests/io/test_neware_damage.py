"""Neware readers on damaged copies of the real files: every row read, or the loss noted, or a clear refusal."""

from __future__ import annotations

import tracemalloc
import warnings
import zipfile
import zlib
from pathlib import Path

import fastnda
import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.errors import ReadError
from anodelab.io.zip_members import check_zip_member

UIO = "cycler/neware/neware_uio.csv"


def csv_copy(tmp_path: Path, change, rows: int = 60) -> Path:
    """The header and first ``rows`` data lines of neware_uio.csv, ``change(fields, row)`` applied to each row."""
    lines = external_file(UIO).read_text().splitlines()[: rows + 1]
    out = [lines[0]]
    for row, line in enumerate(lines[1:], start=1):
        fields = line.split(",")
        change(fields, row)
        out.append(",".join(fields))
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def column(name: str) -> int:
    return external_file(UIO).read_text().splitlines()[0].split(",").index(name)


def rezip(source: Path, target: Path, change) -> Path:
    """A copy of an .ndax with ``change(name, data)`` applied to every member (None drops it)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for name in original.namelist():
            data = change(name, original.read(name))
            if data is not None:
                copy.writestr(name, data)
    return target


# -- CSV ----------------------------------------------------------------------------------------


def test_stray_quotes_in_a_text_field_keep_every_row(tmp_path):
    step_type = column("Step Type")

    def quote(fields, row):
        if row in (10, 40):
            fields[step_type] = '"' + fields[step_type]  # polars' quoting would join rows 10..40 into one

    data = anodelab.read(csv_copy(tmp_path, quote), format="neware-csv")
    assert len(data) == 60
    original = anodelab.read(csv_copy(tmp_path, lambda fields, row: None), format="neware-csv")
    np.testing.assert_array_equal(data.voltage_V, original.voltage_V)


@pytest.mark.parametrize("value", ['"3.1', "nan", "inf", ""])
@pytest.mark.parametrize("name", ["Voltage(V)", "Current(A)", "Capacity(Ah)", "Energy(Wh)"])
def test_non_finite_or_quoted_quantity_is_refused(tmp_path, name, value):
    index = column(name)

    def damage(fields, row):
        if row == 25:
            fields[index] = value

    path = csv_copy(tmp_path, damage)
    with pytest.raises(ReadError, match=name.replace("(", r"\(").replace(")", r"\)")) as info:
        anodelab.read(path, format="neware-csv")
    assert str(path) in str(info.value)


def test_a_whole_nan_voltage_column_is_refused(tmp_path):
    index = column("Voltage(V)")

    def blank(fields, row):
        fields[index] = "nan"

    with pytest.raises(ReadError, match="Voltage"):
        anodelab.read(csv_copy(tmp_path, blank), format="neware-csv")


def test_stray_quote_in_the_nested_export_keeps_every_record(tmp_path):
    lines = external_file("cycler/neware/nw_regular_export_ife_example.csv").read_text().splitlines()
    records = [i for i, line in enumerate(lines) if i >= 3 and line.startswith(",,")]  # after the 3 header lines
    for i in (records[5], records[50]):
        fields = lines[i].split(",")
        fields[-1] = '"' + fields[-1]  # a trailing text field (not voltage, current or time)
        lines[i] = ",".join(fields)
    path = tmp_path / "nested.csv"
    path.write_text("\n".join(lines) + "\n")
    assert len(anodelab.read(path, format="neware-csv")) == len(records)


def test_trailing_blank_line_reads_every_row(tmp_path):
    clean = anodelab.read(csv_copy(tmp_path, lambda fields, row: None), format="neware-csv")
    path = tmp_path / "blank.csv"
    path.write_bytes(csv_copy(tmp_path, lambda fields, row: None).read_bytes() + b"\n")
    blank = anodelab.read(path, format="neware-csv")
    assert len(blank) == 60
    np.testing.assert_array_equal(blank.voltage_V, clean.voltage_V)


@pytest.mark.parametrize(("rows", "note"), [
    ([*range(1, 21), *range(25, 61)], "DataPoint skips 4 record(s) at 1 place(s) inside runs"),
    ([*range(1, 31), 30, *range(31, 61)], "DataPoint repeats at 1 row(s) (first at data row 31)"),
])
def test_rows_removed_or_repeated_are_noted_from_data_point(tmp_path, rows, note):
    lines = csv_copy(tmp_path, lambda fields, row: None).read_text().splitlines()
    path = tmp_path / "changed.csv"
    path.write_text("\n".join([lines[0], *(lines[row] for row in rows)]) + "\n")
    data = anodelab.read(path, format="neware-csv")
    assert len(data) == len(rows)
    assert any(text.startswith(note) for text in data.provenance.notes)
    assert not any("DataPoint" in text for text in anodelab.read(external_file(UIO)).provenance.notes)


def nested_copy(tmp_path: Path, change) -> tuple[Path, list[str]]:
    lines = external_file("cycler/neware/nw_regular_export_ife_example.csv").read_text().splitlines()
    change(lines)
    path = tmp_path / "nested.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


def test_records_removed_from_the_nested_export_are_noted(tmp_path):
    def remove(lines):
        records = [i for i, line in enumerate(lines) if i >= 3 and line.startswith(",,")]
        del lines[records[100]: records[100] + 5]

    path, lines = nested_copy(tmp_path, remove)
    data = anodelab.read(path, format="neware-csv")
    assert len(data) == sum(1 for line in lines[3:] if line.startswith(",,"))
    assert any(note.startswith("DataPoint skips 5 record(s) at 1 place(s)") for note in data.provenance.notes)


@pytest.mark.parametrize("field", [1, 3])  # Step Index, Step Type of a step row
def test_a_100_kB_field_in_a_step_row_takes_bounded_memory(tmp_path, field):
    def widen(lines):
        step = next(i for i, line in enumerate(lines) if i > 1000 and line.startswith(",") and line[1] != ",")
        fields = lines[step].split(",")
        fields[field] = "x" * 100_000
        lines[step] = ",".join(fields)

    path, _ = nested_copy(tmp_path, widen)
    tracemalloc.start()  # numpy's allocations are traced; a fixed-width str array of every record took gigabytes
    try:
        try:
            data = anodelab.read(path, format="neware-csv")
        except ReadError as error:
            assert field == 1 and "Step Index" in str(error)
        else:
            assert field == 3 and "x" * 100_000 in set(data["step_type"].tolist())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 << 20


# -- .nda ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", ["cycler/neware/TestFile.nda", "cycler/neware/2-1-6_61[07005012].nda"])
def test_a_damaged_version_byte_is_refused_or_decodes_the_same(tmp_path, relative):
    """Every version fastnda knows written into byte 14 of a BTS 9 file: never the +-2e5 V of a wrong layout."""
    raw = bytearray(external_file(relative).read_bytes())
    original = anodelab.read(external_file(relative))
    path = tmp_path / "damaged.nda"
    refused = 0
    for version in [*range(1, 30), 129]:
        raw[14] = version
        path.write_bytes(bytes(raw))
        try:
            data = anodelab.read(path, format="neware-nda")
        except ReadError as error:
            assert str(path) in str(error) and "\n" not in str(error)
            refused += 1
            continue
        np.testing.assert_array_equal(data.voltage_V, original.voltage_V, err_msg=str(version))
    assert refused >= 25


@pytest.mark.parametrize("relative", ["cycler/neware/TestFile.nda", "cycler/neware/2-1-6_61[07005012].nda"])
@pytest.mark.parametrize("damage", ["delete one record", "duplicate 500 bytes", "move 1000 bytes"])
def test_bytes_moved_in_the_records_are_refused(tmp_path, relative, damage):
    raw = external_file(relative).read_bytes()
    middle = 1024 + (len(raw) - 1024) // 3  # inside the record block, which starts at byte 1024
    record = 56 if "TestFile" in relative else 88
    changed = {
        "delete one record": raw[:middle] + raw[middle + record:],
        "duplicate 500 bytes": raw[:middle] + raw[middle - 500:],
        "move 1000 bytes": raw[:middle] + raw[middle + 1000: middle + 9000] + raw[middle: middle + 1000]
        + raw[middle + 9000:],
    }[damage]
    path = tmp_path / Path(relative).name
    path.write_bytes(changed)
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_fastnda_multi_line_errors_and_warnings_become_one_line(tmp_path, monkeypatch):
    path = tmp_path / "test.nda"
    path.write_bytes(external_file("cycler/neware/test.nda").read_bytes())
    real_read = fastnda.read

    def chatty(file, **options):
        warnings.warn("first line\nsecond line", UserWarning, stacklevel=2)
        return real_read(file, **options)

    monkeypatch.setattr(fastnda, "read", chatty)
    notes = anodelab.read(path).provenance.notes
    assert "fastnda: first line second line" in notes and not any("\n" in note for note in notes)

    def failing(file, **options):
        raise ValueError("one\ntwo\n  three")

    monkeypatch.setattr(fastnda, "read", failing)
    with pytest.raises(ReadError, match="ValueError: one two three") as info:
        anodelab.read(path)
    assert "\n" not in str(info.value)


# -- .ndax --------------------------------------------------------------------------------------


def test_ndax_with_data_cut_inside_a_page_is_refused(tmp_path):
    path = rezip(external_file("cycler/neware/test.ndax"), tmp_path / "cut.ndax",
                 lambda name, data: data[: len(data) // 2 + 1000] if name == "data.ndc" else data)
    with pytest.raises(ReadError, match="data.ndc is cut") as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_ndax_with_data_cut_at_a_page_is_refused_by_the_members_that_refer_to_it(tmp_path):
    """data_AUX_*.ndc (and data_runInfo.ndc) number the same records as data.ndc: theirs outlast a cut one."""
    source = external_file("cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax")
    path = rezip(source, tmp_path / "cut.ndax",
                 lambda name, data: data[: len(data) // 2 // 4096 * 4096] if name == "data.ndc" else data)
    with pytest.raises(ReadError, match="data.ndc lost records") as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_ndax_cut_at_a_page_without_other_members_notes_the_end_time(tmp_path):
    """test.ndax has only data.ndc: its TestInfo.xml EndTime (12 h 10 min after StartTime) shows the loss."""
    path = rezip(external_file("cycler/neware/test.ndax"), tmp_path / "cut.ndax",
                 lambda name, data: data[: 17 * 4096] if name == "data.ndc" else data)
    data = anodelab.read(path)
    assert len(data) < 1464
    assert any("ran 43800 s" in note and "records may be missing" in note for note in data.provenance.notes)
    assert not any("records may be missing" in note for note in anodelab.read(external_file(
        "cycler/neware/test.ndax")).provenance.notes)


def test_ndax_page_lost_in_the_middle_is_noted_with_its_record_count(tmp_path):
    """Clear the row bitmask of one page of data.ndc: fastnda skips its rows, the record index shows the gap."""
    raw = bytearray(zipfile.ZipFile(external_file("cycler/neware/test.ndax")).read("data.ndc"))
    page = 10 * 4096  # the 10th data page (page 0 is the file header)
    rows_in_page = raw[page + 2] | raw[page + 3] << 8
    raw[page + 4: page + 4 + (rows_in_page + 7) // 8] = bytes((rows_in_page + 7) // 8)
    raw[page + 4092: page + 4096] = zlib.crc32(raw[page: page + 4092]).to_bytes(4, "little")  # its CRC-32 still holds
    path = rezip(external_file("cycler/neware/test.ndax"), tmp_path / "gap.ndax",
                 lambda name, data: bytes(raw) if name == "data.ndc" else data)
    data = anodelab.read(path)
    assert len(data) == 1464 - rows_in_page
    assert any(note.startswith(f"{rows_in_page} records are missing") for note in data.provenance.notes)


@pytest.mark.parametrize(("relative", "member", "offset"), [
    ("cycler/neware/test.ndax", "data.ndc", 10 * 4096 + 294),  # .ndc version 5: a current
    ("cycler/neware/123456789012_Unit27_Example_Data_File.ndax", "data.ndc", 4096 + 197),  # version 14: a voltage
    ("cycler/neware/20260302_IFE_BTS85_2_9_8_1.ndax", "data_AUX_144_2_1.ndc", 200 * 4096 + 1000),  # version 17
])
def test_ndax_byte_changed_in_a_page_fails_its_crc(tmp_path, relative, member, offset):
    """Each page of an .ndc member after its header ends with the CRC-32 of the rest of the page; one byte
    changed in a page decodes without complaint (fastnda reads every row, with other values) unless checked."""
    source = external_file(relative)
    raw = bytearray(zipfile.ZipFile(source).read(member))
    page = raw[offset // 4096 * 4096: offset // 4096 * 4096 + 4096]
    assert zlib.crc32(page[:4092]) == int.from_bytes(page[4092:], "little")
    raw[offset] ^= 0x10
    path = rezip(source, tmp_path / Path(relative).name, lambda name, data: bytes(raw) if name == member else data)
    original, damaged = fastnda.read(source), fastnda.read(path)
    assert damaged.height == original.height and not damaged.equals(original)
    with pytest.raises(ReadError, match=f"{member} page {offset // 4096} fails its CRC-32") as info:
        anodelab.read(path)
    assert str(path) in str(info.value)


def test_ndax_member_that_inflates_too_far_is_refused_without_inflating_it(tmp_path):
    bomb = b"<root>" + b" " * (40 << 20) + b"</root>"  # 40 MiB of XML deflates to ~40 kB
    path = rezip(external_file("cycler/neware/test.ndax"), tmp_path / "bomb.ndax",
                 lambda name, data: bomb if name == "TestInfo.xml" else data)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ReadError, match="TestInfo.xml would inflate") as info:
            anodelab.read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < 8 << 20


def test_member_size_bound_scales_with_the_compressed_size():
    def member(name: str, inflated: int, deflated: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name)
        info.compress_type, info.file_size, info.compress_size = zipfile.ZIP_DEFLATED, inflated, deflated
        return info

    check_zip_member(Path("x.ndax"), member("data.ndc", 5795840, 2969926), "Neware")  # the largest real one
    check_zip_member(Path("x.ndax"), member("data_AUX_144_2_1.ndc", 1052672, 5428), "Neware")  # 194x, real
    with pytest.raises(ReadError, match="data.ndc would inflate"):
        check_zip_member(Path("x.ndax"), member("data.ndc", 1 << 30, 1 << 20), "Neware")
    with pytest.raises(ReadError, match="compression method"):
        info = member("data.ndc", 100, 100)
        info.compress_type = zipfile.ZIP_BZIP2
        check_zip_member(Path("x.ndax"), info, "Neware")


def test_bytes_moved_into_the_records_of_a_version_29_file_are_noted(tmp_path):
    """fastnda finds the first record of an .nda version 29 file by its bytes and reads 86-byte records to
    the end: 512 bytes moved from before the records into them misalign the rest, which fastnda drops unseen."""
    raw = external_file("cycler/neware/test.nda").read_bytes()
    original = anodelab.read(external_file("cycler/neware/test.nda"))
    assert not any("86-byte records" in note for note in original.provenance.notes)
    path = tmp_path / "test.nda"
    rest = raw[:8403] + raw[8915:]
    path.write_bytes(rest[:112070] + raw[8403:8915] + rest[112070:])
    data = anodelab.read(path)
    assert len(data) < len(original)
    assert any("not a whole number of 86-byte records (82 bytes over)" in note for note in data.provenance.notes)
