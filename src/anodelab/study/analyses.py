"""Which analyses a study runs on which kind of experiment.

:data:`ANALYSES` maps an experiment kind (``cycling``, ``eis``, ...; see
:data:`anodelab.sim.virtual.KINDS`) to the analyses that apply, each as ``(name, "module:function")``.
A function takes the data read from the file (a :class:`Record` or :class:`SpectrumSeries`, with its
cell) and returns a result with ``to_dict()``. Modules are imported only when their analysis runs.
"""

from __future__ import annotations

import importlib
from typing import Any

from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries

ANALYSES: dict[str, tuple[tuple[str, str], ...]] = {
    "cycling": (("cycle_summary", "anodelab.cycling:cycle_summary"),),
    "rate": (("cycle_summary", "anodelab.cycling:cycle_summary"), ("rate_table", "anodelab.cycling:rate_table")),
    "eis": (
        ("drt", "anodelab.drt.series:drt_analysis"),
        ("kk", "anodelab.impedance.analyses:kk"),
        ("circuit_fit", "anodelab.impedance.analyses:fit_default"),
    ),
    "eis-series": (
        ("drt", "anodelab.drt.series:drt_analysis"),
        ("kk", "anodelab.impedance.analyses:kk"),
        ("circuit_fit", "anodelab.impedance.analyses:fit_default"),
    ),
    "eis-temperature": (
        ("kk", "anodelab.impedance.analyses:kk"),
        ("arrhenius", "anodelab.impedance.analyses:interfacial_arrhenius"),
    ),
    "conductivity": (
        ("kk", "anodelab.impedance.analyses:kk"),
        ("conductivity", "anodelab.impedance.analyses:conductivity_arrhenius"),
    ),
}


def analyse(kind: str, data: Record | SpectrumSeries) -> dict[str, Any]:
    """Run every analysis registered for ``kind`` on ``data``: name -> the result's ``to_dict()``."""
    results: dict[str, Any] = {}
    for name, target in ANALYSES.get(kind, ()):
        module_name, function_name = target.split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        results[name] = function(data).to_dict()
    return results
