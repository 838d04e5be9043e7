"""gradlab.clipping agrees with torch.nn.utils and with the formulas; bad inputs are refused."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from notebook_cells import cell_defining

from gradlab.clipping import (
    clip_by_norm,
    clip_by_value,
    clip_grads_by_norm_,
    clip_grads_by_value_,
    global_norm,
)


def random_params(seed: int, scale: float) -> list[torch.nn.Parameter]:
    gen = torch.Generator().manual_seed(seed)
    shapes = [(5, 3), (7,), (2, 4, 3)]
    params = [torch.nn.Parameter(torch.zeros(s, dtype=torch.float64)) for s in shapes]
    for p in params:
        p.grad = scale * torch.randn(p.shape, generator=gen, dtype=torch.float64)
    return params


def textbook_clip_norm(grads: list[torch.Tensor], c: float) -> list[torch.Tensor]:
    """The lesson's three lines (clipping notebook), written independently of gradlab."""
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    scale = min(1.0, c / total) if total > 0 else 1.0
    return [g * scale for g in grads]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_norm_clipping_matches_torch(seed, scale):
    c = 0.5
    ours, theirs = random_params(seed, scale), random_params(seed, scale)
    before = clip_grads_by_norm_(ours, c, eps=1e-6)
    torch_before = torch.nn.utils.clip_grad_norm_(theirs, c)
    assert before == pytest.approx(float(torch_before), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", range(20))
def test_textbook_formula_matches_torch_within_eps(seed):
    """Without eps the formula differs from torch's by a relative 1e-6 / ||g|| at most."""
    params = random_params(seed, 10.0)
    grads = [p.grad.clone() for p in params]
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    ours = clip_by_norm(grads, 1.0)
    book = textbook_clip_norm(grads, 1.0)
    for a, b, t in zip(ours, book, (p.grad for p in params), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=0.0)
        torch.testing.assert_close(a, t, rtol=1e-6, atol=0.0)


@pytest.mark.parametrize("seed", range(20))
def test_value_clipping_matches_torch(seed):
    ours, theirs = random_params(seed, 3.0), random_params(seed, 3.0)
    clip_grads_by_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, q in zip(ours, theirs, strict=True):
        assert torch.equal(p.grad, q.grad)
        assert float(p.grad.abs().max()) <= 1.5


def test_document_003_example():
    """g = 100, c = 5 gives 5: 100 / max(1, 100 / 5)."""
    out = clip_by_norm(torch.tensor([100.0], dtype=torch.float64), 5.0)
    assert float(out) == pytest.approx(100.0 / max(1.0, 100.0 / 5.0))
    assert float(out) == 5.0


vectors = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=20).filter(
    lambda v: math.sqrt(sum(x * x for x in v)) > 1e-6
)


@settings(max_examples=200, deadline=None)
@given(v=vectors, c=st.floats(1e-3, 1e3))
def test_norm_clipping_keeps_direction_and_caps_norm(v, c):
    g = torch.tensor(v, dtype=torch.float64)
    out = clip_by_norm(g, c)
    n, n_out = float(g.norm()), float(out.norm())
    assert n_out <= c * (1 + 1e-12) or n_out == pytest.approx(n, rel=1e-12)
    assert n_out == pytest.approx(min(n, c), rel=1e-9)
    cosine = float(torch.dot(g, out)) / (n * n_out)
    assert cosine == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(v=vectors, c=st.floats(1e-3, 1e3))
def test_value_clipping_caps_components_and_never_grows(v, c):
    g = torch.tensor(v, dtype=torch.float64)
    out = clip_by_value(g, c)
    assert float(out.abs().max()) <= c
    assert float(out.norm()) <= float(g.norm()) * (1 + 1e-12)


def test_value_clipping_can_turn_the_direction():
    g = torch.tensor([10.0, 1.0], dtype=torch.float64)
    out = clip_by_value(g, 1.0)
    cosine = float(torch.dot(g, out) / (g.norm() * out.norm()))
    assert cosine < 0.9


def test_clipping_never_enlarges_a_small_gradient():
    g = [torch.full((3,), 1e-9, dtype=torch.float64)]
    assert torch.equal(clip_by_norm(g, 1.0)[0], g[0])
    assert torch.equal(clip_by_value(g, 1.0)[0], g[0])


def test_global_norm_of_a_list():
    assert global_norm([torch.tensor([3.0]), torch.tensor([4.0])]) == pytest.approx(5.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_max_norm(bad):
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_norm(torch.ones(3), bad)


@pytest.mark.parametrize("bad", [0.0, -2.0])
def test_bad_clip_value(bad):
    with pytest.raises(ValueError, match="clip_value"):
        clip_by_value(torch.ones(3), bad)


def test_bad_types():
    with pytest.raises(TypeError, match="max_norm"):
        clip_by_norm(torch.ones(3), "1")
    with pytest.raises(TypeError, match="tensors"):
        clip_by_norm(3.0, 1.0)
    with pytest.raises(TypeError, match=r"tensors\[1\]"):
        clip_by_value([torch.ones(2), [1.0]], 1.0)
    with pytest.raises(ValueError, match="tensors"):
        clip_by_norm([], 1.0)
    with pytest.raises(ValueError, match="eps"):
        clip_by_norm(torch.ones(3), 1.0, eps=-1.0)


def test_parameters_without_gradients():
    p = torch.nn.Parameter(torch.ones(3))
    with pytest.raises(ValueError, match="backward"):
        clip_grads_by_norm_([p], 1.0)
    with pytest.raises(ValueError, match="backward"):
        clip_grads_by_value_([p], 1.0)


NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "remedies" / "clipping.ipynb"


@functools.cache
def notebook_clipping_functions():
    """Execute the clipping page's cell that defines clip_norm and clip_value; return both."""
    cell = cell_defining(NOTEBOOK, "clip_norm", "clip_value")
    definitions = "\n\n\n".join(cell.split("\n\n\n")[:2])  # the two functions only
    namespace: dict = {"math": math}
    exec(definitions, namespace)  # noqa: S102 - our own notebook's code
    return namespace["clip_norm"], namespace["clip_value"]


@settings(max_examples=100, deadline=None)
@given(v=vectors, w=vectors, c=st.floats(1e-3, 1e3))
def test_page_lines_agree_with_gradlab(v, w, c):
    clip_norm, clip_value = notebook_clipping_functions()
    grads = [torch.tensor(v, dtype=torch.float64), torch.tensor(w, dtype=torch.float64)]
    for page, lab in zip(clip_norm(grads, c), clip_by_norm(grads, c), strict=True):
        torch.testing.assert_close(page, lab, rtol=1e-12, atol=0.0)
    for page, lab in zip(clip_value(grads, c), clip_by_value(grads, c), strict=True):
        assert torch.equal(page, lab)
    # the check can fail: a different threshold gives a different result when clipping acts
    if float(torch.cat(grads).norm()) > 2 * c:
        assert not torch.equal(clip_norm(grads, c)[0], clip_by_norm(grads, 2 * c)[0])


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_in_place_clipping_checks_its_threshold(bad):
    params = random_params(0, 1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grads_by_norm_(params, bad)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grads_by_value_(params, bad)
    with pytest.raises(ValueError, match="eps"):
        clip_grads_by_norm_(params, 1.0, eps=-1.0)
