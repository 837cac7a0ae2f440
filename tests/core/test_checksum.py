"""Checksum: one SHA-256 per read, of the bytes the reader parsed, or the read is refused."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from anodelab.core import record
from anodelab.core.errors import ReadError
from anodelab.core.record import Checksum, sha256_of_read


def test_a_readers_digest_is_used_while_the_file_is_unchanged(tmp_path):
    path = tmp_path / "data.bin"
    raw = np.random.default_rng(2).bytes(5000)
    path.write_bytes(raw)
    digest = sha256_of_read(raw)
    assert digest == hashlib.sha256(raw).hexdigest()
    assert Checksum(path).result(digest) == digest
    checksum = Checksum(path)
    with path.open("ab") as handle:  # grows after the reader read it
        handle.write(b"more rows")
    with pytest.raises(ReadError, match="changed while it was being read"):
        checksum.result(digest)


def test_big_files_are_hashed_in_a_thread_and_left_to_it_by_readers(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "_THREAD_BYTES", 1 << 16)
    path = tmp_path / "big.bin"
    raw = np.random.default_rng(3).bytes((3 << 20) + 7)  # several 1 MiB blocks
    path.write_bytes(raw)
    assert sha256_of_read(raw) is None
    checksum = Checksum(path)
    assert checksum._thread is not None
    assert checksum.result() == hashlib.sha256(raw).hexdigest()
    stopped = Checksum(path)
    assert stopped.result("f" * 64) == "f" * 64  # a reader's digest wins; the thread is told to stop
    assert stopped._stop.is_set()
