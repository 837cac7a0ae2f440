"""The one shape of every analysis result, and the quantities and metrics it reports.

Every analysis returns a frozen :class:`Result` subclass. The subclass names what it is (``kind``,
``version``: bumped whenever the analysis' numbers change for the same input and options) and
implements :meth:`Result.metrics` (the flat list of headline quantities, what the results store
keeps) and :meth:`Result.content` (everything else it has to say, JSON-ready). The base adds what
every result carries: the options used (``parameters``, defaults included), where the data came
from (``provenance``) and ``warnings``. :func:`stamps_call` fills ``parameters`` and
``provenance`` from the call itself, so a direct API call and a study run record the same.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from anodelab.core.cell import CellInfo
from anodelab.core.record import Provenance

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Quantity:
    """A value with its standard uncertainty (same unit; None when unknown) and unit."""

    value: float
    stderr: float | None
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "stderr": self.stderr, "unit": self.unit}

    def __format__(self, spec: str) -> str:
        spec = spec or ".4g"
        if self.stderr is None or not math.isfinite(self.stderr):
            return f"{self.value:{spec}} {self.unit}"
        return f"{self.value:{spec}} ± {self.stderr:{spec}} {self.unit}"

    def __str__(self) -> str:
        return format(self)


@dataclass(frozen=True)
class Metric:
    """One headline number of a result: what the store keeps and a table shows.

    ``name`` says what without the unit (``ice``, ``R1``, ``Ea``); ``unit`` is ``""`` for a ratio;
    ``index_name``/``index`` place it when the result has several (``cycle`` 3, ``spectrum`` 12);
    ``definition`` says how it was computed, in words a reader of the paper would accept.
    """

    name: str
    value: float
    unit: str
    stderr: float | None = None
    index_name: str | None = None
    index: int | None = None
    definition: str = ""

    @classmethod
    def of(cls, name: str, quantity: Quantity, **where: Any) -> Metric:
        """A metric from a :class:`Quantity` (value, stderr and unit taken from it)."""
        return cls(name, quantity.value, quantity.unit, quantity.stderr, **where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "value": _finite_or_none(self.value), "stderr": _finite_or_none(self.stderr),
            "unit": self.unit, "index_name": self.index_name, "index": self.index, "definition": self.definition,
        }

    def __str__(self) -> str:
        where = f"[{self.index_name} {self.index}]" if self.index_name is not None else ""
        return f"{self.name}{where} {Quantity(self.value, self.stderr, self.unit)}".rstrip()


@dataclass(frozen=True, repr=False, kw_only=True)
class Result:
    """Base of every analysis result (see the module docstring). Subclasses are frozen dataclasses
    that set ``kind`` and ``version`` and implement :meth:`metrics` and :meth:`content`."""

    kind: ClassVar[str] = ""
    version: ClassVar[int] = 1
    parameters: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None
    warnings: tuple[str, ...] = ()

    def metrics(self) -> tuple[Metric, ...]:
        """The headline quantities, flat, in a stable order."""
        raise NotImplementedError(f"{type(self).__name__} does not list its metrics")

    def content(self) -> dict[str, Any]:
        """What the result holds beyond its metrics (tables, curves, per-item details), JSON-ready."""
        return {}

    def tables(self) -> Mapping[str, Mapping[str, Any]]:
        """Long tables the result holds, each a mapping of column name to a 1-D array of one length
        (``"cycles"``: the per-cycle table; ``"drt"``: the DRT curves with a ``spectrum`` column).
        The results store keeps them as rows; ``content()`` need not repeat them."""
        return {}

    def headline(self) -> str:
        """The one line the command line prints: the first metrics of the result."""
        first = [metric for metric in self.metrics() if metric.index is None][:3] or list(self.metrics()[:3])
        return "; ".join(map(str, first)) or "no metrics"

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: kind, version, parameters, provenance, warnings, metrics, content."""
        return {
            "kind": self.kind,
            "version": self.version,
            "parameters": plain(dict(self.parameters)),
            "provenance": self.provenance.to_dict() if self.provenance is not None else None,
            "warnings": list(self.warnings),
            "metrics": [metric.to_dict() for metric in self.metrics()],
            **plain(self.content()),
        }

    def to_dataframe(self) -> pd.DataFrame:
        """The metrics as a tidy table: one row per metric, the columns of :class:`Metric`."""
        import pandas as pd

        columns = [f.name for f in dataclasses.fields(Metric)]
        return pd.DataFrame([dataclasses.astuple(metric) for metric in self.metrics()], columns=columns)

    def __repr__(self) -> str:
        warned = f" ({len(self.warnings)} warnings)" if self.warnings else ""
        return f"<{type(self).__name__} {self.kind} v{self.version}: {self.headline()}{warned}>"


R = TypeVar("R", bound=Result)


def stamps_call(function: Callable[..., R]) -> Callable[..., R]:
    """Decorate an analysis function ``f(data, ..., **options)``: the result it returns carries the
    call's options as ``parameters`` (every argument but the data and the cell, defaults included,
    made JSON-plain) and the data's provenance (unless the function set one)."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def stamped(*args: Any, **kwargs: Any) -> R:
        result = function(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = list(bound.arguments.items())
        data = arguments[0][1] if arguments else None
        parameters: dict[str, Any] = {}
        for name, value in arguments[1:]:
            if isinstance(value, CellInfo):
                continue
            if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                parameters.update(plain(value))
            else:
                parameters[name] = plain(value)
        provenance = result.provenance or getattr(data, "provenance", None)
        return dataclasses.replace(result, parameters={**parameters, **result.parameters}, provenance=provenance)

    return stamped


def plain(value: Any) -> Any:
    """``value`` as JSON-ready Python: mappings to dicts, sequences and arrays to lists, numpy scalars
    to Python numbers, NaN and infinities to None, enums to their value, paths and other objects to
    their string."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, (int, np.integer)):  # bool returned above; np.bool_ is neither
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return _finite_or_none(float(value))
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if isinstance(value, PurePath):
        return value.as_posix()
    return str(value)


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
