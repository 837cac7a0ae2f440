"""What the pipeline hands the store for one file: :class:`FileEntry` and its :class:`AnalysisEntry` rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from anodelab.core.cell import CellInfo
from anodelab.core.cycles import CycleTable
from anodelab.core.errors import ValidationError
from anodelab.core.experiment import Detection
from anodelab.core.model_spec import ModelSpec
from anodelab.core.record import Record
from anodelab.core.result import Result
from anodelab.core.spectrum import SpectrumSeries

Data = Record | SpectrumSeries | CycleTable | ModelSpec


@dataclass(frozen=True)
class AnalysisEntry:
    """One analysis run on a file: its result, the error that stopped it, or why it does not apply to
    this file's data (exactly one of the three), and the seconds it took."""

    name: str
    result: Result | None = None
    error: str | None = None
    seconds: float | None = None
    not_applicable: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError("AnalysisEntry.name", f"must be the analysis' name, got {self.name!r}")
        if sum(value is not None for value in (self.result, self.error, self.not_applicable)) != 1:
            raise ValidationError(f"AnalysisEntry {self.name}",
                                  "give exactly one of a result, an error and why it does not apply")
        if self.result is not None and not isinstance(self.result, Result):
            raise ValidationError(f"AnalysisEntry {self.name}.result",
                                  f"must be an anodelab Result, got {type(self.result).__name__}")


@dataclass(frozen=True)
class FileEntry:
    """Everything stored for one data file of a study (see docs/store.md).

    ``study`` is the study folder (an absolute POSIX path), ``path`` the file's POSIX path inside it;
    ``key`` is the pipeline's content key (opaque to the store: :meth:`Store.cached` compares it).
    A file that could not be read has ``error`` set and no data and no analyses.
    """

    study: str
    path: str
    key: str
    sha256: str | None = None
    size: int | None = None
    format: str | None = None
    reader: str | None = None
    detection: Detection | None = None
    cell: CellInfo | None = None
    sample: str | None = None
    group: str | None = None
    data: Data | None = None
    analyses: tuple[AnalysisEntry, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_study(self.study)
        check_path(self.path)
        where = f"{self.study}/{self.path}"
        if not isinstance(self.key, str) or not self.key:
            raise ValidationError(f"{where}: key", "must be a non-empty string")
        if self.data is not None and not isinstance(self.data, (Record, SpectrumSeries, CycleTable, ModelSpec)):
            raise ValidationError(f"{where}: data", "must be a Record, SpectrumSeries, CycleTable or ModelSpec, "
                                  f"got {type(self.data).__name__}")
        if self.detection is not None and not isinstance(self.detection, Detection):
            raise ValidationError(f"{where}: detection", f"must be a Detection, got {type(self.detection).__name__}")
        if self.cell is not None and not isinstance(self.cell, CellInfo):
            raise ValidationError(f"{where}: cell", f"must be a CellInfo, got {type(self.cell).__name__}")
        if not all(isinstance(analysis, AnalysisEntry) for analysis in self.analyses):
            raise ValidationError(f"{where}: analyses", "must be a tuple of AnalysisEntry")
        names = [analysis.name for analysis in self.analyses]
        if len(set(names)) != len(names):
            raise ValidationError(f"{where}: analyses", f"name an analysis twice: {names}")
        if self.error is not None and (self.data is not None or self.analyses):
            raise ValidationError(f"{where}: error", "a file that could not be read has no data and no analyses")
        if self.size is not None and (isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0):
            raise ValidationError(f"{where}: size", f"must be a byte count >= 0, got {self.size!r}")


def check_study(study: str) -> None:
    """Refuse a study folder that is not an absolute POSIX path (``/data/si`` or ``C:/data/si``)."""
    posix = isinstance(study, str) and "\\" not in study
    drive = posix and len(study) >= 3 and study[0].isalpha() and study[1:3] == ":/"
    if not (posix and (study.startswith("/") or drive)):
        raise ValidationError("FileEntry.study", f"must be the study folder as an absolute POSIX path, got {study!r}")


def check_path(path: str) -> None:
    """Refuse a file path that is not a relative POSIX path inside the study (no ``..``, no ``\\``)."""
    parts = PurePosixPath(path).parts if isinstance(path, str) else ()
    if (not parts or "\\" in path or path.startswith("/") or ".." in parts or "." in parts
            or path != PurePosixPath(path).as_posix() or path.endswith("/")):
        raise ValidationError("FileEntry.path", f"must be a relative POSIX path inside the study, got {path!r}")
