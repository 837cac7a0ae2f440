from __future__ import annotations

import pytest

from anodelab.core.cell import MAX_TOML_BYTES, CellInfo, Electrode
from anodelab.core.errors import MetadataError, ValidationError


def test_active_mass_is_electrode_mass_times_fraction():
    cell = CellInfo("anode-half", working_electrode=Electrode(material="Si-ZnO", mass_mg=2.0, active_fraction=0.6))
    assert cell.working_electrode.active_mass_mg == pytest.approx(1.2)
    assert CellInfo("full").working_electrode.active_mass_mg is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cell_type": "half"}, "cell_type"),
        ({"cell_type": "anode-half", "working_electrode": Electrode(mass_mg=-1.0)}, "working_electrode.mass_mg"),
        ({"cell_type": "anode-half", "working_electrode": Electrode(active_fraction=0.0)}, "working_electrode.active_fraction"),
        ({"cell_type": "anode-half", "working_electrode": Electrode(active_fraction=1.2)}, "working_electrode.active_fraction"),
        ({"cell_type": "anode-half", "working_electrode": Electrode(area_cm2=float("nan"))}, "working_electrode.area_cm2"),
        ({"cell_type": "blocking", "temperature_C": -300.0}, "temperature_C"),
    ],
)
def test_invalid_values_name_the_field(kwargs, field):
    with pytest.raises(MetadataError) as info:
        CellInfo(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)
    assert isinstance(info.value, ValidationError) and isinstance(info.value, ValueError)


def test_toml_round_trip(tmp_path):
    cell = CellInfo(
        "anode-half",
        working_electrode=Electrode(material="Si", mass_mg=1.5, active_fraction=0.6, area_cm2=1.13, thickness_um=30.0),
        counter_electrode=Electrode(material="Li"),
        temperature_C=25.0,
        pressure_MPa=50.0,
        notes='quote " and backslash \\ survive',
    )
    path = tmp_path / "cell.toml"
    path.write_text(cell.to_toml())
    loaded = CellInfo.from_toml(path)
    assert loaded.source == str(path)
    assert loaded.to_dict() | {"source": None} == cell.to_dict()


def test_toml_typo_and_missing_type_are_rejected_with_file_name(tmp_path):
    path = tmp_path / "cell.toml"
    path.write_text('cell_type = "anode-half"\n[working_electrode]\nmass_g = 2.0\n')
    with pytest.raises(MetadataError, match=r"working_electrode.mass_g.*cell.toml.*unknown key"):
        CellInfo.from_toml(path)
    path.write_text("[working_electrode]\nmass_mg = 2.0\n")
    with pytest.raises(MetadataError, match="cell_type"):
        CellInfo.from_toml(path)
    path.write_text('cell_type = "anode-half"\n[working_electrode]\nmass_mg = -2.0\n')
    with pytest.raises(MetadataError, match=r"working_electrode.mass_mg: .*cell.toml.*> 0"):
        CellInfo.from_toml(path)
    path.write_text("cell_type = ")
    with pytest.raises(MetadataError, match="not valid TOML"):
        CellInfo.from_toml(path)


def test_cell_toml_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "cell.toml"
    path.write_bytes(b"\xef\xbb\xbf" + CellInfo("full", temperature_C=25.0).to_toml().encode())
    assert CellInfo.from_toml(path).temperature_C == 25.0


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('cell_type = "full"\nnotes = 3\n', "notes", "must be text, got 3"),
        ('cell_type = ["full"]\n', "cell_type", "unknown cell type ['full']"),
        ('cell_type = "full"\ntemperature_C = true\n', "temperature_C", "must be above -273.15, got True"),
        ('cell_type = "full"\n[working_electrode]\nmaterial = 1.5\n', "working_electrode.material", "must be text"),
        ('cell_type = "full"\n[electrolyte]\nkind = [1]\n', "electrolyte.kind", "must be text"),
        ('cell_type = "full"\nnotes = ' + "[" * 200 + "]" * 200 + "\n", "notes", "must be text, got [[[[[["),
    ],
)
def test_cell_toml_values_of_the_wrong_type_are_refused_briefly(tmp_path, text, field, message):
    path = tmp_path / "cell.toml"
    path.write_text(text)
    with pytest.raises(MetadataError) as info:
        CellInfo.from_toml(path)
    assert info.value.field == field and message in str(info.value) and len(str(info.value)) < 300


@pytest.mark.parametrize("content", [b'cell_type = "full"\nnotes = "\xff"\n', b"x = " + b"[" * 5000 + b"]" * 5000])
def test_cell_toml_that_is_not_utf8_or_nested_too_deeply_is_a_metadata_error(tmp_path, content):
    path = tmp_path / "cell.toml"
    path.write_bytes(content)
    with pytest.raises(MetadataError, match="not UTF-8 text|nested too deeply"):
        CellInfo.from_toml(path)


def test_cell_toml_must_be_a_small_regular_file(tmp_path):
    with pytest.raises(MetadataError, match="not a regular file"):
        CellInfo.from_toml(tmp_path)
    big = tmp_path / "cell.toml"
    big.write_bytes(b'cell_type = "full"\n' + b"#" * MAX_TOML_BYTES)
    with pytest.raises(MetadataError, match="larger than 1 MiB"):
        CellInfo.from_toml(big)
