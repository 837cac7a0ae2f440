"""Units in column headers: which dimension a unit measures and the factor to anodelab's canonical unit.

Canonical units: s, V, mA, mAh, mWh, W, Hz, ohm, degC, degrees. Units are never guessed.
"""

from __future__ import annotations

import math
import re

# -- units ------------------------------------------------------------------------------------------

#: canonical unit per dimension (what role columns are converted to)
CANONICAL_UNIT = {
    "time": "s", "voltage": "V", "current": "mA", "charge": "mAh", "energy": "mWh", "power": "W",
    "frequency": "Hz", "impedance": "ohm", "temperature": "C", "angle": "deg", "count": "",
}

_WORD_UNITS: dict[str, tuple[str, float]] = {  # matched case-insensitively
    "s": ("time", 1.0), "sec": ("time", 1.0), "secs": ("time", 1.0), "second": ("time", 1.0),
    "seconds": ("time", 1.0), "ms": ("time", 1e-3), "min": ("time", 60.0), "mins": ("time", 60.0),
    "minute": ("time", 60.0), "minutes": ("time", 60.0), "h": ("time", 3600.0), "hr": ("time", 3600.0),
    "hrs": ("time", 3600.0), "hour": ("time", 3600.0), "hours": ("time", 3600.0),
    "d": ("time", 86400.0), "day": ("time", 86400.0), "days": ("time", 86400.0),
    "volt": ("voltage", 1.0), "volts": ("voltage", 1.0), "amp": ("current", 1e3), "amps": ("current", 1e3),
    "ohm": ("impedance", 1.0), "ohms": ("impedance", 1.0), "mohm": ("impedance", 1e-3),
    "kohm": ("impedance", 1e3), "deg": ("angle", 1.0), "degree": ("angle", 1.0),
    "degrees": ("angle", 1.0), "rad": ("angle", 180.0 / math.pi), "hz": ("frequency", 1.0),
    "degc": ("temperature", 1.0), "celsius": ("temperature", 1.0),
}
_SYMBOL_UNITS: dict[str, tuple[str, float]] = {  # matched case-sensitively (SI prefixes)
    "V": ("voltage", 1.0), "mV": ("voltage", 1e-3), "uV": ("voltage", 1e-6), "kV": ("voltage", 1e3),
    "A": ("current", 1e3), "mA": ("current", 1.0), "uA": ("current", 1e-3), "nA": ("current", 1e-6),
    "pA": ("current", 1e-9), "kA": ("current", 1e6),
    "Ah": ("charge", 1e3), "mAh": ("charge", 1.0), "uAh": ("charge", 1e-3), "nAh": ("charge", 1e-6),
    "As": ("charge", 1 / 3.6), "mAs": ("charge", 1 / 3600), "mC": ("charge", 1 / 3600),
    "uC": ("charge", 1 / 3.6e6),
    "Wh": ("energy", 1e3), "mWh": ("energy", 1.0), "uWh": ("energy", 1e-3), "kWh": ("energy", 1e6),
    "J": ("energy", 1 / 3.6), "mJ": ("energy", 1 / 3600), "kJ": ("energy", 1e3 / 3.6),
    "W": ("power", 1.0), "mW": ("power", 1e-3), "uW": ("power", 1e-6), "kW": ("power", 1e3),
    "Hz": ("frequency", 1.0), "mHz": ("frequency", 1e-3), "kHz": ("frequency", 1e3), "MHz": ("frequency", 1e6),
    "Ω": ("impedance", 1.0), "mΩ": ("impedance", 1e-3), "kΩ": ("impedance", 1e3), "MΩ": ("impedance", 1e6),
    "Mohm": ("impedance", 1e6), "°": ("angle", 1.0),
    "°C": ("temperature", 1.0), "ºC": ("temperature", 1.0), "K": ("temperature", 1.0),
    "1": ("count", 1.0), "#": ("count", 1.0),
}
# "C" is coulomb for a charge column and Celsius for a temperature column: decided by the role.
_BY_ROLE = {("charge", "C"): 1 / 3.6, ("temperature", "C"): 1.0}
_VOLTAGE_WITH_REFERENCE = re.compile(r"^(?P<unit>[mu]?V)\s*(?:vs\.?|versus)\s*(?P<ref>.+)$")


def clean_unit(unit: str) -> str:
    unit = unit.strip().strip("()[]{}").strip()
    for micro in ("µ", "μ", "\\g(m)", "mu"):
        if unit.startswith(micro):
            unit = "u" + unit[len(micro):]
    unit = unit.replace("·", "").replace("deg C", "degC").replace("deg. C", "degC")
    compact = re.sub(r"[.\s\-]", "", unit)
    compact = re.sub(r"^(u|m|k)?Amphr$|^(u|m|k)?Ahr$", lambda m: (m.group(1) or m.group(2) or "") + "Ah", compact)
    compact = re.sub(r"^(u|m|k)?Watthr$|^(u|m|k)?Whr$", lambda m: (m.group(1) or m.group(2) or "") + "Wh", compact)
    return compact


def unit_scale(unit: str | None, dimension: str) -> tuple[float, float] | None:
    """``(scale, offset)`` converting values in ``unit`` to the canonical unit of ``dimension``.

    None when ``unit`` is missing or is not a unit of that dimension. Kelvin to Celsius is the
    only unit with an offset.
    """
    if unit is None:
        return None
    match = _VOLTAGE_WITH_REFERENCE.match(_clean_unit_keep_space(unit))
    if match:
        unit = match.group("unit")
    cleaned = clean_unit(unit)
    if (dimension, cleaned) in _BY_ROLE:
        return _BY_ROLE[(dimension, cleaned)], 0.0
    found = _SYMBOL_UNITS.get(cleaned) or _WORD_UNITS.get(cleaned.lower())
    if found is None or found[0] != dimension:
        return None
    return found[1], (-273.15 if dimension == "temperature" and cleaned == "K" else 0.0)


def unit_dimension(unit: str | None) -> str | None:
    """The dimension of a unit when it has only one (``C`` has two and gives None)."""
    if unit is None:
        return None
    match = _VOLTAGE_WITH_REFERENCE.match(_clean_unit_keep_space(unit))
    if match:
        return "voltage"
    cleaned = clean_unit(unit)
    found = _SYMBOL_UNITS.get(cleaned) or _WORD_UNITS.get(cleaned.lower())
    return found[0] if found else None


def voltage_reference(unit: str | None) -> str | None:
    """The reference electrode named in a unit such as ``V vs. RHE`` (None when absent)."""
    match = _VOLTAGE_WITH_REFERENCE.match(_clean_unit_keep_space(unit or ""))
    return match.group("ref").strip() if match else None


def _clean_unit_keep_space(unit: str) -> str:
    unit = unit.strip().strip("()[]").strip()
    return "u" + unit[1:] if unit[:1] in ("µ", "μ") else unit
