"""Sniffing, dispatch and the errors of anodelab.read, independent of any one instrument."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from example_files import half_cell_csv, symmetric_peis_csv

import anodelab
from anodelab.core.errors import (
    MetadataError,
    ReadError,
    UnknownFormatError,
    ValidationError,
)
from anodelab.io.registry import FORMATS, candidates, find_cell_toml, get_format


def test_format_table_is_consistent():
    names = [fmt.name for fmt in FORMATS]
    assert len(names) == len(set(names))
    for fmt in FORMATS:
        assert fmt.kind in {"record", "spectra", "cycles", "record|spectra", "record|spectra|cycles"}
        assert all(ext.startswith(".") and ext == ext.lower() for ext in fmt.extensions)
        assert callable(fmt.load()), fmt.name  # every row names a function that exists


def test_sniffing_prefers_magic_bytes_over_extension(tmp_path):
    path = tmp_path / "renamed.txt"
    path.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + b"\x00" * 64)
    assert next(candidates(path, path.read_bytes())).name == "biologic-mpr"


def test_header_text_finds_a_format_whatever_the_extension(tmp_path):
    path = tmp_path / "export.dat"
    path.write_text("EC-Lab ASCII FILE\nNb header lines : 3\n\n")
    assert next(candidates(path, path.read_bytes())).name == "biologic-mpt"


@pytest.mark.parametrize("first_line, name", [
    ("\ufeffPotential applied (V)\tTime (s)\tWE(1).Current (A)\tWE(1).Potential (V)\tScan\tIndex", "autolab-nova"),
    ("Time (s);WE(1).Current (A);WE(1).Potential (V)", "autolab-nova"),
    ("Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω);-Phase (°);Time (s)", "autolab-nova"),
    ("Cycle_Index,Start_Time,End_Time,Test_Time (s),Charge_Capacity (Ah),Discharge_Capacity (Ah)", "cycle-table"),
    ("Date_Time,Test_Time (s),Cycle_Index,Current (A),Voltage (V),Charge_Capacity (Ah)", "batteryarchive-csv"),
])
def test_header_rows_pick_the_new_formats_first(tmp_path, first_line, name):
    path = tmp_path / "export.csv"
    path.write_bytes((first_line + "\n1,2,3\n").encode("utf-8"))
    assert next(candidates(path, path.read_bytes())).name == name


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\x03garbage\xff" * 50])
def test_empty_or_garbage_file_names_the_file_and_the_readers_tried(tmp_path, content):
    path = tmp_path / "mystery.bin"
    path.write_bytes(content)
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert str(path) in str(info.value)
    if content:
        assert isinstance(info.value, UnknownFormatError)
        assert "anodelab formats" in str(info.value)


def test_wrong_extension_lists_every_reader_tried_and_why(tmp_path):
    path = tmp_path / "cell.mpr"
    path.write_text("time_s,voltage_V\n0,1\n")  # a CSV named like a BioLogic binary
    with pytest.raises(UnknownFormatError) as info:
        anodelab.read(path)
    tried = dict(info.value.tried)
    assert tried.get("biologic-mpr")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ReadError, match="file not found"):
        anodelab.read(tmp_path / "nope.mpr")
    with pytest.raises(ReadError, match="not a regular file"):
        anodelab.read(tmp_path)


def test_unknown_format_name_lists_known_ones():
    with pytest.raises(ValidationError, match="biologic-mpr"):
        get_format("biologic")


def test_cell_toml_beside_the_file_is_found_and_attached(tmp_path):
    data = shutil.copy(half_cell_csv(tmp_path / "made"), tmp_path / "run1.csv")
    assert find_cell_toml(Path(data)) is None
    (tmp_path / "cell.toml").write_text('cell_type = "full"\n')
    assert anodelab.read(data).cell.cell_type == "full"
    (tmp_path / "run1.cell.toml").write_text('cell_type = "anode-half"\n[working_electrode]\nmass_mg = 2.0\n')
    record = anodelab.read(data)
    assert record.cell.cell_type == "anode-half" and record.cell.working_electrode.mass_mg == 2.0
    (tmp_path / "run1.cell.toml").write_text('cell_type = "anode-half"\n[working_electrode]\nmass_mg = 0\n')
    with pytest.raises(MetadataError, match="run1.cell.toml"):
        anodelab.read(data)


def test_example_files_read_with_provenance(tmp_path):
    record = anodelab.read(half_cell_csv(tmp_path))
    assert record.provenance.format == "generic-table"
    assert len(record.provenance.sha256) == 64
    assert record.cell.cell_type == "anode-half"
    # the example is 3 lithiation/delithiation cycles after an initial rest
    assert record.cycles.tolist() == [0, 1, 2, 3]
    lithiation = record.select(cycles=1)
    assert np.all(lithiation.current_mA[lithiation.states == "discharge"] < 0)
    spectra = anodelab.read(symmetric_peis_csv(tmp_path))
    assert len(spectra) == 1 and spectra.cell.cell_type == "symmetric"
    assert np.all(spectra[0].Z_imag_ohm < 0)


# -- reader options ------------------------------------------------------------------------------


def test_every_declared_option_is_a_keyword_of_its_reader():
    import inspect

    for fmt in FORMATS:
        parameters = inspect.signature(fmt.load()).parameters
        for option in fmt.options:
            assert parameters[option].kind is inspect.Parameter.KEYWORD_ONLY, (fmt.name, option)
    assert get_format("maccor-text").options == ("time_unit",)


def test_an_option_no_candidate_takes_is_refused_naming_the_formats_that_take_it(tmp_path):
    csv = half_cell_csv(tmp_path)  # .csv: maccor-text (.txt only) is not among its candidates
    with pytest.raises(ValidationError) as info:
        anodelab.read(csv, options={"time_unit": "min"})
    assert info.value.field == "time_unit" and "maccor-text" in str(info.value) and str(csv) in str(info.value)
    with pytest.raises(ValidationError, match="maccor-text"):
        anodelab.read(csv, format="generic-table", options={"time_unit": "min"})
    with pytest.raises(ValidationError, match="not a reader option; the options are .*time_unit"):
        anodelab.read(csv, options={"decimal": ","})


@pytest.mark.parametrize("value", [5, 1.5, None, b"min", ["min"]])
def test_an_option_value_that_is_not_text_is_a_validation_error(tmp_path, value):
    txt = half_cell_csv(tmp_path).rename(tmp_path / "run.txt")  # .txt: maccor-text, which takes time_unit, is tried
    with pytest.raises(ValidationError) as info:
        anodelab.read(txt, options={"time_unit": value})
    assert info.value.field == "time_unit" and "text" in str(info.value)


# -- unreadable input ----------------------------------------------------------------------------


@pytest.mark.parametrize("opens_allowed, problem", [(0, "cannot be opened"), (1, "cannot be read")])
def test_an_unreadable_input_is_a_read_error_naming_it(tmp_path, monkeypatch, opens_allowed, problem):
    """Refused at read()'s own first open (the sniffing), or at the reader's open after it."""
    # tests may run as root, for whom chmod 000 changes nothing: the open itself is refused here
    path = half_cell_csv(tmp_path)
    real_open = Path.open
    opens = []

    def refuse(self, *args, **kwargs):
        if self == path:
            opens.append(self)
            if len(opens) > opens_allowed:
                raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(ReadError) as info:
        anodelab.read(path)
    assert len(opens) == opens_allowed + 1
    assert not isinstance(info.value, UnknownFormatError)
    assert str(info.value) == f"{path}: {problem} (Permission denied)"
