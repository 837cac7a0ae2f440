"""What an experiment is: its kind, and how that was decided.

The kind is decided from the data (see :mod:`anodelab.study.detect`), never from a file name; a
study file may override it. Kinds whose analyses do not exist yet are still detected and stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal


class ExperimentKind(str, Enum):
    """The experiments of an anode or interface study."""

    CYCLING = "cycling"                  # galvanostatic cycling of a half or full cell
    RATE = "rate"                        # cycling at stepped C-rates
    SYMMETRIC = "symmetric"              # long plating/stripping of a metal|electrolyte|metal cell
    CCD = "ccd"                          # critical current density: current steps of rising magnitude
    NUCLEATION = "nucleation"            # first plating of a metal on a substrate
    PLATING_CE = "plating-ce"            # plating/stripping Coulombic efficiency (per cycle or Aurbach)
    GITT = "gitt"                        # galvanostatic intermittent titration
    CV = "cv"                            # cyclic voltammetry
    LSV = "lsv"                          # linear sweep voltammetry
    POLARIZATION = "polarization"        # steady-state polarization (Tafel)
    EIS = "eis"                          # one impedance spectrum
    EIS_SERIES = "eis-series"            # spectra along a process (in situ)
    EIS_TEMPERATURE = "eis-temperature"  # spectra at several temperatures
    CONDUCTIVITY = "conductivity"        # spectra of an ion-blocking cell
    CYCLE_TABLE = "cycle-table"          # a published per-cycle summary, not a time series
    UNKNOWN = "unknown"                  # none of the above could be told from the data

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Detection:
    """The kind of an experiment, with how sure (0..1) and why, in words a person would write;
    ``source`` says whether the data or the study file decided it."""

    kind: ExperimentKind
    confidence: float
    reason: str
    source: Literal["data", "study"] = "data"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "confidence": self.confidence, "reason": self.reason, "source": self.source}
