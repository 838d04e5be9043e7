"""Nothing in the student's kernel knows an answer: stubs plus a patched runner score 0.

The reference outputs live in tools/grading/reference.py, outside the student's install; the
kernel only has the runner (gradlab.homework.cases.run_case), whose records the grader judges. A
submission that leaves every answer a stub and replaces the runner with one that looks for a
reference (in gradlab, in the caller's frames, in the self-check's public table) gets nothing.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402
from grading import questions as spec  # noqa: E402
from grading import sandbox  # noqa: E402

import gradlab  # noqa: E402
from gradlab.homework import cases as hwcases  # noqa: E402

SECRET = b"another-throwaway-secret-for-the-tests-only"

PATCHED_RUNNER = r'''
import sys
import gradlab.homework, gradlab.homework.checks as ck
hc = getattr(gradlab.homework, "ca" + "ses")
original = hc.run_case

def run_case(qid, fn, case, namespace=None):
    for name in ("expected", "reference", "_expected", "answer"):
        if hasattr(hc, name):
            return {"status": "ok", "output": hc.to_json(getattr(hc, name)(qid, case)),
                    "inputs_changed": False}
    frame = sys._getframe(1)
    while frame is not None:  # anything that looks like a right answer up the stack
        for key in ("want", "expected", "reference"):
            if key in frame.f_locals:
                return {"status": "ok", "output": hc.to_json(frame.f_locals[key]),
                        "inputs_changed": False}
        frame = frame.f_back
    table = getattr(ck, "_PUBLIC_OUTPUTS", {}).get(qid) or [0.0]
    return {"status": "ok", "output": hc.to_json(table[0]), "inputs_changed": False}

hc.run_case = run_case
'''


def test_no_reference_in_the_students_install():
    assert not hasattr(hwcases, "expected")
    src = Path(gradlab.__file__).parent
    assert not (src / "reference.py").exists()
    # the sandbox mounts src/ and the venv, never tools/
    assert not any(p.startswith(str(ROOT / "tools")) for p in sandbox._ro_paths())


@pytest.mark.skipif(sandbox.BWRAP is None, reason="bubblewrap is not installed")
def test_stubs_and_a_patched_runner_score_zero(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    cells = [PATCHED_RUNNER]
    for assignment in ("hw1", "hw4"):
        stubs = [f"def {q.split('.')[1]}(*args):\n    raise NotImplementedError\n"
                 for q in spec.questions(assignment)]
        nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}",
                         "metadata": {}, "outputs": [], "source": src}
                        for i, src in enumerate(cells + stubs)],
              "metadata": {"gradlab": {"assignment": assignment}}, "nbformat": 4,
              "nbformat_minor": 5}
        (subs / f"s1_{assignment}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    out = tmp_path / "grades.csv"
    grade.grade_folder(subs, out, secret=SECRET, cell_timeout=30, question_timeout=30,
                       report=lambda line: None)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = {r["submission"]: r for r in csv.DictReader(fh)}
    for assignment in ("hw1", "hw4"):
        row = rows[f"s1_{assignment}.ipynb"]
        assert row["total"] == "0", row
        functions = [q for q in spec.questions(assignment) if spec.SPECS[q].kind == "function"]
        assert functions and all(row[f"{q} status"] in ("wrong", "error") for q in functions), row
        assert "tampered" in row["flags"]
