"""The last row of a file without a final newline (io.common.cut_short, read_delimited): kept when
complete, dropped with a note only when it was really cut short."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.io.common import cut_short, read_delimited

PREVIOUS = [["1", "2.50", "1.2345E+01"], ["2", "2.60", "1.2346E+01"], ["3", "2.70", "-1.2347E+01"]]


@pytest.mark.parametrize("fields, reason", [
    (["4", "2.80", "1.2348E+01"], None),                    # complete
    (["4", "2.80"], "2 of 3 fields"),                        # cut at a separator
    (["4", "2.80", ""], "empty"),                            # cut just after the separator
    (["4", "2.80", "1.2348E"], "not a number"),              # cut inside the exponent
    (["4", "2.80", "1.2348E+0"], "short of the fixed format"),  # still a number, but short of the fixed format
    (["4", "2.80", "-1.2348E+01"], None),                    # a sign is not part of the width
])
def test_cut_short_by_field_count_parse_and_fixed_width(fields, reason):
    found = cut_short(fields, 3, PREVIOUS)
    assert (found is None) if reason is None else (reason in found)


def test_cut_short_cannot_judge_what_earlier_rows_do_not_show():
    varying = [["1", "2.5"], ["2", "2.75"], ["3", "12.125"]]
    assert cut_short(["4", "2.7"], 2, varying) is None      # widths vary: a short value is a value
    with_gaps = [["1", ""], ["2", "2.5"], ["3", ""]]
    assert cut_short(["4", ""], 2, with_gaps) is None        # the column has empty cells anyway
    assert cut_short(["4", "x"], 2, [["1", "2"]]) is None     # too few rows to tell
    integers = [["1", "940"], ["2", "951"], ["3", "962"]]
    assert cut_short(["4", "97"], 2, integers) is not None    # integers of one width: 97 is cut from 97x
    assert cut_short(["4", "9.7"], 2, integers) is None       # not an integer: no width to compare


@pytest.mark.parametrize("token, cut", [
    ("rest", False),      # a new value of the text column, not a cut one
    ("charge", False),    # a value seen before
    ("char", True),       # the start of "charge"
    ("", True),           # every earlier row holds a value
])
def test_a_text_last_field_is_cut_only_when_it_starts_a_value_seen_there(token, cut):
    previous = [[str(k), "charge"] for k in range(60)] + [["60", "discharge"]]
    assert (cut_short(["61", token], 2, previous) is not None) == cut


def test_a_complete_last_row_with_a_new_text_value_is_kept(tmp_path):
    rows = "".join(f"{k},3.{k:03d},1.0,charge\n" for k in range(60))
    path = tmp_path / "t.csv"
    path.write_text("time,volt,amp,state\n" + rows + "60,3.100,0.0,rest")  # no final newline
    table = read_delimited(path, ["time", "volt", "amp", "state"], skip_lines=1, separator=",")
    assert table.cut_reason is None and len(table) == 61 and table.columns["state"][-1] == "rest"
    path.write_text("time,volt,amp,state\n" + rows + "60,3.100,0.0,char")
    table = read_delimited(path, ["time", "volt", "amp", "state"], skip_lines=1, separator=",")
    assert len(table) == 60 and "'char'" in table.cut_reason and "'char'" in table.notes[0]


def test_cut_short_reads_decimal_commas():
    rows = [["1", "2,50"], ["2", "2,60"], ["3", "2,70"]]
    assert cut_short(["4", "2,80"], 2, rows, decimal_comma=True) is None
    assert cut_short(["4", "2,"], 2, rows, decimal_comma=True) is not None


def _table(tmp_path, text: str, separator: str = ","):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    return read_delimited(path, ["a", "b", "c"], skip_lines=1, separator=separator)


def test_complete_last_row_with_empty_cells_is_kept(tmp_path):
    # the row "4,,7" has every field: an empty cell in the middle is data, not a cut
    table = _table(tmp_path, "a,b,c\n1,,5\n2,3,6\n3,4,6\n4,,7")
    assert table.cut_reason is None and len(table) == 4
    np.testing.assert_array_equal(table.columns["c"], [5, 6, 6, 7])
    assert np.isnan(table.columns["b"][[0, 3]]).all()


def test_last_row_cut_short_is_dropped_and_reported(tmp_path):
    for tail in ("4,1", "4,1,", "4,1,1.2"):   # fewer fields; empty last field; 1.2 of the fixed-width 1.25
        table = _table(tmp_path, f"a,b,c\n1,2,1.25\n2,3,1.50\n3,4,1.75\n{tail}")
        assert table.cut_reason and len(table) == 3, tail
        np.testing.assert_array_equal(table.columns["c"], [1.25, 1.5, 1.75])


def test_cut_last_row_with_a_token_polars_cannot_parse(tmp_path):
    table = _table(tmp_path, "a\tb\tc\n1\t2\t1.0E+01\n2\t3\t2.0E+01\n3\t4\t3.0E+01\n4\t5\t4.0E", separator="\t")
    assert table.cut_reason
    np.testing.assert_array_equal(table.columns["c"], [10.0, 20.0, 30.0])  # numeric again once the cut row is out


def test_unterminated_blank_last_line_is_not_a_row(tmp_path):
    table = _table(tmp_path, "a,b,c\n1,2,3\n4,5,6\n7,8,9\n   ")
    assert table.cut_reason is None and len(table) == 3
    np.testing.assert_array_equal(table.columns["a"], [1, 4, 7])


@pytest.mark.parametrize("relative", ["cycler/neware/neware_uio.csv", "cycler/arbin/arbin_example.csv",
                                      "cycler/arbin/2017-05-09_test-TC-contact_CH33.csv"])
def test_a_whitespace_only_line_after_the_last_row_is_not_a_row(tmp_path, relative):
    original = external_file(relative)
    rows = len(anodelab.read(original))
    for tail in (b"   \n", b"\t\n", b"\r\n\r\n", b" "):
        copy = tmp_path / original.name
        copy.write_bytes(original.read_bytes() + tail)
        record = anodelab.read(copy)
        assert len(record) == rows and not any("cut short" in note for note in record.provenance.notes), tail
