"""The study pipeline on a Dask cluster (``anodelab analyze DIR --scheduler ADDRESS``).

Each file is analysed on a worker by :func:`~anodelab.study.pipeline.analyse_file` (a pure function of
its picklable :class:`~anodelab.study.pipeline.FileTask`); the :class:`~anodelab.store.FileEntry`
comes back as soon as it is done, and the calling process alone writes the store, one transaction per
file, exactly as without a cluster. So the store's promises hold unchanged: a run stopped at any point
leaves every file stored whole or not at all, and the next run does the rest.

What crosses the wire is the whole entry, the file's Record included: the writer needs it for the
Parquet time series and the spectra rows, and keeping every store write in the one process keeps
"Parquet written before the transaction, removed if the transaction does not reference it" in one
place (:meth:`anodelab.store.Store.write_file`). A worker never needs the store's folder, only the
study's (see docs/scale.md for the cost and the alternative).

A file never stops the others: a task that raises is retried (:data:`RETRIES`), a task whose worker
dies (killed, out of memory, a crash in a native reader) is rerun elsewhere by the scheduler, and one
that still fails after that is stored as a failed file with the reason. A result finished on a worker
that dies before the writer fetched it is computed again, so no file's result is lost. At most
:data:`IN_FLIGHT_PER_THREAD` tasks per worker thread are submitted ahead of the writer, which bounds
the finished results waiting on the workers (and their memory) when the writer is the slower side.

``distributed`` is imported only here, and this module only when a scheduler is given.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from anodelab.core.errors import AnodelabError, MissingExtraError, ValidationError
from anodelab.store import FileEntry
from anodelab.study.pipeline import FileTask, analyse_file

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

    from anodelab.store import Store

#: ``--scheduler local``: a LocalCluster on this machine, one single-threaded worker process per core
LOCAL = "local"
#: times a task that raised is tried again before its file is stored as failed
RETRIES = 2
#: tasks submitted ahead of the writer, per worker thread
IN_FLIGHT_PER_THREAD = 4
#: a scheduler that does not answer within this is an error naming its address
CONNECT_TIMEOUT_S = 30.0
_ADDRESS = re.compile(r"^([a-z][a-z0-9+.-]*://\S+|[^\s/:]+:\d+)$")


def check_scheduler(scheduler: object) -> None:
    """Refuse what is neither ``"local"``, a scheduler address (``tcp://host:port``, ``host:port``) nor a
    ``distributed.Client``, and a missing ``distributed``, before anything is started or written."""
    if importlib.util.find_spec("distributed") is None:
        raise MissingExtraError("distributed", "scale", "Analysing a study on a Dask cluster (--scheduler)")
    if isinstance(scheduler, str):
        if scheduler == LOCAL or _ADDRESS.match(scheduler):
            return
        raise ValidationError("scheduler", f"expected 'local' or a Dask scheduler address such as "
                              f"tcp://host:8786, got {scheduler!r}")
    if type(scheduler).__module__.split(".")[0] == "distributed" and type(scheduler).__name__ == "Client":
        return
    raise ValidationError("scheduler", f"expected 'local', an address or a distributed.Client, got "
                          f"{type(scheduler).__name__}")


def scheduler_name(scheduler: str | Client) -> str:
    """What the run records as its scheduler: ``local``, the address given, or the client's scheduler's."""
    return scheduler if isinstance(scheduler, str) else _address(scheduler)


def _address(client: Client) -> str:
    connection = client.scheduler
    return str(connection.address) if connection is not None else "(not connected)"


def local_cluster(**options: Any) -> LocalCluster:
    """A LocalCluster sized to this machine: one worker process per usable core (cgroup limits
    included), one thread each, no dashboard, and a scheduler that sends a worker no more tasks than it
    has threads (a worker that dies then takes only the file it was analysing with it, not one queued
    beside it); ``options`` go to ``LocalCluster``."""
    import dask
    from dask.system import CPU_COUNT
    from distributed import LocalCluster

    settings: dict[str, Any] = {"n_workers": CPU_COUNT, "threads_per_worker": 1, "processes": True, **options}
    # no dashboard, and the scheduler's HTTP routes on a free port (the default, 8787, may be another's)
    settings["scheduler_kwargs"] = {"dashboard": False, "dashboard_address": ":0", **settings.get("scheduler_kwargs", {})}
    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
        return LocalCluster(**settings)


@contextmanager
def connect(scheduler: str | Client) -> Iterator[Client]:
    """A client of ``scheduler``: ``"local"`` starts a :func:`local_cluster` (closed on exit, its worker
    processes with it), an address connects to a running scheduler, a ``Client`` is used as it is (and
    left open)."""
    from distributed import Client

    check_scheduler(scheduler)
    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler == LOCAL:
        with local_cluster() as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        raise ValidationError("scheduler", f"no Dask scheduler answers at {scheduler} ({error}); start one "
                              "(`dask scheduler`) or give --scheduler local") from None
    with client:
        yield client


def analyse_on_cluster(tasks: Sequence[FileTask], scheduler: str | Client) -> Iterator[FileEntry]:
    """The entry of every task, analysed on the cluster's workers, in the order they finish (see the
    module docstring); a file the cluster could not analyse is an entry with the reason."""
    with connect(scheduler) as client:
        yield from _gather(client, tasks)


def _gather(client: Client, tasks: Sequence[FileTask]) -> Iterator[FileEntry]:
    from distributed import KilledWorker, as_completed

    run = uuid.uuid4().hex[:12]  # keys unique to this run: a later run on the same cluster never meets them
    largest_first = iter(sorted(tasks, key=lambda task: -task.size))  # the long files start first
    submitted: dict[str, FileTask] = {}  # in flight, by key
    numbers = itertools.count()

    def submit(task: FileTask) -> Future[FileEntry]:
        key = f"anodelab-analyse-{run}-{next(numbers)}"
        submitted[key] = task
        return client.submit(analyse_file, task, key=key, retries=RETRIES, pure=False)

    threads = sum(client.nthreads().values())
    window = IN_FLIGHT_PER_THREAD * max(threads, 2)
    finished = as_completed([submit(task) for task in itertools.islice(largest_first, window)], raise_errors=False)
    second_round: set[str] = set()
    for future in finished:
        task = submitted.pop(str(future.key))
        if isinstance(future.exception(), KilledWorker) and task.path not in second_round:
            # a worker dies with every task it holds: this one may only have been queued beside the one that
            # killed it, so it gets a second round (the culprit then kills as many workers again, no more)
            second_round.add(task.path)
            finished.add(submit(task))
            continue
        following = next(largest_first, None)
        if following is not None:
            finished.add(submit(following))
        entry = _entry(client, future, task, rounds=2 if task.path in second_round else 1)
        future.release()  # the worker may forget the result: it is in the writer's hands
        yield entry


def _entry(client: Client, future: Future[FileEntry], task: FileTask, rounds: int) -> FileEntry:
    """The entry ``future`` computed, or, when the cluster gave up on it (after ``rounds`` submissions), the
    unread entry with why."""
    from distributed import KilledWorker

    error = future.exception()  # waits; a result lost with its worker since it finished is computed again first
    if future.cancelled():
        raise AnodelabError(f"the Dask scheduler {_address(client)} dropped the analysis of {task.path}; the "
                            "files stored so far are kept: run again to do the rest")
    if error is None:
        entry = future.result()
        if not isinstance(entry, FileEntry):
            raise AnodelabError(f"the Dask cluster returned a {type(entry).__name__} for {task.path}, not a FileEntry")
        return entry
    if isinstance(error, KilledWorker):
        why = (f"the Dask workers analysing it died {rounds * (error.allowed_failures + 1)} times (killed, out of memory, or a "
               f"crash in a native library); the last was {error.last_worker.address}")
    else:
        why = f"failed on the Dask cluster after {RETRIES + 1} attempts ({type(error).__name__}: {error})"
    return replace(task.unread(), error=why)


#: the tables a run writes, and how their rows name their file: by ``file_id`` or through ``result_id``
_TABLES = {"files": None, "experiments": "file", "spectra": "file", "data_cycles": "file", "results": "file",
           "metrics": "file", "cycles": "result", "drt_curves": "result", "result_tables": "result"}
#: what differs between two runs of the same study: ids (the order files were written in), times, the folder
_NOT_CONTENT = frozenset({"file_id", "result_id", "run_id", "seconds", "study"})


def stored_content(database: str | os.PathLike[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a study's runs stored in ``database``, table by table, each named by its file's path
    (and analysis) instead of ids, sorted, without timings; plus each Parquet time series' SHA-256
    (``"timeseries"``). Two runs of one study give equal content whatever their order and wherever they
    ran: the check that a cluster run equals a one-process run, file by file and row by row."""
    return _stored(database, lambda db, sql: db.query(f"SELECT * FROM ({sql}) ORDER BY ALL").fetchall())


def stored_digest(database: str | os.PathLike[str]) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`stored_content` in constant memory, for a store too large to hold as Python rows: per table
    the row count and the sum of the rows' 64-bit hashes (DuckDB's ``hash`` of each row), equal when the
    rows are (but for a hash collision)."""
    return _stored(database, lambda db, sql: db.query(
        f"SELECT count(*), sum(hash(q)::HUGEINT) FROM ({sql}) q").fetchall())


def _stored(database: str | os.PathLike[str],
            rows: Callable[[Store, str], list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    from anodelab.io.checksum import sha256_of
    from anodelab.store import open as open_store

    content: dict[str, list[tuple[Any, ...]]] = {}
    with open_store(database, read_only=True) as db:
        for table, owner in _TABLES.items():
            names = [row[0] for row in db.query("SELECT column_name FROM information_schema.columns WHERE "
                                                "table_name = ? ORDER BY ordinal_position", [table]).fetchall()]
            kept = ", ".join(f't."{name}"' for name in names if name not in _NOT_CONTENT)
            if owner is None:
                sql = f"SELECT {kept} FROM {table} t"
            elif owner == "file":
                sql = f"SELECT f.path, {kept} FROM {table} t JOIN files f USING (file_id)"
            else:
                sql = (f"SELECT f.path, r.analysis, {kept} FROM {table} t JOIN results r USING (result_id) "
                       "JOIN files f ON f.file_id = r.file_id")
            content[table] = rows(db, sql)
        series = db.query("SELECT path, timeseries FROM files WHERE timeseries IS NOT NULL ORDER BY path").fetchall()
        content["timeseries"] = [(path, sha256_of(db.folder / name)) for path, name in series]
    return content
