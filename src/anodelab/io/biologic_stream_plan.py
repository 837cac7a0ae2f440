"""What the conversion of a whole BioLogic file decides from all its rows, for the first pass of
:mod:`anodelab.io.biologic_stream`: the :class:`Facts` gathered chunk by chunk (the columns that hold a value,
which are text, whether the cycle number and the charge counters are finite on every row, the impedance rows),
and from them the :class:`Plan` (:func:`plan_from_facts`: dropped columns, the current and charge counter used,
the cycle number and temperature kept or not). Files with impedance rows are read whole instead
(:class:`~anodelab.io.assembly.NotStreamable`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ReadError
from anodelab.io.assembly import NotStreamable
from anodelab.io.biologic import _first_non_numeric
from anodelab.io.biologic_columns import (
    _CHARGE_COUNTERS,
    _CURRENT,
    _TEMPERATURE,
    _VOLTAGE,
    Columns,
)
from anodelab.io.biologic_impedance import (
    _IMPEDANCE_PAIRS,
    _IMPEDANCE_TECHNIQUES,
    _SPECTRUM_COLUMNS,
    _has_impedance,
    _no_spectrum,
)
from anodelab.io.common import text_series

#: columns whose presence changes the steps, the state or the time (a plan change there redoes the first pass)
_STEP_COLUMNS = frozenset({"Ns", "Ns changes", "z cycle", "counter inc.", "Loop", "time/s", "dq/mA.h", "control/mA",
                           "<Ece>/V", "Ece/V", "Ewe-Ece/V", *_CURRENT, *_VOLTAGE})


@dataclass
class Facts:
    """What the conversion of the whole file decides from all its rows, gathered chunk by chunk."""

    rows: int = 0
    names: list[str] = field(default_factory=list)
    filled: dict[str, bool] = field(default_factory=dict)  # a value in some row (text: in the first 1000 rows)
    numeric: dict[str, bool] = field(default_factory=dict)
    first_text: dict[str, int] = field(default_factory=dict)  # data row of the first non-numeric value
    finite: dict[str, bool] = field(default_factory=dict)  # finite on every row
    any_finite: dict[str, bool] = field(default_factory=dict)
    positive_frequency: int = 0
    nonzero: dict[str, int] = field(default_factory=dict)  # rows with a finite impedance other than 0
    measured: dict[str, int] = field(default_factory=dict)  # rows with both values of a pair (_has_impedance)
    flag_max: dict[str, float] = field(default_factory=dict)
    month_first: bool = True

    def update(self, columns: Columns, first_row: int) -> None:
        if not self.names:
            self.names = list(columns)
        for name, values in columns.items():
            numeric = values.dtype.kind in "fiub"
            if not numeric and name not in self.first_text and (row := _first_non_numeric(values)):
                self.first_text[name] = first_row + row - 1
            self.numeric[name] = self.numeric.get(name, True) and numeric
            self.filled[name] = self.filled.get(name, False) or _filled(values, first_row)
            if numeric and values.dtype.kind == "f":
                with np.errstate(invalid="ignore"):
                    finite = np.isfinite(values)
                self.finite[name] = self.finite.get(name, True) and bool(finite.all())
                self.any_finite[name] = self.any_finite.get(name, False) or bool(finite.any())
            elif numeric:
                self.finite.setdefault(name, True)
                self.any_finite[name] = self.any_finite.get(name, False) or values.size > 0
        self.rows += next(iter(columns.values())).size if columns else 0
        self._impedance(columns)
        time = columns.get("time/s")
        if time is not None and time.dtype.kind not in "fiub":
            import polars as pl

            leading = text_series(time).str.strip_chars().str.slice(0, 2).cast(pl.Int32, strict=False)
            self.month_first = self.month_first and not bool((leading > 12).any())

    def _impedance(self, columns: Columns) -> None:
        frequency = columns.get("freq/Hz")
        if frequency is not None and frequency.dtype.kind in "fiu":
            with np.errstate(invalid="ignore"):
                self.positive_frequency += int(np.count_nonzero(np.isfinite(frequency) & (frequency > 0)))
        for first, second in _IMPEDANCE_PAIRS:
            if first in columns and second in columns:
                values = columns[first]
                if values.dtype.kind in "fiu":
                    with np.errstate(invalid="ignore"):
                        count = int(np.count_nonzero(np.isfinite(values) & (values != 0)))
                    self.nonzero[first] = self.nonzero.get(first, 0) + count
                measured = _has_impedance(values, columns[second], modulus=first == "|Z|/Ohm")
                self.measured[first] = self.measured.get(first, 0) + int(np.count_nonzero(measured))

    def flags(self, columns: Columns, names: list[str]) -> None:
        """The largest value of each numeric flag column (before any split)."""
        for name in names:
            with np.errstate(invalid="ignore"):
                largest = float(np.nanmax(columns[name], initial=0))
            self.flag_max[name] = max(self.flag_max.get(name, 0.0), largest)


def _filled(values: NDArray[Any], first_row: int) -> bool:
    """A value in the rows (as ``_has_values`` of :mod:`anodelab.io.biologic` sees a column: a text
    column by its first 1000 rows)."""
    if values.dtype.kind == "f":
        return bool(values.size) and not bool(np.all(np.isnan(values)))
    if values.dtype.kind in "OUS":
        head = values[: max(0, 1001 - first_row)]
        return any(value not in (None, "") for value in head)
    return True


@dataclass(frozen=True)
class Plan:
    """How the file's columns become the record's (the whole-file conversion's choices)."""

    dropped: frozenset[str]
    voltage: str
    current: str | None  # a column, "dq" (dq/dt), "OCV" (zeros) or None
    counter: tuple[str, float] | None  # the charge counter and its scale to mAh; ("dq/mA.h", 0.0): the running dq
    cycle: bool
    temperature: str | None
    month_first: bool | None  # None: time/s is numeric
    split_flags: bool = False
    row_index: frozenset[str] = frozenset()

    def steps_key(self) -> tuple[Any, ...]:
        """What the steps, state and time depend on: a change redoes the first pass."""
        return (self.dropped & _STEP_COLUMNS, self.voltage, self.current, self.month_first, self.split_flags,
                self.row_index)


def plan_from_facts(path: Path, facts: Facts, techniques: tuple[str, ...], expected: str, *, drop_empty: bool,
                    split_flags: bool = False, row_index: frozenset[str] = frozenset()) -> Plan:
    """The conversion's choices (as :func:`anodelab.io.biologic._convert` and ``_record`` make them)."""
    names = [n for n in facts.names if n not in row_index]
    dropped = frozenset(n for n in names if not facts.filled.get(n, False)) if drop_empty else frozenset()
    kept = [n for n in names if n not in dropped]
    _refuse_impedance(path, facts, techniques, kept, expected)
    if "time/s" in dropped:
        raise ReadError(path, "column 'time/s' holds no value in any row", expected=expected)
    for name in kept:
        if not facts.numeric[name] and name != "time/s":
            raise ReadError(path, f"column {name!r} holds a non-numeric value in data row "
                            f"{facts.first_text.get(name, 0)}", expected=expected)
    voltage = next((n for n in _VOLTAGE if n in kept), None)
    if voltage is None:
        raise ReadError(path, f"no potential column among {', '.join(kept) or 'no columns'}",
                        expected=f"{expected} with Ewe/V, <Ewe>/V or Ecell/V")
    current = next((n for n in _CURRENT if n in kept), None)
    if current is None:
        current = ("dq" if "time/s" in kept and "dq/mA.h" in kept else "control/mA" if "control/mA" in kept
                   else "OCV" if techniques == ("OCV",) else None)
    if "time/s" not in kept and current is None and "Capacity/mA.h" in kept:
        raise NotStreamable("a voltage/capacity-only export: each segment's state comes from its end")
    counter = next(((n, scale) for n, scale in _CHARGE_COUNTERS if n in kept and facts.numeric[n] and facts.finite[n]),
                   None)
    if counter is None and "dq/mA.h" in kept and facts.numeric["dq/mA.h"] and facts.finite["dq/mA.h"]:
        counter = ("dq/mA.h", 0.0)
    temperature = next((n for n in _TEMPERATURE if n in kept), None)
    if temperature is not None and not (facts.numeric[temperature] and facts.any_finite.get(temperature, False)):
        temperature = None
    timed = "time/s" in kept and not facts.numeric["time/s"]
    return Plan(dropped, voltage, current, counter, "cycle number" in kept and facts.numeric["cycle number"]
                 and facts.finite["cycle number"], temperature, facts.month_first if timed else None, split_flags,
                 row_index)


def _refuse_impedance(path: Path, facts: Facts, techniques: tuple[str, ...], kept: list[str], expected: str) -> None:
    """Impedance files and files with impedance rows are not streamed; an impedance technique without
    spectra is refused, as by the whole-file reader."""
    pair = next((first for first, second in _IMPEDANCE_PAIRS if first in facts.names and second in facts.names), None)
    frequency = "freq/Hz" in facts.names and facts.numeric["freq/Hz"]
    impedance = pair is not None and "freq/Hz" in facts.names and facts.rows > 0 and (
        (frequency and facts.positive_frequency * 2 > facts.rows)
        or (facts.numeric[pair] and facts.nonzero.get(pair, 0) * 2 > facts.rows))
    only = bool(techniques) and set(techniques) <= _IMPEDANCE_TECHNIQUES
    if not impedance and only:
        raise ReadError(path, f"technique {'/'.join(dict.fromkeys(techniques))} (impedance) but "
                        f"{_no_spectrum({name: np.zeros(0) for name in facts.names})}",
                        expected=f"{expected} with {_SPECTRUM_COLUMNS}")
    rows = "freq/Hz" in kept and facts.numeric["freq/Hz"] and facts.positive_frequency > 0
    if impedance:
        raise NotStreamable("impedance spectra, not a record")
    if rows and not only:
        raise NotStreamable("some rows are impedance measurements (a record with spectra)")
