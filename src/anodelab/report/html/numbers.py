"""How the report writes a number: rounded as a measurement for reading, exact for checking."""

from __future__ import annotations

import math


def number(value: float | None, stderr: float | None = None) -> str:
    """``value ± stderr`` rounded as a measurement is written: the uncertainty to two significant
    digits and the value to the same decimal place (4 significant digits without an uncertainty)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if stderr is None or not math.isfinite(stderr) or stderr <= 0:
        return f"{value:.4g}"
    if stderr >= abs(value):
        return f"{value:.2g} ± {stderr:.2g}"
    exponent = math.floor(math.log10(stderr))
    if 1e-3 <= abs(value) < 1e5:
        decimals = max(0, 1 - exponent)
        return f"{value:.{decimals}f} ± {stderr:.{decimals}f}"
    digits = math.floor(math.log10(abs(value))) - exponent + 1
    return f"{value:.{digits}e} ± {stderr:.1e}"


def exact(value: float | None) -> str:
    """The stored value exactly (shortest repr; empty for NULL), for a cell's ``data-value``."""
    return "" if value is None else repr(float(value))
