"""The HTML report of a study: ``OUT/report/index.html``, built from the results store alone.

>>> from anodelab.report.html import write_report
>>> write_report("study/anodelab-results/anodelab.duckdb", "study/anodelab-results")  # doctest: +SKIP
PosixPath('study/anodelab-results/report/index.html')

The page opens from disk with no server and no network: its styles, script and figure data are
inlined, and the plotting library is one file beside it (``plotly.min.js``); nothing is fetched.

**Why plotly.js.** The figures need log axes (Bode, DRT, Tafel, KK residuals), an interpolated
contour map (the DRT over time and tau), twin y axes (capacity and CE), error bars, equal-aspect
axes (Nyquist), hover read-outs and zoom. plotly.js does all of these in one library with no
build step, draws SVG (so it renders in a headless browser without a GPU) and exports a figure as
SVG or PNG from the page. Its cost is size (about 4.8 MB, written once beside the page, loaded
after the page's text and compiled in about 1 s on a cold open of a 2-core machine, 0.2 s warm) and
about 30 ms of drawing per figure, so the page draws each figure as it nears the screen (those on
screen first, the rest while the browser idles; see ``report/static/report.js``); lighter libraries
(uPlot, Chart.js) lack contours or equal-aspect axes and would need plugins. The bundle comes from the ``plotly`` Python package (``plotly/package_data/
plotly.min.js``); the Python plotting API is not used: figures are plain JSON
(:mod:`anodelab.report.html.plots`).

Layout: :mod:`~anodelab.report.data` reads the store, :mod:`~anodelab.report.html.experiment`
picks each file's figures, :mod:`~anodelab.report.html.page` gathers the page, the jinja2
template (``report/templates/report.html.j2``) writes it, ``report/static/`` holds its CSS and JS.
"""

from __future__ import annotations

import collections
import glob
import importlib.util
import os
import shutil
from pathlib import Path

from anodelab.core.errors import AnodelabError
from anodelab.report.figures import file_stem
from anodelab.report.html import page as pages
from anodelab.report.html.encode import dumps
from anodelab.report.html.numbers import exact, number
from anodelab.report.html.page import Headline, Page
from anodelab.store import Store
from anodelab.store import open as open_store

#: where the report goes inside ``OUT``, and the plotting library's file beside it
FOLDER = "report"
PLOTLY = "plotly.min.js"
_HERE = Path(__file__).resolve().parent.parent


def write_report(database: str | os.PathLike[str] | Store, out_dir: str | os.PathLike[str], *,
                 run_id: int | None = None, headline: Headline = None) -> Path:
    """Write the report of run ``run_id`` (default: the last) of the store ``database`` (a path, or a
    :class:`~anodelab.store.Store` already open) to ``out_dir/report/index.html`` and return that path.

    ``headline``: per analysis, the metric names the overview tables show (the registry's
    ``Analysis.headline``); without it, every metric that has no index.
    """
    if isinstance(database, Store):
        page = pages.build(database, run_id, headline)
    else:
        with open_store(database, read_only=True) as db:
            page = pages.build(db, run_id, headline)
    folder = Path(out_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for section in page.sections:
        section.static = static_figures(folder, section.experiment.path)
    _install_plotly(folder / PLOTLY)
    target = folder / "index.html"
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(render(page), encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def static_figures(folder: Path, path: str) -> list[tuple[str, str, str]]:
    """The publication figures the study drew of the file at ``path`` (``folder/figures/<stem>.<name>.png``
    with its ``.svg``), as (name, PNG, SVG) paths relative to the page, by name."""
    stem = file_stem(path)
    found = []
    for png in sorted((folder / "figures").glob(f"{glob.escape(stem)}.*.png")):
        name = png.name[len(stem) + 1:-len(".png")]
        svg = png.with_suffix(".svg")
        found.append((name, f"figures/{png.name}", f"figures/{svg.name}" if svg.is_file() else ""))
    return found


def render(page: Page) -> str:
    """The page as HTML."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(_HERE / "templates"), autoescape=True,
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    template = environment.get_template("report.html.j2")
    kinds = collections.Counter("unread" if e.error else (e.kind or "unknown") for e in page.experiments)
    return template.render(page=page, number=number, exact=exact, kind_counts=sorted(kinds.items()),
                           css=_static("report.css"), js=_static("report.js"), plotly=PLOTLY,
                           figure_json=dumps(page.figures))


def plotly_bundle() -> Path:
    """The offline plotly.js bundle of the installed ``plotly`` package."""
    spec = importlib.util.find_spec("plotly")
    bundle = Path(spec.origin).parent / "package_data" / PLOTLY if spec is not None and spec.origin else None
    if bundle is None or not bundle.is_file():
        raise AnodelabError("the HTML report needs plotly.js, from the 'plotly' package (its offline bundle "
                            "plotly/package_data/plotly.min.js): pip install plotly")
    return bundle


def _install_plotly(target: Path) -> None:
    """Copy the bundle beside the page unless the same file is there already."""
    bundle = plotly_bundle()
    if target.is_file() and target.stat().st_size == bundle.stat().st_size and target.read_bytes() == bundle.read_bytes():
        return
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(bundle, temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _static(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


__all__ = ["FOLDER", "PLOTLY", "plotly_bundle", "render", "static_figures", "write_report"]
