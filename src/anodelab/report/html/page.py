"""The report's content, gathered from the store: the overview (headline metrics per file and kind,
group means, what failed or did not apply), the comparisons across files, and one section per
experiment (its detection, cell, figures, metrics, warnings and flags, provenance, the command
that reproduces it). The template (templates/report.html.j2) lays it out; nothing here computes a
number: each one shown is a stored value, and each table cell carries that value exactly
(``data-value``, Python's shortest repr) beside its rounded text."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from anodelab._version import __version__
from anodelab.report import data
from anodelab.report.html import experiment as drawing
from anodelab.report.html import metal, plots
from anodelab.report.html.plots import Figure
from anodelab.store import Store

#: per analysis, the metric names the overview shows (the registry's ``headline``); None: every metric without an index
Headline = Mapping[str, Sequence[str]] | None
#: record kinds whose voltage traces are overlaid in the comparisons (cycling files are compared by capacity)
TRACE_COMPARISONS = ("symmetric", "ccd", "nucleation", "plating-ce", "gitt", "cv", "lsv", "polarization")
#: units of the cell metadata's keys, by suffix
_UNITS = {"mg": "mg", "g": "g", "cm2": "cm²", "um": "µm", "C": "°C", "MPa": "MPa", "mAh": "mAh", "V": "V"}


@dataclass(frozen=True)
class Column:
    """A headline column: one metric of one analysis (at the first index of a series, when it has one)."""

    analysis: str
    name: str
    unit: str
    definition: str | None
    index_name: str | None

    @property
    def label(self) -> str:
        return self.name if self.index_name is None else f"{self.name} (first {self.index_name})"


@dataclass(frozen=True)
class KindTable:
    """The headline metrics of every file of one kind: a row per file, a column per metric."""

    kind: str
    columns: list[Column]
    rows: list[tuple[data.Experiment, list[data.MetricRow | None]]]


@dataclass(frozen=True)
class IndexedTable:
    """The metrics of one analysis that have an index (per cycle, per spectrum, per block), pivoted."""

    analysis: str
    index_name: str
    columns: list[Column]
    rows: list[tuple[int | None, list[data.MetricRow | None]]]


@dataclass(frozen=True)
class PlacedFigure:
    """A figure with its element id in the page."""

    id: str
    figure: Figure


@dataclass
class Section:
    """Everything the report says about one file."""

    experiment: data.Experiment
    anchor: str
    analyses: list[data.Analysis]
    metrics: list[data.MetricRow]
    indexed: list[IndexedTable]
    figures: list[PlacedFigure]
    warnings: list[tuple[str, str]]
    flags: list[str]
    cell: list[tuple[str, str, str]]
    provenance: list[tuple[str, str]]
    query: str
    static: list[tuple[str, str, str]] = field(default_factory=list)  # (figure, PNG, SVG) relative to the page


@dataclass
class Page:
    """The whole report."""

    title: str
    run: data.Run
    database: str
    command: str
    generated: str
    experiments: list[data.Experiment]
    kind_tables: list[KindTable]
    groups: list[tuple[str, list[data.Experiment], list[data.GroupRow]]]
    failures: list[data.Failure]
    not_applicable: list[tuple[data.Experiment, data.Analysis]]
    comparisons: list[PlacedFigure]
    sections: list[Section]
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: str = __version__  # the anodelab that wrote the report

    @property
    def folders(self) -> list[tuple[str, list[Section]]]:
        """The sections by the study folder's first level (the navigation)."""
        out: dict[str, list[Section]] = {}
        for section in self.sections:
            parts = PurePosixPath(section.experiment.path).parts
            out.setdefault(parts[0] if len(parts) > 1 else "", []).append(section)
        return list(out.items())


def build(db: Store, run_id: int | None = None, headline: Headline = None) -> Page:
    """The report of run ``run_id`` (default: the store's last run), read from ``db``."""
    run = data.latest_run(db) if run_id is None else data.run(db, run_id)
    experiments = data.experiments(db, run.run_id)
    analyses = data.analyses(db, run.run_id)
    metrics = data.metrics(db, run.run_id)
    page = Page(_title(run), run, str(db.path), reproduce(run, db.path), _now(), experiments,
                kind_tables(experiments, metrics, headline), [], data.failures(db, run.run_id), [], [], [])
    by_file: dict[int, list[data.Analysis]] = {}
    for analysis in analyses:
        by_file.setdefault(analysis.file_id, []).append(analysis)
    metrics_of: dict[int, list[data.MetricRow]] = {}
    for metric in metrics:
        metrics_of.setdefault(metric.file_id, []).append(metric)
    page.groups = _groups(experiments, data.group_rows(db, run.run_id), headline)
    drawn: dict[int, drawing.Drawn] = {}
    for item in experiments:
        mine = by_file.get(item.file_id, [])
        page.not_applicable += [(item, a) for a in mine if a.not_applicable is not None]
        done = {a.analysis: a for a in mine if a.error is None and a.not_applicable is None}
        drawn[item.file_id] = drawing.draw(db, item, done)
        page.sections.append(_section(page, db, item, mine, metrics_of.get(item.file_id, []), drawn[item.file_id]))
    page.comparisons = [_place(page, figure) for figure in comparisons(experiments, drawn, metrics_of)]
    return page


def kind_tables(experiments: Sequence[data.Experiment], metrics: Sequence[data.MetricRow],
                headline: Headline) -> list[KindTable]:
    """Per experiment kind, the headline metric of each file (see :func:`headline_metrics`)."""
    chosen = headline_metrics(metrics, headline)
    tables = []
    for kind in sorted({e.kind for e in experiments if e.kind is not None and e.error is None}):
        members = [e for e in experiments if e.kind == kind and e.error is None]
        picked = [m for e in members for m in chosen.get(e.file_id, [])]
        columns = list(dict.fromkeys(Column(m.analysis, m.name, m.unit, m.definition, m.index_name) for m in picked))
        columns = _unique_columns(columns)
        rows = []
        for member in members:
            mine = {(m.analysis, m.name): m for m in chosen.get(member.file_id, [])}
            rows.append((member, [mine.get((c.analysis, c.name)) for c in columns]))
        tables.append(KindTable(kind, columns, rows))
    return tables


def headline_metrics(metrics: Sequence[data.MetricRow], headline: Headline) -> dict[int, list[data.MetricRow]]:
    """Per file, its headline metrics: for each (analysis, name) of ``headline`` (in its order) the
    metric without an index, else the one at the first index (cycle 1, spectrum 0); with no
    ``headline``, every metric without an index."""
    out: dict[int, list[data.MetricRow]] = {}
    if headline is None:
        for metric in metrics:
            if metric.index_name is None:
                out.setdefault(metric.file_id, []).append(metric)
        return out
    first: dict[tuple[int, str, str], data.MetricRow] = {}
    for metric in metrics:
        key = (metric.file_id, metric.analysis, metric.name)
        held = first.get(key)
        if held is None or _order(metric) < _order(held):
            first[key] = metric
    for file_id in dict.fromkeys(m.file_id for m in metrics):
        out[file_id] = [first[file_id, analysis, name] for analysis, names in headline.items() for name in names
                        if (file_id, analysis, name) in first]
    return out


def reproduce(run: data.Run, database: Path) -> str:
    """The command that makes this store again: the run's folder, its study file and store when not the defaults."""
    folder = str(run.parameters.get("folder", "DIR"))
    words = ["anodelab", "analyze", folder]
    study_file = run.parameters.get("study_file")
    if study_file and Path(study_file) != Path(folder) / "study.toml":
        words += ["--study", str(study_file)]
    if Path(database) != Path(folder) / "anodelab-results" / "anodelab.duckdb":
        words += ["--db", str(database)]
    return shlex.join(words)


def comparisons(experiments: Sequence[data.Experiment], drawn: Mapping[int, drawing.Drawn],
                metrics: Mapping[int, Sequence[data.MetricRow]] | None = None) -> list[Figure]:
    """Figures across files: capacity and CE of every cycling file, and of every group of cycling
    replicates; the first spectrum of every EIS file; the voltage of every file of a kind; the
    metal-anode overpotentials of the samples of each group (a radar, from ``metrics``: per file, its
    metric rows)."""
    figures: list[Figure] = []
    cycling = [(e, drawn[e.file_id].cycles) for e in experiments if drawn[e.file_id].cycles is not None]
    tables = [(drawing.label(e), table, role) for e, (table, role) in ((e, c) for e, c in cycling if c is not None)]
    if len(tables) >= 2:
        figures += plots.overlaid_capacity(tables)
    for group in sorted({e.group for e, _ in cycling if e.group is not None}):
        members = [(drawing.label(e), c[0], c[1]) for e, c in cycling if e.group == group and c is not None]
        if 2 <= len(members) < len(tables):
            capacity, _ = plots.overlaid_capacity(members)
            figures.append(Figure(f"Capacity against cycle, group {group}", capacity.data, capacity.layout))
    spectra = [(drawing.label(e), points) for e in experiments if e.kind in ("eis", "eis-series")
               and (points := drawn[e.file_id].spectra) is not None]
    if len(spectra) >= 2:
        figures.append(plots.overlaid_nyquist(spectra))
    for kind in TRACE_COMPARISONS:
        traces = [(drawing.label(e), voltage) for e in experiments if e.kind == kind
                  and (voltage := drawn[e.file_id].voltage) is not None]
        if len(traces) >= 2:
            figures.append(plots.overlaid_voltage(traces, kind))
    for group in sorted({e.group for e in experiments if e.group is not None}):
        samples = [(drawing.label(e), (metrics or {}).get(e.file_id, [])) for e in experiments if e.group == group]
        if (radar := metal.overpotential_radar(group, samples)) is not None:
            figures.append(radar)
    return figures


def _section(page: Page, db: Store, item: data.Experiment, analyses: list[data.Analysis],
             metrics: list[data.MetricRow], drawn: drawing.Drawn) -> Section:
    warnings = [(a.analysis, text) for a in analyses for text in a.warnings]
    warnings += [("reader", note) for note in item.notes] + [("figure", note) for note in drawn.notes]
    quoted = item.path.replace("'", "''")
    sql = f"SELECT * EXCLUDE (study, definition) FROM metric_table WHERE path = '{quoted}'"
    query = f"anodelab query {_shell(sql)} --db {shlex.quote(str(db.path))}"
    return Section(item, f"file-{item.file_id}", analyses, [m for m in metrics if m.index_name is None],
                   _indexed(metrics), [_place(page, figure) for figure in drawn.figures], warnings,
                   _flags(analyses), _cell_rows(item.cell), _provenance(item, analyses), query)


def _indexed(metrics: Sequence[data.MetricRow]) -> list[IndexedTable]:
    out = []
    keys = dict.fromkeys((m.analysis, m.index_name) for m in metrics if m.index_name is not None)
    for analysis, index_name in keys:
        mine = [m for m in metrics if m.analysis == analysis and m.index_name == index_name]
        columns = list(dict.fromkeys(Column(m.analysis, m.name, m.unit, m.definition, None) for m in mine))
        columns = _unique_columns(columns)
        cells: dict[tuple[int | None, str], data.MetricRow] = {(m.index, m.name): m for m in mine}
        indices = sorted({m.index for m in mine}, key=lambda i: (i is None, i or 0))
        rows = [(index, [cells.get((index, c.name)) for c in columns]) for index in indices]
        out.append(IndexedTable(analysis, str(index_name), columns, rows))
    return out


def _flags(analyses: Sequence[data.Analysis]) -> list[str]:
    """The validity flags the results hold: failed KK tests, fits that did not converge, a
    regularisation at the edge of its range, incomplete cycles."""
    flags = []
    for analysis in analyses:
        content = analysis.content or {}
        if analysis.analysis == "kk" and content.get("passed") is False:
            spectra = content.get("spectra") or []
            failed = [str(k) for k, s in enumerate(spectra) if not s.get("passed", True)]
            flags.append(f"kk: {content.get('n_passed')} of {len(spectra)} spectra pass the lin-KK test "
                         f"(failed: spectrum {', '.join(failed)})")
        if analysis.analysis == "circuit_fit":
            failed = [str(k) for k, s in enumerate(content.get("spectra") or []) if s.get("success") is False]
            if failed:
                flags.append(f"circuit_fit: the fit did not converge for spectrum {', '.join(failed)}")
        if analysis.analysis == "drt":
            edge = [str(k) for k, s in enumerate(content.get("series") or []) if s.get("lambda_at_edge")]
            if edge:
                flags.append(f"drt: λ at the edge of its search range for spectrum {', '.join(edge)}")
        if analysis.analysis == "cycle_summary":
            incomplete = [str(c.get("cycle")) for c in content.get("cycles") or [] if c.get("incomplete")]
            if incomplete:
                flags.append(f"cycle_summary: incomplete cycle {', '.join(incomplete)} (left out of retention and CE)")
    return flags


def _cell_rows(cell: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """(part, field with unit, value) of the cell metadata; ``—`` where it was not given."""
    if not cell:
        return []
    rows = []
    for key, value in cell.items():
        if isinstance(value, Mapping):
            rows += [(key.replace("_", " "), _field(k), _value(v)) for k, v in value.items()]
        elif key != "source":
            rows.append(("cell", _field(key), _value(value)))
    if cell.get("source"):
        rows.append(("cell", "from", str(cell["source"])))
    return rows


def _provenance(item: data.Experiment, analyses: Sequence[data.Analysis]) -> list[tuple[str, str]]:
    rows = [("file", item.path), ("study folder", item.study), ("sha256", item.sha256 or "—"),
            ("size (bytes)", str(item.size) if item.size is not None else "—"), ("format", item.format or "—"),
            ("reader", item.reader or "—")]
    source = next((a.provenance for a in analyses if a.provenance), None) or {}
    for key in ("reader_version", "instrument"):
        if source.get(key):
            rows.append((key.replace("_", " "), str(source[key])))
    if source.get("techniques"):
        rows.append(("techniques", ", ".join(map(str, source["techniques"]))))
    return rows


def _groups(experiments: Sequence[data.Experiment], rows: Sequence[data.GroupRow],
            headline: Headline) -> list[tuple[str, list[data.Experiment], list[data.GroupRow]]]:
    """Each group of replicates: its files and the group means of its headline metrics."""
    wanted = {(a, n) for a, names in headline.items() for n in names} if headline is not None else None
    out = []
    for group in sorted({e.group for e in experiments if e.group is not None}):
        members = [e for e in experiments if e.group == group]
        mine = [r for r in rows if r.group == group]
        if wanted is None:
            shown = [r for r in mine if r.index_name is None]
        else:
            first: dict[tuple[str, str], data.GroupRow] = {}
            for r in mine:
                if (r.analysis, r.name) in wanted and ((r.analysis, r.name) not in first or
                                                       _order(r) < _order(first[r.analysis, r.name])):
                    first[r.analysis, r.name] = r
            shown = [first[key] for key in ((a, n) for a, names in (headline or {}).items() for n in names)
                     if key in first]
        out.append((group, members, shown))
    return out


def _place(page: Page, figure: Figure) -> PlacedFigure:
    placed = PlacedFigure(f"figure-{len(page.figures) + 1}", figure)
    page.figures[placed.id] = figure.spec()
    return placed


def _unique_columns(columns: list[Column]) -> list[Column]:
    """One column per (analysis, name): the first unit and definition seen."""
    seen: dict[tuple[str, str], Column] = {}
    for column in columns:
        seen.setdefault((column.analysis, column.name), column)
    return list(seen.values())


def _order(row: data.MetricRow | data.GroupRow) -> tuple[int, int]:
    return (0, 0) if row.index is None else (1, row.index)


def _field(key: str) -> str:
    stem, _, suffix = key.rpartition("_")
    if stem and suffix in _UNITS:
        return f"{stem.replace('_', ' ')} ({_UNITS[suffix]})"
    return key.replace("_", " ")


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return value if isinstance(value, str) else json.dumps(value)


def _shell(text: str) -> str:
    """``text`` as one shell word, in double quotes when nothing in it is special there."""
    return f'"{text}"' if not any(c in text for c in '"$`\\!') else shlex.quote(text)


def _title(run: data.Run) -> str:
    folder = str(run.parameters.get("folder", ""))
    return f"anodelab report: {PurePosixPath(folder).name or folder or 'study'}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

