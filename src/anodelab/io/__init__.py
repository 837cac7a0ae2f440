"""Readers for lab instrument files, dispatched through the format table in :mod:`anodelab.io.registry`."""

from anodelab.io.registry import FORMATS, Format, list_formats, read

__all__ = ["FORMATS", "Format", "list_formats", "read"]
