"""read_chunks: the chunks of a file, concatenated, are read()'s record of it, column for column and bit for
bit, with its provenance; on real files of every streamed format and on synthetic ones whose chunk
boundaries split steps and cycles, with chunks of one row and chunks larger than the file.

Ground truth: anodelab.io.read of the same file (the whole-file readers, themselves tested against galvani,
NewareNDA, the instruments' own exports and the virtual experiments' truth).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from anodelab.core.errors import NotApplicableError, ReadError, ValidationError
from anodelab.core.record import Record
from anodelab.io import read
from anodelab.io.clock import MonotonicTime, monotonic_time
from anodelab.io.point_index import PointIndexNotes, note_point_index
from anodelab.io.stream import read_chunks
from anodelab.sim.virtual import cycling, metal
from anodelab.sim.virtual.writers import write_experiment, write_mpt

REAL = [
    ("cycler/biologic/cp.mpt", (1, 7, 10**6)),
    ("cycler/biologic/cp.mpr", (1, 50)),
    ("cycler/biologic/00_test_04_MB_C01.mpr", (97,)),  # loops
    ("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr", (4999, 10**6)),  # current = dq/dt
    ("cycler/biologic/test_loopsnewoutput_MB_CE1_short10k.csv", (1234,)),  # pandas row index, raw flag bytes
    ("symmetric/grey_lab_LiLi_TEGDME_insitu/jr862_11_08_23_insitu-impedance-LiLi_1MLiTFSI_TEGDME-1mA_03_GCPL_C05.txt",
     (20000,)),  # no current
    ("cycler/neware/neware_uio.csv", (333,)),
]


def assert_same(whole: Record, chunks: list[Record]) -> None:
    """The chunks' rows, concatenated, are ``whole``'s; every chunk has its provenance and cell."""
    assert chunks and all(isinstance(chunk, Record) for chunk in chunks)
    for chunk in chunks:
        assert list(chunk.columns) == list(whole.columns)
        assert chunk.provenance.to_dict() == whole.provenance.to_dict()
        assert chunk.cell == whole.cell
    for name, values in whole.columns.items():
        joined = np.concatenate([chunk.columns[name] for chunk in chunks])
        assert joined.dtype == values.dtype, name
        assert np.array_equal(joined, values, equal_nan=values.dtype.kind == "f"), name


@pytest.mark.parametrize(("relative", "sizes"), REAL)
def test_real_files_stream_to_the_whole_read(external, relative, sizes):
    path = external(relative)
    whole = read(path)
    for rows in sizes:
        chunks = read_chunks(path, rows=rows)
        assert chunks.streamed and chunks.rows == len(whole)
        parts = list(chunks)
        assert_same(whole, parts)
        assert [len(p) for p in parts[:-1]] == [rows] * (len(parts) - 1)


@pytest.mark.parametrize(("relative", "why"), [
    ("cycler/biologic/biol.mpr", "impedance"),  # a record with spectra
    ("cycler/neware/test.ndax", "fastnda"),
    ("cycler/neware/nw_regular_export_ife_example.csv", "nested"),
    ("cycling/attia2021_carbon_black_first_cycle/cellC_10C_CF3.txt", "capacity-only"),
])
def test_files_read_whole_say_so_and_still_equal_the_read(external, relative, why):
    path = external(relative)
    chunks = read_chunks(path, rows=1000)
    assert not chunks.streamed and why in chunks.reason
    assert_same(read(path), list(chunks))


def test_spectra_are_refused(external):
    with pytest.raises(NotApplicableError, match="impedance spectra"):
        read_chunks(external("eis/impedancepy_exampleDataBioLogic.mpt"))


@pytest.fixture(scope="module")
def virtual_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("virtual")
    return [write_experiment(cycling.alloy_half_cell(n_cycles=3, cv_hold=True, initial_rest_s=600.0,
                                                     samples_per_half_cycle=40), folder),
            write_experiment(metal.symmetric_cycling(n_cycles=4, short_time_s=None), folder)]


@pytest.mark.parametrize("rows", [1, 13, 250, 10**6])
def test_virtual_files_with_steps_split_across_chunks(virtual_files, rows):
    for path in virtual_files:
        whole = read(path)  # with the cell.toml beside it: cycles numbered for the cell type
        assert whole.cell is not None
        chunks = list(read_chunks(path, rows=rows))
        assert_same(whole, chunks)
        if rows == 13:  # some chunk boundary falls inside a step and one inside a cycle
            last = [chunk.columns["step"][-1] for chunk in chunks[:-1]]
            first = [chunk.columns["step"][0] for chunk in chunks[1:]]
            assert any(a == b for a, b in zip(last, first))


def test_a_cell_given_numbers_the_cycles_for_its_type(virtual_files):
    path = virtual_files[0]
    from anodelab.core.cell import CellInfo

    cell = CellInfo("cathode-half")  # the opposite opening direction
    whole = read(path, cell=cell)
    assert_same(whole, list(read_chunks(path, rows=17, cell=cell)))


def _rows_of(path: Path) -> tuple[list[str], list[str]]:
    lines = path.read_bytes().decode("latin-1").split("\r\n")
    count = int(lines[1].split(":")[1])
    return lines[:count], [line for line in lines[count:] if line]


@pytest.fixture
def small_mpt(tmp_path):
    experiment = cycling.alloy_half_cell(n_cycles=3, samples_per_half_cycle=30)
    return write_mpt(experiment.data, tmp_path / "small.mpt", cell=experiment.cell)


def _rewrite(path: Path, header: list[str], rows: list[str], end: str = "\r\n") -> Path:
    path.write_bytes(("\r\n".join([*header, *rows]) + end).encode("latin-1"))
    return path


def test_a_cut_last_line_is_dropped_with_its_note(small_mpt):
    header, rows = _rows_of(small_mpt)
    _rewrite(small_mpt, header, [*rows[:-1], rows[-1][:-3]], end="")
    whole = read(small_mpt)
    assert any("cut short" in note for note in whole.provenance.notes)
    for size in (1, 9, 10**6):
        assert_same(whole, list(read_chunks(small_mpt, rows=size)))


def test_blank_lines_at_the_end_and_decimal_commas(small_mpt):
    header, rows = _rows_of(small_mpt)
    _rewrite(small_mpt, header, [row.replace(".", ",") for row in rows] + ["", "  "])
    whole = read(small_mpt)
    for size in (1, 11):
        assert_same(whole, list(read_chunks(small_mpt, rows=size)))


def test_a_bad_row_in_chunk_7_is_refused_before_any_chunk_naming_file_and_line(small_mpt):
    header, rows = _rows_of(small_mpt)
    names = header[-1].split("\t")
    bad = 64  # data row 65: in the 7th chunk of 10 rows
    fields = rows[bad].split("\t")
    fields[names.index("Ewe/V")] = "oops"
    rows[bad] = "\t".join(fields)
    _rewrite(small_mpt, header, rows)
    with pytest.raises(ReadError) as whole:
        read(small_mpt)
    with pytest.raises(ReadError) as streamed:
        read_chunks(small_mpt, rows=10)  # the first pass refuses it: no chunk is handed out
    assert str(small_mpt) in str(streamed.value) and "Ewe/V" in str(whole.value)
    assert f"data row {bad + 1} (line {len(header) + bad + 1})" in str(streamed.value)


def test_time_running_back_is_refused_across_a_chunk_boundary(small_mpt):
    header, rows = _rows_of(small_mpt)
    names = header[-1].split("\t")
    column = names.index("time/s")
    fields = rows[20].split("\t")
    fields[column] = "0.5"
    rows[20] = "\t".join(fields)
    _rewrite(small_mpt, header, rows)
    with pytest.raises(ReadError, match="runs backwards at data row 21"):
        read_chunks(small_mpt, rows=20)


def test_a_file_changed_between_the_passes_is_refused(small_mpt):
    chunks = read_chunks(small_mpt, rows=50)
    with small_mpt.open("ab") as handle:
        handle.write(b"\r\n")
    with pytest.raises(ReadError, match="changed"):
        list(chunks)


def test_columns_derived_from_dq_and_empty_columns(small_mpt):
    """No current column: dq/dt (rows borrowing a neighbour's value across chunk boundaries); a column empty in
    every row is dropped, one empty in the first rows only is kept."""
    header, rows = _rows_of(small_mpt)
    names = header[-1].split("\t")
    table = [row.split("\t") for row in rows]
    time = np.array([float(r[names.index("time/s")]) for r in table])
    current = np.array([float(r[names.index("I/mA")]) for r in table])
    dq = np.r_[0.0, current[1:] * np.diff(time) / 3600.0]
    out_names = [n for n in names if n != "I/mA"] + ["dq/mA.h", "Analog IN 1/V", "Analog IN 2/V"]
    lines = []
    for k, r in enumerate(table):
        fields = [f for n, f in zip(names, r) if n != "I/mA"] + [repr(float(dq[k])), "", "" if k < 40 else "1.5"]
        lines.append("\t".join(fields))
    _rewrite(small_mpt, [*header[:-1], "\t".join(out_names)], lines)
    whole = read(small_mpt)
    assert "Analog_IN_2_V" in whole.columns and "Analog_IN_1_V" not in whole.columns
    for size in (1, 7, 29):
        chunks = read_chunks(small_mpt, rows=size)
        assert chunks.streamed
        assert_same(whole, list(chunks))


def test_rows_must_be_positive(small_mpt):
    with pytest.raises(ValidationError):
        read_chunks(small_mpt, rows=0)


def test_point_index_notes_fed_in_chunks_are_those_of_the_whole_column():
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(2, 60))
        values = np.cumsum(rng.choice([1, 1, 1, 0, 2, 4, -1], size=n)).astype(float)
        values[rng.random(n) < 0.05] = np.nan
        expected: list[str] = []
        note_point_index("Rec", values, expected, first=1.0)
        check = PointIndexNotes("Rec", first=1.0)
        cuts = np.sort(rng.choice(np.arange(1, n), size=min(3, n - 1), replace=False))
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, n]):
            check.update(values[a:b])
        assert check.notes() == expected


def test_monotonic_time_in_chunks_is_that_of_the_whole_clock(tmp_path):
    rng = np.random.default_rng(6)
    time = 5.0 + np.cumsum(rng.uniform(0.1, 2.0, 500))
    time[[100, 101, 300]] -= [40.0, 39.0, 500.0]  # the clock runs back
    notes: list[str] = []
    expected = monotonic_time(tmp_path, time, "clock", notes)
    clock = MonotonicTime(tmp_path, "clock")
    cuts = [0, 1, 101, 102, 250, 301, 500]
    for a, b in pairwise(cuts):
        clock.observe(time[a:b])
    assert clock.notes() == notes and len(notes) == 2
    joined = np.concatenate([clock.time_s(time[a:b]) for a, b in pairwise(cuts)])
    assert np.array_equal(joined, expected)


@pytest.mark.parametrize("day_first", [False, True])
def test_absolute_times_whose_date_order_only_later_rows_tell(tmp_path, day_first):
    """A BT-Lab export with date-times in time/s: month/day or day/month, told from the whole column (here a day
    above 12 comes in row 61 only)."""
    import datetime

    start = datetime.datetime(2023, 3, 10, 9, 30)
    pattern = "%d/%m/%Y %H:%M:%S.%f" if day_first else "%m/%d/%Y %H:%M:%S.%f"
    lines = ["time/s;Ewe/V;I/mA"]
    for k in range(300):
        stamp = (start + datetime.timedelta(hours=1.2 * k)).strftime(pattern)[:-3]
        lines.append(f"{stamp};{3.0 + 0.001 * k:.4f};{1.0 if (k // 40) % 2 else -1.0}")
    path = tmp_path / "absolute.csv"
    path.write_text("\n".join(lines) + "\n")
    whole = read(path)
    assert any("absolute time export" in note for note in whole.provenance.notes)
    for rows in (1, 37):
        chunks = read_chunks(path, rows=rows)
        assert chunks.streamed
        assert_same(whole, list(chunks))
