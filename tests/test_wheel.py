"""gradlab runs wherever it is installed, not only inside this repository.

Build a wheel from the working tree, install it (without dependencies: the test environment has
them) into a temporary folder outside the repository, and from a temporary working directory run
chapter 6's notebook under nbval against that copy of gradlab. The notebook reads the source
documents and the audit; they must come from the installed package data, not from the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "book" / "fact_check" / "fact_check.ipynb"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A folder holding gradlab installed from a freshly built wheel."""
    dist = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(ROOT, build / "src_tree", ignore=shutil.ignore_patterns(
        ".venv", "_build", ".git", "*.egg-info", "__pycache__", "node_modules"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(dist), str(build / "src_tree")], check=True, timeout=600)
    wheel = next(dist.glob("gradlab-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradlab/data/audit.yaml" in names, names
    assert sum(n.startswith("gradlab/data/documents/") and n.endswith(".txt") for n in names) == 5
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                    "--target", str(target), str(wheel)], check=True, timeout=600)
    return target


def test_wheel_declares_pyyaml(installed):
    meta = next(installed.glob("gradlab-*.dist-info")) / "METADATA"
    requires = [line.split(":", 1)[1].strip().lower() for line in meta.read_text().splitlines()
                if line.startswith("Requires-Dist:")]
    assert any(r.startswith("pyyaml") for r in requires), requires


def test_chapter_6_runs_from_the_installed_wheel(installed, tmp_path):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    # a last cell (no output, so nbval has nothing to compare) proves which gradlab ran
    check = ("import gradlab, gradlab.audit\n"
             f"assert gradlab.__file__.startswith({str(installed)!r}), gradlab.__file__\n"
             f"assert str(gradlab.audit.audit_file()).startswith({str(installed)!r})\n")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                        "outputs": [], "source": check})
    work = tmp_path / "elsewhere"
    work.mkdir()
    copy = work / NOTEBOOK.name
    copy.write_text(json.dumps(nb), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("GRADLAB_SEEDS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q",
         "-p", "no:randomly", "--nbval", "--nbval-current-env", "--nbval-sanitize-with",
         str(ROOT / "tests" / "sanitize.cfg"), "--rootdir", str(work), str(copy)],
        cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
