"""The instrument-neutral schedule: steps a cycler runs one after another, in frozen dataclasses.

Primitive steps (what the instrument controls):

- :class:`CC`: a constant current ``current_mA`` (signed, :mod:`anodelab.core.conventions`: < 0 plates
  on / lithiates the working electrode) until the first of ``duration_s``, ``capacity_mAh`` (charge
  passed in the step) and ``cutoff_V`` (the voltage reaching it in the direction the current drives it);
- :class:`CV`: a constant voltage ``voltage_V`` until the first of ``duration_s``, ``capacity_mAh`` and
  ``cutoff_current_mA`` (|I| falling to it);
- :class:`Rest`: no current for ``duration_s``;
- :class:`Other`: a step recovered from a file that is none of these (a sweep, an impedance measurement,
  a current that varies within one instrument step); it cannot be run.

Composites: :class:`CCCV` (a CC step to ``voltage_V``, then a hold there), :class:`PulseTrain`
(``n_pulses`` of a pulse and a rest) and :class:`Loop` (a block of steps repeated ``repeat`` times).
Every step has a sampling interval ``sample_s`` (``None``: the schedule's). Invalid values raise
:class:`~anodelab.core.errors.ValidationError` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from anodelab.core.cell import CELL_TYPES
from anodelab.core.errors import ValidationError
from anodelab.sim.virtual.protocol import count, finite
from anodelab.sim.virtual.protocol import positive as check_positive


def _number(owner: object, name: str, *, positive: bool = False, optional: bool = True, nonzero: bool = False) -> None:
    """Check ``owner.name`` (a finite number, > 0 or != 0 when asked; None where ``optional``) and store it as a float."""
    value = getattr(owner, name)
    where = f"{type(owner).__name__}.{name}"
    if value is None:
        if not optional:
            raise ValidationError(where, "is required")
        return
    number = check_positive(where, value) if positive else finite(where, value)
    if nonzero and number == 0:
        raise ValidationError(where, "must not be 0")
    object.__setattr__(owner, name, number)


def _count(owner: object, name: str) -> None:
    object.__setattr__(owner, name, count(f"{type(owner).__name__}.{name}", getattr(owner, name)))


def _needs_one(owner: object, names: tuple[str, ...]) -> None:
    if all(getattr(owner, name) is None for name in names):
        raise ValidationError(type(owner).__name__, f"needs a cut-off: one of {', '.join(names)}")


@dataclass(frozen=True)
class CC:
    """Constant current (mA, signed) until the first of its cut-offs."""

    current_mA: float
    duration_s: float | None = None
    capacity_mAh: float | None = None
    cutoff_V: float | None = None
    sample_s: float | None = None

    def __post_init__(self) -> None:
        _number(self, "current_mA", optional=False, nonzero=True)
        for name in ("duration_s", "capacity_mAh", "sample_s"):
            _number(self, name, positive=True)
        _number(self, "cutoff_V")
        _needs_one(self, ("duration_s", "capacity_mAh", "cutoff_V"))


@dataclass(frozen=True)
class CV:
    """Constant voltage (V) until the first of its cut-offs."""

    voltage_V: float
    duration_s: float | None = None
    capacity_mAh: float | None = None
    cutoff_current_mA: float | None = None
    sample_s: float | None = None

    def __post_init__(self) -> None:
        _number(self, "voltage_V", optional=False)
        for name in ("duration_s", "capacity_mAh", "cutoff_current_mA", "sample_s"):
            _number(self, name, positive=True)
        _needs_one(self, ("duration_s", "capacity_mAh", "cutoff_current_mA"))


@dataclass(frozen=True)
class Rest:
    """No current for ``duration_s``."""

    duration_s: float
    sample_s: float | None = None

    def __post_init__(self) -> None:
        _number(self, "duration_s", positive=True, optional=False)
        _number(self, "sample_s", positive=True)


@dataclass(frozen=True)
class Other:
    """A recovered step of another control mode (``mode`` as :func:`anodelab.core.steps.step_table` names it),
    with what it passed; not runnable."""

    mode: str
    duration_s: float | None = None
    capacity_mAh: float | None = None
    start_V: float | None = None
    end_V: float | None = None
    mean_current_mA: float | None = None
    sample_s: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.mode, str) or not self.mode:
            raise ValidationError("Other.mode", f"must be a non-empty string, got {self.mode!r}")
        for name in ("duration_s", "capacity_mAh", "start_V", "end_V", "mean_current_mA"):
            _number(self, name)
        _number(self, "sample_s", positive=True)


@dataclass(frozen=True)
class CCCV:
    """A constant current to ``voltage_V``, then a hold at it until ``cutoff_current_mA`` or ``duration_s``
    (of the hold)."""

    current_mA: float
    voltage_V: float
    cutoff_current_mA: float | None = None
    duration_s: float | None = None
    sample_s: float | None = None

    def __post_init__(self) -> None:
        _number(self, "current_mA", optional=False, nonzero=True)
        _number(self, "voltage_V", optional=False)
        for name in ("cutoff_current_mA", "duration_s", "sample_s"):
            _number(self, name, positive=True)
        _needs_one(self, ("cutoff_current_mA", "duration_s"))

    def expand(self) -> tuple[CC, CV]:
        return (CC(self.current_mA, cutoff_V=self.voltage_V, sample_s=self.sample_s),
                CV(self.voltage_V, duration_s=self.duration_s, cutoff_current_mA=self.cutoff_current_mA,
                   sample_s=self.sample_s))


@dataclass(frozen=True)
class PulseTrain:
    """``n_pulses`` of (``pulse``, ``rest``): a GITT titration, a pulsed formation."""

    pulse: CC | CV
    rest: Rest
    n_pulses: int

    def __post_init__(self) -> None:
        if not isinstance(self.pulse, (CC, CV)):
            raise ValidationError("PulseTrain.pulse", f"must be a CC or CV step, got {type(self.pulse).__name__}")
        if not isinstance(self.rest, Rest):
            raise ValidationError("PulseTrain.rest", f"must be a Rest, got {type(self.rest).__name__}")
        _count(self, "n_pulses")


@dataclass(frozen=True)
class Loop:
    """A block of steps repeated ``repeat`` times."""

    steps: tuple[Item, ...]
    repeat: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _items(self.steps, "Loop.steps"))
        _count(self, "repeat")


Primitive = CC | CV | Rest | Other
Item = CC | CV | Rest | Other | CCCV | PulseTrain | Loop
PRIMITIVES = (CC, CV, Rest, Other)
ITEMS = (CC, CV, Rest, Other, CCCV, PulseTrain, Loop)


def _items(steps: Any, where: str) -> tuple[Item, ...]:
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise ValidationError(where, f"must be a sequence of steps, got {type(steps).__name__}")
    items = tuple(steps)
    if not items:
        raise ValidationError(where, "needs at least one step")
    for index, item in enumerate(items):
        if not isinstance(item, ITEMS):
            raise ValidationError(f"{where}[{index}]", f"is not a step: {type(item).__name__}")
    return items


@dataclass(frozen=True)
class Expanded:
    """One primitive step of an expanded schedule: its label (``"3.2 (4/10)"``: item 3, its step 2, in the
    4th of 10 repeats), the step as declared, and the sampling interval it runs with."""

    label: str
    step: Primitive
    sample_s: float


@dataclass(frozen=True)
class Schedule:
    """A protocol: ``steps`` run in order, sampled every ``sample_s`` unless a step says otherwise.

    ``cell_type`` and ``area_cm2`` say what cell it is written for (a builder's current densities times
    the area); ``parameters`` are the builder's arguments.
    """

    steps: tuple[Item, ...]
    name: str = "schedule"
    sample_s: float = 1.0
    cell_type: str | None = None
    area_cm2: float | None = None
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _items(self.steps, "Schedule.steps"))
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("Schedule.name", f"must be a non-empty string, got {self.name!r}")
        _number(self, "sample_s", positive=True, optional=False)
        _number(self, "area_cm2", positive=True)
        if self.cell_type is not None and self.cell_type not in CELL_TYPES:
            raise ValidationError("Schedule.cell_type", f"unknown cell type {self.cell_type!r}; expected one of "
                                                        f"{', '.join(CELL_TYPES)}")
        if not isinstance(self.parameters, Mapping):
            raise ValidationError("Schedule.parameters", f"must be a mapping, got {type(self.parameters).__name__}")
        object.__setattr__(self, "parameters", {str(k): _frozen(v) for k, v in self.parameters.items()})

    def expanded(self) -> tuple[Expanded, ...]:
        """Every primitive step in the order it runs (composites and loops expanded)."""
        return tuple(_expand(self.steps, "", "", self.sample_s))

    def flat(self) -> tuple[Primitive, ...]:
        """The primitive steps in the order they run, each with its sampling interval filled in."""
        return tuple(replace(e.step, sample_s=e.sample_s) for e in self.expanded())

    @property
    def n_steps(self) -> int:
        """Primitive steps run (loops expanded)."""
        return sum(_count_steps(item) for item in self.steps)


def _frozen(value: Any) -> Any:
    """Lists to tuples, recursively (a parameter compares equal after a JSON round trip)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): _frozen(v) for k, v in value.items()}
    return value


def _count_steps(item: Item) -> int:
    if isinstance(item, Loop):
        return item.repeat * sum(_count_steps(child) for child in item.steps)
    if isinstance(item, PulseTrain):
        return 2 * item.n_pulses
    if isinstance(item, CCCV):
        return 2
    return 1


def _expand(items: tuple[Item, ...], prefix: str, repeats: str, sample_s: float) -> Iterator[Expanded]:
    for number, item in enumerate(items, start=1):
        label = f"{prefix}{number}"
        if isinstance(item, Loop):
            for k in range(1, item.repeat + 1):
                yield from _expand(item.steps, f"{label}.", f"{repeats}({k}/{item.repeat})", sample_s)
        elif isinstance(item, PulseTrain):
            for k in range(1, item.n_pulses + 1):
                yield from _expand((item.pulse, item.rest), f"{label}.", f"{repeats}({k}/{item.n_pulses})", sample_s)
        elif isinstance(item, CCCV):
            yield from _expand(item.expand(), f"{label}.", repeats, sample_s)
        else:
            own = item.sample_s
            yield Expanded(f"{label} {repeats}".strip(), item, sample_s if own is None else own)


def step_fields(step: Item) -> dict[str, Any]:
    """A step's fields by name (children of composites included as they are)."""
    return {f.name: getattr(step, f.name) for f in fields(step)}
