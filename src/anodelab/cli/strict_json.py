"""The JSON every ``--json`` option prints: strict JSON (RFC 8259), so any parser reads it.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity`` for non-finite floats, which are not JSON;
here they become ``null`` (a value that is not a finite number is not known).
"""

from __future__ import annotations

import json
import math
from typing import Any

HELP = "print JSON (strict: NaN and infinite numbers are written as null)"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def dumps(payload: Any) -> str:
    """``payload`` as strict JSON text, non-finite floats written as ``null``."""
    return json.dumps(_finite(payload), allow_nan=False)
