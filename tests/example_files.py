"""Small example files for CLI and registry tests, built directly and written by the sim writers.

``half_cell_csv``: an anode half cell (rest, then 3 lithiation/delithiation cycles at -/+0.2 mA);
``symmetric_peis_csv``: one Li|LLZTO|Li spectrum (R + ZARC) of 61 points. Each with its cell.toml.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anodelab.core import (
    CellInfo,
    Electrode,
    Electrolyte,
    Provenance,
    Record,
    Spectrum,
    SpectrumSeries,
)
from anodelab.sim.virtual.writers import write_csv

HALF_CELL = CellInfo(
    "anode-half",
    working_electrode=Electrode(material="Si", mass_mg=1.5, active_fraction=0.6, area_cm2=1.13),
    counter_electrode=Electrode(material="Li"),
)
SYMMETRIC = CellInfo("symmetric", working_electrode=Electrode(material="Li", area_cm2=0.5),
                     electrolyte=Electrolyte(kind="LLZTO", thickness_um=800.0, area_cm2=0.5))


def half_cell_csv(folder: Path) -> Path:
    """Rest 300 s, then 3 x (lithiation at -0.2 mA for 1 h, delithiation at +0.2 mA for 1 h), every 30 s."""
    time = np.arange(0.0, 300.0 + 6 * 3600.0 + 1.0, 30.0)
    phase = np.clip((time - 300.0) // 3600.0, -1, 5)
    current = np.where(phase < 0, 0.0, np.where(phase % 2 == 0, -0.2, 0.2))
    current[-1] = current[-2]
    within = np.where(phase < 0, 0.0, (time - 300.0) % 3600.0 / 3600.0)
    voltage = np.where(phase < 0, 0.9, np.where(current < 0, 0.6 - 0.55 * within, 0.05 + 0.6 * within))
    record = Record.from_columns({"time_s": time, "voltage_V": voltage, "current_mA": current,
                                  "step": np.where(phase < 0, 0, phase + 1)},
                                 cell=HALF_CELL, provenance=Provenance(techniques=("GCPL",)))
    folder.mkdir(parents=True, exist_ok=True)
    return _with_cell(write_csv(record, folder / "si_half_cell_gcpl.csv"), HALF_CELL)


def symmetric_peis_csv(folder: Path) -> Path:
    """R0 = 12 ohm in series with a ZARC (R = 80 ohm, tau = 1e-4 s, alpha = 0.85), 100 kHz to 0.1 Hz."""
    frequency = np.logspace(5, -1, 61)
    Z = 12.0 + 80.0 / (1.0 + (2j * np.pi * frequency * 1e-4) ** 0.85)
    series = SpectrumSeries.of([Spectrum.from_arrays(frequency, Z)], cell=SYMMETRIC)
    return _with_cell(write_csv(series, folder / "llzo_symmetric_peis.csv"), SYMMETRIC)


def _with_cell(path: Path, cell: CellInfo) -> Path:
    path.with_name(path.stem + ".cell.toml").write_text(cell.to_toml())
    return path
