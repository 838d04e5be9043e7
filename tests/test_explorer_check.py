"""tools/explorer_check.py fails when a live explorer does not follow its controls.

A tiny site is written by hand (no Sphinx): the step-size explorer as coursepages builds it, the same
page with the state swap removed from its callback (the slider moves, the figure does not), and
the page without BokehJS (nothing renders). The check must pass the first and fail the others,
saying why.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "_ext"))
import explorer_check  # noqa: E402
import site_assets  # noqa: E402

from coursepages.webfig import web_figure  # noqa: E402
from gradlab import descent_explorer  # noqa: E402


class _App:  # what site_assets' build-finished hook reads of a Sphinx application
    def __init__(self, outdir: Path):
        self.outdir = str(outdir)
        self.builder = type("Builder", (), {"format": "html"})()
        self.doctreedir = str(outdir.parent / "doctrees")

HAS_CHROMIUM = os.path.isfile(explorer_check.CHROMIUM) and os.access(explorer_check.CHROMIUM, os.X_OK)
needs_chromium = pytest.mark.skipif(
    not HAS_CHROMIUM,
    reason=f"no Chromium at {explorer_check.CHROMIUM} (apt-get install chromium); "
           "`make site-check` itself fails in that case")

SWAP = "sources[name].data = state.data[name];"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    site_assets._build_finished(_App(root), None)
    live = web_figure(descent_explorer.STEP_SIZE)
    assert SWAP in live.html, "the fixture must find the callback's state swap to break it"
    scripts = "".join(f'<script src="_static/{rel}"></script>' for rel in site_assets.bokeh_js_files())

    def page(name: str, head: str, body: str) -> None:
        (root / name).write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head>"
                                 f"<body><main style='width:700px'>{body}</main></body></html>",
                                 encoding="utf-8")

    page("good.html", scripts, live.html)
    page("frozen.html", scripts, live.html.replace(SWAP, ""))
    page("no_bokeh.html", "", live.html)
    unnamed = live.html.split("\n<script>\n(function () {\n  var titles")[0]
    assert unnamed != live.html, "the fixture must find the sliders' naming script to drop it"
    page("unnamed.html", scripts, unnamed)
    (root / "plain.html").write_text("<html><body><p>no explorer</p></body></html>",
                                     encoding="utf-8")
    return root


def test_only_pages_with_live_figures_are_checked(site):
    names = [p.name for p in explorer_check.explorer_pages(site)]
    assert names == ["frozen.html", "good.html", "no_bokeh.html", "unnamed.html"]


@needs_chromium
def test_check_passes_a_working_explorer_and_fails_broken_ones(site, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=explorer_check.CHROMIUM,
                                    args=explorer_check.FLAGS)
        good = explorer_check.check_page(site / "good.html", tmp_path, False, browser)
        good_dark = explorer_check.check_page(site / "good.html", tmp_path, True, browser)
        frozen = explorer_check.check_page(site / "frozen.html", tmp_path, False, browser)
        missing = explorer_check.check_page(site / "no_bokeh.html", tmp_path, False, browser)
        unnamed = explorer_check.check_page(site / "unnamed.html", tmp_path, False, browser)
        browser.close()
    assert good == [] and good_dark == []
    assert (tmp_path / "good-0-before-light.png").is_file()
    assert (tmp_path / "good-0-after-dark.png").is_file()
    assert any("arrow key: source" in f and "does not show the state" in f for f in frozen)
    assert any("mouse: source" in f for f in frozen)
    assert len(missing) == 1 and "did not render" in missing[0]
    assert any("handle is named None" in f for f in unnamed), unnamed
    assert any("announces" in f and "but shows" in f for f in unnamed), unnamed


def test_expected_errors_names_what_is_wrong():
    state = {"data": {"s": {"x": [1.0]}}, "text": "one"}
    before = {"controls": {"control-a": 0}, "readout": "zero", "data": {"s": '{"x": [0.0]}'},
              "groups": [{"key": "0", "state": state}]}
    same = dict(before)
    assert "did not move" in explorer_check._expected_errors("x", before, same)[0]
    after = {"controls": {"control-a": 1}, "readout": "one", "data": {"s": '{"x": [1.0]}'},
             "groups": [{"key": "1", "state": state}]}
    assert explorer_check._expected_errors("x", before, after) == []
    wrong_text = dict(after, readout="zero")
    assert "readout" in explorer_check._expected_errors("x", before, wrong_text)[0]
    no_state = dict(after, groups=[{"key": "9", "state": None}])
    assert "no precomputed state" in explorer_check._expected_errors("x", before, no_state)[0]
