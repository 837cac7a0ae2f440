"""Spectra compared with what impedance.py's own reader makes of the same file."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from anodelab.core.spectrum import SpectrumSeries


def same_as_impedance_py(series: SpectrumSeries, path: Path, reader: str) -> None:
    """``series`` is one spectrum equal to ``impedance.preprocessing.<reader>(path)`` (e.g. ``readGamry``),
    ordered from the highest frequency down as anodelab stores it."""
    frequency, Z = getattr(importlib.import_module("impedance.preprocessing"), reader)(str(path))
    order = np.argsort(-frequency)
    assert len(series) == 1
    np.testing.assert_array_equal(series[0].frequency_Hz, frequency[order])
    np.testing.assert_array_equal(series[0].Z_ohm, Z[order])
