"""Publication-style static figures (PNG at 300 dpi and SVG) of analysis results, one module per family.

Each figure is a pair: ``<name>_figure(result, ...) -> matplotlib Figure`` and
``plot_<name>(result, path, ...) -> [path.png, path.svg]``. They take result objects, never files;
matplotlib is imported only when a figure is drawn. The house style is :mod:`.style`.

- :mod:`.cycling`: :func:`plot_voltage_profiles`, :func:`plot_capacity`, :func:`plot_rate_capability`, :func:`plot_dqdv`
- :mod:`.impedance`: :func:`plot_impedance` (Nyquist, Bode, residuals), :func:`plot_nyquist` (a series), :func:`plot_kk`
- :mod:`.drt`: :func:`plot_drt_curves`, :func:`plot_drt_map`
- :mod:`.arrhenius`: :func:`plot_arrhenius`

In a study the figures of a file go to ``OUT/report/figures/<stem>.<figure>.png|svg``, ``<stem>`` the
file's path in the study with ``/`` as ``__`` (:func:`file_stem`), so the report finds them by name.
"""

from anodelab.report.figures.arrhenius import arrhenius_figure, plot_arrhenius
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
from anodelab.report.figures.impedance import (
    impedance_figure,
    kk_figure,
    nyquist_figure,
    plot_impedance,
    plot_kk,
    plot_nyquist,
)
from anodelab.report.figures.style import save

__all__ = [
    "arrhenius_figure",
    "capacity_figure",
    "dqdv_figure",
    "drt_curves_figure",
    "drt_map_figure",
    "file_stem",
    "impedance_figure",
    "kk_figure",
    "nyquist_figure",
    "plot_arrhenius",
    "plot_capacity",
    "plot_dqdv",
    "plot_drt_curves",
    "plot_drt_map",
    "plot_impedance",
    "plot_kk",
    "plot_nyquist",
    "plot_rate_capability",
    "plot_voltage_profiles",
    "rate_capability_figure",
    "save",
    "voltage_profiles_figure",
]


def file_stem(path: str) -> str:
    """The name a study file's figures start with: its POSIX path in the study, ``/`` written ``__``."""
    return path.replace("/", "__")
