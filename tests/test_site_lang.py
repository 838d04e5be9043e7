"""_ext/site_lang.py: lang attributes and the search splitter for Chinese and Bengali."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import site_lang  # noqa: E402

SAMPLES = [
    "什么是梯度消失和梯度爆炸？",
    "Что такое затухающий градиент? gradient-descent w^T",
    "গ্রেডিয়েন্ট ক্লিপিং কেন কাজ করে?",
    "梯 x 梯度",
    "\u09df \u09af\u09bc",          # য় precomposed and decomposed: both normalise alike
    "",
]


def test_chinese_is_indexed_as_bigrams():
    words = site_lang.split_words("什么是梯度消失？")
    assert "梯度" in words and "消失" in words
    assert "什么是梯度消失" not in words          # the clause is no longer one "word"
    assert site_lang.split_words("梯") == ["梯"]


def test_bengali_words_keep_their_vowel_signs():
    assert site_lang.split_words("গ্রেডিয়েন্ট ক্লিপিং") == ["গ্রেডিয়েন্ট", "ক্লিপিং"]


def test_bengali_nukta_forms_match():
    assert site_lang.split_words("\u09df") == site_lang.split_words("\u09af\u09bc")


def test_english_and_russian_split_as_before():
    assert site_lang.split_words("Vanishing gradients, w^T!") == ["Vanishing", "gradients", "w", "T"]
    assert site_lang.split_words("затухающий градиент") == ["затухающий", "градиент"]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the browser splitter")
@pytest.mark.parametrize("text", SAMPLES)
def test_browser_splits_queries_like_the_indexer(text):
    script = site_lang.JS_SPLITTER + f"\nconsole.log(JSON.stringify(splitQuery({json.dumps(text)})));"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == site_lang.split_words(text)


def test_block_lang_from_class():
    body = '<div class="lang-zh docutils container"><p>梯度</p></div><span class="x">a</span>'
    out = site_lang.add_block_lang(body)
    assert '<div class="lang-zh docutils container" lang="zh">' in out
    assert '<span class="x">' in out
    assert site_lang.add_block_lang(out) == out                      # idempotent
    assert 'lang="fr"' not in site_lang.add_block_lang('<p class="lang-fr">x</p>')


def test_english_chrome_on_translated_pages():
    page = ('<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">'
            '<footer class="prev-next-footer d-print-none"><article class="bd-article">')
    out = site_lang.mark_chrome(page)
    assert 'class="bd-sidebar-primary bd-sidebar" lang="en">' in out
    assert 'class="prev-next-footer d-print-none" lang="en">' in out
    assert '<article class="bd-article">' in out                    # the page's own text: untouched
    assert site_lang.mark_chrome(out) == out


def test_front_matter_lang_must_be_known():
    from types import SimpleNamespace

    def app_with(lang):
        env = SimpleNamespace(found_docs={"p"}, metadata={"p": {"lang": lang}})
        return SimpleNamespace(env=env), env

    app, env = app_with("zh")
    assert site_lang.check_front_matter(app, env) == []
    app, env = app_with("fr")
    with pytest.raises(ValueError, match="lang must be one of"):
        site_lang.check_front_matter(app, env)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory) -> Path:
    """A three-page Sphinx project (MyST) built with the extension, the way the book uses it."""
    from sphinx.cmd.build import build_main

    src = tmp_path_factory.mktemp("src")
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'site_lang']\n"
        "language = 'en'\nhtml_theme = 'basic'\n", encoding="utf-8")
    (src / "index.md").write_text(
        "# Course\n\n```{toctree}\nzh\nbn\n```\n\nSee {doc}`zh`.\n\n"
        "```{container} lang-ru\nЗатухающий градиент.\n```\n", encoding="utf-8")
    (src / "zh.md").write_text("---\nlang: zh\n---\n\n# 速查表\n\n什么是梯度消失？\n", encoding="utf-8")
    (src / "bn.md").write_text("---\nlang: bn\n---\n\n# উত্তর\n\nগ্রেডিয়েন্ট ক্লিপিং।\n",
                               encoding="utf-8")
    out = tmp_path_factory.mktemp("html")
    assert build_main(["-q", "-b", "html", str(src), str(out)]) == 0
    return out


def search_index(out: Path) -> dict:
    text = (out / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def test_built_pages_carry_their_language(tiny_build):
    assert '<html lang="zh"' in (tiny_build / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="bn"' in (tiny_build / "bn.html").read_text(encoding="utf-8")
    index = (tiny_build / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in index
    assert re.search(r'<div class="lang-ru[^"]*" lang="ru">', index)
    assert re.search(r'<a [^>]*href="zh.html"[^>]* lang="zh">速查表</a>', index)


def test_built_search_finds_chinese_and_bengali(tiny_build):
    data = search_index(tiny_build)
    zh = data["docnames"].index("zh")
    bn = data["docnames"].index("bn")

    def docs(term):
        hits = data["terms"].get(term, data["titleterms"].get(term))
        return hits if isinstance(hits, list) else [hits]

    assert zh in docs("梯度") and zh in docs("消失")
    assert bn in docs("গ্রেডিয়েন্ট")
    language_data = (tiny_build / "_static" / "language_data.js").read_text(encoding="utf-8")
    assert "site_lang.py" in language_data, "the browser would split queries the old way"


def test_pages_that_paste_from_a_changed_notebook_are_reread():
    from types import SimpleNamespace

    env = SimpleNamespace(found_docs={"sheet", "ch2", "other"},
                          site_lang_glue_sources={"sheet": {"ch2", "ch7"}})
    assert site_lang.outdated_pasters(None, env, set(), {"ch2"}, set()) == ["sheet"]
    assert site_lang.outdated_pasters(None, env, set(), {"other"}, set()) == []
    site_lang.purge_glue_sources(None, env, "sheet")
    assert site_lang.outdated_pasters(None, env, set(), {"ch2"}, set()) == []


@pytest.fixture(scope="module")
def zh_edition(tmp_path_factory) -> Path:
    """A two-page project built as the Chinese edition (tools/i18n.py build does the same):
    language zh_CN, the edition in zh/, a catalog translating one page."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from sphinx.cmd.build import build_main

    src = tmp_path_factory.mktemp("src")
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'site_lang']\n"
        "language = 'zh_CN'\nhtml_theme = 'basic'\nedition_root = 'zh/'\n"
        "locale_dirs = ['locales']\ngettext_compact = False\n", encoding="utf-8")
    (src / "index.md").write_text("# Course\n\n```{toctree}\nsub/page\n```\n", encoding="utf-8")
    (src / "sub").mkdir()
    (src / "sub" / "page.md").write_text("# Gradients\n\nThe gradient vanishes.\n",
                                         encoding="utf-8")
    catalog = Catalog(locale="zh_CN")
    catalog.add("Gradients", "梯度")
    catalog.add("The gradient vanishes.", "梯度消失了。")
    mo = src / "locales" / "zh_CN" / "LC_MESSAGES" / "sub" / "page.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as handle:
        write_mo(handle, catalog)
    out = tmp_path_factory.mktemp("html")
    assert build_main(["-q", "-b", "html", str(src), str(out)]) == 0
    return out


def test_every_page_links_to_itself_in_the_other_editions(zh_edition):
    page = (zh_edition / "sub" / "page.html").read_text(encoding="utf-8")
    assert "梯度消失了。" in page
    assert re.search(r'<html lang="zh-CN"', page)
    switch = re.search(r'<nav class="edition-switch".*?</nav>', page, re.S).group(0)
    # from zh/sub/page.html: up to zh/, up to the site root, then the edition's copy of the page
    assert 'href="../../sub/page.html" hreflang="en"' in switch
    assert 'href="../../ru/sub/page.html" hreflang="ru"' in switch
    assert 'href="../../bn/sub/page.html" hreflang="bn"' in switch
    assert '<span aria-current="page" lang="zh">中文</span>' in switch
    assert '<link rel="alternate" hreflang="en" href="../../sub/page.html"/>' in page


def test_the_chinese_edition_searches_by_character_pairs(zh_edition):
    data = search_index(zh_edition)
    page = data["docnames"].index("sub/page")
    hits = data["terms"].get("消失")
    assert page in (hits if isinstance(hits, list) else [hits])
    language_data = (zh_edition / "_static" / "language_data.js").read_text(encoding="utf-8")
    assert "site_lang.py" in language_data


def test_an_unknown_edition_root_is_refused():
    from types import SimpleNamespace

    app = SimpleNamespace(config=SimpleNamespace(edition_root="fr/"))
    with pytest.raises(ValueError, match="edition_root"):
        site_lang.edition_of(app)


def test_pasted_english_words_are_translated_in_an_edition():
    from types import SimpleNamespace

    from docutils import nodes

    doctree = nodes.paragraph()
    pasted = nodes.inline("median 0.91 (range 0.89–0.94, 5 seeds)",
                          "median 0.91 (range 0.89–0.94, 5 seeds)", classes=["pasted-text"])
    prose = nodes.inline("median 1 (range 1–2, 3 seeds)", "median 1 (range 1–2, 3 seeds)")
    doctree += [pasted, prose]
    app = SimpleNamespace(config=SimpleNamespace(glued_translations={
        "median {0} (range {1}–{2}, {3} seeds)": "中位数 {0}（范围 {1}–{2}，{3} 个种子）"}))
    site_lang.translate_pasted_text(app, doctree, "page")
    assert pasted.astext() == "中位数 0.91（范围 0.89–0.94，5 个种子）"
    assert prose.astext() == "median 1 (range 1–2, 3 seeds)", "prose is never touched"
