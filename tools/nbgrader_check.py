"""Run the homework through nbgrader end to end, in nbgrader's own environment (`make nbgrader-check`).

    python tools/nbgrader_check.py [--nbgrader-venv .venv-nbgrader] [--keep DIR]

nbgrader pins an older Jupyter stack than the course, so it lives in its own venv (built by
`make nbgrader-venv` from homework/nbgrader/requirements.txt). The notebooks run on the kernel
``gradlab`` installed into that venv: the course's Python (.venv, which has gradlab and torch).
The source notebooks are the masters as ``make_homework.nbgrader_notebook`` writes them: every
graded cell imports ``grade`` itself and calls it, and ``grade`` fails the cell unless the answer
is correct, so nbgrader sees wrong and unanswered work as failed tests, whatever names earlier
cells set and whatever the environment says.

For each assignment this builds a throwaway course folder and checks that
1. ``nbgrader generate_assignment`` makes a release from the master (public numbers);
2. ``nbgrader validate`` fails on the release (nothing answered) and on wrong work, and passes
   on the master;
3. ``nbgrader autograde`` scores a right submission full marks, an empty one 0 and one with a
   wrong q1 full marks less q1's points, with no "checksum" warning (the submissions are made
   from nbgrader's own release, as students would receive it; a warning would mean a locked
   cell was changed);
4. two attacks on an empty submission score 0: a cell that redefines ``check`` and ``grade``
   (and sets ``GRADLAB_STRICT=0`` after the imports), and a first cell that sets
   ``os.environ["GRADLAB_STRICT"] = "0"`` before anything is imported.
Exit status 0 when all of that holds.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from grading import questions as spec  # noqa: E402
from make_homework import MASTERS, figure_files, nbgrader_notebook  # noqa: E402

KERNEL = "gradlab"


def install_kernel(venv: Path) -> Path:
    """Write the ``gradlab`` kernelspec into nbgrader's venv: the course Python (nothing else:
    the graded cells fail by themselves, no switch in the environment)."""
    python = Path(sys.prefix).resolve() / "bin" / "python"
    folder = venv / "share" / "jupyter" / "kernels" / KERNEL
    folder.mkdir(parents=True, exist_ok=True)
    spec_json = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                 "display_name": "Python 3 (gradlab)", "language": "python",
                 "env": {"MPLBACKEND": "Agg"}}
    (folder / "kernel.json").write_text(json.dumps(spec_json, indent=1), encoding="utf-8")
    return folder


def nbgrader(venv: Path, course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(course),
           "JUPYTER_PATH": str(venv / "share" / "jupyter"), "LANG": "C.UTF-8"}
    return subprocess.run([str(venv / "bin" / "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)


def _solution_sources(master: nbformat.NotebookNode) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in master.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def fill(release: nbformat.NotebookNode, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The release with the given solution cells' sources put in (as a student would)."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell.source = "\n".join(line for line in sources[grade_id].splitlines()
                                    if "### BEGIN SOLUTION" not in line
                                    and "### END SOLUTION" not in line)
    return nb


def _setup_index(nb: nbformat.NotebookNode) -> int:
    return next(i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and "setup_notebook()" in c.source)


def attack_rebind(release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Nothing answered; a cell after the imports makes ``check`` and ``grade`` do nothing and
    sets GRADLAB_STRICT=0 (the switch of earlier versions)."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    nb.cells.insert(_setup_index(nb) + 1, nbformat.v4.new_code_cell(
        "import os\n\nos.environ['GRADLAB_STRICT'] = '0'\n\n\n"
        "def check(*args, **kwargs):\n    pass\n\n\ngrade = check\n"))
    return nb


def attack_environ(release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Nothing answered; a first cell sets GRADLAB_STRICT=0 before anything is imported."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import os\n\nos.environ['GRADLAB_STRICT'] = '0'\n"))
    return nb


def check_assignment(venv: Path, course: Path, master_path: Path) -> list[str]:
    """Run one assignment through nbgrader; return the problems found (empty when all is well)."""
    problems: list[str] = []
    raw = nbformat.read(master_path, as_version=4)
    master = nbgrader_notebook(raw)
    master.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL,
                                     "language": "python"}
    assignment = master.metadata["gradlab"]["assignment"]
    name = master_path.name
    source = course / "source" / assignment / name
    source.parent.mkdir(parents=True)
    nbformat.write(master, source)
    for file, data in figure_files(raw).items():  # handed out with the notebook
        (source.parent / file).write_bytes(data)
    run = nbgrader(venv, course, "generate_assignment", assignment, "--force", "--create")
    if run.returncode != 0:
        return [f"{assignment}: generate_assignment failed: {run.stderr[-800:]}"]
    release_path = course / "release" / assignment / name
    release = nbformat.read(release_path, as_version=4)

    run = nbgrader(venv, course, "validate", str(release_path))
    if "VALIDATION FAILED" not in run.stdout + run.stderr:
        problems.append(f"{assignment}: validate did not fail on the unanswered release")
    run = nbgrader(venv, course, "validate", str(source))
    if "Success! Your notebook passes all the tests." not in run.stdout:
        problems.append(f"{assignment}: validate failed on the master: {run.stdout[-800:]}")

    solutions = _solution_sources(master)
    first = f"{assignment}-q1-answer"
    wrong = dict(solutions)
    wrong[first] = "def q1():\n    return " + ('"z"' if spec.SPECS[f"{assignment}.q1"].kind ==
                                                  "choice" else "-12345.0")
    subs = {"right": fill(release, solutions), "empty": release, "wrong": fill(release, wrong),
            "rebinder": attack_rebind(release), "environ": attack_environ(release)}
    for student, nb in subs.items():
        path = course / "submitted" / student / assignment / name
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    wrong_path = course / "submitted" / "wrong" / assignment / name
    run = nbgrader(venv, course, "validate", str(wrong_path))
    if "VALIDATION FAILED" not in run.stdout + run.stderr:
        problems.append(f"{assignment}: validate did not fail on wrong work")

    run = nbgrader(venv, course, "autograde", assignment, "--force", "--create")
    log = run.stdout + run.stderr
    if run.returncode != 0:
        problems.append(f"{assignment}: autograde failed: {log[-800:]}")
    if "checksum" in log.lower():
        problems.append(f"{assignment}: autograde logged a checksum warning: "
                        f"{[ln for ln in log.splitlines() if 'checksum' in ln.lower()][:3]}")
    run = nbgrader(venv, course, "export", "--to", str(course / "grades.csv"))
    if run.returncode != 0:
        return problems + [f"{assignment}: export failed: {run.stderr[-800:]}"]
    with open(course / "grades.csv", newline="", encoding="utf-8") as fh:
        scores = {r["student_id"]: float(r["raw_score"]) for r in csv.DictReader(fh)
                  if r["assignment"] == assignment}
    full = sum(spec.SPECS[q].points for q in spec.questions(assignment))
    want = {"right": full, "empty": 0, "wrong": full - spec.SPECS[f"{assignment}.q1"].points,
            "rebinder": 0, "environ": 0}
    if scores != want:
        problems.append(f"{assignment}: autograde scores {scores}, expected {want}")
    print(f"{assignment}: generate, validate (fails on empty and wrong work, passes on the "
          f"master), autograde {scores} (expected {want}; rebinder: check and grade redefined, "
          f"environ: GRADLAB_STRICT=0 before the imports)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nbgrader-venv", type=Path, default=ROOT / ".venv-nbgrader")
    parser.add_argument("--keep", type=Path, help="keep the course folder here")
    parser.add_argument("--assignments", nargs="*", default=None, help="default: all")
    args = parser.parse_args(argv)
    venv = args.nbgrader_venv.resolve()
    if not (venv / "bin" / "nbgrader").exists():
        parser.error(f"no nbgrader in {venv}: run `make nbgrader-venv` first")
    install_kernel(venv)
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="nbgrader-"))
    try:
        for path in MASTERS.glob("*.ipynb") if args.assignments is None else [
                p for p in MASTERS.glob("*.ipynb") if p.name.split("_")[0] in args.assignments]:
            course = work / path.stem
            course.mkdir()
            (course / "nbgrader_config.py").write_text(
                "c = get_config()  # noqa: F821\n"
                "c.CourseDirectory.course_id = 'gradients'\n"
                "c.Execute.timeout = 300\n", encoding="utf-8")
            problems += check_assignment(venv, course, path)
    finally:
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print("PROBLEM:", p)
    print("nbgrader check:", "passed" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
