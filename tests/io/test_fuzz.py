"""Structure-aware fuzz of the readers on real files: a seeded, bounded subset of benchmarks/fuzz_readers.py.

One or two files per reader, each damaged once by every mutation kind that applies (tests/fuzz/mutations.py),
read in a child process capped at 20 s and 1.5 GiB of address space per read, judged by tests/fuzz/oracle.py:
a clean refusal, the original numbers, a read whose loss is in provenance.notes, or a read that is faithful to
damage no reader could see. Never a traceback, hang, memory blow-up or silent garbage.
"""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO

import numpy as np
import pytest
from fuzz.mutations import (
    ALL_KINDS,
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
        arrays = {k: v for k, v in base["arrays"].items() if k in ("time_s", "voltage_V", "current_mA", "frequency_Hz")}
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
