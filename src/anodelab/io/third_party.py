"""Readers built on a third-party library: its warnings and log records into the provenance notes
(:func:`library_messages`), its version into the provenance (:func:`reader_version`)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

from anodelab._version import __version__


@contextmanager
def library_messages(logger_name: str) -> Iterator[list[str]]:
    """Collect the warnings and log records (WARNING and above) a third-party reader emits.

    They end up in the provenance notes instead of on the console, and never turn into errors
    under ``-W error``.
    """
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Collect(logging.WARNING)
    logger = logging.getLogger(logger_name)
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:  # a quietened library still tells us
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        messages.extend(str(item.message) for item in caught)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def reader_version(package: str) -> str:
    """``anodelab X + package Y`` for the provenance."""
    return f"anodelab {__version__} + {package} {version(package)}"
