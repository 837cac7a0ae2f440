"""Kinetics and transport: GITT diffusion coefficients, Tafel and Butler-Volmer exchange currents,
CV/LSV peaks, scan rates and dI/dV onsets, from the raw record.

- :func:`gitt`: D per pulse (Weppner-Huggins, film or sphere) with a validity flag;
- :func:`tafel`, :func:`exchange_current`, :func:`micro_polarization_i0`: Tafel regions by a printed
  rule, a Butler-Volmer fit with IR and limiting currents, i0 from a charge-transfer resistance;
- :func:`voltammetry`, :func:`randles_sevcik`: sweeps, scan rates, peaks, couples, onsets; D across
  scan rates.
"""

from anodelab.kinetics.gitt import GITTResult, gitt
from anodelab.kinetics.tafel import (
    ButlerVolmerFit,
    TafelAnalysis,
    exchange_current,
    micro_polarization_i0,
    tafel,
)
from anodelab.kinetics.voltammetry import (
    RandlesSevcik,
    Voltammogram,
    randles_sevcik,
    voltammetry,
)

__all__ = [
    "ButlerVolmerFit",
    "GITTResult",
    "RandlesSevcik",
    "TafelAnalysis",
    "Voltammogram",
    "exchange_current",
    "gitt",
    "micro_polarization_i0",
    "randles_sevcik",
    "tafel",
    "voltammetry",
]
