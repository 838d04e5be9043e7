"""One question, one judge: the self-check and the grader give the same verdict.

Each question is defined once (gradlab.homework.checks.QUESTIONS: kind, points, hint, acceptance rule);
the grader (tools/grading/questions.py) reads kind and points from there and judges with the
same rule, given the answer of the student's variant. On a grid of values around each public
answer, the student's self-check and the grader must agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402
from grading import questions as spec  # noqa: E402

from gradlab.homework import checks  # noqa: E402

VALUED = [q for q in checks.QUESTIONS if checks.QUESTIONS[q].kind != "function"]


def grid(qid: str, want):
    kind = checks.QUESTIONS[qid].kind
    if kind == "choice":
        return list("abcdx")
    if kind == "integer":
        return [want - 2, want - 1, want, want + 1, float(want), want + 0.5]
    factors = np.concatenate([np.linspace(0.98, 1.02, 161), 1 + np.array([-1e-9, 1e-9])])
    return [want * f for f in factors] + [want + 1e-12, -want]


@pytest.mark.parametrize("qid", VALUED)
def test_self_check_and_grader_agree_around_the_answer(qid):
    want = spec.expected(qid, spec.SPECS[qid].defaults)
    q = checks.QUESTIONS[qid]
    for value in grid(qid, want):
        mine, _ = checks._evaluate(q, value)
        graded = grade.judge_value(qid, value, want) == ""
        assert (mine == "correct") == graded, (qid, value, want, mine)
    assert checks._evaluate(q, want)[0] == "correct"


@pytest.mark.parametrize("qid", [q for q in VALUED if checks.QUESTIONS[q].kind == "number"])
def test_numbers_count_within_about_the_questions_tolerance(qid):
    rtol = checks.QUESTIONS[qid].rtol
    for key in ("s1", "s2", "s3"):
        want = spec.expected(qid, spec.params(qid.split(".")[0], b"k" * 32, key)[qid])
        for f in (1 + 0.8 * rtol, 1 - 0.8 * rtol, 1 + 1e-9):
            assert grade.judge_value(qid, want * f, want) == "", (qid, want, f)
        for f in (1 + rtol + 2e-3, 1 - rtol - 2e-3):
            assert grade.judge_value(qid, want * f, want) == "not correct", (qid, want, f)


def test_each_question_is_defined_once():
    for qid, s in spec.SPECS.items():
        assert s.question is checks.QUESTIONS[qid]
        assert "kind" not in s.__dataclass_fields__ and "points" not in s.__dataclass_fields__
