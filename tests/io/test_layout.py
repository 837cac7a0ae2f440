"""Table bodies (anodelab.io.layout): rows that hold no value are dropped only with a note saying how
many and where; a row with text but no number is data, never dropped unseen."""

from __future__ import annotations

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ReadError
from anodelab.io.maccor import read_maccor
from anodelab.io.tables import read_table

TIME_S = np.arange(10) * 10.0
VOLTAGE_V = 3.0 + np.arange(10) / 100


def _rows(separator: str = ",", label: str = "ok") -> list[str]:
    return [separator.join([f"{t:g}", f"{v:g}", "1.0", label]) for t, v in zip(TIME_S, VOLTAGE_V)]


def test_padding_rows_after_the_table_and_empty_rows_inside_it_are_dropped_with_notes(tmp_path):
    rows = _rows()
    path = tmp_path / "padded.csv"
    # data rows 6 (separators only) and 9 (a blank line) inside the table; two padding rows after it
    path.write_text("time/s,Ewe/V,I/mA,label\n" + "\n".join([*rows[:5], ",,,", *rows[5:7], "", *rows[7:], ",,,", ",,,"])
                    + "\n")
    record = read_table(path)
    np.testing.assert_array_equal(record.time_s, TIME_S)
    np.testing.assert_array_equal(record.voltage_V, VOLTAGE_V)
    notes = record.provenance.notes
    assert any("2 empty row(s)" in note and "inside the table" in note and "data rows 6, 9" in note for note in notes)
    assert any("2 empty row(s) after the table" in note and "from data row 13" in note for note in notes)


def test_a_table_without_empty_rows_gets_no_such_note(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("time/s,Ewe/V,I/mA,label\n" + "\n".join(_rows()) + "\n")
    record = read_table(path)
    assert len(record) == 10 and not any("empty row" in note for note in record.provenance.notes)


def test_a_row_with_text_but_no_number_is_not_dropped_unseen(tmp_path):
    rows = _rows()
    path = tmp_path / "marker.csv"
    path.write_text("time/s,Ewe/V,I/mA,label\n" + "\n".join([*rows[:5], ",,,pause", *rows[5:]]) + "\n")
    with pytest.raises(ReadError, match="data row 6") as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_blank_lines_inside_a_whitespace_table_are_noted(tmp_path):
    rows = [f"{t:g} {v:g} 1.0" for t, v in zip(TIME_S, VOLTAGE_V)]
    path = tmp_path / "blocks.txt"
    path.write_text("time/s Ewe/V I/mA\n" + "\n".join([*rows[:5], "", *rows[5:]]) + "\n\n")
    record = anodelab.read(path)
    np.testing.assert_array_equal(record.voltage_V, VOLTAGE_V)
    assert any("1 blank line(s) inside the table (data rows 6" in note for note in record.provenance.notes)


def test_maccor_passes_its_notes_for_blank_lines_inside_the_table(tmp_path):
    header = "Today's Date 01/02/2020\nRec#\tCyc#\tStep\tTest (Sec)\tStep (Sec)\tAmp-hr\tWatt-hr\tAmps\tVolts\tState\tES\n"
    rows = [f"{k + 1}\t1\t1\t{t:g}\t{t:g}\t{0.001 * k:g}\t{0.0037 * k:g}\t0.1\t{v:g}\tC\t0"
            for k, (t, v) in enumerate(zip(TIME_S, VOLTAGE_V))]
    path = tmp_path / "blank.001"
    path.write_text(header + "\n".join([*rows[:4], "", *rows[4:]]) + "\n")
    record = read_maccor(path)
    np.testing.assert_array_equal(record.voltage_V, VOLTAGE_V)
    assert any("inside the table (data rows 5" in note for note in record.provenance.notes)
