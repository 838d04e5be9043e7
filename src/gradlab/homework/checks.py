"""Homework self-checks: ``check("hw2.q3", q3)`` prints a verdict at once, for practice.

Every question has an id ``hwN.qM``, a number of points and a kind:

- ``number``: a real number, right if within about 0.5 % of the answer (``_judge_value``; the
  same rule in the grader). The module stores only sha256(question id | f"{x:.3e}") of the
  right value of the public copy, never the value;
- ``integer``: a whole number, stored as sha256(question id | str(n));
- ``choice``: a letter such as "b", stored as sha256(question id | letter);
- ``function``: an implementation, run on the public inputs by ``gradlab.homework.cases`` and compared
  with the right outputs for those inputs only (stored below by ``make homework``); nothing in
  gradlab can compute the output for other inputs (the grader's reference is outside it).

``answer`` may be the value itself or a function of no arguments that returns it (the homework
notebooks wrap every answer in a function, so a student copy whose stubs raise
NotImplementedError still runs top to bottom). ``check`` prints one short, wrapped paragraph and
never raises: a stub gives "not answered yet", a wrong type, shape, NaN or an exception inside
the student's code gives a readable message. A hint is shown only after a wrong attempt.

These checks are for practice and are not a grade: the hashes of rounded numbers can be found
by trial, and everything here runs in the student's own kernel. Graded work is marked by
``tools/grade.py``, which computes the expected answers in its own process, for the parameters
of each student's variant (see the instructors' page). In a variant copy (``use_variant``), the
numeric and letter answers are only recorded here, and graded after hand-in.

``grade(question, answer)`` is the same check for nbgrader's graded cells: it prints the same
verdict and raises AssertionError unless the answer is correct, always (no switch, no
environment variable), so that ``nbgrader validate`` and ``autograde`` see it. Those cells import
it afresh (``from gradlab.homework.checks import grade``), so an earlier cell that redefines
``check`` or ``grade`` changes nothing; a cell that patches this module still can (see the
instructors' page).
"""

from __future__ import annotations

import hashlib
import math
import numbers
import os
import textwrap
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._validate import check_choice
from . import cases as hwcases  # the runner and the public inputs

NOT_ANSWERED = "not answered yet"
STATUSES = ("correct", "wrong", NOT_ANSWERED, "error", "recorded")
WIDTH = 80
_VARIANT: dict[str, str] = {}
if "GRADLAB_STRICT" in os.environ:  # the old nbgrader switch: a kernel that sets it expects
    # check() to fail its cells, which it no longer does; stop rather than pass every cell
    raise RuntimeError("GRADLAB_STRICT is no longer read: nbgrader's graded cells call "
                       "grade(), which fails unless the answer is correct. Remove GRADLAB_STRICT "
                       "from the kernel and make nbgrader's source notebooks with "
                       "`python tools/make_homework.py --nbgrader SOURCE_DIR`.")


class _Wrong(Exception):
    """Raised inside a judge with a message for the student (wrong value, shape or type)."""


@dataclass(frozen=True)
class Question:
    """One question, defined once: the self-check, the grader (tools/grade.py), the variants
    and nbgrader all read kind, points, hint and the acceptance rule (``judge``) from here."""

    qid: str
    kind: str
    points: int
    hint: str
    digest: str = ""
    rtol: float = 5e-3  # numbers: how far from the answer a value may be (see judge)


@dataclass(frozen=True)
class Result:
    question: str
    status: str
    points: int
    max_points: int
    message: str


def _digest(qid: str, canonical: str) -> str:
    return hashlib.sha256(f"{qid}|{canonical}".encode()).hexdigest()[:20]


def _canonical_number(x: float) -> str:
    return f"{x + 0.0:.3e}"  # 4 significant figures; + 0.0 turns -0.0 into 0.0


def answer_digest(qid: str, kind: str, value: Any) -> str:
    """The digest stored for a right answer (used by instructors to add a question)."""
    kind = check_choice("kind", kind, ("number", "integer", "choice"))
    if kind == "number":
        return _digest(qid, _canonical_number(float(value)))
    if kind == "integer":
        return _digest(qid, str(int(value)))
    return _digest(qid, str(value).strip().lower())


# --------------------------------------------------------------------------------------------
# The question table. A hint helps after a wrong attempt and never hands over the derivation.

def _q(qid, kind, points, hint, digest="", rtol=5e-3):
    return Question(qid, kind, points, hint, digest, rtol)


QUESTIONS: dict[str, Question] = {q.qid: q for q in [
    _q("hw1.q1", "number", 1, "write w_k - c in terms of w_(k-1) - c and unroll it, or run the "
       "loop and compare.", "91390210968360d5e155"),
    _q("hw1.q2", "number", 1, "treat each coordinate as its own 1-D problem.",
       "58282a075a867320fc15"),
    _q("hw1.q3", "function", 2, "return steps + 1 entries: w_0 first, then one per step."),
    _q("hw1.q4", "function", 2, "central differences move one coordinate at a time in both "
       "directions; work on a float copy of w."),
    _q("hw1.q5", "choice", 1, "compare the factor w_(k+1) / w_k of each run with the options.",
       "602db1944d1ded2c5e90"),
    _q("hw1.q6", "integer", 1, "count k = 0, 1, ... and stop at the first k whose norm is at "
       "most tol times the starting norm; the first step has no momentum (w_(-1) = w_0).",
       "d5d35547755f50ba9e3b"),
    _q("hw1.q7", "number", 1, "run every step in float64 and return a^2 + b^2 at the end.",
       "3e0cd8ff8ffdfa756938", rtol=2e-3),
    _q("hw2.q1", "number", 1, "where does sigma(z) (1 - sigma(z)) peak?", "2b2992cf4f1ab1fde4c3"),
    _q("hw2.q2", "function", 2, "zero the gradients first; one norm per layer in model.linears, "
       "as Python floats."),
    _q("hw2.q3", "number", 1, "the first entry of your list divided by the last one.",
       "332d088980b55a3ef8c3"),
    _q("hw2.q4", "choice", 1, "exploding means the norms grow from the output side towards the "
       "input side.", "ced231afe1699a2e7498"),
    _q("hw2.q5", "integer", 1, "multiply in float32, not float64, and stop at exactly 0.",
       "1a7084e35a8ae56b8566"),
    _q("hw3.q1", "number", 1, "write out the terms of the sum for T = 3 and compare them.",
       "6b9f721bde74fc18085b"),
    _q("hw3.q2", "function", 2, "store every h_t on the way forward, then walk back from T to 1. "
       "T = 0 has no terms."),
    _q("hw3.q3", "integer", 1, "evaluate |dL/dw| for T = 1, 2, ... in float64 and stop at the "
       "first one above the float32 maximum.", "140496590c6e80b8657b"),
    _q("hw3.q4", "number", 1, "apply the chain rule through h_T, and reuse what q1 showed about "
       "dh_T/dw.", "54d0c51b49bed4bf0632"),
    _q("hw3.q5", "choice", 1, "on a log axis, exponential growth is a straight line.",
       "5e1660a5c386db47bdb6"),
    _q("hw4.q1", "function", 2, "one norm over all tensors together; small gradients stay as "
       "they are; return new tensors."),
    _q("hw4.q2", "number", 1, "clipping by norm keeps the direction of g.",
       "45cca2bacb3687ccb228"),
    _q("hw4.q3", "function", 2, "the weight of nn.Linear has shape (out_features, in_features); "
       "change it in place under torch.no_grad()."),
    _q("hw4.q4", "number", 1, "variance and standard deviation differ by a square root.",
       "32aea5051a6bf1f808bd"),
    _q("hw4.q5", "choice", 1, "which remedy moves the whole curve without changing its shape?",
       "2d6e80a98edc6eab75f6"),
]}

ASSIGNMENTS = tuple(sorted({q.split(".")[0] for q in QUESTIONS}))

_RESULTS: dict[str, Result] = {}

# public test inputs of the implementation questions (the grader draws hidden ones)
# The right outputs for the public cases only (hwcases.PUBLIC_SEED): what the self-check compares
# with. Graded cases are drawn from the instructor's secret and judged by the grader, whose
# reference implementations are not part of gradlab.
# --- public outputs: generated by `make homework` (tools/make_homework.py) ---
_PUBLIC_OUTPUTS = {'hw1.q3': [[1.809905240774294, -2.313900159851614, -2.014338390529827, -2.0360991781813444,
             -2.034518429475371, -2.0346332583368745, -2.0346249169304356, -2.0346255228674837],
            [[2.063248165516335, -2.5907023612570796], [0.8688558867400377, 1.152285763668639],
             [1.0975494999846802, 0.6476965518386528], [1.053760897472552, 0.7157198167268521],
             [1.0621452230457984, 0.706549655222073]],
            [-1.3118815228023375, -0.7110960199147791, -0.47869897506425285, -0.38880268729486306,
             -0.3540288262076245, -0.3405775320004981, -0.33537427558347993, -0.33336154157258474,
             -0.332582971793597, -0.3322818038809609, -0.3321653055091393, -0.33212024137691387],
            [[2.5617729495029637, 0.5796543469511484], [1.5805368705049616, 0.31147728320557794],
             [0.854734096306595, 0.15052859678707858], [0.3178707681949944, 0.053933909314413206],
             [-0.07923743160404828, -0.0040381925745118785],
             [-0.37297126308462814, -0.03883062977113253]]],
 'hw1.q4': [[0.288124095011729], [0.8067307275126685, 0.8235625496106155, 0.27291403153750515],
            [-3.182250444056864, 5.020370305193355, 4.87768984674625, -2.438094346309273,
             0.09982377717374369, -1.1150309244419034]],
 'hw2.q2': [[0.13796795779077498, 0.18983407758890264, 0.16030694053340228, 0.14511004744672323],
            [0.00022245438713981234, 0.001688806552184687, 0.004812635544924311,
             0.017990241761081847, 0.12223709594485165, 0.5353702650526885]],
 'hw3.q2': [[-1.1356446870927015, 0.0], [0.5241326480783962, -0.4997228433781311],
            [0.4754197983333191, 1.337538116119553],
            [7.261918766786944e-06, -0.00023818409003628678],
            [-0.1155193480092633, -3.5631542153084768]],
 'hw4.q1': [[[[-0.3783293400138825, -0.2358566684797889, 0.25470845117330093, -0.03725738990238103],
              [0.04812732330835731, 0.03590718215243947, -0.043426585393438265,
               -0.06486471292378726],
              [0.03474578832539133, -0.1612770212793699, 0.16234814628028613,
               -0.24174484735535667]],
             [-0.13964317405399196, -0.016551112211836267, 0.24192948704286057, 0.3013060272730263,
              0.04226415265000832]],
            [[[1.5552541166773168, -0.7693725672299623, -0.7891152678748337, 0.9249457357583608],
              [-1.6511276490898186, 0.49748613047188284, 0.5287111174849071, -0.7707277908928802],
              [1.7724610455554828, -1.4677424158327017, 0.7211497625511388, -0.7639943580926484]],
             [-0.5652046622215434, 0.5007798445587779, 0.6855792971112338, -0.11043461768277305,
              0.2744258664742102]],
            [[[-0.9220381949818595, -1.2490242710726465, 1.4603399904380836, 0.46870749596295885],
              [-0.6439527810993462, -0.3869130013601912, -1.007320198732378, -1.1807425517715116],
              [-0.878804625463897, -0.8676493944009103, 1.6330863484747293, -1.4585064192260695]],
             [-0.5428482595908186, 0.5117822487189749, -0.5306201051727665, -0.9655292953468388,
              -0.13989643462326098]]],
 'hw4.q3': [{'shape': [298, 409], 'std': 0.06992836012750656},
            {'shape': [508, 97], 'std': 0.1435916317235476}]}
# --- end of public outputs ---


# --------------------------------------------------------------------------------------------

def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    student = [f for f in frames if "gradlab" not in f.filename.replace("\\", "/").split("/")]
    if not student:
        return ""
    f = student[-1]
    return f" (in {f.name}, line {f.lineno})"


def _describe(value: Any) -> str:
    if value is None:
        return "None: did the function forget to `return` its answer?"
    return f"{type(value).__name__}"


_GRID = 1e-4  # as fine as the narrowest 4-significant-figure bin (1e-4 relative)


def _judge_value(q: Question, value: Any, digest: str | None = None) -> str:
    """The acceptance rule of a number, integer or choice question, shared by the self-check
    (``digest``: the public answer's) and the grader (the digest of the student's variant's
    answer, computed in the grader's process). "" if right, else "not correct"; raises _Wrong
    for a value of the wrong kind.

    A number is right when some value within ``q.rtol`` of it (relative, on a grid of 0.01 %)
    has the answer's four significant figures: ``|x - answer| <= rtol |x|`` give or take
    0.05 %, decided from the hash alone, so the self-check and the grader cannot disagree."""
    digest = q.digest if digest is None else digest
    if q.kind == "choice":
        if not isinstance(value, str) or len(value.strip()) != 1:
            got = _describe(value) if value is None else f"{type(value).__name__} {value!r}"
            raise _Wrong(f"answer with one letter such as 'a', got {got}")
        return "" if _digest(q.qid, value.strip().lower()) == digest else "not correct"
    if isinstance(value, torch.Tensor) and value.requires_grad:
        raise _Wrong("your answer is a tensor that still requires grad: return float(t) "
                     "(or t.item())")
    if isinstance(value, np.ndarray | np.generic | torch.Tensor):
        size = value.numel() if isinstance(value, torch.Tensor) else value.size
        if size != 1:
            raise _Wrong(f"answer with a single number, got an array of shape "
                         f"{tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _Wrong(f"answer with a single number, got {_describe(value)}")
    x = float(value)
    if math.isnan(x):
        raise _Wrong("your answer is NaN")
    if math.isinf(x):
        raise _Wrong("your answer is infinite")
    if q.kind == "integer":
        if not x.is_integer():
            raise _Wrong(f"answer with a whole number, got {x:.6g}")
        return "" if _digest(q.qid, str(int(x))) == digest else "not correct"
    steps = int(round(q.rtol / _GRID))
    ok = any(_digest(q.qid, _canonical_number(x * (1 + k * _GRID))) == digest
             for k in range(-steps, steps + 1))
    return "" if ok else "not correct"


def judge(question: str, value: Any, answer: Any) -> str:
    """The grader's entry to the one acceptance rule: "" if ``value`` is right for the answer
    ``answer`` (of the student's variant), else a message."""
    q = QUESTIONS[check_choice("question", question, QUESTIONS)]
    try:
        return _judge_value(q, value, answer_digest(q.qid, q.kind, answer))
    except _Wrong as err:
        return str(err)


def _run_function(qid: str, fn: Any) -> tuple[str, str]:
    """Run an implementation on the public cases through gradlab.homework.cases; (status, message)."""
    rng = np.random.default_rng(hwcases.PUBLIC_SEED[qid])
    cases = hwcases.make_cases(qid, rng)
    for case, want in zip(cases, _PUBLIC_OUTPUTS[qid], strict=True):
        record = hwcases.run_case(qid, fn, case)
        if record["status"] == "not answered":
            return NOT_ANSWERED, ""
        if record["status"] != "ok":
            return record["status"], record["message"]
        message = hwcases.compare(qid, case, record, want)
        if message:
            return "wrong", message
    return "correct", ""


def _evaluate(q: Question, answer: Any) -> tuple[str, str]:
    try:
        if q.kind == "function":
            if not callable(answer):
                raise _Wrong(f"pass your function itself, got {_describe(answer)}")
            return _run_function(q.qid, answer)
        value = answer() if callable(answer) else answer
        if q.qid.split(".")[0] in _VARIANT:
            _judge_value(Question(q.qid, q.kind, q.points, q.hint, ""), value)
            shown = value.strip() if isinstance(value, str) else f"{float(value):.6g}"
            return "recorded", f"answer recorded ({shown}); your copy has its own numbers, " \
                               "so it is graded after you hand it in"
        message = _judge_value(q, value)
        return ("correct", "") if not message else ("wrong", message)
    except NotImplementedError:
        return NOT_ANSWERED, ""
    except _Wrong as err:
        return "wrong", str(err)
    except Exception as err:  # noqa: BLE001 - the student's code failed: report it in one line
        text = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        return "error", f"your code raised {type(err).__name__}{': ' + text if text else ''}" \
                        f"{_where(err)}"


def _wrap(text: str) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent="    ", break_on_hyphens=False)


def use_variant(assignment: str, tag: str) -> None:
    """Mark this notebook as a personal variant: numeric and letter answers are recorded, not
    judged (their right values are not public); implementations are still checked."""
    assignment = check_choice("assignment", assignment, ASSIGNMENTS)
    if not isinstance(tag, str) or not tag.isalnum():
        raise ValueError(f"tag must be a short alphanumeric string, got {tag!r}")
    _VARIANT[assignment] = tag


def check(question: str, answer: Any) -> None:
    """Check ``answer`` to ``question`` (an id such as "hw2.q3"); print a verdict, and a hint
    after a wrong attempt."""
    _verdict(question, answer)


def grade(question: str, answer: Any) -> None:
    """nbgrader's graded cells: ``check``, then raise AssertionError unless correct."""
    status, line = _verdict(question, answer)
    if status != "correct":
        raise AssertionError(line)


def _verdict(question: str, answer: Any) -> tuple[str, str]:
    qid = check_choice("question", question, QUESTIONS)
    q = QUESTIONS[qid]
    status, message = _evaluate(q, answer)
    points = q.points if status == "correct" else 0
    unit = "point" if q.points == 1 else "points"
    if status == "correct":
        line = f"{qid} [{points}/{q.points} {unit}]: correct."
    elif status == NOT_ANSWERED:
        line = f"{qid} [{q.points} {unit}]: not answered yet."
    elif status == "recorded":
        line = f"{qid} [{q.points} {unit}]: {message}."
    else:
        line = f"{qid} [0/{q.points} {unit}]: {message}. Hint: {q.hint}"
    _RESULTS[qid] = Result(qid, status, points, q.points, line)
    print(_wrap(line))
    return status, line


def passed(question: str) -> bool:
    """True if the last ``check`` of ``question`` in this session was correct."""
    qid = check_choice("question", question, QUESTIONS)
    return qid in _RESULTS and _RESULTS[qid].status == "correct"


def results() -> dict[str, Result]:
    """The last verdict of every question checked in this session."""
    return dict(_RESULTS)


def questions(assignment: str) -> list[str]:
    """The question ids of one assignment, e.g. questions("hw1") -> ["hw1.q1", ...]."""
    assignment = check_choice("assignment", assignment, ASSIGNMENTS)
    return [qid for qid in QUESTIONS if qid.startswith(assignment + ".")]


def summary(assignment: str) -> None:
    """Print the points so far of one assignment: sum of the last verdict of each question."""
    ids = questions(assignment)
    got = sum(_RESULTS[q].points for q in ids if q in _RESULTS)
    total = sum(QUESTIONS[q].points for q in ids)
    counts = {s: sum(1 for q in ids if q in _RESULTS and _RESULTS[q].status == s)
              for s in STATUSES}
    counts[NOT_ANSWERED] += sum(1 for q in ids if q not in _RESULTS)
    recorded = f", {counts['recorded']} recorded for grading" if counts["recorded"] else ""
    print(_wrap(f"{assignment}: {got} of {total} points; {counts['correct']} of {len(ids)} "
                f"questions correct, {counts[NOT_ANSWERED]} not answered yet, "
                f"{counts['wrong'] + counts['error']} to revisit{recorded}."))
