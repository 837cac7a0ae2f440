"""The results store: one DuckDB file, written by one pipeline, read by the report and by queries.

Every file of a study is stored by :meth:`Store.write_file` in one transaction that replaces what
was stored for it before, so a run killed at any point leaves the store as it was before that
file: readable, consistent, and completed by the next run (which finds the missing files not
:meth:`~Store.cached`). See docs/store.md for the schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from anodelab.core.cycles import CycleTable
from anodelab.core.errors import AnodelabError, ReadError, ValidationError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.store import schema
from anodelab.store.entry import FileEntry
from anodelab.store.rows import (
    Columns,
    PreparedAnalysis,
    cycle_table_columns,
    prepare,
    spectra_columns,
    to_json,
)
from anodelab.store.timeseries import relative_path, sweep, write_parquet

if TYPE_CHECKING:
    from typing_extensions import Self


def open(path: str | os.PathLike[str], *, read_only: bool = False) -> Store:
    """Open the store at ``path`` (a DuckDB file), creating it, its folder and its schema if new.

    ``read_only=True`` opens an existing store for queries. One process may hold a store open for
    writing, and then no other can open it: the error names the file and the process holding it.
    """
    path = Path(path).absolute()
    if read_only and not path.is_file():
        raise ReadError(path, "no results store here", expected="a database written by `anodelab analyze`")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.stat().st_size == 0:
            path.unlink()  # a store whose creation was killed before DuckDB wrote a byte: holds nothing, start it
    try:
        connection = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        raise _open_error(path, error, read_only) from None
    try:
        if not read_only and schema.is_empty(connection):
            schema.create(connection)
        schema.check(connection, path)
        store = Store(connection, path, read_only)
        if not read_only:
            store._sweep()
    except BaseException:
        connection.close()
        raise
    return store


class Store:
    """An open results store (see :func:`open`); a context manager that closes it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self._connection = connection
        self.path = path
        self.read_only = read_only

    @property
    def folder(self) -> Path:
        """The database's folder, where ``timeseries/`` lies."""
        return self.path.parent

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def __repr__(self) -> str:
        return f"<Store {self.path}{' (read-only)' if self.read_only else ''}>"

    # -- reading ------------------------------------------------------------------------------------

    def query(self, sql: str, params: Any = None) -> duckdb.DuckDBPyRelation:
        """The result of ``sql`` (``?`` placeholders filled from ``params``) as a DuckDB relation
        (``.df()``, ``.fetchall()``); an SQL error is a :class:`ValidationError` naming the store."""
        try:
            return self._connection.sql(sql, params=params)
        except duckdb.Error as error:
            raise ValidationError("query", f"{self.path}: {error}") from None

    def cached(self, study: str, path: str, key: str) -> bool:
        """True when the file at (``study``, ``path``) is stored, complete, with content key ``key``."""
        row = _first(self._connection.execute(
            "SELECT timeseries FROM files WHERE study = ? AND path = ? AND key = ?", [study, path, key]))
        return row is not None and (row[0] is None or (self.folder / row[0]).is_file())

    def timeseries(self, study: str, path: str) -> duckdb.DuckDBPyRelation | None:
        """The stored Record of a file (Battery Data Format columns), or None when it has none."""
        row = _first(self._connection.execute(
            "SELECT timeseries FROM files WHERE study = ? AND path = ?", [study, path]))
        if row is None or row[0] is None:
            return None
        return self._connection.read_parquet(str(self.folder / row[0]))

    # -- writing ------------------------------------------------------------------------------------

    def begin_run(self, anodelab_version: str, parameters: Mapping[str, Any]) -> int:
        """Record the start of a run (committed at once) and return its id."""
        self._writable("begin a run")
        return _returned(self._connection.execute(
            "INSERT INTO runs (anodelab_version, parameters, started) VALUES (?, ?, ?) RETURNING run_id",
            [anodelab_version, to_json(dict(parameters)), _now()]))

    def finish_run(self, run_id: int, summary: Mapping[str, Any]) -> None:
        """Set the run's finished time and its summary."""
        self._writable("finish a run")
        self._check_run(run_id)
        self._connection.execute("UPDATE runs SET finished = ?, summary = ? WHERE run_id = ?",
                                 [_now(), to_json(dict(summary)), run_id])

    def touch(self, run_id: int, study: str, path: str) -> None:
        """Record that run ``run_id`` included the stored file at (``study``, ``path``) unchanged."""
        self._writable("record a file")
        self._check_run(run_id)
        row = _first(self._connection.execute(
            "SELECT file_id FROM files WHERE study = ? AND path = ?", [study, path]))
        if row is None:
            raise ValidationError(f"{study}/{path}", f"is not stored in {self.path}; write it before touching it")
        self._connection.execute("INSERT INTO run_files VALUES (?, ?) ON CONFLICT DO NOTHING", [run_id, row[0]])

    def write_file(self, run_id: int, entry: FileEntry) -> None:
        """Store ``entry`` in one transaction, replacing whatever was stored for (study, path)."""
        self._writable("write a file")
        analyses = [prepare(analysis) for analysis in entry.analyses]
        record = entry.data if isinstance(entry.data, Record) else None
        series = relative_path(record) if record is not None else None
        connection = self._connection
        try:
            if record is not None and series is not None:
                write_parquet(connection, record, self.folder / series)
            connection.execute("BEGIN")
            try:
                previous = self._write_rows(run_id, entry, series, analyses)
                connection.execute("COMMIT")
            except BaseException:
                _roll_back(connection)
                raise
        except BaseException as error:
            if series is not None:
                self._remove_unreferenced(series)
            if isinstance(error, duckdb.Error):
                raise AnodelabError(f"{self.path}: could not store {entry.study}/{entry.path}: {error}") from None
            raise
        if previous is not None and previous != series:
            self._remove_unreferenced(previous)

    def forget_missing(self, run_id: int, study: str) -> list[str]:
        """Remove, in one transaction, every file of ``study`` that run ``run_id`` did not see (deleted or
        renamed in the folder since it was stored) with everything stored for it; returns their paths."""
        self._writable("forget files")
        self._check_run(run_id)
        connection = self._connection
        gone = connection.execute(
            "SELECT file_id, path, timeseries FROM files WHERE study = ? AND file_id NOT IN "
            "(SELECT file_id FROM run_files WHERE run_id = ?) ORDER BY path", [study, run_id]).fetchall()
        if not gone:
            return []
        ids = [row[0] for row in gone]
        connection.execute("BEGIN")
        try:
            for table in ("cycles", "drt_curves", "result_tables"):
                connection.execute(f"DELETE FROM {table} WHERE result_id IN (SELECT result_id FROM results "
                                   "WHERE list_contains(?, file_id))", [ids])
            for table in ("metrics", "results", "experiments", "spectra", "data_cycles", "run_files", "files"):
                connection.execute(f"DELETE FROM {table} WHERE list_contains(?, file_id)", [ids])
            connection.execute("COMMIT")
        except BaseException:
            _roll_back(connection)
            raise
        for series in {row[2] for row in gone if row[2] is not None}:
            self._remove_unreferenced(series)
        return [row[1] for row in gone]

    # -- the rows of one file -----------------------------------------------------------------------

    def _write_rows(self, run_id: int, entry: FileEntry, series: str | None,
                    analyses: list[PreparedAnalysis]) -> str | None:
        """Every row of ``entry`` (inside the caller's transaction); returns the Parquet file the
        replaced version referenced."""
        self._check_run(run_id)
        previous = _first(self._connection.execute(
            "SELECT file_id, timeseries FROM files WHERE study = ? AND path = ?", [entry.study, entry.path]))
        file_id = self._file_row(run_id, entry, series, previous[0] if previous else None)
        self._connection.execute("INSERT INTO run_files VALUES (?, ?) ON CONFLICT DO NOTHING", [run_id, file_id])
        self._experiment_row(file_id, entry)
        if isinstance(entry.data, SpectrumSeries):
            self._insert("spectra", spectra_columns(entry.data), file_id=file_id)
        elif isinstance(entry.data, Record) and entry.data.spectra is not None:  # spectra measured during the record
            self._insert("spectra", spectra_columns(entry.data.spectra), file_id=file_id)
        elif isinstance(entry.data, CycleTable):
            self._insert("data_cycles", cycle_table_columns(entry.data), file_id=file_id)
        self._result_rows(file_id, analyses)
        return previous[1] if previous else None

    def _file_row(self, run_id: int, entry: FileEntry, series: str | None, file_id: int | None) -> int:
        """Insert the ``files`` row, or empty the stored one of everything that hangs on it and update it."""
        values = [entry.key, entry.sha256, entry.size, entry.format, entry.reader, entry.error,
                  to_json(list(entry.notes)), run_id, series]
        connection = self._connection
        if file_id is None:
            return _returned(connection.execute(
                "INSERT INTO files (study, path, key, sha256, size, format, reader, error, notes, run_id, timeseries) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING file_id", [entry.study, entry.path, *values]))
        for table in ("cycles", "drt_curves", "result_tables"):
            connection.execute(f"DELETE FROM {table} WHERE result_id IN (SELECT result_id FROM results "
                               "WHERE file_id = ?)", [file_id])
        for table in ("metrics", "results", "experiments", "spectra", "data_cycles"):
            connection.execute(f"DELETE FROM {table} WHERE file_id = ?", [file_id])
        connection.execute("UPDATE files SET key = ?, sha256 = ?, size = ?, format = ?, reader = ?, error = ?, "
                           "notes = ?, run_id = ?, timeseries = ? WHERE file_id = ?", [*values, file_id])
        return file_id

    def _experiment_row(self, file_id: int, entry: FileEntry) -> None:
        detection = entry.detection
        cell = entry.cell
        self._connection.execute(
            'INSERT INTO experiments (file_id, kind, confidence, reason, source, cell, cell_type, sample, "group") '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [file_id,
             detection.kind.value if detection else None, float(detection.confidence) if detection else None,
             detection.reason if detection else None, detection.source if detection else None,
             to_json(cell.to_dict()) if cell else None, cell.cell_type if cell else None,
             entry.sample, entry.group])

    def _result_rows(self, file_id: int, analyses: list[PreparedAnalysis]) -> None:
        """The ``results`` rows of the file's analyses and their metrics and long tables: one insert
        per table for the whole file."""
        if not analyses:
            return
        ids = [row[0] for row in self._connection.execute(
            "SELECT nextval('result_ids') FROM range(?)", [len(analyses)]).fetchall()]
        self._insert("results", {
            "result_id": np.array(ids, dtype=np.int64),
            "analysis": _objects([analysis.name for analysis in analyses]),
            **{name: _objects([getattr(analysis, name) for analysis in analyses])
               for name in ("kind", "parameters", "warnings", "provenance", "content", "error", "not_applicable")},
            "version": _floats([analysis.version for analysis in analyses]),
            "seconds": _floats([analysis.seconds for analysis in analyses]),
        }, file_id=file_id)
        done = [(result_id, analysis) for result_id, analysis in zip(ids, analyses) if analysis.error is None and analysis.not_applicable is None]
        metrics = [(analysis.metrics, {"result_id": result_id, "analysis": analysis.name}) for result_id, analysis in done]
        self._insert("metrics", _stacked(metrics), file_id=file_id)
        for table, part in (("cycles", "cycles"), ("drt_curves", "drt"), ("result_tables", "tables")):
            self._insert(table, _stacked([(getattr(analysis, part), {"result_id": result_id})
                                          for result_id, analysis in done]))

    def _insert(self, table: str, columns: Columns, **constants: Any) -> None:
        """Insert the rows of ``columns`` (numpy arrays of one length) into ``table``, each with the
        ``constants``; NaN becomes NULL, and float columns of whole numbers are cast back to integers."""
        if _rows(columns) == 0:
            return
        view = f"_rows_{table}"
        self._connection.register(view, columns)
        try:
            names = [*constants, *columns]
            select = [f"?::{_type(name)}" for name in constants]
            select += [_cast(name, columns[name]) for name in columns]
            quoted = ", ".join(_quote(name) for name in names)
            self._connection.execute(f"INSERT INTO {table} ({quoted}) SELECT {', '.join(select)} FROM {view}",
                                     list(constants.values()))
        finally:
            self._connection.unregister(view)

    # -- checks and housekeeping --------------------------------------------------------------------

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise ValidationError("read_only", f"{self.path} is open read-only; cannot {what}")

    def _check_run(self, run_id: int) -> None:
        if _first(self._connection.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id])) is None:
            raise ValidationError("run_id", f"{self.path} has no run {run_id!r}; begin_run() gives one")

    def _remove_unreferenced(self, series: str) -> None:
        """Delete a Parquet file that no stored file references any more (after the commit that dropped it)."""
        if _first(self._connection.execute("SELECT 1 FROM files WHERE timeseries = ?", [series])) is None:
            (self.folder / series).unlink(missing_ok=True)

    def _sweep(self) -> None:
        rows = self._connection.execute("SELECT DISTINCT timeseries FROM files WHERE timeseries IS NOT NULL")
        sweep(self.folder, {row[0] for row in rows.fetchall()})


#: the integer columns of the tables written by :meth:`Store._insert` (the others are text or DOUBLE)
_INTEGERS = frozenset({"result_id", "file_id", "index", "cycle", "spectrum", "row", "version"})


def _stacked(parts: list[tuple[Columns, dict[str, Any]]]) -> Columns:
    """The rows of several analyses' columns in one set of columns, each part's ``constants``
    (result id, analysis name) repeated over its rows."""
    parts = [(columns, constants) for columns, constants in parts if columns and _rows(columns)]
    if not parts:
        return {}
    out = {name: np.concatenate([columns[name] for columns, _ in parts]) for name in parts[0][0]}
    for name in parts[0][1]:
        out[name] = np.concatenate([np.full(_rows(columns), constants[name], dtype=object if
                                            isinstance(constants[name], str) else np.int64)
                                    for columns, constants in parts])
    return out


def _rows(columns: Columns) -> int:
    return int(next(iter(columns.values())).size) if columns else 0


def _objects(values: list[Any]) -> np.ndarray:
    return np.array(values, dtype=object)


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)


def _type(name: str) -> str:
    return "BIGINT" if name in _INTEGERS else "VARCHAR"


def _cast(name: str, values: np.ndarray) -> str:
    column = _quote(name)
    if values.dtype.kind == "f":
        if name in _INTEGERS:
            return f"CASE WHEN isnan({column}) THEN NULL ELSE CAST({column} AS BIGINT) END"
        return f"CASE WHEN isfinite({column}) THEN {column} END"
    return column


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _returned(cursor: duckdb.DuckDBPyConnection) -> int:
    """The id an ``INSERT ... RETURNING`` gave."""
    row = _first(cursor)
    if row is None:
        raise AnodelabError("DuckDB returned no row for an INSERT ... RETURNING")
    return int(row[0])


def _first(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of what ``cursor`` executed (fetched whole: DuckDB refuses new work on a
    connection whose last result is not finished)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _roll_back(connection: duckdb.DuckDBPyConnection) -> None:
    try:
        connection.execute("ROLLBACK")
    except duckdb.Error:
        pass  # the transaction is gone already (the error that got here ended it)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _open_error(path: Path, error: duckdb.Error, read_only: bool) -> ReadError:
    """The anodelab error for a database DuckDB would not open."""
    message = str(error)
    if "Could not set lock" in message:
        holder = message.split("Conflicting lock is held in", 1)[-1].split(". See also", 1)[0].strip()
        return ReadError(path, f"is open for writing in another process ({holder}); a store has one writer at a "
                         "time and no reader while it writes: wait for it to finish")
    if "not a valid DuckDB database" in message:
        return ReadError(path, "is not a DuckDB database", expected="an anodelab results store")
    if "different configuration" in message:
        mode = "read-only" if read_only else "for writing"
        return ReadError(path, f"is already open in this process in another mode; close it before opening it {mode}")
    return ReadError(path, f"cannot be opened by DuckDB {duckdb.__version__}: {message}")
