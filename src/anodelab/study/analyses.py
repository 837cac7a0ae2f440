"""Which analyses a study runs on which kind of experiment.

:data:`ANALYSES` maps an experiment kind (``cycling``, ``eis``, ...; see
:data:`anodelab.sim.virtual.KINDS`) to the analyses that apply, each as ``(name, "module:function")``.
A function takes the data read from the file (a :class:`Record` or :class:`SpectrumSeries`, with its
cell), optionally keyword options, and returns a result with ``to_dict()``. Modules are imported only
when their analysis runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
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


#: figures drawn from an analysis result: experiment kind -> ((analysis name, file suffix, "module:function"), ...);
#: the function takes the result object and a path and returns the path it wrote.
FIGURES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "eis": (("drt", "drt.png", "anodelab.report.drt_figures:plot_drt_curves"),),
    "eis-series": (
        ("drt", "drt.png", "anodelab.report.drt_figures:plot_drt_curves"),
        ("drt", "drt-map.png", "anodelab.report.drt_figures:plot_drt_map"),
    ),
}


def _function(target: str) -> Any:
    module_name, function_name = target.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def analyse(
    kind: str, data: Record | SpectrumSeries, options: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Run every analysis registered for ``kind`` on ``data``: name -> the result's ``to_dict()``."""
    return {name: result.to_dict() for name, result in run_analyses(kind, data, options).items()}


def run_analyses(
    kind: str, data: Record | SpectrumSeries, options: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """Run every analysis registered for ``kind`` on ``data``: name -> the result object. ``options``:
    keyword arguments per analysis name (e.g. ``{"drt": {"windows": "si_c_pulse"}}``)."""
    options = options or {}
    return {name: _function(target)(data, **options.get(name, {})) for name, target in ANALYSES.get(kind, ())}


def draw_figures(kind: str, results: dict[str, Any], stem: Path) -> list[Path]:
    """Draw the figures registered for ``kind`` from ``results`` (of :func:`run_analyses`) as
    ``<stem>.<suffix>``; returns the paths written."""
    return [
        _function(target)(results[name], stem.with_name(f"{stem.name}.{suffix}"))
        for name, suffix, target in FIGURES.get(kind, ())
        if name in results
    ]
