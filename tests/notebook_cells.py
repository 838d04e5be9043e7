"""Read a page's own code, so a test can prove that the page and gradlab agree."""

from __future__ import annotations

import json
from pathlib import Path


def cell_defining(notebook: Path, *names: str) -> str:
    """The source of the one code cell of `notebook` that defines every function in `names`."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    matches = [s for s in sources if all(f"def {name}(" in s for name in names)]
    assert len(matches) == 1, (
        f"{notebook.name} must define {', '.join(names)} in exactly one cell, found {len(matches)}")
    return matches[0]
