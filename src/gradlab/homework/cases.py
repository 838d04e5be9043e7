"""Test cases of the homework's implementation questions: inputs, the runner and the judge.

Nothing here knows a right answer: the reference outputs are computed by the grader, outside the
student's install (tools/grading/reference.py). For every implementation question ``qid``:

- ``make_cases(qid, rng)``: JSON-safe inputs drawn from ``rng`` (the self-check uses the public
  seeds ``PUBLIC_SEED``; the grader draws them at grading time from the instructor's secret);
- ``run_case(qid, fn, case)``: the only step that runs student code, and the only one that runs
  in the student's kernel when grading. It builds the real inputs (arrays, tensors, layers,
  networks) from ``case``, calls ``fn`` with the shortcuts the question forbids made unavailable,
  and returns a JSON-safe record of what ``fn`` returned (plus whether it changed its inputs).
  It never judges anything, and patching it gains nothing: its record is judged by the grader;
- ``compare(qid, case, record, want)``: the acceptance rule, "" if the record matches ``want``
  (the reference output), else a message for the student.

Numbers are compared with a symmetric relative tolerance: ``|got - want| <= rtol * |want| + atol``.
"""

from __future__ import annotations

import builtins
import math
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

FUNCTION_QUESTIONS = ("hw1.q3", "hw1.q4", "hw2.q2", "hw3.q2", "hw4.q1", "hw4.q3")
# the seeds of the public cases (the self-check's; graded cases come from the instructor's secret)
PUBLIC_SEED = {"hw1.q3": 101, "hw1.q4": 102, "hw2.q2": 103, "hw3.q2": 104, "hw4.q1": 105,
               "hw4.q3": 106}


class Forbidden(RuntimeError):
    """Raised when an answer calls a shortcut that its question forbids."""


class Wrong(Exception):
    """A message for the student: the output has the wrong value, type or shape."""


# ------------------------------------------------------------------------------------ inputs

def make_cases(qid: str, rng: np.random.Generator) -> list[dict]:
    """JSON-safe test inputs for the implementation question ``qid``, drawn from ``rng``."""
    cases: list[dict] = []
    if qid == "hw1.q3":
        for k in range(4):
            n = 2 if k % 2 else 0  # 0: scalar problem, 2: a vector problem
            shape = (n,) if n else ()
            a = rng.uniform(0.5, 3.0, size=shape)
            cases.append(dict(a=np.asarray(a).tolist(),
                              c=np.asarray(rng.normal(size=shape)).tolist(),
                              w0=np.asarray(rng.normal(size=shape) * 3).tolist(),
                              lr=float(rng.uniform(0.05, 0.6)), steps=int(rng.integers(1, 12))))
    elif qid == "hw1.q4":
        for n in (1, 3, 6):
            cases.append(dict(b=rng.normal(size=n).tolist(), w=rng.normal(size=n).tolist()))
    elif qid == "hw2.q2":
        for depth, act in ((3, "tanh"), (int(rng.integers(4, 7)), "sigmoid")):
            cases.append(dict(depth=depth, width=int(rng.integers(8, 16)), activation=act,
                              seed=int(rng.integers(0, 10_000)), batch=16,
                              data_seed=int(rng.integers(0, 10_000))))
    elif qid == "hw3.q2":
        for T in (0, 1, 2, int(rng.integers(5, 10)), int(rng.integers(20, 30))):
            cases.append(dict(w=float(rng.uniform(-1.4, 1.4)), h0=float(rng.uniform(-2, 2)),
                              T=T))
    elif qid == "hw4.q1":
        for max_norm in (float(rng.uniform(0.3, 1.0)), float(rng.uniform(2.0, 4.0)), 100.0):
            cases.append(dict(max_norm=max_norm, shapes=[[3, 4], [5]],
                              seed=int(rng.integers(0, 10_000))))
    elif qid == "hw4.q3":
        for fan_in, fan_out in ((int(rng.integers(300, 500)), int(rng.integers(200, 300))),
                                (int(rng.integers(80, 120)), int(rng.integers(500, 700)))):
            cases.append(dict(fan_in=fan_in, fan_out=fan_out, seed=int(rng.integers(0, 10_000))))
    else:
        raise ValueError(f"qid must be one of {FUNCTION_QUESTIONS}, got {qid!r}")
    return cases


def digits_like(case: dict) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(case["data_seed"])
    x = torch.randn(case["batch"], 8, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 4, (case["batch"],), generator=gen)
    return x, y


def mlp(case: dict) -> nn.Module:
    from ..nets import deep_mlp

    return deep_mlp(case["depth"], case["width"], activation=case["activation"], in_features=8,
                    out_features=4, seed=case["seed"], dtype=torch.float64)


def grads(case: dict) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(case["seed"])
    return [torch.randn(*s, generator=gen, dtype=torch.float64) for s in case["shapes"]]


# ------------------------------------------------------------------------- running an answer

class _NoPowerFloat(float):
    """A float whose powers are refused: hw3.q2 must be a loop, not the closed form T w^(T-1)."""

    def __pow__(self, other, mod=None):
        raise Forbidden("this question asks for loops; w ** n (the closed form) is not allowed")

    def __rpow__(self, other, mod=None):
        raise Forbidden("this question asks for loops; ** with w is not allowed")


def _forbid(namespace: dict | None, targets: list[tuple[object, str]]) -> Callable[[], None]:
    """Replace module attributes (and the same objects in ``namespace``) by a refusing stub."""
    saved: list[tuple[Any, str, Any]] = []
    originals = {}
    for owner, name in targets:
        original = getattr(owner, name)
        originals[id(original)] = name
        saved.append((owner, name, original))
        setattr(owner, name, _refuser(name))
    if namespace is not None:
        for key, value in list(namespace.items()):
            if id(value) in originals:
                saved.append((namespace, key, value))
                namespace[key] = _refuser(originals[id(value)])

    def restore() -> None:
        for owner, name, original in reversed(saved):
            if isinstance(owner, dict):
                owner[name] = original
            else:
                setattr(owner, name, original)

    return restore


def _refuser(name: str) -> Callable:
    def stub(*args, **kwargs):
        raise Forbidden(f"{name} is not allowed in this question; write it yourself")
    return stub


def _no_autograd(namespace: dict | None) -> Callable[[], None]:
    return _forbid(namespace, [(torch.Tensor, "backward"), (torch.autograd, "grad"),
                               (torch.autograd, "backward")])


# What each question forbids, by name (a call, attribute or import of one of these names in
# the answer, or in a function it calls, is flagged by the grader; the runner below also makes
# them unavailable while the answer runs). "**" stands for the power operator.
FORBIDDEN = {
    "hw1.q4": ("numerical_gradient",),
    "hw2.q2": ("layer_grad_norms", "grad_norms", "hidden_grad_norms"),
    "hw3.q2": ("backward", "autograd", "grad_terms", "grad_closed_form", "grad_autograd",
               "recurrence", "pow", "power", "**"),
    "hw4.q1": ("clip_grad_norm_", "clip_grad_norm", "clip_by_norm", "clip_grads_by_norm_",
               "clip_grad"),
    "hw4.q3": ("kaiming_normal_", "kaiming_uniform_", "kaiming_normal", "kaiming_uniform"),
}


def _restrictions(qid: str, namespace: dict | None) -> Callable[[], None]:
    """Make unavailable what question ``qid`` forbids; return the function that restores it."""
    if qid == "hw2.q2":
        from .. import probes

        return _forbid(namespace, [(probes, "layer_grad_norms"), (probes, "grad_norms"),
                                   (probes, "hidden_grad_norms")])
    if qid == "hw3.q2":
        from .. import recurrence

        undo_grad = _no_autograd(namespace)
        undo_rec = _forbid(namespace, [(recurrence, n) for n in (
            "forward", "grad_terms", "grad_closed_form", "grad_autograd")])
        undo_pow = _forbid(namespace, [(builtins, "pow"), (math, "pow"), (np, "power"),
                                       (torch, "pow")])

        def restore() -> None:
            undo_pow()
            undo_rec()
            undo_grad()
        return restore
    if qid == "hw4.q1":
        from .. import clipping

        return _forbid(namespace, [(nn.utils, "clip_grad_norm_"), (clipping, "clip_by_norm"),
                                   (clipping, "clip_grads_by_norm_")])
    if qid == "hw4.q3":
        return _forbid(namespace, [(nn.init, "kaiming_normal_"), (nn.init, "kaiming_uniform_")])
    return lambda: None


def _where(err: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if "gradlab" not in f.filename.replace("\\", "/").split("/")]
    return f" (in {frames[-1].name}, line {frames[-1].lineno})" if frames else ""


def to_json(value: Any, what: str = "your answer") -> Any:
    """A JSON-safe copy of an answer: numbers, (nested) lists, strings; tensors and arrays become
    lists. Raises Wrong with a message naming the real problem (None, a tensor needing
    ``.detach()``, an unsupported type)."""
    if value is None:
        raise Wrong(f"{what} is None: did the function forget to `return` its result?")
    if isinstance(value, torch.Tensor):
        if value.requires_grad:
            raise Wrong(f"{what} is a tensor that still requires grad: return "
                        "`t.detach()` or `float(t)` instead")
        value = value.detach().cpu().double().numpy()
    if isinstance(value, np.ndarray | np.generic):
        if value.dtype.kind not in "fiub":
            raise Wrong(f"{what} must hold numbers, got an array of {value.dtype}")
        return {"array": np.asarray(value, dtype=np.float64).tolist(),
                "shape": list(np.shape(value))}
    if isinstance(value, bool):
        raise Wrong(f"{what} must be a number, got bool {value!r}")
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, list | tuple):
        return {"list" if isinstance(value, list) else "tuple":
                [to_json(v, f"an entry of {what}") for v in value]}
    raise Wrong(f"{what} must be numbers (a float, list, array or tensor), got "
                f"{type(value).__name__}")


def run_case(qid: str, fn: Any, case: dict, namespace: dict | None = None) -> dict:
    """Call the student's ``fn`` on the inputs described by ``case``; describe what it did.

    Returns {"status": "ok", "output": ..., "inputs_changed": bool}, or {"status":
    "not answered"} for a stub, or {"status": "wrong"|"error", "message": ...}. ``namespace``
    (the notebook's globals) lets the forbidden shortcuts be hidden from it too.
    """
    if fn is None:
        return {"status": "not answered", "message": "the function is not defined"}
    if not callable(fn):
        return {"status": "wrong", "message": f"pass your function itself, got "
                                              f"{type(fn).__name__}"}
    changed = False

    def call(*args):
        restore = _restrictions(qid, namespace)
        try:
            return fn(*args)
        finally:
            restore()

    try:
        if qid == "hw1.q3":
            a, c, w0 = (np.asarray(case[k], dtype=np.float64) if isinstance(case[k], list)
                        else case[k] for k in ("a", "c", "w0"))
            w0_copy = np.copy(w0)
            out = call(lambda w: a * (w - c), w0, case["lr"], case["steps"])
            changed = not np.array_equal(w0, w0_copy)
        elif qid == "hw1.q4":
            b, w = np.array(case["b"]), np.array(case["w"])
            w_copy = w.copy()
            out = call(lambda v: np.sum(np.sin(v)) + 0.5 * (b @ v) ** 2, w, 1e-4)
            changed = not np.array_equal(w, w_copy)
        elif qid == "hw2.q2":
            x, y = digits_like(case)
            out = call(mlp(case), x, y)
            tensors = [out] if isinstance(out, torch.Tensor) else [
                v for v in out if isinstance(v, torch.Tensor)] if isinstance(
                    out, list | tuple) else []
            if tensors:
                grad = " that still require grad" if any(t.requires_grad for t in tensors) else ""
                raise Wrong(f"the norms are tensors{grad}: return a list of Python floats, "
                            "float(norm) for each")
        elif qid == "hw3.q2":
            out = call(_NoPowerFloat(case["w"]), case["h0"], case["T"])
        elif qid == "hw4.q1":
            tensors_in = grads(case)
            copies = [g.clone() for g in tensors_in]
            out = call(tensors_in, case["max_norm"])
            changed = any(not torch.equal(g, c) for g, c in zip(tensors_in, copies,
                                                                 strict=True))
        elif qid == "hw4.q3":
            torch.manual_seed(case["seed"])
            layer = nn.Linear(case["fan_in"], case["fan_out"], dtype=torch.float64)
            with torch.no_grad():
                layer.bias.fill_(0.5)
            call(layer)
            w = layer.weight.detach()
            out = {"shape": list(w.shape), "std": float(w.std()), "mean": float(w.mean()),
                   "max_abs": float(w.abs().max()), "numel": w.numel(),
                   "bias_max_abs": float(layer.bias.detach().abs().max()),
                   "nan": bool(torch.isnan(w).any())}
            return {"status": "ok", "output": {"stats": out}, "inputs_changed": False}
        else:
            raise ValueError(f"qid must be one of {FUNCTION_QUESTIONS}, got {qid!r}")
        return {"status": "ok", "output": to_json(out, "the returned value"),
                "inputs_changed": bool(changed)}
    except NotImplementedError:
        return {"status": "not answered"}
    except Wrong as err:
        return {"status": "wrong", "message": str(err)}
    except Forbidden as err:
        return {"status": "wrong", "message": f"{err}{_where(err)}"}
    except Exception as err:  # noqa: BLE001 - the student's code failed: say so in one line
        text = str(err).strip().splitlines()[0][:160] if str(err).strip() else ""
        return {"status": "error", "message": f"your code raised {type(err).__name__}"
                                              f"{': ' + text if text else ''}{_where(err)}"}


# ------------------------------------------------------------------- judging (no answers here)

def _numbers(value: Any, what: str) -> np.ndarray:
    """The numbers in a to_json record as a float array (Wrong if there are none)."""
    def unwrap(v):
        if isinstance(v, dict):
            if "array" in v:
                return v["array"]
            inner = v.get("list", v.get("tuple"))
            if inner is None:
                raise Wrong(f"{what} must be numbers")
            return [unwrap(x) for x in inner]
        if isinstance(v, str):
            raise Wrong(f"{what} must be numbers, got str")
        return v
    try:
        arr = np.array(unwrap(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"{what} must be numbers of matching shapes") from None
    if np.isnan(arr).any():
        raise Wrong(f"{what} contains NaN")
    return arr


def close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    """Symmetric relative closeness: |got - want| <= rtol |want| + atol, elementwise."""
    return bool(np.all(np.abs(got - want) <= rtol * np.abs(want) + atol))


def _same(got: np.ndarray, want: np.ndarray, what: str, rtol: float, atol: float) -> None:
    if got.shape != want.shape:
        raise Wrong(f"{what} has shape {got.shape}, expected {want.shape}")
    if not close(got, want, rtol, atol):
        raise Wrong(f"{what} is not right on a test input")


def compare(qid: str, case: dict, record: dict, want: Any) -> str:
    """"" if ``record`` (from run_case) matches ``want`` (from expected), else a message."""
    if not isinstance(record, dict) or "output" not in record:
        raise ValueError("record must be a dict from run_case with an 'output'")
    out = record["output"]
    try:
        if record.get("inputs_changed"):
            raise Wrong("your function changed its inputs in place; work on copies")
        if qid == "hw1.q3":
            got = _numbers(out, "the list of iterates")
            _same(got, np.array(want), "the list of iterates [w_0, ..., w_steps]", 1e-9, 1e-12)
        elif qid == "hw1.q4":
            _same(_numbers(out, "the gradient"), np.array(want), "the gradient", 1e-6, 1e-7)
        elif qid == "hw2.q2":
            if not (isinstance(out, dict) and "list" in out):
                raise Wrong("return a list of floats, one per layer")
            _same(_numbers(out, "the list of norms"), np.array(want),
                  f"the norms for a depth-{case['depth']} network", 1e-6, 1e-12)
        elif qid == "hw3.q2":
            if not (isinstance(out, dict) and ("tuple" in out or "list" in out)
                    and len(out.get("tuple", out.get("list"))) == 2):
                raise Wrong("return a pair (L, dL_dw)")
            _same(_numbers(out, "(L, dL_dw)"), np.array(want),
                  f"(L, dL_dw) for T = {case['T']}", 1e-9, 1e-12)
        elif qid == "hw4.q1":
            items = out.get("list", out.get("tuple")) if isinstance(out, dict) else None
            if items is None or len(items) != len(want):
                raise Wrong(f"return a list of {len(want)} tensors, one per gradient")
            for i, (o, w) in enumerate(zip(items, want, strict=True)):
                _same(_numbers(o, f"gradient {i}"), np.array(w),
                      f"clipped gradient {i} (max_norm = {case['max_norm']:.3g})", 1e-6, 1e-12)
        elif qid == "hw4.q3":
            s = out["stats"]
            if s["nan"]:
                raise Wrong("the weights contain NaN")
            if s["shape"] != want["shape"]:
                raise Wrong(f"the weight has shape {tuple(s['shape'])}; nn.Linear keeps it as "
                            f"(out_features, in_features) = {tuple(want['shape'])}")
            if abs(s["std"] / want["std"] - 1) > 0.03:
                raise Wrong(f"the weight std of a {case['fan_in']}->{case['fan_out']} layer is "
                            f"{s['std']:.4g}; check which fan it should depend on")
            if abs(s["mean"]) > 5 * want["std"] / math.sqrt(s["numel"]):
                raise Wrong(f"the weights have mean {s['mean']:.3g}; they should be centred "
                            "on 0")
            if s["max_abs"] < 2.5 * want["std"]:
                raise Wrong("the weights look uniform, not normal (no values beyond 2.5 std)")
            if s["bias_max_abs"] != 0.0:
                raise Wrong("the bias should be set to zero")
        else:
            raise ValueError(f"qid must be one of {FUNCTION_QUESTIONS}, got {qid!r}")
    except Wrong as err:
        return str(err)
    return ""
