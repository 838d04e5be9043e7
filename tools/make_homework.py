"""Write the student copies of the homework from the masters (`make homework`).

    python tools/make_homework.py            # homework/masters/*.ipynb -> book/homework/*.ipynb
    python tools/make_homework.py --check    # exit 1 if a student copy is out of date

The masters use nbgrader's cell conventions. In each code cell of a master:

- the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers included) become one line
  ``raise NotImplementedError(...)`` at the marker's indentation, with a hint that points to the
  check below;
- the lines from ``### BEGIN HIDDEN TESTS`` to ``### END HIDDEN TESTS`` are removed.

Outputs are not touched here: the written copy is then executed in a fresh kernel (as
tools/execute_notebooks.py does) so its stored outputs show every check saying "not answered
yet". Pass ``--no-execute`` to skip that. The result is deterministic: running the tool twice
leaves the files unchanged, which tests/test_homework.py checks.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "homework" / "masters"
STUDENT = ROOT / "book" / "homework"

BEGIN_SOLUTION = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
END_HIDDEN = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
STUB = ('raise NotImplementedError("replace this line with your answer; '
        'the check below gives a hint")')


class MarkerError(ValueError):
    """A master's solution or hidden-test markers do not pair up."""


def strip_source(source: str, where: str = "cell") -> str:
    """Return ``source`` with solutions replaced by a stub and hidden tests removed."""
    out: list[str] = []
    mode = None  # None, "solution" or "hidden"
    for number, line in enumerate(source.splitlines(), start=1):
        begin = BEGIN_SOLUTION.match(line)
        if mode is None and begin:
            out.append(begin.group(1) + STUB)
            mode = "solution"
        elif mode is None and BEGIN_HIDDEN.match(line):
            mode = "hidden"
        elif mode == "solution" and END_SOLUTION.match(line):
            mode = None
        elif mode == "hidden" and END_HIDDEN.match(line):
            mode = None
        elif mode is None and (END_SOLUTION.match(line) or END_HIDDEN.match(line)):
            raise MarkerError(f"{where}, line {number}: END marker without a BEGIN")
        elif mode is not None and (begin or BEGIN_HIDDEN.match(line)):
            raise MarkerError(f"{where}, line {number}: BEGIN marker inside an open {mode} block")
        elif mode is None:
            out.append(line)
    if mode is not None:
        raise MarkerError(f"{where}: {mode} block is never closed")
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def student_notebook(master: nbformat.NotebookNode, name: str = "master") -> nbformat.NotebookNode:
    """The student copy of a master notebook, without outputs."""
    nb = copy.deepcopy(master)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.source = strip_source(cell.source, f"{name} cell {index}")
            cell.outputs = []
            cell.execution_count = None
    return nb


def masters() -> list[Path]:
    return sorted(MASTERS.glob("*.ipynb"))


def write_copies(execute: bool = True) -> list[Path]:
    """Write (and by default execute) the student copy of every master; return their paths."""
    sys.path.insert(0, str(ROOT / "tools"))
    from execute_notebooks import execute as run_notebook

    written = []
    for path in masters():
        nb = student_notebook(nbformat.read(path, as_version=4), path.name)
        target = STUDENT / path.name
        nbformat.write(nb, target)
        if execute:
            seconds = run_notebook(target)
            print(f"{seconds:7.1f} s  {target.relative_to(ROOT)}")
        written.append(target)
    return written


def stale_copies() -> list[Path]:
    """Student copies whose code or markdown differs from what the masters would give."""
    stale = []
    for path in masters():
        want = student_notebook(nbformat.read(path, as_version=4), path.name)
        target = STUDENT / path.name
        if not target.exists():
            stale.append(target)
            continue
        have = nbformat.read(target, as_version=4)
        strip = lambda n: [(c.cell_type, c.source, dict(c.metadata)) for c in n.cells]  # noqa: E731
        if strip(have) != strip(want):
            stale.append(target)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale student copies")
    parser.add_argument("--no-execute", action="store_true", help="do not store fresh outputs")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_copies()
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run `make homework`)")
        return 1 if stale else 0
    write_copies(execute=not args.no_execute)
    return 0


if __name__ == "__main__":
    sys.exit(main())
