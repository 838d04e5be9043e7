"""Grade a folder of submitted homework notebooks into a CSV (`make grade SUBMISSIONS=dir`).

    python tools/grade.py SUBMISSIONS [--out grades.csv] [--log grading.log]
                          [--timeout 120] [--cell-timeout 60]

Every ``*.ipynb`` under SUBMISSIONS is one submission. Each runs top to bottom in its own fresh
kernel, in its own temporary working folder, with a time limit for the whole notebook
(``--timeout``) and for any one cell (``--cell-timeout``). A cell that raises does not stop the
notebook (the following cells still run); a kernel that dies or runs out of time stops that
notebook only, and the points of the checks that ran before count. The points come from
``gradlab.checks.check``: each call appends its verdict to the file named by the environment
variable GRADLAB_RESULTS, which this script sets per submission; the last verdict of a question
counts.

Output: one CSV row per submission (columns: submission, assignment, one column per question of
that assignment, total, max_points, status) and a log of every failure (cell errors, timeouts,
dead kernels).

SECURITY: a submission is untrusted code. It runs with your user's rights, can read and write your
files, use the network, and fake its own results file. Grade inside a container or a throwaway
account with no access to anything you care about, and spot-check suspicious scores by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gradlab.checks import ASSIGNMENTS, QUESTIONS, questions  # noqa: E402


def assignment_of(path: Path, nb: nbformat.NotebookNode) -> str | None:
    """The assignment id from the notebook's metadata, else from a check call or the file name."""
    meta = nb.metadata.get("gradlab", {}).get("assignment")
    if meta in ASSIGNMENTS:
        return meta
    for cell in nb.cells:
        found = re.search(r"check\(\s*['\"](hw\d+)\.q\d+", cell.source)
        if cell.cell_type == "code" and found and found.group(1) in ASSIGNMENTS:
            return found.group(1)
    found = re.search(r"(hw\d+)", path.name)
    return found.group(1) if found and found.group(1) in ASSIGNMENTS else None


def run_submission(path: Path, timeout: float, cell_timeout: float) -> tuple[dict, list[str]]:
    """Execute one submission; return ({question: points}, [failure messages])."""
    failures: list[str] = []
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="grade-") as work:
        results_file = Path(work) / "results.jsonl"
        results_file.touch()
        deadline = time.monotonic() + timeout

        def cell_limit(cell) -> int:
            return max(1, int(min(cell_timeout, deadline - time.monotonic())))

        client = NotebookClient(
            nb, timeout_func=cell_limit, kernel_name="python3", allow_errors=True,
            record_timing=False, resources={"metadata": {"path": work}},
        )
        old = os.environ.get("GRADLAB_RESULTS")
        os.environ["GRADLAB_RESULTS"] = str(results_file)
        try:
            client.execute()
        except CellTimeoutError:
            failures.append(f"time limit reached ({timeout:g} s per notebook, "
                            f"{cell_timeout:g} s per cell); later cells did not run")
        except DeadKernelError:
            failures.append("the kernel died (crash, os._exit or out of memory); "
                            "later cells did not run")
        except Exception as err:  # noqa: BLE001 - a broken notebook must not stop the grading
            failures.append(f"could not run: {type(err).__name__}: {str(err)[:200]}")
        finally:
            if old is None:
                os.environ.pop("GRADLAB_RESULTS", None)
            else:
                os.environ["GRADLAB_RESULTS"] = old
        for index, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    failures.append(f"cell {index} raised {out.get('ename')}: "
                                    f"{str(out.get('evalue'))[:200]}")
        points: dict[str, int] = {}
        for line in results_file.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                qid = record["question"]
                if qid in QUESTIONS:
                    points[qid] = min(int(record["points"]), QUESTIONS[qid].points)
            except (ValueError, KeyError, TypeError):
                failures.append(f"unreadable result line: {line[:100]!r}")
    return points, failures


def grade_folder(folder: Path, out: Path, log: Path, timeout: float = 120,
                 cell_timeout: float = 60) -> list[dict]:
    """Grade every notebook under ``folder``; write the CSV ``out`` and the log ``log``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions must be a folder of .ipynb files, got {folder}")
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    rows, log_lines = [], []
    for path in paths:
        name = str(path.relative_to(folder))
        start = time.monotonic()
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # noqa: BLE001
            rows.append({"submission": name, "assignment": "", "total": 0, "max_points": 0,
                         "status": "unreadable"})
            log_lines.append(f"{name}: not a readable notebook: {type(err).__name__}: {err}")
            continue
        assignment = assignment_of(path, nb)
        if assignment is None:
            rows.append({"submission": name, "assignment": "", "total": 0, "max_points": 0,
                         "status": "unknown assignment"})
            log_lines.append(f"{name}: cannot tell which assignment this is")
            continue
        points, failures = run_submission(path, timeout, cell_timeout)
        ids = questions(assignment)
        row = {"submission": name, "assignment": assignment}
        row.update({q: points.get(q, 0) for q in ids})
        row["total"] = sum(points.get(q, 0) for q in ids)
        row["max_points"] = sum(QUESTIONS[q].points for q in ids)
        row["status"] = "ok" if not failures else "failures logged"
        rows.append(row)
        log_lines += [f"{name}: {f}" for f in failures]
        print(f"{time.monotonic() - start:6.1f} s  {name}: {row['total']}/{row['max_points']}"
              f"{'  (' + str(len(failures)) + ' failures logged)' if failures else ''}")
    question_cols = [q for q in QUESTIONS if any(q in r for r in rows)]
    fields = ["submission", "assignment", *question_cols, "total", "max_points", "status"]
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    Path(log).write_text("".join(line + "\n" for line in log_lines), encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted .ipynb files")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    parser.add_argument("--log", type=Path, default=None, help="default: OUT with .log suffix")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per notebook")
    parser.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell")
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.cell_timeout <= 0:
        parser.error("--timeout and --cell-timeout must be > 0 seconds")
    if not args.submissions.is_dir():
        parser.error(f"submissions must be a folder, got {args.submissions}")
    log = args.log or args.out.with_suffix(".log")
    rows = grade_folder(args.submissions, args.out, log, args.timeout, args.cell_timeout)
    print(f"{len(rows)} submissions graded: {args.out}; failures: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
