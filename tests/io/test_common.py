"""Shared reader helpers on synthetic input with known answers: point-index checks, trailing blank lines, zip bounds."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from anodelab.core.errors import ReadError
from anodelab.io import common
from anodelab.io.common import read_delimited
from anodelab.io.point_index import note_point_index
from anodelab.io.zip_members import check_zip_member


def notes_of(index, may_repeat=None) -> list[str]:
    notes: list[str] = []
    note_point_index("Rec#", np.asarray(index, dtype=float), notes, may_repeat=may_repeat)
    return notes


def test_a_complete_point_index_adds_no_note():
    assert notes_of(np.arange(1, 101)) == []
    assert notes_of([np.nan] * 5) == []  # an empty index column is not checked


def test_point_index_skips_inside_runs_and_between_isolated_records_are_told_apart():
    lost = notes_of(np.r_[1:41, 44:101])  # 3 rows lost from a complete table
    assert lost == [("Rec# skips 3 record(s) at 1 place(s) inside runs of consecutive records: rows lost, or "
                     "thinned by the export (first after Rec# 40)")]
    reduced = notes_of(np.r_[1:11, 30, 55, 90:100])  # an export keeping isolated records between two runs
    assert len(reduced) == 1 and reduced[0].startswith("Rec# skips 77 record(s) at 3 place(s) between isolated")


def test_point_index_repeats_and_steps_back_are_noted_where_repeats_are_not_allowed():
    index = np.r_[1:6, 5, 6:10, 3, 10:12]
    notes = notes_of(index)
    assert any(note.startswith("Rec# repeats at 1 row(s) (first at data row 6)") for note in notes)
    assert any(note.startswith("Rec# goes back at 1 row(s) (first at data row 11)") for note in notes)
    fra = np.r_[1:5, 5, 5, 5, 6:9]  # rows 5-7 may share a Rec# (Maccor FRA)
    assert notes_of(fra, may_repeat=np.isin(np.arange(fra.size), [4, 5, 6])) == []
    assert notes_of(np.r_[1:4, np.nan, 5:9])[0].startswith("Rec# is empty or not a number in 1 row(s) (first at "
                                                              "data row 4)")


def test_point_index_first_number_and_restarts_at_new_scans():
    assert notes_of(np.r_[1:11]) == []
    notes: list[str] = []
    note_point_index("Data_Point", np.r_[4:11], notes, first=1)
    assert notes == [("Data_Point starts at 4, not 1: the 3 record(s) before the first row are not in the file "
                      "(rows lost, or left out by the export)")]
    two_scans = np.r_[1:6, 1:6].astype(float)
    new_scan = np.arange(10) == 5
    notes.clear()
    note_point_index("Index", two_scans, notes, may_restart=new_scan)
    assert notes == []
    notes.clear()
    note_point_index("Index", two_scans, notes, may_restart=np.arange(10) == 4)  # restarts where no scan begins
    assert len(notes) == 1 and notes[0].startswith("Index goes back at 1 row(s) (first at data row 6)")


@pytest.mark.parametrize("fields, comma", [
    (["1", "3,4567", "0,5"], True),
    (["1", "3.4567", "0,5"], False),       # with decimal points, 1,234 is a thousands separator
    (["1", "2", "label"], False),
    (["-1,5E-03", "x"], True),
])
def test_decimal_comma_is_sniffed_from_the_fields(fields, comma):
    assert common.uses_decimal_comma(fields) is comma


@pytest.mark.parametrize("end", ["\n", "\n\n", "\n\n\n", "\n  \n", "\r\n\r\n", "\n\n \t"])
def test_blank_lines_at_the_end_are_not_rows(tmp_path, end):
    rows = [(1, 0.5, 3.1), (2, 1.0, 3.2), (3, 1.5, 3.3)]
    path = tmp_path / "t.csv"
    eol = "\r\n" if end.startswith("\r") else "\n"
    path.write_text("point,time,volt" + eol + eol.join(",".join(map(str, row)) for row in rows) + end, newline="")
    table = read_delimited(path, ["point", "time", "volt"], skip_lines=1, separator=",")
    assert len(table) == 3 and table.cut_reason is None
    np.testing.assert_array_equal(table.columns["volt"], [3.1, 3.2, 3.3])


def test_blank_lines_inside_the_table_stay_rows_for_the_reader_to_judge(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n\n3,4\n\n")
    table = read_delimited(path, ["a", "b"], skip_lines=1, separator=",")
    assert len(table) == 3 and np.isnan(table.columns["a"][1])


@pytest.mark.parametrize("quote_char", ['"', None])
def test_two_stray_quotes_in_a_text_column_lose_no_row(tmp_path, quote_char):
    rows = [f"{k},{3 + 0.001 * k:.3f},{'charge' if k % 2 else 'rest'}" for k in range(300)]
    rows[50] = rows[50].replace(",rest", ',"rest')     # opens a quoted field over the next 100 lines
    rows[150] = rows[150].replace(",rest", ',rest"')
    path = tmp_path / "t.csv"
    path.write_text("point,volt,state\n" + "\n".join(rows) + "\n")
    if quote_char:
        with pytest.raises(ReadError, match=r"200 rows were parsed from 300 lines: a quote opens a field that runs "
                                            r"over lines from data row 51"):
            read_delimited(path, ["point", "volt", "state"], skip_lines=1, separator=",", quote_char=quote_char)
    else:  # a format that never quotes keeps the quote in its field
        table = read_delimited(path, ["point", "volt", "state"], skip_lines=1, separator=",", quote_char=quote_char)
        np.testing.assert_array_equal(table.columns["point"], np.arange(300))
        assert table.columns["state"][50] == '"rest'


def test_lines_are_counted_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "_BLOCK_BYTES", 7)  # every line and the header cross a block boundary
    path = tmp_path / "t.csv"
    path.write_text("# a comment line\npoint,state\n" + "".join(f"{k},rest\n" for k in range(40)) + "40,rest\n \t\n")
    table = read_delimited(path, ["point", "state"], skip_lines=2, separator=",")
    np.testing.assert_array_equal(table.columns["point"], np.arange(41))
    path.write_text(path.read_text().replace("3,rest", '3,"rest', 1).replace("30,rest", '30,rest"'))  # 3..30 joined
    with pytest.raises(ReadError, match="15 rows were parsed from 42 lines: a quote opens a field that runs over "
                                        "lines from data row 4"):
        read_delimited(path, ["point", "state"], skip_lines=2, separator=",")


def test_zip_member_bound_follows_the_ratio_given():
    info = zipfile.ZipInfo("xl/sharedStrings.xml")
    info.compress_type, info.file_size, info.compress_size = zipfile.ZIP_DEFLATED, 2 << 30, 9_410_562
    check_zip_member(Path("x.ndax"), info, "Neware")  # 228x: within .ndax's 256x
    with pytest.raises(ReadError, match="would inflate 9410562 bytes to 2147483648"):
        check_zip_member(Path("x.xlsx"), info, "Excel", ratio=64)
