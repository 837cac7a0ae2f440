"""Plating/stripping Coulombic efficiency of a metal on a substrate: per cycle, and by the Aurbach
reservoir protocol, both told from the step structure alone.

Half-cycles
    maximal runs of active steps (constant current, constant voltage or other, with current) of one
    direction; rest, impedance and sweep steps between them neither count nor split them, so a
    cycler that logs a half-cycle as several steps, or rests between half-cycles, gives the same
    half-cycles. Plating is current < 0 (:mod:`anodelab.core.conventions`); a half-cycle's charge is
    the sum of its steps' charges. A *pair* is a plating half-cycle and the stripping one after it,
    numbered 1, 2, ... (``cycle``) in the record's order.
Stripping to the cut-off
    a stripping half-cycle ends at the cut-off when its last voltage lies above its median by at
    least :data:`CUTOFF_RISE_V` and :data:`CUTOFF_RISE_FACTOR` times the median's magnitude (the
    voltage rose when the metal ran out: a 0.1 V cut-off above a 10-30 mV plateau too), or, with
    ``cutoff_V`` given, when its last voltage is within :data:`CUTOFF_TOLERANCE_V` of ``cutoff_V`` or
    above. A capacity- or time-limited stripping ends on its plateau.
Per-cycle CE
    of a pair whose stripping reaches the cut-off and that follows the record's start or another
    such pair (the substrate was bare when it was plated): ``CE = stripped / plated``. Its mean,
    sample standard deviation and standard error over the cycles asked for; the first-cycle loss is
    ``1 - CE`` of pair 1 (and ``plated - stripped``, mAh).
Aurbach reservoir (Adams et al., Adv. Energy Mater. 8, 1702097, 2018)
    a run of pairs whose stripping stops short of the cut-off (capacity-limited cycling), closed by a
    pair whose stripping reaches it: the run's first plating is the reservoir Q_T, the n strippings and
    platings in between are the cycled Q_C, the last stripping is Q_S.
    ``CE = (n Q_C + Q_S) / (n Q_C + Q_T)``, computed with the charges measured:
    ``(sum of the run's strippings) / (sum of its platings)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import CHARGE, DISCHARGE
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.experiment import require_record
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.core.steps import StepTable, step_table

#: an automatic cut-off: the stripping's last voltage this far above its median (V) ...
CUTOFF_RISE_V = 0.03
#: ... and at least this many times the median's magnitude (a capacity-limited stripping ends on its plateau)
CUTOFF_RISE_FACTOR = 2.0
#: a given cut-off is reached by a last voltage this close to it or above (V)
CUTOFF_TOLERANCE_V = 0.01
METHODS = ("auto", "per-cycle", "reservoir")
ROLES = ("per-cycle", "reservoir", "reservoir-cycling", "reservoir-final", "incomplete")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class AurbachTest:
    """One reservoir test: pairs ``first_cycle``..``last_cycle``; charges in mAh."""

    first_cycle: int
    last_cycle: int
    n_cycles: int            # n: the strip/plate cycles at Q_C between the reservoir and the final strip
    reservoir_mAh: float     # Q_T
    cycled_mAh: float        # Q_C: mean of the n cycled strippings and platings
    final_strip_mAh: float   # Q_S
    plated_mAh: float        # n Q_C + Q_T as measured
    stripped_mAh: float      # n Q_C + Q_S as measured
    ce: float

    def to_dict(self, area_cm2: float | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "first_cycle": self.first_cycle, "last_cycle": self.last_cycle, "n_cycles": self.n_cycles,
            "reservoir_mAh": self.reservoir_mAh, "cycled_mAh": self.cycled_mAh,
            "final_strip_mAh": self.final_strip_mAh, "plated_mAh": self.plated_mAh,
            "stripped_mAh": self.stripped_mAh, "ce": self.ce,
        }
        if area_cm2:
            for key in ("reservoir", "cycled", "final_strip"):
                out[f"{key}_mAh_cm2"] = out[f"{key}_mAh"] / area_cm2
        return out


@dataclass(frozen=True, repr=False)
class PlatingEfficiency(Result):
    """Per-cycle and Aurbach CE on a substrate (rules in the module docstring).

    ``cycles``: the per-pair table (columns listed in :meth:`tables`); ``ce_mean`` etc. over the
    per-cycle pairs in ``cycle_range``; ``aurbach``: every reservoir test found, ``ce_aurbach`` the first's.
    """

    kind: ClassVar[str] = "plating_efficiency"
    version: ClassVar[int] = 2

    cycles: dict[str, NDArray[Any]]
    cycle_range: tuple[int, int] | None   # the per-cycle pairs averaged (None: there are none)
    ce_mean: float | None
    ce_std: float | None
    n_mean: int
    aurbach: tuple[AurbachTest, ...]
    cutoff_V: float | None                # median last voltage of the strippings that reached the cut-off
    current_mA: float                     # median |current| of the plating half-cycles
    area_cm2: float | None
    definitions: dict[str, str] = field(default_factory=dict)

    @property
    def ce_stderr(self) -> float | None:
        return self.ce_std / math.sqrt(self.n_mean) if self.ce_std is not None else None

    @property
    def ce_aurbach(self) -> float | None:
        return self.aurbach[0].ce if self.aurbach else None

    @property
    def first_cycle_ce(self) -> float | None:
        """CE of pair 1 when it is a per-cycle pair (plated on the bare substrate, stripped to the cut-off)."""
        roles, ce = self.cycles["role"], self.cycles["ce"]
        return float(ce[0]) if roles.size and roles[0] == "per-cycle" else None

    @property
    def first_cycle_loss_mAh(self) -> float | None:
        if self.first_cycle_ce is None:
            return None
        return float(self.cycles["plated_mAh"][0] - self.cycles["stripped_mAh"][0])

    def metrics(self) -> tuple[Metric, ...]:
        d = self.definitions
        out: list[Metric] = []
        if self.ce_mean is not None:
            out.append(Metric("ce_mean", self.ce_mean, "", self.ce_stderr, definition=d["ce_mean"]))
            if self.ce_std is not None:
                out.append(Metric("ce_std", self.ce_std, "", definition=d["ce_std"]))
        for number, test in enumerate(self.aurbach, start=1):
            where: dict[str, Any] = {"index_name": "test", "index": number} if len(self.aurbach) > 1 else {}
            out.append(Metric("ce_aurbach", test.ce, "", definition=d["ce_aurbach"], **where))
        loss = self.first_cycle_loss_mAh
        if self.first_cycle_ce is not None and loss is not None:
            out.append(Metric("first_cycle_loss", 1.0 - self.first_cycle_ce, "", definition=d["first_cycle_loss"]))
            if self.area_cm2:
                out.append(Metric("first_cycle_areal_loss", loss / self.area_cm2, "mAh/cm2",
                                  definition=d["first_cycle_loss_mAh"] + ", per cm2 of electrode"))
            else:
                out.append(Metric("first_cycle_capacity_loss", loss, "mAh", definition=d["first_cycle_loss_mAh"]))
        table = self.cycles
        for i in np.flatnonzero(table["role"] == "per-cycle"):
            out.append(Metric("ce", float(table["ce"][i]), "", index_name="cycle", index=int(table["cycle"][i]),
                              definition=d["ce"]))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        area = self.area_cm2
        loss = self.first_cycle_loss_mAh
        first = self.aurbach[0].to_dict(area) if self.aurbach else {}
        return {
            "ce_mean": self.ce_mean,
            "ce_std": self.ce_std,
            "ce_stderr": self.ce_stderr,
            "ce_mean_cycles": list(self.cycle_range) if self.cycle_range else None,
            "n_ce_mean": self.n_mean,
            "ce_aurbach": self.ce_aurbach,
            "first_cycle_ce": self.first_cycle_ce,
            "first_cycle_loss": None if self.first_cycle_ce is None else 1.0 - self.first_cycle_ce,
            "first_cycle_loss_mAh": loss,
            "first_cycle_loss_mAh_cm2": loss / area if loss is not None and area else None,
            "reservoir_mAh": first.get("reservoir_mAh"),
            "cycled_mAh": first.get("cycled_mAh"),
            "final_strip_mAh": first.get("final_strip_mAh"),
            "n_aurbach_cycles": first.get("n_cycles"),
            "aurbach_tests": [test.to_dict(area) for test in self.aurbach],
            "cutoff_V": self.cutoff_V,
            "current_mA": self.current_mA,
            "current_mA_cm2": self.current_mA / area if area else None,
            "area_cm2": area,
            "cycles": [{key: _item(values[i]) for key, values in self.tables()["cycles"].items()}
                       for i in range(self.cycles["cycle"].size)],
            "definitions": dict(self.definitions),
        }

    def tables(self) -> dict[str, dict[str, NDArray[Any]]]:
        """``cycles``: per pair ``cycle``, ``role`` (:data:`ROLES`), ``plating_start_s``, ``plated_mAh``,
        ``stripped_mAh``, ``ce`` (NaN but for per-cycle pairs), ``to_cutoff``, ``plating_V`` and
        ``stripping_V`` (medians), ``stripping_end_V``; ``*_mAh_cm2`` with an area."""
        table = dict(self.cycles)
        if self.area_cm2:
            table["plated_mAh_cm2"] = table["plated_mAh"] / self.area_cm2
            table["stripped_mAh_cm2"] = table["stripped_mAh"] / self.area_cm2
        return {"cycles": table}

    def headline(self) -> str:
        parts = []
        if self.ce_mean is not None and self.cycle_range is not None:
            spread = f" ± {self.ce_std:.3%}" if self.ce_std is not None else ""
            parts.append(f"mean CE {self.ce_mean:.3%}{spread} over cycles {self.cycle_range[0]}-{self.cycle_range[1]}")
        if self.aurbach:
            test = self.aurbach[0]
            parts.append(f"Aurbach CE {test.ce:.3%} (n = {test.n_cycles})")
        if self.first_cycle_ce is not None:
            parts.append(f"first cycle {self.first_cycle_ce:.2%}")
        return "; ".join(parts)


@stamps_call
def plating_efficiency(
    record: Record,
    cell: CellInfo | None = None,
    *,
    method: Literal["auto", "per-cycle", "reservoir"] = "auto",
    cycles: tuple[int, int] | None = None,
    cutoff_V: float | None = None,
) -> PlatingEfficiency:
    """Coulombic efficiency of plating/stripping on a substrate (rules in the module docstring).

    ``method``: ``"auto"`` reports whatever the record holds (per-cycle pairs, reservoir tests or
    both); ``"per-cycle"`` or ``"reservoir"`` require that protocol (NotApplicableError without it).
    ``cycles``: (first, last) pair numbers, inclusive, of the per-cycle pairs averaged (default: all).
    ``cutoff_V``: the stripping cut-off vs the counter (default: told from each stripping's rise).
    Areal charges from ``cell`` (default: the record's) working-electrode area; without one, mAh and a
    warning.
    """
    cycle_range = _options(method, cycles, cutoff_V)
    record = require_record(record, "the plating CE", "a plating/stripping Record (time, voltage, current)")
    where = record.provenance.path or "record"
    cell = cell if cell is not None else record.cell
    for name in ("current_mA", "capacity_mAh"):
        if name not in record:
            raise NotApplicableError(f"{where}: the plating CE needs {name}; the record has "
                                     + ", ".join(record.column_names))
    warnings: list[str] = []
    pairs = _pairs(_half_cycles(record, where), warnings)
    if not pairs:
        raise NotApplicableError(f"{where}: no plating half-cycle followed by a stripping one; the plating CE "
                                 "needs plating (current < 0) then stripping (current > 0)")
    table = _pair_table(pairs, cutoff_V, where)
    roles, per_cycle = table["role"], table["role"] == "per-cycle"
    if (roles == "incomplete").any():
        warnings.append(f"{int((roles == 'incomplete').sum())} pair(s) after the last stripping to the cut-off "
                        "belong to no complete test (the record ends before the final stripping)")
    tests = _aurbach_tests(roles, table["plated_mAh"], table["stripped_mAh"])
    if method == "reservoir" and not tests:
        raise NotApplicableError(f"{where}: no Aurbach reservoir test (capacity-limited cycling closed by a stripping "
                                 "to the cut-off) in the record")
    if method == "per-cycle" and not per_cycle.any():
        raise NotApplicableError(f"{where}: no per-cycle pair (plating on the bare substrate, stripping to the "
                                 "cut-off) in the record")
    if len(tests) > 1:
        warnings.append(f"{len(tests)} Aurbach tests: ce_aurbach is the first's, every one is in aurbach_tests")
    mean, std, n_mean, used = (_mean(table["cycle"], table["ce"], per_cycle, cycle_range, where)
                               if method != "reservoir" else (None, None, 0, None))
    area = cell.working_electrode.area_cm2 if cell is not None else None
    if not area:
        warnings.append("no electrode area (working_electrode.area_cm2): charges in mAh and current in mA, not per cm2")
    return PlatingEfficiency(
        cycles=table, cycle_range=used, ce_mean=mean, ce_std=std, n_mean=n_mean,
        aurbach=tuple(tests) if method != "per-cycle" else (),
        cutoff_V=float(np.median(table["stripping_end_V"][table["to_cutoff"]])),
        current_mA=float(np.median([p[0].current_mA for p in pairs])), area_cm2=area,
        definitions=_definitions(cutoff_V), warnings=tuple(warnings))


def _pair_table(pairs: list[tuple[_HalfCycle, _HalfCycle]], cutoff_V: float | None, where: str
                ) -> dict[str, NDArray[Any]]:
    """The per-pair table of :meth:`PlatingEfficiency.tables` (without areal columns), the pairs checked
    to be metal plating on a substrate stripped to a cut-off at least once."""
    plating_V = np.array([p[0].median_V for p in pairs])
    if np.median(plating_V) >= 0.0:
        raise NotApplicableError(
            f"{where}: the plating half-cycles lie at a median {np.median(plating_V):.3g} V vs the counter, above "
            "0 V: this is an insertion or alloying electrode, not metal plating on a substrate (its CE is "
            "cycling.cycle_summary's)")
    end_V = np.array([p[1].end_V for p in pairs])
    median_V = np.array([p[1].median_V for p in pairs])
    reached = _to_cutoff(end_V, median_V, cutoff_V)
    if not reached.any():
        raise NotApplicableError(
            f"{where}: no stripping half-cycle reaches a cut-off voltage (each ends on its plateau): the CE on a "
            "substrate needs stripping to a cut-off; this is capacity-limited cycling (a symmetric-cell record?)"
            + (f" (cutoff_V={cutoff_V} V)" if cutoff_V is not None else ""))
    roles = _roles(reached)
    plated = np.array([p[0].charge_mAh for p in pairs])
    stripped = np.array([p[1].charge_mAh for p in pairs])
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = np.where(roles == "per-cycle", stripped / plated, np.nan)
    return {
        "cycle": np.arange(1, len(pairs) + 1).astype(np.int64),
        "role": np.array(roles, dtype=str),
        "plating_start_s": np.array([p[0].start_s for p in pairs]),
        "plated_mAh": plated,
        "stripped_mAh": stripped,
        "ce": ce,
        "to_cutoff": reached,
        "plating_V": plating_V,
        "stripping_V": median_V,
        "stripping_end_V": end_V,
    }


def _to_cutoff(end_V: FloatArray, median_V: FloatArray, cutoff_V: float | None) -> NDArray[np.bool_]:
    """Per stripping: whether it ends at the cut-off (module docstring), from its last and median voltages."""
    if cutoff_V is not None:
        return end_V >= cutoff_V - CUTOFF_TOLERANCE_V
    rise_V = end_V - median_V
    return (rise_V >= CUTOFF_RISE_V) & (rise_V >= CUTOFF_RISE_FACTOR * np.abs(median_V))


def _definitions(cutoff_V: float | None) -> dict[str, str]:
    """The result's definitions of its quantities, in words."""
    return {
        "ce": "stripped / plated charge of a pair plated on the bare substrate and stripped to the cut-off",
        "ce_mean": "mean of the per-cycle CE over the cycles asked for (stderr: sample standard deviation / sqrt(n))",
        "ce_std": "sample standard deviation of the per-cycle CE over those cycles",
        "ce_aurbach": "(n Q_C + Q_S) / (n Q_C + Q_T) of a reservoir test (Adams et al. 2018), with the charges "
                      "measured: the test's stripped over its plated charge",
        "first_cycle_loss": "1 - CE of the first pair (plated on the bare substrate)",
        "first_cycle_loss_mAh": "plated - stripped charge of the first pair",
        "cutoff": (f"a stripping's last voltage within {CUTOFF_TOLERANCE_V} V of cutoff_V={cutoff_V} V or above"
                   if cutoff_V is not None else
                   f"a stripping's last voltage above its median by at least {CUTOFF_RISE_V} V and "
                   f"{CUTOFF_RISE_FACTOR:g} x the median's magnitude"),
    }


# -- half-cycles and pairs --------------------------------------------------------------------------


@dataclass(frozen=True)
class _HalfCycle:
    direction: int
    start_s: float
    charge_mAh: float
    median_V: float
    end_V: float
    current_mA: float   # median |set point or mean current| of its steps


def _half_cycles(record: Record, where: str) -> list[_HalfCycle]:
    """Maximal runs of active steps of one direction (rest, impedance and sweep steps skipped)."""
    table = step_table(record)
    active = np.isin(table.mode, ("CC", "CV", "other")) & np.isin(table.direction, (CHARGE, DISCHARGE))
    index = np.flatnonzero(active)
    if index.size == 0:
        raise NotApplicableError(f"{where}: no plating or stripping step (every step is a rest, impedance or sweep)")
    direction = table.direction[index]
    first = np.r_[True, direction[1:] != direction[:-1]]
    groups = np.split(index, np.flatnonzero(first)[1:])
    voltage = record["voltage_V"]
    time = record.columns.get("time_s")
    halves = []
    for steps in groups:
        rows = np.concatenate([np.arange(table.start[k], table.end[k] + 1) for k in steps])
        current = np.abs(table.mean_current_mA[steps])
        readings = voltage[rows]
        readings = readings[np.isfinite(readings)]  # a lost reading (NaN) neither sets nor hides a voltage
        halves.append(_HalfCycle(
            direction=int(table.direction[steps[0]]),
            start_s=float(time[table.start[steps[0]]]) if time is not None else math.nan,
            charge_mAh=sum(_step_charge_mAh(record, table, int(k)) for k in steps),
            median_V=float(np.median(readings)) if readings.size else math.nan,
            end_V=float(readings[-1]) if readings.size else math.nan,
            current_mA=float(np.median(current)),
        ))
    return halves


def _step_charge_mAh(record: Record, table: StepTable, k: int) -> float:
    """Step ``k``'s charge: its last capacity reading, or where that is lost (NaN), the last one read plus
    the step's mean current over the time after it."""
    capacity = record["capacity_mAh"][int(table.start[k]):int(table.end[k]) + 1]
    if np.isfinite(capacity[-1]):
        return float(capacity[-1])
    known = np.flatnonzero(np.isfinite(capacity))
    if known.size == 0:
        return float(abs(table.mean_current_mA[k]) * np.nan_to_num(table.duration_s[k]) / 3600.0)
    time = record.columns.get("time_s")
    rest_s = float(time[int(table.end[k])] - time[int(table.start[k]) + int(known[-1])]) if time is not None else 0.0
    return float(capacity[known[-1]] + abs(table.mean_current_mA[k]) * rest_s / 3600.0)


def _pairs(halves: list[_HalfCycle], warnings: list[str]) -> list[tuple[_HalfCycle, _HalfCycle]]:
    """Each plating half-cycle with the stripping one after it (half-cycles alternate by construction)."""
    start = 0
    if halves and halves[0].direction == CHARGE:
        warnings.append("a stripping half-cycle before the first plating is left out")
        start = 1
    pairs = [(halves[i], halves[i + 1]) for i in range(start, len(halves) - 1, 2)]
    if (len(halves) - start) % 2:
        warnings.append("the last plating half-cycle has no stripping after it and is left out")
    return pairs


def _roles(reached: NDArray[np.bool_]) -> NDArray[np.str_]:
    """Per pair: per-cycle, or reservoir / reservoir-cycling / reservoir-final, or incomplete."""
    roles = np.full(reached.size, "incomplete", dtype="<U17")
    run_start = 0  # first pair after the last stripping to the cut-off
    for i, hit in enumerate(reached):
        if not hit:
            continue
        if i == run_start:
            roles[i] = "per-cycle"
        else:
            roles[run_start] = "reservoir"
            roles[run_start + 1:i] = "reservoir-cycling"
            roles[i] = "reservoir-final"
        run_start = i + 1
    return roles


def _aurbach_tests(roles: NDArray[np.str_], plated: FloatArray, stripped: FloatArray) -> list[AurbachTest]:
    tests = []
    for first in np.flatnonzero(roles == "reservoir"):
        last = first + 1 + int(np.argmax(roles[first + 1:] == "reservoir-final"))
        n = int(last - first)
        cycled = np.r_[stripped[first:last], plated[first + 1:last + 1]]
        total_plated, total_stripped = float(plated[first:last + 1].sum()), float(stripped[first:last + 1].sum())
        tests.append(AurbachTest(
            first_cycle=int(first + 1), last_cycle=int(last + 1), n_cycles=n, reservoir_mAh=float(plated[first]),
            cycled_mAh=float(cycled.mean()), final_strip_mAh=float(stripped[last]), plated_mAh=total_plated,
            stripped_mAh=total_stripped, ce=total_stripped / total_plated))
    return tests


def _mean(number: NDArray[np.int64], ce: FloatArray, per_cycle: NDArray[np.bool_], cycle_range: tuple[int, int] | None,
          where: str) -> tuple[float | None, float | None, int, tuple[int, int] | None]:
    """Mean, sample standard deviation, count and (first, last) cycle of the per-cycle CE in the range."""
    chosen = per_cycle.copy()
    if cycle_range is not None:
        chosen &= (number >= cycle_range[0]) & (number <= cycle_range[1])
        if per_cycle.any() and not chosen.any():
            cycles = number[per_cycle]
            raise NotApplicableError(f"{where}: no per-cycle pair in cycles {cycle_range[0]}-{cycle_range[1]} "
                                     f"(they are {cycles[0]}-{cycles[-1]})")
    if not chosen.any():
        return None, None, 0, None
    values = ce[chosen]
    std = float(np.std(values, ddof=1)) if values.size > 1 else None
    return float(values.mean()), std, int(values.size), (int(number[chosen][0]), int(number[chosen][-1]))


# -- checks -----------------------------------------------------------------------------------------


def _options(method: str, cycles: tuple[int, int] | None, cutoff_V: float | None) -> tuple[int, int] | None:
    """Check the options; the range of cycles averaged."""
    if method not in METHODS:
        raise ValidationError("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    cycle_range = _cycle_range(cycles)
    if cutoff_V is not None and not (isinstance(cutoff_V, (int, float)) and math.isfinite(cutoff_V)):
        raise ValidationError("cutoff_V", f"must be a finite voltage or None, got {cutoff_V!r}")
    return cycle_range


def _cycle_range(cycles: tuple[int, int] | None) -> tuple[int, int] | None:
    if cycles is None:
        return None
    try:
        first, last = (int(c) for c in cycles)
    except (TypeError, ValueError):
        raise ValidationError("cycles", f"must be (first, last) cycle numbers or None, got {cycles!r}") from None
    if first < 1 or last < first or any(isinstance(c, bool) or c != int(c) for c in cycles):
        raise ValidationError("cycles", f"must be whole numbers 1 <= first <= last, got {cycles!r}")
    return first, last


def _item(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


__all__ = ["AurbachTest", "PlatingEfficiency", "plating_efficiency"]
