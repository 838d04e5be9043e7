"""The normalization page's hand-written BatchNorm (forward and backward) agrees with autograd and
with torch.nn.BatchNorm1d in float64, for random shapes, scales and upstream gradients."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from notebook_cells import cell_defining  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "remedies" / "normalization.ipynb"


@functools.cache
def page_batchnorm():
    """Execute the page's cell that defines batchnorm_forward and batchnorm_backward."""
    namespace: dict = {"torch": torch}
    exec(cell_defining(NOTEBOOK, "batchnorm_forward", "batchnorm_backward"), namespace)  # noqa: S102 - our own notebook's code
    return namespace["batchnorm_forward"], namespace["batchnorm_backward"]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), units=st.integers(1, 12), seed=st.integers(0, 10_000),
       scale=st.floats(1e-2, 1e2), shift=st.floats(-50, 50))
def test_hand_written_batchnorm_matches_autograd_and_torch(n, units, seed, scale, shift):
    forward, backward = page_batchnorm()
    gen = torch.Generator().manual_seed(seed)
    z = shift + scale * torch.randn(n, units, generator=gen, dtype=torch.float64)
    gamma = torch.randn(units, generator=gen, dtype=torch.float64)
    beta = torch.randn(units, generator=gen, dtype=torch.float64)
    dy = torch.randn(n, units, generator=gen, dtype=torch.float64)

    y, cache = forward(z, gamma, beta)
    dz, dgamma, dbeta = backward(dy, gamma, cache)

    leaves = [t.clone().requires_grad_() for t in (z, gamma, beta)]
    auto = torch.autograd.grad(forward(*leaves)[0], leaves, dy)

    bn = torch.nn.BatchNorm1d(units).double()
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    z_torch = z.clone().requires_grad_()
    y_torch = bn(z_torch)
    y_torch.backward(dy)

    size = max(1.0, float(dy.abs().max()) * float(gamma.abs().max()) / scale)
    tol = dict(rtol=1e-9, atol=1e-11 * size)
    torch.testing.assert_close(y, y_torch, rtol=1e-9, atol=1e-11)
    for ours, theirs in zip((dz, dgamma, dbeta), auto, strict=True):
        torch.testing.assert_close(ours, theirs, **tol)
    for ours, theirs in zip((dz, dgamma, dbeta), (z_torch.grad, bn.weight.grad, bn.bias.grad),
                            strict=True):
        torch.testing.assert_close(ours, theirs, **tol)


def test_the_comparison_can_fail():
    """A backward pass without the mean-removal term is caught."""
    forward, backward = page_batchnorm()
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    gamma, beta = torch.ones(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    dy = torch.randn(16, 3, generator=gen, dtype=torch.float64) + 1.0
    y, (z_hat, s) = forward(z, gamma, beta)
    dz, _, _ = backward(dy, gamma, (z_hat, s))
    naive = dy * gamma / s        # forgets that mu and sigma depend on z
    with pytest.raises(AssertionError):
        torch.testing.assert_close(dz, naive, rtol=1e-6, atol=1e-9)
