"""CH Instruments "Convert to Text" CV exports for tests: the header CHI writes, then the given rows."""

from __future__ import annotations

from collections.abc import Mapping


def chi_cv(settings: Mapping[str, object], columns: str, rows: str, *, polarity: str = "",
           model: str = "CHI660E") -> str:
    """A CV export: date, technique, file and model lines, ``polarity`` (``Anodic = negative`` or empty),
    one ``key = value`` line per setting, then ``columns`` and ``rows`` (one data line each)."""
    head = ["Mar. 02, 2024   09:41:07", "Cyclic Voltammetry", "File: c:\\data\\cv.bin", "Data Source:  Experiment",
            f"Instrument Model:  {model}", "Header: ", "Note: ", polarity]
    head += [f"{key} = {value}" for key, value in settings.items()]
    return "\n".join([*head, "", columns, "", rows.strip("\n")]) + "\n"
