"""Helpers shared by the text readers: decoding, header lines, and fast numeric tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError


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
    names = _unique(names)
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


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name.strip()
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def finite_or_error(path: Path, name: str, values: NDArray[np.float64], expected: str) -> NDArray[np.float64]:
    """Return ``values`` as float64, or raise naming the column if any is missing or not a number."""
    array = np.asarray(values)
    if array.dtype.kind not in "fiu":
        raise ReadError(path, f"column {name!r} is not numeric", expected=expected)
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argmax(bad))
        raise ReadError(path, f"column {name!r} has a missing or non-numeric value in data row {row + 1}",
                        expected=expected)
    return array
