"""tools/site_check.py reports what a reader would see broken; tools/fetch_widget_js.py degrades.

The browser tests build a tiny site by hand (no Sphinx): one page with a broken image, raw $$ math,
broken internal links, a request to another host and a widget view without state; one page where
everything is right (an image that loads, math typeset by the site's own MathJax, a working
#anchor); a page of stray TeX (a lone $, \\lVert, ^(, _{, w^T, TeX in the title); a page of
Cyrillic, Chinese and Bengali text without the matching lang; and a page where code, quoted
originals (class source-original) and correctly tagged scripts must pass. Every fault must be
reported, and nothing on the good pages. Screenshots are taken of every page at both widths.
"""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import fetch_widget_js  # noqa: E402
import site_check  # noqa: E402

HAS_CHROMIUM = os.path.isfile(site_check.CHROMIUM) and os.access(site_check.CHROMIUM, os.X_OK)
needs_chromium = pytest.mark.skipif(
    not HAS_CHROMIUM,
    reason=f"no Chromium at {site_check.CHROMIUM} (apt-get install chromium); "
           "`make site-check` itself fails in that case")


def _png(width: int = 3, height: int = 2) -> bytes:
    """A valid RGB PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80\x20\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _mathjax_dir() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    return Path(spec.origin).parent / "static" / "mathjax"


PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>
<body>{body}</body></html>"""

GOOD = PAGE.format(
    title="good",
    head='<script defer src="_static/mathjax/tex-chtml.js"></script>',
    body="""<h1 id="top">Good page</h1>
<p>Inline math <span class="math">\\(x^2 + 1\\)</span> and a figure:</p>
<img src="_images/ok.png" alt="ok" width="30" height="20">
<pre><code>cost = "$$ in code is fine"</code></pre>
<p id="sec">A section; <a href="#top">back to the top</a>, <a href="bad.html">the bad page</a>,
<a href="https://example.org/elsewhere">an outside link</a> (not followed).</p>
<article><button style="width: 40px; height: 40px">ok</button>
<div class="pst-scrollable-table-container" style="overflow-x: auto;
  mask-image: linear-gradient(to right, #000 80%, transparent)">
<table style="width: 900px"><tr><td>a wide table that scrolls, with a cue</td></tr></table></div>
</article>""")

BAD = PAGE.format(
    title="bad",
    head='<script src="https://cdn.example.org/lib.js"></script><script src="_static/heavy.js"></script>',
    body="""<h1>Bad page</h1>
<img src="_images/ok.png" alt="a figure squashed by a fixed height" style="width: 90%; height: 40px">
<p>Raw display math left untypeset: $$ \\frac{a}{b} $$</p>
<img src="_images/missing.png" alt="a figure that is not there">
<p><a href="good.html#sec">fine</a>, <a href="nowhere.html">no such page</a>,
<a href="good.html#no-such-anchor">no such anchor</a>.</p>
<script type="application/vnd.jupyter.widget-view+json">
{"version_major": 2, "version_minor": 0, "model_id": "abc"}</script>
<article><p>A phone reader's text, long enough to sit under a floating pill. """ + "Words. " * 400 + """</p>
<button id="tiny" style="width: 20px; height: 20px">x</button>
<table id="wide" style="width: 900px"><tr><td>a table wider than a phone</td><td>col 2</td></tr></table>
<h2>Экзаменационныйбилетпоградиентномуспускуиисчезающимградиентам</h2>
<button style="position: fixed; top: 40%; left: 10px; width: 200px; height: 40px">pill</button>
</article>""")

# One defect class per line: each must be reported as "tex" (and nothing on GOOD_TEXT)
TEX = PAGE.format(
    title="\\(w^T\\) in a title",
    head="",
    body="""<h1>Stray TeX</h1>
<p id="dollar">A stray dollar: $x + 1 has lost its partner.</p>
<p id="command">A lost command: clip by max(1, \\lVert g\\rVert / c).</p>
<p id="power">Plain-text math: the gradient is T w^(T-1) h_0.</p>
<p id="index">Plain-text index: h_{t-1} feeds the next step.</p>
<p id="caret">A caret power: the rule says w^T.</p>""")

LANG = PAGE.format(
    title="languages",
    head="",
    body="""<h1>Languages</h1>
<p>Russian with no lang: Градиентный взрыв.</p>
<div lang="en"><p>Chinese under the wrong lang: 梯度爆炸.</p></div>
<p>Bengali with no lang: গ্রেডিয়েন্ট.</p>""")

GOOD_TEXT = PAGE.format(
    title="good text",
    head="",
    body="""<h1>Good text</h1>
<p>Prices and formulas in code are fine: <code>cost = $5; x_{t-1} = w^(T-1)</code>.</p>
<div class="source-original" lang="bn"><p>Quoted verbatim: ( \\eta = 0.01 ) লার্নিং রেট</p></div>
<p lang="ru">Градиентный взрыв</p>
<div lang="zh-Hans"><p>梯度爆炸 <span>梯度</span></p></div>
<p lang="bn">গ্রেডিয়েন্ট</p>""")


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    html = tmp_path_factory.mktemp("site") / "html"
    (html / "_images").mkdir(parents=True)
    (html / "_images" / "ok.png").write_bytes(_png())
    (html / "_static").mkdir()
    # more than a text page may load
    (html / "_static" / "heavy.js").write_text("//" + "x" * (site_check.WEIGHT_LIMIT + 10_000) + "\n",
                                               encoding="utf-8")
    (html / "_static" / "mathjax").symlink_to(_mathjax_dir(), target_is_directory=True)
    (html / "good.html").write_text(GOOD, encoding="utf-8")
    (html / "bad.html").write_text(BAD, encoding="utf-8")
    (html / "tex.html").write_text(TEX, encoding="utf-8")
    (html / "lang.html").write_text(LANG, encoding="utf-8")
    (html / "good_text.html").write_text(GOOD_TEXT, encoding="utf-8")
    (html / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=good.html" />', encoding="utf-8")
    return html


def _kinds(issues, page):
    return {i.kind for i in issues if i.page == page}


def test_links_static(tiny_site):
    issues = site_check.check_links(tiny_site, site_check.site_pages(tiny_site))
    details = [i.detail for i in issues]
    assert {i.page for i in issues} == {"bad.html"}, issues
    assert any("nowhere.html" in d and "no such page" in d for d in details)
    assert any("no-such-anchor" in d for d in details)
    assert not any("good.html#sec" in d for d in details)


def test_redirect_target_is_checked(tmp_path):
    (tmp_path / "index.html").write_text('<meta http-equiv="refresh" content="0; url=gone.html">')
    issues = site_check.check_links(tmp_path, site_check.site_pages(tmp_path))
    assert [i.page for i in issues] == ["index.html"] and "gone.html" in issues[0].detail


@pytest.fixture(scope="module")
def browser_report(tiny_site, tmp_path_factory):
    shots = tmp_path_factory.mktemp("shots")
    issues = site_check.check_site(tiny_site, screenshots=shots)
    return issues, shots


@needs_chromium
def test_every_fault_is_reported(browser_report):
    issues, _ = browser_report
    bad = [i for i in issues if i.page == "bad.html"]
    text = "\n".join(map(str, bad))
    assert _kinds(issues, "bad.html") >= {"math", "image", "link", "offline", "widget", "aspect",
                                          "weight"}, text
    assert any(i.kind == "aspect" and i.detail.startswith("at 390 px") for i in bad), text
    assert any(i.kind == "weight" and "heavy.js" in i.detail for i in bad), text
    assert any(i.kind == "math" and "$$" in i.detail for i in bad), text
    assert any(i.kind == "image" and "missing.png" in i.detail for i in bad), text
    assert any(i.kind == "offline" and "cdn.example.org" in i.detail for i in bad), text
    assert any(i.kind == "resource" and "missing.png" in i.detail for i in bad), text
    assert any(i.kind == "touch" and "20x20 px" in i.detail for i in bad), text
    assert any(i.kind == "table" and "does not scroll" in i.detail for i in bad), text
    assert any(i.kind == "float" and '"pill"' in i.detail for i in bad), text
    assert any(i.kind == "wide" and "Экзаменационный" in i.detail for i in bad), text


@needs_chromium
def test_good_pages_are_clean(browser_report):
    issues, _ = browser_report
    clean = ("good.html", "index.html", "good_text.html")
    assert [str(i) for i in issues if i.page in clean] == []


@needs_chromium
def test_stray_tex_is_reported(browser_report):
    issues, _ = browser_report
    tex = [i.detail for i in issues if i.page == "tex.html" and i.kind == "tex"]
    for fragment in ('"$" in: A stray dollar', '"\\lVert" in: A lost command',
                     '"^(" in: Plain-text math', '"_{" in: Plain-text index',
                     '"w^T" in: A caret power', "in the page title"):
        assert any(fragment in d for d in tex), (fragment, tex)
    assert len(tex) == 6, tex


@needs_chromium
def test_script_without_its_lang_is_reported(browser_report):
    issues, _ = browser_report
    lang = sorted(i.detail for i in issues if i.page == "lang.html" and i.kind == "lang")
    assert len(lang) == 3, lang
    # the fixture pages are English (<html lang="en">): untagged Bengali and Russian are read as en
    assert lang[0].startswith('bn text under lang="en"')
    assert lang[1].startswith('ru text under lang="en"')
    assert lang[2].startswith('zh text under lang="en"')


@needs_chromium
def test_screenshots_of_every_page_at_both_widths(browser_report, tiny_site):
    from PIL import Image

    _, shots = browser_report
    pngs = {p.name for p in shots.glob("*.png")}
    pages = [p.stem for p in site_check.site_pages(tiny_site) if p.name != "index.html"]
    assert {f"{p}-{w}.png" for p in pages for w in ("1280", "390")} <= pngs, pngs
    assert Image.open(shots / "good-1280.png").size[0] == 1280
    assert Image.open(shots / "good-390.png").size[0] == 390


@needs_chromium
def test_stateless_widgets_can_be_allowed(tiny_site):
    bad = [tiny_site / "bad.html"]
    strict = site_check.check_pages(tiny_site, bad)
    lenient = site_check.check_pages(tiny_site, bad, allow_stateless_widgets=True)
    assert "widget" in _kinds(strict, "bad.html")
    assert "widget" not in _kinds(lenient, "bad.html")


def test_missing_chromium_fails_with_install_hint(tiny_site, monkeypatch, capsys):
    monkeypatch.setattr(site_check, "CHROMIUM", "/nonexistent/chromium")
    assert site_check.main(["--html", str(tiny_site)]) == 2
    err = capsys.readouterr().err
    assert "Chromium not found" in err and "apt-get install -y chromium" in err


def test_missing_site_fails(tmp_path, capsys):
    if not HAS_CHROMIUM:
        pytest.skip("Chromium is checked first")
    assert site_check.main(["--html", str(tmp_path)]) == 2
    assert "make book" in capsys.readouterr().err


def test_known_console_errors_are_counted_not_dropped(monkeypatch):
    current, known = [], {}
    key = "Identifier 'X' has already been declared"
    monkeypatch.setitem(site_check.KNOWN_CONSOLE_ERRORS, key, "an upstream bug, for the test")
    site_check._console(current, known, "p.html", f"uncaught exception: SyntaxError: {key}")
    site_check._console(current, known, "p.html", "TypeError: x is undefined")
    assert known == {key: 1}
    assert [i.detail for i in current] == ["TypeError: x is undefined"]


def test_widget_scripts_degrade_to_cdn_stand_ins(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch_widget_js, "WIDGETS", tmp_path / "cache")

    def no_network(quiet=False):
        raise OSError("network unreachable")

    monkeypatch.setattr(fetch_widget_js, "fetch", no_network)
    site = tmp_path / "html"
    site.mkdir()
    assert fetch_widget_js.install(site) is False
    target = site / "_static" / "widgets"
    for name, url in fetch_widget_js.CDN.items():
        assert url in (target / name).read_text()
    assert "__jupyter_widgets_assets_path__" in (target / "setup.js").read_text()
    assert "static figures" in capsys.readouterr().out


def test_integrity_pin_format():
    for _name, version, url, integrity in fetch_widget_js.PACKAGES.values():
        assert url.startswith("https://registry.npmjs.org/") and version in url
        assert integrity.startswith("sha512-") and len(integrity) == len("sha512-") + 88
    assert fetch_widget_js._integrity(b"x") != fetch_widget_js._integrity(b"y")


def test_launch_buttons_follow_the_repository_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(site_check, "STUDENT_EDITION", tmp_path / "no-student-edition")
    html = tmp_path / "html"
    (html / "_sources").mkdir(parents=True)
    (html / "_sources" / "nb.ipynb").write_text("{}")
    (html / "nb.html").write_text(
        '<a href="_sources/nb.ipynb">download</a>'
        '<a href="https://mybinder.org/v2/gh/me/course/main?urlpath=lab/tree/nb.ipynb">b</a>'
        '<a href="https://colab.research.google.com/github/me/course/blob/main/nb.ipynb">c</a>')
    (html / "plain.html").write_text("<p>no notebook behind this page</p>")
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/me/course\n")
    pages = site_check.site_pages(html)
    assert site_check.check_launch(html, pages, config) == []
    config.write_text("repository:\n  url: https://github.com/someone/else\n")
    kinds = {(i.page, i.kind) for i in site_check.check_launch(html, pages, config)}
    assert kinds == {("nb.html", "launch")}
    (html / "nb.html").write_text("<p>buttons gone</p>")
    details = [i.detail for i in site_check.check_launch(html, pages, None)]
    assert details == ["no download link to _sources/nb.ipynb"]


def test_launch_buttons_open_the_student_edition(tmp_path, monkeypatch):
    """With a student edition in the repository, Binder and Colab must open it, and the
    downloaded notebook must be plain Markdown; in a translated edition too (ru/...)."""
    student = tmp_path / "student"
    (student / "book").mkdir(parents=True)
    (student / "book" / "nb.ipynb").write_text("{}")
    monkeypatch.setattr(site_check, "STUDENT_EDITION", student)
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/me/course\n")
    html = tmp_path / "html"
    plain = {"cells": [{"cell_type": "markdown", "source": "The rate is 0.5."}]}
    raw = {"cells": [{"cell_type": "markdown", "source": "The rate is {glue:text}`r`."}]}
    for base in (html, html / "ru"):
        (base / "_sources" / "book").mkdir(parents=True)
        (base / "_sources" / "book" / "nb.ipynb").write_text(json.dumps(plain))
        (base / "book").mkdir()
        (base / "book" / "nb.html").write_text(
            '<a href="../_sources/book/nb.ipynb">download</a>'
            '<a href="https://mybinder.org/v2/gh/me/course/main?urlpath=lab/tree/student/book/nb.ipynb">b</a>'
            '<a href="https://colab.research.google.com/github/me/course/blob/main/student/book/nb.ipynb">c</a>')
    pages = site_check.site_pages(html)
    assert site_check.check_launch(html, pages, config) == []
    (html / "ru" / "_sources" / "book" / "nb.ipynb").write_text(json.dumps(raw))
    (html / "book" / "nb.html").write_text(
        '<a href="../_sources/book/nb.ipynb">download</a>'
        '<a href="https://mybinder.org/v2/gh/me/course/main?urlpath=lab/tree/book/nb.ipynb">b</a>'
        '<a href="https://colab.research.google.com/github/me/course/blob/main/student/book/nb.ipynb">c</a>')
    found = {(i.page, i.detail.split(":")[0]) for i in site_check.check_launch(html, pages, config)}
    assert found == {("book/nb.html", "no mybinder.org button for me/course"),
                     ("ru/book/nb.html", "the downloaded notebook shows MyST")}, found


def test_colab_cell_uses_the_repository_setting(tmp_path):
    import colab_cell

    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/me/course\n  branch: dev\n")
    text = colab_cell.cell_text(config)
    assert 'git+https://github.com/me/course.git@dev"' in text
    from IPython.core.inputtransformer2 import TransformerManager

    python = TransformerManager().transform_cell(text)  # what IPython runs: %pip -> run_line_magic
    compile(python, "cell", "exec")
    assert "run_line_magic('pip'" in python
    config.write_text("repository:\n  url: ''\n")
    with pytest.raises(ValueError, match="repository.url"):
        colab_cell.cell_text(config)


def test_binder_installs_the_same_torch_as_requirements():
    import re

    pin = re.search(r"^torch==(\S+)", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    post = (ROOT / "binder" / "postBuild").read_text()
    assert f"torch=={pin} " in post and "-r requirements.txt" in post
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)


def test_a_stalled_screenshot_is_retried_then_reported_not_raised(tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    class Page:
        def __init__(self, stalls):
            self.stalls, self.calls = stalls, 0

        def screenshot(self, path):
            self.calls += 1
            if self.calls <= self.stalls:
                raise PlaywrightTimeout("Page.screenshot: Timeout 30000ms exceeded.\nCall log:")
            Path(path).write_bytes(b"png")

    once = Page(stalls=1)
    assert site_check._screenshot(once, tmp_path / "a.png") == "" and once.calls == 2
    assert (tmp_path / "a.png").exists()
    always = Page(stalls=5)
    assert site_check._screenshot(always, tmp_path / "b.png") == (
        "Page.screenshot: Timeout 30000ms exceeded.")
    assert always.calls == 2
