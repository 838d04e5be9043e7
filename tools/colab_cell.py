"""The first cell that lets a notebook run on Colab: install the course's packages when missing.

(gradlab, the measuring library, and coursepages, the page package some chapters draw with.)

    python tools/colab_cell.py                 # print the cell for the repository in _config.yml
    python tools/colab_cell.py --check [NB...] # exit 1 naming notebooks whose cell is missing/stale
    python tools/colab_cell.py --insert [NB...] # put (or refresh) the cell before the first code cell

The address comes from `repository.url` and `repository.branch` in _config.yml, the one setting that
also drives the Binder, Colab and repository buttons. After changing it, `--check` names every
notebook whose install cell still points at the old address. Locally, on Binder and under nbval
gradlab is installed (`pip install -e .`), so the cell does nothing and prints nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import toc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = """\
# Colab, or any Python without the course packages: install them from the course repository.
try:
    import coursepages  # noqa: F401  (some chapters draw with it)
    import gradlab
except ImportError:
    %pip install --quiet "gradlab @ git+{url}@{branch}"
    %pip install --quiet "coursepages @ git+{url}@{branch}#subdirectory=src/pages"
    import gradlab"""

#: first lines of earlier versions of the cell: a notebook carrying one gets the current cell
EARLIER_FIRST_LINES = (
    "# Colab, or any Python without the course package: install gradlab from the course repository.",
)


def cell_text(config: Path = ROOT / "_config.yml") -> str:
    """The install cell for the repository named in `config`."""
    repo = yaml.safe_load(config.read_text(encoding="utf-8")).get("repository") or {}
    url = (repo.get("url") or "").rstrip("/")
    if not re.match(r"^https://\S+$", url):
        raise ValueError(f"repository.url in {config} must be an https:// address, got {url!r}")
    return TEMPLATE.format(url=url.removesuffix(".git") + ".git", branch=repo.get("branch") or "main")


def toc_notebooks() -> list[Path]:
    return toc.notebooks()


def masters() -> list[Path]:
    """The homework masters: the student copies in book/homework are generated from them."""
    return sorted((ROOT / "homework" / "masters").glob("*.ipynb"))


def has_cell(path: Path, text: str) -> bool:
    """True when the notebook's first code cell is exactly the install cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    return bool(code) and code[0].source.strip() == text.strip()


def insert_cell(path: Path, text: str) -> bool:
    """Make the notebook's first code cell the install cell; return True when the file changed.

    The cell is tagged `remove-cell`: the website does not show it, the downloaded notebook and the
    Colab copy keep it. A stale install cell (old address) is replaced, not duplicated.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if code and nb.cells[code[0]].source.strip() == text.strip():
        return False
    if code and nb.cells[code[0]].source.startswith((TEMPLATE.splitlines()[0], *EARLIER_FIRST_LINES)):
        del nb.cells[code[0]]
    cell = nbformat.v4.new_code_cell(text, metadata={"tags": ["remove-cell"]})
    cell["id"] = "colab-install"
    nb.cells.insert(code[0] if code else len(nb.cells), cell)
    nbformat.validator.normalize(nb)
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check notebooks carry the cell")
    parser.add_argument("--insert", action="store_true", help="insert or refresh the cell")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    args = parser.parse_args(argv)
    text = cell_text(args.config)
    if args.insert:
        student = ROOT / "book" / "homework"
        default = [p for p in toc_notebooks() if student not in p.parents] + masters()
        for p in args.notebooks or default:
            if insert_cell(p, text):
                print(f"{p.relative_to(ROOT)}: install cell written")
        print("now run `make homework` (student copies) and `make outputs` (stored outputs)")
        return 0
    if not args.check:
        print(text)
        return 0
    missing = [p for p in (args.notebooks or toc_notebooks() + masters()) if not has_cell(p, text)]
    for p in missing:
        print(f"{p}: first code cell is not the Colab install cell (python tools/colab_cell.py)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
