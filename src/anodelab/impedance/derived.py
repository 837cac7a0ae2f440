"""Numbers derived from spectra and fits: intercepts, ASR, ionic conductivity, Arrhenius fits.

- :func:`high_frequency_intercept_ohm`: where the spectrum crosses the real axis going from the
  inductive (``Im Z > 0``) to the capacitive side, interpolated linearly in ``Im Z``; where it never
  crosses, the smallest ``Re Z`` of the points with ``Im Z <= 0`` (of all points when none is).
- :func:`interfacial_asr_ohm_cm2`: ``R A / 2`` for a symmetric cell (two identical interfaces in
  series), ``R A`` otherwise; the result says which.
- :func:`ionic_conductivity_S_cm`: ``sigma = L / (R S)``; :func:`conductivity_from_cell_constant`:
  ``sigma = K / R``.
- :func:`arrhenius_fit`: least-squares line of ``ln(y)`` vs ``1 / T`` with ``y`` one of
  :data:`ArrheniusForm`: ``sigmaT`` (sigma T), ``sigma``, ``1/R``, ``T/R`` (the simulator's names
  too); ``Ea = -slope R_gas``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.constants import GAS_CONSTANT_J_MOL_K, ZERO_CELSIUS_K
from anodelab.core.errors import FitError, ValidationError
from anodelab.core.result import Metric, Quantity, Result
from anodelab.core.spectrum import Spectrum, require_spectrum
from anodelab.models.kinetics import kJ_mol_to_eV

#: what is plotted against 1/T: ln(sigma T), ln(sigma) (values are conductivities), ln(1/R), ln(T/R) (resistances)
ArrheniusForm = Literal["sigmaT", "sigma", "1/R", "T/R"]
ARRHENIUS_FORMS: dict[ArrheniusForm, tuple[str, str, str]] = {
    # form: (what the values are, how y is built, prefactor unit)
    "sigmaT": ("conductivity_S_cm", "ln(sigma T) vs 1/T", "S K/cm"),
    "sigma": ("conductivity_S_cm", "ln(sigma) vs 1/T", "S/cm"),
    "1/R": ("resistance_ohm", "ln(1/R) vs 1/T", "S"),
    "T/R": ("resistance_ohm", "ln(T/R) vs 1/T", "K/ohm"),
}


def high_frequency_intercept_ohm(frequency_Hz: ArrayLike, Z_ohm: ArrayLike) -> float:
    """Real-axis crossing at high frequency (see the module docstring), ohm."""
    frequency = np.asarray(frequency_Hz, dtype=np.float64)
    Z = np.asarray(Z_ohm, dtype=np.complex128)
    if frequency.size != Z.size or Z.size == 0:
        raise ValidationError("Z_ohm", f"needs as many points as frequency_Hz ({frequency.size}), got {Z.size}")
    order = np.argsort(-frequency)
    Z = Z[order]
    im = Z.imag
    for i in range(Z.size - 1):
        if im[i] >= 0 and im[i + 1] < 0:
            if im[i] == 0:
                return float(Z.real[i])
            t = im[i] / (im[i] - im[i + 1])
            return float(Z.real[i] + t * (Z.real[i + 1] - Z.real[i]))
    capacitive = im <= 0
    return float(Z.real[capacitive].min() if capacitive.any() else Z.real.min())


def spectrum_intercept_ohm(spectrum: Spectrum) -> float:
    """:func:`high_frequency_intercept_ohm` of a :class:`Spectrum`, ohm."""
    spectrum = require_spectrum(spectrum, "spectrum_intercept_ohm")
    return high_frequency_intercept_ohm(spectrum.frequency_Hz, spectrum.Z_ohm)


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value) or value <= 0:
        raise ValidationError(name, f"must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True, repr=False)
class ASR(Result):
    """Area-specific resistance of one interface (symmetric cells) or of the whole resistance."""

    kind: ClassVar[str] = "asr"
    version: ClassVar[int] = 1
    asr_ohm_cm2: float
    R_ohm: float
    area_cm2: float
    symmetric: bool
    stderr_ohm_cm2: float | None = None

    @property
    def definition(self) -> str:
        return (
            "R x area / 2: a symmetric cell has two identical interfaces in series; this is one of them"
            if self.symmetric
            else "R x area (not halved)"
        )

    def metrics(self) -> tuple[Metric, ...]:
        return (Metric("ASR", self.asr_ohm_cm2, "ohm cm2", self.stderr_ohm_cm2, definition=self.definition),)

    def content(self) -> dict[str, Any]:
        return {
            "asr_ohm_cm2": self.asr_ohm_cm2,
            "stderr_ohm_cm2": self.stderr_ohm_cm2,
            "R_ohm": self.R_ohm,
            "area_cm2": self.area_cm2,
            "symmetric": self.symmetric,
            "definition": self.definition,
        }


def interfacial_asr_ohm_cm2(
    R_interface_ohm: float, area_cm2: float, *, symmetric: bool = True, R_stderr_ohm: float | None = None
) -> ASR:
    """Interfacial ASR: ``R A / 2`` for a symmetric cell (per interface), ``R A`` otherwise; the standard
    error of R (``R_stderr_ohm``) scales the same way. The result's ``parameters``: ``symmetric``."""
    R = _positive("R_interface_ohm", R_interface_ohm)
    area = _positive("area_cm2", area_cm2)
    factor = area / (2.0 if symmetric else 1.0)
    stderr = None if R_stderr_ohm is None else _nonnegative("R_stderr_ohm", R_stderr_ohm) * factor
    return ASR(R * factor, R, area, bool(symmetric), stderr, parameters={"symmetric": bool(symmetric)})


def _nonnegative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value) or value < 0:
        raise ValidationError(name, f"must be a finite number >= 0, got {value!r}")
    return float(value)


def ionic_conductivity_S_cm(R_ohm: ArrayLike, *, thickness_um: float, area_cm2: float) -> NDArray[np.float64]:
    """``sigma = L / (R S)`` in S/cm with L the thickness (um -> cm) and S the area (cm2)."""
    L = _positive("thickness_um", thickness_um) * 1e-4
    S = _positive("area_cm2", area_cm2)
    R = np.asarray(R_ohm, dtype=np.float64)
    if not np.all(np.isfinite(R)) or np.any(R <= 0):
        raise ValidationError("R_ohm", "resistances must be finite and > 0 ohm")
    return L / (R * S)


def conductivity_from_cell_constant(R_ohm: ArrayLike, cell_constant_per_cm: float) -> NDArray[np.float64]:
    """``sigma = K / R`` (S/cm) for a conductivity cell of cell constant ``K`` (1/cm)."""
    K = _positive("cell_constant_per_cm", cell_constant_per_cm)
    R = np.asarray(R_ohm, dtype=np.float64)
    if not np.all(np.isfinite(R)) or np.any(R <= 0):
        raise ValidationError("R_ohm", "resistances must be finite and > 0 ohm")
    return K / R


@dataclass(frozen=True, repr=False)
class ArrheniusFit(Result):
    """Straight line ``ln(y) = ln(A) - Ea / (R_gas T)`` through the points inside the window."""

    kind: ClassVar[str] = "arrhenius"
    version: ClassVar[int] = 1
    form: ArrheniusForm
    Ea_kJ_mol: Quantity
    Ea_eV: Quantity
    Ea_ci95_kJ_mol: tuple[float, float] | None
    prefactor: Quantity
    ln_prefactor: float
    r2: float
    temperatures_C: tuple[float, ...]
    values: tuple[float, ...]
    window_C: tuple[float, float] | None
    n_points: int

    @property
    def definition(self) -> str:
        return ARRHENIUS_FORMS[self.form][1] + ", T in K; Ea = -slope x R_gas"

    def metrics(self) -> tuple[Metric, ...]:
        where = f"{self.n_points} points, {min(self.temperatures_C):g}..{max(self.temperatures_C):g} degC"
        return (
            Metric.of("Ea", self.Ea_kJ_mol, definition=f"activation energy: least-squares line of {self.definition} "
                      f"({where}); stderr from the residuals (none with two points)"),
            Metric.of("prefactor", self.prefactor, definition=f"A = exp(intercept) of {ARRHENIUS_FORMS[self.form][1]}"),
            Metric("r2", self.r2, "", definition="coefficient of determination of the line"),
        )

    def content(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "definition": self.definition,
            "values_are": ARRHENIUS_FORMS[self.form][0],
            "Ea_kJ_mol": self.Ea_kJ_mol.value,
            "Ea_kJ_mol_stderr": self.Ea_kJ_mol.stderr,
            "Ea_eV": self.Ea_eV.value,
            "Ea_eV_stderr": self.Ea_eV.stderr,
            "Ea_ci95_kJ_mol": list(self.Ea_ci95_kJ_mol) if self.Ea_ci95_kJ_mol else None,
            "prefactor": self.prefactor.to_dict(),
            "ln_prefactor": self.ln_prefactor,
            "r2": self.r2,
            "n_points": self.n_points,
            "window_C": list(self.window_C) if self.window_C else None,
            "temperature_range_used_C": [min(self.temperatures_C), max(self.temperatures_C)],
            "temperatures_C": list(self.temperatures_C),
            "values": list(self.values),
        }

    def tables(self) -> dict[str, dict[str, NDArray[np.float64]]]:
        return {"arrhenius": {"temperature_C": np.array(self.temperatures_C), ARRHENIUS_FORMS[self.form][0]: np.array(self.values)}}

    def headline(self) -> str:
        return (f"Ea {self.Ea_kJ_mol:.4g} ({self.Ea_eV:.3g}), {self.form}, R^2 {self.r2:.4f}, "
                f"{self.n_points} points {min(self.temperatures_C):g}..{max(self.temperatures_C):g} degC")


def arrhenius_fit(
    temperatures_C: Sequence[float] | ArrayLike,
    values: Sequence[float] | ArrayLike,
    *,
    form: ArrheniusForm,
    window_C: tuple[float, float] | None = None,
) -> ArrheniusFit:
    """Arrhenius line in ``form`` (``sigmaT``, ``sigma``: values are conductivities; ``1/R``, ``T/R``:
    values are resistances) over the points with ``window_C[0] <= T <= window_C[1]`` (all when None; the
    range used is recorded either way). Ea in kJ/mol and eV with stderr and a 95 % t-interval (needs >= 3 points).
    The result's ``parameters`` are ``form`` and ``window_C`` (the points are its content).
    """
    if form not in ARRHENIUS_FORMS:
        raise ValidationError("form", f"expected one of {', '.join(ARRHENIUS_FORMS)}, got {form!r}")
    T_C, y, window = _arrhenius_points(temperatures_C, values, ARRHENIUS_FORMS[form][0], window_C)
    T = T_C + ZERO_CELSIUS_K
    ln_y = {"sigmaT": np.log(y * T), "sigma": np.log(y), "1/R": -np.log(y), "T/R": np.log(T / y)}[form]
    x = 1.0 / T
    n = x.size
    X = np.column_stack([x, np.ones(n)])
    coef, *_ = np.linalg.lstsq(X, ln_y, rcond=None)
    slope, intercept = float(coef[0]), float(coef[1])
    fitted = X @ coef
    ss_res = float(np.sum((ln_y - fitted) ** 2))
    ss_tot = float(np.sum((ln_y - ln_y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    Ea = -slope * GAS_CONSTANT_J_MOL_K / 1e3
    Ea_err, ci, prefactor_err = _arrhenius_errors(X, ss_res, Ea, intercept) if n > 2 else (None, None, None)
    return ArrheniusFit(
        form=form,
        Ea_kJ_mol=Quantity(Ea, Ea_err, "kJ/mol"),
        Ea_eV=Quantity(kJ_mol_to_eV(Ea), kJ_mol_to_eV(Ea_err) if Ea_err is not None else None, "eV"),
        Ea_ci95_kJ_mol=ci,
        prefactor=Quantity(math.exp(intercept), prefactor_err, ARRHENIUS_FORMS[form][2]),
        ln_prefactor=intercept,
        r2=r2,
        temperatures_C=tuple(float(t) for t in T_C),
        values=tuple(float(v) for v in y),
        window_C=window,
        n_points=n,
        parameters={"form": form, "window_C": list(window) if window else None},
    )


def _arrhenius_points(
    temperatures_C: Sequence[float] | ArrayLike,
    values: Sequence[float] | ArrayLike,
    values_are: str,
    window_C: tuple[float, float] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[float, float] | None]:
    """The points (degC, value) inside ``window_C`` (all when None) and the window as floats, checked: finite,
    above absolute zero, values (``values_are``) > 0, at least two distinct temperatures."""
    T_C = np.asarray(temperatures_C, dtype=np.float64).ravel()
    y = np.asarray(values, dtype=np.float64).ravel()
    if T_C.size != y.size:
        raise ValidationError("values", f"{y.size} values for {T_C.size} temperatures")
    if not np.all(np.isfinite(T_C)) or np.any(T_C <= -ZERO_CELSIUS_K):
        raise ValidationError("temperatures_C", "temperatures must be finite and above -273.15 degC")
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise ValidationError("values", f"{values_are} must be finite and > 0")
    window = None
    if window_C is not None:
        low, high = (float(v) for v in window_C)
        if not low < high:
            raise ValidationError("window_C", f"need low < high, got {window_C!r}")
        window = (low, high)
        inside = (T_C >= low) & (T_C <= high)
        T_C, y = T_C[inside], y[inside]
    if np.unique(T_C).size < 2:
        raise FitError(f"an Arrhenius fit needs at least two distinct temperatures in the window, got {T_C.size}")
    return T_C, y, window


def _arrhenius_errors(
    X: NDArray[np.float64], ss_res: float, Ea_kJ_mol: float, intercept: float
) -> tuple[float, tuple[float, float], float]:
    """Standard error of Ea (kJ/mol), its 95 % t-interval and the standard error of the prefactor, from the
    residual sum of squares ``ss_res`` of the line (design matrix ``X``: 1/T, 1; needs more than two points)."""
    from scipy.stats import t as student_t

    n = X.shape[0]
    s2 = ss_res / (n - 2)
    cov = s2 * np.linalg.inv(X.T @ X)
    slope_err, intercept_err = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    Ea_err_kJ_mol = slope_err * GAS_CONSTANT_J_MOL_K / 1e3
    half = float(student_t.ppf(0.975, n - 2)) * Ea_err_kJ_mol
    return Ea_err_kJ_mol, (Ea_kJ_mol - half, Ea_kJ_mol + half), math.exp(intercept) * intercept_err
