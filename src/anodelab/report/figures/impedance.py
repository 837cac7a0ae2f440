"""Figures of impedance results (:mod:`anodelab.impedance`): one spectrum's Nyquist and Bode plots with
the fitted circuit and the residuals, the Nyquist plots of a series, and the lin-KK residuals.

The spectra are the ones the fits kept (:attr:`CircuitFit.Z_ohm` at :attr:`CircuitFit.frequency_Hz`);
the fitted curve is the fitted circuit evaluated on 300 frequencies over the measured range, so it is
smooth between the points. A series' analyses (:class:`SeriesFit`, :class:`InterfacialArrhenius`,
:class:`Conductivity`) are taken as they are. ``*_figure`` functions return a Figure; ``plot_*`` write
``<path>.png`` and ``<path>.svg`` and return the paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from anodelab.core.errors import ValidationError
from anodelab.impedance.analyses import Conductivity, InterfacialArrhenius
from anodelab.impedance.fit import CircuitFit, SeriesFit
from anodelab.impedance.kk import KKResult, SeriesKK
from anodelab.report.figures.style import (
    OKABE_ITO,
    house_style,
    label,
    new_figure,
    require,
    save,
    time_axis,
    value_colours,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FitLike = CircuitFit | SeriesFit | InterfacialArrhenius | Conductivity
Z_REAL = label("Z′", "Ω")
Z_IMAG = label("−Z″", "Ω")
FREQUENCY = label("Frequency", "Hz")
#: points of the fitted curve
CURVE_POINTS = 300
#: more spectra than this get a colour bar instead of a legend
LEGEND_SPECTRA = 6


def _fits(result: FitLike, figure: str) -> tuple[CircuitFit, ...]:
    require(result, (CircuitFit, SeriesFit, InterfacialArrhenius, Conductivity), figure)
    if isinstance(result, CircuitFit):
        return (result,)
    series = result if isinstance(result, SeriesFit) else result.fits
    return series.fits


def _one(items: Sequence[Any], index: int, what: str) -> Any:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -len(items) <= index < len(items):
        raise ValidationError("spectrum", f"{what} holds spectra 0..{len(items) - 1}, got {index!r}")
    return items[index]


def fitted_curve(fit: CircuitFit) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
    """The fitted circuit's impedance on :data:`CURVE_POINTS` log-spaced frequencies over the measured range."""
    frequency = np.geomspace(fit.frequency_Hz.max(), fit.frequency_Hz.min(), CURVE_POINTS)
    return frequency, np.asarray(fit.build().impedance(frequency), dtype=np.complex128)


def _nyquist_axes(ax: Axes, drawn: Sequence[NDArray[np.complex128]], height_ratio: float) -> None:
    """Equal scales on both axes, -Z'' up from 0 (or the lowest point), the box ``height_ratio`` times as
    tall as wide unless the points need it taller."""
    Z = np.concatenate([np.asarray(z) for z in drawn])
    x, y = Z.real, -Z.imag
    pad = 0.04 * (float(np.ptp(x)) or 1.0)
    x_low, x_high = float(x.min()) - pad, float(x.max()) + pad
    y_low = min(0.0, float(y.min())) - pad
    y_high = max(float(y.max()) + pad, y_low + height_ratio * (x_high - x_low))
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(Z_REAL)
    ax.set_ylabel(Z_IMAG)


def _log_labels(ax: Axes) -> None:
    """Plain numbers on a log y axis spanning under 1.5 decades (the decades, 2, 3 and 5 times them),
    else the decades alone."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    low, high = ax.get_ylim()
    if np.log10(high / low) < 1.5:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(
            lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "235" else ""))
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def _threshold(ax: Axes, threshold_pct: float, name: str) -> None:
    """The lin-KK pass threshold as dashed lines at +-threshold."""
    for sign in (1.0, -1.0):
        ax.axhline(sign * threshold_pct, color="0.4", lw=0.6, ls="--", gid="kk-threshold",
                   label=f"{name} ±{threshold_pct:g} %" if sign > 0 else None)


@house_style
def impedance_figure(result: FitLike, kk: KKResult | SeriesKK | None = None, *, spectrum: int = 0) -> Figure:
    """One spectrum (``spectrum`` of a series) with its fitted circuit: the Nyquist plot (equal axes, -Z''
    up), |Z| and phase vs frequency, and below the residuals 100 (Z - Z_fit) / |Z| of the fit (markers)
    and, given ``kk``, of the lin-KK test (lines, its pass threshold dashed)."""
    fits = _fits(result, "impedance_figure")
    fit: CircuitFit = _one(fits, spectrum, "the fit")
    test: KKResult | None = None
    if kk is not None:
        require(kk, (KKResult, SeriesKK), "impedance_figure (kk)")
        tests = kk.results if isinstance(kk, SeriesKK) else (kk,)
        if len(tests) != len(fits):
            raise ValidationError("kk", f"the KK test has {len(tests)} spectra, the fit {len(fits)}")
        test = _one(tests, spectrum, "the KK test")
        if test.frequency_Hz.shape != fit.frequency_Hz.shape or not np.allclose(test.frequency_Hz, fit.frequency_Hz):
            raise ValidationError("kk", f"the KK test of spectrum {spectrum} ran on other frequencies than the fit")
    figure = new_figure("double", 4.8)
    axes = figure.subplot_mosaic([["nyquist", "modulus"], ["nyquist", "phase"], ["residuals", "residuals"]],
                                 height_ratios=[1.0, 1.0, 0.8], width_ratios=[1.0, 1.0])
    data, model = OKABE_ITO[0], OKABE_ITO[1]
    frequency, curve = fitted_curve(fit)
    Z = fit.Z_ohm
    ax = axes["nyquist"]
    ax.plot(Z.real, -Z.imag, "o", color=data, markerfacecolor="none", label="data", gid="nyquist-data")
    ax.plot(curve.real, -curve.imag, "-", color=model, label=f"fit {fit.circuit}", gid="nyquist-fit")
    _nyquist_axes(ax, (Z, curve), 0.6)
    ax.legend(loc="upper left")
    ax = axes["modulus"]
    ax.loglog(fit.frequency_Hz, np.abs(Z), "o", color=data, markerfacecolor="none", gid="bode-modulus-data")
    ax.loglog(frequency, np.abs(curve), "-", color=model, gid="bode-modulus-fit")
    ax.set_ylabel(label("|Z|", "Ω"))
    _log_labels(ax)
    ax.tick_params(labelbottom=False)
    ax = axes["phase"]
    ax.sharex(axes["modulus"])
    ax.semilogx(fit.frequency_Hz, -np.degrees(np.angle(Z)), "o", color=data, markerfacecolor="none",
                gid="bode-phase-data")
    ax.semilogx(frequency, -np.degrees(np.angle(curve)), "-", color=model, gid="bode-phase-fit")
    ax.set_ylabel(label("−Phase", "°"))
    ax.set_xlabel(FREQUENCY)
    ax = axes["residuals"]
    ax.semilogx(fit.frequency_Hz, fit.residuals_real_pct, "o", color=OKABE_ITO[0], ms=2.5, label="fit, real",
                gid="residuals-fit-real")
    ax.semilogx(fit.frequency_Hz, fit.residuals_imag_pct, "s", color=OKABE_ITO[2], ms=2.5, label="fit, imaginary",
                gid="residuals-fit-imag")
    if test is not None:
        _threshold(ax, test.threshold_pct, "KK threshold")
        verdict = "passed" if test.passed else "failed"
        ax.semilogx(test.frequency_Hz, test.residuals_real_pct, "-", color=OKABE_ITO[1],
                    label=f"KK, real ({verdict}, {test.n_rc} RC)", gid="residuals-kk-real")
        ax.semilogx(test.frequency_Hz, test.residuals_imag_pct, "--", color=OKABE_ITO[4], label="KK, imaginary",
                    gid="residuals-kk-imag")
    ax.axhline(0.0, color="0.5", lw=0.5)
    ax.set_xlabel(FREQUENCY)
    ax.set_ylabel(label("Residual", "%"))
    ax.legend(ncols=5, loc="lower left", bbox_to_anchor=(0.0, 1.0), borderaxespad=0.2)
    return figure


def _series_coordinate(fits: Sequence[CircuitFit]) -> tuple[NDArray[np.float64], str, list[str]]:
    """What the spectra of a series differ by: temperature, else time, else their position (values, the
    colour bar's label, a legend entry per spectrum)."""
    for name in ("temperature_C", "time_s"):
        values = np.array([fit.context.get(name, np.nan) for fit in fits], dtype=float)
        if np.all(np.isfinite(values)) and np.unique(values).size == len(fits) > 1:
            if name == "temperature_C":
                return values, label("Temperature", "°C"), [f"{v:g} °C" for v in values]
            shown, axis = time_axis(values)
            unit = axis.split(" / ")[1]
            return shown, axis, [f"{v:.3g} {unit}" for v in shown]
    positions = np.arange(len(fits), dtype=float)
    return positions, "Spectrum", [f"spectrum {i}" for i in range(len(fits))]


@house_style
def nyquist_figure(result: FitLike, *, spectra: Sequence[int] | None = None) -> Figure:
    """Nyquist plots (equal axes, -Z'' up) of the spectra of a series (``spectra``: their positions, default
    all), each with its fitted curve, coloured by temperature (else time, else position): a legend for up to
    6 spectra, else a colour bar."""
    fits = _fits(result, "nyquist_figure")
    chosen = list(range(len(fits))) if spectra is None else [int(i) for i in spectra]
    for index in chosen:
        _one(fits, index, "the fit")
    values, axis_label, names = _series_coordinate(fits)
    colours, mappable = value_colours(values[chosen]) if len(chosen) > 1 else ([OKABE_ITO[0]], None)
    figure = new_figure("single", 3.0)
    ax = figure.add_subplot()
    drawn = []
    for index, colour in zip(chosen, colours, strict=True):
        fit = fits[index]
        ax.plot(fit.Z_ohm.real, -fit.Z_ohm.imag, "o", ms=2.5, color=colour, markerfacecolor="none",
                label=names[index], gid=f"nyquist-data-{index}")
        _, curve = fitted_curve(fit)
        ax.plot(curve.real, -curve.imag, "-", lw=0.8, color=colour, gid=f"nyquist-fit-{index}")
        drawn += [fit.Z_ohm, curve]
    _nyquist_axes(ax, drawn, 0.6)
    ax.set_title(f"lines: fit {fits[0].circuit}", loc="left")
    if len(chosen) > LEGEND_SPECTRA and mappable is not None:
        figure.colorbar(mappable, ax=ax, label=axis_label, pad=0.02)
    else:
        ax.legend(loc="upper left")
    return figure


@house_style
def kk_figure(kk: KKResult | SeriesKK, *, spectrum: int | None = None) -> Figure:
    """The lin-KK residuals 100 (Z - Z_KK) / |Z| of one spectrum vs frequency, real and imaginary, with the
    pass threshold dashed and the points left out of the test grey. ``spectrum``: its position in a series
    (default the one with the largest residual)."""
    require(kk, (KKResult, SeriesKK), "kk_figure")
    tests = kk.results if isinstance(kk, SeriesKK) else (kk,)
    if spectrum is None:
        spectrum = int(np.argmax([t.max_residual_pct for t in tests]))
    test: KKResult = _one(tests, spectrum, "the KK test")
    figure = new_figure("single", 2.4)
    ax = figure.add_subplot()
    _threshold(ax, test.threshold_pct, "threshold")
    used = np.asarray(test.used, dtype=bool)
    for values, marker, colour, part in ((test.residuals_real_pct, "o", OKABE_ITO[0], "real"),
                                         (test.residuals_imag_pct, "s", OKABE_ITO[1], "imag")):
        ax.semilogx(test.frequency_Hz, values, "-", color=colour, lw=0.6)
        ax.semilogx(test.frequency_Hz[used], values[used], marker, color=colour, ms=2.5,
                    label="real" if part == "real" else "imaginary", gid=f"kk-{part}")
        if not used.all():
            ax.semilogx(test.frequency_Hz[~used], values[~used], marker, color="0.6", ms=2.5, gid=f"kk-{part}-excluded")
    ax.axhline(0.0, color="0.5", lw=0.5)
    largest = max(test.threshold_pct, float(np.max(np.abs(test.residuals_real_pct))),
                  float(np.max(np.abs(test.residuals_imag_pct))))
    ax.set_ylim(-1.2 * largest, 1.6 * largest)  # room for the legend above the threshold
    where = f"spectrum {spectrum} of {len(tests)}: " if len(tests) > 1 else ""
    verdict = "passed" if test.passed else "failed"
    ax.set_title(f"{where}lin-KK {verdict}, {test.n_rc} RC, max {test.max_residual_pct:.2g} %", loc="left")
    ax.set_xlabel(FREQUENCY)
    ax.set_ylabel(label("Residual", "%"))
    ax.legend(ncols=3, loc="upper left")
    return figure


def plot_impedance(result: FitLike, path: str | Path, kk: KKResult | SeriesKK | None = None, **options: Any) -> list[Path]:
    """:func:`impedance_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(impedance_figure(result, kk, **options), path)


def plot_nyquist(result: FitLike, path: str | Path, **options: Any) -> list[Path]:
    """:func:`nyquist_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(nyquist_figure(result, **options), path)


def plot_kk(kk: KKResult | SeriesKK, path: str | Path, **options: Any) -> list[Path]:
    """:func:`kk_figure` written as ``<path>.png`` and ``<path>.svg``."""
    return save(kk_figure(kk, **options), path)
