"""Metrohm Autolab NOVA ASCII exports (``.txt``, ``.csv``): CV, LSV, chrono and EIS tables.

NOVA (1.x and 2.x) writes one header line of ``Name (unit)`` columns and one row per point, tab-,
``;``- or ``,``-separated, the decimal mark of the PC's locale (decimal commas with ``;`` or tab),
often with a UTF-8 BOM and empty cells (a signal not sampled at that point). Time-series layouts:

    Potential applied (V)  Time (s)  WE(1).Current (A)  WE(1).Potential (V)  Scan  Index  Q+  Q-  Current range

``WE(1).Potential`` is the measured working-electrode potential (``voltage_V``); when the export
holds only ``Potential applied`` (the set point), that is used and a note says so.
``WE(1).Current (A)`` becomes ``current_mA``; ``Scan`` is the instrument cycle (kept as
``cycle_instrument``); ``Index`` numbers the points (1, 2, ... within each scan or over the
whole file) and is checked: a gap means points are missing and is reported in the notes.
Other columns (``WE(2).Current``, ``Corrected time``, ``Q+``) are kept with their units.

EIS (FRA) exports: ``Index; Frequency (Hz); Z' (Ω); -Z'' (Ω); Z (Ω); -Phase (°); Time (s)`` and
optionally the DC ``WE(1).Potential (V)`` / ``WE(1).Current (A)`` per point; ``-Z''`` stores
-Im(Z) and is flipped to the physical sign.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.core.record import Record
from anodelab.core.spectrum import SpectrumSeries
from anodelab.io.columns import (
    Column,
    describe_columns,
    numeric,
    pick,
    record_from_columns,
    spectra_from_table,
    split_header,
)
from anodelab.io.layout import load_table
from anodelab.io.point_index import note_point_index

EXPECTED = ("a Metrohm Autolab NOVA ASCII export (a header of 'Name (unit)' columns such as 'Time (s)', "
            "'WE(1).Current (A)', 'WE(1).Potential (V)', or 'Frequency (Hz)', \"Z' (Ω)\", \"-Z'' (Ω)\")")
INSTRUMENT = "Metrohm Autolab (NOVA ASCII export)"

#: NOVA column names (lower case, without unit) -> role
_NOVA_ROLES = {
    "we(1).potential": "voltage",
    "we(1).current": "current",
    "time": "time",
    "scan": "cycle",
    "frequency": "frequency",
    "z'": "z_real",
    "z''": "z_imag",
    "z": "z_mod",
    "phase": "phase",
}


def nova_columns(keys: Sequence[str]) -> list[Column]:
    """Roles of NOVA column names (``WE(1).Current (A)`` is the current, ``Scan`` the cycle, ...).

    Names NOVA does not use keep the generic roles of :func:`describe_columns`; generic roles
    that NOVA names differently (``Potential applied`` is a set point, ``Corrected time``) are cleared.
    """
    columns = []
    for column in describe_columns(keys):
        name, unit = split_header(column.key)
        text = name.strip().lower()
        negated = text.startswith("-")
        role = _NOVA_ROLES.get(text.lstrip("-").strip())
        if role is not None and (not negated or role in ("z_imag", "phase")):
            columns.append(Column(column.key, name.strip(), unit, role, negated))
        elif re.match(r"(?i)^(we|ce|re)\(\d+\)\.|^potential applied$|^corrected time$|^index$", text):
            columns.append(Column(column.key, name.strip(), unit, None))
        else:
            columns.append(column)
    if not any(c.role == "voltage" for c in columns):  # only the set point was exported
        columns = [Column(c.key, c.name, c.unit, "voltage") if c.name.lower() == "potential applied" else c
                   for c in columns]
    return columns


def nova_notes(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column]) -> list[str]:
    """What a NOVA table's columns imply: a set-point potential used as voltage, points missing by ``Index``."""
    voltage = pick(columns, "voltage")
    notes = []
    if voltage is not None and voltage.name.lower() == "potential applied":
        notes.append(f"voltage_V is '{voltage.key}', the set point: the export has no measured 'WE(1).Potential'")
    return notes + _index_notes(path, table, columns)


def nova_techniques(columns: Sequence[Column]) -> tuple[str, ...]:
    """("CV",) for a NOVA time series with ``Scan`` (the sweep number of a CV), else ("unknown",).

    So ``Record.summary()["cycles"]`` counts the scans, not charge/discharge pairs.
    """
    return ("CV",) if pick(columns, "cycle") is not None else ("unknown",)


def is_nova(keys: Sequence[str]) -> bool:
    """True for a NOVA header: a ``WE(n).`` column, ``Potential applied (V)``, or NOVA's EIS trio."""
    text = "\t".join(keys)
    return bool(re.search(r"WE\(\d+\)\.\w+ \(|Potential applied \(V\)", text)) or (
        "Frequency (Hz)" in keys and any(k.startswith("-Z'' (") for k in keys)
        and any(k.startswith("Z' (") for k in keys))


def read_nova(path: Path) -> Record | SpectrumSeries:
    """Read a NOVA ASCII export: EIS tables as a :class:`SpectrumSeries`, the others as a :class:`Record`."""
    path = Path(path)
    layout, _, table, notes = load_table(path, EXPECTED)
    if layout.names is None or not is_nova(list(table)):
        raise ReadError(path, "header names no NOVA columns", expected=EXPECTED)
    columns = nova_columns(list(table))
    roles = {c.role for c in columns}
    notes = notes + nova_notes(path, table, columns)
    if "frequency" in roles and ({"z_real", "z_imag"} <= roles or {"z_mod", "phase"} <= roles):
        return _spectra(path, table, columns, notes)
    if pick(columns, "voltage") is None:
        raise ReadError(path, "no 'WE(1).Potential (V)' or 'Potential applied (V)' column", expected=EXPECTED)
    if pick(columns, "current") is None and pick(columns, "time") is None:
        raise ReadError(path, "no 'WE(1).Current (A)' or 'Time (s)' column", expected=EXPECTED)
    return record_from_columns(path, table, columns, instrument=INSTRUMENT, techniques=nova_techniques(columns),
                               expected=EXPECTED, notes=notes)


def _spectra(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column], notes: list[str]) -> SpectrumSeries:
    """EIS export: Z' and -Z'' (or |Z| and -phase); |Z| is checked against Z' and Z'' when both are there."""
    used = {"frequency", "z_real", "z_imag", "time", "voltage", "current", "cycle"}
    modulus, real, imag = pick(columns, "z_mod"), pick(columns, "z_real"), pick(columns, "z_imag")
    if modulus is not None and real is not None and imag is not None:
        z_mod, z_re, z_im = (numeric(path, table, c, EXPECTED) for c in (modulus, real, imag))
        with np.errstate(invalid="ignore"):
            off = np.abs(np.hypot(z_re, z_im) - z_mod) > 1e-3 * np.abs(z_mod)
        if off.any():
            notes.append(f"'{modulus.key}' differs from |Z' + jZ''| by more than 0.1 % at {int(off.sum())} point(s) "
                         f"(first at data row {int(np.argmax(off)) + 1}); Z' and -Z'' are used")
    if real is None or imag is None:
        used |= {"z_mod", "phase"}
    unused = [c.key for c in columns if c.role not in used]
    if unused:
        notes.append(f"columns not kept in the spectra: {', '.join(repr(k) for k in unused)}")
    return spectra_from_table(path, table, columns, notes, instrument=INSTRUMENT)


def _index_notes(path: Path, table: Mapping[str, NDArray[Any]], columns: Sequence[Column]) -> list[str]:
    """Check NOVA's point ``Index``: +1 per row, restarting only where ``Scan`` changes (else points are missing)."""
    index_key = next((c.key for c in columns if c.name.lower() == "index"), None)
    if index_key is None:
        return []
    index = numeric(path, table, Column(index_key, "Index", None, None), EXPECTED)
    scan = pick(columns, "cycle")
    new_scan = np.zeros(index.size, dtype=bool)
    if scan is not None:
        values = numeric(path, table, scan, EXPECTED)
        new_scan[1:] = values[1:] != values[:-1]
    notes: list[str] = []
    note_point_index(index_key, index, notes, may_restart=new_scan)
    return notes
