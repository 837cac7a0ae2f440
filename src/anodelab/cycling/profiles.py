"""Capacity-voltage curves per half-cycle (their plateaus and dQ/dV: :mod:`anodelab.cycling.dqdv`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import (
    CHARGE,
    DISCHARGE,
    HALF_CYCLE_ROLES,
    OPENING_STATE,
    REST,
    step_directions,
)
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.cycling.halfcycles import require_record

if TYPE_CHECKING:
    import pandas as pd

#: the warning of a profile without the active mass (the dQ/dV built on it does not need the mass)
NO_MASS = "no active mass (working_electrode.mass_mg): capacity_mAh_g is absent"


@dataclass(frozen=True, repr=False)
class VoltageProfiles(Result):
    """Curves, one dict per half-cycle: cycle, role, capacity_mAh (cumulative over the half-cycle's
    steps), voltage_V (read-only arrays), and capacity_mAh_g where the active mass is known.
    ``roles``: the (opening, closing) half-cycle names of the cell type."""

    kind: ClassVar[str] = "voltage_profiles"
    version: ClassVar[int] = 1

    curves: tuple[dict[str, Any], ...]
    active_mass_mg: float | None
    roles: tuple[str, str] = ("forward", "reverse")

    def curve(self, cycle: int, role: str) -> dict[str, Any]:
        for c in self.curves:
            if c["cycle"] == cycle and c["role"] == role:
                return c
        raise NotApplicableError(f"no {role} half-cycle in cycle {cycle}")

    def metrics(self) -> tuple[Metric, ...]:
        """Per half-cycle (index ``cycle``): its capacity (mAh, mAh/g where known) and mean voltage."""
        metrics = []
        for c in self.curves:
            q, v, role, where = c["capacity_mAh"], c["voltage_V"], c["role"], {"index_name": "cycle", "index": c["cycle"]}
            metrics.append(Metric(f"{role}_capacity", float(q[-1]), "mAh", definition=f"{role} capacity: the "
                                  "curve's last capacity_mAh (cumulative over the half-cycle's steps)", **where))
            if "capacity_mAh_g" in c:
                metrics.append(Metric(f"{role}_specific_capacity", float(c["capacity_mAh_g"][-1]), "mAh/g",
                                      definition=f"{role} capacity per g of active material ({self.active_mass_mg:.6g} mg)",
                                      **where))
            if q.size > 1 and q[-1] > 0:
                metrics.append(Metric(f"{role}_mean_voltage", float(np.trapezoid(v, q) / q[-1]), "V",
                                      definition=f"trapezoid integral of V dQ over the {role} curve / its capacity",
                                      **where))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"active_mass_mg": self.active_mass_mg, "roles": list(self.roles),
                "curves": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in c.items()}
                           for c in self.curves]}

    def tables(self) -> dict[str, dict[str, Any]]:
        if not self.curves:
            return {}
        sizes = [c["voltage_V"].size for c in self.curves]
        table = {"cycle": np.repeat([c["cycle"] for c in self.curves], sizes),
                 "role": np.repeat([c["role"] for c in self.curves], sizes)}
        for name in ("capacity_mAh", "voltage_V", "capacity_mAh_g"):
            if name in self.curves[0]:
                table[name] = np.concatenate([c[name] for c in self.curves])
        return {"profiles": table}

    def profiles_frame(self) -> pd.DataFrame:
        """The curves as one long DataFrame (columns cycle, role, capacity_mAh, voltage_V, ...)."""
        import pandas as pd

        return pd.DataFrame(self.tables().get("profiles", {}))

    def headline(self) -> str:
        if not self.curves:
            return "no half-cycles"
        cycles = sorted({c["cycle"] for c in self.curves})
        return f"{len(self.curves)} half-cycles of cycles {cycles[0]}..{cycles[-1]}"


@stamps_call
def voltage_profiles(record: Record, cell: CellInfo | None = None, *, cycles: Any = None) -> VoltageProfiles:
    """Capacity-voltage curves of the half-cycles of ``cycles`` (an int, an iterable, or None: all >= 1)."""
    record = require_record(record, "voltage_profiles")
    cell = cell if cell is not None else record.cell
    if cell is not None and (record.cell is None or record.cell.cell_type != cell.cell_type):
        record = record.with_cell(cell)
    if "capacity_mAh" not in record:
        raise NotApplicableError("voltage_profiles needs a capacity column (or time and current)")
    cell_type = cell.cell_type if cell else None
    roles = HALF_CYCLE_ROLES[cell_type] if cell_type else ("forward", "reverse")
    step, cycle = record["step"], record["cycle"]
    direction = step_directions(step, record["state"])[step - 1]
    opening = OPENING_STATE.get(cell_type) if cell_type else None
    if opening is None:
        active = direction[direction != REST]
        if active.size == 0:
            raise NotApplicableError("voltage_profiles: no charge or discharge rows")
        opening = int(active[0])
    wanted = record.cycles[record.cycles > 0] if cycles is None else np.atleast_1d(np.asarray(list(
        [cycles] if isinstance(cycles, (int, np.integer)) else cycles)))
    mass = cell.working_electrode.active_mass_mg if cell else None
    capacity = np.nan_to_num(record["capacity_mAh"])
    voltage = record["voltage_V"]
    curves = []
    for number in wanted:
        rows_of_cycle = np.flatnonzero(cycle == number)
        for code, role in ((opening, roles[0]), (CHARGE if opening == DISCHARGE else DISCHARGE, roles[1])):
            rows = rows_of_cycle[direction[rows_of_cycle] == code]
            if rows.size == 0:
                continue
            q = capacity[rows].copy()
            # cumulative over the half-cycle's steps: add the final charge of the steps before
            s = step[rows]
            first = np.r_[True, s[1:] != s[:-1]]
            ends = np.r_[np.flatnonzero(first)[1:] - 1, rows.size - 1]
            offsets = np.r_[0.0, np.cumsum(q[ends])[:-1]]
            q += np.repeat(offsets, np.diff(np.r_[np.flatnonzero(first), rows.size]))
            curve: dict[str, Any] = {"cycle": int(number), "role": role, "capacity_mAh": q,
                                     "voltage_V": voltage[rows].copy()}
            if mass is not None:
                curve["capacity_mAh_g"] = q * 1000.0 / mass
            for array in curve.values():
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False
            curves.append(curve)
    warnings = []
    if cell_type is None:
        warnings.append("no cell type: the first active half-cycle opens each cycle (roles forward/reverse)")
    if mass is None:
        warnings.append(NO_MASS)
    missing = sorted(set(np.asarray(wanted).tolist()) - {c["cycle"] for c in curves})
    if missing:
        warnings.append(f"no charge or discharge rows in cycles {', '.join(map(str, missing))}")
    return VoltageProfiles(tuple(curves), mass, roles, warnings=tuple(warnings))
