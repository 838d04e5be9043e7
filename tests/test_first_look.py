"""coursepages.first_look: the opening measurement agrees with a direct computation; bad arguments."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from coursepages import first_look
from gradlab.data import load_digits_split
from gradlab.nets import deep_mlp, init_std
from gradlab.probes import hidden_grad_norms


def _network_with(weights, biases, run, activation, depth, width):
    """A gradlab DeepMLP (float64) carrying run ``run`` of the stacked weights."""
    net = deep_mlp(depth, width, activation=activation, dtype=torch.float64)
    with torch.no_grad():
        for i, layer in enumerate(net.linears):
            layer.weight.copy_(weights[i][run])
            layer.bias.copy_(biases[i][run])
    return net


def test_measurements_match_a_fresh_network():
    r = first_look.sigmoid_vs_relu(depth=3, width=8, steps=4, every=2, lr=0.1, n_seeds=2)
    assert r["steps"] == [0, 2, 4] and r["seeds"] == [0, 1]
    assert r["ln_k"] == pytest.approx(math.log(10))
    data = load_digits_split(dtype=torch.float64)
    weights, biases = first_look._stacked_params(3, 8, [0, 1])
    for k, (label, (activation, _)) in enumerate(first_look.NETWORKS.items()):
        m = r["nets"][label]
        for j in range(2):
            net = _network_with(weights, biases, 2 * k + j, activation, 3, 8)
            loss = nn.functional.cross_entropy(net(data.X_train), data.y_train)
            loss.backward()
            assert m["grad_norms"][j] == pytest.approx(hidden_grad_norms(net), rel=1e-12)
            assert m["loss0"][j] == pytest.approx(loss.item(), rel=1e-12)
            assert m["loss"][j][0] == pytest.approx(loss.item(), rel=1e-5)   # float32 training
            assert len(m["loss"][j]) == 3 and all(math.isfinite(v) for v in m["loss"][j])
            assert 0.0 <= m["accuracy"][j] <= 1.0


def test_weights_are_drawn_at_the_init_scale():
    weights, biases = first_look._stacked_params(4, 64, [0, 1, 2])
    for i, w in enumerate(weights):
        n_out, n_in = w.shape[1:]
        for k, (_, init) in enumerate(first_look.NETWORKS.values()):
            std = init_std(init, n_in, n_out)
            assert w[3 * k:3 * k + 3].std().item() == pytest.approx(std, rel=0.15)
        assert torch.all(biases[i] == 0)
    # another seed, other weights; the same seed, the same weights
    assert not torch.equal(weights[1][0], weights[1][1])
    again, _ = first_look._stacked_params(4, 64, [0, 1, 2])
    assert all(torch.equal(a, b) for a, b in zip(weights, again, strict=True))


def test_batched_training_equals_one_run_at_a_time():
    both = first_look.sigmoid_vs_relu(depth=3, width=8, steps=6, every=3, n_seeds=2)
    alone = first_look.sigmoid_vs_relu(depth=3, width=8, steps=6, every=3, seed=1, n_seeds=1)
    for label in first_look.NETWORKS:
        assert both["nets"][label]["loss"][1] == pytest.approx(alone["nets"][label]["loss"][0],
                                                               rel=1e-5)


def test_the_sigmoid_gradient_vanishes_and_relu_he_does_not():
    r = first_look.sigmoid_vs_relu(depth=12, width=32, steps=1, every=1)
    sig, relu = (r["nets"][k]["grad_norms"] for k in first_look.NETWORKS)
    for s, q in zip(sig, relu, strict=True):
        assert s[0] / s[-1] < 1e-4
        assert 0.1 < q[0] / q[-1] < 10


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"depth": 1}, ValueError, "depth"),
    ({"depth": 2.5}, TypeError, "depth"),
    ({"steps": 0}, ValueError, "steps"),
    ({"lr": -0.1}, ValueError, "lr"),
    ({"lr": "big"}, TypeError, "lr"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"steps": 5, "every": 6}, ValueError, "every"),
    ({"seed": -1}, ValueError, "seed"),
    ({"n_seeds": 0}, ValueError, "n_seeds"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        first_look.sigmoid_vs_relu(**kwargs)


def test_plot_rejects_other_input():
    with pytest.raises(TypeError, match="result"):
        first_look.plot_first_look({"loss": [1.0]})
