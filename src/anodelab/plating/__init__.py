"""Metal anodes: symmetric-cell overpotential and life, shorts, critical current density, nucleation
overpotential and plating/stripping Coulombic efficiency, from the raw record.

Plain functions on a :class:`~anodelab.core.record.Record` (and its :class:`~anodelab.core.cell.CellInfo`
for areal quantities), each returning one :class:`~anodelab.core.result.Result`:

- :func:`overpotential_trace`: plateau, peak and end overpotential and hysteresis per half-cycle, at
  chosen times, growth rate, trace shape, rate blocks;
- :func:`detect_shorts`: hard and soft shorts, onset, recovery, cycle life;
- :func:`critical_current_density`: the CCD of a current-density staircase by both conventions;
- :func:`nucleation_overpotential`: tip, plateau and nucleation overpotential of the first plating;
- :func:`plating_efficiency`: CE per cycle and by the Aurbach reservoir protocol.
"""

from anodelab.plating.ccd import CriticalCurrentDensity, critical_current_density
from anodelab.plating.efficiency import PlatingEfficiency, plating_efficiency
from anodelab.plating.nucleation import (
    NucleationOverpotential,
    nucleation_overpotential,
)
from anodelab.plating.shorts import ShortsResult, detect_shorts
from anodelab.plating.stream import overpotential_trace_stream
from anodelab.plating.trace import OverpotentialTrace, overpotential_trace

__all__ = [
    "CriticalCurrentDensity",
    "NucleationOverpotential",
    "OverpotentialTrace",
    "PlatingEfficiency",
    "ShortsResult",
    "critical_current_density",
    "detect_shorts",
    "nucleation_overpotential",
    "overpotential_trace",
    "overpotential_trace_stream",
    "plating_efficiency",
]
