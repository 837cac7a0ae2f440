"""One fuzz case end to end: a working folder per real file, its baseline read, a damaged copy, the verdict."""

from __future__ import annotations

import hashlib
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fuzz.mutations import BASELINE_COLUMNS, Mutant, Source
from fuzz.oracle import Reader, judge

Kind = Callable[[Source, np.random.Generator], Mutant | None]


@dataclass(frozen=True)
class Result:
    file: str
    format: str
    kind: str
    function: str  # the mutation function (tests/fuzz/mutations.py) that made it
    detail: str
    outcome: str
    why: str
    seed: int
    draw: int


@dataclass
class Subject:
    """A real file copied with its sidecars into its own folder, and what reading that copy returned."""

    relative: str
    folder: Path
    source: Source
    base: dict[str, Any]  # the reader's summary of the undamaged copy (see oracle.summarize)

    @property
    def format(self) -> str:
        return str(self.base.get("format", ""))


def rng_for(seed: int, relative: str, kind: str, draw: int = 0) -> np.random.Generator:
    """The same damage for the same (seed, file, kind, draw) on every run and machine."""
    return np.random.default_rng([seed, zlib.crc32(relative.encode()), zlib.crc32(kind.encode()), draw])


def subject(reader: Reader, path: Path, root: Path, folder: Path) -> Subject | None:
    """Copy ``path`` (and files named after it: .meta.yaml, .cell.toml, .mps) into ``folder``; None if
    the undamaged copy does not read (there is nothing to compare damaged copies with)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sibling in path.parent.iterdir():
        if sibling.is_file() and sibling != path and sibling.name.startswith((path.name + ".", path.stem + ".")):
            shutil.copyfile(sibling, folder / sibling.name)
    raw = path.read_bytes()
    copy = folder / path.name
    copy.write_bytes(raw)
    base = reader.read(copy)
    copy.unlink()
    if base["outcome"] != "data":
        return None
    arrays = {k: v for k, v in base["arrays"].items() if k in BASELINE_COLUMNS}
    return Subject(str(path.relative_to(root)), folder, Source(path, raw, arrays), base)


def run_case(reader: Reader, item: Subject, kind: Kind, seed: int, draw: int = 0,
             seen: set[bytes] | None = None) -> Result | None:
    """Damage a copy of the subject with ``kind``, read it, judge it. None if the kind does not apply, or
    if the copy's digest is in ``seen`` (a copy already judged)."""
    mutant = kind(item.source, rng_for(seed, item.relative, kind.__name__, draw))
    if mutant is None:
        return None
    if seen is not None:
        digest = hashlib.blake2b(mutant.content, digest_size=16).digest()
        if digest in seen:
            return None
        seen.add(digest)
    copy = item.folder / item.source.path.name
    copy.write_bytes(mutant.content)
    try:
        got = reader.read(copy)
    finally:
        copy.unlink()
    outcome, why = judge(mutant.expect, copy, item.base, got)
    if got.get("warnings") and outcome not in ("TRACEBACK", "HANG", "MEMORY", "CRASH"):
        why = (why + "; " if why else "") + "warnings: " + " | ".join(got["warnings"])
    return Result(item.relative, item.format, mutant.kind, kind.__name__, mutant.detail, outcome, why, seed, draw)
