"""The right outputs of the implementation questions, on the grader's side only.

Computed with torch or a closed form, never with a copy of the solution, for any test case drawn
by ``gradlab.homework.cases.make_cases``. This module is outside the student's install (the sandbox
does not mount tools/), so nothing in a student's kernel can compute an answer for a hidden case:
the kernel's runner (``gradlab.homework.cases.run_case``) only reports what the student's function
returned, and ``gradlab.homework.cases.compare`` (the acceptance rule, shared with the self-check)
judges that against ``expected`` here. The self-check uses ``public_table()``'s outputs for the
public cases only, stored in ``gradlab/data/hw_public_cases.json`` by ``make homework``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from gradlab.homework import cases as hwcases


def expected(qid: str, case: dict) -> Any:
    """The right output for ``case`` (computed with torch or a closed form)."""
    if qid == "hw1.q3":
        a, c, w0 = (np.asarray(case[k], dtype=np.float64) for k in ("a", "c", "w0"))
        k = np.arange(case["steps"] + 1).reshape((-1,) + (1,) * a.ndim)
        return (c + (1 - case["lr"] * a) ** k * (w0 - c)).tolist()
    if qid == "hw1.q4":
        b, w = np.array(case["b"]), np.array(case["w"])
        return (np.cos(w) + (b @ w) * b).tolist()
    if qid == "hw2.q2":
        x, y = hwcases.digits_like(case)
        model = hwcases.mlp(case)
        nn.functional.cross_entropy(model(x), y).backward()
        return [float(layer.weight.grad.norm()) for layer in model.linears]
    if qid == "hw3.q2":
        w = torch.tensor(case["w"], dtype=torch.float64, requires_grad=True)
        h = torch.tensor(case["h0"], dtype=torch.float64)
        for _ in range(case["T"]):
            h = w * h
        if case["T"] > 0:
            h.backward()
        return [float(h.detach()), float(w.grad) if w.grad is not None else 0.0]
    if qid == "hw4.q1":
        params = [nn.Parameter(g.clone()) for g in hwcases.grads(case)]
        for p in params:
            p.grad = p.detach().clone()
        nn.utils.clip_grad_norm_(params, case["max_norm"])
        return [p.grad.tolist() for p in params]
    if qid == "hw4.q3":
        return {"shape": [case["fan_out"], case["fan_in"]], "std": math.sqrt(2 / case["fan_in"])}
    raise ValueError(f"qid must be one of {hwcases.FUNCTION_QUESTIONS}, got {qid!r}")


def public_table() -> dict[str, list[dict]]:
    """The public cases of every implementation question with their right outputs (what the
    students' self-check compares with; the same cases are in the public masters)."""
    table = {}
    for qid in hwcases.FUNCTION_QUESTIONS:
        cases = hwcases.make_cases(qid, np.random.default_rng(hwcases.PUBLIC_SEED[qid]))
        table[qid] = [{"case": c, "want": expected(qid, c)} for c in cases]
    return table
