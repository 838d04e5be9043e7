"""`make bench`: seconds per notebook against the floor, and the site build time.

The floor is a fresh kernel that only imports torch, numpy, matplotlib, ipywidgets and gradlab:
the cost every notebook pays before its first line of teaching. Targets: no notebook above 3x
the floor, and the whole book within 2x the floor sum (the floor times the number of notebooks).

`tools/bench.py --only book/x/page.ipynb [...]` times just those notebooks against the floor and
writes nothing (for whoever is making a page faster).

Notebooks are executed in memory (the stored files are not touched), each in its own kernel, one
after the other. The table is written to docs/benchmarks.md and printed, the readers' table
(seconds and peak memory per page, included by the running-times appendix) to
book/appendix/_running_times.md; the seconds per notebook go to tools/notebook_times.json, the
figures every later execution is checked against (a notebook several times slower than its figure
is reported: tools/notebook_times.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbclient_fix  # noqa: E402
import notebook_times  # noqa: E402
from execute_notebooks import ROOT, toc_notebooks  # noqa: E402

#: targets: no notebook above PER_NOTEBOOK x the floor; the book within WHOLE_BOOK x the floor sum
PER_NOTEBOOK, WHOLE_BOOK = 3.0, 2.0

nbclient_fix.apply()

FLOOR_SOURCE = "import torch, numpy, matplotlib.pyplot, ipywidgets, gradlab"
OUT = ROOT / "docs" / "benchmarks.md"
#: the table of the readers' appendix (book/appendix/benchmarks.md includes it)
READER = ROOT / "book" / "appendix" / "_running_times.md"


# appended to each notebook run (in memory only): the kernel's peak resident memory in MB, and
# whether the notebook made torch import torch._dynamo (see OPTIM_SOURCE)
PEAK_SOURCE = ("import resource, sys; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
               " 'torch._dynamo' in sys.modules)")

# torch 2.13 imports torch._dynamo (and sympy) the first time an optimizer is built: a one-time
# cost that every notebook using torch.optim pays on top of the floor. Timed after the floor.
OPTIM_SOURCE = ("import time; _t = time.perf_counter(); "
                "torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1); "
                "print(time.perf_counter() - _t)")


def run_in_kernel(nb, cwd: Path) -> tuple[float, float, bool]:
    """Execute `nb` in a fresh kernel; return (seconds, peak memory in MB, torch._dynamo loaded)."""
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_SOURCE))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    # ru_maxrss is in kB on Linux (bytes on macOS, where this column reads 1024x too high)
    peak, dynamo = nb.cells[-1].outputs[0]["text"].split()
    return seconds, float(peak), dynamo == "True"


def floor_notebook(*extra: str):
    """A notebook whose first cell is the floor's imports, followed by `extra` cells."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)
                                           for src in (FLOOR_SOURCE, *extra)])


def floor_run(repeats: int) -> tuple[list[float], float]:
    """The floor's times over `repeats` fresh kernels, and its peak memory."""
    runs = [run_in_kernel(floor_notebook(), ROOT) for _ in range(repeats)]
    return [r[0] for r in runs], max(r[1] for r in runs)


def optimizer_import_seconds(repeats: int) -> float:
    """Seconds the first torch.optim optimizer takes to build in a kernel that has the floor."""
    times = []
    for _ in range(repeats):
        nb = floor_notebook(OPTIM_SOURCE)
        run_in_kernel(nb, ROOT)
        times.append(float(nb.cells[1].outputs[0]["text"]))
    return min(times)


class Row(NamedTuple):
    name: str        # path relative to the repository
    seconds: float   # best of the repeats
    peak_mb: float   # largest of the repeats
    optim: bool      # the notebook built a torch optimizer (torch._dynamo was imported)


def notebook_run(path: Path, repeats: int) -> Row:
    """Best time of `repeats` fresh-kernel runs (the same statistic as the floor's), peak memory."""
    runs = [run_in_kernel(nbformat.read(path, as_version=4), path.parent) for _ in range(repeats)]
    return Row(str(path.relative_to(ROOT)), min(r[0] for r in runs), max(r[1] for r in runs),
               runs[0][2])


def reader_table(floor: float, floor_mb: float, rows: list[Row]) -> str:
    """The running-times appendix's table: a cell is a number, a page link or a fixed label, so a
    new measurement changes no sentence the editions translate."""
    lines = ["<!-- generated by tools/bench.py (make bench): do not edit -->", "",
             "| page | seconds | peak memory (MB) |", "| --- | ---: | ---: |",
             f"| starting Python and importing the libraries | {floor:.1f} | {floor_mb:.0f} |"]
    for r in rows:
        target = Path(os.path.relpath(ROOT / r.name, READER.parent)).with_suffix("").as_posix()
        lines.append(f"| {{doc}}`{target}` | {r.seconds:.1f} | {r.peak_mb:.0f} |")
    lines += [f"| all pages, one after another | {sum(r.seconds for r in rows):.0f} | "
              f"{max(r.peak_mb for r in rows):.0f} |", "",
              f"Measured on {platform.machine()} with {os.cpu_count()} CPU cores.", ""]
    return "\n".join(lines)


def torch_version() -> str:
    from importlib.metadata import version
    return version("torch")


def build_seconds() -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-build-"))
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                    "--path-output", str(out), "-W", "-n", "--keep-going", "-q"],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def time_only(paths: list[Path], repeats: int) -> int:
    """Seconds and x floor of a few notebooks; 1 if one is above the 3x target."""
    for path in paths:
        if not path.is_file() or path.suffix != ".ipynb":
            raise SystemExit(f"--only: {path} is not a notebook file (.ipynb)")
    floor = min(floor_run(repeats)[0])
    print(f"{floor:7.2f} s  floor")
    over = 0
    for path in paths:
        row = notebook_run(path.resolve(), repeats)
        ratio = row.seconds / floor
        over += ratio > PER_NOTEBOOK
        print(f"{row.seconds:7.2f} s  {ratio:5.2f}x floor  {row.name}", flush=True)
    return 1 if over else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time the notebooks and the site build")
    parser.add_argument("--no-build", action="store_true", help="skip timing the site build")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each kernel (floor and every notebook); the table shows the best")
    parser.add_argument("--only", nargs="+", metavar="NOTEBOOK", type=Path,
                        help="time only these notebooks against the floor; write nothing")
    args = parser.parse_args(argv)
    if args.only:
        return time_only(args.only, args.repeats)

    floor_times, floor_mb = floor_run(args.repeats)
    floor = min(floor_times)
    optim = optimizer_import_seconds(args.repeats)
    rows = []
    previous = notebook_times.load()
    slow = []
    for path in toc_notebooks():
        rows.append(notebook_run(path, args.repeats))
        print(f"{rows[-1].seconds:7.2f} s {rows[-1].peak_mb:7.0f} MB  {rows[-1].name}", flush=True)
        message = notebook_times.slow_message(path, rows[-1].seconds, previous)
        if message:
            slow.append(message)
            print(f"SLOW {message}", file=sys.stderr, flush=True)
    # the figures every later execution is compared with (tools/notebook_times.py)
    notebook_times.TIMES.write_text(json.dumps({
        "measured": f"make bench (best of {args.repeats} fresh kernels), {platform.machine()}, "
                    f"{os.cpu_count()} CPU cores",
        "floor": round(floor, 2),
        "notebooks": {r.name: round(r.seconds, 2) for r in rows},
    }, indent=1) + "\n", encoding="utf-8")
    total = sum(r.seconds for r in rows)
    n_optim = sum(r.optim for r in rows)
    build = None if args.no_build else build_seconds()

    def short(name: str) -> str:  # book/wT/wT_matrices.ipynb -> wT_matrices (stems are unique)
        return Path(name).stem

    def verdict(s: float) -> str:
        return "yes" if s <= PER_NOTEBOOK * floor else "**no**"

    book_ok = total <= WHOLE_BOOK * floor * len(rows)

    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (tools/bench.py); do not edit by hand. Each notebook runs in a",
        "fresh kernel, one after another. The *floor* is a fresh kernel that only imports torch,",
        "numpy, matplotlib, ipywidgets and gradlab. Targets: no notebook above 3x the floor; the",
        "whole book within 2x the floor sum (the floor times the number of notebooks).",
        "*Peak MB* is the kernel's peak resident memory.",
        f"Every kernel, the floor's included, runs {args.repeats} times and the table shows its best "
        f"time; the floor's runs took {min(floor_times):.2f} to {max(floor_times):.2f} s, so a ratio "
        "near 2.0 can land on either side of the target from one run to the next.",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}.",
        "",
        "| notebook | seconds | x floor | within 3x | peak MB | optim |",
        "| --- | ---: | ---: | :---: | ---: | :---: |",
        f"| floor (imports only) | {floor:.2f} | 1.00 | | {floor_mb:.0f} | |",
    ]
    lines += [f"| {short(name)} | {s:.2f} | {s / floor:.2f} | {verdict(s)} | {mb:.0f} | "
              f"{'yes' if dynamo else ''} |" for name, s, mb, dynamo in rows]
    lines += [
        f"| **all notebooks** | **{total:.2f}** | {total / (floor * len(rows)):.2f} |"
        f" {'yes' if book_ok else '**no**'} |"
        f" {max(r.peak_mb for r in rows):.0f} | {n_optim} |",
        "",
        f"Within 3x the floor: {sum(r.seconds <= PER_NOTEBOOK * floor for r in rows)} of {len(rows)} "
        f"notebooks; within 2x: {sum(r.seconds <= 2 * floor for r in rows)}. The last row's *x floor* is "
        f"the whole book over the floor sum ({floor * len(rows):.1f} s), its verdict the whole-book "
        "target (within 2x); its peak MB is the largest.",
        "",
        f"*optim*: the notebook builds a torch optimizer. The first one built in a kernel costs "
        f"{optim:.2f} s ({optim / floor:.2f}x the floor), measured after the floor's imports: torch "
        f"{torch_version()} imports `torch._dynamo` and sympy at that moment. The {n_optim} notebooks "
        "marked pay it once; the floor does not include it.",
        "",
    ]
    if build is not None:
        lines += [f"Site build (`jupyter-book build`, executes every notebook): {build:.1f} s.", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    READER.write_text(reader_table(floor, floor_mb, rows), encoding="utf-8")
    print("\n".join(lines))
    return 3 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
