"""Redox couples of a voltammogram: its reduction and oxidation peaks paired within each cycle.

Peaks that do not recur are not paired. In each cycle, reduction and oxidation peaks are paired closest
first, the oxidation peak at or above the reduction peak and at most ``max_separation_mV`` from it:
``dE_p_mV = E_pa - E_pc``, ``E_half_V = (E_pa + E_pc) / 2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def couples(peaks: Sequence[dict[str, Any]], max_separation_V: float) -> list[dict[str, Any]]:
    """Reduction and oxidation peaks of each cycle paired closest first (oxidation at or above reduction)."""
    pairs = []
    for cycle in sorted({p["cycle"] for p in peaks}):
        reductions = [p for p in peaks if p["cycle"] == cycle and p["direction"] == "reduction" and p["recurs"] is not False]
        oxidations = [p for p in peaks if p["cycle"] == cycle and p["direction"] == "oxidation" and p["recurs"] is not False]
        options = sorted((ox["E_peak_V"] - red["E_peak_V"], i, j) for i, red in enumerate(reductions)
                         for j, ox in enumerate(oxidations) if 0 <= ox["E_peak_V"] - red["E_peak_V"] <= max_separation_V)
        used_red: set[int] = set()
        used_ox: set[int] = set()
        for separation, i, j in options:
            if i in used_red or j in used_ox:
                continue
            used_red.add(i)
            used_ox.add(j)
            red, ox = reductions[i], oxidations[j]
            pairs.append({
                "cycle": cycle, "reduction_peak": red["peak"], "oxidation_peak": ox["peak"],
                "E_pc_V": red["E_peak_V"], "E_pa_V": ox["E_peak_V"], "dE_p_mV": 1e3 * separation,
                "E_half_V": 0.5 * (red["E_peak_V"] + ox["E_peak_V"]),
                "I_pc_mA": red["I_peak_mA"], "I_pa_mA": ox["I_peak_mA"],
            })
    pairs.sort(key=lambda c: (c["cycle"], c["E_pc_V"]))
    for index, pair in enumerate(pairs, start=1):
        pair["couple"] = index
    return pairs
