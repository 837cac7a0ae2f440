"""Speed of the symmetric-cell analyses on a long record: a 2000-hour Li|Li cycling at 1 s sampling
(7.2 million rows, 1-h half-cycles at 0.1 mA/cm2, overpotential 13 mV growing 0.05 mV/h, 0.3 mV noise,
a hard short at 1500 h), built with numpy in the shape ``sim.virtual.metal.symmetric_cycling`` gives.

Prints, per analysis, the CPU time and the peak memory the analysis allocated (tracemalloc, numpy's
arrays included), and checks the answers against the truth the record was built with.

    python benchmarks/bench_plating.py [--hours 2000] [--dt-s 1]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from anodelab.core.cell import CellInfo, Electrode
from anodelab.core.record import Record
from anodelab.plating.shorts import detect_shorts
from anodelab.plating.trace import overpotential_trace

AREA_CM2 = 0.785
CURRENT_MA = 0.1 * AREA_CM2
HALF_CYCLE_S = 3600.0
ETA0_V, GROWTH_V_PER_H, NOISE_V, R_SHORT_OHM = 0.013, 5e-5, 3e-4, 2.0


def build(hours: float, dt_s: float, short_h: float, seed: int = 0) -> Record:
    """The record: alternating +/- CURRENT_MA half-cycles (plating first), a hard short at ``short_h``."""
    time_s = np.arange(0.0, hours * 3600.0 + dt_s / 2, dt_s)
    half = np.minimum((time_s // HALF_CYCLE_S).astype(np.int64), int(hours * 3600 / HALF_CYCLE_S) - 1)
    sign = np.where(half % 2 == 0, -1.0, 1.0)
    current = sign * CURRENT_MA
    voltage = sign * (ETA0_V + GROWTH_V_PER_H * time_s / 3600.0)
    shorted = time_s >= short_h * 3600.0
    voltage[shorted] = current[shorted] * R_SHORT_OHM / 1000.0
    voltage += np.random.default_rng(seed).normal(0.0, NOISE_V, time_s.size)
    cell = CellInfo("symmetric", working_electrode=Electrode("Li", area_cm2=AREA_CM2),
                    counter_electrode=Electrode("Li", area_cm2=AREA_CM2))
    return Record.from_columns({"time_s": time_s, "voltage_V": voltage, "current_mA": current,
                                "step": half.astype(np.int32) + 1}, cell=cell)


def measure(name: str, analysis: Callable[[], Any]) -> Any:
    tracemalloc.start()
    cpu = time.process_time()
    wall = time.perf_counter()
    result = analysis()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{name:<26} CPU {cpu:6.2f} s   wall {wall:6.2f} s   peak memory {peak / 2**20:7.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2000.0)
    parser.add_argument("--dt-s", type=float, default=1.0)
    parser.add_argument("--short-h", type=float, default=1500.0)
    args = parser.parse_args()
    start = time.perf_counter()
    record = build(args.hours, args.dt_s, args.short_h)
    print(f"record: {len(record):,} rows, {args.hours:g} h at {args.dt_s:g} s, built in "
          f"{time.perf_counter() - start:.1f} s")
    shorts = measure("detect_shorts", lambda: detect_shorts(record))
    trace = measure("overpotential_trace", lambda: overpotential_trace(record))
    measure("detect_shorts again", lambda: detect_shorts(record))  # the first call also pays for the
    measure("overpotential_trace again", lambda: overpotential_trace(record))  # process's first big arrays
    print(f"  {shorts.headline()}")
    print(f"  {trace.headline()}")
    onset = shorts.cycle_life_h
    assert onset is not None and abs(onset - args.short_h) <= args.dt_s / 3600.0, onset
    assert trace.growth_rate is not None and abs(trace.growth_rate.value - 1000 * GROWTH_V_PER_H) < 1e-3


if __name__ == "__main__":
    main()
