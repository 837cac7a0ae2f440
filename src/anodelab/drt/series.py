"""``drt_series(series)``: DRTs of many spectra, batched per frequency grid, as a map and traces.

Spectra on one frequency grid share one basis, one design matrix and one generalised
eigendecomposition; lambda is chosen for all of them in one vectorised pass (one lambda per
spectrum, or with ``shared_lambda`` one for all: the geometric mean of every spectrum's choice, across
the grids), then each
spectrum gets its own NNLS solve. Spectra on different grids are grouped by grid and each group is
solved the same way. The map is gamma interpolated (linearly in ln tau, 0 outside a spectrum's own
tau range) onto one tau grid covering every spectrum, 50 points per decade.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from anodelab.core.errors import ValidationError
from anodelab.core.result import stamps_call
from anodelab.core.spectrum import SpectrumSeries, require_spectra
from anodelab.drt.fit import (
    OUTPUT_POINTS_PER_DECADE,
    DRTOptions,
    _check_lambda,
    check_spectrum,
    plan_lambdas,
    solve_group,
)
from anodelab.drt.peaks import resolve_windows
from anodelab.drt.result import DRTResult, DRTSeriesResult


def _grid_key(frequency_Hz: np.ndarray) -> tuple[float, ...]:
    return tuple(np.round(np.log10(frequency_Hz), 9).tolist())


@stamps_call
def drt_series(
    series: SpectrumSeries,
    *,
    lambda_: str | float = "auto",
    windows: str | Mapping[str, Sequence[float]] | None = None,
    shared_lambda: bool = False,
    coordinate: str = "time_s",
    **options: Any,
) -> DRTSeriesResult:
    """DRT of every spectrum of ``series`` (``lambda_``, ``windows`` and ``options`` as :func:`anodelab.drt.drt`).

    ``shared_lambda``: one lambda for every spectrum (the geometric mean of their automatic choices).

    ``coordinate``: the context field the map runs along (``time_s``, ``voltage_V``, ``cycle``,
    ``temperature_C``; the spectrum index for all when any spectrum lacks it).
    """
    series = require_spectra(series, "drt_series")
    if coordinate not in ("time_s", "voltage_V", "cycle", "temperature_C", "index"):
        raise ValidationError(
            "coordinate", f"expected time_s, voltage_V, cycle, temperature_C or index, got {coordinate!r}"
        )
    settings = DRTOptions.of(**options)
    value = _check_lambda(lambda_)
    resolved = resolve_windows(windows)
    parameters = {"lambda_": lambda_, "windows": windows, **settings.to_dict()}
    groups: dict[tuple[float, ...], list[int]] = {}
    for index, spectrum in enumerate(series):
        check_spectrum(spectrum, f"series[{index}]")
        groups.setdefault(_grid_key(spectrum.frequency_Hz), []).append(index)
    results: list[DRTResult | None] = [None] * len(series)
    blocks = []
    for indices in groups.values():
        frequency = series[indices[0]].frequency_Hz
        Z = np.stack([series[i].Z_ohm for i in indices], axis=1)
        blocks.append((indices, frequency, Z, plan_lambdas(frequency, Z, settings, value)))
    if shared_lambda and value is None:  # one lambda across every group: the geometric mean of all choices
        mean = float(np.exp(np.mean(np.log(np.concatenate([plan.values for *_, plan in blocks])))))
        blocks = [(indices, frequency, Z, plan.shared(mean)) for indices, frequency, Z, plan in blocks]
    for indices, frequency, Z, plan in blocks:
        for i, result in zip(indices, solve_group(frequency, Z, settings, plan, resolved, parameters), strict=True):
            results[i] = result
    done: tuple[DRTResult, ...] = tuple(r for r in results if r is not None)
    return series_result(series, done, resolved, coordinate,
                         {**parameters, "shared_lambda": shared_lambda, "coordinate": coordinate})


def series_result(series: SpectrumSeries, done: tuple[DRTResult, ...], windows: Mapping[str, Any] | None,
                  coordinate: str, parameters: Mapping[str, Any]) -> DRTSeriesResult:
    """The series result of the per-spectrum DRTs ``done``: their map on one tau grid, the coordinate
    (``index`` where a spectrum lacks the one asked for) and the named processes' traces."""
    low = min(float(np.log10(r.tau_s[0])) for r in done)
    high = max(float(np.log10(r.tau_s[-1])) for r in done)
    log_tau = np.linspace(low, high, round((high - low) * OUTPUT_POINTS_PER_DECADE) + 1)
    gamma_map = np.stack(
        [np.interp(log_tau, np.log10(r.tau_s), r.gamma_ohm, left=0.0, right=0.0) for r in done], axis=1
    )
    values: list[Any] = []
    for index, spectrum in enumerate(series):
        v = index if coordinate == "index" else getattr(spectrum.context, coordinate)
        values.append(math.nan if v is None else float(v))
    coordinate_values = np.asarray(values, dtype=np.float64)
    used = coordinate
    if coordinate != "index" and np.any(np.isnan(coordinate_values)):
        used, coordinate_values = "index", np.arange(len(series), dtype=np.float64)
    names = windows or {}
    return DRTSeriesResult(
        parameters=dict(parameters),
        warnings=tuple(f"spectrum {i}: {warning}" for i, r in enumerate(done) for warning in r.warnings),
        tau_s=10.0**log_tau, gamma_map_ohm=gamma_map, results=done, coordinate=coordinate_values,
        coordinate_name=used, process_R_ohm={name: np.array([r.process_R[name].value for r in done]) for name in names},
        process_R_ohm_stderr={name: np.array([r.process_R[name].stderr for r in done]) for name in names},
    )


@stamps_call
def drt_analysis(
    data: SpectrumSeries, *, windows: str | Mapping[str, Sequence[float]] | None = None
) -> DRTSeriesResult:
    """The study's DRT step: every spectrum with default settings and one lambda for the whole series
    (the geometric mean of the per-spectrum mGCV choices: mGCV's minimum is flat over decades, so one
    spectrum's choice may fall where a small arc drowns), along the spectra's time. ``windows`` name the
    peaks' processes: none by default (a paper's windows, e.g. ``si_zno``, are a preset its study chooses)."""
    return drt_series(data, windows=windows, coordinate="time_s", shared_lambda=True)
