"""Figures of the DRT: gamma curves with their credible band and peaks, and the map of a series.

Each function takes a result of :mod:`anodelab.drt`, writes one PNG (or whatever ``path``'s suffix names)
and returns the path. matplotlib is imported here, with the non-interactive Agg backend, so drawing
needs no display.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from anodelab.drt.result import DRTResult, DRTSeriesResult


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


def plot_drt_curves(results: DRTResult | DRTSeriesResult, path: str | Path, *, labels: list[str] | None = None) -> Path:
    """gamma(tau) of one spectrum (with its band when computed) or of every spectrum of a series,
    the peaks marked and the process windows shaded."""
    _use_agg()
    import matplotlib.pyplot as plt

    items = list(results.results) if isinstance(results, DRTSeriesResult) else [results]
    fig, ax = plt.subplots(figsize=(6.0, 3.8), layout="constrained")
    colours = plt.cm.viridis(np.linspace(0.0, 0.9, len(items)))
    for index, (result, colour) in enumerate(zip(items, colours, strict=True)):
        label = labels[index] if labels else None
        ax.semilogx(result.tau_s, result.gamma_ohm, color=colour, lw=1.2, label=label)
        if result.gamma_lower_ohm is not None and result.gamma_upper_ohm is not None:
            band_label = f"{result.credible:.0%} band" if len(items) == 1 else None
            ax.fill_between(result.tau_s, result.gamma_lower_ohm, result.gamma_upper_ohm, color=colour, alpha=0.25,
                            lw=0, label=band_label)
        for peak in result.peaks:
            ax.plot(peak.tau_max_s, peak.gamma_ohm, "v", color=colour, ms=4)
            if len(items) == 1:
                name = f"{peak.process}: " if peak.process else "tail: " if peak.tail else ""
                ax.annotate(f"{name}{peak.R.value:.3g} Ω", (peak.tau_max_s, peak.gamma_ohm), textcoords="offset points",
                            xytext=(0, 6), ha="center", fontsize=7)
    windows = items[0].windows or {}
    for name, (low, high) in windows.items():
        ax.axvspan(low, high, color="0.9", zorder=0)
        ax.text((low * high) ** 0.5, 1.0, name, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=7)
    ax.set_xlabel("τ / s")
    ax.set_ylabel("γ / Ω")
    if labels or (len(items) == 1 and items[0].gamma_lower_ohm is not None):
        ax.legend(fontsize=7, frameon=False)
    path = Path(path)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def plot_drt_map(series: DRTSeriesResult, path: str | Path) -> Path:
    """The DRT map of a series: gamma (colour) over log tau and the series coordinate, with the
    per-process resistance traces beneath."""
    _use_agg()
    import matplotlib.pyplot as plt

    traces = series.process_R_ohm
    rows = 2 if traces else 1
    fig, axes = plt.subplots(rows, 1, figsize=(6.0, 3.2 * rows), sharex=True, layout="constrained", squeeze=False)
    x = series.coordinate / 3600.0 if series.coordinate_name == "time_s" else series.coordinate
    xlabel = "time / h" if series.coordinate_name == "time_s" else series.coordinate_name
    ax = axes[0, 0]
    mesh = ax.pcolormesh(x, series.tau_s, series.gamma_map_ohm, shading="nearest", cmap="viridis")
    ax.set_yscale("log")
    ax.set_ylabel("τ / s")
    fig.colorbar(mesh, ax=ax, label="γ / Ω")
    for name, (low, high) in (series.results[0].windows or {}).items():
        for bound in (low, high):
            ax.axhline(bound, color="w", lw=0.5, ls=":")
        ax.text(1.0, (low * high) ** 0.5, f" {name}", transform=ax.get_yaxis_transform(), va="center", fontsize=7)
    if traces:
        ax = axes[1, 0]
        for name, values in traces.items():
            ax.errorbar(x, values, yerr=series.process_R_ohm_stderr[name], marker="o", ms=3, capsize=2, label=name)
        ax.set_ylabel("R / Ω")
        ax.legend(fontsize=7, frameon=False)
    axes[-1, 0].set_xlabel(xlabel)
    path = Path(path)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
