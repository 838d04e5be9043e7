"""Write the pages of the source documents (book/documents/doc_000.md ... doc_004.md).

    python tools/make_document_pages.py            # write the pages
    python tools/make_document_pages.py --check    # exit 1 if a committed page differs
    python tools/make_document_pages.py --skeleton 003   # print a translation skeleton

Three inputs, so that the pages never drift from what the fact check audits:
  - the documents themselves, shipped with coursepages (coursepages.audit.read_document);
  - book/documents/translations.yaml, the course's English translation, one entry per block of
    the original (a heading, a paragraph, a list or a code block) in the original's order, each
    with the first characters of the block it translates (`start`, checked) and the ids of the
    audit records that belong there (`claims`);
  - the audit (coursepages.audit.load_audit): each record is shown under its block with its verdict,
    the course's paraphrase and reason, and a link to its demonstration in the fact check.

Each block becomes a row of a sphinx-design grid: the original on the left in a card (a quotation,
with the class `lang-ru`/`lang-zh`/`lang-bn` and `source-original`), the translation on the right;
one column on a phone. Code blocks are shown once, with a second tab where their comments are
translated. A claim is a rubric labelled `(claim-<id>)=`; it links to `(audit-<id>)=` in the fact check.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coursepages import audit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "documents"
TRANSLATIONS = OUT / "translations.yaml"
FACT_CHECK = "../fact_check/fact_check"
FACT_CHECK_NB = "../fact_check/doc_{num}.ipynb"   # the fact check's page of document {num}
BADGE = {"correct": "bdg-success", "wrong": "bdg-danger", "misleading": "bdg-warning",
         "not testable": "bdg-secondary"}
LONG_CODE = 40  # code listings longer than this many lines fold into a dropdown
_FENCE = re.compile(r"^\s*```")
_SKIP = re.compile(r"^(\s*|-{3,}|\[toc\])$")


@dataclass
class Block:
    kind: str        # "heading", "text" or "code"
    text: str        # the original, verbatim (a heading without its # or ** marks)
    section: str     # the heading it belongs to, as coursepages.audit.split_sections names it
    lines: list[str] = field(default_factory=list)


def split_blocks(text: str) -> list[Block]:
    """The blocks of a document: headings, code blocks, and runs of lines between blank lines.

    Headings are found exactly as coursepages.audit finds them, so each block knows its section.
    Horizontal rules, `[toc]` and blank runs are dropped.
    """
    lines = text.splitlines()
    numbered = audit.numbered_headings(lines)
    blocks: list[Block] = []
    section = audit.PREAMBLE
    cur: list[str] = []

    def flush(kind: str = "text") -> None:
        if cur and not all(_SKIP.match(x.strip()) for x in cur):
            blocks.append(Block(kind, "\n".join(cur), section, list(cur)))
        cur.clear()

    in_code = False
    for line in lines:
        if in_code:
            cur.append(line)
            if _FENCE.match(line):
                in_code = False
                flush("code")
            continue
        if _FENCE.match(line):
            flush()
            cur.append(line)
            in_code = True
            continue
        if not line.strip():
            flush()
            continue
        title = audit._heading(line, numbered=numbered)
        if title is not None:
            flush()
            section = title
            blocks.append(Block("heading", title, section, [line]))
            continue
        cur.append(line)
    flush("code" if in_code else "text")
    return blocks


def load_translations(path: Path = TRANSLATIONS) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} must map document numbers to their translation")
    return data


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fence(n: int) -> str:
    return ":" * n


def _code_lang(block: Block) -> str:
    m = re.match(r"^\s*```([A-Za-z]*)", block.lines[0])
    return (m.group(1) if m else "") or "text"


def _code_body(block: Block) -> str:
    return "\n".join(block.lines[1:-1])


def _translate_comments(code: str, comments: dict[str, str], identifiers: dict[str, str]) -> str:
    for name, english in identifiers.items():
        code = code.replace(name, english)
    out = []
    for line in code.splitlines():
        m = re.match(r"^(\s*#\s*)(.*)$", line)
        if m and m.group(2).strip() in comments:
            line = m.group(1) + comments[m.group(2).strip()]
        out.append(line)
    return "\n".join(out)


def _original(block: Block) -> str:
    """The original block as MyST: headings in bold (a heading cannot live inside a card)."""
    if block.kind == "heading":
        return f"**{block.text}**"
    if any("\t" in ln or ("$$" in ln and ln.strip() != "$$") for ln in block.lines):
        # a formula whose LaTeX lost its backslashes (`\t` and `\n` read as control characters),
        # or display math run into the text: show it exactly as the file has it, as text
        return "```text\n" + block.text.replace("\t", "\\t") + "\n```"
    # display math on its own lines, as the author meant it (a `$$` glued to the line above
    # would be read as inline math); the text itself is unchanged
    out: list[str] = []
    in_math = False
    for line in block.lines:
        if line.strip() == "$$":
            if not in_math and out and out[-1].strip():
                out.append("")
            out.append(line)
            if in_math:
                out.append("")
            in_math = not in_math
        else:
            out.append(line)
    return "\n".join(out).strip()


def _glue_from_fact_check(text: str, num: str) -> str:
    # a key without a format needs a trailing colon here, or myst-nb splits "page::key" at the
    # last colon and looks for the key "page:"
    return re.sub(r"\{glue:text\}`([^`]+)`", lambda m: "{glue:text}`" + FACT_CHECK_NB.format(num=num) + "::"
                  + m.group(1) + ("" if ":" in m.group(1) else ":") + "`", text)


def _claim(rec: dict) -> str:
    cid, verdict = rec["id"], rec["verdict"]
    return "\n".join([
        f"(claim-{cid})=",
        f"```{{rubric}} Claim {cid}: {verdict}",
        "```",
        "",
        f"{{{BADGE[verdict]}}}`{verdict}` **The document says** (our paraphrase): "
        f"{_glue_from_fact_check(rec['claim'], cid[:3])}",
        "",
        f"**Why:** {_glue_from_fact_check(rec['why'], cid[:3])} "
        f"{{ref}}`The demonstration in the fact check <audit-{cid}>`.",
        "",
    ])


def render(num: str, doc: str, entry: dict, records: list[dict]) -> str:
    """The MyST page of document `num` (file name `doc`)."""
    text = audit.read_document(doc)
    blocks = split_blocks(text)
    tblocks = entry["blocks"]
    if len(tblocks) != len(blocks):
        raise ValueError(f"{num}: the document has {len(blocks)} blocks, the translation "
                         f"{len(tblocks)} (python tools/make_document_pages.py --skeleton {num})")
    by_id = {r["id"]: r for r in records if r["document"] == doc}
    placed: list[str] = []
    lang, language = entry["lang"], entry["language"]
    counts = audit.verdict_counts(list(by_id.values()))[doc]
    out = [
        "% generated by tools/make_document_pages.py from the page package's copy of the document,",
        "% book/documents/translations.yaml and the audit: edit those, then rerun the tool",
        f"(doc-{num})=",
        f"# Document {num}: {entry['title']}",
        "",
        entry["about"].strip(),
        "",
        "```{admonition} Quoted source material, not course text",
        ":class: warning",
        f"Left (or first, on a phone): the original {language} text, verbatim, including its "
        "errors. Right: the course's English translation, paragraph by paragraph; formulas are "
        "typeset as the author evidently meant them. After a paragraph that makes a claim, the "
        "claim's verdict from the fact check, the reason, and a link to the computation in "
        f"{{doc}}`{FACT_CHECK}`.",
        "```",
        "",
        "Verdicts for this document: " + ", ".join(
            f"{{{BADGE[v]}}}`{v}` {n}" for v, n in counts.items() if n) + ".",
        "",
        "## The text, paragraph by paragraph",
        "",
    ]
    for i, (block, tb) in enumerate(zip(blocks, tblocks, strict=True)):
        start = str(tb.get("start", ""))
        if not start or not _nfc(block.text.lstrip("#* ")).startswith(_nfc(start.lstrip("#* "))):
            raise ValueError(f"{num} block {i}: translation starts at {start!r}, the document "
                             f"at {block.text[:30]!r}")
        for cid in tb.get("claims") or []:
            if cid not in by_id:
                raise ValueError(f"{num} block {i}: no audit record {cid!r} for {doc}")
            if by_id[cid]["section"] != block.section:
                raise ValueError(f"{num} block {i}: claim {cid} is audited under section "
                                 f"{by_id[cid]['section']!r}, the block is in {block.section!r}")
        if block.kind == "code":
            out += _code(block, tb, lang, language)
        else:
            en = str(tb["en"]).strip()
            if block.kind == "heading":
                en = f"**{en}**"
            out += [
                "::::{grid} 1 1 2 2",
                ":gutter: 2",
                "",
                ":::{grid-item-card}",
                f":class-card: source-original lang-{lang}",
                ":shadow: none",
                "",
                _original(block),
                ":::",
                "",
                ":::{grid-item}",
                ":class: source-translation",
                "",
                en,
                ":::",
                "::::",
                "",
            ]
        for cid in tb.get("claims") or []:
            out.append(_claim(by_id[cid]))
            placed.append(cid)
    missing = sorted(set(by_id) - set(placed))
    twice = sorted({c for c in placed if placed.count(c) > 1})
    if missing or twice:
        raise ValueError(f"{num}: audit records not placed {missing}, placed twice {twice}")
    return "\n".join(out).rstrip() + "\n"


def _code(block: Block, tb: dict, lang: str, language: str) -> list[str]:
    body, code_lang = _code_body(block), _code_lang(block)
    comments = tb.get("comments") or {}
    identifiers = tb.get("identifiers") or {}
    n = len(block.lines) - 2
    note = str(tb.get("en", "")).strip()
    lines: list[str] = []
    if comments:
        unknown = [c for c in {**comments, **identifiers} if c not in body]
        if unknown:
            raise ValueError(f"comments not found in the code: {unknown}")
        lines += [
            "::::{tab-set}",
            "",
            f":::{{tab-item}} Original ({language} comments)",
            f":class-content: source-original lang-{lang}",
            "",
            f"```{code_lang}",
            body,
            "```",
            ":::",
            "",
            ":::{tab-item} Comments in English",
            "",
            f"```{code_lang}",
            _translate_comments(body, comments, identifiers),
            "```",
            ":::",
            "::::",
        ]
    else:
        lines += [f"```{code_lang}", body, "```"]
    if note:
        lines = [note, ""] + lines
    if n > LONG_CODE:
        depth = 5
        lines = [f"{_fence(depth)}{{dropdown}} The document's code listing ({n} lines)",
                 ":open:", ""] + lines + [_fence(depth)]
    return lines + [""]


def render_index(trans: dict, records: list[dict]) -> str:
    counts = audit.verdict_counts(records)
    rows = ["| document | language | what it is | " + " | ".join(audit.VERDICTS) + " |",
            "|---" * (3 + len(audit.VERDICTS)) + "|"]
    for doc in audit.document_names():
        num = doc[:3]
        e = trans[num]
        rows.append(f"| {{ref}}`{num} <doc-{num}>` | {e['language']} | {e['title']} | "
                    + " | ".join(str(counts[doc][v]) for v in audit.VERDICTS) + " |")
    intro = trans["index"]["intro"].strip()
    return "\n".join([
        "% generated by tools/make_document_pages.py: edit book/documents/translations.yaml",
        "(documents-index)=",
        "# The source documents",
        "",
        intro,
        "",
        f"Claims per document and verdict (from {{doc}}`the fact check <{FACT_CHECK}>`):",
        "",
        *rows,
        "",
        trans["index"]["outro"].strip(),
        "",
    ])


def build(trans: dict | None = None) -> dict[Path, str]:
    """{page path: text} for the index and the five document pages."""
    trans = trans or load_translations()
    records = audit.load_audit()
    pages = {OUT / "index.md": render_index(trans, records)}
    for doc in audit.document_names():
        num = doc[:3]
        pages[OUT / f"doc_{num}.md"] = render(num, doc, trans[num], records)
    return pages


def skeleton(num: str) -> str:
    doc = next(d for d in audit.document_names() if d.startswith(num))
    out = [f'"{num}":', "  blocks:"]
    for b in split_blocks(audit.read_document(doc)):
        first = b.text.splitlines()[0][:24].replace('"', "'")
        out.append(f'    - start: "{first}"  # {b.kind}, section {b.section}')
        for ln in b.text.splitlines()[:12]:
            out.append(f"      # | {ln}")
        out.append("      en: >-" if b.kind != "code" else "      comments: {}")
        out.append("        TODO")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--skeleton", metavar="NUM", help="print a translation skeleton")
    args = parser.parse_args(argv)
    if args.skeleton:
        print(skeleton(args.skeleton))
        return 0
    stale = []
    for path, text in build().items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.relative_to(ROOT).as_posix())
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python tools/make_document_pages.py): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
