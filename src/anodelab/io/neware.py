"""Neware BTS binary readers: ``.nda`` / ``.ndax`` decoded by fastnda, with their layout, CRC and index checks.

The BTS CSV exports are read by :mod:`anodelab.io.neware_csv`, which shares this module's
:func:`counters_restart` and :func:`per_step`.

An ``.ndax`` is inflated once, for the page CRCs and the decoding alike; where its data.ndc holds only
voltage and current (BTS 8.x: .ndc versions 8-14, 16, 17), fastnda's decoders read each member and the
records are joined with their run info and steps here, as fastnda joins them, in numpy
(:func:`_join_run_info`: the same numbers, bit for bit, several times faster than fastnda's polars
windows); other layouts are read by ``fastnda.read``.

Units
    fastnda returns current in mA, capacity in mAh and energy in mWh for every file version (it
    applies the file's own current-range multipliers). The files themselves confirm it
    (tests/io/test_neware.py): the current set points of the step program stored in an ``.ndax``
    (``Step.xml``, in mA) match the recorded current; the 6000 mAh cell named in the header of
    ``TestFile.nda`` passes 5,650-5,810 mAh per half-cycle; and every capacity counter equals the
    time integral of the current (mA x h = mAh). cellpy reads these counters as Ah (1000x too large).

Time
    Neware's step time restarts at every step. ``time_s`` is the instrument's total test time,
    shifted to start at 0; it excludes pauses, so it can be shorter than the wall-clock span. The
    absolute clock is kept as the extra ``unix_time_s``; where it jumps backwards (clock sync,
    daylight saving) that is noted in the provenance. Should the test time itself ever run
    backwards, each backward jump is given zero duration and noted, so ``time_s`` never decreases.

Steps and capacity
    ``step`` is Neware's global step counter (it changes at every step, loop repetitions
    included); the program's step number is kept as ``step_index`` and the step type (CC_Chg,
    CC_DChg, CCCV_Chg, Rest, ...) as ``step_type``. Neware capacity counters restart at every step,
    so ``capacity_mAh`` is the counter's magnitude (checked by :func:`counters_restart`).
    Current is signed as in :mod:`anodelab.core.conventions`: > 0 on charge steps.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import capacity_within_steps, run_starts
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record
from anodelab.io.clock import monotonic_time
from anodelab.io.common import one_line
from anodelab.io.third_party import library_messages, reader_version
from anodelab.io.zip_members import check_zip_member

if TYPE_CHECKING:
    import polars as pl

NDA_EXPECTED = "a Neware BTS .nda file (starts with 'NEWARE')"
NDAX_EXPECTED = "a Neware BTS .ndax file (a zip archive holding data.ndc)"
_BTS9_VERSIONS = (129, 130)
_NDC_PAGE_BYTES = 4096  #: pages of .ndc version 5 and after
#: beyond any Neware channel: a decode outside these is garbage (a damaged version byte, misaligned records)
_MAX_VOLTAGE_V = 1000.0
_MAX_CURRENT_mA = 2e6
Columns = dict[str, NDArray[Any]]
_NO_RESTART = "the capacity counter does not restart at every step; capacity_mAh counts from each step's first row"


def counters_restart(
    counter_mAh: NDArray[np.float64], step: NDArray[Any], current_mA: NDArray[np.float64],
    step_time_s: NDArray[np.float64],
) -> bool:
    """Whether a capacity counter restarts at every step.

    True when, at every step's first row, it holds no more than the charge that row's current can
    have passed since the step began (10 % and 1 nAh of slack).
    """
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    possible = np.abs(current_mA[starts]) * np.abs(step_time_s[starts]) / 3600.0
    return bool(np.all(np.abs(counter_mAh[starts]) <= 1.1 * possible + 1e-6))


def per_step(counter: NDArray[np.float64], step: NDArray[Any], restarts: bool) -> NDArray[np.float64]:
    """A capacity or energy counter as the amount passed within each step (>= 0)."""
    return np.abs(counter, dtype=np.float64) if restarts else capacity_within_steps(counter, step)


# -- binary files (fastnda) ---------------------------------------------------------------------


def read_nda(path: Path) -> Record:
    """Read a Neware ``.nda`` file (BTS 7.x - 9.x) through fastnda."""
    path = Path(path)
    nda_version, record_bytes = _check_nda_layout(path)
    _check_suffix(path, ".nda")
    columns, notes = _decode_with_fastnda(path, ".nda")
    if nda_version in _BTS9_VERSIONS:
        _check_declared_rows(path, columns["index"].size, record_bytes)
    else:
        _note_misaligned_records(path, nda_version, notes)
    aux = _aux_from_fastnda(columns)
    return _binary_record(path, columns, aux, notes, f"Neware BTS (.nda version {nda_version})")


def read_ndax(path: Path) -> Record:
    """Read a Neware ``.ndax`` file (BTS 8.x / 9.x): its members inflated once and decoded by fastnda, its
    records joined with their run info as fastnda joins them (:func:`_ndax_columns`)."""
    import fastnda.ndax  # noqa: F401 - puts isal's faster inflater (if installed) in zlib's place

    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except Exception as error:  # noqa: BLE001 - see _check_ndax_layout
        raise ReadError(path, f"not a readable zip archive ({one_line(error)})", expected=NDAX_EXPECTED) from None
    with archive:
        test_info, members = _check_ndax_layout(path, archive)
    _check_suffix(path, ".ndax")
    columns, notes, run_info = _ndax_columns(path, members)
    index = columns["index"]
    aux_notes: list[str] = []
    aux = _aux_from_ndax(path, members, test_info, index, aux_notes)
    if aux is None:  # fastnda's own pairing of the aux members, from its whole read
        columns, notes = _decode_with_fastnda(path, ".ndax")
        aux = _aux_from_fastnda(columns)
    notes += aux_notes
    if run_info is not None:
        _check_member_index(path, "data_runInfo.ndc", run_info, index)
    if "unix_time_s" in columns:
        _note_stop_time(test_info, columns["unix_time_s"], notes)
    return _binary_record(path, columns, aux, notes, "Neware BTS (.ndax)")


def _check_nda_layout(path: Path) -> tuple[int, int]:
    """Magic, version, and the data blocks the header declares: all inside the file (else truncated).

    Returns the version and, for BTS 9, the bytes of records the header declares (0 elsewhere).
    """
    with path.open("rb") as handle:
        head = handle.read(1024)
        size = handle.seek(0, 2)
    if not head.startswith(b"NEWARE"):
        raise ReadError(path, "no 'NEWARE' signature at the start", expected=NDA_EXPECTED)
    if len(head) < 256:
        raise ReadError(path, f"file is only {size} bytes, shorter than the .nda header", expected=NDA_EXPECTED)
    nda_version = head[14]
    record_bytes = 0
    if nda_version in _BTS9_VERSIONS:
        # BTS 9: a table of (offset, length) uint64 pairs from byte 18 locates every section; the
        # pair at byte 82 covers the records (of every chained block when its offset is 0)
        blocks = [struct.unpack_from("<QQ", head, offset) for offset in range(18, 242, 16)]
        record_bytes = struct.unpack_from("<Q", head, 90)[0]
    else:
        # BTS 7/8: (offset, length) uint32 of the record block at byte 64 (and of the aux block at 72)
        blocks = [struct.unpack_from("<II", head, offset) for offset in (64, 72)]
    for begin, length in blocks:
        if begin and length and begin + length > size:
            raise ReadError(
                path, f"truncated: the header declares data up to byte {begin + length}, the file has {size} bytes",
                expected="a complete .nda file",
            )
    return nda_version, record_bytes


#: record length (bytes) of each BTS 7/8 .nda version, as fastnda 1.3.1 decodes them (nda.py, _NDA_READERS)
_NDA_RECORD_BYTES = {1: 38, 2: 39, 3: 43, 4: 43, 5: 59, 6: 59, 7: 59, 8: 59, 9: 60, 10: 64, 11: 69, 12: 69, 13: 69,
                     14: 86, 15: 69, 16: 86, 17: 86, 18: 69, 19: 68, 20: 86, 22: 86, 23: 86, 24: 86, 25: 70, 26: 86,
                     27: 70, 28: 86, 29: 86}
#: versions 26, 28 and 29: fastnda starts at the first record (index 1), found by these bytes, and reads to the end
_NDA_FIRST_RECORD = b"\x55\x00\x01\x00\x00\x00"


def _note_misaligned_records(path: Path, nda_version: int, notes: list[str]) -> None:
    """BTS 7/8 records have one length per version and fill the area fastnda decodes evenly: bytes over
    mean records misaligned (bytes moved, inserted or cut), and fastnda drops those it cannot identify.

    The area is the record block of the header (offset and length at byte 64; to the end of the file
    when the length is 0, or for version 19), from the first record for versions 26, 28 and 29. How many
    rows should decode is not checkable: the block also holds aux and other records.
    """
    record_bytes = _NDA_RECORD_BYTES.get(nda_version)
    if record_bytes is None:
        return
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        begin, length = struct.unpack_from("<II", handle.read(72), 64)  # _check_nda_layout read 256 bytes
        end = begin + length if length and nda_version != 19 else size
        if nda_version in (26, 28, 29):
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as raw:  # found without reading it all
                begin = raw.find(_NDA_FIRST_RECORD)
            end = size
    over = (min(end, size) - begin) % record_bytes
    if begin >= 0 and over:
        notes.append(f"the records (bytes {begin} to {end}) are not a whole number of {record_bytes}-byte records "
                     f"({over} bytes over): records are misaligned or cut (bytes moved, inserted or cut), and rows "
                     "after the damage may be missing")


def _check_declared_rows(path: Path, rows: int, record_bytes: int) -> None:
    """BTS 9 headers state how many records the file holds, and the records fill their block evenly;
    fewer decoded rows (records lost to misalignment) means damage."""
    import fastnda

    with library_messages("fastnda"):  # its caveats on BTS 9 metadata concern fields we do not use
        try:
            declared = fastnda.read_metadata(path).get("num_datapoints")
        except Exception as error:  # noqa: BLE001 - fastnda's header decoder raises assorted types (struct, index,
            # key, value, EOF errors) on damaged bytes; each becomes a ReadError naming the file
            raise ReadError(path, f"fastnda could not read the header ({one_line(error)})",
                            expected=NDA_EXPECTED) from None
    if isinstance(declared, int) and declared and rows != declared:
        raise ReadError(path, f"the header declares {declared} records but {rows} could be decoded",
                        expected="an undamaged .nda file")
    if record_bytes % rows:
        raise ReadError(path, f"the header declares {record_bytes} bytes of records but {rows} records could be "
                        "decoded, not a whole number of bytes each (records lost or misaligned)",
                        expected="an undamaged .nda file")


def _check_ndax_layout(path: Path, archive: zipfile.ZipFile) -> tuple[str, dict[str, bytes]]:
    """No member inflates beyond a sane bound, every .ndc member passes :func:`_check_ndc_pages`, and
    TestInfo.xml decodes. Returns TestInfo.xml ('' if absent) and the .ndc members decoded later
    (data, run info, steps, aux channels), inflated (once: the page check reads the same bytes)."""
    members = archive.NameToInfo
    kept: dict[str, bytes] = {}
    try:
        for info in members.values():
            check_zip_member(path, info, "Neware")  # zipfile stops at the declared size
        if "data.ndc" not in members:
            raise ReadError(path, "the archive holds no data.ndc", expected=NDAX_EXPECTED)
        for name in members:
            if name.lower().endswith(".ndc"):
                raw = archive.read(name)
                _check_ndc_pages(path, name, raw)
                if name in _JOINED_MEMBERS or name.startswith("data_AUX_"):
                    kept[name] = raw
        test_info = archive.read("TestInfo.xml") if "TestInfo.xml" in members else b""
    except ReadError:
        raise
    except Exception as error:  # noqa: BLE001 - zipfile and the inflater fastnda installs in zlib's place (isal,
        # optional) raise assorted types on damaged archives; each becomes a ReadError naming the file
        raise ReadError(path, f"not a readable zip archive ({one_line(error)})", expected=NDAX_EXPECTED) from None
    return test_info.decode("gb2312", errors="replace"), kept


def _check_ndc_pages(path: Path, name: str, raw: bytes) -> None:
    """An .ndc member is whole pages (fastnda decodes whole pages and ignores the rest: 512 bytes for .ndc
    versions 1-4, 4096 after) and each 4096-byte page after the header page ends with the CRC-32 of its
    other 4092 bytes (in every page of every real file: versions 5, 14 and 17; the header page stores 0).
    No file of versions 1-4 has been seen: their pages are not checksummed."""
    page = 512 if len(raw) > 2 and raw[2] <= 4 else _NDC_PAGE_BYTES
    if len(raw) % page:
        raise ReadError(path, f"{name} is cut: {len(raw)} bytes is not a whole number of {page}-byte pages",
                        expected="a complete .ndax file")
    if page != _NDC_PAGE_BYTES or len(raw) <= page:
        return
    view = memoryview(raw)
    stored = np.frombuffer(raw, dtype="<u4").reshape(-1, page // 4)[1:, -1]
    computed = np.fromiter((zlib.crc32(view[start:start + page - 4]) for start in range(page, len(raw), page)),
                           dtype=np.uint32, count=stored.size)
    failed = np.flatnonzero(computed != stored)
    if failed.size:
        raise ReadError(path, f"{name} page {int(failed[0]) + 1} fails its CRC-32 (the file is damaged)",
                        expected="an undamaged .ndax file")


def _decode_member(path: Path, name: str, raw: bytes) -> pl.DataFrame:
    """One inflated .ndc member decoded by fastnda (its documented entry point for single members)."""
    from fastnda._ndc import read_ndc

    try:
        decoded: pl.DataFrame = read_ndc(raw)
    except Exception as error:  # noqa: BLE001 - fastnda's .ndc decoder raises assorted types on damaged members;
        # each becomes a ReadError naming the file
        raise ReadError(path, f"{name} could not be decoded ({one_line(error)})", expected=NDAX_EXPECTED) from None
    return decoded


def _check_member_index(path: Path, member: str, table: pl.DataFrame, index: NDArray[Any]) -> None:
    """Members (run info, aux channels) refer to records of data.ndc; one beyond its last record means
    data.ndc was cut."""
    last = int(index[-1])
    if "index" in table.columns and table.height and (referred := int(table["index"].to_numpy().max())) > last:
        raise ReadError(path, f"data.ndc ends at record {last} but {member} refers to record {referred}: "
                        "data.ndc lost records", expected="a complete .ndax file")


def _note_stop_time(test_info: str, unix_time_s: NDArray[np.float64], notes: list[str]) -> None:
    """TestInfo.xml's StartTime and EndTime span the test; records ending well before that may be lost."""
    from datetime import datetime

    stamp = r'="(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"'
    start, end = re.search("StartTime" + stamp, test_info), re.search("EndTime" + stamp, test_info)
    if start is None or end is None:
        return
    span_s = (datetime.strptime(end.group(1), "%Y-%m-%d %H:%M:%S")
              - datetime.strptime(start.group(1), "%Y-%m-%d %H:%M:%S")).total_seconds()
    recorded_s = float(unix_time_s[-1] - unix_time_s[0])
    if span_s - recorded_s > max(120.0, 0.01 * span_s):
        notes.append(f"TestInfo.xml says the test ran {span_s:.0f} s ({start.group(1)} to {end.group(1)}) "
                     f"but the records span {recorded_s:.0f} s: records may be missing at the end "
                     "(or the test was paused before it stopped)")


def _check_suffix(path: Path, suffix: str) -> None:
    """fastnda picks its decoder by the file name's extension: a name that disagrees with the content is refused."""
    if path.suffix.lower() != suffix:
        raise ReadError(path, f"the content is a Neware {suffix} file but the name ends in {path.suffix!r}; "
                        f"rename it to *{suffix}", expected=f"a file named *{suffix}")


def _decode_with_fastnda(path: Path, suffix: str) -> tuple[Columns, list[str]]:
    """fastnda's read (raw cycle counter, integer step types) as columns, and the notes it emitted."""
    import fastnda

    with library_messages("fastnda") as messages:
        try:
            frame = fastnda.read(path, cycle_mode="raw", raw_categories=True)
        except Exception as error:  # noqa: BLE001 - fastnda's decoders raise assorted types on damaged or unknown
            # files; each becomes a ReadError naming the file
            raise ReadError(path, f"fastnda could not decode it ({one_line(error)})",
                            expected=NDA_EXPECTED if suffix == ".nda" else NDAX_EXPECTED) from None
    if frame.height == 0:
        raise ReadError(path, "no data records", expected="at least one record")
    notes = [f"fastnda: {one_line(message)}" for message in dict.fromkeys(messages)]
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    _check_plausible(path, columns, notes)
    return columns, notes


#: the members joined by :func:`_join_run_info`
_JOINED_MEMBERS = ("data.ndc", "data_runInfo.ndc", "data_step.ndc")
#: the columns fastnda decodes from them in the layouts joined here (.ndc versions 8-14, 16, 17: voltage and
#: current in data.ndc; time, counters and step count in sparse run-info records; the step table)
_JOINED_COLUMNS = (
    frozenset({"index", "voltage_V", "current_mA"}),
    frozenset({"index", "step_time_s", "dt", "unix_time_s", "step_count", "charge_capacity_mAh",
               "discharge_capacity_mAh", "charge_energy_mWh", "discharge_energy_mWh"}),
    frozenset({"step_count", "cycle_count", "step_index", "step_type"}),
)


def _ndax_columns(path: Path, members: dict[str, bytes]) -> tuple[Columns, list[str], pl.DataFrame | None]:
    """The records of an .ndax as fastnda reads them (``fastnda.read(path, cycle_mode="raw",
    raw_categories=True)``), the notes, and data_runInfo.ndc decoded (None without one).

    Where data.ndc holds only voltage and current, joined here from the members already inflated
    (:func:`_join_run_info`: fastnda's numbers, bit for bit, several times faster); other layouts
    (data.ndc holding every column) are read by fastnda itself.
    """
    frames: dict[str, pl.DataFrame] = {}
    with library_messages("fastnda") as messages:
        if "data_runInfo.ndc" in members:
            frames = {name: _decode_member(path, name, members[name]) for name in _JOINED_MEMBERS if name in members}
    run_info = frames.get("data_runInfo.ndc")
    layout = [frozenset(frames[name].columns) if name in frames else frozenset() for name in _JOINED_MEMBERS]
    layout[2] -= {"index"}  # the step table's record index (versions 16, 17), which fastnda drops
    if tuple(layout) != _JOINED_COLUMNS:
        columns, notes = _decode_with_fastnda(path, ".ndax")
        return columns, notes, run_info
    main, run, step = ({name: frame[name].to_numpy() for name in frame.columns}
                       for frame in (frames[name] for name in _JOINED_MEMBERS))
    if main["index"].size == 0:
        raise ReadError(path, "no data records", expected="at least one record")
    notes = [f"fastnda: {one_line(message)}" for message in dict.fromkeys(messages)]
    _check_plausible(path, main, notes)
    return _join_run_info(path, main, run, step), notes, run_info


def _join_run_info(path: Path, main: Columns, run: Columns, step: Columns) -> Columns:
    """data.ndc's records with their run info and step, computed as fastnda 1.3 computes them (a left join on
    the record index, ``_data_interpolation``, a left join on the step count, ``_add_total_time``, times
    rounded to the microsecond, capacity and energy as charge minus discharge, its dtypes), in numpy.

    A record without a run-info record of its own takes the last one before it, whose time, capacities and
    energies it carries on by that record's ``dt`` and its own current and voltage, summed over the records
    since as fastnda sums them (:func:`_cumsum_within_runs`); tests/io/test_neware_join.py compares every
    column with fastnda's read.
    """
    import polars as pl

    index = main["index"]
    rows, source = _run_info_rows(path, index, run["index"])
    lengths = np.diff(rows, append=index.size)  # records carrying each run-info record: its own and those up to the next
    step_time, unix_time, counters = _carry_on(main, run, source, rows, lengths)
    # the record indices as uint32: they run from 1 (_check_plausible)
    out: Columns = {"index": index.view(np.uint32) if index.dtype == np.int32 else index.astype(np.uint32),
                    "voltage_V": main["voltage_V"], "current_mA": main["current_mA"], **counters}
    step_count = run["step_count"][source]
    out.update(_step_columns(path, step, step_count, lengths))
    total_time = _total_time(step_time, step_count, rows)
    for name, values in (("unix_time_s", unix_time), ("step_time_s", step_time), ("total_time_s", total_time)):
        out[name] = pl.Series(values).round(6).to_numpy()  # polars' rounding, as fastnda rounds
    return out


def _run_info_rows(path: Path, index: NDArray[Any], run_index: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The data rows that have a run-info record of their own (run info of no record is left out, as by the
    join) and those run-info records; the first data row must have one."""
    n = index.size
    order = np.argsort(run_index, kind="stable")  # fastnda's run-info records are unique, in no order
    needles = run_index[order]
    # data.ndc numbers its records in order (_check_plausible); searched in its own dtype (no copy of it)
    position = np.searchsorted(index, np.clip(needles, 0, np.iinfo(index.dtype).max).astype(index.dtype))
    found = position < n
    found[found] = index[position[found]] == needles[found]
    rows = position[found]
    if rows.size == 0 or rows[0] != 0:
        raise ReadError(path, f"data.ndc record {index[0]} (data row 1) has no run-info record: its time, step and "
                        "capacity are unknown", expected="data_runInfo.ndc holding the first record of data.ndc")
    return rows, order[found]


def _carry_on(main: Columns, run: Columns, source: NDArray[np.intp], rows: NDArray[np.intp], lengths: NDArray[np.intp]
              ) -> tuple[NDArray[np.float64], NDArray[np.float64], Columns]:
    """The step time, the unix time, and the capacity and energy (charge minus discharge, float32) of every
    record: those of its run-info record (``source``, carried by the ``lengths`` records from ``rows``) carried
    on by that record's ``dt`` and the current and voltage of each record since, as fastnda evaluates them."""

    def carried(name: str) -> NDArray[Any]:
        return np.repeat(run[name][source], lengths)

    voltage, current = main["voltage_V"], main["current_mA"]
    dt = carried("dt")
    charge = np.multiply(dt, current)
    charge /= 3600
    energy = np.multiply(dt, voltage)
    energy *= current
    energy /= 3600  # ((dt * V) * I) / 3600, as fastnda evaluates them
    for term in (dt, charge, energy):
        term[rows] = 0.0  # a record's own run info carries nothing on
    elapsed_s, charge_mAh, energy_mWh = _cumsum_within_runs([dt, charge, energy], rows, lengths)
    step_time = np.add(carried("step_time_s"), elapsed_s)
    unix_time = np.add(carried("unix_time_s"), elapsed_s, out=elapsed_s)
    counters: Columns = {}
    for name, increments in (("capacity_mAh", charge_mAh), ("energy_mWh", energy_mWh)):
        kind = "capacity" if name == "capacity_mAh" else "energy"
        unit = name.split("_")[-1]
        charged = np.add(np.abs(carried(f"charge_{kind}_{unit}")), np.maximum(increments, 0))
        discharged = np.subtract(np.abs(carried(f"discharge_{kind}_{unit}")), np.minimum(increments, 0, out=increments))
        counters[name] = np.subtract(charged, discharged, out=charged).astype(np.float32)
    return step_time, unix_time, counters


def _step_columns(path: Path, step: Columns, step_count: NDArray[Any], lengths: NDArray[np.intp]) -> Columns:
    """Cycle count, step index and step type of each record from data_step.ndc (a left join on the step
    count of each run-info record, spread over its ``lengths`` records), and the step count itself."""
    number = step_count.astype(np.int64) - 1  # data_step.ndc holds step 1, 2, 3, ... in order
    held = step["step_count"].size
    if not np.array_equal(step["step_count"], np.arange(1, held + 1)) or number.min() < 0 or number.max() >= held:
        bad = int(step_count[(number < 0) | (number >= held)][0]) if held else int(step_count[0])
        raise ReadError(path, f"data_runInfo.ndc refers to step {bad}, which data_step.ndc does not hold",
                        expected="an undamaged .ndax file")
    out: Columns = {name: np.repeat(step[name][number].astype(dtype), lengths)
                    for name, dtype in (("cycle_count", np.uint32), ("step_index", np.uint32), ("step_type", np.uint8))}
    out["step_count"] = np.repeat(step_count.astype(np.uint32), lengths)
    return out


def _total_time(step_time: NDArray[np.float64], step_count: NDArray[Any], rows: NDArray[np.intp]) -> NDArray[np.float64]:
    """The total test time (fastnda's ``_add_total_time``): each record's step time plus the longest step time
    of every step (count) numbered below its own; ``step_count`` per run-info record at ``rows``."""
    changes = np.flatnonzero(step_count[1:] != step_count[:-1]) + 1
    starts = rows[np.r_[0, changes]]
    longest_s = np.maximum.reduceat(step_time, starts)
    counts, which = np.unique(step_count[np.r_[0, changes]], return_inverse=True)
    per_count = np.full(counts.size, -np.inf)
    np.maximum.at(per_count, which, longest_s)
    before_s = np.cumsum(np.r_[0.0, per_count[:-1]])
    total_s: NDArray[np.float64] = np.add(step_time, np.repeat(before_s[which], np.diff(starts, append=step_time.size)))
    return total_s


def _cumsum_within_runs(terms: list[NDArray[np.float64]], starts: NDArray[np.intp],
                        lengths: NDArray[np.intp]) -> list[NDArray[np.float64]]:
    """The running sum of each of ``terms`` within each run of rows (``starts``, ``lengths``: consecutive runs
    covering every row), added up in row order from the run's first row, as a sequential cumulative sum
    adds (polars' ``cum_sum().over(run)``, bit for bit), without a loop over the runs.

    The runs are laid side by side as the rows of a zero-padded matrix, which numpy accumulates row by
    row; runs of very different lengths are padded in classes of lengths within a factor of two.
    """
    n, count = terms[0].size, starts.size
    width = int(lengths.max())
    if count * width > 4 * n + 4096:
        out = [np.empty(n) for _ in terms]
        classes = np.ceil(np.log2(lengths)).astype(np.intp)
        for length_class in np.unique(classes):
            chosen = np.flatnonzero(classes == length_class)
            sizes = lengths[chosen]
            offsets = np.cumsum(sizes) - sizes
            rows = np.arange(int(sizes.sum())) + np.repeat(starts[chosen] - offsets, sizes)
            for whole, part in zip(out, _cumsum_within_runs([term[rows] for term in terms], offsets, sizes)):
                whole[rows] = part
        return out
    flat = np.arange(n) + np.repeat(np.arange(count) * width - starts, lengths)  # row -> place in the matrix
    padded, summed = np.zeros((count, width)), np.empty((count, width))
    sums = []
    for term in terms:
        padded.ravel()[flat] = term  # the padding stays 0
        np.cumsum(padded, axis=1, out=summed)
        sums.append(summed.ravel()[flat])
    return sums


def _check_plausible(path: Path, columns: Columns, notes: list[str]) -> None:
    """Refuse what no instrument recorded (a damaged version byte, misaligned records); note lost records.

    Neware numbers its records 1, 2, 3, ...: a gap is records lost (noted); indices out of order, or
    spread far wider than the rows, are not records at all (refused).
    """
    for name, limit, unit in (("voltage_V", _MAX_VOLTAGE_V, "V"), ("current_mA", _MAX_CURRENT_mA, "mA")):
        values = columns[name]
        if values.min() >= -limit and values.max() <= limit:  # False for NaN
            continue
        row = int(np.argmax(~(np.abs(values) <= limit)))
        raise ReadError(path, f"{name} decodes as {values[row]:.6g} {unit} at data row {row + 1}, beyond any "
                        f"Neware channel (damaged file or unknown layout)", expected=f"|{name}| <= {limit:g}")
    index = columns["index"]
    falls = index[1:] <= index[:-1]
    if falls.any():
        row = int(np.argmax(falls)) + 2
        raise ReadError(path, f"the record index falls from {index[row - 2]} to {index[row - 1]} at data row {row}",
                        expected="records numbered in order (an undamaged file)")
    first, last = int(index[0]), int(index[-1])
    missing = last - index.size
    if missing > index.size or first < 1:
        raise ReadError(path, f"the record indices run from {first} to {last} over {index.size} rows: not "
                        "Neware's running record number (damaged file or unknown layout)",
                        expected="records numbered 1, 2, 3, ...")
    if missing:
        gaps = np.flatnonzero(np.diff(index) > 1)
        where = f"before record {index[0]}" if index[0] > 1 else ""
        if gaps.size:
            where += (" and " if where else "") + f"at {gaps.size} place(s), first after record {index[gaps[0]]}"
        notes.append(f"{missing} records are missing from the file: the record index skips {where}")


def _binary_record(path: Path, frame: Columns, aux: dict[str, NDArray[Any]], notes: list[str],
                   instrument: str) -> Record:
    """Canonical columns from fastnda's columns (see the module docstring)."""
    time_s = monotonic_time(path, frame["total_time_s"], "Neware total test time", notes)
    if "unix_time_s" in frame:
        _note_wall_clock(frame["unix_time_s"], time_s, notes)
    step = frame["step_count"]
    current = frame["current_mA"]  # as fastnda gives them (float32): Record makes float64 copies
    step_time = frame["step_time_s"] if "step_time_s" in frame else _time_in_step(time_s, step)
    capacity = frame["capacity_mAh"]
    restarts = counters_restart(capacity, step, current, step_time)
    if not restarts:
        notes.append(_NO_RESTART)
    columns: dict[str, NDArray[Any]] = {
        "time_s": time_s,
        "voltage_V": frame["voltage_V"],
        "current_mA": current,
        "step": step,
        "capacity_mAh": per_step(capacity, step, restarts),
    }
    # fastnda logs this when the file has no cycle counter and it derived one itself
    if "raw cycle column missing" in " ".join(notes).lower():
        notes.append("the file has no cycle counter of its own; cycle_instrument is absent")
    else:
        columns["cycle"] = frame["cycle_count"]
    columns.update(_temperature_first(aux, notes))
    columns["step_type"] = _step_type_names(frame["step_type"])
    columns["step_index"] = frame["step_index"]
    columns["step_time_s"] = step_time
    if "energy_mWh" in frame:
        columns["energy_mWh"] = per_step(frame["energy_mWh"], step, restarts)
    if "unix_time_s" in frame:
        columns["unix_time_s"] = frame["unix_time_s"]
    return Record.from_columns(columns, provenance=Provenance(
        instrument=instrument, techniques=("cycling",), notes=tuple(notes), reader_version=reader_version("fastnda"),
    ))


def _time_in_step(time_s: NDArray[np.float64], step: NDArray[Any]) -> NDArray[np.float64]:
    starts = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
    return time_s - np.repeat(time_s[starts], np.diff(np.r_[starts, time_s.size]))


def _note_wall_clock(unix_time_s: NDArray[np.float64], time_s: NDArray[np.float64], notes: list[str]) -> None:
    backwards = np.flatnonzero(unix_time_s[1:] < unix_time_s[:-1])
    if backwards.size:
        largest = float(np.max(unix_time_s[backwards] - unix_time_s[backwards + 1]))
        notes.append(f"the absolute clock (unix_time_s) jumps backwards at {backwards.size} row(s), by up to "
                     f"{largest:.6g} s; time_s uses the test time, which does not")
    wall_span = float(unix_time_s[-1] - unix_time_s[0])
    if wall_span - time_s[-1] > max(60.0, 0.001 * time_s[-1]):
        notes.append(f"wall-clock span {wall_span:.0f} s exceeds the test time {time_s[-1]:.0f} s "
                     "(pauses are not counted in time_s)")


def _step_type_names(codes: NDArray[np.integer]) -> NDArray[np.str_]:
    """Neware step-type codes -> names (CC_Chg, Rest, ...), one lookup per code present, spread over
    each run of equal codes."""
    from fastnda.dicts import STEP_TYPE_MAP

    starts = run_starts(codes)
    present, which = np.unique(codes[starts], return_inverse=True)
    names = np.array([STEP_TYPE_MAP.get(int(code), f"Type{int(code)}") for code in present], dtype=str)
    # repeated as rows of UCS-4 code units: a copy per row (np.repeat of a str array is ~4x slower)
    units = names.view(np.uint32).reshape(names.size, -1)
    return np.repeat(units[which], np.diff(starts, append=codes.size), axis=0).view(names.dtype).ravel()


def _temperature_first(aux: dict[str, NDArray[Any]], notes: list[str]) -> dict[str, NDArray[Any]]:
    """Aux columns, with the first temperature channel renamed ``temperature_C``."""
    columns = dict(aux)
    first = next((name for name in aux if name.endswith("_temperature_C")), None)
    if first is not None:
        columns = {("temperature_C" if name == first else name): values for name, values in aux.items()}
        notes.append(f"temperature_C is the auxiliary column {first}")
    return columns


def _aux_from_fastnda(columns: Columns) -> dict[str, NDArray[Any]]:
    """fastnda's aux columns (``aux1_temperature_degC`` ...) under our unit spelling."""
    return {_aux_name(name): values.astype(np.float64) for name, values in columns.items() if name.startswith("aux")}


def _aux_name(name: str) -> str:
    name = name.replace("_degC", "_C").replace("?", "unknown")
    return re.sub(r"[^0-9A-Za-z_%]+", "_", name)


_AUX_MEMBER = re.compile(r"^data_AUX_(\d+)_(\d+)_(\d+)\.ndc$")
_AUX_ENTRY = re.compile(r"<Aux\d+\s([^>]*)/?>")
_AUX_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def _aux_from_ndax(path: Path, members: dict[str, bytes], test_info: str, index: NDArray[Any],
                   notes: list[str]) -> dict[str, NDArray[Any]] | None:
    """Aux channels of an .ndax, each matched to its TestInfo.xml entry; None to use fastnda's.

    fastnda pairs aux files with TestInfo entries by sorting file names, which mislabels
    20260302_IFE_BTS85_2_9_8_1.ndax (its aux "voltage" is a temperature and its "temperature" the
    unconnected voltage input). In every file seen, ``data_AUX_<RealChlID>_<ChlType - 100>_<n>.ndc``
    names the entry it belongs to; we pair by that and fall back to fastnda when it does not hold.
    """
    from fastnda.dicts import AUX_CHL_MAP, AUX_CHL_SCALE_MAP

    entries = [dict(_AUX_ATTRIBUTE.findall(match)) for match in _AUX_ENTRY.findall(test_info)]
    columns: dict[str, NDArray[Any]] = {}
    with library_messages("fastnda") as messages:
        pairs = _match_aux_members([name for name in members if name.startswith("data_AUX_")], entries)
        if pairs is None:
            notes.append("auxiliary channels could not be matched to TestInfo.xml; names as assigned by fastnda")
            return None
        for member, entry in pairs:
            table = _decode_member(path, member, members[member])
            _check_member_index(path, member, table, index)
            channel_type = int(entry["ChlType"])
            for name in (name for name in table.columns if name != "index"):
                unnamed = name == "?"  # the channel type says what an unnamed value is
                kind = AUX_CHL_MAP.get(channel_type, f"type{channel_type}") if unnamed else name
                scale = AUX_CHL_SCALE_MAP.get(channel_type, 1) if unnamed else 1
                column = _aux_name(f"aux{entry.get('AuxID', '')}_{kind}")
                while column in columns:
                    column += "_"
                columns[column] = _align(index, table["index"].to_numpy(), table[name].to_numpy() * scale)
    notes.extend(f"fastnda: {one_line(message)}" for message in dict.fromkeys(messages))
    return columns


def _match_aux_members(members: list[str], entries: list[dict[str, str]]) -> list[tuple[str, dict[str, str]]] | None:
    """(member, TestInfo entry) in AuxID order, or None when a member has no unique entry."""
    pairs = []
    for member in members:
        match = _AUX_MEMBER.match(member)
        if match is None:
            return None
        channel, type_code = match.group(1), int(match.group(2))
        found = [entry for entry in entries if entry.get("RealChlID") == channel
                 and entry.get("ChlType", "").isdigit() and int(entry["ChlType"]) - 100 == type_code]
        if len(found) != 1:
            return None
        pairs.append((member, found[0]))
    return sorted(pairs, key=lambda pair: (int(pair[1].get("AuxID", "0") or 0), pair[0]))


def _align(index: NDArray[Any], aux_index: NDArray[Any], values: NDArray[Any]) -> NDArray[np.float64]:
    """Aux values placed on the main rows with the same record index (NaN where none)."""
    if np.array_equal(aux_index, index):  # one aux record per main record, as usual: no search
        return np.asarray(values, dtype=np.float64)
    out = np.full(index.size, np.nan)
    position = np.searchsorted(index, aux_index)
    inside = position < index.size
    hit = np.zeros(aux_index.size, dtype=bool)
    hit[inside] = index[position[inside]] == aux_index[inside]
    out[position[hit]] = values[hit]
    return out

