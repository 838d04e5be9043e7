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
    return re.findall(r"(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))


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
