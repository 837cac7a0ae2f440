"""The data types every anodelab module speaks. No analysis and no file reading here."""

from anodelab.core.cell import CELL_TYPES, CellInfo, Electrode, Electrolyte
from anodelab.core.conventions import HALF_CYCLE_ROLES, STATES
from anodelab.core.cycles import CycleTable
from anodelab.core.record import Provenance, Record
from anodelab.core.result import Quantity
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries

__all__ = [
    "CELL_TYPES",
    "HALF_CYCLE_ROLES",
    "STATES",
    "CellInfo",
    "CycleTable",
    "Electrode",
    "Electrolyte",
    "Provenance",
    "Quantity",
    "Record",
    "Spectrum",
    "SpectrumContext",
    "SpectrumSeries",
]
