"""Tiny Result subclasses and study entries with known numbers, for the store tests (and their child
processes, which import this file by path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.record import Provenance, Record
from anodelab.core.result import Metric, Result
from anodelab.store import AnalysisEntry, FileEntry

STUDY = "/data/si-study"


@dataclass(frozen=True, repr=False, kw_only=True)
class CapacityResult(Result):
    """Per-cycle capacities and an ICE with its uncertainty."""

    kind: ClassVar[str] = "test-capacity"
    version: ClassVar[int] = 3
    ice: float
    ice_stderr: float | None
    capacity_mAh: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def metrics(self) -> tuple[Metric, ...]:
        per_cycle = tuple(Metric("capacity", float(value), "mAh", index_name="cycle", index=cycle,
                                 definition="extraction charge of the cycle")
                          for cycle, value in enumerate(self.capacity_mAh, start=1))
        return (Metric("ice", self.ice, "", self.ice_stderr, definition="extraction / insertion, cycle 1"),
                *per_cycle)

    def content(self) -> dict[str, Any]:
        return {"curve_V": np.linspace(0.0, 1.0, 4), "note": "fake", "bad": float("nan")}

    def tables(self) -> dict[str, dict[str, np.ndarray]]:
        n = self.capacity_mAh.size
        cycles = np.arange(1, n + 1)
        return {
            "cycles": {"cycle": cycles, "capacity_mAh": self.capacity_mAh,
                       "role": np.array(["first" if c == 1 else "later" for c in cycles])},
            "steps": {"step": np.arange(2 * n), "duration_s": np.arange(2 * n) * 10.0},
        }


@dataclass(frozen=True, repr=False, kw_only=True)
class DrtResult(Result):
    """Polarisation resistances and DRT curves of a few spectra."""

    kind: ClassVar[str] = "test-drt"
    version: ClassVar[int] = 1
    tau_s: np.ndarray
    gamma_ohm: np.ndarray  # (spectra, tau)

    def metrics(self) -> tuple[Metric, ...]:
        r_pol = np.trapezoid(self.gamma_ohm, np.log(self.tau_s), axis=1)
        return tuple(Metric("R_pol", float(value), "ohm", 0.1 * float(value), index_name="spectrum", index=i)
                     for i, value in enumerate(r_pol))

    def tables(self) -> dict[str, dict[str, np.ndarray]]:
        spectra, points = self.gamma_ohm.shape
        return {"drt": {"spectrum": np.repeat(np.arange(spectra), points), "tau_s": np.tile(self.tau_s, spectra),
                        "gamma_ohm": self.gamma_ohm.ravel(), "gamma_lower_ohm": 0.9 * self.gamma_ohm.ravel()}}


@dataclass(frozen=True, repr=False, kw_only=True)
class BrokenResult(Result):
    """A result whose metrics cannot be listed."""

    kind: ClassVar[str] = "test-broken"

    def metrics(self) -> tuple[Metric, ...]:
        raise RuntimeError("metrics exploded")


def record(seed: int, rows: int = 400) -> Record:
    """A cycling record of known columns (plus an extra instrument column), seeded."""
    rng = np.random.default_rng(seed)
    time_s = np.cumsum(rng.uniform(0.5, 1.5, rows))
    current_mA = np.where((np.arange(rows) // 50) % 2 == 0, -0.3, 0.3) * (1 + 0.01 * rng.standard_normal(rows))
    current_mA[::37] = 0.0
    voltage_V = 0.4 + 0.3 * np.sin(time_s / 40.0) + 0.001 * rng.standard_normal(rows)
    return Record.from_columns(
        {"time_s": time_s, "voltage_V": voltage_V, "current_mA": current_mA, "Ewe_control_V": voltage_V + 1e-3},
        cell=cell(), provenance=Provenance(path=f"{STUDY}/cell_{seed}.mpr", sha256=f"{seed:064x}", format="test"),
    )


def cell() -> CellInfo:
    return CellInfo("anode-half", working_electrode=Electrode(material="Si-ZnO", mass_mg=2.1, active_fraction=0.6))


def analyses(seed: int) -> tuple[AnalysisEntry, ...]:
    """Three analyses with seeded numbers: capacities, a DRT, and one that failed."""
    rng = np.random.default_rng(1000 + seed)
    capacity = CapacityResult(ice=float(rng.uniform(0.6, 0.95)), ice_stderr=float(rng.uniform(1e-4, 1e-2)),
                              capacity_mAh=rng.uniform(0.5, 1.0, 5), parameters={"window_V": [0.01, 1.5]},
                              warnings=("mass from cell.toml",))
    tau_s = np.logspace(-6, 2, 30)
    drt = DrtResult(tau_s=tau_s, gamma_ohm=rng.uniform(0.0, 5.0, (2, tau_s.size)))
    return (AnalysisEntry("capacity", capacity, seconds=0.01), AnalysisEntry("drt", drt, seconds=0.02),
            AnalysisEntry("gitt", error="NotApplicableError: no pulses", seconds=0.001))


def entry(seed: int, *, group: str | None = None, key: str | None = None) -> FileEntry:
    """The entry of study file ``cell_<seed>.mpr``: a record, a detection, a cell and three analyses."""
    return FileEntry(
        study=STUDY, path=f"cells/cell_{seed}.mpr", key=key or f"key-{seed}", sha256=f"{seed:064x}", size=1000 + seed,
        format="test", reader="fakes", detection=Detection(ExperimentKind.CYCLING, 0.9, "alternating current steps"),
        cell=cell(), sample=f"S{seed % 3}", group=group or ("bare" if seed % 2 else "coated"),
        data=record(seed), analyses=analyses(seed), notes=("row 12 dropped",),
    )


def expected_counts(file_entry: FileEntry) -> dict[str, int]:
    """How many rows of each table one file's entry gives (counted from the fakes, not the store)."""
    counts = {"results": len(file_entry.analyses), "metrics": 0, "cycles": 0, "drt_curves": 0, "result_tables": 0}
    for analysis in file_entry.analyses:
        result = analysis.result
        if isinstance(result, CapacityResult):
            n = result.capacity_mAh.size
            counts["metrics"] += 1 + n
            counts["cycles"] += 2 * n
            counts["result_tables"] += 2 * (2 * n)
        elif isinstance(result, DrtResult):
            counts["metrics"] += result.gamma_ohm.shape[0]
            counts["drt_curves"] += result.gamma_ohm.size
    return counts
