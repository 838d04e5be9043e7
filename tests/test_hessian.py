"""gradlab.hessian: Hessian-vector products and power iteration against quadratics whose Hessian
eigenvalues are chosen, and against autograd's full Hessian of a small network."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.hessian import TopEigen, hvp, sharpness


def quadratic(eigenvalues: list[float], seed: int = 0):
    """L(theta) = 1/2 theta^T A theta with A = Q diag(eigenvalues) Q^T, Q a random rotation."""
    gen = torch.Generator().manual_seed(seed)
    n = len(eigenvalues)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    a = q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T
    theta = torch.randn(n, generator=gen, dtype=torch.float64, requires_grad=True)
    return a, q, theta, (lambda: 0.5 * theta @ a @ theta)


@given(st.lists(st.floats(-10, 10), min_size=2, max_size=8), st.integers(0, 100))
@settings(max_examples=30, deadline=None)
def test_hvp_of_a_quadratic_is_a_times_v(eigs, seed):
    a, _, theta, loss = quadratic(eigs, seed)
    v = torch.randn(len(eigs), generator=torch.Generator().manual_seed(seed + 1),
                    dtype=torch.float64)
    assert torch.allclose(hvp(loss, [theta], v), a @ v, atol=1e-10)


@pytest.mark.parametrize("eigs", [[5.0, 1.0, 0.5, 0.1], [3.0, -1.0, 2.0, 0.0, 0.5],
                                  [100.0, 10.0, 1.0], [-7.0, 2.0, 1.0]])
def test_sharpness_finds_the_largest_eigenvalue_and_its_vector(eigs):
    _, q, theta, loss = quadratic(eigs, seed=3)
    top = sharpness(loss, [theta], iters=500, tol=1e-12)
    i = max(range(len(eigs)), key=lambda j: abs(eigs[j]))
    assert isinstance(top, TopEigen)
    assert top.value == pytest.approx(eigs[i], rel=1e-8)
    assert abs(float(top.vector @ q[:, i])) == pytest.approx(1.0, abs=1e-6)
    assert top.iterations < 500


def test_warm_start_needs_fewer_iterations():
    _, _, theta, loss = quadratic([4.0, 3.6, 1.0, 0.2], seed=1)
    cold = sharpness(loss, [theta], iters=1000, tol=1e-10)
    warm = sharpness(loss, [theta], iters=1000, tol=1e-10, v0=cold.vector)
    assert warm.value == pytest.approx(4.0, rel=1e-8) and cold.value == pytest.approx(4.0)
    assert warm.iterations < cold.iterations


def test_hvp_matches_the_full_hessian_of_a_small_network():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    net = net.double()
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    params = list(net.parameters())
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def loss_of_flat(flat):
        chunks = torch.split(flat, sizes)
        w1, b1, w2, b2 = (c.reshape(s) for c, s in zip(chunks, shapes, strict=True))
        out = torch.tanh(x @ w1.T + b1) @ w2.T + b2
        return ((out - y) ** 2).mean()

    flat = torch.cat([p.detach().reshape(-1) for p in params])
    full = torch.autograd.functional.hessian(loss_of_flat, flat)
    v = torch.randn(flat.numel(), dtype=torch.float64)
    loss = lambda: ((net(x) - y) ** 2).mean()  # noqa: E731
    assert torch.allclose(hvp(loss, params, v), full @ v, atol=1e-10)
    top = sharpness(loss, params, iters=2000, tol=1e-13)
    eig = torch.linalg.eigvalsh(full)
    assert top.value == pytest.approx(float(eig[eig.abs().argmax()]), rel=1e-6)


def test_null_direction_gives_zero():
    theta = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    loss = lambda: theta[0] ** 2  # noqa: E731
    top = sharpness(loss, [theta], v0=torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))
    assert top.value == 0.0 and top.iterations == 1


def test_bad_arguments_name_the_argument():
    _, _, theta, loss = quadratic([1.0, 2.0])
    v = torch.ones(2, dtype=torch.float64)
    with pytest.raises(TypeError, match="loss_fn"):
        hvp("loss", [theta], v)
    with pytest.raises(ValueError, match="loss_fn must return a scalar"):
        hvp(lambda: theta * 2, [theta], v)
    with pytest.raises(TypeError, match="params"):
        hvp(loss, 3, v)
    with pytest.raises(ValueError, match="params"):
        hvp(loss, [], v)
    with pytest.raises(TypeError, match=r"params\[0\]"):
        hvp(loss, [theta.detach()], v)
    with pytest.raises(ValueError, match="v must be a 1-D tensor of 2"):
        hvp(loss, [theta], torch.ones(3))
    with pytest.raises(ValueError, match="v must be finite and nonzero"):
        hvp(loss, [theta], torch.zeros(2))
    with pytest.raises(ValueError, match="iters"):
        sharpness(loss, [theta], iters=0)
    with pytest.raises(TypeError, match="iters"):
        sharpness(loss, [theta], iters=2.5)
    with pytest.raises(ValueError, match="tol"):
        sharpness(loss, [theta], tol=-1.0)
    with pytest.raises(ValueError, match="seed"):
        sharpness(loss, [theta], seed=-1)
    with pytest.raises(ValueError, match="v0"):
        sharpness(loss, [theta], v0=torch.ones(5))
