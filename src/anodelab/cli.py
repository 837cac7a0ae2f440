"""The ``anodelab`` command line. Thin: parses arguments, calls the API, prints.

User mistakes (an :class:`~anodelab.core.errors.AnodelabError`) print one line on stderr and exit
with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anodelab._version import __version__
from anodelab.core.errors import AnodelabError, MissingExtraError, ValidationError

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except AnodelabError as error:
        print(f"anodelab: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anodelab", description="Battery anode and interface analysis from raw instrument files."
    )
    parser.add_argument("--version", action="version", version=f"anodelab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    read = commands.add_parser("read", help="read an instrument file and summarise it")
    read.add_argument("file", type=Path)
    read.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    read.add_argument("--cell", type=Path, help="cell.toml describing the cell (default: one beside FILE)")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    read.add_argument("--to", type=Path, metavar="OUT", help="also write the data to OUT.csv or OUT.parquet")
    read.set_defaults(run=_read)

    formats = commands.add_parser("formats", help="list the formats anodelab reads")
    formats.add_argument("--json", action="store_true", help="print a JSON list")
    formats.set_defaults(run=_formats)

    demo = commands.add_parser(
        "demo", help="generate a small virtual study of the five papers' experiments, read it back, summarise it"
    )
    demo.add_argument("--out", type=Path, metavar="DIR", help="folder to write (default: ./anodelab-demo)")
    demo.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.set_defaults(run=_demo)
    return parser


def _read(args: argparse.Namespace) -> int:
    from anodelab.io import read

    data = read(args.file, format=args.format, cell=args.cell)
    if args.to is not None:
        _export(data, args.to)
    summary = data.summary()
    print(json.dumps(summary) if args.json else _describe(summary))
    return 0


def _formats(args: argparse.Namespace) -> int:
    from anodelab.io import list_formats

    rows = list_formats()
    if args.json:
        print(json.dumps([
            {"name": f.name, "kind": f.kind, "extensions": list(f.extensions), "description": f.description}
            for f in rows
        ]))
        return 0
    width = max(len(f.name) for f in rows)
    for fmt in rows:
        extensions = " ".join(fmt.extensions) or "(by content)"
        print(f"{fmt.name:<{width}}  {fmt.kind:<14}  {extensions:<24}  {fmt.description}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from anodelab.study.demo import run_demo

    result = run_demo(args.out, seed=args.seed)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(f"anodelab demo: wrote {len(result.files)} files (each with .cell.toml and .truth.json) to "
          f"{result.folder} and read them back")
    names = [path.relative_to(result.folder).as_posix() for path in result.files]
    width = max(map(len, names))
    for name, kind, summary in zip(names, result.kinds, result.summaries):
        size = (f"{summary['spectra']} spectra, {summary['rows']} points" if summary["kind"] == "spectra"
                else f"{summary['rows']} rows, {summary['steps']} steps")
        print(f"  {name:<{width}}  {kind:<16} {size}")
    return 0


def _export(data: Any, out: Path) -> None:
    frame = data.to_pandas()
    suffix = out.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(out, index=False)
    elif suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise MissingExtraError("pyarrow", "parquet", "Writing parquet") from None
        frame.to_parquet(out, index=False)
    else:
        raise ValidationError("--to", f"{out}: expected a .csv or .parquet file name")


def _describe(summary: dict[str, Any]) -> str:
    provenance = summary["provenance"]
    name = Path(provenance["path"]).name if provenance["path"] else "data"
    lines = [f"{name}  [{summary['format']}]"]
    if summary["kind"] == "record":
        duration = summary["duration_s"]
        span = f", {duration / 3600:.2f} h" if duration is not None else ", no time column"
        lines.append(f"  record: {summary['rows']:,} rows, {summary['steps']} steps, {summary['cycles']} cycles{span}")
        lines.append(f"  voltage {_range(summary, 'voltage_V')} V, current {_range(summary, 'current_mA')} mA")
        lines.append(f"  columns: {', '.join(summary['columns'])}")
    else:
        lines.append(
            f"  spectra: {summary['spectra']} spectra, {summary['rows']:,} points, "
            f"{summary['frequency_Hz_min']:.3g}-{summary['frequency_Hz_max']:.3g} Hz, "
            f"Re(Z) {summary['Z_real_ohm_min']:.4g}-{summary['Z_real_ohm_max']:.4g} ohm"
        )
    if provenance["instrument"] or provenance["techniques"]:
        lines.append(f"  instrument: {provenance['instrument'] or '?'}; techniques: {', '.join(provenance['techniques']) or '?'}")
    if summary["cell_type"]:
        lines.append(f"  cell: {summary['cell_type']}")
    lines.append(f"  sha256: {summary['sha256']}")
    return "\n".join(lines)


def _range(summary: dict[str, Any], name: str) -> str:
    low, high = summary[f"{name}_min"], summary[f"{name}_max"]
    return "n/a" if low is None else f"{low:.4g} .. {high:.4g}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
