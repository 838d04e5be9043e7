"""The one reader of _toc.yml (YAML), shared by the tools and the tests.

    entries()    every `file:` of _toc.yml (root first), in reading order, without suffix
    pages()      the source file of each entry (.ipynb or .md), in reading order
    notebooks()  the .ipynb files among them
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"


def entries(toc: Path = TOC) -> list[str]:
    """Every document of the table of contents, root first, depth first (the reading order)."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    found = [data["root"]]

    def walk(node) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk({k: v for k, v in data.items() if k != "root"})
    return [str(Path(e).with_suffix("")) if Path(e).suffix in (".md", ".ipynb") else e for e in found]


def pages(toc: Path = TOC) -> list[Path]:
    """The source file (.ipynb or .md) of every entry, in reading order."""
    root = toc.parent
    found = []
    for entry in entries(toc):
        for suffix in (".ipynb", ".md"):
            if (root / f"{entry}{suffix}").exists():
                found.append(root / f"{entry}{suffix}")
                break
        else:
            raise FileNotFoundError(
                f"_toc.yml lists {entry!r}, but neither {entry}.ipynb nor {entry}.md exists")
    return found


def notebooks(toc: Path = TOC) -> list[Path]:
    """The notebooks of the book, in reading order."""
    return [p for p in pages(toc) if p.suffix == ".ipynb"]
