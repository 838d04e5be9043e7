"""Tests of gradlab.rnn: gradient-through-time measurements and the memory task."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab import rnn as grnn


def _by_hand_vanilla(rnn, x, u):
    W, U = rnn.weight_ih_l0, rnn.weight_hh_l0
    b = rnn.bias_ih_l0 + rnn.bias_hh_l0
    x = x.detach().clone().requires_grad_(True)
    h = torch.zeros(U.shape[0], dtype=x.dtype)
    for t in range(x.shape[1]):
        h = torch.tanh(W @ x[0, t] + U @ h + b)
    (g,) = torch.autograd.grad(u @ h, x)
    return g[0].norm(dim=1)


@settings(max_examples=15, deadline=None)
@given(T=st.integers(1, 20), H=st.integers(1, 8), seed=st.integers(0, 1000))
def test_input_grad_norms_match_hand_written_vanilla_rnn(T, H, seed):
    rnn = grnn.make_rnn("rnn", 3, H, seed=seed, dtype=torch.float64)
    x = grnn.random_sequence(T, 3, seed=seed, dtype=torch.float64)
    u = grnn._readout(H, seed, torch.float64)
    expected = _by_hand_vanilla(rnn, x, u)
    got = torch.tensor(grnn.input_grad_norms(rnn, x, seed=seed), dtype=torch.float64)
    assert got.shape == (T,)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("cell", grnn.CELLS)
def test_input_grad_norms_equal_per_step_autograd(cell):
    rnn = grnn.make_rnn(cell, 2, 5, seed=3, dtype=torch.float64)
    x = grnn.random_sequence(7, 2, seed=4, dtype=torch.float64)
    u = grnn._readout(5, 0, torch.float64)
    norms = grnn.input_grad_norms(rnn, x, seed=0)
    for t in range(7):
        xt = x[:, t].clone().requires_grad_(True)
        seq = torch.cat([x[:, :t], xt.unsqueeze(1), x[:, t + 1:]], dim=1)
        out, _ = rnn(seq)
        (g,) = torch.autograd.grad(out[0, -1] @ u, xt)
        assert norms[t] == pytest.approx(float(g.norm()), rel=1e-10)


@pytest.mark.parametrize("cell", grnn.CELLS)
def test_state_jacobian_norm_matches_finite_differences(cell):
    rnn = grnn.make_rnn(cell, 2, 4, seed=1, dtype=torch.float64)
    x = grnn.random_sequence(6, 2, seed=2, dtype=torch.float64)
    eps = 1e-6
    cols = []
    for j in range(4):
        hp = torch.zeros(1, 1, 4, dtype=torch.float64)
        hm = hp.clone()
        hp[0, 0, j] += eps
        hm[0, 0, j] -= eps
        extra = (lambda h: (h, torch.zeros_like(h))) if cell == "lstm" else (lambda h: h)
        with torch.no_grad():
            fp = rnn(x, extra(hp))[0][0, -1]
            fm = rnn(x, extra(hm))[0][0, -1]
        cols.append((fp - fm) / (2 * eps))
    fd = float(torch.stack(cols, dim=1).norm())
    assert grnn.state_jacobian_norm(rnn, x) == pytest.approx(fd, rel=1e-6)


def test_forget_bias_opens_the_gate_and_lifts_the_early_gradient():
    lstm = grnn.make_rnn("lstm", 4, 8, seed=0, forget_bias=3.0, dtype=torch.float64)
    b = lstm.bias_ih_l0[8:16] + lstm.bias_hh_l0[8:16]
    assert torch.allclose(b, torch.full((8,), 3.0, dtype=torch.float64))
    x = grnn.random_sequence(60, 4, seed=0, dtype=torch.float64)
    closed = grnn.make_rnn("lstm", 4, 8, seed=0, dtype=torch.float64)
    assert grnn.input_grad_norms(lstm, x)[0] > 1e3 * grnn.input_grad_norms(closed, x)[0]


def test_update_bias_opens_the_gru_gate_and_lifts_the_early_gradient():
    gru = grnn.make_rnn("gru", 4, 8, seed=0, update_bias=3.0, dtype=torch.float64)
    b = gru.bias_ih_l0[8:16] + gru.bias_hh_l0[8:16]
    assert torch.allclose(b, torch.full((8,), 3.0, dtype=torch.float64))
    x = grnn.random_sequence(60, 4, seed=0, dtype=torch.float64)
    default = grnn.make_rnn("gru", 4, 8, seed=0, dtype=torch.float64)
    assert grnn.input_grad_norms(gru, x)[0] > 1e3 * grnn.input_grad_norms(default, x)[0]


@pytest.mark.parametrize("cell, bias", [("rnn", {}), ("lstm", {"forget_bias": [None, 2.0]}),
                                        ("gru", {"update_bias": [None, 2.0]})])
def test_train_memory_seeds_follows_each_seed_s_own_run(cell, bias):
    """The block-diagonal batch of seeds takes the same Adam steps as separate runs."""
    seeds = [0, 3]
    kw = dict(hidden_size=5, n_symbols=3, steps=6, batch_size=8, n_test=40, lr=0.05)
    together = grnn.train_memory_seeds(cell, 4, seeds, **kw, **bias)
    assert len(together) == 2
    for i, seed in enumerate(seeds):
        one_bias = {k: v[i] for k, v in bias.items()}
        alone = grnn.train_memory(cell, 4, seed=seed, dtype=torch.float64, **kw, **one_bias)
        assert together[i].losses == pytest.approx(alone.losses, rel=1e-9)
        assert together[i].test_accuracy == alone.test_accuracy
        assert together[i].chance == alone.chance


@given(n=st.integers(1, 30), T=st.integers(1, 12), k=st.integers(2, 6),
       distractors=st.booleans(), seed=st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_memory_task_label_is_first_input(n, T, k, distractors, seed):
    x, y = grnn.memory_task(n, T, n_symbols=k, distractors=distractors, seed=seed)
    assert x.shape == (n, T, k) and y.shape == (n,)
    assert torch.equal(x[:, 0].argmax(dim=1), y)
    assert torch.equal(x[:, 0].sum(dim=1), torch.ones(n))
    if not distractors:
        assert float(x[:, 1:].abs().sum()) == 0.0
    else:
        assert torch.equal(x[:, 1:].sum(dim=2), torch.ones(n, T - 1))


def test_memory_task_is_seeded():
    a = grnn.memory_task(20, 5, seed=1, distractors=True)
    b = grnn.memory_task(20, 5, seed=1, distractors=True)
    c = grnn.memory_task(20, 5, seed=2, distractors=True)
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)


def test_train_memory_learns_a_short_task_and_reports_chance():
    res = grnn.train_memory("gru", 3, hidden_size=8, n_symbols=2, steps=60, lr=0.05, seed=0)
    assert len(res.losses) == 60
    assert res.chance == 0.5
    assert res.losses[-1] < res.losses[0]
    assert res.test_accuracy > 0.9
    zero = grnn.train_memory("rnn", 3, steps=0, n_test=10)
    assert zero.losses == [] and 0.0 <= zero.test_accuracy <= 1.0


@pytest.mark.parametrize("call, match", [
    (lambda: grnn.make_rnn("transformer", 2, 2), "cell"),
    (lambda: grnn.make_rnn("rnn", 0, 2), "input_size"),
    (lambda: grnn.make_rnn("rnn", 2, 0), "hidden_size"),
    (lambda: grnn.make_rnn("gru", 2, 2, forget_bias=1.0), "forget_bias"),
    (lambda: grnn.make_rnn("lstm", 2, 2, update_bias=1.0), "update_bias"),
    (lambda: grnn.train_memory_seeds("gru", 3, []), "seeds"),
    (lambda: grnn.train_memory_seeds("gru", 3, [0, -1]), "seeds"),
    (lambda: grnn.train_memory_seeds("gru", 3, [0, 1], update_bias=[1.0]), "update_bias"),
    (lambda: grnn.train_memory_seeds("gru", 3, [0], dtype=torch.int64), "dtype"),
    (lambda: grnn.make_rnn("lstm", 2, 2, dtype=torch.int64), "dtype"),
    (lambda: grnn.random_sequence(0, 2), "T"),
    (lambda: grnn.input_grad_norms(grnn.make_rnn("rnn", 2, 2), torch.zeros(1, 3, 5)), "x must"),
    (lambda: grnn.input_grad_norms(grnn.make_rnn("rnn", 2, 2), torch.zeros(2, 3, 2)), "x must"),
    (lambda: grnn.memory_task(0, 5), "n must"),
    (lambda: grnn.memory_task(5, 0), "T must"),
    (lambda: grnn.memory_task(5, 5, n_symbols=1), "n_symbols"),
    (lambda: grnn.train_memory("rnn", 5, lr=0.0), "lr"),
    (lambda: grnn.train_memory("rnn", 5, optimizer="lbfgs"), "optimizer"),
    (lambda: grnn.train_memory("rnn", 5, clip=-1.0), "clip"),
])
def test_bad_values_raise_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: grnn.input_grad_norms(torch.nn.Linear(2, 2), torch.zeros(1, 3, 2)), "rnn must"),
    (lambda: grnn.input_grad_norms(grnn.make_rnn("rnn", 2, 2), [[0.0]]), "x must"),
    (lambda: grnn.memory_task(5, 5, distractors="yes"), "distractors"),
    (lambda: grnn.make_rnn("rnn", 2.5, 2), "input_size"),
    (lambda: grnn.train_memory_seeds("gru", 3, 5), "seeds"),
])
def test_bad_types_raise_type_error_naming_the_argument(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def _memory_by_hand(cell, T, *, steps, lr, clip, seed=0, hidden_size=6, n_symbols=3):
    """train_memory written out: plain SGD, textbook norm clipping g * min(1, c / ||g||)."""
    model = grnn.RecallModel(cell, n_symbols, hidden_size, seed)
    params = list(model.parameters())
    losses = []
    for step in range(steps):
        x, y = grnn.memory_task(64, T, n_symbols=n_symbols, seed=1_000_000 * (seed + 1) + step)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, params)
        norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
        scale = min(1.0, clip / norm)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= lr * (g * scale)
        losses.append(float(loss.detach()))
    return losses


@pytest.mark.parametrize("cell", grnn.CELLS)
def test_train_memory_clips_by_global_norm_like_the_textbook_formula(cell):
    kw = dict(steps=15, lr=0.5, clip=0.05)
    got = grnn.train_memory(cell, 4, hidden_size=6, n_symbols=3, optimizer="sgd", **kw).losses
    expected = _memory_by_hand(cell, 4, **kw)
    assert got == pytest.approx(expected, rel=1e-4)
    unclipped = grnn.train_memory(cell, 4, hidden_size=6, n_symbols=3, optimizer="sgd",
                                  steps=15, lr=0.5).losses
    assert unclipped != pytest.approx(expected, rel=1e-4)  # the clip is active in this setting


def test_train_memory_accepts_every_optimizer_of_the_factory():
    from gradlab.train import OPTIMIZERS

    for name in OPTIMIZERS:
        res = grnn.train_memory("gru", 3, hidden_size=8, n_symbols=2, steps=40, lr=0.05,
                                optimizer=name, seed=0)
        assert len(res.losses) == 40 and res.losses[-1] < res.losses[0], name
