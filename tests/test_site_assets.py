"""The site build's page-weight extension (_ext/site_assets.py): scripts only where a page uses them."""

from __future__ import annotations

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
