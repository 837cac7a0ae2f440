"""Big files a chunk of rows at a time: :func:`read_chunks`.

``read_chunks(path)`` yields :class:`~anodelab.core.record.Record` chunks whose rows, concatenated, are
:func:`anodelab.io.read`'s record of the file, column for column and bit for bit: the same columns,
units, sign conventions, steps, cycles and capacities, and every chunk carries the whole file's provenance
(path, checksum, format, reader and every note, those of dropped rows included).

Which files stream (their rows parsed chunk by chunk, memory bounded by the chunk): BioLogic ``.mpt`` and
EC-Lab text exports, BioLogic ``.mpr`` (memory-mapped) and Neware BTS CSV exports (the flat record layer);
see :mod:`anodelab.io.biologic_stream` and :mod:`anodelab.io.neware_stream` for the files among those they
read whole. Every other format is read whole by its reader and handed out in slices
(:attr:`RecordChunks.streamed` is False, :attr:`RecordChunks.reason` says why): Neware ``.nda``/``.ndax``
(fastnda decodes a file whole), Arbin, Maccor, Gamry, generic tables and spreadsheets.

A streamed file is read twice: the first pass checks every row and gathers what the whole-file reader
decides from all rows (so a bad row anywhere is refused before the first chunk, and the provenance is
complete from the first chunk on), the second converts the chunks. A file that changes between the two is
refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from anodelab.core.cell import CellInfo
from anodelab.core.errors import (
    AnodelabError,
    NotApplicableError,
    ReadError,
    UnknownFormatError,
    ValidationError,
)
from anodelab.core.record import Provenance, Record, pending_sha256
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.assembly import NotStreamable
from anodelab.io.checksum import Checksum, _fingerprint
from anodelab.io.registry import (
    _PARSE_ERRORS,
    Format,
    _finish,
    _os_reason,
    _reason,
    candidates,
    find_cell_toml,
    finish_provenance,
    get_format,
    read_head,
)

#: formats whose rows stream, and how (:func:`_stream`)
STREAMED = ("biologic-mpt", "biologic-csv", "biologic-mpr", "neware-csv")
#: why the other formats are read whole
WHOLE = {
    "neware-nda": "fastnda decodes a .nda file whole (it offers no access by record blocks)",
    "neware-ndax": "fastnda decodes an .ndax file whole (its data members are deflated zip members)",
    "arbin-res": "an MS Access database, read whole",
    "excel": "a spreadsheet, read whole",
}


class RecordChunks(Iterator[Record]):
    """The chunks of one file's record (an iterator of :class:`Record`, once through).

    ``streamed``: the rows were parsed chunk by chunk (False: the file's reader read it whole and the chunks
    are slices; ``reason`` says why); ``rows``: the record's rows; ``provenance`` and ``cell``: every
    chunk's; ``format``: the format read.
    """

    def __init__(self, path: Path, fmt: Format, rows: int, provenance: Provenance, cell: CellInfo | None,
                 chunks: Iterator[Record], *, streamed: bool, reason: str | None = None) -> None:
        self.path, self.format, self.rows, self.provenance, self.cell = path, fmt.name, rows, provenance, cell
        self.streamed, self.reason = streamed, reason
        self._chunks = chunks

    def __iter__(self) -> RecordChunks:
        return self

    def __next__(self) -> Record:
        return next(self._chunks)

    def __repr__(self) -> str:
        how = "streamed" if self.streamed else f"read whole ({self.reason})"
        return f"<RecordChunks {self.path.name}: {self.rows} rows, {self.format}, {how}>"


def read_chunks(path: str | Path, *, rows: int = 1_000_000, cell: CellInfo | str | Path | None = None,
                format: str | None = None) -> RecordChunks:
    """The record of an instrument file as chunks of ``rows`` rows (the last holds the rest), equal once
    concatenated to ``read(path, format, cell)`` (module docstring).

    ``cell``, ``format`` as for :func:`anodelab.io.read`. Raises what :func:`read` raises for a file no
    reader accepts, and :class:`NotApplicableError` for a file that holds spectra or per-cycle summaries
    rather than a time-series record.
    """
    path = Path(path)
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValidationError("rows", f"must be a whole number of rows >= 1, got {rows!r}")
    head = read_head(path)
    if isinstance(cell, (str, Path)):
        cell = CellInfo.from_toml(cell)
    elif cell is None and (found := find_cell_toml(path)) is not None:
        cell = CellInfo.from_toml(found)
    tried: list[tuple[str, str]] = []
    checksum = Checksum(path)
    try:
        for fmt in [get_format(format)] if format else candidates(path, head):
            try:
                return _read(path, fmt, rows, cell, checksum)
            except NotApplicableError:
                raise
            except AnodelabError as error:
                tried.append((fmt.name, _reason(error, path)))
            except _PARSE_ERRORS as error:
                tried.append((fmt.name, f"malformed content ({type(error).__name__}: {error})"))
            except OSError as error:
                raise ReadError(path, f"cannot be read ({_os_reason(error, path)})") from error
    finally:
        checksum.cancel()
    if format and tried:
        raise ReadError(path, f"cannot be read as {format}: {tried[0][1]}")
    raise UnknownFormatError(path, tried)


def _read(path: Path, fmt: Format, rows: int, cell: CellInfo | None, checksum: Checksum) -> RecordChunks:
    """The file as ``fmt``: streamed where it can be, else read whole and sliced."""
    reason = WHOLE.get(fmt.name, f"the {fmt.name} reader reads a file whole (no streaming reader for it yet)")
    if fmt.name in STREAMED:
        try:
            stream = _stream(path, fmt, rows, cell)
        except NotStreamable as why:
            reason = str(why)
        else:
            provenance = finish_provenance(stream.provenance(), fmt, path, checksum.result(), [])
            fingerprint = _fingerprint(path)
            return RecordChunks(path, fmt, stream.rows, provenance, cell,
                                _unchanged(path, fingerprint, stream.records(provenance, cell)), streamed=True)
    data = fmt.load()(path)
    if not isinstance(data, Record):
        held = "impedance spectra" if isinstance(data, SpectrumSeries) else "a per-cycle summary table"
        raise NotApplicableError(f"{path}: holds {held}, not a time-series record to read in chunks")
    record = cast(Record, _finish(data, fmt, path, cell, checksum.result(pending_sha256(data.provenance)), []))
    return RecordChunks(path, fmt, len(record), record.provenance, record.cell, _slices(record, rows),
                        streamed=False, reason=reason)


def _stream(path: Path, fmt: Format, rows: int, cell: CellInfo | None) -> Any:
    """The streaming reader of ``fmt`` (its first pass done)."""
    cell_type = cell.cell_type if cell is not None else None
    if fmt.name == "neware-csv":
        from anodelab.io.neware_stream import NewareCsvStream

        return NewareCsvStream(path, rows, cell_type)
    from anodelab.io.biologic_stream import BiologicStream

    kind = {"biologic-mpt": "mpt", "biologic-csv": "text", "biologic-mpr": "mpr"}[fmt.name]
    return BiologicStream(path, kind, rows, cell_type)


def _slices(record: Record, rows: int) -> Iterator[Record]:
    for start in range(0, len(record), rows):
        yield record.take(slice(start, start + rows))


def _unchanged(path: Path, fingerprint: tuple[int, ...], chunks: Iterator[Record]) -> Iterator[Record]:
    """The chunks, and a ReadError after them if the file changed since the first pass."""
    yield from chunks
    if _fingerprint(path) != fingerprint:
        raise ReadError(path, "changed while it was being read in chunks; read it again once it is complete")
