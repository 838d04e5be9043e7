"""The Russian, Chinese and Bengali editions (tools/i18n.py): complete, and faithful in markup.

Every message of every English page has a translation in each language that is not stale, and
keeps every glued number, cross-reference, citation, formula, code name, link and digit of the
English. These tests fail when the English changes and the catalogs were not updated with it
(`python tools/i18n.py extract` marks the changed messages stale).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import i18n  # noqa: E402

GD = "book/gradient_descent/gradient_descent"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_page_is_translated_and_keeps_its_markup(lang):
    findings = i18n.check([lang])
    assert not findings, f"{len(findings)} problems in the {lang} catalogs, e.g.:\n" + "\n".join(
        str(f) for f in findings[:15])


def test_every_edition_has_every_page():
    english = set(i18n.english_pages())
    assert "book/intro" in english and GD in english
    for lang in i18n.LANGS:
        assert set(i18n.pages(lang)) == english, lang


def _catalog(tmp_path, msgid, msgstr, fuzzy=False):
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ru")
    catalog.add(msgid, msgstr, flags=["fuzzy"] if fuzzy else [])
    base = tmp_path / "ru" / "LC_MESSAGES"
    i18n.write_catalog(catalog, base / f"{GD}.po")
    return base


@pytest.mark.parametrize("msgstr, fuzzy, says", [
    ("", False, "not translated"),
    ("Шаг {glue:text}`ch1_L:g` и {numref}`fig-x`.", True, "stale"),
    ("Шаг и {numref}`fig-x`.", False, "drops role {glue:text}`ch1_L:g`"),
    ("Шаг {glue:text}`ch1_crit:g` и {numref}`fig-x`.", False, "drops role {glue:text}`ch1_L:g`"),
    ("Шаг {glue:text}`ch1_L:g` и {numref}`fig-y`.", False, "drops role {numref}`fig-x`"),
])
def test_the_check_fails_on_a_missing_stale_or_broken_translation(tmp_path, monkeypatch, msgstr,
                                                                   fuzzy, says):
    english = "A step {glue:text}`ch1_L:g` and {numref}`fig-x`."
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    _catalog(tmp_path, english, msgstr, fuzzy)
    findings = [f.text for f in i18n.check(["ru"], templates={GD: Path("x")})]
    assert any(says in f for f in findings), findings


def test_a_faithful_translation_passes(tmp_path, monkeypatch):
    english = (
        "For $L = 2$ the step {glue:text}`ch1_L:g` of `gradlab.descent` is {doc}`here <../a/b>`, 20 steps.")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    _catalog(tmp_path, english, "При $L = 2$ шаг {glue:text}`ch1_L:g` из `gradlab.descent` — "
             "{doc}`здесь <../a/b>`, 20 шагов.")
    assert i18n.check(["ru"], templates={GD: Path("x")}) == []


@pytest.mark.parametrize("english, translation, problem", [
    ("Error $e_k$ after 20 steps.", "Ошибка после 20 шагов.", "drops math $e_k$"),
    ("Error after 20 steps.", "Ошибка после 21 шага.", "drops number 20"),
    ("See `gradlab.nets`.", "См. `gradlab.сети`.", "drops code `gradlab.nets`"),
    ("See [the docs](https://pytorch.org).", "См. [документацию](https://example.org).",
     "drops link https://pytorch.org"),
    ("This sentence was not translated at all.", "This sentence was not translated at all.",
     "is the English text unchanged"),
])
def test_problems_names_what_was_lost(english, translation, problem):
    assert problem in i18n.problems(english, translation)


def test_messages_with_nothing_to_translate():
    assert not i18n.needs_translation("Градиентный взрыв, также известный как ...")
    assert not i18n.needs_translation("\n\\frac{dL}{dw} = T\\,w^{T-1} h_0 .\n")
    assert not i18n.needs_translation("5")
    assert i18n.needs_translation("The loss of a ReLU net")


def test_glue_roles_name_their_notebook_in_a_translation():
    text = "Шаг {glue:text}`ch1_L:g`, {glue:text}`n_steps` и {glue:text}`../x/y.ipynb::k:.3g`."
    assert i18n.qualify_glue(text, "gradient_descent.ipynb") == (
        "Шаг {glue:text}`gradient_descent.ipynb::ch1_L:g`, "
        "{glue:text}`gradient_descent.ipynb::n_steps:` и {glue:text}`../x/y.ipynb::k:.3g`.")


def test_glossaries_exist():
    for lang in i18n.LANGS:
        text = (i18n.LOCALES / lang / "glossary.md").read_text(encoding="utf-8")
        assert text.count("\n|") >= 30, f"{lang}: the glossary is too short"


def test_glued_words_are_translated_with_the_same_numbers(monkeypatch):
    catalog = {"median {0} (range {1}–{2}, {3} seeds)": "медиана {0} (разброс {1}–{2}, сидов: {3})"}
    assert i18n.translate_glued("median 0.91 (range 0.89–0.94, 5 seeds)", catalog) == (
        "медиана 0.91 (разброс 0.89–0.94, сидов: 5)")
    assert i18n.translate_glued("median 1.2×10⁻⁹ (range 1×10⁻⁹–2×10⁻⁸, 8 seeds)", catalog) == (
        "медиана 1.2×10⁻⁹ (разброс 1×10⁻⁹–2×10⁻⁸, сидов: 8)")
    assert i18n.translate_glued("something new", catalog) == "something new"
    # the check names a glued text without a translation, and a translation that lost a hole
    monkeypatch.setattr(i18n, "glued_strings", lambda: {"diverges": ["x.ipynb::k"],
                                                        "3 in every seed": ["y.ipynb::j"]})
    monkeypatch.setattr(i18n, "template_catalog", lambda lang, name: {"{0} in every seed": "при каждом"})
    found = [f.text for f in i18n.check_glued(["ru"])]
    assert any("'diverges'" in f for f in found) and any("holes" in f for f in found), found


def _live_figure_html() -> str:
    import json as _json

    nb = _json.loads((ROOT / f"{GD}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            if "docs_json" in html:
                return html
    raise AssertionError("the gradient descent page has no live figure")


def test_the_explorers_words_are_translated_inside_the_live_figure():
    import json as _json

    html = _live_figure_html()
    catalog = {
        "learning rate α": "скорость обучения α",
        "error per step (dashed: the start)": "ошибка на шаге (штрих: начало)",
        "α = {0} = {1} × {2}/L: each step multiplies the error by {3}; after {4} steps |θ| = {5}, "
        "so descent diverges": "α = {0} = {1} × {2}/L: каждый шаг умножает ошибку на {3}; после "
                               "{4} шагов |θ| = {5}, спуск расходится",
    }
    new = i18n.translate_figures(html, catalog)
    # the figure's document still parses, and holds the translated words where the English were
    documents = [_json.loads(m.group(1).replace("\\\\", "\\")) for m in i18n.DOCS_JSON.finditer(new)]
    text = _json.dumps(documents, ensure_ascii=False)
    assert "ошибка на шаге (штрих: начало)" in text and "error per step (dashed: the start)" not in text
    assert "спуск расходится" in text and "so descent diverges" not in text
    assert "so descent converges" in text, "a readout without a translation stays as it was"
    assert "скорость обучения α" in new.split("var titles = ", 1)[1].split("\n", 1)[0] or \
        "\\u0441\\u043a" in new.split("var titles = ", 1)[1].split("\n", 1)[0]
    assert i18n.translate_figures(html, {}) == html


def test_every_explorer_word_has_a_translation():
    assert i18n.explorer_strings(), "no live figure found: the scan is broken"
    findings = i18n.check_explorers(list(i18n.LANGS))
    assert not findings, "\n".join(str(f) for f in findings[:10])


def test_memory_fills_moved_sentences_but_not_names():
    """extract refills an empty message from another page's translation, except a names-only
    message, which is empty on purpose where it is shared with a quoted original (doc_003)."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ru")
    catalog.add("The gradient vanishes in every seed.")
    catalog.add("Xavier")
    memory = {"The gradient vanishes in every seed.": "Градиент исчезает при каждом зерне.",
              "Xavier": "Ксавье"}
    i18n.fill_from_memory(catalog, memory)
    assert catalog["The gradient vanishes in every seed."].string == memory[
        "The gradient vanishes in every seed."]
    assert not catalog["Xavier"].string


def test_the_quoted_bengali_original_keeps_its_name_in_every_edition():
    for lang in ("ru", "zh"):
        po = ROOT / "locales" / lang / "LC_MESSAGES" / "book" / "documents" / "doc_003.po"
        catalog = i18n.read_catalog(po, lang)
        assert not catalog["Xavier"].string, (lang, catalog["Xavier"].string)
