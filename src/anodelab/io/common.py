"""Helpers shared by the text readers: decoding, header lines, and fast numeric tables."""

from __future__ import annotations

import csv
import logging
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab._version import __version__
from anodelab.core.errors import ReadError

HEAD_BYTES = 65536
#: a zip member (.ndax, .xlsx) may inflate to at most this plus 256x its compressed size (real members:
#: <= 200x); checked on the declared sizes before anything is decompressed
ZIP_MEMBER_BYTES = 64 << 20
ZIP_XML_BYTES = 16 << 20  # an XML member: a few kB in .ndax, megabytes for a large worksheet
ZIP_RATIO = 256


def decode(raw: bytes) -> str:
    """Bytes to text: UTF-8 (with or without BOM) when valid, else Windows-1252/Latin-1."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def head_text(path: Path, size: int = 65536) -> str:
    """The first ``size`` bytes of a file, decoded (a multi-byte character cut at the end is dropped)."""
    with path.open("rb") as handle:
        raw = handle.read(size)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start >= len(raw) - 3:
            return raw[: error.start].decode("utf-8-sig")
        return decode(raw)


def require_text(path: Path, raw: bytes, expected: str) -> None:
    """Refuse binary content (NUL bytes) in a file a text reader was asked to parse."""
    if b"\x00" in raw[:65536]:
        raise ReadError(path, "binary content where text was expected", expected=expected)


@dataclass(frozen=True)
class Table:
    """Columns of a delimited table: name -> numpy array (float64 where numeric, else str)."""

    columns: dict[str, NDArray[Any]]
    cut_reason: str | None = None  # why the last line was dropped (see :func:`cut_short`); None: nothing dropped

    def __len__(self) -> int:
        return next(iter(self.columns.values())).size if self.columns else 0

    @property
    def notes(self) -> list[str]:
        """What was dropped, as provenance notes."""
        return [cut_note(self.cut_reason)] if self.cut_reason else []


def cut_note(reason: str, where: str = "the last row") -> str:
    """The note for a last row dropped because :func:`cut_short` found it cut (``reason``)."""
    return f"{where} was cut short ({reason}: the file ends without a newline) and is dropped"


def read_delimited(
    path: Path,
    names: list[str],
    *,
    skip_lines: int,
    separator: str,
    decimal_comma: bool = False,
    expected: str = "a delimited table",
    quote_char: str | None = '"',
) -> Table:
    """Parse the rows of a delimited text table with polars (multi-threaded, zero-copy to numpy).

    ``names`` are the column names (already decoded from the header by the caller), ``skip_lines``
    the number of lines before the first data row. Empty trailing names (a separator at the end of
    the header line) are dropped. Every line after ``skip_lines`` must become one row: a quote that
    opens a field running over lines (a stray ``"``) would join them and lose rows, so the file is
    refused. Blank (whitespace-only) lines at the end are not rows. A last line without a newline
    after it that :func:`cut_short` finds cut is dropped, its reason in ``cut_reason``; a complete
    one is kept. ``quote_char=None`` for formats that never quote: a stray quote then stays in its
    field.
    """
    import polars as pl

    while names and names[-1].strip() == "":
        names = names[:-1]
    if not names:
        raise ReadError(path, "no column names in the header", expected=expected)
    names = unique_names(names)
    options: dict[str, Any] = {
        "has_header": False,
        "skip_lines": skip_lines,  # raw lines: a quote in a header comment must not open a field
        "separator": separator,
        "decimal_comma": decimal_comma,
        "encoding": "utf8-lossy",
        "truncate_ragged_lines": True,
        "missing_columns": "insert",
        "new_columns": names,
        "quote_char": quote_char,
    }
    try:
        try:
            frame = pl.read_csv(path, infer_schema_length=20000, **options)
        except pl.exceptions.ComputeError:
            # a column that looked like integers for 20k rows and then holds "1e+06": infer from all rows
            frame = pl.read_csv(path, infer_schema_length=None, **options)
    except (pl.exceptions.PolarsError, OSError) as error:  # polars' own types, and the file's; name the file instead
        raise ReadError(path, f"table could not be parsed ({one_line(error)})", expected=expected) from None
    lines = _data_lines(path, skip_lines)
    if frame.height != lines.count:
        raise ReadError(path, f"{frame.height} rows were parsed from {lines.count} lines{_joined(frame)}",
                        expected=f"{expected}, one row per line")
    frame = frame.select(names[: frame.width]) if frame.width > len(names) else frame
    kept, reason = kept_rows(lines, len(names), separator, quote_char, decimal_comma)
    return Table(frame_columns(frame.head(kept)), reason)


def kept_rows(lines: _DataLines, width: int, separator: str, quote_char: str | None,
              decimal_comma: bool = False) -> tuple[int, str | None]:
    """How many of the data ``lines`` are rows, and why the last line was dropped (None: it was not).

    Blank (whitespace-only) lines at the end are not rows; a last line without a newline after it
    that :func:`cut_short` finds cut is dropped (``width``: the number of column names).
    """
    count = lines.count
    tail = lines.tail_lines()
    while tail and not tail[-1].strip() and count:
        tail.pop()
        count -= 1
    reason = None
    if count and not lines.ends_with_newline:
        last, previous = _tail_rows(tail, separator, quote_char)
        reason = cut_short(last, len(previous[-1]) if previous else width, previous, decimal_comma)
        if reason:
            count -= 1
    return count, reason


def frame_columns(frame: Any, text: frozenset[str] = frozenset()) -> dict[str, NDArray[Any]]:
    """A parsed polars frame as numpy columns: float64 where numeric (text columns whose every value is
    a number included; NaN where empty), else the text as parsed; the columns in ``text`` stay text."""
    import polars as pl

    columns: dict[str, NDArray[Any]] = {}
    for name, series in zip(frame.columns, frame.get_columns()):
        if name in text:
            columns[name] = series.cast(pl.String).to_numpy()
        elif series.dtype.is_numeric():
            columns[name] = series.cast(pl.Float64).to_numpy()
        elif series.dtype == pl.String:
            numeric = series.str.strip_chars().cast(pl.Float64, strict=False)
            if numeric.null_count() == series.null_count() and series.len() > series.null_count():
                columns[name] = numeric.to_numpy()
            else:
                columns[name] = series.to_numpy()
        elif series.dtype == pl.Null:
            columns[name] = np.full(series.len(), np.nan)
        else:
            columns[name] = series.to_numpy()
    return columns


_BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class _DataLines:
    """The lines of a file after its header lines, as :func:`_data_lines` counts them."""

    count: int  # every line a parser makes a row of: each ended by a newline, and a last one without
    tail: bytes  # the last :data:`HEAD_BYTES` of them (from a line start)
    ends_with_newline: bool

    def tail_lines(self) -> list[bytes]:
        """The tail's lines, CR stripped (none after the final newline)."""
        lines = [line.rstrip(b"\r") for line in self.tail.split(b"\n")]
        return lines[:-1] if self.tail.endswith(b"\n") else lines


def _data_lines(path: Path, skip_lines: int) -> _DataLines:
    """Count the lines after the first ``skip_lines``, reading the file in 1 MiB blocks (bounded memory),
    and keep the last 64 KiB of them."""
    count = 0
    skipped = 0
    tail = b""
    started = skip_lines == 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            begin = 0
            while not started:
                found = block.find(b"\n", begin)
                if found < 0:
                    break
                begin, skipped = found + 1, skipped + 1
                started = skipped == skip_lines
            if not started:
                continue
            data = block[begin:]
            count += data.count(b"\n")
            tail = (tail + data)[-(HEAD_BYTES + 1):]
    ends_with_newline = tail.endswith((b"\n", b"\r"))
    count += bool(tail) and not tail.endswith(b"\n")
    if len(tail) > HEAD_BYTES:  # it may start mid-line: from the first line start on
        tail = tail[tail.find(b"\n") + 1:] if tail[0:1] != b"\n" else tail[1:]
    return _DataLines(count, tail, ends_with_newline)


def _joined(frame: Any) -> str:
    """Where the parser joined lines: the first data row holding a line break (a quoted field over lines)."""
    import polars as pl

    for series in frame.get_columns():
        if series.dtype == pl.String:
            rows = series.str.contains("\n", literal=True).fill_null(False).arg_true()
            if rows.len():
                return (f": a quote opens a field that runs over lines from data row {int(rows[0]) + 1} "
                        "(a stray '\"'?), which would join them into one row")
    return ""


def _tail_rows(tail: list[bytes], separator: str, quote_char: str | None) -> tuple[list[str], list[list[str]]]:
    """Fields of the file's last line and of up to 50 non-blank data lines before it."""
    rows = [_split(decode(line), separator, quote_char) for line in tail[-51:]]
    return rows[-1], [row for row in rows[:-1] if "".join(row).strip()][-50:]


def _split(line: str, separator: str, quote_char: str | None) -> list[str]:
    """Fields of one line, quotes as polars reads them; plain split where the csv module gives up (NUL, CR)."""
    if quote_char is None or quote_char not in line:
        return line.split(separator)
    try:
        return next(csv.reader([line], delimiter=separator, quotechar=quote_char), [])
    except csv.Error:
        return line.split(separator)


def cut_short(fields: Sequence[str], width: int, previous: Sequence[Sequence[str]],
              decimal_comma: bool = False) -> str | None:
    """Why the last line of a file, which has no newline after it, was cut short; None when complete.

    ``fields`` are its fields, ``width`` the field count of a complete row, ``previous`` the fields
    of earlier rows (a few dozen suffice, at least 3). Only the last field can be cut mid-token (a
    separator follows every other one), so the line is cut when it has fewer than ``width`` fields,
    or when its last field is

    - empty where every earlier row holds a value;
    - in a column of numbers: not a number, or short of the fixed format every earlier value has
      (fewer decimals than all of them, a shorter exponent, or, for integers, fewer characters:
      ``1.2345E+0`` cut from ``1.2345E+01``);
    - in a text column: a proper prefix of a value seen there and not itself one (``char`` of
      ``charge``; ``rest`` after ``charge`` is a value).

    A cut that leaves a value like the others (``12.3`` of ``12.34`` among varying decimals) cannot
    be seen and is kept.
    """
    if len(fields) < width:
        return f"it has {len(fields)} of {width} fields"
    token = fields[-1].strip()
    column = [row[len(fields) - 1].strip() for row in previous if len(row) >= len(fields)]
    if len(column) < 3:
        return None
    if not token:
        return "its last field is empty" if all(column) else None
    if not all(is_number(value, decimal_comma) for value in column):
        seen = set(column)
        if token not in seen and any(value.startswith(token) for value in seen):
            return f"its last field {token!r} is the start of a value seen in that column"
        return None
    if not is_number(token, decimal_comma):
        return f"its last field {token!r} is not a number"
    shapes = {_shape(value) for value in column}
    if len(shapes) == 1:
        decimals, exponent, integer_width = shapes.pop()
        got = _shape(token)
        if got[0] < decimals or got[1] < exponent or (integer_width and got[2] and got[2] < integer_width):
            return (f"its last field {token!r} is short of the fixed format of the {len(column)} values before it "
                    f"(like {column[-1]!r})")
    return None


def _shape(number: str) -> tuple[int, int, int]:
    """The format of a number's text: decimals, exponent length, and for an integer its width (else 0)."""
    mantissa, _, exponent = number.lstrip("+-").replace(",", ".").lower().partition("e")
    whole, point, decimals = mantissa.partition(".")
    return len(decimals), len(exponent), 0 if point or exponent else len(whole)


def is_number(text: str, decimal_comma: bool = False) -> bool:
    """Whether ``float`` reads ``text`` (``,`` as the decimal point when ``decimal_comma``)."""
    try:
        float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return False
    return True


_COMMA_NUMBER = re.compile(r"[-+]?\d*,\d+([eE][-+]?\d+)?")
_POINT_NUMBER = re.compile(r"[-+]?\d*\.\d+([eE][-+]?\d+)?")


def uses_decimal_comma(fields: Iterable[str]) -> bool:
    """Whether data fields write numbers with a decimal comma: some like ``3,4567`` and none like ``3.4567``
    (among those, ``1,234`` is a thousands separator)."""
    comma = False
    for value in fields:
        value = value.strip()
        if _POINT_NUMBER.fullmatch(value):
            return False
        comma = comma or _COMMA_NUMBER.fullmatch(value) is not None
    return comma


def text_series(values: NDArray[Any]) -> Any:
    """A column as a polars String series, not a fixed-width numpy str array as wide as its longest field
    (an object array, of None, text or numbers, goes through a list: polars cannot cast it)."""
    import polars as pl

    values = np.asarray(values)
    if values.dtype.kind == "O":
        return pl.Series(values.tolist(), dtype=pl.String, strict=False)
    return pl.Series(values, dtype=pl.String)


def one_line(error: BaseException | str, limit: int = 300) -> str:
    """An exception (``Type: message``) or a library message on one line (some span several), at most
    ``limit`` characters (polars' run to kilobytes)."""
    text = " ".join((error if isinstance(error, str) else f"{type(error).__name__}: {error}").split())
    return text if len(text) <= limit else text[: limit - 4] + " ..."


def unique_names(names: Sequence[str]) -> list[str]:
    """Names as :func:`read_delimited` keys them: stripped, duplicates suffixed ``_1``, ``_2``;
    empty names become ``column_<n>`` (a trailing separator makes an all-empty column, dropped later)."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(names):
        name = name.strip() or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out

def read_lines_head(path: Path, expected: str) -> tuple[list[str], bool]:
    """The first 64 KiB as lines (a cut last line dropped) and whether that is the whole file."""
    with path.open("rb") as handle:
        raw = handle.read(HEAD_BYTES + 1)
    require_text(path, raw, expected)
    whole = len(raw) <= HEAD_BYTES
    raw = raw[:HEAD_BYTES]
    lines = decode(raw).split("\n")
    if not whole:
        lines = lines[:-1]
    return [line.rstrip("\r") for line in lines], whole


def finite_column(path: Path, name: str, values: NDArray[Any], expected: str) -> NDArray[np.float64]:
    """``values`` as float64, or a :class:`ReadError` naming the column and the first row that is
    missing or not a number."""
    if values.dtype.kind not in "fiub":
        raise ReadError(path, f"column {name!r} is not numeric", expected=expected)
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite values are reported just below
        array = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise ReadError(path, f"column {name!r} has a missing or non-numeric value in data row {row}",
                        expected=expected)
    return array


def note_point_index(name: str, index: NDArray[Any], notes: list[str], may_repeat: NDArray[np.bool_] | None = None,
                     *, first: float | None = None, may_restart: NDArray[np.bool_] | None = None) -> None:
    """Note what a point index that numbers the instrument's records 1, 2, 3, ... (Arbin Data_Point,
    Neware DataPoint, Maccor Rec#, NOVA Index, Gamry Pt) shows about the rows read.

    A skip is records the file does not hold: inside a stretch of consecutive records it is noted as
    rows lost (or thinned by the export), between isolated records as records an export left out (or
    rows lost); so is a first row above ``first`` (the number of the first record, when the format
    fixes it). A repeat (outside the rows ``may_repeat`` marks, which may share the previous row's
    index) is a row duplicated; a step back, rows repeated or out of order, except a restart at the
    first number on the rows ``may_restart`` marks (a new scan). Empty cells are noted too.
    """
    check = PointIndexNotes(name, first)
    check.update(index, may_repeat, may_restart)
    notes.extend(check.notes())


@dataclass
class _Tally:
    """Places a point index does something (skips, repeats, goes back): how many, how many records, the first."""

    places: int = 0
    records: float = 0.0
    first: float | None = None

    def add(self, where: NDArray[np.bool_], records: NDArray[np.float64] | None, at: NDArray[Any]) -> None:
        if where.any():
            self.places += int(where.sum())
            self.records += float(records[where].sum()) if records is not None else 0.0
            if self.first is None:
                self.first = float(at[int(np.argmax(where))])


class PointIndexNotes:
    """:func:`note_point_index` fed a chunk of rows at a time (:meth:`update`), its notes (:meth:`notes`)
    those of the whole column. Carried from chunk to chunk: the last numbered row and the step into it."""

    _INSIDE = "inside runs of consecutive records: rows lost, or thinned by the export"
    _BETWEEN = "between isolated records: records the export left out, or rows lost"

    def __init__(self, name: str, first: float | None = None) -> None:
        self.name, self.first = name, first
        self._rows = 0  # rows seen
        self._unknown, self._first_unknown = 0, 0
        self._start: float | None = None  # the first number
        self._last: tuple[float, int] | None = None  # the last number and its row (0-based)
        # the step into the last number, classified once the next step is known: (step, from, before consecutive)
        self._pending: tuple[float, float, bool] | None = None
        self._inside, self._between, self._repeats, self._back = _Tally(), _Tally(), _Tally(), _Tally()

    def update(self, index: NDArray[Any], may_repeat: NDArray[np.bool_] | None = None,
               may_restart: NDArray[np.bool_] | None = None) -> None:
        """The next rows' index values (and their ``may_repeat`` / ``may_restart`` marks)."""
        values = np.asarray(index, dtype=np.float64)
        known = np.isfinite(values)
        offset, self._rows = self._rows, self._rows + values.size
        if not known.all():
            if not self._unknown:
                self._first_unknown = offset + int(np.argmax(~known))
            self._unknown += int((~known).sum())
        rows = np.flatnonzero(known)
        if rows.size == 0:
            return
        points = values[rows]
        if self._start is None:
            self._start = float(points[0])
        previous = [self._last] if self._last is not None else []
        joined = np.r_[[p for p, _ in previous], points]
        at_rows = np.r_[[r for _, r in previous], rows + offset].astype(np.int64)
        self._last = (float(points[-1]), int(rows[-1]) + offset)
        steps = np.diff(joined)
        if steps.size == 0:
            return
        later = rows[len(rows) - steps.size:]  # the rows each step goes to (chunk positions)
        if may_restart is not None:
            restart = self._start if self.first is None else self.first
            steps[np.asarray(may_restart)[later] & (joined[1:] == restart)] = 1.0
        self._classify(steps, joined[:-1])
        repeats = steps == 0
        if may_repeat is not None:
            repeats &= ~np.asarray(may_repeat)[later]
        self._repeats.add(repeats, None, at_rows[1:] + 1)
        self._back.add(steps < 0, None, at_rows[1:] + 1)

    def _classify(self, steps: NDArray[np.float64], starts: NDArray[np.float64]) -> None:
        """Skips inside runs of consecutive records or between isolated ones; the last step waits for the next."""
        consecutive = (steps == 0) | (steps == 1)
        pending = self._pending
        before = np.r_[pending is not None and pending[0] in (0.0, 1.0), consecutive[:-1]]
        if pending is not None:  # the waiting step, its next now known
            self._count(np.array([pending[0]]), np.array([pending[1]]), np.array([pending[2]]), consecutive[:1])
        self._count(steps[:-1], starts[:-1], before[:-1], consecutive[1:])
        self._pending = (float(steps[-1]), float(starts[-1]), bool(before[-1]))

    def _count(self, steps: NDArray[np.float64], starts: NDArray[np.float64], before: NDArray[np.bool_],
               after: NDArray[np.bool_]) -> None:
        skips = steps > 1
        inside = skips & before & after
        self._inside.add(inside, steps - 1, starts)
        self._between.add(skips & ~inside, steps - 1, starts)

    def notes(self) -> list[str]:
        """The notes of every row given so far, as :func:`note_point_index` writes them."""
        if self._start is None:
            return []
        if self._pending is not None:
            step, start, before = self._pending
            self._count(np.array([step]), np.array([start]), np.array([before]), np.array([False]))
            self._pending = None
        name, notes = self.name, []
        if self._unknown:
            notes.append(f"{name} is empty or not a number in {self._unknown} row(s) (first at data row "
                         f"{self._first_unknown + 1}); its sequence is checked on the other rows")
        if self.first is not None and self._start > self.first:
            notes.append(f"{name} starts at {self._start:g}, not {self.first:g}: the {self._start - self.first:g} "
                         "record(s) before the first row are not in the file (rows lost, or left out by the export)")
        for tally, what in ((self._inside, self._INSIDE), (self._between, self._BETWEEN)):
            if tally.places:
                notes.append(f"{name} skips {int(tally.records)} record(s) at {tally.places} place(s) {what} (first "
                             f"after {name} {tally.first:g})")
        for tally, what in ((self._repeats, "repeats"), (self._back, "goes back")):
            if tally.places:
                notes.append(f"{name} {what} at {tally.places} row(s) (first at data row {int(tally.first or 0)}): "
                             "rows duplicated or out of order, kept as stored")
        return notes


def check_zip_member(path: Path, info: zipfile.ZipInfo, writer: str, ratio: int = ZIP_RATIO) -> None:
    """Refuse a member that would inflate far beyond any real one (a decompression bomb), from its
    declared sizes: more than :data:`ZIP_XML_BYTES` (XML) or :data:`ZIP_MEMBER_BYTES` plus ``ratio`` times
    its compressed size; or one neither stored nor deflated (as ``writer``, e.g. Neware or Excel, writes them)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ReadError(path, f"member {info.filename} uses compression method {info.compress_type}",
                        expected=f"stored or deflated members, as {writer} writes them")
    limit = ZIP_XML_BYTES if info.filename.lower().endswith(".xml") else ZIP_MEMBER_BYTES
    limit += ratio * info.compress_size
    if info.file_size > limit:
        raise ReadError(path, f"member {info.filename} would inflate {info.compress_size} bytes to {info.file_size} "
                        f"(more than the {limit}-byte bound)", expected=f"an undamaged {writer} file, not a decompression bomb")


def read_text_lines(path: Path, expected: str) -> tuple[list[str], bool]:
    """All lines of a text file (CR stripped) and whether a newline ends it; refuses binary content and
    an empty file. Without a final newline the last line may be cut short: see :func:`cut_short`."""
    with path.open("rb") as handle:
        raw = handle.read()
    if not raw:
        raise ReadError(path, "file is empty", expected=expected)
    require_text(path, raw, expected)
    return [line.rstrip("\r") for line in decode(raw).split("\n")], raw.endswith((b"\n", b"\r"))


@contextmanager
def library_messages(logger_name: str) -> Iterator[list[str]]:
    """Collect the warnings and log records (WARNING and above) a third-party reader emits.

    They end up in the provenance notes instead of on the console, and never turn into errors
    under ``-W error``.
    """
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Collect(logging.WARNING)
    logger = logging.getLogger(logger_name)
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:  # a quietened library still tells us
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        messages.extend(str(item.message) for item in caught)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def monotonic_time(path: Path, time_s: NDArray[np.float64], clock: str, notes: list[str]) -> NDArray[np.float64]:
    """Time since the first row (s) that never decreases.

    A backward jump of the instrument's clock is given zero duration (later intervals are kept)
    and reported in ``notes``; missing or non-finite times raise :class:`ReadError`.
    """
    time = MonotonicTime(path, clock)
    time.observe(time_s)
    notes.extend(time.notes())
    return time.time_s(time_s)


class MonotonicTime:
    """:func:`monotonic_time` of a clock read a chunk at a time: :meth:`observe` every chunk first (whether
    the clock ever runs back decides how every row's time is made), then :meth:`time_s` of each. Carried
    from chunk to chunk: the first row's time, the last row's, and the running sum of the intervals."""

    def __init__(self, path: Path, clock: str) -> None:
        self.path, self.clock = path, clock
        self.first: float | None = None
        self._last: float | None = None
        self._rows = 0
        self._backwards, self._first_back, self._largest = 0, 0, 0.0
        self._total = 0.0
        self._emitting = False  # time_s was called: the carry is the second pass's

    def _shifted(self, time_s: NDArray[Any]) -> NDArray[np.float64]:
        time = np.asarray(time_s, dtype=np.float64)
        if self.first is None and time.size:
            self.first = float(time[0])
        return time - self.first if self.first else time

    def observe(self, time_s: NDArray[Any]) -> None:
        """The next rows' clock readings: checked, their backward jumps counted."""
        time = np.asarray(time_s, dtype=np.float64)
        finite = np.isfinite(time)
        if not finite.all():
            raise ReadError(self.path, f"{self.clock} is missing or not a number at data row "
                            f"{self._rows + int(np.argmin(finite)) + 1}", expected="a time for every row")
        time = self._shifted(time)
        joined = time if self._last is None else np.r_[self._last, time]
        steps = np.diff(joined)
        backwards = steps < 0
        if backwards.any():
            if not self._backwards:
                self._first_back = self._rows + int(np.argmax(backwards)) + (2 if self._last is None else 1)
            self._backwards += int(backwards.sum())
            self._largest = max(self._largest, float(-steps.min()))
        self._rows += time.size
        if time.size:
            self._last = float(time[-1])

    def notes(self) -> list[str]:
        """What :func:`monotonic_time` notes of the rows observed."""
        notes = []
        if self.first:
            notes.append(f"the first row is at {self.clock} = {self.first:.6g} s; time_s counts from the first row")
        if self._backwards:
            notes.append(
                f"{self.clock} runs backwards at {self._backwards} row(s) (first at data row {self._first_back}, "
                f"largest jump {self._largest:.6g} s); each backward jump was given zero duration, so later times "
                "are shifted and time_s never decreases")
        return notes

    def time_s(self, time_s: NDArray[Any]) -> NDArray[np.float64]:
        """The next rows' time since the first row (after every row was observed, in the same chunks)."""
        time = self._shifted(time_s)
        if not self._backwards or not time.size:
            return time
        if not self._emitting:  # the first chunk of the second pass: start the sums
            self._emitting, self._last = True, None
        steps = np.diff(time if self._last is None else np.r_[self._last, time])
        steps[steps < 0] = 0.0
        if self._last is None:
            out = np.concatenate(([0.0], np.cumsum(steps)))
        else:
            out = np.cumsum(np.r_[self._total, steps])[1:]
        self._last, self._total = float(time[-1]), float(out[-1])
        return out


def reader_version(package: str) -> str:
    """``anodelab X + package Y`` for the provenance."""
    return f"anodelab {__version__} + {package} {version(package)}"
