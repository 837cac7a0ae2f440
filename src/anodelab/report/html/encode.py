"""Figure data as compact JSON for the page: arrays at six significant digits (a plot needs no more;
the tables carry the stored values), NaN and infinities as ``null`` (a gap in a line), and text
safe inside a ``<script>`` element."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

_TEXT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def dumps(value: Any) -> str:
    """``value`` (dicts, lists, tuples, numpy arrays and scalars, numbers, text, None) as JSON."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, np.ndarray):
        out.append(_array(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for k, (key, item) in enumerate(value.items()):
            if k:
                out.append(",")
            out.append(_text(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for k, item in enumerate(value):
            if k:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, str):
        out.append(_text(value))
    elif value is None or isinstance(value, (bool, np.bool_)):
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, (int, np.integer)):
        out.append(str(int(value)))
    elif isinstance(value, (float, np.floating)):
        out.append(f"{float(value):.6g}" if math.isfinite(value) else "null")
    else:
        raise TypeError(f"cannot write {type(value).__name__} into figure JSON")


def _array(values: np.ndarray) -> str:
    if values.ndim > 1:
        return "[" + ",".join(_array(row) for row in values) + "]"
    if values.dtype.kind in "iub":
        return "[" + ",".join(map(str, values.astype(np.int64).tolist())) + "]"
    if values.dtype.kind != "f":
        return dumps(values.tolist())
    if values.size == 0:
        return "[]"
    text = np.char.mod("%.6g", values.astype(np.float64)).astype(object)
    text[~np.isfinite(values)] = "null"
    return "[" + ",".join(text.tolist()) + "]"


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False).translate(_TEXT)
