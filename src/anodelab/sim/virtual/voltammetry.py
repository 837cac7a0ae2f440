"""Virtual potentiostat sweeps: cyclic voltammetry, linear sweeps and polarization (Tafel) curves.

Current sign as everywhere in anodelab: oxidation (anodic) current is positive. Potentials are of the
working electrode against the counter/reference (Li/Li+ or Na/Na+). Time follows from the scan rate,
``t = sum |dE| / nu``; a sample is taken every ``step_mV``.

- :func:`cyclic_voltammogram` (kind ``cv``): surface-confined (thin-layer) peaks at known potentials,
  ``i = -/+ I_p sech^2((E - E_p) / (2 w))`` with ``I_p = Q nu / (4 w)`` (peak charge Q, width
  ``w = R T / (n_app F)``), reduction peaks on cathodic sweeps only, oxidation peaks on anodic sweeps,
  plus a double-layer background ``C nu`` (its sign is the sweep's). Default: a Si anode (papers 000/002).
- :func:`plating_voltammogram` (kind ``cv``): Na plating and stripping on a bare substrate (paper 004):
  Butler-Volmer kinetics of Na/Na+ behind an ohmic drop, plating only once the overpotential has passed
  the nucleation barrier, stripping limited by the Na left, a fraction (1 - CE) of each plated charge lost.
- :func:`linear_sweep` (kind ``lsv``): a cathodic sweep with electrolyte/additive decomposition waves
  ``i = -I_k / (1 + exp((E - E_k) / w_k))`` whose dI/dV peaks lie exactly at ``E_k`` (paper 003).
- :func:`polarization_curve` (kind ``polarization``): a slow sweep through Butler-Volmer kinetics with a
  known exchange current density (paper 004's Tafel plot), optionally behind an ohmic resistance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.errors import ValidationError
from anodelab.core.record import Provenance, Record
from anodelab.models.kinetics import (
    butler_volmer_mA_cm2,
    charge_transfer_resistance_ohm_cm2,
    check_positive,
    tafel_slope_mV_dec,
    thermal_voltage_V,
)
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.protocol import INSTRUMENT

PEAK_CYCLES = ("all", "first", "later")
#: one sweep of a voltammogram: (cycle, direction "reduction" or "oxidation", potentials V)
_Sweep = tuple[int, str, NDArray[np.float64]]


@dataclass(frozen=True)
class RedoxPeak:
    """One voltammetric peak: potential (V), direction, charge per sweep (mC), width ``w`` (V), cycles."""

    potential_V: float
    direction: str
    charge_mC: float
    width_V: float = 0.025
    cycles: str = "all"
    label: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("reduction", "oxidation"):
            raise ValidationError("direction", f"expected 'reduction' or 'oxidation', got {self.direction!r}")
        if self.cycles not in PEAK_CYCLES:
            raise ValidationError("cycles", f"expected one of {', '.join(PEAK_CYCLES)}, got {self.cycles!r}")
        if not math.isfinite(self.potential_V):
            raise ValidationError("potential_V", f"must be finite, got {self.potential_V!r}")
        check_positive("charge_mC", self.charge_mC)
        check_positive("width_V", self.width_V)

    def active(self, cycle: int) -> bool:
        return self.cycles == "all" or (self.cycles == "first") == (cycle == 1)

    def current_mA(self, potential_V: NDArray[np.float64], scan_rate_V_s: float) -> NDArray[np.float64]:
        """The peak's current (mA) during a sweep in its own direction."""
        height = self.charge_mC * scan_rate_V_s / (4.0 * self.width_V)  # mC/s = mA
        shape = 1.0 / np.cosh((potential_V - self.potential_V) / (2.0 * self.width_V)) ** 2
        return (height if self.direction == "oxidation" else -height) * shape

    def charge_within_mC(self, low_V: float, high_V: float) -> float:
        """Charge (mC) the peak passes in a sweep between ``low_V`` and ``high_V``: Q [tanh]/2."""
        w2 = 2.0 * self.width_V
        return (
            self.charge_mC
            * 0.5
            * (math.tanh((high_V - self.potential_V) / w2) - math.tanh((low_V - self.potential_V) / w2))
        )


def redox_couple(
    E0_V: float, *, separation_V: float, charge_mC: float, width_V: float = 0.025, label: str = ""
) -> tuple[RedoxPeak, RedoxPeak]:
    """A couple's reduction and oxidation peaks at ``E0 -/+ separation / 2`` (0 separation: reversible)."""
    check_positive("separation_V", separation_V, allow_zero=True)
    half = separation_V / 2.0
    return (
        RedoxPeak(E0_V - half, "reduction", charge_mC, width_V, label=label),
        RedoxPeak(E0_V + half, "oxidation", charge_mC, width_V, label=label),
    )


def si_peaks() -> tuple[RedoxPeak, ...]:
    """A Si anode's CV: SEI formation (~0.8 V) and crystalline-Si lithiation (~0.08 V) in cycle 1, amorphous
    Li-Si alloying at 0.20 and 0.05 V from cycle 2, dealloying at 0.33 and 0.50 V every cycle."""
    return (
        RedoxPeak(0.80, "reduction", 150.0, 0.06, cycles="first", label="SEI"),
        RedoxPeak(0.08, "reduction", 2200.0, 0.015, cycles="first", label="c-Si lithiation"),
        RedoxPeak(0.20, "reduction", 900.0, 0.03, cycles="later", label="a-Si alloying 1"),
        RedoxPeak(0.05, "reduction", 1100.0, 0.02, cycles="later", label="a-Si alloying 2"),
        RedoxPeak(0.33, "oxidation", 1000.0, 0.03, label="dealloying 1"),
        RedoxPeak(0.50, "oxidation", 900.0, 0.035, label="dealloying 2"),
    )


def si_cv_cell() -> CellInfo:
    """MSi-C film | PVDF-HFP/LATP | Li half-cell (paper 002's CV cell, 2025 coin, 12 mm electrode)."""
    return CellInfo(
        cell_type="anode-half",
        working_electrode=Electrode(material="MSi-C", mass_mg=0.6, active_fraction=0.8, area_cm2=1.13),
        counter_electrode=Electrode(material="Li"),
        electrolyte=Electrolyte(kind="PVDF-HFP/LATP"),
        temperature_C=25.0,
        notes="virtual MSi-C | PVDF-HFP/LATP | Li half-cell",
    )


def _check_sweep(step_mV: float, scan_rate_mV_s: float) -> tuple[float, float]:
    return check_positive("step_mV", step_mV) * 1e-3, check_positive("scan_rate_mV_s", scan_rate_mV_s) * 1e-3


def _check_cycles(n_cycles: int) -> None:
    if isinstance(n_cycles, bool) or not isinstance(n_cycles, int) or n_cycles < 1:
        raise ValidationError("n_cycles", f"must be a positive integer, got {n_cycles!r}")


def _segment(start_V: float, end_V: float, step_V: float) -> NDArray[np.float64]:
    """Potentials from start to end (both included), about ``step_V`` apart."""
    count = max(math.ceil(abs(end_V - start_V) / step_V), 1)
    return np.linspace(start_V, end_V, count + 1)


def _cycle_sweeps(high_V: float, low_V: float, n_cycles: int, step_V: float) -> list[_Sweep]:
    """The sweeps of ``n_cycles`` cycles, each a cathodic sweep ("reduction") from ``high_V`` to ``low_V`` and
    an anodic one ("oxidation") back; a vertex belongs to the sweep that ends there."""
    sweeps: list[_Sweep] = []
    for cycle in range(1, n_cycles + 1):
        for direction, start, end in (("reduction", high_V, low_V), ("oxidation", low_V, high_V)):
            segment = _segment(start, end, step_V)
            sweeps.append((cycle, direction, segment[1:] if sweeps else segment))
    return sweeps


def _joined(sweeps: Sequence[_Sweep]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The sweeps' potentials end to end, and the step column (1, 2, ..., one step per sweep)."""
    potential = np.concatenate([segment for _, _, segment in sweeps])
    steps = np.concatenate([np.full(segment.size, index + 1) for index, (_, _, segment) in enumerate(sweeps)])
    return potential, steps


def _times(potential: NDArray[np.float64], scan_rate_V_s: float) -> NDArray[np.float64]:
    return np.concatenate(([0.0], np.cumsum(np.abs(np.diff(potential))))) / scan_rate_V_s


def _with_noise(current_mA: NDArray[np.float64], noise_uA: float, seed: int | None) -> NDArray[np.float64]:
    """``current_mA`` plus Gaussian noise of standard deviation ``noise_uA`` drawn from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    if noise_uA > 0:
        return current_mA + rng.normal(0.0, noise_uA * 1e-3, current_mA.size)
    return current_mA


def _sweep_record(
    time_s: NDArray[np.float64],
    potential_V: NDArray[np.float64],
    current_mA: NDArray[np.float64],
    cell: CellInfo,
    *,
    techniques: tuple[str, ...],
    note: str,
    steps: NDArray[np.int64] | None = None,
) -> Record:
    """The sweep as a Record from the virtual lab; ``steps`` None: a single step."""
    return Record.from_columns(
        {
            "time_s": time_s,
            "voltage_V": potential_V,
            "current_mA": current_mA,
            "step": np.ones(potential_V.size, dtype=int) if steps is None else steps,
        },
        cell=cell,
        provenance=Provenance(instrument=INSTRUMENT, techniques=techniques, notes=(note,)),
    )


def _observed_extremum(peak: RedoxPeak, current: Any, low_V: float, high_V: float) -> float | None:
    """Potential (V) of the local extremum of ``current(E)`` (signed by the peak's direction) nearest the
    peak, within 6 widths, on a 1 uV grid; None where the window cuts it off."""
    low = max(low_V, peak.potential_V - 6 * peak.width_V)
    high = min(high_V, peak.potential_V + 6 * peak.width_V)
    if high - low < 2e-6:  # the peak lies outside the window: nothing of it is observed
        return None
    grid = np.linspace(low, high, int((high - low) / 1e-6) + 1)
    values = current(grid) * (1.0 if peak.direction == "oxidation" else -1.0)
    interior = np.flatnonzero((values[1:-1] >= values[:-2]) & (values[1:-1] > values[2:])) + 1
    if interior.size == 0:
        return None
    return float(grid[interior[np.argmin(np.abs(grid[interior] - peak.potential_V))]])


# -- cyclic voltammetry of surface-confined peaks ---------------------------------------------------------


def _cv_current_mA(
    peaks: Sequence[RedoxPeak],
    capacitance_mF: float,
    scan_rate_V_s: float,
    cycle: int,
    direction: str,
    potential: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Current (mA) of one sweep: the double-layer background ``C nu`` signed by the sweep's direction,
    plus the peaks of that direction active in ``cycle``."""
    background = capacitance_mF * scan_rate_V_s * (1.0 if direction == "oxidation" else -1.0)  # mF x V/s = mA
    current = np.full(potential.shape, background)
    for peak in peaks:
        if peak.direction == direction and peak.active(cycle):
            current = current + peak.current_mA(potential, scan_rate_V_s)
    return current


def _peak_truth(
    peak: RedoxPeak, current_of: Any, n_cycles: int, low_V: float, high_V: float, scan_rate_V_s: float
) -> dict[str, Any]:
    """A peak's parameters, the cycles it appears in, its charge within the window, its height (mA, signed)
    and the extremum of the noiseless current ``current_of(cycle, direction, E)`` near it in its first cycle."""
    cycles = [c for c in range(1, n_cycles + 1) if peak.active(c)]
    observed = None
    if cycles:
        observed = _observed_extremum(peak, partial(current_of, cycles[0], peak.direction), low_V, high_V)
    return {
        "label": peak.label,
        "potential_V": peak.potential_V,
        "direction": peak.direction,
        "charge_mC": peak.charge_mC,
        "width_V": peak.width_V,
        "cycles": cycles,
        "charge_in_window_mC": peak.charge_within_mC(low_V, high_V),
        "peak_current_mA": math.copysign(
            peak.charge_mC * scan_rate_V_s / (4.0 * peak.width_V), 1.0 if peak.direction == "oxidation" else -1.0
        ),
        "observed_peak_V": observed,
    }


def cyclic_voltammogram(
    *,
    peaks: Sequence[RedoxPeak] | None = None,
    scan_rate_mV_s: float = 0.2,
    vertex_low_V: float = 0.005,
    vertex_high_V: float = 1.5,
    n_cycles: int = 3,
    capacitance_mF: float = 0.5,
    step_mV: float = 2.0,
    noise_uA: float = 0.0,
    seed: int | None = 0,
    cell: CellInfo | None = None,
    name: str = "cv",
) -> VirtualExperiment:
    """Cycles of (cathodic sweep high -> low, anodic sweep low -> high) from ``vertex_high_V``.

    Defaults: paper 002's Si CV (0.005-1.5 V vs Li at 0.2 mV/s) with :func:`si_peaks`. Truth: every peak
    (potential, direction, charge, width, cycles), the charge each passes per cycle within the window,
    the potential of the noiseless current's extremum near each peak (equal to the peak potential unless
    peaks overlap or the vertex cuts one), the scan rate and the double-layer capacitance.
    """
    step, nu = _check_sweep(step_mV, scan_rate_mV_s)
    if not (math.isfinite(vertex_low_V) and math.isfinite(vertex_high_V)) or vertex_low_V >= vertex_high_V:
        raise ValidationError(
            "vertex_low_V", f"must be below vertex_high_V ({vertex_high_V!r}), got {vertex_low_V!r}"
        )
    _check_cycles(n_cycles)
    capacitance = check_positive("capacitance_mF", capacitance_mF, allow_zero=True)
    noise = check_positive("noise_uA", noise_uA, allow_zero=True)
    peaks = tuple(si_peaks() if peaks is None else peaks)
    cell = si_cv_cell() if cell is None else cell
    current_of = partial(_cv_current_mA, peaks, capacitance, nu)
    sweeps = _cycle_sweeps(vertex_high_V, vertex_low_V, n_cycles, step)
    potential, steps = _joined(sweeps)
    current = _with_noise(np.concatenate([current_of(*sweep) for sweep in sweeps]), noise, seed)
    record = _sweep_record(_times(potential, nu), potential, current, cell, techniques=("CV",),
                           note=f"virtual CV at {scan_rate_mV_s:g} mV/s", steps=steps)
    truth = {
        "peaks": [_peak_truth(peak, current_of, n_cycles, vertex_low_V, vertex_high_V, nu) for peak in peaks],
        "scan_rate_mV_s": scan_rate_mV_s,
        "vertex_low_V": vertex_low_V,
        "vertex_high_V": vertex_high_V,
        "n_cycles": n_cycles,
        "capacitance_mF": capacitance,
        "capacitive_current_mA": capacitance * nu,
        "noise_uA": noise,
    }
    return VirtualExperiment(name=name, kind="cv", data=record, cell=cell, truth=truth, seed=seed)


# -- Na plating and stripping CV ------------------------------------------------------------------------


def plating_cell(area_cm2: float) -> CellInfo:
    """Zn@Ag substrate | NaPF6-diglyme | Na plating cell of paper 004."""
    return CellInfo(
        cell_type="plating",
        working_electrode=Electrode(material="Zn@Ag", area_cm2=area_cm2),
        counter_electrode=Electrode(material="Na"),
        electrolyte=Electrolyte(kind="NaPF6 in diglyme"),
        temperature_C=25.0,
        notes="virtual Zn@Ag | NaPF6-diglyme | Na plating cell",
    )


def _plating_current(
    E_V: float,
    *,
    I0_mA: float,
    alpha: float,
    f: float,
    R_ohm: float,
    can_plate: bool,
    sodium_mC: float,
    reference_mC: float,
    dt_s: float,
) -> float:
    """Faradaic current (mA) at electrode potential ``E_V`` vs Na/Na+, solved implicitly over one sample.

    ``I = I0 [a exp(alpha f eta) - p exp(-(1 - alpha) f eta)]`` with ``eta = E - I R``, ``p`` = 1 when
    plating can proceed, and ``a = q' / (q' + q_ref)`` the Na available after the sample
    (``q' = q - max(I, 0) dt``). The residual ``I - rhs(I)`` increases strictly, so bisection
    between the two kinetic bounds converges; the implicit ``a`` never strips more Na than there is.
    """
    if sodium_mC <= 0.0 and not can_plate:
        return 0.0  # a bare substrate below the nucleation barrier passes no faradaic current

    def rhs(current: float) -> float:
        eta = E_V - current * 1e-3 * R_ohm
        left = sodium_mC - max(current, 0.0) * dt_s
        available = left / (left + reference_mC) if left > 0 and reference_mC > 0 else 0.0
        anodic = available * math.exp(min(alpha * f * eta, 700.0))
        cathodic = math.exp(min(-(1.0 - alpha) * f * eta, 700.0)) if can_plate else 0.0
        return I0_mA * (anodic - cathodic)

    low = -I0_mA * math.exp(min(-(1.0 - alpha) * f * E_V, 700.0)) - 1e-12
    high = I0_mA * math.exp(min(alpha * f * E_V, 700.0)) + 1e-12
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle - rhs(middle) > 0:
            high = middle
        else:
            low = middle
        if high - low <= 1e-13 * max(1.0, abs(high)):
            break
    return 0.5 * (low + high)


def _plate_and_strip(
    potential: NDArray[np.float64],
    time: NDArray[np.float64],
    *,
    I0_mA: float,
    alpha: float,
    T_K: float,
    R_ohm: float,
    barrier_V: float,
    efficiency: float,
) -> tuple[NDArray[np.float64], list[float]]:
    """Faradaic current (mA) of every sample, one implicit solve each (:func:`_plating_current`), following
    the Na on the substrate; and the potential (V) of every nucleation (plating onset on a bare substrate)."""
    f = 1.0 / thermal_voltage_V(T_K)
    faradaic = np.zeros(potential.size)
    sodium = deposit = 0.0  # mC: Na on the substrate now, and the most since it was last bare
    onsets: list[float] = []
    for k, E in enumerate(potential):
        dt = time[k + 1] - time[k] if k + 1 < potential.size else time[k] - time[k - 1]
        eta_estimate = E - (faradaic[k - 1] * 1e-3 * R_ohm if k else 0.0)
        can_plate = sodium > 0.0 or eta_estimate <= -barrier_V
        if sodium == 0.0 and can_plate:
            onsets.append(float(E))
        faradaic[k] = _plating_current(
            float(E),
            I0_mA=I0_mA,
            alpha=alpha,
            f=f,
            R_ohm=R_ohm,
            can_plate=can_plate,
            sodium_mC=sodium,
            reference_mC=0.01 * deposit,
            dt_s=dt,
        )
        if faradaic[k] < 0:
            sodium += -faradaic[k] * dt * efficiency  # (1 - CE) of the plated charge becomes dead Na
            deposit = max(deposit, sodium)
        else:
            sodium -= faradaic[k] * dt
        if sodium <= max(1e-9 * deposit, 1e-12):
            sodium = deposit = 0.0  # bare substrate again: the next plating must nucleate
    return faradaic, onsets


def _plating_cycles(
    time: NDArray[np.float64],
    potential: NDArray[np.float64],
    faradaic: NDArray[np.float64],
    direction: NDArray[np.float64],
    steps: NDArray[np.int64],
    n_cycles: int,
) -> list[dict[str, float]]:
    """Per cycle the faradaic plated and stripped charge (mC, trapezoid), their ratio, and the stripping peak."""
    cycle_of = (steps + 1) // 2
    per_cycle = []
    for cycle in range(1, n_cycles + 1):
        rows = np.flatnonzero(cycle_of == cycle)
        segments = 0.5 * (faradaic[rows][1:] + faradaic[rows][:-1]) * np.diff(time[rows])
        strip_rows = rows[direction[rows] > 0]
        peak_index = int(np.argmax(faradaic[strip_rows]))
        plated, stripped = float(-segments[segments < 0].sum()), float(segments[segments > 0].sum())
        per_cycle.append(
            {
                "plated_mC": plated,
                "stripped_mC": stripped,
                "stripping_peak_V": float(potential[strip_rows][peak_index]),
                "stripping_peak_mA": float(faradaic[strip_rows][peak_index]),
                "coulombic_efficiency": stripped / plated,
            }
        )
    return per_cycle


def plating_voltammogram(
    *,
    i0_mA_cm2: float = 2.0,
    alpha: float = 0.5,
    area_cm2: float = 1.13,
    R_ohm: float = 5.0,
    nucleation_overpotential_V: float = 0.03,
    coulombic_efficiency: float = 0.99,
    scan_rate_mV_s: float = 1.0,
    vertex_low_V: float = -0.1,
    vertex_high_V: float = 0.5,
    n_cycles: int = 3,
    capacitance_mF: float = 0.02,
    step_mV: float = 1.0,
    T_K: float = 298.15,
    noise_uA: float = 0.0,
    seed: int | None = 0,
    name: str = "plating_cv",
) -> VirtualExperiment:
    """Na plating/stripping CV on a bare substrate (paper 004): cycles from ``vertex_high_V`` down and back.

    Plating needs the electrode overpotential (after the ohmic drop) to pass ``-nucleation_overpotential_V``
    whenever no Na is left on the substrate; it then follows Butler-Volmer (``i0_mA_cm2``, ``alpha``);
    stripping uses the Na present, ``a = q / (q + 0.01 q_max)``; a fraction (1 - CE) of every plated
    charge is lost. One implicit solve per sample (:func:`_plating_current`). Truth: the parameters,
    the plating onset potential of every nucleation, and per cycle the faradaic plated and stripped
    charge (mC, trapezoid over the noiseless samples), their ratio and the stripping peak (at the
    sampling resolution).
    """
    step, nu = _check_sweep(step_mV, scan_rate_mV_s)
    i0 = check_positive("i0_mA_cm2", i0_mA_cm2)
    if not 0.0 < alpha < 1.0:
        raise ValidationError("alpha", f"must lie in (0, 1), got {alpha!r}")
    area = check_positive("area_cm2", area_cm2)
    resistance = check_positive("R_ohm", R_ohm, allow_zero=True)
    barrier = check_positive("nucleation_overpotential_V", nucleation_overpotential_V, allow_zero=True)
    efficiency = check_positive("coulombic_efficiency", coulombic_efficiency)
    if efficiency > 1.0:
        raise ValidationError("coulombic_efficiency", f"must lie in (0, 1], got {coulombic_efficiency!r}")
    if not vertex_low_V < 0.0 < vertex_high_V:
        raise ValidationError(
            "vertex_low_V", "the window must include 0 V vs Na/Na+ (plating below, stripping above)"
        )
    _check_cycles(n_cycles)
    capacitance = check_positive("capacitance_mF", capacitance_mF, allow_zero=True)
    noise = check_positive("noise_uA", noise_uA, allow_zero=True)
    sweeps = _cycle_sweeps(vertex_high_V, vertex_low_V, n_cycles, step)
    potential, steps = _joined(sweeps)
    direction = np.concatenate([np.full(segment.size, -1.0 if way == "reduction" else 1.0)
                                for _, way, segment in sweeps])
    time = _times(potential, nu)
    faradaic, onsets = _plate_and_strip(potential, time, I0_mA=i0 * area, alpha=alpha, T_K=T_K, R_ohm=resistance,
                                        barrier_V=barrier, efficiency=efficiency)
    current = _with_noise(faradaic + capacitance * nu * direction, noise, seed)
    cell = plating_cell(area)
    record = _sweep_record(time, potential, current, cell, techniques=("CV",), note="virtual Na plating/stripping CV",
                           steps=steps)
    truth = {
        "i0_mA_cm2": i0,
        "alpha": alpha,
        "area_cm2": area,
        "R_ohm": resistance,
        "nucleation_overpotential_V": barrier,
        "coulombic_efficiency": efficiency,
        "scan_rate_mV_s": scan_rate_mV_s,
        "vertex_low_V": vertex_low_V,
        "vertex_high_V": vertex_high_V,
        "T_K": T_K,
        "capacitance_mF": capacitance,
        "plating_onset_V": onsets,
        "cycles": _plating_cycles(time, potential, faradaic, direction, steps, n_cycles),
        "noise_uA": noise,
    }
    return VirtualExperiment(name=name, kind="cv", data=record, cell=cell, truth=truth, seed=seed)


# -- linear sweep with decomposition waves --------------------------------------------------------------


def _check_waves(
    start_V: float,
    end_V: float,
    onsets_V: Sequence[float],
    currents_mA: Sequence[float],
    widths_V: Sequence[float],
    labels: Sequence[str],
) -> None:
    """A cathodic sweep (``end_V`` below ``start_V``) with at least one wave, each with a current, a width
    and a label, each onset inside the sweep."""
    if not (math.isfinite(start_V) and math.isfinite(end_V)) or end_V >= start_V:
        raise ValidationError(
            "end_V", f"a cathodic sweep must end below start_V ({start_V!r}), got {end_V!r}"
        )
    count = len(onsets_V)
    if count == 0:
        raise ValidationError("onsets_V", "give at least one decomposition onset")
    if not len(currents_mA) == len(widths_V) == len(labels) == count:
        raise ValidationError(
            "currents_mA", f"onsets_V, currents_mA, widths_V and labels need {count} entries each"
        )
    for index in range(count):
        check_positive(f"currents_mA[{index}]", currents_mA[index])
        check_positive(f"widths_V[{index}]", widths_V[index])
        if not end_V < onsets_V[index] < start_V:
            raise ValidationError(
                f"onsets_V[{index}]", f"must lie inside the sweep ({end_V:g}..{start_V:g} V)"
            )


def _dIdV_peaks_V(
    onsets_V: Sequence[float], currents_mA: Sequence[float], widths_V: Sequence[float], low_V: float, high_V: float
) -> list[float | None]:
    """The maxima of the waves' total dI/dV nearest each onset, to 1 uV (None where the window cuts one off)."""

    def slope_mA_V(E: NDArray[np.float64]) -> NDArray[np.float64]:
        return sum(
            (
                plateau / (4.0 * width) / np.cosh((E - onset) / (2.0 * width)) ** 2
                for onset, plateau, width in zip(onsets_V, currents_mA, widths_V)
            ),
            np.zeros(E.shape),
        )

    return [
        _observed_extremum(
            RedoxPeak(float(onset), "oxidation", 1.0, float(width)), slope_mA_V, low_V, high_V
        )
        for onset, width in zip(onsets_V, widths_V)
    ]


def _si_c_lsv_cell() -> CellInfo:
    """Si/C | LHCE-FL | Li half-cell of paper 003."""
    return CellInfo(
        cell_type="anode-half",
        working_electrode=Electrode(material="Si/C", area_cm2=1.13),
        counter_electrode=Electrode(material="Li"),
        electrolyte=Electrolyte(kind="LHCE-FL (LiFSI, FEC, LiNO3 in DME/TTE)"),
        temperature_C=25.0,
        notes="virtual Si/C | LHCE-FL | Li half-cell",
    )


def linear_sweep(
    *,
    onsets_V: Sequence[float] = (1.4, 1.0, 0.8),
    currents_mA: Sequence[float] = (0.02, 0.03, 0.05),
    widths_V: Sequence[float] = (0.02, 0.025, 0.025),
    labels: Sequence[str] = ("LiNO3/LiFSI", "FEC", "DME"),
    start_V: float = 3.0,
    end_V: float = 0.01,
    scan_rate_mV_s: float = 0.5,
    capacitance_mF: float = 1.0,
    step_mV: float = 1.0,
    noise_uA: float = 0.0,
    seed: int | None = 0,
    name: str = "lsv",
) -> VirtualExperiment:
    """A cathodic LSV of a Si/C electrode with decomposition waves at known potentials (paper 003).

    Each wave is ``-I_k / (1 + exp((E - E_k) / w_k))``: it sets on around ``E_k`` and saturates at ``-I_k``;
    alone, its ``dI/dV = I_k / (4 w_k) sech^2((E - E_k) / (2 w_k))`` peaks exactly at ``E_k``. Background
    ``-C nu``. Truth: the onsets, plateau currents, widths, labels, and the maxima of the total dI/dV
    nearest each onset (to 1 uV; they move off ``E_k`` only where waves overlap).
    """
    step, nu = _check_sweep(step_mV, scan_rate_mV_s)
    _check_waves(start_V, end_V, onsets_V, currents_mA, widths_V, labels)
    capacitance = check_positive("capacitance_mF", capacitance_mF, allow_zero=True)
    noise = check_positive("noise_uA", noise_uA, allow_zero=True)
    potential = _segment(start_V, end_V, step)
    current = np.full(potential.size, -capacitance * nu)
    for onset, plateau, width in zip(onsets_V, currents_mA, widths_V):
        current = current - plateau / (1.0 + np.exp((potential - onset) / width))
    current = _with_noise(current, noise, seed)
    cell = _si_c_lsv_cell()
    record = _sweep_record(_times(potential, nu), potential, current, cell, techniques=("LSV",),
                           note=f"virtual LSV at {scan_rate_mV_s:g} mV/s")
    truth = {
        "onsets_V": [float(v) for v in onsets_V],
        "dIdV_peak_V": _dIdV_peaks_V(onsets_V, currents_mA, widths_V, end_V, start_V),
        "plateau_currents_mA": [float(v) for v in currents_mA],
        "widths_V": [float(v) for v in widths_V],
        "labels": list(labels),
        "dIdV_peak_mA_V": [float(i) / (4.0 * float(w)) for i, w in zip(currents_mA, widths_V)],
        "start_V": start_V,
        "end_V": end_V,
        "scan_rate_mV_s": scan_rate_mV_s,
        "capacitance_mF": capacitance,
        "noise_uA": noise,
    }
    return VirtualExperiment(name=name, kind="lsv", data=record, cell=cell, truth=truth, seed=seed)


# -- polarization (Tafel) curve -------------------------------------------------------------------------


def _overpotential_V(
    voltage_V: NDArray[np.float64], density_mA_cm2: Any, area_cm2: float, R_ohm: float
) -> NDArray[np.float64]:
    """The overpotential behind each cell voltage ``V = eta + A i(eta) R`` (V), ``i = density_mA_cm2(eta)``."""
    high = np.maximum(voltage_V, 0.0) + 1.0
    low = np.minimum(voltage_V, 0.0) - 1.0
    for _ in range(200):  # V(eta) increases strictly: bisection on eta, vectorised
        middle = 0.5 * (low + high)
        above = middle + R_ohm * 1e-3 * area_cm2 * density_mA_cm2(middle) > voltage_V
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
        if np.all(high - low < 1e-13):
            break
    return 0.5 * (low + high)


def _tafel_cell(area_cm2: float, T_K: float) -> CellInfo:
    """Zn@Ag-Na | NaPF6-diglyme | Na cell of paper 004's Tafel plot."""
    return CellInfo(
        cell_type="plating",
        working_electrode=Electrode(material="Zn@Ag-Na", area_cm2=area_cm2),
        counter_electrode=Electrode(material="Na"),
        electrolyte=Electrolyte(kind="NaPF6 in diglyme"),
        temperature_C=T_K - 273.15,
        notes="virtual Zn@Ag-Na | NaPF6-diglyme | Na Tafel cell",
    )


def polarization_curve(
    *,
    i0_mA_cm2: float = 2.0,
    alpha_a: float = 0.5,
    alpha_c: float | None = None,
    T_K: float = 298.15,
    area_cm2: float = 1.13,
    R_ohm: float = 0.0,
    eta_max_V: float = 0.2,
    scan_rate_mV_s: float = 1.0,
    step_mV: float = 1.0,
    noise_pct: float = 0.0,
    seed: int | None = 0,
    name: str = "tafel",
) -> VirtualExperiment:
    """A potentiodynamic sweep from ``-eta_max_V`` to ``+eta_max_V`` through Butler-Volmer kinetics (paper 004).

    The working electrode (Zn@Ag-Na) is measured against a non-polarisable Na counter, so the voltage is
    ``V = eta + I R_ohm`` with ``I = A i(eta)``. Relative Gaussian noise ``noise_pct`` on the current.
    Truth: i0 (mA/cm2 and mA), alpha_a, alpha_c, T, the Tafel slopes (mV/dec), R_ct (ohm cm2) and the
    exact overpotential of every row.
    """
    step, nu = _check_sweep(step_mV, scan_rate_mV_s)
    i0 = check_positive("i0_mA_cm2", i0_mA_cm2)
    anodic = check_positive("alpha_a", alpha_a)
    cathodic = check_positive("alpha_c", 1.0 - anodic if alpha_c is None else alpha_c)
    area = check_positive("area_cm2", area_cm2)
    resistance = check_positive("R_ohm", R_ohm, allow_zero=True)
    span = check_positive("eta_max_V", eta_max_V)
    noise = check_positive("noise_pct", noise_pct, allow_zero=True)
    voltage = _segment(-span, span, step)
    density = partial(butler_volmer_mA_cm2, i0_mA_cm2=i0, alpha_a=anodic, alpha_c=cathodic, T_K=T_K)
    eta = _overpotential_V(voltage, density, area, resistance)
    current = area * density(eta)
    rng = np.random.default_rng(seed)
    if noise > 0:
        current = current * (1.0 + noise / 100.0 * rng.standard_normal(current.size))
    cell = _tafel_cell(area, T_K)
    record = _sweep_record(_times(voltage, nu), voltage, current, cell, techniques=("LSV", "Tafel"),
                           note="virtual polarization curve")
    truth = {
        "i0_mA_cm2": i0,
        "I0_mA": i0 * area,
        "alpha_a": anodic,
        "alpha_c": cathodic,
        "T_K": T_K,
        "area_cm2": area,
        "R_ohm": resistance,
        "tafel_slope_anodic_mV_dec": tafel_slope_mV_dec(anodic, T_K),
        "tafel_slope_cathodic_mV_dec": tafel_slope_mV_dec(cathodic, T_K),
        "R_ct_ohm_cm2": charge_transfer_resistance_ohm_cm2(i0, alpha_a=anodic, alpha_c=cathodic, T_K=T_K),
        "eta_V": eta.tolist(),
        "scan_rate_mV_s": scan_rate_mV_s,
        "noise_pct": noise,
    }
    return VirtualExperiment(name=name, kind="polarization", data=record, cell=cell, truth=truth, seed=seed)
