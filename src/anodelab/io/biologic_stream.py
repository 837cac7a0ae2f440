"""BioLogic files a chunk of rows at a time, for :func:`anodelab.io.stream.read_chunks`: ``.mpt`` and EC-Lab
text exports block by block (:mod:`~anodelab.io.biologic_stream_text`), ``.mpr`` by slices of its memory-mapped
row table (:mod:`~anodelab.io.biologic_stream_mpr`).

Every chunk is what :func:`~anodelab.io.biologic_text.read_mpt`, :func:`~anodelab.io.biologic_text.read_biologic_text`
or :func:`~anodelab.io.biologic_mpr.read_mpr` makes of those rows of the whole file (the conversion of
:mod:`anodelab.io.biologic`, applied to the chunk). Two passes over the rows:

1. every row is read and checked as the whole-file reader checks it, and what that reader decides from the
   whole file is gathered (:class:`~anodelab.io.biologic_stream_plan.Facts`: the columns that hold a value,
   which are text, whether the cycle number and the charge counters are finite on every row, the counts of the
   notes, the rows the point index skips); from it the :class:`~anodelab.io.biologic_stream_plan.Plan`
   (dropped columns, the current and charge counter used, the cycle number and temperature kept or not); each
   step's direction is counted for the cycle numbers (:class:`~anodelab.io.assembly.RecordAssembly`). A bad
   row anywhere is refused here, before any chunk.
2. each chunk is converted by the plan (:mod:`~anodelab.io.biologic_stream_chunk`), carrying from chunk to
   chunk (:class:`~anodelab.io.biologic_stream_chunk.Carry`) the last row's step, the charge counter at the
   open step's first row, the running sum of dq and the first row's time.

Each chunk is converted with up to :data:`~anodelab.io.biologic_stream_chunk.MARGIN` rows of its neighbours
either side (a step change or a time step back is seen across the boundary; a dq/dt current borrows a
neighbour's value, which is checked to lie inside). Read whole instead
(:class:`~anodelab.io.assembly.NotStreamable`): impedance files (spectra, not a record), files whose rows are
partly impedance (a record with spectra), voltage/capacity-only exports (a segment's state comes from its end)
and dq/dt currents whose rows without a time step run longer than the margin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record
from anodelab.io.assembly import NotStreamable, RecordAssembly, rows_from
from anodelab.io.biologic import charge_current_note, potential_note
from anodelab.io.biologic_impedance import (
    impedance_pair,
    impedance_without_frequency_note,
)
from anodelab.io.biologic_stream_chunk import Carry, ChunkConverter, Window
from anodelab.io.biologic_stream_mpr import MprSource
from anodelab.io.biologic_stream_plan import Facts, Plan, plan_from_facts
from anodelab.io.biologic_stream_text import TextSource
from anodelab.io.biologic_text import _FLAG_MASKS, flag_limit


class BiologicStream:
    """A BioLogic file's record as chunks of ``rows`` rows (module docstring); the first pass runs on construction.

    ``kind``: ``"mpt"``, ``"text"`` (an EC-Lab text export) or ``"mpr"``. Raises what the whole-file reader
    would (:class:`ReadError`), or :class:`~anodelab.io.assembly.NotStreamable` for a file it reads whole.
    """

    def __init__(self, path: Path, kind: str, rows: int, cell_type: str | None = None) -> None:
        self.path, self.chunk_rows = path, rows
        self.source: TextSource | MprSource = MprSource(path) if kind == "mpr" else TextSource(path, kind == "text")
        try:
            if self.source.rows == 0:
                raise NotStreamable("no data rows")
            self._first_pass(cell_type)
        except BaseException:
            self.source.close()
            raise

    @property
    def rows(self) -> int:
        return self.source.rows

    def _skip(self) -> int | None:
        return self.source.layout.skip_lines if isinstance(self.source, TextSource) else None

    def _first_pass(self, cell_type: str | None) -> None:
        """Read every row: check it, gather the facts, count the steps' directions (with a plan made from the
        first rows; read again where the whole file's plan changes the steps)."""
        facts = Facts()
        assembly = RecordAssembly(self.path, self.source.expected, cell_type)
        converter: ChunkConverter | None = None
        guessed = False
        for window in self.source.windows(self.chunk_rows, facts):
            if not guessed:
                guessed, converter = True, self._provisional(facts)
            if converter is not None:
                try:
                    self._observe(converter, window, assembly)
                except ReadError:  # by a plan the whole file may not keep: the pass with its own plan tells
                    converter = None
        plan = self._plan(facts)
        if converter is None or converter.plan.steps_key() != plan.steps_key():
            assembly = RecordAssembly(self.path, self.source.expected, cell_type)
            converter = ChunkConverter(self.path, plan, self.source.techniques, self.source.expected)
            for window in self.source.windows(self.chunk_rows, None):
                self._observe(converter, window, assembly)
        self.plan, self.assembly = plan, assembly
        assembly.start_building()
        self.notes = self._notes(facts, plan, converter.carry)

    def _provisional(self, facts: Facts) -> ChunkConverter | None:
        try:
            plan = self._plan(facts)
        except (ReadError, NotStreamable):  # the first rows cannot tell: the whole file will
            return None
        return ChunkConverter(self.path, plan, self.source.techniques, self.source.expected)

    def _observe(self, converter: ChunkConverter, window: Window, assembly: RecordAssembly) -> None:
        with rows_from(self.path, window.first_row - window.before - 1, self._skip()):
            columns = converter.columns(window, full=False)
        assembly.observe(columns, window.first_row)

    def _plan(self, facts: Facts) -> Plan:
        source = self.source
        row_index = source.row_index()
        flags = [n for n in _FLAG_MASKS if n in facts.names and n not in row_index and facts.numeric[n]]
        split = source.csv and any(facts.flag_max.get(n, 0.0) > flag_limit(n) for n in flags)
        with rows_from(self.path, 0, self._skip()):  # the line of a row the facts name
            return plan_from_facts(self.path, facts, source.techniques, source.expected,
                                   drop_empty=source.drop_empty, split_flags=split, row_index=row_index)

    def _notes(self, facts: Facts, plan: Plan, carry: Carry) -> list[str]:
        """The record's notes, as the whole-file reader writes them."""
        notes = [f"first row at {carry.start} (instrument clock, absolute time export)"] if carry.start else []
        kept = {n: np.zeros(0) for n in facts.names if n not in plan.dropped and n not in plan.row_index}
        pair = impedance_pair(kept)
        if pair is not None and facts.measured.get(pair[0], 0):
            notes.append(impedance_without_frequency_note(pair, facts.measured[pair[0]], "freq/Hz" in kept))
        notes += [charge_current_note(carry.borrowed)] if plan.current == "dq" else carry.notes or []
        if plan.current is None:
            notes.append("no current column: state unknown")
        count, first = carry.mismatch
        if count:
            notes.append(potential_note(plan.voltage, count, facts.rows, first))
        return self.source.notes(notes)

    def provenance(self) -> Provenance:
        """The record's provenance, but for what :func:`anodelab.io.read` adds (path, checksum, format, reader)."""
        return Provenance(instrument=self.source.instrument, techniques=self.source.techniques, notes=tuple(self.notes))

    def records(self, provenance: Provenance, cell: CellInfo | None) -> Iterator[Record]:
        """The second pass: each chunk's Record."""
        converter = ChunkConverter(self.path, self.plan, self.source.techniques, self.source.expected)
        try:
            for window in self.source.windows(self.chunk_rows, None):
                with rows_from(self.path, window.first_row - window.before - 1, self._skip()):
                    columns = converter.columns(window)
                yield self.assembly.build(columns, window.first_row, provenance, cell)
        finally:
            self.source.close()
