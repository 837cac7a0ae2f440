"""The analysis registry: which analysis runs on which kind of experiment, with which options.

Each analysis is declared once, in :data:`ANALYSES`, as a row holding the real function (so the
import contract sees every edge), the experiment kinds it applies to, a rule that says why it does
not apply to some data, the analyses whose results it builds on, the metrics the study table
shows, and its figures. Options come from the function's own keyword parameters (their type hints,
``Literal`` ones included, are the vocabulary): :meth:`Analysis.check_options` refuses an option the
function does not take, naming the analysis and what it takes. Paper-specific options are presets
a study chooses (:data:`anodelab.study.settings.PRESETS`), never defaults.

To add an analysis: write it as a plain function ``f(data, *, option=default, ...) -> Result``
(decorated with :func:`anodelab.core.result.stamps_call`) in its package, then add a row here.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from anodelab.core.cycles import CycleTable
from anodelab.core.errors import ValidationError
from anodelab.core.experiment import ExperimentKind
from anodelab.core.model_spec import ModelSpec
from anodelab.core.record import Record
from anodelab.core.result import Result
from anodelab.core.spectrum import SpectrumSeries
from anodelab.cycling.dqdv import DqdvResult, dqdv
from anodelab.cycling.halfcycles import require_record
from anodelab.cycling.profiles import VoltageProfiles, voltage_profiles
from anodelab.cycling.rate import RateTable, rate_table
from anodelab.cycling.summary import CycleSummary, cycle_summary
from anodelab.drt.result import DRTSeriesResult
from anodelab.drt.series import drt_analysis
from anodelab.impedance import analyses as eis
from anodelab.impedance.fit import SeriesFit
from anodelab.impedance.kk import SeriesKK
from anodelab.kinetics.gitt import GITTResult, gitt
from anodelab.kinetics.tafel import TafelAnalysis, tafel
from anodelab.kinetics.voltammetry import Voltammogram, voltammetry
from anodelab.plating.ccd import CriticalCurrentDensity, critical_current_density
from anodelab.plating.efficiency import PlatingEfficiency, plating_efficiency
from anodelab.plating.nucleation import (
    NucleationOverpotential,
    nucleation_overpotential,
)
from anodelab.plating.shorts import ShortsResult, detect_shorts
from anodelab.plating.trace import OverpotentialTrace, overpotential_trace
from anodelab.report import figures
from anodelab.sim.atomistic.ensemble_result import EnsembleResult
from anodelab.sim.atomistic.result import (
    BindingResult,
    InterfaceEnergyResult,
    NEBResult,
    SurfaceEnergyResult,
)
from anodelab.sim.interface.result import InterfaceResult, InterfaceSweep
from anodelab.sim.models import ATOMISTIC, atomistic_model, interface_model

Data = Record | SpectrumSeries | CycleTable | ModelSpec
K = ExperimentKind

#: the spectra kinds, those that are cycling of a cell, and those of a metal anode cycled or plated at constant current
SPECTRA = frozenset({K.EIS, K.EIS_SERIES, K.EIS_TEMPERATURE, K.CONDUCTIVITY})
CYCLING = frozenset({K.CYCLING, K.RATE})
METAL = frozenset({K.SYMMETRIC, K.CCD})
SUBSTRATE = frozenset({K.NUCLEATION, K.PLATING_CE})
SIMULATION = frozenset({K.SIMULATION})


@dataclass(frozen=True)
class Figure:
    """A figure of an analysis result: ``draw(result, path, **used) -> paths`` writes ``<stem>.<suffix>``
    as PNG and SVG; ``uses`` names other analyses' results it also takes (as keyword arguments)."""

    suffix: str
    draw: Callable[..., list[Path]]
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """One row of the registry (see the module docstring)."""

    name: str
    function: Callable[..., Result]
    returns: type[Result]
    kinds: frozenset[ExperimentKind]
    applies: Callable[[Data], str | None] | None = None  # None when it applies, else why not
    uses: tuple[str, ...] = ()  # analyses whose results it takes, as keyword arguments of those names
    headline: tuple[str, ...] = ()  # metric names the study table shows
    figures: tuple[Figure, ...] = ()

    @property
    def version(self) -> int:
        return self.returns.version

    def options(self) -> dict[str, inspect.Parameter]:
        """The keyword options the function takes (not the data, not the results it uses)."""
        parameters = list(inspect.signature(self.function).parameters.values())[1:]
        return {p.name: p for p in parameters
                if p.name not in self.uses and p.name != "cell" and p.kind is not inspect.Parameter.VAR_KEYWORD}

    def check_options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` if every option is one the function takes and every ``Literal`` one has an allowed
        value; else :class:`ValidationError` naming the analysis, the option and what is allowed."""
        known = self.options()
        hints = typing.get_type_hints(self.function)
        for name, value in given.items():
            if name not in known:
                raise ValidationError(f"options.{self.name}.{name}",
                                      f"{self.name} takes no option {name!r}; it takes {', '.join(known) or 'none'}")
            allowed = _literal_values(hints.get(name))
            if allowed is not None and value not in allowed:
                raise ValidationError(f"options.{self.name}.{name}",
                                      f"must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        return dict(given)


def _literal_values(hint: Any) -> tuple[Any, ...] | None:
    """The allowed values of a ``Literal`` hint (also inside ``X | None``), or None for other hints."""
    if typing.get_origin(hint) is Literal:
        return typing.get_args(hint)
    arguments = typing.get_args(hint)
    literals = [value for arg in arguments if typing.get_origin(arg) is Literal for value in typing.get_args(arg)]
    if literals and all(typing.get_origin(a) is Literal or a is type(None) for a in arguments):
        return (*literals, None)
    return None


def _several_temperatures(data: Data) -> str | None:
    temperatures = {s.context.temperature_C for s in data} if isinstance(data, SpectrumSeries) else set()
    if None in temperatures or len(temperatures) < 2:
        return "an Arrhenius analysis needs spectra at two or more known temperatures"
    return None


def _interface_case(spec: Data) -> str | None:
    if not isinstance(spec, ModelSpec) or spec.simulation != "interface":
        return "runs the specifications with simulation = \"interface\""
    return "a parameter sweep (sweep = ...) is the interface_sweep analysis" if "sweep" in spec.parameters else None


def _interface_sweep(spec: Data) -> str | None:
    if not isinstance(spec, ModelSpec) or spec.simulation != "interface":
        return "runs the specifications with simulation = \"interface\""
    return None if "sweep" in spec.parameters else "runs the interface specifications with sweep = ..."


def _atomistic(simulation: str | None) -> Callable[[Data], str | None]:
    """The rule of an atomistic analysis: specs of ``simulation`` with one model (None: an ensemble of any)."""
    def applies(spec: Data) -> str | None:
        if not isinstance(spec, ModelSpec) or spec.simulation not in ATOMISTIC:
            return "runs the atomistic specifications (simulation = neb, bind, surface or interface-energy)"
        ensemble = "models" in spec.parameters
        if simulation is None:
            return None if ensemble else "runs the specifications with several models (models = [...])"
        if ensemble:
            return "several models (models = [...]) are the atomistic_ensemble analysis"
        return None if spec.simulation == simulation else f"runs the specifications with simulation = {simulation!r}"
    return applies


def _circuit_fit(series: SpectrumSeries, *, circuit: str | None = None, drt: DRTSeriesResult | None = None) -> SeriesFit:
    """The equivalent circuit the study names (a circuit string or preset), fitted along the series;
    without one, chosen from the data, the candidates centred on what the DRT of the first spectrum
    shows: its closed processes (peaks that are not the low-frequency tail) and whether it has a tail."""
    if circuit or drt is None or not drt.results:
        return eis.fit_default(series, circuit=circuit)
    peaks = drt.results[0].peaks
    closed = sum(not peak.tail for peak in peaks)
    return eis.fit_default(series, n_processes=max(closed, 1), low_frequency_tail=any(peak.tail for peak in peaks))


def _representative_cycles(record: Record) -> list[int]:
    """The cycles a profile or dQ/dV figure shows: 1, 2, 3, 5, 10, 20, 50, ... up to the last, and the last."""
    last = int(record["cycle"].max()) if len(record) else 0
    marks = sorted({m * 10**e for e in range(7) for m in (1, 2, 5)} | {3})
    return sorted({c for c in marks if c <= last} | ({last} if last >= 1 else set()))


def _profiles(record: Record, *, cycles: Sequence[int] | None = None) -> VoltageProfiles:
    """Voltage profiles of ``cycles`` (default: representative cycles, see :func:`_representative_cycles`)."""
    record = require_record(record, "voltage_profiles")
    return voltage_profiles(record, cycles=list(cycles) if cycles is not None else _representative_cycles(record))


def _dqdv(record: Record, *, cycles: Sequence[int] | None = None, bin_width_V: float = 0.005) -> DqdvResult:
    """dQ/dV of ``cycles`` (default: representative cycles) with its peaks."""
    record = require_record(record, "dqdv")
    chosen = list(cycles) if cycles is not None else _representative_cycles(record)
    return dqdv(record, cycles=chosen, bin_width_V=bin_width_V)


#: every analysis a study runs, in the order it runs them (an analysis after those it uses)
ANALYSES: tuple[Analysis, ...] = (
    Analysis("cycle_summary", cycle_summary, CycleSummary, CYCLING, headline=("ice", "retention", "average_ce"),
             figures=(Figure("capacity", figures.plot_capacity),)),
    Analysis("voltage_profiles", _profiles, VoltageProfiles, CYCLING,
             figures=(Figure("profiles", figures.plot_voltage_profiles),)),
    Analysis("dqdv", _dqdv, DqdvResult, CYCLING, figures=(Figure("dqdv", figures.plot_dqdv),)),
    Analysis("rate_table", rate_table, RateTable, frozenset({K.RATE}),
             figures=(Figure("rate", figures.plot_rate_capability),)),
    Analysis("drt", drt_analysis, DRTSeriesResult, frozenset({K.EIS, K.EIS_SERIES}), headline=("R_pol",),
             figures=(Figure("drt", figures.plot_drt_curves), Figure("drt-map", figures.plot_drt_map))),
    Analysis("kk", eis.kk, SeriesKK, SPECTRA, headline=("kk_passed",), figures=(Figure("kk", figures.plot_kk),)),
    Analysis("circuit_fit", _circuit_fit, SeriesFit, frozenset({K.EIS, K.EIS_SERIES}), uses=("drt",),
             headline=("R0", "R1"), figures=(Figure("impedance", figures.plot_impedance, uses=("kk",)),
                                             Figure("nyquist", figures.plot_nyquist))),
    Analysis("arrhenius", eis.interfacial_arrhenius, eis.InterfacialArrhenius, frozenset({K.EIS_TEMPERATURE}),
             applies=_several_temperatures, headline=("Ea",),
             figures=(Figure("nyquist", figures.plot_nyquist), Figure("arrhenius", figures.plot_arrhenius))),
    Analysis("conductivity", eis.conductivity_arrhenius, eis.Conductivity, frozenset({K.CONDUCTIVITY}),
             headline=("sigma", "Ea"),
             figures=(Figure("nyquist", figures.plot_nyquist), Figure("arrhenius", figures.plot_arrhenius))),
    Analysis("shorts", detect_shorts, ShortsResult, METAL, headline=("cycle_life", "short_onset")),
    Analysis("overpotential_trace", overpotential_trace, OverpotentialTrace, METAL,
             headline=("eta_plateau", "growth_rate"),
             figures=(Figure("trace", figures.plot_symmetric_trace, uses=("shorts",)),)),
    Analysis("ccd", critical_current_density, CriticalCurrentDensity, frozenset({K.CCD}),
             headline=("ccd", "last_stable"), figures=(Figure("ccd", figures.plot_ccd),)),
    Analysis("nucleation", nucleation_overpotential, NucleationOverpotential, SUBSTRATE,
             headline=("eta_nucleation", "eta_plateau"), figures=(Figure("nucleation", figures.plot_nucleation),)),
    Analysis("plating_ce", plating_efficiency, PlatingEfficiency, frozenset({K.PLATING_CE}),
             headline=("ce_mean", "ce_aurbach"), figures=(Figure("plating-ce", figures.plot_plating_ce),)),
    Analysis("gitt", gitt, GITTResult, frozenset({K.GITT}), headline=("D_median",),
             figures=(Figure("gitt", figures.plot_gitt),)),
    Analysis("tafel", tafel, TafelAnalysis, frozenset({K.POLARIZATION}), headline=("i0", "alpha_a", "alpha_c"),
             figures=(Figure("tafel", figures.plot_tafel),)),
    Analysis("voltammetry", voltammetry, Voltammogram, frozenset({K.CV, K.LSV}), headline=("scan_rate", "dE_p"),
             figures=(Figure("cv", figures.plot_voltammogram), Figure("didv", figures.plot_didv))),
    Analysis("interface_fem", interface_model, InterfaceResult, SIMULATION, applies=_interface_case,
             headline=("R_eff", "R_constriction", "peak_current_ratio"), figures=(Figure("interface", figures.plot_interface),)),
    Analysis("interface_sweep", interface_model, InterfaceSweep, SIMULATION, applies=_interface_sweep,
             headline=("R_eff", "max_mean_ratio"), figures=(Figure("interface-sweep", figures.plot_sweep),)),
    Analysis("neb", atomistic_model, NEBResult, SIMULATION, applies=_atomistic("neb"),
             headline=("barrier", "reaction_energy"), figures=(Figure("neb", figures.plot_neb),)),
    Analysis("binding_energy", atomistic_model, BindingResult, SIMULATION, applies=_atomistic("bind"),
             headline=("binding_energy_atom", "binding_energy_bulk")),
    Analysis("surface_energy", atomistic_model, SurfaceEnergyResult, SIMULATION, applies=_atomistic("surface"),
             headline=("surface_energy",)),
    Analysis("interface_energy", atomistic_model, InterfaceEnergyResult, SIMULATION,
             applies=_atomistic("interface-energy"), headline=("interface_energy",)),
    Analysis("atomistic_ensemble", atomistic_model, EnsembleResult, SIMULATION, applies=_atomistic(None),
             headline=("barrier", "barrier_spread", "binding_energy_atom", "binding_energy_atom_spread")),
)

_BY_NAME = {analysis.name: analysis for analysis in ANALYSES}


def get(name: str) -> Analysis:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValidationError("analysis", f"unknown analysis {name!r}; known: {', '.join(_BY_NAME)}") from None


def for_kind(kind: ExperimentKind) -> tuple[Analysis, ...]:
    """The analyses that apply to experiments of ``kind``, in running order."""
    return tuple(analysis for analysis in ANALYSES if kind in analysis.kinds)


def fingerprint() -> dict[str, int]:
    """Every analysis and its version: a stored result is reused only while these are unchanged."""
    return {analysis.name: analysis.version for analysis in ANALYSES}


def check_study_options(options: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse options for an unknown analysis or that an analysis does not take."""
    for name, given in options.items():
        get(name).check_options(given)
