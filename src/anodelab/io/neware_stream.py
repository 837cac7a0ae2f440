"""Neware BTS CSV exports (the flat record layer) a chunk of rows at a time, for
:func:`anodelab.io.stream.read_chunks`: each chunk what :func:`~anodelab.io.neware_csv.read_neware_csv` makes
of those rows of the whole file.

Two passes, as :mod:`anodelab.io.biologic_stream`: the first reads and checks every row and gathers what the
whole-file reader decides from all rows (which columns hold text, whether the capacity counter restarts at
every step, whether the test time ever runs back, the DataPoint notes, each step's direction), the second
converts the chunks. Carried from chunk to chunk: the last row's step keys and step time, the step number,
the counters at the open step's first row (where they do not restart) and the test time's running sum.
The nested cycle/step/record layout is read whole (:class:`~anodelab.io.assembly.NotStreamable`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import capacity_within_steps, run_starts
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record
from anodelab.io.assembly import NotStreamable, RecordAssembly, rows_from
from anodelab.io.clock import MonotonicTime
from anodelab.io.common import head_text, require_text
from anodelab.io.lines import TextTable, all_empty
from anodelab.io.neware import _NO_RESTART
from anodelab.io.neware_csv import (
    CSV_EXPECTED,
    _fields,
    _hms_seconds,
    _integers,
    _scaled,
    _temperature,
    _unit_of,
    optional_columns,
)
from anodelab.io.point_index import PointIndexNotes

_KEYS = ("Cycle Index", "Step Index", "Step Type")


@dataclass
class _Steps:
    """The step keys of the last row, its step id and step time, and the counters at the open step's first row."""

    keys: tuple[Any, ...] | None = None
    step_time: float = 0.0
    step_id: int = 0
    number: Any = None  # the last row's step id, as the counters key their steps
    zeros: dict[str, float] = field(default_factory=dict)


class NewareCsvStream:
    """A Neware BTS CSV export's record as chunks of ``rows`` rows (module docstring); the first pass runs on
    construction."""

    def __init__(self, path: Path, rows: int, cell_type: str | None = None) -> None:
        with path.open("rb") as handle:
            require_text(path, handle.read(65536), CSV_EXPECTED)
        head = head_text(path).splitlines()
        if not head:
            raise ReadError(path, "empty file", expected=CSV_EXPECTED)
        if len(head) > 3 and head[0].startswith("Cycle Index,") and head[2].startswith(",,"):
            raise NotStreamable("the nested cycle/step/record layout")
        self.path, self.chunk_rows = path, rows
        # Neware never quotes: a stray '"' must not join the lines up to the next one into one row
        self.table = TextTable(path, _fields(head[0]), skip_lines=1, separator=",", expected=CSV_EXPECTED,
                               quote_char=None)
        if self.table.rows == 0:
            raise ReadError(path, "no data rows", expected=CSV_EXPECTED)
        self.units = {name: _unit_of(name) for name in self.table.names}
        self.clock = next((name for name in ("Total Time", "Cumulative Time") if name in self.table.names), None)
        self.kinds: dict[str, str] = {}
        self.text: frozenset[str] = frozenset()
        self.assembly = RecordAssembly(path, CSV_EXPECTED, cell_type)
        self._previous_id: Any = None  # the last row's step id, in the first pass
        self._first_pass()

    @property
    def rows(self) -> int:
        return self.table.rows

    def _blocks(self, first_pass: bool) -> Iterator[tuple[int, dict[str, NDArray[Any]]]]:
        """The rows a block at a time; a block of a column that the whole file has numbers in, empty, is NaN."""
        for block in self.table.blocks(self.chunk_rows, self.text):
            columns = block.columns
            for name, values in list(columns.items()):
                empty = all_empty(values)
                if first_pass:
                    kind = "float" if values.dtype.kind in "fiub" else "empty" if empty else "text"
                    known = self.kinds.get(name, "empty")
                    self.kinds[name] = ("text" if "text" in (kind, known) else
                                        "float" if "float" in (kind, known) else "empty")
                if empty and name not in self.text:
                    columns[name] = np.full(values.size, np.nan)
            yield block.first_row, columns

    def _first_pass(self) -> None:
        path = self.path
        points = PointIndexNotes("DataPoint")
        self.time = MonotonicTime(path, f"'{self.clock}'")
        steps, restarts = _Steps(), True
        for first_row, table in self._blocks(first_pass=True):
            with rows_from(path, first_row - 1, 1):
                if "DataPoint" in table:
                    if table["DataPoint"].dtype.kind != "f":
                        raise ReadError(path, "column 'DataPoint' holds text", expected="record numbers")
                    points.update(table["DataPoint"])
                step_id, step_time = self._step_ids(table, steps)
                voltage = _scaled(path, table, self.units, "voltage", required=True)
                current = _scaled(path, table, self.units, "current", required=True)
                if self.clock is None:
                    raise ReadError(path, "no 'Total Time' or 'Cumulative Time' column", expected=CSV_EXPECTED)
                self.time.observe(_hms_seconds(path, table, self.clock))
                capacity = _scaled(path, table, self.units, "capacity")
                restarts = restarts and (capacity is None or self._restart(capacity, step_id, current, step_time))
                for name in ("Cycle Index", "Step Index"):
                    if name in table:
                        _integers(path, table[name], name)
                _scaled(path, table, self.units, "energy")
                _scaled(path, table, self.units, "power")
            self.assembly.observe({"voltage_V": voltage, "current_mA": current, "step": step_id}, first_row)
        self.text = frozenset(name for name, kind in self.kinds.items() if kind != "float")
        self.restarts = restarts
        self.notes = [*self.table.notes, *points.notes(), *self.time.notes()]
        if not restarts:
            self.notes.append(_NO_RESTART)
        stub = {name: np.zeros(0, dtype=object if name in self.text else np.float64) for name in self.table.names}
        _temperature(stub, self.notes)  # the note of an aux temperature whose unit the export lost
        self.assembly.start_building()

    def _step_ids(self, table: dict[str, NDArray[Any]], steps: _Steps) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``_flat_layer``'s step ids, counted on from the last chunk: a new step where the cycle, step number
        or step type changes, or the step time restarts."""
        step_time = _hms_seconds(self.path, table, "Time")
        keys = [table[name] for name in _KEYS if name in table]
        if not keys:
            raise ReadError(self.path, "no 'Step Index' or 'Step Type' column", expected=CSV_EXPECTED)
        n = step_time.size
        changed = np.zeros(n, dtype=bool)
        for key in keys:
            changed[1:] |= key[1:] != key[:-1]
        changed[1:] |= np.diff(step_time) < 0
        if steps.keys is not None and n:
            changed[0] = any(key[0] != last for key, last in zip(keys, steps.keys)) or step_time[0] < steps.step_time
        step_id = steps.step_id + np.cumsum(changed)
        if n:
            steps.keys, steps.step_time, steps.step_id = tuple(key[-1] for key in keys), float(step_time[-1]), int(step_id[-1])
        return step_id, step_time

    def _restart(self, counter: NDArray[np.float64], step_id: NDArray[np.int64], current: NDArray[np.float64],
                 step_time: NDArray[np.float64]) -> bool:
        """:func:`~anodelab.io.neware.counters_restart` at the first rows of the steps that start in this chunk."""
        first = self._previous_id is None or step_id[0] != self._previous_id
        starts = np.flatnonzero(np.r_[first, step_id[1:] != step_id[:-1]])
        self._previous_id = step_id[-1]
        possible = np.abs(current[starts]) * np.abs(step_time[starts]) / 3600.0
        return bool(np.all(np.abs(counter[starts]) <= 1.1 * possible + 1e-6))

    def provenance(self) -> Provenance:
        return Provenance(instrument="Neware BTS (CSV export)", techniques=("cycling",), notes=tuple(self.notes))

    def records(self, provenance: Provenance, cell: CellInfo | None) -> Iterator[Record]:
        """The second pass: each chunk's Record, its columns as ``_csv_record`` makes them."""
        steps = _Steps()
        for first_row, table in self._blocks(first_pass=False):
            with rows_from(self.path, first_row - 1, 1):
                columns = self._columns(table, steps)
            yield self.assembly.build(columns, first_row, provenance, cell)

    def _columns(self, table: dict[str, NDArray[Any]], steps: _Steps) -> dict[str, NDArray[Any]]:
        path, units = self.path, self.units
        step_id, step_time = self._step_ids(table, steps)
        voltage = _scaled(path, table, units, "voltage", required=True)
        current = _scaled(path, table, units, "current", required=True)
        columns: dict[str, NDArray[Any]] = {"time_s": self.time.time_s(_hms_seconds(path, table, str(self.clock))),
                                            "voltage_V": voltage, "current_mA": current, "step": step_id}
        capacity = _scaled(path, table, units, "capacity")
        if capacity is not None:
            columns["capacity_mAh"] = self._per_step("capacity", capacity, step_id, steps)
        columns.update(optional_columns(path, table, []))
        columns["step_time_s"] = step_time
        energy = _scaled(path, table, units, "energy")
        if energy is not None:
            columns["energy_mWh"] = self._per_step("energy", energy, step_id, steps)
        power = _scaled(path, table, units, "power")
        if power is not None:
            columns["power_W"] = power
        steps.number = step_id[-1] if step_id.size else steps.number
        return columns

    def _per_step(self, name: str, counter: NDArray[np.float64], step_id: NDArray[np.int64],
                  steps: _Steps) -> NDArray[np.float64]:
        """:func:`~anodelab.io.neware.per_step`, the counter at the open step's first row carried."""
        if self.restarts:
            return np.abs(counter, dtype=np.float64)
        first = steps.number is None
        counters = counter if first else np.r_[steps.zeros[name], counter]
        keys = step_id if first else np.r_[steps.number, step_id]
        within = capacity_within_steps(counters, keys)
        steps.zeros[name] = float(counters[run_starts(keys)[-1]])
        return within if first else within[1:]
