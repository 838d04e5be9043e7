"""The source-document pages (book/documents/) agree with the documents, the audit and the fact check.

- the committed pages are exactly what tools/make_document_pages.py writes from the documents,
  the translation file and the audit (so none of the three can drift from the pages);
- every audit record has exactly one claim label on its document's page and one link to its
  demonstration in the fact check, and every label and link names a real record;
- the fact check has exactly one target per record for those links to land on;
- the tool refuses a translation that does not line up with its document, and a claim placed
  under the wrong section.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from coursepages import audit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_document_pages as mdp  # noqa: E402

PAGES = sorted((ROOT / "book" / "documents").glob("doc_*.md"))
FACT_CHECK = sorted((ROOT / "book" / "fact_check").glob("*.ipynb"))   # the chapter and its pages
LANG = {"000": "ru", "001": "ru", "002": "zh", "003": "bn", "004": "zh"}


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return audit.load_audit()


def test_pages_are_the_tools_output():
    built = mdp.build()
    assert sorted(built) == sorted([ROOT / "book" / "documents" / "index.md", *PAGES])
    stale = [p.name for p, text in built.items() if p.read_text(encoding="utf-8") != text]
    assert stale == [], f"run python tools/make_document_pages.py ({stale} out of date)"


def test_every_record_has_one_label_and_one_link(records):
    labels, links = Counter(), Counter()
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        num = page.stem.removeprefix("doc_")
        for cid in re.findall(r"^\(claim-([^)]+)\)=$", text, flags=re.M):
            assert cid.startswith(num), f"claim {cid} labelled on {page.name}"
            labels[cid] += 1
        links.update(re.findall(r"<audit-(\d{3}-[^>]+)>", text))
    ids = Counter(r["id"] for r in records)
    assert labels == ids, (set(labels) ^ set(ids), [k for k, n in labels.items() if n > 1])
    assert links == ids, (set(links) ^ set(ids), [k for k, n in links.items() if n > 1])


def test_fact_check_has_one_target_per_record(records):
    cells = [c for nb in FACT_CHECK for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]]
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    targets = Counter(re.findall(r"^\(audit-(\d{3}-[^)]+)\)=$", md, flags=re.M))
    assert targets == Counter(r["id"] for r in records)
    back = Counter(re.findall(r"<claim-(\d{3}-[^>]+)>", md))
    assert back == Counter(r["id"] for r in records), "each claim in the fact check links to its page"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_label_and_language_classes(page):
    text = page.read_text(encoding="utf-8")
    num = page.stem.removeprefix("doc_")
    assert f"\n(doc-{num})=\n# Document {num}:" in text
    langs = set(re.findall(r"lang-(\w+)", text))
    assert langs == {LANG[num]}, langs
    # every original block is a card with the language class; every heading of the document shows
    doc = next(d for d in audit.document_names() if d.startswith(num))
    blocks = mdp.split_blocks(audit.read_document(doc))
    n_text = sum(b.kind != "code" for b in blocks)
    assert text.count(f":class-card: source-original lang-{LANG[num]}") == n_text


def test_tool_refuses_a_translation_that_does_not_line_up():
    trans = mdp.load_translations()
    short = copy.deepcopy(trans)
    del short["002"]["blocks"][3]
    with pytest.raises(ValueError, match="002: the document has"):
        mdp.build(short)
    shifted = copy.deepcopy(trans)
    blocks = shifted["000"]["blocks"]
    blocks[1], blocks[2] = blocks[2], blocks[1]
    with pytest.raises(ValueError, match="translation starts at"):
        mdp.build(shifted)


def test_tool_refuses_a_misplaced_or_missing_claim():
    trans = mdp.load_translations()
    moved = copy.deepcopy(trans)
    claims = moved["003"]["blocks"]
    src = next(b for b in claims if "003-06" in (b.get("claims") or []))
    src["claims"].remove("003-06")
    claims[0].setdefault("claims", []).append("003-06")        # into the preamble
    with pytest.raises(ValueError, match="003-06 is audited under section"):
        mdp.build(moved)
    dropped = copy.deepcopy(trans)
    src = next(b for b in dropped["004"]["blocks"] if "004-16" in (b.get("claims") or []))
    src["claims"].remove("004-16")
    with pytest.raises(ValueError, match=r"not placed \['004-16'\]"):
        mdp.build(dropped)


def test_split_blocks_keeps_code_whole_and_finds_headings():
    text = "# Title\nintro line\n\n```python\nx = 1\n\n# not a heading\n```\n---\n**Bold:**\nend\n"
    blocks = mdp.split_blocks(text)
    assert [(b.kind, b.section) for b in blocks] == [
        ("heading", "Title"), ("text", "Title"), ("code", "Title"), ("heading", "Bold"),
        ("text", "Bold")]
    assert "# not a heading" in blocks[2].text
