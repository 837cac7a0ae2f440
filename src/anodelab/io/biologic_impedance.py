"""BioLogic impedance rows: which files and rows hold an impedance, and the spectra made of those rows
(split wherever a loop, the cycle number or the sequence changes, or the frequency sweep restarts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError, ValidationError
from anodelab.core.record import Provenance
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries
from anodelab.io.biologic_columns import _CURRENT, _TEMPERATURE, _VOLTAGE, Columns
from anodelab.io.common import finite_column

_IMPEDANCE_TECHNIQUES = frozenset({"PEIS", "GEIS"})
_IMPEDANCE_PAIRS = (("Re(Z)/Ohm", "-Im(Z)/Ohm"), ("|Z|/Ohm", "Phase(Z)/deg"))
_SPECTRUM_COLUMNS = "freq/Hz and Re(Z)/Ohm, -Im(Z)/Ohm (or |Z|/Ohm, Phase(Z)/deg)"


def _is_impedance(columns: Columns) -> bool:
    """An impedance file: ``freq/Hz`` and Re/-Im(Z) (or |Z|/phase) columns, with a frequency > 0 on most
    rows or impedance values (finite, not 0) on most rows. Cycling files whose few EIS rows hold the
    impedance (0 or empty elsewhere) are records."""
    frequency = columns.get("freq/Hz")
    impedance = next((columns[first] for first, second in _IMPEDANCE_PAIRS if first in columns and second in columns),
                     None)
    if frequency is None or impedance is None or frequency.size == 0:
        return False
    if frequency.dtype.kind in "fiu" and int(np.count_nonzero(np.isfinite(frequency) & (frequency > 0))) * 2 > frequency.size:
        return True
    return impedance.dtype.kind in "fiu" and int(np.count_nonzero(np.isfinite(impedance) & (impedance != 0))) * 2 > impedance.size


def _frequency_rows(columns: Columns) -> NDArray[np.bool_] | None:
    """The rows with a frequency (finite, > 0); None where there are none."""
    frequency = columns.get("freq/Hz")
    if frequency is None or frequency.dtype.kind not in "fiu":
        return None
    with np.errstate(invalid="ignore"):
        rows = np.isfinite(frequency) & (frequency > 0)
    return rows if rows.any() else None


def _no_spectrum(columns: Columns) -> str:
    """Why the columns of an impedance technique make no spectrum: the missing columns, else the values."""
    missing = [] if "freq/Hz" in columns else ["freq/Hz"]
    if not any(first in columns and second in columns for first, second in _IMPEDANCE_PAIRS):
        missing += [name for pair in _IMPEDANCE_PAIRS for name in pair if name not in columns]
    if missing:
        return f"missing column(s) {', '.join(missing)} (columns: {', '.join(columns)})"
    return "fewer than half the rows hold a frequency > 0 or a nonzero impedance"


def _note_impedance_without_frequency(columns: Columns, notes: list[str]) -> None:
    """Note rows that hold an impedance in a file without a frequency on any row: no spectrum can be made."""
    pair = impedance_pair(columns)
    if pair is None:
        return
    count = int(np.count_nonzero(_has_impedance(columns[pair[0]], columns[pair[1]], modulus=pair[0] == "|Z|/Ohm")))
    if count:
        notes.append(impedance_without_frequency_note(pair, count, "freq/Hz" in columns))


def impedance_pair(columns: Columns) -> tuple[str, str] | None:
    """The first pair of impedance columns (Re/-Im(Z), else |Z|/phase) the file has both of."""
    return next((pair for pair in _IMPEDANCE_PAIRS if pair[0] in columns and pair[1] in columns), None)


def impedance_without_frequency_note(pair: tuple[str, str], count: int, frequency_column: bool) -> str:
    """The note for ``count`` rows holding an impedance (``pair``) where no row has a frequency."""
    return (f"{count} rows hold an impedance ({', '.join(pair)}) but no row has a frequency (freq/Hz "
            f"{'not > 0' if frequency_column else 'missing'}): kept as rows of the record, in no spectrum")


def _has_impedance(first: NDArray[Any], second: NDArray[Any], *, modulus: bool) -> NDArray[np.bool_]:
    """Rows with a measured impedance: both values finite, and Re/-Im not both 0 (``modulus``: |Z| not 0)."""
    if first.dtype.kind not in "fiu" or second.dtype.kind not in "fiu":
        return np.zeros(first.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        nonzero = (first != 0) if modulus else (first != 0) | (second != 0)
        measured: NDArray[np.bool_] = np.isfinite(first) & np.isfinite(second) & nonzero
    return measured


def _series(path: Path, columns: Columns, loop: NDArray[np.int64] | None, provenance: Provenance, expected: str, *,
            origin: float, positions: NDArray[np.intp] | None = None) -> SpectrumSeries:
    """The spectra of impedance rows (each with a valid frequency); time in their context counts from
    ``origin``. ``positions``: the rows' places in a mixed file, whose other rows part spectra; the
    instrument's cycle number then goes to ``extras["cycle_instrument"]`` (the record ties ``cycle``)."""
    frequency = finite_column(path, "freq/Hz", columns["freq/Hz"], expected)
    if {"Re(Z)/Ohm", "-Im(Z)/Ohm"} <= columns.keys():
        real = finite_column(path, "Re(Z)/Ohm", columns["Re(Z)/Ohm"], expected)
        imag = -finite_column(path, "-Im(Z)/Ohm", columns["-Im(Z)/Ohm"], expected)  # files store -Im(Z)
    else:
        modulus = finite_column(path, "|Z|/Ohm", columns["|Z|/Ohm"], expected)
        phase = np.radians(finite_column(path, "Phase(Z)/deg", columns["Phase(Z)/deg"], expected))
        real, imag = modulus * np.cos(phase), modulus * np.sin(phase)
    time = columns.get("time/s")
    voltage = next((columns[name] for name in _VOLTAGE if name in columns), None)
    current = next((columns[name] for name in _CURRENT if name in columns), None)
    cycle = columns.get("cycle number")
    temperature = next((columns[name] for name in _TEMPERATURE if name in columns), None)
    spectra = []
    starts = _spectrum_starts(frequency, columns, loop, positions)
    for begin, end in zip(starts, np.r_[starts[1:], frequency.size]):
        rows = slice(int(begin), int(end))
        extras: dict[str, Any] = {"loop": int(loop[begin])} if loop is not None else {}
        if "Ns" in columns:
            extras["sequence"] = int(columns["Ns"][begin])
        if "z cycle" in columns:
            extras["z_cycle"] = int(columns["z cycle"][begin])
        if positions is not None and cycle is not None and np.isfinite(cycle[begin]):
            extras["cycle_instrument"] = int(cycle[begin])
        context = SpectrumContext(
            time_s=float(time[begin] - origin) if time is not None else None,
            voltage_V=_mean(voltage, rows), current_mA=_mean(current, rows),
            cycle=int(cycle[begin]) if cycle is not None and np.isfinite(cycle[begin]) else None,
            temperature_C=_mean(temperature, rows), extras=extras,
        )
        try:
            spectra.append(Spectrum.from_arrays(frequency[rows], Z_real_ohm=real[rows], Z_imag_ohm=imag[rows],
                                                context=context, provenance=provenance))
        except ValidationError as error:
            first, last = (begin + 1, end) if positions is None else (positions[begin] + 1, positions[end - 1] + 1)
            raise ReadError(path, f"spectrum {len(spectra) + 1} (data rows {first}-{last}): {error}",
                            expected=expected) from None
    return SpectrumSeries.of(spectra, provenance=provenance)


def _spectrum_starts(
    frequency: NDArray[np.float64], columns: Columns, loop: NDArray[np.int64] | None,
    positions: NDArray[np.intp] | None = None,
) -> NDArray[np.int64]:
    """First row of each spectrum: loop, cycle or sequence changes, sweep restarts, and (``positions``:
    the rows' places in a mixed file) other rows between them.

    A sweep runs in the direction most of its steps take (usually high to low frequency); a step
    against that direction, or a repeated frequency, starts a new spectrum.
    """
    new = np.zeros(frequency.size, dtype=bool)
    new[0] = True
    step = np.diff(frequency)
    direction = -1.0 if np.sum(step < 0) >= np.sum(step > 0) else 1.0
    new[1:] |= step * direction <= 0
    for counter in [columns.get(name) for name in ("cycle number", "Ns", "z cycle")] + [loop]:
        if counter is not None:
            new[1:] |= counter[1:] != counter[:-1]
    if positions is not None:
        new[1:] |= np.diff(positions) > 1
    return np.flatnonzero(new)


def _mean(values: NDArray[Any] | None, rows: slice) -> float | None:
    if values is None or values.dtype.kind not in "fiu":
        return None
    selected = np.asarray(values[rows], dtype=np.float64)
    selected = selected[np.isfinite(selected)]
    return float(selected.mean()) if selected.size else None