"""Rate tables: blocks of consecutive cycles at the same current, detected from the data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.result import Metric, Result, stamps_call
from anodelab.cycling.halfcycles import require_record
from anodelab.cycling.summary import CycleSummary, cycle_summary

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class RateTable(Result):
    """One row per block (rate step) of consecutive cycles at the same current (keys carry units)."""

    kind: ClassVar[str] = "rate_table"
    version: ClassVar[int] = 1

    blocks: tuple[dict[str, Any], ...]
    capacity: str  # the capacity column averaged, e.g. "extraction_mAh"
    definitions: dict[str, str] = field(default_factory=dict)

    def metrics(self) -> tuple[Metric, ...]:
        """Per block (index ``block``): the mean closing capacity (mAh, mAh/g where known) with its
        standard error, the current (mA, A/g, mA/cm2 where known), the effective C-rate and the
        retention vs the first block."""
        role = self.capacity.removesuffix("_mAh")
        d = self.definitions
        specs = (
            (f"{role}_capacity", f"mean_{self.capacity}", "mAh", d["mean"]),
            (f"{role}_specific_capacity", f"mean_{self.capacity}_g", "mAh/g", d["mean"] + ", per g of active material"),
            ("current", "current_mA", "mA", d["current"]),
            ("current_density", "current_A_g", "A/g", d["current"] + ", per g of active material"),
            ("areal_current_density", "current_mA_cm2", "mA/cm2", d["current"] + ", per cm2 of electrode"),
            ("effective_c_rate", "effective_c_rate_h", "1/h", d["effective_c_rate"]),
            ("retention", "retention", "", d["retention"]),
        )
        metrics = []
        for block in self.blocks:
            for name, key, unit, text in specs:
                if key not in block:
                    continue
                std = block.get(key.replace("mean_", "std_", 1)) if key.startswith("mean_") else None
                stderr = std / math.sqrt(block["n_cycles"]) if std is not None else None
                metrics.append(Metric(name, float(block[key]), unit, stderr, index_name="block", index=block["block"],
                                      definition=text))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "blocks": [dict(b) for b in self.blocks], "definitions": dict(self.definitions)}

    def tables(self) -> dict[str, dict[str, Any]]:
        keys = dict.fromkeys(key for block in self.blocks for key in block)
        return {"blocks": {key: np.array([np.nan if b.get(key) is None else b[key] for b in self.blocks])
                           for key in keys}}

    def headline(self) -> str:
        first, last = self.blocks[0], self.blocks[-1]
        specific = f"mean_{self.capacity}_g" in first
        capacity, unit = (f"mean_{self.capacity}_g", "mAh/g") if specific else (f"mean_{self.capacity}", "mAh")
        current, per = ("current_A_g", "A/g") if "current_A_g" in first else ("current_mA", "mA")
        lowest = min(self.blocks, key=lambda b: b[capacity])
        line = (f"{len(self.blocks)} rate steps; {first[capacity]:.4g} {unit} at {first[current]:.3g} {per}, "
                f"lowest {lowest[capacity]:.4g} {unit} at {lowest[current]:.3g} {per}")
        return line + (f"; recovery {last['retention']:.3f}" if last["recovery"] else "")

    def blocks_frame(self) -> pd.DataFrame:
        """The blocks as a DataFrame, one row per block."""
        import pandas as pd

        return pd.DataFrame(list(self.blocks))


@stamps_call
def rate_table(data: Record | CycleSummary, cell: CellInfo | None = None, *, rtol: float = 0.05) -> RateTable:
    """Blocks of consecutive complete cycles whose closing current agrees within ``rtol`` (relative).

    Per block: cycles, current (mA, and A/g, mA/cm2 where known), mean and sample standard deviation
    of the closing capacity (mAh, mAh/g where the active mass is known), the effective C-rate (current
    / mean capacity), retention = block mean / first block mean, and ``recovery``: a later block back
    at the first block's current.
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
    if cycles.size == 0:
        raise NotApplicableError("rate_table: no complete cycle")
    blocks = _blocks(summary, keep, cycles, summary[current_name][keep], rtol)
    return RateTable(tuple(blocks), f"{summary.closing}_mAh", _definitions(summary.closing, rtol),
                     warnings=_warnings(summary, keep, len(blocks)))


def _blocks(summary: CycleSummary, keep: NDArray[np.bool_], cycles: NDArray[np.int32], current: NDArray[np.float64],
            rtol: float) -> list[dict[str, Any]]:
    """The blocks of the complete cycles (``keep``; their numbers and closing currents): a new block where
    the current differs from the previous cycle's by more than ``rtol``."""
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
        row["effective_c_rate_h"] = row["current_mA"] / row[f"mean_{names[0]}"]
        blocks.append(row)
    first_mean = blocks[0][f"mean_{names[0]}"]
    for row in blocks:
        row["retention"] = row[f"mean_{names[0]}"] / first_mean
        row["recovery"] = row["block"] > 1 and bool(np.isclose(row["current_mA"], blocks[0]["current_mA"], rtol=rtol))
    return blocks


def _definitions(closing: str, rtol: float) -> dict[str, str]:
    """The table's quantities in words (``closing``: the half-cycle role whose capacity and current count)."""
    return {
        "block": f"maximal run of consecutive complete cycles whose {closing} current agrees within rtol={rtol}",
        "mean": f"mean {closing} capacity of the block's cycles (stderr: sample standard deviation / sqrt(n))",
        "current": f"mean {closing} current of the block's cycles",
        "effective_c_rate": "block current / mean block capacity: the rate at which the capacity measured passes (1/h)",
        "retention": "block mean / first block mean",
        "recovery": "a later block at the first block's current (within rtol)",
    }


def _warnings(summary: CycleSummary, keep: NDArray[np.bool_], n_blocks: int) -> tuple[str, ...]:
    """What the table leaves out or lacks: incomplete cycles, the active mass, rate steps."""
    warnings = []
    skipped = summary.cycles[~keep]
    if skipped.size:
        warnings.append(f"incomplete cycles left out of the blocks: {', '.join(map(str, skipped.tolist()))}")
    if not summary.active_mass_mg:
        warnings.append("no active mass (working_electrode.mass_mg): specific capacities and current densities are absent")
    if n_blocks == 1:
        warnings.append("one current only: the record holds no rate steps")
    return tuple(warnings)
