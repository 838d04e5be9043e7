"""Page weight: each page loads only the scripts it uses (a local Sphinx extension, _config.yml).

1. BokehJS (the explorers' live figures) is copied from the installed bokeh package into
   ``_static/bokeh/`` and loaded only on pages that contain a live figure, so it always matches
   the Python package that wrote the figure and the site needs no network.
2. The ipywidgets manager (RequireJS and ``@jupyter-widgets/html-manager``, about 3.6 MB) and the
   widget state are kept only on pages that show a widget view. myst-nb adds them to every
   notebook page whose kernel created a widget, even when the cell that shows it is removed from
   the page (the explorers' JupyterLab versions are).
3. Icons: the theme draws its Font Awesome icons with a 1.45 MB script
   (``scripts/fontawesome.js``) that turns ``<i class="fa-...">`` into inline SVG. Its stylesheet
   already carries the same icons as a web font, so ``_templates/static/webpack-macros.html`` (a copy
   of the theme's macro file without that one script tag) lets the font draw them.
4. Math: MathJax loads only on pages with math (no title in the navigation carries math), and
   as its small loader plus the three components the book uses (TeX input, HTML output, the
   hidden MathML that screen readers read): about 0.76 MB instead of the 1.16 MB combined file,
   most of which is the context menu.
5. Search: ``_templates/layout.html`` drops the search scripts and the search index (0.25 MB)
   that the theme puts into every page for its search-as-you-type option, which is off here;
   the search page loads its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

#: the BokehJS bundles a live figure needs: the core and the widgets (sliders, buttons)
BOKEH_BUNDLES = ("bokeh", "bokeh-widgets")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def bokeh_js_dir() -> Path:
    """The folder of the installed bokeh package that holds BokehJS."""
    import bokeh

    return Path(bokeh.__file__).parent / "server" / "static" / "js"


def bokeh_js_files() -> list[str]:
    """Paths, relative to ``_static``, of the BokehJS files a page with a live figure loads."""
    import bokeh

    return [f"bokeh/{bundle}-{bokeh.__version__}.min.js" for bundle in BOKEH_BUNDLES]


def is_widget_script(js: Any) -> bool:
    """True for the widget manager's scripts and the widget-state script myst-nb adds."""
    filename = getattr(js, "filename", None) or ""
    attributes = getattr(js, "attributes", {}) or {}
    return filename.startswith("widgets/") or attributes.get("type") == WIDGET_STATE


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body") or ""
    if "data-root-id=" in body:
        for rel in bokeh_js_files():
            app.add_js_file(rel, priority=400)
    if WIDGET_VIEW not in body and "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not is_widget_script(js)]


def _build_finished(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "bokeh"
        target.mkdir(parents=True, exist_ok=True)
        for bundle, rel in zip(BOKEH_BUNDLES, bokeh_js_files(), strict=True):
            shutil.copyfile(bokeh_js_dir() / f"{bundle}.min.js", Path(app.outdir) / "_static" / rel)


#: MathJax components: TeX input (with autoload for rarer macros), HTML output, assistive MathML
MATHJAX_COMPONENTS = ["input/tex", "output/chtml", "a11y/assistive-mml"]


def _config_inited(app: Any, config: Any) -> None:
    config.mathjax_path = "mathjax/startup.js"
    mathjax = dict(config.mathjax3_config or {})
    mathjax["loader"] = {**mathjax.get("loader", {}), "load": MATHJAX_COMPONENTS}
    config.mathjax3_config = mathjax


def setup(app: Any) -> dict[str, Any]:
    # after sphinx-mathjax-offline, which points mathjax_path at the combined file
    app.connect("config-inited", _config_inited, priority=900)
    # after myst-nb (priority 500) has put the notebook's scripts into the page context
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
