"""Arbin readers on damaged copies of the real files: every row read, or the loss noted, or a clear refusal."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.errors import ReadError
from anodelab.io import arbin

NAVANI = "cycler/arbin/arbin_example.res"
CELLPY = "cycler/arbin/20160805_test001_45_cc_01.res"
BDT_CSV = "cycler/arbin/arbin_example.csv"
PAGE = 4096


def table_pages(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Data pages of the biggest table (Channel_Normal_Table) and the row count each declares."""
    pages = np.frombuffer(raw, dtype=np.uint8).reshape(-1, PAGE)
    data = np.flatnonzero((pages[:, 0] == 1) & (pages[:, 1] == 1))
    owner = pages[data, 4].astype(np.int64) | pages[data, 5].astype(np.int64) << 8 | pages[data, 6].astype(np.int64) << 16
    values, counts = np.unique(owner, return_counts=True)
    mine = data[owner == values[np.argmax(counts)]]
    return mine, pages[mine, 12].astype(np.int64) | pages[mine, 13].astype(np.int64) << 8


@pytest.mark.parametrize("relative", [NAVANI, CELLPY])
def test_res_with_an_emptied_page_notes_the_lost_data_points(tmp_path, relative):
    raw = bytearray(external_file(relative).read_bytes())
    pages, rows = table_pages(bytes(raw))
    page = int(pages[len(pages) // 2])
    raw[page * PAGE: (page + 1) * PAGE] = bytes(PAGE)
    path = tmp_path / "emptied.res"
    path.write_bytes(bytes(raw))
    complete = anodelab.read(external_file(relative))
    data = anodelab.read(path)
    lost = int(rows[len(pages) // 2])
    assert len(data) == len(complete) - lost
    assert any(note.startswith(f"Data_Point skips {lost} record(s) at 1 place(s)") for note in data.provenance.notes)
    assert not any("Data_Point skips" in note for note in complete.provenance.notes)


def test_rows_lost_at_the_end_are_noted_from_the_statistics_table():
    """The last rows leave no Data_Point gap; a Channel_Statistic_Table row naming a later point shows them."""
    notes: list[str] = []
    arbin._note_missing_points(np.arange(1.0, 101.0), np.array([40.0, 130.0]), notes)
    assert notes == [("Channel_Statistic_Table refers to Data_Point 130, past the last row (100): "
                      "at least 30 data points are missing at the end")]
    notes.clear()
    arbin._note_missing_points(np.r_[3.0:50.0, 60.0:101.0], np.array([100.0]), notes)
    assert notes == [("Data_Point starts at 3, not 1: the 2 record(s) before the first row are not in the file "
                      "(rows lost, or left out by the export)"),
                     ("Data_Point skips 10 record(s) at 1 place(s) inside runs of consecutive records: rows lost, "
                      "or thinned by the export (first after Data_Point 49)")]


def csv_copy(tmp_path, change):
    lines = external_file(BDT_CSV).read_text().splitlines()[:80]
    names = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    change(names, rows)
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(",".join(fields) for fields in [names, *rows]) + "\n")
    return path


@pytest.mark.parametrize("value", ["nan", "inf", "", '"3.2'])
@pytest.mark.parametrize("name", ["Voltage", "Current"])
def test_csv_with_non_finite_voltage_or_current_is_refused(tmp_path, name, value):
    def damage(names, rows):
        rows[30][names.index(name)] = value

    path = csv_copy(tmp_path, damage)
    with pytest.raises(ReadError, match=name) as info:
        anodelab.read(path, format="arbin-csv")
    assert str(path) in str(info.value)


def test_csv_with_a_whole_nan_voltage_column_is_refused(tmp_path):
    def damage(names, rows):
        for row in rows:
            row[names.index("Voltage")] = "nan"

    with pytest.raises(ReadError, match="Voltage"):
        anodelab.read(csv_copy(tmp_path, damage), format="arbin-csv")


def test_csv_stray_quotes_keep_every_row(tmp_path):
    def damage(names, rows):
        for row in (rows[10], rows[50]):
            row[names.index("Step_Index")] = '"' + row[names.index("Step_Index")]

    data = anodelab.read(csv_copy(tmp_path, damage), format="arbin-csv")
    assert len(data) == 79


@pytest.mark.parametrize(("relative", "damage"), [(NAVANI, "last page emptied"), (CELLPY, "last page emptied"),
                                                  (NAVANI, "cut at a page")])
def test_res_rows_lost_without_a_data_point_gap_show_against_the_table_definition(tmp_path, relative, damage):
    """A data page whose row count is 0, or a file cut at a page boundary, leaves no Data_Point gap when it
    holds the last rows; the row count in the table's definition (TDEF) page shows them."""
    raw = bytearray(external_file(relative).read_bytes())
    pages, rows = table_pages(bytes(raw))
    complete = anodelab.read(external_file(relative))
    if damage == "cut at a page":
        keep = int(pages[len(pages) // 2])
        raw = raw[:keep * PAGE]
        lost = int(rows[pages >= keep].sum())
    else:
        last = int(np.argmax(pages))
        raw[pages[last] * PAGE + 12: pages[last] * PAGE + 14] = b"\x00\x00"
        lost = int(rows[last])
    path = tmp_path / "damaged.res"
    path.write_bytes(bytes(raw))
    data = anodelab.read(path)
    assert lost > 0 and len(data) == len(complete) - lost
    assert any(f"counts {len(complete)} rows but its data pages hold {len(data)}: {lost} rows are missing" in note
               for note in data.provenance.notes)
    assert not any("definition" in note for note in complete.provenance.notes)


def arbin_csv(path, points, *, end="\n"):
    """An Arbin CSV export (unitless beep layout) whose row k has Data_Point points[k] and known values."""
    lines = ["Data_Point,Test_Time,Step_Index,Cycle_Index,Current,Voltage,Charge_Capacity,Discharge_Capacity"]
    for point in points:
        lines.append(f"{point},{point * 10.0},1,1,0.001,{3.0 + point / 1000},{point * 1e-5},0")
    path.write_text("\n".join(lines) + end)
    return path


def test_csv_trailing_blank_line_reads_every_row(tmp_path):
    clean = anodelab.read(arbin_csv(tmp_path / "clean.csv", range(1, 31)), format="arbin-csv")
    blank = anodelab.read(arbin_csv(tmp_path / "blank.csv", range(1, 31), end="\n\n"), format="arbin-csv")
    np.testing.assert_array_equal(blank.voltage_V, 3.0 + np.arange(1, 31) / 1000)
    np.testing.assert_array_equal(blank.time_s, clean.time_s)
    assert blank.provenance.notes == clean.provenance.notes


def test_csv_rows_removed_or_repeated_are_noted_from_data_point(tmp_path):
    complete = anodelab.read(arbin_csv(tmp_path / "clean.csv", range(1, 31)), format="arbin-csv")
    assert not any("Data_Point" in note for note in complete.provenance.notes)
    removed = anodelab.read(arbin_csv(tmp_path / "removed.csv", [*range(1, 11), *range(14, 31)]), format="arbin-csv")
    assert len(removed) == 27
    assert any(note.startswith("Data_Point skips 3 record(s) at 1 place(s) inside runs") for note in
               removed.provenance.notes)
    repeated = anodelab.read(arbin_csv(tmp_path / "repeated.csv", [*range(1, 11), 10, *range(11, 31)]),
                             format="arbin-csv")
    assert len(repeated) == 31
    assert any(note.startswith("Data_Point repeats at 1 row(s) (first at data row 11)") for note in
               repeated.provenance.notes)
