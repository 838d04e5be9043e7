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
            _JS(None, type=site_assets.WIDGET_STATE, body="{}"), _JS("mathjax/tex-chtml.js")]


def test_bokeh_is_loaded_only_on_pages_with_a_live_figure():
    app = _App()
    site_assets._page_context(app, "a", "page.html", {"body": "<p>no figure</p>"}, None)
    assert app.files == []
    site_assets._page_context(app, "b", "page.html", {"body": '<div data-root-id="x"></div>'}, None)
    assert app.files == site_assets.bokeh_js_files()
    for rel in site_assets.bokeh_js_files():
        bundle = rel.split("/")[1].rsplit("-", 1)[0]
        assert (site_assets.bokeh_js_dir() / f"{bundle}.min.js").is_file()


def test_widget_scripts_are_dropped_where_no_widget_is_shown():
    context = {"body": "<p>text and a figure</p>", "script_files": _scripts()}
    site_assets._page_context(_App(), "a", "page.html", context, None)
    assert [str(js) for js in context["script_files"]] == ["_static/jquery.js", "mathjax/tex-chtml.js"]


def test_widget_scripts_stay_where_a_widget_is_shown():
    body = f'<script type="{site_assets.WIDGET_VIEW}">{{"model_id": "x"}}</script>'
    context = {"body": body, "script_files": _scripts()}
    site_assets._page_context(_App(), "a", "page.html", context, None)
    assert len(context["script_files"]) == 5


def test_the_icon_template_is_the_themes_minus_the_icon_script():
    import pydata_sphinx_theme

    theme = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
             / "webpack-macros.html").read_text(encoding="utf-8")
    ours = (ROOT / "_templates" / "static" / "webpack-macros.html").read_text(encoding="utf-8")
    theirs = [line for line in theme.splitlines() if "fontawesome.js" not in line]
    assert theirs != theme.splitlines(), "the theme no longer loads fontawesome.js: drop the override"
    assert ours.splitlines()[-len(theirs):] == theirs, "the theme's macros changed: copy them again"
