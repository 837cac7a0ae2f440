"""The provenance checksum: one SHA-256 per read, of the bytes the reader parsed, or the read is refused."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import threading

import numpy as np
import pytest

import anodelab
from anodelab.core.errors import ReadError
from anodelab.core.record import Provenance, Record, pending_sha256
from anodelab.io import checksum as checksum_module
from anodelab.io import registry
from anodelab.io.checksum import BufferSha256, Checksum, sha256_of, sha256_of_read


@pytest.mark.parametrize("size", [0, 1000, (4 << 20) + 12345])  # empty, one small block, several 1 MiB blocks
def test_sha256_of_matches_hashlib_on_the_whole_file(tmp_path, size):
    path = tmp_path / "data.bin"
    path.write_bytes(np.random.default_rng(size).bytes(size))
    assert sha256_of(path) == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("size", [1000, 3 << 20])  # hashed in the caller's thread / in a thread of its own
def test_checksum_is_that_of_the_bytes_read_or_the_read_is_refused(tmp_path, monkeypatch, size):
    monkeypatch.setattr(checksum_module, "_THREAD_BYTES", 1 << 16)
    path = tmp_path / "data.bin"
    path.write_bytes(np.random.default_rng(1).bytes(size))
    assert (Checksum(path)._thread is not None) == (size > 1 << 16)
    assert Checksum(path).result() == hashlib.sha256(path.read_bytes()).hexdigest()
    checksum = Checksum(path)
    with path.open("ab") as handle:  # the file grows while it is being read
        handle.write(b"more rows")
    with pytest.raises(ReadError, match="changed while it was being read"):
        checksum.result()


def test_a_readers_deferred_digest_is_passed_on_unhashed_while_the_file_is_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    raw = np.random.default_rng(2).bytes(5000)
    path.write_bytes(raw)
    digest = sha256_of_read(raw)
    assert isinstance(digest, BufferSha256)
    assert Checksum(path).result(digest) is digest  # not hashed yet
    assert digest.hexdigest() == hashlib.sha256(raw).hexdigest()
    checksum = Checksum(path)
    with path.open("ab") as handle:  # grows after the reader read it
        handle.write(b"more rows")
    with pytest.raises(ReadError, match="changed while it was being read"):
        checksum.result(digest)
    monkeypatch.setattr(checksum_module, "_THREAD_BYTES", 1000)
    assert sha256_of_read(raw) is None  # a big file is left to the thread Checksum starts


def test_a_deferred_sha256_reads_as_the_hex_string_everywhere(tmp_path):
    raw = np.random.default_rng(4).bytes(70_000)
    expected = hashlib.sha256(raw).hexdigest()

    def deferred() -> Provenance:
        return Provenance(path="x.mpr", sha256=BufferSha256(raw), notes=("a",))

    provenance = deferred()
    assert isinstance(pending_sha256(provenance), BufferSha256)
    assert provenance.sha256 == expected and provenance.to_dict()["sha256"] == expected
    assert pending_sha256(provenance) == expected  # computed once, then kept as the string
    assert dataclasses.replace(deferred(), notes=()).sha256 == expected
    assert dataclasses.fields(Provenance)[1].default is None and Provenance().sha256 is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        provenance.sha256 = "0" * 64
    record = Record.from_columns({"voltage_V": [1.0, 2.0]}, provenance=deferred())
    copy = pickle.loads(pickle.dumps(record))
    assert copy.provenance == provenance and pending_sha256(copy.provenance) == expected
    assert copy.column_names == record.column_names and not copy["voltage_V"].flags.writeable

    shared = deferred()
    barrier = threading.Barrier(8)
    seen = []

    def ask() -> None:
        barrier.wait()
        seen.append(shared.sha256)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [expected] * 8


def test_a_failed_read_stops_the_checksum(tmp_path, monkeypatch):
    """Whatever a reader raises, even outside the errors read() turns into ReadErrors."""
    cancelled = []

    class Spy(Checksum):
        def cancel(self) -> None:
            cancelled.append(self.path)
            super().cancel()

    def broken(path):
        raise RuntimeError("a bug in a reader")

    monkeypatch.setattr(registry, "Checksum", Spy)
    monkeypatch.setattr(registry.Format, "load", lambda self: broken)
    path = tmp_path / "data.csv"
    path.write_text("time_s,voltage_V\n0,1\n")
    with pytest.raises(RuntimeError, match="a bug"):
        anodelab.read(path)
    assert cancelled == [path]
