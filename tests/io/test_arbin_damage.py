"""Arbin readers on damaged copies of the real files: every row read, or the loss noted, or a clear refusal."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import external_file

import anodelab
from anodelab.core.errors import ReadError
from anodelab.io import arbin

NAVANI = "cycler/arbin/arbin_example.res"
CELLPY = "cycler/arbin/20160805_test001_45_cc_01.res"
BDT_CSV = "cycler/arbin/arbin_example.csv"
PAGE = 4096


def table_pages(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Data pages of the biggest table (Channel_Normal_Table) and the row count each declares."""
    pages = np.frombuffer(raw, dtype=np.uint8).reshape(-1, PAGE)
    data = np.flatnonzero((pages[:, 0] == 1) & (pages[:, 1] == 1))
    owner = pages[data, 4].astype(np.int64) | pages[data, 5].astype(np.int64) << 8 | pages[data, 6].astype(np.int64) << 16
    values, counts = np.unique(owner, return_counts=True)
    mine = data[owner == values[np.argmax(counts)]]
    return mine, pages[mine, 12].astype(np.int64) | pages[mine, 13].astype(np.int64) << 8


@pytest.mark.parametrize("relative", [NAVANI, CELLPY])
def test_res_with_an_emptied_page_notes_the_lost_data_points(tmp_path, relative):
    raw = bytearray(external_file(relative).read_bytes())
    pages, rows = table_pages(bytes(raw))
    page = int(pages[len(pages) // 2])
    raw[page * PAGE: (page + 1) * PAGE] = bytes(PAGE)
    path = tmp_path / "emptied.res"
    path.write_bytes(bytes(raw))
    complete = anodelab.read(external_file(relative))
    data = anodelab.read(path)
    lost = int(rows[len(pages) // 2])
    assert len(data) == len(complete) - lost
    assert any(note.startswith(f"{lost} data points are missing") for note in data.provenance.notes)
    assert not any("missing" in note for note in complete.provenance.notes)


def test_rows_lost_at_the_end_are_noted_from_the_statistics_table():
    """The last rows leave no Data_Point gap; a Channel_Statistic_Table row naming a later point shows them."""
    notes: list[str] = []
    arbin._note_missing_points(np.arange(1.0, 101.0), np.array([40.0, 130.0]), notes)
    assert notes == [("Channel_Statistic_Table refers to Data_Point 130, past the last row (100): "
                      "at least 30 data points are missing at the end")]
    notes.clear()
    arbin._note_missing_points(np.r_[3.0:50.0, 60.0:101.0], np.array([100.0]), notes)
    assert notes == [("12 data points are missing from Channel_Normal_Table: Data_Point skips before Data_Point 3 "
                      "and at 1 place(s), first after Data_Point 49")]


def csv_copy(tmp_path, change):
    lines = external_file(BDT_CSV).read_text().splitlines()[:80]
    names = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    change(names, rows)
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(",".join(fields) for fields in [names, *rows]) + "\n")
    return path


@pytest.mark.parametrize("value", ["nan", "inf", "", '"3.2'])
@pytest.mark.parametrize("name", ["Voltage", "Current"])
def test_csv_with_non_finite_voltage_or_current_is_refused(tmp_path, name, value):
    def damage(names, rows):
        rows[30][names.index(name)] = value

    path = csv_copy(tmp_path, damage)
    with pytest.raises(ReadError, match=name) as info:
        anodelab.read(path, format="arbin-csv")
    assert str(path) in str(info.value)


def test_csv_with_a_whole_nan_voltage_column_is_refused(tmp_path):
    def damage(names, rows):
        for row in rows:
            row[names.index("Voltage")] = "nan"

    with pytest.raises(ReadError, match="Voltage"):
        anodelab.read(csv_copy(tmp_path, damage), format="arbin-csv")


def test_csv_stray_quotes_keep_every_row(tmp_path):
    def damage(names, rows):
        for row in (rows[10], rows[50]):
            row[names.index("Step_Index")] = '"' + row[names.index("Step_Index")]

    data = anodelab.read(csv_copy(tmp_path, damage), format="arbin-csv")
    assert len(data) == 79
