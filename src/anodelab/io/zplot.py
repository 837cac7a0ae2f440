"""Scribner ZPlot / ZView text files (``.z``).

ZPlot 2 layout: ``ZPLOT2 ASCII``, a block of ``Key: value`` lines (experiment type, ``Data Points:
48`` ...), the column line ``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range`` (tab
separated), the line ``End Comments``, then tab separated rows. The older ZPlotW layout quotes its
header lines (``"ZPlotW Data File: Version 3.2c"``, ``"Sweep Frequency: Control Voltage"``), gives
the planned point count as a bare number on the line before the quoted, space separated column
line, and separates the fields of its rows with ``, ``.

The declared count is the planned sweep: a sweep stopped early holds fewer rows, which are read
(with a note). Z'' is stored with the physical sign (negative for a capacitive response), as
impedance.py's ``readZPlot`` also takes it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import imaginary_sign_note, spectra_from_arrays, unquote
from anodelab.io.common import cut_short, is_number, read_text_lines

EXPECTED = "a ZPlot .z file (Freq(Hz) ... Z'(a) Z''(b) columns, then one row per frequency)"
_SEPARATOR = re.compile(r"\t|,\s*")


def read_z(path: Path) -> SpectrumSeries:
    """Read a ZPlot .z file into a SpectrumSeries (one spectrum per frequency sweep)."""
    path = Path(path)
    lines, newline_at_end = read_text_lines(path, EXPECTED)
    names_index = next((i for i, line in enumerate(lines) if unquote(line).startswith("Freq(Hz)")), None)
    if names_index is None:
        raise ReadError(path, "no 'Freq(Hz)' column line", expected=EXPECTED)
    column_line = unquote(lines[names_index])
    names = column_line.split("\t") if "\t" in column_line else column_line.split()
    names = [n.strip() for n in names]
    start = names_index + 1
    while start < len(lines) and (not lines[start].strip() or unquote(lines[start]) == "End Comments"):
        start += 1
    notes = ["ZPlot: Z'' read as Im(Z) with its sign as stored"]
    data = _rows(path, lines, start, len(names), newline_at_end, notes)
    declared = _declared_points(lines[:names_index])
    if declared is not None and data.shape[0] > declared:
        raise ReadError(path, f"header declares {declared} data points, the file holds {data.shape[0]} (more rows "
                        "than declared)", expected=EXPECTED)
    if declared is not None and data.shape[0] < declared:
        notes.append(f"the header plans {declared} data points, the file holds {data.shape[0]}: the sweep stopped "
                     "early (or the copy ends at a row boundary); every row it holds is read")
    index = {name: i for i, name in enumerate(names)}
    real = next((i for n, i in index.items() if re.match(r"^Z'(\(|$)", n)), None)
    imag = next((i for n, i in index.items() if re.match(r"^Z''(\(|$)", n)), None)
    if real is None or imag is None:
        raise ReadError(path, f"columns {names} hold no Z' and Z''", expected=EXPECTED)
    if (note := imaginary_sign_note(data[:, imag], "Z''")):
        notes.append(note)
    context: dict[str, NDArray[np.float64]] = {}
    if "Time(Sec)" in index:
        context["time_s"] = data[:, index["Time(Sec)"]]
    if "Bias" in index and re.search(r"Control Voltage", "\n".join(lines[:names_index]), re.IGNORECASE):
        context["voltage_V"] = data[:, index["Bias"]]
        notes.append("context voltage_V: the DC bias of a voltage-controlled sweep")
    return spectra_from_arrays(path, data[:, 0], data[:, real], data[:, imag], instrument="Scribner ZPlot",
                               notes=notes, context=context)


def _declared_points(header: list[str]) -> int | None:
    """``Data Points: N`` (ZPlot 2), or the bare number on the line before the column line (ZPlotW)."""
    found = re.search(r"^\s*Data Points:\s*(\d+)", "\n".join(header), re.MULTILINE)
    if found:
        return int(found.group(1))
    zplotw = bool(header) and unquote(header[0]).startswith("ZPlotW")
    return int(header[-1]) if zplotw and header[-1].strip().isdigit() else None


def _rows(path: Path, lines: list[str], start: int, width: int, newline_at_end: bool,
          notes: list[str]) -> NDArray[np.float64]:
    """Every non-blank line from ``start`` as a row of ``width`` numbers; only a cut last line may be dropped."""
    rows: list[list[str]] = []
    blank = skipped = 0  # blank lines since the last row; blank lines between rows
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            blank += 1
            continue
        fields = [f.strip() for f in _SEPARATOR.split(line.strip())]
        if number == len(lines) and not newline_at_end and (reason := cut_short(fields, width, rows[-50:])):
            notes.append(f"the last row (line {number}) was cut short ({reason}: the file ends without a newline) "
                         "and is dropped")
            break
        if len(fields) != width:
            raise ReadError(path, f"line {number} has {len(fields)} fields, the column line names {width}",
                            expected=EXPECTED)
        if not all(is_number(field) for field in fields):
            raise ReadError(path, f"line {number} holds a field that is not a number: {line.strip()[:60]!r}",
                            expected=EXPECTED)
        skipped += blank if rows else 0
        rows.append(fields)
        blank = 0
    if not rows:
        raise ReadError(path, "no data rows", expected=EXPECTED)
    if skipped:
        notes.append(f"{skipped} blank line(s) between the data rows skipped; all {len(rows)} rows read")
    return np.array(rows, dtype=np.float64)
