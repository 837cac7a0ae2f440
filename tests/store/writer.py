"""A pipeline stand-in run as a child process by the store tests: writes the fake study's entries.

    python writer.py DB forever N          write entries 0..N-1, a line after each, then again and again
                                           under new keys (replacing them) until killed
    python writer.py DB kill POINT SEED N  write entries 0..N-1 not yet cached, a line after each, killing
                                           itself with SIGKILL at POINT of SEED's write
    python writer.py DB hold               open the store, say so, and wait for a line on stdin
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakes import STUDY, entry

from anodelab import store
from anodelab.store import db as store_db


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str, seed: int) -> None:
    """Make the write of entry ``seed`` kill the process at ``point``: after its Parquet file is in
    place, after its metrics are inserted, or just before its COMMIT."""
    path = entry(seed).path
    if point == "parquet":
        write = store_db.write_parquet

        def write_then_die(connection, record, target):
            write(connection, record, target)
            if record.provenance.sha256 == f"{seed:064x}":
                die()

        store_db.write_parquet = write_then_die
    elif point == "metrics":
        insert = store.Store._insert

        def insert_then_die(self, table, columns, **constants):
            insert(self, table, columns, **constants)
            if table == "metrics" and self._connection.execute(
                    "SELECT count(*) FROM files WHERE path = ?", [path]).fetchall()[0][0]:
                die()

        store.Store._insert = insert_then_die
    elif point == "commit":
        rows = store.Store._write_rows

        def rows_then_die(self, run_id, file_entry, series, analyses):
            previous = rows(self, run_id, file_entry, series, analyses)
            if file_entry.path == path:
                die()
            return previous

        store.Store._write_rows = rows_then_die
    else:
        raise SystemExit(f"unknown kill point {point}")


def write(database: str, count: int) -> None:
    with store.open(database) as db:
        run = db.begin_run("test", {"count": count})
        for seed in range(count):
            stored = entry(seed)
            if db.cached(STUDY, stored.path, stored.key):
                db.touch(run, STUDY, stored.path)
            else:
                db.write_file(run, stored)
            print(seed, flush=True)
        db.finish_run(run, {"files": count})


def forever(database: str, count: int) -> None:
    with store.open(database) as db:
        run = db.begin_run("test", {"count": count})
        for round_number in itertools.count():
            for seed in range(count):
                key = f"key-{seed}" if round_number == 0 else f"key-{seed}-round-{round_number}"
                db.write_file(run, entry(seed, key=key))
                print(seed, flush=True)


def main(arguments: list[str]) -> None:
    database, mode, *rest = arguments
    if mode == "hold":
        with store.open(database):
            print("open", flush=True)
            sys.stdin.readline()
    elif mode == "forever":
        forever(database, int(rest[0]))
    elif mode == "kill":
        point, seed, count = rest
        arm(point, int(seed))
        write(database, int(count))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
