"""The student's measuring library never imports the page machinery or the homework.

gradlab has three rooms: the measuring library a student imports (nets, probes, descent, ...),
the page machinery (the explorers' web forms, Bokeh embedding, diagrams, the fact check's
reader), and the homework. The library must work without the other two, so a student's install
can drop them and nothing a student imports can know a homework answer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "gradlab"

#: the page machinery: what only the book's pages use
PAGES = {"webfig", "diagrams", "descent_explorer", "depth_explorer", "wT_explorer",
         "momentum_explorer", "first_look", "audit"}
#: the homework's modules (the grader keeps references and expected values outside the package)
HOMEWORK = {"checks", "hwcases", "hwfigures", "homework"}


def library_modules() -> list[Path]:
    return sorted(p for p in PKG.glob("*.py")
                  if p.stem not in PAGES | HOMEWORK and p.stem != "__init__")


def gradlab_imports(path: Path) -> set[str]:
    """The gradlab modules a file imports (relative or absolute), at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("gradlab"):
                parts = node.module.split(".")
                found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("gradlab.") and "." in a.name)
    return found


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: p.stem)
def test_library_never_imports_pages_or_homework(path: Path):
    wrong = gradlab_imports(path) & (PAGES | HOMEWORK)
    assert wrong == set(), f"gradlab.{path.stem} imports {sorted(wrong)}: the library must not"


def test_the_check_sees_every_kind_of_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from .webfig import readable\nfrom gradlab import checks\n"
                   "import gradlab.hwcases\ndef f():\n    from . import diagrams\n")
    assert gradlab_imports(bad) == {"webfig", "checks", "hwcases", "diagrams"}
