"""Every reader against truncated and bit-flipped copies of the real files.

A damaged file must give an anodelab error or a record that still keeps its promises (finite,
non-decreasing time); never another exception type, never a hang. The originals are never modified.
"""

from __future__ import annotations

import hashlib
import signal
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from shared_data import EXTERNAL

import anodelab
from anodelab.core.errors import AnodelabError
from anodelab.core.record import Record

SKIP_SUFFIXES = {".ftr", ".yaml", ".mps", ".mpl", ".md"}
BIT_FLIP_MAX_BYTES = 600_000
SECONDS_PER_READ = 30


def _real_files() -> list[Path]:
    if not EXTERNAL.exists():
        return []
    return sorted(
        p for p in EXTERNAL.rglob("*")
        if p.is_file() and p.suffix.lower() not in SKIP_SUFFIXES and not p.name.startswith("README")
        and p.name not in {"masses.csv", "for_test_arr.csv", "Dataframe_STRUCTURED_all508.csv"}
        and "_Metadata" not in p.name and "cycle_data" not in p.name
    )


@contextmanager
def _deadline(seconds: int):
    def expire(signum, frame):
        raise TimeoutError(f"read took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _damaged_copies(path: Path, tmp_path: Path, rng: np.random.Generator):
    raw = path.read_bytes()
    for fraction in (0.003, 0.5):
        cut = max(1, int(len(raw) * fraction))
        yield f"truncated at byte {cut}", raw[:cut]
    yield "last 7 bytes cut", raw[:-7]
    if len(raw) <= BIT_FLIP_MAX_BYTES:
        for _ in range(4):
            flipped = bytearray(raw)
            # half of the flips hit the header region, where layouts are declared
            limit = min(len(raw), 4096) if rng.random() < 0.5 else len(raw)
            for position in rng.integers(0, limit, size=8):
                flipped[position] ^= 1 << int(rng.integers(0, 8))
            yield "bit flips", bytes(flipped)


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: str(p.relative_to(EXTERNAL)))
def test_damaged_copies_fail_cleanly(path, tmp_path):
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))  # the same copies on every run
    for what, content in _damaged_copies(path, tmp_path, rng):
        copy = tmp_path / path.name
        copy.write_bytes(content)
        try:
            with _deadline(SECONDS_PER_READ):
                data = anodelab.read(copy)
        except AnodelabError as error:
            assert str(copy) in str(error), f"{what}: error does not name the file: {error}"
            continue
        if isinstance(data, Record) and "time_s" in data:
            time = data.time_s
            assert np.all(np.isfinite(time)) and np.all(np.diff(time) >= 0), what
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the original file was modified"
