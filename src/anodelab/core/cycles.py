"""CycleTable: a per-cycle summary as published beside (or instead of) the time series.

BatteryArchive ``cycle_data`` files, CALCE summaries and cycler "statistics" exports hold one
row per cycle. They are not time series, so they are not a :class:`~anodelab.core.record.Record`;
a CycleTable keeps them as read (units converted, names with units) so they can be compared with
:func:`anodelab.cycling.cycle_summary` of the matching time series.

Known columns (all optional except ``cycle``):

==========================  ======================================================
column                      meaning
==========================  ======================================================
``cycle``                   the file's cycle index (int, strictly increasing)
``charge_capacity_mAh``     charge passed with charge (> 0) current in the cycle
``discharge_capacity_mAh``  charge passed with discharge (< 0) current in the cycle
``charge_energy_mWh``       energy of the charge current in the cycle
``discharge_energy_mWh``    energy of the discharge current in the cycle
``test_time_s``             the instrument's test time at the end of the cycle
==========================  ======================================================

Other numeric columns are kept under their own names with their canonical unit
(``min_voltage_V``, ``max_current_mA``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import CHARGE, OPENING_STATE
from anodelab.core.errors import MetadataError, ValidationError
from anodelab.core.record import Provenance, _ColumnTable, source_summary

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class CycleTable(_ColumnTable):
    """One row per cycle. Build with :meth:`from_columns`; columns are read-only numpy arrays."""

    columns: Mapping[str, NDArray[Any]]
    cell: CellInfo | None = None
    provenance: Provenance = field(default_factory=Provenance)
    _rows_from: ClassVar[str] = "cycle"
    _noun: ClassVar[str] = "cycle table"

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any], *, cell: CellInfo | None = None,
                     provenance: Provenance | None = None) -> CycleTable:
        """Validate: a whole-number, strictly increasing ``cycle`` column and 1-D columns of one length."""
        where = provenance.path if provenance and provenance.path else "cycle table"
        data = {name: np.asarray(values) for name, values in columns.items()}
        if "cycle" not in data:
            raise ValidationError(f"{where}: cycle", "a cycle table needs a cycle column")
        cycle = data["cycle"]
        n = cycle.size
        for name, array in data.items():
            if array.ndim != 1 or array.size != n:
                raise ValidationError(f"{where}: column {name}", f"has shape {array.shape}, cycle has ({n},)")
        if n == 0:
            raise ValidationError(f"{where}: cycle", "a cycle table needs at least one row")
        as_float = cycle.astype(np.float64) if cycle.dtype.kind in "fiub" else np.full(n, np.nan)
        if not (np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float))):
            raise ValidationError(f"{where}: cycle", "cycle numbers must be whole numbers")
        if n > 1 and np.any(np.diff(as_float) <= 0):
            row = int(np.argmax(np.diff(as_float) <= 0)) + 2
            raise ValidationError(f"{where}: cycle", f"cycle numbers must increase row by row (row {row} does not)")
        data["cycle"] = as_float.astype(np.int32)
        ordered = {"cycle": data.pop("cycle"), **data}
        for array in ordered.values():
            array.flags.writeable = False
        return cls(MappingProxyType(ordered), cell, provenance or Provenance())

    @property
    def cycles(self) -> NDArray[np.int32]:
        return self.columns["cycle"]

    @property
    def ce(self) -> NDArray[np.float64]:
        """Coulombic efficiency per cycle for the attached cell type: closing / opening half-cycle.

        The opening direction is :data:`~anodelab.core.conventions.OPENING_STATE`'s: discharge/charge for
        full and cathode half-cells, charge/discharge (extraction/insertion, stripped/plated) for anode
        half-cells and plating cells; NaN where the denominator is 0.
        """
        opening = self._opening()
        if opening is None:
            directed = ", ".join(name for name, state in OPENING_STATE.items() if state is not None)
            raise MetadataError("cell_type", "the direction of the Coulombic efficiency depends on the cell type "
                                f"(got {self.cell.cell_type if self.cell else None!r}); give cell_type ({directed})")
        charge, discharge = self["charge_capacity_mAh"], self["discharge_capacity_mAh"]
        top, bottom = (discharge, charge) if opening == CHARGE else (charge, discharge)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom > 0, top / bottom, np.nan)

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame of the columns (plus ``ce`` when the cell type fixes its direction)."""
        import pandas as pd

        frame = dict(self.columns)
        if self._opening() is not None and {"charge_capacity_mAh", "discharge_capacity_mAh"} <= set(self.columns):
            frame["ce"] = self.ce
        return pd.DataFrame(frame)

    def _opening(self) -> int | None:
        """The opening half-cycle's state for the attached cell type (None: no cell or no fixed direction)."""
        return OPENING_STATE.get(self.cell.cell_type) if self.cell else None

    def summary(self) -> dict[str, Any]:
        """Headline facts (what ``anodelab read --json`` prints)."""

        def largest(name: str) -> float | None:
            values = np.asarray(self.columns[name], dtype=np.float64) if name in self.columns else np.zeros(0)
            values = values[np.isfinite(values)]
            return float(values.max()) if values.size else None

        return {
            "kind": "cycle_table",
            "format": self.provenance.format,
            "rows": len(self),
            "columns": list(self.columns),
            "cycles": len(self),
            "first_cycle": int(self.cycles[0]),
            "last_cycle": int(self.cycles[-1]),
            "duration_s": largest("test_time_s"),
            "charge_capacity_mAh_max": largest("charge_capacity_mAh"),
            "discharge_capacity_mAh_max": largest("discharge_capacity_mAh"),
            "spectra": 0,
            **source_summary(self.cell, self.provenance),
        }

    def __repr__(self) -> str:
        source = Path(self.provenance.path).name if self.provenance.path else "in memory"
        return f"<CycleTable {source}: {len(self)} cycles ({self.cycles[0]}..{self.cycles[-1]})>"
