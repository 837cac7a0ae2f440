"""Record: one time series from a cycler or potentiostat, in canonical columns and units.

Canonical columns (see :mod:`anodelab.core.conventions` for sign, step and cycle rules):

=================  ========  ==========================================================
column             dtype     meaning
=================  ========  ==========================================================
``voltage_V``      float64   working minus counter electrode potential, V (always present)
``step``           int32     global step number, 1-based (always present)
``cycle``          int32     cycle number, 0 = preamble (always present)
``state``          int8      index into ``STATES`` (rest, charge, discharge, unknown)
``time_s``         float64   time since the first row, s (absent in voltage/capacity-only exports)
``current_mA``     float64   signed current, mA, > 0 anodic at the working electrode
``capacity_mAh``   float64   charge passed within the step, mAh, >= 0
``temperature_C``  float64   optional
=================  ========  ==========================================================

Instrument columns the canonical ones do not cover are kept under their own (sanitised) names.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

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
from anodelab.core.errors import NotApplicableError, ReadError, ValidationError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("voltage_V", "step", "cycle", "state")
OPTIONAL = ("time_s", "current_mA", "capacity_mAh", "temperature_C")
CANONICAL = ("time_s", "voltage_V", "current_mA", "step", "cycle", "capacity_mAh", "state", "temperature_C")
_DTYPES = {"step": np.int32, "cycle": np.int32, "state": np.int8}


@dataclass(frozen=True)
class Provenance:
    """Where data came from: file, checksum, reader, instrument and techniques."""

    path: str | None = None
    sha256: str | None = None
    format: str | None = None
    reader: str | None = None
    reader_version: str | None = None
    instrument: str | None = None
    techniques: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

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


_BLOCK = 1 << 20  # 1 MiB: stays in the cache, and few enough that a hashing thread seldom waits for the GIL
#: files this big are hashed in a thread while they are parsed; smaller ones after the parse, or
#: from the bytes the reader read (a thread's start and a second read of the file cost more)
_THREAD_BYTES = 64 << 20


def sha256_of(path: str | Path, stop: threading.Event | None = None) -> str:
    """Hex SHA-256 of a file, read into one reused buffer (``stop``: give up early, returning "")."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(max(1, min(_BLOCK, os.fstat(handle.fileno()).st_size)))
        view = memoryview(buffer)
        while (size := handle.readinto(buffer)) and not (stop and stop.is_set()):
            digest.update(view[:size])  # hashlib releases the GIL for buffers over 2 KiB
    return "" if stop and stop.is_set() else digest.hexdigest()


def sha256_of_read(raw: bytes | memoryview) -> str | None:
    """Hex SHA-256 of a file's bytes that a reader read whole in one read, for its provenance's
    ``sha256``; None for a file :class:`Checksum` hashes in a thread while it is parsed."""
    return hashlib.sha256(raw).hexdigest() if len(raw) < _THREAD_BYTES else None


def _fingerprint(path: Path) -> tuple[int, ...]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class Checksum:
    """The SHA-256 of a file being read, for its provenance (see :meth:`result`).

    Computed once: from the bytes the reader parsed when it read the file whole and hashed them
    (:func:`sha256_of_read`), else from the file, in a thread while it is parsed (files of 64 MiB
    and more: on a free core that costs no wall time) or after the parse. The file's identity,
    size and modification/change times are taken when the read starts and compared when the
    result is asked for, so the digest is that of the bytes the parser read, or the read is refused.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._before = _fingerprint(path)
        self._stop = threading.Event()
        self._digest: str | None = None
        self._error: OSError | None = None
        self._thread: threading.Thread | None = None
        if self._before[2] >= _THREAD_BYTES:
            self._thread = threading.Thread(target=self._run, name="anodelab-sha256", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._digest = sha256_of(self.path, self._stop)
        except OSError as error:
            self._error = error

    def cancel(self) -> None:
        """Stop hashing (the read failed; nothing will ask for the digest)."""
        self._stop.set()

    def result(self, read: str | None = None) -> str:
        """The hex digest, once the parse is done; :class:`ReadError` if the file changed meanwhile.

        ``read``: the digest of the bytes the reader parsed (:func:`sha256_of_read`), if it has one.
        """
        digest: str | None
        error: OSError | None
        if read:
            self.cancel()  # a hashing thread, if any, stops at its next block
            digest, error = read, None
        else:
            if self._thread is None:
                self._run()
            else:
                self._thread.join()
            digest, error = self._digest, self._error
        if error is not None:
            raise ReadError(self.path, f"cannot be read to its end for the checksum ({error})")
        if _fingerprint(self.path) != self._before or not digest:
            raise ReadError(self.path, "changed while it was being read; read it again once it is complete")
        return digest


@dataclass(frozen=True, repr=False)
class Record:
    """One cycler/potentiostat time series. Build with :meth:`from_columns`.

    Columns are read-only numpy arrays; ``record["voltage_V"]`` or ``record.voltage_V`` return
    them, ``record.to_pandas()`` wraps them without copying.
    """

    columns: Mapping[str, NDArray[Any]]
    cell: CellInfo | None = None
    provenance: Provenance = field(default_factory=Provenance)

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
            time = data["time_s"]
            if not np.all(np.isfinite(time)):
                raise ValidationError(f"{where}: time_s", "contains NaN or infinite times")
            backwards = time[1:] < time[:-1]
            if backwards.any():
                row = int(np.argmax(backwards)) + 1
                raise ValidationError(f"{where}: time_s", f"decreases at row {row}; time must not run backwards")

        if "state" in data:
            data["state"] = _state_codes(data["state"], where)
        elif "current_mA" in data:
            data["state"] = state_from_current(data["current_mA"])
        else:
            data["state"] = np.full(n, UNKNOWN, dtype=np.int8)

        starts = run_starts(data["step"] if "step" in data else data["state"])  # first row of each step
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

    def __len__(self) -> int:
        return int(self.columns["voltage_V"].size)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> NDArray[Any]:
        try:
            return self.columns[name]
        except KeyError:
            source = self.provenance.path or "this record"
            raise NotApplicableError(
                f"{source} has no column {name!r}; it has {', '.join(self.columns)}"
            ) from None

    def __getattr__(self, name: str) -> NDArray[Any]:
        if name in CANONICAL:
            return self[name]
        raise AttributeError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    @property
    def states(self) -> NDArray[np.str_]:
        """State names per row (``rest``, ``charge``, ``discharge``, ``unknown``)."""
        return np.asarray(STATES)[self.columns["state"]]

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

        frame = {name: array for name, array in self.columns.items() if name != "state"}
        frame["state"] = pd.Categorical.from_codes(self.columns["state"], STATES)
        ordered = {name: frame[name] for name in self.columns}
        return pd.DataFrame(ordered, copy=False)

    def summary(self) -> dict[str, Any]:
        """Headline facts of the record (what ``anodelab read --json`` prints).

        ``cycles`` counts the active cycles (>= 1) of ``cycle``; for a cyclic voltammetry record
        (techniques only CV/CVA) it counts the instrument's voltammetry cycles (``cycle_instrument``)
        instead: ``cycle`` pairs charge with discharge steps, which the sweeps of a CV are not.
        """

        def extreme(name: str, fn: Any) -> float | None:
            if name not in self.columns or len(self) == 0:
                return None
            values = self.columns[name]
            values = values[np.isfinite(values)]
            return float(fn(values)) if values.size else None

        techniques = set(self.provenance.techniques)
        if techniques and techniques <= {"CV", "CVA"} and "cycle_instrument" in self.columns:
            cycles = int(np.unique(self.columns["cycle_instrument"]).size)
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
            "spectra": 0,
            "cell_type": self.cell.cell_type if self.cell else None,
            "sha256": self.provenance.sha256,
            "provenance": self.provenance.to_dict(),
        }

    def __repr__(self) -> str:
        source = Path(self.provenance.path).name if self.provenance.path else "in memory"
        cell = self.cell.cell_type if self.cell else "cell unknown"
        return (
            f"<Record {source}: {len(self)} rows, {self.n_steps} steps, "
            f"{int((self.cycles > 0).sum())} cycles, {cell}>"
        )


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
