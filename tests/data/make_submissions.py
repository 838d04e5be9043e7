"""Write the four test submissions of homework 1 used by tests/test_homework.py.

    python tests/data/make_submissions.py

correct   every solution of the master (hidden tests removed);
partial   q1 right, q2 wrong, q3 raises inside the student's function, q4 left as the stub, a stray
          cell that raises NameError at top level, q5 right;
crashing  q1 and q2 right, then a cell kills the kernel (as a segfault or running out of memory
          would);
looping   q1 to q3 right, then a cell that never ends.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from make_homework import BEGIN_HIDDEN, END_HIDDEN, strip_source  # noqa: E402

HERE = Path(__file__).resolve().parent / "submissions"
MASTER = ROOT / "homework" / "masters" / "hw1_gradient_descent.ipynb"


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


def solved() -> nbformat.NotebookNode:
    nb = nbformat.read(MASTER, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.source = without_hidden_tests(cell.source)
    return nb


def index_of(nb, text: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    correct = solved()

    partial = copy.deepcopy(correct)
    partial.cells[index_of(partial, "def q2")].source = "def q2():\n    return 0.1"
    partial.cells[index_of(partial, "def gradient_descent")].source = (
        "def gradient_descent(grad, w0, lr, steps):\n"
        "    return [w0] + [w_next for _ in range(steps)]"
        "\n\n\ndef q3(grad, w0, lr, steps):\n    return gradient_descent(grad, w0, lr, steps)")
    master = nbformat.read(MASTER, as_version=4)
    q4 = index_of(master, "def numerical_grad")
    partial.cells[q4].source = strip_source(master.cells[q4].source)
    partial.cells.insert(q4 + 2, new_code_cell("print(undefined_name)", id="stray-error"))

    crashing = copy.deepcopy(correct)
    crashing.cells.insert(index_of(crashing, 'check("hw1.q2"') + 1,
                          new_code_cell("import os\nos._exit(1)", id="kill-kernel"))

    looping = copy.deepcopy(correct)
    looping.cells.insert(index_of(looping, 'check("hw1.q3"') + 1,
                         new_code_cell("while True:\n    pass", id="endless-loop"))

    for name, nb in {"correct": correct, "partial": partial, "crashing": crashing,
                     "looping": looping}.items():
        nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
