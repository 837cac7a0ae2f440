"""Gamry .DTA tables read to their real end: no final newline, open-ended point counts, blank lines,
malformed rows (refused with their line), point-index gaps; spectra checked against impedance.py."""

from __future__ import annotations

import numpy as np
import pytest
from impedance_py import same_as_impedance_py

from anodelab.core.errors import ReadError
from anodelab.io.gamry import read_dta

EIS = "cycler/eis/exampleDataGamry.DTA"
HEADER = "EXPLAIN\nTAG\tCHRONOA\nTITLE\tLABEL\tChrono\tTest &Identifier\nCONVENTION\tIQUANT\t1\tCurrent Convention\n"
COLUMNS = "\tPt\tT\tVf\tIm\tOver\n\t#\ts\tV vs. Ref.\tA\tbits\n"


def _rows(times, amps, start: int = 0) -> str:
    return "".join(f"\t{start + i}\t{t}\t0.5\t{a:.6E}\t...........\n" for i, (t, a) in enumerate(zip(times, amps)))


def _write(tmp_path, content: bytes | str, name: str = "x.DTA"):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1") if isinstance(content, str) else content)
    return path


def _zcurve_rows(raw: bytes) -> tuple[bytes, bytes]:
    """(everything up to the first ZCURVE data row, the data rows)."""
    start = raw.index(b"ZCURVE")
    for _ in range(3):
        start = raw.index(b"\n", start) + 1
    return raw[:start], raw[start:]


def test_complete_last_row_without_final_newline_is_read(tmp_path, external):
    raw = external(EIS).read_bytes()
    assert raw.endswith(b"\t7\n")
    path = _write(tmp_path, raw.rstrip(b"\r\n"))
    series = read_dta(path)
    same_as_impedance_py(series, path, "readGamry")
    assert len(series[0]) == raw[raw.index(b"ZCURVE"):].count(b"\n") - 3  # every row
    assert not any("cut short" in note for note in series.provenance.notes)


def test_last_row_cut_mid_row_is_dropped_with_a_note(tmp_path, external):
    raw = external(EIS).read_bytes()
    last = raw.rindex(b"\n", 0, len(raw) - 1) + 1
    whole = read_dta(_write(tmp_path, raw[:last], "whole.DTA"))      # the file without its last row
    cut = read_dta(_write(tmp_path, raw[: last + 20], "cut.DTA"))     # 20 bytes into the last row
    np.testing.assert_array_equal(cut[0].Z_ohm, whole[0].Z_ohm)
    assert any("cut short" in note and "dropped" in note for note in cut.provenance.notes)


def test_blank_lines_between_rows_keep_every_point(tmp_path, external):
    original = external(EIS)
    head, rows = _zcurve_rows(original.read_bytes())
    spaced = head + rows.replace(b"\n", b"\n\n")
    series = read_dta(_write(tmp_path, spaced))
    same_as_impedance_py(series, original, "readGamry")   # impedance.py cannot read the spaced copy; its original is the truth
    n = rows.count(b"\n")
    assert any(f"{n - 1} blank line(s)" in note for note in series.provenance.notes)


def test_open_ended_point_count_reads_to_the_end_of_the_table(tmp_path):
    times, amps = [0.1, 0.2, 0.3, 0.4, 0.5], [1e-3, 9e-4, 8e-4, 7e-4, 6e-4]
    text = HEADER + "CURVE\tTABLE\t99999\n" + COLUMNS + _rows(times, amps) + "EOC\tQUANT\t0.5\tEnd (V)\n"
    record = read_dta(_write(tmp_path, text))
    np.testing.assert_allclose(record.current_mA, np.array(amps) * 1e3)
    np.testing.assert_allclose(record.time_s, np.array(times) - 0.1, atol=1e-12)
    assert any("open-ended point count (99999)" in note and "5 rows" in note for note in record.provenance.notes)


def test_declared_count_is_checked_unless_aborted(tmp_path):
    rows = _rows([0.1, 0.2, 0.3], [1e-3, 1e-3, 1e-3])
    with pytest.raises(ReadError, match="declares 5 points but holds 3"):
        read_dta(_write(tmp_path, HEADER + "CURVE\tTABLE\t5\n" + COLUMNS + rows))
    with pytest.raises(ReadError, match="declares 2 points but holds 3"):
        read_dta(_write(tmp_path, HEADER + "CURVE\tTABLE\t2\n" + COLUMNS + rows))
    record = read_dta(_write(tmp_path, HEADER + "CURVE\tTABLE\t5\n" + COLUMNS + rows + "EXPERIMENTABORTED\n"))
    assert len(record) == 3 and any("3 of the 5 points" in note for note in record.provenance.notes)


@pytest.mark.parametrize("bad_row, problem", [
    ("\t2\t0.3\tabc\t1.0E-03\t...........\n", "line 10: column Vf holds 'abc'"),       # a non-number
    ("\t2\t0.3\t0.5\n", "line 10 of table CURVE has 3 fields"),                         # fields missing
    ("2\t0.3\t0.5\t1.0E-03\t...........\n", "line 10 in table CURVE is not a row"),     # leading tab lost
    ("X2\t0.3\t0.5\t1.0E-03\t...........\n", "line 11 is a row of table CURVE after"),  # looks like a keyword
])
def test_malformed_row_in_the_middle_is_refused_with_its_line(tmp_path, bad_row, problem):
    # before, the read stopped at such a row and returned the rows above it without a word
    text = (HEADER + "CURVE\tTABLE\n" + COLUMNS + _rows([0.1, 0.2], [1e-3, 1e-3]) + bad_row
            + _rows([0.4, 0.5], [1e-3, 1e-3], start=3))
    with pytest.raises(ReadError, match=problem):
        read_dta(_write(tmp_path, text))


def test_point_index_gap_is_noted_and_repeat_refused(tmp_path):
    rows = _rows([0.1, 0.2, 0.3, 0.4], [1e-3, 2e-3, 3e-3, 4e-3]).splitlines(keepends=True)
    record = read_dta(_write(tmp_path, HEADER + "CURVE\tTABLE\n" + COLUMNS + "".join(rows[:2] + rows[3:])))
    np.testing.assert_allclose(record.current_mA, [1, 2, 4])
    assert any("table CURVE: Pt skips 1 record(s)" in note for note in record.provenance.notes)
    with pytest.raises(ReadError, match="Pt goes from 1 to 1"):
        read_dta(_write(tmp_path, HEADER + "CURVE\tTABLE\n" + COLUMNS + "".join(rows[:2] + rows[1:])))


def test_impedance_file_cut_before_its_zcurve_is_refused(tmp_path, external):
    raw = external(EIS).read_bytes()
    cut = raw[: raw.index(b"\n", raw.index(b"EOC\t")) + 1]  # the OCVCURVE complete, the ZCURVE never reached
    with pytest.raises(ReadError, match="TAG EISPOT .* no ZCURVE table"):
        read_dta(_write(tmp_path, cut))
