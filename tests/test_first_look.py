"""gradlab.first_look: the opening measurement agrees with a direct computation; bad arguments."""

from __future__ import annotations

import math

import pytest
from torch import nn

from gradlab import first_look
from gradlab.data import load_digits_split
from gradlab.nets import deep_mlp
from gradlab.probes import hidden_grad_norms


def test_measurements_match_a_fresh_network():
    r = first_look.sigmoid_vs_relu(depth=3, width=8, steps=4, every=2, lr=0.1)
    assert r["steps"] == [0, 2, 4]
    assert r["ln_k"] == pytest.approx(math.log(10))
    data = load_digits_split()
    for label, (activation, init) in first_look.NETWORKS.items():
        m = r["nets"][label]
        net = deep_mlp(3, 8, activation=activation, init=init, seed=0)
        loss = nn.functional.cross_entropy(net(data.X_train), data.y_train)
        loss.backward()
        assert m["grad_norms"] == pytest.approx(hidden_grad_norms(net))
        assert m["loss"][0] == pytest.approx(loss.item())
        assert len(m["loss"]) == 3 and all(math.isfinite(v) for v in m["loss"])
        assert 0.0 <= m["accuracy"] <= 1.0


def test_the_sigmoid_gradient_vanishes_and_relu_he_does_not():
    r = first_look.sigmoid_vs_relu(depth=12, width=32, steps=1, every=1)
    sig, relu = (r["nets"][k]["grad_norms"] for k in first_look.NETWORKS)
    assert sig[0] / sig[-1] < 1e-4
    assert 0.1 < relu[0] / relu[-1] < 10


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"depth": 1}, ValueError, "depth"),
    ({"depth": 2.5}, TypeError, "depth"),
    ({"steps": 0}, ValueError, "steps"),
    ({"lr": -0.1}, ValueError, "lr"),
    ({"lr": "big"}, TypeError, "lr"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"steps": 5, "every": 6}, ValueError, "every"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        first_look.sigmoid_vs_relu(**kwargs)


def test_plot_rejects_other_input():
    with pytest.raises(TypeError, match="result"):
        first_look.plot_first_look({"loss": [1.0]})
