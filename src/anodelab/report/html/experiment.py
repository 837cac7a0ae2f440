"""The figures of one experiment, chosen by what the store holds for it: its time series (every
file with one gets its voltage trace, so no section is blank: with the current, or for a metal cell
with its plateau overpotentials and shorts), its spectra, and the tables and content of its analyses
(cycles, voltage profiles, dQ/dV curves, rate blocks, circuit-fit and Kramers-Kronig curves, DRT
curves, Arrhenius fits; the metal-anode overpotential trace, CCD levels, nucleation dip and plating
efficiency; GITT pulses, Tafel points and voltammetry curves, which stand in for the plain current
against voltage of their files). A figure that cannot be drawn leaves a note in its section, never a
broken page."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from anodelab.core.errors import AnodelabError
from anodelab.report import data
from anodelab.report.html import kinetics, metal, models, plots
from anodelab.report.html.plots import Figure
from anodelab.store import Store

#: kinds whose current-voltage curve is the figure a paper shows (and the Tafel plot for polarization)
SWEEPS = frozenset({"cv", "lsv", "polarization"})
#: points per trace of a whole record (buckets of four points) and per half-cycle of a voltage profile
TRACE_BUCKETS = 600
PROFILE_POINTS = 400

T = TypeVar("T")


@dataclass
class Drawn:
    """The figures of an experiment, the notes on figures that could not be drawn, and what the
    comparisons across files reuse (its voltage trace, cycles table and spectra)."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    voltage: data.Columns | None = None
    cycles: tuple[data.Columns, str] | None = None  # the cycles table and the closing half-cycle's role
    spectra: data.Columns | None = None

    def add(self, title: str, make: Callable[[], Figure | None]) -> None:
        """Draw one figure; one that cannot be drawn (its data missing or not as expected) leaves a note instead."""
        try:
            figure = make()
        except Exception as error:  # noqa: BLE001 -- one figure must not break the page
            self.notes.append(f"{title}: figure not drawn: {error}" if isinstance(error, AnodelabError)
                              else f"{title}: figure not drawn: {type(error).__name__}: {error}")
            return
        if figure is not None and figure.data:
            self.figures.append(figure)


def draw(db: Store, experiment: data.Experiment, results: Mapping[str, data.Analysis]) -> Drawn:
    """Every figure of ``experiment`` (``results``: its successful analyses by name)."""
    drawn = Drawn()
    if experiment.error is not None:
        return drawn
    if experiment.timeseries is not None:
        try:
            _record(db, experiment, results, drawn)
        except AnodelabError as error:  # its time series cannot be read: the other figures are still drawn
            drawn.notes.append(f"time series figures not drawn ({error})")
    _spectra(db, experiment, results, drawn)
    _models(db, results, drawn)
    if experiment.kind == "cycle-table":
        drawn.add("capacity per cycle", lambda: _nonempty(data.data_cycles(db, experiment.file_id), plots.cycle_table))
    return drawn


def _record(db: Store, experiment: data.Experiment, results: Mapping[str, data.Analysis], drawn: Drawn) -> None:
    columns = data.series_columns(db, experiment)
    summary, rate = results.get("cycle_summary"), results.get("rate_table")
    profiles, dqdv = results.get("voltage_profiles"), results.get("dqdv")
    if profiles is not None:
        drawn.add("voltage profiles", lambda: _nonempty(
            data.curves(db, profiles.result_id, "profiles", by="voltage_V", points=PROFILE_POINTS), plots.profiles))
    if dqdv is not None:
        peaks = (dqdv.content or {}).get("peaks") or []
        drawn.add("dQ/dV", lambda: _nonempty(
            data.curves(db, dqdv.result_id, "dqdv", by="dqdv_mAh_V"),  # binned in voltage already: every bin
            lambda curves: plots.dqdv(curves, peaks)))
    if summary is not None:
        content = summary.content or {}
        table = data.cycles(db, summary.result_id)
        roles = (str(content.get("opening", "charge")), str(content.get("closing", "discharge")))
        if table:
            drawn.cycles = (table, roles[1])
            drawn.add("capacity and CE", lambda: plots.capacity_ce(table, roles))
    if rate is not None:
        capacity = str((rate.content or {}).get("capacity"))
        drawn.add("rate capability", lambda: _nonempty(data.result_table(db, rate.result_id, "blocks"),
                                                       lambda blocks: plots.rate_capability(blocks, capacity)))
    _metal(db, experiment, results, drawn, "voltage_V" in columns)
    _kinetics(db, results, drawn)
    if experiment.kind in SWEEPS and {"voltage_V", "current_mA"} <= set(columns):
        sweep = data.trace(db, experiment, "current_mA", buckets=TRACE_BUCKETS, carry=("voltage_V",))
        if "voltammetry" not in results:  # else its voltammogram is the current against voltage
            drawn.add("current against voltage", lambda: plots.sweep(sweep))
        if experiment.kind == "polarization" and "tafel" not in results:
            drawn.add("Tafel plot", lambda: plots.sweep(sweep, tafel=True))

    def voltage_current() -> Figure:
        current = (data.trace(db, experiment, "current_mA", buckets=TRACE_BUCKETS) if "current_mA" in columns
                   else None)
        return plots.voltage_current(_voltage(db, experiment, drawn), current)

    if "voltage_V" in columns and "overpotential_trace" not in results:  # else the metal cell's trace stands in
        drawn.add("voltage and current", voltage_current)


def _voltage(db: Store, experiment: data.Experiment, drawn: Drawn) -> data.Columns:
    """The file's decimated voltage trace, read once (the comparisons reuse it)."""
    if drawn.voltage is None:
        drawn.voltage = data.trace(db, experiment, "voltage_V", buckets=TRACE_BUCKETS)
    return drawn.voltage


def _metal(db: Store, experiment: data.Experiment, results: Mapping[str, data.Analysis], drawn: Drawn,
           voltage: bool) -> None:
    """The figures of the metal-anode analyses: the trace with its plateaus and shorts, the CCD
    staircase, the nucleation dip and the plating efficiency."""
    trace, shorts, ccd = results.get("overpotential_trace"), results.get("shorts"), results.get("ccd")
    nucleation, efficiency = results.get("nucleation"), results.get("plating_ce")
    if trace is not None and voltage:
        def symmetric() -> Figure:
            points = data.result_table(db, trace.result_id, "points")
            insets = data.result_table(db, trace.result_id, "insets")
            return metal.symmetric_trace(_voltage(db, experiment, drawn), points, insets,
                                         short_onsets(db, shorts, trace))
        drawn.add("voltage trace and plateau overpotential", symmetric)
    if ccd is not None:
        drawn.add("CCD staircase", lambda: _nonempty(data.result_table(db, ccd.result_id, "levels"),
                                                     lambda levels: metal.ccd_staircase(levels, ccd.content or {})))
    if nucleation is not None:
        drawn.add("nucleation dip", lambda: _nonempty(data.result_table(db, nucleation.result_id, "curve"),
                                                      lambda curve: metal.nucleation_dip(curve, nucleation.content or {})))
    if efficiency is not None:
        drawn.add("plating CE", lambda: _nonempty(data.cycles(db, efficiency.result_id),
                                                  lambda table: metal.plating_ce(table, efficiency.content or {})))


def _kinetics(db: Store, results: Mapping[str, data.Analysis], drawn: Drawn) -> None:
    """The figures of the kinetics analyses: GITT's D, the Tafel plot, the voltammogram and its dI/dE."""
    gitt, tafel, voltammetry = results.get("gitt"), results.get("tafel"), results.get("voltammetry")
    if gitt is not None:
        drawn.add("GITT diffusion coefficient", lambda: _nonempty(
            data.result_table(db, gitt.result_id, "pulses"), lambda pulses: kinetics.gitt_diffusion(pulses, gitt.content or {})))
    if tafel is not None:
        drawn.add("Tafel plot", lambda: _nonempty(data.result_table(db, tafel.result_id, "points"),
                                                  lambda points: kinetics.tafel_plot(points, tafel.content or {})))
    if voltammetry is not None:
        content = voltammetry.content or {}
        curve = data.result_table(db, voltammetry.result_id, "curve")
        drawn.add("voltammogram", lambda: _nonempty(curve, lambda table: kinetics.voltammogram(table, content)))
        drawn.add("dI/dE", lambda: kinetics.didv(curve, content) if curve else None)


def _models(db: Store, results: Mapping[str, data.Analysis], drawn: Drawn) -> None:
    """The figures of a simulation: the current along the interface and the field map, a sweep's
    resistance and max/mean, the energy along a migration path."""
    case, sweep, neb = results.get("interface_fem"), results.get("interface_sweep"), results.get("neb")
    if case is not None:
        content = case.content or {}
        drawn.add("current along the interface", lambda: _nonempty(
            data.result_table(db, case.result_id, "interface"), lambda table: models.interface_current(table, content)))
        drawn.add("field map", lambda: _nonempty(
            data.result_table(db, case.result_id, "field"), lambda table: models.field_map(table, content)))
        drawn.add("concentration map", lambda: _nonempty(
            data.result_table(db, case.result_id, "concentration"), lambda table: models.concentration_map(table, content)))
    if sweep is not None:
        drawn.add("interface sweep", lambda: _nonempty(
            data.result_table(db, sweep.result_id, "sweep"), lambda table: models.interface_sweep(table, sweep.content or {})))
    if neb is not None:
        drawn.add("energy along the path", lambda: _nonempty(
            data.result_table(db, neb.result_id, "path"), lambda table: models.energy_path(table, neb.content or {})))


def short_onsets(db: Store, shorts: data.Analysis | None, trace: data.Analysis) -> list[tuple[float, str]]:
    """The onset (h) and kind of every short ``shorts`` stored, else the first one the trace's content names."""
    if shorts is not None:
        events = data.result_table(db, shorts.result_id, "shorts")
        if events:
            kinds = events.get("kind", np.full(events["short_onset_h"].size, "", dtype=object))
            return [(float(t), str(k or "")) for t, k in zip(events["short_onset_h"], kinds) if np.isfinite(t)]
    onset = (trace.content or {}).get("short_onset_h")
    return [] if onset is None else [(float(onset), str((trace.content or {}).get("short_kind") or ""))]


def _spectra(db: Store, experiment: data.Experiment, results: Mapping[str, data.Analysis], drawn: Drawn) -> None:
    points = data.spectra(db, experiment.file_id)
    if points["spectrum"].size == 0:
        return
    drawn.spectra = points
    fit_result, kk, drt = results.get("circuit_fit"), results.get("kk"), results.get("drt")
    fit = data.result_table(db, fit_result.result_id, "circuit_fit") if fit_result is not None else {}
    drawn.add("Nyquist plot", lambda: plots.nyquist(points, fit or None))
    drawn.add("Bode plot", lambda: plots.bode(points, fit or None))
    if kk is not None:
        spectra = (kk.content or {}).get("spectra") or [{}]
        drawn.add("Kramers-Kronig residuals", lambda: _nonempty(
            data.result_table(db, kk.result_id, "kk"), lambda table: plots.kk_residuals(table, plots.spectrum_labels(points), spectra[0].get("threshold_pct"))))
    if drt is not None:
        content = drt.content or {}
        curves = data.drt_curves(db, drt.result_id)
        if curves["spectrum"].size:
            series = content.get("series") or [{}]
            windows = series[0].get("windows_tau_s") or {}
            drawn.add("DRT curves", lambda: plots.drt_curves(curves, plots.spectrum_labels(points), windows))
            if np.unique(curves["spectrum"]).size >= 3 and content.get("coordinate") is not None:
                drawn.add("DRT map", lambda: plots.drt_map(curves, content.get("coordinate_name"), content["coordinate"]))
        processes = content.get("process_R_ohm") or {}
        if processes and len(content.get("coordinate") or ()) >= 2:
            drawn.add("process resistances", lambda: plots.process_traces(
                content.get("coordinate_name"), content["coordinate"], processes, content.get("process_R_ohm_stderr") or {}))
    for name in ("arrhenius", "conductivity"):
        result = results.get(name)
        fit_content = (result.content or {}).get("arrhenius") if result is not None else None
        if fit_content:
            drawn.add("Arrhenius plot", functools.partial(plots.arrhenius, fit_content))


def _nonempty(table: T, make: Callable[[T], Figure]) -> Figure | None:
    """``make(table)``, or None for an empty table (nothing stored: no figure, no note)."""
    return make(table) if table else None


def label(experiment: data.Experiment) -> str:
    """How a file is named in a comparison: its sample, else its path."""
    return experiment.sample or experiment.path

