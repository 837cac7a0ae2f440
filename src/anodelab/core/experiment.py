"""What an experiment is: its kind, and how that was decided.

The kind is decided from the data (see :mod:`anodelab.study.detect`), never from a file name; a
study file may override it. Kinds whose analyses do not exist yet are still detected and stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from anodelab.core.cycles import CycleTable
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.spectrum import Spectrum, SpectrumSeries


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
    SIMULATION = "simulation"            # a model the study asks for (a ``*.sim.toml`` file), not a measurement
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


def require_record(data: object, analysis: str, needs: str = "a cycling Record (a time series of voltage and current)",
                   columns: Sequence[str] = ()) -> Record:
    """``data`` itself if it is a :class:`Record` with ``columns``; else :class:`NotApplicableError`
    saying what ``analysis`` needs and what the data holds: the check every time-series analysis opens with."""
    provenance = getattr(data, "provenance", None)
    source = f"{provenance.path}: " if provenance is not None and getattr(provenance, "path", None) else ""
    if isinstance(data, Record):
        missing = [name for name in columns if name not in data]
        if missing:
            raise NotApplicableError(f"{source}{analysis} needs {' and '.join(missing)}; the record has "
                                     f"{', '.join(data.column_names)}")
        return data
    if isinstance(data, (Spectrum, SpectrumSeries)):
        held = "impedance spectra, which anodelab.impedance and anodelab.drt analyse"
    elif isinstance(data, CycleTable):
        held = ("a per-cycle summary table (CycleTable) as published in the file, not the time series it "
                "summarises; read the time-series file instead (its cycle_summary compares with this table)")
    else:
        held = f"a {type(data).__name__}"
    raise NotApplicableError(f"{source}{analysis} needs {needs}; this holds {held}")
