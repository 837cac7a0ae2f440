"""``anodelab read FILE``: read an instrument file, summarise it, optionally export it.

``--to OUT`` never writes onto a file it read (the instrument file or its cell.toml, under any name:
``./X``, a hard link, a symlink), replaces an existing file only with ``--force``, and writes
atomically: a temporary file in OUT's folder, renamed onto OUT once complete.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from anodelab.cli.strict_json import HELP as JSON_HELP
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import MissingExtraError, ValidationError

HELP = "read an instrument file and summarise it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    parser.add_argument("--cell", type=Path, help="cell.toml describing the cell (default: one beside FILE)")
    parser.add_argument("--time-unit", choices=("s", "min", "h"),
                        help="unit of time columns whose header names none (Maccor MIMS TestTime: min)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.add_argument("--to", type=Path, metavar="OUT", help="also write the data to OUT.csv or OUT.parquet")
    parser.add_argument("--force", action="store_true", help="with --to: replace OUT if it exists")


def run(args: argparse.Namespace) -> int:
    from anodelab.io import read

    if args.to is not None:  # refused before the (possibly long) read
        _check_target(args.to, [args.file, *([args.cell] if args.cell else [])], args.force)
    options = {"time_unit": args.time_unit} if args.time_unit else None
    data = read(args.file, format=args.format, cell=args.cell, options=options)
    if args.to is not None:
        cell = data.cell.source if data.cell is not None and data.cell.source else None
        _check_target(args.to, [args.file, *([Path(cell)] if cell else [])], args.force)
        _export(data, args.to)
    summary = data.summary()
    print(dumps(summary) if args.json else _describe(summary))
    return 0


def _check_target(out: Path, inputs: list[Path], force: bool) -> None:
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValidationError("--to", f"{out}: expected a .csv or .parquet file name")
    folder = out.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise ValidationError("--to", f"{out}: the folder {folder} {problem}")
    if not os.path.lexists(out):
        return
    for source in inputs:
        if source.exists() and out.exists() and os.path.samefile(out, source):
            raise ValidationError("--to", f"{out} is the input file {source}; anodelab never writes onto its input")
    if out.is_dir():
        raise ValidationError("--to", f"{out} is a folder")
    if not force:
        raise ValidationError("--to", f"{out} exists; give --force to replace it")


def _export(data: Any, out: Path) -> None:
    if out.suffix.lower() == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise MissingExtraError("pyarrow", "parquet", "Writing parquet") from None
    frame = data.to_pandas()
    descriptor, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(descriptor)
    temporary = Path(name)
    try:
        if out.suffix.lower() == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            frame.to_parquet(temporary, index=False)
        umask = os.umask(0)
        os.umask(umask)
        temporary.chmod(0o666 & ~umask)  # the permissions of a file written in place
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


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
    elif summary["kind"] == "cycle_table":
        lines.append(f"  cycle table: {summary['rows']:,} cycles ({summary['first_cycle']}..{summary['last_cycle']}), "
                     "one row per cycle as published in the file")
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
