"""The study pipeline on the demo study: first analysis, unchanged re-run, and ``--jobs 2`` vs ``--jobs 1``.

    python benchmarks/bench_study.py [--seed 0] [--jobs 2]

Writes the demo study (``anodelab.study.demo``) into a temporary folder, then times, each in a fresh
store: ``analyze`` with one process, ``analyze`` again on the unchanged folder (no analysis work:
every file is found in the store under its content key), and ``analyze`` with ``--jobs`` processes.
Prints wall and CPU seconds (this process and its children; not shown for the pool, whose workers
are the fork server's children) and the ratios. Goals (issue 11): the
demo study in under 30 s wall, an unchanged re-run in under 2 s.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from anodelab.study.pipeline import StudyRun


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(label: str, call: Callable[[], StudyRun], *, pooled: bool = False) -> float:
    wall, cpu = time.perf_counter(), _cpu_s()
    result = call()
    wall, cpu = time.perf_counter() - wall, _cpu_s() - cpu
    # pool workers are children of the fork server, not of this process: their CPU time is not seen here
    cpu_text = "    n/a  " if pooled else f"{cpu:7.2f} s"
    print(f"{label:<34} wall {wall:7.2f} s   cpu {cpu_text}   analysed {len(result.analysed):3d}  "
          f"unchanged {len(result.cached):3d}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    from anodelab.study import demo
    from anodelab.study.pipeline import analyze

    with tempfile.TemporaryDirectory(prefix="anodelab-bench-study-") as temporary:
        folder = Path(temporary) / "study"
        demo._prepare(folder)
        for planned, experiment in zip(demo.PLAN, demo.experiments(args.seed)):
            demo.write_experiment(experiment, folder / planned.paper, format=planned.format)
        (folder / "study.toml").write_text(demo.STUDY_TOML, encoding="utf-8")
        size_MB = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        print(f"demo study: {len(demo.PLAN)} experiments, {size_MB:.1f} MB in {folder}")
        with demo._matplotlib_outside_home():
            first = _timed("analyze, --jobs 1", lambda: analyze(folder, out=Path(temporary) / "one"))
            again = _timed("analyze again, unchanged folder", lambda: analyze(folder, out=Path(temporary) / "one"))
            shutil.rmtree(Path(temporary) / "one")
            parallel = _timed(f"analyze, --jobs {args.jobs}",
                              lambda: analyze(folder, out=Path(temporary) / "many", jobs=args.jobs), pooled=True)
    print(f"goals: first run {first:.1f} s (< 30 s: {'met' if first < 30 else 'NOT met'}); unchanged re-run "
          f"{again:.2f} s (< 2 s: {'met' if again < 2 else 'NOT met'}); --jobs {args.jobs} speed-up "
          f"{first / parallel:.2f}x on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
