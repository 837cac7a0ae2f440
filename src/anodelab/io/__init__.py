"""Readers for lab instrument files, dispatched through the format table in :mod:`anodelab.io.registry`."""

from anodelab.io.registry import FORMATS, Format, list_formats, read
from anodelab.io.stream import RecordChunks, read_chunks

__all__ = [
    "FORMATS",
    "Format",
    "RecordChunks",
    "list_formats",
    "read",
    "read_chunks",
]
