"""Record: one time series from a cycler or potentiostat, in canonical columns and units.

Canonical columns (see :mod:`anodelab.core.conventions` for sign, step and cycle rules):

=================  ========  ==========================================================
column             dtype     meaning
=================  ========  ==========================================================
``voltage_V``      float64   working minus counter electrode potential, V (always present)
``step``           int32     global step number, 1-based (always present)
``cycle``          int32     cycle number, 0 = preamble (always present)
``state``          int8      index into ``STATES`` (rest, charge, discharge, unknown)
``time_s``         float64   time since the file's first row, s (absent in voltage/capacity-only exports)
``current_mA``     float64   signed current, mA, > 0 anodic at the working electrode
``capacity_mAh``   float64   charge passed within the step, mAh, >= 0
``temperature_C``  float64   optional
=================  ========  ==========================================================

Instrument columns the canonical ones do not cover are kept under their own (sanitised) names.

A measurement that mixes techniques (a BioLogic modular sequence with PEIS/GEIS loops, an in-situ
GEIS during plating) is a record of its non-impedance rows with the impedance spectra measured
during it in :attr:`Record.spectra`, tied to the rows by ``time_s`` (see :meth:`Record.with_spectra`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cell import CellInfo
from anodelab.core.conventions import (
    STATES,
    UNKNOWN,
    capacity_from_current,
    cycles_of_runs,
    number_cycles,
    run_starts,
    state_from_current,
    steps_of_runs,
)
from anodelab.core.errors import NotApplicableError, ValidationError

if TYPE_CHECKING:
    import pandas as pd

    from anodelab.core.spectrum import SpectrumSeries

REQUIRED = ("voltage_V", "step", "cycle", "state")
OPTIONAL = ("time_s", "current_mA", "capacity_mAh", "temperature_C")
CANONICAL = ("time_s", "voltage_V", "current_mA", "step", "cycle", "capacity_mAh", "state", "temperature_C")
_DTYPES = {"step": np.int32, "cycle": np.int32, "state": np.int8}


class Digest(Protocol):
    """A checksum computed when first asked for (see :mod:`anodelab.io.checksum`)."""

    def hexdigest(self) -> str: ...


class _Sha256Field:
    """``Provenance.sha256``: set to a hex string or a :class:`Digest`; read, always a hex string
    (or None), a Digest being computed on first access and its result kept."""

    def __get__(self, instance: object, owner: type | None = None) -> str | None:
        if instance is None:
            return None  # the dataclass field's default
        value: str | Digest | None = instance.__dict__["_sha256"]
        if value is None or isinstance(value, str):
            return value
        digest = value.hexdigest()
        instance.__dict__["_sha256"] = digest  # threads that race here store the same string
        return digest

    def __set__(self, instance: object, value: str | Digest | None) -> None:
        instance.__dict__["_sha256"] = value


@dataclass(frozen=True)
class Provenance:
    """Where data came from: file, checksum, reader, instrument and techniques.

    ``sha256`` may be given as a :class:`Digest` that is computed when first read (a reader that
    parsed the file's bytes from one buffer defers hashing them); reading it always gives the hex
    string. ``dataclasses.replace`` and pickling compute it; :func:`pending_sha256` passes it on
    unread.
    """

    path: str | None = None
    sha256: _Sha256Field = _Sha256Field()
    format: str | None = None
    reader: str | None = None
    reader_version: str | None = None
    instrument: str | None = None
    techniques: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_sha256": self.sha256}  # the digest, not a buffer and its lock

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "reader": self.reader,
            "reader_version": self.reader_version,
            "instrument": self.instrument,
            "techniques": list(self.techniques),
            "notes": list(self.notes),
        }


def pending_sha256(provenance: Provenance) -> str | Digest | None:
    """``provenance.sha256`` as it was given, a deferred digest not computed (for ``replace(..., sha256=)``)."""
    value: str | Digest | None = provenance.__dict__["_sha256"]
    return value


def source_summary(cell: CellInfo | None, provenance: Provenance) -> dict[str, Any]:
    """The keys every ``summary()`` ends with: the cell type, the file's SHA-256 and the provenance."""
    return {
        "cell_type": cell.cell_type if cell else None,
        "sha256": provenance.sha256,
        "provenance": provenance.to_dict(),
    }


class _ColumnTable:
    """Column access shared by :class:`Record` and :class:`~anodelab.core.cycles.CycleTable`."""

    columns: Mapping[str, NDArray[Any]]
    cell: CellInfo | None
    provenance: Provenance
    _rows_from: ClassVar[str]  # the column whose size is the number of rows
    _noun: ClassVar[str]  # "record", "cycle table": names an in-memory table in errors

    def __len__(self) -> int:
        return int(self.columns[self._rows_from].size)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> NDArray[Any]:
        try:
            return self.columns[name]
        except KeyError:
            source = self.provenance.path or f"this {self._noun}"
            raise NotApplicableError(f"{source} has no column {name!r}; it has {', '.join(self.columns)}") from None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its columns as a dict (a mapping proxy does not pickle), read-only again when loaded;
        the fields after ``provenance`` (a record's ``spectra``) as they are."""
        rest = tuple(getattr(self, f.name) for f in fields(self)[3:])  # type: ignore[arg-type]  # subclasses are dataclasses
        return (_unpickle_table, (type(self), dict(self.columns), self.cell, self.provenance, *rest))


@dataclass(frozen=True, repr=False)
class Record(_ColumnTable):
    """One cycler/potentiostat time series. Build with :meth:`from_columns`.

    Columns are read-only numpy arrays; ``record["voltage_V"]`` or ``record.voltage_V`` return
    them, ``record.to_pandas()`` wraps them without copying. ``spectra``: the impedance spectra
    measured during the record (None when there are none), attached by :meth:`with_spectra`; they
    carry the record's cell and provenance, kept so by every copy (``with_cell``, ``replace``).
    """

    columns: Mapping[str, NDArray[Any]]
    cell: CellInfo | None = None
    provenance: Provenance = field(default_factory=Provenance)
    spectra: SpectrumSeries | None = None
    _rows_from: ClassVar[str] = "voltage_V"
    _noun: ClassVar[str] = "record"

    def __post_init__(self) -> None:
        spectra = self.spectra
        if spectra is not None and (spectra.provenance is not self.provenance or spectra.cell is not self.cell):
            object.__setattr__(self, "spectra", _tied(self, spectra))

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Any],
        *,
        cell: CellInfo | None = None,
        provenance: Provenance | None = None,
    ) -> Record:
        """Validate raw columns and derive ``step``, ``cycle`` and ``state`` where not given.

        ``columns`` must hold ``voltage_V``; ``state`` (codes or names) is derived from
        ``current_mA`` when absent; ``step`` may hold the instrument's step (sequence) identifiers
        and is renumbered 1, 2, 3, ... at each change, or, when absent, numbered from changes of
        state; ``capacity_mAh`` is integrated from current when absent; ``cycle`` is always numbered by the
        rule of :mod:`anodelab.core.conventions` for ``cell``'s type. An instrument cycle column
        passed as ``cycle`` is kept as ``cycle_instrument``.
        """
        where = provenance.path if provenance and provenance.path else "record"
        data: dict[str, NDArray[Any]] = {}
        for name, values in columns.items():
            array = np.asarray(values)
            if array.ndim != 1:
                raise ValidationError(f"{where}: column {name}", f"must be 1-D, got shape {array.shape}")
            data[name] = array
        if "voltage_V" not in data:
            raise ValidationError(f"{where}: voltage_V", "a record needs a voltage column")
        n = data["voltage_V"].size
        for name, array in data.items():
            if array.size != n:
                raise ValidationError(
                    f"{where}: column {name}", f"has {array.size} rows, voltage_V has {n}"
                )
        for name in ("time_s", "voltage_V", "current_mA", "capacity_mAh", "temperature_C"):
            if name in data:
                data[name] = np.ascontiguousarray(data[name], dtype=np.float64)
        if "time_s" in data:
            _check_time(data["time_s"], where)

        if "state" in data:
            data["state"] = _state_codes(data["state"], where)
        elif "current_mA" in data:
            data["state"] = state_from_current(data["current_mA"])
        else:
            data["state"] = np.full(n, UNKNOWN, dtype=np.int8)

        starts = run_starts(data["step"] if "step" in data else data["state"])  # first row of each step
        if not _numbered(data.get("step"), starts):
            data["step"] = steps_of_runs(starts, n)
        if "capacity_mAh" not in data and "time_s" in data and "current_mA" in data:
            data["capacity_mAh"] = capacity_from_current(data["time_s"], data["current_mA"], data["step"])
        if "cycle" in data:
            data["cycle_instrument"] = data.pop("cycle")
        data["cycle"] = cycles_of_runs(starts, data["state"], n, cell.cell_type if cell else None)

        for name, dtype in _DTYPES.items():
            data[name] = np.ascontiguousarray(data[name], dtype=dtype)
        ordered = {name: data.pop(name) for name in CANONICAL if name in data}
        ordered.update(data)
        for array in ordered.values():
            array.flags.writeable = False
        return cls(MappingProxyType(ordered), cell, provenance or Provenance())

    # -- access ---------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> NDArray[Any]:
        if name in CANONICAL:
            return self[name]
        raise AttributeError(name)

    @property
    def states(self) -> NDArray[np.str_]:
        """State names per row (``rest``, ``charge``, ``discharge``, ``unknown``)."""
        names: NDArray[np.str_] = np.asarray(STATES)[self.columns["state"]]
        return names

    @property
    def cycles(self) -> NDArray[np.int32]:
        """The cycle numbers present, sorted."""
        return np.unique(self.columns["cycle"])

    @property
    def n_steps(self) -> int:
        return int(self.columns["step"].max()) if len(self) else 0

    @property
    def duration_s(self) -> float | None:
        if "time_s" not in self.columns or len(self) == 0:
            return None
        time = self.columns["time_s"]
        return float(time[-1] - time[0])

    # -- slicing ----------------------------------------------------------------------------------

    def take(self, rows: NDArray[Any] | slice) -> Record:
        """A new record holding the selected rows (a boolean mask, indices or a slice)."""
        columns = {name: array[rows] for name, array in self.columns.items()}
        for array in columns.values():
            array.flags.writeable = False
        return replace(self, columns=MappingProxyType(columns))

    def select(self, *, cycles: int | Iterable[int] | None = None, steps: int | Iterable[int] | None = None) -> Record:
        """Rows of the given cycle(s) and/or step(s); numbers follow the record's own numbering."""
        mask = np.ones(len(self), dtype=bool)
        if cycles is not None:
            mask &= np.isin(self.columns["cycle"], np.atleast_1d(np.asarray(list(_iterable(cycles)))))
        if steps is not None:
            mask &= np.isin(self.columns["step"], np.atleast_1d(np.asarray(list(_iterable(steps)))))
        return self.take(mask)

    def cycle(self, number: int) -> Record:
        return self.select(cycles=number)

    def step(self, number: int) -> Record:
        return self.select(steps=number)

    def with_spectra(self, spectra: SpectrumSeries | None) -> Record:
        """The same rows with ``spectra`` (measured during them; None: none) attached.

        Each spectrum's context ``time_s`` is its start on the record's clock; its ``cycle`` and
        ``extras["step"]`` become those of the last row of the record at or before that time (0 and
        0 for a spectrum before the first row; kept as given where either has no time). Its cell
        and provenance become the record's. :meth:`take` and :meth:`select` keep every spectrum;
        :meth:`with_cell` renumbers their cycles with the rows'.
        """
        return replace(self, spectra=None if spectra is None else _tied(self, spectra))

    def with_cell(self, cell: CellInfo | None) -> Record:
        """The same data with ``cell`` attached and cycles renumbered for its cell type."""
        columns = dict(self.columns)
        columns["cycle"] = number_cycles(columns["step"], columns["state"], cell.cell_type if cell else None)
        columns["cycle"].flags.writeable = False
        return replace(self, columns=MappingProxyType(columns), cell=cell)

    # -- export -----------------------------------------------------------------------------------

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame over the same memory (no copy); ``state`` as a categorical of names."""
        import pandas as pd

        frame: dict[str, NDArray[Any] | pd.Categorical[str]] = {
            name: array for name, array in self.columns.items() if name != "state"}
        codes: NDArray[np.int8] = self.columns["state"]
        frame["state"] = pd.Categorical.from_codes(codes, pd.Index(STATES))
        ordered = {name: frame[name] for name in self.columns}
        return pd.DataFrame(ordered, copy=False)

    def summary(self) -> dict[str, Any]:
        """Headline facts of the record (what ``anodelab read --json`` prints).

        ``cycles`` counts the active cycles (>= 1) of ``cycle``; for a cyclic voltammetry record
        (techniques only CV/CVA) it counts the runs of the instrument's voltammetry cycle counter
        (``cycle_instrument``) instead: ``cycle`` pairs charge with discharge steps, which the sweeps
        of a CV are not, and a counter that restarts (one sheet per scan rate) starts a new cycle.
        """

        def extreme(name: str, fn: Any) -> float | None:
            if name not in self.columns or len(self) == 0:
                return None
            values = self.columns[name]
            values = values[np.isfinite(values)]
            return float(fn(values)) if values.size else None

        techniques = set(self.provenance.techniques)
        if techniques and techniques <= {"CV", "CVA"} and "cycle_instrument" in self.columns:
            counter = self.columns["cycle_instrument"]  # runs, not distinct values: sheets may restart it
            cycles = int(np.count_nonzero(counter[1:] != counter[:-1])) + 1 if counter.size else 0
        else:
            cycles = int((self.cycles > 0).sum())
        return {
            "kind": "record",
            "format": self.provenance.format,
            "rows": len(self),
            "columns": list(self.columns),
            "duration_s": self.duration_s,
            "voltage_V_min": extreme("voltage_V", np.min),
            "voltage_V_max": extreme("voltage_V", np.max),
            "current_mA_min": extreme("current_mA", np.min),
            "current_mA_max": extreme("current_mA", np.max),
            "steps": self.n_steps,
            "cycles": cycles,
            "spectra": len(self.spectra) if self.spectra is not None else 0,
            **source_summary(self.cell, self.provenance),
        }

    def __repr__(self) -> str:
        source = Path(self.provenance.path).name if self.provenance.path else "in memory"
        cell = self.cell.cell_type if self.cell else "cell unknown"
        spectra = f", {len(self.spectra)} spectra" if self.spectra is not None else ""
        return (
            f"<Record {source}: {len(self)} rows, {self.n_steps} steps, "
            f"{int((self.cycles > 0).sum())} cycles{spectra}, {cell}>"
        )


def _unpickle_table(cls: type[Any], columns: dict[str, NDArray[Any]], cell: CellInfo | None,
                    provenance: Provenance, *rest: Any) -> Any:
    for array in columns.values():
        array.flags.writeable = False
    return cls(MappingProxyType(columns), cell, provenance, *rest)


def _tied(record: Record, spectra: SpectrumSeries) -> SpectrumSeries:
    """``spectra`` with ``record``'s cell and provenance, and the cycle and step of the record at each one's
    start (:meth:`Record.with_spectra`)."""
    time = record.columns.get("time_s")
    tied = []
    for spectrum in spectra:
        context = spectrum.context
        if time is not None and context.time_s is not None:
            row = int(np.searchsorted(time, context.time_s, side="right")) - 1
            cycle, step = (int(record.columns["cycle"][row]), int(record.columns["step"][row])) if row >= 0 else (0, 0)
            context = replace(context, cycle=cycle, extras={**context.extras, "step": step})
        tied.append(replace(spectrum, context=context, cell=record.cell, provenance=record.provenance))
    return replace(spectra, spectra=tuple(tied), cell=record.cell, provenance=record.provenance)


def _iterable(value: int | Iterable[int]) -> Iterable[int]:
    return [value] if isinstance(value, (int, np.integer)) else value


def _state_codes(values: NDArray[Any], where: str) -> NDArray[np.int8]:
    if values.dtype.kind in "iu":
        if values.size and (values.min() < 0 or values.max() >= len(STATES)):
            raise ValidationError(f"{where}: state", f"codes must lie in 0..{len(STATES) - 1}")
        return values.astype(np.int8)
    lookup = {name: code for code, name in enumerate(STATES)}
    names, inverse = np.unique(values.astype(str), return_inverse=True)
    bad = [name for name in names if name not in lookup]
    if bad:
        raise ValidationError(f"{where}: state", f"unknown state {bad[0]!r}; expected one of {', '.join(STATES)}")
    return np.asarray([lookup[name] for name in names], dtype=np.int8)[inverse]


def _numbered(step: NDArray[Any] | None, starts: NDArray[np.intp]) -> bool:
    """Whether ``step`` (int32, runs beginning at ``starts``) already numbers its runs 1, 2, 3, ...: kept as it is."""
    return step is not None and step.dtype == np.int32 and bool(
        np.array_equal(step[starts], np.arange(1, starts.size + 1, dtype=np.int32)))


def _check_time(time: NDArray[np.float64], where: str) -> None:
    """Refuse times that are not finite or that run backwards.

    One comparison of neighbours checks both: with finite ends, rows that never decrease hold no NaN
    (it fails every comparison) and no infinity (it would have to last to the end, or from the start).
    """
    if not time.size or (np.isfinite(time[0]) and np.isfinite(time[-1]) and bool((time[1:] >= time[:-1]).all())):
        return
    if not (np.isfinite(time.min()) and np.isfinite(time.max())):  # NaN propagates
        raise ValidationError(f"{where}: time_s", "contains NaN or infinite times")
    row = int(np.argmax(time[1:] < time[:-1])) + 1
    raise ValidationError(f"{where}: time_s", f"decreases at row {row}; time must not run backwards")
