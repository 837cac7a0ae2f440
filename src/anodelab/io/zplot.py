"""Scribner ZPlot / ZView text files (``.z``).

Layout: ``ZPLOT2 ASCII``, a block of ``Key: value`` lines (experiment type, ``Data Points: 48``
...), the column line ``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range``, the line
``End Comments``, then tab (or comma) separated rows. Z'' is stored with the physical sign
(negative for a capacitive response), as impedance.py's ``readZPlot`` also takes it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import imaginary_sign_note, spectra_from_arrays
from anodelab.io.common import read_text_lines

EXPECTED = "a ZPlot .z file (Freq(Hz) ... Z'(a) Z''(b) columns, 'End Comments', tab-separated rows)"


def read_z(path: Path) -> SpectrumSeries:
    """Read a ZPlot .z file into a SpectrumSeries (one spectrum per frequency sweep)."""
    path = Path(path)
    lines = read_text_lines(path, EXPECTED)
    names_index = next((i for i, line in enumerate(lines) if line.strip().startswith("Freq(Hz)")), None)
    if names_index is None:
        raise ReadError(path, "no 'Freq(Hz)' column line", expected=EXPECTED)
    names = [n.strip() for n in re.split(r"\t|,\s*", lines[names_index].strip())]
    start = names_index + 1
    while start < len(lines) and not _is_row(lines[start]):
        start += 1
    data = _rows(path, lines[start:], len(names))
    declared = re.search(r"^\s*Data Points:\s*(\d+)", "\n".join(lines[:names_index]), re.MULTILINE)
    if declared and data.shape[0] < int(declared.group(1)):
        raise ReadError(path, f"header declares {declared.group(1)} data points, the file holds {data.shape[0]} "
                        "(truncated file)", expected=EXPECTED)
    index = {name: i for i, name in enumerate(names)}
    real = next((i for n, i in index.items() if re.match(r"^Z'(\(|$)", n)), None)
    imag = next((i for n, i in index.items() if re.match(r"^Z''(\(|$)", n)), None)
    if real is None or imag is None:
        raise ReadError(path, f"columns {names} hold no Z' and Z''", expected=EXPECTED)
    notes = ["ZPlot: Z'' read as Im(Z) with its sign as stored"]
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


def _is_row(line: str) -> bool:
    return bool(re.match(r"^\s*[-+]?(\d|\.\d)", line))


def _rows(path: Path, lines: list[str], width: int) -> NDArray[np.float64]:
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = re.split(r"\t|,\s*", line.strip())
        if len(fields) != width:
            raise ReadError(path, f"data row {number} has {len(fields)} fields, the column line names {width}",
                            expected=EXPECTED)
        rows.append(fields)
    if not rows:
        raise ReadError(path, "no data rows", expected=EXPECTED)
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError:
        raise ReadError(path, "a data row holds a non-numeric field", expected=EXPECTED) from None
