"""The results of the Tafel analysis: Tafel lines, micro-polarization, the Butler-Volmer fit, and the analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from anodelab.core.result import Metric, Quantity, Result
from anodelab.kinetics.butler_volmer import limited_butler_volmer
from anodelab.kinetics.polarization import BRANCHES, FloatArray, PolarizationCurve


@dataclass(frozen=True, repr=False)
class ButlerVolmerFit(Result):
    """A Butler-Volmer fit over a whole polarization curve (model in :mod:`anodelab.kinetics.bv_fit`). Currents
    in the curve's unit (mA/cm2, or mA without an area); ``i_lim_*`` None where the fit reaches no limit."""

    kind: ClassVar[str] = "butler_volmer"
    version: ClassVar[int] = 2  # 2: converged solves, limits also fitted from the first starts

    curve: PolarizationCurve
    i0: Quantity
    alpha_a: Quantity
    alpha_c: Quantity
    R_u_ohm: Quantity
    i_lim_anodic: Quantity | None
    i_lim_cathodic: Quantity | None
    E_eq_V: Quantity
    rms_residual_pct: float
    fixed: tuple[str, ...] = ()

    def current(self, eta_V: FloatArray) -> FloatArray:
        """The fitted current (the curve's unit) at overpotential ``eta_V`` (IR-free, from the fitted E_eq)."""
        return limited_butler_volmer(
            eta_V, i0=self.i0.value, alpha_a=self._apparent(self.alpha_a.value),
            alpha_c=self._apparent(self.alpha_c.value), T_K=self.curve.T_K,
            i_lim_anodic=None if self.i_lim_anodic is None else self.i_lim_anodic.value,
            i_lim_cathodic=None if self.i_lim_cathodic is None else self.i_lim_cathodic.value)

    def _apparent(self, alpha: float) -> float:
        return alpha / self.curve.electrodes

    @property
    def eta_V(self) -> FloatArray:
        """The curve's overpotential corrected by the fit: ``E - E_eq(fit) - I R_u``."""
        return self.curve.E_V - self.E_eq_V.value - self.curve.I_mA * 1e-3 * self.R_u_ohm.value

    def metrics(self) -> tuple[Metric, ...]:
        unit = self.curve.unit
        definition = ("Butler-Volmer fit over the whole curve with an uncompensated resistance and a limiting "
                      "current per branch (stderr from the fit covariance)")
        metrics = [
            Metric.of("i0_bv", self.i0, definition=f"exchange current ({unit}), {definition}"),
            Metric.of("alpha_a_bv", self.alpha_a, definition=f"anodic transfer coefficient, {definition}"),
            Metric.of("alpha_c_bv", self.alpha_c, definition=f"cathodic transfer coefficient, {definition}"),
            Metric.of("R_u_bv", self.R_u_ohm, definition=f"uncompensated resistance, {definition}"),
        ]
        for name, limit in (("i_lim_anodic_bv", self.i_lim_anodic), ("i_lim_cathodic_bv", self.i_lim_cathodic)):
            if limit is not None:
                metrics.append(Metric.of(name, limit, definition=f"limiting current ({unit}), {definition}"))
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        per = "mA_cm2" if self.curve.area_cm2 else "mA"

        def limit(quantity: Quantity | None) -> float | None:
            return None if quantity is None else quantity.value

        return {
            "i0_mA_cm2": self.i0.value if self.curve.area_cm2 else None,
            "i0_stderr_mA_cm2": self.i0.stderr if self.curve.area_cm2 else None,
            "I0_mA": self.i0.value * (self.curve.area_cm2 or 1.0),
            "alpha_a": self.alpha_a.value, "alpha_a_stderr": self.alpha_a.stderr,
            "alpha_c": self.alpha_c.value, "alpha_c_stderr": self.alpha_c.stderr,
            "R_u_ohm": self.R_u_ohm.value, "R_u_stderr_ohm": self.R_u_ohm.stderr,
            f"i_lim_anodic_{per}": limit(self.i_lim_anodic), f"i_lim_cathodic_{per}": limit(self.i_lim_cathodic),
            "E_eq_fit_V": self.E_eq_V.value, "E_eq_fit_stderr_V": self.E_eq_V.stderr,
            "rms_residual_pct": self.rms_residual_pct, "fixed": list(self.fixed),
            "curve": self.curve.to_dict(),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        return {"points": {"E_V": self.curve.E_V, "I_mA": self.curve.I_mA, "eta_mV": 1e3 * self.eta_V,
                           "i_fit": self.current(self.eta_V)}}

    def headline(self) -> str:
        return (f"Butler-Volmer i0 {self.i0}; alpha_a {self.alpha_a.value:.3f}, alpha_c {self.alpha_c.value:.3f}; "
                f"R_u {self.R_u_ohm.value:.3g} ohm")


@dataclass(frozen=True, eq=False)
class TafelBranch:
    """The Tafel line of one branch: its window (|eta| from ``eta_low_mV`` to ``eta_high_mV``, IR-corrected),
    the line ``log10|i| = log10_i0 + eta / b``, slope b (mV/dec, magnitude), alpha and i0 with stderr."""

    branch: str
    eta_low_mV: float
    eta_high_mV: float
    n_points: int
    decades: float
    r2: float
    slope_mV_dec: Quantity
    alpha: Quantity
    i0: Quantity
    log10_i0: float
    rows: NDArray[np.intp]

    def to_dict(self) -> dict[str, Any]:
        return {"branch": self.branch, "eta_low_mV": self.eta_low_mV, "eta_high_mV": self.eta_high_mV,
                "n_points": self.n_points, "decades": self.decades, "r2": self.r2,
                "tafel_slope_mV_dec": self.slope_mV_dec.value, "tafel_slope_stderr_mV_dec": self.slope_mV_dec.stderr,
                "alpha": self.alpha.value, "alpha_stderr": self.alpha.stderr,
                "i0": self.i0.value, "i0_stderr": self.i0.stderr, "unit": self.i0.unit}


@dataclass(frozen=True, eq=False)
class MicroPolarization:
    """The linear fit ``i = (eta - eta_0) / R_ct`` within ``window_mV`` of equilibrium, and
    ``i0 = electrodes R T / (n F R_ct)``."""

    window_mV: float
    n_points: int
    R_ct: Quantity  # ohm cm2 (ohm without an area)
    i0: Quantity

    def to_dict(self) -> dict[str, Any]:
        return {"window_mV": self.window_mV, "n_points": self.n_points, "R_ct": self.R_ct.value,
                "R_ct_stderr": self.R_ct.stderr, "R_ct_unit": self.R_ct.unit,
                "i0": self.i0.value, "i0_stderr": self.i0.stderr, "unit": self.i0.unit}


@dataclass(frozen=True, repr=False)
class TafelAnalysis(Result):
    """Tafel lines per branch chosen by the printed rule (``rules``), combined i0, the Butler-Volmer fit
    and the micro-polarization cross-check. ``i0`` is the Tafel value where a branch has a Tafel region,
    else the Butler-Volmer fit's (``i0_method`` says which)."""

    kind: ClassVar[str] = "tafel"
    version: ClassVar[int] = 2  # 2: the Butler-Volmer fit of version 2; steps around one equilibrium

    curve: PolarizationCurve
    anodic: TafelBranch | None
    cathodic: TafelBranch | None
    combined_i0: Quantity | None
    butler_volmer: ButlerVolmerFit | None
    micro_polarization: MicroPolarization | None
    R_u_ohm: float
    R_u_source: str
    rules: Mapping[str, str] = field(default_factory=dict)

    @property
    def branches(self) -> tuple[TafelBranch, ...]:
        return tuple(b for b in (self.anodic, self.cathodic) if b is not None)

    @property
    def i0(self) -> Quantity | None:
        if self.combined_i0 is not None:
            return self.combined_i0
        if self.butler_volmer is not None:
            return self.butler_volmer.i0
        return self.micro_polarization.i0 if self.micro_polarization is not None else None

    @property
    def i0_method(self) -> str:
        if self.combined_i0 is not None:
            return "tafel, " + " and ".join(b.branch for b in self.branches) + (" branch" if len(self.branches) == 1 else " branches")
        if self.butler_volmer is not None:
            return "butler-volmer fit (no Tafel region)"
        return "micro-polarization (no Tafel region, no Butler-Volmer fit)"

    @property
    def eta_V(self) -> FloatArray:
        """The overpotential the Tafel lines use: ``E - E_eq - I R_u``."""
        return self.curve.corrected_eta_V(self.R_u_ohm)

    def metrics(self) -> tuple[Metric, ...]:
        unit = self.curve.unit
        metrics: list[Metric] = []
        if self.i0 is not None:
            metrics.append(Metric.of("i0", self.i0, definition=f"exchange current ({unit}) by {self.i0_method}"))
        if self.combined_i0 is not None:
            metrics.append(Metric.of("i0_tafel", self.combined_i0, definition=(
                "inverse-variance mean of the Tafel lines' log10 i0 at eta = 0 (stderr at least half their "
                "difference); windows by the printed rule")))
        for b in self.branches:
            side = "a" if b.branch == "anodic" else "c"
            where = f"{b.branch} Tafel line, |eta - I R_u| {b.eta_low_mV:.0f}-{b.eta_high_mV:.0f} mV"
            metrics += [
                Metric.of(f"i0_tafel_{b.branch}", b.i0, definition=f"exchange current at eta = 0 of the {where}"),
                Metric.of(f"tafel_slope_{b.branch}", b.slope_mV_dec, definition=f"slope (magnitude) of the {where}"),
                Metric.of(f"alpha_{side}", b.alpha, definition=f"transfer coefficient ln10 RT/(F b) of the {where}"),
            ]
        if self.butler_volmer is not None:
            metrics += self.butler_volmer.metrics()
        if self.micro_polarization is not None:
            m = self.micro_polarization
            metrics += [
                Metric.of("i0_micro_polarization", m.i0, definition=(
                    f"RT/(nF R_ct) from the slope of i vs eta - I R_u within ±{m.window_mV:g} mV")),
                Metric.of("R_ct", m.R_ct, definition=f"charge-transfer resistance: d eta / d i within ±{m.window_mV:g} mV"),
            ]
        return tuple(metrics)

    def content(self) -> dict[str, Any]:
        area = self.curve.area_cm2
        i0 = self.i0
        branches = {name: getattr(self, name) for name in BRANCHES}
        return {
            "i0_mA_cm2": i0.value if i0 is not None and area else None,
            "i0_stderr_mA_cm2": i0.stderr if i0 is not None and area else None,
            "I0_mA": i0.value * (area or 1.0) if i0 is not None else None,
            "i0_method": self.i0_method,
            "alpha": {name: b.alpha.value if b else None for name, b in branches.items()},
            "tafel_slope_mV_dec": {name: b.slope_mV_dec.value if b else None for name, b in branches.items()},
            "branches": {name: b.to_dict() if b else None for name, b in branches.items()},
            "butler_volmer": self.butler_volmer.content() if self.butler_volmer is not None else None,
            "micro_polarization": self.micro_polarization.to_dict() if self.micro_polarization else None,
            "R_u_ohm": self.R_u_ohm, "R_u_source": self.R_u_source,
            "curve": self.curve.to_dict(),
            "rules": dict(self.rules),
        }

    def tables(self) -> dict[str, dict[str, Any]]:
        window = np.zeros(self.curve.E_V.size, dtype=np.int8)
        for b in self.branches:
            window[b.rows] = 1 if b.branch == "anodic" else -1
        columns: dict[str, Any] = {"E_V": self.curve.E_V, "I_mA": self.curve.I_mA,
                                   "eta_mV": 1e3 * self.curve.eta_V, "eta_iR_mV": 1e3 * self.eta_V,
                                   "tafel_window": window}
        if self.butler_volmer is not None:
            columns["i_bv_fit"] = self.butler_volmer.current(self.butler_volmer.eta_V)
        return {"points": columns}

    def headline(self) -> str:
        parts = [f"i0 {self.i0} ({self.i0_method})" if self.i0 is not None else "no i0"]
        parts += [f"b_{b.branch[0]} {b.slope_mV_dec.value:.0f} mV/dec" for b in self.branches]
        if self.butler_volmer is not None and self.combined_i0 is not None:
            parts.append(f"Butler-Volmer i0 {self.butler_volmer.i0}")
        return "; ".join(parts)
