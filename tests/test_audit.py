"""The fact check: the audit data, the source documents and the fact-check pages agree.

- every section of every source document (derived from its headings) has at least one claim;
- every claim names a real document and section, and has a demonstration cell that ran (stored
  output, no error) on its document's page of the fact check (book/fact_check/doc_NNN.ipynb);
- each page stands alone: its own hidden setup cell, its own computations, its document's claims
  in the audit's order, listed under the chapter in _toc.yml; the chapter page checks no claim;
- the verdict each claim shows is the verdict of the audit data, and the printed verdict table
  equals the counts computed from the data;
- coursepages.audit rejects bad input by name and reports a code block's first error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coursepages import audit

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "fact_check"
NOTEBOOK = CHAPTER / "fact_check.ipynb"      # the chapter page: the verdicts at a glance, summary
PAGES = sorted(CHAPTER.glob("doc_[0-9][0-9][0-9].ipynb"))     # one page per source document
AUDIT_FILE = audit.audit_file()

# The documents ship as coursepages' package data: a missing one is a failure, never a skip.
DOCS = audit.document_names()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return audit.load_audit(AUDIT_FILE)


def page_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.fixture(scope="module")
def cells() -> list[dict]:
    """The cells of the whole chapter: its page, then the document pages."""
    return [c for path in (NOTEBOOK, *PAGES) for c in page_cells(path)]


def demo_cells(cells: list[dict]) -> dict[str, dict]:
    found = {}
    for cell in cells:
        src = "".join(cell["source"])
        m = re.match(r"# audit: (\S+)", src)
        if cell["cell_type"] == "code" and m:
            assert m.group(1) not in found, f"two demonstration cells for {m.group(1)}"
            found[m.group(1)] = cell
    return found


def test_five_documents_found():
    assert len(DOCS) == 5


@pytest.mark.parametrize("doc", DOCS)
def test_every_section_of_every_document_is_audited(doc, records):
    sections = audit.document_sections(audit.read_document(doc))
    assert sections, f"no sections found in {doc}"
    audited = {r["section"] for r in records if r["document"] == doc}
    missing = [s for s in sections if s not in audited]
    assert missing == [], f"{doc}: sections without a claim: {missing}"


def test_every_claim_points_at_a_real_document_and_section(records):
    for r in records:
        assert r["document"] in DOCS, r["id"]
        sections = audit.split_sections(audit.read_document(r["document"]))
        assert r["section"] in sections, f"{r['id']}: no section {r['section']!r} in {r['document']}"
        assert r["id"][:3] == r["document"][:3], f"{r['id']} is filed under {r['document']}"


def test_every_code_block_is_audited(records):
    for doc in DOCS:
        n_blocks = len(audit.code_blocks(audit.read_document(doc)))
        n_code_claims = sum(1 for r in records if r["document"] == doc and r["claim"].endswith("(code)."))
        assert n_code_claims == n_blocks, f"{doc}: {n_blocks} code blocks, {n_code_claims} code claims"


def test_every_claim_has_a_demonstration_cell_that_ran(records, cells):
    demos = demo_cells(cells)
    ids = [r["id"] for r in records]
    assert sorted(demos) == sorted(ids), set(demos) ^ set(ids)
    for cid, cell in demos.items():
        assert cell.get("execution_count") is not None, f"demonstration {cid} has no stored run"
        outputs = cell.get("outputs", [])
        assert all(o["output_type"] != "error" for o in outputs), f"demonstration {cid} failed"
        assert any(o["output_type"] == "stream" and o["name"] == "stdout" for o in outputs), (
            f"demonstration {cid} prints nothing: nbval would have nothing to compare"
        )


def test_notebook_prose_shows_the_audit_verdicts(records, cells):
    shown = {}
    for cell in cells:
        if cell["cell_type"] == "markdown":
            src = "".join(cell["source"])
            for m in re.finditer(r"\*\*Claim (\S+)\*\*.*?verdict: \*\*([a-z ]+)\*\*", src):
                shown[m.group(1)] = m.group(2)
            assert not re.search(r"\(audit-[^)]*\)=", src) or "(audit-" in src
    assert shown == {r["id"]: r["verdict"] for r in records}


def test_printed_verdict_table_matches_the_counts(records, cells):
    counts = audit.verdict_counts(records)
    table_cell = next(c for c in cells if c["cell_type"] == "code"
                      and "audit.verdict_counts(AUDIT)" in "".join(c["source"]))
    printed = "".join("".join(o.get("text", "")) for o in table_cell["outputs"])
    expected = "".join(f"{doc[:3]} {dict(row)}\n" for doc, row in counts.items())
    assert printed == expected


def test_verdict_counts_add_up_and_include_zeros():
    recs = [{"document": "b", "verdict": "wrong"}, {"document": "a", "verdict": "correct"},
            {"document": "a", "verdict": "Correct"}]
    counts = audit.verdict_counts(recs)
    assert list(counts) == ["a", "b"]
    assert counts["a"]["correct"] == 2 and counts["a"]["wrong"] == 0
    assert list(counts["b"]) == list(audit.VERDICTS)
    assert sum(sum(r.values()) for r in counts.values()) == len(recs)


def test_split_sections_ignores_code_and_uses_numbered_headings_only_without_markdown():
    text = "intro\n# A\nbody\n```\n# not a heading\n```\n**B:**\nmore\n1. item\n"
    sections = audit.split_sections(text)
    assert list(sections) == [audit.PREAMBLE, "A", "B"]
    assert "# not a heading" in sections["A"]
    numbered = audit.split_sections("1. Intro\ntext\n2.1. Part\nmore\n")
    assert list(numbered) == [audit.PREAMBLE, "1. Intro", "2.1. Part"]
    assert audit.document_sections("# Empty\n---\n# Full\nclaim\n") == ["Full"]


def test_run_code_reports_first_error_without_traceback():
    r = audit.run_code("print('a')\nundefined_name\nprint('b')")
    assert r.stdout == "a\n" and not r.ok
    assert r.summary() == "NameError: name 'undefined_name' is not defined"
    ok = audit.run_code("y = x + 1", namespace={"x": 2})
    assert ok.ok and ok.namespace["y"] == 3 and ok.summary() == "ran without error"


def test_run_code_uses_a_fresh_namespace_and_a_time_limit():
    audit.run_code("leaked = 1")
    assert "leaked" not in audit.run_code("pass").namespace
    r = audit.run_code("while True: pass", timeout=0.2)
    assert r.error_type == "CodeTimeout"


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="source"):
        audit.run_code(42)
    with pytest.raises(ValueError, match="timeout"):
        audit.run_code("pass", timeout=0)
    with pytest.raises(TypeError, match="namespace"):
        audit.run_code("pass", namespace=[1])
    with pytest.raises(TypeError, match="text"):
        audit.split_sections(None)


def test_load_audit_rejects_bad_records(tmp_path):
    bad = tmp_path / "a.yaml"
    bad.write_text("- {id: x, document: d, section: s, where: w, claim: c, verdict: maybe, why: y}\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="verdict of x"):
        audit.load_audit(bad)
    bad.write_text("- {id: x, document: d}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks the fields"):
        audit.load_audit(bad)
    rec = "{id: x, document: d, section: s, where: w, claim: c, verdict: wrong, why: y}"
    bad.write_text(f"- {rec}\n- {rec}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="appears twice"):
        audit.load_audit(bad)


def test_document_code_index_is_checked():
    with pytest.raises(ValueError, match="index"):
        audit.document_code(DOCS[0], 5)
    with pytest.raises(ValueError, match="name"):
        audit.read_document("nope.txt")


def test_load_audit_names_a_bad_path(tmp_path):
    with pytest.raises(TypeError, match="path"):
        audit.load_audit(42)
    with pytest.raises(FileNotFoundError, match="no audit file"):
        audit.load_audit(tmp_path / "missing.yaml")


def test_documents_and_audit_ship_inside_the_package():
    package = Path(audit.__file__).resolve().parent
    assert audit.audit_file().resolve() == package / "data" / "audit.yaml"
    assert audit.seeds_dir().resolve() == package / "data" / "documents"
    assert audit.load_audit() == audit.load_audit(audit.audit_file())


def test_notebook_claim_cells_quote_the_audit(records, cells):
    """The fact check shows each record's paraphrase and reason exactly as the audit (and the document
    pages, generated from it) have them, so the three cannot drift apart."""
    text = {}
    for cell in cells:
        src = "".join(cell["source"])
        m = re.match(r"\(audit-(\d{3}-\w+)\)=\n\*\*Claim", src)
        if cell["cell_type"] == "markdown" and m:
            text[m.group(1)] = src
    for r in records:
        shown = text[r["id"]]
        assert f"The document says, in our paraphrase: {r['claim']}\n" in shown, r["id"]
        assert f"\n{r['why']}\n" in shown, r["id"]


def test_one_page_per_document_under_the_chapter():
    assert [p.stem for p in PAGES] == [f"doc_{d[:3]}" for d in DOCS]
    import toc  # tools/toc.py (tests/conftest.py puts tools/ on the path)

    nbs = [p.relative_to(ROOT) for p in toc.notebooks()]
    at = nbs.index(NOTEBOOK.relative_to(ROOT))
    assert nbs[at + 1:at + 1 + len(PAGES)] == [p.relative_to(ROOT) for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_each_document_page_holds_its_claims_in_order(page, records):
    num = page.stem.removeprefix("doc_")
    cells = page_cells(page)
    first = "".join(cells[0]["source"])
    assert first.startswith(f"(audit-doc-{num})=\n# "), first[:80]
    ids = [r["id"] for r in records if r["document"][:3] == num]
    assert list(demo_cells(cells)) == ids
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert re.findall(r"^\(audit-(\d{3}-\w+)\)=$", md, flags=re.M) == ids


@pytest.mark.parametrize("page", [NOTEBOOK, *PAGES], ids=lambda p: p.stem)
def test_each_page_stands_alone_with_a_hidden_setup(page):
    cells = page_cells(page)
    code = [c for c in cells if c["cell_type"] == "code"
            and "remove-cell" not in c["metadata"].get("tags", [])]
    setup = code[0]
    assert "setup_notebook(" in "".join(setup["source"])
    assert {"hide-input", "remove-input"} & set(setup["metadata"].get("tags", [])), \
        f"{page.name}: the setup cell is shown"
    text = "\n".join("".join(c["source"]) for c in cells)
    # no value glued in another page's run, no variable of another page
    assert "::" not in "".join(re.findall(r"\{glue:[a-z]+\}`[^`]*`", text)), page.name
    assert "%run" not in text and "import_ipynb" not in text


def test_the_chapter_page_checks_no_claim_itself(records):
    chapter = page_cells(NOTEBOOK)
    assert demo_cells(chapter) == {}
    md = "\n".join("".join(c["source"]) for c in chapter if c["cell_type"] == "markdown")
    assert not re.search(r"^\(audit-\d{3}-", md, flags=re.M)
    # every claim the chapter names is a record, and every document page is linked from its table
    named = set(re.findall(r"<audit-(\d{3}-\w+)>", md))
    assert named and named <= {r["id"] for r in records}
    src = "\n".join("".join(c["source"]) for c in chapter if c["cell_type"] == "code")
    assert "<audit-doc-{n}>" in src and "audit.verdict_counts(AUDIT)" in src
