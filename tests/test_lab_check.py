"""The pure parts of tools/lab_check.py: the markup scan, the fixtures, the notebook lists.

The browser part (JupyterLab in Chromium) runs in `make lab-check`, which first runs the fixtures
and fails unless each of their faults is reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
import lab_check  # noqa: E402  (tools/ is on the path: tests/conftest.py)
import toc  # noqa: E402


@pytest.mark.parametrize("text, found", [
    ("The loss falls to {glue:text}final_loss:.3f after training.", "{glue:text}"),
    ("The loss falls to {glue:text}`final_loss:.3f`.", "{glue:text}"),
    ("as {glue}`n` steps show", "{glue}"),
    ("See {numref}fig-depth for the picture.", "{numref}"),
    ("Read {doc}../wT/wT_derivation first", "{doc}"),
    ("as shown by {cite:p}glorot2010", "{cite:p}"),
    ("(fig-depth)=\n\nThe figure", "(fig-depth)="),
    ("Exercise 1\n:class: dropdown\nWhat is 2 + 2?", ":class:"),
    ("::: note\nsome text\n:::", ":::"),
])
def test_scan_finds_raw_myst(text: str, found: str):
    assert found in lab_check.scan_markup(text)


@pytest.mark.parametrize("text", [
    "The set {1, 2, 3} and the map {x: 1} are plain Python.",
    "Ratio: 0.68 (ReLU, He). Time: 3 s. See Figure 2.3 (depth).",
    "f(x) = (1 - alpha L) x, for alpha in (0, 2/L)",
    "a dict literal {'glue': 1} and the word numref in prose",
    "Take (a)= nothing here, since the label form needs its own line",
])
def test_scan_passes_plain_prose(text: str):
    assert lab_check.scan_markup(text) == []


def test_scan_passes_the_real_student_edition():
    """No false alarm on the prose students read (the repository's copy, student/)."""
    notebooks = sorted((ROOT / "student").rglob("*.ipynb"))
    assert len(notebooks) == len(toc.notebooks())
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "markdown":
                assert lab_check.scan_markup("".join(cell["source"])) == [], f"{path} cell {i}"


def test_fixtures_hold_the_faults_the_check_must_report(tmp_path: Path):
    expected = lab_check.write_fixtures(tmp_path / "fixtures")
    assert {"markup", "error"} <= set().union(*expected.values())
    for rel in expected:
        nb = nbformat.read(tmp_path / rel, as_version=4)
        nbformat.validate(nb)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        code = [c for c in nb.cells if c.cell_type == "code"]
        if "markup" in expected[rel]:
            assert "{glue:text}" in lab_check.scan_markup(markdown)
        if "error" in expected[rel]:
            assert any("1 / 0" in c.source for c in code)
        if "empty" in expected[rel]:
            assert any(lab_check.stored_outputs(nb))
        if "solution" in expected[rel]:
            assert "<details open>" in markdown
            for answer in lab_check.FIXTURE_SOLUTIONS[Path(rel).name]:
                assert answer in markdown  # an answer in plain view, with no "Solution" label
        if "widget" in expected[rel]:
            assert any("IntSlider" in c.source for c in code)


def test_stored_outputs_follow_code_cells():
    nb = lab_check._nb([lab_check._md("# t"), lab_check._code("1", [{"output_type": "stream",
                                                                      "name": "stdout", "text": "1"}]),
                        lab_check._md("x"), lab_check._code("pass")])
    assert lab_check.stored_outputs(nb) == [True, False]


def test_checked_notebooks_are_in_the_book():
    book = {p.resolve().relative_to(ROOT).as_posix() for p in (ROOT / q for q in toc.notebooks())}
    assert set(lab_check.CHAPTERS) <= book
    assert set(lab_check.SHOTS) <= set(lab_check.CHAPTERS)


MYST = [
    "## Exercises\n\n```{exercise}\n:label: ex-a\nFor which $w$ is the factor largest?\n```\n\n"
    "```{solution-start} ex-a\n:class: dropdown\n```\n\nEvaluate it on a fine grid of weights:",
    "The largest factor is {glue:text}`best:.3f` at $w = 1.5$: no weight makes a sigmoid factor "
    "reach one at all.\n\n```{solution-end}\n```\n\nAfter the exercises the chapter goes on "
    "with more prose here.",
    "```{solution} ex-b\n:class: dropdown\nThe loss rises at every single step of the run, as "
    "shown in {ref}`sign`.\n```",
]


def _myst_nb(texts: list[str]) -> dict:
    cells = []
    for text in texts:
        cells += [lab_check._md(text), lab_check._code("x = 1")]
    return lab_check._nb(cells)


def test_solution_texts_span_cells_and_leave_the_rest():
    texts, rest = lab_check.solution_texts(_myst_nb(MYST))
    assert len(texts) == 2
    assert "Evaluate it on a fine grid" in texts[0] and "The largest factor" in texts[0]
    assert "The loss rises" in texts[1]
    assert "For which $w$" in rest and "goes on" in rest
    assert "Evaluate" not in rest and "The largest factor" not in rest


def test_solution_fragments_are_prose_that_reads_the_same_rendered():
    fragments = lab_check.solution_fragments(_myst_nb(MYST))
    assert "no weight makes a sigmoid factor reach one at all" in fragments
    assert "The loss rises at every single step of the run, as shown" in fragments  # 12 words
    for f in fragments:
        assert "{" not in f and "$" not in f and ":class:" not in f and len(f.split()) <= 12


def test_solution_fragments_skip_prose_the_chapter_shares():
    shared = MYST[1].replace("with more prose here", "no weight makes a sigmoid factor reach one at all")
    fragments = lab_check.solution_fragments(_myst_nb([MYST[0], shared]))
    assert "no weight makes a sigmoid factor reach one at all" not in fragments


def test_every_chapter_with_solutions_yields_fragments():
    for rel in lab_check.CHAPTERS:
        nb = json.loads((ROOT / rel).read_text(encoding="utf-8"))
        if lab_check.solution_texts(nb)[0]:
            assert lab_check.solution_fragments(nb), rel
