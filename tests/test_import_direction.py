"""The student's measuring library never imports the page machinery or the homework.

Three rooms: gradlab, the measuring library a student imports (nets, probes, descent, the
explorers' descriptions and JupyterLab forms, ...); the page machinery, a package of its own
(coursepages in src/pages: the explorers' web forms, Bokeh embedding, diagrams, the intro's
figure, the fact check's reader); and the homework. gradlab never imports coursepages, Bokeh or
Sphinx, so the student's install holds none of them (tests/test_wheel.py checks the wheel);
coursepages may import gradlab. The library must work without the homework too, so nothing a
student imports can know a homework answer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "gradlab"
#: the page machinery, a package of its own (its project: src/pages/pyproject.toml)
PAGES = ROOT / "src" / "pages" / "coursepages"
#: what the student's install must never import: the pages package, the website's plotting
#: library and the site builder
PAGE_ONLY = {"coursepages", "bokeh", "sphinx", "docutils", "myst_nb", "jupyter_book"}
#: the homework's modules (the grader keeps references and expected values outside the package)
HOMEWORK = {"homework"}  # gradlab.homework (checks, cases)


def library_modules() -> list[Path]:
    return sorted(p for p in PKG.glob("*.py") if p.stem not in HOMEWORK and p.stem != "__init__")


def absolute_imports(path: Path) -> set[str]:
    """The top-level packages a file imports by absolute name, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
    return found


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
def test_library_never_imports_the_homework(path: Path):
    wrong = gradlab_imports(path) & HOMEWORK
    assert wrong == set(), f"gradlab.{path.stem} imports {sorted(wrong)}: the library must not"


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_gradlab_never_imports_the_pages_package_bokeh_or_sphinx(path: Path):
    wrong = absolute_imports(path) & PAGE_ONLY
    assert wrong == set(), f"gradlab/{path.relative_to(PKG)} imports {sorted(wrong)}: only coursepages may"


def test_the_page_modules_live_in_the_pages_package():
    page_modules = {"webfig", "diagrams", "first_look", "audit"}
    assert {p.stem for p in PKG.rglob("*.py")} & page_modules == set()
    assert {p.stem for p in PAGES.glob("*.py")} >= page_modules
    assert not (PKG / "data" / "audit.yaml").exists() and (PAGES / "data" / "audit.yaml").is_file()


def test_the_pages_package_imports_gradlab_not_the_homework():
    imports = {p.stem: absolute_imports(p) for p in PAGES.glob("*.py")}
    assert "gradlab" in imports["webfig"] and "bokeh" not in absolute_imports(PKG / "explorer.py")
    for stem, names in imports.items():
        assert "tools" not in names, f"coursepages.{stem} imports tools"
    for path in PAGES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gradlab"):
                parts = set((node.module or "").split(".")) | {a.name for a in node.names}
                assert not parts & HOMEWORK, f"coursepages.{path.stem} imports the homework"


@pytest.mark.parametrize("path", sorted([*PKG.rglob("*.py"), *PAGES.glob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT / "src")))
def test_no_private_name_is_imported_from_another_module(path: Path):
    # gradlab._validate is the argument checks both packages share: a module, its names public
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            private = [a.name for a in node.names if a.name.startswith("_")]
            assert private == [], f"{path.name} imports {private} from {node.module}"


def test_the_check_sees_every_kind_of_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("from .webfig import readable\nfrom gradlab import checks\n"
                   "import gradlab.hwcases\ndef f():\n    from . import diagrams\n"
                   "    import bokeh.models\n    from coursepages.webfig import web_figure\n")
    assert gradlab_imports(bad) == {"webfig", "checks", "hwcases", "diagrams"}
    assert absolute_imports(bad) & PAGE_ONLY == {"bokeh", "coursepages"}
