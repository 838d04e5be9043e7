"""The two packages run wherever they are installed, and the student's holds no page machinery.

Build the wheels of gradlab (the repository's pyproject.toml) and of coursepages (src/pages) from
the working tree. gradlab's wheel, what a student installs, must hold no page module, no Bokeh or
Sphinx import and none of the fact check's data. Installed (without dependencies: the test
environment has them) into a temporary folder outside the repository, the fact check's notebook
runs under nbval from a temporary working directory against those copies; the source documents
and the audit must come from the installed package data, not from the repository.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book" / "fact_check").glob("*.ipynb"))   # the chapter and its pages


#: what the student's install never imports: the pages package, the website's plotting library,
#: the site builder
PAGE_ONLY = {"coursepages", "bokeh", "sphinx", "docutils", "myst_nb", "jupyter_book"}
PAGE_MODULES = {"webfig", "diagrams", "first_look", "audit"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    """Freshly built wheels of gradlab and coursepages, by distribution name."""
    dist = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(ROOT, build / "src_tree", ignore=shutil.ignore_patterns(
        ".venv*", "_build", ".git", "*.egg-info", "__pycache__", "node_modules", "_offline"))
    for project in (build / "src_tree", build / "src_tree" / "src" / "pages"):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--quiet", "-w", str(dist), str(project)], check=True, timeout=600)
    return {name: next(dist.glob(f"{name}-*.whl")) for name in ("gradlab", "coursepages")}


@pytest.fixture(scope="module")
def installed(wheels, tmp_path_factory) -> Path:
    """A folder holding gradlab and coursepages installed from their wheels."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                    "--target", str(target), *map(str, wheels.values())], check=True, timeout=600)
    return target


def requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    return [line.split(":", 1)[1].strip().lower() for line in text.splitlines()
            if line.startswith("Requires-Dist:")]


def imported_packages(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
    return found


def page_machinery(wheel: Path) -> list[str]:
    """What in a wheel belongs to the pages, not to the student's install (empty: nothing)."""
    found = []
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.endswith(".py"):
                if Path(name).stem in PAGE_MODULES:
                    found.append(f"{name}: a page module")
                wrong = imported_packages(z.read(name).decode()) & PAGE_ONLY
                if wrong:
                    found.append(f"{name} imports {sorted(wrong)}")
            elif name.startswith("coursepages/") or name.endswith((".yaml", "documents/")) or \
                    "/documents/" in name:
                found.append(f"{name}: page data")
    return found + [f"requires {r}" for r in requirements(wheel)
                    if r.split()[0].split(";")[0].split("=")[0].split(">")[0] in {"bokeh", "sphinx"}]


def test_the_student_wheel_holds_no_page_machinery(wheels):
    names = zipfile.ZipFile(wheels["gradlab"]).namelist()
    assert "gradlab/explorer.py" in names and "gradlab/probes.py" in names, names
    assert page_machinery(wheels["gradlab"]) == []


def test_the_check_finds_page_machinery(wheels, tmp_path):
    # the coursepages wheel is the page machinery: the same check must see it there
    found = page_machinery(wheels["coursepages"])
    assert any("webfig.py: a page module" in f for f in found)
    assert any("imports ['bokeh']" in f for f in found) and any("page data" in f for f in found)


def test_the_pages_wheel_ships_the_documents_and_declares_its_needs(wheels):
    names = zipfile.ZipFile(wheels["coursepages"]).namelist()
    assert "coursepages/data/audit.yaml" in names, names
    assert sum(n.startswith("coursepages/data/documents/") and n.endswith(".txt") for n in names) == 5
    assert not [n for n in names if n.startswith("gradlab/")]
    needs = requirements(wheels["coursepages"])
    assert {"gradlab", "bokeh", "pyyaml"} <= {r.split()[0] for r in needs}, needs


def test_the_fact_check_runs_from_the_installed_wheels(installed, tmp_path):
    # a last cell (no output, so nbval has nothing to compare) proves which gradlab ran
    check = ("import gradlab, coursepages.audit\n"
             f"assert gradlab.__file__.startswith({str(installed)!r}), gradlab.__file__\n"
             f"assert str(coursepages.audit.audit_file()).startswith({str(installed)!r})\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    copies = []
    for notebook in NOTEBOOKS:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                            "outputs": [], "source": check})
        copy = work / notebook.name
        copy.write_text(json.dumps(nb), encoding="utf-8")
        copies.append(str(copy))
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("GRADLAB_SEEDS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q",
         "-p", "no:randomly", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
         str(ROOT / "tests" / "sanitize.cfg"), "--rootdir", str(work), *copies],
        cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
