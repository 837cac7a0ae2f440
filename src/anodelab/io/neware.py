"""Neware BTS binary readers: ``.nda`` / ``.ndax`` decoded by fastnda, with their layout, CRC and index checks.

The BTS CSV exports are read by :mod:`anodelab.io.neware_csv`, which shares this module's
:func:`counters_restart` and :func:`per_step`.

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
from anodelab.io.common import (
    check_zip_member,
    library_messages,
    monotonic_time,
    one_line,
    reader_version,
)

if TYPE_CHECKING:
    import polars as pl

NDA_EXPECTED = "a Neware BTS .nda file (starts with 'NEWARE')"
NDAX_EXPECTED = "a Neware BTS .ndax file (a zip archive holding data.ndc)"
_BTS9_VERSIONS = (129, 130)
_NDC_PAGE_BYTES = 4096  #: pages of .ndc version 5 and after
#: beyond any Neware channel: a decode outside these is garbage (a damaged version byte, misaligned records)
_MAX_VOLTAGE_V = 1000.0
_MAX_CURRENT_mA = 2e6
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
    frame, notes = _decode_with_fastnda(path, ".nda")
    if nda_version in _BTS9_VERSIONS:
        _check_declared_rows(path, frame.height, record_bytes)
    else:
        _note_misaligned_records(path, nda_version, notes)
    aux = _aux_from_fastnda(frame)
    return _binary_record(path, frame, aux, notes, f"Neware BTS (.nda version {nda_version})")


def read_ndax(path: Path) -> Record:
    """Read a Neware ``.ndax`` file (BTS 8.x / 9.x) through fastnda."""
    import fastnda.ndax  # noqa: F401 - read below anyway; puts isal's faster inflater (if installed) in zlib's place

    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except Exception as error:  # noqa: BLE001 - see _check_ndax_layout
        raise ReadError(path, f"not a readable zip archive ({one_line(error)})", expected=NDAX_EXPECTED) from None
    with archive:  # opened once for every check of ours (fastnda opens it itself)
        test_info = _check_ndax_layout(path, archive)
        frame, notes = _decode_with_fastnda(path, ".ndax")
        index = frame["index"].to_numpy()
        aux = _aux_from_ndax(path, archive, test_info, index, notes)
        if "data_runInfo.ndc" in archive.NameToInfo:
            with library_messages("fastnda"):  # fastnda said what it had to say about this member when it read it
                run_info = _read_member(path, archive, "data_runInfo.ndc", last_page=True)
            _check_member_index(path, "data_runInfo.ndc", run_info, index)
    if aux is None:
        aux = _aux_from_fastnda(frame)
    if "unix_time_s" in frame.columns:
        _note_stop_time(test_info, frame["unix_time_s"].to_numpy(), notes)
    return _binary_record(path, frame, aux, notes, "Neware BTS (.ndax)")


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


def _check_ndax_layout(path: Path, archive: zipfile.ZipFile) -> str:
    """No member inflates beyond a sane bound, every .ndc member passes :func:`_check_ndc_pages`, and
    TestInfo.xml (returned, '' if absent) decodes."""
    members = archive.NameToInfo
    try:
        for info in members.values():
            check_zip_member(path, info, "Neware")  # zipfile stops at the declared size
        if "data.ndc" not in members:
            raise ReadError(path, "the archive holds no data.ndc", expected=NDAX_EXPECTED)
        for info in members.values():
            if info.filename.lower().endswith(".ndc"):
                _check_ndc_pages(path, archive, info)
        test_info = archive.read("TestInfo.xml") if "TestInfo.xml" in members else b""
    except ReadError:
        raise
    except Exception as error:  # noqa: BLE001 - zipfile and the inflater fastnda installs in zlib's place (isal,
        # optional) raise assorted types on damaged archives; each becomes a ReadError naming the file
        raise ReadError(path, f"not a readable zip archive ({one_line(error)})", expected=NDAX_EXPECTED) from None
    return test_info.decode("gb2312", errors="replace")


def _check_ndc_pages(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """An .ndc member is whole pages (fastnda decodes whole pages and ignores the rest: 512 bytes for .ndc
    versions 1-4, 4096 after) and each 4096-byte page after the header page ends with the CRC-32 of its
    other 4092 bytes (in every page of every real file: versions 5, 14 and 17; the header page stores 0).
    Read 64 pages at a time. No file of versions 1-4 has been seen: their pages are not checksummed."""
    with archive.open(info) as member:
        block = member.read(_NDC_PAGE_BYTES)
        page = 512 if len(block) > 2 and block[2] <= 4 else _NDC_PAGE_BYTES
        if info.file_size % page:
            raise ReadError(path, f"{info.filename} is cut: {info.file_size} bytes is not a whole number of "
                            f"{page}-byte pages", expected="a complete .ndax file")
        number = 1  # of the first page in the block
        while page == _NDC_PAGE_BYTES and (block := member.read(64 * page)):
            view = memoryview(block)
            for start in range(0, len(block), page):
                stored = int.from_bytes(view[start + page - 4:start + page], "little")
                if zlib.crc32(view[start:start + page - 4]) != stored:
                    raise ReadError(path, f"{info.filename} page {number + start // page} fails its CRC-32 (the "
                                    "file is damaged)", expected="an undamaged .ndax file")
            number += len(block) // page


def _read_member(path: Path, archive: zipfile.ZipFile, member: str, *, last_page: bool = False) -> pl.DataFrame:
    """One .ndc member decoded by fastnda (its documented entry point for single members); with
    ``last_page``, only the records of its last written page (records are in index order: enough for
    :func:`_check_member_index`, at a fraction of the cost)."""
    from fastnda._ndc import read_ndc

    try:
        raw = archive.read(member)
        return read_ndc(_header_and_last_page(raw) if last_page else raw)
    except Exception as error:  # noqa: BLE001 - fastnda's .ndc decoder and zipfile raise assorted types on
        # damaged members; each becomes a ReadError naming the file
        raise ReadError(path, f"{member} could not be decoded ({one_line(error)})", expected=NDAX_EXPECTED) from None


def _header_and_last_page(raw: bytes) -> bytes:
    """An .ndc member cut to its header page and its last page holding any bytes (members are
    preallocated: the pages after the written ones are zero); page sizes as in :func:`_check_ndc_pages`."""
    page = 512 if len(raw) > 2 and raw[2] <= 4 else 4096
    pages = np.frombuffer(raw, dtype=np.uint8, count=len(raw) // page * page).reshape(-1, page)
    written = np.flatnonzero(pages[1:].any(axis=1))
    if written.size == 0:
        return raw[:page]
    last = (int(written[-1]) + 1) * page
    return raw[:page] + raw[last:last + page]


def _check_member_index(path: Path, member: str, table: pl.DataFrame, index: NDArray[Any]) -> None:
    """Members (run info, aux channels) refer to records of data.ndc; one beyond its last record means
    data.ndc was cut."""
    last = int(index[-1])
    if "index" in table.columns and table.height and (referred := int(table["index"].max())) > last:
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


def _decode_with_fastnda(path: Path, suffix: str) -> tuple[pl.DataFrame, list[str]]:
    """fastnda's frame (raw cycle counter, integer step types) and the notes it emitted."""
    import fastnda

    if path.suffix.lower() != suffix:
        # fastnda picks its decoder by the file name's extension
        raise ReadError(path, f"the content is a Neware {suffix} file but the name ends in {path.suffix!r}; "
                        f"rename it to *{suffix}", expected=f"a file named *{suffix}")
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
    _check_plausible(path, frame, notes)
    return frame, notes


def _check_plausible(path: Path, frame: pl.DataFrame, notes: list[str]) -> None:
    """Refuse what no instrument recorded (a damaged version byte, misaligned records); note lost records.

    Neware numbers its records 1, 2, 3, ...: a gap is records lost (noted); indices out of order, or
    spread far wider than the rows, are not records at all (refused).
    """
    for name, limit, unit in (("voltage_V", _MAX_VOLTAGE_V, "V"), ("current_mA", _MAX_CURRENT_mA, "mA")):
        values = frame[name].to_numpy()
        if values.min() >= -limit and values.max() <= limit:  # False for NaN
            continue
        row = int(np.argmax(~(np.abs(values) <= limit)))
        raise ReadError(path, f"{name} decodes as {values[row]:.6g} {unit} at data row {row + 1}, beyond any "
                        f"Neware channel (damaged file or unknown layout)", expected=f"|{name}| <= {limit:g}")
    index = frame["index"].to_numpy()
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


def _binary_record(path: Path, frame: pl.DataFrame, aux: dict[str, NDArray[Any]], notes: list[str],
                   instrument: str) -> Record:
    """Canonical columns from fastnda's frame (see the module docstring)."""
    time_s = monotonic_time(path, frame["total_time_s"].to_numpy(), "Neware total test time", notes)
    if "unix_time_s" in frame.columns:
        _note_wall_clock(frame["unix_time_s"].to_numpy(), time_s, notes)
    step = frame["step_count"].to_numpy()
    current = frame["current_mA"].to_numpy()  # as fastnda gives them (float32): Record makes float64 copies
    step_time = frame["step_time_s"].to_numpy() if "step_time_s" in frame.columns else _time_in_step(time_s, step)
    capacity = frame["capacity_mAh"].to_numpy()
    restarts = counters_restart(capacity, step, current, step_time)
    if not restarts:
        notes.append(_NO_RESTART)
    columns: dict[str, NDArray[Any]] = {
        "time_s": time_s,
        "voltage_V": frame["voltage_V"].to_numpy(),
        "current_mA": current,
        "step": step,
        "capacity_mAh": per_step(capacity, step, restarts),
    }
    # fastnda logs this when the file has no cycle counter and it derived one itself
    if "raw cycle column missing" in " ".join(notes).lower():
        notes.append("the file has no cycle counter of its own; cycle_instrument is absent")
    else:
        columns["cycle"] = frame["cycle_count"].to_numpy()
    columns.update(_temperature_first(aux, notes))
    columns["step_type"] = _step_type_names(frame["step_type"].to_numpy())
    columns["step_index"] = frame["step_index"].to_numpy()
    columns["step_time_s"] = step_time
    if "energy_mWh" in frame.columns:
        columns["energy_mWh"] = per_step(frame["energy_mWh"].to_numpy(), step, restarts)
    if "unix_time_s" in frame.columns:
        columns["unix_time_s"] = frame["unix_time_s"].to_numpy()
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


def _aux_from_fastnda(frame: pl.DataFrame) -> dict[str, NDArray[Any]]:
    """fastnda's aux columns (``aux1_temperature_degC`` ...) under our unit spelling."""
    return {_aux_name(name): frame[name].to_numpy().astype(np.float64)
            for name in frame.columns if name.startswith("aux")}


def _aux_name(name: str) -> str:
    name = name.replace("_degC", "_C").replace("?", "unknown")
    return re.sub(r"[^0-9A-Za-z_%]+", "_", name)


_AUX_MEMBER = re.compile(r"^data_AUX_(\d+)_(\d+)_(\d+)\.ndc$")
_AUX_ENTRY = re.compile(r"<Aux\d+\s([^>]*)/?>")
_AUX_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def _aux_from_ndax(path: Path, archive: zipfile.ZipFile, test_info: str, index: NDArray[Any],
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
        pairs = _match_aux_members([name for name in archive.namelist() if name.startswith("data_AUX_")], entries)
        if pairs is None:
            notes.append("auxiliary channels could not be matched to TestInfo.xml; names as assigned by fastnda")
            return None
        for member, entry in pairs:
            table = _read_member(path, archive, member)
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

