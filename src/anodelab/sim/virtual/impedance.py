"""Virtual impedance analyser: spectra of equivalent circuits with known parameters.

Four instruments, each returning a :class:`VirtualExperiment` whose data is a ``SpectrumSeries``:

- :func:`eis_spectrum` (kind ``eis``): one spectrum of any circuit, or of a preset cell
  (``si-sulfide``: Si anode in a sulfide half-cell, paper 000; ``li-llzto``: Li|LLZTO|Li, paper 001;
  ``na-symmetric``: Na|Na on a coated substrate, paper 004).
- :func:`insitu_eis_series` (``eis-series``): galvanostatic EIS through the first lithiation and
  delithiation of a Si anode, R_SSE, R_SEI and R_ct evolving with the state of lithiation.
- :func:`temperature_eis_series` (``eis-temperature``): a symmetric cell from 0 to 50 degC whose bulk
  and interfacial resistances follow an Arrhenius law exactly.
- :func:`blocking_cell_spectrum` (``conductivity``): an electrolyte film between blocking electrodes,
  ``R = L / (sigma S)``, optionally at several temperatures with an Arrhenius conductivity.

Noise is relative and complex: ``Z + (noise_pct / 100) |Z| (e1 + j e2)`` with standard normal e1, e2
from ``numpy.random.default_rng(seed)``. The presets' cells and circuits are in
:mod:`anodelab.sim.virtual.impedance_systems` (importable from here too).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.constants import GAS_CONSTANT_J_MOL_K, ZERO_CELSIUS_K
from anodelab.core.errors import ValidationError
from anodelab.core.record import Provenance
from anodelab.core.spectrum import Spectrum, SpectrumContext, SpectrumSeries
from anodelab.models.circuits import CPE, ZARC, C, Circuit, Parallel, R, Series, W
from anodelab.models.kinetics import arrhenius, check_positive, kJ_mol_to_eV
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.gitt import amorphous_si_ocv_V
from anodelab.sim.virtual.impedance_systems import (
    SYMMETRIC_PRESETS,
    SYSTEMS,
    blocking_cell,
    li_llzto_cell,
    na_symmetric_cell,
    preset,
    si_c_liquid_cell,
    si_sulfide_cell,
    si_sulfide_circuit,
    symmetric_cell_circuit,
    symmetric_elements,
)
from anodelab.sim.virtual.protocol import INSTRUMENT

ARRHENIUS_FORMS = ("T/R", "1/R")
#: the options of insitu_eis_series that must be > 0 beyond the current and the capacities, in the order checked
_INSITU_POSITIVE = ("R_bulk_ohm", "R_SSE_start_ohm", "R_SSE_ohm", "R_SEI_start_ohm", "R_SEI_lithiated_ohm",
                    "R_ct_start_ohm", "R_ct_lithiated_ohm", "R_ct_delithiated_ohm", "Q_SSE_S_s_n", "Q_SEI_S_s_n",
                    "Q_ct_S_s_n")


# -- shared helpers -----------------------------------------------------------------------------------


def frequency_grid_Hz(
    frequency_max_Hz: float, frequency_min_Hz: float, points_per_decade: int
) -> NDArray[np.float64]:
    """Log-spaced frequencies from ``frequency_max_Hz`` down to ``frequency_min_Hz``, both included."""
    high = check_positive("frequency_max_Hz", frequency_max_Hz)
    low = check_positive("frequency_min_Hz", frequency_min_Hz)
    if low >= high:
        raise ValidationError(
            "frequency_min_Hz", f"must be below frequency_max_Hz ({high:g} Hz), got {low:g}"
        )
    if isinstance(points_per_decade, bool) or not isinstance(points_per_decade, int) or points_per_decade < 1:
        raise ValidationError("points_per_decade", f"must be a positive integer, got {points_per_decade!r}")
    count = round(math.log10(high / low) * points_per_decade) + 1
    return np.logspace(math.log10(high), math.log10(low), max(count, 2))


def _noise(Z: NDArray[np.complex128], noise_pct: float, rng: np.random.Generator) -> NDArray[np.complex128]:
    scale = noise_pct / 100.0 * np.abs(Z)
    return Z + scale * (rng.standard_normal(Z.size) + 1j * rng.standard_normal(Z.size))


def _check_noise(noise_pct: float) -> float:
    return check_positive("noise_pct", noise_pct, allow_zero=True)


def _check_seed(seed: int | None) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValidationError("seed", f"must be a non-negative integer or None, got {seed!r}")


def _spectra_per_temperature(
    circuits: Sequence[Circuit],
    temperatures_C: Sequence[float],
    cells: Sequence[CellInfo],
    frequency_Hz: NDArray[np.float64],
    noise_pct: float,
    seed: int | None,
) -> list[Spectrum]:
    """One noisy spectrum of each circuit at its temperature and with its cell, an hour apart from time 0."""
    rng = np.random.default_rng(seed)
    spectra = []
    for index, (circuit, temperature, cell) in enumerate(zip(circuits, temperatures_C, cells)):
        Z = _noise(circuit.impedance(frequency_Hz), noise_pct, rng)
        context = SpectrumContext(time_s=3600.0 * index, temperature_C=temperature)
        spectra.append(Spectrum.from_arrays(frequency_Hz, Z, context=context, cell=cell))
    return spectra


def _provenance(technique: str, *notes: str) -> Provenance:
    return Provenance(instrument=INSTRUMENT, techniques=(technique,), notes=notes)


def _circuit_truth(circuit: Circuit) -> dict[str, Any]:
    return {"circuit": circuit.circuit_string, "circuit_parameters": dict(circuit.parameters)}


def _zarc_truth(prefix: str, zarc: ZARC) -> dict[str, float]:
    return {
        f"R_{prefix}_ohm": zarc.R_ohm,
        f"tau_{prefix}_s": zarc.tau_s,
        f"n_{prefix}": zarc.n,
        f"Q_{prefix}_S_s_n": zarc.Q_S_s_n,
    }


# -- instruments ---------------------------------------------------------------------------------------


def eis_spectrum(
    circuit: Circuit | None = None,
    *,
    system: str = "si-sulfide",
    frequency_max_Hz: float = 1e6,
    frequency_min_Hz: float = 0.1,
    points_per_decade: int = 10,
    noise_pct: float = 0.2,
    seed: int | None = 0,
    temperature_C: float = 25.0,
    cell: CellInfo | None = None,
    name: str = "eis",
) -> VirtualExperiment:
    """One potentiostatic EIS spectrum of ``circuit`` (default: the preset ``system``'s circuit and cell).

    Truth: the circuit string (impedance.py syntax), every element parameter, the noise and the grid.
    """
    noise = _check_noise(noise_pct)
    _check_seed(seed)
    preset_circuit, preset_cell = preset(system, temperature_C)
    if circuit is not None and not isinstance(circuit, Circuit):
        raise ValidationError(
            "circuit", f"expected an anodelab.models.circuits element or composite, got {circuit!r}"
        )
    circuit = preset_circuit if circuit is None else circuit
    cell = preset_cell if cell is None else cell
    frequency = frequency_grid_Hz(frequency_max_Hz, frequency_min_Hz, points_per_decade)
    rng = np.random.default_rng(seed)
    Z = _noise(circuit.impedance(frequency), noise, rng)
    spectrum = Spectrum.from_arrays(
        frequency, Z, context=SpectrumContext(time_s=0.0, temperature_C=temperature_C), cell=cell
    )
    truth = {
        **_circuit_truth(circuit),
        "system": system if circuit is preset_circuit else None,
        "noise_pct": noise,
        "frequency_max_Hz": float(frequency[0]),
        "frequency_min_Hz": float(frequency[-1]),
        "points_per_decade": points_per_decade,
        "temperature_C": temperature_C,
    }
    data = SpectrumSeries.of(
        [spectrum], cell=cell, provenance=_provenance("PEIS", f"virtual {circuit.circuit_string}")
    )
    return VirtualExperiment(name=name, kind="eis", data=data, cell=cell, truth=truth, seed=seed)


def insitu_eis_series(
    *,
    current_mA: float = 0.2,
    lithiation_capacity_mAh: float = 3.0,
    delithiation_capacity_mAh: float = 2.6,
    spectra_per_half_cycle: int = 8,
    R_bulk_ohm: float = 20.0,
    R_SSE_start_ohm: float = 18.0,
    R_SSE_ohm: float = 15.0,
    R_SEI_start_ohm: float = 64.0,
    R_SEI_lithiated_ohm: float = 33.0,
    R_ct_start_ohm: float = 120.0,
    R_ct_lithiated_ohm: float = 25.0,
    R_ct_delithiated_ohm: float = 150.0,
    Q_SSE_S_s_n: float = 7e-7,
    Q_SEI_S_s_n: float = 2.5e-5,
    Q_ct_S_s_n: float = 4e-4,
    n_SSE: float = 0.9,
    n_SEI: float = 0.85,
    n_ct: float = 0.8,
    sigma_W_ohm_s_half: float = 30.0,
    frequency_max_Hz: float = 1e6,
    frequency_min_Hz: float = 0.1,
    points_per_decade: int = 8,
    noise_pct: float = 0.2,
    seed: int | None = 0,
    temperature_C: float = 25.0,
    name: str = "insitu_eis",
) -> VirtualExperiment:
    """Galvanostatic EIS through the first lithiation and delithiation of a Si anode (papers 000 and 002).

    Lithiation at ``-current_mA`` for ``lithiation_capacity_mAh``, then delithiation at ``+current_mA``.
    With ``s`` the state of lithiation (0..1 of the lithiation capacity) and ``r`` the fraction delithiated:

    - lithiation: ``R_SSE = R_SSE + (R_SSE_start - R_SSE) exp(-s / 0.05)`` (drops early, then stable),
      ``R_SEI = R_SEI_lith + (R_SEI_start - R_SEI_lith) exp(-s / 0.3)``,
      ``R_ct = R_ct_lith + (R_ct_start - R_ct_lith) (1 - s)^2``;
    - delithiation: R_SSE and R_SEI stay (R_SEI + 5 % r), ``R_ct = R_ct_lith + (R_ct_delith - R_ct_lith) r^4``
      (a surge at the end).

    With N = ``spectra_per_half_cycle``, spectra start at s = 0, 1/N, ..., (N-1)/N of lithiation and at
    r = 1/N, ..., 1 of delithiation.

    Each arc is R || CPE with a fixed CPE ``(Q, n)``, so ``tau = (R Q)^(1/n)`` moves with R and stays in
    paper 000's windows for the defaults (SSE 1e-6..1e-5 s, SEI 1e-4..1e-3 s, ct 1e-3..1e-1 s). The
    context voltage is an amorphous-Si OCV plus the DC drop. Truth: per spectrum time, state of
    lithiation and R_*, tau_*, Q_*, n_* of each arc.
    """
    arguments = locals()
    current, lithiation, delithiation = _check_first_cycle(
        current_mA, lithiation_capacity_mAh, delithiation_capacity_mAh, spectra_per_half_cycle
    )
    for field in _INSITU_POSITIVE:
        check_positive(field, arguments[field])
    noise = _check_noise(noise_pct)
    _check_seed(seed)
    frequency = frequency_grid_Hz(frequency_max_Hz, frequency_min_Hz, points_per_decade)
    cell = si_sulfide_cell(temperature_C)
    rng = np.random.default_rng(seed)
    laws = _FirstCycleResistances(R_SSE_start_ohm, R_SSE_ohm, R_SEI_start_ohm, R_SEI_lithiated_ohm,
                                  R_ct_start_ohm, R_ct_lithiated_ohm, R_ct_delithiated_ohm)
    Q = {"SSE": Q_SSE_S_s_n, "SEI": Q_SEI_S_s_n, "ct": Q_ct_S_s_n}
    n_of = {"SSE": n_SSE, "SEI": n_SEI, "ct": n_ct}

    spectra: list[Spectrum] = []
    truth_rows: list[dict[str, Any]] = []
    for half_cycle, time, s, sign, resistances in _first_cycle_states(
        laws, current, lithiation, delithiation, spectra_per_half_cycle
    ):
        arcs = {key: ZARC.from_cpe(resistances[key], Q[key], n_of[key]) for key in ("SSE", "SEI", "ct")}
        circuit = Series(R(R_bulk_ohm), arcs["SSE"], arcs["SEI"], arcs["ct"], W(sigma_W_ohm_s_half))
        dc_ohm = R_bulk_ohm + sum(resistances.values())
        voltage = float(amorphous_si_ocv_V(0.9 * s) + sign * current * 1e-3 * dc_ohm)
        context = SpectrumContext(
            time_s=time,
            voltage_V=voltage,
            current_mA=sign * current,
            cycle=1,
            temperature_C=temperature_C,
            extras={"state_of_lithiation": s, "half_cycle": half_cycle},
        )
        Z = _noise(circuit.impedance(frequency), noise, rng)
        spectra.append(Spectrum.from_arrays(frequency, Z, context=context, cell=cell))
        row = {"time_s": time, "voltage_V": voltage, "state_of_lithiation": s}
        for key, arc in arcs.items():
            row.update(_zarc_truth(key, arc))
        truth_rows.append(row)

    truth: dict[str, Any] = {key: [row[key] for row in truth_rows] for key in truth_rows[0]}
    truth.update(
        {
            "half_cycle": ["lithiation"] * spectra_per_half_cycle + ["delithiation"] * spectra_per_half_cycle,
            "current_mA": current,
            "lithiation_capacity_mAh": lithiation,
            "delithiation_capacity_mAh": delithiation,
            "R_bulk_ohm": R_bulk_ohm,
            "sigma_W_ohm_s_half": sigma_W_ohm_s_half,
            "circuit": si_sulfide_circuit().circuit_string,  # the topology of every spectrum's circuit
            "tau_windows_s": {"SSE": [1e-6, 1e-5], "SEI": [1e-4, 1e-3], "ct": [1e-3, 1e-1]},
            "noise_pct": noise,
            "frequency_max_Hz": float(frequency[0]),
            "frequency_min_Hz": float(frequency[-1]),
        }
    )
    data = SpectrumSeries.of(
        spectra, cell=cell, provenance=_provenance("GEIS", "virtual in-situ EIS, first cycle")
    )
    return VirtualExperiment(name=name, kind="eis-series", data=data, cell=cell, truth=truth, seed=seed)


def _check_first_cycle(
    current_mA: float, lithiation_capacity_mAh: float, delithiation_capacity_mAh: float, spectra_per_half_cycle: int
) -> tuple[float, float, float]:
    """Check the current and capacities (> 0, delithiation at most lithiation) and the spectra per half
    cycle (an integer >= 2); the current and capacities as floats."""
    current = check_positive("current_mA", current_mA)
    lithiation = check_positive("lithiation_capacity_mAh", lithiation_capacity_mAh)
    delithiation = check_positive("delithiation_capacity_mAh", delithiation_capacity_mAh)
    if delithiation > lithiation:
        raise ValidationError(
            "delithiation_capacity_mAh",
            f"cannot exceed the lithiation capacity ({lithiation:g} mAh), got {delithiation:g}",
        )
    if (
        isinstance(spectra_per_half_cycle, bool)
        or not isinstance(spectra_per_half_cycle, int)
        or spectra_per_half_cycle < 2
    ):
        raise ValidationError(
            "spectra_per_half_cycle", f"must be an integer >= 2, got {spectra_per_half_cycle!r}"
        )
    return current, lithiation, delithiation


@dataclass(frozen=True)
class _FirstCycleResistances:
    """R_SSE, R_SEI and R_ct (ohm) through the first cycle, the laws of :func:`insitu_eis_series`."""

    R_SSE_start_ohm: float
    R_SSE_ohm: float
    R_SEI_start_ohm: float
    R_SEI_lithiated_ohm: float
    R_ct_start_ohm: float
    R_ct_lithiated_ohm: float
    R_ct_delithiated_ohm: float

    def lithiation(self, s: float) -> dict[str, float]:
        """At the state of lithiation ``s`` (0..1 of the lithiation capacity)."""
        return {
            "SSE": self.R_SSE_ohm + (self.R_SSE_start_ohm - self.R_SSE_ohm) * math.exp(-s / 0.05),
            "SEI": self.R_SEI_lithiated_ohm + (self.R_SEI_start_ohm - self.R_SEI_lithiated_ohm) * math.exp(-s / 0.3),
            "ct": self.R_ct_lithiated_ohm + (self.R_ct_start_ohm - self.R_ct_lithiated_ohm) * (1.0 - s) ** 2,
        }

    def delithiation(self, r: float) -> dict[str, float]:
        """At the fraction delithiated ``r``: R_SSE as lithiated, R_SEI 5 % r above, R_ct surging as ``r^4``."""
        lithiated = self.lithiation(1.0)
        return {
            "SSE": lithiated["SSE"],
            "SEI": lithiated["SEI"] * (1.0 + 0.05 * r),
            "ct": self.R_ct_lithiated_ohm + (self.R_ct_delithiated_ohm - self.R_ct_lithiated_ohm) * r**4,
        }


def _first_cycle_states(
    laws: _FirstCycleResistances, current_mA: float, lithiation_mAh: float, delithiation_mAh: float, count: int
) -> Iterator[tuple[str, float, float, float, dict[str, float]]]:
    """Per spectrum: the half cycle, time (s), state of lithiation, sign of the current and arc resistances;
    at the start of lithiation and every 1/count of it, then every 1/count of delithiation up to its end."""
    lithiation_s = lithiation_mAh / current_mA * 3600.0
    delithiation_s = delithiation_mAh / current_mA * 3600.0
    steps = np.arange(count) / count
    for fraction in steps:
        s = float(fraction)
        yield "lithiation", float(lithiation_s * fraction), s, -1.0, laws.lithiation(s)
    for fraction in steps + 1.0 / count:
        s = float(1.0 - fraction * delithiation_mAh / lithiation_mAh)
        yield "delithiation", float(delithiation_s * fraction + lithiation_s), s, 1.0, laws.delithiation(fraction)


def arrhenius_resistance_ohm(
    T_K: NDArray[np.float64] | float, *, Ea_kJ_mol: float, R_ref_ohm: float, T_ref_K: float, form: str = "T/R"
) -> NDArray[np.float64]:
    """Resistance that follows ``ln(T/R) = -Ea/(R_gas T) + ln A`` (form ``T/R``) or ``ln(1/R) = -Ea/(R_gas T) + ln A``
    (form ``1/R``), passing through ``R_ref_ohm`` at ``T_ref_K``."""
    if form not in ARRHENIUS_FORMS:
        raise ValidationError("form", f"expected one of {', '.join(ARRHENIUS_FORMS)}, got {form!r}")
    T = np.asarray(T_K, dtype=np.float64)
    prefactor = _arrhenius_prefactor(Ea_kJ_mol, R_ref_ohm, T_ref_K, form)
    conductance = arrhenius(T, Ea_kJ_mol=Ea_kJ_mol, prefactor=prefactor)  # T/R or 1/R
    return (T if form == "T/R" else 1.0) / conductance


def _arrhenius_prefactor(Ea_kJ_mol: float, R_ref_ohm: float, T_ref_K: float, form: str) -> float:
    """A of the chosen form: K/ohm for ``T/R``, S (1/ohm) for ``1/R``."""
    numerator = T_ref_K if form == "T/R" else 1.0
    return numerator / R_ref_ohm * math.exp(Ea_kJ_mol * 1e3 / (GAS_CONSTANT_J_MOL_K * T_ref_K))


def _series_temperatures_C(temperatures_C: Sequence[float]) -> list[float]:
    """The temperatures of an Arrhenius series: at least two, distinct, finite, above absolute zero."""
    temperatures = [float(t) for t in temperatures_C]
    if len(temperatures) < 2:
        raise ValidationError(
            "temperatures_C", f"an Arrhenius series needs at least two temperatures, got {len(temperatures)}"
        )
    if any(not math.isfinite(t) or t <= -ZERO_CELSIUS_K for t in temperatures) or len(
        set(temperatures)
    ) != len(temperatures):
        raise ValidationError(
            "temperatures_C", "temperatures must be distinct, finite and above -273.15 degC"
        )
    return temperatures


def temperature_eis_series(
    *,
    Ea_kJ_mol: float = 8.0,
    temperatures_C: Sequence[float] = (0.0, 10.0, 20.0, 30.0, 40.0, 50.0),
    system: str = "na-symmetric",
    R_interface_ohm: float | None = None,
    R_bulk_ohm: float | None = None,
    Ea_bulk_kJ_mol: float = 4.0,
    reference_temperature_C: float = 25.0,
    Q_interface_S_s_n: float | None = None,
    n_interface: float | None = None,
    form: str = "T/R",
    frequency_max_Hz: float = 1e6,
    frequency_min_Hz: float = 0.1,
    points_per_decade: int = 10,
    noise_pct: float = 0.2,
    seed: int | None = 0,
    name: str = "eis_temperature",
) -> VirtualExperiment:
    """Symmetric-cell spectra at several temperatures; resistances follow Arrhenius exactly (papers 001, 004).

    ``R_interface(T)`` (both interfaces together) obeys ``ln(T / R) = -Ea / (R_gas T) + ln A`` (``form="T/R"``,
    A in K/ohm, as paper 004 fits) or ``ln(1 / R) = ...`` (``form="1/R"``, A in S), through
    ``R_interface_ohm`` at ``reference_temperature_C``; the bulk likewise with ``Ea_bulk_kJ_mol``. The
    interfacial CPE is temperature independent, so the arc's tau scales with R. ``system``:
    ``na-symmetric`` (paper 004) or ``li-llzto`` (paper 001) sets the cell and default resistances.
    Truth: Ea (kJ/mol and eV), the prefactor A and ln A, and R_interface, R_bulk, tau per temperature.
    """
    if system not in ("na-symmetric", "li-llzto"):
        raise ValidationError("system", f"expected 'na-symmetric' or 'li-llzto', got {system!r}")
    if form not in ARRHENIUS_FORMS:
        raise ValidationError("form", f"expected one of {', '.join(ARRHENIUS_FORMS)}, got {form!r}")
    Ea = check_positive("Ea_kJ_mol", Ea_kJ_mol, allow_zero=True)
    Ea_bulk = check_positive("Ea_bulk_kJ_mol", Ea_bulk_kJ_mol, allow_zero=True)
    temperatures = _series_temperatures_C(temperatures_C)
    noise = _check_noise(noise_pct)
    _check_seed(seed)
    bulk_element, arc = symmetric_elements(*SYMMETRIC_PRESETS[system])
    R_int = check_positive("R_interface_ohm", arc.R_ohm if R_interface_ohm is None else R_interface_ohm)
    R_b = check_positive("R_bulk_ohm", bulk_element.R_ohm if R_bulk_ohm is None else R_bulk_ohm)
    Q = check_positive("Q_interface_S_s_n", arc.Q_S_s_n if Q_interface_S_s_n is None else Q_interface_S_s_n)
    n_arc = arc.n if n_interface is None else n_interface
    T_ref = reference_temperature_C + ZERO_CELSIUS_K
    T = np.asarray(temperatures) + ZERO_CELSIUS_K
    R_interface = arrhenius_resistance_ohm(T, Ea_kJ_mol=Ea, R_ref_ohm=R_int, T_ref_K=T_ref, form=form)
    R_bulk = arrhenius_resistance_ohm(T, Ea_kJ_mol=Ea_bulk, R_ref_ohm=R_b, T_ref_K=T_ref, form=form)
    frequency = frequency_grid_Hz(frequency_max_Hz, frequency_min_Hz, points_per_decade)
    make_cell = na_symmetric_cell if system == "na-symmetric" else li_llzto_cell
    cells = [make_cell(temperature) for temperature in temperatures]
    arcs = [ZARC.from_cpe(float(R_T), Q, n_arc) for R_T in R_interface]
    circuits = [Series(R(float(R_bulk_T)), arc_T) for R_bulk_T, arc_T in zip(R_bulk, arcs)]
    spectra = _spectra_per_temperature(circuits, temperatures, cells, frequency, noise, seed)
    cell = cells[0]
    area = cell.working_electrode.area_cm2 or 1.0
    unit = "K_per_ohm" if form == "T/R" else "S"
    prefactor = _arrhenius_prefactor(Ea, R_int, T_ref, form)
    prefactor_bulk = _arrhenius_prefactor(Ea_bulk, R_b, T_ref, form)
    truth = {
        "form": form,
        "Ea_kJ_mol": Ea,
        "Ea_eV": kJ_mol_to_eV(Ea),
        f"prefactor_{unit}": prefactor,
        "ln_prefactor": math.log(prefactor),
        "Ea_bulk_kJ_mol": Ea_bulk,
        "Ea_bulk_eV": kJ_mol_to_eV(Ea_bulk),
        f"prefactor_bulk_{unit}": prefactor_bulk,
        "temperatures_C": temperatures,
        "R_interface_ohm": R_interface.tolist(),
        "ASR_interface_ohm_cm2": (R_interface * area / 2.0).tolist(),
        "R_bulk_ohm": R_bulk.tolist(),
        "tau_interface_s": [arc_T.tau_s for arc_T in arcs],
        "n_interface": n_arc,
        "Q_interface_S_s_n": Q,
        "reference_temperature_C": reference_temperature_C,
        "system": system,
        "circuit": "R0-Zarc1",
        "noise_pct": noise,
    }
    data = SpectrumSeries.of(
        spectra, cell=cell, provenance=_provenance("PEIS", "virtual variable-temperature EIS")
    )
    return VirtualExperiment(name=name, kind="eis-temperature", data=data, cell=cell, truth=truth, seed=seed)


def blocking_cell_spectrum(
    *,
    sigma_S_cm: float = 3e-4,
    thickness_um: float = 100.0,
    area_cm2: float = 2.0,
    temperature_C: float = 25.0,
    temperatures_C: Sequence[float] | None = None,
    Ea_kJ_mol: float = 30.0,
    relative_permittivity: float = 10.0,
    Q_blocking_S_s_n: float = 5e-6,
    n_blocking: float = 0.85,
    frequency_max_Hz: float = 7e6,
    frequency_min_Hz: float = 0.01,
    points_per_decade: int = 10,
    noise_pct: float = 0.2,
    seed: int | None = 0,
    name: str = "conductivity",
) -> VirtualExperiment:
    """An electrolyte film between blocking electrodes (paper 002): ``p(R_b, C_geo) - CPE``.

    ``R_b = L / (sigma S)`` (L = thickness, S = area), ``C_geo = eps0 eps_r S / L``, and a CPE for the
    blocking double layers. With ``temperatures_C`` one spectrum per temperature, the conductivity
    following ``sigma(T) = sigma exp(-Ea/R_gas (1/T - 1/T_ref))`` through ``sigma_S_cm`` at ``temperature_C``.
    Truth: sigma, R_b per spectrum, L, S, Ea and the Arrhenius prefactor.
    """
    sigma = check_positive("sigma_S_cm", sigma_S_cm)
    thickness_cm = check_positive("thickness_um", thickness_um) * 1e-4
    area = check_positive("area_cm2", area_cm2)
    Ea = check_positive("Ea_kJ_mol", Ea_kJ_mol, allow_zero=True)
    permittivity = check_positive("relative_permittivity", relative_permittivity)
    noise = _check_noise(noise_pct)
    _check_seed(seed)
    T_ref = temperature_C + ZERO_CELSIUS_K
    temperatures = [float(temperature_C)] if temperatures_C is None else [float(t) for t in temperatures_C]
    if not temperatures or any(not math.isfinite(t) or t <= -ZERO_CELSIUS_K for t in temperatures):
        raise ValidationError("temperatures_C", "give finite temperatures above -273.15 degC")
    if len(set(temperatures)) != len(temperatures):
        raise ValidationError("temperatures_C", "temperatures must be distinct")
    T = np.asarray(temperatures) + ZERO_CELSIUS_K
    sigmas = sigma * np.exp(-Ea * 1e3 / GAS_CONSTANT_J_MOL_K * (1.0 / T - 1.0 / T_ref))
    resistances = thickness_cm / (sigmas * area)
    C_geo = 8.8541878128e-14 * permittivity * area / thickness_cm  # F; eps0 in F/cm
    frequency = frequency_grid_Hz(frequency_max_Hz, frequency_min_Hz, points_per_decade)
    circuits = [Series(Parallel(R(float(R_T)), C(C_geo)), CPE(Q_blocking_S_s_n, n_blocking)) for R_T in resistances]
    cells = [blocking_cell(thickness_um, area, temperature) for temperature in temperatures]
    spectra = _spectra_per_temperature(circuits, temperatures, cells, frequency, noise, seed)
    cell = blocking_cell(thickness_um, area, temperatures[0])
    truth = {
        "sigma_S_cm": sigmas.tolist(),
        "R_bulk_ohm": resistances.tolist(),
        "temperatures_C": temperatures,
        "thickness_um": thickness_um,
        "area_cm2": area,
        "Ea_kJ_mol": Ea,
        "Ea_eV": kJ_mol_to_eV(Ea),
        "prefactor_S_cm": sigma * math.exp(Ea * 1e3 / (GAS_CONSTANT_J_MOL_K * T_ref)),
        "reference_temperature_C": temperature_C,
        "C_geometric_F": C_geo,
        "Q_blocking_S_s_n": Q_blocking_S_s_n,
        "n_blocking": n_blocking,
        "circuit": "p(R0,C1)-CPE2",
        "noise_pct": noise,
    }
    data = SpectrumSeries.of(
        spectra, cell=cell, provenance=_provenance("PEIS", "virtual blocking-electrode conductivity cell")
    )
    return VirtualExperiment(name=name, kind="conductivity", data=data, cell=cell, truth=truth, seed=seed)


__all__ = [
    "ARRHENIUS_FORMS",
    "INSTRUMENT",
    "SYSTEMS",
    "arrhenius_resistance_ohm",
    "blocking_cell",
    "blocking_cell_spectrum",
    "eis_spectrum",
    "frequency_grid_Hz",
    "insitu_eis_series",
    "li_llzto_cell",
    "na_symmetric_cell",
    "si_c_liquid_cell",
    "si_sulfide_cell",
    "si_sulfide_circuit",
    "symmetric_cell_circuit",
    "temperature_eis_series",
]
