"""The course in Russian, Chinese and Bengali: gettext catalogs translating the English pages.

One source of truth: the English pages (notebooks and MyST files under book/). Sphinx extracts
every paragraph, heading, caption and table cell into one template per page; each language keeps
one catalog per page under locales/<lang>/LC_MESSAGES/<page>.po. Code cells are not translated,
and the translated editions reuse the English build's execution, so every edition shows the same
numbers.

    python tools/i18n.py extract            re-extract the English messages and update every catalog
                                            (a changed English sentence keeps its old translation
                                            marked fuzzy: the check then fails until it is redone)
    python tools/i18n.py todo LANG PAGE...  the messages of these pages still to translate, as JSON
                                            ([{"id": ..., "en": ..., "old": ...}], old = fuzzy hint)
    python tools/i18n.py apply LANG FILE    write translations: FILE is JSON {"id": "translation"}
                                            (ids from `todo`); each one is checked before it is kept
    python tools/i18n.py check [LANG...]    completeness and markup: exits 1 on any problem
    python tools/i18n.py stats              words translated per language and page
    python tools/i18n.py build LANG...      build these editions into _build/html/LANG/ from the
                                            English build's execution cache (`make book` runs it)

What a translation must keep exactly (`problems`): every role's target ({glue:text} keys,
{doc}/{ref}/{numref} targets, {cite} keys), every math span ($...$, $$...$$), every inline code
span, every link target and every number written in digits. Messages with nothing to translate
(written in the source documents' languages, or with no Latin letters outside markup) are exempt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
LANGS = ("ru", "zh", "bn")
#: the language code Sphinx and the theme know (their own words: "Search", "Contents", ...)
SPHINX_LANGUAGE = {"ru": "ru", "zh": "zh_CN", "bn": "bn"}
POT_DIR = ROOT / "_build" / "gettext"
#: English pages with nothing to translate
SKIP_PAGES: set[str] = set()
#: the words myst-nb puts on a folded code cell (a setting, not a message)
CODE_PROMPTS = {
    "ru": ("Показать код", "Скрыть код"),
    "zh": ("显示代码", "隐藏代码"),
    "bn": ("কোড দেখান", "কোড লুকান"),
}

# ---------------------------------------------------------------------------------------------
# what a translation must keep

ROLE = re.compile(r"\{([A-Za-z][\w:-]*)\}`([^`]*)`")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$")
CODE = re.compile(r"(?<![}`])`([^`]+)`(?!`)")
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>")
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*")   # a digit after a CJK character counts
#: roles whose text is prose (badges): only the role name must stay
PROSE_ROLES = ("bdg",)
ORIGINAL_SCRIPTS = re.compile(r"[\u0400-\u04ff\u4e00-\u9fff\u3400-\u4dbf\u0980-\u09ff]")


def _role_target(name: str, content: str) -> str:
    if name.startswith(PROSE_ROLES):
        return ""
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", content)
    if match and name in ("doc", "ref", "numref", "term", "eq"):
        return match.group(2)
    return content


def markup(text: str) -> Counter:
    """The parts of a message that a translation must carry over unchanged."""
    found: Counter = Counter()
    rest = text
    for match in ROLE.finditer(text):
        name, content = match.groups()
        found[f"role {{{name}}}`{_role_target(name, content)}`"] += 1
    rest = ROLE.sub(" ", rest)
    for pattern, kind in ((DISPLAY_MATH, "math"), (INLINE_MATH, "math")):
        for match in pattern.finditer(rest):
            found[f"{kind} {match.group(0)}"] += 1
        rest = pattern.sub(" ", rest)
    for match in CODE.finditer(rest):
        found[f"code `{match.group(1)}`"] += 1
    rest = CODE.sub(" ", rest)
    for match in LINK.finditer(rest):
        found[f"link {match.group(1) or match.group(2)}"] += 1
    rest = LINK.sub(" ", rest)
    for match in NUMBER.finditer(rest):
        found[f"number {match.group(0).replace(',', '')}"] += 1
    return found


def prose(text: str) -> str:
    """The message without its markup: what a reader reads as words."""
    for pattern in (ROLE, DISPLAY_MATH, INLINE_MATH, CODE, LINK):
        text = pattern.sub(" ", text)
    return text


def _squash(text: str) -> str:
    return re.sub(r"[\s*_`]+", " ", text).strip()


_QUOTED: set[str] | None = None


def quoted_text() -> str:
    """The five source documents, whitespace squashed: their verbatim quotes are not translated."""
    global _QUOTED
    if _QUOTED is None:
        _QUOTED = {_squash(p.read_text(encoding="utf-8"))
                   for p in sorted(ROOT.glob("src/**/data/documents/*")) if p.is_file()}
    return "\n".join(sorted(_QUOTED))


def needs_translation(msgid: str) -> bool:
    """False for a quote of a source document, a formula, or a message with no English words."""
    # a display formula: TeX commands with their first argument, sub- and superscripts
    words = re.sub(r"\\[A-Za-z]+(\{[^{}]*\})?|[_^]\{[^{}]*\}", " ", prose(msgid))
    if not re.search(r"[A-Za-z]{3}", words):
        return False
    english = re.findall(r"[A-Za-z]{2,}", words)
    other = len(ORIGINAL_SCRIPTS.findall(words))
    if len(_squash(msgid)) > 3 and _squash(msgid) in quoted_text():
        return False
    return len(english) >= 2 or other == 0


def names_only(msgid: str) -> bool:
    """A message of at most four words (names like "Adam / RMSprop", a label and a formula): its
    translation may be the English itself."""
    return len(re.findall(r"[A-Za-z]{2,}", prose(msgid))) <= 4


def problems(msgid: str, msgstr: str) -> list[str]:
    """What the translation msgstr drops, changes or adds compared with msgid (empty: fine)."""
    want, got = markup(msgid), markup(msgstr)
    out = [f"drops {item}" for item in sorted(want - got)]
    out += [f"adds {item}" for item in sorted(got - want)]
    if msgstr.strip() and _squash(msgstr) == _squash(msgid) and not names_only(msgid):
        out.append("is the English text unchanged")
    return out


def message_id(msgid: str) -> str:
    return hashlib.sha1(msgid.encode("utf-8")).hexdigest()[:10]


# ---------------------------------------------------------------------------------------------
# catalogs

def pot_files() -> dict[str, Path]:
    return {str(p.relative_to(POT_DIR).with_suffix("")): p for p in sorted(POT_DIR.rglob("*.pot"))
            if str(p.relative_to(POT_DIR).with_suffix("")) not in SKIP_PAGES}


def po_path(lang: str, page: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{page}.po"


def read_catalog(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=False,
                 include_previous=True)


def pages(lang: str) -> dict[str, Path]:
    base = LOCALES / lang / "LC_MESSAGES"
    return {str(p.relative_to(base).with_suffix("")): p for p in sorted(base.rglob("*.po"))}


def english_pages() -> list[str]:
    """Every page of the book (from _toc.yml), as Sphinx names it."""
    sys.path.insert(0, str(ROOT / "tools"))
    import toc  # noqa: E402  (tools/toc.py: the table of contents as a list of files)

    return [p for p in toc.entries() if p not in SKIP_PAGES]


def translation_memory(lang: str) -> dict[str, str]:
    """Every current translation of the language, by English text (from all its pages)."""
    memory = {}
    for path in pages(lang).values():
        for message in read_catalog(path, lang):
            if message.id and message.string and not message.fuzzy:
                memory.setdefault(message.id, message.string)
    return memory


def fill_from_memory(catalog: Catalog, memory: dict[str, str]) -> None:
    """A sentence moved from another page keeps its translation. A names-only message ("Xavier")
    is left as it is: its English may be its translation, and an empty one is deliberate where
    the message is shared with a quoted original (doc_003's Bengali text says "Xavier")."""
    for message in catalog:
        if (message.id and not message.string and message.id in memory
                and not names_only(message.id)):
            message.string = memory[message.id]


def extract(wanted: list[str] = ()) -> None:
    """Extract the English messages (no execution) and update the catalogs (of the pages wanted)."""
    if POT_DIR.exists():
        shutil.rmtree(POT_DIR)
    run_sphinx("gettext", POT_DIR, {"gettext_compact": "0", "gettext_location": "0",
                                    "gettext_uuid": "0"})
    templates = pot_files()
    for lang in LANGS:
        known = pages(lang)
        memory = translation_memory(lang)
        for page, pot in templates.items():
            if not _selected(page, list(wanted)):
                continue
            template = read_catalog(pot)
            path = po_path(lang, page)
            catalog = read_catalog(path, lang) if path.exists() else Catalog(locale=lang)
            catalog.update(template, update_header_comment=False)
            catalog.obsolete.clear()
            fill_from_memory(catalog, memory)
            write_catalog(catalog, path)
        for page in set(known) - set(templates):
            if _selected(page, list(wanted)):
                known[page].unlink()
    print(f"{len(templates)} pages extracted; catalogs updated for {', '.join(LANGS)}")


def todo(lang: str, wanted: list[str]) -> list[dict]:
    out = []
    for page, path in pages(lang).items():
        if not _selected(page, wanted):
            continue
        for message in read_catalog(path, lang):
            if not message.id or not needs_translation(message.id):
                continue
            if message.string and not message.fuzzy:
                continue
            item = {"id": message_id(message.id), "page": page, "en": message.id}
            if message.fuzzy and message.string:
                item["old"] = message.string
            out.append(item)
    return out


def _selected(page: str, wanted: list[str]) -> bool:
    return not wanted or any(page == w or page.startswith(w.rstrip("/") + "/") for w in wanted)


def apply(lang: str, translations: dict[str, str], wanted: list[str] = ()) -> tuple[int, list[str]]:
    """Write translations (id -> text) into the catalogs (of the pages wanted) holding the message.

    A translation that drops or changes markup (`problems`) is refused and reported.
    """
    kept, errors, seen = 0, [], set()
    for page, path in pages(lang).items():
        if not _selected(page, list(wanted)):
            continue
        catalog = read_catalog(path, lang)
        changed = False
        for message in catalog:
            if not message.id:
                continue
            key = message_id(message.id)
            if key not in translations:
                continue
            seen.add(key)
            text = translations[key].strip()
            if text:   # the English's leading and trailing line breaks (a formula block's)
                lead = message.id[:len(message.id) - len(message.id.lstrip())]
                text = lead + text + message.id[len(message.id.rstrip()):]
            bad = problems(message.id, text)
            if bad:
                errors.append(f"{page} [{key}]: " + "; ".join(bad))
                continue
            message.string = text
            message.flags.discard("fuzzy")
            message.previous_id = []
            changed, kept = True, kept + 1
        if changed:
            write_catalog(catalog, path)
    errors += [f"unknown id {key}" for key in sorted(set(translations) - seen)]
    return kept, errors


@dataclass
class Finding:
    lang: str
    page: str
    text: str

    def __str__(self) -> str:
        return f"{self.lang} {self.page}: {self.text}"


def check(langs: list[str], templates: dict[str, Path] | None = None) -> list[Finding]:
    """Every edition has every page, every message translated (not fuzzy), markup intact."""
    found = check_glued(langs) + check_explorers(langs) if templates is None else []
    expected = set(templates) if templates is not None else set(english_pages())
    for lang in langs:
        have = pages(lang)
        found += [Finding(lang, page, "no catalog for this page") for page in sorted(expected - set(have))]
        found += [Finding(lang, page, "catalog for a page the book does not have")
                  for page in sorted(set(have) - expected)]
        for page, path in have.items():
            for message in read_catalog(path, lang):
                if not message.id or not needs_translation(message.id):
                    continue
                short = message.id[:60].replace("\n", " ")
                if not message.string:
                    found.append(Finding(lang, page, f"not translated: {short!r}"))
                elif message.fuzzy:
                    found.append(Finding(lang, page, f"stale (English changed): {short!r}"))
                else:
                    found += [Finding(lang, page, f"{p} in {short!r}")
                              for p in problems(message.id, message.string)]
    return found


def stats() -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for lang in LANGS:
        done = total = 0
        for path in pages(lang).values():
            for message in read_catalog(path, lang):
                if message.id and needs_translation(message.id):
                    words = len(prose(message.id).split())
                    total += words
                    if message.string and not message.fuzzy:
                        done += words
        table[lang] = {"english_words": total, "translated_words": done}
    return table


# ---------------------------------------------------------------------------------------------
# glued words: a few glued values are English text ("diverges", "median 0.91 (range 0.89-0.94,
# 5 seeds)"). Each such value is reduced to a template, its numbers replaced by {0}, {1}, ...;
# locales/<lang>/glued.yaml translates the templates; the edition build puts the same numbers
# back into the translated template (_ext/site_lang.py, only inside pasted values).

GLUED_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:×10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?")


def glued_strings() -> dict[str, list[str]]:
    """English text values glued by the book's notebooks (stored outputs) -> where."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            for output in cell.get("outputs", []):
                name = ((output.get("metadata") or {}).get("scrapbook") or {}).get("name")
                if not name:
                    continue
                plain = next((v for k, v in output.get("data", {}).items()
                              if k.endswith("text/plain")), "")
                plain = "".join(plain) if isinstance(plain, list) else plain
                if plain[:1] in "'\"" and re.search(r"[A-Za-z]{2}", plain):
                    value = plain[1:-1]
                    found.setdefault(value, []).append(f"{path.relative_to(ROOT)}::{name}")
    return found


def glued_template(value: str) -> tuple[str, list[str]]:
    numbers = GLUED_NUMBER.findall(value)
    counter = iter(range(len(numbers)))
    return GLUED_NUMBER.sub(lambda m: f"{{{next(counter)}}}", value), numbers


HOLE = re.compile(r"\{\d+\}")


def template_catalog(lang: str, name: str) -> dict[str, str]:
    """locales/<lang>/<name>: translated templates (glued words, the explorers' words)."""
    import yaml

    path = LOCALES / lang / name
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def glued_catalog(lang: str) -> dict[str, str]:
    return template_catalog(lang, "glued.yaml")


def check_templates(langs: list[str], name: str, templates: dict[str, list[str]]) -> list[Finding]:
    """Every template (English text with {0}, {1}, ... for its numbers) translated in
    locales/<lang>/<name> with the same holes, and no translation of a template nothing shows."""
    found = []
    for lang in langs:
        catalog = template_catalog(lang, name)
        for template, where in sorted(templates.items()):
            text = catalog.get(template)
            if not text:
                found.append(Finding(lang, name, f"no translation of {template!r} ({where[0]})"))
            elif sorted(HOLE.findall(text)) != sorted(HOLE.findall(template)):
                found.append(Finding(lang, name, f"{template!r}: the translation must keep the "
                                     f"holes {sorted(HOLE.findall(template))}"))
        for template in sorted(set(catalog) - set(templates)):
            found.append(Finding(lang, name, f"{template!r} is no longer shown by any page"))
    return found


def check_glued(langs: list[str]) -> list[Finding]:
    templates: dict[str, list[str]] = {}
    for value, where in glued_strings().items():
        templates.setdefault(glued_template(value)[0], []).extend(where)
    return check_templates(langs, "glued.yaml", templates)


def translate_glued(value: str, catalog: dict[str, str]) -> str:
    template, numbers = glued_template(value)
    text = catalog.get(template)
    return text.format(*numbers) if text else value


# ---------------------------------------------------------------------------------------------
# the explorers' words: their live figures (Bokeh documents in the stored outputs) carry slider
# titles, axis labels, panel titles and one readout line per state. They are translated like the
# glued words: locales/<lang>/explorers.yaml maps each template (numbers as {0}, {1}, ...) to the
# language; the edition build rewrites the strings inside the figures (_ext/site_lang.py). The
# states themselves, computed once, are shared by every edition.

EXPLORER_KEYS = {"text", "title", "axis_label", "label"}
DOCS_JSON = re.compile(r"docs_json = '(.*?)';\n", re.S)
JS_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
#: Bokeh's own words and values, never shown as text
NOT_WORDS = {"Bokeh Application"}


def _decode(literal: str) -> str | None:
    """A JSON string literal as it stands inside Bokeh's docs_json (a JS single-quoted string)."""
    try:
        return json.loads('"' + literal.replace("\\\\", "\\") + '"')
    except ValueError:
        return None


def _encode(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)[1:-1].replace("\\", "\\\\")


def explorer_strings() -> dict[str, list[str]]:
    """The words of the live figures in the stored outputs, as templates -> notebooks."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "book").rglob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html", "")
                html = "".join(html) if isinstance(html, list) else html
                for match in DOCS_JSON.finditer(html):
                    data = json.loads(match.group(1).replace("\\\\", "\\"))
                    for text in _words(data):
                        for line in _lines(text):
                            template = glued_template(line)[0]
                            where = found.setdefault(template, [])
                            if str(path.relative_to(ROOT)) not in where:
                                where.append(str(path.relative_to(ROOT)))
    return found


def _lines(text: str) -> list[str]:
    return re.split(r"<br>|&lt;br&gt;", text)


def _words(node, key: str | None = None):
    if isinstance(node, dict):
        if key in EXPLORER_KEYS and node.get("type") == "value" and isinstance(node.get("value"), str):
            yield node["value"]      # a legend label
            return
        for k, v in node.items():
            yield from _words(v, k)
    elif isinstance(node, list):
        if len(node) == 2 and isinstance(node[0], str) and node[0] in EXPLORER_KEYS \
                and isinstance(node[1], str):
            yield from _words(node[1], node[0])
            return
        for v in node:
            yield from _words(v, key)
    elif isinstance(node, str) and key in EXPLORER_KEYS and node not in NOT_WORDS \
            and re.search(r"[A-Za-z]{3}", node):
        yield node


def explorer_catalog(lang: str) -> dict[str, str]:
    return template_catalog(lang, "explorers.yaml")


def translate_figures(html: str, catalog: dict[str, str]) -> str:
    """Every word of the live figures in a page's HTML in the edition's language (the readouts'
    numbers kept); the slider titles the accessibility script announces too."""
    if not catalog or "docs_json" not in html:
        return html

    def line(text: str) -> str:
        parts = _lines(text)
        seps = re.findall(r"<br>|&lt;br&gt;", text)
        out = translate_glued(parts[0], catalog)
        for sep, part in zip(seps, parts[1:], strict=True):
            out += sep + translate_glued(part, catalog)
        return out

    def literal(m: re.Match) -> str:
        text = _decode(m.group(1))
        if text is None or not re.search(r"[A-Za-z]{3}", text):
            return m.group(0)
        new = line(text)
        return m.group(0) if new == text else '"' + _encode(new) + '"'

    def document(m: re.Match) -> str:
        return m.group(0).replace(m.group(1), JS_STRING.sub(literal, m.group(1)))

    html = DOCS_JSON.sub(document, html)

    def titles(m: re.Match) -> str:
        names = json.loads(m.group(1))
        return "var titles = " + json.dumps([translate_glued(t, catalog) for t in names]) + ","
    return re.sub(r"var titles = (\[.*?\]),", titles, html)


def check_explorers(langs: list[str]) -> list[Finding]:
    return check_templates(langs, "explorers.yaml", explorer_strings())


# ---------------------------------------------------------------------------------------------
# building

GLUE = re.compile(r"\{(glue(?::[a-z]+)?)\}`([^`]*)`")


def qualify_glue(text: str, notebook: str) -> str:
    """Name the page in every glue role: inside a translated message Sphinx no longer knows it.

    `{glue:text}` + `key:fmt` becomes `notebook.ipynb::key:fmt`; a key without a format gets a
    trailing colon (the role splits the format off at the last colon). Keys that already name a
    notebook are left alone.
    """
    def fix(match: re.Match) -> str:
        role, content = match.groups()
        if "::" in content:
            return match.group(0)
        if role == "glue:text" and ":" not in content:
            content += ":"
        return f"{{{role}}}`{notebook}::{content}`"
    return GLUE.sub(fix, text)


def compiled_locales(lang: str, into: Path) -> Path:
    """The catalogs as the build reads them: fuzzy entries dropped, glue roles page-qualified."""
    for page, path in pages(lang).items():
        catalog = read_catalog(path, lang)
        source = ROOT / (page + ".ipynb")
        for message in list(catalog):
            if not message.id:
                continue
            if message.fuzzy:
                message.string = ""
            elif source.exists() and message.string:
                message.string = qualify_glue(message.string, source.name)
        write_catalog(catalog, into / SPHINX_LANGUAGE[lang] / "LC_MESSAGES" / f"{page}.po")
    return into


def book_config(out: Path, overrides: dict) -> Path:
    """A copy of _config.yml for one build: local extensions by absolute path, plus overrides."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    for name, folder in config["sphinx"]["local_extensions"].items():
        config["sphinx"]["local_extensions"][name] = str(ROOT / folder)
    for key, value in overrides.items():
        section, _, name = key.partition(".")
        if not name:
            config[section] = value
        elif section == "sphinx":
            config["sphinx"]["config"][name] = value
        else:
            config.setdefault(section, {})[name] = value
    out.mkdir(parents=True, exist_ok=True)
    path = out / "_config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_sphinx(builder: str, out: Path, settings: dict[str, str]) -> None:
    """sphinx-build with the book's configuration (Jupyter Book writes conf.py), no execution."""
    work = ROOT / "_build" / "i18n-conf"
    config = book_config(work, {"execute.execute_notebooks": "off"})
    subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "config", "sphinx",
                    str(ROOT), "--config", str(config)], check=True, stdout=subprocess.DEVNULL)
    # (it writes conf.py beside the configuration file)
    args = [sys.executable, "-m", "sphinx", "-q", "-b", builder, "-c", str(work), str(ROOT), str(out)]
    for key, value in settings.items():
        args += ["-D", f"{key}={value}"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tools"), str(ROOT / "_ext")]))
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"sphinx-build -b {builder} failed:\n{done.stdout}\n{done.stderr}")


#: the book's title (_config.yml) is the root page's title: its translation names the edition
TITLE_SOURCE = "Vanishing and exploding gradients"


def edition_words(lang: str) -> dict[str, str]:
    """The root page's translations: they hold the book's title and the part captions."""
    path = po_path(lang, "book/intro")
    if not path.exists():
        return {}
    return {m.id: m.string for m in read_catalog(path, lang)
            if m.id and m.string and not m.fuzzy}


def translated_toc(words: dict[str, str], out: Path) -> Path:
    """_toc.yml with its part captions translated (the sidebar shows them, outside any page)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if "caption" in part:
            part["caption"] = words.get(part["caption"], part["caption"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def cached_runs(cache: Path | None) -> int:
    """How many executions the cache holds (a translated edition must add none)."""
    if cache is None or not cache.exists():
        return 0
    from jupyter_cache import get_cache

    return len(get_cache(str(cache)).list_cache_records())


def build(lang: str, cache: Path | None, out: Path) -> None:
    """One translated edition, from the English build's execution cache, warnings as errors.

    cache None: from the notebooks' stored outputs instead (a quick look while translating).
    """
    work = ROOT / "_build" / "i18n" / lang
    if work.exists():
        shutil.rmtree(work)
    locales = compiled_locales(lang, work / "locales")
    words = edition_words(lang)
    toc = translated_toc(words, work / "_toc.yml")
    config = book_config(work, {
        "title": words.get(TITLE_SOURCE, TITLE_SOURCE),
        "execute.execute_notebooks": "cache" if cache else "off",
        "execute.cache": str(cache or ""),
        "sphinx.language": SPHINX_LANGUAGE[lang],
        "sphinx.locale_dirs": [str(locales)],
        "sphinx.gettext_compact": False,
        "sphinx.edition_root": f"{lang}/",
        "sphinx.glued_translations": glued_catalog(lang),
        "sphinx.explorer_translations": explorer_catalog(lang),
        "sphinx.nb_code_prompt_show": CODE_PROMPTS[lang][0],
        "sphinx.nb_code_prompt_hide": CODE_PROMPTS[lang][1],
    })
    jb = Path(sys.executable).with_name("jupyter-book")
    before = cached_runs(cache)
    subprocess.run([str(jb), "build", str(ROOT), "--config", str(config), "--toc", str(toc),
                    "--path-output", str(work), "-W", "-n", "--keep-going", "-q"], check=True)
    if cached_runs(cache) != before:
        sys.exit(f"the {lang} edition executed a notebook instead of reading the English build's "
                 "execution: a notebook changed between the two builds; run `make book` again")
    if out.exists():
        shutil.rmtree(out)
    shutil.move(work / "_build" / "html", out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_extract = sub.add_parser("extract")
    p_extract.add_argument("pages", nargs="*", help="update only these pages' catalogs")
    p_todo = sub.add_parser("todo")
    p_todo.add_argument("lang", choices=LANGS)
    p_todo.add_argument("pages", nargs="*")
    p_apply = sub.add_parser("apply")
    p_apply.add_argument("lang", choices=LANGS)
    p_apply.add_argument("file", type=Path)
    p_apply.add_argument("pages", nargs="*", help="only these pages (or folders)")
    p_check = sub.add_parser("check")
    p_check.add_argument("langs", nargs="*", choices=[*LANGS, []])
    sub.add_parser("stats")
    sub.add_parser("explorer-strings", help="the live figures' words to translate, as templates")
    p_build = sub.add_parser("build")
    p_build.add_argument("langs", nargs="+", choices=LANGS)
    p_build.add_argument("--cache", type=Path, default=ROOT / "_build" / ".jupyter_cache")
    p_build.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    p_build.add_argument("--stored", action="store_true",
                         help="use the notebooks' stored outputs, not the English build's cache")
    args = parser.parse_args(argv)

    if args.command == "extract":
        extract(args.pages)
    elif args.command == "todo":
        json.dump(todo(args.lang, args.pages), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.command == "apply":
        data = json.loads(args.file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            parser.error(f"{args.file}: expected a JSON object {{id: translation}}")
        kept, errors = apply(args.lang, data, args.pages)
        print(f"{kept} translations kept, {len(errors)} refused")
        for error in errors:
            print("  refused:", error)
        return 1 if errors else 0
    elif args.command == "check":
        findings = check(list(args.langs) or list(LANGS))
        for finding in findings[:200]:
            print(finding)
        print(f"{len(findings)} problems")
        return 1 if findings else 0
    elif args.command == "explorer-strings":
        print(json.dumps(explorer_strings(), ensure_ascii=False, indent=1))
    elif args.command == "stats":
        print(json.dumps(stats(), indent=1))
    elif args.command == "build":
        for lang in args.langs:
            build(lang, None if args.stored else args.cache, args.html / lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
