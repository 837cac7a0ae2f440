"""The Arrhenius figure (:class:`~anodelab.impedance.derived.ArrheniusFit`, also inside
:class:`~anodelab.impedance.analyses.InterfacialArrhenius` and :class:`~anodelab.impedance.analyses.Conductivity`):
the linearised points vs 1000/T, the fitted line, Ea ± its standard error in the legend, the temperature
in °C along the top.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.constants import GAS_CONSTANT_J_MOL_K, ZERO_CELSIUS_K
from anodelab.core.errors import NotApplicableError
from anodelab.impedance.analyses import Conductivity, InterfacialArrhenius
from anodelab.impedance.derived import ArrheniusFit
from anodelab.report.figures.style import (
    OKABE_ITO,
    house_style,
    label,
    new_figure,
    require,
    save,
    with_error,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: the y axis of each form of :func:`~anodelab.impedance.derived.arrhenius_fit`
Y_LABELS = {
    "sigmaT": "ln(σT / S K cm⁻¹)",
    "sigma": "ln(σ / S cm⁻¹)",
    "1/R": "ln(R⁻¹ / S)",
    "T/R": "ln((T/R) / K Ω⁻¹)",
}
INVERSE_T = label("1000 T⁻¹", "K⁻¹")


def linearised(fit: ArrheniusFit) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(1000/T in 1/K, the fitted ln y) of the fit's points: ln(sigma T), ln(sigma), ln(1/R) or ln(T/R)."""
    T = np.asarray(fit.temperatures_C, dtype=float) + ZERO_CELSIUS_K
    y = np.asarray(fit.values, dtype=float)
    ln_y = {"sigmaT": np.log(y * T), "sigma": np.log(y), "1/R": -np.log(y), "T/R": np.log(T / y)}[fit.form]
    return 1000.0 / T, ln_y


def _celsius(inverse_kK: ArrayLike) -> NDArray[np.float64]:
    """1000/T (1/K) -> T (degC), for the top axis (infinite where 1000/T <= 0)."""
    x = np.asarray(inverse_kK, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, 1000.0 / np.where(x > 0, x, 1.0), np.inf) - ZERO_CELSIUS_K


def _inverse_kK(celsius: ArrayLike) -> NDArray[np.float64]:
    """T (degC) -> 1000/T (1/K), the inverse of :func:`_celsius`."""
    x = np.asarray(celsius, dtype=float) + ZERO_CELSIUS_K
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, 1000.0 / np.where(x > 0, x, 1.0), np.inf)


@house_style
def arrhenius_figure(result: ArrheniusFit | InterfacialArrhenius | Conductivity) -> Figure:
    """ln y vs 1000/T of the points the fit used (markers), the least-squares line, and in the legend
    Ea ± stderr in kJ/mol and eV and R²; the temperature in °C along the top axis."""
    require(result, (ArrheniusFit, InterfacialArrhenius, Conductivity), "arrhenius_figure")
    fit = result if isinstance(result, ArrheniusFit) else result.arrhenius
    if fit is None:
        raise NotApplicableError("no Arrhenius fit: the spectra are at one temperature")
    x, ln_y = linearised(fit)
    figure = new_figure("single", 2.6)
    ax = figure.add_subplot()
    what = "R_interface" if isinstance(result, InterfacialArrhenius) else "σ" if fit.form.startswith("sigma") else "R"
    ax.plot(x, ln_y, "o", color=OKABE_ITO[0], ms=4, label=what, gid="arrhenius-points")
    span = float(np.ptp(x)) or 0.1
    line_x = np.linspace(float(x.min()) - 0.05 * span, float(x.max()) + 0.05 * span, 50)
    slope_K = -fit.Ea_kJ_mol.value * 1e3 / GAS_CONSTANT_J_MOL_K
    Ea = with_error(fit.Ea_kJ_mol.value, fit.Ea_kJ_mol.stderr, "kJ mol⁻¹")
    ax.plot(line_x, fit.ln_prefactor + slope_K * line_x / 1000.0, "-", color=OKABE_ITO[1],
            label=f"Ea = {Ea} ({fit.Ea_eV.value:.3g} eV), R² = {fit.r2:.4f}", gid="arrhenius-fit")
    ax.set_xlabel(INVERSE_T)
    ax.set_ylabel(Y_LABELS[fit.form])
    ax.legend(loc="best")
    ax.tick_params(top=False)
    top = ax.secondary_xaxis("top", functions=(_celsius, _inverse_kK))
    top.set_xlabel(label("Temperature", "°C"))
    top.tick_params(direction="in")
    return figure


def plot_arrhenius(result: ArrheniusFit | InterfacialArrhenius | Conductivity, path: str | Path) -> list[Path]:
    """:func:`arrhenius_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(arrhenius_figure(result), path)
