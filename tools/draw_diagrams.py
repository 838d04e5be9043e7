"""Draw the course's diagrams into book/figures/diagrams/ (SVG, reproducible byte for byte).

    python tools/draw_diagrams.py [OUTDIR]        (default book/figures/diagrams)

The drawings are code in coursepages.diagrams; tests/test_diagrams.py redraws them into a temporary
folder and fails if a committed file differs, so rerun this after changing that module.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "src" / "pages")]   # gradlab, coursepages

from coursepages.diagrams import write_all  # noqa: E402

DEFAULT = ROOT / "book" / "figures" / "diagrams"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT
    for path in write_all(out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
