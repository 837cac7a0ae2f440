"""Galvanostatic cycling with known capacities: a Si-like half-cell, a Si || NCM811 full cell, a rate test.

Every half-cycle ends exactly at its capacity (a parameter-derived truth); its voltage profile is
bent to reach the cutoff voltage at that point, as if the cutoff had ended it. Capacities per cycle
``k = 1, 2, ...``::

    closing_k = closing_1 * f_k * (1 - fade)^(k - 1)          (extraction / discharge, mAh)
    CE_k      = CE_inf - (CE_inf - ICE) * exp(-(k - 1) / n_CE)  (so CE_1 = ICE)
    opening_k = closing_k / CE_k                               (insertion / charge, mAh)

with ``f_k = 1`` for plain cycling and ``f_k = (j_k / j_ref)^(-alpha)`` in a rate test. With ``x``
the fraction of the half-cycle passed and ``E(x)`` an open-circuit-like shape, the voltage is::

    V(x) = E(x) + I R + (V_cutoff - E(1) - I R) exp(-(1 - x) / 0.02)

(Si: crystalline plateau at ~0.1 V on the first lithiation, amorphous slopes at ~0.25 and ~0.1 V
after, delithiation at ~0.3-0.5 V; recorded vs the counter electrode, ``E_vs_Li - counter_potential_V``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.errors import ValidationError
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.protocol import (
    FloatArray,
    ProtocolRun,
    Step,
    count,
    finite,
    fraction,
    non_negative,
    parameters,
    positive,
    run_protocol,
    to_record,
)

Shape = Callable[[FloatArray], FloatArray]
_TAIL = 0.02  # fraction of a half-cycle over which the profile bends to its cutoff


def alloy_half_cell(
    *,
    n_cycles: int = 10,
    electrode_mass_mg: float = 1.0,
    active_fraction: float = 0.8,
    area_cm2: float = 0.503,
    reversible_capacity_mAh_g: float = 2218.0,
    ice: float = 0.763,
    coulombic_efficiency: float = 0.995,
    ce_recovery_cycles: float = 1.0,
    fade_per_cycle: float = 0.002,
    current_density_A_g: float = 0.1,
    lower_cutoff_V: float = 0.01,
    upper_cutoff_V: float = 1.5,
    ocv_V: float = 2.5,
    resistance_ohm: float = 10.0,
    counter_electrode: str = "Li",
    counter_potential_V: float = 0.0,
    initial_rest_s: float = 0.0,
    cv_hold: bool = False,
    cv_fraction: float = 0.05,
    cv_end_current_ratio: float = 0.2,
    samples_per_half_cycle: int = 100,
    noise_V: float = 0.0005,
    temperature_C: float = 60.0,
    seed: int = 0,
    name: str = "si_half_cell",
) -> VirtualExperiment:
    """A Si-like anode vs Li (cell_type "anode-half"), lithiation first (negative current).

    Specific capacities are per g of active material (``electrode_mass_mg * active_fraction``, the
    Si in a Si-ZnO composite); the current is ``current_density_A_g * active mass`` (A/g x mg = mA).
    The first extraction is ``reversible_capacity_mAh_g``, the first insertion that over ``ice``.
    ``cv_hold`` ends each delithiation with a constant-voltage hold at ``upper_cutoff_V`` that passes
    ``cv_fraction`` of the half-cycle's capacity (current decaying as exp(-t/tau), tau set so it would
    reach ``cv_end_current_ratio`` of the CC current). ``initial_rest_s`` > 0 starts the file with an
    OCV rest at ``ocv_V``. Voltages are given vs Li/Li+; ``counter_potential_V`` (0.62 for Li-In)
    shifts the recorded cell voltage.
    """
    params = parameters(locals())
    n = count("n_cycles", n_cycles)
    density = positive("current_density_A_g", current_density_A_g)
    active_mg = _check_half_cell(params)
    cv = _cv_option(cv_hold, cv_fraction, cv_end_current_ratio)
    extraction, insertion, ce = _capacities(reversible_capacity_mAh_g * active_mg / 1000.0, np.ones(n), params)
    currents = np.full(n, density * active_mg)
    run = _run_half_cell(currents, insertion, extraction, cv, initial_rest_s, params)
    truth = {
        **params,
        "cell_type": "anode-half",
        "active_mass_mg": active_mg,
        "current_mA": float(currents[0]),
        **_capacity_truth(insertion, extraction, ce, active_mg, "insertion", "extraction"),
        **_cv_split(run, cv, n, opening=False),
    }
    return _experiment(name, "cycling", run, _half_cell(params), truth, "cycling.alloy_half_cell")


def rate_test(
    *,
    current_densities_A_g: Sequence[float] = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 0.1),
    cycles_per_block: int = 3,
    electrode_mass_mg: float = 1.0,
    active_fraction: float = 0.8,
    area_cm2: float = 0.503,
    reversible_capacity_mAh_g: float = 2218.0,
    reference_current_density_A_g: float = 0.1,
    rate_exponent: float = 0.19,
    ice: float = 0.763,
    coulombic_efficiency: float = 0.995,
    ce_recovery_cycles: float = 1.0,
    fade_per_cycle: float = 0.001,
    lower_cutoff_V: float = 0.01,
    upper_cutoff_V: float = 1.5,
    ocv_V: float = 2.5,
    resistance_ohm: float = 10.0,
    counter_electrode: str = "Li",
    counter_potential_V: float = 0.0,
    samples_per_half_cycle: int = 50,
    noise_V: float = 0.0005,
    temperature_C: float = 60.0,
    seed: int = 0,
    name: str = "si_rate_test",
) -> VirtualExperiment:
    """A rate test of the Si-like half-cell: ``cycles_per_block`` cycles at each current density in turn.

    The reversible capacity falls with current density by a power law,
    ``Q_ext(j) = reversible_capacity_mAh_g * (j / reference_current_density_A_g)^(-rate_exponent)``,
    times the fade ``(1 - fade_per_cycle)^(k - 1)``; CE per cycle and voltages as in
    :func:`alloy_half_cell` (the IR drop grows with the current).
    """
    params = parameters(locals())
    densities = [positive(f"current_densities_A_g[{i}]", j) for i, j in enumerate(current_densities_A_g)]
    if not densities:
        raise ValidationError("current_densities_A_g", "a rate test needs at least one current density")
    per_block = count("cycles_per_block", cycles_per_block)
    reference = positive("reference_current_density_A_g", reference_current_density_A_g)
    exponent = non_negative("rate_exponent", rate_exponent)
    active_mg = _check_half_cell(params)
    per_cycle = np.repeat(np.asarray(densities), per_block)
    extraction, insertion, ce = _capacities(reversible_capacity_mAh_g * active_mg / 1000.0,
                                            (per_cycle / reference) ** (-exponent), params)
    currents = per_cycle * active_mg
    run = _run_half_cell(currents, insertion, extraction, None, 0.0, params)
    blocks = [{"current_density_A_g": j, "current_mA": j * active_mg, "first_cycle": b * per_block + 1,
               "last_cycle": (b + 1) * per_block} for b, j in enumerate(densities)]
    truth = {
        **params,
        "cell_type": "anode-half",
        "active_mass_mg": active_mg,
        "capacity_law": "Q_ext = reversible_capacity_mAh_g * (j / j_ref)^(-rate_exponent) * (1 - fade)^(k - 1)",
        "blocks": blocks,
        "current_mA": currents.tolist(),
        "current_density_A_g": per_cycle.tolist(),
        **_capacity_truth(insertion, extraction, ce, active_mg, "insertion", "extraction"),
    }
    return _experiment(name, "rate", run, _half_cell(params), truth, "cycling.rate_test")


def full_cell(
    *,
    n_cycles: int = 5,
    cathode_mass_mg: float = 10.0,
    cathode_active_fraction: float = 0.65,
    area_cm2: float = 0.785,
    nominal_capacity_mAh_g: float = 200.0,
    charge_c_rate: float = 0.1,
    discharge_c_rate: float = 0.1,
    reversible_capacity_mAh_g: float = 185.0,
    ice: float = 0.77,
    coulombic_efficiency: float = 0.998,
    ce_recovery_cycles: float = 0.5,
    fade_per_cycle: float = 0.0015,
    lower_cutoff_V: float = 2.5,
    upper_cutoff_V: float = 4.3,
    ocv_V: float = 1.0,
    resistance_ohm: float = 30.0,
    cv_hold: bool = False,
    cv_fraction: float = 0.05,
    cv_end_current_ratio: float = 0.2,
    samples_per_half_cycle: int = 100,
    noise_V: float = 0.0005,
    temperature_C: float = 25.0,
    seed: int = 0,
    name: str = "si_ncm811_full_cell",
) -> VirtualExperiment:
    """A Si-based anode vs an NCM811-like cathode (cell_type "full"), charge first (positive current).

    The working electrode is the cathode: capacities are per g of NCM811
    (``cathode_mass_mg * cathode_active_fraction``) and ``nominal_capacity_mAh_g`` defines 1C, so the
    charge current is ``charge_c_rate * nominal capacity`` (mA). The first discharge is
    ``reversible_capacity_mAh_g``; ICE = first discharge / first charge. ``cv_hold`` ends each charge
    with a constant-voltage hold at ``upper_cutoff_V`` passing ``cv_fraction`` of its capacity.
    """
    params = parameters(locals())
    n = count("n_cycles", n_cycles)
    positive("cathode_mass_mg", cathode_mass_mg)
    fraction("cathode_active_fraction", cathode_active_fraction)
    positive("area_cm2", area_cm2)
    nominal = positive("nominal_capacity_mAh_g", nominal_capacity_mAh_g)
    charge_rate = positive("charge_c_rate", charge_c_rate)
    discharge_rate = positive("discharge_c_rate", discharge_c_rate)
    positive("reversible_capacity_mAh_g", reversible_capacity_mAh_g)
    _check_profile(params)
    cv = _cv_option(cv_hold, cv_fraction, cv_end_current_ratio)
    active_mg = cathode_mass_mg * cathode_active_fraction
    nominal_mAh = nominal * active_mg / 1000.0
    discharge, charge, ce = _capacities(reversible_capacity_mAh_g * active_mg / 1000.0, np.ones(n), params)
    charge_mA, discharge_mA = charge_rate * nominal_mAh, -discharge_rate * nominal_mAh
    run = _run_full_cell(charge_mA, charge, discharge_mA, discharge, cv, params)
    truth = {
        **params,
        "cell_type": "full",
        "active_mass_mg": active_mg,
        "nominal_capacity_mAh": nominal_mAh,
        "charge_current_mA": charge_mA,
        "discharge_current_mA": discharge_mA,
        **_capacity_truth(charge, discharge, ce, active_mg, "charge", "discharge"),
        **_cv_split(run, cv, n, opening=True),
    }
    return _experiment(name, "cycling", run, _full_cell(params), truth, "cycling.full_cell")


# -- capacities -----------------------------------------------------------------------------------------


def _capacities(
    first_closing_mAh: float, factor: FloatArray, params: dict[str, Any]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(closing, opening, CE) per cycle by the laws of the module docstring."""
    ice = fraction("ice", params["ice"])
    ce = fraction("coulombic_efficiency", params["coulombic_efficiency"])
    recovery = positive("ce_recovery_cycles", params["ce_recovery_cycles"])
    fade = fraction("fade_per_cycle", params["fade_per_cycle"], zero_ok=True, one_ok=False)
    k = np.arange(factor.size, dtype=float)
    closing = first_closing_mAh * factor * (1.0 - fade) ** k
    efficiency = ce - (ce - ice) * np.exp(-k / recovery)
    return closing, closing / efficiency, efficiency


# -- voltage profiles (x = fraction of the half-cycle passed, V vs Li/Li+ or cell voltage) -----------------


def _sigmoid(z: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _crystalline_lithiation(ocv_V: float) -> Shape:
    """First lithiation of c-Si: a drop from OCV through the SEI/ZnO region to a flat ~0.1 V plateau."""
    return lambda x: 0.10 - 0.03 * x + (ocv_V - 0.55) * np.exp(-x / 0.004) + 0.45 * np.exp(-x / 0.06)


def _amorphous_lithiation(x: FloatArray) -> FloatArray:
    """Lithiation of a-Si: sloping pseudo-plateaus near 0.25 and 0.1 V."""
    return 0.10 - 0.04 * (x - 0.5) + 0.15 * _sigmoid(-(x - 0.45) / 0.07) + 0.40 * np.exp(-x / 0.02)


def _delithiation(x: FloatArray) -> FloatArray:
    """Delithiation of Li_xSi: sloping pseudo-plateaus near 0.3 and 0.5 V."""
    return 0.28 + 0.08 * x + 0.20 * _sigmoid((x - 0.55) / 0.07) - 0.20 * np.exp(-x / 0.02)


def _ncm_charge(start_V: float) -> Shape:
    """Charge of Si || NCM811 from ``start_V`` (OCV of a fresh cell, or the relaxed discharged cell)."""
    return lambda x: 3.62 + 0.45 * x + 0.12 * _sigmoid((x - 0.7) / 0.08) + (start_V - 3.62) * np.exp(-x / 0.015)


def _ncm_discharge(x: FloatArray) -> FloatArray:
    """Discharge of Si || NCM811: a slope from ~4.1 V with a knee near the end."""
    return 4.10 - 0.55 * x - 0.10 * _sigmoid((x - 0.85) / 0.05)


# -- protocol -------------------------------------------------------------------------------------------


def _half_cycle(
    current_mA: float, capacity_mAh: float, shape: Shape, end_V: float, params: dict[str, Any],
    cv: tuple[float, float] | None,
) -> list[Step]:
    """Steps of one half-cycle: CC to ``capacity_mAh`` ending at ``end_V``; with ``cv`` = (fraction,
    end-current ratio) a CC step to the voltage limit ``end_V``, then a CV hold passing that fraction."""
    ir_V = current_mA * params["resistance_ohm"] / 1000.0
    last_V = float(shape(np.ones(1))[0]) + ir_V
    if np.sign(current_mA) * (end_V - last_V) <= 0:
        raise ValidationError(
            "resistance_ohm", f"at {current_mA:.4g} mA the IR drop carries the profile ({last_V:.3f} V at its end) "
            f"past the cutoff {end_V} V")

    def profile(x: FloatArray) -> FloatArray:
        voltage_V: FloatArray = shape(x) + ir_V + (end_V - last_V) * np.exp(-(1.0 - x) / _TAIL)
        return voltage_V

    samples = params["samples_per_half_cycle"]
    duration = capacity_mAh * 3600.0 / abs(current_mA)
    if cv is None:
        return [Step(current_mA, lambda e, q, t: profile(q / capacity_mAh), dt_s=duration / samples,
                     capacity_mAh=capacity_mAh)]
    share, end_ratio = cv
    cc_mAh, cv_mAh = capacity_mAh * (1.0 - share), capacity_mAh * share
    tau = cv_mAh * 3600.0 / (abs(current_mA) * (1.0 - end_ratio))
    return [
        Step(current_mA, lambda e, q, t: profile(q / cc_mAh), dt_s=duration * (1.0 - share) / samples,
             voltage_limit_V=end_V),
        Step(lambda e: current_mA * np.exp(-e / tau), lambda e, q, t: np.full(e.shape, end_V),
             dt_s=tau * np.log(1.0 / end_ratio) / max(10, samples // 4), capacity_mAh=cv_mAh),
    ]


def _run_half_cell(
    currents_mA: FloatArray, insertion: FloatArray, extraction: FloatArray, cv: tuple[float, float] | None,
    initial_rest_s: float, params: dict[str, Any],
) -> ProtocolRun:
    """Lithiation/delithiation cycles after an optional OCV rest (voltages vs Li, less the counter's potential)."""
    offset, ocv = params["counter_potential_V"], params["ocv_V"]
    steps: list[Step] = []
    if non_negative("initial_rest_s", initial_rest_s) > 0:
        steps.append(Step(0.0, lambda e, q, t: np.full(e.shape, ocv - offset), dt_s=initial_rest_s / 20,
                          duration_s=initial_rest_s))
    for k, current in enumerate(currents_mA):
        lithiation = _crystalline_lithiation(ocv) if k == 0 else _amorphous_lithiation
        steps += _half_cycle(-current, insertion[k], _shifted(lithiation, offset), params["lower_cutoff_V"] - offset,
                             params, None)
        steps += _half_cycle(current, extraction[k], _shifted(_delithiation, offset),
                             params["upper_cutoff_V"] - offset, params, cv)
    return run_protocol(steps)


def _run_full_cell(
    charge_mA: float, charge: FloatArray, discharge_mA: float, discharge: FloatArray, cv: tuple[float, float] | None,
    params: dict[str, Any],
) -> ProtocolRun:
    """Charge/discharge cycles of the full cell, the first charge from OCV, later ones from the relaxed
    discharged cell (3.45 V)."""
    steps: list[Step] = []
    for k in range(charge.size):
        shape = _ncm_charge(params["ocv_V"] if k == 0 else 3.45)
        steps += _half_cycle(charge_mA, charge[k], shape, params["upper_cutoff_V"], params, cv)
        steps += _half_cycle(discharge_mA, discharge[k], _ncm_discharge, params["lower_cutoff_V"], params, None)
    return run_protocol(steps)


def _shifted(shape: Shape, offset_V: float) -> Shape:
    return lambda x: shape(x) - offset_V


def _cv_option(cv_hold: bool, cv_fraction: float, end_ratio: float) -> tuple[float, float] | None:
    """(fraction of the half-cycle passed in CV, end-current ratio) when ``cv_hold``, else None."""
    if not isinstance(cv_hold, bool):
        raise ValidationError("cv_hold", f"must be True or False, got {cv_hold!r}")
    if not cv_hold:
        return None
    return (fraction("cv_fraction", cv_fraction, one_ok=False),
            fraction("cv_end_current_ratio", end_ratio, one_ok=False))


def _cv_split(run: ProtocolRun, cv: tuple[float, float] | None, n: int, *, opening: bool) -> dict[str, Any]:
    """Charge passed (mAh) in the CC and the CV part of each CC-CV half-cycle, as the run recorded it."""
    if cv is None:
        return {}
    first = len(run.steps) - 3 * n + (0 if opening else 1)  # skips an initial rest, if any
    return {"cc_mAh": [run.steps[first + 3 * k].charge_mAh for k in range(n)],
            "cv_mAh": [run.steps[first + 3 * k + 1].charge_mAh for k in range(n)]}


# -- checks, cells and truth -----------------------------------------------------------------------------


def _check_profile(params: dict[str, Any]) -> None:
    """Checks shared by every generator here: cutoffs, OCV, resistance, sampling, noise."""
    lower = finite("lower_cutoff_V", params["lower_cutoff_V"])
    if finite("upper_cutoff_V", params["upper_cutoff_V"]) <= lower:
        raise ValidationError("upper_cutoff_V",
                              f"must exceed lower_cutoff_V ({lower}), got {params['upper_cutoff_V']!r}")
    finite("ocv_V", params["ocv_V"])
    non_negative("resistance_ohm", params["resistance_ohm"])
    count("samples_per_half_cycle", params["samples_per_half_cycle"], minimum=2)
    non_negative("noise_V", params["noise_V"])


def _check_half_cell(params: dict[str, Any]) -> float:
    """Check the half-cell parameters; the active mass (mg)."""
    mass = positive("electrode_mass_mg", params["electrode_mass_mg"])
    share = fraction("active_fraction", params["active_fraction"])
    positive("area_cm2", params["area_cm2"])
    positive("reversible_capacity_mAh_g", params["reversible_capacity_mAh_g"])
    finite("counter_potential_V", params["counter_potential_V"])
    _check_profile(params)
    return mass * share


def _half_cell(params: dict[str, Any]) -> CellInfo:
    """The Si-ZnO | Li5.5PS4.5Cl1.5 | Li (or Li-In) half-cell of paper 000."""
    counter = params["counter_electrode"]
    return CellInfo(
        "anode-half",
        working_electrode=Electrode("Si-ZnO", params["electrode_mass_mg"], params["active_fraction"],
                                    params["area_cm2"], 22.0),
        counter_electrode=Electrode(counter, area_cm2=0.785),
        electrolyte=Electrolyte("Li5.5PS4.5Cl1.5", 800.0, 0.785),
        temperature_C=params["temperature_C"],
        pressure_MPa=300.0,
        notes=f"virtual Si-ZnO | Li5.5PS4.5Cl1.5 | {counter} half-cell",
    )


def _full_cell(params: dict[str, Any]) -> CellInfo:
    """The Si-ZnO | Li5.5PS4.5Cl1.5 | NCM811 full cell of paper 000."""
    area = params["area_cm2"]
    return CellInfo(
        "full",
        working_electrode=Electrode("NCM811", params["cathode_mass_mg"], params["cathode_active_fraction"], area,
                                    100.0),
        counter_electrode=Electrode("Si-ZnO", area_cm2=area),
        electrolyte=Electrolyte("Li5.5PS4.5Cl1.5", 800.0, area),
        temperature_C=params["temperature_C"],
        pressure_MPa=300.0,
        notes="virtual Si-ZnO | Li5.5PS4.5Cl1.5 | NCM811 full cell",
    )


def _capacity_truth(
    opening: FloatArray, closing: FloatArray, ce: FloatArray, active_mg: float, opening_name: str, closing_name: str
) -> dict[str, Any]:
    """Per-cycle opening and closing capacities (mAh, mAh/g of active material, named ``<name>_mAh``), CE and ICE."""
    to_mAh_g = 1000.0 / active_mg
    return {
        "n_cycles": int(opening.size),
        f"{opening_name}_mAh": opening.tolist(),
        f"{closing_name}_mAh": closing.tolist(),
        f"{opening_name}_mAh_g": (opening * to_mAh_g).tolist(),
        f"{closing_name}_mAh_g": (closing * to_mAh_g).tolist(),
        "ce_per_cycle": ce.tolist(),
        "ice": float(closing[0] / opening[0]),
    }


def _experiment(
    name: str, kind: str, run: ProtocolRun, cell: CellInfo, truth: dict[str, Any], generator: str
) -> VirtualExperiment:
    seed = truth["seed"]
    record = to_record(run, cell=cell, rng=np.random.default_rng(seed), noise_V=truth["noise_V"], technique="GCPL",
                       generator=generator)
    return VirtualExperiment(name=name, kind=kind, data=record, cell=cell, truth=truth, seed=seed)
