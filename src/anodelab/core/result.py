"""Quantities with units and uncertainties, the currency of every result."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Quantity:
    """A value with its standard uncertainty (same unit; None when unknown) and unit."""

    value: float
    stderr: float | None
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "stderr": self.stderr, "unit": self.unit}

    def __format__(self, spec: str) -> str:
        spec = spec or ".4g"
        if self.stderr is None or not math.isfinite(self.stderr):
            return f"{self.value:{spec}} {self.unit}"
        return f"{self.value:{spec}} ± {self.stderr:{spec}} {self.unit}"

    def __str__(self) -> str:
        return format(self)
