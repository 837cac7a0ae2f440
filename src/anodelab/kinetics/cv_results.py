"""The results of voltammetry: the voltammogram and the Randles-Sevcik line across scan rates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Metric, Quantity, Result

#: Randles-Sevcik constants: reversible (Nernstian) and totally irreversible peak current functions
REVERSIBLE = 0.4463
IRREVERSIBLE = 0.4958
DEFINITIONS = {
    "scan_rate": "least-squares slope of E against t over the middle 80 % of the sweep's potential span (mV/s)",
    "E_peak": "potential of a local extreme of the current in the sweep's direction (maximum of a cubic fitted to the "
              "binned current over the peak's top)",
    "I_peak": "current at the peak above its baseline, < 0 for a reduction peak: a straight line I(E) fitted over a flat "
              "window beside the peak (the double-layer current) and extrapolated; for a peak that does not recur in "
              "the next cycle, the next cycle's current plus such a line fitted to the difference",
    "dE_p": "E_pa - E_pc of a redox couple: reduction and oxidation peaks of one cycle paired closest first",
    "E_half": "(E_pa + E_pc) / 2 of a redox couple",
    "E_onset": "potential of a maximum of dI/dE (Savitzky-Golay derivative of the binned current) on the opening sweep",
}


@dataclass(frozen=True, repr=False)
class Voltammogram(Result):
    """A CV or LSV: per sweep its scan rate and baseline, the peaks, redox couples and dI/dV onsets,
    and the analysed curves (binned, smoothed current, baseline, dI/dV, dQ/dV per sweep)."""

    kind: ClassVar[str] = "voltammetry"
    version: ClassVar[int] = 2  # 2: galvanostatic steps out, coarse-grid noise, bins >= smooth_mV / 100

    technique: str                          # "cv" or "lsv"
    scan_rate_mV_s: float | None            # median of the sweeps'
    area_cm2: float | None
    segments: tuple[dict[str, Any], ...]
    peaks: tuple[dict[str, Any], ...]
    couples: tuple[dict[str, Any], ...]
    onsets: tuple[dict[str, Any], ...]
    curve: dict[str, NDArray[Any]] = field(default_factory=dict)

    def metrics(self) -> tuple[Metric, ...]:
        """The scan rate (the sweeps' median, and per ``segment``), per ``peak`` E_peak and I_peak
        (j_peak with an area), per ``couple`` dE_p and E_half, per ``onset`` E_onset."""
        d = DEFINITIONS
        out = []
        if self.scan_rate_mV_s is not None:
            out.append(Metric("scan_rate", self.scan_rate_mV_s, "mV/s", definition="median of the sweeps' " + d["scan_rate"]))
        for s in self.segments:
            if s["scan_rate_mV_s"] is not None:
                out.append(Metric("scan_rate", s["scan_rate_mV_s"], "mV/s", index_name="segment", index=s["segment"],
                                  definition=d["scan_rate"] if s["scan_rate_source"] == "fit" else "the programmed rate, given"))
        for p in self.peaks:
            where = {"index_name": "peak", "index": p["peak"]}
            out.append(Metric("E_peak", p["E_peak_V"], "V", definition=d["E_peak"], **where))
            out.append(Metric("I_peak", p["I_peak_mA"], "mA", definition=d["I_peak"], **where))
            if "j_peak_mA_cm2" in p:
                out.append(Metric("j_peak", p["j_peak_mA_cm2"], "mA/cm2", definition=d["I_peak"] + ", per cm2", **where))
        for c in self.couples:
            where = {"index_name": "couple", "index": c["couple"]}
            out.append(Metric("dE_p", c["dE_p_mV"], "mV", definition=d["dE_p"], **where))
            out.append(Metric("E_half", c["E_half_V"], "V", definition=d["E_half"], **where))
        for o in self.onsets:
            out.append(Metric("E_onset", o["E_onset_V"], "V", index_name="onset", index=o["onset"], definition=d["E_onset"]))
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {"technique": self.technique, "scan_rate_mV_s": self.scan_rate_mV_s, "area_cm2": self.area_cm2,
                "segments": [dict(s) for s in self.segments], "peaks": [dict(p) for p in self.peaks],
                "couples": [dict(c) for c in self.couples], "onsets": [dict(o) for o in self.onsets],
                "definitions": dict(DEFINITIONS)}

    def tables(self) -> dict[str, dict[str, Any]]:
        tables = {"segments": long_table(self.segments), "peaks": long_table(self.peaks),
                  "couples": long_table(self.couples), "onsets": long_table(self.onsets), "curve": dict(self.curve)}
        return {name: table for name, table in tables.items() if table}

    def headline(self) -> str:
        rate = f" at {self.scan_rate_mV_s:.4g} mV/s" if self.scan_rate_mV_s is not None else " (scan rate unknown)"
        line = f"{self.technique}: {len(self.segments)} sweep{'s' * (len(self.segments) != 1)}{rate}; {len(self.peaks)} peaks"
        if self.couples:
            line += "; dE_p " + ", ".join(f"{c['dE_p_mV']:.0f}" for c in self.couples[:3]) + " mV"
        if self.onsets:
            line += "; onsets " + ", ".join(f"{o['E_onset_V']:.3g}" for o in self.onsets[:4]) + " V"
        return line


@dataclass(frozen=True, repr=False)
class RandlesSevcik(Result):
    """Peak current against sqrt(scan rate) across voltammograms: the slope, the power law
    |I_p| ~ nu^b that says whether the peak is diffusion-controlled (b = 0.5), and D from the slope."""

    kind: ClassVar[str] = "randles_sevcik"
    version: ClassVar[int] = 1

    direction: str                          # "reduction" or "oxidation"
    points: tuple[dict[str, Any], ...]      # source, scan_rate_mV_s, peak, E_peak_V, I_peak_mA
    slope_mA_s_V: Quantity                  # d|I_p| / d sqrt(nu), mA per (V/s)^0.5
    intercept_mA: Quantity
    exponent: Quantity                      # b of |I_p| = k nu^b
    r2: float
    D_cm2_s: Quantity | None
    constant: float                         # 0.4463 (reversible) or 0.4958 (irreversible)

    def metrics(self) -> tuple[Metric, ...]:
        """D (where the area and concentration are known), the slope, the exponent b, R²."""
        law = "reversible" if self.constant == REVERSIBLE else "totally irreversible"
        out = []
        if self.D_cm2_s is not None:
            out.append(Metric.of("D", self.D_cm2_s, definition=f"from the slope of |I_p| vs sqrt(nu), {law} "
                                 f"Randles-Sevcik (I_p = {self.constant} n F A C sqrt(n F nu D / R T))"))
        out += [
            Metric.of("slope", self.slope_mA_s_V, definition="least-squares slope of |I_p| against sqrt(scan rate)"),
            Metric.of("intercept", self.intercept_mA, definition="intercept of that line (0 for an ideal peak)"),
            Metric.of("exponent", self.exponent, definition="b of |I_p| = k nu^b (log-log slope): 0.5 for diffusion "
                      "control, 1 for a surface-confined or capacitive peak"),
            Metric("r2", self.r2, "", definition="coefficient of determination of the sqrt(nu) line"),
        ]
        return tuple(out)

    def content(self) -> dict[str, Any]:
        return {"direction": self.direction, "points": [dict(p) for p in self.points],
                "slope_mA_s_V": self.slope_mA_s_V, "intercept_mA": self.intercept_mA, "exponent": self.exponent,
                "r2": self.r2, "D_cm2_s": self.D_cm2_s, "constant": self.constant}

    def tables(self) -> dict[str, dict[str, Any]]:
        return {"points": long_table(self.points)}

    def headline(self) -> str:
        D = f"D {self.D_cm2_s:.3g}; " if self.D_cm2_s is not None else ""
        return (f"{D}{self.direction} peaks at {len(self.points)} scan rates: |I_p| ~ nu^{self.exponent.value:.2f}, "
                f"slope {self.slope_mA_s_V.value:.4g} mA (V/s)^-0.5, R² {self.r2:.4f}")


def long_table(rows: Sequence[dict[str, Any]]) -> dict[str, NDArray[Any]]:
    """A long table from dicts (keys in first-seen order; a missing or None value is NaN)."""
    keys = dict.fromkeys(key for row in rows for key in row)
    table = {}
    for key in keys:
        values = [row.get(key) for row in rows]
        if all(isinstance(v, str) for v in values):
            table[key] = np.array(values, dtype=object)
        else:
            table[key] = np.array([np.nan if v is None else float(v) for v in values])
    return table
