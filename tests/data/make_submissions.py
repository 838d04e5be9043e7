"""Write the test submissions of homework 1 that tests/test_homework.py grades.

    python tests/data/make_submissions.py OUT_FOLDER     # with a throwaway secret

Nothing is stored in the repository: the tests write them into a temporary folder, for the
variants of a throwaway secret. One student id per file (``<id>_hw1.ipynb``):

honest   the master's solution for the student's own variant: full marks;
public   the public copy's answers handed in by a student who has a variant: the numbers and
         letters earn nothing, the implementations (right for any input) still do; the answer
         code is a near copy of the published solution (flagged);
forger   patches gradlab.homework.checks, redefines ``passed``, and writes forged "correct" records
         where the old grader read them; q1 answered wrong: flagged "tampered" and graded only on
         what its functions return;
escaper  starts a background process, tries to delete a file outside its sandbox and to rewrite
         another student's submission, q3's function loops forever and q6's answer cell never
         ends: q3 and q6 time out, the rest is graded;
crasher  q2's answer kills the kernel (as a segfault would); the later questions are graded;
and two files that are not notebooks: a FIFO and a file of plain text.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from make_homework import (  # noqa: E402
    BEGIN_HIDDEN,
    END_HIDDEN,
    render_master,
    student_notebook,
)

MASTER = ROOT / "homework" / "masters" / "hw1_gradient_descent.ipynb"
IDS = ("honest", "public", "forger", "escaper", "crasher")


def without_hidden_tests(source: str) -> str:
    lines, hidden = [], False
    for line in source.splitlines():
        if BEGIN_HIDDEN.match(line):
            hidden = True
        elif END_HIDDEN.match(line):
            hidden = False
        elif not hidden and "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line:
            lines.append(line)
    return "\n".join(lines)


def solved(secret: bytes | None, key: str) -> nbformat.NotebookNode:
    """A student's notebook with the master's solutions for variant ``key`` filled in."""
    master = nbformat.read(MASTER, as_version=4)
    nb = render_master(master, secret, key)
    handout = student_notebook(master, MASTER.name, secret, key)
    for cell, given in zip(nb.cells, handout.cells, strict=True):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.source = without_hidden_tests(cell.source)
            if "setup_notebook()" in given.source:
                cell.source = given.source  # with use_variant(...) as handed out
    return nb


def index_of(nb, text: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source)


def write_submissions(folder: Path, secret: bytes, outside: Path) -> dict[str, Path]:
    """Write the submissions into ``folder``; ``outside`` is a file the escaper tries to delete."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {key: folder / f"{key}_hw1.ipynb" for key in IDS}
    nbs = {"honest": solved(secret, "honest")}

    public = solved(None, "")
    public.metadata["gradlab"]["variant"] = solved(secret, "public").metadata["gradlab"]["variant"]
    nbs["public"] = public

    forger = solved(secret, "forger")
    forger.cells[index_of(forger, "def q1")].source = "def q1():\n    return 1.5"
    forger.cells.append(new_code_cell(
        "import json, os\nimport gradlab.homework.checks as gc\n"
        "gc._evaluate = lambda q, a: ('correct', '')\n"
        "def passed(question):\n    return True\n"
        "for q in gc.QUESTIONS:\n"
        "    line = json.dumps({'question': q, 'status': 'correct', 'points': 9})\n"
        "    with open(os.environ.get('GRADLAB_RESULTS', 'results.jsonl'), 'a') as fh:\n"
        "        fh.write(line + '\\n')\n"
        "print('hw1: 9 of 9 points; 7 of 7 questions correct')", id="forge"))
    nbs["forger"] = forger

    escaper = solved(secret, "escaper")
    other = paths["honest"]
    escaper.cells.insert(index_of(escaper, "setup_notebook()") + 1, new_code_cell(
        "import pathlib, subprocess\n"
        "subprocess.Popen(['sleep', '311'], start_new_session=True)\n"
        f"for target in [pathlib.Path({str(outside)!r}), pathlib.Path({str(other)!r})]:\n"
        "    try:\n        target.unlink()\n    except OSError as err:\n"
        "        print('cannot delete', target, err)\n"
        "    try:\n        target.write_text('overwritten')\n    except OSError as err:\n"
        "        print('cannot write', target, err)", id="escape"))
    q3 = index_of(escaper, "def gradient_descent")
    escaper.cells[q3].source = ("def gradient_descent(grad, w0, lr, steps):\n    while True:\n"
                                "        pass\n\n\ndef q3(grad, w0, lr, steps):\n"
                                "    return gradient_descent(grad, w0, lr, steps)")
    q6 = index_of(escaper, "def q6")
    escaper.cells[q6].source = "while True:\n    pass\n\n\n" + escaper.cells[q6].source
    nbs["escaper"] = escaper

    crasher = solved(secret, "crasher")
    crasher.cells[index_of(crasher, "def q2")].source = ("def q2():\n    import os\n"
                                                         "    os._exit(1)")
    nbs["crasher"] = crasher

    for key, nb in nbs.items():
        nbformat.write(copy.deepcopy(nb), paths[key])
    fifo = folder / "fifo_hw1.ipynb"
    if not fifo.exists():
        os.mkfifo(fifo)
    (folder / "notjson_hw1.ipynb").write_text("this is not a notebook", encoding="utf-8")
    return paths


def class_submissions(folder: Path, secret: bytes, n: int) -> list[str]:
    """``n`` honest hw1 submissions of students ``s000``, ``s001``, ..., each solved for its own
    variant (a class to time the grader on: `make grade-speed`); return the student ids."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive number of submissions, got {n!r}")
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"s{i:03d}" for i in range(n)]
    for key in ids:
        nbformat.write(solved(secret, key), folder / f"{key}_hw1.ipynb")
    return ids


if __name__ == "__main__":
    out = Path(sys.argv[1])
    write_submissions(out, b"throwaway-secret-for-a-demo-only", out / "outside.txt")
    print(f"submissions in {out}")
