"""Cycling analysis: capacities, CE, retention, fade, rate tables, voltage profiles, dQ/dV.

Plain functions on :class:`~anodelab.core.record.Record` (+ :class:`~anodelab.core.cell.CellInfo`);
half-cycle roles and CE direction follow the cell type (:mod:`anodelab.core.conventions`).
"""

from anodelab.cycling.dqdv import DqdvResult, dqdv, dqdv_curve
from anodelab.cycling.profiles import (
    ProfileFeatures,
    VoltageProfiles,
    profile_features,
    voltage_profiles,
)
from anodelab.cycling.rate import RateTable, rate_table
from anodelab.cycling.summary import CycleSummary, cycle_summary

__all__ = [
    "CycleSummary",
    "DqdvResult",
    "ProfileFeatures",
    "RateTable",
    "VoltageProfiles",
    "cycle_summary",
    "dqdv",
    "dqdv_curve",
    "profile_features",
    "rate_table",
    "voltage_profiles",
]
