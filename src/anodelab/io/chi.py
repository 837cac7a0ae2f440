"""CH Instruments text exports: A.C. Impedance, CV, LSV, chronopotentiometry, amperometric i-t.

Layout (CHI 6xx/7xx/1xxx ``Convert to Text``)::

    Feb. 20, 2020   15:55:08
    Cyclic Voltammetry                      <- technique
    File: ...
    Instrument Model:  CHI660E
    Init E (V) = 0.5                        <- parameters "Name (unit) = value"
    Scan Rate (V/s) = 0.1
    Sample Interval (V) = 0.001
    ...
    Potential/V, Current/A                  <- column names "Name/unit", comma separated
    <blank>
    0.500, 1.234e-6                         <- data (optionally in blocks after "Segment n:" lines)

A.C. Impedance files (``Freq/Hz, Z'/ohm, Z"/ohm, Z/ohm, Phase/deg``) become a SpectrumSeries;
Z" is stored with the physical sign (negative for a capacitive response), as impedance.py's
``readCHInstruments`` also takes it. The other techniques become a Record. Bipotentiostat
(rotating ring-disk) exports name the currents of the two working electrodes ``i1/A, i2/A``:
``current_mA`` is i1 (the disk), ``ring_current_mA`` i2 (the ring).

Current sign: CHI software can plot and export with either polarity convention. A header line
that states it (e.g. ``Anodic = negative``, ``Cathodic current = positive``) is obeyed: such
currents are flipped to anodelab's anodic-positive sign. Without such a line the current is kept
as exported and a provenance note says so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import (
    Column,
    RecordParts,
    converted,
    describe_columns,
    extra_name,
    finish_record,
    imaginary_sign_note,
    pick,
    spectra_from_arrays,
)
from anodelab.io.common import cut_short, read_text_lines

EXPECTED = "a CH Instruments text export (technique line, 'Name (unit) = value' parameters, 'Name/unit, ...' columns)"
TECHNIQUES = {
    "a.c. impedance": "EIS", "cyclic voltammetry": "CV", "linear sweep voltammetry": "LSV",
    "chronopotentiometry": "CP", "amperometric i-t curve": "CA", "chronoamperometry": "CA",
    "open circuit potential - time": "OCV",
}
_COLUMN_NAME = re.compile(r"^\s*[A-Za-z][^=:,]*/[^=:,/]+\s*$")  # "Potential/V", "Z'/ohm", "Time/sec"
_POLARITY = re.compile(r"\b(anodic|cathodic)\b(?:\s+current)?\s*(?:=|:|is)?\s*(positive|negative)\b", re.IGNORECASE)


def read_chi(path: Path) -> Record | SpectrumSeries:
    """Read a CHI text export: impedance into a SpectrumSeries, anything else into a Record."""
    path = Path(path)
    lines, newline_at_end = read_text_lines(path, EXPECTED)
    technique = next((TECHNIQUES[line.strip().lower()] for line in lines[:5] if line.strip().lower() in TECHNIQUES), None)
    if technique is None:
        raise ReadError(path, "no CHI technique line (e.g. 'Cyclic Voltammetry') in the first 5 lines", expected=EXPECTED)
    header_index = next((i for i, line in enumerate(lines) if _is_column_line(line)), None)
    if header_index is None:
        raise ReadError(path, "no column line such as 'Potential/V, Current/A'", expected=EXPECTED)
    parameters = _parameters(lines[:header_index])
    names = [name.strip() for name in lines[header_index].split(",")]
    notes = [f"CHI {technique}" + (f", {parameters['Instrument Model']}" if "Instrument Model" in parameters else "")]
    data, segments = _data(path, lines, header_index, len(names), newline_at_end, notes)
    table = {name: data[:, i] for i, name in enumerate(names)}
    columns = [Column(c.key, c.name, c.unit, "current") if c.name.lower() == "i1" and c.role is None else c
               for c in describe_columns(names)]
    if technique == "EIS" or pick(columns, "frequency") is not None:
        return _spectra(path, table, columns, parameters, notes)
    return _record(path, table, columns, technique, parameters, segments, "\n".join(lines[:header_index]), notes)


def _is_column_line(line: str) -> bool:
    names = line.split(",")
    return len(names) >= 2 and all(_COLUMN_NAME.match(name) for name in names)


def _parameters(lines: list[str]) -> dict[str, str]:
    parameters = {}
    for line in lines:
        key, sep, value = line.partition("=") if "=" in line else line.partition(":")
        if sep and key.strip():
            parameters[key.strip()] = value.strip()
    return parameters


def _data(path: Path, lines: list[str], header_index: int, width: int, newline_at_end: bool,
          notes: list[str]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Numeric rows after the column line, and the CHI segment of each row (0 where not marked).

    Only the file's last line, when no newline follows it and it was cut short, may be dropped."""
    rows: list[list[str]] = []
    segments: list[int] = []
    numbers: list[int] = []  # line of each row
    segment = 0
    for number, line in enumerate(lines[header_index + 1:], start=header_index + 2):
        text = line.strip()
        if not text:
            continue
        marker = re.match(r"^Segment\s+(\d+)\s*:?$", text, re.IGNORECASE)
        if marker:
            segment = int(marker.group(1))
            continue
        fields = text.split(",")
        if number == len(lines) and not newline_at_end and (reason := cut_short(fields, width, rows[-50:])):
            notes.append(f"the last row (line {number}) was cut short ({reason}: the file ends without a newline) "
                         "and is dropped")
            break
        if len(fields) != width:
            raise ReadError(path, f"line {number} has {len(fields)} fields, the column line names {width}",
                            expected=EXPECTED)
        rows.append(fields)
        segments.append(segment)
        numbers.append(number)
    if not rows:
        raise ReadError(path, "no data rows after the column line", expected=EXPECTED)
    try:
        data = np.array(rows, dtype=np.float64)
    except ValueError:
        bad = next(i for i, row in enumerate(rows) if not _all_numbers(row))
        raise ReadError(path, f"line {numbers[bad]} is not numeric: {','.join(rows[bad])!r}", expected=EXPECTED) from None
    return data, np.asarray(segments, dtype=np.int64)


def _all_numbers(fields: list[str]) -> bool:
    try:
        [float(f) for f in fields]
    except ValueError:
        return False
    return True


def _spectra(path: Path, table: dict[str, NDArray[np.float64]], columns: list[Column], parameters: dict[str, str],
             notes: list[str]) -> SpectrumSeries:
    frequency, real, imag = pick(columns, "frequency"), pick(columns, "z_real"), pick(columns, "z_imag")
    if frequency is None or real is None or imag is None:
        raise ReadError(path, "impedance columns Freq, Z', Z\" not all present", expected=EXPECTED)
    expected = "CHI A.C. Impedance columns with units"
    lowest = float(np.min(table[frequency.key]))
    if "Low Frequency (Hz)" in parameters and lowest > 1.01 * _number(path, parameters, "Low Frequency (Hz)"):
        notes.append(f"the lowest frequency, {lowest:g} Hz, is above the header's Low Frequency "
                     f"({parameters['Low Frequency (Hz)']} Hz): the sweep stopped early, or the copy ends at a row boundary")
    Z_imag = converted(path, table, imag, expected)
    if (note := imaginary_sign_note(Z_imag, f"'{imag.key}'")):
        notes.append(note)
    return spectra_from_arrays(path, converted(path, table, frequency, expected), converted(path, table, real, expected),
                               Z_imag, instrument="CH Instruments", notes=notes)


def _record(path: Path, table: dict[str, NDArray[np.float64]], columns: list[Column], technique: str,
            parameters: dict[str, str], segments: NDArray[np.int64], header_text: str, notes: list[str]) -> Record:
    parts = RecordParts(notes=notes)
    used: set[str] = set()
    voltage, current, time = pick(columns, "voltage"), pick(columns, "current"), pick(columns, "time")
    n = len(next(iter(table.values())))
    if voltage is not None:
        parts.columns["voltage_V"] = converted(path, table, voltage, EXPECTED)
        used.add(voltage.key)
    elif "Init E (V)" in parameters:
        parts.columns["voltage_V"] = np.full(n, _number(path, parameters, "Init E (V)"))
        parts.notes.append("voltage_V: the constant applied potential 'Init E (V)' from the header (no potential column)")
    else:
        raise ReadError(path, "no potential column and no 'Init E (V)' parameter", expected=EXPECTED)
    if time is not None:
        parts.columns["time_s"] = converted(path, table, time, EXPECTED)
        parts.columns["time_s"] = parts.columns["time_s"] - parts.columns["time_s"][0]
        used.add(time.key)
    elif technique in ("CV", "LSV") and "Scan Rate (V/s)" in parameters and "Sample Interval (V)" in parameters:
        interval = _number(path, parameters, "Sample Interval (V)") / _number(path, parameters, "Scan Rate (V/s)")
        parts.columns["time_s"] = np.arange(n, dtype=np.float64) * interval
        parts.notes.append(f"time_s: point index x Sample Interval / Scan Rate = {interval:g} s per point "
                           "(the file has no time column; quiet time not included)")
    if current is not None:
        sign = _polarity(header_text, parts.notes)
        parts.columns["current_mA"] = converted(path, table, current, EXPECTED) * sign
        used.add(current.key)
        ring = next((c for c in columns if c.name.lower() == "i2" and c.role is None), None)
        if current.name.lower() == "i1" and ring is not None:
            parts.columns["ring_current_mA"] = converted(path, table, replace(ring, role="current"), EXPECTED) * sign
            used.add(ring.key)
            parts.notes.append("current_mA: i1, the first working electrode (the disk of a ring-disk electrode); "
                               "ring_current_mA: i2, the second (the ring), with the same sign convention")
    else:
        parts.notes.append("no current column in this CHI export (programmed currents are only in the header)")
    if segments.any():
        parts.columns["step"] = segments
        parts.notes.append("step: CHI 'Segment n:' blocks")
    elif technique in ("CV", "LSV") and voltage is not None:
        parts.columns["step"] = _sweep_segments(parts.columns["voltage_V"])
        parts.notes.append("step: one per potential sweep direction")
    for column in columns:
        if column.key not in used:
            parts.columns[extra_name(column.name, column.unit)] = table[column.key]
    return finish_record(path, parts, instrument="CH Instruments", techniques=(technique,))


def _number(path: Path, parameters: dict[str, str], key: str) -> float:
    try:
        value = float(parameters[key])
    except ValueError:
        raise ReadError(path, f"parameter {key!r} is {parameters[key]!r}, not a number", expected=EXPECTED) from None
    if not np.isfinite(value) or value == 0:
        raise ReadError(path, f"parameter {key!r} is {value}", expected=f"{EXPECTED}; a finite non-zero value")
    return value


def _polarity(header_text: str, notes: list[str]) -> float:
    """-1 when the header says anodic current is negative (cathodic positive), else +1 (with a note)."""
    match = _POLARITY.search(header_text)
    if match is None:
        notes.append("current kept as exported: the header states no polarity convention (CHI can export "
                     "cathodic-positive currents; check the export settings)")
        return 1.0
    side, sign = match.group(1).lower(), match.group(2).lower()
    flip = (side == "anodic") == (sign == "negative")
    notes.append(f"header says '{match.group(0)}': current " + ("flipped to anodic > 0" if flip else "kept (anodic > 0)"))
    return -1.0 if flip else 1.0


def _sweep_segments(voltage_V: NDArray[np.float64]) -> NDArray[np.int64]:
    """A new segment after every vertex, where the potential sweep reverses direction."""
    steps = np.sign(np.diff(voltage_V))
    if steps.size == 0:
        return np.zeros(voltage_V.size, dtype=np.int64)
    carried = steps[np.maximum.accumulate(np.where(steps != 0, np.arange(steps.size), 0))]  # flat points keep the direction
    reversal = (carried[1:] != carried[:-1]) & (carried[:-1] != 0)
    segments: NDArray[np.int64] = np.r_[0, np.cumsum(np.r_[False, reversal])].astype(np.int64)
    return segments
