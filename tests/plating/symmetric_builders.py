"""Records the symmetric-cell tests build from the virtual lab's pieces (sim.virtual.protocol): a
one-directional plating with periodic rests and an optional short, its voltage-only export, and a
CCD staircase at fixed capacity. Each returns the record and the truth it was built with."""

from __future__ import annotations

from typing import Any

import numpy as np

from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.record import Record
from anodelab.sim.virtual.protocol import Step, run_protocol, to_record

AREA_CM2 = 0.785


def symmetric_cell(area_cm2: float | None = AREA_CM2) -> CellInfo:
    return CellInfo("symmetric", working_electrode=Electrode("Li", area_cm2=area_cm2),
                    counter_electrode=Electrode("Li", area_cm2=area_cm2))


def one_directional(*, hours: int = 24, current_mA: float = -0.0785, segment_s: float = 3600.0,
                    rest_s: float = 600.0, eta_V: float = 0.013, growth_V_per_h: float = 5e-5,
                    short_time_s: float | None = None, short_resistance_ohm: float = 2.0, dt_s: float = 10.0,
                    noise_V: float = 3e-4, seed: int = 0, cell: CellInfo | None = None
                    ) -> tuple[Record, dict[str, Any]]:
    """Plating at ``current_mA`` for ``segment_s``, then a rest of ``rest_s`` at 0 V, repeated for
    ``hours`` of plating; the polarization is ``eta_V + growth_V_per_h * t / 3600`` until
    ``short_time_s``, then the ohmic ``I * R`` (a row is recorded at the short)."""
    sign = float(np.sign(current_mA))

    def plating(e: np.ndarray, q: np.ndarray, t: np.ndarray) -> np.ndarray:
        healthy = sign * (eta_V + growth_V_per_h * t / 3600.0)
        if short_time_s is None:
            return healthy
        return np.where(t >= short_time_s, current_mA * short_resistance_ohm / 1000.0, healthy)

    def rest(e: np.ndarray, q: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.zeros_like(t)

    steps = []
    for _ in range(hours):
        steps.append(Step(current_mA, plating, dt_s=dt_s, duration_s=segment_s))
        steps.append(Step(0.0, rest, dt_s=dt_s, duration_s=rest_s))
    run = run_protocol(steps, record_at_s=() if short_time_s is None else (short_time_s,))
    record = to_record(run, cell=cell or symmetric_cell(), rng=np.random.default_rng(seed), noise_V=noise_V,
                       technique="GCPL", generator="tests.one_directional")
    truth = {"short_time_s": short_time_s, "eta_V": eta_V, "growth_V_per_h": growth_V_per_h,
             "current_mA": current_mA, "segment_s": segment_s, "rest_s": rest_s, "dt_s": dt_s}
    return record, truth


def voltage_only(record: Record, *, transients: bool = True, spikes: bool = True) -> Record:
    """The constant-current rows of ``record`` as a time/voltage export (the rests not written, as an
    in-situ GEIS export leaves them out), with the artefacts of the real file: at each restart one row
    at a fifth of the polarization (the restart transient, 2 ms before the next row), and every 3 h
    (1000 s into the hour) an upward spike of ten rows at five times it."""
    current = record["current_mA"]
    keep = current != 0
    time, voltage = record["time_s"][keep], record["voltage_V"][keep].copy()
    if transients:
        restart = np.flatnonzero(np.diff(time, prepend=time[0]) > 1.5 * np.median(np.diff(time)))
        time = np.insert(time, restart, time[restart] - 0.002)
        voltage = np.insert(voltage, restart, 0.2 * voltage[restart])
    if spikes:
        for hour in range(1, int(time[-1] // 3600), 3):
            at = int(np.searchsorted(time, hour * 3600.0 + 1000.0))
            voltage[at:at + 10] *= 5.0
    return Record.from_columns({"time_s": time, "voltage_V": voltage})


def fixed_capacity_staircase(*, levels_mA_cm2: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
                             capacity_mAh_cm2: float = 0.1, asr_ohm_cm2: float = 20.0, fail_level: int = 4,
                             fail_after_s: float = 120.0, soft_level: int | None = None,
                             samples_per_half_cycle: int = 60, noise_V: float = 3e-4, seed: int = 0,
                             area_cm2: float = AREA_CM2) -> tuple[Record, dict[str, Any]]:
    """A staircase at fixed areal capacity per half-cycle (plate, then strip, per level): polarization
    ``j * asr``; a hard short ``fail_after_s`` into the plating half-cycle of level index ``fail_level``
    (V = I * 2 ohm from then on); with ``soft_level``, a soft-short drop (to 10 % for 10 min) 40 % into
    the plating half-cycle of that level first."""
    times: dict[str, float] = {}
    steps = []
    t = 0.0
    for index, level in enumerate(levels_mA_cm2):
        current = level * area_cm2
        half_s = capacity_mAh_cm2 * 3600.0 / level
        if index == fail_level:
            times["short_time_s"] = t + fail_after_s
        if soft_level is not None and index == soft_level:
            times["soft_time_s"] = t + 0.4 * half_s
        for sign in (-1.0, 1.0):
            steps.append(Step(sign * current, _staircase_voltage(sign * current, level * asr_ohm_cm2 / 1000.0, times),
                              dt_s=half_s / samples_per_half_cycle, capacity_mAh=capacity_mAh_cm2 * area_cm2))
            t += half_s
        if index == fail_level:
            break
    run = run_protocol(steps, record_at_s=tuple(v for k in ("short_time_s", "soft_time_s")
                                                if (v := times.get(k)) is not None)
                       + ((times["soft_time_s"] + 600.0,) if "soft_time_s" in times else ()))
    record = to_record(run, cell=symmetric_cell(area_cm2), rng=np.random.default_rng(seed), noise_V=noise_V,
                       technique="GCPL", generator="tests.fixed_capacity_staircase")
    return record, {"levels_mA_cm2": list(levels_mA_cm2[:fail_level + 1]), "capacity_mAh_cm2": capacity_mAh_cm2,
                    "ccd_mA_cm2": levels_mA_cm2[fail_level],
                    "last_stable_mA_cm2": levels_mA_cm2[(soft_level if soft_level is not None else fail_level) - 1],
                    **times}


def _staircase_voltage(current_mA: float, eta_V: float, times: dict[str, float]):
    sign = np.sign(current_mA)

    def voltage(e: np.ndarray, q: np.ndarray, t: np.ndarray) -> np.ndarray:
        v = np.full(t.shape, sign * eta_V)
        if "soft_time_s" in times:
            soft = times["soft_time_s"]
            v = np.where((t >= soft) & (t < soft + 600.0), 0.1 * v, v)
        if "short_time_s" in times:
            v = np.where(t >= times["short_time_s"], current_mA * 2.0 / 1000.0, v)
        return v

    return voltage


def rate_blocks(*, levels_mA_cm2: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0, 2.0, 0.1), cycles_per_level: int = 5,
                half_cycle_s: float = 1800.0, asr_ohm_cm2: float = 20.0, dt_s: float = 60.0, noise_V: float = 3e-4,
                seed: int = 0, area_cm2: float = AREA_CM2) -> Record:
    """A symmetric-cell rate test: ``cycles_per_level`` plate/strip cycles of ``half_cycle_s`` at each
    current density, polarization ``j * asr`` (ohmic), ending back at a low current (a recovery block)."""
    steps = []
    for level in levels_mA_cm2:
        for _ in range(cycles_per_level):
            for sign in (-1.0, 1.0):
                eta_V = sign * level * asr_ohm_cm2 / 1000.0
                steps.append(Step(sign * level * area_cm2, lambda e, q, t, v=eta_V: np.full(t.shape, v), dt_s=dt_s,
                                  duration_s=half_cycle_s))
    return to_record(run_protocol(steps), cell=symmetric_cell(area_cm2), rng=np.random.default_rng(seed),
                     noise_V=noise_V, technique="GCPL", generator="tests.rate_blocks")


def peaking_then_rectangular(*, peaking: int = 10, rectangular: int = 10, dt_s: float = 60.0, noise_V: float = 1e-3,
                             seed: int = 0) -> Record:
    """Symmetric cycling (1 h half-cycles, 13 mV) whose first ``peaking`` cycles peak at each half-cycle's
    start (``13 mV x (1 + 0.6 exp(-x / 0.05))``, x the fraction of the half-cycle) and whose last
    ``rectangular`` cycles are flat: the trace turns rectangular at the first flat half-cycle."""
    current_mA, half_cycle_s = 0.1 * AREA_CM2, 3600.0
    steps = []
    for cycle in range(peaking + rectangular):
        amplitude = 0.6 if cycle < peaking else 0.0
        for sign in (-1.0, 1.0):
            def voltage(e: np.ndarray, q: np.ndarray, t: np.ndarray, s: float = sign, a: float = amplitude) -> np.ndarray:
                return s * 0.013 * (1.0 + a * np.exp(-e / half_cycle_s / 0.05))
            steps.append(Step(sign * current_mA, voltage, dt_s=dt_s, duration_s=half_cycle_s))
    return to_record(run_protocol(steps), cell=symmetric_cell(), rng=np.random.default_rng(seed), noise_V=noise_V,
                     technique="GCPL", generator="tests.peaking_then_rectangular")
