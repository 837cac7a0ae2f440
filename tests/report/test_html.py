"""The HTML report (no browser): every number it prints is the stored one (checked against
``anodelab query``), groups, failures and inapplicable analyses are listed with their reasons, long
time series are decimated without losing their extremes, the profile and dQ/dV figures draw the stored
tables, a figure that cannot be drawn leaves a note, and the command line behaves."""

from __future__ import annotations

import json
import math
import re
import shutil
import statistics
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from store.fakes import STUDY, entry

from anodelab import store
from anodelab.cli import main
from anodelab.core.cell import CellInfo
from anodelab.core.experiment import Detection, ExperimentKind
from anodelab.core.record import Provenance, Record
from anodelab.report import data
from anodelab.report.html import PLOTLY, kinetics, metal, plots, write_report
from anodelab.report.html.encode import dumps
from anodelab.report.html.numbers import number
from anodelab.sim import virtual
from anodelab.sim.virtual.writers import write_experiment
from anodelab.store import AnalysisEntry, FileEntry
from anodelab.study.demo import MODELS, PLAN
from anodelab.study.pipeline import analyze
from anodelab.study.registry import ANALYSES

HEADLINE = {analysis.name: analysis.headline for analysis in ANALYSES}


class Cells(HTMLParser):
    """Every element with a ``data-value`` (the report's numbers), with its attributes, its text and
    the ``data-path`` of the table (or row) around it; and every ``src``/``href`` the page refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self.links: list[str] = []
        self._context: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.links += [attributes[k] for k in ("src", "href") if k in attributes]
        if tag in ("table", "tr"):
            self._context.append(attributes)
        if tag == "td" and "data-value" in attributes:
            path = next((c["data-path"] for c in reversed(self._context) if "data-path" in c), "")
            row = next((c for c in reversed(self._context) if "data-group" in c), {})
            self._open = {**attributes, "path": path, "group": row.get("data-group", ""),
                          "table": self._context[0].get("class", "") if self._context else "",
                          "row_analysis": row.get("data-analysis", ""), "row_name": row.get("data-name", ""),
                          "row_index": row.get("data-index", ""), "text": ""}

    def handle_endtag(self, tag):
        if tag == "td" and self._open is not None:
            self.cells.append(self._open)
            self._open = None
        if tag in ("table", "tr") and self._context:
            self._context.pop()

    def handle_data(self, text):
        if self._open is not None:
            self._open["text"] += text


def parse(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def query(capsys, database: Path, sql: str) -> list[dict]:
    """Rows of ``anodelab query --json`` (the command a user would run)."""
    capsys.readouterr()
    assert main(["query", sql, "--db", str(database), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def shown(text: str) -> tuple[float, float | None]:
    value, _, stderr = text.partition(" ± ")
    return float(value), float(stderr) if stderr else None


@pytest.fixture(scope="module")
def demo(demo_store):
    database = demo_store
    path = write_report(database, database.parent, headline=HEADLINE)
    return database, path, path.read_text(encoding="utf-8")


def test_the_report_is_one_page_and_the_plotting_library_beside_it(demo):
    database, path, html = demo
    assert path == database.parent / "report" / "index.html"
    assert (path.parent / PLOTLY).stat().st_size > 1_000_000
    links = parse(html).links
    assert PLOTLY in links
    assert all(link.startswith("#") or link == PLOTLY for link in links), links  # nothing fetched from elsewhere
    assert "http://" not in html.split("<script src=")[0] and "https://" not in html.split("<script src=")[0]


def test_every_metric_in_the_report_is_the_stored_one(demo, capsys):
    database, _, html = demo
    stored = query(capsys, database, 'SELECT path, analysis, name, "index", value, stderr FROM metric_table')
    expected = {(r["path"], r["analysis"], r["name"], r["index"]): (r["value"], r["stderr"]) for r in stored}
    cells = [c for c in parse(html).cells if "plain" in c["table"] or "indexed" in c["table"]]
    found = {}
    for cell in cells:
        key = (cell["path"], cell["data-analysis"], cell["data-name"],
               int(cell["data-index"]) if cell["data-index"] else None)
        assert key not in found, key  # each metric once in its file's section
        found[key] = (float(cell["data-value"]), float(cell["data-stderr"]) if cell["data-stderr"] else None)
        value, stderr = expected[key]
        text_value, text_stderr = shown(cell["text"])
        if stderr is None:
            assert text_stderr is None and text_value == pytest.approx(value, rel=5e-4, abs=1e-300)
        else:  # rounded as a measurement: the stderr to two digits, the value to the same place
            assert text_stderr == pytest.approx(stderr, rel=0.05)
            assert abs(text_value - value) <= 0.05 * stderr
    assert found == expected  # exactly every stored metric, exact to the last bit


def test_the_headline_table_holds_the_registry_headlines_at_their_first_index(demo, capsys):
    database, _, html = demo
    stored = query(capsys, database, 'SELECT path, analysis, name, "index", value FROM metric_table')
    first = {}
    for row in sorted(stored, key=lambda r: (r["index"] is not None, r["index"] or 0)):
        first.setdefault((row["path"], row["analysis"], row["name"]), row)
    cells = [c for c in parse(html).cells if "headline" in c["table"]]
    assert cells
    for cell in cells:
        row = first[cell["path"], cell["data-analysis"], cell["data-name"]]
        assert cell["data-name"] in HEADLINE[cell["data-analysis"]]
        assert (int(cell["data-index"]) if cell["data-index"] else None) == row["index"]
        assert float(cell["data-value"]) == row["value"]
    ice = {c["path"].rsplit("/", 1)[-1]: float(c["data-value"]) for c in cells if c["data-name"] == "ice"}
    assert set(ice) == {"si_zno_half_cell.mpt", "si_zno_ncm811_full_cell.csv", "si_zno_rate_test.mpt"}


def test_every_file_has_a_section_and_figures(demo):
    _, _, html = demo
    figures = json.loads(html.split('id="figure-data">', 1)[1].split("</script>", 1)[0])
    sections = html.split('<section class="experiment"')[1:]
    assert len(sections) == len(PLAN) + len(MODELS)
    for section in sections:
        assert 'class="plot-area"' in section, section[:200]  # no kind is left without a figure
        for figure_id in section.split('class="plot-area" id="')[1:]:
            spec = figures[figure_id.split('"', 1)[0]]
            assert spec["data"] and all(trace.get("x") is not None or trace.get("z") is not None
                                        for trace in spec["data"])
    titles = {spec["layout"]["title"]["text"] for spec in figures.values()}
    assert {"Voltage profiles", "Differential capacity (dQ/dV)", "Capacity and coulombic efficiency", "Rate capability", "Nyquist plot", "Bode plot",
            "Kramers-Kronig residuals", "Distribution of relaxation times", "DRT map", "Arrhenius plot",
            "Current against voltage", "Tafel plot", "Voltage and current",
            "Capacity against cycle, every cycling file", "Nyquist plot, every impedance file",
            "nucleation: voltage of every file", "Current density along the interface", "Ionic field in the electrolyte",
            "Interface sweep over contact_fraction"} <= titles


def test_each_figure_reserves_the_height_it_is_drawn_at(demo):
    """The page draws figures as they near the screen: each container holds the figure's height
    before, so nothing moves when it is drawn (the browser test checks the drawn heights)."""
    _, _, html = demo
    figures = json.loads(html.split('id="figure-data">', 1)[1].split("</script>", 1)[0])
    reserved = dict(re.findall(r'class="plot-area" id="([^"]+)"[^>]*style="min-height: (\d+)px"', html))
    assert reserved.keys() == figures.keys()
    assert {name: int(px) for name, px in reserved.items()} == {name: spec["layout"]["height"]
                                                               for name, spec in figures.items()}
    # the Bode plot, the Tafel plot (its legend below it) and the symmetric trace (its insets above it) are taller
    assert {spec["layout"]["height"] for spec in figures.values()} == {340, 420, 460, 500}


def test_the_arrhenius_line_is_the_stored_activation_energy(demo, capsys):
    database, _, html = demo
    figures = json.loads(html.split('id="figure-data">', 1)[1].split("</script>", 1)[0])
    (ea,) = query(capsys, database, "SELECT value FROM metric_table WHERE analysis = 'conductivity' AND name = 'Ea'")
    lines = [trace for spec in figures.values() if spec["layout"]["title"]["text"] == "Arrhenius plot"
             for trace in spec["data"] if trace["mode"] == "lines" and f"{ea['value']:.4g}" in trace["name"]]
    (line,) = lines
    slope = (line["y"][1] - line["y"][0]) / (line["x"][1] - line["x"][0])  # per 1000/T
    assert -slope * 1000 * 8.314462618 / 1000 == pytest.approx(ea["value"], rel=1e-4)  # kJ/mol


@pytest.fixture
def hand_made(tmp_path):
    """A store of four fake cells in two groups (known ice values), a file that could not be read and
    a file with an analysis that does not apply."""
    database = tmp_path / "out" / "anodelab.duckdb"
    entries = [entry(seed) for seed in (1, 2, 3, 4)]
    with store.open(database) as db:
        run_id = db.begin_run("0.1.0", {"folder": STUDY})
        for item in entries:
            db.write_file(run_id, item)
        db.write_file(run_id, FileEntry(STUDY, "cells/broken.mpr", "k-broken", error="cells/broken.mpr: not a file"))
        db.write_file(run_id, FileEntry(
            STUDY, "cells/eis.mpr", "k-eis", data=entries[0].data,
            detection=Detection(ExperimentKind.EIS_TEMPERATURE, 0.8, "four temperatures"),
            analyses=(AnalysisEntry("arrhenius", not_applicable="an Arrhenius analysis needs two temperatures"),)))
        db.finish_run(run_id, {})
    return database, entries


def test_groups_failures_and_inapplicable_analyses_are_listed(hand_made, capsys):
    database, entries = hand_made
    html = write_report(database, database.parent).read_text(encoding="utf-8")
    cells = parse(html).cells
    for group in ("bare", "coated"):
        ice = [e.analyses[0].result.ice for e in entries if e.group == group]
        mean = [c for c in cells if c["group"] == group and c["row_name"] == "ice"]
        assert [float(c["data-value"]) for c in mean] == pytest.approx([statistics.mean(ice), statistics.stdev(ice)],
                                                                       rel=1e-12)
        (view,) = query(capsys, database, f"""SELECT mean, sd FROM group_table WHERE "group" = '{group}'
                                              AND name = 'ice'""")
        assert [float(c["data-value"]) for c in mean] == [view["mean"], view["sd"]]
    failures = query(capsys, database, "SELECT path, analysis, error FROM failures")
    assert {(f["path"], f["analysis"]) for f in failures} == {("cells/broken.mpr", None), *(
        (e.path, "gitt") for e in entries)}
    for failure in failures:
        assert failure["error"] in html
    assert "an Arrhenius analysis needs two temperatures" in html.split('id="problems"', 1)[1].split("</section>")[0]
    assert "cells/broken.mpr: not a file" in html


def test_a_missing_time_series_is_noted_not_fatal(hand_made):
    database, entries = hand_made
    shutil.rmtree(database.parent / "timeseries")
    html = write_report(database, database.parent).read_text(encoding="utf-8")
    assert html.count("time series figures not drawn") == len(entries) + 1  # each record, the eis.mpr one too
    assert "is missing from the store" in html
    assert f"{entries[0].analyses[0].result.ice!r}" in html  # the numbers are all there


def test_numbers_are_rounded_as_measurements():
    assert number(0.7630000000000007, 0.0021) == "0.7630 ± 0.0021"
    assert number(39.71097162417927, 0.2508780712882373) == "39.71 ± 0.25"
    assert number(119.38605231348117, 1.5819728428550794) == "119.4 ± 1.6"
    assert number(7.163155051482887e-07, 2.163928480009864e-08) == "7.16e-07 ± 2.2e-08"
    assert number(56790525.43695744, 5366129.939313983) == "5.68e+07 ± 5.4e+06"
    assert number(9.9e-10, 1.4e-07) == "9.9e-10 ± 1.4e-07"  # an uncertainty larger than the value
    assert number(0.7630000000000036) == "0.763"
    assert number(None) == number(math.nan) == "n/a"


def test_figure_data_is_compact_json_safe_in_a_script():
    text = dumps({"x": np.array([1.0, np.nan, 1 / 3, np.inf]), "z": np.array([[1, 2], [3, 4]]),
                  "name": "</script><b>", "n": np.int64(3), "ok": np.bool_(True)})
    assert "</script>" not in text and "<" not in text
    assert json.loads(text) == {"x": [1.0, None, 0.333333, None], "z": [[1, 2], [3, 4]], "name": "</script><b>",
                                "n": 3, "ok": True}


def _stored_record(tmp_path: Path, columns: dict, cell: CellInfo | None = None) -> tuple[store.Store, data.Experiment]:
    record = Record.from_columns(columns, cell=cell, provenance=Provenance(path=f"{STUDY}/long.mpr", sha256="0" * 64))
    db = store.open(tmp_path / "anodelab.duckdb")
    run_id = db.begin_run("0.1.0", {"folder": STUDY})
    db.write_file(run_id, FileEntry(STUDY, "long.mpr", "k", sha256="0" * 64, data=record))
    return db, data.experiments(db, run_id)[0]


def test_a_long_trace_is_decimated_without_losing_its_extremes(tmp_path):
    rows = 200_000  # 55 h at 1 s
    time_s = np.arange(rows, dtype=np.float64)
    voltage_V = 0.5 + 0.01 * np.sin(time_s / 600.0)
    voltage_V[123_457] = 4.2  # a one-sample spike
    voltage_V[7_001] = -0.3  # and a dip
    db, experiment = _stored_record(tmp_path, {"time_s": time_s, "voltage_V": voltage_V,
                                               "current_mA": np.full(rows, 0.1)})
    with db:
        trace = data.trace(db, experiment, "voltage_V", buckets=100)
    assert trace["time_s"].size <= 400
    assert np.all(np.diff(trace["time_s"]) > 0)
    index = trace["time_s"].astype(int)
    assert np.array_equal(trace["voltage_V"], voltage_V[index])  # real rows, not averages
    assert {123_457, 7_001, 0, rows - 1} <= set(index.tolist())
    for start in range(0, rows, rows // 100):  # every bucket keeps its own lowest and highest sample
        run = slice(start, start + rows // 100)
        assert voltage_V[run].max() in trace["voltage_V"] and voltage_V[run].min() in trace["voltage_V"]


def _figures(html: str) -> dict[str, dict]:
    return json.loads(html.split('id="figure-data">', 1)[1].split("</script>", 1)[0])


def as_drawn(values: list[float]) -> list[float]:
    """Stored values as the page's figure data holds them (six significant digits)."""
    return json.loads(dumps(np.array(values, dtype=np.float64)))


@pytest.fixture(scope="module")
def rate_without_cell(tmp_path_factory):
    """``anodelab analyze`` of a virtual rate test whose cell.toml is gone (no cell type: the
    half-cycles are forward and reverse, not insertion and extraction)."""
    folder = tmp_path_factory.mktemp("rate-without-cell")
    path = write_experiment(virtual.rate_test(seed=0), folder)
    path.with_name(path.name.removesuffix(path.suffix) + ".cell.toml").unlink()
    done = analyze(folder, figures=False)
    assert done.report_error is None and done.report is not None
    return done, done.report.read_text(encoding="utf-8")


def test_a_rate_test_without_a_cell_type_gets_its_report(rate_without_cell, capsys):
    done, html = rate_without_cell
    assert done.report_error is None
    (rate,) = [spec for spec in _figures(html).values() if spec["layout"]["title"]["text"] == "Rate capability"]
    stored = query(capsys, done.database, """SELECT t.value FROM result_tables t JOIN results r USING (result_id)
        WHERE r.analysis = 'rate_table' AND t.name = 'mean_reverse_mAh' ORDER BY t."row"
        """)
    assert stored and rate["data"][0]["y"] == as_drawn([row["value"] for row in stored])
    assert rate["layout"]["yaxis"]["title"]["text"] == "reverse capacity (mAh)"
    assert "figure not drawn" not in html


def test_the_profile_and_dqdv_figures_draw_the_stored_tables(rate_without_cell, capsys):
    done, html = rate_without_cell
    figures = {spec["layout"]["title"]["text"]: spec for spec in _figures(html).values()}
    for analysis, table, title, x, y in (("voltage_profiles", "profiles", "Voltage profiles", "capacity_mAh", "voltage_V"),
                                         ("dqdv", "dqdv", "Differential capacity (dQ/dV)", "voltage_V", "dqdv_mAh_V")):
        rows = query(capsys, done.database, f"""SELECT t."row", t.name, t.value, t.text FROM result_tables t
            JOIN results r USING (result_id) WHERE r.analysis = '{analysis}' AND t."table" = '{table}'""")
        by_row: dict[int, dict] = {}
        for row in rows:
            by_row.setdefault(row["row"], {})[row["name"]] = row["text"] if row["name"] == "role" else row["value"]
        stored: dict[str, list[list[float]]] = {}
        for _, row in sorted(by_row.items()):
            pair = stored.setdefault(f"cycle {int(row['cycle'])} {row['role']}", [[], []])
            pair[0].append(row[x])
            pair[1].append(row[y])
        drawn = {trace["hovertemplate"].split("<br>")[0]: [trace["x"], trace["y"]]
                 for trace in figures[title]["data"] if trace["name"] != "peaks"}
        assert len(stored) >= 2  # every stored point of every half-cycle, nothing else
        assert drawn == {key: [as_drawn(xs), as_drawn(ys)] for key, (xs, ys) in stored.items()}
    peaks = query(capsys, done.database, "SELECT value FROM metric_table WHERE analysis = 'dqdv' AND name LIKE '%_voltage'")
    (marked,) = [trace for trace in figures["Differential capacity (dQ/dV)"]["data"] if trace["name"] == "peaks"]
    assert peaks and sorted(marked["x"]) == sorted(as_drawn([row["value"] for row in peaks]))


def test_a_cut_profile_keeps_stored_rows_and_their_extremes(rate_without_cell):
    done, _ = rate_without_cell
    with store.open(done.database, read_only=True) as db:
        ((result_id,),) = db.query("SELECT result_id FROM results WHERE analysis = 'voltage_profiles'").fetchall()
        every = data.curves(db, result_id, "profiles", by="voltage_V")
        cut = data.curves(db, result_id, "profiles", by="voltage_V", points=8)  # two runs of rows per half-cycle
    assert [(c.cycle, c.role) for c in cut] == [(c.cycle, c.role) for c in every]
    for whole, part in zip(every, cut):
        voltage_V, kept = whole.columns["voltage_V"], part.columns["voltage_V"]
        assert voltage_V.size > 8 >= kept.size
        index = np.flatnonzero(np.isin(whole.columns["capacity_mAh"], part.columns["capacity_mAh"]))
        assert np.array_equal(voltage_V[index], kept)  # stored rows, in order
        half = voltage_V.size // 2
        for run in (voltage_V[:half], voltage_V[half:]):
            assert {run[0], run[-1], run.min(), run.max()} <= set(kept.tolist())


def test_a_figure_that_cannot_be_drawn_leaves_a_note(rate_without_cell, monkeypatch):
    done, _ = rate_without_cell

    def broken(*args, **kwargs):
        raise ZeroDivisionError("no capacity")

    monkeypatch.setattr(plots, "rate_capability", broken)
    html = write_report(done.database, done.database.parent, run_id=done.run_id).read_text(encoding="utf-8")
    assert "rate capability: figure not drawn: ZeroDivisionError: no capacity" in html
    assert "Voltage profiles" in html  # the other figures are drawn


def test_report_command(tmp_path, monkeypatch, capsys, hand_made):
    database, _ = hand_made
    monkeypatch.chdir(tmp_path)
    assert main(["report"]) == 2  # no ./anodelab-results/anodelab.duckdb here
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "anodelab-results/anodelab.duckdb" in error and "no results store" in error
    assert main(["report", "--db", str(database), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "report" / "index.html").is_file()
    assert str(tmp_path / "elsewhere" / "report" / "index.html") in capsys.readouterr().out
    assert main(["report", "--db", str(database), "--run", "99"]) == 2
    assert "has no run 99" in capsys.readouterr().err


def test_each_section_links_the_publication_figures_drawn_of_its_file(demo, tmp_path):
    from anodelab.report.html import static_figures

    figures = tmp_path / "report" / "figures"
    figures.mkdir(parents=True)
    for name in ("cells__a.mpr.drt.png", "cells__a.mpr.drt.svg", "cells__a.mpr.kk.png", "cells__a.mpr2.drt.png",
                 "cells__b[1].mpr.drt.png"):
        (figures / name).write_bytes(b"x")
    assert static_figures(tmp_path / "report", "cells/a.mpr") == [
        ("drt", "figures/cells__a.mpr.drt.png", "figures/cells__a.mpr.drt.svg"),
        ("kk", "figures/cells__a.mpr.kk.png", "")]
    assert static_figures(tmp_path / "report", "cells/b[1].mpr") == [("drt", "figures/cells__b[1].mpr.drt.png", "")]
    _, _, html = demo  # the demo drew no static figures: no links, and no dangling ones
    assert 'class="static-figures"' not in html


# -- the metal-anode and kinetics figures ------------------------------------------------------------


def section_html(html: str, path: str) -> str:
    """The section of the file at ``path``."""
    (section,) = [s for s in html.split('<section class="experiment"')[1:] if f'data-path="{path}"' in s.split(">", 1)[0]]
    return section


def section_figures(html: str, path: str) -> dict[str, dict]:
    """The figures of the section of the file at ``path``, by title."""
    figures = _figures(html)
    ids = re.findall(r'class="plot-area" id="([^"]+)"', section_html(html, path))
    return {figures[i]["layout"]["title"]["text"]: figures[i] for i in ids}


def metric_values(capsys, database: Path, path: str, analysis: str, name: str) -> dict[int | None, float]:
    rows = query(capsys, database, f"""SELECT "index", value FROM metric_table WHERE path = '{path}'
                                       AND analysis = '{analysis}' AND name = '{name}'""")
    return {row["index"]: row["value"] for row in rows}


def stored_content(capsys, database: Path, path: str, analysis: str) -> dict:
    """A result's content as ``anodelab query`` gives it."""
    (row,) = query(capsys, database, f"""SELECT r.content FROM results r JOIN files f USING (file_id)
                                         WHERE f.path = '{path}' AND r.analysis = '{analysis}'""")
    return json.loads(row["content"]) if isinstance(row["content"], str) else row["content"]


def stored_table(capsys, database: Path, path: str, analysis: str, table: str) -> dict[str, list]:
    """A result's long table as ``anodelab query`` gives it: per column, its values by row."""
    rows = query(capsys, database, f"""SELECT t."row", t.name, t.value, t.text FROM result_tables t
        JOIN results r USING (result_id) JOIN files f USING (file_id)
        WHERE f.path = '{path}' AND r.analysis = '{analysis}' AND t."table" = '{table}' ORDER BY t."row" """)
    columns: dict[str, dict[int, object]] = {}
    for row in rows:
        columns.setdefault(row["name"], {})[row["row"]] = row["text"] if row["value"] is None else row["value"]
    return {name: [by_row[k] for k in sorted(by_row)] for name, by_row in columns.items()}


def test_the_symmetric_trace_draws_the_stored_plateaus_insets_and_short(demo, capsys):
    database, _, html = demo
    path = "001_llzto_li_metal/li_llzto_symmetric.mpt"
    figures = section_figures(html, path)
    assert "Voltage and current" not in figures  # the metal cell's trace stands in for it
    spec = figures["Voltage trace and plateau overpotential"]
    traces = {trace["name"]: trace for trace in spec["data"]}
    points = stored_table(capsys, database, path, "overpotential_trace", "points")
    before = [k for k, after in enumerate(points["after_short"]) if not after]
    assert 0 < len(before) < len(points["time_h"])  # the record shorts: points on both sides
    signed = [math.copysign(eta, current) for eta, current in zip(points["eta_plateau_mV"], points["current_mA"])]
    assert traces["plateau η"]["x"] == as_drawn([points["time_h"][k] for k in before])
    assert traces["plateau η"]["y"] == as_drawn([signed[k] for k in before])  # on the plateau of its half-cycle
    assert traces["plateau η"]["customdata"] == as_drawn([points["eta_plateau_mV"][k] for k in before])
    insets = stored_table(capsys, database, path, "overpotential_trace", "insets")
    for k, name in enumerate(("early", "late")):
        rows = [i for i, inset in enumerate(insets["inset"]) if inset == k]
        assert traces[f"{name} inset"]["y"] == as_drawn([1e3 * insets["voltage_V"][i] for i in rows])
    onsets = metric_values(capsys, database, path, "shorts", "short_onset")
    assert traces["short"]["x"] == as_drawn(list(onsets.values())) and len(onsets) == 1
    assert [s["x0"] for s in spec["layout"]["shapes"] if s["type"] == "line" and s["xref"] == "x"] == as_drawn(
        list(onsets.values()))
    assert spec["layout"]["height"] == 500  # the insets sit above the trace


def test_the_ccd_staircase_marks_the_stored_failing_level(demo, capsys):
    database, _, html = demo
    path = "001_llzto_li_metal/li_llzto_ccd.csv"
    spec = section_figures(html, path)["Critical current density staircase"]
    levels = stored_table(capsys, database, path, "ccd", "levels")
    stair = spec["data"][0]
    assert stair["line"]["shape"] == "hv"
    assert stair["x"] == as_drawn(levels["start_h"] + levels["end_h"][-1:])
    assert stair["y"] == as_drawn(levels["current_density"] + levels["current_density"][-1:])
    (ccd,) = metric_values(capsys, database, path, "ccd", "ccd").values()
    (stable,) = metric_values(capsys, database, path, "ccd", "last_stable").values()
    (failing,) = [s for s in spec["layout"]["shapes"] if s["type"] == "rect"]
    level = as_drawn(levels["start_h"]).index(failing["x0"])
    assert as_drawn([levels["end_h"][level]]) == [failing["x1"]] and levels["current_density"][level] == ccd
    (last,) = [t for t in spec["data"] if t["name"].startswith("last stable")]
    assert last["y"] == as_drawn([stable, stable])
    eta = metric_values(capsys, database, path, "ccd", "level_eta_plateau")
    drawn_eta = [y for y in next(t for t in spec["data"] if t.get("yaxis") == "y2")["y"] if y is not None]
    assert drawn_eta == as_drawn([v for v in eta.values() for _ in range(2)])  # over each level's span
    (onset,) = metric_values(capsys, database, path, "shorts", "short_onset").values()
    assert [s["x0"] for s in spec["layout"]["shapes"] if s["type"] == "line"] == as_drawn([onset])


def test_the_nucleation_dip_marks_the_stored_tip_and_plateau(demo, capsys):
    database, _, html = demo
    path = "004_na_on_zn_ag/na_nucleation_cu.mpt"
    spec = section_figures(html, path)["Nucleation overpotential"]
    curve = stored_table(capsys, database, path, "nucleation", "curve")
    assert spec["data"][0]["x"] == as_drawn(curve["capacity_mAh_cm2"])
    assert spec["data"][0]["y"] == as_drawn([1e3 * v for v in curve["voltage_V"]])
    assert spec["layout"]["xaxis"]["title"]["text"] == "areal capacity (mAh/cm²)"
    (tip,) = [t for t in spec["data"] if t["name"].startswith("tip")]
    (plateau,) = [t for t in spec["data"] if t["name"].startswith("plateau")]
    eta = {name: metric_values(capsys, database, path, "nucleation", name)[None]
           for name in ("eta_tip", "eta_plateau", "tip_areal_capacity", "eta_nucleation")}
    assert tip["x"] == as_drawn([eta["tip_areal_capacity"]]) and tip["y"] == pytest.approx([-eta["eta_tip"]], rel=1e-5)
    assert plateau["y"] == pytest.approx([-eta["eta_plateau"]] * 2, rel=1e-5)
    assert plateau["x"][1] == as_drawn(curve["capacity_mAh_cm2"][-1:])[0]  # to the end of the step
    assert f"η nucleation = {number(eta['eta_nucleation'], None)[:4]}" in section_html(html, path)
    low, high = spec["layout"]["xaxis"]["range"]  # zoomed on the dip
    assert low <= eta["tip_areal_capacity"] <= high < curve["capacity_mAh_cm2"][-1]
    # a plating without a dip gets no tip, and its bound in the caption
    no_dip = section_figures(html, "004_na_on_zn_ag/na_plating_ce.csv")["Nucleation overpotential"]
    assert [t["name"].split(":")[0] for t in no_dip["data"]] == ["readings", "plateau"]
    assert "no dip above the noise: η nucleation ≤" in section_html(html, "004_na_on_zn_ag/na_plating_ce.csv")


def test_the_plating_ce_figure_draws_the_stored_cycles_and_mean(demo, capsys):
    database, _, html = demo
    path = "004_na_on_zn_ag/na_plating_ce.csv"
    spec = section_figures(html, path)["Plating/stripping Coulombic efficiency"]
    ce = metric_values(capsys, database, path, "plating_ce", "ce")
    (mean,) = metric_values(capsys, database, path, "plating_ce", "ce_mean").values()
    points, band, line = spec["data"][:3]
    assert points["x"] == list(ce) and points["y"] == as_drawn([100 * v for v in ce.values()])
    assert line["y"] == as_drawn([100 * mean] * 2) and line["name"].startswith(f"mean {100 * mean:.2f}")
    assert band["fill"] == "toself"


def test_the_gitt_figure_draws_the_stored_d_with_invalid_pulses_apart(demo, capsys):
    database, _, html = demo
    path = "003_si_c_pulse_sei/si_c_gitt.mpt"
    spec = section_figures(html, path)["GITT: diffusion coefficient"]
    D = metric_values(capsys, database, path, "gitt", "D")
    (median,) = metric_values(capsys, database, path, "gitt", "D_median").values()
    (valid,) = [t for t in spec["data"] if t["name"] == "lithiation, valid"]
    assert valid["customdata"] == list(D) and valid["y"] == as_drawn(list(D.values()))
    assert spec["layout"]["yaxis"]["type"] == "log"
    assert spec["layout"]["xaxis"]["title"]["text"] == "inserted charge (mAh)"  # the demo's cell has no capacity
    (line,) = [t for t in spec["data"] if t["name"].startswith("median")]
    assert line["y"] == as_drawn([median, median])
    # invalid pulses: a trace of their own, grey and open, their reason on hover
    table = {"pulse": np.array([1.0, 2.0, 3.0]), "D_cm2_s": np.array([1e-12, 5e-11, 2e-12]),
             "D_stderr_cm2_s": np.array([1e-14, np.nan, 2e-14]), "valid": np.array([1.0, 0.0, 1.0]),
             "direction": np.array(["lithiation", "lithiation", "delithiation"], dtype=object),
             "reason": np.array(["", "the rest did not relax", ""], dtype=object), "soc": np.array([0.1, 0.2, 0.3])}
    figure = kinetics.gitt_diffusion(table, {"D_median_cm2_s": 1.5e-12})
    by_name = {trace["name"]: trace for trace in figure.data}
    assert by_name["lithiation, invalid"]["y"].tolist() == [5e-11]
    assert by_name["lithiation, invalid"]["text"] == ["pulse 2 invalid: the rest did not relax"]
    assert by_name["lithiation, valid"]["y"].tolist() == [1e-12] and by_name["delithiation, valid"]["y"].tolist() == [2e-12]
    assert figure.layout["xaxis"]["title"]["text"] == "state of charge"


def test_the_tafel_plot_draws_the_stored_windows_lines_and_i0(demo, capsys):
    database, _, html = demo
    path = "004_na_on_zn_ag/na_tafel.mpt"
    figures = section_figures(html, path)
    assert list(figures).count("Tafel plot") == 1  # the analysis' plot stands in for the plain one
    spec = figures["Tafel plot"]
    traces = {trace["name"].split(":")[0]: trace for trace in spec["data"]}
    points = stored_table(capsys, database, path, "tafel", "points")
    for branch, side, sign in (("anodic", "a", 1), ("cathodic", "c", -1)):
        rows = [k for k, w in enumerate(points["tafel_window"]) if w == sign]
        assert traces[f"{branch} window"]["y"] == as_drawn([points["eta_iR_mV"][k] for k in rows])
        line = traces[branch]
        (slope,) = metric_values(capsys, database, path, "tafel", f"tafel_slope_{branch}").values()
        (i0,) = metric_values(capsys, database, path, "tafel", f"i0_tafel_{branch}").values()
        (alpha,) = metric_values(capsys, database, path, "tafel", f"alpha_{side}").values()
        assert line["x"][0] == as_drawn([i0])[0] and line["y"][0] == 0
        decades = math.log10(line["x"][1]) - math.log10(line["x"][0])
        assert sign * line["y"][1] / decades == pytest.approx(slope, rel=1e-4)  # mV per decade, as stored
        assert f"α = {number(alpha)[:4]}" in line["name"]
    (i0,) = metric_values(capsys, database, path, "tafel", "i0").values()
    (marker,) = [t for t in spec["data"] if t["name"].startswith("i0 (Tafel)")]
    assert marker["x"] == as_drawn([i0]) and marker["y"] == [0]
    assert spec["layout"]["xaxis"]["type"] == "log" and spec["layout"]["xaxis"]["title"]["text"] == "|i| (mA/cm²)"


def test_the_voltammograms_mark_the_stored_peaks_and_onsets(demo, capsys):
    database, _, html = demo
    cv = section_figures(html, "002_msi_c_polymer_electrolyte/msi_c_cv.mpt")
    assert "Current against voltage" not in cv  # the voltammogram stands in for it
    peaks = metric_values(capsys, database, "002_msi_c_polymer_electrolyte/msi_c_cv.mpt", "voltammetry", "E_peak")
    marked = [x for t in cv["Cyclic voltammogram"]["data"] if t["name"].endswith("peaks") for x in t["x"]]
    assert len(peaks) == 12 and sorted(marked) == sorted(as_drawn(list(peaks.values())))
    lsv = section_figures(html, "003_si_c_pulse_sei/si_c_lsv.csv")
    onsets = metric_values(capsys, database, "003_si_c_pulse_sei/si_c_lsv.csv", "voltammetry", "E_onset")
    (labelled,) = [t for t in lsv["dI/dE with onset potentials"]["data"] if t["mode"] == "markers+text"]
    assert len(onsets) == 3 and labelled["x"] == as_drawn(list(onsets.values()))
    assert labelled["text"] == [f"{number(v)} V" for v in onsets.values()]
    assert lsv["Linear sweep voltammogram"]["layout"]["showlegend"] is False  # one sweep, nothing to tell apart


def test_the_radar_compares_the_stored_overpotentials_of_a_group(demo, capsys):
    database, _, html = demo
    comparisons = html.split('id="comparisons"', 1)[1].split("</section>", 1)[0]
    figures = _figures(html)
    (radar,) = [figures[i] for i in re.findall(r'class="plot-area" id="([^"]+)"', comparisons)
                if figures[i]["layout"]["title"]["text"] == "Overpotentials, group Na nucleation"]
    rows = query(capsys, database, """SELECT sample, name, value FROM metric_table WHERE "group" = 'Na nucleation'
                                      AND analysis = 'nucleation' AND unit = 'mV' AND "index" IS NULL""")
    stored = {(row["sample"], row["name"]): row["value"] for row in rows}
    assert {trace["name"] for trace in radar["data"]} == {sample for sample, _ in stored} and len(radar["data"]) == 3
    for trace in radar["data"]:
        assert trace["type"] == "scatterpolar" and trace["theta"][0] == trace["theta"][-1]  # closed
        assert trace["theta"][:-1] == ["eta_nucleation", "eta_tip", "eta_plateau"]
        assert trace["r"][:-1] == as_drawn([stored[trace["name"], name] for name in trace["theta"][:-1]])


def test_a_radar_needs_two_samples_and_three_overpotentials():
    def row(name, value, analysis="nucleation", unit="mV", index=None):
        return data.MetricRow(1, 1, analysis, name, value, None, unit, "cycle" if index else None, index, None)

    three = [row("eta_nucleation", 5.0), row("eta_tip", 15.0), row("eta_plateau", 10.0),
             row("tip_areal_capacity", 0.02, unit="mAh/cm2"), row("eta_plateau", 9.0, index=3)]
    figure = metal.overpotential_radar("g", [("a", three), ("b", three[:2])])
    assert figure is not None and [t["name"] for t in figure.data] == ["a", "b"]
    assert figure.data[1]["r"].tolist()[:2] == [5.0, 15.0] and math.isnan(figure.data[1]["r"][2])
    assert figure.data[1]["text"][2] == "not measured"
    assert metal.overpotential_radar("g", [("a", three)]) is None
    assert metal.overpotential_radar("g", [("a", three[:2]), ("b", three[:2])]) is None


def test_the_interface_figures_draw_the_stored_current_field_and_sweep(demo, capsys):
    database, _, html = demo
    path = "001_llzto_li_metal/li_llzto_point_contacts.sim.toml"
    figures = section_figures(html, path)
    interface = stored_table(capsys, database, path, "interface_fem", "interface")
    current = figures["Current density along the interface"]["data"][0]
    on = [k for k, contact in enumerate(interface["contact"]) if contact]
    assert 0 < len(on) < len(interface["ratio"])  # a point contact: the rest of the electrode is a void
    assert current["x"] == as_drawn(interface["x_um"])
    assert [current["y"][k] for k in on] == as_drawn([interface["ratio"][k] for k in on])
    assert all(current["y"][k] is None for k in range(len(interface["ratio"])) if k not in on)
    field = stored_table(capsys, database, path, "interface_fem", "field")
    (field_max,) = metric_values(capsys, database, path, "interface_fem", "field_max").values()
    heat = figures["Ionic field in the electrolyte"]["data"][0]
    drawn = {(x, y): z for y, row in zip(heat["y"], heat["z"]) for x, z in zip(heat["x"], row) if z is not None}
    assert len(drawn) == len(field["field_V_cm"])  # every stored bin, in a cell of its own
    content = stored_content(capsys, database, path, "interface_fem")
    for x, y, value in zip(as_drawn(field["x_bin_um"]), as_drawn(field["y_bin_um"]), field["field_V_cm"]):
        assert drawn[x, y] == as_drawn([value / content["field_uniform_V_cm"]])[0]
    assert max(drawn.values()) <= as_drawn([field_max / content["field_uniform_V_cm"]])[0]
    sweep_path = "001_llzto_li_metal/li_llzto_contact_sweep.sim.toml"
    sweep = stored_table(capsys, database, sweep_path, "interface_sweep", "sweep")
    r_eff, ratio = section_figures(html, sweep_path)["Interface sweep over contact_fraction"]["data"]
    assert r_eff["x"] == as_drawn(sweep["contact_fraction"]) and r_eff["y"] == as_drawn(sweep["R_eff_ohm_cm2"])
    assert ratio["y"] == as_drawn(sweep["max_mean_ratio"])
    assert all(a > b for a, b in zip(sweep["R_eff_ohm_cm2"], sweep["R_eff_ohm_cm2"][1:]))  # less contact, more R
