"""Peak memory and throughput of the streaming cycle summary on a very long BioLogic ``.mpt`` text export.

The file is a long cycling test: a virtual Si half-cell (``sim.virtual.cycling.alloy_half_cell``) written by
``sim.virtual.writers.write_mpt`` and its rows repeated, each copy later in time, with its steps and cycles
numbered on, until the file holds ``--rows`` rows (written a block at a time; 50 M rows are ~5 GB: the
free disk space is checked first and the file deleted after). Each measurement runs in a child process,
whose CPU time and peak resident memory (``ru_maxrss`` from ``os.wait4``) are reported:

* the streaming path, ``cycle_summary_stream(read_chunks(path, rows=chunk))``, on the long file (goal:
  peak RSS under 1 GiB);
* for comparison, on a shorter file (``--compare-rows``): the whole-file path ``cycle_summary(read(path))``
  and the streaming path, whose summaries must be identical (their ``to_dict()`` as strict JSON).

    python benchmarks/bench_stream.py [--rows 50000000] [--chunk-rows 1000000] [--compare-rows 2000000]

:func:`run_stream_benchmark` returns the numbers (for ``benchmarks/bench_scale.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: the virtual test repeated: cycles and rows per half-cycle (each copy: 2 x N_CYCLES x SAMPLES rows)
N_CYCLES, SAMPLES = 20, 500
_BLOCK_COPIES = 40  # copies formatted per write
_BYTES_PER_ROW = 110  # about, for the disk check


def _base() -> tuple[list[str], Any, float]:
    """The header lines of the virtual test's .mpt, its data rows (a polars frame of the EC-Lab columns) and its
    duration plus one sampling interval (s)."""
    import polars as pl

    from anodelab.sim.virtual.cycling import alloy_half_cell
    from anodelab.sim.virtual.writers import write_mpt

    experiment = alloy_half_cell(n_cycles=N_CYCLES, samples_per_half_cycle=SAMPLES, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = write_mpt(experiment.data, Path(folder) / "base.mpt", cell=experiment.cell)
        lines = path.read_bytes().decode("latin-1").split("\r\n")
    header_count = int(lines[1].split(":")[1])
    header, names = lines[: header_count - 1], lines[header_count - 1].split("\t")
    rows = [line.split("\t") for line in lines[header_count:] if line]
    frame = pl.DataFrame({name: [row[i] for row in rows] for i, name in enumerate(names)})
    frame = frame.with_columns(pl.col(n).cast(pl.Int64) for n in names if n in _INTEGER_COLUMNS)
    frame = frame.with_columns(pl.col(n).cast(pl.Float64) for n in names if n not in _INTEGER_COLUMNS)
    time_s = frame["time/s"].to_numpy()
    return [*header, "\t".join(names)], frame, float(time_s[-1] + (time_s[-1] - time_s[-2]))


_INTEGER_COLUMNS = ("mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns", "cycle number")


def write_long_mpt(path: Path, rows: int) -> Path:
    """An ``.mpt`` of ``rows`` data rows: the virtual test repeated (module docstring), written in blocks."""
    import polars as pl

    header, frame, duration_s = _base()
    header[1] = f"Nb header lines : {len(header)}".ljust(46)
    steps = int(frame["Ns"].max()) + 1
    cycles = int(frame["cycle number"].max())
    charge = float(frame["(Q-Qo)/mA.h"][-1])
    with path.open("wb") as handle:
        handle.write(("\r\n".join(header) + "\r\n").encode("latin-1"))
        written, copy = 0, 0
        while written < rows:
            copies = range(copy, copy + _BLOCK_COPIES)
            block = pl.concat([frame.with_columns(
                pl.col("time/s") + k * duration_s, pl.col("Ns") + k * steps, pl.col("cycle number") + k * cycles,
                pl.col("(Q-Qo)/mA.h") + k * charge,
                pl.when(pl.int_range(pl.len()) == 0).then(int(k > 0)).otherwise(pl.col("Ns changes")).alias("Ns changes"),
            ) for k in copies]).head(rows - written)
            block.write_csv(handle, separator="\t", include_header=False, line_terminator="\r\n")
            written += block.height
            copy += _BLOCK_COPIES
    return path


_CHILD = """
import json, sys
from anodelab.cli.strict_json import dumps
path, mode, chunk, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == "stream":
    from anodelab.cycling.stream import cycle_summary_stream
    from anodelab.io.stream import read_chunks
    summary = cycle_summary_stream(read_chunks(path, rows=chunk))
else:
    from anodelab.cycling import cycle_summary
    from anodelab.io import read
    summary = cycle_summary(read(path))
with open(out, "w") as handle:
    handle.write(dumps(summary.to_dict()))
"""


def measure(path: Path, mode: str, chunk_rows: int) -> dict[str, Any]:
    """Summarise ``path`` in a child process (``mode`` "stream" or "whole"): its CPU and wall time, peak RSS,
    and the summary's ``to_dict()`` as strict JSON."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        wall = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), mode, str(chunk_rows), out.name])
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - wall
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise RuntimeError(f"the {mode} summary of {path} failed (exit status {child.returncode})")
        summary = out.read()
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "peak_rss_MiB": usage.ru_maxrss / 1024.0,
            "summary": summary}


def run_stream_benchmark(rows: int = 50_000_000, *, chunk_rows: int = 1_000_000, compare_rows: int = 2_000_000,
                         folder: str | Path | None = None) -> dict[str, Any]:
    """Write the long file (``rows`` rows) and the comparison file in ``folder`` (default: the temporary
    folder), measure (module docstring), delete them; returns ``rows``, ``cpu_s``, ``wall_s``,
    ``peak_rss_MiB`` (the streaming summary of the long file), ``rows_per_s`` (per CPU second),
    ``identical`` (the streaming summary of the comparison file equals the whole-file one), and the
    comparison runs under ``whole`` and ``stream_compare``."""
    folder = Path(folder or tempfile.gettempdir())
    need = (rows + compare_rows) * _BYTES_PER_ROW
    free = shutil.disk_usage(folder).free
    if free < 1.2 * need:
        raise RuntimeError(f"{folder} has {free / 2**30:.1f} GiB free; the files need about {need / 2**30:.1f} GiB")
    work = Path(tempfile.mkdtemp(prefix="anodelab-bench-stream-", dir=folder))
    try:
        start = time.perf_counter()
        long_file = write_long_mpt(work / "long.mpt", rows)
        written_s = time.perf_counter() - start
        compare_file = write_long_mpt(work / "compare.mpt", compare_rows)
        streamed = measure(long_file, "stream", chunk_rows)
        whole = measure(compare_file, "whole", chunk_rows)
        compared = measure(compare_file, "stream", chunk_rows)
        size = long_file.stat().st_size
    finally:
        shutil.rmtree(work, ignore_errors=True)
    identical = whole.pop("summary") == compared.pop("summary")
    streamed.pop("summary")
    return {"rows": rows, "cpu_s": streamed["cpu_s"], "wall_s": streamed["wall_s"],
            "peak_rss_MiB": streamed["peak_rss_MiB"], "rows_per_s": rows / streamed["cpu_s"], "identical": identical,
            "file_GiB": size / 2**30, "write_s": written_s, "chunk_rows": chunk_rows, "compare_rows": compare_rows,
            "whole": whole, "stream_compare": compared}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--compare-rows", type=int, default=2_000_000)
    parser.add_argument("--folder", help="where to write the files (default: the temporary folder)")
    args = parser.parse_args()
    result = run_stream_benchmark(args.rows, chunk_rows=args.chunk_rows, compare_rows=args.compare_rows,
                                  folder=args.folder)
    print(f"long file: {result['rows']:,} rows, {result['file_GiB']:.2f} GiB (written in {result['write_s']:.0f} s)")
    print(f"streaming summary: CPU {result['cpu_s']:.1f} s ({result['rows_per_s'] / 1e6:.2f} M rows per CPU s), "
          f"wall {result['wall_s']:.1f} s, peak RSS {result['peak_rss_MiB']:.0f} MiB (goal < 1024)")
    for name, label in (("whole", "whole-file summary"), ("stream_compare", "streaming summary")):
        run = result[name]
        print(f"  {result['compare_rows']:,}-row file, {label}: CPU {run['cpu_s']:.1f} s, peak RSS "
              f"{run['peak_rss_MiB']:.0f} MiB")
    print(f"identical summaries: {result['identical']}")
    print(json.dumps({k: v for k, v in result.items() if k not in ("whole", "stream_compare")}))
    if not result["identical"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
