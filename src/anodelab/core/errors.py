"""The exceptions anodelab raises, all in one place.

::

    AnodelabError                  base of everything below
    ├── ReadError                  a file could not be read as the format it claims / was asked for
    │   └── UnknownFormatError     no reader accepted the file (lists every reader tried and why)
    ├── ValidationError            a value is out of range or inconsistent (names the field); also a ValueError
    │   └── MetadataError          cell metadata missing or invalid (cell.toml, masses, areas)
    ├── NotApplicableError         an analysis does not apply to this data (e.g. no current column)
    ├── FitError                   a fit could not be set up or failed
    │   └── ConvergenceError       an iterative solver did not converge
    └── MissingExtraError          an optional dependency is not installed (names the extra); also an ImportError

User mistakes surface at the CLI as one line and exit status 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class AnodelabError(Exception):
    """Base class of every error anodelab raises on purpose."""


class ReadError(AnodelabError):
    """A file could not be read.

    The message always names the file and says what was expected.
    """

    def __init__(self, path: str | Path, problem: str, *, expected: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.expected = expected
        message = f"{self.path}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)


class UnknownFormatError(ReadError):
    """No reader accepted the file; ``tried`` holds (format, reason) for every reader tried."""

    def __init__(self, path: str | Path, tried: Sequence[tuple[str, str]]) -> None:
        self.tried = list(tried)
        if self.tried:
            reasons = "; ".join(f"{name}: {why}" for name, why in self.tried)
            problem = f"no reader accepted this file. Tried {reasons}"
        else:
            problem = "no reader recognises this file by its extension or content"
        super().__init__(path, problem, expected="one of the formats listed by `anodelab formats`")


class ValidationError(AnodelabError, ValueError):
    """A value is invalid; the message names the field (``field``) and what is allowed."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"{field}: {problem}")


class MetadataError(ValidationError):
    """Cell metadata is missing or invalid."""


class NotApplicableError(AnodelabError):
    """An analysis does not apply to the data it was given."""


class FitError(AnodelabError):
    """A fit could not be set up or failed."""


class ConvergenceError(FitError):
    """An iterative solver did not converge."""


class MissingExtraError(AnodelabError, ImportError):
    """An optional dependency is missing; the message says which extra installs it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install 'anodelab[{extra}]'"
        )
