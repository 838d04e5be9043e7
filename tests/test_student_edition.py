"""The student edition (tools/student_edition.py): plain Markdown every Jupyter front end renders.

Every notebook of the book is converted from its stored outputs; the result must carry no MyST
(no `{glue`, `{numref}`, `(label)=`, `:class:`, directive fences), no website-only cell, no
solution in plain view, and must render with plain `nbconvert --to html` (no MyST) without any
of that markup appearing in the HTML.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
import student_edition  # noqa: E402  (tools/ is on the path: tests/conftest.py)
import toc  # noqa: E402

NOTEBOOKS = [ROOT / p for p in toc.notebooks()]
SHOWN_MARKUP = re.compile(r"\{glue|\{numref\}|\{ref\}|\{doc\}|\{cite|^\([\w-]+\)=|:class:|:::|```\{",
                          re.M)


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    for path in NOTEBOOKS:
        student_edition.convert(path, out)
    return out


def _markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_student_notebook_is_plain_markdown(edition: Path, path: Path):
    nb = json.loads((edition / path.relative_to(ROOT)).read_text(encoding="utf-8"))
    assert student_edition.leftovers(nb) == []
    code = {"".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"}
    original = json.loads(path.read_text(encoding="utf-8"))["cells"]
    # hidden on the website and not needed by any cell the edition keeps (a glue or claim cell)
    needed = student_edition.kept_code_cells(original)
    hidden = {"".join(c["source"]) for i, c in enumerate(original) if c["cell_type"] == "code"
              and "remove-cell" in c["metadata"].get("tags", []) and i not in needed}
    assert not code & hidden, "a website-only cell (glue, claim guard) is in the student edition"
    assert not any(re.search(r"\bweb_\w+\(", src) for src in code), "a live-figure cell is in it"
    explorers = {student_edition._WEB_IMPORT.sub("", "".join(c["source"])) for c in original
                 if c["cell_type"] == "code" and "explore_" in "".join(c["source"])}
    assert explorers <= code, "a JupyterLab explorer is missing from the student edition"
    text = _markdown(nb)
    # every solution is folded or in the final Solutions section
    body, _, _ = text.partition("## Solutions")
    outside = re.sub(r"<details>.*?</details>", "", body, flags=re.S)
    assert "**Solution" not in outside


def test_the_glued_numbers_are_the_stored_ones(edition: Path):
    path = ROOT / "book" / "gradient_descent" / "gradient_descent.ipynb"
    values = student_edition.glue_values(path)
    source = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                     if c["cell_type"] == "markdown")
    key, fmt = re.search(r"\{glue:text\}`([\w.-]+):?([^`]*)`", source).groups()
    shown = format(values[key], fmt) if fmt else str(values[key])
    student = _markdown(json.loads((edition / path.relative_to(ROOT)).read_text()))
    assert shown in student


def test_plain_nbconvert_shows_no_markup(edition: Path):
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    for rel in ("book/gradient_descent/gradient_descent.ipynb",
                "book/vanishing_exploding/vanishing_exploding.ipynb",
                "book/vanishing_exploding/diagnosing.ipynb",
                "book/case_study/case_study.ipynb", "book/case_study/remedies.ipynb",
                "book/case_study/checklist.ipynb"):
        nb = nbformat.read(edition / rel, as_version=4)
        html, _ = exporter.from_notebook_node(nb)
        prose = re.sub(r"<(script|style|pre)\b.*?</\1>", "", html, flags=re.S)
        prose = re.sub(r"<[^>]+>", " ", prose)
        assert SHOWN_MARKUP.findall(prose) == [], rel


def test_a_raw_role_or_target_is_caught(tmp_path: Path):
    bad = {"cells": [{"cell_type": "markdown", "metadata": {},
                      "source": ["(sec-x)=\n", "The loss is {glue:text}`loss:.3g`.\n"]}],
           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert len(student_edition.leftovers(bad)) == 2
    nb = tmp_path / "page.ipynb"
    bad["cells"][0]["source"] = ["The loss is {glue:text}`missing:.3g`.\n"]
    nb.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(KeyError, match="missing"):
        student_edition.convert(nb, tmp_path / "out")


def test_the_repository_copy_is_current():
    """student/ (what Binder and Colab open) is the current conversion, without outputs."""
    stale = student_edition.stale()
    assert not stale, (f"student/ is stale for {stale[:5]}: run `make outputs` or "
                       "`python tools/student_edition.py --clean --out student`")
    nb = json.loads((student_edition.STUDENT / "book" / "intro.ipynb").read_text(encoding="utf-8"))
    assert all(c.get("outputs") == [] for c in nb["cells"] if c["cell_type"] == "code")


def test_a_stale_copy_is_caught(tmp_path):
    first = NOTEBOOKS[0].relative_to(ROOT)
    (tmp_path / first).parent.mkdir(parents=True)
    (tmp_path / first).write_text(student_edition.render(ROOT / first, True) + " ")
    found = student_edition.stale(tmp_path)
    assert str(first) in found and len(found) == len(NOTEBOOKS)


def test_the_install_cell_comes_first(edition: Path):
    """Colab has neither package: the student edition keeps the install cell the site hides."""
    import colab_cell

    text = colab_cell.cell_text()
    for path in NOTEBOOKS:
        nb = json.loads((edition / path.relative_to(ROOT)).read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "".join(code[0]["source"]).strip() == text.strip(), path.name


def test_a_hidden_cell_a_solution_needs_is_kept_with_the_solutions():
    """A solution that reads a name only a website-only cell defines still runs; the cell goes
    with the solutions (after the exercises), and a glue-only cell stays out."""
    def code(src, tags=()):
        return {"cell_type": "code", "source": src, "metadata": {"tags": list(tags)}, "outputs": []}

    def md(src):
        return {"cell_type": "markdown", "source": src, "metadata": {}}

    cells = [code("x = 1"),
             code("answer = x + 41\nglue('a', answer)", ["remove-cell"]),
             code("glue('b', x)", ["remove-cell"]),
             md("```{exercise} What is it?\n:label: ex\n```\n\n"
                "```{solution-start} ex\n:class: dropdown\n```"),
             code("print(answer)"),
             md("```{solution-end}\n```\nAfter.")]
    kept = student_edition.kept_code_cells(cells)
    assert kept == {0: False, 1: True, 4: True}
    assert student_edition.solution_cells(cells) == {4}
