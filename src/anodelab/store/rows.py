"""Results and data flattened into the columns of the store's tables (numpy arrays DuckDB scans).

Everything a result says is taken from it here, before the database is touched: a result whose
``metrics()``, ``content()`` or ``tables()`` fails, or gives a table of ragged columns, is stored as
a failed analysis with that message (:attr:`PreparedAnalysis.error`), never half.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.cycles import CycleTable
from anodelab.core.errors import ValidationError
from anodelab.core.result import Metric, plain
from anodelab.core.spectrum import SpectrumSeries
from anodelab.store.entry import AnalysisEntry

Columns = dict[str, NDArray[Any]]
#: the columns of ``drt_curves`` after ``spectrum``; the first two must be in a result's "drt" table
DRT_COLUMNS = ("tau_s", "gamma_ohm", "gamma_lower_ohm", "gamma_upper_ohm")


@dataclass(frozen=True)
class PreparedAnalysis:
    """One analysis as rows: the ``results`` row's values and its metrics and long tables."""

    name: str
    seconds: float | None
    error: str | None = None
    not_applicable: str | None = None
    kind: str | None = None
    version: int | None = None
    parameters: str | None = None  # JSON text, like the next three
    warnings: str | None = None
    provenance: str | None = None
    content: str | None = None
    metrics: Columns = field(default_factory=dict)
    cycles: Columns = field(default_factory=dict)
    drt: Columns = field(default_factory=dict)
    tables: Columns = field(default_factory=dict)


def prepare(entry: AnalysisEntry) -> PreparedAnalysis:
    """``entry`` as rows; a failure to take anything from its result becomes its error."""
    result = entry.result
    if result is None:
        return PreparedAnalysis(entry.name, entry.seconds, error=entry.error, not_applicable=entry.not_applicable)
    try:
        tables = {name: _table(name, columns) for name, columns in result.tables().items()}
        cycles, drt, extra = _split_tables(tables)
        return PreparedAnalysis(
            entry.name, entry.seconds, kind=result.kind, version=int(result.version),
            parameters=to_json(dict(result.parameters)), warnings=to_json(list(result.warnings)),
            provenance=to_json(result.provenance.to_dict() if result.provenance is not None else None),
            content=to_json(result.content()), metrics=metric_columns(result.metrics()),
            cycles=cycles, drt=drt, tables=extra,
        )
    except Exception as error:  # noqa: BLE001 - a result that cannot say what it holds: a failed analysis
        return PreparedAnalysis(entry.name, entry.seconds,
                                error=f"the result could not be stored: {type(error).__name__}: {error}")


def to_json(value: Any) -> str:
    """Strict JSON text of ``value`` made plain (NaN and infinities as null)."""
    return json.dumps(plain(value), allow_nan=False, ensure_ascii=False)


def metric_columns(metrics: tuple[Metric, ...]) -> Columns:
    """The metrics as columns (non-finite values and unknown uncertainties as NaN: NULL in the store)."""
    for metric in metrics:
        if not isinstance(metric, Metric):
            raise ValidationError("metrics()", f"must give Metric objects, got {type(metric).__name__}")
    return {
        "name": _text([metric.name for metric in metrics]),
        "value": _floats([metric.value for metric in metrics]),
        "stderr": _floats([metric.stderr for metric in metrics]),
        "unit": _text([metric.unit for metric in metrics]),
        "index_name": _text([metric.index_name for metric in metrics]),
        "index": _floats([metric.index for metric in metrics]),  # whole numbers, cast back in SQL
        "definition": _text([metric.definition for metric in metrics]),
    }


def spectra_columns(series: SpectrumSeries) -> Columns:
    """Every point of every spectrum, with the spectrum's position in the series and its context."""
    counts = [len(spectrum) for spectrum in series]
    columns: Columns = {
        "spectrum": np.repeat(np.arange(len(series), dtype=np.int64), counts),
        "frequency_Hz": np.concatenate([spectrum.frequency_Hz for spectrum in series]),
        "z_real_ohm": np.concatenate([spectrum.Z_ohm.real for spectrum in series]),
        "z_imag_ohm": np.concatenate([spectrum.Z_ohm.imag for spectrum in series]),
    }
    for name in ("time_s", "voltage_V", "current_mA", "temperature_C", "cycle"):
        per_spectrum = _floats([getattr(spectrum.context, name) for spectrum in series])
        columns[name] = np.repeat(per_spectrum, counts)
    return columns


def cycle_table_columns(table: CycleTable) -> Columns:
    """A read per-cycle table in long form: ``cycle``, ``name``, ``value`` (``text`` for text columns)."""
    columns = {name: np.asarray(values) for name, values in table.columns.items()}
    return _long(columns.pop("cycle").astype(np.int64), "cycle", columns)


def _split_tables(tables: Mapping[str, Columns]) -> tuple[Columns, Columns, Columns]:
    """``cycles`` (with a cycle column), ``drt`` (known columns) and everything else, long form."""
    cycles: Columns = {}
    drt: Columns = {}
    extra: list[Columns] = []
    for name, columns in tables.items():
        columns = dict(columns)
        if name == "cycles" and "cycle" in columns:
            cycles = _long(_whole(columns.pop("cycle"), "cycles: cycle"), "cycle", columns)
        elif name == "drt" and {"tau_s", "gamma_ohm"} <= set(columns):
            n = columns["tau_s"].size
            spectrum = _whole(columns.pop("spectrum"), "drt: spectrum") if "spectrum" in columns else None
            drt = {"spectrum": np.full(n, np.nan) if spectrum is None else spectrum.astype(np.float64)}
            for column in DRT_COLUMNS:
                drt[column] = np.asarray(columns.pop(column), dtype=np.float64) if column in columns else np.full(n, np.nan)
            if columns:
                extra.append(_long(np.arange(n, dtype=np.int64), "row", columns, table=name))
        else:
            extra.append(_long(np.arange(_rows(columns), dtype=np.int64), "row", columns, table=name))
    joined = {key: np.concatenate([part[key] for part in extra]) for key in extra[0]} if extra else {}
    return cycles, drt, joined


def _table(name: str, columns: Mapping[str, Any]) -> Columns:
    arrays = {str(column): np.asarray(values) for column, values in columns.items()}
    lengths = {column: array.shape for column, array in arrays.items()}
    if any(len(shape) != 1 for shape in lengths.values()) or len({shape for shape in lengths.values()}) > 1:
        raise ValidationError(f"tables()[{name!r}]", f"columns must be 1-D of one length, got shapes {lengths}")
    return arrays


def _long(keys: NDArray[np.int64], key_name: str, columns: Columns, table: str | None = None) -> Columns:
    """Columns of one table (rows keyed by ``keys``) as (key, name, value, text) rows; complex
    columns become ``<name>_real`` and ``<name>_imag``, columns that are not numbers go to ``text``."""
    names: list[str] = []
    values: list[NDArray[np.float64]] = []
    texts: list[NDArray[Any]] = []
    n = keys.size
    for name, array in columns.items():
        if array.dtype.kind == "c":
            parts = [(f"{name}_real", array.real), (f"{name}_imag", array.imag)]
        else:
            parts = [(name, array)]
        for part_name, part in parts:
            names.append(part_name)
            numeric = part.dtype.kind in "biuf"
            values.append(part.astype(np.float64) if numeric else np.full(n, np.nan))
            texts.append(np.full(n, None, dtype=object) if numeric else _text(part.tolist()))
    out: Columns = {
        key_name: np.tile(keys, len(names)),
        "name": np.repeat(np.array(names, dtype=object), n),
        "value": np.concatenate(values) if values else np.zeros(0),
        "text": np.concatenate(texts) if texts else np.zeros(0, dtype=object),
    }
    if table is not None:
        out["table"] = np.full(out["name"].size, table, dtype=object)
    return out


def _whole(values: NDArray[Any], field_name: str) -> NDArray[np.int64]:
    as_float = np.asarray(values, dtype=np.float64)
    if not (np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float))):
        raise ValidationError(field_name, "must hold whole numbers")
    return as_float.astype(np.int64)


def _rows(columns: Columns) -> int:
    return next(iter(columns.values())).size if columns else 0


def _floats(values: list[Any]) -> NDArray[np.float64]:
    return np.array([np.nan if value is None else float(value) for value in values], dtype=np.float64)


def _text(values: list[Any]) -> NDArray[Any]:
    return np.array([None if value is None else str(value) for value in values], dtype=object)
