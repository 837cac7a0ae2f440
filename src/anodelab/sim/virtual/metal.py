"""Metal anodes with known answers: symmetric cycling with a short, a CCD staircase, the first plating
curve (nucleation), and plating/stripping Coulombic efficiency (per cycle and Aurbach reservoir).

Current is plating on the working electrode when negative (the conventions of
:mod:`anodelab.core.conventions`); every half-cycle passes exactly its capacity
``j * area * t / 3600`` (mAh). Voltages are vs the metal counter electrode.

Shorts (at ``short_time_s``; rows are recorded at that instant, like a cycler's dV trigger):

- ``"hard"``: from ``t_s`` on the cell is an ohmic contact, ``V = I * R_short``;
- ``"soft"``: from ``t_s`` the healthy voltage is scaled by an envelope
  ``a(t) = 0.3 + 0.7 exp(-(t - t_s) / 24 h)`` and drops to 10 % of it during random intervals
  (the first starting at ``t_s``; onsets ~ Poisson, 3 h apart on average, each ~10 min long),
  with five times the voltage noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from anodelab.core.cell import CellInfo, Electrode, Electrolyte
from anodelab.core.errors import ValidationError
from anodelab.sim.virtual.experiment import VirtualExperiment
from anodelab.sim.virtual.protocol import (
    FloatArray,
    ProtocolRun,
    Step,
    VoltageModel,
    count,
    finite,
    fraction,
    non_negative,
    parameters,
    positive,
    run_protocol,
    to_record,
)

METALS = ("Li", "Na")
SHORT_KINDS = ("hard", "soft")
_SOFT_FLOOR, _SOFT_DECLINE_S = 0.3, 24 * 3600.0
_SOFT_INTERVAL_S, _SOFT_DROP_S, _SOFT_DEPTH, _SOFT_NOISE = 3 * 3600.0, 600.0, 0.9, 5.0
_TAIL = 0.02  # fraction of a stripping half-cycle over which the voltage rises to its cutoff


def symmetric_cycling(
    *,
    metal: str = "Li",
    current_density_mA_cm2: float = 0.1,
    areal_capacity_mAh_cm2: float = 0.1,
    area_cm2: float = 0.785,
    n_cycles: int = 50,
    overpotential_V: float = 0.013,
    overpotential_growth_V_per_h: float = 5e-5,
    short_time_s: float | None = 271_440.0,
    short_kind: str = "hard",
    short_resistance_ohm: float = 2.0,
    electrolyte: str = "LLZTO",
    samples_per_half_cycle: int = 20,
    noise_V: float = 0.0003,
    temperature_C: float = 25.0,
    seed: int = 0,
    name: str = "li_symmetric",
) -> VirtualExperiment:
    """Li|Li or Na|Na cycling (cell_type "symmetric"): plate first, alternating +/- current density.

    Each half-cycle passes ``areal_capacity_mAh_cm2 * area_cm2``. Before the short the voltage is
    ``sign(I) * eta(t)`` with ``eta(t) = overpotential_V + overpotential_growth_V_per_h * t / 3600``
    (t from the first step); the overpotential of a half-cycle is its mean, eta at its mid-time.
    ``short_time_s=None`` runs without a short.
    """
    params = parameters(locals())
    _check_metal(metal)
    j = positive("current_density_mA_cm2", current_density_mA_cm2)
    q_mAh = positive("areal_capacity_mAh_cm2", areal_capacity_mAh_cm2) * positive("area_cm2", area_cm2)
    n = count("n_cycles", n_cycles)
    eta0 = positive("overpotential_V", overpotential_V)
    growth = non_negative("overpotential_growth_V_per_h", overpotential_growth_V_per_h)
    _check_common(params)
    current_mA = j * area_cm2
    half_s = q_mAh * 3600.0 / current_mA
    end_s = 2 * n * half_s
    rng = np.random.default_rng(seed)
    short = _short(short_time_s, short_kind, short_resistance_ohm, end_s, rng)
    eta = _growing(eta0, growth)
    dt_s = half_s / params["samples_per_half_cycle"]
    steps = [_symmetric_half_cycle(current_mA * (-1.0 if k % 2 == 0 else 1.0), eta, short, dt_s,
                                   capacity_mAh=q_mAh) for k in range(2 * n)]
    run = run_protocol(steps, record_at_s=short.record_at_s if short else ())
    truth = {
        **params,
        "cell_type": "symmetric",
        "current_mA": current_mA,
        "half_cycle_s": half_s,
        "half_cycle_capacity_mAh": q_mAh,
        "n_half_cycles": 2 * n,
        "duration_s": end_s,
        "overpotential_law": "eta(t) = overpotential_V + overpotential_growth_V_per_h * t_s / 3600",
        **_half_cycles_before_short(2 * n, half_s, short, eta),
        **_short_truth(short),
    }
    cell = _cell("symmetric", metal, metal, area_cm2, electrolyte, temperature_C)
    return _experiment(name, "symmetric", run, cell, truth, short, rng, "metal.symmetric_cycling")


def ccd_staircase(
    *,
    metal: str = "Li",
    start_mA_cm2: float = 0.05,
    step_mA_cm2: float = 0.05,
    ccd_mA_cm2: float = 0.5,
    half_cycle_s: float = 1800.0,
    area_cm2: float = 0.785,
    area_specific_resistance_ohm_cm2: float = 20.0,
    short_delay_s: float = 600.0,
    short_kind: str = "hard",
    short_resistance_ohm: float = 2.0,
    electrolyte: str = "LLZTO",
    samples_per_half_cycle: int = 30,
    noise_V: float = 0.0003,
    temperature_C: float = 25.0,
    seed: int = 0,
    name: str = "li_ccd",
) -> VirtualExperiment:
    """A critical-current-density staircase on a symmetric cell (cell_type "symmetric").

    Levels ``j_m = start_mA_cm2 + m * step_mA_cm2`` (m = 0, 1, ...), each a plate/strip pair of
    ``half_cycle_s`` per half; before the short ``V = sign(I) * j * area_specific_resistance_ohm_cm2``
    (mV, the whole cell's ASR). The cell shorts ``short_delay_s`` into the first (plating) half-cycle
    at ``ccd_mA_cm2``, which must be a level; the test ends after that level's pair.
    """
    params = parameters(locals())
    _check_metal(metal)
    start = positive("start_mA_cm2", start_mA_cm2)
    increment = positive("step_mA_cm2", step_mA_cm2)
    ccd = positive("ccd_mA_cm2", ccd_mA_cm2)
    half_s = positive("half_cycle_s", half_cycle_s)
    positive("area_cm2", area_cm2)
    asr = positive("area_specific_resistance_ohm_cm2", area_specific_resistance_ohm_cm2)
    delay = positive("short_delay_s", short_delay_s)
    _check_common(params)
    levels = _ccd_levels(start, increment, ccd, delay, half_s)
    n_levels = levels.size
    short_s = 2 * (n_levels - 1) * half_s + delay
    rng = np.random.default_rng(seed)
    short = _short(short_s, short_kind, short_resistance_ohm, 2 * n_levels * half_s, rng)
    dt_s = half_s / params["samples_per_half_cycle"]
    steps = [_symmetric_half_cycle(sign * level * area_cm2, _constant(level * asr / 1000.0), short, dt_s,
                                   duration_s=half_s) for level in levels for sign in (-1.0, 1.0)]
    run = run_protocol(steps, record_at_s=short.record_at_s)
    truth = {
        **params,
        "cell_type": "symmetric",
        "levels_mA_cm2": levels.tolist(),
        "level_current_mA": (levels * area_cm2).tolist(),
        "half_cycle_capacity_mAh": (levels * area_cm2 * half_s / 3600.0).tolist(),
        "level_overpotential_V": (levels * asr / 1000.0).tolist(),
        "last_stable_mA_cm2": float(levels[-2]) if n_levels > 1 else None,
        **_short_truth(short),
    }
    cell = _cell("symmetric", metal, metal, area_cm2, electrolyte, temperature_C)
    return _experiment(name, "ccd", run, cell, truth, short, rng, "metal.ccd_staircase")


def first_plating(
    *,
    metal: str = "Na",
    substrate: str = "Zn",
    current_density_mA_cm2: float = 0.5,
    areal_capacity_mAh_cm2: float = 1.0,
    area_cm2: float = 1.13,
    ocv_V: float = 1.0,
    tip_overpotential_V: float = 0.030,
    plateau_overpotential_V: float = 0.0166,
    tip_capacity_mAh_cm2: float = 0.02,
    recovery_capacity_mAh_cm2: float = 0.02,
    electrolyte: str = "1.0 M NaPF6 in diglyme",
    samples_per_half_cycle: int = 600,
    noise_V: float = 0.0001,
    temperature_C: float = 25.0,
    seed: int = 0,
    name: str = "na_nucleation_zn",
) -> VirtualExperiment:
    """Galvanostatic plating of ``metal`` on a bare ``substrate`` (cell_type "plating"), one step.

    With ``s = q / q_tip`` (q the plated charge per area), the voltage falls from ``ocv_V`` to the tip
    and recovers to the plateau::

        V = -eta_t + (ocv_V + eta_t) (1 - s)^2 exp(-5 s)                          s <= 1
        V = -eta_p - (eta_t - eta_p) exp(-((q - q_tip) / q_recovery)^2)            s > 1

    so its minimum is exactly ``tip_V = -eta_t`` at ``q_tip``, and the nucleation overpotential is
    ``eta_t - eta_p`` (a magnitude, as the papers report it).
    """
    params = parameters(locals())
    _check_metal(metal)
    j = positive("current_density_mA_cm2", current_density_mA_cm2)
    areal = positive("areal_capacity_mAh_cm2", areal_capacity_mAh_cm2)
    positive("area_cm2", area_cm2)
    ocv = finite("ocv_V", ocv_V)
    eta_t = positive("tip_overpotential_V", tip_overpotential_V)
    eta_p = positive("plateau_overpotential_V", plateau_overpotential_V)
    q_tip = positive("tip_capacity_mAh_cm2", tip_capacity_mAh_cm2)
    q_rec = positive("recovery_capacity_mAh_cm2", recovery_capacity_mAh_cm2)
    _check_common(params)
    voltage = _nucleation_voltage(ocv, eta_t, eta_p, q_tip, q_rec, areal, area_cm2)
    current_mA = -j * area_cm2
    tip_s = q_tip * 3600.0 / j
    duration = areal * 3600.0 / j
    run = run_protocol([Step(current_mA, voltage, dt_s=duration / params["samples_per_half_cycle"],
                             capacity_mAh=areal * area_cm2)], record_at_s=(tip_s,))
    truth = {
        **params,
        "cell_type": "plating",
        "current_mA": current_mA,
        "plated_mAh": areal * area_cm2,
        "tip_V": -eta_t,
        "plateau_V": -eta_p,
        "nucleation_overpotential_V": eta_t - eta_p,
        "tip_time_s": tip_s,
        "tip_capacity_mAh": q_tip * area_cm2,
    }
    cell = _cell("plating", substrate, metal, area_cm2, electrolyte, temperature_C)
    return _experiment(name, "nucleation", run, cell, truth, None, np.random.default_rng(seed), "metal.first_plating")


def plating_ce(
    *,
    method: str = "per-cycle",
    metal: str = "Na",
    substrate: str = "Zn@Ag",
    current_density_mA_cm2: float = 0.5,
    areal_capacity_mAh_cm2: float = 0.5,
    area_cm2: float = 1.13,
    n_cycles: int = 10,
    initial_ce: float = 0.975,
    ce: float = 0.999,
    ce_recovery_cycles: float = 2.0,
    reservoir_capacity_mAh_cm2: float = 5.0,
    plating_overpotential_V: float = 0.010,
    stripping_overpotential_V: float = 0.010,
    strip_cutoff_V: float = 0.5,
    electrolyte: str = "1.0 M NaPF6 in diglyme",
    samples_per_half_cycle: int = 40,
    noise_V: float = 0.0003,
    temperature_C: float = 25.0,
    seed: int = 0,
    name: str = "na_plating_ce",
) -> VirtualExperiment:
    """Plating/stripping Coulombic efficiency on a substrate (cell_type "plating").

    ``method="per-cycle"``: each of ``n_cycles`` cycles plates ``Q = areal_capacity_mAh_cm2 * area``
    and strips to ``strip_cutoff_V``, recovering ``CE_k Q`` with
    ``CE_k = ce - (ce - initial_ce) exp(-(k - 1) / ce_recovery_cycles)``; ``average_ce`` is the mean
    of the CE_k. ``method="reservoir"`` (Aurbach): plate ``Q_T = reservoir_capacity_mAh_cm2 * area``,
    then ``n_cycles`` times strip and plate ``Q_c = Q``, then strip to the cutoff, recovering
    ``Q_s = ce (n Q_c + Q_T) - n Q_c`` so that ``average_ce = (n Q_c + Q_s) / (n Q_c + Q_T) = ce``
    (``initial_ce`` and ``ce_recovery_cycles`` are not used).
    """
    params = parameters(locals())
    if method not in ("per-cycle", "reservoir"):
        raise ValidationError("method", f"must be 'per-cycle' or 'reservoir', got {method!r}")
    _check_metal(metal)
    j = positive("current_density_mA_cm2", current_density_mA_cm2)
    q_mAh = positive("areal_capacity_mAh_cm2", areal_capacity_mAh_cm2) * positive("area_cm2", area_cm2)
    n = count("n_cycles", n_cycles)
    average = fraction("ce", ce)
    eta_p = positive("plating_overpotential_V", plating_overpotential_V)
    eta_s = positive("stripping_overpotential_V", stripping_overpotential_V)
    cutoff = positive("strip_cutoff_V", strip_cutoff_V)
    if cutoff <= eta_s:
        raise ValidationError("strip_cutoff_V", f"must exceed stripping_overpotential_V ({eta_s}), got {cutoff}")
    _check_common(params)
    current_mA = j * area_cm2
    if method == "per-cycle":
        plated, stripped, specific = _per_cycle_ce(q_mAh, n, average, initial_ce, ce_recovery_cycles)
    else:
        plated, stripped, specific = _reservoir_ce(q_mAh, n, average, reservoir_capacity_mAh_cm2, area_cm2)
    steps = _plate_strip_steps(plated, stripped, current_mA, eta_p, eta_s, cutoff, all_to_cutoff=method == "per-cycle",
                               samples=params["samples_per_half_cycle"])
    run = run_protocol(steps)
    truth = {
        **params,
        "cell_type": "plating",
        "current_mA": current_mA,
        "plated_mAh": plated.tolist(),
        "stripped_mAh": stripped.tolist(),
        "plated_mAh_cm2": (plated / area_cm2).tolist(),
        "stripped_mAh_cm2": (stripped / area_cm2).tolist(),
        **specific,
    }
    cell = _cell("plating", substrate, metal, area_cm2, electrolyte, temperature_C)
    return _experiment(name, "plating-ce", run, cell, truth, None, np.random.default_rng(seed), "metal.plating_ce")


# -- protocols ------------------------------------------------------------------------------------------


def _symmetric_half_cycle(
    current_mA: float, eta: Callable[[FloatArray], FloatArray], short: _Short | None, dt_s: float, *,
    duration_s: float | None = None, capacity_mAh: float | None = None,
) -> Step:
    """A symmetric-cell half-cycle at ``current_mA``: ``sign(I) * eta(t)`` until the short, then the short's."""
    return Step(current_mA, _shorted(_flat(current_mA, eta), current_mA, short), dt_s=dt_s, duration_s=duration_s,
                capacity_mAh=capacity_mAh)


def _ccd_levels(start: float, increment: float, ccd: float, delay_s: float, half_s: float) -> FloatArray:
    """The staircase's current densities (mA/cm2) up to the CCD, which must be one of them; the short must fall
    within the CCD level's plating half-cycle."""
    if ccd < start - 1e-12:
        raise ValidationError("ccd_mA_cm2", f"{ccd} is below the first level {start}: the cell would short "
                                            "before the first step")
    n_levels = round((ccd - start) / increment) + 1
    if abs(start + (n_levels - 1) * increment - ccd) > 1e-9 * max(1.0, ccd):
        raise ValidationError("ccd_mA_cm2", f"must be start_mA_cm2 + m * step_mA_cm2 for some m >= 0, got {ccd}")
    if delay_s >= half_s:
        raise ValidationError("short_delay_s", f"must be shorter than half_cycle_s ({half_s}), got {delay_s}")
    return start + increment * np.arange(n_levels, dtype=np.float64)


def _per_cycle_ce(
    q_mAh: float, n: int, ce: float, initial_ce: float, recovery_cycles: float
) -> tuple[FloatArray, FloatArray, dict[str, Any]]:
    """Charge plated and stripped (mAh) per cycle, cycle k recovering ``CE_k Q`` (see :func:`plating_ce`),
    and the CE truth."""
    first = fraction("initial_ce", initial_ce)
    recovery = positive("ce_recovery_cycles", recovery_cycles)
    efficiency = ce - (ce - first) * np.exp(-np.arange(n) / recovery)
    return np.full(n, q_mAh), efficiency * q_mAh, {"ce_per_cycle": efficiency.tolist(),
                                                    "average_ce": float(efficiency.mean())}


def _reservoir_ce(
    q_mAh: float, n: int, ce: float, reservoir_mAh_cm2: float, area_cm2: float
) -> tuple[FloatArray, FloatArray, dict[str, Any]]:
    """Aurbach's protocol: charge plated (Q_T, then Q_c n times) and stripped (Q_c n times, then Q_s), mAh,
    in the order plate Q_T, (strip Q_c, plate Q_c) x n, strip Q_s; and the CE truth."""
    q_t = positive("reservoir_capacity_mAh_cm2", reservoir_mAh_cm2) * area_cm2
    q_s = ce * (n * q_mAh + q_t) - n * q_mAh
    if q_s <= 0:
        raise ValidationError("ce", f"{ce} leaves nothing to strip after {n} cycles of {q_mAh} mAh from a "
                                    f"{q_t} mAh reservoir")
    plated, stripped = np.r_[q_t, np.full(n, q_mAh)], np.r_[np.full(n, q_mAh), q_s]
    return plated, stripped, {"average_ce": float((stripped.sum()) / plated.sum()), "reservoir_mAh": q_t,
                              "cycled_mAh": q_mAh, "final_strip_mAh": q_s,
                              "ce_formula": "(n Q_c + Q_s) / (n Q_c + Q_T)"}


def _plate_strip_steps(
    plated: FloatArray, stripped: FloatArray, current_mA: float, eta_p: float, eta_s: float, cutoff_V: float, *,
    all_to_cutoff: bool, samples: int,
) -> list[Step]:
    """Plate ``plated[k]`` then strip ``stripped[k]`` (mAh) at +/- ``current_mA``, ``samples`` rows each; every
    strip rises to ``cutoff_V`` as it ends (``all_to_cutoff``), or only the last."""
    plate = _plating_voltage(eta_p)
    steps = []
    last = len(stripped) - 1
    for k, (q_in, q_out) in enumerate(zip(plated, stripped)):
        strip = _stripping_voltage(eta_s, cutoff_V if all_to_cutoff or k == last else None)
        steps.append(Step(-current_mA, _per_charge(plate, q_in), dt_s=q_in * 3600.0 / current_mA / samples,
                          capacity_mAh=q_in))
        steps.append(Step(current_mA, _per_charge(strip, q_out), dt_s=q_out * 3600.0 / current_mA / samples,
                          capacity_mAh=q_out))
    return steps


# -- voltage models -------------------------------------------------------------------------------------


def _flat(current_mA: float, eta: Callable[[FloatArray], FloatArray]) -> Callable[[FloatArray], FloatArray]:
    """Healthy symmetric-cell voltage ``sign(I) * eta(t)`` as a function of absolute time."""
    sign = float(np.sign(current_mA))
    return lambda t: sign * eta(t)


def _growing(eta_V: float, growth_V_per_h: float) -> Callable[[FloatArray], FloatArray]:
    """The overpotential ``eta(t) = eta_V + growth_V_per_h * t / 3600`` (V, t in s)."""
    return lambda t: eta_V + growth_V_per_h * t / 3600.0


def _constant(eta_V: float) -> Callable[[FloatArray], FloatArray]:
    """An overpotential ``eta_V`` at all times."""
    return lambda t: np.full(t.shape, eta_V)


def _nucleation_voltage(
    ocv_V: float, eta_t: float, eta_p: float, q_tip: float, q_rec: float, areal_mAh_cm2: float, area_cm2: float
) -> VoltageModel:
    """First plating vs the charge plated (:func:`first_plating`'s formula): from ``ocv_V`` down to the tip
    ``-eta_t`` at ``q_tip``, back up to the plateau ``-eta_p``, which ``areal_mAh_cm2`` must reach."""
    if eta_p >= eta_t:
        raise ValidationError("plateau_overpotential_V", f"must be below tip_overpotential_V ({eta_t}), got {eta_p}")
    if ocv_V <= -eta_p:
        raise ValidationError("ocv_V", f"must lie above the plateau voltage {-eta_p} V, got {ocv_V}")
    if q_tip + 3.0 * q_rec > areal_mAh_cm2:
        raise ValidationError("areal_capacity_mAh_cm2", f"must reach the plateau: at least tip + 3 x recovery "
                                                        f"({q_tip + 3 * q_rec} mAh/cm2), got {areal_mAh_cm2}")

    def voltage(e: FloatArray, q: FloatArray, t: FloatArray) -> FloatArray:
        areal_q = q / area_cm2
        s = np.minimum(areal_q / q_tip, 1.0)
        falling = -eta_t + (ocv_V + eta_t) * (1.0 - s) ** 2 * np.exp(-5.0 * s)
        recovering = -eta_p - (eta_t - eta_p) * np.exp(-(((areal_q - q_tip) / q_rec) ** 2))
        return np.where(areal_q <= q_tip, falling, recovering)

    return voltage


def _plating_voltage(eta_p: float) -> Callable[[FloatArray], FloatArray]:
    """Plating on the substrate vs the fraction x plated: a small nucleation spike, then ``-eta_p``."""
    return lambda x: -eta_p * (1.0 + 0.5 * np.exp(-x / 0.02))


def _stripping_voltage(eta_s: float, cutoff_V: float | None) -> Callable[[FloatArray], FloatArray]:
    """Stripping at ``eta_s``; with a cutoff, rising to exactly ``cutoff_V`` when the metal is gone (x = 1)."""
    if cutoff_V is None:
        return lambda x: np.full(np.shape(x), eta_s)
    return lambda x: eta_s + (cutoff_V - eta_s) * np.exp(-(1.0 - x) / _TAIL)


def _per_charge(shape: Callable[[FloatArray], FloatArray], capacity_mAh: float) -> Callable[..., FloatArray]:
    return lambda e, q, t: shape(q / capacity_mAh)


# -- shorts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Short:
    time_s: float
    kind: str
    resistance_ohm: float
    drops_s: FloatArray  # (n, 2): start and end of each soft-short drop

    @property
    def record_at_s(self) -> FloatArray:
        return np.unique(np.r_[self.time_s, self.drops_s.ravel()])

    def voltage(self, healthy: FloatArray, t: FloatArray, current_mA: float) -> FloatArray:
        after = t >= self.time_s
        if self.kind == "hard":
            return np.where(after, current_mA * self.resistance_ohm / 1000.0, healthy)
        envelope = _SOFT_FLOOR + (1.0 - _SOFT_FLOOR) * np.exp(-np.maximum(t - self.time_s, 0.0) / _SOFT_DECLINE_S)
        in_drop = ((t[:, None] >= self.drops_s[:, 0]) & (t[:, None] < self.drops_s[:, 1])).any(axis=1)
        return np.where(after, healthy * envelope * (1.0 - _SOFT_DEPTH * in_drop), healthy)

    def noise_scale(self, noise_V: float) -> Callable[[FloatArray], FloatArray]:
        factor = _SOFT_NOISE if self.kind == "soft" else 1.0
        return lambda t: np.where(t >= self.time_s, noise_V * factor, noise_V)


@overload
def _short(time_s: float, kind: str, resistance_ohm: float, end_s: float, rng: np.random.Generator) -> _Short: ...
@overload
def _short(
    time_s: float | None, kind: str, resistance_ohm: float, end_s: float, rng: np.random.Generator
) -> _Short | None: ...
def _short(
    time_s: float | None, kind: str, resistance_ohm: float, end_s: float, rng: np.random.Generator
) -> _Short | None:
    """The short model, or None; soft-short drops drawn from ``rng`` (before any noise)."""
    if kind not in SHORT_KINDS:
        raise ValidationError("short_kind", f"must be one of {', '.join(SHORT_KINDS)}, got {kind!r}")
    resistance = non_negative("short_resistance_ohm", resistance_ohm)
    if time_s is None:
        return None
    t_s = finite("short_time_s", time_s)
    if t_s <= 0:
        raise ValidationError("short_time_s", f"{t_s} s lies before the first step (t = 0)")
    if t_s >= end_s:
        raise ValidationError("short_time_s", f"{t_s} s lies after the end of the protocol ({end_s} s); "
                                              "pass None for no short")
    drops = np.zeros((0, 2))
    if kind == "soft":
        onsets = [t_s]
        while onsets[-1] < end_s:
            onsets.append(onsets[-1] + rng.exponential(_SOFT_INTERVAL_S))
        starts = np.asarray(onsets[:-1])
        drops = np.column_stack([starts, np.minimum(starts + rng.exponential(_SOFT_DROP_S, starts.size), end_s)])
    return _Short(t_s, kind, resistance, drops)


def _shorted(
    healthy: Callable[[FloatArray], FloatArray], current_mA: float, short: _Short | None
) -> Callable[[FloatArray, FloatArray, FloatArray], FloatArray]:
    """A step's voltage model: ``healthy(t)`` until the short, then the short's response."""
    if short is None:
        return lambda e, q, t: healthy(t)
    return lambda e, q, t: short.voltage(healthy(t), t, current_mA)


def _half_cycles_before_short(
    n_half: int, half_s: float, short: _Short | None, eta: Callable[[FloatArray], FloatArray]
) -> dict[str, Any]:
    """Mid-times (s) and overpotentials (V, eta at mid-time) of the half-cycles that end before the short."""
    mid_s = (np.arange(n_half, dtype=np.float64) + 0.5) * half_s
    intact = (np.arange(1, n_half + 1) * half_s <= short.time_s) if short else np.ones(n_half, dtype=bool)
    return {"half_cycle_mid_s": mid_s[intact].tolist(), "half_cycle_overpotential_V": eta(mid_s[intact]).tolist(),
            "half_cycles_before_short": int(intact.sum())}


def _short_truth(short: _Short | None) -> dict[str, Any]:
    if short is None:
        return {"short_time_s": None, "short_kind": None}
    return {"short_time_s": short.time_s, "short_time_h": short.time_s / 3600.0, "short_kind": short.kind,
            "soft_drops_s": short.drops_s.tolist()}


# -- checks, cells, experiment -------------------------------------------------------------------------


def _check_metal(metal: str) -> None:
    if metal not in METALS:
        raise ValidationError("metal", f"must be one of {', '.join(METALS)}, got {metal!r}")


def _check_common(params: dict[str, Any]) -> None:
    count("samples_per_half_cycle", params["samples_per_half_cycle"], minimum=2)
    non_negative("noise_V", params["noise_V"])


def _cell(
    cell_type: str, working: str, counter: str, area_cm2: float, electrolyte: str, temperature_C: float
) -> CellInfo:
    return CellInfo(
        cell_type,
        working_electrode=Electrode(working, area_cm2=area_cm2),
        counter_electrode=Electrode(counter, area_cm2=area_cm2),
        electrolyte=Electrolyte(electrolyte, area_cm2=area_cm2),
        temperature_C=temperature_C,
        notes=f"virtual {working} | {electrolyte} | {counter} {cell_type} cell",
    )


def _experiment(
    name: str, kind: str, run: ProtocolRun, cell: CellInfo, truth: dict[str, Any], short: _Short | None,
    rng: np.random.Generator, generator: str,
) -> VirtualExperiment:
    """The experiment, its voltage noise drawn from ``rng`` (after any soft-short drops)."""
    seed, noise = truth["seed"], truth["noise_V"]
    record = to_record(run, cell=cell, rng=rng, noise_V=short.noise_scale(noise) if short else noise,
                       technique="GCPL", generator=generator)
    return VirtualExperiment(name=name, kind=kind, data=record, cell=cell, truth=truth, seed=seed)
