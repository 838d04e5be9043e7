"""Structure tests: the book's notebooks are listed, stored with real outputs, and nbval can fail.

nbval only compares what is stored. A notebook saved without outputs, or with an error or a
warning stored as output, would pass or mislead silently; these tests refuse such notebooks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def toc_entries() -> list[str]:
    # the root page (book/intro) counts too: it is a notebook
    import toc  # tools/toc.py, the one _toc.yml reader (tests/conftest.py puts tools/ on the path)

    return toc.entries()


def book_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts)


NOTEBOOKS = book_notebooks()


def code_cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def text_outputs(cell: dict) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            texts.append("".join(out["text"]))
        elif "text/plain" in out.get("data", {}):
            texts.append("".join(out["data"]["text/plain"]))
    return texts


def test_toc_lists_exactly_the_notebooks_under_book():
    listed = {e for e in toc_entries() if (ROOT / f"{e}.ipynb").exists()}
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in NOTEBOOKS}
    assert on_disk - listed == set(), "notebooks under book/ missing from _toc.yml"
    assert listed == on_disk


def test_every_toc_entry_exists():
    missing = [e for e in toc_entries()
               if not any((ROOT / f"{e}{ext}").exists() for ext in (".ipynb", ".md"))]
    assert missing == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_stored_outputs_to_compare(path: Path):
    cells = code_cells(path)
    assert cells, f"{path.name} has no code cells: nbval would check nothing"
    unrun = [i for i, c in enumerate(cells) if c.get("execution_count") is None]
    assert unrun == [], f"{path.name}: code cells {unrun} have no stored run (run `make outputs`)"
    n_text = sum(len(text_outputs(c)) for c in cells)
    assert n_text >= 3, f"{path.name}: only {n_text} text outputs, too few for nbval to check numbers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_stored_errors_or_stderr(path: Path):
    for i, cell in enumerate(code_cells(path)):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i} stores an error"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                f"{path.name} cell {i} stores stderr: {''.join(out['text'])[:200]!r}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_seeded(path: Path):
    source = "\n".join("".join(c["source"]) for c in code_cells(path))
    assert "setup_notebook(" in source or "manual_seed(" in source, (
        f"{path.name} never seeds its random sources (call gradlab.setup_notebook())"
    )


def _first_number_output(path: Path) -> tuple[int, int] | None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for ci, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "nbval-ignore-output" in cell["metadata"].get("tags", []):
            continue
        for oi, out in enumerate(cell.get("outputs", [])):
            text = "".join(out.get("text", "")) if out["output_type"] == "stream" else ""
            if re.search(r"[1-9]", text):
                return ci, oi
    return None


def test_nbval_fails_when_a_stored_number_is_changed(tmp_path: Path):
    """Change one digit of one stored output of a real notebook: nbval must report a mismatch."""
    candidates = [p for p in NOTEBOOKS if _first_number_output(p) is not None]
    assert candidates, "no notebook prints a number; nbval would have nothing to compare"
    source = min(candidates, key=lambda p: p.stat().st_size)
    nb = json.loads(source.read_text(encoding="utf-8"))
    ci, oi = _first_number_output(source)
    out = nb["cells"][ci]["outputs"][oi]
    text = "".join(out["text"])
    digit = re.search(r"[1-9]", text)
    out["text"] = text[: digit.start()] + str((int(digit.group()) % 9) + 1) + text[digit.end():]
    mutated = tmp_path / source.name
    mutated.write_text(json.dumps(nb), encoding="utf-8")
    # the notebook may read files next to it: run it from a copy of its folder
    for sibling in source.parent.iterdir():
        if sibling.is_file() and sibling.name != source.name:
            (tmp_path / sibling.name).write_bytes(sibling.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
         str(ROOT / "tests" / "sanitize.cfg"), str(mutated)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "mismatch" in result.stdout.lower() or "NbCellError" in result.stdout, result.stdout[-2000:]


def test_every_notebook_can_install_gradlab_on_colab():
    """Each notebook (and homework master) starts with the install cell for repository.url."""
    sys.path.insert(0, str(ROOT / "tools"))
    import colab_cell

    assert colab_cell.main(["--check"]) == 0, "run: python tools/colab_cell.py --insert"


# ---- what a reader sees: plumbing hidden, code within the column, figures captioned, math --------
# (issue 14). A displayed cell is one without the `remove-cell` or `remove-input` tag.

import toc  # noqa: E402  (tools/toc.py, the one _toc.yml reader; tests/conftest.py puts tools/ on the path)

TOC_NOTEBOOKS = toc.notebooks()
TOC_PAGES = toc.pages()
MAX_CODE_COLUMNS = 88
FIGURE_MIMES = ("image/png", "image/svg+xml", "image/jpeg")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _displayed_code(path: Path) -> list[tuple[int, dict]]:
    hidden = {"remove-cell", "remove-input"}
    return [(i, c) for i, c in enumerate(_cells(path)) if c["cell_type"] == "code"
            and not hidden & set(c["metadata"].get("tags", []))]


def plumbing_shown(path: Path) -> list[str]:
    """Displayed code cells that glue a value or guard a claim (they belong in `remove-cell`)."""
    found = []
    for i, cell in _displayed_code(path):
        text = "".join(cell["source"])
        for needle in ("glue(", "raise AssertionError"):
            if re.search(r"(?<!\w)" + re.escape(needle), text) and "def glue(" not in text:
                found.append(f"cell {i} shows {needle!r}")
    return found


def wide_code(path: Path, limit: int = MAX_CODE_COLUMNS) -> list[str]:
    """Displayed code lines wider than the column (they would scroll sideways)."""
    return [f"cell {i}: {len(line)} columns: {line.strip()[:50]}"
            for i, cell in _displayed_code(path)
            for line in "".join(cell["source"]).splitlines() if len(line) > limit]


def uncaptioned_figures(path: Path) -> list[str]:
    """Cells with a figure output but no myst-nb figure caption and name, or no image alt text."""
    found = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code" or "remove-cell" in cell["metadata"].get("tags", []):
            continue
        if not any(m in out.get("data", {}) for out in cell.get("outputs", []) for m in FIGURE_MIMES):
            continue
        meta = cell["metadata"].get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        missing = [k for k, v in (("caption", figure.get("caption")), ("name", figure.get("name")),
                                  ("alt", image.get("alt"))) if not str(v or "").strip()]
        if missing:
            found.append(f"cell {i}: figure without {', '.join(missing)}")
    return found


def display_math_in_paragraph(text: str) -> list[str]:
    """Markdown lines where `$$` shares the line with other text (outside code fences)."""
    found, fence = [], None
    for line in text.splitlines():
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1).startswith(fence[0]) and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if fence is None and "$$" in line and line.strip() != "$$":
            found.append(line.strip()[:70])
    return found


def markdown_of(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    return "\n\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown")


_ids = {"ids": lambda p: str(p.relative_to(ROOT))}


@pytest.mark.parametrize("path", TOC_NOTEBOOKS, **_ids)
def test_glue_and_guard_cells_are_hidden(path: Path):
    assert plumbing_shown(path) == [], "tag these cells remove-cell (split off the glue/guard lines)"


@pytest.mark.parametrize("path", TOC_NOTEBOOKS, **_ids)
def test_displayed_code_fits_the_column(path: Path):
    assert wide_code(path) == []


@pytest.mark.parametrize("path", TOC_NOTEBOOKS, **_ids)
def test_figures_have_caption_name_and_alt(path: Path):
    assert uncaptioned_figures(path) == [], (
        'set the cell metadata {"mystnb": {"figure": {"caption": ..., "name": ...}, '
        '"image": {"alt": ...}}}')


@pytest.mark.parametrize("path", TOC_PAGES, **_ids)
def test_display_math_on_its_own_lines(path: Path):
    assert display_math_in_paragraph(markdown_of(path)) == [], "put each $$ on a line of its own"


def _nb(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source: str, tags=(), outputs=(), mystnb=None) -> dict:
    meta = {"tags": list(tags)}
    if mystnb:
        meta["mystnb"] = mystnb
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": list(outputs),
            "execution_count": 1}


def test_presentation_checks_catch_each_defect(tmp_path: Path):
    """The four checks above fail on a notebook with each defect, and pass once it is fixed."""
    png = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}}
    fig_meta = {"figure": {"caption": "What to notice.", "name": "fig-x"},
                "image": {"alt": "A line plot."}}
    bad = _nb(
        _code("x = 1\ngradlab.glue('x', x, display=False)"),
        _code("if x > 2:\n    raise AssertionError('the prose says x is small')"),
        _code("y = '" + "a" * 90 + "'"),
        _code("plt.plot([1, 2])\nplt.show()", outputs=[png]),
        _code("plt.plot([1, 2])\nplt.show()", outputs=[png],
              mystnb={"figure": {"caption": "c", "name": "fig-y"}}),
        {"cell_type": "markdown", "metadata": {}, "source": "The rule $$x^2$$ in a sentence."},
    )
    good = _nb(
        _code("x = 1"),
        _code("glue('x', x, display=False)", tags=["remove-cell"]),
        _code("if x > 2:\n    raise AssertionError('the prose says x is small')", tags=["remove-cell"]),
        _code("y = '" + "a" * 60 + "'"),
        _code("plt.plot([1, 2])\nplt.show()", outputs=[png], mystnb=fig_meta),
        {"cell_type": "markdown", "metadata": {},
         "source": "The rule\n\n$$\nx^2\n$$\n\n```\n$$ in code\n```"},
    )
    bad_path, good_path = tmp_path / "bad.ipynb", tmp_path / "good.ipynb"
    bad_path.write_text(json.dumps(bad), encoding="utf-8")
    good_path.write_text(json.dumps(good), encoding="utf-8")
    assert len(plumbing_shown(bad_path)) == 2
    assert len(wide_code(bad_path)) == 1
    problems = uncaptioned_figures(bad_path)
    assert len(problems) == 2 and "caption, name, alt" in problems[0] and "alt" in problems[1]
    assert display_math_in_paragraph(markdown_of(bad_path)) == ["The rule $$x^2$$ in a sentence."]
    assert plumbing_shown(good_path) == wide_code(good_path) == uncaptioned_figures(good_path) == []
    assert display_math_in_paragraph(markdown_of(good_path)) == []


# ---- one helper per notebook habit; outputs nbval cannot compare are guarded by claims ----------

#: helpers that live in gradlab.notebook and must not be redefined in a notebook
SHARED_HABITS = ("sci", "readable", "glue_num", "claim", "seed_spread", "fmt", "pretty", "human")
_REDEFINED = re.compile(r"^\s*def\s+(" + "|".join(SHARED_HABITS) + r")\s*\(", re.M)
_BARE_ASSERT = re.compile(r"^\s*assert\b|\braise\s+AssertionError\b", re.M)
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def habit_violations(path: Path) -> list[str]:
    """Local copies of gradlab.notebook's helpers, and claims guarded by assert (gone under -O)."""
    found = []
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        found += [f"cell {i}: defines its own {m.group(1)}() (use gradlab.notebook's)"
                  for m in _REDEFINED.finditer(source)]
        if _BARE_ASSERT.search(source):
            found.append(f"cell {i}: guards a claim with assert/AssertionError (use claim())")
    return found


def unguarded_ignored_outputs(path: Path) -> list[str]:
    """Cells whose output nbval ignores, with no claim() after them to check what they show.

    An ignored output is allowed for a trained outcome (it differs between CPUs digit by digit)
    only if a later cell (or the cell itself) states the page's claim about it with claim(), and
    for the ipywidgets explorers (nbval skips widget views anyway).
    """
    cells = _cells(path)
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or "nbval-ignore-output" not in cell["metadata"].get("tags", []):
            continue
        source = "".join(cell["source"])
        widget = "explore_" in source or any(_WIDGET_VIEW in out.get("data", {})
                                            for out in cell.get("outputs", []))
        guarded = any(c["cell_type"] == "code" and "claim(" in "".join(c["source"])
                      for c in cells[i:])
        if not (widget or guarded):
            found.append(f"cell {i}: output ignored by nbval and no claim() checks it")
    return found


def compared_text_outputs(path: Path) -> int:
    """How many text outputs nbval compares (cells tagged nbval-ignore-output do not count)."""
    return sum(len(text_outputs(c)) for c in code_cells(path)
               if "nbval-ignore-output" not in c["metadata"].get("tags", []))


_TYPED_CHAPTER = re.compile(r"\b[Cc]hapters?\s+\d|глав[а-я]*\s+\d|第\s*[0-9一二三四五六七]+\s*章"
                            r"|অধ্যায়\s*[০-৯0-9]")


def typed_chapter_numbers(text: str) -> list[str]:
    """'chapter 6', 'глава 2', '第2章', 'অধ্যায় ২': chapter numbers belong to _toc.yml only."""
    return [text[max(0, m.start() - 30):m.end() + 10].replace("\n", " ")
            for m in _TYPED_CHAPTER.finditer(text)]


@pytest.mark.parametrize("path", NOTEBOOKS, **_ids)
def test_notebooks_use_the_shared_helpers(path: Path):
    assert habit_violations(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, **_ids)
def test_ignored_outputs_are_guarded_by_claims(path: Path):
    assert unguarded_ignored_outputs(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, **_ids)
def test_nbval_still_compares_numbers(path: Path):
    n = compared_text_outputs(path)
    assert n >= 3, f"{path.name}: nbval compares only {n} text outputs; it would pass on anything"


@pytest.mark.parametrize("path", TOC_PAGES, **_ids)
def test_no_typed_chapter_numbers(path: Path):
    text = markdown_of(path) + "\n" + "\n".join("".join(c["source"]) for c in code_cells(path)
                                               ) if path.suffix == ".ipynb" else markdown_of(path)
    assert typed_chapter_numbers(text) == [], "link the chapter ({doc}/{ref}); _toc.yml numbers it"


def test_habit_and_guard_checks_catch_each_defect(tmp_path: Path):
    """Each check above fails on a notebook with the defect and passes on the fixed one."""
    shown = {"output_type": "stream", "name": "stdout", "text": "loss 0.48\n"}
    bad = _nb(
        _code("def sci(x):\n    return f'{x:.2g}'"),
        _code("assert loss < 1, 'the net trains'"),
        _code("print(f'loss {loss:.2f}')", tags=["nbval-ignore-output"], outputs=[shown]),
        _code("print(1)", outputs=[shown]),
    )
    good = _nb(
        _code("from gradlab.notebook import claim, readable"),
        _code("print(f'loss {loss:.2f}')", tags=["nbval-ignore-output"], outputs=[shown]),
        _code("claim(loss < 1, 'the net trains')", tags=["remove-cell"]),
        _code("print(1)", outputs=[shown, shown, shown]),
    )
    paths = {}
    for name, nb in (("bad", bad), ("good", good)):
        paths[name] = tmp_path / f"{name}.ipynb"
        paths[name].write_text(json.dumps(nb), encoding="utf-8")
    assert len(habit_violations(paths["bad"])) == 2
    assert unguarded_ignored_outputs(paths["bad"]) == ["cell 2: output ignored by nbval and no "
                                                      "claim() checks it"]
    assert compared_text_outputs(paths["bad"]) == 1
    assert habit_violations(paths["good"]) == unguarded_ignored_outputs(paths["good"]) == []
    assert compared_text_outputs(paths["good"]) == 3
    assert typed_chapter_numbers("as chapter 2 shows; см. главу 3; 见第2章") != []
    assert len(typed_chapter_numbers("as chapter 2 shows; см. главу 3; 见第2章")) == 3
    assert typed_chapter_numbers("as {doc}`the chapter <../remedies/index>` shows") == []
