"""Per-cycle capacities, CE, energies and voltages, and the headline metrics papers quote.

When the working electrode gives its composition (``cell.toml``: ``composition``, ``end_phase``), the
summary adds its theoretical capacity (:func:`anodelab.design.capacity_of`, mAh per g of active
material) and, with the active mass, the utilisation of each half-cycle in %.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    HALF_CYCLE_ROLES,
    OPENING_STATE,
    REST,
)
from anodelab.core.errors import MetadataError, NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.cycling.halfcycles import (
    CV_SPAN_V,
    HalfCycles,
    Steps,
    half_cycles,
    reduce_steps,
    require_record,
)
from anodelab.design import capacity_of

if TYPE_CHECKING:
    import pandas as pd

#: per-cycle columns that need the active mass / the electrode area
SPECIFIC_SUFFIXES = ("_mAh_g", "_A_g")
AREAL_SUFFIXES = ("_mAh_cm2", "_mA_cm2")
UTILISATION_SUFFIX = "_utilisation_pct"


@dataclass(frozen=True, repr=False)
class CycleSummary(Result):
    """Per-cycle table (``columns``, one entry per cycle >= 1) and the headline metrics.

    Column names carry their unit. The capacity columns are named by the half-cycle roles of the
    cell type (``insertion_mAh``/``extraction_mAh`` for an anode half-cell, ``charge_mAh``/
    ``discharge_mAh`` for a full cell, ``plating_mAh``/``stripping_mAh`` for plating cells);
    ``opening``/``closing`` name them. Specific (``*_mAh_g``) and areal (``*_mAh_cm2``) columns exist
    only when the active mass / area is known; asking for them otherwise raises MetadataError.
    ``*_utilisation_pct`` (specific capacity / ``theoretical_capacity_mAh_g`` x 100) exist when the
    working electrode's composition and the active mass are known.
    """

    kind: ClassVar[str] = "cycle_summary"
    version: ClassVar[int] = 1

    columns: Mapping[str, NDArray[Any]]
    opening: str
    closing: str
    cell_type: str | None
    active_mass_mg: float | None
    area_cm2: float | None
    ice: float | None
    reference_cycle: int
    retention: float | None
    decay_pct_per_cycle: float | None
    cycle_at_80pct: int | None
    average_ce: float | None
    average_ce_cycles: tuple[int, int] | None
    preamble: dict[str, Any]
    definitions: dict[str, str] = field(default_factory=dict)
    theoretical_capacity_mAh_g: float | None = None
    theoretical_basis: str | None = None

    def __getitem__(self, name: str) -> NDArray[Any]:
        if name in self.columns:
            return self.columns[name]
        if name.endswith(UTILISATION_SUFFIX) and self.theoretical_capacity_mAh_g is None:
            raise MetadataError("working_electrode.composition",
                                f"{name} needs the theoretical capacity; give working_electrode.composition "
                                "(and end_phase) in cell.toml")
        if name.endswith((*SPECIFIC_SUFFIXES, UTILISATION_SUFFIX)) and self.active_mass_mg is None:
            raise MetadataError(
                "working_electrode.mass_mg",
                f"{name} needs the active mass; give working_electrode.mass_mg (and active_fraction) in cell.toml "
                "or --mass-mg; no default mass is assumed")
        if name.endswith(AREAL_SUFFIXES) and self.area_cm2 is None:
            raise MetadataError("working_electrode.area_cm2",
                                f"{name} needs the electrode area; give working_electrode.area_cm2 or --area-cm2")
        raise NotApplicableError(f"cycle summary has no column {name!r}; it has {', '.join(self.columns)}")

    @property
    def cycles(self) -> NDArray[np.int32]:
        return self.columns["cycle"]

    @property
    def last_complete_cycle(self) -> int | None:
        """The last cycle not flagged ``incomplete`` (None when every cycle is)."""
        complete = self.cycles[~self.columns["incomplete"]]
        return int(complete[-1]) if complete.size else None

    def cycles_frame(self) -> pd.DataFrame:
        """The per-cycle table as a DataFrame, one row per cycle."""
        import pandas as pd

        return pd.DataFrame(dict(self.columns))

    def metrics(self) -> tuple[Metric, ...]:
        """ice, retention, decay, cycle_at_80pct, average_ce (those defined), then per complete cycle
        (index ``cycle``) the opening and closing capacity (mAh; mAh/g, mAh/cm2 where known), ce,
        energy_efficiency (full and cathode half-cells) and hysteresis. With the working electrode's
        composition: theoretical_capacity first, and the utilisation of each half-cycle (%)."""
        o, c, d = self.opening, self.closing, self.definitions
        last, ref = self.last_complete_cycle, self.reference_cycle
        span = f"cycles {self.average_ce_cycles[0]}..{self.average_ce_cycles[1]}" if self.average_ce_cycles else ""
        overall = (
            ("ice", self.ice, "", d["ice"]),
            ("retention", self.retention, "", f"{c} capacity of cycle {last} (the last complete one) / that of cycle {ref}"),
            ("decay", self.decay_pct_per_cycle, "%/cycle", d["decay_pct_per_cycle"]),
            ("cycle_at_80pct", self.cycle_at_80pct, "", d["cycle_at_80pct"]),
            ("average_ce", self.average_ce, "", f"mean ce of the complete {span}"),
        )
        metrics = [Metric(name, float(value), unit, definition=text) for name, value, unit, text in overall
                   if value is not None]
        if self.theoretical_capacity_mAh_g is not None:
            metrics.insert(0, Metric("theoretical_capacity", self.theoretical_capacity_mAh_g, "mAh/g",
                                     definition=f"{d['theoretical_capacity']}: {self.theoretical_basis}"))
        per_cycle = [(f"{role}_capacity", f"{role}_mAh", "mAh", f"{role} capacity: {d['capacity']}") for role in (o, c)]
        if self.active_mass_mg is not None:
            per_cycle += [(f"{role}_specific_capacity", f"{role}_mAh_g", "mAh/g",
                           f"{role} capacity per g of active material ({self.active_mass_mg:.6g} mg)") for role in (o, c)]
        if f"{o}{UTILISATION_SUFFIX}" in self.columns:
            per_cycle += [(f"{role}_utilisation", f"{role}{UTILISATION_SUFFIX}", "%", d["utilisation"]) for role in (o, c)]
        if self.area_cm2 is not None:
            per_cycle += [(f"{role}_areal_capacity", f"{role}_mAh_cm2", "mAh/cm2",
                           f"{role} capacity per cm2 of working electrode ({self.area_cm2:.6g} cm2)") for role in (o, c)]
        per_cycle.append(("ce", "ce", "", d["ce"]))
        if self.cell_type in ("full", "cathode-half"):  # a cell whose charge stores the energy its discharge gives
            per_cycle.append(("energy_efficiency", "energy_efficiency", "", d["energy_efficiency"]))
        per_cycle.append(("hysteresis", "hysteresis_V", "V", d["mean_V"]))
        complete = np.flatnonzero(~self.columns["incomplete"])
        values = {column: self.columns[column][complete].tolist() for _, column, _, _ in per_cycle}
        for position, cycle in enumerate(self.cycles[complete].tolist()):
            for name, column, unit, text in per_cycle:
                value = values[column][position]
                if math.isfinite(value):
                    metrics.append(Metric(name, value, unit, index_name="cycle", index=cycle, definition=text))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        lists = {name: column.tolist() for name, column in self.columns.items()}
        rows = [dict(zip(lists, values)) for values in zip(*lists.values())]
        for row in rows:  # role-neutral keys: insertion = opening half-cycle (Li/Na into the negative electrode)
            for role, alias in ((self.opening, "insertion"), (self.closing, "extraction")):
                for suffix in ("_mAh", "_mAh_g", "_mAh_cm2", UTILISATION_SUFFIX):
                    if role + suffix in row:
                        row.setdefault(alias + suffix, row[role + suffix])
        return {
            "cell_type": self.cell_type,
            "opening": self.opening,
            "closing": self.closing,
            "active_mass_mg": self.active_mass_mg,
            "area_cm2": self.area_cm2,
            "theoretical_capacity_mAh_g": self.theoretical_capacity_mAh_g,
            "theoretical_basis": self.theoretical_basis,
            "cycles": rows,
            "ice": self.ice,
            "reference_cycle": self.reference_cycle,
            "retention": self.retention,
            "decay_pct_per_cycle": self.decay_pct_per_cycle,
            "cycle_at_80pct": self.cycle_at_80pct,
            "average_ce": self.average_ce,
            "average_ce_cycles": list(self.average_ce_cycles) if self.average_ce_cycles else None,
            "preamble": dict(self.preamble),
            "definitions": dict(self.definitions),
        }

    def tables(self) -> Mapping[str, Mapping[str, Any]]:
        return {"cycles": dict(self.columns)}

    def headline(self) -> str:
        parts = [] if self.ice is None else [f"ICE {self.ice:.3f}"]
        if self.retention is not None:
            parts.append(f"retention {self.retention:.3f} at cycle {self.last_complete_cycle} vs {self.reference_cycle}")
        parts.append(f"{self.cycles.size} cycles")
        return "; ".join(parts)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "columns": dict(self.columns)}  # a mappingproxy does not pickle

    def __setstate__(self, state: dict[str, Any]) -> None:
        for array in state["columns"].values():
            array.flags.writeable = False
        self.__dict__.update(state, columns=MappingProxyType(state["columns"]))


@stamps_call
def cycle_summary(
    record: Record,
    cell: CellInfo | None = None,
    *,
    formation_cycles: int | str = "auto",
    current_rtol: float = 0.05,
    cutoff_tolerance_V: float | None = None,
    ce_cycles: tuple[int, int] | None = None,
) -> CycleSummary:
    """Summarise every cycle of ``record`` by the conventions of :mod:`anodelab.core.conventions`.

    ``cell`` (default: the record's own) fixes the cell type, hence which half-cycle opens a cycle
    and the CE direction (closing/opening: extraction/insertion for an anode half-cell,
    discharge/charge for a full or cathode half-cell, stripped/plated for plating cells); the record
    is renumbered for it. Without a cell type the first active step opens (roles forward/reverse).

    ``formation_cycles``: cycles before the retention reference (reference = formation_cycles + 1).
    ``"auto"``: the leading cycles whose closing current differs by more than ``current_rtol`` from
    the current of the last complete cycle (0 when no current is recorded, or all match).
    ``cutoff_tolerance_V`` (default max(0.02 V, 2 % of the span of the active steps' end voltages)): a half-cycle is
    *incomplete* when it ends farther than this inside the cutoff reached by the other half-cycles
    of its direction (the lowest end voltage for discharges, the highest for charges); a cycle with
    no closing half-cycle is incomplete too. ``ce_cycles`` (first, last): the range for the average
    CE (default: reference cycle + 1 .. last complete cycle).
    """
    record = require_record(record, "cycle_summary")
    cell = cell if cell is not None else record.cell
    if cell is not None and (record.cell is None or record.cell.cell_type != cell.cell_type):
        record = record.with_cell(cell)
    return summary_of_steps(reduce_steps(record), cell, formation_cycles=formation_cycles, current_rtol=current_rtol,
                            cutoff_tolerance_V=cutoff_tolerance_V, ce_cycles=ce_cycles)


def summary_of_steps(
    steps: Steps,
    cell: CellInfo | None,
    *,
    formation_cycles: int | str,
    current_rtol: float,
    cutoff_tolerance_V: float | None,
    ce_cycles: tuple[int, int] | None,
) -> CycleSummary:
    """:func:`cycle_summary` from the record's steps (:func:`~anodelab.cycling.halfcycles.reduce_steps`, their
    cycles numbered for ``cell``'s type): everything it computes after the steps, from them alone."""
    cell_type = cell.cell_type if cell is not None else None
    opening_name, closing_name = HALF_CYCLE_ROLES[cell_type] if cell_type else ("forward", "reverse")
    opening_state = OPENING_STATE.get(cell_type) if cell_type else None
    if opening_state is None:
        opening_state = int(steps.direction[steps.direction != REST][0])
    closing_state = CHARGE if opening_state == DISCHARGE else DISCHARGE

    cycles = np.unique(steps.cycle[steps.cycle > 0]).astype(np.int32)
    if cycles.size == 0:
        raise NotApplicableError("cycling: no complete opening half-cycle in the record (everything is cycle 0)")
    op = half_cycles(steps, opening_state, cycles)
    cl = half_cycles(steps, closing_state, cycles)

    active_ends = steps.end_V[(steps.direction != REST) & np.isfinite(steps.end_V)]
    window = float(active_ends.max() - active_ends.min()) if active_ends.size else 0.0
    tol = cutoff_tolerance_V if cutoff_tolerance_V is not None else max(0.02, 0.02 * window)
    if not tol >= 0:
        raise ValidationError("cutoff_tolerance_V", f"must be >= 0, got {cutoff_tolerance_V!r}")
    mass = cell.working_electrode.active_mass_mg if cell is not None else None
    area = cell.working_electrode.area_cm2 if cell is not None else None
    cols = _columns(steps, cycles, (op, cl), (opening_name, closing_name), opening_state, tol, mass, area)
    theoretical, basis = _theoretical(cell)
    if theoretical is not None and mass is not None:
        for role in (opening_name, closing_name):
            column = cols[f"{role}_mAh_g"] / theoretical * 100.0
            column.flags.writeable = False
            cols[f"{role}{UTILISATION_SUFFIX}"] = column

    reference = _reference_cycle(formation_cycles, cycles, cl.current_mA, cols["incomplete"], current_rtol)
    ice, retention, decay, at80, ce_cycles, average_ce = _fade(cols, closing_name, reference, ce_cycles)
    preamble_steps = steps.cycle == 0
    preamble = {
        "steps": int(preamble_steps.sum()),
        "rests_only": bool(np.all(steps.direction[preamble_steps] == REST)),
        f"{opening_name}_mAh": float(steps.capacity_mAh[preamble_steps & (steps.direction == opening_state)].sum()),
        f"{closing_name}_mAh": float(steps.capacity_mAh[preamble_steps & (steps.direction == closing_state)].sum()),
    }
    summary = CycleSummary(
        MappingProxyType(cols), opening_name, closing_name, cell_type, mass, area, ice, reference, retention,
        decay, at80, average_ce, ce_cycles, preamble,
        _definitions(opening_name, closing_name, opening_state, tol, formation_cycles, current_rtol),
        theoretical, basis,
    )
    return dataclasses.replace(summary, warnings=_warnings(summary, formation_cycles))


def _theoretical(cell: CellInfo | None) -> tuple[float | None, str | None]:
    """The working electrode's theoretical capacity (mAh/g of active material) and what it is of; a
    composition that :mod:`anodelab.design` cannot read is a MetadataError naming the field."""
    electrode = cell.working_electrode if cell is not None else None
    if electrode is None or electrode.composition is None:
        return None, None
    try:
        capacity = capacity_of(electrode.composition, electrode.end_phase)
    except ValidationError as error:
        where = f"{cell.source}: " if cell is not None and cell.source else ""
        raise MetadataError("working_electrode.composition", f"{where}{error}") from None
    return capacity.capacity_mAh_g, f"{electrode.composition} -> {capacity.end_phase} ({capacity.convention})"


def _columns(
    steps: Steps, cycles: NDArray[np.int32], halves: tuple[HalfCycles, HalfCycles], names: tuple[str, str],
    opening_state: int, tol: float, mass: float | None, area: float | None,
) -> dict[str, NDArray[Any]]:
    """The per-cycle columns (read-only arrays) from the opening and closing half-cycles."""
    op, cl = halves
    opening_name, closing_name = names
    closing_state = CHARGE if opening_state == DISCHARGE else DISCHARGE
    op_incomplete = _short_of_cutoff(op.end_V, op.present, opening_state, tol)
    cl_incomplete = _short_of_cutoff(cl.end_V, cl.present, closing_state, tol) | ~cl.present
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = np.where(cl.present & (op.capacity_mAh > 0), cl.capacity_mAh / op.capacity_mAh, np.nan)
        v_op = op.energy_mWh / op.capacity_mAh
        v_cl = np.where(cl.present, cl.energy_mWh / cl.capacity_mAh, np.nan)
        e_charge, e_discharge = (op.energy_mWh, cl.energy_mWh) if opening_state == CHARGE else (cl.energy_mWh, op.energy_mWh)
        energy_eff = np.where(cl.present, e_discharge / e_charge, np.nan)
    cols: dict[str, NDArray[Any]] = {
        "cycle": cycles,
        f"{opening_name}_mAh": op.capacity_mAh,
        f"{closing_name}_mAh": np.where(cl.present, cl.capacity_mAh, np.nan),
        "ce": ce,
        f"{opening_name}_energy_mWh": op.energy_mWh,
        f"{closing_name}_energy_mWh": np.where(cl.present, cl.energy_mWh, np.nan),
        "energy_efficiency": energy_eff,
        f"{opening_name}_mean_V": v_op,
        f"{closing_name}_mean_V": v_cl,
        "hysteresis_V": np.abs(v_cl - v_op),
        f"{opening_name}_end_V": op.end_V,
        f"{closing_name}_end_V": cl.end_V,
    }
    if mass is not None:
        cols[f"{opening_name}_mAh_g"] = op.capacity_mAh * 1000.0 / mass
        cols[f"{closing_name}_mAh_g"] = cols[f"{closing_name}_mAh"] * 1000.0 / mass
    if area is not None:
        cols[f"{opening_name}_mAh_cm2"] = op.capacity_mAh / area
        cols[f"{closing_name}_mAh_cm2"] = cols[f"{closing_name}_mAh"] / area
    if steps.current_mA is not None:
        cols.update(_currents(halves, names, mass, area))
    if steps.time_start_s is not None and steps.time_end_s is not None:
        cols["start_time_s"], cols["end_time_s"] = _cycle_times(cycles, steps.cycle, steps.time_start_s, steps.time_end_s)
    cols["incomplete"] = op_incomplete | cl_incomplete
    cols[f"{opening_name}_incomplete"] = op_incomplete
    cols[f"{closing_name}_incomplete"] = cl_incomplete
    cols["cv_step"] = op.cv | cl.cv
    cols["current_reversal"] = op.reversal | cl.reversal
    for array in cols.values():
        array.flags.writeable = False
    return cols


def _currents(halves: tuple[HalfCycles, HalfCycles], names: tuple[str, str], mass: float | None,
              area: float | None) -> dict[str, NDArray[Any]]:
    """The opening and closing currents (mA), and per g of active material and per cm2 where known."""
    op, cl = halves
    opening_name, closing_name = names
    cols = {f"{opening_name}_current_mA": op.current_mA, f"{closing_name}_current_mA": cl.current_mA}
    if mass is not None:  # mA / mg = A / g
        cols[f"{opening_name}_current_A_g"] = op.current_mA / mass
        cols[f"{closing_name}_current_A_g"] = cl.current_mA / mass
    if area is not None:
        cols[f"{opening_name}_current_mA_cm2"] = op.current_mA / area
        cols[f"{closing_name}_current_mA_cm2"] = cl.current_mA / area
    return cols


def _cycle_times(cycles: NDArray[np.int32], step_cycle: NDArray[Any], step_start_s: NDArray[np.float64],
                 step_end_s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each cycle's start (its first step's) and end time (its last step's), NaN for a cycle without steps."""
    active = step_cycle > 0
    position = np.searchsorted(cycles, step_cycle[active])
    start = np.full(cycles.size, np.nan)
    end = np.full(cycles.size, np.nan)
    start[position[::-1]] = step_start_s[active][::-1]
    end[position] = step_end_s[active]
    return start, end


def _fade(
    cols: Mapping[str, NDArray[Any]], closing_name: str, reference: int, ce_cycles: tuple[int, int] | None,
) -> tuple[float | None, float | None, float | None, int | None, tuple[int, int] | None, float | None]:
    """ice, retention, decay (%/cycle), cycle at 80 %, the average-CE range and the average CE."""
    cycles, ce, incomplete = cols["cycle"], cols["ce"], cols["incomplete"]
    closing = cols[f"{closing_name}_mAh"]
    ice = float(ce[0]) if cycles[0] == 1 and np.isfinite(ce[0]) else None
    retention = decay = at80 = None
    complete = np.flatnonzero(~incomplete)
    if complete.size:
        ref_index = int(np.searchsorted(cycles, reference))
        ratio = closing / closing[ref_index]
        last = int(complete[-1])
        if last > ref_index:
            retention = float(ratio[last])
            decay = float((1.0 - retention) / (cycles[last] - reference) * 100.0)
        below = np.flatnonzero((ratio <= 0.8) & ~incomplete & (cycles > reference))
        at80 = int(cycles[below[0]]) if below.size else None
    if ce_cycles is None and complete.size and cycles[complete[-1]] > reference:
        ce_cycles = (reference + 1, int(cycles[complete[-1]]))
    average_ce = None
    if ce_cycles is not None:
        first, last_cycle = ce_cycles
        chosen = (cycles >= first) & (cycles <= last_cycle) & ~incomplete & np.isfinite(ce)
        if not chosen.any():
            raise ValidationError("ce_cycles", f"no complete cycle in {first}..{last_cycle}")
        average_ce = float(np.mean(ce[chosen]))
    return ice, retention, decay, at80, ce_cycles, average_ce


def _definitions(
    opening_name: str, closing_name: str, opening_state: int, tol: float, formation_cycles: int | str,
    current_rtol: float,
) -> dict[str, str]:
    closing_state = CHARGE if opening_state == DISCHARGE else DISCHARGE
    return {
        "cycle": "anodelab.core.conventions: cycle 1 = first opening half-cycle + its closing partner; "
                 "cycle 0 (preamble: rests, OCV, wrong-direction half-cycle) is not a cycle",
        "opening": f"{opening_name} ({'charge' if opening_state == CHARGE else 'discharge'} current)",
        "closing": f"{closing_name} ({'charge' if closing_state == CHARGE else 'discharge'} current)",
        "capacity": "sum over the half-cycle's steps of each step's final capacity_mAh (charge passed within the step)",
        "ce": f"{closing_name}/{opening_name} of the same cycle",
        "ice": f"ce of cycle 1 (first {closing_name} / first {opening_name})",
        "energy": "trapezoid integral of V dQ over the half-cycle's rows (mWh)",
        "energy_efficiency": "discharge energy / charge energy of the same cycle",
        "mean_V": "energy / capacity of the half-cycle; hysteresis_V = |closing mean V - opening mean V|",
        "current_mA": "|I| at the middle row of the half-cycle's first step (the CC current for CC-CV)",
        "specific": "per g of active material = working electrode mass_mg x active_fraction; areal per working_electrode.area_cm2",
        "theoretical_capacity": "anodelab.design.capacity_of(working_electrode.composition, end_phase), mAh per g of "
                                "active material",
        "utilisation": "specific capacity of the half-cycle / theoretical capacity x 100 (%)",
        "incomplete": f"half-cycle ending more than {tol:.4g} V inside the cutoff reached by the other half-cycles of its "
                      "direction (lowest end V of discharges, highest of charges), or a missing closing half-cycle",
        "cv_step": f"a later step of the half-cycle whose voltage spans < {CV_SPAN_V} V (a CV hold), included in its capacity",
        "current_reversal": "a step holding both charge- and discharge-state rows",
        "reference_cycle": f"formation_cycles + 1 (formation_cycles={formation_cycles!r}; 'auto': leading cycles whose "
                           f"closing current differs by > {current_rtol:.0%} from the last complete cycle's)",
        "retention": f"{closing_name} of the last complete cycle / {closing_name} of the reference cycle",
        "decay_pct_per_cycle": "(1 - retention) / (last complete cycle - reference cycle) x 100",
        "cycle_at_80pct": "first complete cycle after the reference whose retention is <= 0.8 (None: never)",
        "average_ce": "mean ce of the complete cycles in average_ce_cycles (default: reference + 1 .. last complete)",
    }


def _warnings(summary: CycleSummary, formation_cycles: int | str) -> tuple[str, ...]:
    """What limits the summary, in words: missing metadata, guessed choices, flagged cycles."""
    o, c = summary.opening, summary.closing
    cycles, columns = summary.cycles, summary.columns
    warnings = []
    if summary.cell_type is None:
        warnings.append("no cell type: the first active half-cycle opens each cycle (roles forward/reverse) and "
                        "ce = reverse/forward; give cell_type in cell.toml or --cell-type")
    if summary.active_mass_mg is None:
        utilisation = " and utilisation (%)" if summary.theoretical_capacity_mAh_g is not None else ""
        warnings.append("no active mass (working_electrode.mass_mg): specific capacities (mAh/g), current "
                        f"densities (A/g){utilisation} are absent")
    if summary.area_cm2 is None:
        warnings.append("no electrode area (working_electrode.area_cm2): areal capacities (mAh/cm2) are absent")
    if formation_cycles == "auto":
        if f"{c}_current_mA" not in columns:
            warnings.append("no current recorded: formation cycles cannot be told from the currents; "
                            f"retention is against cycle {summary.reference_cycle}")
        elif summary.reference_cycle > cycles[0]:
            warnings.append(f"formation cycles guessed from the currents: cycles {cycles[0]}..{summary.reference_cycle - 1} "
                            f"ran at another {c} current than the last complete cycle, so retention is against "
                            f"cycle {summary.reference_cycle}; pass formation_cycles to choose")
    incomplete = cycles[columns["incomplete"]]
    if incomplete.size:
        warnings.append(f"incomplete cycles {_cycle_list(incomplete)} (a half-cycle short of the cutoff, or no {c}): "
                        "left out of retention, average ce and the per-cycle metrics; the cycles table keeps them")
    reversal = cycles[columns["current_reversal"]]
    if reversal.size:
        warnings.append(f"steps holding both charge and discharge rows in cycles {_cycle_list(reversal)}: "
                        "each counted in the direction of most of its rows")
    passed = {role: summary.preamble[f"{role}_mAh"] for role in (o, c) if summary.preamble[f"{role}_mAh"] > 0}
    if passed:
        charge = " and ".join(f"{value:.4g} mAh of {role}" for role, value in passed.items())
        warnings.append(f"before the first {o} the record passes {charge}: kept as the preamble (cycle 0), not a cycle")
    if summary.ice is None:
        warnings.append(f"ice undefined: cycle 1 has no {c} half-cycle")
    if summary.retention is None:
        warnings.append(f"retention undefined: no complete cycle after the reference cycle {summary.reference_cycle}")
    return tuple(warnings)


def _cycle_list(cycles: NDArray[np.int32]) -> str:
    """``1, 4-6, 9``: sorted cycle numbers with runs joined."""
    numbers = cycles.tolist()
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def _short_of_cutoff(end_V: NDArray[np.float64], present: NDArray[np.bool_], state: int, tol: float) -> NDArray[np.bool_]:
    """Half-cycles that stopped more than ``tol`` before the cutoff the others of their direction reach."""
    if present.sum() < 2:
        return np.zeros(present.shape, dtype=bool)
    ends = end_V[present]
    if state == DISCHARGE:
        short = end_V > np.min(ends) + tol
    else:
        short = end_V < np.max(ends) - tol
    return short & present


def _reference_cycle(
    formation: int | str, cycles: NDArray[np.int32], current: NDArray[np.float64],
    incomplete: NDArray[np.bool_], rtol: float,
) -> int:
    if isinstance(formation, str):
        if formation != "auto":
            raise ValidationError("formation_cycles", f"must be a whole number >= 0 or 'auto', got {formation!r}")
        complete = np.flatnonzero(~incomplete & np.isfinite(current))
        if complete.size == 0:
            return int(cycles[0])
        target = current[complete[-1]]
        matches = np.flatnonzero(np.isclose(current, target, rtol=rtol, atol=0.0) & ~incomplete)
        return int(cycles[matches[0]]) if matches.size else int(cycles[0])
    if isinstance(formation, bool) or not isinstance(formation, (int, np.integer)) or formation < 0:
        raise ValidationError("formation_cycles", f"must be a whole number >= 0 or 'auto', got {formation!r}")
    reference = int(formation) + 1
    if reference not in cycles:
        raise ValidationError("formation_cycles", f"reference cycle {reference} is not in the record "
                                                  f"(cycles {int(cycles[0])}..{int(cycles[-1])})")
    return reference


