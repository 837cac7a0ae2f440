"""An intended schedule against the one a record ran (:func:`~anodelab.protocols.recover.recover`), step by
step over both expanded (loops unrolled), in order.

A pair of steps differs when

- their types differ (a CC step where a hold was meant, a missing or extra step);
- the set point differs: a current by more than ``rtol`` of the intended (or of the other sign), a
  voltage by more than ``voltage_tol_V``;
- the step ran past one of its cut-offs (longer than its duration, more charge than its capacity, the
  voltage beyond its cut-off in the direction the current drives it, |I| below its end current), or
  ended before reaching any (none of the values it ended at equals one of its cut-offs); durations
  agree within ``rtol`` or ``duration_tol_s``, charges and currents within ``rtol``, voltages within
  ``voltage_tol_V``;
- the sampling interval differs by more than ``sample_rtol`` (where the recovered step has one).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from anodelab.core.errors import ValidationError
from anodelab.protocols.recover import ENDINGS
from anodelab.protocols.schedule import CC, CV, Expanded, Other, Primitive, Schedule

if TYPE_CHECKING:
    import pandas as pd

_UNITS = {"duration_s": "s", "capacity_mAh": "mAh", "cutoff_V": "V", "cutoff_current_mA": "mA", "current_mA": "mA",
          "voltage_V": "V", "sample_s": "s"}


@dataclass(frozen=True)
class Difference:
    """One difference: the step (1-based in the expanded intended schedule; beyond it, in the recovered
    one), its label in the intended schedule (``"3.2 (4/10)"``), the field, both values and a sentence."""

    step: int
    label: str
    field: str
    intended: Any
    recovered: Any
    message: str


@dataclass(frozen=True)
class Comparison:
    """The differences of two schedules and how many primitive steps each runs."""

    differences: tuple[Difference, ...]
    n_intended: int
    n_recovered: int

    @property
    def matches(self) -> bool:
        """True when the recovered schedule ran the intended one."""
        return not self.differences

    def to_dicts(self) -> list[dict[str, Any]]:
        return [asdict(d) for d in self.differences]

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dicts(), columns=["step", "label", "field", "intended", "recovered", "message"])

    def to_text(self) -> str:
        head = f"{self.n_intended} steps intended, {self.n_recovered} recovered: "
        if self.matches:
            return head + "the record ran the intended schedule"
        lines = [head + f"{len(self.differences)} difference(s)"]
        lines += [f"  step {d.step} [{d.label or '-'}] {d.field}: {d.message}" for d in self.differences]
        return "\n".join(lines)


def compare(intended: Schedule, recovered: Schedule, *, rtol: float = 0.01, voltage_tol_V: float = 0.005,
            duration_tol_s: float = 0.1, sample_rtol: float = 0.1) -> Comparison:
    """The differences of ``recovered`` from ``intended`` (rules in the module docstring)."""
    for name, value in (("intended", intended), ("recovered", recovered)):
        if not isinstance(value, Schedule):
            raise ValidationError(name, f"expected a Schedule, got {type(value).__name__}")
    for option, tolerance in (("rtol", rtol), ("voltage_tol_V", voltage_tol_V), ("duration_tol_s", duration_tol_s),
                              ("sample_rtol", sample_rtol)):
        if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
            raise ValidationError(option, f"must be a finite number >= 0, got {tolerance!r}")
    check = _Checks(rtol, voltage_tol_V, duration_tol_s, sample_rtol)
    ours, theirs = intended.expanded(), recovered.expanded()
    differences: list[Difference] = []
    for index, (a, b) in enumerate(zip(ours, theirs), start=1):
        differences += check.pair(index, a, b)
    for index, a in enumerate(ours[len(theirs):], start=len(theirs) + 1):
        differences.append(Difference(index, a.label, "missing", _describe(a.step), None,
                                      f"{_describe(a.step)} was not run"))
    for index, b in enumerate(theirs[len(ours):], start=len(ours) + 1):
        differences.append(Difference(index, "", "extra", None, _describe(b.step),
                                      f"{_describe(b.step)} ran beyond the intended schedule"))
    return Comparison(tuple(differences), len(ours), len(theirs))


@dataclass(frozen=True)
class _Checks:
    rtol: float
    voltage_tol_V: float
    duration_tol_s: float
    sample_rtol: float

    def pair(self, index: int, a: Expanded, b: Expanded) -> list[Difference]:
        mine, seen = a.step, b.step

        def differs(field: str, intended: Any, recovered: Any, message: str) -> Difference:
            return Difference(index, a.label, field, intended, recovered, message)

        if type(mine) is not type(seen):
            return [differs("type", _describe(mine), _describe(seen), f"{_describe(seen)} ran where "
                                                                      f"{_describe(mine)} was intended")]
        out = []
        if isinstance(mine, CC) and isinstance(seen, CC) and (
                mine.current_mA * seen.current_mA <= 0 or not self.close("current_mA", mine.current_mA, seen.current_mA)):
            out.append(differs("current_mA", mine.current_mA, seen.current_mA,
                                   f"current {seen.current_mA:.6g} mA, intended {mine.current_mA:.6g} mA"))
        if isinstance(mine, CV) and isinstance(seen, CV) and not self.close("voltage_V", mine.voltage_V, seen.voltage_V):
            out.append(differs("voltage_V", mine.voltage_V, seen.voltage_V,
                               f"held at {seen.voltage_V:.6g} V, intended {mine.voltage_V:.6g} V"))
        out += [differs(*parts) for parts in self.ending(mine, seen)]
        if seen.sample_s is not None and abs(seen.sample_s - a.sample_s) > self.sample_rtol * a.sample_s:
            out.append(differs("sample_s", a.sample_s, seen.sample_s,
                               f"sampled every {seen.sample_s:.6g} s, intended every {a.sample_s:.6g} s"))
        return out

    def close(self, field: str, intended: float, recovered: float) -> bool:
        if field in ("cutoff_V", "voltage_V"):
            return abs(recovered - intended) <= self.voltage_tol_V
        allowed = self.rtol * abs(intended)
        if field == "duration_s":
            allowed = max(allowed, self.duration_tol_s)
        return abs(recovered - intended) <= allowed

    def past(self, step: Primitive, field: str, limit: float, value: float) -> bool:
        """Whether ``value`` (what the step ended at) lies beyond the cut-off ``limit``."""
        if self.close(field, limit, value):
            return False
        if field == "cutoff_V":
            return isinstance(step, CC) and (value - limit) * step.current_mA > 0
        if field == "cutoff_current_mA":
            return value < limit
        return value > limit

    def ending(self, mine: Primitive, seen: Primitive) -> list[tuple[str, Any, Any, str]]:
        names = ENDINGS.get(type(mine), ())
        limits = {n: getattr(mine, n) for n in names if getattr(mine, n) is not None}
        ended = {n: getattr(seen, n) for n in names if getattr(seen, n) is not None}
        past = [n for n in limits if n in ended and self.past(mine, n, limits[n], ended[n])]
        if past:
            return [(n, limits[n], ended[n], f"ran past its cut-off {_value(n, limits[n])}: {_value(n, ended[n])}")
                    for n in past]
        if limits and not any(n in ended and self.close(n, limits[n], ended[n]) for n in limits):
            at = ", ".join(_value(n, v) for n, v in ended.items()) or "unknown values"
            meant = " or ".join(_value(n, v) for n, v in limits.items())
            return [("ending", meant, at, f"ended at {at}, before any of its cut-offs ({meant})")]
        return []


def _value(field: str, value: float) -> str:
    return f"{value:.6g} {_UNITS.get(field, '')}".rstrip()


def _describe(step: Primitive) -> str:
    if isinstance(step, CC):
        return f"CC {step.current_mA:+.6g} mA"
    if isinstance(step, CV):
        return f"CV {step.voltage_V:.6g} V"
    return f"Other ({step.mode})" if isinstance(step, Other) else type(step).__name__
