"""The graded questions: parameters, variants and expected answers, on the instructor's side.

This module never runs in a student's kernel (the sandbox does not contain tools/). For every
question it knows:

- the public parameters (``defaults``): the numbers in the public student copy and the website;
- how to draw a variant's parameters from a random generator seeded by the instructor's secret
  (``draw``), so each student (or class) gets other numbers, other letters for the curves of a
  figure, and other hidden test inputs for the implementation questions;
- the expected answer for any parameters (``answer``), computed here, in the grader's process.

Masters may contain ``{{name}}`` placeholders in any cell; ``render`` fills them in.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from gradlab.homework import cases as hwcases
from gradlab.homework import checks

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Spec:
    """The instructor's side of a question: its parameters, variants and answer. Kind, points,
    hint and acceptance rule are the question's public definition, ``gradlab.homework.checks.QUESTIONS``
    (one place, read here)."""

    qid: str
    defaults: dict = field(default_factory=dict)
    draw: Callable[[np.random.Generator], dict] | None = None
    answer: Callable[[dict], Any] | None = None

    @property
    def question(self) -> checks.Question:
        return checks.QUESTIONS[self.qid]

    @property
    def kind(self) -> str:  # "number", "integer", "choice" or "function"
        return self.question.kind

    @property
    def points(self) -> int:
        return self.question.points


def _pick(rng: np.random.Generator, values) -> Any:
    values = list(values)
    value = values[int(rng.integers(len(values)))]
    return value.item() if hasattr(value, "item") else value


def _perm(rng: np.random.Generator, letters: str) -> str:
    return "".join(letters[i] for i in rng.permutation(len(letters)))


# ------------------------------------------------------------------------- expected answers

def _hw1_q1(p):
    return p["c"] + (1 - 2 * p["eta"]) ** p["k"] * (p["w0"] - p["c"])


def heavy_ball_steps(kappa: float, tol: float) -> int:
    """Steps of heavy-ball momentum with the tuned lr = 4/(1 + sqrt(kappa))^2 and
    beta = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2 on f = (w1^2 + kappa w2^2)/2 from (1, 1) until
    ||w_k|| <= tol ||w_0|| (w_{-1} = w_0)."""
    a = np.array([1.0, kappa])
    lr = 4 / (1 + math.sqrt(kappa)) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    w_prev = w = np.ones(2)
    start = np.linalg.norm(w)
    for k in range(100_000):
        if np.linalg.norm(w) <= tol * start:
            return k
        w, w_prev = w - lr * a * w + beta * (w - w_prev), w
    raise RuntimeError("heavy ball did not converge")


def eos_sharpness(a0: float, b0: float, eta: float, steps: int) -> float:
    """a^2 + b^2 after ``steps`` of gradient descent on f(a, b) = (ab - 1)^2 / 2 from (a0, b0)."""
    a, b = a0, b0
    for _ in range(steps):
        r = a * b - 1
        a, b = a - eta * r * b, b - eta * r * a
    return a * a + b * b


def _hw1_q7(p):
    return eos_sharpness(p["a0"], p["b0"], p["eta"], p["steps"])


_EOS = [(6.0, 0.1, 0.08), (6.0, 0.1, 0.1), (5.0, 0.3, 0.1), (5.0, 0.3, 0.12), (7.0, 0.05, 0.08)]


def _draw_eos(rng):
    a0, b0, eta = _EOS[int(rng.integers(len(_EOS)))]
    return {"a0": a0, "b0": b0, "eta": eta, "steps": 2000, "two_over_eta": round(2 / eta, 6)}


def _hw2_q3(p):
    import torch.nn.functional as F

    from gradlab.data import load_digits_split
    from gradlab.nets import deep_mlp

    data = load_digits_split()
    x, y = data.X_train[:256].double(), data.y_train[:256]
    model = deep_mlp(p["depth"], 32, activation="sigmoid", seed=p["seed"], dtype=torch.float64)
    F.cross_entropy(model(x), y).backward()
    norms = [float(layer.weight.grad.norm()) for layer in model.linears]
    return norms[0] / norms[-1]


def _hw2_q5(p):
    x, factor, depth = torch.tensor(1.0), torch.tensor(p["p"], dtype=torch.float32), 0
    while x != 0:
        x, depth = x * factor, depth + 1
    return depth


def _hw3_q3(p):
    big, T = float(torch.finfo(torch.float32).max), 1
    while T * p["w"] ** (T - 1) <= big:
        T += 1
    return T


def _hw3_q4(p):
    w, T = p["w"], p["T"]
    return w - p["lr"] * 2 * w**T * T * w ** (T - 1)


def _hw4_q2(p):
    g = np.array(p["g"], dtype=float)
    return float(g[0] * min(1.0, p["c"] / np.linalg.norm(g)))


# hw3.q5: the right statement first; a variant shows them in another order
HW3_Q5_OPTIONS = [
    "it grows, but only in proportion to $T$, because $\\partial L/\\partial w$ is a sum of $T$ "
    "terms each equal to $w^{T-1} h_0 = 1$;",
    "it is constant: the gradient neither grows nor shrinks with $T$;",
    "it grows exponentially, like the $w = 1.1$ curve;",
    "it decays, like the $w = 0.9$ curve.",
]


def _options(order: str) -> str:
    return "\n".join(f"- ({'abcd'[i]}) {HW3_Q5_OPTIONS[int(j)]}" for i, j in enumerate(order))


def _hw1_q5_params(labels: str, asked: int) -> dict:
    # labels[i] names the run with lr (0.45, 0.05, 0.55)[i]; the two runs with the same loss
    # are named in alphabetical order (their order must not tell which is which)
    same = sorted(labels[:2])
    return {"labels": labels, "asked": labels[asked], "same_a": same[0], "same_b": same[1],
            "asked_index": asked}


SPECS: dict[str, Spec] = {s.qid: s for s in [
    Spec("hw1.q1", {"c": 3, "w0": 0, "eta": 0.1, "k": 5},
         lambda r: {"c": _pick(r, (2, 3, 4, 5)), "w0": _pick(r, (-1, 0, 1)),
                    "eta": _pick(r, (0.05, 0.08, 0.1, 0.15, 0.2, 0.25)),
                    "k": _pick(r, range(4, 9))}, _hw1_q1),
    Spec("hw1.q2", {"a2": 10}, lambda r: {"a2": _pick(r, (4, 5, 8, 16, 20, 25))},
         lambda p: 2 / max(1, p["a2"])),
    Spec("hw1.q3"),
    Spec("hw1.q4"),
    Spec("hw1.q5", _hw1_q5_params("ABC", 0),
         lambda r: _hw1_q5_params(_perm(r, "ABC"), int(r.integers(3))),
         lambda p: "bac"[p["asked_index"]]),
    Spec("hw1.q6", {"kappa": 100, "tol_exp": 6},
         lambda r: {"kappa": _pick(r, (50, 200, 400, 1000)), "tol_exp": _pick(r, (5, 6, 8))},
         lambda p: heavy_ball_steps(p["kappa"], 10.0 ** -p["tol_exp"])),
    Spec("hw1.q7", {"a0": 6.0, "b0": 0.1, "eta": 0.1, "steps": 2000,
                                 "two_over_eta": 20.0}, _draw_eos, _hw1_q7),
    Spec("hw2.q1", {"n": 10}, lambda r: {"n": _pick(r, (6, 8, 12, 14))},
         lambda p: 0.25 ** p["n"]),
    Spec("hw2.q2"),
    Spec("hw2.q3", {"depth": 10, "seed": 0},
         lambda r: {"depth": _pick(r, (8, 9, 11, 12)), "seed": _pick(r, range(1, 6))}, _hw2_q3),
    Spec("hw2.q4", {"labels": "ABC"}, lambda r: {"labels": _perm(r, "ABC")},
         lambda p: "abc"["ABC".index(p["labels"][2])]),
    Spec("hw2.q5", {"p": 0.25}, lambda r: {"p": _pick(r, (0.5, 0.125, 0.1, 0.3))},
         _hw2_q5),
    Spec("hw3.q1", {"w": 0.9, "h0": 1, "T": 20},
         lambda r: {"w": _pick(r, (0.8, 0.85, 0.95)), "h0": _pick(r, (0.5, 2, 3)),
                    "T": _pick(r, range(10, 31))},
         lambda p: p["T"] * p["w"] ** (p["T"] - 1) * p["h0"]),
    Spec("hw3.q2"),
    Spec("hw3.q3", {"w": 1.5}, lambda r: {"w": _pick(r, (1.8, 2.0, 2.5, 3.0))},
         _hw3_q3),
    Spec("hw3.q4", {"w": 1.2, "T": 30, "lr": 0.01},
         lambda r: {"w": _pick(r, (1.1, 1.15, 1.25)), "T": _pick(r, range(20, 31)),
                    "lr": _pick(r, (0.01, 0.001))}, _hw3_q4),
    Spec("hw3.q5", {"order": "1023", "options": _options("1023")},
         lambda r: (lambda o: {"order": o, "options": _options(o)})(_perm(r, "0123")),
         lambda p: "abcd"[p["order"].index("0")]),
    Spec("hw4.q1"),
    Spec("hw4.q2", {"g": "2, -3, 6", "c": 1},
         lambda r: {"g": ", ".join(str(int(v)) for v in r.choice(
             [-7, -6, -5, -4, -3, -2, 2, 3, 4, 5, 6, 7], 3)), "c": _pick(r, (0.5, 1, 2))},
         lambda p: _hw4_q2({"g": [float(v) for v in p["g"].split(",")], "c": p["c"]})),
    Spec("hw4.q3"),
    Spec("hw4.q4", {"n_in": 256}, lambda r: {"n_in": _pick(r, (64, 100, 300, 512))},
         lambda p: math.sqrt(2 / p["n_in"])),
    Spec("hw4.q5", {"labels": "BCD"}, lambda r: {"labels": _perm(r, "BCD")},
         lambda p: "abcd"["ABCD".index(p["labels"][0])]),
]}

ASSIGNMENTS = tuple(sorted({q.split(".")[0] for q in SPECS}))


def questions(assignment: str) -> list[str]:
    return [q for q in SPECS if q.startswith(assignment + ".")]


# ----------------------------------------------------------------------------------- variants

def _rng(secret: bytes, key: str, qid: str, purpose: str) -> np.random.Generator:
    digest = hmac.new(secret, f"{key}|{qid}|{purpose}".encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def variant_tag(secret: bytes | None, key: str) -> str:
    """A short public name of a variant (printed on the student copy): a hash of the student id
    (or class name) only. It tells the grader whose copy a notebook is, and nothing about the
    secret: a tag computed from the secret would let a student test guessed secrets offline."""
    if secret is None:
        return "public"
    return hashlib.sha256(f"gradlab-variant|{key}".encode()).hexdigest()[:8]


def params(assignment: str, secret: bytes | None = None, key: str = "") -> dict[str, dict]:
    """Every question's parameters: the public ones, or the variant ``key`` of ``secret``."""
    out = {}
    for qid in questions(assignment):
        spec = SPECS[qid]
        if secret is None or spec.draw is None:
            out[qid] = dict(spec.defaults)
        else:
            out[qid] = spec.draw(_rng(secret, key, qid, "params"))
    return out


def cases(qid: str, secret: bytes | None, key: str) -> list[dict]:
    """Hidden test inputs of an implementation question (public ones without a secret)."""
    seed = _rng(secret, key, qid, "cases") if secret is not None else np.random.default_rng(
        abs(hash_text(qid)))
    return hwcases.make_cases(qid, seed)


def hash_text(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def template_values(assignment: str, secret: bytes | None = None, key: str = "",
                    with_answers: bool = False) -> dict:
    """The values of the ``{{name}}`` placeholders: ``q1_eta`` is parameter eta of q1, and with
    ``with_answers`` also ``q5_answer``, the letter of a choice question (for masters only)."""
    values = {"variant": variant_tag(secret, key)}
    for qid, p in params(assignment, secret, key).items():
        q = qid.split(".")[1]
        for name, value in p.items():
            values[f"{q}_{name}"] = value
        if with_answers and SPECS[qid].kind == "choice":
            values[f"{q}_answer"] = expected(qid, p)
    return values


def render(text: str, values: dict) -> str:
    """Fill every ``{{name}}`` in ``text``; an unknown name is an error (a typo in a master)."""
    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"placeholder {{{{{name}}}}} has no value; known: {sorted(values)}")
        return f"{values[name]:g}" if isinstance(values[name], float) else str(values[name])
    return PLACEHOLDER.sub(sub, text)


def expected(qid: str, p: dict) -> Any:
    spec = SPECS[qid]
    if spec.answer is None:
        raise ValueError(f"{qid} is an implementation question: use its cases")
    return spec.answer(p)
