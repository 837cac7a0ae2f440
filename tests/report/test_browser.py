"""The HTML report in a real browser (Debian's headless Chromium driven by Playwright, no browser
downloaded): the demo study's report and that of a study of real instrument files load from disk
with the network cut off, draw every figure, log no console error and request nothing; the page
draws on demand (the figures on screen first, each one once scrolled to, every one on request) in
the space it reserved; without plotly.min.js every figure says why it is blank.

Skipped without /usr/bin/chromium or Playwright, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from shared_data import external_file, missing

from anodelab.report.html import write_report
from anodelab.study.demo import MODELS, PLAN
from anodelab.study.pipeline import analyze
from anodelab.study.registry import ANALYSES

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEADLINE = {analysis.name: analysis.headline for analysis in ANALYSES}
#: real files (../shared/data/external): a cycling .mpr, an EIS .mpt, a CV .mpr, a series of spectra
REAL = ("cycler/biologic/jdb11-1_c3_gcpl_5cycles_2V-3p8V_C-24_data_C09.mpr",
        "eis/impedancepy_exampleDataBioLogic.mpt",
        "cycler/biologic/eclab_techniques/20220912_03_sp_Cu_Durapore_05_Cp_100mA_06_CV_C01.mpr",
        "eis/pyimpspec_tests_case-multiple-spectra.mpt")
#: what a drawn plotly figure holds: a trace (scatter, bar) or a contour map, with its paths or image
DRAWN = "svg.main-svg :is(g.trace, g.contour, g.hm) :is(path, image)"
#: the titles of the figures of the metal-anode, kinetics and model analyses in the demo report
ANALYSIS_FIGURES = ("Voltage trace and plateau overpotential", "Critical current density staircase",
                    "Nucleation overpotential", "Plating/stripping Coulombic efficiency", "GITT: diffusion coefficient",
                    "Tafel plot", "Cyclic voltammogram", "Linear sweep voltammogram", "dI/dE with onset potentials",
                    "Overpotentials, group Na nucleation", "Current density along the interface",
                    "Ionic field in the electrolyte", "Interface sweep over contact_fraction")
#: how long a report may take to draw everything before the test gives up (not a speed requirement)
PATIENCE_MS = 90_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium for the module, a fresh profile, the network refused: every request that is not
    for a file is aborted and recorded."""
    if not CHROMIUM.is_file():
        missing(f"{CHROMIUM} is missing: apt-get install chromium (Debian's package) to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the browser tests need Playwright's Python package: pip install playwright (no browser download)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            offline=True, viewport={"width": 1400, "height": 1000})
        context.requested = []

        def refuse(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                context.requested.append(route.request.url)
                route.abort()

        context.route("**/*", refuse)
        yield context
        context.close()


def opened(browser, report: Path, *, fragment: str = "", background: bool = True, ready: bool = True):
    """The report opened from disk and what went wrong on the way; with ``ready``, once it has drawn
    every figure (else once its first screen is drawn); without ``background``, the page draws only
    what is scrolled near (or asked for)."""
    page = browser.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed request {request.url}"))
    if not background:
        page.add_init_script("window.anodelabReportOptions = {background: false};")
    page.goto(report.as_uri() + fragment)
    page.wait_for_function("document.documentElement.dataset.ready === 'true'" if ready else
                           "document.documentElement.dataset.firstScreenMs !== undefined", timeout=PATIENCE_MS)
    return page, problems


def drawn(page) -> list[bool]:
    """Whether each figure container holds a drawn plot, in page order."""
    return page.evaluate("drawn => Array.from(document.querySelectorAll('.plot-area'), e => !!e.querySelector(drawn))",
                         DRAWN)


def on_screen(page) -> list[bool]:
    """Whether each figure container is (partly) in the window, in page order."""
    return page.evaluate("""Array.from(document.querySelectorAll('.plot-area'), e => {
        const box = e.getBoundingClientRect(); return box.bottom > 0 && box.top < innerHeight; })""")


def heights(page) -> list[float]:
    return page.evaluate("Array.from(document.querySelectorAll('.plot-area'), e => e.getBoundingClientRect().height)")


def check(page, problems, browser):
    """No error, no request, every figure drawn: a plotly SVG with a drawn trace in each figure element."""
    assert problems == []
    assert browser.requested == []
    state = page.evaluate("({...document.documentElement.dataset})")
    assert "failed" not in state, state
    assert int(state["rendered"]) == int(state["figures"]) > 0
    assert drawn(page) == [True] * int(state["figures"])  # every container, each with a drawn trace


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, demo_store) -> Path:
    return write_report(demo_store, tmp_path_factory.mktemp("demo-report"), headline=HEADLINE)


def test_the_demo_report_draws_every_figure_offline(browser, tmp_path_factory, demo_report):
    page, problems = opened(browser, demo_report)
    check(page, problems, browser)
    # the figures of the metal-anode and kinetics analyses are among those drawn
    titles = page.evaluate("drawn => Array.from(document.querySelectorAll('.plot-area'), e => "
                           "e.querySelector(drawn) ? e.getAttribute('aria-label') : null)", DRAWN)
    assert set(ANALYSIS_FIGURES) <= set(titles), set(ANALYSIS_FIGURES) - set(titles)
    shots = tmp_path_factory.mktemp("screenshots")
    page.screenshot(path=shots / "demo-top.png")
    for name, text in (("eis-series", "si_zno_insitu_eis"), ("ccd", "li_llzto_ccd"), ("gitt", "si_c_gitt"),
                       ("tafel", "na_tafel"), ("cv", "msi_c_cv")):
        section = page.locator("section.experiment", has_text=text)
        section.scroll_into_view_if_needed()
        section.screenshot(path=shots / f"demo-{name}.png")
        assert (shots / f"demo-{name}.png").stat().st_size > 10_000
    comparisons = page.locator("#comparisons")
    comparisons.scroll_into_view_if_needed()
    comparisons.screenshot(path=shots / "demo-comparisons.png")
    # the contents link to every file's section
    assert page.locator("#toc a[href^='#file-']").count() == len(PLAN) + len(MODELS)
    page.close()


def test_the_report_of_real_files_draws_every_figure_offline(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("real") / "study"
    folder.mkdir()
    for relative in REAL:
        shutil.copy(external_file(relative), folder)
    (folder / "broken.mpt").write_text("EC-Lab ASCII FILE\nNb header lines : 3\n\nnot data\n", encoding="utf-8")
    done = analyze(folder, figures=False)
    report = write_report(done.database, done.database.parent, headline=HEADLINE)
    page, problems = opened(browser, report)
    check(page, problems, browser)
    page.screenshot(path=tmp_path_factory.mktemp("screenshots") / "real-top.png", full_page=False)
    failures = page.locator("table.failures tr[data-path='broken.mpt']")
    assert failures.count() == 1 and "no reader accepted this file" in failures.inner_text()
    kinds = page.locator("section.experiment .badge.kind").all_inner_texts()
    assert sorted(kinds) == ["cv", "cycling", "eis", "eis-series"]
    page.close()


def test_the_demo_report_draws_on_demand_each_figure_once_scrolled_to(browser, demo_report):
    """With no drawing in the background: the top screen is drawn with the figures near it,
    not those further down; scrolling a screen at a time, every figure on screen gets drawn, in the
    height its container reserved (nothing below moves)."""
    page, problems = opened(browser, demo_report, background=False, ready=False)
    reserved = heights(page)
    assert int(page.evaluate("document.documentElement.dataset.firstScreen")) == sum(on_screen(page))
    assert not drawn(page)[-1]  # the last file's figures wait until scrolled near
    screens = 0
    while True:
        page.wait_for_function(  # every figure in the window drawn (no speed asked: PATIENCE_MS)
            """drawn => Array.from(document.querySelectorAll('.plot-area')).filter(e => {
                const box = e.getBoundingClientRect(); return box.bottom > 0 && box.top < innerHeight; })
                .every(e => e.querySelector(drawn))""", arg=DRAWN, timeout=PATIENCE_MS)
        if page.evaluate("scrollY + innerHeight >= document.documentElement.scrollHeight - 1"):
            break
        page.evaluate("window.scrollBy(0, innerHeight)")
        screens += 1
    assert screens > 10
    assert drawn(page) == [True] * len(reserved)
    assert heights(page) == pytest.approx(reserved, abs=1)
    page.wait_for_function("document.documentElement.dataset.ready === 'true'", timeout=PATIENCE_MS)
    check(page, problems, browser)
    page.close()


def test_a_link_to_a_section_draws_its_figures_first_and_every_figure_on_request(browser, demo_report):
    page, problems = opened(browser, demo_report, fragment="#file-2", background=False, ready=False)
    seen = on_screen(page)
    assert int(page.evaluate("document.documentElement.dataset.firstScreen")) == sum(seen) > 0
    shown = drawn(page)
    assert all(d for d, s in zip(shown, seen) if s) and not all(shown)
    assert page.evaluate("window.anodelabReport.drawAll().then(() => document.documentElement.dataset.ready)") == "true"
    check(page, problems, browser)
    page.close()


def test_without_plotly_every_figure_says_why_it_is_blank(browser, tmp_path_factory, demo_report):
    folder = tmp_path_factory.mktemp("no-plotly")
    shutil.copy(demo_report, folder / "index.html")  # and no plotly.min.js beside it
    page, problems = opened(browser, folder / "index.html")
    texts = page.locator(".plot-area").all_inner_texts()
    assert len(texts) > 1 and set(texts) == {"Figure not drawn: plotly.min.js is missing beside this page."}
    assert any("plotly.min.js did not load" in problem for problem in problems)
    assert page.evaluate("document.documentElement.dataset.firstScreenMs") is not None
    page.close()
