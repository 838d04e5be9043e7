"""Chapter 3: the scalar recurrence h_t = w h_{t-1}, matrix recurrences and tanh-RNN Jacobians.

The laws tested here are the chapter's claims: the hand-derived gradient T w^(T-1) h_0 equals
autograd and finite differences; the Jacobian product equals autograd's Jacobian; Pascanu et al.'s
bound ||dh_T/dh_0|| <= (gamma sigma_max)^T holds.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab import recurrence, rnn_jacobian, wT_explorer
from gradlab.explorer import explore_in_lab

ws = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)
h0s = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)
Ts = st.integers(min_value=0, max_value=40)


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12 * max(1.0, abs(b)))


# ---------------------------------------------------------------- scalar recurrence


@settings(max_examples=200, deadline=None)
@given(w=ws, h0=h0s, T=Ts)
def test_closed_form_equals_autograd(w, h0, T):
    assert close(recurrence.grad_closed_form(w, h0, T), recurrence.grad_autograd(w, h0, T))


@settings(max_examples=200, deadline=None)
@given(w=ws, h0=h0s, T=Ts)
def test_sum_of_terms_equals_closed_form(w, h0, T):
    assert close(sum(recurrence.grad_terms(w, h0, T)), recurrence.grad_closed_form(w, h0, T))


@settings(max_examples=100, deadline=None)
@given(w=st.floats(min_value=-2.0, max_value=2.0), h0=h0s, T=st.integers(1, 20))
def test_closed_form_matches_central_differences(w, h0, T):
    eps = 1e-6
    L_plus = recurrence.forward(w + eps, h0, T)[-1]
    L_minus = recurrence.forward(w - eps, h0, T)[-1]
    fd = (L_plus - L_minus) / (2 * eps)
    exact = recurrence.grad_closed_form(w, h0, T)
    # truncation error of a central difference is (eps^2/6) |L'''|; allow it plus rounding
    third = T * (T - 1) * (T - 2) * (abs(w) + eps) ** max(T - 3, 0) * abs(h0)
    scale = max(abs(v) for v in recurrence.forward(abs(w) + eps, abs(h0), T))
    assert abs(fd - exact) <= eps**2 * third + 1e-8 * scale / eps + 1e-12


def test_document_003_example():
    """h_0 = 1, w = 2, T = 5: states 1..32, five terms of 16, gradient 80 (all computed here)."""
    assert recurrence.forward(2.0, 1.0, 5) == [2.0**t for t in range(6)]
    assert recurrence.grad_terms(2.0, 1.0, 5) == [2.0**4] * 5
    assert recurrence.grad_autograd(2.0, 1.0, 5) == 5 * 2.0**4


@pytest.mark.parametrize("T", [10, 20, 50])
def test_gradient_is_T_over_w_times_the_loss(T):
    """The document's table lists w^T h_0; the gradient is (T/w) times that."""
    w, h0 = 2.0, 1.0
    assert close(recurrence.grad_autograd(w, h0, T), T / w * recurrence.forward(w, h0, T)[-1])


@settings(max_examples=50, deadline=None)
@given(w=ws, h0=h0s, T=st.integers(1, 15), y=st.floats(-10, 10))
def test_squared_loss_grad_equals_autograd(w, h0, T, y):
    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    ((w_t**T * h0 - y) ** 2).backward()
    assert close(recurrence.squared_loss_grad(w, h0, T, y), float(w_t.grad), rel=1e-8)
    assert close(recurrence.squared_loss(w, h0, T, y), (w**T * h0 - y) ** 2, rel=1e-8)


@pytest.mark.parametrize("fn", [recurrence.forward, recurrence.grad_terms,
                                recurrence.grad_closed_form, recurrence.grad_autograd])
def test_scalar_bad_inputs(fn):
    with pytest.raises(ValueError, match="T must be >= 0"):
        fn(2.0, 1.0, -1)
    with pytest.raises(TypeError, match="T must be an integer"):
        fn(2.0, 1.0, 2.5)
    with pytest.raises(ValueError, match="w must be a finite number"):
        fn(math.nan, 1.0, 3)
    with pytest.raises(TypeError, match="h0 must be a real number"):
        fn(2.0, "1", 3)


def test_squared_loss_bad_target():
    with pytest.raises(ValueError, match="y must be a finite number"):
        recurrence.squared_loss(2.0, 1.0, 3, math.inf)
    with pytest.raises(TypeError, match="y must be a real number"):
        recurrence.squared_loss_grad(2.0, 1.0, 3, None)


# ---------------------------------------------------------------- matrices and tanh RNNs


def _rnn(n=6, m=3, T=12, scale=1.5, seed=3):
    g = torch.Generator().manual_seed(seed)
    W = rnn_jacobian.scaled_orthogonal(n, scale, seed=seed)
    U = torch.randn(n, m, generator=g, dtype=torch.float64)
    xs = torch.randn(T, m, generator=g, dtype=torch.float64)
    h0 = 0.1 * torch.randn(n, generator=g, dtype=torch.float64)
    return W, U, xs, h0


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(0.1, 4.0), seed=st.integers(0, 10_000),
       activation=st.sampled_from(["tanh", "sigmoid", "identity"]))
def test_jacobian_norms_equal_autograd(scale, seed, activation):
    W, U, xs, h0 = _rnn(scale=scale, seed=seed)
    T = xs.shape[0]

    def _unroll(h):
        phi = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda a: a}[activation]
        for x in xs:
            h = phi(W @ h + U @ x)
        return h

    J = torch.autograd.functional.jacobian(_unroll, h0)
    ours = rnn_jacobian.rnn_jacobian_norms(W, U, xs, h0, activation)
    assert len(ours) == T
    assert close(ours[-1], float(torch.linalg.matrix_norm(J, ord=2)), rel=1e-8)
    states = rnn_jacobian.rnn_states(W, U, xs, h0, activation)
    assert torch.allclose(states[-1], _unroll(h0), rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(0.1, 4.0), seed=st.integers(0, 10_000),
       activation=st.sampled_from(["tanh", "sigmoid"]))
def test_pascanu_bound_holds(scale, seed, activation):
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(6, 6, generator=gen, dtype=torch.float64) * scale / 6**0.5
    _, U, xs, h0 = _rnn(seed=seed)
    norms = rnn_jacobian.rnn_jacobian_norms(W, U, xs, h0, activation)
    bound = rnn_jacobian.jacobian_bound(W, xs.shape[0], activation)
    assert all(n <= b * (1 + 1e-9) for n, b in zip(norms, bound, strict=True))


def test_scaled_orthogonal_has_all_singular_values_and_eigenvalue_moduli_equal_to_scale():
    W = rnn_jacobian.scaled_orthogonal(8, 0.7, seed=5)
    assert torch.allclose(torch.linalg.svdvals(W), torch.full((8,), 0.7, dtype=torch.float64))
    assert close(rnn_jacobian.spectral_radius(W), 0.7)
    assert close(rnn_jacobian.sigma_max(W), 0.7)
    assert torch.equal(W, rnn_jacobian.scaled_orthogonal(8, 0.7, seed=5))
    assert not torch.equal(W, rnn_jacobian.scaled_orthogonal(8, 0.7, seed=6))


def test_power_norms_match_matrix_power():
    W = torch.randn(5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    norms = rnn_jacobian.power_norms(W, 6)
    for t, value in enumerate(norms, start=1):
        assert close(value, float(torch.linalg.matrix_norm(torch.linalg.matrix_power(W, t), ord=2)))


def test_non_normal_matrix_grows_before_it_decays():
    """rho < 1 but sigma_max > 1: ||A^t|| rises above 1 first, then decays (rho decides the end)."""
    A = torch.tensor([[0.9, 2.0], [0.0, 0.9]], dtype=torch.float64)
    norms = rnn_jacobian.power_norms(A, 100)
    assert rnn_jacobian.spectral_radius(A) < 1 < rnn_jacobian.sigma_max(A)
    assert max(norms) > norms[0] > 1 > norms[-1]


def test_rnn_bad_inputs():
    W, U, xs, h0 = _rnn()
    with pytest.raises(ValueError, match="W must be a non-empty square matrix"):
        rnn_jacobian.rnn_jacobian_norms(W[:, :3], U, xs, h0)
    with pytest.raises(TypeError, match="W must be a torch.Tensor"):
        rnn_jacobian.sigma_max([[1.0]])
    with pytest.raises(ValueError, match="U must have 6 rows"):
        rnn_jacobian.rnn_states(W, U[:4], xs, h0)
    with pytest.raises(ValueError, match="xs must have 3 columns"):
        rnn_jacobian.rnn_jacobian_norms(W, U, xs[:, :2], h0)
    with pytest.raises(ValueError, match="h0 must be a 1-D tensor of length 6"):
        rnn_jacobian.rnn_jacobian_norms(W, U, xs, h0[:5])
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn_jacobian.rnn_jacobian_norms(W, U, xs, h0, activation="relu6")
    with pytest.raises(ValueError, match="W must contain only finite numbers"):
        rnn_jacobian.power_norms(torch.full((2, 2), math.nan), 3)
    with pytest.raises(ValueError, match="T must be >= 1"):
        rnn_jacobian.jacobian_bound(W, 0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        rnn_jacobian.scaled_orthogonal(0, 1.0)


# ---------------------------------------------------------------- explorer


def test_explorer_curves_follow_the_laws():
    c = wT_explorer.wT_curves(w=-1.5, T=8, scale=0.5)
    assert c.scalar == [abs(recurrence.grad_closed_form(-1.5, 1.0, t)) for t in range(1, 9)]
    assert all(close(v, 0.5**t) for t, v in enumerate(c.linear, start=1))
    assert all(v <= 0.5**t * (1 + 1e-9) for t, v in enumerate(c.tanh, start=1))


def test_explorer_bad_inputs():
    with pytest.raises(ValueError, match="w must be <= 3.0"):
        wT_explorer.wT_curves(w=4.0)
    with pytest.raises(ValueError, match="T must be >= 1"):
        wT_explorer.wT_curves(T=0)
    with pytest.raises(ValueError, match=r"scale must be in 0 \.\. 5"):
        explore_in_lab(wT_explorer.WT, scale=-1.0)
