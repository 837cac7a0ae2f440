"""BioLogic quirks met in the wild, each as a small file written here with known values.

Classes (issue 10): an .mpt header naming an unnamed column the rows do not hold; blank lines at
the end of an .mpt; the ``<Ewe/V>`` name of EC-Lab 11.50's constant-current techniques; empty
.mpr files; the technique byte of BCD; current derived from dq where a step begins; the cycle
count of CVs; damaged .mpr row counts; a 100 kB field in a text column.
"""

from __future__ import annotations

import json
import re
import struct
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.cli import main
from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io import biologic_mpr
from anodelab.io.biologic_mpr import read_mpr
from anodelab.io.biologic_text import read_biologic_text, read_mpt

CP_MPT = "cycler/biologic/cp.mpt"
CV_FILES = [f"cycler/biologic/eclab_techniques/20220912_03_sp_Cu_Durapore_05_Cp_100mA_{n:02d}_CV_C01.mpr"
            for n in range(4, 11)]


def write_mpt(path: Path, title: str, header: str, rows: list[list[float]], newline: str = "\n") -> Path:
    """An EC-Lab ASCII file: 4 comment lines (title on line 4) and the column line."""
    lines = ["EC-Lab ASCII FILE", "Nb header lines : 5", "", title, header]
    lines += ["\t".join(f"{value:.9E}" for value in row) for row in rows]
    path.write_text(newline.join(lines) + newline, encoding="latin-1")
    return path


# -- .mpt header names a column the rows do not hold ---------------------------------------------


def test_unnamed_header_column_before_ewe_minus_ece_in_a_record(tmp_path):
    """Rows hold the named columns; the empty name is dropped and said so. The potentials check
    themselves: Ewe-Ece/V read from the last field equals <Ewe>/V - <Ece>/V on every row."""
    rng = np.random.default_rng(7)
    time = np.arange(20.0)
    ewe, ece, current = 3 + 0.01 * time, -0.2 + 0.001 * rng.random(20), np.full(20, -0.5)
    rows = [list(r) for r in zip(time, ewe, current, ece, ewe - ece)]
    path = write_mpt(tmp_path / "ece.mpt", "Chronopotentiometry",
                     "time/s\t<Ewe>/V\tI/mA\t<Ece>/V\t\tEwe-Ece/V\t", rows)
    record = read_mpt(path)
    assert isinstance(record, Record) and len(record) == 20
    np.testing.assert_allclose(record["voltage_V"], ewe, rtol=1e-9)
    np.testing.assert_allclose(record["Ece_mean_V"], ece, rtol=1e-9)
    np.testing.assert_allclose(record["Ewe_minus_Ece_V"], ewe - ece, rtol=1e-9)
    np.testing.assert_allclose(record["current_mA"], current)
    notes = record.provenance.notes
    assert any("unnamed" in note and "'<Ece>/V'" in note for note in notes)
    assert not any("differs from (Ewe-Ece/V)" in note for note in notes)
    assert not any(name.startswith("column_") for name in record.column_names)


def test_unnamed_header_column_in_a_peis_with_the_counter_electrode(tmp_path):
    frequency = np.logspace(5, 0, 11)
    z = 10 + 50 / (1 + 1j * frequency / 300)
    ewe, ece = np.full(11, 3.1), np.full(11, -0.4)
    rows = [list(r) for r in zip(frequency, z.real, -z.imag, np.arange(11.0), ewe, np.zeros(11), np.ones(11),
                                 ece, np.full(11, 2.0), ewe - ece)]
    header = "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\ttime/s\t<Ewe>/V\t<I>/mA\tcycle number\t<Ece>/V\t|Zce|/Ohm\t\tEwe-Ece/V\t"
    path = write_mpt(tmp_path / "peis.mpt", "Potentio Electrochemical Impedance Spectroscopy", header, rows)
    series = anodelab.read(path)
    assert isinstance(series, SpectrumSeries) and len(series) == 1
    np.testing.assert_allclose(series[0].Z_ohm, z, rtol=1e-8)
    assert series[0].context.voltage_V == pytest.approx(3.1) and series[0].context.cycle == 1
    assert any("unnamed" in note for note in series.provenance.notes)


def test_an_unnamed_column_that_holds_data_is_kept(tmp_path):
    """Same header, rows as wide as the header: nothing is realigned or dropped."""
    rows = [[t, 3.0, -1.0, 0.5, 7.0] for t in range(5)]
    path = write_mpt(tmp_path / "wide.mpt", "Chronopotentiometry", "time/s\tEwe/V\tI/mA\t\tEce/V", rows)
    record = read_mpt(path)
    assert not any("unnamed" in note for note in record.provenance.notes)
    np.testing.assert_array_equal(record["Ece_V"], 7.0)
    assert np.all(record["column_4"] == 0.5)


# -- blank lines at the end ----------------------------------------------------------------------


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("blank", [1, 2, 5])
def test_trailing_blank_lines_change_nothing(external, tmp_path, newline, blank):
    source = external(CP_MPT)
    content = source.read_bytes().replace(b"\n", newline) + newline * blank
    path = tmp_path / "blank.mpt"
    path.write_bytes(content)
    original, padded = read_mpt(source), read_mpt(path)
    assert padded.column_names == original.column_names and len(padded) == len(original) == 121
    for name in original.column_names:
        np.testing.assert_array_equal(padded[name], original[name], err_msg=name)
    assert padded.provenance.notes == original.provenance.notes


def test_a_blank_line_inside_the_data_is_still_refused(external, tmp_path):
    lines = external(CP_MPT).read_bytes().split(b"\n")
    lines.insert(len(lines) - 10, b"")
    path = tmp_path / "gap.mpt"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ReadError, match="data row"):
        read_mpt(path)


# -- <Ewe/V> (EC-Lab 11.50 constant-current techniques) ---------------------------------------------


def test_ewe_in_angle_brackets_with_the_unit_inside_is_the_potential_in_an_mpt(tmp_path):
    """galvani maps '<Ewe/V>' to Ewe/V too; its MPTfile reads the same numbers."""
    from galvani import BioLogic

    time = np.arange(10.0)
    ewe = 3.5 + 0.02 * time
    rows = [list(r) for r in zip(time, np.full(10, 1.0), ewe, np.full(10, 1.0), np.ones(10))]
    path = write_mpt(tmp_path / "cstc.mpt", "Constant Current", "time/s\tcontrol/mA\t<Ewe/V>\tI/mA\tcycle number",
                     rows, newline="\r\n")
    record = anodelab.read(path)
    assert record.provenance.techniques == ("CstC",)
    np.testing.assert_allclose(record["voltage_V"], ewe, rtol=1e-9)
    assert any("'<Ewe/V>' read as '<Ewe>/V'" in note for note in record.provenance.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, _ = BioLogic.MPTfile(str(path), encoding="latin-1")
    np.testing.assert_array_equal(record["voltage_V"], theirs["Ewe/V"])


def test_ewe_and_current_in_angle_brackets_in_a_text_export(tmp_path):
    path = tmp_path / "cstc.txt"
    path.write_text("time/s;<Ewe/V>;<I/mA>\n0;3.50;1.0\n10;3.52;1.0\n20;3.54;1.0\n")
    for record in (read_biologic_text(path), anodelab.read(path)):
        assert record.provenance.format in (None, "biologic-csv")
        np.testing.assert_allclose(record["voltage_V"], [3.50, 3.52, 3.54])
        np.testing.assert_allclose(record["current_mA"], 1.0)


# -- .mpr: synthetic files -----------------------------------------------------------------------


def module(name: str, payload: bytes, version: int = 0) -> bytes:
    return b"MODULE" + struct.pack("<10s25sII8s", name.encode().ljust(10), name.encode().ljust(25),
                                   len(payload), version, b"01/01/24")


def mpr_file(technique: int, ids: list[int], rows: bytes, n_points: int) -> bytes:
    """Magic, a settings module starting with the technique byte, a version-2 data module."""
    head = struct.pack("<IB", n_points, len(ids)) + struct.pack(f"<{len(ids)}H", *ids)
    data = head.ljust(405, b"\x00") + rows
    settings = bytes([technique]) + b"\x00" * 63
    out = biologic_mpr._MPR_MAGIC + module("VMP Set", settings) + settings
    return out + module("VMP data", data, version=2) + data


def test_bcd_and_unknown_technique_bytes(tmp_path):
    rows = np.zeros(3, dtype=[("t", "<f8"), ("e", "<f4"), ("i", "<f4")])
    rows["t"], rows["e"], rows["i"] = [0, 1, 2], [3.0, 3.1, 3.2], [1.0, 1.0, 1.0]
    path = tmp_path / "bcd.mpr"
    path.write_bytes(mpr_file(0x88, [4, 6, 8], rows.tobytes(), 3))
    record = read_mpr(path)
    assert record.provenance.techniques == ("BCD",)
    np.testing.assert_array_equal(record["voltage_V"], rows["e"])
    path.write_bytes(mpr_file(0xEE, [4, 6, 8], rows.tobytes(), 3))
    assert read_mpr(path).provenance.techniques == ("technique 0xee",)


def test_bcd_title_in_an_mpt(tmp_path):
    path = write_mpt(tmp_path / "bcd.mpt", "Battery Capacity Determination", "time/s\tEwe/V\tI/mA",
                     [[0, 3.0, 1.0], [1, 3.1, 1.0]])
    assert read_mpt(path).provenance.techniques == ("BCD",)


@pytest.mark.parametrize("case", ["magic only", "settings only", "zero points", "zero points, bytes left"])
def test_empty_mpr_is_refused_like_an_empty_mpt(tmp_path, case):
    rows = np.zeros(2, dtype=[("t", "<f8"), ("e", "<f4")]).tobytes()
    content = {
        "magic only": biologic_mpr._MPR_MAGIC,
        "settings only": mpr_file(0x04, [4, 6], b"", 0).split(b"MODULE")[0] + b"MODULE"
        + mpr_file(0x04, [4, 6], b"", 0).split(b"MODULE")[1],
        "zero points": mpr_file(0x04, [4, 6], b"", 0),
        "zero points, bytes left": mpr_file(0x04, [4, 6], rows, 0),
    }[case]
    path = tmp_path / "empty.mpr"
    path.write_bytes(content)
    with pytest.raises(ReadError, match="no data rows") as info:
        read_mpr(path)
    assert str(path) in str(info.value)
    empty_mpt = tmp_path / "empty.mpt"
    empty_mpt.write_text("EC-Lab ASCII FILE\nNb header lines : 3\ntime/s\tEwe/V\n")
    with pytest.raises(ReadError, match="no data rows"):
        read_mpt(empty_mpt)


@pytest.mark.parametrize("declared", [9, 11, 20])
def test_declared_row_count_that_the_bytes_do_not_hold_is_refused(tmp_path, declared):
    rows = np.zeros(10, dtype=[("t", "<f8"), ("e", "<f4")])
    rows["t"] = np.arange(10)
    path = tmp_path / "count.mpr"
    path.write_bytes(mpr_file(0x04, [4, 6], rows.tobytes(), declared))
    with pytest.raises(ReadError, match="data module"):
        read_mpr(path)


def test_module_longer_than_the_file_is_refused(tmp_path):
    rows = np.zeros(10, dtype=[("t", "<f8"), ("e", "<f4")]).tobytes()
    path = tmp_path / "cut.mpr"
    path.write_bytes(mpr_file(0x04, [4, 6], rows, 10)[:-12])  # the last row cut off
    with pytest.raises(ReadError, match="truncated"):
        read_mpr(path)


# -- current from dq ------------------------------------------------------------------------------


def test_current_from_dq_is_marked_derived_and_right_on_the_first_row_of_each_step(tmp_path):
    """Rest, then -1 mA, then +2 mA, sampled every 2 s; each step begins 0.5 s before its first row,
    so that row's dq covers 0.5 s (dq/dt across the boundary would be a quarter of the current)."""
    sequence = np.repeat([0, 1, 2], 5).astype("<u2")
    current = np.repeat([0.0, -1.0, 2.0], 5)
    time = np.arange(15) * 2.0
    dt = np.r_[0.0, np.diff(time)]
    covered = np.where(np.r_[True, np.diff(sequence) != 0], 0.5, dt)
    covered[0] = 0.0
    dq = current * covered / 3600.0
    rows = np.zeros(15, dtype=[("ns", "<u2"), ("t", "<f8"), ("e", "<f4"), ("dq", "<f8")])
    rows["ns"], rows["t"], rows["e"], rows["dq"] = sequence, time, 3.0 + 0.001 * np.arange(15), dq
    path = tmp_path / "dq.mpr"
    path.write_bytes(mpr_file(0x04, [131, 4, 6, 7], rows.tobytes(), 15))
    record = read_mpr(path)
    np.testing.assert_allclose(record["current_mA"], current, rtol=1e-12, atol=1e-15)
    note = next(note for note in record.provenance.notes if note.startswith("current_mA is derived"))
    assert "dq/dt" in note and "(3 rows)" in note  # the first row of each of the 3 steps


def test_current_from_dq_without_sequence_numbers_uses_the_sign_of_dq(tmp_path):
    time = np.arange(8) * 10.0
    current = np.r_[np.full(4, 0.5), np.full(4, -0.5)]
    dq = current * np.r_[0, 10, 10, 10, 4, 10, 10, 10] / 3600.0
    path = tmp_path / "dq.mpt"
    path.write_text("EC-Lab ASCII FILE\nNb header lines : 4\n\ntime/s\tEwe/V\tdq/mA.h\n" + "".join(
        f"{t}\t{3 + 0.01 * k}\t{q:.15e}\n" for k, (t, q) in enumerate(zip(time, dq))))
    record = read_mpt(path)
    np.testing.assert_allclose(record["current_mA"], current, rtol=1e-12)


# -- CV cycle count ------------------------------------------------------------------------------


@pytest.mark.parametrize("relative", CV_FILES)
def test_cv_summary_counts_the_instruments_cycles(external, capsys, relative):
    """Ground truth: galvani's 'cycle number' column of the same file."""
    from galvani import BioLogic

    path = external(relative)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cycle_number = BioLogic.MPRfile(str(path)).data["cycle number"]
    assert main(["read", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cycles"] == np.unique(cycle_number).size


def test_fifteen_cycle_cv_mpt_summary(tmp_path, capsys):
    """15 triangular sweeps, one sequence (Ns 0) throughout: 15 cycles, not 1."""
    n = 40
    sweep = np.r_[np.linspace(0, 1, n, endpoint=False), np.linspace(1, 0, n, endpoint=False)]
    potential = np.tile(sweep, 15)
    current = np.tile(np.r_[np.full(n, 0.1), np.full(n, -0.1)], 15) + 0.5 * potential
    cycle = np.repeat(np.arange(1, 16), 2 * n)
    rows = [list(r) for r in zip(np.zeros(potential.size), np.arange(potential.size) * 0.1, potential,
                                 current, cycle)]
    path = write_mpt(tmp_path / "cv.mpt", "Cyclic Voltammetry", "Ns\ttime/s\tEwe/V\t<I>/mA\tcycle number", rows)
    assert main(["read", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cycles"] == 15
    assert main(["read", str(path)]) == 0
    assert ", 15 cycles," in capsys.readouterr().out


# -- a long field in a text column ---------------------------------------------------------------


def test_a_100_kB_field_in_a_date_time_column_is_refused_without_a_huge_allocation(tmp_path):
    """BT-Lab exports may give time/s as date-times, parsed as text; one 100 kB field must not be
    copied into a fixed-width array as wide as that field for every row (2,000 x 400 kB here)."""
    lines = ["time/s;Ecell/V;I/mA"] + [f"05/05/2021 15:36:{k % 60:02d}.000;3.7;1.0" for k in range(2000)]
    lines[1000] = "x" * 100_000 + ";3.7;1.0"
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    try:
        with pytest.raises(ReadError, match="time/s"):
            read_biologic_text(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20


# -- damaged impedance exports, units in the header, empty columns (fuzz classes) ---------------------


def _peis_rows(n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[float]]]:
    """A sweep 1e5 .. 0.1 Hz of an RC (100 ohm || 1 uF + 10 ohm): f, Re(Z), -Im(Z), and the rows."""
    frequency = np.logspace(5, -1, n)
    z = 10 + 100 / (1 + 2j * np.pi * frequency * 100e-6)
    rows = [[f, z.real[k], -z.imag[k], abs(z[k]), np.degrees(np.angle(z[k])), 3.0, 60.0 * k]
            for k, f in enumerate(frequency)]
    return frequency, z.real, -z.imag, rows


_PEIS_HEADER = "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\t|Z|/Ohm\tPhase(Z)/deg\t<Ewe>/V\ttime/s"


def _peis_mpt(tmp_path: Path, cells: dict[int, str] | None = None, header: str = _PEIS_HEADER) -> Path:
    """The PEIS .mpt of :func:`_peis_rows`, with the frequency cell of the given rows replaced."""
    *_, rows = _peis_rows()
    path = write_mpt(tmp_path / "peis.mpt", "Potentio Electrochemical Impedance Spectroscopy", header, rows)
    lines = path.read_text(encoding="latin-1").split("\n")
    for row, text in (cells or {}).items():
        fields = lines[5 + row].split("\t")
        fields[0] = text
        lines[5 + row] = "\t".join(fields)
    path.write_text("\n".join(lines), encoding="latin-1")
    return path


@pytest.mark.parametrize("cell", ["NaN", "", "inf", "-inf", "0", "-5"])
def test_an_eis_mpt_with_a_bad_frequency_cell_stays_spectra_without_that_row(tmp_path, cell):
    """Like the generic table reader: rows without a valid frequency are left out and listed in the notes."""
    frequency, real, minus_imag, _ = _peis_rows()
    series = read_mpt(_peis_mpt(tmp_path, {3: cell, 7: cell}))
    assert isinstance(series, SpectrumSeries) and len(series) == 1
    kept = np.ones(frequency.size, dtype=bool)
    kept[[3, 7]] = False
    spectrum = series.spectra[0]
    np.testing.assert_allclose(spectrum.frequency_Hz, frequency[kept], rtol=1e-8)
    np.testing.assert_allclose(spectrum.Z_ohm, real[kept] - 1j * minus_imag[kept], rtol=1e-8)
    note = next(n for n in series.provenance.notes if "no valid frequency" in n)
    assert "2 of 12 rows" in note and "data rows 4, 8" in note


def test_an_eis_mpt_whose_frequency_column_is_all_nan_is_refused(tmp_path):
    path = _peis_mpt(tmp_path, dict.fromkeys(range(12), "NaN"))
    with pytest.raises(ReadError, match="no row has a valid frequency") as info:
        read_mpt(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("damaged", "missing"), [
    ({"Re(Z)/Ohm": "Re(Z)Ohm", "Phase(Z)/deg": "Phaqe(Z)/deg"}, "Re(Z)/Ohm, Phase(Z)/deg"),
    ({"freq/Hz": "fraq/Hz"}, "freq/Hz"),
])
def test_a_peis_mpt_whose_impedance_names_are_damaged_is_refused_naming_them(tmp_path, damaged, missing):
    """The header names the technique PEIS: columns that make no spectrum are refused, not read as a record."""
    header = _PEIS_HEADER
    for name, damage in damaged.items():
        header = header.replace(name, damage)
    path = _peis_mpt(tmp_path, header=header)
    with pytest.raises(ReadError, match=rf"technique PEIS \(impedance\) but missing column\(s\) {re.escape(missing)} "):
        read_mpt(path)
    cycling = tmp_path / "gcpl.mpt"  # the same columns under a cycling title stay a record
    cycling.write_text(path.read_text(encoding="latin-1").replace(
        "Potentio Electrochemical Impedance Spectroscopy", "Galvanostatic Cycling with Potential Limitation"),
        encoding="latin-1")
    assert isinstance(read_mpt(cycling), Record)


@pytest.mark.parametrize(("unit", "factor"), [("kHz", 1e3), ("mHz", 1e-3), ("MHz", 1e6)])
def test_frequency_in_another_unit_is_converted(tmp_path, unit, factor):
    frequency, *_ = _peis_rows()
    series = read_mpt(_peis_mpt(tmp_path, header=_PEIS_HEADER.replace("freq/Hz", f"freq/{unit}")))
    assert isinstance(series, SpectrumSeries)
    np.testing.assert_allclose(series.spectra[0].frequency_Hz, frequency * factor, rtol=1e-8)
    assert any(f"'freq/{unit}' read as 'freq/Hz'" in note for note in series.provenance.notes)


def test_a_cycling_mpt_with_a_few_impedance_rows_stays_a_record(tmp_path):
    """Frequency and impedance 0 (or empty) outside the EIS rows: a record of the other rows, the EIS rows its
    spectra (three at 1 kHz: a repeated frequency starts a new one; tests/io/test_biologic_mixed.py)."""
    rows = [[10.0 * k, 3 + 0.01 * k, 1.0, 1e3 if k < 3 else 0.0, 5.0 if k < 3 else 0.0, 1.0 if k < 3 else 0.0]
            for k in range(12)]
    path = write_mpt(tmp_path / "mb.mpt", "Modulo Bat", "time/s\tEwe/V\tI/mA\tfreq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm", rows)
    empty = tmp_path / "empty_z.mpt"
    empty.write_text(path.read_text(encoding="latin-1").replace("\t0.000000000E+00", "\t"), encoding="latin-1")
    for record in (read_mpt(path), read_mpt(empty)):
        assert isinstance(record, Record) and len(record) == 9 and "frequency_Hz" not in record
        np.testing.assert_array_equal(record["time_s"], 10.0 * np.arange(3, 12))
        assert [s.context.time_s for s in record.spectra] == [0.0, 10.0, 20.0]
        assert all(s.frequency_Hz.tolist() == [1e3] and s.Z_ohm.tolist() == [5 - 1j] for s in record.spectra)


@pytest.mark.parametrize(("unit", "factor"), [("min", 60.0), ("h", 3600.0), ("ms", 1e-3)])
def test_time_in_another_unit_is_converted_in_both_text_readers(tmp_path, unit, factor):
    time = np.arange(10.0) * 2.5
    rows = [[t, 3 + 0.01 * k, 1.0] for k, t in enumerate(time)]
    mpt = read_mpt(write_mpt(tmp_path / "t.mpt", "Chronopotentiometry", f"time/{unit}\tEwe/V\tI/mA", rows))
    text = tmp_path / "t.txt"
    text.write_text(f"time/{unit}\tEwe/V\tI/mA\n" + "".join(f"{t}\t{v}\t{i}\n" for t, v, i in rows))
    for record in (mpt, read_biologic_text(text)):
        np.testing.assert_allclose(record["time_s"], time * factor, rtol=1e-12)
        assert any(f"'time/{unit}' read as 'time/s'" in note for note in record.provenance.notes)


def test_a_time_column_in_a_unit_of_another_dimension_or_all_empty_is_refused(tmp_path):
    rows = [[float(k), 3 + 0.01 * k, 1.0] for k in range(10)]
    with pytest.raises(ReadError, match="'time/V'"):
        read_mpt(write_mpt(tmp_path / "v.mpt", "Chronopotentiometry", "time/V\tEwe/V\tI/mA", rows))
    path = tmp_path / "nan_time.txt"
    path.write_text("time/s\tEwe/V\tI/mA\n" + "".join(f"NaN\t{3 + 0.01 * k}\t1.0\n" for k in range(10)))
    with pytest.raises(ReadError, match="'time/s' holds no value") as info:
        read_biologic_text(path)
    assert str(path) in str(info.value)


def _index_csv(path: Path, index: list[int], *, blank_line: bool = False) -> Path:
    """An EC-Lab CSV as pandas writes it: an unnamed row-index column first, ';' separated."""
    lines = [";time/s;Ewe/V;I/mA"] + [f"{k};{2.0 * row};{3 + 0.01 * row};1.0" for row, k in enumerate(index)]
    path.write_text("\n".join(lines) + "\n" + ("\n" if blank_line else ""))
    return path


def test_ec_lab_csv_with_a_trailing_blank_line_reads_as_without(tmp_path):
    plain = read_biologic_text(_index_csv(tmp_path / "plain.csv", list(range(20))))
    padded = read_biologic_text(_index_csv(tmp_path / "padded.csv", list(range(20)), blank_line=True))
    assert len(padded) == len(plain) == 20 and padded.provenance.notes == plain.provenance.notes
    np.testing.assert_array_equal(padded["voltage_V"], plain["voltage_V"])


@pytest.mark.parametrize(("index", "says"), [
    ([*range(8), *range(12, 20)], "skips 4 record(s)"),
    ([*range(10), 9, *range(10, 20)], "repeats at 1 row(s)"),
    ([*range(5), 7, 6, 5, *range(8, 20)], "goes back at 2 row(s)"),
])
def test_ec_lab_csv_row_index_with_gaps_or_repeats_is_noted(tmp_path, index, says):
    """The unnamed first column pandas writes (0, 1, 2, ...) shows rows lost, repeated or reordered."""
    record = read_biologic_text(_index_csv(tmp_path / "gaps.csv", index))
    assert len(record) == len(index)
    assert any(note.startswith("the unnamed first column") and says in note for note in record.provenance.notes)
    clean = read_biologic_text(_index_csv(tmp_path / "clean.csv", list(range(20))))
    assert not any("unnamed first column" in note for note in clean.provenance.notes)


def test_duplicate_column_ids_in_an_mpr_are_refused(tmp_path):
    """Real files list each column once; an ID changed into another one already listed (19 -> 6) is damage."""
    rows = np.zeros(3, dtype=[("t", "<f8"), ("e", "<f4"), ("c", "<f4")])
    rows["t"], rows["e"] = [0, 1, 2], [3.0, 3.1, 3.2]
    path = tmp_path / "ids.mpr"
    path.write_bytes(mpr_file(0x04, [4, 6, 19], rows.tobytes(), 3))
    np.testing.assert_array_equal(read_mpr(path)["voltage_V"], rows["e"])
    path.write_bytes(mpr_file(0x04, [4, 6, 6], rows.tobytes(), 3))
    with pytest.raises(ReadError, match="column ID.* 6 more than once") as info:
        read_mpr(path)
    assert str(path) in str(info.value)



@pytest.mark.parametrize("header", ["", "Unnamed: 0"])
def test_ec_lab_csv_row_index_is_checked_then_left_out_of_the_record(tmp_path, header):
    """pandas' row index (0, 1, 2, ...; unnamed, or 'Unnamed: 0' once re-saved) numbers the export's rows:
    it shows gaps, it is not data."""
    path = _index_csv(tmp_path / "gaps.csv", [*range(8), *range(12, 20)])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([header + lines[0], *lines[1:]]) + "\n")
    with_index = read_biologic_text(path)
    assert any("skips 4 record(s)" in note for note in with_index.provenance.notes)
    without = tmp_path / "without.csv"
    without.write_text("\n".join(line.split(";", 1)[1] for line in lines) + "\n")
    plain = read_biologic_text(without)
    assert with_index.column_names == plain.column_names and "column_1" not in with_index.column_names
    for name in plain.column_names:
        np.testing.assert_array_equal(with_index[name], plain[name])


def test_ec_lab_csv_unnamed_column_of_measured_values_is_kept(tmp_path):
    """An unnamed column that is not a row index (not 0, 1, 2, ...) holds data and stays in the record."""
    path = tmp_path / "unnamed.csv"
    path.write_text("time/s;Ewe/V;;I/mA\n" + "".join(f"{2.0 * k};{3 + 0.01 * k};{0.5 * k * k};1.0\n" for k in range(20)))
    record = read_biologic_text(path)
    np.testing.assert_array_equal(record["column_3"], 0.5 * np.arange(20) ** 2)


def _header_damaged(tmp_path, remove_lf: bool):
    """cp.mpt with a lone CR inside its 6th header line and, optionally, the LF after its 8th removed."""
    raw = bytearray(external_file("cycler/biologic/cp.mpt").read_bytes())
    ends = [i for i, byte in enumerate(raw) if byte == 0x0A]
    if remove_lf:
        raw[ends[7]] = 0x20
    raw.insert(ends[5] - 3, 0x0D)
    path = tmp_path / "cp.mpt"
    path.write_bytes(bytes(raw))
    return path


def test_a_lone_cr_in_the_mpt_header_is_not_a_line_break(tmp_path):
    """The table parser ends lines at LF only; the header must be counted the same way, or the data shift."""
    original = anodelab.read(external_file("cycler/biologic/cp.mpt"))
    data = anodelab.read(_header_damaged(tmp_path, remove_lf=False))
    assert data.column_names == original.column_names
    for name in original.column_names:
        np.testing.assert_array_equal(data[name], original[name])


def test_a_header_one_line_short_is_refused_not_shifted(tmp_path):
    """One header LF lost (and a stray CR that str.splitlines would count): refused, no data row lost."""
    with pytest.raises(ReadError):
        anodelab.read(_header_damaged(tmp_path, remove_lf=True), format="biologic-mpt")
