"""Wrappers that take the data read from a file (a :class:`SpectrumSeries` with its cell) and return a
result with ``to_dict()``: what ``anodelab demo`` / :mod:`anodelab.study.analyses` run per experiment kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anodelab.core.errors import NotApplicableError
from anodelab.core.spectrum import SpectrumSeries, require_spectra
from anodelab.impedance.derived import (
    arrhenius_fit,
    interfacial_asr_ohm_cm2,
    ionic_conductivity_S_cm,
    spectrum_intercept_ohm,
)
from anodelab.impedance.fit import fit_series
from anodelab.impedance.kk import SeriesKK, kk_series

#: default circuits: three R||CPE arcs and a Warburg (Si anode in a sulfide cell), one arc (symmetric cell),
#: bulk R||C_geo with blocking CPE (conductivity cell)
DEFAULT_CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)-W4"
SYMMETRIC_CIRCUIT = "R0-p(R1,CPE1)"
BLOCKING_CIRCUIT = "p(R0,C1)-CPE2"


def kk(series: SpectrumSeries) -> SeriesKK:
    """Linear KK test of every spectrum (default options)."""
    return kk_series(require_spectra(series, "kk"))


def fit_default(series: SpectrumSeries) -> Any:
    """:data:`DEFAULT_CIRCUIT` fitted to every spectrum, warm-started along the series."""
    return fit_series(require_spectra(series, "fit_default"), DEFAULT_CIRCUIT)


@dataclass(frozen=True)
class _Dict:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data


def _temperatures(series: SpectrumSeries) -> list[float]:
    temperatures = [s.context.temperature_C for s in series]
    if any(t is None for t in temperatures):
        raise NotApplicableError("an Arrhenius analysis needs the temperature of every spectrum")
    return [float(t) for t in temperatures]  # type: ignore[arg-type]


def interfacial_arrhenius(series: SpectrumSeries) -> _Dict:
    """Symmetric cell vs temperature: R_interface from ``R0-p(R1,CPE1)``, ASR per interface, Arrhenius ``T/R``."""
    series = require_spectra(series, "interfacial_arrhenius")
    temperatures = _temperatures(series)
    fits = fit_series(series, SYMMETRIC_CIRCUIT, n_starts=4)
    R = [fit.parameters["R1"].value for fit in fits.fits]
    area = series.cell.working_electrode.area_cm2 if series.cell and series.cell.working_electrode else None
    out: dict[str, Any] = {
        "circuit": SYMMETRIC_CIRCUIT,
        "temperatures_C": temperatures,
        "R_interface_ohm": R,
        "arrhenius": arrhenius_fit(temperatures, R, form="T/R").to_dict(),
    }
    if area:
        out["asr_interface_ohm_cm2"] = [interfacial_asr_ohm_cm2(r, area).asr_ohm_cm2 for r in R]
        out["asr_definition"] = interfacial_asr_ohm_cm2(R[0], area).definition
    return _Dict(out)


def conductivity_arrhenius(series: SpectrumSeries) -> _Dict:
    """Blocking cell: bulk R from ``p(R0,C1)-CPE2`` (and the intercept), sigma = L / (R S), Arrhenius ``sigma``."""
    series = require_spectra(series, "conductivity_arrhenius")
    cell = series.cell
    electrolyte = cell.electrolyte if cell else None
    thickness = getattr(electrolyte, "thickness_um", None)
    area = getattr(electrolyte, "area_cm2", None) or (cell.working_electrode.area_cm2 if cell else None)
    if not thickness or not area:
        raise NotApplicableError("conductivity needs the electrolyte thickness_um and area_cm2 in cell.toml")
    fits = fit_series(series, BLOCKING_CIRCUIT, n_starts=4)
    R = [fit.parameters["R0"].value for fit in fits.fits]
    sigma = ionic_conductivity_S_cm(R, thickness_um=thickness, area_cm2=area).tolist()
    out: dict[str, Any] = {
        "circuit": BLOCKING_CIRCUIT,
        "R_bulk_ohm": R,
        "R_intercept_ohm": [spectrum_intercept_ohm(s) for s in series],
        "sigma_S_cm": sigma,
        "definition": "sigma = L / (R S), R the fitted bulk resistance",
    }
    temperatures = [s.context.temperature_C for s in series]
    if len(series) > 1 and all(t is not None for t in temperatures):
        out["arrhenius"] = arrhenius_fit(temperatures, sigma, form="sigma").to_dict()  # type: ignore[arg-type]
    return _Dict(out)
