"""Reader speed and memory, side by side with the established readers, printing ratios.

    pip install ".[bench]" && python benchmarks/bench_read.py [--repeat 5] [--rows 5000000] [--only mpr,ndax]

CPU time (``time.process_time``: all threads, kernel time included) is used because the machines
are shared: the best of ``--repeat`` runs, the readers taking turns within each round (in a shuffled order,
so that each sees the same machine load and allocator state); wall time (best of the same runs) is printed
beside it. ``anodelab.read`` is the whole read: sniffing, parse, conversion to the canonical columns
and the SHA-256 of the file for the provenance, except where the reader parsed the file from one
buffer (the .mpr reader): there the digest of that buffer is deferred until ``provenance.sha256``
is first read, so ``read`` excludes it and ``read+sha`` (the read, then ``provenance.sha256``)
includes it; both are printed, with a ratio each. Other files are hashed from disk, after the parse
or, for files of 64 MiB and more, in a thread while it runs (``read`` = ``read+sha`` there). Every
competitor runs in the same process on the
same bytes and returns what it returns by default (printed above the table). Peak memory is measured
in a fresh subprocess per reader as the growth of the peak resident set over the state after
imports, and is compared with the size of the columns anodelab returns. Goals (issues 2, 10): binary
formats at least as fast as the fastest established reader (ratio >= 1); text exports >= 0.5x
``polars.read_csv``; peak memory <= 2x the columns.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import random
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


def interleaved(functions: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """(CPU s, wall s) of each function, each the best of ``repeat`` rounds in which all take turns
    (in a new seeded random order each round, so that none always runs after the same one: a reader
    that follows one which freed much memory pays page faults for the memory it takes back)."""
    best = {name: (float("inf"), float("inf")) for name in functions}
    names, shuffle = list(functions), random.Random(0).shuffle
    for _ in range(repeat):
        shuffle(names)
        for name in names:
            start, start_wall = time.process_time(), time.perf_counter()
            functions[name]()
            cpu, wall = time.process_time() - start, time.perf_counter() - start_wall
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best


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


#: what each reader returns (the work it does), printed with the results
RETURNS = {
    "anodelab.read": "a Record: canonical float64 columns (time_s, voltage_V, current_mA, capacity_mAh), step, "
                     "cycle and state numbered, the instrument's other columns kept, the file's SHA-256 in the "
                     "provenance (.mpr: deferred to its first use; see read+sha)",
    "galvani": "BioLogic.MPRfile: a numpy record array over a copy of the data module (instrument columns as "
               "stored; no units, steps, cycles or checksum)",
    "galvani+DataFrame": "the same, wrapped in a pandas DataFrame",
    "fastnda": "fastnda.read defaults: a polars DataFrame, cycles numbered by its 'chg' rule, step types as a "
               "categorical (anodelab decodes .ndax members with fastnda's decoders and joins their records itself, "
               "as fastnda.read(raw cycles, integer step types) would, bit for bit; it numbers its own cycles)",
    "NewareNDA": "NewareNDA.read: a pandas DataFrame",
    "polars.read_csv": "a polars DataFrame of the columns as typed in the file",
    "pandas.read_csv": "a pandas DataFrame of the columns as typed in the file",
}


def competitors(path: Path) -> dict[str, Callable[[], object]]:
    """The established readers for this file's format (only those installed)."""
    suffix = path.suffix.lower()
    out: dict[str, Callable[[], object]] = {}
    if suffix == ".mpr":
        import pandas as pd
        from galvani import BioLogic

        out["galvani"] = functools.partial(BioLogic.MPRfile, str(path))
        out["galvani+DataFrame"] = lambda: pd.DataFrame(BioLogic.MPRfile(str(path)).data)
    elif suffix in (".nda", ".ndax"):
        import fastnda
        import NewareNDA

        out["fastnda"] = functools.partial(fastnda.read, str(path))
        out["NewareNDA"] = functools.partial(NewareNDA.read, str(path))
    elif suffix == ".csv":
        import pandas as pd
        import polars as pl

        out["polars.read_csv"] = functools.partial(pl.read_csv, path)
        out["pandas.read_csv"] = functools.partial(pd.read_csv, path)
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
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the generated text export")
    parser.add_argument("--only", default="", help="comma-separated suffixes or name parts of the files to run")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the competitors' warnings about the files are not the subject here
    logging.disable(logging.WARNING)

    import anodelab
    from anodelab.io.checksum import sha256_of
    from anodelab.io.registry import candidates

    files = [
        EXTERNAL / "biologic" / "jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
        EXTERNAL / "biologic" / "biol.mpr",
        EXTERNAL / "neware" / "test.nda",
        EXTERNAL / "neware" / "2-1-6_61[07005012].nda",
        EXTERNAL / "neware" / "20260302_IFE_BTS85_2_9_8_1.ndax",
        EXTERNAL / "neware" / "BTS85-36-6-5-110-20240424.ndax",
    ]
    only = [part for part in args.only.split(",") if part]
    with tempfile.TemporaryDirectory() as folder:
        files.append(Path(folder) / f"export_{args.rows}.csv")
        files = [path for path in files if not only or any(part in path.name for part in only)]
        if files and files[-1].parent == Path(folder):
            make_text_export(files[-1], args.rows)
        print("What each returns:")
        for name, what in RETURNS.items():
            print(f"  {name}: {what}")
        print(f"CPU s, best of {args.repeat} interleaved rounds | read = anodelab.read, CPU / wall (.mpr: its SHA-256 "
              "deferred); read+sha = the read, then provenance.sha256 (CPU); parse = the format's reader alone; "
              "sha256 = hashing the file from disk | ratio = competitor / anodelab (>= 1: anodelab is faster): "
              "to read CPU, to read wall, to read+sha CPU")
        print(f"{'file':<40} {'rows':>8} {'read':>13} {'read+sha':>8} {'parse':>7} {'sha256':>7}  competitors: CPU s "
              f"(ratios)  | peak RSS growth / columns MiB")
        for path in files:
            reader = next(candidates(path, path.read_bytes()[:65536])).load()
            functions = {"read": functools.partial(anodelab.read, path),
                         "read+sha": lambda path=path: anodelab.read(path).provenance.sha256,
                         "parse": functools.partial(reader, path),
                         "sha256": functools.partial(sha256_of, path), **competitors(path)}
            times = interleaved(functions, args.repeat)
            (ours, ours_wall), hashed = times.pop("read"), times.pop("read+sha")[0]
            parse, checksum = times.pop("parse")[0], times.pop("sha256")[0]
            rows = len(anodelab.read(path))
            others = [f"{name} {cpu:.4f} ({cpu / ours:.2f}x, {wall / ours_wall:.2f}x, {cpu / hashed:.2f}x)"
                      for name, (cpu, wall) in times.items()]
            growth, size = peak_memory(path)
            print(f"{path.name[:40]:<40} {rows:>8} {ours:>6.4f}/{ours_wall:.4f} {hashed:>8.4f} {parse:>7.4f} "
                  f"{checksum:>7.4f}  {'; '.join(others)}  | {growth:.0f} / {size:.0f} = "
                  f"{growth / size if size else float('nan'):.2f}x")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
