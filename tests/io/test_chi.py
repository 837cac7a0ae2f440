"""CH Instruments exports against impedance.py and the values written: CV layout, sign convention, time
and segments; bipotentiostat (rotating ring-disk) CVs with two currents; i-t and CP exports; files without
a final newline, cut last rows, bad input, and the techniques the format sniffer knows."""

from __future__ import annotations

import numpy as np
import pytest
from chi_text import chi_cv
from impedance_py import same_as_impedance_py

import anodelab
from anodelab.core.errors import ReadError
from anodelab.io.chi import read_chi
from anodelab.io.registry import candidates

EIS = "cycler/eis/exampleDataCHInstruments.txt"
# a CHI760E bipotentiostat CV (disk swept, ring held at E2)
RRDE_SETTINGS = {"Init E (V)": 1.0, "High E (V)": 1.0, "Low E (V)": 0.2, "Init P/N": "N", "Scan Rate (V/s)": 0.01,
                 "Segment": 2, "Sample Interval (V)": 0.2, "Quiet Time (sec)": 2, "Sensitivity (A/V)": "1e-4",
                 "E2 (V)": 1.2, "Sensitivity2 (A/V)": "1e-5"}
RRDE_ROWS = """
1.000, -1.0e-6, 2.0e-8
0.800, -5.0e-5, 4.0e-7
0.600, -2.0e-4, 1.5e-6
0.400, -3.0e-4, 2.5e-6
0.200, -3.2e-4, 2.6e-6
0.400, -3.1e-4, 2.5e-6
0.600, -2.1e-4, 1.6e-6
0.800, -6.0e-5, 5.0e-7
1.000, -2.0e-6, 3.0e-8
"""
DISK_A = np.array([-1.0e-6, -5.0e-5, -2.0e-4, -3.0e-4, -3.2e-4, -3.1e-4, -2.1e-4, -6.0e-5, -2.0e-6])
RING_A = np.array([2.0e-8, 4.0e-7, 1.5e-6, 2.5e-6, 2.6e-6, 2.5e-6, 1.6e-6, 5.0e-7, 3.0e-8])


@pytest.mark.parametrize("polarity, sign", [("", 1.0), ("Anodic = negative", -1.0)])
def test_ring_disk_cv_reads_both_currents(tmp_path, polarity, sign):
    path = tmp_path / "rrde.txt"
    path.write_text(chi_cv(RRDE_SETTINGS, "Potential/V, i1/A, i2/A", RRDE_ROWS, polarity=polarity, model="CHI760E"))
    record = anodelab.read(path)
    assert record.provenance.format == "chi-text" and record.provenance.techniques == ("CV",)
    np.testing.assert_allclose(record.current_mA, sign * DISK_A * 1e3)       # the disk: i1
    np.testing.assert_allclose(record["ring_current_mA"], sign * RING_A * 1e3)  # the ring: i2
    np.testing.assert_allclose(record.voltage_V, [1.0, 0.8, 0.6, 0.4, 0.2, 0.4, 0.6, 0.8, 1.0])
    notes = " ".join(record.provenance.notes)
    assert "no current column" not in notes and "i2, the second (the ring)" in notes
    assert record.n_steps == 2  # cathodic and anodic sweep of the disk


def test_impedance_equals_impedance_py(external):
    path = external(EIS)
    series = anodelab.read(path)
    assert series.provenance.format == "chi-text"
    same_as_impedance_py(series, path, "readCHInstruments")
    assert series[0].Z_imag_ohm[-1] < 0  # 0.1 Hz: capacitive, stored with the physical sign


def test_complete_last_row_without_final_newline_is_read(tmp_path, external):
    path = tmp_path / "eis.txt"
    path.write_bytes(external(EIS).read_bytes().rstrip(b"\r\n"))
    series = read_chi(path)
    same_as_impedance_py(series, path, "readCHInstruments")
    assert not any("cut short" in note for note in series.provenance.notes)


def test_last_row_cut_short_is_dropped_with_a_note(tmp_path, external):
    raw = external(EIS).read_bytes()
    last = raw.rindex(b"\n", 0, len(raw) - 1) + 1
    (tmp_path / "whole.txt").write_bytes(raw[:last])
    (tmp_path / "cut.txt").write_bytes(raw[: last + 12])  # two of the five fields
    whole, cut = read_chi(tmp_path / "whole.txt"), read_chi(tmp_path / "cut.txt")
    np.testing.assert_array_equal(cut[0].Z_ohm, whole[0].Z_ohm)
    assert any("cut short (it has 2 of 5 fields" in note for note in cut.provenance.notes)


def test_chronoamperometry_is_sniffed_as_chi(tmp_path):
    path = tmp_path / "ca.txt"
    path.write_text("Jan. 01, 2024   10:00:00\nChronoamperometry\nInstrument Model:  CHI660E\nInit E (V) = 0.3\n\n"
                    "Time/sec, Current/A\n\n0.1, 2.0e-4\n0.2, 1.5e-4\n0.3, 1.2e-4\n")
    assert next(candidates(path, path.read_bytes())).name == "chi-text"  # before the generic table reader
    record = anodelab.read(path)
    assert record.provenance.format == "chi-text" and record.provenance.techniques == ("CA",)
    np.testing.assert_allclose(record.current_mA, [0.2, 0.15, 0.12])


def test_impedance_sweep_ending_above_low_frequency_is_noted(tmp_path, external):
    raw = external(EIS).read_bytes()
    assert b"Low Frequency (Hz) = 0.1" in raw
    assert not any("Low Frequency" in note for note in read_chi(external(EIS)).provenance.notes)
    end = len(raw) - 1
    for _ in range(5):  # the 5 lowest frequencies missing
        end = raw.rindex(b"\n", 0, end)
    (tmp_path / "short.txt").write_bytes(raw[: end + 1])
    series = read_chi(tmp_path / "short.txt")
    assert len(series[0]) == len(read_chi(external(EIS))[0]) - 5
    assert any("above the header's Low Frequency (0.1 Hz)" in note for note in series.provenance.notes)


CV_SETTINGS = {"Init E (V)": 0.1, "High E (V)": 0.3, "Low E (V)": 0.1, "Init P/N": "P", "Scan Rate (V/s)": 0.1,
               "Segment": 2, "Sample Interval (V)": 0.05, "Quiet Time (sec)": 2, "Sensitivity (A/V)": "1e-5"}
CV_ROWS = """
0.100, 1.0e-6
0.150, 2.0e-6
0.200, 3.0e-6
0.250, 4.0e-6
0.300, 5.0e-6
0.250, -1.0e-6
0.200, -2.0e-6
0.150, -3.0e-6
0.100, -4.0e-6
"""


@pytest.mark.parametrize("polarity, sign", [("", 1.0), ("Anodic = negative", -1.0), ("Anodic = positive", 1.0)])
def test_cv_layout_sign_time_and_segments(tmp_path, polarity, sign):
    # layout of a CHI660E "Convert to Text" CV export, as published CHI text files show it
    path = tmp_path / "cv.txt"
    path.write_text(chi_cv(CV_SETTINGS, "Potential/V, Current/A", CV_ROWS, polarity=polarity))
    record = anodelab.read(path)
    assert record.provenance.format == "chi-text" and record.provenance.techniques == ("CV",)
    stored = np.array([1, 2, 3, 4, 5, -1, -2, -3, -4]) * 1e-3
    np.testing.assert_allclose(record.current_mA, sign * stored)
    np.testing.assert_allclose(record.time_s, np.arange(9) * 0.5)  # 0.05 V per point at 0.1 V/s
    assert record.n_steps == 2  # forward and reverse sweep
    notes = " ".join(record.provenance.notes)
    assert ("kept as exported" in notes) == (polarity == "")


def test_segment_blocks_and_amperometric_it(tmp_path):
    rows = CV_ROWS.replace("\n0.250, -1.0e-6", "\nSegment 2:\n0.250, -1.0e-6")
    path = tmp_path / "segments.txt"
    path.write_text(chi_cv(CV_SETTINGS, "Potential/V, Current/A", "Segment 1:" + rows))
    record = read_chi(path)
    assert record.n_steps == 2 and len(record) == 9
    it = tmp_path / "it.txt"
    it.write_text("Jan. 01, 2024   10:00:00\nAmperometric i-t Curve\nInstrument Model:  CHI760E\n"
                  "Init E (V) = 0.25\nSample Interval (s) = 0.1\n\nTime/sec, Current/A\n\n"
                  "0.1, 2.0e-4\n0.2, 1.5e-4\n0.3, 1.2e-4\n")
    record = anodelab.read(it)
    np.testing.assert_allclose(record.voltage_V, 0.25)
    np.testing.assert_allclose(record.time_s, [0, 0.1, 0.2])
    np.testing.assert_allclose(record.current_mA, [0.2, 0.15, 0.12])
    cp = tmp_path / "cp.txt"  # chronopotentiometry exports hold time and potential only
    cp.write_text("Jan. 27, 2022   13:43:22\nChronopotentiometry\nInstrument Model:  CHI760E\n"
                  "Cathodic Current (A) = 0.001\nAnodic Current (A) = 0.001\nInit P/N = N\n\n"
                  "Time/sec, Potential/V\n\n0.0, 0.700\n2.0, 0.650\n4.0, 0.640\n")
    record = anodelab.read(cp)
    assert record.provenance.techniques == ("CP",) and "current_mA" not in record
    np.testing.assert_allclose(record.voltage_V, [0.70, 0.65, 0.64])
    assert any("no current column" in note for note in record.provenance.notes)


def test_bad_input(tmp_path, external):
    raw = external(EIS).read_bytes()
    cases = {"header.txt": raw[:200], "magic.txt": raw.replace(b"A.C. Impedance", b"Unknown thing"),
             "text.txt": raw.replace(b"1.000e-1, 5.685e+3", b"1.000e-1, abc")}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as info:
            read_chi(path)
        assert str(path) in str(info.value)
