"""Cycle summary speed: anodelab vs navani and cellpy, on a generated >= 10-million-row record and real files.

    python benchmarks/bench_cycling.py [--rows 10000000] [--cycles 200] [--repeat 3]

anodelab runs in this process. navani pins an old numpy, so it runs in its own venv
(``NAVANI_PYTHON``, default benchmarks/.venv-navani/bin/python, made by
``bash benchmarks/make_venvs.sh navani``); cellpy runs here when importable
(``pip install 'anodelab[bench-cycling]'``), else from ``CELLPY_PYTHON`` (default
benchmarks/.venv-cellpy/bin/python, ``make_venvs.sh cellpy``). Each tool gets the same arrays (written to a temporary .npz) in its
own column layout, and only its summary call is timed (best of ``--repeat``). The "one pass"
reference is the time to reduce every column the summary reads once (np.add.reduce).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
NAVANI = os.environ.get("NAVANI_PYTHON", str(HERE / ".venv-navani" / "bin" / "python"))
CELLPY = os.environ.get("CELLPY_PYTHON", str(HERE / ".venv-cellpy" / "bin" / "python"))
EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "external"


def generate(rows: int, cycles: int) -> dict[str, np.ndarray]:
    """An anode half-cell: per cycle a lithiation, a rest, a delithiation, a rest (rows split 45/5/45/5 %)."""
    per_cycle = rows // cycles
    active, rest = int(per_cycle * 0.45), per_cycle // 2 - int(per_cycle * 0.45)
    lengths = np.tile([active, rest, active, rest], cycles)
    current = np.tile([-1.0, 0.0, 1.0, 0.0], cycles)  # mA
    fade = np.repeat(0.999 ** np.arange(cycles), 4)
    step_of_row = np.repeat(np.arange(lengths.size), lengths)
    start = np.r_[0, np.cumsum(lengths)[:-1]]
    x = (np.arange(step_of_row.size) - start[step_of_row]) / np.maximum(lengths[step_of_row] - 1, 1)
    duration = 3600.0 * fade[step_of_row]  # 1 mA for ~1 h per half-cycle
    dt = duration / np.maximum(lengths[step_of_row] - 1, 1)
    dt[start] = 1.0
    time_s = np.cumsum(dt) - 1.0
    i = current[step_of_row]
    capacity = np.abs(i) * x * duration / 3600.0
    kind = np.tile([0, 1, 2, 1], cycles)[step_of_row]
    voltage = np.select([kind == 0, kind == 2], [0.8 - 0.75 * x, 0.05 + 1.1 * x], 0.6)
    state = np.where(i < 0, 2, np.where(i > 0, 1, 0)).astype(np.int8)
    return {"time_s": time_s, "voltage_V": voltage, "current_mA": i, "capacity_mAh": capacity,
            "step": step_of_row.astype(np.int32) + 1, "state": state,
            "cycle_of_step": np.repeat(np.arange(cycles) + 1, 4).astype(np.int32)}


def best(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t)
    return min(times), result


NAVANI_SCRIPT = r"""
import sys, json, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
import navani.echem as ec
d = np.load(sys.argv[1]); repeat = int(sys.argv[2])
state = d["state"]
# navani layout: state 1 = discharge, 0 = charge, 'R' = rest (a number here, which only helps it)
nav_state = np.where(state == 2, 1, np.where(state == 1, 0, -1))
step = d["step"]; cyc = d["cycle_of_step"][step - 1]
half = 2 * cyc - (state == 2)                       # navani's running half-cycle count
half = np.where(state == 0, 2 * cyc - 1 + ((step - 1) % 4 >= 2), half)
df = pd.DataFrame({"Voltage": d["voltage_V"], "Current": d["current_mA"], "Capacity": d["capacity_mAh"],
                   "state": nav_state, "half cycle": half, "Time": d["time_s"]})
times = []
for _ in range(repeat):
    frame = df.copy(); t = time.perf_counter(); s = ec.cycle_summary(frame); times.append(time.perf_counter() - t)
print(json.dumps({"s": min(times), "discharge": s["Discharge Capacity"].tolist(), "charge": s["Charge Capacity"].tolist()}))
"""

CELLPY_SCRIPT = r"""
import sys, json, time, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
import numpy as np, pandas as pd
from cellpy.readers.cellreader import CellpyCell
from cellpy.readers.core import Data
d = np.load(sys.argv[1]); repeat = int(sys.argv[2])
step = d["step"]; cyc = d["cycle_of_step"][step - 1]; q = d["capacity_mAh"] / 1000.0  # cellpy: Ah, A
# Arbin-style counters, cumulative within the cycle (what cellpy's summary expects): the
# discharge counter holds its final value through the rest of the cycle
first = np.flatnonzero(np.r_[True, step[1:] != step[:-1]])
ends = np.r_[first[1:] - 1, step.size - 1]
kind = (step - 1) % 4
final_discharge = q[ends[0::4]]
dis = np.where(kind == 0, q, final_discharge[cyc - 1])
chg = np.where(kind == 2, q, np.where(kind == 3, q[ends[2::4]][cyc - 1], 0.0))
df = pd.DataFrame({"data_point": np.arange(step.size), "test_time": d["time_s"], "step_time": 0.0,
                   "cycle_index": cyc, "step_index": kind + 1, "current": d["current_mA"] / 1000.0,
                   "voltage": d["voltage_V"], "charge_capacity": chg, "discharge_capacity": dis})
times = []
for _ in range(repeat):
    c = CellpyCell(); data = Data(); data.raw = df.copy(); data.mass = 1.0; c.data = data
    t = time.perf_counter(); c.make_step_table(); c.make_summary(); times.append(time.perf_counter() - t)
s = c.data.summary
print(json.dumps({"s": min(times), "discharge": (s["discharge_capacity"] * 1000).tolist(),
                  "charge": (s["charge_capacity"] * 1000).tolist()}))
"""


def run_other(python: str, script: str, npz: Path, repeat: int) -> dict | None:
    if not Path(python).exists():
        return None
    done = subprocess.run([python, "-c", script, str(npz), str(repeat)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  ({python} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from anodelab.core.cell import CellInfo, Electrode
    from anodelab.core.record import Record
    from anodelab.cycling import cycle_summary

    data = generate(args.rows, args.cycles)
    cell = CellInfo("anode-half", working_electrode=Electrode(mass_mg=1.0))
    columns = {k: v for k, v in data.items() if k != "cycle_of_step"}
    record = Record.from_columns(columns, cell=cell)
    n = len(record)
    ours, summary = best(lambda: cycle_summary(record), args.repeat)
    used = [record[name] for name in ("voltage_V", "capacity_mAh", "state", "step", "cycle", "current_mA", "time_s")]
    one_pass, _ = best(lambda: [np.add.reduce(column) for column in used], args.repeat)
    print(f"generated record: {n:,} rows, {args.cycles} cycles")
    print(f"  anodelab cycle_summary   {ours:8.3f} s   ({ours / one_pass:.1f}x one pass over its {len(used)} columns, "
          f"{one_pass:.3f} s)")
    with tempfile.TemporaryDirectory() as folder:
        npz = Path(folder) / "record.npz"
        np.savez(npz, **data)
        for name, python, script in (("navani", NAVANI, NAVANI_SCRIPT), ("cellpy", CELLPY, CELLPY_SCRIPT)):
            other = run_other(python, script, npz, args.repeat)
            if other is None:
                print(f"  {name:<24} not available")
                continue
            discharge = np.asarray(other["discharge"], dtype=float)[-args.cycles:]
            agree = np.nanmax(np.abs(discharge / summary["insertion_mAh"] - 1))
            print(f"  {name:<24} {other['s']:8.3f} s   anodelab is {other['s'] / ours:6.1f}x faster "
                  f"(lithiation capacities agree to {agree:.1e})")
    real_files(args.repeat)


def real_files(repeat: int) -> None:
    """anodelab vs navani's cycle_summary on already-loaded real files (loading not timed)."""
    import anodelab
    from anodelab.core.cell import CellInfo
    from anodelab.cycling import cycle_summary

    files = [("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr", "cathode-half"),
             ("cycler/land/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx", "anode-half"),
             ("cycler/neware/TestFile.nda", "full")]
    script = ("import sys,time,warnings;warnings.filterwarnings('ignore');import navani.echem as ec\n"
              "df=ec.echem_file_loader(sys.argv[1]);ts=[]\n"
              "for _ in range(int(sys.argv[2])):\n f=df.copy();t=time.perf_counter();ec.cycle_summary(f);ts.append(time.perf_counter()-t)\n"
              "print(min(ts))")
    print("real files (summary only, best of", repeat, ")")
    for relative, cell_type in files:
        path = EXTERNAL / relative
        if not path.exists():
            continue
        record = anodelab.read(path).with_cell(CellInfo(cell_type))
        ours, _ = best(lambda record=record: cycle_summary(record), repeat)
        line = f"  {path.name[:40]:<40} anodelab {ours * 1e3:7.2f} ms"
        if Path(NAVANI).exists():
            done = subprocess.run([NAVANI, "-c", script, str(path), str(repeat)], capture_output=True, text=True,
                                  check=False)
            if done.returncode == 0:
                theirs = float(done.stdout.strip().splitlines()[-1])
                line += f"   navani {theirs * 1e3:8.2f} ms   ({theirs / ours:.0f}x)"
        print(line)


if __name__ == "__main__":
    main()
