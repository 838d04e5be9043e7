"""The site build's page-weight extension (_ext/site_assets.py): scripts only where a page uses them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import site_assets  # noqa: E402


class _JS(str):  # Sphinx's _JavaScript: a str with .filename and .attributes
    def __new__(cls, filename, **attributes):
        self = super().__new__(cls, filename or "")
        self.filename, self.attributes = filename, attributes
        return self


class _App:
    def __init__(self):
        self.files = []

    def add_js_file(self, name, **kw):
        self.files.append(name)


def _scripts():
    return [_JS("_static/jquery.js"), _JS("widgets/require.js"), _JS("widgets/embed-amd.js"),
            _JS(None, type="application/vnd.jupyter.widget-state+json", body="{}"),
            _JS("mathjax/tex-chtml.js"),
            _JS(None, body='const THEBE_JS_URL = "x"'), _JS("sphinx-thebe.js", **{"async": "async"})]


def test_bokeh_is_loaded_only_on_pages_with_a_live_figure():
    app = _App()
    site_assets._page_context(app, "a", "page.html", {"body": "<p>no figure</p>"}, None)
    assert app.files == []
    site_assets._page_context(app, "b", "page.html", {"body": '<div data-root-id="x"></div>'}, None)
    assert app.files == site_assets.bokeh_js_files()
    for rel in site_assets.bokeh_js_files():
        bundle = rel.split("/")[1].rsplit("-", 1)[0]
        assert (site_assets.bokeh_js_dir() / f"{bundle}.min.js").is_file()


def test_thebe_which_this_book_does_not_use_is_dropped_from_every_page():
    context = {"body": "<p>text</p>", "script_files": _scripts(),
               "css_files": [_JS("_static/sphinx-thebe.css"), _JS("_static/code.css")]}
    site_assets._page_context(_App(), "a", "page.html", context, None)
    assert not any(site_assets.is_thebe_asset(js) for js in context["script_files"])
    assert [str(c) for c in context["css_files"]] == ["_static/code.css"]


def test_the_icon_template_is_the_themes_minus_the_icon_script():
    import pydata_sphinx_theme

    theme = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
             / "webpack-macros.html").read_text(encoding="utf-8")
    ours = (ROOT / "_templates" / "static" / "webpack-macros.html").read_text(encoding="utf-8")
    theirs = [line for line in theme.splitlines() if "fontawesome.js" not in line]
    assert theirs != theme.splitlines(), "the theme no longer loads fontawesome.js: drop the override"
    assert ours.splitlines()[-len(theirs):] == theirs, "the theme's macros changed: copy them again"


def test_the_layout_override_drops_only_the_search_scripts():
    import pydata_sphinx_theme

    layout = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
              / "layout.html").read_text(encoding="utf-8")
    block = layout[layout.index("{%- block extrahead %}"):layout.index("{%- endblock extrahead %}")]
    ours = (ROOT / "_templates" / "layout.html").read_text(encoding="utf-8")
    lines = [line.strip() for line in block.splitlines()[1:] if line.strip()]
    scripts = [line for line in lines if line.startswith("<script")]
    metas = [line for line in lines if line.startswith("<meta")]
    assert len(scripts) == 3 and all(
        any(name in line for line in scripts) for name in ("searchtools", "language_data", "searchindex")
    ), "the theme's head block changed: copy it again without the search scripts"
    assert metas and all(line in ours for line in metas), "the override lost a <meta> of the theme"
    assert "<script" not in ours


def test_mathjax_loads_the_components_that_exist():
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    folder = Path(spec.origin).parent / "static" / "mathjax"
    assert (folder / "startup.js").is_file()
    for component in site_assets.MATHJAX_COMPONENTS:
        assert (folder / f"{component}.js").is_file(), component


def test_search_ranks_the_page_whose_title_holds_the_query_first():
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        import pytest

        pytest.skip("node is not installed")
    results = [["a", "Vanishing and exploding gradients", "", None, 30, "a.html"],
               ["b", "Gradient clipping > Why clip", "#why", None, 12, "b.html"],
               ["c", "Gradient clipping", "", None, 10, "c.html"]]
    script = (ROOT / "_ext" / "search_scorer.js").read_text(encoding="utf-8") + f"""
const results = {json.dumps(results)};
console.log(JSON.stringify(results.map((r) => [r[0], Scorer.score(r)])
  .sort((x, y) => y[1] - x[1]).map((x) => x[0])));"""
    order = {}
    for query in ("gradient clipping", "exploding"):
        env = f"globalThis.window = {{location: {{search: '?q={query.replace(' ', '+')}'}}}};\n"
        out = subprocess.run([node, "-e", env + script], capture_output=True, text=True, check=True)
        order[query] = json.loads(out.stdout)
    assert order["gradient clipping"] == ["c", "b", "a"]   # the page, its section, the rest
    assert order["exploding"][0] == "a"


def test_the_themes_chrome_is_made_accessible():
    page = (
        '<li><a class="reference internal" href="a.html">1. Plain</a></li>\n'
        '<li class="toctree-l1 has-children"><a class="reference internal" href="b.html" lang="ru">'
        '<span>3. The wᵀ &amp; "derivation"</span></a><details><summary><span class="toctree-toggle" '
        'role="presentation"><i class="fa-solid fa-chevron-down"></i></span></summary><ul>\n'
        '<button class="btn search-button-field search-button__button" title="Search" '
        'aria-label="Search" data-bs-toggle="tooltip"><span>Search</span><kbd>Ctrl</kbd></button>\n'
        '<div role="list" class="citation-list"><div class="citation" id="x" role="doc-biblioentry">\n'
        '<li class="toctree-l1 current active has-children"><a class="current reference internal" '
        'href="#">Exam sheet</a><details open="open"><summary><span class="toctree-toggle" '
        'role="presentation"><i></i></span></summary>\n'
        '<details class="hide above-input"><summary aria-label="Toggle hidden content">'
        '<span>Show code cell source</span></summary>'
    )
    fixed = site_assets.accessible_chrome(page)
    assert '<summary aria-label="Sections of 3. The wᵀ &amp; &quot;derivation&quot;">' in fixed
    assert '<summary aria-label="Sections of Exam sheet">' in fixed   # the current page's toggle
    assert fixed.count("aria-label=") == 2          # the search button and the code toggle lost theirs
    assert 'title="Search"' in fixed
    assert 'role="listitem"' in fixed and "doc-biblioentry" not in fixed
    assert site_assets.accessible_chrome(fixed) == fixed     # a second build changes nothing


def test_widget_scripts_are_forgotten_for_pages_that_show_no_widget():
    from docutils import nodes
    from docutils.utils import new_document

    def app_for(docname, record):
        env = type("Env", (), {"docname": docname, "nb_metadata": {docname: {"js_files": record}}})()
        return type("App", (), {"env": env})()

    def page(*raw):
        doc = new_document("page")
        for text in raw:
            doc += nodes.raw(text, text, format="html")
        return doc

    def record():
        return {"ipywidgets_state": (None, {}), "ipywidgets_0": ("widgets/setup.js", {}),
                "bokeh": ("bokeh.js", {})}

    hidden = record()
    site_assets.drop_unshown_widgets(app_for("a", hidden), page("<div>a figure</div>"))
    assert list(hidden) == ["bokeh"]
    shown = record()
    view = f'<script type="{site_assets.WIDGET_VIEW}">{{}}</script>'
    site_assets.drop_unshown_widgets(app_for("b", shown), page(view))
    assert len(shown) == 3


def test_notebook_buttons_open_the_student_edition(tmp_path):
    out = tmp_path / "html"
    rel = "book/gradient_descent/gradient_descent.ipynb"
    (out / "_sources" / rel).parent.mkdir(parents=True)
    (out / "_sources" / rel).write_text("{glue:text}`raw`")
    page = out / "book" / "gradient_descent" / "gradient_descent.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<a href="https://colab.research.google.com/github/o/r/blob/main/' + rel + '">c</a>'
        '<a href="https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/' + rel + '">b</a>'
        '<a href="https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/book/other.ipynb">x</a>')
    student = tmp_path / "student"
    (student / rel).parent.mkdir(parents=True)
    (student / rel).write_text("{}")
    assert site_assets.link_student_edition(out, student) == 1
    html = page.read_text()
    assert "blob/main/student/" + rel in html and "lab/tree/student/" + rel in html
    assert "lab/tree/book/other.ipynb" in html, "a notebook without a student copy keeps its link"
    downloaded = (out / "_sources" / rel).read_text()
    assert "{glue:text}" not in downloaded and '"cells"' in downloaded


def test_sphinx_design_loads_only_where_a_page_uses_it():
    def context(body):
        return {"body": body, "script_files": [_JS("_static/doctools.js"), _JS("_static/design-tabs.js")],
                "css_files": [_JS("_static/sphinx-design.min.css"), _JS("_static/code.css")]}

    plain = context('<p class="card">text</p>')
    site_assets._page_context(_App(), "a", "page.html", plain, None)
    assert [str(a) for a in plain["script_files"] + plain["css_files"]] == [
        "_static/doctools.js", "_static/code.css"]
    design = context('<div class="sd-row docutils">columns</div>')
    site_assets._page_context(_App(), "b", "page.html", design, None)
    assert len(design["script_files"]) == 2 and len(design["css_files"]) == 2


def test_icon_css_keeps_only_the_icons_the_site_shows():
    css = ('.fa-github:before{content:"\\f09b"}.fa-bell:before,.fa-bell-o:before{content:"\\f0f3"}'
           '.fa-rocket:before{content:"\\f135"}:root{--pst-icon-info:"\uf05a"}'
           '.toctree:after{content:"\\f078"}body{font-family:"Font Awesome 6 Free"}')
    slim, keep = site_assets.slim_icon_css(css, {"fa-github", "fa-bell-o", "fa-solid"})
    assert ".fa-github:before" in slim and ".fa-bell-o:before" in slim
    assert ".fa-bell:before" not in slim and "fa-rocket" not in slim and "\\f135" not in slim
    assert '--pst-icon-info:"\uf05a"' in slim and ".toctree:after" in slim
    assert keep == {0xF09B, 0xF0F3, 0xF05A, 0xF078}     # the admonition and chevron glyphs too


def test_icon_fonts_are_cut_to_the_shown_icons(tmp_path):
    from fontTools.ttLib import TTFont

    theme = site_assets.theme_static()
    out = tmp_path / "html"
    (out / "_static" / "styles").mkdir(parents=True)
    shutil.copytree(theme / "vendor", out / "_static" / "vendor")
    (out / "_static" / "styles" / "pydata-sphinx-theme.css").write_text("stale", encoding="utf-8")
    (out / "index.html").write_text('<i class="fa-brands fa-github"></i><i class="fa-solid fa-rocket">')
    site_assets.slim_icons(out)
    fonts = out / "_static" / "vendor" / "fontawesome" / "webfonts"
    solid = TTFont(str(fonts / "fa-solid-900.woff2")).getBestCmap()
    assert 0xF135 in solid and 0xF0F3 in solid          # the rocket; the theme's admonition bell
    assert 0xF5D2 not in solid                           # the atom: no page shows it
    assert 0xF09B in TTFont(str(fonts / "fa-brands-400.woff2")).getBestCmap()
    assert (fonts / "fa-solid-900.woff2").stat().st_size < 20_000
    css = (out / "_static" / "styles" / "pydata-sphinx-theme.css").read_text()
    assert ".fa-rocket:before" in css and ".fa-atom:before" not in css and "@font-face" in css


def test_the_language_switch_gets_fonts_of_its_own_glyphs(tmp_path):
    from fontTools.ttLib import TTFont

    out = tmp_path / "html"
    shutil.copytree(ROOT / "_static" / "fonts", out / "_static" / "fonts")
    (out / "index.html").write_text(
        '<nav class="edition-switch" aria-label="语言"><ul><li><a lang="ru">Русский</a></li>'
        '<li><a lang="zh">中文</a></li><li><a lang="bn">বাংলা</a></li></ul></nav>', encoding="utf-8")
    kept = site_assets.edition_name_fonts(out)
    assert kept == {"cyrillic": 6, "cjk": 2, "bengali": 4}
    cjk = out / "_static" / "edition-names-cjk.woff2"
    assert set(TTFont(str(cjk)).getBestCmap()) == {ord("中"), ord("文")}     # not 语言 (a label)
    assert cjk.stat().st_size < 5_000 < (ROOT / "_static" / "fonts" / "cjk.woff2").stat().st_size
    css = (ROOT / "_static" / "edition_names.css").read_text(encoding="utf-8")
    for name in kept:
        assert f"edition-names-{name}.woff2" in css


def test_figures_get_a_palette_only_when_it_draws_them_the_same(tmp_path):
    from PIL import Image, ImageDraw

    images = tmp_path / "_images"
    images.mkdir()
    plot = Image.new("RGBA", (600, 400), "white")
    draw = ImageDraw.Draw(plot)
    for i in range(20):
        draw.line([(0, 20 * i), (600, 400 - 13 * i)], fill=(31, 119 + i, 180), width=3)
    plot.save(images / "plot.png")
    import random

    rng = random.Random(0)
    noise = Image.frombytes("RGB", (300, 300), bytes(rng.randrange(256) for _ in range(300 * 300 * 3)))
    noise.save(images / "photo.png")
    photo_bytes = (images / "photo.png").read_bytes()
    before, after = site_assets.compress_figures(tmp_path)
    assert after < before
    with Image.open(images / "plot.png") as done:
        assert done.mode == "P" and done.size == (600, 400)
    assert (images / "photo.png").read_bytes() == photo_bytes, "a palette would change it: kept"
    assert site_assets.compress_figures(tmp_path) == (after, after)     # a second build: no change


def test_math_is_typeset_when_the_site_is_built(tmp_path):
    import importlib.util

    node = shutil.which("node")
    if node is None:
        import pytest

        pytest.skip("node is not installed")
    out = tmp_path / "html"
    mathjax = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static" / "mathjax"
    (out / "_static").mkdir(parents=True)
    (out / "_static" / "mathjax").symlink_to(mathjax)
    head = ('<head><script>window.MathJax = {"loader": {}}</script>\n'
            '<script defer="defer" src="../_static/mathjax/startup.js"></script>\n</head>')
    page = out / "book" / "a.html"
    page.parent.mkdir()
    page.write_text(head + '<p>Let <span class="math notranslate nohighlight">\\(x &lt; c\\)</span>.</p>'
                    '<div class="math notranslate nohighlight">\n\\[\\frac{1}{2}\\]</div>', encoding="utf-8")
    other = out / "b.html"
    other.write_text(head + '<span class="math notranslate nohighlight">$y$</span>', encoding="utf-8")
    record = tmp_path / "doctrees" / "math.json"
    assert site_assets.prerender_math(out, record) == 1
    text = page.read_text(encoding="utf-8")
    assert text.count("<mjx-container") == 2 and "<mjx-assistive-mml" in text
    assert "\\(" not in text and "mathjax/startup.js" not in text and "window.MathJax" not in text
    assert '<link rel="stylesheet" type="text/css" href="../_static/mathjax-chtml.css" />' in text
    kept = other.read_text(encoding="utf-8")   # math MathJax must find itself: the page keeps it
    assert "mathjax/startup.js" in kept and "mathjax-chtml.css" not in kept
    css = (out / "_static" / "mathjax-chtml.css").read_text(encoding="utf-8")
    assert "mjx-c.mjx-c3C::before" in css and "calc(1ex / 0.442)" in css
    # an incremental build that rewrites no page keeps the stylesheet of every formula
    page.write_text(head + '<span class="math notranslate nohighlight">\\(z\\)</span>', encoding="utf-8")
    site_assets.prerender_math(out, record)
    assert "mjx-c.mjx-c3C::before" in (out / "_static" / "mathjax-chtml.css").read_text(encoding="utf-8")


PAGE_WITH_SECTIONS = """<html><body><nav class="bd-docs-nav"><p>Chapter list</p></nav>
<main role="main"><article class="bd-article">
<section id="clipping"><h1>Gradient clipping<a class="headerlink" href="#clipping">#</a></h1>
<p>Clipping caps the size of a gradient.</p><p>It is a guard.</p>
<div class="cell_input"><div class="highlight"><pre>clip(g)</pre></div></div>
<div class="cell_output"><pre>tensor(5.)</pre></div>
<section id="the-mechanism"><h2>The mechanism</h2><p>Let <span class="math"><mjx-container>
<mjx-math><mjx-c></mjx-c></mjx-math><mjx-assistive-mml><math><mi>g</mi></math></mjx-assistive-mml>
</mjx-container></span> be the gradient.</p></p>""" + "<p>More words here.</p>" * 60 + """
</section></section></article></main></body></html>"""


def test_search_snippets_hold_each_sections_first_sentences(tmp_path):
    sections = dict(site_assets.page_snippets(PAGE_WITH_SECTIONS))
    assert list(sections) == ["clipping", "the-mechanism"]
    assert sections["clipping"] == "Gradient clipping Clipping caps the size of a gradient. It is a guard."
    assert sections["the-mechanism"].startswith("The mechanism Let g be the gradient. More words")
    assert len(sections["the-mechanism"]) <= site_assets.SNIPPET_CHARS + 4
    assert sections["the-mechanism"].endswith(" ...")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "clipping.html").write_text(PAGE_WITH_SECTIONS, encoding="utf-8")
    (tmp_path / "search.html").write_text(PAGE_WITH_SECTIONS, encoding="utf-8")
    assert site_assets.search_snippets(tmp_path) == 1
    script = (tmp_path / "_static" / "search_snippets.js").read_text(encoding="utf-8")
    assert script.startswith('window.SEARCH_SNIPPETS = {"book/clipping":[["clipping","Gradient')
    assert (tmp_path / "_static" / site_assets.SEARCH_OFFLINE_JS).is_file()


def test_the_search_page_gets_snippets_from_disk(tmp_path):
    """In Chromium from file://: the search page's fetch of a result page answers with its
    snippets, in the shape Sphinx reads ([role=main] and sections by id)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import site_check

    if not Path(site_check.CHROMIUM).is_file():
        import pytest

        pytest.skip("no Chromium")
    from playwright.sync_api import sync_playwright

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "clipping.html").write_text(PAGE_WITH_SECTIONS, encoding="utf-8")
    site_assets.search_snippets(tmp_path)
    (tmp_path / "search.html").write_text(
        '<html data-content_root="./"><head><script src="_static/search_offline.js"></script>'
        "</head><body></body></html>", encoding="utf-8")
    probe = """async () => {
      const html = await (await fetch('./book/clipping.html')).text();
      const doc = new DOMParser().parseFromString(html, 'text/html');
      let other = 'fetched';
      try { await fetch('./book/missing.html'); } catch (e) { other = 'refused'; }
      return [doc.querySelector('[role="main"] #the-mechanism').textContent, other];
    }"""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=site_check.CHROMIUM,
                                     args=site_check.CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        page.goto((tmp_path / "search.html").as_uri(), wait_until="load")
        section, other = page.evaluate(probe)
        browser.close()
    assert section.startswith("The mechanism Let g be the gradient.")
    assert other == "refused"      # a page without snippets goes to the browser, which refuses


def test_theme_css_keeps_the_rules_of_classes_some_page_or_script_uses():
    css = ('@charset "UTF-8";/*! Bootstrap licence */:root{--x:1}.used{color:red}'
           '.unused{color:blue}.used,.unused .used{margin:0}a:not(.unused){color:green}'
           ':is(.used, .gone) p{padding:0}.bs-tooltip-auto .used{top:0}'
           '@media (min-width:1px){.unused{x:1}.used > .child{x:2}}@media print{.gone{x:3}}'
           '@font-face{font-family:F;src:url(f.woff2)}@keyframes spin{0%{top:0}to{top:1px}}'
           '.quote::before{content:"{.unused}"}')
    slim = site_assets.purge_css(css, {"used", "child", "quote"})
    assert slim.startswith('@charset "UTF-8";/*! Bootstrap licence */:root{--x:1}.used{color:red}')
    assert ".unused{color:blue}" not in slim and ".used{margin:0}" in slim
    assert "a:not(.unused){color:green}" in slim and ":is(.used, .gone) p{padding:0}" in slim
    assert ".bs-tooltip-auto .used{top:0}" in slim                     # made by a script from parts
    assert "@media (min-width:1px){.used > .child{x:2}}" in slim and "@media print" not in slim
    assert "@font-face{font-family:F;src:url(f.woff2)}" in slim
    assert "@keyframes spin{0%{top:0}to{top:1px}}" in slim
    assert '.quote::before{content:"{.unused}"}' in slim
    everything = site_assets.purge_css(css, {"used", "unused", "gone", "child", "quote"})
    assert everything.replace("\n", "") == css
