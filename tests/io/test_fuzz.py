"""Structure-aware fuzz of the readers on real files: a seeded, bounded subset of benchmarks/fuzz_readers.py.

One or two files per reader, each damaged once by every mutation kind that applies (tests/fuzz/mutations.py),
read in a child process capped at 20 s and 1.5 GiB of address space per read, judged by tests/fuzz/oracle.py:
a clean refusal, the original numbers, a read whose loss is in provenance.notes, or a read that is faithful to
damage no reader could see. Never a traceback, hang, memory blow-up or silent garbage.
"""

from __future__ import annotations

import hashlib
import importlib.util
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from fuzz.mutations import (
    ALL_KINDS,
    BASELINE_COLUMNS,
    Expect,
    Source,
    kinds_for,
    mpr_modules,
    parse_table,
    text_rows_removed,
    write_zip,
)
from fuzz.oracle import DEFECTS, Reader, judge, summarize
from fuzz.sweep import Subject, run_case, subject
from shared_data import EXTERNAL, external_file

import anodelab

SEED = 10
FILES = (
    "cycler/biologic/cp.mpt",
    "eis/impedancepy_exampleDataBioLogic.mpt",
    "cv/attia2021_carbon_black_lsv/cellI_CB_LSV_300mVpermin_CB5.txt",
    "cycler/arbin/2017-05-09_test-TC-contact_CH33.csv",
    "cycler/neware/nw_regular_export_ife_example.csv",
    "cycler/other/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_timeseries.csv",
    "cycler/other/CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_cycle_data.csv",  # a CycleTable
    "cycler/other/batmo_bdf.csv",
    "cv/heubach2024_Au111_ionic_liquid/Fig_1_a_black.csv",
    "eis/pydrttools_zarc_data.txt",
    "eis/impedancepy_exampleData.csv",
    "cycler/eis/exampleDataGamry.DTA",
    "eis/pyimpspec_tests_data.dta",
    "eis/impedancepy_Circuit1_EIS_1.z",
    "cycler/eis/exampleDataCHInstruments.txt",
    "cycler/maccor/maccor_example.001",
    "cycler/maccor/maccor_test_file_4267-66-6519.041",
    "cycler/biologic/cp.mpr",
    "cycler/biologic/biol.mpr",  # a time series with impedance spectra measured during it
    "cycler/biologic/eclab_techniques/20220912_03_sp_Cu_Durapore_05_Cp_100mA_13_PEIS_C01.mpr",
    "cycler/neware/test.nda",
    "cycler/neware/TestFile.nda",
    "cycler/neware/test.ndax",
    "cycler/neware/123456789012_Unit27_Example_Data_File.ndax",
    "cycler/arbin/arbin_example.res",
    "cycler/land/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx",
)
# (file, kind) -> the defect this seed finds today; the readers' fixes are in progress (issue 10).
# Remove an entry when its fix lands (strict xfail: the case then XPASSes and fails).
KNOWN: dict[tuple[str, str], str] = {}


def _cases() -> list:
    cases = []
    for relative in FILES:
        path = EXTERNAL / relative
        if not path.is_file():
            cases.append(pytest.param(relative, "", id=f"{relative}-missing"))
            continue
        try:
            base = summarize(anodelab.read(path))
        except anodelab.AnodelabError:
            cases.append(pytest.param(relative, "", id=f"{relative}-baseline"))
            continue
        arrays = {k: v for k, v in base["arrays"].items() if k in BASELINE_COLUMNS}
        for kind in kinds_for(Source(path, path.read_bytes(), arrays)):
            reason = KNOWN.get((relative, kind.__name__))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(relative, kind.__name__, marks=marks, id=f"{relative}-{kind.__name__}"))
    return cases


@pytest.fixture(scope="module")
def reader():
    child = Reader(seconds=20.0)
    yield child
    child.close()


@pytest.fixture(scope="module")
def subjects(reader, tmp_path_factory):
    made: dict[str, tuple[Subject | None, str]] = {}

    def get(relative: str) -> tuple[Subject | None, str]:
        if relative not in made:
            path = external_file(relative)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            made[relative] = (subject(reader, path, EXTERNAL, tmp_path_factory.mktemp("fuzz")), digest)
        return made[relative]

    return get


@pytest.mark.parametrize(("relative", "kind"), _cases())
def test_damaged_copy_is_refused_or_accounted_for(relative, kind, subjects, reader):
    item, digest = subjects(relative)
    assert item is not None, f"the undamaged copy of {relative} no longer reads"
    result = run_case(reader, item, ALL_KINDS[kind], SEED)
    assert result is not None, f"{kind} no longer applies to {relative}: update the fuzz"
    assert result.outcome not in DEFECTS, f"{result.outcome}: {result.kind}, {result.detail}: {result.why}"
    assert hashlib.sha256(item.source.path.read_bytes()).hexdigest() == digest, "the original file was modified"


# -- the fuzz's own parts, on synthetic input with known answers ----------------------------------------


def _summary(rows: int, notes: tuple[str, ...] = (), **arrays) -> dict:
    columns = {"time_s": np.arange(float(rows)), "voltage_V": np.linspace(3.0, 4.0, rows)}
    columns.update(arrays)
    return {"outcome": "data", "kind": "record", "rows": rows, "arrays": columns, "notes": list(notes)}


def test_oracle_classes(tmp_path):
    copy = tmp_path / "x.csv"
    base = _summary(10, ("a note with 10 rows",))
    refused = {"outcome": "error", "type": "ReadError", "message": f"{copy}: bad"}
    assert judge(Expect(), copy, base, refused)[0] == "refused"
    assert judge(Expect(same="strict"), copy, base, refused)[0] == "REFUSED-VALID"
    assert judge(Expect(), copy, base, {**refused, "message": "bad"})[0] == "TRACEBACK"
    assert judge(Expect(same="strict"), copy, base, _summary(10))[0] == "identical"
    lost = {k: v[:8] for k, v in base["arrays"].items()}
    assert judge(Expect(rows_delta=-2), copy, base, _summary(8, ("a note with 8 rows",), **lost))[0] == "SILENT-GARBAGE"
    assert judge(Expect(rows_delta=-2), copy, base, _summary(8, ("2 rows dropped",), **lost))[0] == "noted"
    assert judge(Expect(rows_delta=-2, detectable=False), copy, base, _summary(8, **lost))[0] == "faithful"
    nan = base["arrays"]["voltage_V"].copy()
    nan[3] = np.nan
    assert judge(Expect(values_may_change=True), copy, base, _summary(10, voltage_V=nan))[0] == "SILENT-GARBAGE"
    scaled = _summary(10, voltage_V=base["arrays"]["voltage_V"] * 1e-3)
    assert judge(Expect(scale=("voltage_V", 1e-3)), copy, base, scaled)[0] == "faithful"
    assert judge(Expect(scale=("voltage_V", 1e-3)), copy, base, _summary(10))[0] == "SILENT-GARBAGE"
    assert judge(Expect(), copy, base, {**base, "kind": "spectra"})[0] == "SILENT-GARBAGE"
    cut = {**base, "arrays": {**base["arrays"], "voltage_V": base["arrays"]["voltage_V"].copy()}}
    cut["arrays"]["voltage_V"][0] = 0.0  # the file's last row, which a sort by frequency puts first
    assert judge(Expect(last_row_may_change=True), copy, base, cut)[0] == "faithful"
    cut["arrays"]["time_s"] = base["arrays"]["time_s"][::-1].copy()
    assert judge(Expect(last_row_may_change=True), copy, base, cut)[0] == "SILENT-GARBAGE"
    assert judge(Expect(), copy, base, {"outcome": "hang", "message": "slow"})[0] == "HANG"


def _cycles(cycle, charge, notes: tuple[str, ...] = ()) -> dict:
    arrays = {"cycle": np.asarray(cycle), "charge_capacity_mAh": np.asarray(charge, dtype=float)}
    return {"outcome": "data", "kind": "cycles", "rows": len(cycle), "arrays": arrays, "notes": list(notes)}


def test_oracle_rule_for_cycle_tables(tmp_path):
    copy = tmp_path / "cycle_data.csv"
    base = _cycles(range(1, 9), np.arange(1, 9) * 100.0)
    kept = [1, 2, 3, 6, 7, 8]  # rows 4 and 5 removed: the cycle numbers show the gap
    gap = _cycles(kept, np.array(kept) * 100.0)
    assert judge(Expect(rows_delta=-2), copy, base, gap)[0] == "faithful"
    shifted = _cycles(kept, np.array([1, 2, 3, 4, 5, 6]) * 100.0)  # the capacities moved to other cycles
    assert judge(Expect(rows_delta=-2), copy, base, shifted)[0] == "SILENT-GARBAGE"
    renumbered = _cycles(range(1, 7), np.array(kept) * 100.0)  # no gap shows the loss
    assert judge(Expect(rows_delta=-2), copy, base, renumbered)[0] == "SILENT-GARBAGE"
    assert judge(Expect(rows_delta=-2, detectable=False), copy, base, _cycles(range(1, 7), np.arange(1, 7) * 100.0)
                 )[0] == "faithful"  # the last rows cut, where nothing in the file counts them
    back = _cycles([1, 2, 4, 3, 5, 6, 7, 8], np.arange(1, 9) * 100.0)
    assert judge(Expect(), copy, base, back)[0] == "SILENT-GARBAGE"
    nan = np.arange(1, 9) * 100.0
    nan[2] = np.nan
    assert judge(Expect(values_may_change=True), copy, base, _cycles(range(1, 9), nan))[0] == "SILENT-GARBAGE"
    assert judge(Expect(), copy, base, _cycles(range(1, 9), nan, ("charge_capacity_mAh is empty in 1 row(s)",))
                 )[0] == "noted"


def _fuzz_readers():
    spec = importlib.util.spec_from_file_location(
        "fuzz_readers", Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz_readers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzz_readers_restricts_the_sweep_to_the_files_the_named_readers_read(tmp_path, monkeypatch, capsys):
    script = _fuzz_readers()
    with pytest.raises(SystemExit) as info:
        script.main(["--readers", "cycle-table,no-such-reader"])
    assert info.value.code == 2 and "unknown reader(s) no-such-reader" in capsys.readouterr().err
    summary = tmp_path / "summary_cycle_data.csv"
    summary.write_text("Cycle_Index,Charge_Capacity (Ah),Discharge_Capacity (Ah)\n"
                       + "".join(f"{k},{1.0 - 0.01 * k},{0.99 - 0.01 * k}\n" for k in range(1, 11)))
    series = tmp_path / "series.csv"
    series.write_text("time/s,Ewe/V,I/mA\n" + "".join(f"{10.0 * k},{3 + 0.01 * k},1.0\n" for k in range(10)))
    mpr = tmp_path / "cp.mpr"
    mpr.write_bytes(external_file("cycler/biologic/cp.mpr").read_bytes())
    assert script.may_read(summary, frozenset({"cycle-table"})) and not script.may_read(mpr, frozenset({"cycle-table"}))
    monkeypatch.setattr(script, "EXTERNAL", tmp_path)
    monkeypatch.setattr(script, "real_files", lambda: sorted([summary, series, mpr]))
    findings = tmp_path / "findings.md"
    assert script.main(["--readers", "cycle-table", "--budget-s", "0", "--findings", str(findings)]) == 0
    assert "of 1 files" in findings.read_text()
    assert "skipped (read by generic-table): series.csv" in capsys.readouterr().err


def test_text_table_and_row_removal(tmp_path):
    text = "title line\nPt\ttime/s\tEwe/V\n" + "".join(f"{i}\t{i * 2.0}\t{3 + i / 100}\n" for i in range(1, 41))
    source = Source(tmp_path / "x.txt", text.encode(), {"time_s": np.arange(1, 41) * 2.0})
    table = source.text
    assert table is not None and (table.header, table.first, table.stop, table.n_rows) == (1, 2, 42, 40)
    assert table.index_columns() == [0] and source.sources == {"time_s": (1, 1.0)}
    mutant = text_rows_removed(source, np.random.default_rng(1))
    assert mutant is not None and mutant.expect.detectable
    assert len(parse_table(mutant.content).lines) == 42 + mutant.expect.rows_delta


def test_zip_writer_and_mpr_walker(tmp_path):
    archive = write_zip([("a.xml", b"<a/>"), ("data.ndc", bytes(range(256)) * 10)])
    with zipfile.ZipFile(BytesIO(archive)) as opened:
        assert opened.testzip() is None and opened.read("data.ndc") == bytes(range(256)) * 10
    raw = external_file("cycler/biologic/cp.mpr").read_bytes()
    modules = mpr_modules(raw)
    assert [m.name for m in modules][:2] == ["VMP Set", "VMP data"]
    assert modules[-1].data + modules[-1].length == len(raw)
