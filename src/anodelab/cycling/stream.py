""":func:`~anodelab.cycling.summary.cycle_summary` of a record that comes as chunks of rows (as
:func:`anodelab.io.stream.read_chunks` yields a big file), a step at a time, with the same numbers.

Every per-step quantity the summary uses (direction, cycle, charge, energy, end voltage, the middle row's
current, the three-point voltage span, start and end times, reversal) depends on that step's rows alone, so
the steps are reduced by the same function (:func:`~anodelab.cycling.halfcycles.step_reductions`, the
step table of :mod:`anodelab.core.steps`) as soon as they are complete, and the summary is made from the
concatenated steps (:func:`~anodelab.cycling.summary.summary_of_steps`).

Carried from chunk to chunk: the rows of the step still open at the end of a chunk (only the columns the
step table reads) and the per-step reductions of the steps finished (a few numbers per step). Memory is
bounded by a chunk plus the longest step, not by the record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import cycles_of_runs
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.core.result import stamps_call
from anodelab.core.steps import StepTable
from anodelab.cycling.halfcycles import (
    Steps,
    require_active,
    require_record,
    step_reductions,
)
from anodelab.cycling.summary import CycleSummary, summary_of_steps

#: the record columns the step reductions read
STEP_COLUMNS = ("time_s", "voltage_V", "current_mA", "step", "cycle", "capacity_mAh", "state", "frequency_Hz")


class StepStream:
    """The step reductions of a record fed as chunks (:meth:`add`), complete once every chunk is in (:meth:`steps`)."""

    def __init__(self) -> None:
        self._held: dict[str, NDArray[Any]] | None = None  # the open step's rows
        self._offset = 0  # the record row of the first held row
        self._parts: list[Steps] = []
        self.first: Record | None = None

    def add(self, chunk: Record) -> None:
        """The next rows of the record (a Record whose step and cycle numbers are the whole record's)."""
        chunk = require_record(chunk, "cycle_summary")
        if self.first is None:
            self.first = chunk
        columns = {name: chunk.columns[name] for name in STEP_COLUMNS if name in chunk.columns}
        step = columns["step"]
        if step.size == 0:
            return
        begin = 0  # the chunk's rows before it are the held step's last
        if self._held is not None:
            begin = int(np.searchsorted(step, self._held["step"][0], side="right"))
            joined = {name: np.concatenate([self._held[name], values[:begin]]) for name, values in columns.items()}
            if begin == step.size:  # the held step goes on past this chunk
                self._held = joined
                return
            self._reduce(joined)
        last = int(np.searchsorted(step, step[-1], side="left"))  # the open step's first row
        if last > begin:
            self._reduce({name: values[begin:last] for name, values in columns.items()})
        self._held = {name: values[last:] for name, values in columns.items()}

    def _reduce(self, columns: dict[str, NDArray[Any]]) -> None:
        """Reduce complete steps (their rows numbered from the record's row ``self._offset``)."""
        rows = columns["step"].size
        part = Record(MappingProxyType(columns))
        steps = step_reductions(part)
        table = dataclasses.replace(steps.table, start=steps.table.start + self._offset, end=steps.table.end + self._offset)
        self._parts.append(dataclasses.replace(steps, table=table))
        self._offset += rows

    def steps(self) -> Steps:
        """The whole record's steps, as :func:`~anodelab.cycling.halfcycles.step_reductions` gives them (but for the
        control mode of the step table)."""
        if self._held is not None and self._held["step"].size:
            self._reduce(self._held)
            self._held = None
        if not self._parts:
            raise NotApplicableError("cycling: the record has no rows")
        parts = self._parts
        table = StepTable(*(np.concatenate([getattr(p.table, f.name) for p in parts])
                            for f in dataclasses.fields(StepTable)))

        def joined(name: str) -> NDArray[np.float64] | None:
            values = [getattr(p, name) for p in parts]
            return None if values[0] is None else np.concatenate(values)

        span = np.concatenate([p.span_V for p in parts])
        return Steps(table, span, joined("current_mA"), joined("time_start_s"), joined("time_end_s"))


@stamps_call
def cycle_summary_stream(
    chunks: Iterable[Record],
    cell: CellInfo | None = None,
    *,
    formation_cycles: int | str = "auto",
    current_rtol: float = 0.05,
    cutoff_tolerance_V: float | None = None,
    ce_cycles: tuple[int, int] | None = None,
) -> CycleSummary:
    """:func:`~anodelab.cycling.summary.cycle_summary` of the record that ``chunks`` (consecutive rows, step and
    cycle numbers those of the whole record) make, the same numbers, computed a step at a time (module
    docstring); options as for ``cycle_summary``, ``cell`` (default: the chunks' own) likewise."""
    stream = StepStream()
    for chunk in chunks:
        stream.add(chunk)
    first = stream.first
    if first is None:
        raise NotApplicableError("cycling: no chunks, so no rows")
    if "capacity_mAh" not in first:
        raise NotApplicableError(f"{first.provenance.path or 'record'}: cycling needs a capacity column or time and "
                                 "current to integrate one; it has " + ", ".join(first.column_names))
    steps = stream.steps()
    cell = cell if cell is not None else first.cell
    if cell is not None and (first.cell is None or first.cell.cell_type != cell.cell_type):
        steps = _renumbered(steps, cell.cell_type)
    require_active(steps, first.provenance.path)
    summary = summary_of_steps(steps, cell, formation_cycles=formation_cycles, current_rtol=current_rtol,
                               cutoff_tolerance_V=cutoff_tolerance_V, ce_cycles=ce_cycles)
    return dataclasses.replace(summary, provenance=first.provenance)


def _renumbered(steps: Steps, cell_type: str | None) -> Steps:
    """The steps' cycles numbered for ``cell_type`` (as :meth:`Record.with_cell` numbers the rows'): each step one
    "row" whose state is its direction, by the rule of :mod:`anodelab.core.conventions`."""
    n = len(steps.table)
    cycle = cycles_of_runs(np.arange(n, dtype=np.intp), steps.direction, n, cell_type)
    return dataclasses.replace(steps, table=dataclasses.replace(steps.table, cycle=cycle))
