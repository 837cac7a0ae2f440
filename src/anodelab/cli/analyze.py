"""``anodelab analyze DIR``: every data file of a study folder read, recognised, analysed and stored."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps

HELP = "analyse every data file of a study folder into a DuckDB results store and print the headline numbers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="DIR", help="the study folder (searched recursively)")
    parser.add_argument("--out", metavar="OUT", help="where results go (default: DIR/anodelab-results)")
    parser.add_argument("--study", metavar="FILE", help="study settings (default: DIR/study.toml if present)")
    parser.add_argument("--db", metavar="FILE", help="the results store (default: OUT/anodelab.duckdb)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="files analysed in parallel (processes)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="analyse the files on a Dask cluster: 'local' starts one on this machine (a worker "
                             "per core), tcp://HOST:PORT connects to a running scheduler; the store is still "
                             "written by this process (needs the 'scale' extra: pip install anodelab[scale])")
    parser.add_argument("--no-figures", action="store_true", help="do not draw the static figures")
    parser.add_argument("--no-report", action="store_true", help="do not write the HTML report")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 2 when a file could not be read or an analysis failed")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress on stderr (a live bar on a terminal, a line every 10 s elsewhere)")


def run(args: argparse.Namespace) -> int:
    from anodelab.cli.progress import Progress
    from anodelab.study.pipeline import analyze, group_table, headline_table

    quiet = args.quiet or args.json
    done = analyze(args.folder, out=args.out, study_file=args.study, database=args.db, jobs=args.jobs,
                   scheduler=args.scheduler, figures=not args.no_figures, report=not args.no_report,
                   progress=None if quiet else Progress("analysing"))
    rows = headline_table(done.database, done.run_id)
    groups = group_table(rows)
    failed = [row for row in rows if row["error"] or _failures(row)]
    if args.json:
        print(dumps({"folder": str(done.folder), "database": str(done.database), "run_id": done.run_id,
                     "analysed": list(done.analysed), "cached": list(done.cached),
                     "skipped": [{"path": p, "why": why} for p, why in done.skipped],
                     "seconds": done.seconds, "report": str(done.report) if done.report else None,
                     "report_error": done.report_error, "forgotten": done.summary.get("forgotten", []),
                     "files": rows, "groups": groups}))
    else:
        print_table(done, rows, groups)
    if done.report_error is not None:
        print(f"anodelab: warning: the report could not be written ({done.report_error}); the results are in "
              f"{done.database}; this is a bug in anodelab, please report it", file=sys.stderr)
    if args.strict and failed:
        print(f"anodelab: error: {len(failed)} file(s) failed (--strict): {', '.join(r['path'] for r in failed)}",
              file=sys.stderr)
        return 2
    return 0


def _failures(row: dict[str, Any]) -> dict[str, str]:
    return dict(row["failed_analyses"])


def print_table(done: Any, rows: list[dict[str, Any]], groups: list[dict[str, Any]]) -> None:
    print(f"anodelab analyze: {len(rows)} files in {done.folder} ({len(done.analysed)} analysed, "
          f"{len(done.cached)} unchanged) -> {done.database}")
    width = max((len(row["path"]) for row in rows), default=4)
    for row in rows:
        if row["error"]:
            print(f"  {row['path']:<{width}}  FAILED: {row['error']}")
            continue
        numbers = "; ".join(f"{_label(name, m)} {_number(m)}" for name, m in row["metrics"].items())
        broken = "; ".join(f"{name} failed" for name in _failures(row))
        print(f"  {row['path']:<{width}}  {row['kind']:<16} {'; '.join(p for p in (numbers, broken) if p)}".rstrip())
    if groups:
        print("groups (mean ± sd over replicates):")
    for group in groups:
        numbers = "; ".join(f"{name.split('.', 1)[1]} {_mean(m)}" for name, m in group["metrics"].items())
        print(f"  {group['group']} ({group['kind']}, n={len(group['files'])})  {numbers}".rstrip())
    if done.skipped:
        print(f"skipped {len(done.skipped)} files that are not instrument data (README, settings, images, sidecars)")
    if done.summary.get("forgotten"):
        print(f"forgotten: {len(done.summary['forgotten'])} files stored before and no longer in the folder")
    if done.report is not None:
        print(f"report: {done.report} (open it in a browser; it needs no server and no network)")


def _label(name: str, metric: dict[str, Any]) -> str:
    """``R1`` for an unindexed metric, ``R1[0]`` for the first of a series."""
    short = name.split(".", 1)[1]
    return short if metric.get("index") is None else f"{short}[{metric['index']}]"


def _number(metric: dict[str, Any]) -> str:
    value, stderr, unit = metric["value"], metric["stderr"], metric["unit"]
    if value is None:
        return "n/a"
    text = f"{value:.4g}" + (f" ± {stderr:.2g}" if stderr is not None else "")
    return f"{text} {unit}".rstrip()


def _mean(stats: dict[str, Any]) -> str:
    if stats["mean"] is None:
        return "n/a"
    sd = f" ± {stats['sd']:.2g}" if stats["sd"] is not None else ""
    return f"{stats['mean']:.4g}{sd} {stats['unit']}".rstrip()
