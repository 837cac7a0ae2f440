"""The data rows of a delimited text table a block of rows at a time, parsed as
:func:`anodelab.io.common.read_delimited` parses the whole file (same polars options, same numbers, same
rows kept), in memory bounded by the block.

The lines are counted once (:func:`~anodelab.io.common.kept_rows`: blank lines at the end and a cut last
line are not rows), then read again block by block: each block of complete lines is parsed on its own and
must give one row per line, as the whole file must.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.io.common import (
    _data_lines,
    _joined,
    cut_note,
    frame_columns,
    kept_rows,
    one_line,
    unique_names,
)

_READ_BYTES = 8 << 20  #: bytes read from the file at a time while looking for line ends


@dataclass(frozen=True)
class Block:
    """Rows of a table: ``core`` rows from data row ``first_row`` (1-based), with ``before`` rows of context
    before them and some after, their columns (as :func:`~anodelab.io.common.frame_columns` makes them)."""

    first_row: int
    before: int
    core: int
    columns: dict[str, NDArray[Any]]

    @property
    def inner(self) -> slice:
        """The core rows among the block's."""
        return slice(self.before, self.before + self.core)


class TextTable:
    """A delimited table after ``skip_lines`` header lines, read as blocks of rows (see the module docstring).

    ``names``, ``separator``, ``decimal_comma``, ``quote_char`` and ``expected`` as for
    :func:`~anodelab.io.common.read_delimited`. ``rows`` is the number of data rows, ``cut_reason``
    why the last line was dropped (None: it was not).
    """

    def __init__(self, path: Path, names: list[str], *, skip_lines: int, separator: str, decimal_comma: bool = False,
                 expected: str = "a delimited table", quote_char: str | None = '"') -> None:
        while names and names[-1].strip() == "":
            names = names[:-1]
        if not names:
            raise ReadError(path, "no column names in the header", expected=expected)
        self.path, self.names, self.skip_lines, self.expected = path, unique_names(names), skip_lines, expected
        self.options: dict[str, Any] = {
            "has_header": False, "separator": separator, "decimal_comma": decimal_comma, "encoding": "utf8-lossy",
            "truncate_ragged_lines": True, "missing_columns": "insert", "new_columns": self.names,
            "quote_char": quote_char,
        }
        try:
            lines = _data_lines(path, skip_lines)
        except OSError as error:
            raise ReadError(path, f"cannot be read ({error.strerror or error})") from None
        self.rows, self.cut_reason = kept_rows(lines, len(self.names), separator, quote_char, decimal_comma)

    @property
    def notes(self) -> list[str]:
        """What was dropped, as provenance notes (as :attr:`anodelab.io.common.Table.notes`)."""
        return [cut_note(self.cut_reason)] if self.cut_reason else []

    def blocks(self, rows: int, text: frozenset[str] = frozenset(), margin: int = 0) -> Iterator[Block]:
        """The data rows, ``rows`` at a time (the last block holds the rest), each block with up to ``margin``
        rows of its neighbours either side (parsed again with it); the columns in ``text`` kept as text."""
        first = 1
        for holder, before, core, after in self._line_blocks(rows, margin):
            raw = holder.pop()  # the generator keeps no reference to the bytes
            columns = self._parse(raw, before + core + after, first - before, text)
            del raw  # the block's bytes go before its rows are used
            yield Block(first, before, core, columns)
            first += core

    def _line_blocks(self, rows: int, margin: int) -> Iterator[tuple[list[bytes], int, int, int]]:
        """The bytes of each block of ``rows`` data lines (of the :attr:`rows` kept) with up to ``margin`` lines
        either side (in a list the caller empties), and how many lines come before, in, and after the block."""
        left = self.rows
        pending = bytearray()
        lines = 0  # complete lines in pending (and a last one without a newline, at the end)
        context = b""  # the lines before the block
        before, done = 0, False
        try:
            with self.path.open("rb") as handle:
                _skip_lines(handle, self.skip_lines)
                while left > 0:
                    core = min(rows, left)
                    after = min(margin, left - core)
                    while lines < core + after and not done:
                        more = handle.read(_READ_BYTES)
                        if not more:
                            lines += bool(pending) and not pending.endswith(b"\n")
                            done = True
                        lines += more.count(b"\n")
                        pending += more
                    core, after = min(core, lines), min(after, max(0, lines - core))
                    if core == 0:
                        return
                    stop = _line_end(pending, core)
                    following = min(margin, before + core)  # the lines before the next block
                    if not following:
                        kept = b""
                    elif core >= following:
                        kept = bytes(memoryview(pending)[_line_end(pending, core - following):stop])
                    else:
                        kept = context[_start_of_last(context, following - core, len(context)):] + pending[:stop]
                    holder = [context + memoryview(pending)[:_line_end(pending, core + after)]]
                    pending = bytearray(memoryview(pending)[stop:])  # a new buffer: one copy of the block lives
                    context, lines, left = kept, lines - core, left - core
                    yield holder, before, core, after
                    before = following
        except OSError as error:
            raise ReadError(self.path, f"cannot be read ({error.strerror or error})") from None

    def _parse(self, raw: bytes, count: int, first: int, text: frozenset[str]) -> dict[str, NDArray[Any]]:
        """One block's rows, as :func:`~anodelab.io.common.read_delimited` parses the file's."""
        import polars as pl

        overrides = {name: pl.String for name in text}
        try:
            try:
                frame = pl.read_csv(io.BytesIO(raw), infer_schema_length=20000, schema_overrides=overrides,
                                    **self.options)
            except pl.exceptions.ComputeError:  # a column that looked like integers, then holds "1e+06"
                frame = pl.read_csv(io.BytesIO(raw), infer_schema_length=None, schema_overrides=overrides,
                                    **self.options)
        except pl.exceptions.PolarsError as error:
            raise ReadError(self.path, f"table could not be parsed in data rows {first}-{first + count - 1} "
                            f"({one_line(error)})", expected=self.expected) from None
        if frame.height != count:
            raise ReadError(self.path, f"{frame.height} rows were parsed from the {count} lines of data rows {first}-"
                            f"{first + count - 1} (lines {self.skip_lines + first}-{self.skip_lines + first + count - 1})"
                            f"{_joined(frame)}", expected=f"{self.expected}, one row per line")
        if frame.width > len(self.names):
            frame = frame.select(self.names)
        return frame_columns(frame, text)


def _skip_lines(handle: Any, count: int) -> None:
    """Move ``handle`` past the first ``count`` lines."""
    for _ in range(count):
        if not handle.readline():
            return


def _line_end(buffer: bytearray, count: int) -> int:
    """The position just after the ``count``-th line of ``buffer`` (its end for a last line without a newline;
    0 for none), found a MiB at a time (no array as long as the buffer)."""
    if count <= 0:
        return 0
    seen, start = 0, 0
    while start < len(buffer):
        stop = min(len(buffer), start + (1 << 20))
        here = buffer.count(b"\n", start, stop)
        if seen + here >= count:
            ends = np.flatnonzero(np.frombuffer(memoryview(buffer)[start:stop], dtype=np.uint8) == 10)
            return start + int(ends[count - seen - 1]) + 1
        seen, start = seen + here, stop
    return len(buffer)


def _start_of_last(raw: bytes, count: int, stop: int) -> int:
    """Where the last ``count`` lines of ``raw[:stop]`` (which ends with a newline) begin."""
    position = stop - 1
    for _ in range(count):
        position = raw.rfind(b"\n", 0, position)
        if position < 0:
            return 0
    return position + 1


def all_empty(values: NDArray[Any]) -> bool:
    """A text column with no value in any row (all empty fields)."""
    return values.dtype.kind == "O" and not any(value is not None for value in values)
