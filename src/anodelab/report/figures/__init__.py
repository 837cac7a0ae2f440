"""Publication-style static figures (PNG at 300 dpi and SVG) of analysis results, one module per family.

Each figure is a pair: ``<name>_figure(result, ...) -> matplotlib Figure`` and
``plot_<name>(result, path, ...) -> [path.png, path.svg]``. They take result objects, never files;
matplotlib is imported only when a figure is drawn. The house style is :mod:`.style`.

- :mod:`.cycling`: :func:`plot_voltage_profiles`, :func:`plot_capacity`, :func:`plot_rate_capability`, :func:`plot_dqdv`
- :mod:`.impedance`: :func:`plot_impedance` (Nyquist, Bode, residuals), :func:`plot_nyquist` (a series), :func:`plot_kk`
- :mod:`.drt`: :func:`plot_drt_curves`, :func:`plot_drt_map`
- :mod:`.arrhenius`: :func:`plot_arrhenius`
- :mod:`.symmetric`: :func:`plot_symmetric_trace` (long trace with zoomed insets, shorts marked), :func:`plot_ccd`
- :mod:`.plating`: :func:`plot_nucleation` (the dip with tip and plateau), :func:`plot_plating_ce` (CE vs cycle)
- :mod:`.gitt`: :func:`plot_gitt` (D vs state of charge, invalid pulses apart)
- :mod:`.tafel`: :func:`plot_tafel` (the chosen regions, lines to i0, the Butler-Volmer fit)
- :mod:`.interface`: :func:`plot_interface` (current along the interface, field map), :func:`plot_sweep`
- :mod:`.atomistic`: :func:`plot_neb` (energy along the path, the saddle, the structures)
- :mod:`.voltammetry`: :func:`plot_voltammogram` (CV with peaks), :func:`plot_didv` (onsets), :func:`plot_randles_sevcik`

In a study the figures of a file go to ``OUT/report/figures/<stem>.<figure>.png|svg``, ``<stem>`` the
file's path in the study with ``/`` as ``__`` (:func:`file_stem`), so the report finds them by name.
"""

from anodelab.report.figures.arrhenius import arrhenius_figure, plot_arrhenius
from anodelab.report.figures.atomistic import neb_figure, plot_neb
from anodelab.report.figures.cycling import (
    capacity_figure,
    dqdv_figure,
    plot_capacity,
    plot_dqdv,
    plot_rate_capability,
    plot_voltage_profiles,
    rate_capability_figure,
    voltage_profiles_figure,
)
from anodelab.report.figures.drt import (
    drt_curves_figure,
    drt_map_figure,
    plot_drt_curves,
    plot_drt_map,
)
from anodelab.report.figures.gitt import gitt_figure, plot_gitt
from anodelab.report.figures.impedance import (
    impedance_figure,
    kk_figure,
    nyquist_figure,
    plot_impedance,
    plot_kk,
    plot_nyquist,
)
from anodelab.report.figures.interface import (
    interface_figure,
    plot_interface,
    plot_sweep,
    sweep_figure,
)
from anodelab.report.figures.plating import (
    nucleation_figure,
    plating_ce_figure,
    plot_nucleation,
    plot_plating_ce,
)
from anodelab.report.figures.style import save
from anodelab.report.figures.symmetric import (
    ccd_figure,
    plot_ccd,
    plot_symmetric_trace,
    symmetric_trace_figure,
)
from anodelab.report.figures.tafel import plot_tafel, tafel_figure
from anodelab.report.figures.voltammetry import (
    didv_figure,
    plot_didv,
    plot_randles_sevcik,
    plot_voltammogram,
    randles_sevcik_figure,
    voltammogram_figure,
)

__all__ = [
    "arrhenius_figure",
    "capacity_figure",
    "ccd_figure",
    "didv_figure",
    "dqdv_figure",
    "drt_curves_figure",
    "drt_map_figure",
    "file_stem",
    "gitt_figure",
    "impedance_figure",
    "interface_figure",
    "kk_figure",
    "neb_figure",
    "nucleation_figure",
    "nyquist_figure",
    "plating_ce_figure",
    "plot_arrhenius",
    "plot_capacity",
    "plot_ccd",
    "plot_didv",
    "plot_dqdv",
    "plot_drt_curves",
    "plot_drt_map",
    "plot_gitt",
    "plot_impedance",
    "plot_interface",
    "plot_kk",
    "plot_neb",
    "plot_nucleation",
    "plot_nyquist",
    "plot_plating_ce",
    "plot_randles_sevcik",
    "plot_rate_capability",
    "plot_sweep",
    "plot_symmetric_trace",
    "plot_tafel",
    "plot_voltage_profiles",
    "plot_voltammogram",
    "randles_sevcik_figure",
    "rate_capability_figure",
    "save",
    "sweep_figure",
    "symmetric_trace_figure",
    "tafel_figure",
    "voltage_profiles_figure",
    "voltammogram_figure",
]


def file_stem(path: str) -> str:
    """The name a study file's figures start with: its POSIX path in the study, ``/`` written ``__``."""
    return path.replace("/", "__")
