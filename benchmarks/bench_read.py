"""Reader speed and memory, side by side with the established readers, printing ratios.

    pip install ".[bench]" && python benchmarks/bench_read.py [--repeat 3] [--rows 5000000]

CPU time (``time.process_time``, all threads, best of ``--repeat``) is used because the machines are
shared; wall time (best of ``--repeat``) is printed beside it, since ``anodelab.read`` hashes the file
(SHA-256, for the provenance) in a thread while it parses: that costs CPU but, on a free core, no
wall time. Every competitor runs in the same process on the same bytes. Peak memory is measured in a fresh
subprocess per reader as the growth of the peak resident set over the state after imports, and is
compared with the size of the columns anodelab returns. Goals (issue 2): binary formats at least as
fast as the fastest established reader (ratio >= 1); text exports >= 0.5x ``polars.read_csv``; peak
memory <= 2x the columns.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "external" / "cycler"


def cpu_seconds(function: Callable[[], object], repeat: int) -> float:
    return seconds(function, repeat)[0]


def seconds(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(CPU s, wall s), each the best of ``repeat`` runs."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        start, start_wall = time.process_time(), time.perf_counter()
        function()
        cpu, wall = min(cpu, time.process_time() - start), min(wall, time.perf_counter() - start_wall)
    return cpu, wall


def make_text_export(path: Path, rows: int) -> None:
    """A cycler-style CSV export (time, voltage, current, capacity) of ``rows`` rows."""
    rng = np.random.default_rng(1)
    time_s = np.arange(rows, dtype=float)
    current = np.where((time_s // 3600) % 2 == 0, 1.0, -1.0)
    voltage = 3.7 + 0.3 * np.sin(time_s / 3600.0) + rng.normal(0, 1e-4, rows)
    capacity = np.abs(np.cumsum(current)) / 3600.0
    table = np.column_stack([time_s, voltage, current, capacity])
    with path.open("w") as handle:
        handle.write("time_s,voltage_V,current_mA,capacity_mAh\n")
        np.savetxt(handle, table, fmt=["%.1f", "%.6f", "%.4f", "%.6f"], delimiter=",")


def competitors(path: Path) -> dict[str, Callable[[], object]]:
    """The established readers for this file's format (only those installed)."""
    suffix = path.suffix.lower()
    out: dict[str, Callable[[], object]] = {}
    if suffix == ".mpr":
        import pandas as pd
        from galvani import BioLogic

        out["galvani"] = lambda: BioLogic.MPRfile(str(path))
        out["galvani+DataFrame"] = lambda: pd.DataFrame(BioLogic.MPRfile(str(path)).data)
    elif suffix in (".nda", ".ndax"):
        import fastnda
        import NewareNDA

        out["fastnda"] = lambda: fastnda.read(str(path))
        out["NewareNDA"] = lambda: NewareNDA.read(str(path))
    elif suffix == ".csv":
        import pandas as pd
        import polars as pl

        out["polars.read_csv"] = lambda: pl.read_csv(path)
        out["pandas.read_csv"] = lambda: pd.read_csv(path)
    return out


def peak_memory(path: Path) -> tuple[float, float]:
    """(peak RSS growth during anodelab.read, bytes of the returned columns), in MiB, in a fresh process.

    Uses the kernel's high-water mark (VmHWM), reset after the imports through /proc/self/clear_refs;
    ``ru_maxrss`` would not do, as a child inherits its parent's peak across fork and exec.
    """
    code = (
        "import json, pathlib, anodelab, anodelab.io.registry as r, numpy, pandas, polars\n"
        f"path = pathlib.Path({str(path)!r})\n"
        "next(r.candidates(path, path.read_bytes()[:65536])).load()\n"
        "def status(key):\n"
        "    line = next(l for l in open('/proc/self/status') if l.startswith(key))\n"
        "    return int(line.split()[1]) / 1024\n"
        "base = status('VmRSS')\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "data = anodelab.read(path)\n"
        "peak = status('VmHWM')\n"
        "columns = data.columns.values() if hasattr(data, 'columns') else []\n"
        "print(json.dumps([peak - base, sum(a.nbytes for a in columns) / 2**20]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    growth, size = json.loads(result.stdout)
    return growth, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the generated text export")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the competitors' warnings about the files are not the subject here
    logging.disable(logging.WARNING)

    import anodelab
    from anodelab.core.record import sha256_of
    from anodelab.io.registry import candidates

    files = [
        EXTERNAL / "biologic" / "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
        EXTERNAL / "biologic" / "biol.mpr",
        EXTERNAL / "neware" / "test.nda",
        EXTERNAL / "neware" / "2-1-6_61[07005012].nda",
        EXTERNAL / "neware" / "20260302_IFE_BTS85_2_9_8_1.ndax",
        EXTERNAL / "neware" / "BTS85-36-6-5-110-20240424.ndax",
    ]
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / f"export_{args.rows}.csv"
        make_text_export(export, args.rows)
        files.append(export)
        print("CPU s, best of", args.repeat, "| read = anodelab.read (sniff + parse + sha256 + cell), CPU / wall; parse = "
              "the format's reader alone | ratio = competitor / anodelab (>= 1: anodelab is faster): CPU to read, "
              "wall to read, CPU to parse")
        print(f"{'file':<40} {'rows':>8} {'read':>13} {'parse':>7} {'sha256':>7}  competitors: CPU s (ratios)"
              f"  | peak RSS growth / columns MiB")
        for path in files:
            reader = next(candidates(path, path.read_bytes()[:65536])).load()
            ours, ours_wall = seconds(lambda: anodelab.read(path), args.repeat)
            parse = cpu_seconds(lambda: reader(path), args.repeat)
            checksum = cpu_seconds(lambda: sha256_of(path), args.repeat)
            rows = len(anodelab.read(path))
            others = []
            for name, function in competitors(path).items():
                theirs, theirs_wall = seconds(function, args.repeat)
                others.append(f"{name} {theirs:.3f} ({theirs / ours:.2f}x, {theirs_wall / ours_wall:.2f}x, {theirs / parse:.2f}x)")
            growth, size = peak_memory(path)
            print(f"{path.name[:40]:<40} {rows:>8} {ours:>6.3f}/{ours_wall:.3f} {parse:>7.3f} {checksum:>7.3f}  {'; '.join(others)}"
                  f"  | {growth:.0f} / {size:.0f} = {growth / size if size else float('nan'):.2f}x")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
