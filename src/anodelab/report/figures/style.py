"""The house style of the static figures, and what every figure module shares.

One style for every figure: the Okabe-Ito palette for categories (safe for the common colour-vision
deficiencies) and viridis for ordered values (cycle number, time); axis labels as ``quantity / unit``;
sizes of a journal column (:data:`SINGLE_COLUMN_IN`, :data:`DOUBLE_COLUMN_IN`) with 7 pt text; glyphs
written as outlines in SVG and TrueType (type 42) in PDF/PS, so the files need no font on the reader's
machine. :func:`house_style` applies it to a function that builds a figure; :func:`save` writes PNG at
:data:`DPI` and SVG. Figures are :class:`matplotlib.figure.Figure` objects drawn by the Agg renderer
(no pyplot, no display, no global backend switch); matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from anodelab.core.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

#: a journal's single and double column widths (inches)
SINGLE_COLUMN_IN = 3.35
DOUBLE_COLUMN_IN = 7.0
#: resolution of the PNG files
DPI = 300
#: Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, orange, reddish purple,
#: sky blue, black, yellow (yellow last: it is faint on white)
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
#: the colour map of ordered values, and the part of it used for lines (its yellow end is faint on white)
SEQUENTIAL = "viridis"
LINE_SPAN = (0.0, 0.85)
#: the font: DejaVu Sans ships with matplotlib, so a figure looks the same on every machine, and it has
#: every glyph the labels use (superscript minus, Greek, ±); Arial or Liberation Sans, where installed,
#: lack the superscripts
FONTS = ("DejaVu Sans",)
#: the formats :func:`save` writes unless told otherwise, and those it can write
FORMATS = ("png", "svg")
KNOWN_FORMATS = ("png", "svg", "pdf")
#: points a long curve keeps on display (a column at 300 dpi is about 1000 pixels wide)
DISPLAY_POINTS = 2000

P = ParamSpec("P")
T = TypeVar("T")


def rc() -> dict[RcKeyType, Any]:
    """The matplotlib settings of the house style."""
    from cycler import cycler

    fonts = list(FONTS)
    return {
        "font.family": "sans-serif",
        "font.sans-serif": fonts,
        "font.size": 7.0,
        "axes.labelsize": 7.0,
        "axes.titlesize": 7.0,
        "xtick.labelsize": 6.5,
        "ytick.labelsize": 6.5,
        "legend.fontsize": 6.0,
        "legend.frameon": False,
        "legend.handlelength": 1.5,
        "axes.linewidth": 0.6,
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "axes.unicode_minus": True,
        "lines.linewidth": 1.0,
        "lines.markersize": 3.0,
        "errorbar.capsize": 2.0,
        "xtick.direction": "in",
        "ytick.direction": "in",
        "xtick.top": True,
        "ytick.right": True,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.minor.width": 0.4,
        "ytick.minor.width": 0.4,
        "mathtext.default": "regular",
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "svg.fonttype": "path",
        "svg.hashsalt": "anodelab",
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "image.cmap": SEQUENTIAL,
    }


def house_style(build: Callable[P, T]) -> Callable[P, T]:
    """Run ``build`` (a function that makes a figure) under the house style."""

    @functools.wraps(build)
    def styled(*args: P.args, **kwargs: P.kwargs) -> T:
        import matplotlib

        with matplotlib.rc_context(rc()):
            return build(*args, **kwargs)

    return styled


def new_figure(width: Literal["single", "double"] | float = "single", height_in: float | None = None) -> Figure:
    """An empty figure (constrained layout) one column wide (``"single"``, 3.35 in), two (``"double"``,
    7 in) or ``width`` inches; ``height_in`` defaults to 3/4 of the width."""
    from matplotlib.figure import Figure

    columns = {"single": SINGLE_COLUMN_IN, "double": DOUBLE_COLUMN_IN}
    if isinstance(width, str) and width not in columns:
        raise ValidationError("width", f"expected 'single', 'double' or inches, got {width!r}")
    width_in = columns[width] if isinstance(width, str) else float(width)
    return Figure(figsize=(width_in, height_in if height_in is not None else 0.75 * width_in), layout="constrained")


def save(figure: Figure, path: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``figure`` as ``<path>.png`` (at :data:`DPI`) and ``<path>.svg`` (or ``formats``) and return
    the paths. A ``.png``/``.svg``/``.pdf`` suffix of ``path`` is replaced, any other suffix kept
    (``cell.mpr.drt`` -> ``cell.mpr.drt.png``). The files carry no date, so a figure redrawn is the same."""
    import matplotlib

    unknown = [f for f in formats if f not in KNOWN_FORMATS]
    if unknown or not formats:
        raise ValidationError("formats", f"expected some of {', '.join(KNOWN_FORMATS)}, got {list(formats)!r}")
    path = Path(path)
    stem = path.with_suffix("") if path.suffix.lower().lstrip(".") in KNOWN_FORMATS else path
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(rc()):
        for fmt in formats:
            target = stem.with_name(f"{stem.name}.{fmt}")
            metadata = {"Date": None} if fmt == "svg" else {"CreationDate": None} if fmt == "pdf" else {}
            figure.savefig(target, format=fmt, dpi=DPI, metadata=metadata)
            written.append(target)
    return written


def label(quantity: str, unit: str = "") -> str:
    """An axis label ``quantity / unit`` (ISO 80000-1), or the quantity alone for a number."""
    return f"{quantity} / {unit}" if unit else quantity


def value_colours(values: ArrayLike) -> tuple[list[tuple[float, float, float, float]], ScalarMappable]:
    """A colour per value from the sequential map (over :data:`LINE_SPAN`), and the mappable a colour
    bar of those values needs."""
    import matplotlib
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    values = np.asarray(values, dtype=float)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if high == low:
        low, high = low - 0.5, high + 0.5
    cmap = ListedColormap(matplotlib.colormaps[SEQUENTIAL](np.linspace(*LINE_SPAN, 256)))
    norm = Normalize(low, high)
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    return [tuple(c) for c in cmap(norm(values))], mappable


def decimate(x: ArrayLike, y: ArrayLike, max_points: int = DISPLAY_POINTS) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """At most about ``max_points`` points of the curve (x, y) for display, keeping its extremes: the
    points are cut into ``max_points / 4`` buckets in order and each keeps its first, last, lowest and
    highest y (in their order). A shorter curve is returned whole."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValidationError("y", f"x and y must be 1-D arrays of one length, got {x.shape} and {y.shape}")
    if x.size <= max_points:
        return x, y
    buckets = max(max_points // 4, 1)
    edges = np.linspace(0, x.size, buckets + 1).astype(np.intp)
    keep = np.zeros(x.size, dtype=bool)
    keep[edges[:-1]] = True
    keep[edges[1:] - 1] = True
    finite = np.where(np.isfinite(y), y, np.nan)
    for start, end in itertools.pairwise(edges):
        block = finite[start:end]
        if np.all(np.isnan(block)):
            continue
        keep[start + int(np.nanargmin(block))] = True
        keep[start + int(np.nanargmax(block))] = True
    return x[keep], y[keep]


def time_axis(seconds: ArrayLike) -> tuple[NDArray[np.float64], str]:
    """Times in the unit that reads best for their span (s below 2 min, min below 2 h, else h) and the
    axis label."""
    seconds = np.asarray(seconds, dtype=float)
    span = float(np.nanmax(seconds) - np.nanmin(seconds)) if seconds.size else 0.0
    if span < 120.0:
        return seconds, label("Time", "s")
    if span < 7200.0:
        return seconds / 60.0, label("Time", "min")
    return seconds / 3600.0, label("Time", "h")


def require(result: Any, expected: type | tuple[type, ...], figure: str) -> None:
    """Raise :class:`ValidationError` unless ``result`` is one of the ``expected`` result types."""
    if not isinstance(result, expected):
        names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
        raise ValidationError("result", f"{figure} draws a {names}, got {type(result).__name__}")


def pick_cycles(available: Sequence[int], cycles: Sequence[int] | int | None, *, many: int = 10) -> list[int]:
    """The cycles a figure shows: ``cycles`` (each must be ``available``), or when None all of them up
    to ``many``, beyond that those papers show: 1, 2, 5, 10, 20, 50, 100, 200, 500, ... and the last."""
    present = sorted({int(c) for c in available})
    if cycles is not None:
        wanted = sorted({int(c) for c in np.atleast_1d(np.asarray(cycles))})
        missing = [c for c in wanted if c not in present]
        if missing or not wanted:
            raise ValidationError("cycles", f"cycles {missing or wanted} are not in the result "
                                            f"(it has {present[0] if present else '-'}..{present[-1] if present else '-'})")
        return wanted
    if len(present) <= many:
        return present
    marks = {1, 2} | {m * 10**k for k in range(7) for m in (1, 2, 5)}
    return sorted({c for c in present if c in marks} | {present[-1]})


def with_error(value: float, stderr: float | None, unit: str = "") -> str:
    """``8.007 ± 0.017 kJ mol⁻¹``: the value to the decimal of the standard error's second significant
    digit (4 significant digits without one)."""
    tail = f" {unit}" if unit else ""
    if stderr is None or not np.isfinite(stderr) or stderr <= 0:
        return f"{value:.4g}{tail}"
    decimals = max(0, 1 - int(np.floor(np.log10(stderr))))
    return f"{value:.{decimals}f} ± {stderr:.{decimals}f}{tail}"
