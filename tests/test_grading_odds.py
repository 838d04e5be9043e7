"""The numbers the instructors' page states about grading come from files, never typed.

- the odds that a neighbour's answers score on another variant: tools/grading/odds.py walks
  every branch of each question's variant draw (exact, not sampled) and judges pairs of answers
  with the question's one acceptance rule; `make homework` writes book/homework/_variant_odds.md;
- the grader's speed: tools/grading/speed.py times JOBS=1 and JOBS=2 on a class and writes
  tools/grading/speed.json, from which book/homework/_grading_speed.md is rendered.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import make_homework  # noqa: E402
from grading import odds, speed  # noqa: E402
from grading import questions as spec  # noqa: E402

from gradlab.homework import checks  # noqa: E402

PAGE = ROOT / "book" / "homework" / "instructors.md"
VALUED = [q for q in spec.SPECS if spec.SPECS[q].kind != "function"]


@pytest.mark.parametrize("qid", VALUED)
def test_the_enumerated_space_holds_every_drawn_variant(qid):
    space = odds.variant_space(qid)
    assert math.isclose(sum(p for p, _ in space), 1.0)
    assignment = qid.split(".")[0]
    drawn = [spec.params(assignment, b"odds-test-secret", f"s{i}")[qid] for i in range(60)]
    assert all(p in [params for _, params in space] for p in drawn)


def test_the_fast_acceptance_is_the_judge():
    rng = np.random.default_rng(0)
    for qid in VALUED:
        dist = list(odds.answer_distribution(qid))
        accepted = odds._accepted(qid, dist)
        kind = spec.SPECS[qid].kind
        for _ in range(30):
            a, b = (dist[int(i)] for i in rng.integers(len(dist), size=2))
            fast = checks.answer_digest(qid, kind, a) in accepted[b]
            assert fast == (checks.judge(qid, b, a) == ""), (qid, a, b)


def test_odds_of_a_question_whose_answers_are_far_apart():
    # hw1.q2: every variant has its own answer, far more than 0.5 % from the others
    space = odds.variant_space("hw1.q2")
    answers = sorted(odds.answer_distribution("hw1.q2"))
    assert len(answers) == len(space)
    assert all(b / a > 1.01 for a, b in zip(answers, answers[1:], strict=False))
    assert odds.neighbour_odds("hw1.q2")["neighbour"] == pytest.approx(1 / len(space))


def test_page_shows_the_generated_odds_and_speed():
    assert not make_homework.write_odds(check_only=True), "run `make homework`"
    result = json.loads(speed.RESULT.read_text(encoding="utf-8"))
    assert speed.PAGE.read_text(encoding="utf-8") == speed.render(result)
    runs = {r["jobs"]: r for r in result["runs"]}
    assert {1, 2} <= set(runs) and runs[1]["submissions"] >= 40
    assert all(r["full_marks"] == r["submissions"] for r in runs.values())  # all graded right
    text = PAGE.read_text(encoding="utf-8")
    for fragment in (make_homework.ODDS, speed.PAGE):
        assert f"```{{include}} {fragment.name}\n```" in text, fragment.name
