"""What the HTML report reads from the results store, and nothing else: the files of a run, their
experiments, results, metrics, group statistics and failures, and per file the long tables its
figures draw (cycles, spectra, circuit-fit and Kramers-Kronig curves, DRT curves, voltage profiles
and dQ/dV curves, any other stored result table such as the CCD levels or the GITT pulses, a
published cycle table, the time series).

Every number is returned as stored. The only work done here is for display: a long time series
is cut to at most four points per bucket of time (the first, lowest, highest and last: the
extremes survive, so a 2000-hour record at 1 s stays a few thousand points, see :func:`trace`),
and a stored half-cycle curve likewise to at most four points per equal run of its rows
(:func:`curves`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError, ValidationError
from anodelab.store import Store
from anodelab.store.timeseries import BDF_COLUMNS

Columns = dict[str, NDArray[Any]]

#: time series columns the report reads, by anodelab name: (Parquet column, factor to anodelab's unit)
SERIES = {name: (label, divisor or 1.0) for name, (label, divisor) in BDF_COLUMNS.items()}

@dataclass(frozen=True)
class Run:
    """One ``anodelab analyze`` run (the ``runs`` row)."""

    run_id: int
    anodelab_version: str
    parameters: dict[str, Any]
    started: str
    finished: str | None


@dataclass(frozen=True)
class Experiment:
    """One file of the run, with what it was detected to be (``files`` + ``experiments``)."""

    file_id: int
    study: str
    path: str
    kind: str | None
    confidence: float | None
    reason: str | None
    source: str | None
    cell: dict[str, Any] | None
    cell_type: str | None
    material: str | None
    sample: str | None
    group: str | None
    format: str | None
    reader: str | None
    sha256: str | None
    size: int | None
    error: str | None
    notes: list[str]
    timeseries: str | None


@dataclass(frozen=True)
class Analysis:
    """One analysis of a file (a ``results`` row, JSON columns parsed)."""

    result_id: int
    file_id: int
    analysis: str
    kind: str | None
    version: int | None
    parameters: dict[str, Any]
    warnings: list[str]
    provenance: dict[str, Any] | None
    content: dict[str, Any] | None
    error: str | None
    not_applicable: str | None
    seconds: float | None


@dataclass(frozen=True)
class MetricRow:
    """One headline number (a ``metrics`` row)."""

    result_id: int
    file_id: int
    analysis: str
    name: str
    value: float | None
    stderr: float | None
    unit: str
    index_name: str | None
    index: int | None
    definition: str | None


@dataclass(frozen=True)
class GroupRow:
    """Mean and sample standard deviation of one metric over the replicates of a group (``group_table``)."""

    study: str
    group: str
    analysis: str
    name: str
    unit: str
    index_name: str | None
    index: int | None
    n: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class Failure:
    """A file that could not be read (``analysis`` None) or an analysis that failed (``failures``)."""

    study: str
    path: str
    analysis: str | None
    error: str


@dataclass(frozen=True)
class Curve:
    """One half-cycle of a stored curve table (a voltage profile, a dQ/dV curve): its cycle, its
    half-cycle role and its numeric columns, as stored."""

    cycle: int
    role: str
    columns: Columns


def latest_run(db: Store) -> Run:
    """The store's last run; a store no run has written is refused."""
    rows = db.query("SELECT run_id, anodelab_version, parameters, started::VARCHAR, finished::VARCHAR "
                    "FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()
    if not rows:
        raise ReadError(db.path, "holds no run", expected="a store written by `anodelab analyze`")
    return run(db, int(rows[0][0]))


def run(db: Store, run_id: int) -> Run:
    """The run ``run_id``."""
    rows = db.query("SELECT run_id, anodelab_version, parameters, started::VARCHAR, finished::VARCHAR "
                    "FROM runs WHERE run_id = ?", [run_id]).fetchall()
    if not rows:
        raise ValidationError("run_id", f"{db.path} has no run {run_id!r}")
    run_id, version, parameters, started, finished = rows[0]
    return Run(int(run_id), version, _json(parameters) or {}, started, finished)


def experiments(db: Store, run_id: int) -> list[Experiment]:
    """Every file the run saw, by study and path."""
    rows = db.query(
        """SELECT f.file_id, f.study, f.path, e.kind, e.confidence, e.reason, e.source, e.cell, e.cell_type,
                  e.cell ->> '$.working_electrode.material', e.sample, e."group", f.format, f.reader, f.sha256,
                  f.size, f.error, f.notes, f.timeseries
           FROM files f JOIN run_files USING (file_id) LEFT JOIN experiments e USING (file_id)
           WHERE run_files.run_id = ? ORDER BY f.study, f.path""", [run_id]).fetchall()
    return [Experiment(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], _json(r[7]), r[8], r[9], r[10], r[11], r[12],
                       r[13], r[14], r[15], r[16], list(_json(r[17]) or []), r[18]) for r in rows]


def analyses(db: Store, run_id: int) -> list[Analysis]:
    """Every analysis of the run's files, in the order they ran."""
    rows = db.query(
        """SELECT r.result_id, r.file_id, r.analysis, r.kind, r.version, r.parameters, r.warnings, r.provenance,
                  r.content, r.error, r.not_applicable, r.seconds
           FROM results r JOIN run_files USING (file_id) WHERE run_files.run_id = ? ORDER BY r.result_id""",
        [run_id]).fetchall()
    return [Analysis(int(row[0]), int(row[1]), row[2], row[3], row[4], _json(row[5]) or {},
                     list(_json(row[6]) or []), _json(row[7]), _json(row[8]), row[9], row[10], row[11])
            for row in rows]


def metrics(db: Store, run_id: int) -> list[MetricRow]:
    """Every metric of the run's files, in the order each result lists them."""
    rows = db.query(
        """SELECT m.result_id, m.file_id, m.analysis, m.name, m.value, m.stderr, m.unit, m.index_name, m."index",
                  m.definition
           FROM metrics m JOIN run_files USING (file_id) WHERE run_files.run_id = ?
           ORDER BY m.result_id, m.rowid""", [run_id]).fetchall()
    return [MetricRow(*row) for row in rows]


def group_rows(db: Store, run_id: int) -> list[GroupRow]:
    """The ``group_table`` rows of the run's studies and groups."""
    rows = db.query(
        """SELECT g.study, g."group", g.analysis, g.name, g.unit, g.index_name, g."index", g.n, g.mean, g.sd
           FROM group_table g
           WHERE (g.study, g."group") IN (SELECT (f.study, e."group") FROM files f JOIN run_files USING (file_id)
                                          JOIN experiments e USING (file_id) WHERE run_files.run_id = ?)
           ORDER BY g.study, g."group", g.analysis, g.name, g."index" NULLS FIRST""", [run_id]).fetchall()
    return [GroupRow(*row) for row in rows]


def failures(db: Store, run_id: int) -> list[Failure]:
    """The ``failures`` rows of the run's files."""
    rows = db.query(
        """SELECT x.study, x.path, x.analysis, x.error FROM failures x
           JOIN files f ON f.study = x.study AND f.path = x.path JOIN run_files USING (file_id)
           WHERE run_files.run_id = ? ORDER BY x.study, x.path, x.analysis NULLS FIRST""", [run_id]).fetchall()
    return [Failure(*row) for row in rows]


def cycles(db: Store, result_id: int) -> Columns:
    """The per-cycle table of a result (``cycles``): ``cycle`` and one column per stored name (a text
    column, such as a pair's role, as an object array)."""
    return _pivot(db.query("SELECT cycle AS key, name, value, text FROM cycles WHERE result_id = ? "
                           "ORDER BY cycle, name", [result_id]).fetchnumpy(), "cycle")


def data_cycles(db: Store, file_id: int) -> Columns:
    """A published per-cycle table read from a file (``data_cycles``), like :func:`cycles`."""
    return _pivot(db.query("SELECT cycle AS key, name, value FROM data_cycles WHERE file_id = ? ORDER BY cycle, name",
                           [file_id]).fetchnumpy(), "cycle")


def result_table(db: Store, result_id: int, table: str) -> Columns:
    """One of a result's other long tables (``result_tables``), by row: a column per stored name
    (a text column, such as a half-cycle role, as an object array; None where missing)."""
    return _pivot(db.query('SELECT "row" AS key, name, value, text FROM result_tables WHERE result_id = ? '
                           'AND "table" = ? ORDER BY "row", name', [result_id, table]).fetchnumpy(), "row")


def curves(db: Store, result_id: int, table: str, *, by: str, points: int | None = None) -> list[Curve]:
    """A stored table of half-cycle curves (``cycle`` and ``role`` columns, e.g. ``voltage_profiles``'
    ``profiles`` or ``dqdv``' ``dqdv``), one :class:`Curve` per (cycle, role) in stored order; with
    ``points``, each cut to at most that many rows: the first, lowest, highest and last ``by`` of equal
    runs of its rows."""
    stored = result_table(db, result_id, table)
    if not stored:
        return []
    if not {"cycle", "role", by} <= set(stored):
        raise ValidationError(f"result_tables {table!r}", f"result {result_id} has columns {', '.join(stored)}; "
                              f"expected cycle, role and {by}")
    numeric = {name: column for name, column in stored.items() if column.dtype.kind == "f"}
    keys = list(zip(stored["cycle"].tolist(), stored["role"].tolist()))
    out = []
    for cycle, role in dict.fromkeys(keys):
        rows = np.flatnonzero((stored["cycle"] == cycle) & (stored["role"] == role))
        if points is not None:
            rows = rows[extremes(numeric[by][rows], max(points // 4, 1))]
        out.append(Curve(int(cycle), str(role), {name: column[rows] for name, column in numeric.items()}))
    return out


def drt_curves(db: Store, result_id: int) -> Columns:
    """A result's DRT curves (``drt_curves``), by spectrum and tau."""
    return _numpy(db.query("SELECT spectrum, tau_s, gamma_ohm, gamma_lower_ohm, gamma_upper_ohm FROM drt_curves "
                           "WHERE result_id = ? ORDER BY spectrum, tau_s", [result_id]))


def spectra(db: Store, file_id: int) -> Columns:
    """A file's impedance spectra (``spectra``), by spectrum, in the order the points were measured."""
    return _numpy(db.query("SELECT spectrum, frequency_Hz, z_real_ohm, z_imag_ohm, time_s, temperature_C, voltage_V, "
                           "current_mA, cycle FROM spectra WHERE file_id = ? ORDER BY spectrum, rowid", [file_id]))


def series_columns(db: Store, experiment: Experiment) -> list[str]:
    """The anodelab names of the columns the file's stored time series holds (empty without one)."""
    if experiment.timeseries is None:
        return []
    stored = {row[0] for row in db.query("DESCRIBE SELECT * FROM read_parquet(?)",
                                         [_parquet(db, experiment)]).fetchall()}
    return [name for name, (label, _) in SERIES.items() if label in stored] + (["state"] if "state" in stored else [])


def trace(db: Store, experiment: Experiment, y: str, *, buckets: int = 1000,
          carry: Sequence[str] = ()) -> Columns:
    """The time series column ``y`` (anodelab name, e.g. ``voltage_V``) against ``time_s``, at most four
    rows per bucket of time (``buckets`` equal ones): each bucket's first, lowest, highest and last
    finite value, in time order, so no extreme is lost. ``carry`` columns come along from the same rows
    (the voltage at the current's extremes, for a voltammogram)."""
    if buckets < 1:
        raise ValidationError("buckets", f"must be >= 1, got {buckets!r}")
    wanted = ["time_s", y, *carry]
    select = ", ".join(f"{_column(name)} AS {name}" for name in wanted)
    relation = db.query(
        f"""WITH t AS (SELECT file_row_number AS i, {select} FROM read_parquet(?, file_row_number = true)),
                 f AS (SELECT * FROM t WHERE isfinite(time_s) AND isfinite({y})),
                 r AS (SELECT min(time_s) AS lo, max(time_s) AS hi FROM f),
                 b AS (SELECT i, {y} AS y,
                              least(floor((time_s - lo) / greatest(hi - lo, 1e-300) * {int(buckets)})::BIGINT,
                                    {int(buckets) - 1}) AS k FROM f, r),
                 p AS (SELECT unnest([min(i), arg_min(i, y), arg_max(i, y), max(i)]) AS i FROM b GROUP BY k)
            SELECT {', '.join(wanted)} FROM f WHERE i IN (SELECT i FROM p) ORDER BY i""",
        [_parquet(db, experiment)])
    return _numpy(relation)


def extremes(values: NDArray[np.float64], buckets: int) -> NDArray[np.intp]:
    """Indices of the first, lowest, highest and last value of ``buckets`` equal runs of ``values``,
    sorted and without repeats (all indices when there are fewer than four per bucket)."""
    n = values.size
    if n <= 4 * buckets:
        return np.arange(n)
    edges = np.linspace(0, n, buckets + 1).astype(np.intp)
    chosen = [edges[:-1], edges[1:] - 1]
    for reduce in (np.minimum, np.maximum):
        # the position of each run's extreme: reduceat over the runs, then the first row equal to it
        extreme = reduce.reduceat(values, edges[:-1])
        hit = np.flatnonzero(values == np.repeat(extreme, np.diff(edges)))
        run = np.searchsorted(edges, hit, side="right") - 1
        first = np.unique(run, return_index=True)[1]
        chosen.append(hit[first])
    return np.unique(np.concatenate(chosen))


def _pivot(columns: dict[str, NDArray[Any]], key: str) -> Columns:
    """Long (key, name, value[, text]) rows as one column per name, over the sorted keys (NaN where
    missing); a name whose rows hold text becomes an object column (None where missing)."""
    keys, names, values = columns["key"], columns["name"], columns["value"]
    if keys.size == 0:
        return {}
    axis, position = np.unique(np.asarray(keys), return_inverse=True)
    out: Columns = {key: axis.astype(np.int64)}
    values = _floats(values)
    texts = _texts(columns["text"]) if "text" in columns else None
    for name in dict.fromkeys(names.tolist()):
        mask = names == name
        if texts is not None and any(text is not None for text in texts[mask]):
            column = np.full(axis.size, None, dtype=object)
            column[position[mask]] = texts[mask]
        else:
            column = np.full(axis.size, np.nan)
            column[position[mask]] = values[mask]
        out[str(name)] = column
    return out


def _numpy(relation: Any) -> Columns:
    """A relation's columns as numpy arrays, SQL NULL as NaN in numeric columns."""
    return {name: _floats(array) if np.ma.isMaskedArray(array) or array.dtype.kind == "f" else np.asarray(array)
            for name, array in relation.fetchnumpy().items()}


def _texts(array: Any) -> NDArray[Any]:
    """A text column as an object array, SQL NULL as None."""
    out = np.asarray(np.ma.getdata(array), dtype=object).copy()
    out[np.ma.getmaskarray(array)] = None
    return out


def _floats(array: Any) -> NDArray[np.float64]:
    if np.ma.isMaskedArray(array):
        return np.ma.filled(array.astype(np.float64), np.nan)
    return np.asarray(array, dtype=np.float64)


def _column(name: str) -> str:
    """The quoted Parquet column of an anodelab time series column, in anodelab's unit."""
    if name == "state":
        return "state"
    if name not in SERIES:
        raise ValidationError("column", f"the report reads no time series column {name!r}; it reads {', '.join(SERIES)}")
    label, divisor = SERIES[name]
    quoted = '"' + label.replace('"', '""') + '"'
    return f"{quoted} * {divisor!r}" if divisor != 1.0 else quoted


def _parquet(db: Store, experiment: Experiment) -> str:
    if experiment.timeseries is None:
        raise ValidationError("timeseries", f"{experiment.path} has no stored time series")
    path = db.folder / experiment.timeseries
    if not path.is_file():
        raise ReadError(path, f"the time series of {experiment.path} is missing from the store's folder",
                        expected="the Parquet file `anodelab analyze` wrote; analyse the study again")
    return str(path)


def _json(text: str | None) -> Any:
    return json.loads(text) if text is not None else None
