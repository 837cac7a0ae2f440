"""anodelab: from raw cycler and potentiostat files to the numbers of an anode or interface study.

>>> import anodelab
>>> data = anodelab.read("cell.mpr")          # Record, SpectrumSeries or CycleTable, units and sign normalised
"""

from anodelab._version import __version__
from anodelab.core import (
    CellInfo,
    CycleTable,
    Quantity,
    Record,
    Spectrum,
    SpectrumSeries,
)
from anodelab.core.errors import AnodelabError
from anodelab.io import list_formats, read

__all__ = [
    "AnodelabError",
    "CellInfo",
    "CycleTable",
    "Quantity",
    "Record",
    "Spectrum",
    "SpectrumSeries",
    "__version__",
    "list_formats",
    "read",
]
