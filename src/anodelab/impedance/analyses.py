"""Analyses of the data read from a file (a :class:`SpectrumSeries` with its cell): what a study runs per
experiment kind. Each returns a :class:`~anodelab.core.result.Result`.

- :func:`kk`: lin-KK test of every spectrum;
- :func:`fit_default`: an equivalent circuit fitted to every spectrum, chosen from the data
  (:func:`~anodelab.impedance.select.choose_circuit`) unless the study names one or a preset;
- :func:`interfacial_arrhenius`: a symmetric cell at several temperatures: R_interface, ASR per
  interface, Ea;
- :func:`conductivity_arrhenius`: a blocking cell: bulk resistance, conductivity, Ea when several
  temperatures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

from anodelab.core.errors import FitError, NotApplicableError, ValidationError
from anodelab.core.result import Metric, Quantity, Result, stamps_call
from anodelab.core.spectrum import SpectrumSeries, require_spectra
from anodelab.impedance.circuit_strings import parse_circuit
from anodelab.impedance.derived import (
    ASR,
    ArrheniusFit,
    arrhenius_fit,
    interfacial_asr_ohm_cm2,
    ionic_conductivity_S_cm,
    spectrum_intercept_ohm,
)
from anodelab.impedance.fit import CircuitFit, SeriesFit, arc_quantities, fit_series
from anodelab.impedance.kk import SeriesKK, kk_series
from anodelab.impedance.select import choose_circuit

BLOCKING_CIRCUIT = "p(R0,C1)-CPE2"
#: circuits a study may name instead of a circuit string: three R||CPE arcs and a Warburg (paper 000's Si
#: anode in a sulfide cell), one arc (a symmetric cell), bulk R||C_geo with a blocking CPE (conductivity cell)
CIRCUIT_PRESETS = {
    "si-sulfide": "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4",
    "symmetric": "R0-p(R1,CPE1)",
    "blocking": BLOCKING_CIRCUIT,
}
R_INTERFACE_DEFINITION = (
    "R of the slowest R||CPE arc (largest tau) of the circuit fitted to each spectrum: both interfaces of the "
    "symmetric cell together (a faster arc, such as grain boundaries, is not counted)"
)
SIGMA_DEFINITION = "sigma = L / (R S), R the fitted bulk resistance, L the electrolyte thickness, S its area"


def _circuit(name: str) -> str:
    """A preset's circuit, or ``name`` itself as a circuit string (checked)."""
    return CIRCUIT_PRESETS.get(name) or parse_circuit(name).string


def _chosen_fits(
    series: SpectrumSeries, circuit: str | None, n_processes: int | None, low_frequency_tail: bool | None
) -> SeriesFit:
    """The named circuit (or preset) fitted to the series, else the circuit chosen from the data; the fit's
    own options are not the analysis' (``parameters`` left to the analysis' :func:`stamps_call`)."""
    if circuit is not None:
        fits = fit_series(series, _circuit(circuit), n_starts=4)
        return replace(fits, parameters={})
    choice = choose_circuit(series, n_processes=n_processes, low_frequency_tail=low_frequency_tail)
    fits = fit_series(series, choice.circuit, initial=choice.fits[0].values, n_starts=4)
    return replace(fits, choice=choice, parameters={}, warnings=choice.warnings + fits.warnings)


@stamps_call
def kk(series: SpectrumSeries, *, threshold_pct: float = 1.0, exclude_inductive: bool = False) -> SeriesKK:
    """Linear KK test of every spectrum (see :func:`~anodelab.impedance.kk.kramers_kronig_test`)."""
    result = kk_series(require_spectra(series, "kk"), threshold_pct=threshold_pct, exclude_inductive=exclude_inductive)
    return replace(result, parameters={})


@stamps_call
def fit_default(
    series: SpectrumSeries,
    *,
    circuit: str | None = None,
    n_processes: int | None = None,
    low_frequency_tail: bool | None = None,
) -> SeriesFit:
    """An equivalent circuit fitted to every spectrum, warm-started along the series.

    ``circuit``: a circuit string or the name of a :data:`CIRCUIT_PRESETS` entry; None (the default):
    chosen from the data by :func:`~anodelab.impedance.select.choose_circuit`, centred on
    ``n_processes`` (e.g. the DRT's peaks) and ``low_frequency_tail`` when the study knows them; the
    result's ``choice`` says which circuit and why.
    """
    return _chosen_fits(require_spectra(series, "fit_default"), circuit, n_processes, low_frequency_tail)


def _temperatures(series: SpectrumSeries) -> list[float]:
    temperatures = [s.context.temperature_C for s in series]
    known = [float(t) for t in temperatures if t is not None]
    if len(known) < len(temperatures):
        raise NotApplicableError("an Arrhenius analysis needs the temperature of every spectrum")
    return known


@dataclass(frozen=True, repr=False)
class InterfacialArrhenius(Result):
    """A symmetric cell at several temperatures (:func:`interfacial_arrhenius`): R_interface per
    temperature, ASR per interface when the electrode area is known, the Arrhenius fit of R_interface."""

    kind: ClassVar[str] = "interfacial_arrhenius"
    version: ClassVar[int] = 1
    fits: SeriesFit
    temperatures_C: tuple[float, ...]
    R_interface: tuple[Quantity, ...]
    asr: tuple[ASR, ...]
    arrhenius: ArrheniusFit

    def metrics(self) -> tuple[Metric, ...]:
        out: list[Metric] = []
        for index, (temperature, R) in enumerate(zip(self.temperatures_C, self.R_interface, strict=True)):
            where: dict[str, Any] = {"index_name": "spectrum", "index": index}
            out.append(Metric("temperature", temperature, "degC", definition="temperature of the spectrum", **where))
            out.append(Metric.of("R_interface", R, definition=R_INTERFACE_DEFINITION, **where))
            if self.asr:
                out.append(replace(self.asr[index].metrics()[0], **where))
        return (*self.arrhenius.metrics(), *out)

    def content(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "circuit": self.fits.circuit,
            "circuit_choice": self.fits.choice,
            "temperatures_C": list(self.temperatures_C),
            "R_interface_ohm": [q.value for q in self.R_interface],
            "R_interface_stderr_ohm": [q.stderr for q in self.R_interface],
            "R_interface_definition": R_INTERFACE_DEFINITION,
            "arrhenius": self.arrhenius,
            "fits": self.fits,
        }
        if self.asr:
            out["area_cm2"] = self.asr[0].area_cm2
            out["asr_interface_ohm_cm2"] = [a.asr_ohm_cm2 for a in self.asr]
            out["asr_interface_stderr_ohm_cm2"] = [a.stderr_ohm_cm2 for a in self.asr]
            out["asr_definition"] = self.asr[0].definition
        return out

    def headline(self) -> str:
        return (f"Ea {self.arrhenius.Ea_kJ_mol:.3g} ({self.arrhenius.form}, {len(self.temperatures_C)} temperatures); "
                f"R_interface {self.R_interface[0]:.3g} at {self.temperatures_C[0]:g} degC; {self.fits.circuit}")


def _slowest_arc(fit: CircuitFit) -> Quantity:
    """R of the arc with the largest time constant, with its standard error."""
    rows = arc_quantities(fit).rows
    if not rows:
        raise FitError(f"circuit {fit.circuit} has no R||CPE, R||C or ZARC arc: no interfacial resistance")
    slowest = max(rows, key=lambda row: row["tau_s"])
    return fit.fitted[slowest["R_parameter"]]


@stamps_call
def interfacial_arrhenius(
    series: SpectrumSeries,
    *,
    circuit: str | None = None,
    form: Literal["T/R", "1/R"] = "T/R",
    n_processes: int | None = None,
    low_frequency_tail: bool | None = None,
) -> InterfacialArrhenius:
    """Symmetric cell vs temperature: R_interface (:data:`R_INTERFACE_DEFINITION`) of each spectrum, ASR per
    interface (``R A / 2``) when the cell gives the electrode area, and the Arrhenius line of R_interface in
    ``form``. ``circuit``: a circuit string or preset; None: chosen from the data once for the whole series."""
    series = require_spectra(series, "interfacial_arrhenius")
    if form not in ("T/R", "1/R"):
        raise ValidationError("form", f"expected 'T/R' or '1/R' (values are resistances), got {form!r}")
    temperatures = _temperatures(series)
    fits = _chosen_fits(series, circuit, n_processes, low_frequency_tail)
    R = tuple(_slowest_arc(fit) for fit in fits.fits)
    area = series.cell.working_electrode.area_cm2 if series.cell else None
    asr = tuple(interfacial_asr_ohm_cm2(q.value, area, symmetric=True, R_stderr_ohm=q.stderr) for q in R) if area else ()
    arrhenius = arrhenius_fit(temperatures, [q.value for q in R], form=form)
    arcs = len(arc_quantities(fits.fits[0]).rows)
    several = f"{fits.circuit} has {arcs} arcs: R_interface is the slowest one's; name the circuit to take another"
    return InterfacialArrhenius(
        fits=fits, temperatures_C=tuple(temperatures), R_interface=R, asr=asr, arrhenius=arrhenius,
        warnings=(*fits.warnings, several) if arcs > 1 else fits.warnings,
    )


@dataclass(frozen=True, repr=False)
class Conductivity(Result):
    """A blocking cell (:func:`conductivity_arrhenius`): bulk resistance and conductivity of each spectrum
    (metrics indexed by spectrum when there are several), the Arrhenius fit of the conductivity when there
    are several temperatures."""

    kind: ClassVar[str] = "conductivity"
    version: ClassVar[int] = 1
    fits: SeriesFit
    bulk_parameter: str
    R_bulk: tuple[Quantity, ...]
    R_intercept_ohm: tuple[float, ...]
    sigma: tuple[Quantity, ...]
    temperatures_C: tuple[float | None, ...]
    thickness_um: float
    area_cm2: float
    arrhenius: ArrheniusFit | None

    def metrics(self) -> tuple[Metric, ...]:
        out: list[Metric] = list(self.arrhenius.metrics()) if self.arrhenius else []
        for index, (R, sigma, temperature) in enumerate(zip(self.R_bulk, self.sigma, self.temperatures_C, strict=True)):
            where: dict[str, Any] = {"index_name": "spectrum", "index": index} if len(self.sigma) > 1 else {}
            if temperature is not None:
                out.append(Metric("temperature", temperature, "degC", definition="temperature of the spectrum", **where))
            out.append(Metric.of("R_bulk", R, definition=f"fitted {self.bulk_parameter} of {self.fits.circuit}", **where))
            out.append(Metric.of("sigma", sigma, definition=SIGMA_DEFINITION + "; stderr from R's", **where))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "circuit": self.fits.circuit,
            "bulk_parameter": self.bulk_parameter,
            "R_bulk_ohm": [q.value for q in self.R_bulk],
            "R_bulk_stderr_ohm": [q.stderr for q in self.R_bulk],
            "R_intercept_ohm": list(self.R_intercept_ohm),
            "sigma_S_cm": [q.value for q in self.sigma],
            "sigma_stderr_S_cm": [q.stderr for q in self.sigma],
            "definition": SIGMA_DEFINITION,
            "thickness_um": self.thickness_um,
            "area_cm2": self.area_cm2,
            "temperatures_C": list(self.temperatures_C),
            "fits": self.fits,
        }
        if self.arrhenius is not None:
            out["arrhenius"] = self.arrhenius
        return out

    def headline(self) -> str:
        first = f"sigma {self.sigma[0]:.3g}" + (f" at {self.temperatures_C[0]:g} degC" if self.temperatures_C[0] is not None else "")
        return first + (f"; Ea {self.arrhenius.Ea_kJ_mol:.3g} ({len(self.sigma)} temperatures)" if self.arrhenius else "")


@stamps_call
def conductivity_arrhenius(
    series: SpectrumSeries,
    *,
    circuit: str = "blocking",
    bulk_parameter: str = "R0",
    form: Literal["sigma", "sigmaT"] = "sigma",
) -> Conductivity:
    """Blocking cell: the bulk resistance ``bulk_parameter`` of ``circuit`` (default the preset ``blocking``,
    ``p(R0,C1)-CPE2``: bulk R||C_geo and the blocking double layers) fitted to each spectrum, and the
    high-frequency intercept for comparison; sigma = L / (R S) from the electrolyte's thickness_um and
    area_cm2 in the cell; the Arrhenius line of sigma in ``form`` when the spectra have several temperatures."""
    series = require_spectra(series, "conductivity_arrhenius")
    cell = series.cell
    electrolyte = cell.electrolyte if cell else None
    thickness = getattr(electrolyte, "thickness_um", None)
    area = getattr(electrolyte, "area_cm2", None) or (cell.working_electrode.area_cm2 if cell else None)
    if not thickness or not area:
        raise NotApplicableError("conductivity needs the electrolyte thickness_um and area_cm2 in cell.toml")
    if form not in ("sigma", "sigmaT"):
        raise ValidationError("form", f"expected 'sigma' or 'sigmaT' (values are conductivities), got {form!r}")
    model = parse_circuit(_circuit(circuit))
    if bulk_parameter not in model.names or model.units[model.names.index(bulk_parameter)] != "ohm":
        resistances = [name for name, unit in zip(model.names, model.units, strict=True) if unit == "ohm"]
        raise ValidationError("bulk_parameter", f"{bulk_parameter!r} is not a resistance of {model.string} "
                              f"({', '.join(resistances)})")
    fits = replace(fit_series(series, model.string, n_starts=4), parameters={})
    R = tuple(fit.fitted[bulk_parameter] for fit in fits.fits)
    values = ionic_conductivity_S_cm([q.value for q in R], thickness_um=thickness, area_cm2=area)
    sigma = tuple(Quantity(float(value), None if q.stderr is None else float(value) * q.stderr / q.value, "S/cm")
                  for value, q in zip(values, R, strict=True))
    temperatures = tuple(s.context.temperature_C for s in series)
    known = [t for t in temperatures if t is not None]
    arrhenius = None
    if len(series) > 1 and len(known) == len(temperatures):
        arrhenius = arrhenius_fit(known, [q.value for q in sigma], form=form)
    return Conductivity(
        fits=fits, bulk_parameter=bulk_parameter, R_bulk=R,
        R_intercept_ohm=tuple(spectrum_intercept_ohm(s) for s in series), sigma=sigma, temperatures_C=temperatures,
        thickness_um=float(thickness), area_cm2=float(area), arrhenius=arrhenius, warnings=fits.warnings,
    )
