"""How long each notebook should take, so that a stalled execution is never silent.

tools/notebook_times.json holds the benchmark figure of every notebook (seconds, best of three
fresh kernels, written by `make bench`). Anything that executes notebooks (the site build through
the Sphinx extension in tools/nbclient_fix.py, tools/execute_notebooks.py, tools/bench.py) compares
each notebook's time with ``limit(path)`` and reports the ones above it: a notebook that takes
several times its benchmark figure has waited on something (the nbclient widget stall cost 300 s).

    limit = max(MIN_LIMIT, FACTOR x benchmark)    (FACTOR x the slowest benchmark if none is known)

The minimum keeps a loaded machine (CI, several builds at once) from crying wolf over a few
seconds; a stalled cell costs at least the cell timeout (60 s in _config.yml), so the minimum
is that timeout.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMES = ROOT / "tools" / "notebook_times.json"
FACTOR = 5.0
MIN_LIMIT = 60.0


def load(path: Path = TIMES) -> dict:
    """The benchmark figures: {"floor": s, "notebooks": {relative path: s}}; empty if missing."""
    if not path.exists():
        return {"floor": None, "notebooks": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def _key(notebook: str | Path) -> str:
    p = Path(notebook)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(ROOT)
        except ValueError:
            return p.as_posix()
    return p.as_posix().removesuffix(".ipynb") + ".ipynb"


def expected(notebook: str | Path, figures: dict | None = None) -> float | None:
    """The benchmark seconds of `notebook` (a path, absolute or relative to the repository)."""
    figures = load() if figures is None else figures
    return figures.get("notebooks", {}).get(_key(notebook))


def limit(notebook: str | Path, figures: dict | None = None) -> float:
    """Seconds above which the execution of `notebook` is reported as abnormally slow."""
    figures = load() if figures is None else figures
    known = expected(notebook, figures)
    if known is None:
        known = max(figures.get("notebooks", {}).values(), default=MIN_LIMIT / FACTOR)
    return max(MIN_LIMIT, FACTOR * known)


def slow_message(notebook: str | Path, seconds: float, figures: dict | None = None) -> str | None:
    """A message if `seconds` is above the notebook's limit, else None."""
    figures = load() if figures is None else figures
    if seconds <= limit(notebook, figures):
        return None
    known = expected(notebook, figures)
    ref = f"its benchmark figure is {known:.1f} s" if known is not None else "it has no benchmark figure"
    return (f"{_key(notebook)} took {seconds:.1f} s; {ref} (limit {limit(notebook, figures):.0f} s). "
            "A cell probably waited for its cell timeout (an nbclient stall, see tools/nbclient_fix.py) "
            "or the notebook got much slower: rerun `make bench`.")
