"""The papers' protocols as schedules, built from their parameters (names with units; current densities
times the area give the currents, signed as :mod:`anodelab.core.conventions` signs them: < 0 plates on
or lithiates the working electrode).

- :func:`pulse_cv_formation`: seed 003's SEI formation at constant voltage, and pulsed: the decomposition
  voltages of LiNO3/LiFSI (1.4 V), FEC (1.0 V) and DME (0.8 V vs Li) each held briefly, the sequence
  repeated (``consSEI-100th``: 100 times); one voltage held once is the plain constant-voltage formation;
- :func:`ccd_staircase`: seed 001's critical-current-density test on a symmetric cell, current density
  raised in steps, each level a plate/strip pair at a fixed time or a fixed areal capacity per half;
- :func:`gitt`: an initial rest, then pulses of constant current, each followed by a rest;
- :func:`aurbach_ce`: the reservoir Coulombic efficiency of a metal anode (Adams et al., Adv. Energy
  Mater. 8 (2018) 1702097, method 3): optionally a conditioning cycle (plate ``Q_T``, strip to the cut-off),
  then plate ``Q_T``, strip and plate ``Q_C`` ``n_cycles`` times, strip to the cut-off;
  ``CE = (n Q_C + Q_S) / (n Q_C + Q_T)``;
- :func:`rate_test`: cycles at C-rates of a nominal capacity, to voltage cut-offs, lithiation first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from anodelab.core.errors import ValidationError
from anodelab.protocols.schedule import (
    CC,
    CCCV,
    CV,
    Item,
    Loop,
    PulseTrain,
    Rest,
    Schedule,
)
from anodelab.sim.virtual.protocol import count, finite, non_negative, positive


def pulse_cv_formation(
    *,
    voltages_V: Sequence[float] = (1.4, 1.0, 0.8),
    hold_s: float = 10.0,
    rest_s: float = 0.0,
    repeats: int = 100,
    cutoff_current_mA: float | None = None,
    initial_rest_s: float = 60.0,
    sample_s: float = 1.0,
) -> Schedule:
    """Hold each of ``voltages_V`` for ``hold_s`` (or until |I| falls to ``cutoff_current_mA``), with a rest
    of ``rest_s`` after each hold (none for 0), the sequence repeated ``repeats`` times, after an open-circuit
    rest of ``initial_rest_s``. ``voltages_V=(1.0,), repeats=1`` and a long ``hold_s`` is the
    constant-voltage formation."""
    arguments = dict(locals())
    levels = _numbers("voltages_V", voltages_V)
    block: list[Item] = []
    for voltage in levels:
        block.append(CV(voltage, duration_s=positive("hold_s", hold_s), cutoff_current_mA=cutoff_current_mA))
        if non_negative("rest_s", rest_s) > 0:
            block.append(Rest(rest_s))
    steps = _initial_rest(initial_rest_s) + _repeated(block, count("repeats", repeats))
    kind = "pulsed constant-voltage" if count("repeats", repeats) > 1 or len(levels) > 1 else "constant-voltage"
    return Schedule(tuple(steps), name="pulse_cv_formation", sample_s=sample_s, cell_type="anode-half",
                    description=f"{kind} SEI formation at {', '.join(f'{v:g}' for v in levels)} V, "
                                f"{count('repeats', repeats)}x (seed 003)",
                    parameters=arguments)


def ccd_staircase(
    *,
    start_mA_cm2: float = 0.05,
    step_mA_cm2: float = 0.05,
    stop_mA_cm2: float = 1.0,
    area_cm2: float = 0.785,
    protocol: str = "fixed-time",
    half_cycle_s: float = 1800.0,
    areal_capacity_mAh_cm2: float = 0.1,
    cycles_per_level: int = 1,
    rest_s: float = 0.0,
    cutoff_V: float | None = None,
    sample_s: float = 60.0,
) -> Schedule:
    """Levels ``start_mA_cm2 + m step_mA_cm2`` up to ``stop_mA_cm2``, each ``cycles_per_level`` plate/strip
    pairs (plating first), every half ``half_cycle_s`` long (``protocol="fixed-time"``) or passing
    ``areal_capacity_mAh_cm2`` (``"fixed-capacity"``); a rest of ``rest_s`` after each half (none for 0);
    ``cutoff_V`` a safety limit on |V| (plating stops at -cutoff_V, stripping at +cutoff_V)."""
    arguments = dict(locals())
    start, increment = positive("start_mA_cm2", start_mA_cm2), positive("step_mA_cm2", step_mA_cm2)
    stop, area = positive("stop_mA_cm2", stop_mA_cm2), positive("area_cm2", area_cm2)
    if stop < start:
        raise ValidationError("stop_mA_cm2", f"must be at least start_mA_cm2 ({start}), got {stop}")
    if protocol not in ("fixed-time", "fixed-capacity"):
        raise ValidationError("protocol", f"must be 'fixed-time' or 'fixed-capacity', got {protocol!r}")
    limit = None if cutoff_V is None else positive("cutoff_V", cutoff_V)
    n_levels = math.floor((stop - start) / increment + 1e-9) + 1
    steps: list[Item] = []
    for m in range(n_levels):
        current = round(start + m * increment, 12) * area  # a level as written, not as summed in floats
        pair: list[Item] = []
        for sign in (-1.0, 1.0):
            if protocol == "fixed-time":
                end = {"duration_s": positive("half_cycle_s", half_cycle_s)}
            else:
                end = {"capacity_mAh": positive("areal_capacity_mAh_cm2", areal_capacity_mAh_cm2) * area}
            pair.append(CC(sign * current, cutoff_V=None if limit is None else sign * limit, **end))
            if non_negative("rest_s", rest_s) > 0:
                pair.append(Rest(rest_s))
        steps += _repeated(pair, count("cycles_per_level", cycles_per_level))
    per_half = f"{half_cycle_s:g} s" if protocol == "fixed-time" else f"{areal_capacity_mAh_cm2:g} mAh/cm2"
    return Schedule(tuple(steps), name="ccd_staircase", sample_s=sample_s, cell_type="symmetric", area_cm2=area,
                    description=f"critical current density staircase, {start:g} to "
                                f"{start + (n_levels - 1) * increment:g} mA/cm2 by {increment:g}, {protocol} "
                                f"({per_half} per half-cycle, seed 001)",
                    parameters=arguments)


def gitt(
    *,
    current_mA: float = -0.1,
    pulse_s: float = 60.0,
    rest_s: float = 3600.0,
    n_pulses: int = 20,
    initial_rest_s: float = 600.0,
    cutoff_V: float | None = None,
    pulse_sample_s: float = 1.0,
    rest_sample_s: float = 10.0,
) -> Schedule:
    """An initial rest of ``initial_rest_s``, then ``n_pulses`` of (``current_mA`` for ``pulse_s`` or until
    ``cutoff_V``, rest ``rest_s``); negative current lithiates. The pulses are sampled every
    ``pulse_sample_s``, the rests every ``rest_sample_s``."""
    arguments = dict(locals())
    pulse = CC(current_mA, duration_s=positive("pulse_s", pulse_s), cutoff_V=cutoff_V, sample_s=pulse_sample_s)
    train = PulseTrain(pulse, Rest(positive("rest_s", rest_s)), count("n_pulses", n_pulses))
    direction = "lithiation" if current_mA < 0 else "delithiation"
    return Schedule(tuple(_initial_rest(initial_rest_s) + [train]), name="gitt", sample_s=rest_sample_s,
                    cell_type="anode-half",
                    description=f"GITT, {n_pulses} {direction} pulses of {abs(current_mA):g} mA for {pulse_s:g} s, "
                                f"rests of {rest_s:g} s",
                    parameters=arguments)


def aurbach_ce(
    *,
    current_mA_cm2: float = 0.5,
    area_cm2: float = 1.13,
    reservoir_mAh_cm2: float = 5.0,
    cycle_mAh_cm2: float = 1.0,
    n_cycles: int = 10,
    strip_cutoff_V: float = 0.5,
    conditioning: bool = True,
    sample_s: float = 60.0,
) -> Schedule:
    """Adams et al. (2018) at ``current_mA_cm2``: [plate ``reservoir_mAh_cm2``, strip to ``strip_cutoff_V``]
    when ``conditioning``, plate ``Q_T = reservoir_mAh_cm2``, then ``n_cycles`` of (strip, plate)
    ``Q_C = cycle_mAh_cm2`` (each strip also stopping at the cut-off, should the metal run out), then strip
    to ``strip_cutoff_V``."""
    arguments = dict(locals())
    area = positive("area_cm2", area_cm2)
    current = positive("current_mA_cm2", current_mA_cm2) * area
    reservoir = positive("reservoir_mAh_cm2", reservoir_mAh_cm2) * area
    cycled = positive("cycle_mAh_cm2", cycle_mAh_cm2) * area
    cutoff = positive("strip_cutoff_V", strip_cutoff_V)
    if cycled > reservoir:
        raise ValidationError("cycle_mAh_cm2", f"must not exceed reservoir_mAh_cm2 ({reservoir_mAh_cm2}), "
                                               f"got {cycle_mAh_cm2}")
    if not isinstance(conditioning, bool):
        raise ValidationError("conditioning", f"must be true or false, got {conditioning!r}")
    strip_all = CC(current, cutoff_V=cutoff)
    steps: list[Item] = [CC(-current, capacity_mAh=reservoir), strip_all] if conditioning else []
    steps.append(CC(-current, capacity_mAh=reservoir))
    cycle = Loop((CC(current, capacity_mAh=cycled, cutoff_V=cutoff), CC(-current, capacity_mAh=cycled)),
                 count("n_cycles", n_cycles))
    steps += [cycle, strip_all]
    return Schedule(tuple(steps), name="aurbach_ce", sample_s=sample_s, cell_type="plating", area_cm2=area,
                    description=f"Aurbach reservoir CE at {current_mA_cm2:g} mA/cm2: Q_T {reservoir_mAh_cm2:g}, "
                                f"Q_C {cycle_mAh_cm2:g} mAh/cm2 x {n_cycles}, strip to {cutoff:g} V "
                                "(Adams et al. 2018)",
                    parameters=arguments)


def rate_test(
    *,
    capacity_mAh: float = 0.47,
    c_rates: Sequence[float] = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 0.1),
    cycles_per_rate: int = 3,
    lower_cutoff_V: float = 0.01,
    upper_cutoff_V: float = 1.5,
    rest_s: float = 0.0,
    cv_end_c_rate: float | None = None,
    samples_per_half_cycle: int = 100,
) -> Schedule:
    """``cycles_per_rate`` cycles at each of ``c_rates`` (x ``capacity_mAh`` per hour): lithiation at
    ``-c capacity_mAh`` to ``lower_cutoff_V`` (then held there until ``cv_end_c_rate`` when given: a CCCV),
    delithiation to ``upper_cutoff_V``, a rest of ``rest_s`` after each half (none for 0); each half-cycle
    sampled ``samples_per_half_cycle`` times at its nominal duration ``3600 / c``."""
    arguments = dict(locals())
    capacity = positive("capacity_mAh", capacity_mAh)
    rates = _numbers("c_rates", c_rates)
    lower, upper = finite("lower_cutoff_V", lower_cutoff_V), finite("upper_cutoff_V", upper_cutoff_V)
    if not upper > lower:
        raise ValidationError("upper_cutoff_V", f"must exceed lower_cutoff_V ({lower}), got {upper}")
    points = count("samples_per_half_cycle", samples_per_half_cycle)
    steps: list[Item] = []
    for rate in rates:
        current = positive("c_rates", rate) * capacity
        sample = 3600.0 / rate / points
        if cv_end_c_rate is None:
            lithiation: Item = CC(-current, cutoff_V=lower, sample_s=sample)
        else:
            lithiation = CCCV(-current, lower, cutoff_current_mA=positive("cv_end_c_rate", cv_end_c_rate) * capacity,
                              sample_s=sample)
        cycle: list[Item] = [lithiation]
        if non_negative("rest_s", rest_s) > 0:
            cycle.append(Rest(rest_s, sample_s=sample))
        cycle.append(CC(current, cutoff_V=upper, sample_s=sample))
        if rest_s > 0:
            cycle.append(Rest(rest_s, sample_s=sample))
        steps += _repeated(cycle, count("cycles_per_rate", cycles_per_rate))
    return Schedule(tuple(steps), name="rate_test", sample_s=3600.0 / max(rates) / points, cell_type="anode-half",
                    description=f"rate test of {capacity:g} mAh at C-rates {', '.join(f'{r:g}' for r in rates)}, "
                                f"{cycles_per_rate} cycles each, {lower:g}-{upper:g} V",
                    parameters=arguments)


#: the builders by name (the ``anodelab protocol NAME`` commands)
BUILDERS: dict[str, Callable[..., Schedule]] = {
    "pulse_cv_formation": pulse_cv_formation,
    "ccd_staircase": ccd_staircase,
    "gitt": gitt,
    "aurbach_ce": aurbach_ce,
    "rate_test": rate_test,
}


def _repeated(block: list[Item], repeats: int) -> list[Item]:
    return list(block) if repeats == 1 else [Loop(tuple(block), repeats)]


def _initial_rest(duration_s: float) -> list[Item]:
    return [Rest(duration_s)] if non_negative("initial_rest_s", duration_s) > 0 else []


def _numbers(name: str, values: Any) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValidationError(name, f"must be a sequence of numbers, got {values!r}")
    numbers = tuple(values)
    if not numbers:
        raise ValidationError(name, "needs at least one value")
    return tuple(finite(name, value) for value in numbers)
