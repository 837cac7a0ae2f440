"""read_chunks of Neware BTS CSV exports whose whole-file decisions differ from the real file's: capacity and
energy counters that do not restart at every step, a test time that runs back, lost DataPoints. The
chunks, concatenated, are read()'s record, notes included.

Ground truth: anodelab.io.read of the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anodelab.io import read
from anodelab.io.neware import _NO_RESTART
from anodelab.io.stream import read_chunks

UIO = "cycler/neware/neware_uio.csv"


def _edited(source: Path, target: Path, rows: int = 1500) -> Path:
    """The first ``rows`` rows of the export, its counters offset (they no longer restart at every step), its
    total time set back at one row and two DataPoints left out."""
    lines = source.read_text(encoding="utf-8").splitlines()
    names = lines[0].split(",")
    capacity, energy, clock = names.index("Capacity(Ah)"), names.index("Energy(Wh)"), names.index("Cumulative Time")
    out = [lines[0]]
    for number, line in enumerate(lines[1:rows + 1]):
        if number in (400, 401):
            continue
        fields = line.split(",")
        fields[capacity] = repr(float(fields[capacity]) + 1.0)
        fields[energy] = repr(float(fields[energy]) + 3.0)
        if number == 700:
            fields[clock] = "00:00:05"
        out.append(",".join(fields))
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target


@pytest.mark.parametrize("rows", [1, 64, 10**6])
def test_counters_that_do_not_restart_and_a_clock_that_runs_back(external, tmp_path, rows):
    path = _edited(external(UIO), tmp_path / "edited.csv")
    whole = read(path)
    notes = whole.provenance.notes
    assert _NO_RESTART in notes and any("runs backwards" in n for n in notes) and any("DataPoint skips" in n for n in notes)
    chunks = read_chunks(path, rows=rows)
    assert chunks.streamed
    parts = list(chunks)
    for part in parts:
        assert part.provenance.to_dict() == whole.provenance.to_dict()
    for name, values in whole.columns.items():
        joined = np.concatenate([part.columns[name] for part in parts])
        assert joined.dtype == values.dtype and np.array_equal(joined, values, equal_nan=values.dtype.kind == "f"), name
