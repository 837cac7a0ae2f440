"""A schedule written out: a readable step table (text or pandas), JSON (read back by :func:`from_json`:
``from_json(to_json(s)) == s``), and PyBaMM ``Experiment`` strings.

PyBaMM's grammar (``pybamm.step.string``): ``"Discharge at 1 mA for 50 seconds or until 0.01 V"``,
``"Charge at ..."``, ``"Hold at 0.5 V for 10 seconds or until 0.05 mA"``, ``"Rest for 10 seconds"``, each
with ``" (1 seconds period)"``, its sampling interval. PyBaMM's currents are positive on discharge, so
a step of negative current (plating on / lithiating the working electrode, as in a half-cell where
PyBaMM's working electrode is the electrode) is a ``Discharge``. A capacity cut-off of a constant
current is the time it takes (``Q 3600 / |I|``); PyBaMM has no capacity cut-off for a hold, so such a hold
is refused. A loop is a PyBaMM cycle (a tuple of strings) per repeat; a CCCV is one cycle of two steps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.protocols.schedule import (
    CC,
    CCCV,
    CV,
    Item,
    Loop,
    Other,
    PulseTrain,
    Rest,
    Schedule,
    step_fields,
)

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "anodelab.schedule"
VERSION = 1
#: the JSON ``type`` of each step class
TYPES: dict[str, type[Any]] = {"CC": CC, "CV": CV, "rest": Rest, "other": Other, "CCCV": CCCV,
                               "pulse_train": PulseTrain, "loop": Loop}
_NAMES = {cls: name for name, cls in TYPES.items()}
_HEADER = ("#", "step", "set point", "until", "sample")


# -- step table ----------------------------------------------------------------------------------------


def table_rows(schedule: Schedule) -> list[dict[str, Any]]:
    """One row per step as declared (composites, then their steps one level deeper): ``number``,
    ``depth``, ``type``, ``repeat`` and the step's fields (current_mA, voltage_V, duration_s, ...)."""
    return list(_rows(schedule.steps, "", 0))


def _rows(items: tuple[Item, ...], prefix: str, depth: int) -> Iterator[dict[str, Any]]:
    for number, item in enumerate(items, start=1):
        label = f"{prefix}{number}"
        row: dict[str, Any] = {"number": label, "depth": depth, "type": _NAMES[type(item)], "repeat": None}
        if isinstance(item, Loop):
            row["repeat"] = item.repeat
            yield row
            yield from _rows(item.steps, f"{label}.", depth + 1)
        elif isinstance(item, PulseTrain):
            row["repeat"] = item.n_pulses
            yield row
            yield from _rows((item.pulse, item.rest), f"{label}.", depth + 1)
        else:
            yield {**row, **step_fields(item)}


def to_dataframe(schedule: Schedule) -> pd.DataFrame:
    """The step table as a DataFrame (one row per declared step; NaN where a field does not apply), with
    ``current_mA_cm2`` where the schedule has an area and ``sample_s`` filled in from the schedule."""
    import pandas as pd

    columns = ["number", "depth", "type", "repeat", "current_mA", "voltage_V", "duration_s", "capacity_mAh",
               "cutoff_V", "cutoff_current_mA", "sample_s"]
    frame = pd.DataFrame(table_rows(schedule)).reindex(columns=columns + ["mode"])
    if frame["mode"].isna().all():
        frame = frame.drop(columns="mode")
    primitive = ~frame["type"].isin(["loop", "pulse_train"])
    frame.loc[primitive, "sample_s"] = frame.loc[primitive, "sample_s"].fillna(schedule.sample_s)
    if schedule.area_cm2:
        frame.insert(5, "current_mA_cm2", frame["current_mA"] / schedule.area_cm2)
    return frame


def to_text(schedule: Schedule) -> str:
    """The step table as aligned text: number, step, set point, cut-offs, sampling (where it differs from
    the schedule's)."""
    area = schedule.area_cm2
    lines = [_title(schedule)]
    rows = [_HEADER]
    for row in table_rows(schedule):
        indent = "  " * row["depth"]
        kind = row["type"]
        if kind in ("loop", "pulse_train"):
            rows.append((row["number"], indent + ("loop" if kind == "loop" else "pulse train"),
                         f"x{row['repeat']}", "", ""))
            continue
        sample = row.get("sample_s")
        shown = "" if sample is None or math.isclose(sample, schedule.sample_s, rel_tol=1e-6) else f"every {_g(sample)} s"
        rows.append((row["number"], indent + kind, _set_point(row, area), _until(row), shown))
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _title(schedule: Schedule) -> str:
    cell = ", ".join(part for part in (schedule.cell_type and f"{schedule.cell_type} cell",
                                       schedule.area_cm2 and f"{_g(schedule.area_cm2)} cm2") if part)
    head = f"{schedule.name}" + (f": {schedule.description}" if schedule.description else "")
    return (head + (f" ({cell})" if cell else "")
            + f"\n  {schedule.n_steps} steps, sampled every {_g(schedule.sample_s)} s unless noted")


def _set_point(row: dict[str, Any], area: float | None) -> str:
    kind = row["type"]
    if kind in ("CC", "CCCV"):
        text = f"{row['current_mA']:+.6g} mA" + (f" ({row['current_mA'] / area:+.4g} mA/cm2)" if area else "")
        return text + (f" to {_g(row['voltage_V'])} V" if kind == "CCCV" else "")
    if kind == "CV":
        return f"{_g(row['voltage_V'])} V"
    if kind == "other":
        return str(row["mode"])
    return ""


def _until(row: dict[str, Any]) -> str:
    if row["type"] == "other":
        parts = [f"ran {_g(row['duration_s'])} s" if row.get("duration_s") is not None else "",
                 f"{_g(row['capacity_mAh'])} mAh" if row.get("capacity_mAh") is not None else "",
                 (f"{_g(row['start_V'])} -> {_g(row['end_V'])} V"
                  if row.get("start_V") is not None and row.get("end_V") is not None else "")]
        return ", ".join(part for part in parts if part)
    units = (("duration_s", "s"), ("capacity_mAh", "mAh"), ("cutoff_V", "V"), ("cutoff_current_mA", "mA"))
    return " or ".join(f"{_g(row[name])} {unit}" for name, unit in units if row.get(name) is not None)


def _g(value: float) -> str:
    return f"{value:.6g}"


# -- JSON ----------------------------------------------------------------------------------------------


def to_dict(schedule: Schedule) -> dict[str, Any]:
    """The schedule as JSON-ready data (``format``, ``version``, its fields, ``steps`` by ``type``)."""
    return {"format": FORMAT, "version": VERSION, "name": schedule.name, "description": schedule.description,
            "cell_type": schedule.cell_type, "area_cm2": schedule.area_cm2, "sample_s": schedule.sample_s,
            "parameters": _plain(dict(schedule.parameters)), "steps": [_step_dict(item) for item in schedule.steps]}


def to_json(schedule: Schedule, *, indent: int | None = 2) -> str:
    """The schedule as strict JSON text."""
    return json.dumps(to_dict(schedule), indent=indent, allow_nan=False)


def from_dict(data: Any) -> Schedule:
    """The schedule :func:`to_dict` wrote; ValidationError naming the field for anything else."""
    if not isinstance(data, dict):
        raise ValidationError("schedule", f"expected a JSON object, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise ValidationError("schedule.format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    if data.get("version") != VERSION:
        raise ValidationError("schedule.version", f"expected {VERSION}, got {data.get('version')!r}")
    known = {"format", "version", "name", "description", "cell_type", "area_cm2", "sample_s", "parameters", "steps"}
    _no_unknown(data, known, "schedule")
    steps = data.get("steps")
    if not isinstance(steps, list):
        raise ValidationError("schedule.steps", "expected a list of steps")
    options = {key: data[key] for key in ("name", "description", "cell_type", "area_cm2", "sample_s", "parameters")
               if key in data}
    schedule: Schedule = _built(Schedule, "schedule", steps=tuple(_step(s, f"schedule.steps[{i}]") for i, s in enumerate(steps)),
                               **options)
    return schedule


def from_json(text: str) -> Schedule:
    """The schedule in JSON ``text`` (as :func:`to_json` writes it)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError("schedule", f"not JSON: {error}") from None
    return from_dict(data)


def _step_dict(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _NAMES[type(item)]}
    for name, value in step_fields(item).items():
        if isinstance(value, tuple):
            out[name] = [_step_dict(child) for child in value]
        elif isinstance(value, (CC, CV, Rest)):
            out[name] = _step_dict(value)
        elif value is not None:
            out[name] = value
    return out


def _step(data: Any, where: str) -> Item:
    if not isinstance(data, dict) or data.get("type") not in TYPES:
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise ValidationError(f"{where}.type", f"expected one of {', '.join(TYPES)}, got {found!r}")
    cls = TYPES[data["type"]]
    names = {f for f in cls.__dataclass_fields__}
    _no_unknown(data, names | {"type"}, where)
    values = {key: value for key, value in data.items() if key != "type"}
    if cls is Loop:
        steps = values.get("steps")
        if not isinstance(steps, list):
            raise ValidationError(f"{where}.steps", "expected a list of steps")
        values["steps"] = tuple(_step(s, f"{where}.steps[{i}]") for i, s in enumerate(steps))
    if cls is PulseTrain:
        for key in ("pulse", "rest"):
            if key in values:
                values[key] = _step(values[key], f"{where}.{key}")
    built: Item = _built(cls, where, **values)
    return built


def _built(cls: type[Any], where: str, **values: Any) -> Any:
    try:
        return cls(**values)
    except ValidationError as error:
        raise ValidationError(f"{where}: {error.field}", str(error).split(": ", 1)[-1]) from None
    except TypeError as error:  # a required field missing
        raise ValidationError(where, str(error)) from None


def _no_unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(where, f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


# -- PyBaMM -------------------------------------------------------------------------------------------


def to_pybamm(schedule: Schedule) -> list[str | tuple[str, ...]]:
    """``pybamm.Experiment(to_pybamm(schedule))`` runs the schedule: one string per step outside loops, a
    tuple of strings (a PyBaMM cycle) per repeat of a loop or pulse train, and per CCCV."""
    out: list[str | tuple[str, ...]] = []
    for item in schedule.steps:
        if isinstance(item, Loop):
            body = tuple(s for child in item.steps for s in _strings(child, schedule.sample_s))
            out.extend([body] * item.repeat)
        elif isinstance(item, PulseTrain):
            body = tuple(s for child in (item.pulse, item.rest) for s in _strings(child, schedule.sample_s))
            out.extend([body] * item.n_pulses)
        elif isinstance(item, CCCV):
            out.append(tuple(_strings(item, schedule.sample_s)))
        else:
            out.extend(_strings(item, schedule.sample_s))
    return out


def _strings(item: Item, sample_s: float) -> list[str]:
    if isinstance(item, Loop):
        return [s for _ in range(item.repeat) for child in item.steps for s in _strings(child, sample_s)]
    if isinstance(item, PulseTrain):
        return [s for _ in range(item.n_pulses) for child in (item.pulse, item.rest) for s in _strings(child, sample_s)]
    if isinstance(item, CCCV):
        return [s for child in item.expand() for s in _strings(child, sample_s)]
    if isinstance(item, Other):
        raise ValidationError("Other", f"a recovered {item.mode!r} step has no PyBaMM equivalent")
    period = f" ({_number(item.sample_s if item.sample_s is not None else sample_s)} seconds period)"
    if isinstance(item, Rest):
        return [f"Rest for {_number(item.duration_s)} seconds{period}"]
    if isinstance(item, CC):
        durations = [d for d in (item.duration_s,
                                 None if item.capacity_mAh is None else item.capacity_mAh * 3600.0 / abs(item.current_mA))
                     if d is not None]
        action = f"{'Discharge' if item.current_mA < 0 else 'Charge'} at {_number(abs(item.current_mA))} mA"
        limit = None if item.cutoff_V is None else f"{_number(item.cutoff_V)} V"
        return [action + _ending(min(durations) if durations else None, limit) + period]
    if item.capacity_mAh is not None:
        raise ValidationError("CV.capacity_mAh", "PyBaMM has no capacity cut-off for a voltage hold")
    limit = None if item.cutoff_current_mA is None else f"{_number(item.cutoff_current_mA)} mA"
    return [f"Hold at {_number(item.voltage_V)} V" + _ending(item.duration_s, limit) + period]


def _ending(duration_s: float | None, limit: str | None) -> str:
    if duration_s is not None and limit is not None:
        return f" for {_number(duration_s)} seconds or until {limit}"
    if duration_s is not None:
        return f" for {_number(duration_s)} seconds"
    return f" until {limit}"


def _number(value: float) -> str:
    """A plain decimal of 12 significant digits (no exponent: PyBaMM's unit parser reads digits, '.', '-'
    and 'e' but no '+')."""
    return str(np.format_float_positional(float(value), precision=12, fractional=False, trim="-"))
