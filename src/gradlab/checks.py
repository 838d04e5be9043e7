"""Homework checks: ``check("hw2.q3", answer)`` prints a verdict and a hint at once.

Every question has an id ``hwN.qM``, a number of points and a kind:

- ``number``: a real number, judged to 3 significant figures. The module stores only
  sha256(question id | f"{x:.2e}") of the right value, never the value itself;
- ``integer``: a whole number, stored as sha256(question id | str(n));
- ``choice``: a letter such as "b", stored as sha256(question id | letter);
- ``function``: an implementation, run on seeded random inputs and compared with torch or
  gradlab (autograd, ``clip_grad_norm_``, a closed form), never with a copy of the solution.

``answer`` may be the value itself or a function of no arguments that returns it (the homework
notebooks wrap every answer in a function, so a student copy whose stubs raise
NotImplementedError still runs top to bottom). Whatever the student passes, ``check`` prints
one line and never raises: a stub gives "not answered yet", a wrong type, shape, NaN or an
exception inside the student's code gives a readable message instead of a traceback.

Each verdict is also kept in memory (``results()``, ``passed()``, ``summary()``) and, when the
environment variable ``GRADLAB_RESULTS`` names a file, appended to it as one JSON line: this is
how ``tools/grade.py`` collects points from a submission running in its own kernel.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import check_choice

NOT_ANSWERED = "not answered yet"
STATUSES = ("correct", "wrong", NOT_ANSWERED, "error")


class _Wrong(Exception):
    """Raised inside a tester with a message for the student (wrong value, shape or type)."""


@dataclass(frozen=True)
class Question:
    qid: str
    kind: str
    points: int
    hint: str
    digest: str = ""
    tester: Callable[[Callable], None] | None = None


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
    return f"{x + 0.0:.2e}"  # 3 significant figures; + 0.0 turns -0.0 into 0.0


def answer_digest(qid: str, kind: str, value: Any) -> str:
    """The digest stored for a right answer (used by instructors to add a question)."""
    kind = check_choice("kind", kind, ("number", "integer", "choice"))
    if kind == "number":
        return _digest(qid, _canonical_number(float(value)))
    if kind == "integer":
        return _digest(qid, str(int(value)))
    return _digest(qid, str(value).strip().lower())


# --------------------------------------------------------------------------------------------
# Testers for implementation questions. Each raises _Wrong with a message, or returns None.

def _as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"{what} must be numbers (a list, array or tensor), got "
                     f"{type(value).__name__}") from None
    if np.isnan(arr).any():
        raise _Wrong(f"{what} contains NaN")
    return arr


def _compare(got: np.ndarray, want: np.ndarray, what: str, rtol: float, atol: float) -> None:
    if got.shape != want.shape:
        raise _Wrong(f"{what} has shape {got.shape}, expected {want.shape}")
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        raise _Wrong(f"{what} is not right on a test input")


def _test_gradient_descent(fn: Callable) -> None:
    rng = np.random.default_rng(101)
    for case in range(4):
        a = rng.uniform(0.5, 3.0, size=2 if case % 2 else None)
        c = rng.normal(size=a.shape) if case % 2 else float(rng.normal())
        w0 = rng.normal(size=a.shape) * 3 if case % 2 else float(rng.normal() * 3)
        lr = float(rng.uniform(0.05, 0.6))
        steps = int(rng.integers(1, 12))
        got = _as_array(fn(lambda w, a=a, c=c: a * (w - c), w0, lr, steps), "the list of iterates")
        k = np.arange(steps + 1).reshape((-1,) + (1,) * np.ndim(a))
        want = c + (1 - lr * a) ** k * (np.asarray(w0) - c)  # closed form of the iteration
        _compare(got, want, "the list of iterates [w_0, ..., w_steps]", 1e-9, 1e-12)


def _test_numerical_grad(fn: Callable) -> None:
    rng = np.random.default_rng(102)
    for n in (1, 3, 6):
        b = rng.normal(size=n)
        w = rng.normal(size=n)
        w_before = w.copy()
        got = _as_array(fn(lambda v, b=b: np.sum(np.sin(v)) + 0.5 * (b @ v) ** 2, w, 1e-4),
                        "the gradient")
        if not np.array_equal(w, w_before):
            raise _Wrong("your function changed w in place; restore w[i] after each step")
        _compare(got, np.cos(w) + (b @ w) * b, "the gradient", 1e-6, 1e-7)


def _loss_for_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(model(x), y)


def _test_grad_norms(fn: Callable) -> None:
    from .nets import deep_mlp
    from .probes import layer_grad_norms

    gen = torch.Generator().manual_seed(103)
    for depth, act in ((3, "tanh"), (5, "sigmoid")):
        x = torch.randn(16, 8, generator=gen, dtype=torch.float64)
        y = torch.randint(0, 4, (16,), generator=gen)
        args = dict(activation=act, in_features=8, out_features=4, seed=depth,
                    dtype=torch.float64)
        student_model = deep_mlp(depth, 12, **args)
        got = _as_array(list(fn(student_model, x, y)), "the list of norms")
        ref_model = deep_mlp(depth, 12, **args)
        _loss_for_probe(ref_model, x, y).backward()
        want = np.array(list(layer_grad_norms(ref_model).values()))
        _compare(got, want, f"the norms for a depth-{depth} network", 1e-6, 1e-12)


def _test_bptt(fn: Callable) -> None:
    from .recurrence import forward, grad_autograd

    rng = np.random.default_rng(104)
    for T in (0, 1, 2, 7, 25):
        w, h0 = float(rng.uniform(-1.4, 1.4)), float(rng.uniform(-2, 2))
        out = fn(w, h0, T)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return a pair (L, dL_dw), got {type(out).__name__}")
        got = _as_array(out, "(L, dL_dw)")
        want = np.array([forward(w, h0, T)[-1], grad_autograd(w, h0, T)])
        _compare(got, want, f"(L, dL_dw) for T = {T}", 1e-9, 1e-12)


def _test_clip(fn: Callable) -> None:
    gen = torch.Generator().manual_seed(105)
    for max_norm in (0.5, 3.0, 100.0):
        grads = [torch.randn(3, 4, generator=gen, dtype=torch.float64),
                 torch.randn(5, generator=gen, dtype=torch.float64)]
        originals = [g.clone() for g in grads]
        out = fn(grads, max_norm)
        if not isinstance(out, (list, tuple)) or len(out) != len(grads):
            raise _Wrong(f"return a list of {len(grads)} tensors, one per gradient")
        params = [nn.Parameter(g.clone()) for g in originals]
        for p, g in zip(params, originals, strict=True):
            p.grad = g.clone()
        nn.utils.clip_grad_norm_(params, max_norm)
        for i, (o, p) in enumerate(zip(out, params, strict=True)):
            _compare(_as_array(o, f"gradient {i}"), p.grad.numpy(), f"clipped gradient {i} "
                     f"(max_norm = {max_norm})", 1e-5, 1e-9)


def _test_he_init(fn: Callable) -> None:
    state = torch.random.get_rng_state()
    torch.manual_seed(106)
    try:
        for fan_in, fan_out in ((400, 300), (100, 600)):
            layer = nn.Linear(fan_in, fan_out)
            nn.init.constant_(layer.bias, 0.5)
            fn(layer)
            w = layer.weight.detach().double()
            want = math.sqrt(2.0 / fan_in)
            if torch.isnan(w).any():
                raise _Wrong("the weights contain NaN")
            std, mean = float(w.std()), float(w.mean())
            if abs(std / want - 1) > 0.03:
                raise _Wrong(f"the weight std of a {fan_in}->{fan_out} layer is {std:.4g}; "
                             "it should depend on fan_in only")
            if abs(mean) > 5 * want / math.sqrt(w.numel()):
                raise _Wrong(f"the weights have mean {mean:.3g}; they should be centred on 0")
            if float(w.abs().max()) < 2.5 * want:
                raise _Wrong("the weights look uniform, not normal (no values beyond 2.5 std)")
            if float(layer.bias.detach().abs().max()) != 0.0:
                raise _Wrong("the bias should be set to zero")
    finally:
        torch.random.set_rng_state(state)


# --------------------------------------------------------------------------------------------
# The question table. Hints help without giving the answer away.

def _q(qid, kind, points, hint, digest="", tester=None):
    return Question(qid, kind, points, hint, digest, tester)


QUESTIONS: dict[str, Question] = {q.qid: q for q in [
    _q("hw1.q1", "number", 1, "unroll w_k - 3 = (1 - 2 lr)(w_{k-1} - 3), or run the loop.",
       "92ae90f5cf0899b442e1"),
    _q("hw1.q2", "number", 1, "each coordinate is its own 1-D problem; the stiffest one decides.",
       "b201fe61fb36ac79fd86"),
    _q("hw1.q3", "function", 2, "return [w_0, w_1, ..., w_steps], steps + 1 entries; "
       "w_{k+1} = w_k - lr * grad(w_k).", tester=_test_gradient_descent),
    _q("hw1.q4", "function", 2, "central differences (f(w + eps e_i) - f(w - eps e_i)) / (2 eps), "
       "on a float copy of w.", tester=_test_numerical_grad),
    _q("hw1.q5", "choice", 1, "compare |1 - lr * a| with 1 for each run.", "602db1944d1ded2c5e90"),
    _q("hw2.q1", "number", 1, "the largest value of sigma'(z) over all z, to the power 10.",
       "bccd6a3ba6930fb781d5"),
    _q("hw2.q2", "function", 2, "zero the gradients, loss = F.cross_entropy(model(x), y), "
       "loss.backward(), then the norm of each layer.weight.grad in model.linears.",
       tester=_test_grad_norms),
    _q("hw2.q3", "number", 1, "first entry of your list divided by the last one.",
       "0f0cb1eb41630dd25051"),
    _q("hw2.q4", "choice", 1, "look at the slope of each curve from the output to the input side.",
       "ced231afe1699a2e7498"),
    _q("hw2.q5", "integer", 1, "float32 has subnormal numbers below 1.18e-38; multiply in float32 "
       "and watch for exactly 0.", "1a7084e35a8ae56b8566"),
    _q("hw3.q1", "number", 1, "dL/dw is a sum of T equal terms.", "357a3f7b9b7638ffa7be"),
    _q("hw3.q2", "function", 2, "forward loop storing h_0..h_T; backward loop carrying "
       "dL/dh_t = w * dL/dh_{t+1} and adding h_{t-1} * dL/dh_t to dL/dw. T = 0 gives (h0, 0).",
       tester=_test_bptt),
    _q("hw3.q3", "integer", 1, "compare T * 1.5**(T - 1) with torch.finfo(torch.float32).max.",
       "140496590c6e80b8657b"),
    _q("hw3.q4", "number", 1, "d/dw (w^T h0 - y)^2 = 2 (w^T h0 - y) T w^(T-1) h0.",
       "3574fc78dd6053a49651"),
    _q("hw3.q5", "choice", 1, "for w = 1 the w^T rule says 'neither'; what does T w^(T-1) say?",
       "5e1660a5c386db47bdb6"),
    _q("hw4.q1", "function", 2, "one global norm over all tensors; scale only when it exceeds "
       "max_norm; return new tensors.", tester=_test_clip),
    _q("hw4.q2", "number", 1, "divide by the norm of g, multiply by the threshold.",
       "932aed6a87367c1db38a"),
    _q("hw4.q3", "function", 2, "normal with std sqrt(2 / fan_in), fan_in = layer.in_features; "
       "bias zero; work in place under torch.no_grad().", tester=_test_he_init),
    _q("hw4.q4", "number", 1, "He et al. 2015: Var(W) = 2 / fan_in.", "180f4f701fccb43e2be6"),
    _q("hw4.q5", "choice", 1, "clipping multiplies every layer's gradient by the same factor.",
       "2d6e80a98edc6eab75f6"),
]}

ASSIGNMENTS = tuple(sorted({q.split(".")[0] for q in QUESTIONS}))

_RESULTS: dict[str, Result] = {}


# --------------------------------------------------------------------------------------------

def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    student = [f for f in frames if "gradlab" not in f.filename.replace("\\", "/").split("/")]
    if not student:
        return ""
    f = student[-1]
    return f" (in {f.name}, line {f.lineno})"


def _judge_value(q: Question, value: Any) -> str:
    """Return "" if right, else a message. Raises _Wrong for a value of the wrong kind."""
    if q.kind == "choice":
        if not isinstance(value, str) or len(value.strip()) != 1:
            raise _Wrong(f"answer with one letter such as 'a', got {type(value).__name__} "
                         f"{value!r}")
        return "" if _digest(q.qid, value.strip().lower()) == q.digest else "not correct"
    if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
        size = value.numel() if isinstance(value, torch.Tensor) else value.size
        if size != 1:
            raise _Wrong(f"answer with a single number, got an array of shape "
                         f"{tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _Wrong(f"answer with a single number, got {type(value).__name__}")
    x = float(value)
    if math.isnan(x):
        raise _Wrong("your answer is NaN")
    if q.kind == "integer":
        if not x.is_integer():
            raise _Wrong(f"answer with a whole number, got {x!r}")
        return "" if _digest(q.qid, str(int(x))) == q.digest else "not correct"
    if math.isinf(x):
        raise _Wrong("your answer is infinite")
    # accept float noise at a rounding boundary: x (1 +- 1e-6) rounds to the stored value
    ok = any(_digest(q.qid, _canonical_number(x * (1 + d))) == q.digest for d in (0, 1e-6, -1e-6))
    return "" if ok else "not correct"


def _evaluate(q: Question, answer: Any) -> tuple[str, str]:
    try:
        if q.kind == "function":
            if not callable(answer):
                raise _Wrong(f"pass your function itself, got {type(answer).__name__}")
            q.tester(answer)
            return "correct", ""
        value = answer() if callable(answer) else answer
        message = _judge_value(q, value)
        return ("correct", "") if not message else ("wrong", message)
    except NotImplementedError:
        return NOT_ANSWERED, ""
    except _Wrong as err:
        return "wrong", str(err)
    except Exception as err:  # the student's code failed: report it in one line
        text = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        return "error", f"your code raised {type(err).__name__}{': ' + text if text else ''}" \
                        f"{_where(err)}"


def check(question: str, answer: Any) -> None:
    """Check ``answer`` to ``question`` (an id such as "hw2.q3"); print a verdict and a hint."""
    qid = check_choice("question", question, QUESTIONS)
    q = QUESTIONS[qid]
    status, message = _evaluate(q, answer)
    points = q.points if status == "correct" else 0
    unit = "point" if q.points == 1 else "points"
    if status == "correct":
        line = f"{qid} [{points}/{q.points} {unit}]: correct."
    elif status == NOT_ANSWERED:
        line = f"{qid} [{q.points} {unit}]: not answered yet. Hint: {q.hint}"
    else:
        line = f"{qid} [0/{q.points} {unit}]: {message}. Hint: {q.hint}"
    result = Result(qid, status, points, q.points, line)
    _RESULTS[qid] = result
    target = os.environ.get("GRADLAB_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result)) + "\n")
    print(line)


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
    print(f"{assignment}: {got} of {total} points; {counts['correct']} of {len(ids)} questions "
          f"correct, {counts[NOT_ANSWERED]} not answered yet, "
          f"{counts['wrong'] + counts['error']} to revisit.")
