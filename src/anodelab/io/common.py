"""Text files and the delimited tables in them, for the text readers: decoding, header lines, fast numeric
tables (every line a row, a last line cut short dropped), numbers written as text, and columns checked.

The point index notes, the monotonic clock, the zip member check and the third-party reader helpers have
their own modules (:mod:`anodelab.io.point_index`, :mod:`anodelab.io.clock`, :mod:`anodelab.io.zip_members`,
:mod:`anodelab.io.third_party`); the first three are importable from here too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError

HEAD_BYTES = 65536


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


def read_text_lines(path: Path, expected: str) -> tuple[list[str], bool]:
    """All lines of a text file (CR stripped) and whether a newline ends it; refuses binary content and
    an empty file. Without a final newline the last line may be cut short: see :func:`cut_short`."""
    with path.open("rb") as handle:
        raw = handle.read()
    if not raw:
        raise ReadError(path, "file is empty", expected=expected)
    require_text(path, raw, expected)
    return [line.rstrip("\r") for line in decode(raw).split("\n")], raw.endswith((b"\n", b"\r"))


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
