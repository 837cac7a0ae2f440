"""Tables mapped by header names and units: BDF, BatteryArchive and the generic CSV/TSV reader.

Also the shared vocabulary of the text readers in this package: units (:func:`unit_scale`),
header names split into a name and a unit (:func:`split_header`), the roles a column can play
(time, voltage, current, capacity, ..., frequency, Re(Z), Im(Z)) and the builders that turn role
columns into a :class:`Record` or a :class:`SpectrumSeries`.

Units are never guessed: a time, voltage, current, capacity or temperature column must carry its
unit in its header (``time/s``, ``Current (A)``, ``Voltage / V``, ``I_mA``, ``Ewe [V]``), in a
units row under the names, or in a sidecar YAML (``<file>.meta.yaml`` or ``<stem>.yaml``). The
one accepted exception are impedance tables (``Freq, Real, Imag`` or three bare numeric columns),
whose only unit in use is Hz and ohm; the record's provenance notes say so.
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

from anodelab.core.conventions import capacity_within_steps, number_steps, state_from_current
from anodelab.core.errors import AnodelabError, ReadError
from anodelab.core.record import Provenance, Record
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries
from anodelab.io.common import Table, decode, read_delimited, require_text

HEAD_BYTES = 65536

# -- units ------------------------------------------------------------------------------------------

#: canonical unit per dimension (what role columns are converted to)
CANONICAL_UNIT = {
    "time": "s", "voltage": "V", "current": "mA", "charge": "mAh", "energy": "mWh", "power": "W",
    "frequency": "Hz", "impedance": "ohm", "temperature": "C", "angle": "deg", "count": "",
}

_WORD_UNITS: dict[str, tuple[str, float]] = {  # matched case-insensitively
    "s": ("time", 1.0), "sec": ("time", 1.0), "secs": ("time", 1.0), "second": ("time", 1.0),
    "seconds": ("time", 1.0), "ms": ("time", 1e-3), "min": ("time", 60.0), "mins": ("time", 60.0),
    "minute": ("time", 60.0), "minutes": ("time", 60.0), "h": ("time", 3600.0), "hr": ("time", 3600.0),
    "hrs": ("time", 3600.0), "hour": ("time", 3600.0), "hours": ("time", 3600.0),
    "d": ("time", 86400.0), "day": ("time", 86400.0), "days": ("time", 86400.0),
    "volt": ("voltage", 1.0), "volts": ("voltage", 1.0), "amp": ("current", 1e3), "amps": ("current", 1e3),
    "ohm": ("impedance", 1.0), "ohms": ("impedance", 1.0), "mohm": ("impedance", 1e-3),
    "kohm": ("impedance", 1e3), "deg": ("angle", 1.0), "degree": ("angle", 1.0),
    "degrees": ("angle", 1.0), "rad": ("angle", 180.0 / math.pi), "hz": ("frequency", 1.0),
    "degc": ("temperature", 1.0), "celsius": ("temperature", 1.0),
}
_SYMBOL_UNITS: dict[str, tuple[str, float]] = {  # matched case-sensitively (SI prefixes)
    "V": ("voltage", 1.0), "mV": ("voltage", 1e-3), "uV": ("voltage", 1e-6), "kV": ("voltage", 1e3),
    "A": ("current", 1e3), "mA": ("current", 1.0), "uA": ("current", 1e-3), "nA": ("current", 1e-6),
    "pA": ("current", 1e-9), "kA": ("current", 1e6),
    "Ah": ("charge", 1e3), "mAh": ("charge", 1.0), "uAh": ("charge", 1e-3), "nAh": ("charge", 1e-6),
    "As": ("charge", 1 / 3.6), "mAs": ("charge", 1 / 3600), "mC": ("charge", 1 / 3600),
    "uC": ("charge", 1 / 3.6e6),
    "Wh": ("energy", 1e3), "mWh": ("energy", 1.0), "uWh": ("energy", 1e-3), "kWh": ("energy", 1e6),
    "J": ("energy", 1 / 3.6), "mJ": ("energy", 1 / 3600), "kJ": ("energy", 1e3 / 3.6),
    "W": ("power", 1.0), "mW": ("power", 1e-3), "uW": ("power", 1e-6), "kW": ("power", 1e3),
    "Hz": ("frequency", 1.0), "mHz": ("frequency", 1e-3), "kHz": ("frequency", 1e3), "MHz": ("frequency", 1e6),
    "Ω": ("impedance", 1.0), "mΩ": ("impedance", 1e-3), "kΩ": ("impedance", 1e3), "MΩ": ("impedance", 1e6),
    "Mohm": ("impedance", 1e6), "°": ("angle", 1.0),
    "°C": ("temperature", 1.0), "ºC": ("temperature", 1.0), "K": ("temperature", 1.0),
    "1": ("count", 1.0), "#": ("count", 1.0),
}
# "C" is coulomb for a charge column and Celsius for a temperature column: decided by the role.
_BY_ROLE = {("charge", "C"): 1 / 3.6, ("temperature", "C"): 1.0}
_VOLTAGE_WITH_REFERENCE = re.compile(r"^(?P<unit>[mu]?V)\s*(?:vs\.?|versus)\s*(?P<ref>.+)$")


def _clean_unit(unit: str) -> str:
    unit = unit.strip().strip("()[]{}").strip()
    for micro in ("µ", "μ", "\\g(m)", "mu"):
        if unit.startswith(micro):
            unit = "u" + unit[len(micro):]
    unit = unit.replace("·", "").replace("deg C", "degC").replace("deg. C", "degC")
    compact = re.sub(r"[.\s\-]", "", unit)
    compact = re.sub(r"^(u|m|k)?Amphr$|^(u|m|k)?Ahr$", lambda m: (m.group(1) or m.group(2) or "") + "Ah", compact)
    compact = re.sub(r"^(u|m|k)?Watthr$|^(u|m|k)?Whr$", lambda m: (m.group(1) or m.group(2) or "") + "Wh", compact)
    return compact


def unit_scale(unit: str | None, dimension: str) -> tuple[float, float] | None:
    """``(scale, offset)`` converting values in ``unit`` to the canonical unit of ``dimension``.

    None when ``unit`` is missing or is not a unit of that dimension. Kelvin to Celsius is the
    only unit with an offset.
    """
    if unit is None:
        return None
    match = _VOLTAGE_WITH_REFERENCE.match(_clean_unit_keep_space(unit))
    if match:
        unit = match.group("unit")
    cleaned = _clean_unit(unit)
    if (dimension, cleaned) in _BY_ROLE:
        return _BY_ROLE[(dimension, cleaned)], 0.0
    found = _SYMBOL_UNITS.get(cleaned) or _WORD_UNITS.get(cleaned.lower())
    if found is None or found[0] != dimension:
        return None
    return found[1], (-273.15 if dimension == "temperature" and cleaned == "K" else 0.0)


def unit_dimension(unit: str | None) -> str | None:
    """The dimension of a unit when it has only one (``C`` has two and gives None)."""
    if unit is None:
        return None
    match = _VOLTAGE_WITH_REFERENCE.match(_clean_unit_keep_space(unit))
    if match:
        return "voltage"
    cleaned = _clean_unit(unit)
    found = _SYMBOL_UNITS.get(cleaned) or _WORD_UNITS.get(cleaned.lower())
    return found[0] if found else None


def voltage_reference(unit: str | None) -> str | None:
    """The reference electrode named in a unit such as ``V vs. RHE`` (None when absent)."""
    match = _VOLTAGE_WITH_REFERENCE.match(_clean_unit_keep_space(unit or ""))
    return match.group("ref").strip() if match else None


def _clean_unit_keep_space(unit: str) -> str:
    unit = unit.strip().strip("()[]").strip()
    return "u" + unit[1:] if unit[:1] in ("µ", "μ") else unit


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
    if _role_of(normal_name(name))[0] is not None:
        return name, None
    candidates = []
    for pattern in (r"^(.*\S)\s*\(([^()]+)\)$", r"^(.*\S)\s*\[([^\[\]]+)\]$", r"^(.*?\S)\s*/\s*(\S.*)$",
                    r"^(.*\S)_([A-Za-zµΩ°#]+)$"):
        match = re.match(pattern, name)
        if match:
            candidates.append((match.group(1).strip(), match.group(2).strip()))
    for base, unit in candidates:
        if unit_dimension(unit) is not None or _clean_unit(unit) == "C":
            return base, unit
    for base, unit in candidates:
        if _role_of(normal_name(base))[0] is not None:
            return base, unit
    return name, None


def _role_of(name: str) -> tuple[str | None, bool]:
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
        if units is not None and key in units:
            name, unit = key, units[key]
        else:
            name, unit = split_header(key)
        role, negated = _role_of(normal_name(name))
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
    cleaned = _clean_unit(unit)
    if dimension in ("time", "impedance", "angle") or cleaned.lower() in ("degc", "celsius") or cleaned in ("°C", "ºC"):
        words = {"time": {1.0: "s", 60.0: "min", 3600.0: "h", 86400.0: "d", 1e-3: "ms"},
                 "impedance": {1.0: "ohm", 1e-3: "mohm", 1e3: "kohm", 1e6: "Mohm"},
                 "angle": {1.0: "deg", 180.0 / math.pi: "rad"}}
        if dimension in words:
            return words[dimension].get(unit_scale(unit, dimension)[0], cleaned)  # type: ignore[index]
        return "C"
    cleaned = cleaned.replace("/", "_per_").replace("%", "pct").replace("^", "")
    return re.sub(r"[^0-9a-zA-Z_]+", "", cleaned.replace("Ω", "ohm"))


# -- durations ----------------------------------------------------------------------------------------

_DURATION = r"^\s*(?:(\d+)\s*d(?:ays?)?[\s,]+)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*$"


def parse_durations(path: Path, name: str, values: NDArray[Any]) -> NDArray[np.float64]:
    """Seconds from duration strings ``[Nd ]HH:MM:SS[.fff]`` (Maccor ``0d 00:45:54.84``, ``12:00:01``)."""
    import polars as pl

    series = pl.Series(values, dtype=pl.String)
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

    parsed = pl.Series(values, dtype=pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    text = pl.Series(values, dtype=pl.String).str.strip_chars()
    bad = parsed.is_null() & text.is_not_null() & (text != "") & ~text.str.to_lowercase().is_in(["nan", "n/a", "na"])
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise ReadError(path, f"column {column.key!r} is not numeric ({values[row]!r} in data row {row + 1})",
                        expected=expected)
    return parsed.to_numpy().astype(np.float64, copy=False)


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
    if finite:
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise ReadError(path, f"column {column.key!r} has a missing or non-numeric value in data row {row + 1}",
                            expected=expected)
    return values


def relative_time(time_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Seconds since the first row."""
    return time_s - time_s[0] if time_s.size else time_s


def step_ids(step: NDArray[Any] | None, cycle: NDArray[Any] | None) -> NDArray[np.int64] | None:
    """One identifier per row that changes whenever the instrument's step or cycle changes."""
    if step is None:
        return None
    step = np.nan_to_num(np.asarray(step, dtype=np.float64), nan=-1.0).astype(np.int64)
    if cycle is None:
        return step
    cycle = np.nan_to_num(np.asarray(cycle, dtype=np.float64), nan=-1.0).astype(np.int64)
    return cycle * (int(np.abs(step).max()) + 1 if step.size else 1) + step


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


def add_extras(parts: RecordParts, path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column],
               used: set[str]) -> None:
    """Keep every numeric column not used for a canonical one, named with its unit (values as in the file)."""
    taken = set(parts.columns)
    for column in columns:
        if column.key in used:
            continue
        values = np.asarray(table[column.key])
        if values.dtype.kind not in "fiub":
            continue
        values = values.astype(np.float64, copy=False)
        if values.size and np.isnan(values).all():
            continue
        label = column.role if column.role in ("charge_energy", "discharge_energy") else column.name
        name = extra_name(label, column.unit)
        while name in taken:
            name += "_2"
        taken.add(name)
        parts.columns[name] = values


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
    step = numeric(path, table, step_col, expected) if step_col else None
    cycle = numeric(path, table, cycle_col, expected) if cycle_col else None
    steps = step_ids(step, cycle)
    if steps is not None:
        parts.columns["step"] = steps
        used.add(step_col.key)  # type: ignore[union-attr]
    if cycle is not None:
        parts.columns["cycle"] = np.nan_to_num(cycle, nan=-1).astype(np.int64)
        used.add(cycle_col.key)  # type: ignore[union-attr]
    if (labels := pick(columns, "step_type")) is not None and "current_mA" in parts.columns:
        if np.asarray(table[labels.key]).dtype.kind in "OUS":
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


# -- text layout sniffing ----------------------------------------------------------------------------

_SEPARATORS: tuple[str | None, ...] = ("\t", ";", ",", None)  # None: runs of whitespace
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(nan|inf)$", re.IGNORECASE)
_COMMA_NUMBER = re.compile(r"^[-+]?\d+,\d*([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class Layout:
    """Where a delimited table sits in a text file."""

    separator: str | None
    data_line: int  # index of the first data line
    names: tuple[str, ...] | None  # None: no header
    units: tuple[str, ...] | None  # a units row under the names, when present
    decimal_comma: bool
    n_fields: int


def _fields(line: str, separator: str | None) -> list[str]:
    return [unquote(f) for f in (line.split(separator) if separator else line.split())]


def _is_number(text: str, decimal_comma: bool) -> bool:
    return bool(_NUMBER.match(text)) or (decimal_comma and bool(_COMMA_NUMBER.match(text)))


def _numeric_line(fields: list[str], decimal_comma: bool) -> bool:
    filled = [f for f in fields if f]
    numbers = sum(_is_number(f, decimal_comma) for f in filled)
    return len(fields) >= 2 and numbers >= 2 and numbers * 2 >= len(filled)


def sniff_layout(lines: Sequence[str]) -> Layout | None:
    """Find separator, header, units row and first data line (None when no table is found)."""
    for separator in _SEPARATORS:
        decimal_comma = separator != ","
        start = _first_data_run(lines, separator, decimal_comma)
        if start is None:
            continue
        n_fields = len(_fields(lines[start], separator))
        names, units = _header_above(lines, start, separator)
        comma = decimal_comma and any(_COMMA_NUMBER.match(f) for f in _fields(lines[start], separator))
        return Layout(separator, start, names, units, comma, n_fields)
    return None


def _first_data_run(lines: Sequence[str], separator: str | None, decimal_comma: bool) -> int | None:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for position, index in enumerate(filled):
        fields = _fields(lines[index], separator)
        if not _numeric_line(fields, decimal_comma):
            continue
        following = filled[position: position + 3]
        if all(len(_fields(lines[i], separator)) == len(fields) and _numeric_line(_fields(lines[i], separator), decimal_comma)
               for i in following):
            return index
    return None


def _header_above(lines: Sequence[str], start: int, separator: str | None) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    above = [i for i in range(start - 1, -1, -1) if lines[i].strip()][:2]
    if not above:
        return None, None
    first = _fields(lines[above[0]], separator)
    if len(first) < 2:
        return None, None
    if len(above) == 2:
        second = _fields(lines[above[1]], separator)
        if len(second) == len(first) and _looks_like_units(first):
            return tuple(second), tuple(first)
    return tuple(first), None


def _looks_like_units(fields: list[str]) -> bool:
    filled = [f for f in fields if f]
    known = sum(unit_dimension(f) is not None for f in filled)
    return bool(filled) and known * 2 >= len(filled) and not any(_role_of(normal_name(f))[0] for f in filled
                                                                  if unit_dimension(f) is None)


def _fit_names(names: Sequence[str], n_fields: int) -> list[str]:
    """Header names matched to the data rows' field count: trailing empty names (a separator at the
    end of the header line only) are dropped, missing names are added as empty."""
    names = list(names)
    while len(names) > n_fields and not names[-1].strip():
        names.pop()
    return names + [""] * (n_fields - len(names))


def unique_names(names: Sequence[str]) -> list[str]:
    """Names as :func:`read_delimited` keys them: stripped, duplicates suffixed ``_1``, ``_2``;
    empty names become ``column_<n>`` (a trailing separator makes an all-empty column, dropped later)."""
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(names):
        name = name.strip() or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def read_lines_head(path: Path, expected: str) -> tuple[list[str], bool]:
    """The first 64 KiB as lines (a cut last line dropped) and whether that is the whole file."""
    with path.open("rb") as handle:
        raw = handle.read(HEAD_BYTES + 1)
    require_text(path, raw, expected)
    whole = len(raw) <= HEAD_BYTES
    raw = raw[:HEAD_BYTES]
    lines = decode(raw).split("\n")
    if not whole:
        lines = lines[:-1]
    return [line.rstrip("\r") for line in lines], whole


def require_complete_last_line(path: Path, expected: str) -> None:
    """Refuse a file that ends mid-line: instruments end every row with a newline, so it was cut."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() == 0:
            raise ReadError(path, "file is empty", expected=expected)
        handle.seek(-1, 2)
        if handle.read(1) not in (b"\n", b"\r"):
            raise ReadError(path, "file ends in the middle of a line (truncated copy?)", expected=expected)


def read_table_body(path: Path, layout: Layout, names: list[str], expected: str,
                    notes: list[str] | None = None) -> dict[str, NDArray[Any]]:
    """Parse the data rows; blank lines are skipped. Whitespace tables are parsed here, others by polars.

    A last row cut short (fewer fields, no final newline) is dropped and, when ``notes`` is
    given, a note says so.
    """
    if layout.separator is None:
        return _read_whitespace(path, layout, names, expected)
    table = read_delimited(path, names, skip_lines=layout.data_line, separator=layout.separator,
                           decimal_comma=layout.decimal_comma, expected=expected)
    if table.dropped_last_line and notes is not None:
        notes.append("the last row was cut short (file ends mid-row) and is dropped")
    return _drop_blank_rows(table)


def _drop_blank_rows(table: Table) -> dict[str, NDArray[Any]]:
    """Rows without any number (blank lines, which polars reads as rows of nulls) are dropped."""
    columns = dict(table.columns)
    blank = None
    for values in columns.values():
        if values.dtype.kind == "f":
            blank = np.isnan(values) if blank is None else blank & np.isnan(values)
    if blank is not None and blank.any():
        keep = ~blank
        columns = {name: values[keep] for name, values in columns.items()}
    return columns


def _read_whitespace(path: Path, layout: Layout, names: list[str], expected: str) -> dict[str, NDArray[Any]]:
    with path.open("rb") as handle:
        text = decode(handle.read())
    lines = [line for line in text.split("\n")[layout.data_line:] if line.strip()]
    rows = [line.split() for line in lines]
    counts = {len(row) for row in rows}
    if counts != {layout.n_fields}:
        bad = next(i for i, row in enumerate(rows) if len(row) != layout.n_fields)
        raise ReadError(path, f"data row {bad + 1} has {len(rows[bad])} fields, the first has {layout.n_fields}",
                        expected=expected)
    try:
        values = np.array(rows, dtype=np.float64).reshape(len(rows), layout.n_fields)
    except ValueError:
        raise ReadError(path, "a whitespace-separated data row holds a non-numeric field", expected=expected) from None
    return {name: values[:, i].copy() for i, name in enumerate(names[: layout.n_fields])}


# -- sidecar metadata ---------------------------------------------------------------------------------


def sidecar_units(path: Path) -> tuple[dict[str, str], list[str]]:
    """Column units from a YAML sidecar (``<file>.meta.yaml``, ``<stem>.yaml``, ``<file>.yaml``).

    Every list item with scalar ``name`` and ``unit`` keys (echemdb ``fields`` / ``fieldUnits``)
    counts; an optional ``reference`` (electrode) goes to the notes. Read with a small line parser
    of that YAML subset, so PyYAML is not needed. Returns (name -> unit, notes).
    """
    candidates = [path.with_name(path.name + ".meta.yaml"), path.with_name(path.stem + ".yaml"),
                  path.with_name(path.name + ".yaml")]
    sidecar = next((c for c in candidates if c.is_file()), None)
    if sidecar is None:
        return {}, []
    with sidecar.open("rb") as handle:
        text = decode(handle.read(1 << 20))
    units: dict[str, str] = {}
    notes: list[str] = []
    for entry in _yaml_list_items(text):
        if "name" in entry and "unit" in entry:
            units.setdefault(entry["name"], entry["unit"])
            if entry.get("reference"):
                notes.append(f"{entry['name']} is vs. {entry['reference']} (from sidecar {sidecar.name})")
    if units:
        notes.insert(0, f"units of {', '.join(sorted(units))} from sidecar {sidecar.name}")
    return units, notes


def _yaml_list_items(text: str) -> list[dict[str, str]]:
    """Scalar keys of every YAML block-list item (``- key: value`` plus same-indent ``key: value`` lines)."""
    items: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    indent = -1
    for raw in text.splitlines():
        line = raw.rstrip()
        item = re.match(r"^(\s*)-\s+([\w ]+):\s*(.*)$", line)
        pair = re.match(r"^(\s*)([\w ]+):\s*(.*)$", line)
        if item:
            current, indent = {}, len(item.group(1)) + 2
            items.append(current)
            current[item.group(2).strip()] = _yaml_scalar(item.group(3))
        elif pair and current is not None and len(pair.group(1)) == indent:
            current[pair.group(2).strip()] = _yaml_scalar(pair.group(3))
        elif pair and len(pair.group(1)) < indent:
            current, indent = None, -1
    return items


def _yaml_scalar(text: str) -> str:
    text = re.sub(r"\s+#.*$", "", text).strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


# -- the readers --------------------------------------------------------------------------------------

_TABLE_EXPECTED = "a delimited table with named columns and units (time, voltage, current ...) or an impedance table"


def _load(path: Path, expected: str) -> tuple[Layout, list[Column], dict[str, NDArray[Any]], list[str]]:
    lines, _ = read_lines_head(path, expected)
    layout = sniff_layout(lines)
    if layout is None:
        raise ReadError(path, "no block of numeric data rows found", expected=expected)
    notes: list[str] = []
    if layout.names is None:
        names = [f"column_{i + 1}" for i in range(layout.n_fields)]
        table = read_table_body(path, layout, names, expected)
        return layout, [], table, notes
    names = unique_names(_fit_names(layout.names, layout.n_fields))
    table = read_table_body(path, layout, names, expected, notes)
    units: dict[str, str] | None = None
    if layout.units is not None:
        units = {name: unit for name, unit in zip(names, layout.units) if name and unit}
        notes.append("units from the units row under the column names")
    columns = describe_columns([n for n in names if n in table], units)
    if any(c.role in NEEDS_UNIT and c.unit is None for c in columns):
        side, side_notes = sidecar_units(path)
        if side:
            merged = dict(units or {})
            merged.update({c.key: side[c.name] for c in columns if c.unit is None and c.name in side})
            columns = describe_columns([n for n in names if n in table], merged)
        notes += side_notes
    return layout, columns, table, notes


def read_table(path: Path) -> Record | SpectrumSeries:
    """A CSV/TSV/whitespace table mapped by header names and units.

    Cycling or potentiostat columns give a :class:`Record`; frequency with Re(Z)/Im(Z) (or |Z| and
    phase) and no voltage column give a :class:`SpectrumSeries`; a headerless table of three
    numeric columns is read as frequency (Hz), Re(Z) and Im(Z) (ohm), with the sign of Im(Z)
    decided from the data (a capacitive spectrum has Im(Z) < 0 at most points).
    """
    path = Path(path)
    expected = _TABLE_EXPECTED
    layout, columns, table, notes = _load(path, expected)
    if layout.names is None:
        return _headerless_spectra(path, table, notes)
    roles = {c.role for c in columns}
    impedance = "frequency" in roles and ({"z_real", "z_imag"} <= roles or {"z_mod", "phase"} <= roles)
    if impedance and _every_row_has_a_frequency(table, pick(columns, "frequency")):
        return _spectra_from_table(path, table, columns, notes)  # time, <Ewe>, I are each spectrum's context
    if "voltage" in roles and ("time" in roles or "current" in roles):
        return record_from_columns(path, table, columns, instrument="unknown (generic table)",
                                   techniques=_techniques(columns), expected=expected, notes=notes)
    if impedance:
        return _spectra_from_table(path, table, columns, notes)
    names = [c.key for c in columns]
    if any(re.match(r"(?i)^(min|max)[_ ]", n) for n in names) and "cycle" in roles:
        raise ReadError(path, "this is a per-cycle summary (Min_/Max_ columns per cycle), not a time series",
                        expected="a time series with time, voltage and current columns")
    missing = (["voltage"] if "voltage" not in roles else []) + ([] if roles & {"time", "current"} else ["time or current"])
    raise ReadError(path, f"columns {', '.join(repr(n) for n in names[:8])} hold no {' and no '.join(missing)} column",
                    expected=expected)


def _every_row_has_a_frequency(table: Mapping[str, NDArray[Any]], column: Column | None) -> bool:
    """An impedance table, not a cycling table with impedance columns filled on a few rows."""
    values = np.asarray(table[column.key]) if column is not None else np.zeros(0)
    return values.dtype.kind == "f" and values.size > 0 and bool(np.all(values > 0))


def _techniques(columns: Sequence[Column]) -> tuple[str, ...]:
    roles = {c.role for c in columns}
    return ("cycling",) if roles & {"capacity", "charge_capacity", "discharge_capacity", "cycle", "step"} else ("unknown",)


def _headerless_spectra(path: Path, table: Mapping[str, NDArray[Any]], notes: list[str]) -> SpectrumSeries:
    if len(table) != 3:
        raise ReadError(path, f"table without header has {len(table)} columns; without names only a three-column "
                        "impedance table (f, Re(Z), Im(Z)) can be read", expected="a header row naming the columns")
    frequency, real, imag = (np.asarray(v, dtype=np.float64) for v in table.values())
    if not (np.all(frequency > 0) and frequency.size > 1):
        raise ReadError(path, "first column is not a positive frequency", expected="three columns f (Hz), Re(Z), Im(Z) (ohm)")
    positive = int(np.count_nonzero(imag > 0))
    if positive > imag.size / 2:
        imag = -imag
        decision = (f"third column stores -Im(Z): {positive} of {imag.size} points are positive, a capacitive "
                    "spectrum has Im(Z) < 0 at most points; flipped")
    else:
        decision = (f"third column stores Im(Z) as measured: {imag.size - positive} of {imag.size} points are "
                    "<= 0 (capacitive); kept")
    notes = notes + ["headerless table read as frequency (Hz), Re(Z) (ohm), Im(Z) (ohm)", decision]
    return spectra_from_arrays(path, frequency, real, imag, instrument="unknown (headerless impedance table)", notes=notes)


def _spectra_from_table(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column],
                        notes: list[str]) -> SpectrumSeries:
    expected = "an impedance table with frequency, Re(Z) and Im(Z) columns"
    notes = list(notes)
    frequency = pick(columns, "frequency")
    if frequency is None:
        raise ReadError(path, "no frequency column", expected=expected)
    unitless = [c.key for c in columns if c.role in ("frequency", "z_real", "z_imag", "z_mod") and c.unit is None]
    if unitless:
        notes.append(f"no units for {', '.join(unitless)}: frequency taken as Hz and impedance as ohm "
                     "(the only units impedance tables use)")

    def values(column: Column, dimension: str) -> NDArray[np.float64]:
        if column.unit is None:
            data = numeric(path, table, column, expected)
            return -data if column.negated else data
        return converted(path, table, column, expected)

    f = values(frequency, "frequency")
    real_col, imag_col = pick(columns, "z_real"), pick(columns, "z_imag")
    if real_col is not None and imag_col is not None:
        real, imag = values(real_col, "impedance"), values(imag_col, "impedance")
        if imag_col.negated:
            notes.append(f"'{imag_col.key}' stores -Im(Z): flipped to the physical sign")
        if (note := imaginary_sign_note(imag, f"'{imag_col.key}'")):
            notes.append(note)
    else:
        modulus, phase = values(pick(columns, "z_mod"), "impedance"), values(pick(columns, "phase"), "angle")  # type: ignore[arg-type]
        radians = np.radians(phase)
        real, imag = modulus * np.cos(radians), modulus * np.sin(radians)
        notes.append("Re(Z), Im(Z) computed from |Z| and phase")
    context: dict[str, NDArray[np.float64]] = {}
    for role, name in (("time", "time_s"), ("voltage", "voltage_V"), ("current", "current_mA"), ("cycle", "cycle")):
        column = pick(columns, role)
        if column is not None and (column.unit is not None or role == "cycle"):
            context[name] = converted(path, table, column, expected, finite=False)
    if "time_s" in context and np.isfinite(context["time_s"]).any():
        context["time_s"] = context["time_s"] - context["time_s"][np.isfinite(context["time_s"])][0]
    return spectra_from_arrays(path, f, real, imag, instrument="unknown (generic table)", notes=notes, context=context)


def read_bdf(path: Path) -> Record:
    """Battery Data Format CSV (``Test Time / s``, ``Voltage / V``, ``Current / A``, ``Step Index / 1`` ...).

    Units come from the ``Name / unit`` headers. The current sign is checked against the file's
    ``Step Type`` labels or charge/discharge counters and flipped if charge is stored negative.
    """
    path = Path(path)
    expected = "a Battery Data Format CSV ('Name / unit' headers with Test Time, Voltage and Current)"
    layout, columns, table, notes = _load(path, expected)
    if layout.names is None or not any(re.search(r"\S / \S", c.key) for c in columns):
        raise ReadError(path, "header has no 'Name / unit' columns", expected=expected)
    for role in ("voltage", "current"):
        if pick(columns, role) is None:
            raise ReadError(path, f"no {role} column", expected=expected)
    return record_from_columns(path, table, columns, instrument="unknown (Battery Data Format)",
                               techniques=("cycling",), expected=expected, notes=notes)


def read_batteryarchive(path: Path) -> Record:
    """BatteryArchive.org time series CSV (``Date_Time, Test_Time (s), Cycle_Index, Current (A), Voltage (V)`` ...).

    The ``*_cycle_data.csv`` files are per-cycle summaries and are refused with a ReadError that says so.
    """
    path = Path(path)
    expected = "a BatteryArchive time-series CSV (Test_Time (s), Current (A), Voltage (V), ...)"
    layout, columns, table, notes = _load(path, expected)
    keys = [c.key for c in columns]
    if any(k.startswith(("Min_", "Max_")) for k in keys) and "Voltage (V)" not in keys:
        raise ReadError(path, "this is a BatteryArchive per-cycle summary (cycle_data), not a time series",
                        expected="the matching *_timeseries.csv")
    for name in ("Test_Time (s)", "Current (A)", "Voltage (V)"):
        if name not in keys:
            raise ReadError(path, f"no {name!r} column", expected=expected)
    return record_from_columns(path, table, columns, instrument="unknown (BatteryArchive.org)",
                               techniques=("cycling",), expected=expected, notes=notes)
