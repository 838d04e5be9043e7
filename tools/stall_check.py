"""Count nbclient widget stalls (jupyter/nbclient#312) with and without tools/nbclient_fix.py.

    python tools/stall_check.py                   # 10 runs, 2 CPU-busy processes, with the fix
    python tools/stall_check.py --no-fix          # the same without the fix: reproduces the stall
    python tools/stall_check.py --runs 20 --busy 0 --timeout 20

Each run executes a small notebook whose cell prints 40 lines into an ``ipywidgets.interactive``
(nbclient answers every one of them with a comm message on the shell socket, the race that loses
the execute_reply) in a fresh kernel through nbclient, with a short cell timeout. A run counts as
stalled when it takes at least 90 % of the timeout (a stalled cell "succeeds" at the timeout, when
a last poll finds the reply). ``--busy`` processes spin on the CPU meanwhile (the stall is much more
frequent on a loaded machine). Exit status 1 if any run stalled.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbclient_fix  # noqa: E402

CELL = """\
import ipywidgets as widgets
from IPython.display import display

def show(x):
    for i in range(40):
        display(f"{x} {i}")

display(widgets.interactive(show, x=(0, 10)))
"""


def _spin(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def one_run(timeout: int) -> float:
    """Seconds one fresh-kernel execution of the widget notebook takes."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3")
    start = time.perf_counter()
    try:
        client.execute()
    except CellTimeoutError:
        pass  # counted by its time
    return time.perf_counter() - start


def count_stalls(runs: int, busy: int, timeout: int, fix: bool = True) -> tuple[int, list[float]]:
    """(number of stalled runs, seconds of every run)."""
    if fix:
        nbclient_fix.apply()
    stop = mp.Event()
    spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(busy)]
    for p in spinners:
        p.start()
    try:
        times = [one_run(timeout) for _ in range(runs)]
    finally:
        stop.set()
        for p in spinners:
            p.join(5)
    return sum(t >= 0.9 * timeout for t in times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--busy", type=int, default=2, help="CPU-busy processes during the runs")
    parser.add_argument("--timeout", type=int, default=20, help="cell timeout, seconds")
    parser.add_argument("--no-fix", action="store_true", help="do not apply tools/nbclient_fix.py")
    args = parser.parse_args(argv)
    stalls, times = count_stalls(args.runs, args.busy, args.timeout, fix=not args.no_fix)
    print(f"{'without' if args.no_fix else 'with'} the fix, {args.busy} busy processes: "
          f"{stalls} of {args.runs} runs stalled; seconds: {', '.join(f'{t:.1f}' for t in times)}")
    return 1 if stalls else 0


if __name__ == "__main__":
    sys.exit(main())
