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
8. sphinx-design's stylesheet and tab script (62 kB) load only on pages that use one of its
   components (a class ``sd-...`` in the page body: the source documents' columns and badges).
9. After the build, the shared files lose what no page shows (`slim_site`):
   - Font Awesome: the theme ships all 2,000 icons (fonts 0.28 MB per page, 86 kB of CSS rules);
     the site shows about twenty. The fonts are cut down to the icons named in the built pages,
     the theme's scripts and the CSS's own ``content`` glyphs, and the CSS keeps only those
     icons' rules (`slim_icons`).
   - The language switch on every page names the editions in their own scripts (Русский, 中文,
     বাংলা), which made every English page download the Chinese and Bengali fonts (0.19 MB) for
     five glyphs. The switch gets its own fonts holding just its glyphs (`edition_name_fonts`,
     _static/edition_names.css); the full fonts load only where the page's text needs them.
   - The theme's stylesheet (0.31 MB, most of it Bootstrap components the site never shows)
     keeps only the rules whose classes appear in a built page or in one of the site's scripts
     (`purge_css`; classes a script joins from parts, "bs-...", are always kept). Screenshots
     of every kind of page, open drawers and dialogs, light and dark, are pixel-identical.
   - Figures: matplotlib writes 24-bit PNGs; a palette of 256 colours draws the same plot
     (a root-mean-square difference below 1 of 255 levels on every figure of the book, checked
     per image: an image that would change more keeps its colours) at a third of the bytes
     (`compress_figures`).
11. Search snippets from disk: Sphinx's search page fetches each result's page to show a
    snippet, which a browser refuses over file://, so a reader of the downloaded site saw bare
    titles. `search_snippets` writes the first sentences of every section of every page
    (``_static/search_snippets.js``, loaded only by the search page opened from disk) and
    _ext/search_offline.js answers the search page's fetches with them.
10. Math is typeset once, when the site is built (`prerender_math`): the MathJax the site ships
    runs in node (_ext/prerender_math.js) with the components a browser would load (TeX input,
    HTML output, the hidden MathML that screen readers read), each page gets the typeset math and
    one shared stylesheet (_static/mathjax-chtml.css, 15-40 kB; the fonts load as before), and
    loses the 0.76 MB of MathJax scripts. Without node the pages keep loading MathJax (same
    output, typeset in the reader's browser), and the build says so.
"""

from __future__ import annotations

import html
import html.parser as html_parser
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
    if pagename == "search":   # before the lists below are copied: add_js_file adds to the builder's
        app.add_js_file(SEARCH_OFFLINE_JS, priority=200)
    if "script_files" in context:
        context["script_files"] = [js for js in context["script_files"] if not is_thebe_asset(js)]
    if "css_files" in context:
        context["css_files"] = [css for css in context["css_files"] if not is_thebe_asset(css)]
    if not _USES_DESIGN.search(body):
        for key in ("script_files", "css_files"):
            if key in context:
                context[key] = [a for a in context[key] if not is_design_asset(a)]


_USES_DESIGN = re.compile(r'class="(?:[^"]*\s)?sd-')


def is_design_asset(asset: Any) -> bool:
    """True for sphinx-design's stylesheet and its tab script."""
    filename = getattr(asset, "filename", None) or str(asset)
    return Path(filename).name.startswith(("sphinx-design.", "design-tabs."))


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
        slim_site(Path(app.outdir), Path(app.doctreedir) / "site_assets_math.json")
        target = Path(app.outdir) / "_static" / "bokeh"
        target.mkdir(parents=True, exist_ok=True)
        for bundle, rel in zip(BOKEH_BUNDLES, bokeh_js_files(), strict=True):
            shutil.copyfile(bokeh_js_dir() / f"{bundle}.min.js", Path(app.outdir) / "_static" / rel)


SEARCH_OFFLINE_JS = "search_offline.js"
#: the most text kept from one section for its search snippet (Sphinx shows 240 characters)
SNIPPET_CHARS = 480


class _SectionText(html_parser.HTMLParser):
    """The prose of a built page's article by section id (code, outputs, links' marks, the
    visual half of typeset math and the navigation left out)."""

    SKIP_TAGS = {"script", "style", "nav", "button", "mjx-math", "svg", "template"}
    SKIP_CLASSES = {"headerlink", "highlight", "cell_output", "output", "toctree-wrapper",
                    "edition-switch", "eqno"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None, bool]] = []   # tag, section id, skipped
        self.article = 0
        self.text: dict[str, list[str]] = {}
        self.order: list[str] = []

    BLOCK = {"p", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd",
             "section", "pre", "blockquote", "figcaption", "br", "tr"}

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCK:
            self.handle_data(" ")                    # words of two blocks stay apart
        if tag in self.VOID:
            return
        d = dict(attrs)
        classes = set((d.get("class") or "").split())
        if tag == "article" and "bd-article" in classes:
            self.article += 1
        skipped = bool(self.stack and self.stack[-1][2]) or tag in self.SKIP_TAGS \
            or bool(classes & self.SKIP_CLASSES)
        section = d.get("id") if tag == "section" and d.get("id") else None
        if section and self.article and section not in self.text:
            self.text[section] = []
            self.order.append(section)
        self.stack.append((tag, section, skipped))

    def handle_endtag(self, tag):
        if tag in self.BLOCK:
            self.handle_data(" ")
        if all(open_tag != tag for open_tag, _, _ in self.stack):
            return                                   # a stray end tag closes nothing
        while self.stack:
            top = self.stack.pop()
            if top[0] == "article" and self.article:
                self.article -= 1
            if top[0] == tag:
                break

    def handle_data(self, data):
        if not self.article or (self.stack and self.stack[-1][2]):
            return
        section = next((sid for _, sid, _ in reversed(self.stack) if sid), None)
        if section is not None:
            self.text[section].append(data)

    def sections(self, limit: int = SNIPPET_CHARS) -> list[list[str]]:
        out = []
        for sid in self.order:
            text = re.sub(r"\s+", " ", "".join(self.text[sid])).strip()
            if len(text) > limit:
                text = text[:limit].rsplit(" ", 1)[0] + " ..."
            if text:
                out.append([sid, text])
        return out


def page_snippets(page_html: str) -> list[list[str]]:
    """[[section id, its first sentences], ...] of one built page, in page order."""
    parser = _SectionText()
    parser.feed(page_html)
    return parser.sections()


def search_snippets(outdir: Path) -> int:
    """``_static/search_snippets.js`` and ``_static/search_offline.js`` (see the module doc, 11).
    Returns the number of pages with snippets."""
    import json

    snippets = {}
    for page in _own_pages(outdir):
        docname = page.relative_to(outdir).with_suffix("").as_posix()
        if docname in ("search", "genindex"):
            continue
        sections = page_snippets(page.read_text(encoding="utf-8", errors="replace"))
        if sections:
            snippets[docname] = sections
    static = outdir / "_static"
    static.mkdir(parents=True, exist_ok=True)
    text = json.dumps(snippets, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    (static / "search_snippets.js").write_text(
        f"window.SEARCH_SNIPPETS = {text};\n", encoding="utf-8")
    shutil.copyfile(Path(__file__).with_name(SEARCH_OFFLINE_JS), static / SEARCH_OFFLINE_JS)
    return len(snippets)


def _split_top(text: str, sep: str) -> list[str]:
    """`text` split at each `sep` outside parentheses, brackets and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _blocks(css: str) -> list[tuple[str, str | None]]:
    """Top-level items of a stylesheet: (prelude, body) for a block, (statement, None) for an
    at-rule without one (``@charset``, ``@import``). Quotes and comments are respected."""
    items, i, n = [], 0, len(css)
    while i < n:
        j, quote = i, ""
        while j < n:                                  # the prelude ends at { or ; (outside quotes)
            ch = css[j]
            if quote:
                quote = "" if ch == quote and css[j - 1] != "\\" else quote
            elif css.startswith("/*", j):
                j = css.find("*/", j + 2) + 1 or n
            elif ch in "\"'":
                quote = ch
            elif ch in "{;":
                break
            j += 1
        if j >= n:
            break
        if css[j] == ";":
            items.append((css[i:j + 1], None))
            i = j + 1
            continue
        depth, k, quote = 1, j + 1, ""
        while k < n and depth:
            ch = css[k]
            if quote:
                quote = "" if ch == quote and css[k - 1] != "\\" else quote
            elif ch in "\"'":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            k += 1
        items.append((css[i:j], css[j + 1:k - 1]))
        i = k
    return items


_CLASS = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
#: classes that scripts make by joining strings (bootstrap's "bs-" + name + "-auto"): always kept
DYNAMIC_CLASS_PREFIXES = ("bs-",)


def purge_css(css: str, used: set[str]) -> str:
    """`css` without the style rules whose every selector names a class in no page (`used`: the
    words of the built pages and of the site's scripts). A selector's ``:not(...)``, ``:is(...)``
    and other parenthesised parts do not count; at-rules other than @media, @supports, @layer
    and @container (fonts, keyframes) are kept whole."""
    out = []
    for prelude, body in _blocks(css):
        out.extend(re.findall(r"/\*!.*?\*/", prelude, flags=re.S))     # licences stay
        head = re.sub(r"/\*.*?\*/", "", prelude, flags=re.S).strip()
        if body is None:
            out.append(head)
        elif head.startswith("@"):
            if head.split(None, 1)[0] in ("@media", "@supports", "@layer", "@container"):
                inner = purge_css(body, used)
                if inner:
                    out.append(f"{head}{{{inner}}}")
            else:
                out.append(f"{head}{{{body}}}")
        else:
            keep = [sel for sel in _split_top(head, ",")
                    if all(c in used or c.startswith(DYNAMIC_CLASS_PREFIXES)
                           for c in _CLASS.findall(re.sub(r"\([^()]*\)", "", sel)))]
            if keep:
                out.append(",".join(keep) + f"{{{body}}}")
    return "".join(out)


def used_words(outdir: Path) -> set[str]:
    """Every word (class-name characters) of the built pages and of the scripts under _static."""
    words: set[str] = set()
    files = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
    files += [p for p in outdir.rglob("_static/**/*.js")
              if not {"mathjax", "vendor"} & set(p.parts) and p.name != "fontawesome.js"]
    for path in files:
        words.update(re.findall(r"[A-Za-z0-9_-]+", path.read_text(encoding="utf-8", errors="replace")))
    return words


def slim_site(outdir: Path, math_record: Path | None = None) -> None:
    """The built site's shared files without what no page shows (see the module doc, 9, 10)."""
    slim_icons(outdir)
    theme_css = outdir / "_static" / "styles" / "pydata-sphinx-theme.css"
    if theme_css.is_file():
        theme_css.write_text(purge_css(theme_css.read_text(encoding="utf-8"), used_words(outdir)),
                             encoding="utf-8")
    edition_name_fonts(outdir)
    compress_figures(outdir)
    prerender_math(outdir, math_record)
    search_snippets(outdir)


_MATH = re.compile(r'(<(span|div) class="math notranslate nohighlight"[^>]*>)(.*?)(</\2>)', re.S)
_TEX = re.compile(r"\s*\\([(\[])(.*)\\([)\]])\s*", re.S)
_MATHJAX_SCRIPTS = re.compile(r'<script>window\.MathJax = .*?</script>\n?'
                              r'|<script[^>]*src="[^"]*_static/mathjax/startup\.js[^"]*"></script>\n?')
MATH_CSS = "mathjax-chtml.css"
# MathJax in a browser scales each formula so that its x-height (0.442 em of its font) matches the
# surrounding text's; in CSS that is a font size of 1ex / 0.442 (ex here is the parent's x-height)
MATH_SCALE = """
/* _ext/site_assets.py: the x-height of the math matches the text's, as MathJax's matchFontHeight */
mjx-container[jax="CHTML"] {
  font-size: calc(1ex / 0.442);
}
"""


def _own_pages(outdir: Path) -> list[Path]:
    """The pages of this build (not those of an edition built into a folder of it, which has its
    own _static, nor copied assets)."""
    pages = []
    for page in outdir.rglob("*.html"):
        rel = page.relative_to(outdir).parts
        if set(rel[:-1]) & {"_static", "_sources", "_images", "jupyter_execute", "widgets"}:
            continue
        if any((outdir.joinpath(*rel[:i]) / "_static").is_dir() for i in range(1, len(rel))):
            continue
        pages.append(page)
    return sorted(pages)


def prerender_math(outdir: Path, record: Path | None = None, node: str | None = None) -> int:
    """Typeset every page's math with node (see the module doc, 10). Returns the number of pages
    that no longer load MathJax; 0 when node is missing (the pages then typeset in the browser).

    The shared stylesheet holds a rule per character drawn, so it is made from every formula of
    the site: an incremental build rewrites only some pages, and `record` (a JSON file kept with
    the build's doctrees) remembers the formulas of the pages it did not rewrite."""
    import json
    import os
    import subprocess

    node = node or shutil.which("node")
    mathjax = outdir / "_static" / "mathjax"
    if node is None or not (mathjax / "node-main.js").is_file():
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "site_assets: node or MathJax's node-main.js missing: math is typeset in the browser")
        return 0
    pages: dict[Path, tuple[str, list[re.Match]]] = {}
    items: dict[tuple[str, bool], int] = {}
    for page in _own_pages(outdir):
        text = page.read_text(encoding="utf-8")
        found = [m for m in _MATH.finditer(text) if _TEX.fullmatch(html.unescape(m.group(3)))]
        if not found or not _MATHJAX_SCRIPTS.search(text):
            continue
        pages[page] = (text, found)
        for m in found:
            tex = _TEX.fullmatch(html.unescape(m.group(3)))
            items.setdefault((tex.group(2), tex.group(1) == "["), len(items))
    if not pages and (outdir / "_static" / MATH_CSS).is_file():
        return 0
    seen = json.loads(record.read_text(encoding="utf-8")) if record and record.is_file() else []
    for tex, display in seen:
        items.setdefault((tex, bool(display)), len(items))
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps([[tex, display] for tex, display in items]), encoding="utf-8")
    job = {"mathjax": str(mathjax), "fontURL": "mathjax/output/chtml/fonts/woff-v2",
           "items": [[tex, display] for tex, display in items]}
    run = subprocess.run([node, str(Path(__file__).with_name("prerender_math.js"))],
                         input=json.dumps(job), capture_output=True, text=True, check=True)
    typeset = json.loads(run.stdout)
    (outdir / "_static" / MATH_CSS).write_text(typeset["css"] + MATH_SCALE, encoding="utf-8")
    dropped = 0
    for page, (text, found) in pages.items():
        out, last = [], 0
        for m in found:
            tex = _TEX.fullmatch(html.unescape(m.group(3)))
            out += [text[last:m.start(3)], typeset["html"][items[(tex.group(2), tex.group(1) == "[")]]]
            last = m.end(3)
        text = "".join(out) + text[last:]
        # a page whose math all got typeset drops MathJax and links the shared stylesheet
        if all(m.group(3).startswith("<mjx-container") for m in _MATH.finditer(text)):
            rel = os.path.relpath(outdir / "_static" / MATH_CSS, page.parent).replace(os.sep, "/")
            dropped += 1
            text = _MATHJAX_SCRIPTS.sub("", text).replace(
                "</head>", f'<link rel="stylesheet" type="text/css" href="{rel}" />\n</head>', 1)
        page.write_text(text, encoding="utf-8")
    return dropped


FA_WEBFONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")
_ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:(?:before|after),?)+)'
                        r'\{content:"((?:\\[0-9a-fA-F]+|[^"\\])*)"\}')
_STRING = re.compile(r'"((?:\\[0-9a-fA-F]+ ?|[^"\\])*)"')
_ICON_NAME = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}) ?|(.)", re.S)


def _css_chars(value: str) -> set[int]:
    return {int(m.group(1), 16) if m.group(1) else ord(m.group(2)) for m in _ESCAPE.finditer(value)}


def used_icon_names(outdir: Path) -> set[str]:
    """Every ``fa-...`` class named in a built page or in a script the pages may run (the
    theme's; not Font Awesome's own script, which no page loads)."""
    names: set[str] = set()
    files = [p for p in outdir.rglob("*.html") if "_static" not in p.parts]
    files += [p for p in outdir.rglob("_static/**/*.js")
              if not {"mathjax", "bokeh", "widgets", "vendor"} & set(p.parts)
              and p.name != "fontawesome.js"]
    for path in files:
        names.update(_ICON_NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def slim_icon_css(css: str, names: set[str]) -> tuple[str, set[int]]:
    """The theme CSS with only the icon rules of `names`, and the code points the fonts must keep
    (those icons' and every other ``content`` of the CSS: chevrons, admonition marks, ...)."""
    keep: set[int] = set()

    def rule(m: re.Match) -> str:
        selectors = [sel for sel in m.group(1).split(",")
                     if sel and sel[1:].split(":")[0] in names]
        if not selectors:
            return ""
        keep.update(_css_chars(m.group(2)))
        return ",".join(selectors) + '{content:"' + m.group(2) + '"}'

    slim = _ICON_RULE.sub(rule, css)
    return slim, keep | css_glyphs(slim)


def css_glyphs(css: str) -> set[int]:
    """Icon code points a stylesheet draws outside the icon rules: escaped or private-use
    characters in its strings (``content:"\\f054"``, ``--pst-icon-bell:"<U+F0F3>"``)."""
    glyphs: set[int] = set()
    for m in _STRING.finditer(css):
        for e in _ESCAPE.finditer(m.group(1)):
            code = int(e.group(1), 16) if e.group(1) else ord(e.group(2))
            if e.group(1) or code >= 0xE000:
                glyphs.add(code)
    return glyphs


def _subset_font(path: Path, unicodes: set[int], flavor: str | None) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    options = subset.Options()
    options.flavor = flavor
    options.layout_features = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    font.flavor = flavor
    font.save(str(path))


def theme_static() -> Path:
    """The installed theme's own static folder (the fonts and CSS before any slimming: Sphinx does
    not always copy them again over the slimmed ones of an earlier build)."""
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def slim_icons(outdir: Path, theme: Path | None = None) -> int:
    """Font Awesome cut down to the icons the site shows. Returns the number of glyphs kept."""
    theme = theme or theme_static()
    css_path = outdir / "_static" / "styles" / "pydata-sphinx-theme.css"
    webfonts = outdir / "_static" / "vendor" / "fontawesome" / "webfonts"
    source = theme / "styles" / "pydata-sphinx-theme.css"
    if not css_path.is_file() or not webfonts.is_dir() or not source.is_file():
        return 0
    css = source.read_text(encoding="utf-8")
    slim, keep = slim_icon_css(css, used_icon_names(outdir))
    css_path.write_text(slim, encoding="utf-8")
    for other in [*outdir.glob("_static/*.css"), *outdir.glob("_static/styles/*.css")]:
        if other != css_path:
            keep |= css_glyphs(other.read_text(encoding="utf-8", errors="replace"))
    for stem in FA_WEBFONTS:
        for suffix, flavor in ((".woff2", "woff2"), (".ttf", None)):
            original = theme / "vendor" / "fontawesome" / "webfonts" / f"{stem}{suffix}"
            if (webfonts / original.name).is_file() and original.is_file():
                shutil.copyfile(original, webfonts / original.name)
                _subset_font(webfonts / original.name, keep, flavor)
    return len(keep)


#: the scripts of the language switch's names, each cut from the shipped font of its script
EDITION_NAME_FONTS = {"cyrillic": (0x0400, 0x052F), "cjk": (0x3000, 0x9FFF), "bengali": (0x0980, 0x09FF)}
_SWITCH = re.compile(r'<nav class="edition-switch"[^>]*>(.*?)</nav>', re.S)


def edition_name_fonts(outdir: Path) -> dict[str, int]:
    """``_static/edition-names-<script>.woff2``: the shipped fonts (_static/fonts/) cut down to the
    characters of the language switch (read from the built pages), which
    _static/edition_names.css draws it with. Returns the characters kept per font."""
    chars: set[int] = set()
    for page in outdir.rglob("*.html"):
        if "_static" in page.parts:
            continue
        for m in _SWITCH.finditer(page.read_text(encoding="utf-8", errors="replace")):
            chars.update(ord(c) for c in html.unescape(re.sub(r"<[^>]+>", "", m.group(1))))
    kept = {}
    for name, (lo, hi) in EDITION_NAME_FONTS.items():
        source = outdir / "_static" / "fonts" / f"{name}.woff2"
        target = outdir / "_static" / f"edition-names-{name}.woff2"
        mine = {c for c in chars if lo <= c <= hi}
        if not source.is_file():
            continue
        shutil.copyfile(source, target)
        # shaping helpers of Bengali (ZWNJ, ZWJ, dotted circle) stay with its letters
        _subset_font(target, mine | ({0x200C, 0x200D, 0x25CC} if name == "bengali" else set()),
                     "woff2")
        kept[name] = len(mine)
    return kept


#: a figure is stored with a palette only if no colour channel moves by more than this (RMS, of 255)
PALETTE_TOLERANCE = 2.0


def compress_figures(outdir: Path) -> tuple[int, int]:
    """Every 24-bit opaque PNG under ``_images`` re-saved with a palette of 256 colours when that
    draws it the same (see PALETTE_TOLERANCE). Returns (bytes before, after)."""
    from PIL import Image, ImageChops, ImageStat

    before = after = 0
    for path in sorted((outdir / "_images").glob("*.png")):
        size = path.stat().st_size
        before += size
        with Image.open(path) as image:
            image.load()
        opaque = image.mode == "RGB" or (image.mode == "RGBA"
                                         and image.getchannel("A").getextrema() == (255, 255))
        if not opaque:                       # already a palette, or real transparency
            after += size
            continue
        rgb = image.convert("RGB")
        palette = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        error = max(ImageStat.Stat(ImageChops.difference(rgb, palette.convert("RGB"))).rms)
        if error > PALETTE_TOLERANCE:
            after += size
            continue
        tmp = path.with_suffix(".tmp.png")
        palette.save(tmp, "PNG", optimize=True)
        if tmp.stat().st_size < size:
            tmp.replace(path)
        else:
            tmp.unlink()
        after += path.stat().st_size
    return before, after


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
