"""BioLogic files that mix techniques (Modulo Bat, GCPL with PEIS/GEIS loops): a Record of the rows without a
frequency, with the spectra of the rows with one in ``record.spectra``, tied by time.

Ground truth: galvani's rows of the real Modulo Bat file biol.mpr (GEIS between galvanostatic charges), and
synthetic files written here with known spectra, whose record must equal the record of the same file with the
impedance rows deleted.
"""

from __future__ import annotations

import pickle
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries, require_spectra
from anodelab.io import biologic_mpr
from anodelab.io.biologic_mpr import read_mpr
from anodelab.io.biologic_text import read_biologic_text, read_mpt

BIOL = "cycler/biologic/biol.mpr"


# -- the real file --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def biol():
    from galvani import BioLogic

    path = external_file(BIOL)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # galvani's own warnings are not ours to test
        theirs = BioLogic.MPRfile(str(path)).data
    return anodelab.read(path), theirs, path


def test_biol_mpr_spectra_are_galvanis_impedance_rows(biol):
    """Five GEIS sweeps (Ns 2 four times, Ns 9 once), 64, 64, 64, 64 and 54 points: galvani's rows with a
    frequency, one spectrum per run of them; Z from its |Z| and phase, time on the record's clock."""
    record, theirs, _ = biol
    assert isinstance(record, Record) and isinstance(record.spectra, SpectrumSeries)
    frequency = theirs["freq/Hz"]
    rows = frequency > 0
    starts = np.flatnonzero(rows & ~np.r_[False, rows[:-1]])
    ends = np.flatnonzero(rows & ~np.r_[rows[1:], False]) + 1
    assert [len(s) for s in record.spectra] == list(ends - starts) == [64, 64, 64, 64, 54]
    time = theirs["time/s"]
    for spectrum, begin, end in zip(record.spectra, starts, ends):
        modulus = theirs["|Z|/Ohm"][begin:end].astype(np.float64)
        phase = np.radians(theirs["Phase(Z)/deg"][begin:end].astype(np.float64))
        np.testing.assert_array_equal(spectrum.frequency_Hz, frequency[begin:end])  # high to low, as swept
        np.testing.assert_array_equal(spectrum.Z_real_ohm, modulus * np.cos(phase))
        np.testing.assert_array_equal(spectrum.Z_imag_ohm, modulus * np.sin(phase))
        context = spectrum.context
        assert context.time_s == time[begin] - time[0]
        assert context.voltage_V == pytest.approx(theirs["Ewe/V"][begin:end].astype(np.float64).mean(), rel=1e-12)
        assert context.extras["sequence"] == theirs["Ns"][begin]
        assert context.extras["z_cycle"] == theirs["z cycle"][begin]
        before = np.flatnonzero(record["time_s"] < context.time_s)[-1]  # the record row just before
        assert (context.cycle, context.extras["step"]) == (record["cycle"][before], record["step"][before])
    assert [s.context.extras["sequence"] for s in record.spectra] == [2, 2, 2, 2, 9]
    assert np.all(np.diff([s.context.time_s for s in record.spectra]) > 4 * 3600)  # a 4-h charge between each


def test_biol_mpr_record_keeps_every_other_row_and_says_what_went(biol):
    record, theirs, path = biol
    rows = theirs["freq/Hz"] > 0
    assert len(record) == int((~rows).sum()) == 23251
    note = next(n for n in record.provenance.notes if "impedance measurements" in n)
    assert note.startswith("310 of 23561 rows") and "5 spectra" in note
    for name, column in [("frequency_Hz", "freq/Hz"), ("Z_mod_ohm", "|Z|/Ohm"), ("Re_Zce_ohm", "Re(Zce)/Ohm")]:
        assert name not in record and column in note  # only the impedance rows fill them
    assert "Ece_V" in record  # measured on every row: kept
    # the GEIS rows are no longer steps of the record: four charge steps and rests, one cycle
    assert record.summary()["spectra"] == 5 and record.summary()["cycles"] == 1
    assert "5 spectra" in repr(record)
    # the spectra carry the record's provenance (path, checksum) as read
    assert all(s.provenance is record.provenance for s in record.spectra)
    assert record.spectra.provenance.path == str(path)
    with pytest.raises(NotApplicableError, match=r"the 5 spectra measured during it are its \.spectra"):
        require_spectra(record, "a series analysis")
    assert require_spectra(record.spectra, "a series analysis") is record.spectra


def test_biol_mpr_pickles_with_its_spectra(biol):
    record = biol[0]
    back = pickle.loads(pickle.dumps(record))
    assert back.spectra is not None and len(back.spectra) == len(record.spectra)
    for made, loaded in zip(record.spectra, back.spectra):
        np.testing.assert_array_equal(loaded.Z_ohm, made.Z_ohm)
        assert loaded.context == made.context
        assert loaded.provenance is back.provenance
    assert back.provenance == record.provenance


def test_the_peis_mpr_stays_spectra_equal_to_galvanis_rows(monkeypatch):
    """A pure PEIS file is still a SpectrumSeries. galvani refuses it for the IDs 473-503 it lacks; taught
    yadg's widths for them (float32, anodelab's table too), it reads 72 rows: our 3 x 24 points exactly."""
    from galvani import BioLogic

    for column_id in range(473, 504):
        monkeypatch.setitem(BioLogic.VMPdata_colID_dtype_map, column_id, (f"id {column_id}", "<f4"))
    path = external_file("cycler/biologic/eclab_techniques/20220912_03_sp_Cu_Durapore_05_Cp_100mA_13_PEIS_C01.mpr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = BioLogic.MPRfile(str(path))
    series = anodelab.read(path)
    assert isinstance(series, SpectrumSeries) and [len(s) for s in series] == [24, 24, 24]
    assert np.all(theirs.data["freq/Hz"] > 0) and list(theirs.loop_index) == [0, 24, 48, 72]
    np.testing.assert_array_equal(np.concatenate([s.frequency_Hz for s in series]), theirs.data["freq/Hz"])
    np.testing.assert_array_equal(np.concatenate([s.Z_real_ohm for s in series]), theirs.data["Re(Z)/Ohm"])
    np.testing.assert_array_equal(np.concatenate([-s.Z_imag_ohm for s in series]), theirs.data["-Im(Z)/Ohm"])


# -- a synthetic Modulo Bat .mpt -----------------------------------------------------------------

HEADER = ["mode", "Ns", "time/s", "Ewe/V", "I/mA", "(Q-Qo)/mA.h", "freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm", "|Z|/Ohm",
          "Phase(Z)/deg", "cycle number"]
FREQUENCY_HZ = np.logspace(5, -1, 13)


def _z_ohm(r0_ohm: float, r1_ohm: float, c_F: float) -> np.ndarray:
    return r0_ohm + r1_ohm / (1 + 2j * np.pi * FREQUENCY_HZ * r1_ohm * c_F)


#: the three spectra of the sequence: after the rest, after the discharge, after the charge
SPECTRA = [_z_ohm(5.0, 40.0, 2e-5), _z_ohm(6.0, 55.0, 2e-5), _z_ohm(6.5, 70.0, 1e-5)]


def _mb_rows() -> tuple[list[list[float]], np.ndarray]:
    """rest (Ns 0), PEIS (1), discharge at -1 mA (2), PEIS (3), charge at +1 mA (4), PEIS (5), discharge (6):
    10 rows per step, 36 s apart (0.01 mAh per row); the rows and which are impedance rows."""
    rows, impedance = [], []
    time, charge, voltage = 0.0, 0.0, 3.0
    sweeps = iter(SPECTRA)
    for ns, kind in enumerate(["rest", "eis", -1.0, "eis", 1.0, "eis", -1.0]):
        if kind == "eis":
            for f, z in zip(FREQUENCY_HZ, next(sweeps)):
                time += 1.0 + 1.0 / f
                rows.append([1, ns, time, voltage, 0.0, charge, f, z.real, -z.imag, abs(z), np.degrees(np.angle(z)),
                             1])
                impedance.append(True)
            continue
        current = 0.0 if kind == "rest" else kind
        for _ in range(10):
            time += 36.0
            charge += current * 0.01
            voltage += 0.02 * current
            rows.append([0 if kind == "rest" else 1, ns, time, voltage, current, charge, 0, 0, 0, 0, 0, 1])
            impedance.append(False)
    return rows, np.array(impedance)


def write_mpt(path: Path, title: str, header: list[str], rows: list[list[float]]) -> Path:
    """An EC-Lab ASCII file: 4 comment lines (title on line 4) and the column line."""
    lines = ["EC-Lab ASCII FILE", "Nb header lines : 5", "", title, "\t".join(header)]
    lines += ["\t".join(f"{value:.9E}" for value in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path


@pytest.fixture
def mb_mpt(tmp_path):
    rows, impedance = _mb_rows()
    return write_mpt(tmp_path / "mb.mpt", "Modulo Bat", HEADER, rows), rows, impedance


def test_synthetic_mb_mpt_gives_the_known_spectra_in_time_order(mb_mpt):
    path, rows, impedance = mb_mpt
    record = anodelab.read(path)
    assert isinstance(record, Record) and record.provenance.format == "biologic-mpt"
    assert len(record) == 40 and len(record.spectra) == 3
    first_rows = np.flatnonzero(impedance & ~np.r_[False, impedance[:-1]])
    for spectrum, expected, first in zip(record.spectra, SPECTRA, first_rows):
        np.testing.assert_allclose(spectrum.frequency_Hz, FREQUENCY_HZ, rtol=1e-9)
        np.testing.assert_allclose(spectrum.Z_ohm, expected, rtol=1e-8)
        assert spectrum.context.time_s == pytest.approx(rows[first][2] - rows[0][2], rel=1e-9)  # 10 digits written
        assert spectrum.context.voltage_V == pytest.approx(rows[first][3], rel=1e-9)
        assert spectrum.context.current_mA == 0
        assert spectrum.context.extras["sequence"] == rows[first][1]
        assert spectrum.context.extras["cycle_instrument"] == 1
    # tied to the record's steps: after the rest (step 1, cycle 0), after the discharge (2, 1), after the charge (3, 1)
    assert [(s.context.extras["step"], s.context.cycle) for s in record.spectra] == [(1, 0), (2, 1), (3, 1)]
    assert record.summary()["spectra"] == 3


def test_synthetic_mb_mpt_record_is_the_file_without_its_impedance_rows(mb_mpt, tmp_path):
    """Every column of the record equals the record of the same file with the impedance rows deleted; the
    capacity of each active step is the charge passed since its first row: 9 intervals of 0.01 mAh."""
    path, rows, impedance = mb_mpt
    record = read_mpt(path)
    stripped = read_mpt(write_mpt(tmp_path / "gcpl.mpt", "Modulo Bat", HEADER[:6] + HEADER[-1:],
                                  [row[:6] + row[-1:] for row, eis in zip(rows, impedance) if not eis]))
    assert record.column_names == stripped.column_names
    for name in record.column_names:
        np.testing.assert_array_equal(record[name], stripped[name], err_msg=name)
    ends = np.r_[np.flatnonzero(np.diff(record["step"])), len(record) - 1]
    np.testing.assert_allclose(record["capacity_mAh"][ends], [0.0, 0.09, 0.09, 0.09], atol=1e-12)
    note = next(n for n in record.provenance.notes if "impedance measurements" in n)
    assert note.startswith("39 of 79 rows") and "3 spectra" in note and "freq/Hz" in note


def test_empty_impedance_cells_outside_the_eis_rows_read_the_same(mb_mpt, tmp_path):
    """EC-Lab leaves the impedance columns of other rows empty or 0: the same record and spectra."""
    path, _, impedance = mb_mpt
    lines = path.read_text(encoding="latin-1").split("\n")
    for index, eis in enumerate(impedance):
        if not eis:
            cells = lines[5 + index].split("\t")
            cells[6:11] = [""] * 5
            lines[5 + index] = "\t".join(cells)
    empty = tmp_path / "empty.mpt"
    empty.write_text("\n".join(lines), encoding="latin-1")
    zeros, blanks = read_mpt(path), read_mpt(empty)
    assert blanks.column_names == zeros.column_names
    for name in zeros.column_names:
        np.testing.assert_array_equal(blanks[name], zeros[name], err_msg=name)
    assert [s.context for s in blanks.spectra] == [s.context for s in zeros.spectra]
    for a, b in zip(blanks.spectra, zeros.spectra):
        np.testing.assert_array_equal(a.Z_ohm, b.Z_ohm)


def test_cycles_of_the_spectra_follow_the_cell(mb_mpt):
    """A cathode half cell opens with a charge: the discharge before it is cycle 0, and so is the spectrum
    after it; the record's cycles and its spectra's are renumbered together."""
    path, *_ = mb_mpt
    record = anodelab.read(path, cell=CellInfo(cell_type="cathode-half"))
    assert [s.context.cycle for s in record.spectra] == [0, 0, 1]
    assert all(s.cell is record.cell for s in record.spectra) and record.spectra.cell is record.cell
    back = record.with_cell(None)
    assert [s.context.cycle for s in back.spectra] == [0, 1, 1]
    part = back.select(cycles=1)  # slices keep every spectrum, with the cycles of the whole record
    assert part.spectra is back.spectra


def test_a_technique_less_text_export_with_a_few_impedance_rows(tmp_path):
    """A ';' export names no technique: a minority of rows with a frequency are spectra of a record."""
    names = ["time/s", "Ewe/V", "I/mA", "freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm"]
    z = SPECTRA[0]
    lines = [";".join(names)]
    lines += [f"{10.0 * k};{3.0 + 0.01 * k};1.0;;;" for k in range(20)]
    lines += [f"{200.0 + k};3.2;0.0;{float(f)!r};{float(v.real)!r};{float(-v.imag)!r}"
              for k, (f, v) in enumerate(zip(FREQUENCY_HZ, z))]
    lines += [f"{300.0 + 10 * k};{3.2 - 0.01 * k};-1.0;;;" for k in range(20)]
    path = tmp_path / "export.txt"
    path.write_text("\n".join(lines) + "\n")
    record = read_biologic_text(path)
    assert isinstance(record, Record) and len(record) == 40 and len(record.spectra) == 1
    np.testing.assert_array_equal(record.spectra[0].Z_ohm, z)
    assert record.spectra[0].context.time_s == 200.0
    np.testing.assert_array_equal(record["time_s"], np.r_[10.0 * np.arange(20), 300.0 + 10 * np.arange(20)])


def test_impedance_rows_parted_by_other_rows_are_separate_spectra(tmp_path):
    """One sweep on with no change of sequence or loop, but cycling rows between: two measurements."""
    rows = [[0, 0, float(t), 3.0, 1.0, 0, 0, 0, 0, 0, 0, 1] for t in range(5)]
    rows += [[1, 0, 10.0 + k, 3.0, 0.0, 0, f, 10.0, 1.0, 0, 0, 1] for k, f in enumerate([1e4, 1e3])]
    rows += [[0, 0, 20.0 + t, 3.0, 1.0, 0, 0, 0, 0, 0, 0, 1] for t in range(5)]
    rows += [[1, 0, 30.0 + k, 3.0, 0.0, 0, f, 20.0, 2.0, 0, 0, 1] for k, f in enumerate([1e2, 1e1])]
    record = read_mpt(write_mpt(tmp_path / "gap.mpt", "Modulo Bat", HEADER, rows))
    assert len(record) == 10
    assert [s.frequency_Hz.tolist() for s in record.spectra] == [[1e4, 1e3], [1e2, 1e1]]
    assert [s.context.time_s for s in record.spectra] == [10.0, 30.0]


def test_a_spectrum_before_the_first_row_is_at_step_and_cycle_0(tmp_path):
    """A file that opens with a PEIS: the record's clock is the file's, so its first row is not at 0."""
    rows = [[1, 0, 2.0 * k, 3.0, 0.0, 0, f, 10.0, 1.0, 0, 0, 1] for k, f in enumerate([1e4, 1e3, 1e2])]
    rows += [[1, 1, 10.0 + t, 3.0 + 0.01 * t, 1.0, 0, 0, 0, 0, 0, 0, 1] for t in range(5)]
    record = read_mpt(write_mpt(tmp_path / "first.mpt", "Modulo Bat", HEADER, rows))
    assert record["time_s"][0] == 10.0 and record.spectra[0].context.time_s == 0.0
    assert (record.spectra[0].context.extras["step"], record.spectra[0].context.cycle) == (0, 0)


def test_a_row_with_a_frequency_but_no_impedance_stays_a_row_and_is_noted(mb_mpt, tmp_path):
    """A damaged impedance row (its Re(Z) empty) and a frequency on a cycling row (its Z 0) are not measurements:
    rows of the record, said in the notes; the rest reads as before."""
    path, rows, impedance = mb_mpt
    damaged_rows = [int(np.flatnonzero(impedance)[4]), 2]  # the fifth impedance row, and a rest row
    lines = path.read_text(encoding="latin-1").split("\n")
    for row, (column, value) in zip(damaged_rows, [(7, ""), (6, "1.0E+03")]):
        cells = lines[5 + row].split("\t")
        cells[column] = value
        lines[5 + row] = "\t".join(cells)
    damaged = tmp_path / "damaged.mpt"
    damaged.write_text("\n".join(lines), encoding="latin-1")
    record = read_mpt(damaged)
    assert len(record) == 41 and [len(s) for s in record.spectra] == [4, 8, 13, 13]  # the first sweep in two
    note = next(n for n in record.provenance.notes if n.startswith("2 rows have a frequency"))
    assert f"data rows {damaged_rows[1] + 1}, {damaged_rows[0] + 1})" in note
    np.testing.assert_allclose(record["time_s"][[2, 10]], [rows[2][2] - rows[0][2], rows[damaged_rows[0]][2] - rows[0][2]],
                               rtol=1e-9)


@pytest.mark.parametrize(("dropped", "says"), [
    (["Re(Z)/Ohm", "-Im(Z)/Ohm", "|Z|/Ohm", "Phase(Z)/deg"], "39 rows have a frequency (freq/Hz > 0) but the file has no"),
    (["freq/Hz"], "39 rows hold an impedance (Re(Z)/Ohm, -Im(Z)/Ohm) but no row has a frequency (freq/Hz missing)"),
])
def test_half_an_impedance_makes_no_spectrum_and_is_noted(tmp_path, dropped, says):
    """A column table without the impedance (or the frequency): every row a row of the record, said so."""
    rows, _ = _mb_rows()
    kept = [k for k, name in enumerate(HEADER) if name not in dropped]
    record = read_mpt(write_mpt(tmp_path / "half.mpt", "Modulo Bat", [HEADER[k] for k in kept],
                                [[row[k] for k in kept] for row in rows]))
    assert len(record) == 79 and record.spectra is None
    assert any(note.startswith(says) for note in record.provenance.notes)


def test_a_peis_file_stays_spectra(tmp_path):
    """The technique names impedance only: a SpectrumSeries, rows without a frequency left out (noted)."""
    rows, impedance = _mb_rows()
    eis = [row for row, flag in zip(rows, impedance) if flag]
    eis.insert(3, [1, 1, eis[2][2] + 0.5, 3.0, 0.0, 0.0, 0, 0, 0, 0, 0, 1])
    series = read_mpt(write_mpt(tmp_path / "peis.mpt", "Potentio Electrochemical Impedance Spectroscopy", HEADER, eis))
    assert isinstance(series, SpectrumSeries) and len(series) == 3
    assert any("1 of 40 rows have no valid frequency" in n for n in series.provenance.notes)


# -- a synthetic Modulo Bat .mpr with a loop module -------------------------------------------------


def _module(name: str, payload: bytes, version: int = 0) -> bytes:
    return b"MODULE" + struct.pack("<10s25sII8s", name.encode().ljust(10), name.encode().ljust(25),
                                   len(payload), version, b"01/01/24") + payload


def test_synthetic_mb_mpr_with_loops(tmp_path):
    """Two loops of (3 CC rows, a 3-point PEIS): loop numbers and spectra from the loop module."""
    dtype = np.dtype([("t", "<f8"), ("e", "<f4"), ("i", "<f4"), ("f", "<f4"), ("re", "<f4"), ("im", "<f4")])
    rows = np.zeros(12, dtype=dtype)
    rows["t"] = np.arange(12.0) * 10
    rows["e"] = 3.0 + 0.01 * np.arange(12)
    eis = np.r_[np.zeros(3, bool), np.ones(3, bool), np.zeros(3, bool), np.ones(3, bool)]
    rows["i"] = np.where(eis, 0.0, 1.0)
    rows["f"][eis] = [1e3, 1e2, 1e1] * 2
    rows["re"][eis], rows["im"][eis] = [10, 11, 12, 20, 21, 22], [1, 2, 3, 4, 5, 6]
    ids = [4, 6, 8, 32, 37, 38]
    head = struct.pack("<IB", rows.size, len(ids)) + struct.pack(f"<{len(ids)}H", *ids)
    loops = struct.pack("<I", 2) + struct.pack("<2I", 0, 6)
    raw = (biologic_mpr._MPR_MAGIC + _module("VMP Set", bytes([0x7F]) + b"\x00" * 63)
           + _module("VMP data", head.ljust(405, b"\x00") + rows.tobytes(), 2) + _module("VMP loop", loops))
    path = tmp_path / "mb.mpr"
    path.write_bytes(raw)
    record = read_mpr(path)
    assert record.provenance.techniques == ("MB",) and len(record) == 6
    np.testing.assert_array_equal(record["time_s"], [0, 10, 20, 60, 70, 80])
    assert [s.context.extras["loop"] for s in record.spectra] == [0, 1]
    np.testing.assert_array_equal(record.spectra[1].Z_ohm, np.array([20, 21, 22]) - 1j * np.array([4, 5, 6]))
    assert [s.context.extras["step"] for s in record.spectra] == [1, 2]  # the CC rows of each loop
