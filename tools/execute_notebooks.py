"""Execute notebooks in place so their stored outputs match the current code (`make outputs`).

    python tools/execute_notebooks.py                 # every notebook listed in _toc.yml
    python tools/execute_notebooks.py book/wT/wT_derivation.ipynb ...

Each notebook runs top to bottom in a fresh kernel of the current Python environment, with its own
folder as the working directory (as nbval and the site build run it). Execution counts are
renumbered 1, 2, 3, ... and timing metadata is dropped, so re-running an unchanged notebook leaves
the file unchanged. A cell error stops with a message naming the notebook and cell; a notebook
far slower than its benchmark figure (tools/notebook_times.py) is reported and the exit status is 3.
Carries the fix for the nbclient widget stall (tools/nbclient_fix.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbclient_fix  # noqa: E402
import notebook_times  # noqa: E402
import toc  # noqa: E402

nbclient_fix.apply()
ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def toc_notebooks() -> list[Path]:
    """The notebooks listed in _toc.yml, in reading order."""
    return toc.notebooks()


def merge_streams(outputs: list) -> list:
    """Join adjacent stdout (or stderr) chunks: how a print is split depends on timing."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def execute(path: Path, timeout: int = 600) -> float:
    """Run one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        record_timing=False, resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            count += 1
            cell.outputs = merge_streams(cell.get("outputs", []))
            cell.execution_count = count
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = count
                view = out.get("data", {}).get(WIDGET_VIEW)
                if view is not None:  # a random id per run; the widget state is not stored anyway
                    view["model_id"] = f"widget-{count}"
    nb.metadata.pop("widgets", None)  # widget state is per-run noise; the static figure is the record
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    status = 0
    for path in paths:
        if not path.exists():
            print(f"no such notebook: {path}", file=sys.stderr)
            return 2
        try:
            seconds = execute(path, args.timeout)
        except CellExecutionError as err:
            print(f"FAILED {path.relative_to(ROOT)}:\n{err}", file=sys.stderr)
            return 1
        print(f"{seconds:7.1f} s  {path.relative_to(ROOT)}", flush=True)
        slow = notebook_times.slow_message(path, seconds)
        if slow:
            print(f"SLOW {slow}", file=sys.stderr)
            status = 3
    return status


if __name__ == "__main__":
    sys.exit(main())
