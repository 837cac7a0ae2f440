"""``anodelab read FILE``: read an instrument file, summarise it, optionally export it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from anodelab.core.errors import MissingExtraError, ValidationError

HELP = "read an instrument file and summarise it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", help="format name (see `anodelab formats`); sniffed when omitted")
    parser.add_argument("--cell", type=Path, help="cell.toml describing the cell (default: one beside FILE)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--to", type=Path, metavar="OUT", help="also write the data to OUT.csv or OUT.parquet")


def run(args: argparse.Namespace) -> int:
    from anodelab.io import read

    data = read(args.file, format=args.format, cell=args.cell)
    if args.to is not None:
        _export(data, args.to)
    summary = data.summary()
    print(json.dumps(summary) if args.json else _describe(summary))
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
