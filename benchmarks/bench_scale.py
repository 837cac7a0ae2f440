"""Scale (issue 18): a fleet of cells on a Dask LocalCluster vs one process, a 50 M-row export streamed,
100,000 spectra DRT on the cluster vs one process.

    python benchmarks/bench_scale.py [--cells 1000] [--rows 50000000] [--spectra 100000] [--workers 2]
                                     [--cycles 10 --samples 100] [--only cells,stream,drt]

(a) ``--cells`` synthetic Si half cells (``sim.virtual.alloy_half_cell``: by default 10 cycles, 2,020 rows,
    ~200 kB of EC-Lab text each; ``--cycles``, ``--samples`` per half-cycle for longer ones) written as a study, analysed by ``analyze`` in this process, then on a LocalCluster
    of ``--workers`` single-threaded workers (this process writing the store): wall time, CPU time (this
    process; the workers' measured by psutil), the speed-up, and whether the two stores hold the same rows
    bit for bit (``anodelab.study.cluster.stored_digest``: per table, rows and the sum of their hashes). Also the per-cell costs docs/scale.md plans
    with: analysis CPU on a worker, store write CPU in the writer, bytes of the entry sent back.
(b) ``benchmarks/bench_stream.py``'s ``run_stream_benchmark(rows=--rows)``: a text export summarised chunk
    by chunk, with its peak memory (skipped when that benchmark is not there).
(c) ``--spectra`` in-situ spectra (``sim.virtual.insitu_eis_series``, one grid, 57 frequencies): the study's
    DRT (``drt_series``, one shared lambda) in this process vs ``drt_series_partitioned`` on the cluster:
    spectra per second, CPU time, and a digest of every spectrum's gamma and metrics (equal: bit for bit).

Everything runs with one BLAS thread (OMP/OPENBLAS/MKL = 1), as the pipeline and Dask workers do. On the
shared 2-core dev box wall times vary by 2x with the other sessions' load: the CPU columns are the cost.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import hashlib
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import psutil

CELLS_PER_FOLDER = 100


def _cpu_s() -> float:
    """CPU seconds of this process (user + system)."""
    times = os.times()
    return times.user + times.system


def _workers_cpu_s(client: Any) -> float:
    """CPU seconds of the cluster's worker processes so far."""
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in client.run(os.getpid).values())


@contextmanager
def _measured(client: Any | None = None) -> Iterator[dict[str, float]]:
    """Wall and CPU seconds of the block (``workers_cpu_s`` too with a client), filled in on exit."""
    took: dict[str, float] = {}
    wall, cpu = time.perf_counter(), _cpu_s()
    workers = _workers_cpu_s(client) if client is not None else 0.0
    yield took
    took["wall_s"], took["cpu_s"] = time.perf_counter() - wall, _cpu_s() - cpu
    took["workers_cpu_s"] = _workers_cpu_s(client) - workers if client is not None else 0.0


def write_cells(folder: Path, count: int, cycles: int = 10, samples: int = 100) -> int:
    """``count`` virtual Si half cells of ``cycles`` cycles, ``samples`` rows per half-cycle, as EC-Lab
    files, 100 per subfolder; returns their bytes."""
    from anodelab.sim.virtual import alloy_half_cell, write_experiment

    for index in range(count):
        cell = alloy_half_cell(seed=index, n_cycles=cycles, samples_per_half_cycle=samples, name=f"cell_{index:05d}")
        write_experiment(cell, folder / f"batch_{index // CELLS_PER_FOLDER:03d}")
    return sum(path.stat().st_size for path in folder.rglob("*.mpt"))


def per_cell_costs(folder: Path, sample: int = 50) -> dict[str, float]:
    """Per cell, over ``sample`` cells: analysis CPU (what a worker spends), store write CPU and wall
    (what the single writer spends) and, of that, the CPU of turning results into rows (``prepare``: pure
    Python that could run on the workers), and the pickled entry's bytes (what crosses the wire)."""
    from anodelab import store
    from anodelab.store.rows import prepare
    from anodelab.study.pipeline import _task, analyse_file, discover
    from anodelab.study.settings import StudySettings

    paths = discover(folder)[0][:sample]
    tasks = [_task(folder, path, StudySettings(), None) for path in paths]
    started = _cpu_s()
    entries = [analyse_file(task) for task in tasks]
    analyse = (_cpu_s() - started) / len(tasks)
    wire = sum(len(pickle.dumps(entry, protocol=5)) for entry in entries) / len(entries)
    started = _cpu_s()
    for entry in entries:
        [prepare(analysis) for analysis in entry.analyses]
    rows = (_cpu_s() - started) / len(entries)
    with tempfile.TemporaryDirectory() as scratch, store.open(Path(scratch) / "costs.duckdb") as db:
        run = db.begin_run("bench", {})
        with _measured() as took:
            for entry in entries:
                db.write_file(run, entry)
    return {"analyse_cpu_ms": 1e3 * analyse, "write_cpu_ms": 1e3 * took["cpu_s"] / len(entries),
            "write_wall_ms": 1e3 * took["wall_s"] / len(entries), "rows_cpu_ms": 1e3 * rows, "entry_kB": wire / 1e3}


def bench_cells(count: int, client: Any, scratch: Path, cycles: int, samples: int) -> None:
    from anodelab.study.cluster import stored_digest
    from anodelab.study.pipeline import analyze

    folder = scratch / "cells"
    with _measured() as made:
        size = write_cells(folder, count, cycles, samples)
    print(f"(a) {count} cells of {cycles} cycles, {size / 1e6:.0f} MB of .mpt, written in {made['cpu_s']:.1f} s CPU")
    costs = per_cell_costs(folder)
    print("    per cell: analysis {analyse_cpu_ms:.1f} ms CPU (worker); store write {write_cpu_ms:.1f} ms CPU "
          "({rows_cpu_ms:.1f} of it making rows), {write_wall_ms:.1f} ms wall (writer); entry sent back "
          "{entry_kB:.0f} kB".format(**costs))
    with _measured() as one:
        single = analyze(folder, out=scratch / "one", figures=False, report=False)
    with _measured(client) as many:
        cluster = analyze(folder, out=scratch / "cluster", scheduler=client, figures=False, report=False)
    assert len(single.analysed) == len(cluster.analysed) == count
    identical = stored_digest(single.database) == stored_digest(cluster.database)
    _row("    one process", one, count, "cells")
    _row(f"    cluster, {len(client.nthreads())} workers", many, count, "cells")
    print(f"    speed-up {one['wall_s'] / many['wall_s']:.2f}x wall; CPU cluster / one process "
          f"{(many['cpu_s'] + many['workers_cpu_s']) / one['cpu_s']:.2f}; stores identical: {identical}")


def bench_stream(rows: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from bench_stream import run_stream_benchmark
    except ImportError as error:
        print(f"(b) skipped: benchmarks/bench_stream.py is not importable ({error})")
        return
    result = run_stream_benchmark(rows=rows)
    print(f"(b) {result['rows']:,} rows streamed: {result['cpu_s']:.1f} s CPU, {result['wall_s']:.1f} s wall, "
          f"peak RSS {result['peak_rss_MiB']:.0f} MiB (< 1024: {result['peak_rss_MiB'] < 1024}); "
          f"identical to the whole-file summary: {result['identical']}")


def bench_drt(count: int, client: Any) -> None:
    from anodelab.drt.partition import drt_series_partitioned
    from anodelab.drt.series import drt_series
    from anodelab.sim.virtual import insitu_eis_series

    series = insitu_eis_series(seed=0, spectra_per_half_cycle=max(count // 2, 1)).data
    count = len(series)
    print(f"(c) {count:,} spectra, {series[0].frequency_Hz.size} frequencies each, one shared lambda")
    with _measured() as one:
        digest = _digest(drt_series(series, shared_lambda=True))
    with _measured(client) as many:
        partitioned = _digest(drt_series_partitioned(series, client, shared_lambda=True))
    _row("    one process", one, count, "spectra")
    _row(f"    partitioned, {len(client.nthreads())} workers", many, count, "spectra")
    print(f"    speed-up {one['wall_s'] / many['wall_s']:.2f}x wall; CPU cluster / one process "
          f"{(many['cpu_s'] + many['workers_cpu_s']) / one['cpu_s']:.2f}; results identical: {digest == partitioned}")


def _digest(result: Any) -> str:
    """SHA-256 of the map and of every spectrum's gamma, lambda and metrics (values and uncertainties)."""
    digest = hashlib.sha256(np.ascontiguousarray(result.gamma_map_ohm).tobytes())
    for spectrum in result.results:
        digest.update(spectrum.gamma_ohm.tobytes())
        numbers = [(m.value, m.stderr) for m in spectrum.metrics()]
        digest.update(np.array(numbers, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _warm() -> None:
    """Import what the tasks use, so a worker's first task does not pay for it (cluster start-up, not work)."""
    import anodelab.drt.partition
    import anodelab.study.pipeline  # noqa: F401


def _row(label: str, took: dict[str, float], count: int, unit: str) -> None:
    cpu = took["cpu_s"] + took["workers_cpu_s"]
    print(f"{label:<30} wall {took['wall_s']:8.1f} s  CPU {cpu:8.1f} s (here {took['cpu_s']:.1f})  "
          f"{count / took['wall_s']:8.1f} {unit}/s wall  {count / cpu:8.1f} {unit}/CPU s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--spectra", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cycles", type=int, default=10, help="cycles per cell")
    parser.add_argument("--samples", type=int, default=100, help="rows per half-cycle")
    parser.add_argument("--only", default="cells,stream,drt", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    from distributed import Client

    from anodelab.study.cluster import local_cluster

    if "stream" in parts:
        bench_stream(args.rows)
    with tempfile.TemporaryDirectory(prefix="anodelab-bench-scale-") as scratch:
        if parts & {"cells", "drt"}:
            print(f"{psutil.cpu_count()} cores here; LocalCluster of {args.workers} single-threaded workers")
            started = time.perf_counter()
            with local_cluster(n_workers=args.workers) as cluster, Client(cluster) as client:
                client.run(_warm)
                print(f"cluster started, anodelab imported on the workers: {time.perf_counter() - started:.1f} s wall")
                if "cells" in parts:
                    bench_cells(args.cells, client, Path(scratch), args.cycles, args.samples)
                if "drt" in parts:
                    bench_drt(args.spectra, client)


if __name__ == "__main__":
    main()
