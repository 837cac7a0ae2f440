"""Full structure-aware fuzz of the readers over the shared real files; prints outcome classes per reader.

    python benchmarks/fuzz_readers.py --seed 10 --budget-s 600 [--findings notes.md]
    python benchmarks/fuzz_readers.py --readers neware-csv,cycle-table --budget-s 60   # only the files they read
    python benchmarks/fuzz_readers.py --seed 10 --repro FILE KIND DRAW --copy-to DIR   # one case again

Every file under ../shared/data/external that a reader claims is copied, damaged by each mutation kind
that applies (tests/fuzz/mutations.py), draw after draw, round-robin over files until the budget is spent,
and each copy read in a child process capped in time and address space (tests/fuzz/oracle.py). The same
seed gives the same copies. ``--readers`` keeps the files whose undamaged copy those formats (names as
``anodelab formats`` lists them) read. tests/io/test_fuzz.py runs draw 0 of this sweep on a subset of the files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz.mutations import ALL_KINDS, kinds_for
from fuzz.oracle import CLASSES, DEFECTS, Reader
from fuzz.sweep import Result, Subject, rng_for, run_case, subject
from shared_data import EXTERNAL, real_files

from anodelab.io.registry import HEAD_BYTES, candidates, list_formats


def reader_names(text: str) -> frozenset[str]:
    """``--readers NAME[,NAME]``: format names as ``anodelab formats`` lists them."""
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    known = {fmt.name for fmt in list_formats()}
    if not names or names - known:
        raise argparse.ArgumentTypeError(f"unknown reader(s) {', '.join(sorted(names - known)) or '(none given)'}; "
                                         f"the readers are {', '.join(sorted(known))}")
    return names


def may_read(path: Path, readers: frozenset[str]) -> bool:
    """Whether one of ``readers`` is among the formats tried for ``path`` (from its extension and first bytes)."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    return any(fmt.name in readers for fmt in candidates(path, head))


def sweep(reader: Reader, subjects: list[Subject], seed: int, budget_s: float) -> list[Result]:
    results: list[Result] = []
    kinds = {item.relative: kinds_for(item.source) for item in subjects}
    seen: set[bytes] = set()
    start, draw = time.monotonic(), 0
    while time.monotonic() - start < budget_s and any(kinds.values()):
        for item in subjects:
            for kind in list(kinds[item.relative]):
                if time.monotonic() - start >= budget_s:
                    return results
                result = run_case(reader, item, kind, seed, draw, seen)
                if result is None:  # a kind that draws no new copy (line ends, BOM, ...) has given all it has
                    kinds[item.relative].remove(kind)
                else:
                    results.append(result)
        draw += 1
        print(f"  draw {draw} done: {len(results)} copies, {time.monotonic() - start:.0f} s", file=sys.stderr)
    return results


def table(results: list[Result]) -> str:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        counts[result.format][result.outcome] += 1
    width = max([len("reader"), *(len(f) for f in counts)])
    lines = ["| " + " | ".join(["reader".ljust(width), "copies", *CLASSES]) + " |",
             "|" + "|".join("-" * (len(h) + 2) for h in ["reader".ljust(width), "copies", *CLASSES]) + "|"]
    total: Counter[str] = Counter()
    for name in sorted(counts):
        total.update(counts[name])
        lines.append(_row(name.ljust(width), counts[name]))
    lines.append(_row("all".ljust(width), total))
    return "\n".join(lines)


def _row(name: str, count: Counter[str]) -> str:
    cells = [str(sum(count.values())).rjust(6), *(str(count[c]).rjust(len(c)) for c in CLASSES)]
    return "| " + " | ".join([name, *cells]) + " |"


def findings(results: list[Result]) -> str:
    """Defects grouped by class, reader and mutation kind, with one reproducer each."""
    groups: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for result in results:
        if result.outcome in DEFECTS:
            groups[(result.outcome, result.format, result.kind)].append(result)
    lines = []
    for outcome in DEFECTS:
        keys = sorted(k for k in groups if k[0] == outcome)
        if not keys:
            continue
        lines.append(f"\n### {outcome} ({sum(len(groups[k]) for k in keys)} copies)\n")
        for key in keys:
            first = groups[key][0]
            files = len({r.file for r in groups[key]})
            lines.append(f"- **{key[1]} / {key[2]}**: {len(groups[key])} copies of {files} file(s). "
                         f"Reproducer: `{first.file}`, {first.detail} "
                         f"(`--seed {first.seed} --repro {first.file} {first.function} {first.draw}`). "
                         f"{first.why[:400]}")
    return "\n".join(lines) if lines else "\nNo defects found."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--budget-s", type=float, default=600.0, help="stop starting new copies after this long")
    parser.add_argument("--read-timeout-s", type=float, default=20.0)
    parser.add_argument("--memory-mib", type=int, default=1536, help="address space a read may add")
    parser.add_argument("--only", default="", help="only files whose path contains this")
    parser.add_argument("--readers", type=reader_names, metavar="NAME[,NAME]",
                        help="only the files these formats read (names as `anodelab formats` lists them)")
    parser.add_argument("--findings", type=Path, help="also write the table and findings (markdown) here")
    parser.add_argument("--repro", nargs=3, metavar=("FILE", "KIND", "DRAW"), help="rerun one case")
    parser.add_argument("--copy-to", type=Path, help="with --repro: keep the damaged copy in this folder")
    args = parser.parse_args(argv)

    reader = Reader(seconds=args.read_timeout_s, memory_bytes=args.memory_mib << 20)
    work = Path(tempfile.mkdtemp(prefix="anodelab-fuzz-"))
    try:
        if args.repro:
            return _repro(reader, work, args)
        paths = [p for p in real_files() if args.only in str(p.relative_to(EXTERNAL))
                 and (args.readers is None or may_read(p, args.readers))]
        subjects = []
        for i, path in enumerate(paths):
            item = subject(reader, path, EXTERNAL, work / str(i))
            if item is None:
                print(f"skipped (the undamaged file does not read): {path.relative_to(EXTERNAL)}", file=sys.stderr)
            elif args.readers is not None and item.format not in args.readers:
                print(f"skipped (read by {item.format}): {path.relative_to(EXTERNAL)}", file=sys.stderr)
            else:
                subjects.append(item)
        start = time.monotonic()
        results = sweep(reader, subjects, args.seed, args.budget_s)
        elapsed = time.monotonic() - start
    finally:
        reader.close()
        shutil.rmtree(work, ignore_errors=True)
    report = (f"{len(results)} damaged copies of {len(subjects)} files, seed {args.seed}, {elapsed:.0f} s\n\n"
              f"{table(results)}\n{findings(results)}\n")
    print(report)
    if args.findings:
        args.findings.write_text(report)
    return 0


def _repro(reader: Reader, work: Path, args: argparse.Namespace) -> int:
    relative, kind, draw = args.repro
    item = subject(reader, EXTERNAL / relative, EXTERNAL, work / "repro")
    if item is None:
        print(f"{relative}: the undamaged file does not read")
        return 1
    mutant = ALL_KINDS[kind](item.source, rng_for(args.seed, relative, kind, int(draw)))
    result = run_case(reader, item, ALL_KINDS[kind], args.seed, int(draw))
    if mutant is None or result is None:
        print(f"{kind} does not apply to {relative}")
        return 1
    if args.copy_to:
        args.copy_to.mkdir(parents=True, exist_ok=True)
        (args.copy_to / item.source.path.name).write_bytes(mutant.content)
    print(f"{result.outcome}: {result.kind}, {result.detail}\n{result.why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
