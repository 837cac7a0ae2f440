"""Maccor MIMS text exports (rows ending with a tab, decimal commas, TestTime in minutes without a
unit in the header), files without a final newline, and cut last rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from example_files import half_cell_csv

import anodelab
from anodelab.cli import main
from anodelab.core.errors import ReadError, UnknownFormatError, ValidationError
from anodelab.io.maccor import read_maccor

RAW = "cycler/maccor/maccor_001.txt"
# the MIMS text export layout (cellpy's maccor_txt_two, KIT SIMBA): a dozen header lines, tab separated,
# decimal commas, "TestTime"/"StepTime" plain numbers in minutes, "Md" the state, a tab after every row
MIMS_HEADER = ("Maccor MIMS Client Export\nTest Name:\tKIT_cell_07\nChannel:\t12\nProcedure:\tformation.000\n"
               "Start Time:\t20.05.2021 14:33:12\nMass [g]:\t0\nComment:\t\n\n\n\n\n\n")
MIMS_COLUMNS = "Rec\tCycle P\tCycle C\tStep\tTestTime\tStepTime\tCap. [Ah]\tEner. [Wh]\tCurrent [A]\tVoltage [V]\tMd\tES\tDPT Time\n"
STEPS = [(1, "R", 0.0, 3.40, 0.00), (2, "C", 0.5, 3.40, 0.05), (3, "D", 0.5, 3.90, -0.05)]  # step, Md, |I| A, V0, dV


def _mims(tmp_path, newline_at_end: bool = True):
    rows, minutes, volts, amps = [], [], [], []
    for step, state, current, v0, dv in STEPS:
        for k in range(4):
            t, v = (step - 1) * 2.0 + 0.5 * k, v0 + dv * k
            capacity = current * 0.5 * k / 60
            fields = [str(len(rows) + 1), "1", "1", str(step), f"{t:.4f}", f"{0.5 * k:.4f}", f"{capacity:.6f}",
                      f"{capacity * v:.6f}", f"{current:.4f}", f"{v:.4f}", state, "0", "20.05.2021 14:33:12"]
            rows.append("\t".join(f.replace(".", ",") if f[0].isdigit() and "," not in f and ":" not in f else f
                                  for f in fields) + "\t")
            minutes.append(t)
            volts.append(v)
            amps.append({"C": current, "D": -current}.get(state, 0.0))
    path = tmp_path / "mims.txt"
    path.write_text(MIMS_HEADER + MIMS_COLUMNS + "\n".join(rows) + ("\n" if newline_at_end else ""), encoding="latin-1")
    return path, np.array(minutes), np.array(volts), np.array(amps)


def test_mims_testtime_without_unit_is_refused_with_how_to_give_it(tmp_path):
    path, *_ = _mims(tmp_path)
    with pytest.raises(ReadError) as info:
        read_maccor(path)
    message = str(info.value)
    assert str(path) in message and "'TestTime'" in message and "never guessed" in message
    assert "time_unit='min'" in message


def test_mims_read_once_the_unit_is_given(tmp_path):
    path, minutes, volts, amps = _mims(tmp_path)
    record = read_maccor(path, time_unit="min")
    np.testing.assert_allclose(record.time_s, minutes * 60)
    np.testing.assert_allclose(record.voltage_V, volts)
    np.testing.assert_allclose(record.current_mA, amps * 1e3)  # signed by Md
    np.testing.assert_allclose(record["step_time_s"], np.tile([0, 30, 60, 90], 3))
    np.testing.assert_allclose(record.capacity_mAh[[5, 6, 7]], [0.5 * 0.5 * k / 60 * 1e3 for k in (1, 2, 3)], atol=1e-3)
    assert not any(name.startswith("column_") for name in record.column_names)  # the trailing tab is no column
    notes = " ".join(record.provenance.notes)
    assert "decimal commas" in notes and "TestTime: plain numbers in min" in notes
    hours = read_maccor(path, time_unit="h")
    np.testing.assert_allclose(hours.time_s, minutes * 3600)


def test_time_unit_must_be_a_time_unit(tmp_path):
    path, *_ = _mims(tmp_path)
    for unit in ("V", 5):
        with pytest.raises(ValidationError, match="time_unit"):
            read_maccor(path, time_unit=unit)


def test_a_time_unit_the_file_does_not_need_is_noted_as_not_used(tmp_path):
    path, minutes, *_ = _mims(tmp_path)
    path.write_text(path.read_text(encoding="latin-1").replace("\tTestTime\tStepTime\t", "\tTest (Min)\tStep (Min)\t"),
                    encoding="latin-1")
    plain = read_maccor(path)
    assert not any("not used" in note for note in plain.provenance.notes)
    record = read_maccor(path, time_unit="h")
    np.testing.assert_allclose(record.time_s, minutes * 60)  # the header's minutes, not the hours given
    assert any("time_unit 'h' not used" in note for note in record.provenance.notes)


def test_mims_without_final_newline_keeps_its_last_row(tmp_path):
    path, minutes, *_ = _mims(tmp_path, newline_at_end=False)  # the last row ends with a tab, no newline
    record = read_maccor(path, time_unit="min")
    np.testing.assert_allclose(record.time_s, minutes * 60)


def test_raw_file_without_final_newline_keeps_every_row(tmp_path, external):
    raw = external(RAW).read_bytes()
    path = tmp_path / "no_newline.001"
    path.write_bytes(raw.rstrip(b"\r\n"))
    record = read_maccor(path)
    frame = pd.read_csv(external(RAW), sep="\t", skiprows=3, index_col=False, encoding="latin-1")
    assert len(record) == len(frame) == 6704
    np.testing.assert_array_equal(record.voltage_V, frame["Volts"].to_numpy(dtype=float))
    assert not any("cut short" in note for note in record.provenance.notes)


def test_raw_file_cut_mid_row_drops_that_row_with_a_note(tmp_path, external):
    raw = external(RAW).read_bytes()
    end = raw.index(b"\n", 100_000)
    path = tmp_path / "cut.001"
    path.write_bytes(raw[: end - 5])  # "0.00000" cut to "0."
    record = read_maccor(path)
    rows = raw[:end].count(b"\n") - 4  # complete data rows before the cut one (3 header lines, the names)
    frame = pd.read_csv(external(RAW), sep="\t", skiprows=3, index_col=False, encoding="latin-1", nrows=rows)
    assert len(record) == rows
    np.testing.assert_array_equal(record.voltage_V, frame["Volts"].to_numpy(dtype=float))
    assert any("cut short" in note and "dropped" in note for note in record.provenance.notes)


def test_record_numbers_gaps_noted_and_going_back_refused(tmp_path, external):
    raw = external("cycler/maccor/maccor_example.001").read_bytes()
    lines = raw.split(b"\n")  # 2 header lines, 8 rows Rec# 1..8, a final newline
    gap = tmp_path / "gap.001"
    gap.write_bytes(b"\n".join(lines[:5] + lines[6:]))  # Rec# 4 left out
    record = read_maccor(gap)
    assert len(record) == 7 and any("Rec# skips 1 record(s)" in note for note in record.provenance.notes)
    back = tmp_path / "back.001"
    back.write_bytes(b"\n".join(lines[:6] + lines[4:5] + lines[6:]))  # Rec# 3 again after 4
    with pytest.raises(ReadError, match="Rec# goes from 4 to 3"):
        read_maccor(back)
    fra = read_maccor(external("cycler/maccor/maccor_test_file_4267-66-6519.041"))  # 60 FRA rows share Rec# 12
    assert len(fra) == 74 and not any("Rec#" in note for note in fra.provenance.notes)
    again = tmp_path / "again.001"
    again.write_bytes(b"\n".join(lines[:6] + lines[5:]))  # the row of Rec# 4 twice (not an FRA row)
    record = read_maccor(again)
    assert len(record) == 9 and any(note.startswith("Rec# repeats at 1 row(s) (first at data row 5)")
                                    for note in record.provenance.notes)


def test_reduced_export_gaps_are_told_apart_from_rows_lost_inside_a_complete_stretch(tmp_path, external):
    """PreDiag .022 keeps every record up to Rec# 5650 and isolated ones after: rows lost before that are new."""
    source = external("cycler/maccor/PreDiag_000412_00008Fshort.022")
    original = read_maccor(source)
    step = np.diff(pd.read_csv(source, sep="\t", skiprows=1, usecols=["Rec#"])["Rec#"].to_numpy())
    assert step.min() >= 1  # the Rec# column only skips: every gap is one the note must count
    gaps = step[step > 1] - 1
    assert [note.split(" between ")[0] for note in original.provenance.notes if note.startswith("Rec#")] == [
        f"Rec# skips {gaps.sum()} record(s) at {gaps.size} place(s)"]
    lines = source.read_bytes().split(b"\n")
    path = tmp_path / "lost.022"
    path.write_bytes(b"\n".join(lines[:3000] + lines[3029:]))  # 29 rows of the complete stretch
    record = read_maccor(path)
    assert len(record) == len(original) - 29
    assert any(note.startswith("Rec# skips 29 record(s) at 1 place(s) inside runs of consecutive records")
               for note in record.provenance.notes)


def test_mims_time_unit_from_a_sidecar_through_anodelab_read(tmp_path):
    path, minutes, *_ = _mims(tmp_path)
    (tmp_path / "mims.txt.meta.yaml").write_text("fields:\n  - name: TestTime\n    unit: min\n"
                                                 "  - name: StepTime\n    unit: min\n")
    record = anodelab.read(path)
    assert record.provenance.format == "maccor-text"
    np.testing.assert_allclose(record.time_s, minutes * 60)
    with pytest.raises(ReadError, match="sidecar says"):
        read_maccor(path, time_unit="s")


def test_time_unit_option_through_anodelab_read_reaches_only_the_readers_that_take_it(tmp_path):
    path, minutes, *_ = _mims(tmp_path)
    record = anodelab.read(path, options={"time_unit": "min"})  # sniffed: maccor-text, the minutes applied
    assert record.provenance.format == "maccor-text"
    np.testing.assert_allclose(record.time_s, minutes * 60)
    assert not any("not used" in note for note in record.provenance.notes)
    # a reader without the option never sees it; the option the winner did not use is noted
    csv = half_cell_csv(tmp_path / "csv")
    table = anodelab.read(csv, format="generic-table")
    with_option = anodelab.read(csv.rename(csv.with_suffix(".txt")), options={"time_unit": "min"})
    assert with_option.provenance.format == "generic-table"
    np.testing.assert_array_equal(with_option.time_s, table.time_s)
    assert any("time_unit='min' not used" in note and "generic-table" in note for note in with_option.provenance.notes)


def test_a_bad_time_unit_is_refused_not_passed_over_and_none_says_how_to_give_it(tmp_path):
    path, *_ = _mims(tmp_path)
    with pytest.raises(ValidationError, match="time_unit"):
        anodelab.read(path, options={"time_unit": "V"})
    with pytest.raises(UnknownFormatError, match="--time-unit min"):  # no unit given: how to give it
        anodelab.read(path)


def test_cli_time_unit_flag(tmp_path, capsys):
    path, minutes, *_ = _mims(tmp_path)
    assert main(["read", str(path), "--json"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--time-unit min" in error and "never guessed" in error
    assert main(["read", str(path), "--time-unit", "min", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["format"] == "maccor-text" and summary["duration_s"] == pytest.approx((minutes[-1] - minutes[0]) * 60)
    assert main(["read", str(path), "--time-unit", "h", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["duration_s"] == pytest.approx((minutes[-1] - minutes[0]) * 3600)
    csv = half_cell_csv(tmp_path / "csv")
    assert main(["read", str(csv), "--time-unit", "min"]) == 2
    assert "maccor-text" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["read", str(path), "--time-unit", "V"])  # argparse: not one of s, min, h
