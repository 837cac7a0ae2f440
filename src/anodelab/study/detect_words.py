"""Numbers in the words of a detection's reason: currents, voltages, charges, scan rates, frequencies and
durations, each in a unit of its size."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def number(value: float) -> str:
    """Three significant figures, or a whole number from 1000 on."""
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def current(current_mA: float, area_cm2: float | None, signed: bool = True) -> str:
    """In mA, and in mA/cm2 where the area is known."""
    if not np.isfinite(current_mA):
        return "a current not recorded"
    value = current_mA if signed else abs(current_mA)
    text = f"{number(value)} mA"
    if area_cm2:
        text += f" ({number(value / area_cm2)} mA/cm2)"
    return text


def current_range(currents: Sequence[float]) -> str:
    """One current, or the lowest to the highest (mA)."""
    low, high = min(currents), max(currents)
    return f"{number(low)} mA" if abs(high - low) <= 1e-9 * max(1.0, abs(high)) else \
        f"{number(low)} to {number(high)} mA"


def volts(voltage_V: float) -> str:
    """In mV below 0.1 V (in magnitude), else in V."""
    return f"{1000 * voltage_V:.3g} mV" if abs(voltage_V) < 0.1 else f"{voltage_V:.3g} V"


def charge(charge_mAh: float) -> str:
    return f"{number(charge_mAh)} mAh"


def scan_rate(rate_mV_s: float) -> str:
    return f"{number(rate_mV_s)} mV/s"


def frequency(frequency_Hz: float) -> str:
    """In MHz, kHz, Hz or mHz."""
    for unit, scale in (("MHz", 1e6), ("kHz", 1e3), ("Hz", 1.0)):
        if frequency_Hz >= scale:
            return f"{frequency_Hz / scale:.3g} {unit}"
    return f"{frequency_Hz * 1e3:.3g} mHz"


def duration(seconds: float) -> str:
    """In s below 2 min, in min below 1 h, in h below 3 d, else in d."""
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} d"
