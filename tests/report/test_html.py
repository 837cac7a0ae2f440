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
from anodelab.report.html import PLOTLY, plots, write_report
from anodelab.report.html.encode import dumps
from anodelab.report.html.numbers import number
from anodelab.sim import virtual
from anodelab.sim.virtual.writers import write_experiment
from anodelab.store import AnalysisEntry, FileEntry
from anodelab.study.demo import PLAN
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
    assert len(sections) == len(PLAN)
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
            "nucleation: voltage of every file"} <= titles


def test_each_figure_reserves_the_height_it_is_drawn_at(demo):
    """The page draws figures as they near the screen: each container holds the figure's height
    before, so nothing moves when it is drawn (the browser test checks the drawn heights)."""
    _, _, html = demo
    figures = json.loads(html.split('id="figure-data">', 1)[1].split("</script>", 1)[0])
    reserved = dict(re.findall(r'class="plot-area" id="([^"]+)"[^>]*style="min-height: (\d+)px"', html))
    assert reserved.keys() == figures.keys()
    assert {name: int(px) for name, px in reserved.items()} == {name: spec["layout"]["height"]
                                                               for name, spec in figures.items()}
    assert {spec["layout"]["height"] for spec in figures.values()} == {340, 420}  # the Bode plot is taller


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
