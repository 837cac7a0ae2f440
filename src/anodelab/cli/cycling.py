"""``anodelab cycling FILE``: per-cycle capacities, CE, retention and fade of a cycling record."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anodelab.cli.record_command import (
    add_record_arguments,
    inline_cell_options,
    read_record,
    with_cell_options,
)
from anodelab.cli.strict_json import dumps
from anodelab.core.errors import MetadataError, ValidationError

if TYPE_CHECKING:
    from anodelab.core.cell import CellInfo
    from anodelab.cycling.summary import CycleSummary
    from anodelab.io.stream import RecordChunks

HELP = "per-cycle capacity, CE, retention and fade of a cycling file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_record_arguments(parser, cell_type=True, mass=True)
    parser.add_argument("--formation-cycles", default="auto",
                        help="cycles before the retention reference (default: auto, from the currents)")
    add_chunk_argument(parser)


def add_chunk_argument(parser: argparse.ArgumentParser) -> None:
    """``--chunk-rows N``: read the file N rows at a time (the streaming path, memory bounded by the chunk)."""
    parser.add_argument("--chunk-rows", dest="chunk_rows", type=int,
                        help="read FILE this many rows at a time (big files: memory bounded by the chunk; the same "
                             "numbers as a whole read)")


def run(args: argparse.Namespace) -> int:
    from anodelab.cycling import cycle_summary
    from anodelab.cycling.stream import cycle_summary_stream

    formation: Any = args.formation_cycles
    if formation != "auto":
        try:
            formation = int(formation)
        except ValueError:
            raise MetadataError("--formation-cycles", f"expected a whole number or 'auto', got {formation!r}") from None
    if args.chunk_rows is not None:
        chunks, cell = read_chunked(args)
        summary = cycle_summary_stream(chunks, cell, formation_cycles=formation)
    else:
        record, cell = read_record(args, "a cycling record with time, voltage and current")
        summary = cycle_summary(record, cell, formation_cycles=formation)
    print(dumps(summary.to_dict()) if args.json else _table(summary))
    return 0


def read_chunked(args: argparse.Namespace) -> tuple[RecordChunks, CellInfo | None]:
    """The chunks of ``args.file`` (``--chunk-rows`` rows each) and its cell, as ``read_record`` gives the record and
    its cell (``--cell`` or a cell.toml beside the file, the inline cell options applied over it)."""
    from anodelab.io.stream import read_chunks

    if args.chunk_rows < 1:
        raise ValidationError("--chunk-rows", f"must be a whole number of rows >= 1, got {args.chunk_rows}")
    given = inline_cell_options(args)
    chunks = read_chunks(args.file, rows=args.chunk_rows, cell=args.cell, format=args.format)
    return chunks, with_cell_options(chunks.cell, given)


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _table(summary: CycleSummary) -> str:
    o, c = summary.opening, summary.closing
    specific = summary.active_mass_mg is not None
    unit = "mAh/g" if specific else "mAh"
    suffix = "_mAh_g" if specific else "_mAh"
    source = summary.provenance.path if summary.provenance is not None else None
    lines = [f"{Path(source).name if source else 'record'}  ({summary.cell_type or 'cell type unknown'})",
             f"{'cycle':>5} {o + ' ' + unit:>20} {c + ' ' + unit:>20} {'CE':>8}  flags"]
    for row in summary.content()["cycles"]:
        flags = ",".join(f for f, on in (("incomplete", row["incomplete"]), ("cv", row["cv_step"]),
                                         ("reversal", row["current_reversal"])) if on)
        lines.append(f"{row['cycle']:>5} {_fmt(row[o + suffix], '20.4f')} {_fmt(row[c + suffix], '20.4f')} "
                     f"{_fmt(row['ce'], '8.4f')}  {flags}")
    lines.append(f"ICE {_fmt(summary.ice, '.4f')}; retention {_fmt(summary.retention, '.4f')} vs cycle "
                 f"{summary.reference_cycle}; decay {_fmt(summary.decay_pct_per_cycle, '.4f')} %/cycle; "
                 f"average CE {_fmt(summary.average_ce, '.5f')}")
    lines += [f"warning: {warning}" for warning in summary.warnings]
    return "\n".join(lines)
