"""Header names -> roles (time, voltage, current, capacity, ..., frequency, Re(Z), Im(Z)), and the
builders that turn role columns into a :class:`Record` or a :class:`SpectrumSeries` (shared by the
text readers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.conventions import (
    capacity_within_steps,
    number_steps,
    state_from_current,
)
from anodelab.core.errors import AnodelabError, ReadError
from anodelab.core.record import Provenance, Record
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries
from anodelab.io.common import finite_column, text_series, unique_names
from anodelab.io.point_index import note_point_index
from anodelab.io.units import (
    CANONICAL_UNIT,
    clean_unit,
    unit_dimension,
    unit_scale,
    voltage_reference,
)

# -- header names and roles -------------------------------------------------------------------------

#: role -> (dimension, accepted names after :func:`normal_name`, in order of preference)
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "time": ("time", ("test time", "total time", "testtime", "elapsed time", "time", "t")),
    "voltage": ("voltage", ("voltage", "ewe", "<ewe>", "ecell", "<ecell>", "e", "potential", "cell potential",
                            "cell voltage", "v", "u", "volts", "working electrode potential")),
    "current": ("current", ("current", "<i>", "i", "amps", "cell current")),
    "charge_capacity": ("charge", ("charge capacity", "chg capacity", "charge cap", "q charge")),
    "discharge_capacity": ("charge", ("discharge capacity", "dchg capacity", "discharge cap", "q discharge")),
    "capacity": ("charge", ("capacity", "cap", "q", "amp hr", "amp-hr")),
    "charge_energy": ("energy", ("charge energy",)),
    "discharge_energy": ("energy", ("discharge energy",)),
    "step": ("count", ("step count", "step index", "step", "step number", "step no", "ns", "step id")),
    "cycle": ("count", ("cycle index", "cycle", "cycle number", "cycle count", "cyc#", "cycle no", "cycle id")),
    "temperature": ("temperature", ("cell temperature", "cell surface temperature", "temperature", "temp")),
    "frequency": ("frequency", ("frequency", "freq", "f")),
    "z_real": ("impedance", ("re(z)", "z'", "zreal", "z real", "real", "zre", "re z", "z re", "real(z)", "zr")),
    "z_imag": ("impedance", ("im(z)", "z''", 'z"', "zimag", "z imag", "imag", "zim", "im z", "z im",
                             "imag(z)", "imaginary", "zi")),
    "z_mod": ("impedance", ("|z|", "z mod", "zmod", "z mag", "|z", "mod(z)", "z")),
    "phase": ("angle", ("phase(z)", "phase", "z phase", "zphz", "phi", "phase angle")),
    "step_type": ("count", ("step type", "state", "status", "mode")),
}
# roles whose values cannot be read without a unit
NEEDS_UNIT = ("time", "voltage", "current", "charge_capacity", "discharge_capacity", "capacity", "temperature")
_NAME_TO_ROLE = {name: role for role, (_, names) in ROLES.items() for name in names}


def unquote(text: str) -> str:
    """Text without surrounding whitespace and one pair of surrounding double quotes (CSV quoting)."""
    text = text.strip()
    return text[1:-1].strip() if len(text) >= 2 and text[0] == text[-1] == '"' else text


def normal_name(name: str) -> str:
    """Lower case, ``_`` as space, single spaces, no surrounding quotes."""
    return re.sub(r"\s+", " ", unquote(name).replace("_", " ")).lower()


def split_header(name: str) -> tuple[str, str | None]:
    """``(name, unit)`` from a header cell: ``time/s``, ``Time (s)``, ``Voltage / V``, ``Ewe [V]``, ``Current_A``.

    A split is taken when its unit is a known unit, or when its name alone is a known role name
    (then the unknown unit is reported later, naming the column); otherwise the whole cell is the
    name and the unit is None.
    """
    name = unquote(name)
    if role_of(normal_name(name))[0] is not None:
        return name, None
    candidates = []
    for pattern in (r"^(.*\S)\s*\(([^()]+)\)$", r"^(.*\S)\s*\[([^\[\]]+)\]$", r"^(.*?\S)\s*/\s*(\S.*)$",
                    r"^(.*\S)_([A-Za-zµΩ°#]+)$"):
        match = re.match(pattern, name)
        if match:
            candidates.append((match.group(1).strip(), match.group(2).strip()))
    for base, unit in candidates:
        if unit_dimension(unit) is not None or clean_unit(unit) == "C":
            return base, unit
    for base, unit in candidates:
        if role_of(normal_name(base))[0] is not None:
            return base, unit
    return name, None


def role_of(name: str) -> tuple[str | None, bool]:
    """(role, negated) for a normalised name; ``-Im(Z)`` is z_imag negated."""
    if name in _NAME_TO_ROLE:
        return _NAME_TO_ROLE[name], False
    if name.startswith("-") and name[1:].strip() in _NAME_TO_ROLE:
        role = _NAME_TO_ROLE[name[1:].strip()]
        if role in ("z_imag", "phase"):
            return role, True
    return None, False


@dataclass(frozen=True)
class Column:
    """One table column: its key in the parsed table, name, unit, role and whether it is negated."""

    key: str
    name: str
    unit: str | None
    role: str | None
    negated: bool = False


def describe_columns(keys: Sequence[str], units: Mapping[str, str] | None = None) -> list[Column]:
    """Split names and units and assign roles. ``units`` (key -> unit) overrides header units."""
    columns = []
    for key in keys:
        unit: str | None
        if units is not None and key in units:
            name, unit = key, units[key]
        else:
            name, unit = split_header(key)
        role, negated = role_of(normal_name(name))
        if role is not None and unit is not None and role not in ("step", "cycle", "step_type"):
            dimension = ROLES[role][0]
            if unit_scale(unit, dimension) is None and unit_dimension(unit) is not None:
                role = _role_for_dimension(name, unit_dimension(unit))
        columns.append(Column(key, name, unit, role, negated))
    return columns


def _role_for_dimension(name: str, dimension: str | None) -> str | None:
    """A column named like one role but measured in another dimension (e.g. ``Charge Capacity (mWh)``)."""
    text = normal_name(name)
    if dimension == "energy":
        if "discharge" in text:
            return "discharge_energy"
        if "charge" in text:
            return "charge_energy"
    if dimension == "temperature" and text in ("t", "temp"):
        return "temperature"
    return None


def pick(columns: Sequence[Column], role: str) -> Column | None:
    """The preferred column for ``role`` (by the order of names in :data:`ROLES`)."""
    found = [c for c in columns if c.role == role]
    if not found:
        return None
    order = ROLES[role][1]
    return min(found, key=lambda c: order.index(normal_name(c.name).lstrip("-").strip())
               if normal_name(c.name).lstrip("-").strip() in order else len(order))


def extra_name(name: str, unit: str | None) -> str:
    """snake_case name with its unit for an instrument column kept as is (``Watt-hr`` -> ``watt_hr``)."""
    base = re.sub(r"[^0-9a-zA-Z]+", "_", name.replace("µ", "u").replace("Ω", "ohm")).strip("_").lower() or "column"
    if not unit:
        return base
    dimension = unit_dimension(unit)
    symbol = _unit_symbol(unit, dimension)
    return f"{base}_{symbol}" if symbol else base


def _unit_symbol(unit: str, dimension: str | None) -> str:
    cleaned = clean_unit(unit)
    if dimension in ("time", "impedance", "angle") or cleaned.lower() in ("degc", "celsius") or cleaned in ("°C", "ºC"):
        words = {"time": {1.0: "s", 60.0: "min", 3600.0: "h", 86400.0: "d", 1e-3: "ms"},
                 "impedance": {1.0: "ohm", 1e-3: "mohm", 1e3: "kohm", 1e6: "Mohm"},
                 "angle": {1.0: "deg", 180.0 / math.pi: "rad"}}
        if dimension in words:
            scale = unit_scale(unit, dimension)
            return words[dimension].get(scale[0], cleaned) if scale else cleaned
        return "C"
    cleaned = cleaned.replace("/", "_per_").replace("%", "pct").replace("^", "")
    return re.sub(r"[^0-9a-zA-Z_]+", "", cleaned.replace("Ω", "ohm"))


# -- durations ----------------------------------------------------------------------------------------

_DURATION = r"^\s*(?:(\d+)\s*d(?:ays?)?[\s,]+)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*$"


def parse_durations(path: Path, name: str, values: NDArray[Any]) -> NDArray[np.float64]:
    """Seconds from duration strings ``[Nd ]HH:MM:SS[.fff]`` (Maccor ``0d 00:45:54.84``, ``12:00:01``)."""
    import polars as pl

    series = text_series(values)
    parts = series.str.extract_groups(_DURATION).struct.unnest()
    days, hours, minutes, seconds = (parts[c].cast(pl.Float64) for c in parts.columns)
    total = (days.fill_null(0.0) * 86400.0 + hours * 3600.0 + minutes * 60.0 + seconds).to_numpy()
    bad = ~np.isfinite(total)
    if bad.any():
        row = int(np.argmax(bad))
        raise ReadError(path, f"column {name!r} has {values[row]!r} in data row {row + 1}",
                        expected="durations like '0d 00:01:02.5' or '00:01:02'")
    return np.asarray(total, dtype=np.float64)


# -- building records --------------------------------------------------------------------------------


@dataclass
class RecordParts:
    """Canonical columns being assembled by a reader, with the notes that explain them."""

    columns: dict[str, NDArray[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def numeric(path: Path, table: Mapping[str, NDArray[Any]], column: Column, expected: str) -> NDArray[np.float64]:
    """A column as float64 (NaN allowed), or a ReadError naming it when it holds text."""
    values = np.asarray(table[column.key])
    if values.dtype.kind in "fiub":
        return values.astype(np.float64, copy=False)
    import polars as pl

    text = text_series(values).str.strip_chars()
    parsed = text.cast(pl.Float64, strict=False)
    bad = parsed.is_null() & text.is_not_null() & (text != "") & ~text.str.to_lowercase().is_in(["nan", "n/a", "na"])
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ReadError(path, f"column {column.key!r} is not numeric ({values[row]!r} in data row {row + 1})",
                        expected=expected)
    numbers: NDArray[np.float64] = parsed.to_numpy().astype(np.float64, copy=False)
    return numbers


def converted(path: Path, table: Mapping[str, NDArray[Any]], column: Column, expected: str,
              *, finite: bool = True) -> NDArray[np.float64]:
    """A role column in its canonical unit; ReadError if its unit is missing or unknown."""
    dimension = ROLES[column.role][0] if column.role else None
    if column.role == "time" and np.asarray(table[column.key]).dtype.kind not in "fiub":
        values = parse_durations(path, column.key, table[column.key])
    else:
        if dimension is None:
            raise ReadError(path, f"column {column.key!r} has no known meaning", expected=expected)
        scale = unit_scale(column.unit, dimension) if dimension != "count" else (1.0, 0.0)
        if scale is None:
            problem = (f"column {column.key!r} has no unit" if column.unit is None
                       else f"column {column.key!r} has unit {column.unit!r}, which is not a {dimension} unit")
            raise ReadError(path, problem + " (units are never guessed)",
                            expected=f"a {dimension} unit in the header (e.g. 'name/{CANONICAL_UNIT[dimension]}'), "
                            "a units row, or a sidecar .meta.yaml")
        values = numeric(path, table, column, expected)
        if scale != (1.0, 0.0):
            values = values * scale[0] + scale[1]
    if column.negated:
        values = -values
    return finite_column(path, column.key, values, expected) if finite else values


def relative_time(time_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Seconds since the first row."""
    return time_s - time_s[0] if time_s.size else time_s


def step_ids(step: NDArray[Any], cycle: NDArray[Any] | None) -> NDArray[np.int64]:
    """One identifier per row that changes whenever the instrument's step or cycle changes."""
    step = np.nan_to_num(np.asarray(step, dtype=np.float64), nan=-1.0).astype(np.int64)
    if cycle is None:
        return step
    cycle = np.nan_to_num(np.asarray(cycle, dtype=np.float64), nan=-1.0).astype(np.int64)
    ids: NDArray[np.int64] = cycle * (int(np.abs(step).max()) + 1 if step.size else 1) + step
    return ids


def orient_current_by_counters(current_mA: NDArray[np.float64], charge_mAh: NDArray[np.float64],
                               discharge_mAh: NDArray[np.float64]) -> tuple[NDArray[np.float64], str | None]:
    """Flip the current when the file's charge/discharge counters say charge was negative.

    Rows where the charge counter grows must carry current > 0 (charge, anodic at the working
    electrode), rows where the discharge counter grows current < 0.
    """
    if current_mA.size < 2:
        return current_mA, None
    current = current_mA[1:]
    charging = np.diff(charge_mAh) > 0
    discharging = np.diff(discharge_mAh) > 0
    agree = int(np.count_nonzero(charging & (current > 0)) + np.count_nonzero(discharging & (current < 0)))
    disagree = int(np.count_nonzero(charging & (current < 0)) + np.count_nonzero(discharging & (current > 0)))
    if disagree > agree:
        return -current_mA, (f"current sign flipped: the file's charge counter grows on rows with negative current "
                             f"({disagree} rows against {agree}); anodelab uses charge > 0")
    return current_mA, None


def orient_current_by_labels(current_mA: NDArray[np.float64], labels: NDArray[Any]) -> tuple[NDArray[np.float64], str | None]:
    """Flip the current when rows labelled 'charge' carry negative current (e.g. BDF ``Step Type``)."""
    text = np.char.lower(np.asarray(labels, dtype=str))
    charge = np.char.startswith(text, "charge") | np.char.startswith(text, "chg")
    discharge = np.char.startswith(text, "discharge") | np.char.startswith(text, "dchg")
    agree = int(np.count_nonzero(charge & (current_mA > 0)) + np.count_nonzero(discharge & (current_mA < 0)))
    disagree = int(np.count_nonzero(charge & (current_mA < 0)) + np.count_nonzero(discharge & (current_mA > 0)))
    if disagree > agree:
        return -current_mA, (f"current sign flipped: rows labelled charge carry negative current "
                             f"({disagree} rows against {agree}); anodelab uses charge > 0")
    return current_mA, None


def capacity_columns(parts: RecordParts, path: Path, table: Mapping[str, NDArray[Any]],
                     columns: Sequence[Column], expected: str, steps: NDArray[Any] | None) -> None:
    """Set ``capacity_mAh`` from the file's counter(s): charge + discharge counters, or one counter.

    The counter runs across steps in some instruments and restarts in others;
    :func:`capacity_within_steps` takes each step's first row as its zero. Without a step column
    the steps are the runs of equal current sign. Also orients the current by the counters.
    """
    charge_col, discharge_col = pick(columns, "charge_capacity"), pick(columns, "discharge_capacity")
    single = pick(columns, "capacity")
    if charge_col is not None and discharge_col is not None:
        charge = np.nan_to_num(converted(path, table, charge_col, expected, finite=False))
        discharge = np.nan_to_num(converted(path, table, discharge_col, expected, finite=False))
        if "current_mA" in parts.columns:
            parts.columns["current_mA"], note = orient_current_by_counters(parts.columns["current_mA"], charge, discharge)
            if note:
                parts.notes.append(note)
        counter = charge + discharge
        parts.notes.append(f"capacity_mAh: charge passed within each step from '{charge_col.key}' + "
                           f"'{discharge_col.key}' (value at each step's first row taken as its zero)")
    elif single is not None:
        counter = np.nan_to_num(converted(path, table, single, expected, finite=False))
        parts.notes.append(f"capacity_mAh: charge passed within each step from '{single.key}' "
                           "(value at each step's first row taken as its zero)")
    else:
        return
    if steps is None:
        if "current_mA" not in parts.columns:
            return
        steps = number_steps(state_from_current(parts.columns["current_mA"]))
    parts.columns["capacity_mAh"] = capacity_within_steps(counter, steps)


def is_empty_column(values: NDArray[Any]) -> bool:
    """A column without any value: all NaN, or all empty text (what an exported but unsampled signal gives)."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return bool(np.isnan(values).all())
    return values.dtype.kind in "OUS" and not any(v is not None and str(v).strip() for v in values)


def add_extras(parts: RecordParts, path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column],
               used: set[str]) -> None:
    """Keep every numeric column not used for a canonical one, named with its unit (values as in the file);
    the text columns and those without any value that are not kept are named in the notes."""
    taken = set(parts.columns)
    empty, text = [], []
    for column in columns:
        if column.key in used:
            continue
        values = np.asarray(table[column.key])
        if values.size and is_empty_column(values):
            empty.append(column.key)
            continue
        if values.dtype.kind not in "fiub":
            text.append(column.key)
            continue
        values = values.astype(np.float64, copy=False)
        label = column.role if column.role in ("charge_energy", "discharge_energy") else column.name
        name = extra_name(label, column.unit)
        while name in taken:
            name += "_2"
        taken.add(name)
        parts.columns[name] = values
    if empty:
        parts.notes.append(f"columns without any value not kept: {', '.join(repr(k) for k in empty)}")
    if text:
        parts.notes.append(f"text columns not kept: {', '.join(repr(k) for k in text)}")


def finish_record(path: Path, parts: RecordParts, *, instrument: str, techniques: tuple[str, ...],
                  reader_version: str | None = None) -> Record:
    """Record.from_columns, with its validation errors reported as ReadErrors naming the file."""
    provenance = Provenance(instrument=instrument, techniques=techniques, notes=tuple(parts.notes),
                            reader_version=reader_version)
    try:
        return Record.from_columns(parts.columns, provenance=provenance)
    except AnodelabError as error:
        raise ReadError(path, str(error), expected="a consistent time series") from None


def record_from_columns(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column], *,
                        instrument: str, techniques: tuple[str, ...], expected: str,
                        notes: Sequence[str] = ()) -> Record:
    """The canonical record of a table whose columns have roles (voltage required)."""
    parts = RecordParts(notes=list(notes))
    voltage = pick(columns, "voltage")
    if voltage is None:
        raise ReadError(path, "no voltage/potential column", expected=expected)
    used = {voltage.key}
    parts.columns["voltage_V"] = converted(path, table, voltage, expected)
    reference = voltage_reference(voltage.unit)
    if reference:
        parts.notes.append(f"voltage_V is the working electrode potential vs. {reference}")
    if (time := pick(columns, "time")) is not None:
        parts.columns["time_s"] = relative_time(converted(path, table, time, expected))
        used.add(time.key)
    if (current := pick(columns, "current")) is not None:
        parts.columns["current_mA"] = converted(path, table, current, expected)
        used.add(current.key)
    step_col, cycle_col = pick(columns, "step"), pick(columns, "cycle")
    cycle = None
    if cycle_col is not None:
        cycle = numeric(path, table, cycle_col, expected)
        used.add(cycle_col.key)
    steps = None
    if step_col is not None:
        steps = step_ids(numeric(path, table, step_col, expected), cycle)
        parts.columns["step"] = steps
        used.add(step_col.key)
    if cycle is not None:
        parts.columns["cycle"] = np.nan_to_num(cycle, nan=-1).astype(np.int64)
    labels = pick(columns, "step_type")
    if labels is not None and "current_mA" in parts.columns and np.asarray(table[labels.key]).dtype.kind in "OUS":
        parts.columns["current_mA"], note = orient_current_by_labels(parts.columns["current_mA"], table[labels.key])
        if note:
            parts.notes.append(note)
    capacity_columns(parts, path, table, columns, expected, steps)
    checkable = (labels is not None and np.asarray(table[labels.key]).dtype.kind in "OUS") or (
        pick(columns, "charge_capacity") is not None and pick(columns, "discharge_capacity") is not None)
    if "current_mA" in parts.columns and not checkable:
        parts.notes.append("current sign kept as stored (taken as charge/anodic > 0): the file has no charge/"
                           "discharge labels or counters to check it against")
    used.update(c.key for c in columns if c.role in ("charge_capacity", "discharge_capacity", "capacity")
                and "capacity_mAh" in parts.columns)
    if (temperature := pick(columns, "temperature")) is not None and temperature.unit is not None:
        parts.columns["temperature_C"] = converted(path, table, temperature, expected, finite=False)
        used.add(temperature.key)
    add_extras(parts, path, table, columns, used)
    return finish_record(path, parts, instrument=instrument, techniques=techniques)


# -- what the rows themselves show ------------------------------------------------------------------

#: header names (after :func:`normal_name`) of a point-index column; "" and "unnamed: 0" are the
#: nameless first column pandas writes for its row index
INDEX_NAMES = frozenset({"", "unnamed: 0", "index", "idx", "number", "no", "no.", "#", "point", "pt",
                         "point number", "data point", "datapoint", "rec#", "record"})


def is_point_index(name: str, values: NDArray[Any]) -> bool:
    """A column that numbers the rows: named as in :data:`INDEX_NAMES`, integers only, stepping by +1 on
    most rows (median step 1: damage may break a few steps; a sweep or cycle number does not count)."""
    values = np.asarray(values)
    if normal_name(name) not in INDEX_NAMES or values.dtype.kind not in "fiu" or values.size < 3:
        return False
    values = values.astype(np.float64, copy=False)
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)) and np.median(np.diff(values)) == 1)


def note_point_indices(header: Sequence[str], table: Mapping[str, NDArray[Any]], notes: list[str]) -> None:
    """Note the skips, repeats and steps back of the point-index columns (:func:`is_point_index`) among the
    ``header`` names (keyed in ``table`` as :func:`unique_names` makes them): rows lost, repeated or reordered."""
    for name, key in zip(header, unique_names(header)):
        if key in table and is_point_index(name, table[key]):
            note_point_index(name.strip() or "the unnamed first column (a row index)", table[key], notes)


def valid_frequencies(frequency_Hz: NDArray[np.float64], name: str) -> tuple[NDArray[np.bool_], str | None]:
    """Rows with a usable frequency (finite and > 0) and, when some lack one, the note that leaves them out."""
    good = np.isfinite(frequency_Hz) & (frequency_Hz > 0)
    if good.all():
        return good, None
    bad = np.flatnonzero(~good)
    rows = ", ".join(str(r + 1) for r in bad[:10]) + (" ..." if bad.size > 10 else "")
    return good, (f"{bad.size} of {frequency_Hz.size} rows have no valid frequency (missing, infinite, 0 or negative "
                  f"'{name}'; data rows {rows}) and are not part of any spectrum")


# -- building spectra --------------------------------------------------------------------------------


def sweep_segments(frequency_Hz: NDArray[np.float64]) -> list[slice]:
    """Split a frequency column into sweeps: a new sweep starts where the frequency turns back."""
    n = frequency_Hz.size
    segments, start, direction = [], 0, 0.0
    for index in range(1, n):
        step = frequency_Hz[index] - frequency_Hz[index - 1]
        if step == 0 or direction == 0:
            direction = direction or float(np.sign(step))
            if step == 0 and index - start > 0:
                segments.append(slice(start, index))
                start, direction = index, 0.0
            continue
        if np.sign(step) != direction:
            segments.append(slice(start, index))
            start, direction = index, 0.0
    segments.append(slice(start, n))
    return segments


def spectra_from_arrays(path: Path, frequency_Hz: NDArray[np.float64], Z_real_ohm: NDArray[np.float64],
                        Z_imag_ohm: NDArray[np.float64], *, instrument: str, notes: Sequence[str] = (),
                        context: Mapping[str, NDArray[np.float64]] | None = None,
                        reader_version: str | None = None) -> SpectrumSeries:
    """One Spectrum per frequency sweep; ``context`` arrays (time_s, voltage_V, current_mA, cycle,
    temperature_C, per point) give each spectrum its context (time: first point; others: mean)."""
    for name, values in (("frequency", frequency_Hz), ("Re(Z)", Z_real_ohm), ("Im(Z)", Z_imag_ohm)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ReadError(path, f"{name} has a missing or non-numeric value in data point {int(np.argmax(bad)) + 1}",
                            expected="an impedance table")
    if frequency_Hz.size == 0:
        raise ReadError(path, "no impedance data points", expected="an impedance table")
    provenance = Provenance(instrument=instrument, techniques=("EIS",), notes=tuple(notes), reader_version=reader_version)
    spectra = []
    for segment in sweep_segments(frequency_Hz):
        try:
            spectra.append(Spectrum.from_arrays(frequency_Hz[segment], Z_real_ohm=Z_real_ohm[segment],
                                                Z_imag_ohm=Z_imag_ohm[segment],
                                                context=_context(context, segment), provenance=provenance))
        except AnodelabError as error:
            raise ReadError(path, f"spectrum {len(spectra) + 1}: {error}", expected="an impedance table") from None
    return SpectrumSeries.of(spectra, provenance=provenance)


def _context(arrays: Mapping[str, NDArray[np.float64]] | None, segment: slice) -> SpectrumContext:
    if not arrays:
        return SpectrumContext()
    values: dict[str, Any] = {}
    for name, array in arrays.items():
        part = np.asarray(array, dtype=float)[segment]
        part = part[np.isfinite(part)]
        if part.size == 0:
            continue
        if name == "time_s":
            values[name] = float(part[0])
        elif name == "cycle":
            values[name] = int(part[0])
        else:
            values[name] = float(part.mean())
    extras = {k: v for k, v in values.items() if k not in ("time_s", "voltage_V", "current_mA", "cycle", "temperature_C")}
    return SpectrumContext(time_s=values.get("time_s"), voltage_V=values.get("voltage_V"),
                           current_mA=values.get("current_mA"), cycle=values.get("cycle"),
                           temperature_C=values.get("temperature_C"), extras=extras)


def imaginary_sign_note(Z_imag_ohm: NDArray[np.float64], stored_as: str) -> str | None:
    """A note when most points are inductive after taking Im(Z) as labelled."""
    positive = int(np.count_nonzero(Z_imag_ohm > 0))
    if positive > Z_imag_ohm.size / 2:
        return (f"{positive} of {Z_imag_ohm.size} points have Im(Z) > 0 after reading the column as {stored_as}; "
                "check the file's sign convention")
    return None


def techniques_of(columns: Sequence[Column]) -> tuple[str, ...]:
    """("cycling",) for tables with capacity, cycle or step columns, else ("unknown",)."""
    roles = {c.role for c in columns}
    return ("cycling",) if roles & {"capacity", "charge_capacity", "discharge_capacity", "cycle", "step"} else ("unknown",)


def spectra_from_table(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column],
                       notes: list[str], *, instrument: str = "unknown (generic table)") -> SpectrumSeries:
    """Spectra from the role columns of an impedance table; rows without a valid frequency are left out, with a note."""
    expected = "an impedance table with frequency, Re(Z) and Im(Z) columns"
    notes = list(notes)
    frequency = pick(columns, "frequency")
    if frequency is None:
        raise ReadError(path, "no frequency column", expected=expected)
    unitless = [c.key for c in columns if c.role in ("frequency", "z_real", "z_imag", "z_mod") and c.unit is None]
    if unitless:
        notes.append(f"no units for {', '.join(unitless)}: frequency taken as Hz and impedance as ohm "
                     "(the only units impedance tables use)")

    def values(column: Column, *, finite: bool = True) -> NDArray[np.float64]:
        if column.unit is None:
            data = numeric(path, table, column, expected)
            return -data if column.negated else data
        return converted(path, table, column, expected, finite=finite)

    f = values(frequency, finite=False)
    good, note = valid_frequencies(f, frequency.key)
    if note:
        notes.append(note)
        table = {key: np.asarray(column)[good] for key, column in table.items()}
        f = f[good]
    real_col, imag_col = pick(columns, "z_real"), pick(columns, "z_imag")
    if real_col is not None and imag_col is not None:
        real, imag = values(real_col), values(imag_col)
        if imag_col.negated:
            notes.append(f"'{imag_col.key}' stores -Im(Z): flipped to the physical sign")
        if (note := imaginary_sign_note(imag, f"'{imag_col.key}'")):
            notes.append(note)
    else:
        modulus_col, phase_col = pick(columns, "z_mod"), pick(columns, "phase")
        if modulus_col is None or phase_col is None:
            raise ReadError(path, "no Re(Z) and Im(Z) columns, nor |Z| and phase", expected=expected)
        modulus, phase = values(modulus_col), values(phase_col)
        radians = np.radians(phase)
        real, imag = modulus * np.cos(radians), modulus * np.sin(radians)
        notes.append("Re(Z), Im(Z) computed from |Z| and phase")
    context: dict[str, NDArray[np.float64]] = {}
    for role, name in (("time", "time_s"), ("voltage", "voltage_V"), ("current", "current_mA"), ("cycle", "cycle"),
                       ("temperature", "temperature_C")):
        column = pick(columns, role)
        if column is not None and (column.unit is not None or role == "cycle"):
            context[name] = converted(path, table, column, expected, finite=False)
    if "time_s" in context and np.isfinite(context["time_s"]).any():
        context["time_s"] = context["time_s"] - context["time_s"][np.isfinite(context["time_s"])][0]
    return spectra_from_arrays(path, f, real, imag, instrument=instrument, notes=notes, context=context)
