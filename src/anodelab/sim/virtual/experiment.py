"""The result of every virtual instrument: the data, the cell, and the truth that made them."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.errors import ValidationError
from anodelab.core.experiment import ExperimentKind
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries

#: what a virtual experiment can be: every experiment kind (anodelab.core.experiment) but a published
#: per-cycle table, a simulation and "unknown"
KINDS = tuple(kind.value for kind in ExperimentKind
              if kind not in (ExperimentKind.CYCLE_TABLE, ExperimentKind.SIMULATION, ExperimentKind.UNKNOWN))


@dataclass(frozen=True)
class VirtualExperiment:
    """Synthetic data with known ground truth.

    ``truth`` holds the exact parameters that made the data and the answers they imply (e.g. the
    capacity of every half-cycle in mAh, the time of a short in s, Ea in kJ/mol), with units in the
    key names, JSON-serialisable. ``name`` is the file stem the writers use.
    """

    name: str
    kind: str
    data: Record | SpectrumSeries
    cell: CellInfo
    truth: Mapping[str, Any] = field(default_factory=dict)
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError("kind", f"unknown experiment kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not self.name or any(c in self.name for c in '/\\:*?"<>| '):
            raise ValidationError("name", f"{self.name!r} is not usable as a file stem")

    def truth_json(self) -> str:
        """The truth as stable, pretty JSON (keys sorted, floats at full precision)."""
        return json.dumps(_plain(dict(self.truth)), indent=2, sort_keys=True) + "\n"


def _plain(value: Any) -> Any:
    """numpy scalars and arrays to JSON-ready Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    return value
