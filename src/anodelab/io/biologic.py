"""BioLogic EC-Lab / BT-Lab, what the readers share: the conversion of EC-Lab columns to canonical columns.

The readers are :mod:`anodelab.io.biologic_mpr` (binary ``.mpr``) and :mod:`anodelab.io.biologic_text`
(text ``.mpt`` and plain EC-Lab text exports); the EC-Lab column names are in
:mod:`anodelab.io.biologic_columns`, the impedance rows and their spectra in :mod:`anodelab.io.biologic_impedance`.

All three readers name the instrument's columns as EC-Lab's text export does (``Ewe/V``, ``I/mA``,
``(Q-Qo)/mA.h``, ``Ns``, ...) and then share one conversion to the canonical columns:

* ``voltage_V``: ``Ewe/V`` (or ``<Ewe>/V``, written ``<Ewe/V>`` by EC-Lab 11.50's constant-current
  techniques; ``Ecell/V`` in BT-Lab full-cell exports). Ewe is the working electrode against the
  reference, which is the cell voltage in two-electrode cells.
* ``time_s``: ``time/s`` minus its first value; the absolute start is kept in the provenance notes.
* ``current_mA``: ``I/mA`` or ``<I>/mA`` (BioLogic already signs current anodic-positive); files that
  store only the charge increment ``dq/mA.h`` get ``dq / dt`` (said in the notes to be derived; the
  first row of a step, whose dq starts when the step began, takes its step's next row); OCV files
  with no current get 0.
* ``step``: a new step wherever the sequence ``Ns`` changes, the "Ns changes" flag is set, or a loop
  counter (loop module, ``z cycle``, "counter inc." parity, ``Loop``) moves on, so that loop
  repetitions of the same sequence are separate steps. Files without ``Ns`` get steps from the
  sign of the current (the core rule).
* ``capacity_mAh``: charge within the step from ``(Q-Qo)``, ``dQ``, ``Q charge/discharge`` or the
  running sum of ``dq`` (in that order of preference).
* impedance files (``freq/Hz`` with ``Re(Z)``/``-Im(Z)`` or ``|Z|``/``Phase(Z)`` on every row) become a
  :class:`SpectrumSeries`, split wherever a loop, the cycle number or the sequence changes, or the
  frequency sweep restarts.
* files that mix techniques (a Modulo Bat or linked GCPL with PEIS/GEIS, whose impedance rows are the
  rows with a frequency > 0 and an impedance) become a :class:`Record` of the other rows, every one of them, with the
  spectra of the impedance rows in ``record.spectra`` (split by the same rules, and where other rows
  come between impedance rows), tied to the rows by ``time_s``: both count from the file's first row.
  A file is pure impedance when its technique is PEIS/GEIS, every row has a frequency, or, with no
  technique named (plain text exports), most rows have one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    REST,
    capacity_within_steps,
    run_starts,
    state_from_current,
)
from anodelab.core.errors import ReadError, ValidationError
from anodelab.core.record import Digest, Provenance, Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.biologic_columns import (
    _CHARGE_COUNTERS,
    _CURRENT,
    _STEP_MARKERS,
    _TEMPERATURE,
    _VOLTAGE,
    Columns,
)
from anodelab.io.biologic_impedance import (
    _IMPEDANCE_TECHNIQUES,
    _SPECTRUM_COLUMNS,
    _frequency_rows,
    _has_impedance,
    _is_impedance,
    _no_spectrum,
    _note_impedance_without_frequency,
    _series,
    impedance_pair,
)
from anodelab.io.columns import valid_frequencies
from anodelab.io.common import finite_column, text_series

INSTRUMENT = "BioLogic"

_EXTRA_NAMES = {
    "mode": "control_mode", "ox/red": "ox_red", "ox": "ox_red", "error": "error_flag", "Ns": "sequence",
    "I Range": "I_range", "half cycle": "half_cycle", "z cycle": "z_cycle", "Loop": "loop",
    "control/V/mA": "control_V_or_mA", "Ewe-Ece/V": "Ewe_minus_Ece_V", "x": "x_intercalated",
    "freq/Hz": "frequency_Hz", "Re(Z)/Ohm": "Z_real_ohm", "-Im(Z)/Ohm": "minus_Z_imag_ohm",
    "|Z|/Ohm": "Z_mod_ohm", "Phase(Z)/deg": "Z_phase_deg", "P/W": "power_W",
    "|Energy|/W.h": "energy_Wh", "Energy/W.h": "energy_Wh",
    "Capacity/mA.h": "ec_lab_capacity_mAh", "cycle_index": "beep_cycle_index",
}


@dataclass
class _Raw:
    """Instrument columns under EC-Lab names, with what the file says about itself."""

    columns: Columns
    techniques: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    loop: NDArray[np.int64] | None = None  # loop number per row (mpr loop module)
    instrument: str = INSTRUMENT
    sha256: Digest | None = None  # of the bytes parsed (deferred), when the reader read the file whole
    # copied .mpr columns as views into the file, for the extras: the copies of the counters read once (dq, the
    # charge counter) are overwritten by the conversion (into current_mA, capacity_mAh)
    views: Columns = field(default_factory=dict)
    table: NDArray[np.void] | None = None  # the .mpr row table the views look into (fields named as the columns)


# ============================================================================================
# shared conversion: EC-Lab columns -> Record or SpectrumSeries
# ============================================================================================


def _convert(path: Path, data: _Raw, expected: str, *, drop_empty: bool = True) -> Record | SpectrumSeries:
    """The canonical Record or SpectrumSeries; ``drop_empty`` drops columns a text export left blank."""
    columns = data.columns
    impedance = _is_impedance(columns)
    impedance_only = bool(data.techniques) and set(data.techniques) <= _IMPEDANCE_TECHNIQUES
    if not impedance and impedance_only:
        raise ReadError(path, f"technique {'/'.join(dict.fromkeys(data.techniques))} (impedance) but "
                        f"{_no_spectrum(columns)}", expected=f"{expected} with {_SPECTRUM_COLUMNS}")
    if drop_empty:
        empty = [name for name, values in columns.items() if not _has_values(values)]
        if "time/s" in empty:
            raise ReadError(path, "column 'time/s' holds no value in any row", expected=expected)
        columns = {name: values for name, values in columns.items() if name not in empty}
        if impedance and "freq/Hz" in empty:  # refused by _spectra, naming it
            columns["freq/Hz"] = np.full(data.columns["freq/Hz"].size, np.nan)
        for name, values in columns.items():
            if values.dtype.kind not in "fiub" and name != "time/s":
                raise ReadError(path, f"column {name!r} holds a non-numeric value in data row "
                                f"{_first_non_numeric(values)}", expected=expected)
    if "time/s" in columns:
        columns["time/s"] = _seconds(path, columns["time/s"], data.notes, expected)
    rows = _frequency_rows(columns)
    if impedance and (impedance_only or not data.techniques or rows is None or rows.all()):
        return _spectra(path, columns, data, expected)
    if rows is not None and not impedance_only:
        return _mixed(path, columns, data, rows, expected)
    if rows is None:
        _note_impedance_without_frequency(columns, data.notes)
    return _record(path, columns, data, expected)


def _provenance(data: _Raw) -> Provenance:
    return Provenance(sha256=data.sha256, instrument=data.instrument, techniques=data.techniques,
                      notes=tuple(data.notes))


def _record(path: Path, columns: Columns, data: _Raw, expected: str,
            spectra: tuple[NDArray[np.bool_], SpectrumSeries] | None = None) -> Record:
    """The Record of the rows; ``spectra``: the impedance rows of a mixed file and their spectra, the rows
    left out (after steps, current and capacity are derived from every row) and the spectra attached."""
    voltage_name = next((name for name in _VOLTAGE if name in columns), None)
    if voltage_name is None:
        raise ReadError(path, f"no potential column among {', '.join(columns) or 'no columns'}",
                        expected=f"{expected} with Ewe/V, <Ewe>/V or Ecell/V")
    out: dict[str, NDArray[Any]] = {"voltage_V": finite_column(path, voltage_name, columns[voltage_name], expected)}
    steps = _step_ids(columns, data.loop)
    current, current_name = _current(path, columns, data, steps, expected)
    if current is not None:
        out["current_mA"] = current
    out.update(_steps_and_capacity(path, columns, data, out, steps, expected))
    time = columns.get("time/s")
    if time is not None:  # after dq/dt, which takes the instrument's own time differences
        out["time_s"] = _from_first_row(time)
    cycle = columns.get("cycle number")
    if cycle is not None and cycle.dtype.kind in "fiu" and np.all(np.isfinite(cycle)):
        out["cycle"] = cycle.astype(np.int64)
    temperature = next((columns[name] for name in _TEMPERATURE if name in columns), None)
    if temperature is not None and temperature.dtype.kind == "f" and np.any(np.isfinite(temperature)):
        out["temperature_C"] = temperature
    _check_potentials(columns, out["voltage_V"], voltage_name, data.notes)
    consumed = {voltage_name, current_name, "time/s", "cycle number", *_TEMPERATURE, *_STEP_MARKERS}
    if "state" in out:
        consumed.add("Capacity/mA.h")
    if spectra is None:
        _add_extras(out, columns, consumed, data.views)
    else:
        out = _without_impedance_rows(out, columns, consumed, data, *spectra)
    try:
        record = Record.from_columns(out, provenance=_provenance(data))
    except ValidationError as error:
        raise ReadError(path, str(error), expected=expected) from None
    return record if spectra is None else record.with_spectra(spectra[1])


def _from_first_row(time: NDArray[np.float64]) -> NDArray[np.float64]:
    """Time since the first row: shifted in place when the array is the reader's own copy."""
    if not time.size or time[0] == 0:
        return time
    shifted: NDArray[np.float64] = (np.subtract(time, time[0], out=time)
                                    if time.flags.owndata and time.flags.writeable else time - time[0])
    return shifted


def _steps_and_capacity(path: Path, columns: Columns, data: _Raw, out: Mapping[str, NDArray[Any]],
                        steps: _Steps | None, expected: str) -> dict[str, NDArray[Any]]:
    """``step`` ids and ``capacity_mAh`` (and ``state`` for voltage/capacity-only exports), given the
    instrument's steps (:func:`_step_ids`)."""
    current = out.get("current_mA")
    step: NDArray[np.integer[Any]] | None
    starts: NDArray[np.intp] | None
    step, starts = steps if steps is not None else (None, None)
    if step is None and current is not None:
        step = state_from_current(current)  # the core's own rule, so capacity uses the same steps
    if "time/s" not in columns and current is None and "Capacity/mA.h" in columns:
        capacity = finite_column(path, "Capacity/mA.h", columns["Capacity/mA.h"], expected)
        state, step = _states_from_capacity(capacity, out["voltage_V"])
        data.notes.append("no time or current in the file: steps from the capacity resets, state from the "
                          "voltage trend of each step (rising = charge)")
        return {"step": step, "state": state, "capacity_mAh": capacity}
    if current is None:
        data.notes.append("no current column: state unknown")
    if step is None:
        return {}
    within = _capacity(columns, step, starts, data.views)
    return {"step": step} if within is None else {"step": step, "capacity_mAh": within}


def _check_potentials(columns: Columns, voltage: NDArray[np.float64], name: str, notes: list[str]) -> None:
    """Note rows where Ewe disagrees with the file's own (Ewe-Ece) + Ece (a defective export)."""
    off = potential_mismatch(columns, voltage, name)
    if off is not None and off.any():
        notes.append(potential_note(name, int(off.sum()), off.size, int(np.argmax(off)) + 1))


def potential_mismatch(columns: Columns, voltage: NDArray[np.float64], name: str) -> NDArray[np.bool_] | None:
    """Rows where the potential ``name`` differs from (Ewe-Ece) + Ece by more than 1 mV; None where the file
    has not both."""
    counter = next((columns[n] for n in ("<Ece>/V", "Ece/V") if n in columns), None)
    difference = columns.get("Ewe-Ece/V")
    if counter is None or difference is None or not name.startswith(("Ewe", "<Ewe")):
        return None
    off: NDArray[np.bool_] = np.abs(voltage - (np.asarray(difference, dtype=np.float64) + counter)) > 1e-3
    return off


def potential_note(name: str, count: int, rows: int, first_row: int) -> str:
    """The note for ``count`` of ``rows`` rows (the first: data row ``first_row``) found by :func:`potential_mismatch`."""
    return (f"{name} differs from (Ewe-Ece/V) + (Ece/V) by more than 1 mV on {count} of {rows} rows (first: data "
            f"row {first_row}); {name} is kept as the file has it")


def _first_non_numeric(values: NDArray[Any]) -> int:
    """1-based row of the first entry that is neither empty nor a number."""
    for row, value in enumerate(values, start=1):
        try:
            float(str(value).replace(",", "."))
        except ValueError:
            if value not in (None, ""):
                return row
    return 0


def _has_values(values: NDArray[Any]) -> bool:
    """False for columns the export left empty (all missing)."""
    if values.dtype.kind == "f":
        return bool(values.size) and not np.all(np.isnan(values))
    if values.dtype.kind in "OUS":
        return any(value not in (None, "") for value in values[:1000])
    return True


def _seconds(path: Path, values: NDArray[Any], notes: list[str], expected: str) -> NDArray[np.float64]:
    """``time/s`` as float seconds: numbers as they are, absolute date-times (BT-Lab) as seconds."""
    if values.dtype.kind not in "fiu":
        values, start = _datetimes_to_seconds(path, values, expected)
        notes.append(f"first row at {start} (instrument clock, absolute time export)")
    time = finite_column(path, "time/s", np.ascontiguousarray(values), expected)
    backwards = time[1:] < time[:-1]
    if backwards.any():
        row = int(np.argmax(backwards)) + 2
        raise ReadError(path, f"time/s runs backwards at data row {row}", expected=expected)
    return time


def _datetimes_to_seconds(path: Path, values: NDArray[Any], expected: str) -> tuple[NDArray[np.float64], str]:
    """Absolute ``MM/DD/YYYY hh:mm:ss.fff`` (EC-Lab "Absolute MMDDYYYY"; DD/MM when MM > 12)."""
    import polars as pl

    text = text_series(values).str.strip_chars()
    month_first = not bool((text.str.slice(0, 2).cast(pl.Int32, strict=False) > 12).any())
    fmt = "%m/%d/%Y %H:%M:%S%.f" if month_first else "%d/%m/%Y %H:%M:%S%.f"
    parsed = text.str.to_datetime(fmt, strict=False, time_unit="us")
    if parsed.null_count() or not len(parsed):
        row = int(parsed.is_null().arg_true()[0]) + 1 if len(parsed) else 0
        raise ReadError(path, f"time/s is neither a number nor a date-time {fmt!r} in data row {row}",
                        expected=expected)
    micros = parsed.dt.epoch("us").to_numpy()
    return (micros - micros[0]) / 1e6, str(parsed[0])


def _current(path: Path, columns: Columns, data: _Raw, steps: _Steps | None,
             expected: str) -> tuple[NDArray[np.float64] | None, str]:
    """Signed current (mA) and the column it came from: measured, dq/dt, the setpoint, or 0 for OCV
    (``steps``: the instrument's steps, :func:`_step_ids`)."""
    for name in _CURRENT:
        if name in columns:
            return finite_column(path, name, columns[name], expected), name
    time = columns.get("time/s")
    if time is not None and "dq/mA.h" in columns:
        charge_mAs = _finite_scaled(path, "dq/mA.h", columns["dq/mA.h"], 3600.0, expected,
                                    original=data.views.get("dq/mA.h"))
        current, borrowed = current_from_charge(time, charge_mAs, steps)
        data.notes.append(charge_current_note(borrowed.size))
        return current, ""
    if "control/mA" in columns:
        data.notes.append("current_mA is the control setpoint control/mA: the file stores no measured current")
        return finite_column(path, "control/mA", columns["control/mA"], expected), "control/mA"
    if data.techniques == ("OCV",):
        data.notes.append("current_mA = 0: open-circuit (OCV) technique, the file stores no current")
        return np.zeros(columns[next(n for n in _VOLTAGE if n in columns)].size), ""
    return None, ""


def _finite_scaled(path: Path, name: str, values: NDArray[Any], scale: float, expected: str, *,
                   original: NDArray[Any] | None = None) -> NDArray[np.float64]:
    """``values * scale`` as float64, in one pass over ``values`` (a view into the .mpr row table is read
    once; the reader's own float64 copy, whose file values ``original`` keeps, is scaled in place), or
    :func:`finite_column`'s ReadError naming the first value that is missing or not a number."""
    if values.dtype.kind not in "fiub":
        finite_column(path, name, values, expected)  # raises: not numeric
    own = original is not None and values.dtype == np.float64 and values.flags.writeable
    with np.errstate(over="ignore", invalid="ignore"):
        scaled: NDArray[np.float64] = np.multiply(values, scale, dtype=np.float64, out=values if own else None)
    if scaled.size and not (np.isfinite(scaled.min()) and np.isfinite(scaled.max())):  # NaN and inf show there
        file_values = original if own and original is not None else values
        finite_column(path, name, file_values, expected)  # raises, unless only the product overflowed
    return scaled


_DT_ROWS = 8192  #: rows of time differences computed at a time by _current_from_charge (64 KiB)


def current_from_charge(
    time: NDArray[np.float64], charge_mAs: NDArray[np.float64], steps: _Steps | None
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Mean current (mA) of each row from its charge increment ``charge_mAs`` (dq in mA s, overwritten:
    it becomes the current), and the rows that borrowed a neighbour's.

    ``dq`` of a row is the charge since the previous row, except on the first row of a step, where
    it starts when the step began. Such rows (and rows with no time step) take the value of the next
    row of the same step, else of the previous one; a one-row step keeps dq over the whole interval.
    Steps are the instrument's, or runs of the same sign of dq when the file has none (the first
    row, which has no interval, joining the second).
    """
    n = charge_mAs.size
    if steps is None:
        sign = np.sign(charge_mAs)
        if n > 1:
            sign[0] = sign[1]
        step = np.cumsum(np.r_[False, sign[1:] != sign[:-1]], dtype=np.int32)
        starts = run_starts(step)
    else:
        step, starts = steps
    current = charge_mAs
    # dt, a block of rows at a time: a small buffer malloc reuses (a whole column may be fresh pages each read)
    dt = np.empty(min(n, _DT_ROWS))
    no_step = [np.zeros(min(n, 1), dtype=np.intp)]  # rows with no time step; the first row has no interval
    with np.errstate(divide="ignore", invalid="ignore"):  # rows with no time step are set below
        for begin in range(1, n, _DT_ROWS):
            end = min(n, begin + _DT_ROWS)
            part = np.subtract(time[begin:end], time[begin - 1:end - 1], out=dt[:end - begin])
            np.divide(current[begin:end], part, out=current[begin:end])
            no_step.append(np.flatnonzero(part <= 0) + begin)
    zero = np.concatenate(no_step)
    current[zero] = 0.0
    bad = np.union1d(zero, starts)  # few: first rows of steps and rows with no time step
    # the valid rows nearest to each bad one: after and before its run of consecutive bad rows
    run = bad - np.arange(bad.size)  # constant along a run of consecutive bad rows
    following = bad[np.searchsorted(run, run, side="right") - 1] + 1
    preceding = bad[np.searchsorted(run, run, side="left")] - 1
    own = step[bad]
    source = np.where((following < n) & (step[np.minimum(following, n - 1)] == own), following, preceding)
    source = np.where((source >= 0) & (step[np.maximum(source, 0)] == own), source, bad)
    borrowed = source != bad
    current[bad[borrowed]] = current[source[borrowed]]
    return current, bad[borrowed]


def charge_current_note(borrowed: int) -> str:
    """The note for a current derived from dq (:func:`current_from_charge`; ``borrowed`` rows took a neighbour's)."""
    return ("current_mA is derived, not measured: the file stores no current, so current_mA = dq/dt, the mean "
            "current since the previous row; the first row of a step (whose dq covers only the part of the "
            "interval after the step began, at a time the file does not record) and rows with no time step take "
            f"the value of the nearest row of the same step ({borrowed} rows)")


#: step ids (1, 2, 3, ... as Record numbers them) and the first row of each step
_Steps = tuple[NDArray[np.int32], NDArray[np.intp]]


def _step_ids(columns: Columns, loop: NDArray[np.int64] | None) -> _Steps | None:
    """Instrument steps: a new step at each sequence change or loop repetition."""
    sequence = columns.get("Ns")
    if sequence is None:
        return None
    sequence = np.ascontiguousarray(sequence)
    changed = np.zeros(sequence.size, dtype=bool)
    changed[1:] = sequence[1:] != sequence[:-1]
    if "Ns changes" in columns:
        changed |= np.asarray(columns["Ns changes"]) != 0
    counters = [columns[name] for name in ("z cycle", "counter inc.", "Loop") if name in columns]
    if loop is not None:
        counters.append(loop)
    for counter in counters:
        changed[1:] |= counter[1:] != counter[:-1]
    if changed.size:
        changed[0] = False
    changes = np.flatnonzero(changed)
    starts = np.r_[0, changes] if changed.size else changes
    return np.repeat(np.arange(1, starts.size + 1, dtype=np.int32), np.diff(starts, append=changed.size)), starts


def _capacity(columns: Columns, step: NDArray[Any], starts: NDArray[np.intp] | None,
              views: Columns) -> NDArray[np.float64] | None:
    """Charge within each step (mAh) by :func:`capacity_within_steps` from the first charge counter (cumulative
    or resetting) that is finite on every row, else from the running sum of ``dq``; None without either.

    A counter is read once (a view into the .mpr row table; the reader's own float64 copy, whose file
    values ``views`` keeps, becomes the capacity in place): finite counters give a finite capacity, so
    the counter itself is checked only where the capacity is not (it may have overflowed).
    ``starts``: the first row of each step, where known.
    """
    for name, scale in _CHARGE_COUNTERS:
        values = columns.get(name)
        if values is None or values.dtype.kind not in "fiu":
            continue
        out = values if name in views and values.dtype == np.float64 and values.flags.writeable else None
        charge = values if scale == 1.0 else np.multiply(values, scale, dtype=np.float64, out=out)
        with np.errstate(over="ignore", invalid="ignore"):
            capacity = capacity_within_steps(charge, step, starts=starts, out=out)
        if not capacity.size or np.isfinite(capacity.max()) or np.isfinite(views.get(name, values)).all():
            return capacity  # (>= 0: NaN and inf show in the maximum)
    increments = views.get("dq/mA.h", columns.get("dq/mA.h"))  # the file's values (the copy became the current)
    if increments is not None and increments.dtype.kind in "fiu" and np.all(np.isfinite(increments)):
        return capacity_within_steps(np.cumsum(increments, dtype=np.float64), step, starts=starts)
    return None


def _states_from_capacity(
    capacity: NDArray[np.float64], voltage: NDArray[np.float64]
) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
    """States and step ids for exports holding only voltage and a per-step capacity.

    A step starts where the capacity falls back (to zero, or by more than 1 % of the largest
    capacity, so rounding noise near zero is not a reset). A step is a charge when its voltage ends
    above where it started, else a discharge; leading rows with exactly zero capacity are a rest.
    """
    n = capacity.size
    tolerance = 0.01 * float(np.max(capacity, initial=0.0))
    drop = np.zeros(n, dtype=bool)
    drop[1:] = (capacity[1:] < capacity[:-1]) & ((capacity[1:] == 0) | (capacity[:-1] - capacity[1:] > tolerance))
    state = np.full(n, REST, dtype=np.int8)
    step = np.cumsum(drop) * 2  # even ids: the leading rest of a segment; odd ids: its active part
    starts = np.flatnonzero(np.r_[True, drop[1:]])
    for begin, end in zip(starts, np.r_[starts[1:], n]):
        nonzero = np.flatnonzero(capacity[begin:end] != 0)
        if nonzero.size == 0:
            continue
        lead = int(nonzero[0])
        active = begin + lead if lead > 1 else begin  # one zero row is just the reset itself
        state[active:end] = CHARGE if voltage[end - 1] > voltage[active] else DISCHARGE
        step[active:end] += 1
    return state, step


def _add_extras(out: dict[str, NDArray[Any]], columns: Columns, consumed: set[str], views: Columns) -> None:
    """Keep the other numeric instrument columns under snake_case names with units (as ``views``
    where it holds them: the copies can go once read)."""
    for name, values in columns.items():
        if name in consumed or values.dtype.kind not in "fiub":
            continue
        extra = _extra_name(name)
        while extra in out:
            extra += "_2"
        out[extra] = views.get(name, values)


@cache
def _extra_name(name: str) -> str:
    if name in _EXTRA_NAMES:
        return _EXTRA_NAMES[name]
    quantity, _, unit = name.rpartition("/") if "/" in name else (name, "", "")
    quantity = re.sub(r"\|(.+?)\|", r"\1_mod", quantity)
    quantity = re.sub(r"<(.+?)>", r"\1_mean", quantity).replace("-Im(", "minus_Im(").replace("(Q-Qo)", "Q_minus_Qo")
    unit = {"C": "coulomb", "%": "pct"}.get(unit, unit)
    unit = unit.replace("mA.h", "mAh").replace("W.h", "Wh").replace("Ohm-1", "S").replace("Ohm", "ohm")
    unit = unit.replace("µ", "u").replace("°", "deg").replace("-2", "_inv2").replace("-1", "_inv")
    unit = unit.replace("/", "_per_")
    text = f"{quantity}_{unit}" if unit else quantity
    return re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_") or "unnamed"


# -- impedance files and the impedance rows of mixed files ----------------------------------------


def _spectra(path: Path, columns: Columns, data: _Raw, expected: str) -> SpectrumSeries:
    """The spectra of an impedance file; rows without a valid frequency are left out, with a note."""
    good, note = valid_frequencies(np.asarray(columns["freq/Hz"], dtype=np.float64), "freq/Hz")
    if not good.any():
        raise ReadError(path, "impedance columns, but no row has a valid frequency (freq/Hz missing, infinite, 0 "
                        "or negative on every row)", expected=f"{expected} with a frequency on every impedance row")
    time = columns.get("time/s")
    origin = float(time[0]) if time is not None else 0.0
    loop = data.loop
    if note:
        data.notes.append(note)
        columns = {name: values[good] for name, values in columns.items()}
        loop = loop[good] if loop is not None else None
    return _series(path, columns, loop, _provenance(data), expected, origin=origin)


def _mixed(path: Path, columns: Columns, data: _Raw, frequency: NDArray[np.bool_], expected: str) -> Record:
    """A file that mixes techniques: the Record of its rows, but for those with a frequency (``frequency``)
    and an impedance, which make its spectra. A row with only one of the two stays a row (noted)."""
    pair = impedance_pair(columns)
    if pair is None:
        data.notes.append(f"{int(frequency.sum())} rows have a frequency (freq/Hz > 0) but the file has no impedance "
                          f"columns ({_SPECTRUM_COLUMNS}): kept as rows of the record, in no spectrum")
        return _record(path, columns, data, expected)
    first, second = pair
    impedance = _has_impedance(columns[first], columns[second], modulus=first == "|Z|/Ohm")
    rows = frequency & impedance
    odd = np.flatnonzero(frequency != impedance)
    if odd.size:
        where = ", ".join(str(row + 1) for row in odd[:10]) + (" ..." if odd.size > 10 else "")
        data.notes.append(f"{odd.size} rows have a frequency (freq/Hz > 0) but no impedance ({first}, {second} "
                          f"missing or 0), or an impedance but no frequency (data rows {where}): kept as rows of the "
                          "record, in no spectrum")
    if not rows.any():
        return _record(path, columns, data, expected)
    time = columns.get("time/s")
    origin = float(time[0]) if time is not None else 0.0  # the file's first row: the record's clock
    spectra = _series(path, {name: values[rows] for name, values in columns.items()},
                      data.loop[rows] if data.loop is not None else None, _provenance(data), expected,
                      origin=origin, positions=np.flatnonzero(rows))
    return _record(path, columns, data, expected, spectra=(rows, spectra))


def _without_impedance_rows(out: Columns, columns: Columns, consumed: set[str], data: _Raw, rows: NDArray[np.bool_],
                            spectra: SpectrumSeries) -> Columns:
    """The canonical columns ``out`` and the extras (:func:`_add_extras`) without the impedance ``rows``, and
    without the instrument columns only those rows fill (0 or empty on every other row: frequency, impedance,
    harmonics), said in the notes."""
    keep = ~rows
    step = out.get("step")  # as run numbers over every row: steps either side of an impedance measurement stay apart
    if step is not None:
        out = {**out, "step": np.cumsum(np.r_[True, step[1:] != step[:-1]], dtype=np.int32)}
    kept = {name: values[keep] for name, values in out.items()}
    table = _KeptTable(data.table, keep) if data.table is not None else None
    others: Columns = {}
    theirs: list[str] = []
    impedance = np.flatnonzero(rows)  # few: indexed, where a mask would pass over every row
    for name, values in columns.items():
        if name in consumed or values.dtype.kind not in "fiub":
            continue
        source = data.views.get(name, values)
        if table is not None and name in table.fields:
            part, filled = table.rows[name], table.filled(name)
        else:
            part = source[keep]
            filled = _filled(part)
        if not filled and _filled(source[impedance]):
            theirs.append(name)
        else:
            others[name] = part
    _add_extras(kept, others, set(), {})
    data.notes.append(
        f"{int(np.count_nonzero(rows))} of {rows.size} rows are impedance measurements (a frequency and an "
        f"impedance): read as {len(spectra)} spectra (record.spectra: frequency and Z, each tied to the record by the "
        "time_s it started) and left out of the record's rows"
        + (f"; the columns only they fill are not record columns ({', '.join(theirs)}): of those, only the frequency "
           "and impedance are kept, in the spectra" if theirs else ""))
    return kept


class _KeptTable:
    """The ``keep`` rows of an .mpr row table, copied once as raw bytes (a structured copy converts field by
    field); its fields are views into that copy, of the file's values (as ``_Raw.views`` holds them)."""

    def __init__(self, table: NDArray[np.void], keep: NDArray[np.bool_]) -> None:
        raw = table.view(np.dtype((np.void, table.itemsize)))[keep]
        self.rows = raw.view(table.dtype)
        self.fields: Mapping[str, tuple[Any, ...]] = table.dtype.fields or {}
        # which bytes of a row are not 0 in some kept row: one pass over the copy for every field
        self._nonzero = np.bitwise_or.reduce(raw.view(np.uint8).reshape(raw.size, table.itemsize), axis=0)

    def filled(self, name: str) -> bool:
        """Whether the field holds a value other than 0 in a kept row: a nonzero byte, but for the sign bit of a
        float (-0.0 is 0; a NaN counts as a value here)."""
        dtype, offset = self.fields[name][:2]
        found = self._nonzero[offset:offset + dtype.itemsize]
        if dtype.kind == "f":  # little-endian (.mpr): the sign bit is the top bit of the last byte
            return bool(found[:-1].any() or found[-1] & 0x7F)
        return bool(found.any())


def _filled(values: NDArray[Any]) -> bool:
    """Whether a column holds a value other than 0 or empty (NaN): its first rows, where most columns show it,
    then the rest."""
    return _has_value(values[:_PROBE_ROWS]) or (values.size > _PROBE_ROWS and _has_value(values[_PROBE_ROWS:]))


_PROBE_ROWS = 4096


def _has_value(values: NDArray[Any]) -> bool:
    if not np.any(values):  # all 0 (NaN counts as a value here)
        return False
    if values.dtype.kind != "f":
        return True
    with np.errstate(invalid="ignore"):
        return bool(np.fmax.reduce(np.abs(values), initial=0.0) > 0)  # fmax passes NaN over


