"""Helpers shared by the text readers: decoding, header lines, and fast numeric tables."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
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
    dropped_last_line: bool = False

    def __len__(self) -> int:
        return next(iter(self.columns.values())).size if self.columns else 0


def read_delimited(
    path: Path,
    names: list[str],
    *,
    skip_lines: int,
    separator: str,
    decimal_comma: bool = False,
    expected: str = "a delimited table",
) -> Table:
    """Parse the rows of a delimited text table with polars (multi-threaded, zero-copy to numpy).

    ``names`` are the column names (already decoded from the header by the caller), ``skip_lines``
    the number of lines before the first data row. Empty trailing names (a separator at the end of
    the header line) are dropped. A final line cut short (fewer fields than the header and no
    newline at the end of the file) is dropped and reported in ``dropped_last_line``.
    """
    import polars as pl

    while names and names[-1].strip() == "":
        names = names[:-1]
    if not names:
        raise ReadError(path, "no column names in the header", expected=expected)
    names = unique_names(names)
    options = dict(
        has_header=False,
        skip_lines=skip_lines,  # raw lines: a quote in a header comment must not open a field
        separator=separator,
        decimal_comma=decimal_comma,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
        missing_columns="insert",
        new_columns=names,
        quote_char='"',
    )
    try:
        try:
            frame = pl.read_csv(path, infer_schema_length=20000, **options)
        except pl.exceptions.ComputeError:
            # a column that looked like integers for 20k rows and then holds "1e+06": infer from all rows
            frame = pl.read_csv(path, infer_schema_length=None, **options)
    except Exception as error:  # polars raises its own exception types; name the file instead
        raise ReadError(path, f"table could not be parsed ({type(error).__name__}: {str(error).splitlines()[0]})",
                        expected=expected) from None
    frame = frame.select(names[: frame.width]) if frame.width > len(names) else frame
    dropped = False
    if frame.height and not _ends_with_newline(path):
        last = frame.row(frame.height - 1)
        if any(value is None for value in last):
            frame = frame.head(frame.height - 1)
            dropped = True
    columns: dict[str, NDArray[Any]] = {}
    for name, series in zip(frame.columns, frame.get_columns()):
        if series.dtype.is_numeric():
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
    return Table(columns, dropped)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            return False
        handle.seek(-1, 2)
        return handle.read(1) in (b"\n", b"\r")


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

def require_complete_last_line(path: Path, expected: str) -> None:
    """Refuse a file that ends mid-line: instruments end every row with a newline, so it was cut."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            raise ReadError(path, "file is empty", expected=expected)
        handle.seek(-1, 2)
        if handle.read(1) not in (b"\n", b"\r"):
            raise ReadError(path, "file ends in the middle of a line (truncated copy?)", expected=expected)


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


def read_text_lines(path: Path, expected: str) -> list[str]:
    """All lines of a complete text file (CR stripped); refuses binary content and a cut last line."""
    with path.open("rb") as handle:
        raw = handle.read()
    require_text(path, raw, expected)
    require_complete_last_line(path, expected)
    return [line.rstrip("\r") for line in decode(raw).split("\n")]


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
    time = np.asarray(time_s, dtype=np.float64)
    if time.size == 0:
        return time
    bad = ~np.isfinite(time)
    if bad.any():
        raise ReadError(path, f"{clock} is missing or not a number at data row {int(np.argmax(bad)) + 1}",
                        expected="a time for every row")
    if time[0] != 0.0:
        notes.append(f"the first row is at {clock} = {time[0]:.6g} s; time_s counts from the first row")
    time = time - time[0]
    steps = np.diff(time)
    backwards = steps < 0
    if not backwards.any():
        return time
    notes.append(
        f"{clock} runs backwards at {int(backwards.sum())} row(s) (first at data row "
        f"{int(np.argmax(backwards)) + 2}, largest jump {-steps.min():.6g} s); each backward jump was "
        "given zero duration, so later times are shifted and time_s never decreases"
    )
    steps[backwards] = 0.0
    return np.concatenate(([0.0], np.cumsum(steps)))


def reader_version(package: str) -> str:
    """``anodelab X + package Y`` for the provenance."""
    return f"anodelab {__version__} + {package} {version(package)}"
