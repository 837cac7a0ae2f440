"""CycleTable: column access shared with Record, and the Coulombic efficiency's direction."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.core import conventions
from anodelab.core.cell import CELL_TYPES, CellInfo
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import MetadataError, NotApplicableError
from anodelab.core.record import Provenance, Record

CHARGE_mAh = [2.0, 1.9, 0.0]
DISCHARGE_mAh = [1.8, 1.9, 1.0]


def _table(cell_type: str | None = None, path: str | None = None) -> CycleTable:
    return CycleTable.from_columns(
        {"cycle": [1, 2, 3], "charge_capacity_mAh": CHARGE_mAh, "discharge_capacity_mAh": DISCHARGE_mAh},
        cell=CellInfo(cell_type) if cell_type else None,
        provenance=Provenance(path=path),
    )


@pytest.mark.parametrize(
    ("table", "rows", "source"),
    [
        (_table(), 3, "this cycle table"),
        (_table(path="summary.csv"), 3, "summary.csv"),
        (Record.from_columns({"voltage_V": [1.0, 2.0]}), 2, "this record"),
        (Record.from_columns({"voltage_V": [1.0, 2.0]}, provenance=Provenance(path="run.mpr")), 2, "run.mpr"),
    ],
)
def test_record_and_cycle_table_share_their_column_access(table, rows, source):
    assert len(table) == rows
    assert table.column_names == tuple(table.columns)
    first = table.column_names[0]
    assert first in table and "nonexistent" not in table
    assert table[first] is table.columns[first]
    with pytest.raises(NotApplicableError) as info:
        table["nonexistent"]
    assert str(info.value) == f"{source} has no column 'nonexistent'; it has {', '.join(table.column_names)}"
    # one implementation, not two copies
    assert type(table).__getitem__ is Record.__getitem__ and type(table).__len__ is Record.__len__


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_ce_is_closing_over_opening_half_cycle(cell_type):
    opening = conventions.OPENING_STATE[cell_type]
    table = _table(cell_type)
    if opening is None:
        with pytest.raises(MetadataError, match="cell_type"):
            table.ce  # noqa: B018
        assert "ce" not in table.to_pandas()
        return
    closing, opened = (DISCHARGE_mAh, CHARGE_mAh) if opening == conventions.CHARGE else (CHARGE_mAh, DISCHARGE_mAh)
    expected = [c / o if o > 0 else np.nan for c, o in zip(closing, opened, strict=True)]
    np.testing.assert_array_equal(table.ce, expected)
    np.testing.assert_array_equal(table.to_pandas()["ce"], expected)


def test_ce_direction_follows_the_opening_state_table(monkeypatch):
    # the direction has one source: a cell type given an opening direction there gets a CE here
    monkeypatch.setitem(conventions.OPENING_STATE, "symmetric", conventions.DISCHARGE)
    np.testing.assert_array_equal(_table("symmetric").ce, [c / d for c, d in zip(CHARGE_mAh, DISCHARGE_mAh, strict=True)])


def test_a_cycle_table_pickles_read_only():
    """Fleets send tables between processes: a pickled CycleTable comes back equal and read-only."""
    import pickle

    table = CycleTable.from_columns({"cycle": [1, 2, 3], "charge_capacity_mAh": [1.0, 0.9, 0.8]},
                                    provenance=Provenance(path="x.csv", sha256="ab" * 32))
    copy = pickle.loads(pickle.dumps(table))
    assert type(copy) is CycleTable and copy.provenance == table.provenance
    assert np.array_equal(copy["charge_capacity_mAh"], table["charge_capacity_mAh"])
    assert not copy["cycle"].flags.writeable
