"""BioLogic EC-Lab / BT-Lab text readers: ASCII ``.mpt`` files and plain EC-Lab text exports
(';' or tab separated, EC-Lab column names on the first line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.biologic import INSTRUMENT, _convert, _first_non_numeric, _Raw
from anodelab.io.biologic_columns import (
    _ALTERNATIVE_COLUMNS,
    _CURRENT,
    _DATA_COLUMNS,
    _VOLTAGE,
    Columns,
)
from anodelab.io.columns import (
    is_point_index,
    normal_name,
    note_point_indices,
)
from anodelab.io.common import (
    decode,
    read_delimited,
    require_text,
    unique_names,
    uses_decimal_comma,
)
from anodelab.io.units import unit_dimension, unit_scale

MPT_EXPECTED = "an EC-Lab/BT-Lab ASCII export (.mpt)"
TEXT_EXPECTED = "an EC-Lab text export with EC-Lab column names (Ewe/V, Ecell/V, ...)"

# Technique titles in .mpt headers -> the same short names.
_TEXT_TECHNIQUES = {
    "galvanostatic cycling with potential limitation": "GCPL", "cyclic voltammetry": "CV",
    "open circuit voltage": "OCV", "chronoamperometry / chronocoulometry": "CA", "chronoamperometry": "CA",
    "chronopotentiometry": "CP", "wait": "WAIT", "potentio electrochemical impedance spectroscopy": "PEIS",
    "galvano electrochemical impedance spectroscopy": "GEIS", "ir compensation (peis)": "ZIR",
    "linear sweep voltammetry": "LSV", "modulo bat": "MB", "loop": "LOOP",
    "constant voltage": "CstV", "constant current": "CstC", "battery capacity determination": "BCD",
    "cyclic voltammetry advanced": "CVA", "modular potentio": "MP",
}

# EC-Lab columns the conversion reads, by quantity: a text export naming one in another unit of the
# same dimension (time/min, freq/kHz, Ewe/mV, I/A) is scaled to it
_UNIT_COLUMNS = {name.rpartition("/")[0]: name for name in (
    "time/s", "freq/Hz", *_VOLTAGE, *_CURRENT, "Ece/V", "<Ece>/V", "Ewe-Ece/V", "Re(Z)/Ohm", "-Im(Z)/Ohm",
    "|Z|/Ohm", "Phase(Z)/deg", "dq/mA.h", "(Q-Qo)/mA.h", "dQ/mA.h", "Q charge/discharge/mA.h", "Capacity/mA.h")}
_EC_LAB_NAMES = frozenset([*_UNIT_COLUMNS.values(), *(name for name, _ in _DATA_COLUMNS.values()),
                           *(name for name, _ in _ALTERNATIVE_COLUMNS.values())])
_FLAG_MASKS = {"mode": 0x03, "ox/red": 0x04, "ox": 0x04, "error": 0x08, "control changes": 0x10,
               "Ns changes": 0x20, "counter inc.": 0x80}


def read_mpt(path: Path) -> Record | SpectrumSeries:
    """Read an EC-Lab / BT-Lab ASCII export (``.mpt``): CRLF or LF, decimal point or comma."""
    path = Path(path)
    layout = mpt_layout(path)
    notes = list(layout.notes)
    table = read_delimited(path, layout.names, skip_lines=layout.skip_lines, separator="\t",
                           decimal_comma=layout.decimal_comma, expected=MPT_EXPECTED)
    columns = _in_ec_lab_units(path, table.columns, notes, MPT_EXPECTED)
    data = _Raw(columns, techniques=layout.techniques, notes=notes, instrument=layout.instrument)
    data.notes.extend(table.notes)
    return _convert(path, data, MPT_EXPECTED)


@dataclass(frozen=True)
class TextLayout:
    """What the header of an EC-Lab text export says: the column names (as the readers know them), the
    lines before the data, the separator and decimal mark, techniques, instrument, and the header's notes."""

    names: list[str]
    skip_lines: int
    separator: str
    decimal_comma: bool
    techniques: tuple[str, ...]
    instrument: str
    notes: tuple[str, ...]


def mpt_layout(path: Path) -> TextLayout:
    """The header of an ``.mpt`` (refused when it is not one)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    require_text(path, head, MPT_EXPECTED)
    # lines as the table parser counts them (skip_lines below): ended by LF only, so that a stray
    # CR (or another character str.splitlines breaks at) cannot shift the data by a line
    lines = [line.removesuffix("\r") for line in decode(head).split("\n")]
    if not lines or lines[0].strip() not in ("EC-Lab ASCII FILE", "BT-Lab ASCII FILE"):
        raise ReadError(path, "first line is not 'EC-Lab ASCII FILE'", expected=MPT_EXPECTED)
    match = re.match(r"Nb header lines\s*:\s*(\d+)", lines[1]) if len(lines) > 1 else None
    if match is None:
        raise ReadError(path, "second line does not give 'Nb header lines : N'", expected=MPT_EXPECTED)
    n_header = int(match.group(1))
    if n_header < 3:
        raise ReadError(path, f"'Nb header lines : {n_header}' is too few", expected=MPT_EXPECTED)
    if not any(line.strip() for line in lines[n_header:]):
        raise ReadError(path, f"no data rows after the {n_header} header lines", expected=MPT_EXPECTED)
    header, notes = lines[: n_header - 1], _mpt_notes(lines[: n_header - 1])
    names = _canonical_names(_mpt_names(lines[n_header - 1], lines[n_header:n_header + 100], notes), notes)
    device = next((line.split(":", 1)[1].strip() for line in header if line.startswith("Device :")), "")
    return TextLayout(names, n_header, "\t", uses_decimal_comma(lines[n_header].split("\t")), _mpt_techniques(header),
                      f"{INSTRUMENT} {device}" if device else INSTRUMENT, tuple(notes))


def _mpt_names(header_line: str, rows: list[str], notes: list[str]) -> list[str]:
    """Column names of an ``.mpt``, without unnamed header columns the rows hold no field for.

    EC-Lab impedance exports that also record the counter electrode can name one column more than
    the rows hold: ``...<TAB><TAB>Ewe-Ece/V`` (an empty name, then a name) over rows one field short.
    The rows line up with the named columns, so the empty names are dropped (and said so).
    """
    names = header_line.split("\t")
    while names and not names[-1].strip():
        names.pop()
    blank = [index for index, name in enumerate(names) if not name.strip()]
    if not blank or not rows:
        return names
    widths = [len(row.split("\t")) - row.endswith("\t") for row in rows if row.strip()]
    if not widths or max(widths) != len(names) - len(blank):
        return names
    kept = [name for name in names if name.strip()]
    where = ", ".join(f"after {names[index - 1]!r}" if index else "first" for index in blank)
    notes.append(f"the header names {len(names)} columns (with {len(blank)} unnamed, {where}) but the rows hold "
                 f"{len(kept)} fields: the unnamed header column(s) were dropped and the rows read against the "
                 f"{len(kept)} named columns")
    return kept


def _canonical_names(names: list[str], notes: list[str]) -> list[str]:
    """EC-Lab column names as the readers know them: ``<Ewe/V>`` (EC-Lab 11.50 constant-current
    techniques) is ``<Ewe>/V``, and likewise for any ``<quantity/unit>``."""
    out = []
    for name in names:
        match = re.fullmatch(r"\s*<([^<>/]+)/([^<>]+)>\s*", name)
        if match:
            renamed = f"<{match.group(1)}>/{match.group(2)}"
            notes.append(f"column {name.strip()!r} read as {renamed!r}")
            name = renamed
        out.append(name)
    return out


def _ec_lab_name(name: str) -> tuple[str, float | None]:
    """The EC-Lab column a header names in another unit (``time/min`` -> ``time/s``) and the factor to
    its unit (None: not a unit of that quantity); ``(name, 1.0)`` for any other name."""
    quantity, _, unit = name.strip().rpartition("/")
    target = _UNIT_COLUMNS.get(quantity)
    if target is None or name.strip() in _EC_LAB_NAMES:
        return name, 1.0
    target_unit = target.rpartition("/")[2]
    dimension = unit_dimension(target_unit) or ""
    given, canonical = unit_scale(unit, dimension), unit_scale(target_unit, dimension)
    return target, given[0] / canonical[0] if given and canonical else None


def _in_ec_lab_units(path: Path, columns: Mapping[str, NDArray[Any]], notes: list[str], expected: str) -> Columns:
    """Columns named like an EC-Lab quantity in another unit (``time/min``, ``freq/kHz``, ``Ewe/mV``) scaled
    to EC-Lab's unit and name, with a note; refused when the unit is not one of that quantity's dimension."""
    out: Columns = {}
    for name, values in columns.items():
        target, factor = _ec_lab_name(name)
        if target == name or target in columns:
            out[name] = values
            continue
        if factor is None:
            raise ReadError(path, f"column {name!r} has a unit anodelab cannot convert to {target!r} "
                            "(units are never guessed)", expected=f"{expected}: {target!r} or another unit of it")
        if values.dtype.kind not in "fiu":
            raise ReadError(path, f"column {name!r} holds a non-numeric value in data row {_first_non_numeric(values)}",
                            expected=expected)
        out[target] = values * factor
        notes.append(f"column {name!r} read as {target!r} (values x {factor:g})")
    return out


def _mpt_techniques(header: list[str]) -> tuple[str, ...]:
    """Short technique names: the title on line 4, or each 'Technique : n' section of linked runs."""
    titles = [header[i + 1] for i, line in enumerate(header[:-1]) if re.match(r"Technique\s*:\s*\d+\s*$", line)]
    if not titles and len(header) > 3:
        titles = [header[3]]
    return tuple(_TEXT_TECHNIQUES.get(title.strip().lower(), title.strip()) for title in titles if title.strip())


def _mpt_notes(header: list[str]) -> list[str]:
    wanted = ("Acquisition started on", "Technique started on", "Run on channel", "Reference electrode",
              "Electrode surface area", "Characteristic mass")
    return [line.strip() for line in header if line.startswith(wanted)]


# ============================================================================================
# EC-Lab text exports without the ASCII-file header (';' or tab separated)
# ============================================================================================


_PANDAS_INDEX = ("", "unnamed: 0")  # the header pandas writes over its row index (an export re-saved with pandas)


def read_biologic_text(path: Path) -> Record | SpectrumSeries:
    """Read an EC-Lab text export whose first line holds EC-Lab column names (';' or tab separated).

    Covers BT-Lab "advanced" exports (absolute ``time/s`` as ``MM/DD/YYYY hh:mm:ss.fff`` and the raw
    flag byte repeated in each flag column), reduced exports such as ``time/s, Ewe/V`` (no current:
    state ``unknown``), and ``cycle number, Ecell/V, Capacity/mA.h`` (no time, no current: steps and
    states from the capacity resets and the voltage trend).
    """
    path = Path(path)
    layout = text_layout(path)
    names, notes = layout.names, list(layout.notes)
    table = read_delimited(path, names, skip_lines=1, separator=layout.separator,
                           decimal_comma=layout.decimal_comma, expected=TEXT_EXPECTED)
    rows = table.columns
    note_point_indices(names, rows, notes)  # an unnamed first column: pandas' row index
    # pandas' row index numbers the rows of the export, not a measurement: checked just above, then left out
    row_index = {key for name, key in zip(names, unique_names(names))
                 if normal_name(name).strip() in _PANDAS_INDEX and key in rows and is_point_index(name, rows[key])}
    columns = _in_ec_lab_units(path, {key: values for key, values in rows.items() if key not in row_index}, notes,
                               TEXT_EXPECTED)
    data = _Raw(_decode_flag_bytes(columns), notes=notes)
    data.notes.extend(table.notes)
    return _convert(path, data, TEXT_EXPECTED)


def text_layout(path: Path) -> TextLayout:
    """The header line of an EC-Lab text export (refused when it names no EC-Lab potential column)."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    require_text(path, head, TEXT_EXPECTED)
    lines = decode(head).splitlines()
    if len(lines) < 2:
        raise ReadError(path, "no data rows after the header line", expected=TEXT_EXPECTED)
    first = lines[0]
    separator = ";" if first.count(";") > first.count("\t") else "\t"
    if first.count(separator) == 0:
        raise ReadError(path, "header line is not ';' or tab separated", expected=TEXT_EXPECTED)
    notes: list[str] = []
    names = _canonical_names(first.split(separator), notes)
    if not any(_ec_lab_name(name)[0].strip() in _VOLTAGE for name in names):
        raise ReadError(path, "no EC-Lab potential column (Ewe/V, <Ewe>/V, Ecell/V) in the header",
                        expected=TEXT_EXPECTED)
    return TextLayout(names, 1, separator, uses_decimal_comma(lines[1].split(separator)), (), INSTRUMENT,
                      tuple(notes))


def _decode_flag_bytes(columns: Columns) -> Columns:
    """Some exports repeat the raw flag byte in every flag column; split it by bit mask."""
    if not any(np.nanmax(columns[name], initial=0) > flag_limit(name) for name in flag_columns(columns)):
        return columns
    return split_flag_bytes(columns)


def flag_columns(columns: Columns) -> list[str]:
    """The numeric flag columns of an EC-Lab text export."""
    return [name for name in _FLAG_MASKS if name in columns and columns[name].dtype.kind in "fiu"]


def flag_limit(name: str) -> int:
    """The largest value a flag column holds when it holds its own bit (more: the raw flag byte)."""
    return 3 if name == "mode" else 1


def split_flag_bytes(columns: Columns) -> Columns:
    """The flag columns, each holding the raw flag byte, split by bit mask."""
    out = dict(columns)
    for name in flag_columns(columns):
        mask = _FLAG_MASKS[name]
        byte = np.nan_to_num(columns[name]).astype(np.uint8)
        out[name] = (byte & mask) >> ((mask & -mask).bit_length() - 1)
    return out
