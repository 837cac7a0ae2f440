"""The format table, sniffing, and :func:`read`.

Each format is one row of :data:`FORMATS`: a name, what it yields, its extensions, optional magic
bytes at offset 0, optional header text (a regular expression searched in the first 16 KiB,
decoded as Latin-1), and the ``module:function`` that reads it. Reader modules are imported only
when a file of theirs is read. Third-party packages add rows through the entry-point group
``anodelab.formats`` (each entry point loads a :class:`Format`). A row's ``options`` name the keyword
options its reader takes (e.g. ``time_unit`` for Maccor MIMS exports); :func:`read` passes each
reader only the options it declares.

Sniffing, when no format is named: formats whose magic bytes match come first; then formats that
claim the extension and whose header pattern (if any) matches; then formats with a header pattern
that matches whatever the extension; last, formats that claim the extension although their magic
or header did not match (so that the error for a mislabelled file says what each expected).
Candidates are tried in that order and the first that reads the file wins. If none does, :class:`UnknownFormatError` lists every reader tried and its reason.
"""

from __future__ import annotations

import importlib
import re
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from anodelab._version import __version__
from anodelab.core.cell import CellInfo
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import (
    AnodelabError,
    ReadError,
    UnknownFormatError,
    ValidationError,
)
from anodelab.core.record import Digest, Provenance, Record, pending_sha256
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.checksum import Checksum

Data = Record | SpectrumSeries | CycleTable
HEAD_BYTES = 65536
HEADER_BYTES = 16384  # header patterns are searched in this much of the file


@dataclass(frozen=True)
class Format:
    """One readable format: a row of the format table."""

    name: str
    description: str
    kind: str  # "record", "spectra", "cycles" or several joined by "|"
    reader: str  # "package.module:function"; the function takes a Path and returns Record | SpectrumSeries | CycleTable
    extensions: tuple[str, ...] = ()
    magic: tuple[bytes, ...] = ()  # any of these at offset 0 identifies the format
    header: str | None = None  # regex searched in the decoded first 16 KiB
    options: tuple[str, ...] = ()  # keyword options the reader takes, given through read(..., options=...)

    def matches_header(self, text: str) -> bool:
        return self.header is not None and re.search(self.header, text, re.IGNORECASE | re.MULTILINE) is not None

    def load(self) -> Callable[..., Data]:
        module_name, function_name = self.reader.split(":")
        reader: Callable[..., Data] = getattr(importlib.import_module(module_name), function_name)
        return reader


FORMATS: tuple[Format, ...] = (
    Format(
        "biologic-mpr", "BioLogic EC-Lab binary (.mpr): GCPL, MB, CV, LSV, CA, CP, OCV, PEIS, GEIS",
        "record|spectra", "anodelab.io.biologic_mpr:read_mpr", (".mpr",), magic=(b"BIO-LOGIC MODULAR FILE",),
    ),
    Format(
        "biologic-mpt", "BioLogic EC-Lab text export (.mpt, CRLF or LF)",
        "record|spectra", "anodelab.io.biologic_text:read_mpt", (".mpt", ".txt"), magic=(b"EC-Lab ASCII FILE", b"BT-Lab ASCII FILE"),
    ),
    Format(
        "neware-nda", "Neware BTS binary (.nda, BTS 7.x / 9.x)",
        "record", "anodelab.io.neware:read_nda", (".nda",), magic=(b"NEWARE",),
    ),
    Format(
        "neware-ndax", "Neware BTS zipped binary (.ndax, BTS 8.x / 9.x)",
        "record", "anodelab.io.neware:read_ndax", (".ndax",),
    ),
    Format(
        "arbin-res", "Arbin MITS Pro result database (.res, MS Access), read without mdbtools",
        "record", "anodelab.io.arbin:read_res", (".res",), magic=(b"\x00\x01\x00\x00Standard Jet DB",),
    ),
    Format(
        "gamry-dta", "Gamry Framework text (.DTA): EIS and cycling curves",
        "record|spectra", "anodelab.io.gamry:read_dta", (".dta",), header=r"\AEXPLAIN\s",
    ),
    Format(
        "zplot", "Scribner ZPlot / ZView text (.z), ZPlot 2 and the older quoted ZPlotW layout",
        "spectra", "anodelab.io.zplot:read_z", (".z",), header=r'\A"?ZPlot|^End Comments',  # ZPlotW quotes its first line
    ),
    Format(
        "chi-text", "CH Instruments text export (A.C. impedance, CV incl. ring-disk i1/i2, LSV, CP, i-t)",
        "record|spectra", "anodelab.io.chi:read_chi", (".txt", ".csv"),
        header=r"^(A\.C\. Impedance|Cyclic Voltammetry|Linear Sweep Voltammetry|Chronopotentiometry|Amperometric i-t Curve"
               r"|Chronoamperometry|Open Circuit Potential - Time)",
    ),
    Format(
        "maccor-text", "Maccor raw text (.001, .022, ...) and Maccor text exports (MIMS: give time_unit)",
        "record", "anodelab.io.maccor:read_maccor", (".txt",),
        header=r"^Today''?s Date|^Rec#\tCyc#|^\s*Rec\s*[\t,]\s*Cycle", options=("time_unit",),
    ),
    Format(
        "excel", "Excel workbooks (.xlsx, .xls): LAND CT2001A / CT3001A and Arbin MITS Pro layouts, "
        "or one sheet per scan rate / temperature with unit-bearing headers",
        "record|spectra", "anodelab.io.excel:read_excel", (".xlsx", ".xls"),
    ),
    Format(
        "biologic-csv", "BioLogic EC-Lab ';'-separated or tab text export with EC-Lab column names",
        "record|spectra", "anodelab.io.biologic_text:read_biologic_text", (".csv", ".txt"),
        header=r"\A[^\n]*(Ewe/V|Ecell/V|<Ewe>/V|freq/Hz)",
    ),
    Format(
        "neware-csv", "Neware BTS CSV export (record / step / cycle layers)",
        "record", "anodelab.io.neware_csv:read_neware_csv", (".csv",),
        header=r"\A(?:\xef\xbb\xbf)?(?:[^\n]*\bDataPoint,[^\n]*,Step Type,|Cycle Index,Chg\. Cap\.\((?:m?Ah)\),DChg\. Cap\.)",
    ),
    Format(
        "arbin-csv", "Arbin MITS Pro CSV export",
        "record", "anodelab.io.arbin:read_arbin_csv", (".csv",),
        header=r"\A[^\n]*Data_Point[^\n]*Test_Time",
    ),
    Format(
        "bdf-csv", "Battery Data Format (BDF) CSV",
        "record", "anodelab.io.tables:read_bdf", (".csv",),
        header=r"\A[^\n]*\b(Test Time|Voltage|Current) / [A-Za-z]",
    ),
    Format(
        "batteryarchive-csv", "BatteryArchive.org time-series CSV",
        "record", "anodelab.io.tables:read_batteryarchive", (".csv",),
        header=r"\A[^\n]*Date_Time[^\n]*Test_Time \(s\)",
    ),
    Format(
        "autolab-nova", "Metrohm Autolab NOVA ASCII export (tab, ';' or ','; CV/LSV/chrono with WE(1) columns, FRA EIS)",
        "record|spectra", "anodelab.io.autolab:read_nova", (".txt", ".csv"),
        header=r"\A(?:\xef\xbb\xbf)?(?:[^\n]*(?:WE\(\d+\)\.\w+ \(|Potential applied \(V\))|(?=[^\n]*Frequency \(Hz\))[^\n]*-Z'' \()",
    ),
    Format(
        "cycle-table", "Per-cycle summary table (BatteryArchive cycle_data, CALCE): one row per cycle",
        "cycles", "anodelab.io.tables:read_cycle_table", (".csv", ".tsv", ".txt"),
        header=r"\A(?:\xef\xbb\xbf)?(?![^\n]*\bVoltage \(V\))[^\n]*Cycle_Index[^\n]*(?:Charge|Discharge)_Capacity \(",
    ),
    Format(
        "generic-table", "CSV/TSV/whitespace table mapped by header names and units "
        "(cycling columns, impedance f / Re(Z) / Im(Z), headerless f Re Im, or one row per cycle)",
        "record|spectra|cycles", "anodelab.io.tables:read_table", (".csv", ".tsv", ".txt", ".dat"),
    ),
)


@cache
def list_formats() -> tuple[Format, ...]:
    """Every known format: the built-in table, then formats registered by other packages."""
    plugins = []
    for entry in entry_points(group="anodelab.formats"):
        loaded = entry.load()
        if isinstance(loaded, Format):
            plugins.append(loaded)
    return FORMATS + tuple(plugins)


def get_format(name: str) -> Format:
    for fmt in list_formats():
        if fmt.name == name:
            return fmt
    raise ValidationError("format", f"unknown format {name!r}; known: {', '.join(f.name for f in list_formats())}")


def candidates(path: Path, head: bytes) -> Iterator[Format]:
    """Formats to try for a file, most likely first (see the module docstring), lazily."""
    suffix = path.suffix.lower()
    formats = list_formats()
    seen: set[str] = set()

    def fresh(found: Iterable[Format]) -> Iterator[Format]:
        for fmt in found:
            if fmt.name not in seen:
                seen.add(fmt.name)
                yield fmt

    yield from fresh(f for f in formats if any(head.startswith(magic) for magic in f.magic))
    text = head[:HEADER_BYTES].decode("latin-1")
    yield from fresh(
        f for f in formats
        if suffix in f.extensions and not f.magic and (f.header is None or f.matches_header(text))
    )
    yield from fresh(f for f in formats if f.matches_header(text))
    # formats that claim the extension but whose magic or header did not match: tried last, so that
    # the error for a mislabelled file says what each of them expected
    yield from fresh(f for f in formats if suffix in f.extensions)


def find_cell_toml(path: Path) -> Path | None:
    """The cell description beside a data file: ``<name>.cell.toml``, ``<stem>.cell.toml`` or ``cell.toml``."""
    for candidate in (
        path.with_name(path.name + ".cell.toml"),
        path.with_name(path.stem + ".cell.toml"),
        path.with_name("cell.toml"),
    ):
        if candidate.is_file():
            return candidate
    return None


# Exceptions our own parsing code can raise on malformed bytes; they become ReadErrors naming the file.
_PARSE_ERRORS = (ValueError, KeyError, IndexError, struct.error, UnicodeDecodeError, OverflowError, EOFError, zipfile.BadZipFile)


def read(
    path: str | Path,
    format: str | None = None,
    cell: CellInfo | str | Path | None = None,
    *,
    options: Mapping[str, str] | None = None,
) -> Data:
    """Read an instrument file into a :class:`Record`, a :class:`SpectrumSeries` or (per-cycle summaries) a :class:`CycleTable`.

    ``format`` names a row of :func:`list_formats` (sniffed when None). ``cell`` is a
    :class:`CellInfo` or the path of a ``cell.toml``; when None, a ``cell.toml`` beside the file
    is used if there is one. ``options`` are reader options (``{"time_unit": "min"}`` for the
    unitless ``TestTime`` of Maccor MIMS exports): each reader gets those its format declares; an
    option that no format tried for this file takes is refused, and one the winning reader does not
    take is noted in the provenance. The file is opened read-only and never modified.
    """
    path = Path(path)
    given = dict(options or {})
    head = read_head(path)
    if isinstance(cell, (str, Path)):
        cell = CellInfo.from_toml(cell)
    elif cell is None and (found := find_cell_toml(path)) is not None:
        cell = CellInfo.from_toml(found)

    tried: list[tuple[str, str]] = []
    formats: Iterable[Format] = [get_format(format)] if format else candidates(path, head)
    if given:
        formats = list(formats)
        _check_options(given, formats, path)
    checksum = Checksum(path)  # the file's SHA-256, once, for the provenance
    try:
        for fmt in formats:
            passed = {name: value for name, value in given.items() if name in fmt.options}
            try:
                data = fmt.load()(path, **passed)
            except AnodelabError as error:
                if isinstance(error, ValidationError) and error.field in passed:
                    raise  # the option's value is wrong whatever the file holds
                tried.append((fmt.name, _reason(error, path)))
                continue
            except _PARSE_ERRORS as error:
                tried.append((fmt.name, f"malformed content ({type(error).__name__}: {error})"))
                continue
            except OSError as error:
                raise ReadError(path, f"cannot be read ({_os_reason(error, path)})") from error
            unused = sorted(set(given) - set(passed))
            notes = [(f"option(s) {', '.join(f'{n}={given[n]!r}' for n in unused)} not used: the {fmt.name} "
                      "reader takes no such option")] if unused else []
            return _finish(data, fmt, path, cell, checksum.result(pending_sha256(data.provenance)), notes)
    finally:
        checksum.cancel()  # whatever happened: no hashing thread outlives the read (a no-op once hashed)
    if format and tried:
        raise ReadError(path, f"cannot be read as {format}: {tried[0][1]}")
    raise UnknownFormatError(path, tried)


def read_head(path: Path) -> bytes:
    """The first :data:`HEAD_BYTES` of ``path`` (for sniffing), refusing a missing, irregular or empty file."""
    try:
        if not path.exists():
            raise ReadError(path, "file not found")
        if not path.is_file():
            raise ReadError(path, "not a regular file", expected="an instrument data file")
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        raise ReadError(path, f"cannot be opened ({_os_reason(error, path)})") from error
    if not head:
        raise ReadError(path, "file is empty", expected="an instrument data file")
    return head


def _check_options(given: Mapping[str, str], formats: list[Format], path: Path) -> None:
    """Refuse an option that none of ``formats`` (those to be tried for ``path``) takes, or whose value is not text."""
    for name, value in given.items():
        if any(name in fmt.options for fmt in formats):
            if not isinstance(value, str):
                raise ValidationError(name, f"reader option values are text (e.g. 'min'), got {value!r:.60}")
            continue
        takers = [fmt.name for fmt in list_formats() if name in fmt.options]
        if not takers:
            known = sorted({option for fmt in list_formats() for option in fmt.options})
            raise ValidationError(name, f"is not a reader option; the options are {', '.join(known) or 'none'}")
        raise ValidationError(name, f"no format tried for {path} ({', '.join(f.name for f in formats) or 'none'}) "
                                    f"takes this option; it is an option of {', '.join(takers)}")


def _os_reason(error: OSError, path: Path) -> str:
    """The system's reason, naming the file it concerns when that is not ``path``."""
    reason = error.strerror or str(error)
    return reason if error.filename in (None, str(path)) else f"{error.filename}: {reason}"


def _reason(error: AnodelabError, path: Path) -> str:
    message = str(error)
    prefix = f"{path}: "
    return message.removeprefix(prefix)


def finish_provenance(provenance: Provenance, fmt: Format, path: Path, sha256: str | Digest,
                      notes: list[str]) -> Provenance:
    """A reader's provenance completed as :func:`read` completes it: path, checksum, format, reader, ``notes`` added."""
    return replace(
        provenance,
        path=str(path),
        sha256=sha256,
        format=fmt.name,
        reader=fmt.reader,
        reader_version=provenance.reader_version or f"anodelab {__version__}",
        notes=(*provenance.notes, *notes),
    )


def _finish(data: Data, fmt: Format, path: Path, cell: CellInfo | None, sha256: str | Digest,
            notes: list[str]) -> Data:
    """``data`` with its provenance completed: path, checksum (a deferred one stays deferred), format, reader."""
    provenance = finish_provenance(data.provenance, fmt, path, sha256, notes)
    if isinstance(data, Record):
        if cell is not None:
            data = data.with_cell(cell)
        return replace(data, provenance=provenance)
    if isinstance(data, CycleTable):
        return replace(data, cell=cell or data.cell, provenance=provenance)
    spectra = tuple(replace(s, cell=cell or s.cell, provenance=provenance) for s in data.spectra)
    return replace(data, spectra=spectra, cell=cell or data.cell, provenance=provenance)
