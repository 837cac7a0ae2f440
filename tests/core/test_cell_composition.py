"""The working electrode's composition and end phase in CellInfo and cell.toml (kept as text)."""

from __future__ import annotations

import pytest

from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.errors import MetadataError

TOML = """cell_type = "anode-half"

[working_electrode]
mass_mg = 1.0
composition = "Si:0.884, ZnO:0.116"
end_phase = "Si:Li15Si4, ZnO:LiZn + Li2O"
"""


def test_read_from_cell_toml_and_written_back(tmp_path):
    path = tmp_path / "cell.toml"
    path.write_text(TOML)
    cell = CellInfo.from_toml(path)
    assert cell.working_electrode.composition == "Si:0.884, ZnO:0.116"
    assert cell.working_electrode.end_phase == "Si:Li15Si4, ZnO:LiZn + Li2O"
    again = tmp_path / "again.toml"
    again.write_text(cell.to_toml())
    assert CellInfo.from_toml(again).working_electrode == cell.working_electrode
    assert CellInfo("anode-half").working_electrode.composition is None  # optional


@pytest.mark.parametrize(("electrode", "field", "problem"), [
    (Electrode(composition=3), "working_electrode.composition", "must be text"),  # type: ignore[arg-type]
    (Electrode(composition="  "), "working_electrode.composition", "must not be empty"),
    (Electrode(end_phase="Li15Si4"), "working_electrode.end_phase", "needs the composition"),
    (Electrode(composition="Si", end_phase=""), "working_electrode.end_phase", "must not be empty"),
])
def test_invalid_composition_names_the_field(electrode, field, problem):
    with pytest.raises(MetadataError) as info:
        CellInfo("anode-half", working_electrode=electrode)
    assert info.value.field == field and problem in str(info.value)


def test_a_typo_in_the_key_is_refused(tmp_path):
    path = tmp_path / "cell.toml"
    path.write_text(TOML.replace("composition =", "compositon ="))
    with pytest.raises(MetadataError, match="compositon"):
        CellInfo.from_toml(path)
