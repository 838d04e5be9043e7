"""Page weight: each page loads only the scripts it uses (a local Sphinx extension, _config.yml).

1. BokehJS (the explorers' live figures) is copied from the installed bokeh package into
   ``_static/bokeh/`` and loaded only on pages that contain a live figure, so it always matches
   the Python package that wrote the figure and the site needs no network.
2. The ipywidgets manager (RequireJS and ``@jupyter-widgets/html-manager``, about 3.6 MB) and the
   widget state are kept only on pages that show a widget view. myst-nb adds them to every
   notebook page whose kernel created a widget, even when the cell that shows it is removed from
   the page (the explorers' JupyterLab versions are); `drop_unshown_widgets` removes that record
   when a page has been read without a widget view.
3. Icons: the theme draws its Font Awesome icons with a 1.45 MB script
   (``scripts/fontawesome.js``) that turns ``<i class="fa-...">`` into inline SVG. Its stylesheet
   already carries the same icons as a web font, so ``_templates/static/webpack-macros.html`` (a copy
   of the theme's macro file without that one script tag) lets the font draw them.
4. Math: MathJax loads only on pages with math (no title in the navigation carries math), and
   as its small loader plus the three components the book uses (TeX input, HTML output, the
   hidden MathML that screen readers read): about 0.76 MB instead of the 1.16 MB combined file,
   most of which is the context menu.
5. Thebe (live code cells through a Binder kernel) is off in this book, but sphinx-thebe still
   puts its config and loader on every page, the config twice, so every page logged the console
   error "Identifier 'THEBE_JS_URL' has already been declared": both are dropped.
6. Accessibility of the theme's chrome, fixed in every built page after the build (axe-core,
   run by the site check, found these on every page): the sidebar's expand toggles are
   ``<summary>`` elements with only an icon, so they get a name ("Sections of ..."); the search
   button's ``aria-label`` ("Search") did not contain its visible text ("Search Ctrl+K"), so the
   visible text becomes its name; the references page's ``role="list"`` held
   ``doc-biblioentry`` items, which a list may not contain, so they become list items; the
   "Show code cell source" toggles lose an ``aria-label`` that hid their visible text.
7. Search: ``_templates/layout.html`` drops the search scripts and the search index (0.25 MB)
   that the theme puts into every page for its search-as-you-type option, which is off here;
   the search page loads its own.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

#: the BokehJS bundles a live figure needs: the core and the widgets (sliders, buttons)
BOKEH_BUNDLES = ("bokeh", "bokeh-widgets")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def bokeh_js_dir() -> Path:
    """The folder of the installed bokeh package that holds BokehJS."""
    import bokeh

    return Path(bokeh.__file__).parent / "server" / "static" / "js"


def bokeh_js_files() -> list[str]:
    """Paths, relative to ``_static``, of the BokehJS files a page with a live figure loads."""
    import bokeh

    return [f"bokeh/{bundle}-{bokeh.__version__}.min.js" for bundle in BOKEH_BUNDLES]


def is_thebe_asset(asset: Any) -> bool:
    """True for sphinx-thebe's config script, its loader and its stylesheet."""
    filename = getattr(asset, "filename", None) or str(asset)
    body = (getattr(asset, "attributes", {}) or {}).get("body") or ""
    return filename.startswith(("sphinx-thebe.", "_static/sphinx-thebe.")) or "THEBE_JS_URL" in body


def drop_unshown_widgets(app: Any, doctree: Any) -> None:
    """After a notebook page is read: forget its widget scripts when no widget view is shown.

    myst-nb records the widget manager and state for every notebook whose kernel made a widget
    (the explorers' JupyterLab versions, whose cells the site removes) and adds them to the page
    later; dropping the record here is what keeps them off the page.
    """
    from docutils import nodes

    if any(WIDGET_VIEW in node.astext() for node in doctree.findall(nodes.raw)):
        return
    record = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {}).get("js_files", {})
    for key in [k for k in record if k.startswith("ipywidgets")]:
        del record[key]


def _page_context(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body") or ""
    if "data-root-id=" in body:
        for rel in bokeh_js_files():
            app.add_js_file(rel, priority=400)
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not is_thebe_asset(js)]
    if "css_files" in context:
        context["css_files"] = [css for css in context["css_files"] if not is_thebe_asset(css)]


ROOT = Path(__file__).resolve().parents[1]
_LAUNCH = re.compile(r'(href="https://(?:colab\.research\.google\.com/github/[^"]*?/blob/[^/"]+/'
                     r'|mybinder\.org/v2/gh/[^"]*?\?urlpath=lab/tree/))(book/[^"]+?\.ipynb)"')


def link_student_edition(outdir: Path, student: Path | None = None) -> int:
    """The notebook buttons open the student edition (tools/student_edition.py), not the book's
    MyST source, which Jupyter front ends show as raw markup: the download button gets the edition
    with outputs (written over _sources/), the Binder and Colab buttons the repository's copy
    without outputs (student/). Returns the number of notebooks linked."""
    student = student or ROOT / "student"
    if not student.is_dir():
        return 0
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import student_edition

    linked = 0
    for source in sorted((outdir / "_sources").rglob("*.ipynb")):
        rel = source.relative_to(outdir / "_sources")
        if (student / rel).is_file() and (ROOT / rel).is_file():
            source.write_text(student_edition.render(ROOT / rel), encoding="utf-8")
            linked += 1

    def repl(m: re.Match) -> str:
        return f'{m.group(1)}student/{m.group(2)}"' if (student / m.group(2)).is_file() else m.group(0)

    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _LAUNCH.sub(repl, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return linked


def _build_finished(app: Any, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        _fix_chrome(Path(app.outdir))
        link_student_edition(Path(app.outdir))
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


_TOGGLE = re.compile(r'(<a class="[^"]*reference internal[^"]*" href="[^"]*"[^>]*>((?:(?!</a>).)*)</a>'
                     r'<details(?: open="open")?>)<summary>(<span class="toctree-toggle" '
                     r'role="presentation">)', re.S)
_SEARCH_BUTTON = re.compile(r'(<button class="[^"]*search-button-field[^"]*"[^>]*?) aria-label="[^"]*"')


def accessible_chrome(page: str) -> str:
    """The built page with the theme's three accessibility defects fixed (see the module doc)."""
    def name_toggle(m: re.Match) -> str:
        title = html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()
        label = html.escape(f"Sections of {title}", quote=True)
        return f'{m.group(1)}<summary aria-label="{label}">{m.group(3)}'

    page = _TOGGLE.sub(name_toggle, page)
    page = _SEARCH_BUTTON.sub(r"\1", page)
    # "Show code cell source" toggles: their visible text is their name, not "Toggle hidden content"
    page = page.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    return page.replace('role="doc-biblioentry"', 'role="listitem"')


def _fix_chrome(outdir: Path) -> None:
    for path in outdir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        new = accessible_chrome(text)
        if new != text:
            path.write_text(new, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    # after sphinx-mathjax-offline, which points mathjax_path at the combined file
    app.connect("config-inited", _config_inited, priority=900)
    # after myst-nb (priority 500) has put the notebook's scripts into the page context
    app.connect("html-page-context", _page_context, priority=900)
    app.connect("doctree-read", drop_unshown_widgets)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
