"""The constant-current segments of a metal cell (symmetric metal|metal or metal|substrate), the
one-directional runs they form, and the vectorised per-group reductions the plating analyses share.

Definitions (every plating result records them):

* A *segment* is a step of :func:`~anodelab.core.steps.step_table` in control mode ``CC``; its current
  is the step's set point (mA, signed: < 0 plates on the working electrode). Rests, impedance loops
  and other steps are interruptions, never segments. A record without a current column (a
  voltage-only export) is taken as held at the caller's ``current_mA`` throughout: each of its steps
  is a segment at that current.
* A *run* is a maximal sequence of consecutive segments of one current sign and one current level
  (|I| within :data:`LEVEL_RTOL` of the segment before; interruptions between them allowed): a
  half-cycle of a cycled cell, or the whole of a one-directional plating with periodic impedance or
  rest interruptions. A current change of one sign (a rate step) starts a new run.
* The *polarization* of a row is ``sign(I) * V`` (V): the overpotential, positive for a metal cell.
* A *window* is a piece of a run, the run cut into equal pieces of at most ``window_s`` seconds;
  the rows of a window are its segments' rows in that time span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.errors import NotApplicableError, ValidationError
from anodelab.core.record import Record
from anodelab.core.steps import step_table

#: cell types whose voltage is an overpotential vs a metal electrode
METAL_CELL_TYPES = ("symmetric", "plating")
#: a metal cell's settled voltage follows the current's sign in at least this fraction of segments
METAL_SIGN_FRACTION = 0.8
#: ... where a segment goes against it below minus this fraction of the typical polarization
AGAINST_FRACTION = 0.2
#: consecutive segments whose |I| agrees within this fraction are at one current level
LEVEL_RTOL = 0.05
#: group sizes shared by at least this many groups are reduced together (one 2-D median)
_SHARED_SIZE = 8


@dataclass(frozen=True, repr=False)
class Segments:
    """The CC segments of a record (index k <-> the k-th segment, in row order) and the columns the
    plating analyses read (views of the record's, not copies). ``given_current`` is True where the
    current came from the caller (a voltage-only record)."""

    source: str
    time_s: NDArray[np.float64]
    voltage_V: NDArray[np.float64]
    cycle_of_row: NDArray[np.int32]
    start: NDArray[np.intp]            # first row
    end: NDArray[np.intp]              # last row (inclusive)
    current_mA: NDArray[np.float64]    # signed set point
    charge_mAh: NDArray[np.float64]    # passed in the segment
    run: NDArray[np.intp]              # the run each segment belongs to (0, 1, ...)
    area_cm2: float | None
    given_current: bool

    def __len__(self) -> int:
        return int(self.start.size)

    @property
    def sign(self) -> NDArray[np.float64]:
        """+1 for I > 0, -1 for I < 0."""
        return np.sign(self.current_mA)

    @property
    def start_s(self) -> NDArray[np.float64]:
        return self.time_s[self.start]

    @property
    def end_s(self) -> NDArray[np.float64]:
        return self.time_s[self.end]

    @property
    def cycle(self) -> NDArray[np.int32]:
        return self.cycle_of_row[self.start]

    @property
    def reversing(self) -> bool:
        """Both current signs occur (the cell is cycled), not a one-directional plating."""
        return bool((self.current_mA > 0).any() and (self.current_mA < 0).any())

    @property
    def n_runs(self) -> int:
        return int(self.run[-1]) + 1 if self.run.size else 0

    def run_bounds(self) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """First and last segment of each run."""
        first = np.flatnonzero(np.r_[True, self.run[1:] != self.run[:-1]])
        return first, np.r_[first[1:] - 1, self.run.size - 1]

    def density(self, current_mA: NDArray[np.float64] | float) -> NDArray[np.float64]:
        """|I| per cm2 of electrode (mA/cm2) where the area is known, else |I| (mA)."""
        magnitude = np.abs(np.asarray(current_mA, dtype=np.float64))
        return magnitude / self.area_cm2 if self.area_cm2 else magnitude

    @property
    def density_unit(self) -> str:
        return "mA/cm2" if self.area_cm2 else "mA"

    def rows(self) -> Rows:
        """The segments' rows, concatenated in row order, with their polarization and segment index."""
        counts = self.end - self.start + 1
        offsets = np.cumsum(counts) - counts
        index = np.arange(int(counts.sum()), dtype=np.intp) + np.repeat(self.start - offsets, counts)
        segment = np.repeat(np.arange(len(self), dtype=np.intp), counts)
        polarization = self.voltage_V[index] * np.repeat(self.sign, counts)
        finite = np.isfinite(polarization) & np.isfinite(self.time_s[index])
        if not finite.all():
            index, segment, polarization = index[finite], segment[finite], polarization[finite]
        return Rows(index, segment, self.time_s[index], polarization)

    def __repr__(self) -> str:
        return f"<Segments {len(self)} CC segments in {self.n_runs} runs of {self.source}>"


@dataclass(frozen=True)
class Rows:
    """The rows of the segments: record row, segment, time (s) and polarization (V), in row order."""

    row: NDArray[np.intp]
    segment: NDArray[np.intp]
    time_s: NDArray[np.float64]
    polarization_V: NDArray[np.float64]


def cc_segments(record: Record, cell: CellInfo | None = None, *, current_mA: float | None = None,
                analysis: str = "plating") -> Segments:
    """The CC segments and runs of ``record`` (definitions in the module docstring).

    Refuses (:class:`NotApplicableError`) a record with no rows, no time, no current column and no
    ``current_mA``, no CC segment, or a cell type other than symmetric/plating; ``current_mA`` given
    for a record that has a current column is a :class:`ValidationError` (it would be ignored).
    """
    if not isinstance(record, Record):
        raise NotApplicableError(f"{analysis} needs a Record (time, voltage and current of a metal cell); "
                                 f"got a {type(record).__name__}")
    source = record.provenance.path or "record"
    cell = cell if cell is not None else record.cell
    if cell is not None and cell.cell_type not in METAL_CELL_TYPES:
        raise NotApplicableError(f"{source}: {analysis} analyses metal|metal or metal|substrate cells "
                                 f"(cell_type symmetric or plating); this cell is {cell.cell_type!r}")
    if len(record) == 0:
        raise NotApplicableError(f"{source}: {analysis} needs a record with rows; this one has none")
    if "time_s" not in record:
        raise NotApplicableError(f"{source}: {analysis} needs a time column (time_s); it has "
                                 + ", ".join(record.column_names))
    table = step_table(record)
    has_current = "current_mA" in record
    if has_current and current_mA is not None:
        raise ValidationError("current_mA", f"{source} has a current column; current_mA is only for "
                                            "voltage-only records")
    if has_current:
        cc = np.flatnonzero((table.mode == "CC") & (table.set_point != 0))
        current = table.set_point[cc]
        charge = np.nan_to_num(table.charge_mAh[cc])
    elif current_mA is not None:
        value = float(current_mA)
        if not np.isfinite(value) or value == 0:
            raise ValidationError("current_mA", f"must be a finite, non-zero current (mA, signed), got {current_mA!r}")
        cc = np.arange(len(table))
        current = np.full(cc.size, value)
        charge = abs(value) * np.nan_to_num(table.duration_s) / 3600.0
    else:
        raise NotApplicableError(f"{source}: {analysis} needs the current: the record has no current column "
                                 "(give the current held, current_mA, for a voltage-only record)")
    if cc.size == 0:
        raise NotApplicableError(f"{source}: {analysis} needs constant-current steps; the record has none "
                                 f"({table!r})")
    new_level = np.diff(current_levels(np.abs(current), LEVEL_RTOL)) != 0
    run = np.cumsum(np.r_[0, (np.sign(current[1:]) != np.sign(current[:-1])) | new_level]).astype(np.intp)
    area = cell.working_electrode.area_cm2 if cell is not None else None
    return Segments(source, record["time_s"], record["voltage_V"], record["cycle"], table.start[cc].astype(np.intp),
                    table.end[cc].astype(np.intp), current.astype(np.float64), charge.astype(np.float64), run,
                    area, not has_current)


def require_metal_cell(segments: Segments, plateau_V: NDArray[np.float64], analysis: str) -> None:
    """Refuse a record whose settled voltage does not follow the current's sign (a Li-ion or alloy cell
    cycling between two positive voltages): ``plateau_V`` is each segment's settled polarization. A
    segment goes against the sign when its polarization is below -:data:`AGAINST_FRACTION` of the
    90th percentile of their magnitudes (a shorted cell's near-zero voltages count as neither)."""
    known = plateau_V[np.isfinite(plateau_V)]
    if known.size == 0:
        raise NotApplicableError(f"{segments.source}: {analysis}: no segment has a finite voltage")
    scale = float(np.percentile(np.abs(known), 90))
    following = float(np.mean(known >= -AGAINST_FRACTION * scale))
    if following < METAL_SIGN_FRACTION:
        raise NotApplicableError(
            f"{segments.source}: {analysis} analyses metal cells, whose voltage is an overpotential with the "
            f"sign of the current; here it has that sign in {following:.0%} of the constant-current segments "
            f"(at least {METAL_SIGN_FRACTION:.0%} expected): not a symmetric or metal|substrate cell"
            + (", or a file whose current sign is inverted (anodelab.core.conventions: I > 0 drives the "
               "working electrode's voltage up)" if following <= 1.0 - METAL_SIGN_FRACTION else ""))


def group_medians(values: NDArray[np.float64], starts: NDArray[np.intp]) -> NDArray[np.float64]:
    """The median of each group of ``values``: groups are the consecutive runs beginning at ``starts``
    (sorted, first 0)."""
    return range_medians(values, starts, np.r_[starts[1:], values.size].astype(np.intp))


def range_medians(values: NDArray[np.float64], start: NDArray[np.intp], stop: NDArray[np.intp]
                  ) -> NDArray[np.float64]:
    """The median of ``values[start[k]:stop[k]]`` for each k (NaN for an empty range). Ranges of one
    length, where many share it, are gathered into a 2-D array and reduced at once (a cycler's regular
    sampling gives a few lengths); the others one slice at a time."""
    medians = np.full(start.size, np.nan)
    if start.size == 0:
        return medians
    counts = stop - start
    sizes, inverse, members = np.unique(counts, return_inverse=True, return_counts=True)
    alone = []
    for index, (size, many) in enumerate(zip(sizes.tolist(), members.tolist())):
        if size == 0:
            continue
        chosen = np.flatnonzero(inverse == index)
        if many >= _SHARED_SIZE:
            block = np.lib.stride_tricks.sliding_window_view(values, size)[start[chosen]]
            medians[chosen] = np.median(block, axis=1, overwrite_input=True)
        else:
            alone.append(chosen)
    if alone:
        for k in np.concatenate(alone).tolist():
            medians[k] = np.median(values[start[k]:stop[k]])
    return medians


def group_starts(labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """First index of each run of equal consecutive ``labels``."""
    if labels.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]]).astype(np.intp)


@dataclass(frozen=True)
class Windows:
    """Windows of the runs (index w <-> the w-th window, in time order): the rows (indices into
    :class:`Rows`) each one holds, its run and time span, and its median polarization (V)."""

    first: NDArray[np.intp]          # first row (index into Rows)
    last: NDArray[np.intp]           # last row (inclusive)
    run: NDArray[np.intp]
    start_s: NDArray[np.float64]     # time of the first row
    end_s: NDArray[np.float64]       # time of the last row
    median_V: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.first.size)


def windows(segments: Segments, rows: Rows, window_s: float) -> Windows:
    """Each run cut into ``ceil(duration / window_s)`` windows of equal time under current (the
    interruptions between its segments, rests and impedance loops, left out of the clock), those with
    rows kept; a row on a boundary opens the next window. Rows are in time order (a Record's time
    never decreases), so the boundaries are found by binary search."""
    time = rows.time_s
    counts = np.bincount(rows.segment, minlength=len(segments))
    present = np.flatnonzero(counts)
    seg_first = np.r_[0, np.cumsum(counts[present])[:-1]].astype(np.intp)
    seg_t0, seg_t1 = time[seg_first], time[seg_first + counts[present] - 1]
    seg_run = segments.run[present]
    # time under current at each segment's first row: its run's active time before it
    same_run = np.r_[False, seg_run[1:] == seg_run[:-1]]
    gap = np.where(same_run, seg_t0 - np.r_[seg_t1[0], seg_t1[:-1]], 0.0)
    # a clock that stops during the interruptions: it never decreases (at a segment's first row it
    # reads what it read at the last row before), so binary search works on it as on time
    active = time - np.repeat(np.cumsum(gap), counts[present])
    run_first = group_starts(seg_run)
    run_rows_first = seg_first[run_first]
    run_end = np.r_[run_rows_first[1:], time.size]  # one past the run's last row
    a0, a1 = active[run_rows_first], active[run_end - 1]
    pieces = np.maximum(np.ceil((a1 - a0) / window_s), 1.0).astype(np.intp)
    width = np.where(a1 > a0, (a1 - a0) / pieces, 1.0)
    run_of_window = np.repeat(np.arange(run_first.size), pieces)
    k = np.arange(run_of_window.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    lo, hi = run_rows_first[run_of_window], run_end[run_of_window]
    edges = a0[run_of_window] + k * width[run_of_window]
    first = np.where(k == 0, lo, np.clip(np.searchsorted(active, edges, side="left"), lo, hi))
    stop = np.r_[first[1:], time.size]
    keep = first < stop
    first, stop = first[keep].astype(np.intp), stop[keep]
    last = (stop - 1).astype(np.intp)
    run = segments.run[rows.segment[first]]
    return Windows(first, last, run, time[first], time[last], group_medians(rows.polarization_V, first))


def current_levels(magnitude_mA: NDArray[np.float64], rtol: float = 0.05) -> NDArray[np.intp]:
    """Level index (0, 1, ...) of each item of ``magnitude_mA``: a new level wherever |I| differs from
    the item before by more than ``rtol`` (relative)."""
    if magnitude_mA.size == 0:
        return np.zeros(0, dtype=np.intp)
    change = ~np.isclose(magnitude_mA[1:], magnitude_mA[:-1], rtol=rtol, atol=0.0)
    return np.cumsum(np.r_[0, change]).astype(np.intp)
