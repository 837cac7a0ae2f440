"""ZPlot .z files: no final newline, a sweep stopped early, the ZPlotW layout, blank lines and cut
rows; spectra checked against impedance.py's readZPlot."""

from __future__ import annotations

import numpy as np
import pytest
from impedance_py import same_as_impedance_py

import anodelab
from anodelab.core.errors import ReadError
from anodelab.io.zplot import read_z

CIRCUIT = "eis/impedancepy_Circuit1_EIS_1.z"
# the layout of impedance.py's data/exampleDataZPlot_noComments.z (ZPlotW 3.2c): quoted header lines,
# the planned point count (79: 300 kHz to 5 mHz at 10 per decade) on the line before the column line
ZPLOTW_HEADER = '''"ZPlotW Data File: Version 3.2c"
"Raw Data"
"Sweep Frequency: Control Voltage"
Date: 12-17-2019    Time: 16:24:35
1.7 sccm CO, 1.50 sccm CO2, 800 C
"Open Circuit Potential (V):  0 "
"Frequency"
0,3,0,1,300000,0.005
79
"  Freq(Hz)    Ampl     Bias   Time(Sec)   Z'(a)    Z''(b)    GD   Err   Range"
'''
ZPLOTW_ROWS = [  # frequency, time, Z', Z''
    (3.000000e05, 2.58, 642.62, -85.821), (2.382985e05, 3.28, 674.77, -119.31), (1.892872e05, 3.96, 706.56, -119.85),
    (1.503562e05, 4.68, 726.44, -126.82), (1.194321e05, 5.38, 752.79, -138.78),
]


def _write(tmp_path, content: bytes | str, name: str = "x.z"):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _notes(series) -> str:
    return " ".join(series.provenance.notes)


def test_complete_last_row_without_final_newline_is_read(tmp_path, external):
    path = _write(tmp_path, external(CIRCUIT).read_bytes().rstrip(b"\r\n"))
    series = read_z(path)
    assert len(series[0]) == 48  # "Data Points: 48"
    same_as_impedance_py(series, path, "readZPlot")
    assert "cut short" not in _notes(series) and "stopped early" not in _notes(series)


def test_sweep_stopped_early_is_read_with_a_note(tmp_path, external):
    raw = external(CIRCUIT).read_bytes()
    end = len(raw) - 1
    for _ in range(8):  # the last 8 of the 48 frequencies never measured
        end = raw.rindex(b"\n", 0, end)
    path = _write(tmp_path, raw[: end + 1])
    series = read_z(path)
    assert len(series[0]) == 40
    same_as_impedance_py(series, path, "readZPlot")
    assert "plans 48 data points, the file holds 40" in _notes(series)


def test_last_row_cut_short_is_dropped_with_a_note(tmp_path, external):
    raw = external(CIRCUIT).read_bytes()
    last = raw.rindex(b"\n", 0, len(raw) - 1) + 1
    series = read_z(_write(tmp_path, raw[: last + 30]))
    whole = read_z(_write(tmp_path, raw[:last], "whole.z"))
    np.testing.assert_array_equal(series[0].Z_ohm, whole[0].Z_ohm)
    assert "cut short" in _notes(series) and "dropped" in _notes(series)


def test_zplotw_layout_quoted_header_and_comma_rows(tmp_path):
    rows = "".join(f"{f:.6E}, 1.0000E-02, 1.0000E-01, {t:.6E}, {re:.4E}, {im:.4E}, 0.0000E+00, 0, 5\n"
                   for f, t, re, im in ZPLOTW_ROWS)
    path = _write(tmp_path, ZPLOTW_HEADER + rows, "zplotw.z")
    series = anodelab.read(path)
    assert series.provenance.format == "zplot"
    same_as_impedance_py(series, path, "readZPlot")
    np.testing.assert_allclose(series[0].frequency_Hz, [r[0] for r in ZPLOTW_ROWS])
    np.testing.assert_allclose(series[0].Z_imag_ohm, [r[3] for r in ZPLOTW_ROWS])
    assert "plans 79 data points, the file holds 5" in _notes(series)
    assert series[0].context.voltage_V == pytest.approx(0.1)  # "Control Voltage": the Bias column


def test_blank_lines_between_rows_are_noted(tmp_path, external):
    original = external(CIRCUIT)
    raw = original.read_bytes()
    start = raw.index(b"End Comments")
    start = raw.index(b"\n", start) + 1
    series = read_z(_write(tmp_path, raw[:start] + raw[start:].replace(b"\n", b"\n\n")))
    same_as_impedance_py(series, original, "readZPlot")
    assert "47 blank line(s) between the data rows" in _notes(series)


def test_rows_that_cannot_be_data_are_refused(tmp_path, external):
    raw = external(CIRCUIT).read_bytes()
    start = raw.index(b"\n", raw.index(b"End Comments")) + 1
    with pytest.raises(ReadError, match="is not a number"):  # a damaged first row is not skipped as a header line
        read_z(_write(tmp_path, raw[:start] + b"x" + raw[start:]))
    with pytest.raises(ReadError, match="fields"):
        read_z(_write(tmp_path, raw[:start] + raw[start:].replace(b"\t", b"\t\t", 1)))
