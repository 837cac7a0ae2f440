"""Metrohm Autolab NOVA ASCII exports, written here in the layouts NOVA 1.x/2.x use (header names
and separators as in ixdat's and chemotion's NOVA readers and NOVA 2.1.3 EIS exports), with known values."""

from __future__ import annotations

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.autolab import read_nova

CV_HEADER = ["Potential applied (V)", "Time (s)", "WE(1).Current (A)", "WE(1).Potential (V)", "Scan", "Index",
             "Q+", "Q-"]


def cv_points(scans: int = 2):
    """A triangular CV, 0 -> 1 -> 0 V per scan, 0.1 s per point; current in A; measured E = applied + 1 mV."""
    sweep = np.r_[np.linspace(0.0, 1.0, 11), np.linspace(1.0, 0.0, 11)[1:]]
    applied = np.tile(sweep, scans)
    scan = np.repeat(np.arange(1, scans + 1), sweep.size)
    index = np.tile(np.arange(1, sweep.size + 1), scans)  # NOVA numbers the points of each scan from 1
    time = np.arange(applied.size) * 0.1
    current = 2e-4 * (applied - 0.4) * np.where(np.gradient(applied) >= 0, 1, -1)
    return applied, time, current, applied + 0.001, scan, index


def write_cv(path, separator="\t", decimal=".", bom=True, newline="\r\n", drop_rows=(), header=CV_HEADER):
    applied, time, current, measured, scan, index = cv_points()
    lines = [separator.join(header)]
    for row in range(applied.size):
        if row in drop_rows:
            continue
        values = [repr(float(applied[row])), repr(float(time[row])), repr(float(current[row])),
                  repr(float(measured[row])), str(scan[row]), str(index[row]), "", ""]
        lines.append(separator.join(v.replace(".", decimal) for v in values[: len(header)]))
    path.write_bytes((("\ufeff" if bom else "") + newline.join(lines) + newline).encode("utf-8"))
    return path


@pytest.mark.parametrize("separator, decimal", [("\t", "."), (";", ","), (",", "."), ("\t", ",")])
def test_cv_export_maps_we1_columns_in_every_nova_layout(tmp_path, separator, decimal):
    path = write_cv(tmp_path / "cv.txt", separator, decimal)
    record = anodelab.read(path)
    assert isinstance(record, Record) and record.provenance.format == "autolab-nova"
    applied, time, current, measured, scan, _ = cv_points()
    np.testing.assert_array_equal(record.voltage_V, measured)  # WE(1).Potential, not the set point
    np.testing.assert_allclose(record.current_mA, current * 1000, rtol=1e-12)  # A -> mA
    np.testing.assert_allclose(record.time_s, time, atol=1e-12)
    np.testing.assert_array_equal(record["potential_applied_V"], applied)
    np.testing.assert_array_equal(record["cycle_instrument"], scan)
    assert record.provenance.techniques == ("CV",)
    assert not any("Index" in note for note in record.provenance.notes)  # Index restarts only at new scans
    assert any("'Q+', 'Q-'" in note for note in record.provenance.notes)  # empty columns are named, not dropped silently


def test_index_gap_is_reported_as_missing_points(tmp_path):
    path = write_cv(tmp_path / "cv.txt", drop_rows=(5, 6, 30))
    record = read_nova(path)
    assert len(record) == cv_points()[0].size - 3
    gap = [note for note in record.provenance.notes if "Index" in note]
    assert len(gap) == 1 and gap[0].startswith("Index skips 3 record(s) at 2 place(s) inside runs")


def test_only_the_applied_potential_is_used_and_said_so(tmp_path):
    header = ["Potential applied (V)", "Time (s)", "WE(1).Current (A)"]
    path = write_cv(tmp_path / "lsv.txt", header=header, bom=False, newline="\n")
    record = anodelab.read(path)
    np.testing.assert_array_equal(record.voltage_V, cv_points()[0])
    assert any("set point" in note for note in record.provenance.notes)


def nova_eis(path, frequency, Z, separator=";", decimal=",", modulus=None, bad_row=None):
    header = ["Index", "Frequency (Hz)", "Z' (Ω)", "-Z'' (Ω)", "Z (Ω)", "-Phase (°)", "Time (s)"]
    lines = [separator.join(header)]
    for k, (f, z) in enumerate(zip(frequency, Z)):
        mod = abs(z) if modulus is None else modulus[k]
        values = [str(k + 1), repr(float(f)), repr(float(z.real)), repr(float(-z.imag)), repr(float(mod)),
                  repr(float(-np.degrees(np.angle(z)))), repr(2.0 * k)]
        if k == bad_row:
            values[1] = ""
        lines.append(separator.join(v.replace(".", decimal) for v in values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def randles(frequency):
    return 12.0 + 80.0 / (1 + 1j * 2 * np.pi * frequency * 80.0 * 2e-5)


def test_eis_export_has_the_physical_sign_and_point_times(tmp_path):
    frequency = np.logspace(5, -1, 25)
    Z = randles(frequency)
    series = anodelab.read(nova_eis(tmp_path / "eis.txt", frequency, Z))
    assert isinstance(series, SpectrumSeries) and series.provenance.format == "autolab-nova" and len(series) == 1
    np.testing.assert_allclose(series[0].frequency_Hz, frequency, rtol=1e-15)
    np.testing.assert_allclose(series[0].Z_ohm, Z, rtol=1e-12)  # -Z'' flipped: Im(Z) < 0
    assert series[0].context.time_s == 0.0
    assert not any("differs" in note for note in series.provenance.notes)
    wrong = np.abs(Z) * np.where(np.arange(Z.size) == 3, 1.5, 1.0)
    noted = anodelab.read(nova_eis(tmp_path / "eis_bad_mod.txt", frequency, Z, modulus=wrong))
    assert any("1 point(s)" in note and "data row 4" in note for note in noted.provenance.notes)


def test_eis_row_without_frequency_is_left_out_and_noted(tmp_path):
    frequency = np.logspace(4, 0, 9)
    Z = randles(frequency)
    series = anodelab.read(nova_eis(tmp_path / "eis.txt", frequency, Z, bad_row=4))
    assert isinstance(series, SpectrumSeries)
    keep = np.arange(frequency.size) != 4
    np.testing.assert_allclose(series[0].Z_ohm, Z[keep], rtol=1e-12)
    assert any("1 of 9 rows have no valid frequency" in note and "data rows 5" in note
               for note in series.provenance.notes)


def test_bad_nova_input_names_the_file(tmp_path):
    cases = {
        "header_only.txt": "\t".join(CV_HEADER) + "\n",
        "text_current.txt": "Time (s)\tWE(1).Current (A)\tWE(1).Potential (V)\n0\t1e-3\t0.1\n1\tx\t0.2\n2\t1e-3\t0.3\n3\t1e-3\t0.4\n",
        "no_potential.txt": "Time (s)\tWE(1).Current (A)\tIndex\n0\t1e-3\t1\n1\t1e-3\t2\n2\t1e-3\t3\n",
        "empty_potential.txt": "Time (s)\tWE(1).Current (A)\tWE(1).Potential (V)\n0\t1e-3\t0.1\n1\t1e-3\t\n2\t1e-3\t0.3\n3\t1e-3\t0.4\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ReadError) as info:
            read_nova(path)
        assert str(path) in str(info.value), name
