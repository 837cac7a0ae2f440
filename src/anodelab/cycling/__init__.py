"""Cycling analysis: capacities, CE, retention, fade, rate tables, voltage profiles, dQ/dV.

Plain functions on :class:`~anodelab.core.record.Record` (+ :class:`~anodelab.core.cell.CellInfo`),
each returning a :class:`~anodelab.core.result.Result`; half-cycle roles and CE direction follow the
cell type (:mod:`anodelab.core.conventions`).
"""

from anodelab.cycling.dqdv import (
    DqdvResult,
    ProfileFeatures,
    curve_features,
    dqdv,
    dqdv_curve,
    dqdv_peaks,
    profile_features,
)
from anodelab.cycling.profiles import VoltageProfiles, voltage_profiles
from anodelab.cycling.rate import RateTable, rate_table
from anodelab.cycling.stream import cycle_summary_stream
from anodelab.cycling.summary import CycleSummary, cycle_summary

__all__ = [
    "CycleSummary",
    "DqdvResult",
    "ProfileFeatures",
    "RateTable",
    "VoltageProfiles",
    "curve_features",
    "cycle_summary",
    "cycle_summary_stream",
    "dqdv",
    "dqdv_curve",
    "dqdv_peaks",
    "profile_features",
    "rate_table",
    "voltage_profiles",
]
