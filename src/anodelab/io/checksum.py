"""The SHA-256 of a file being read, for its provenance: computed once per read.

How, by what the reader hands over (``provenance.sha256`` of the data it returns):

- the exact bytes it parsed, having read the file whole into one immutable buffer (the ``.mpr``
  reader): a :class:`BufferSha256`, computed from that buffer when ``provenance.sha256`` is first
  asked for, then cached (the buffer is let go); a read that nobody asks the checksum of pays nothing;
- nothing (every other reader): :class:`Checksum` hashes the file from disk after the parse, or,
  for files of 64 MiB and more, in a thread while the parse runs (on a free core that costs no wall time).

Either way the file's identity, size and modification/change times are taken when the read starts
and compared when it ends, so the digest is that of the bytes the parser read, or the read is refused.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from anodelab.core.errors import ReadError
from anodelab.core.record import Digest

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


class BufferSha256:
    """The SHA-256 of an immutable buffer, computed on the first :meth:`hexdigest` (once, under a
    lock, whichever threads ask), after which the buffer is released."""

    def __init__(self, raw: bytes) -> None:
        self._raw: bytes | None = raw
        self._hex = ""
        self._lock = threading.Lock()

    def hexdigest(self) -> str:
        with self._lock:
            if self._raw is not None:
                self._hex = hashlib.sha256(self._raw).hexdigest()
                self._raw = None
            return self._hex


def sha256_of_read(raw: bytes) -> BufferSha256 | None:
    """The deferred SHA-256 of a file's bytes that a reader read whole in one read, for its
    provenance's ``sha256``; None for a file :class:`Checksum` hashes in a thread while it is parsed."""
    return BufferSha256(raw) if len(raw) < _THREAD_BYTES else None


def _fingerprint(path: Path) -> tuple[int, ...]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class Checksum:
    """The SHA-256 of a file being read (see the module docstring and :meth:`result`)."""

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
        """Stop hashing (the read failed, or the reader's digest is used); harmless once done."""
        self._stop.set()

    def result(self, read: str | Digest | None = None) -> str | Digest:
        """The digest, once the parse is done; :class:`ReadError` if the file changed meanwhile.

        ``read``: the digest of the bytes the reader parsed (:func:`sha256_of_read`), if it has one;
        it is returned as it is (a deferred one stays deferred).
        """
        digest: str | Digest | None
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
