""":func:`~anodelab.plating.trace.overpotential_trace` of a record that comes as chunks of rows (as
:func:`anodelab.io.stream.read_chunks` yields a big file), with the same numbers.

Not in memory bounded by a chunk: the trace's short detection (:mod:`anodelab.plating.shorts`) compares each
window with references over the trailing hours and refines an onset row by row, the windows of a
one-directional plating are cut from a run's whole duration, and the trace and its insets are drawn from
every row. So the chunks' rows are kept, but only the columns the trace reads (:data:`TRACE_COLUMNS`: 8
values, 45 bytes a row, against a file's dozen or more columns and the reader's own copies), and the trace
is made of that record by :func:`~anodelab.plating.trace.overpotential_trace` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError
from anodelab.core.record import Record
from anodelab.plating.trace import OverpotentialTrace, overpotential_trace

#: the record columns the trace reads (the step table's and the segments')
TRACE_COLUMNS = ("time_s", "voltage_V", "current_mA", "step", "cycle", "capacity_mAh", "state", "frequency_Hz")


def slim_record(chunks: Iterable[Record], columns: Sequence[str] = TRACE_COLUMNS) -> Record:
    """The record the chunks make, only its ``columns`` kept (its cell and provenance the first chunk's)."""
    parts: dict[str, list[NDArray[Any]]] = {}
    first: Record | None = None
    for chunk in chunks:
        if not isinstance(chunk, Record):
            raise NotApplicableError(f"the overpotential trace needs Record chunks; got a {type(chunk).__name__}")
        if first is None:
            first = chunk
            parts = {name: [] for name in columns if name in chunk.columns}
        for name, values in parts.items():
            values.append(chunk.columns[name])
    if first is None:
        raise NotApplicableError("the overpotential trace needs rows; there are no chunks")
    joined = {name: np.concatenate(values) for name, values in parts.items()}
    for array in joined.values():
        array.flags.writeable = False
    return Record(MappingProxyType(joined), first.cell, first.provenance)


def overpotential_trace_stream(
    chunks: Iterable[Record],
    cell: CellInfo | None = None,
    *,
    current_mA: float | None = None,
    hours: Sequence[int] = (100, 200, 500),
    settle_fraction: float = 0.2,
    window_s: float = 600.0,
    rect_threshold: float = 0.05,
    rtol: float = 0.05,
) -> OverpotentialTrace:
    """:func:`~anodelab.plating.trace.overpotential_trace` of the record ``chunks`` make (module docstring), the
    same numbers; options as for ``overpotential_trace``."""
    return overpotential_trace(slim_record(chunks), cell, current_mA=current_mA, hours=hours,
                               settle_fraction=settle_fraction, window_s=window_s, rect_threshold=rect_threshold,
                               rtol=rtol)
