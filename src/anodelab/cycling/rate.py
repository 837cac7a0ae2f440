"""Rate tables: blocks of consecutive cycles at the same current, detected from the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.cycling.halfcycles import require_record
from anodelab.cycling.summary import CycleSummary, cycle_summary

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class RateTable:
    """One row per block of consecutive cycles at the same current (keys carry units)."""

    blocks: tuple[dict[str, Any], ...]
    capacity: str  # the capacity column averaged, e.g. "extraction_mAh"
    definitions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "rate_table", "capacity": self.capacity, "blocks": [dict(b) for b in self.blocks],
                "definitions": dict(self.definitions)}

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(self.blocks))

    def __repr__(self) -> str:
        return f"<RateTable {len(self.blocks)} blocks of {self.capacity}>"


def rate_table(data: Record | CycleSummary, cell: CellInfo | None = None, *, rtol: float = 0.05) -> RateTable:
    """Blocks of consecutive complete cycles whose closing current agrees within ``rtol`` (relative).

    Per block: cycles, current (mA, and A/g, mA/cm2 where known), mean and sample standard deviation
    of the closing capacity (mAh, mAh/g where the active mass is known), retention = block mean /
    first block mean, and ``recovery``: a later block back at the first block's current.
    """
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        raise ValidationError("rtol", f"must lie in (0, 1), got {rtol!r}")
    summary = data if isinstance(data, CycleSummary) else cycle_summary(
        require_record(data, "rate_table", "a cycling Record or its CycleSummary"), cell)
    current_name = f"{summary.closing}_current_mA"
    if current_name not in summary.columns:
        raise NotApplicableError("rate_table needs the current of each cycle; the record has no current column")
    keep = ~summary["incomplete"]
    cycles = summary.cycles[keep]
    current = summary[current_name][keep]
    if cycles.size == 0:
        raise NotApplicableError("rate_table: no complete cycle")
    new_block = np.r_[True, ~np.isclose(current[1:], current[:-1], rtol=rtol, atol=0.0)]
    block_of = np.cumsum(new_block) - 1
    names = [f"{summary.closing}_mAh"] + ([f"{summary.closing}_mAh_g"] if summary.active_mass_mg else [])
    blocks: list[dict[str, Any]] = []
    for b in range(int(block_of[-1]) + 1):
        rows = block_of == b
        row: dict[str, Any] = {
            "block": b + 1,
            "first_cycle": int(cycles[rows][0]),
            "last_cycle": int(cycles[rows][-1]),
            "n_cycles": int(rows.sum()),
            "current_mA": float(np.mean(current[rows])),
        }
        if summary.active_mass_mg:
            row["current_A_g"] = row["current_mA"] / summary.active_mass_mg
        if summary.area_cm2:
            row["current_mA_cm2"] = row["current_mA"] / summary.area_cm2
        for name in names:
            values = summary[name][keep][rows]
            row[f"mean_{name}"] = float(np.mean(values))
            row[f"std_{name}"] = float(np.std(values, ddof=1)) if values.size > 1 else None
        blocks.append(row)
    first_mean = blocks[0][f"mean_{names[0]}"]
    for row in blocks:
        row["retention"] = row[f"mean_{names[0]}"] / first_mean
        row["recovery"] = row["block"] > 1 and bool(np.isclose(row["current_mA"], blocks[0]["current_mA"], rtol=rtol))
    definitions = {
        "block": f"maximal run of consecutive complete cycles whose {summary.closing} current agrees within rtol={rtol}",
        "mean": f"mean {summary.closing} capacity of the block's cycles; std: sample standard deviation (ddof=1)",
        "retention": "block mean / first block mean",
        "recovery": "a later block at the first block's current (within rtol)",
    }
    return RateTable(tuple(blocks), names[0], definitions)
