"""The odds that a neighbour's answers score on another student's variant, from the variant spaces.

Every variant parameter is drawn by ``questions.SPECS[qid].draw`` from a generator seeded by the
instructor's secret and the student id, independently per student and per question. This module
runs each draw function on a scripted generator that walks every branch (each ``integers``,
``permutation`` and ``choice`` outcome, with its probability), so the distribution of each
question's answer over the variant space is exact, not sampled. Two students' variants are
independent draws; the chance that student B's answer to a question scores on student A's copy
is the sum over the pairs of answers (a, b) of P(a) P(b) [b is accepted for a], judged by the
question's one acceptance rule (``gradlab.homework.checks``: numbers within the question's
tolerance, on the 4-significant-figure digests).

Implementation questions are not counted: a correct implementation is correct on every variant
(their hidden inputs differ, which only stops hard-coded outputs).

    python tools/grading/odds.py            # print the table
    python tools/make_homework.py           # also writes book/homework/_variant_odds.md
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grading import questions as spec  # noqa: E402
from gradlab.homework import checks  # noqa: E402


class _Script:
    """A stand-in for ``np.random.Generator`` that follows ``path`` (one index per draw, 0 past
    its end) and records how many outcomes each draw had."""

    def __init__(self, path: list[int]) -> None:
        self.path, self.arity, self.prob = path, [], 1.0

    def _next(self, n: int) -> int:
        i = len(self.arity)
        self.arity.append(n)
        self.prob /= n
        return self.path[i] if i < len(self.path) else 0

    def integers(self, low, high=None):
        low, high = (0, low) if high is None else (low, high)
        return low + self._next(int(high - low))

    def permutation(self, n: int) -> np.ndarray:
        perms = list(itertools.permutations(range(n)))
        return np.array(perms[self._next(len(perms))])

    def choice(self, values, size=None, replace=True):
        values = list(values)
        if size is None:
            return values[self._next(len(values))]
        if not replace:
            raise NotImplementedError("choice without replacement is not enumerated")
        index = self._next(len(values) ** size)
        return np.array([values[(index // len(values) ** k) % len(values)]
                         for k in reversed(range(size))])


def variant_space(qid: str) -> list[tuple[float, dict]]:
    """Every parameter set a variant can draw for ``qid``, with its probability."""
    draw = spec.SPECS[qid].draw
    if draw is None:
        return [(1.0, dict(spec.SPECS[qid].defaults))]
    out, path = [], []
    while True:
        script = _Script(path)
        params = draw(script)
        out.append((script.prob, params))
        path = path + [0] * (len(script.arity) - len(path))
        while path and path[-1] + 1 == script.arity[len(path) - 1]:  # odometer: next branch
            path.pop()
        if not path:
            break
        path[-1] += 1
    total = sum(p for p, _ in out)
    if not math.isclose(total, 1.0, rel_tol=1e-9):
        raise RuntimeError(f"{qid}: the enumerated variants' probabilities sum to {total}")
    return out


def answer_distribution(qid: str) -> dict:
    """Answer -> probability over the variant space of ``qid``."""
    dist: dict = {}
    for p, params in variant_space(qid):
        answer = spec.expected(qid, params)
        key = float(answer) if spec.SPECS[qid].kind == "number" else answer
        dist[key] = dist.get(key, 0.0) + p
    return dist


def _accepted(qid: str, answers: list) -> dict:
    """answer -> the set of digests an answer given as that value is accepted for (the judge's
    grid around it); a right answer a is accepted if digest(a) is in that set."""
    q = checks.QUESTIONS[qid]
    if q.kind != "number":
        return {a: {checks.answer_digest(qid, q.kind, a)} for a in answers}
    steps = int(round(q.rtol / checks._GRID))
    return {a: {checks._digest(qid, checks._canonical_number(a * (1 + k * checks._GRID)))
                for k in range(-steps, steps + 1)} for a in answers}


def neighbour_odds(qid: str) -> dict:
    """For one number, integer or choice question: how many parameter sets and distinct
    answers its variants have, the chance that a neighbour's answer scores on another variant,
    and the chance that the public copy's answer does."""
    dist = answer_distribution(qid)
    kind = spec.SPECS[qid].kind
    accepted = _accepted(qid, list(dist))
    digest = {a: checks.answer_digest(qid, kind, a) for a in dist}
    odds = sum(pa * pb for a, pa in dist.items() for b, pb in dist.items()
               if digest[a] in accepted[b])
    public = spec.expected(qid, spec.SPECS[qid].defaults)
    public = float(public) if kind == "number" else public
    public_ok = _accepted(qid, [public])[public]
    return {"qid": qid, "kind": kind, "points": spec.SPECS[qid].points,
            "variants": len(variant_space(qid)), "answers": len(dist), "neighbour": odds,
            "public": sum(p for a, p in dist.items() if digest[a] in public_ok)}


def assignment_odds(assignment: str) -> dict:
    """Per question odds, and for the whole assignment: the points a neighbour's number and
    letter answers earn on average, and the chance that they all score."""
    rows = [neighbour_odds(q) for q in spec.questions(assignment)
            if spec.SPECS[q].kind != "function"]
    return {"assignment": assignment, "rows": rows,
            "points": sum(r["points"] for r in rows),
            "expected": sum(r["points"] * r["neighbour"] for r in rows),
            "all": math.prod(r["neighbour"] for r in rows)}


def _grouped(n: float) -> str:
    """An integer with thin grouping (12 800), as the course writes large numbers: a comma would
    read as a decimal point in the Russian edition."""
    return f"{n:,.0f}".replace(",", "\u202f")


def _pct(x: float) -> str:
    if x == 0:
        return "0 %"
    if x >= 0.01:
        return f"{100 * x:.0f} %"
    return f"1 in {_grouped(1 / x)}"


def markdown() -> str:
    """The table the instructors' page includes (book/homework/_variant_odds.md)."""
    lines = ["<!-- generated by `make homework` (tools/grading/odds.py): do not edit -->", "",
             "| question | kind | parameter sets | distinct answers | a neighbour's answer "
             "scores | the public answer scores |",
             "| --- | --- | --- | --- | --- | --- |"]
    summaries = []
    for assignment in spec.ASSIGNMENTS:
        result = assignment_odds(assignment)
        for r in result["rows"]:
            lines.append(f"| {r['qid']} | {r['kind']} | {_grouped(r['variants'])} | "
                         f"{_grouped(r['answers'])} | {_pct(r['neighbour'])} | {_pct(r['public'])} |")
        summaries.append(f"{assignment}: {result['expected']:.2f} of {result['points']} points "
                         f"on average, all {len(result['rows'])} right {_pct(result['all'])}")
    lines += ["", "Copying all the number and letter answers of a neighbour's copy earns, on "
              "another variant: " + "; ".join(summaries) + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
