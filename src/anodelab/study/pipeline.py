"""``anodelab analyze DIR``: find the data files of a study, tell what each experiment is, run every
analysis that applies, and keep it all in the results store.

The steps, per file (``analyse_file``, run in a process pool with ``jobs > 1``, or on the workers of a
Dask cluster with ``scheduler``: :mod:`anodelab.study.cluster`):

1. its settings: the ``study.toml`` entries that match it, its cell (a ``cell.toml`` beside it wins
   over the study's), and a content key: the SHA-256 of the file's bytes, of those settings and of
   the registry's analysis versions. A file stored complete under the same key is not read again.
2. read it (:func:`anodelab.read`); a file that cannot be read is stored as failed with the reason.
3. its kind: from the study file when it names one, else from the data (:mod:`anodelab.study.detect`).
4. every analysis of the registry for that kind, in order; one that does not apply says why, one
   that fails is recorded with its message, and neither stops the rest.
5. the figures of those results, PNG and SVG, into ``OUT/report/figures``.

After the last file, the HTML report of the run is written from the store (``OUT/report/index.html``).

The parent process alone writes the store, one transaction per file, so a run killed midway leaves
every file either stored complete or not at all, and the next run does the rest. The same holds on a
cluster: workers only analyse, and their entries come back to this process to be stored.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadpoolctl import threadpool_limits

from anodelab._version import __version__
from anodelab.core.cell import CellInfo
from anodelab.core.errors import (
    AnodelabError,
    NotApplicableError,
    ReadError,
    ValidationError,
)
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.model_spec import SUFFIX as MODEL_SUFFIX
from anodelab.core.record import Record
from anodelab.core.result import Result, plain
from anodelab.io import read
from anodelab.io.checksum import sha256_of
from anodelab.io.model_spec import read_model_spec
from anodelab.io.registry import find_cell_toml
from anodelab.report.figures import file_stem
from anodelab.report.html import write_report
from anodelab.store import AnalysisEntry, FileEntry, Store
from anodelab.store import open as open_store
from anodelab.study import registry
from anodelab.study.detect import detect
from anodelab.study.settings import FileSettings, StudySettings

if TYPE_CHECKING:
    from distributed import Client

#: where a study's results go, inside the study folder unless ``out`` says otherwise
DEFAULT_OUT = "anodelab-results"
#: the analyses of spectra measured during a time series are stored under this prefix (``spectra.drt``)
SPECTRA_PREFIX = "spectra."
DATABASE = "anodelab.duckdb"
#: never data: documentation, settings, sidecars, images, results
SKIPPED_SUFFIXES = frozenset({
    ".md", ".rst", ".toml", ".json", ".yaml", ".yml", ".ini", ".cfg", ".mps", ".py", ".ipynb", ".png", ".jpg",
    ".jpeg", ".gif", ".svg", ".tif", ".tiff", ".bmp", ".pdf", ".docx", ".pptx", ".html", ".duckdb", ".wal",
    ".parquet", ".zip", ".gz", ".7z", ".log",
    ".traj", ".xyz", ".extxyz", ".cif", ".vasp", ".poscar",  # structures, read by the *.sim.toml that name them
})
SKIPPED_NAMES = ("readme", "license", "licence", "changelog", "notice")


@dataclass(frozen=True)
class FileTask:
    """One file to analyse: everything a worker process needs, picklable."""

    study: str
    path: str  # relative POSIX path
    key: str
    sha256: str
    size: int
    settings: FileSettings
    cell: CellInfo | None
    figures: str | None  # folder for figures, or None
    problem: str | None = None  # why the file cannot be analysed before it is read (its cell.toml)

    def unread(self) -> FileEntry:
        """The entry of this file before it is read: what the store keeps of a file that failed."""
        return FileEntry(self.study, self.path, self.key, sha256=self.sha256, size=self.size, cell=self.cell,
                         sample=self.settings.sample, group=self.settings.group)


@dataclass(frozen=True)
class StudyRun:
    """What ``analyze`` did: the store it wrote, the run, and per file what happened."""

    folder: Path
    database: Path
    run_id: int
    analysed: tuple[str, ...]
    cached: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (path, why)
    seconds: float
    summary: Mapping[str, Any] = field(default_factory=dict)
    report: Path | None = None  # OUT/report/index.html
    report_error: str | None = None  # why the report could not be written (the store is complete)


def analyze(
    folder: str | Path,
    *,
    out: str | Path | None = None,
    study_file: str | Path | None = None,
    database: str | Path | None = None,
    jobs: int = 1,
    scheduler: str | Client | None = None,
    figures: bool = True,
    report: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> StudyRun:
    """Analyse every data file under ``folder`` into the store ``database`` (default
    ``OUT/anodelab.duckdb``, ``OUT`` default ``folder/anodelab-results``); see the module docstring.
    ``jobs``: files analysed at once in a process pool; ``scheduler``: analyse them on a Dask cluster
    instead (``"local"``: one started on this machine; ``"tcp://host:port"``: a running scheduler; or a
    ``distributed.Client``; see :mod:`anodelab.study.cluster`), the store still written by this process.
    ``progress(done, total, path)`` is called after each file analysed; ``figures``: draw the static
    figures; ``report``: write the HTML report of the run (``OUT/report/index.html``)."""
    started = time.perf_counter()
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError("folder", f"{folder} is not a folder; give the folder of a study's files")
    folder = folder.resolve()
    out_path = (Path(out) if out is not None else folder / DEFAULT_OUT).resolve()
    database_path = Path(database).resolve() if database is not None else out_path / DATABASE
    _check_parallel(jobs, scheduler)
    settings = _settings(folder, study_file)
    for section in (settings.defaults, *settings.files, *({"options": p} for p in settings.presets.values())):
        registry.check_study_options(section.get("options", {}))
    files, skipped = discover(folder, exclude=(out_path, database_path.parent))
    figure_folder = str(out_path / "report" / "figures") if figures else None
    parameters = {"folder": folder.as_posix(), "study_file": settings.source, "jobs": jobs,
                  "analyses": registry.fingerprint(), **_scheduler_parameter(scheduler)}
    with open_store(database_path) as db:
        run_id = db.begin_run(__version__, parameters)
        tasks, cached = _tasks(db, run_id, folder, files, settings, figure_folder)
        analysed = []
        for entry in _run(tasks, jobs, scheduler):
            db.write_file(run_id, entry)
            analysed.append(entry.path)
            if progress is not None:
                progress(len(analysed), len(tasks), entry.path)
        forgotten = db.forget_missing(run_id, folder.as_posix())  # deleted or renamed since the last run
        summary = {"files": len(files), "analysed": len(analysed), "cached": len(cached), "skipped": len(skipped),
                   "forgotten": forgotten}
        db.finish_run(run_id, summary)
        page, report_error = None, None
        if report:
            try:
                page = write_report(db, out_path, run_id=run_id,
                                    headline={analysis.name: analysis.headline for analysis in registry.ANALYSES})
            except Exception as error:  # noqa: BLE001 -- the numbers are stored; a report bug must not hide them
                report_error = f"{type(error).__name__}: {error}"
    return StudyRun(folder, database_path, run_id, tuple(analysed), tuple(cached), tuple(skipped),
                    time.perf_counter() - started, summary, page, report_error)


def discover(folder: Path, *, exclude: tuple[Path, ...] = ()) -> tuple[list[str], list[tuple[str, str]]]:
    """The data files under ``folder`` (relative POSIX paths, sorted), and what was passed over and why.
    Hidden files and folders, ``exclude`` folders and symlinked folders are not entered."""
    found, skipped = [], []
    for root, folders, names in os.walk(folder):
        here = Path(root)
        folders[:] = sorted(name for name in folders
                            if not name.startswith(".") and (here / name).resolve() not in exclude
                            and not (here / name).is_symlink())
        for name in sorted(names):
            path = here / name
            relative = path.relative_to(folder).as_posix()
            why = _not_data(path)
            if why is None:
                found.append(relative)
            elif not name.startswith("."):
                skipped.append((relative, why))
    return sorted(found), skipped


def _not_data(path: Path) -> str | None:
    """Why ``path`` is not a data file, or None if it may be one."""
    name = path.name.lower()
    if name.startswith("."):
        return "hidden"
    if name.endswith(MODEL_SUFFIX):  # a model the study asks for (anodelab.core.model_spec)
        return None if path.is_file() else "not a regular file"
    if name.endswith((".cell.toml", ".truth.json", ".results.json", ".meta.yaml")):
        return "sidecar of a data file"
    if path.suffix.lower() in SKIPPED_SUFFIXES:
        return f"{path.suffix} files are not instrument data"
    if name.startswith(SKIPPED_NAMES):
        return "documentation"
    if not path.is_file():
        return "not a regular file"
    return None


def _settings(folder: Path, study_file: str | Path | None) -> StudySettings:
    if study_file is not None:
        return StudySettings.load(study_file)
    default = folder / "study.toml"
    return StudySettings.load(default) if default.is_file() else StudySettings()


def _task(folder: Path, relative: str, settings: StudySettings, figures: str | None) -> FileTask:
    path = folder / relative
    file_settings = settings.for_file(relative)
    beside = find_cell_toml(path)
    cell, problem = None, None
    try:
        cell = CellInfo.from_toml(beside) if beside is not None else file_settings.cell_info(f"{settings.source}: {relative}")
    except AnodelabError as error:  # that file's metadata, not the study's: the file fails, the rest go on
        problem = str(error)
    sha256 = sha256_of(path)
    identity = {"sha256": sha256, "kind": file_settings.kind, "sample": file_settings.sample,
                "group": file_settings.group, "options": file_settings.options,
                "cell": {k: v for k, v in cell.to_dict().items() if k != "source"} if cell else None,
                "analyses": registry.fingerprint(), "figures": figures is not None, "problem": problem}
    key = hashlib.sha256(json.dumps(plain(identity), sort_keys=True).encode()).hexdigest()
    return FileTask(folder.as_posix(), relative, key, sha256, path.stat().st_size, file_settings, cell, figures,
                    problem)


def _tasks(db: Store, run_id: int, folder: Path, files: list[str], settings: StudySettings,
           figures: str | None) -> tuple[list[FileTask], list[str]]:
    """The tasks of the files to analyse, and the files stored complete under their content key (which
    run ``run_id`` is recorded to have seen unchanged)."""
    tasks, cached = [], []
    for relative in files:
        task = _task(folder, relative, settings, figures)
        if db.cached(task.study, task.path, task.key):
            db.touch(run_id, task.study, task.path)
            cached.append(relative)
        else:
            tasks.append(task)
    return tasks, cached


def _check_parallel(jobs: int, scheduler: object) -> None:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValidationError("jobs", f"must be an integer >= 1, got {jobs!r}")
    if scheduler is not None:
        if jobs != 1:
            raise ValidationError("jobs", "give jobs (a process pool) or a scheduler (a Dask cluster), not both")
        from anodelab.study.cluster import check_scheduler

        check_scheduler(scheduler)


def _scheduler_parameter(scheduler: str | Client | None) -> dict[str, str]:
    """The run's ``scheduler`` parameter (none without one, so a run without Dask records what it did before)."""
    if scheduler is None:
        return {}
    from anodelab.study.cluster import scheduler_name

    return {"scheduler": scheduler_name(scheduler)}


def _run(tasks: list[FileTask], jobs: int, scheduler: str | Client | None) -> Iterator[FileEntry]:
    if scheduler is not None and tasks:
        from anodelab.study.cluster import analyse_on_cluster

        yield from analyse_on_cluster(tasks, scheduler)
        return
    if jobs == 1 or len(tasks) < 2:
        yield from map(analyse_file, tasks)
        return
    # Not forked from this process: a fork copies the locks its threads (DuckDB's, BLAS's) hold, and a
    # child that needs one waits forever. A fork server is a clean process that has imported the
    # pipeline once; workers fork from it, so each starts without importing anodelab again.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    largest_first = sorted(tasks, key=lambda task: -task.size)  # the long files start first
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        yield from pool.map(analyse_file, largest_first)


def analyse_file(task: FileTask) -> FileEntry:
    """Read, detect and analyse one file (steps 2 to 5 of the module docstring); never raises: a file
    that cannot be read, or whose reading or detection fails in anodelab, is an entry with the error.

    It runs with one BLAS thread, wherever it runs (this process, a pool, a Dask worker): how a matrix
    product's threads split the work decides the last bits of its columns (the DRT's batched solves), so
    a file's numbers would otherwise depend on the machine's core count. The study runs files in
    parallel instead."""
    unread = task.unread()
    if task.problem is not None:
        return replace(unread, error=task.problem)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            return _analyse(task, unread)
    except AnodelabError as error:
        return replace(unread, error=str(error))
    except Exception as error:  # noqa: BLE001 -- one file's bug must not stop the study; it is recorded
        return replace(unread, error=f"internal error in anodelab ({type(error).__name__}: {error})")


def _analyse(task: FileTask, unread: FileEntry) -> FileEntry:
    path = Path(task.study) / task.path
    data = read_model_spec(path) if path.name.lower().endswith(MODEL_SUFFIX) else read(path, cell=task.cell)
    provenance = data.provenance
    if provenance.sha256 != task.sha256:  # changed between the key and the read: neither describes the other
        raise ReadError(Path(task.study) / task.path, "changed while the study was being analysed; run again")
    if task.settings.kind is not None:
        detection = Detection(task.settings.kind, 1.0, "named in study.toml", "study")
    else:
        detection = detect(data, task.cell)
    results: dict[str, Result] = {}
    entries = []
    for analysis in registry.for_kind(detection.kind):
        entries.append(_run_analysis(analysis, data, task.settings.options.get(analysis.name, {}), results))
    spectra = data.spectra if isinstance(data, Record) else None
    if spectra is not None and len(spectra):  # impedance measured during the record (a modular sequence)
        detection = replace(detection, reason=f"{detection.reason}; {len(spectra)} impedance spectra measured "
                                              "during it, analysed as an EIS series (analyses named spectra.*)")
        during: dict[str, Result] = {}
        for analysis in registry.for_kind(ExperimentKind.EIS_SERIES):
            entry = _run_analysis(analysis, spectra, task.settings.options.get(analysis.name, {}), during)
            entries.append(replace(entry, name=f"{SPECTRA_PREFIX}{entry.name}"))
        results.update({f"{SPECTRA_PREFIX}{name}": result for name, result in during.items()})
    figures = _draw(Path(task.figures) / file_stem(task.path), results) if task.figures else ()
    return replace(unread, format=provenance.format, reader=provenance.reader, detection=detection, data=data,
                   analyses=tuple(entries), notes=(*provenance.notes, *figures))


def _run_analysis(analysis: registry.Analysis, data: Any, options: Mapping[str, Any],
                  results: dict[str, Result]) -> AnalysisEntry:
    started = time.perf_counter()
    why = analysis.applies(data) if analysis.applies is not None else None
    if why is not None:
        return AnalysisEntry(analysis.name, seconds=0.0, not_applicable=why)
    used = {name: results.get(name) for name in analysis.uses}
    try:
        result = analysis.function(data, **options, **used)
    except NotApplicableError as error:
        return AnalysisEntry(analysis.name, seconds=time.perf_counter() - started, not_applicable=str(error))
    except AnodelabError as error:
        return AnalysisEntry(analysis.name, None, str(error), time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 -- one analysis' bug must not stop the study; it is recorded
        return AnalysisEntry(analysis.name, None, f"internal error in anodelab ({type(error).__name__}: {error})",
                             time.perf_counter() - started)
    results[analysis.name] = result
    return AnalysisEntry(analysis.name, result, None, time.perf_counter() - started)


def _draw(stem: Path, results: Mapping[str, Result]) -> tuple[str, ...]:
    """Draw the registered figures of ``results`` as ``<stem>.<suffix>.png`` and ``.svg``; a figure
    that does not apply (one temperature for an Arrhenius plot) is left out, one that fails is noted,
    never fatal."""
    notes = []
    for prefix, analysis in itertools.product(("", SPECTRA_PREFIX), registry.ANALYSES):
        result = results.get(prefix + analysis.name)
        for figure in analysis.figures if result is not None else ():
            target = stem.with_name(f"{stem.name}.{prefix}{figure.suffix}")
            used = {name: results.get(prefix + name) for name in figure.uses}
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                figure.draw(result, target, **used)
            except NotApplicableError:
                continue
            except Exception as error:  # noqa: BLE001 -- a figure must not lose the numbers
                notes.append(f"figure {target.name} not drawn ({type(error).__name__}: {error})")
    return tuple(notes)


def headline_table(db_path: str | Path, run_id: int | None = None) -> list[dict[str, Any]]:
    """Per file of the study's latest run (or ``run_id``): kind, sample, group and the headline metrics
    of each analysis (:attr:`Analysis.headline`: the metric without an index, else its first, e.g.
    spectrum 0 of a series, which the entry's ``index_name``/``index`` say)."""
    from anodelab.store import open as open_db

    with open_db(db_path, read_only=True) as db:
        run = run_id if run_id is not None else db.query("SELECT max(run_id) FROM runs").fetchall()[0][0]
        files = db.query(
            """SELECT f.file_id, f.path, f.error, e.kind, e.confidence, e.reason, e.sample, e."group"
               FROM files f JOIN run_files r USING (file_id) LEFT JOIN experiments e USING (file_id)
               WHERE r.run_id = ? ORDER BY f.path""", [run]).fetchall()
        # per file, analysis and name: the metric without an index, else the first (cycle 1, spectrum 0)
        metrics = db.query(
            """SELECT file_id, analysis, name, value, stderr, unit, index_name, "index" FROM (
                   SELECT m.*, row_number() OVER (PARTITION BY m.file_id, m.analysis, m.name
                                                  ORDER BY m."index" NULLS FIRST) AS k
                   FROM metrics m JOIN run_files r USING (file_id) WHERE r.run_id = ?) WHERE k = 1""",
            [run]).fetchall()
        failures = db.query(
            """SELECT s.file_id, s.analysis, s.error FROM results s JOIN run_files r USING (file_id)
               WHERE r.run_id = ? AND s.error IS NOT NULL""", [run]).fetchall()
        skipped = db.query(
            """SELECT s.file_id, s.analysis, s.not_applicable FROM results s JOIN run_files r USING (file_id)
               WHERE r.run_id = ? AND s.not_applicable IS NOT NULL""", [run]).fetchall()
    wanted = {analysis.name: analysis.headline for analysis in registry.ANALYSES}
    rows = []
    for file_id, path, error, kind, confidence, reason, sample, group in files:
        found = {(analysis, name): {"value": value, "stderr": stderr, "unit": unit, "index_name": index_name,
                                    "index": index}
                 for fid, analysis, name, value, stderr, unit, index_name, index in metrics if fid == file_id}
        headline = {f"{analysis}.{name}": found[analysis, name]  # in the registry's order
                    for analysis, names in wanted.items() for name in names if (analysis, name) in found}
        rows.append({"path": path, "kind": kind, "confidence": confidence, "reason": reason, "sample": sample,
                     "group": group, "error": error, "metrics": headline,
                     "failed_analyses": {a: e for fid, a, e in failures if fid == file_id},
                     "not_applicable": {a: why for fid, a, why in skipped if fid == file_id}})
    return rows


def group_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and sample standard deviation of each headline metric over the replicate files of a group
    (files of one kind with the same group; a file without a group is its own)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["kind"] is not None and row["group"] is not None:
            groups.setdefault((row["group"], row["kind"]), []).append(row)
    table = []
    for (group, kind), members in sorted(groups.items()):
        names = sorted({name for row in members for name in row["metrics"]})
        stats = {}
        for name in names:
            values = [row["metrics"][name]["value"] for row in members
                      if name in row["metrics"] and row["metrics"][name]["value"] is not None]
            unit = next(row["metrics"][name]["unit"] for row in members if name in row["metrics"])
            mean = sum(values) / len(values) if values else None
            sd = (math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
                  if mean is not None and len(values) > 1 else None)
            stats[name] = {"mean": mean, "sd": sd, "n": len(values), "unit": unit}
        table.append({"group": group, "kind": kind, "files": [row["path"] for row in members], "metrics": stats})
    return table
