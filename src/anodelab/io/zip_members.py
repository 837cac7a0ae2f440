"""Members of a zip container (Neware ``.ndax``, Excel ``.xlsx``) checked from their declared sizes and
compression method before anything is decompressed (:func:`check_zip_member`)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from anodelab.core.errors import ReadError

#: a zip member (.ndax, .xlsx) may inflate to at most this plus 256x its compressed size (real members:
#: <= 200x); checked on the declared sizes before anything is decompressed
ZIP_MEMBER_BYTES = 64 << 20
ZIP_XML_BYTES = 16 << 20  # an XML member: a few kB in .ndax, megabytes for a large worksheet
ZIP_RATIO = 256


def check_zip_member(path: Path, info: zipfile.ZipInfo, writer: str, ratio: int = ZIP_RATIO) -> None:
    """Refuse a member that would inflate far beyond any real one (a decompression bomb), from its
    declared sizes: more than :data:`ZIP_XML_BYTES` (XML) or :data:`ZIP_MEMBER_BYTES` plus ``ratio`` times
    its compressed size; or one neither stored nor deflated (as ``writer``, e.g. Neware or Excel, writes them)."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ReadError(path, f"member {info.filename} uses compression method {info.compress_type}",
                        expected=f"stored or deflated members, as {writer} writes them")
    limit = ZIP_XML_BYTES if info.filename.lower().endswith(".xml") else ZIP_MEMBER_BYTES
    limit += ratio * info.compress_size
    if info.file_size > limit:
        raise ReadError(path, f"member {info.filename} would inflate {info.compress_size} bytes to {info.file_size} "
                        f"(more than the {limit}-byte bound)", expected=f"an undamaged {writer} file, not a decompression bomb")
