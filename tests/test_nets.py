"""Tests of gradlab.nets (deep_mlp, init_std) and gradlab.depth_explorer."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gradlab.depth_explorer import DEPTH, depth_profile, digits_batch, plot_depth
from gradlab.explorer import explore_in_lab
from gradlab.nets import deep_mlp, init_linear_, init_std, make_activation


def test_deep_mlp_shapes_and_linears_order():
    net = deep_mlp(5, 12, activation="relu", in_features=7, out_features=3, seed=0)
    assert len(net.linears) == 6
    assert net.linears[0].in_features == 7 and net.linears[-1].out_features == 3
    assert net(torch.zeros(4, 7)).shape == (4, 3)


@pytest.mark.parametrize("init", ["xavier", "he", "lecun", 0.05])
def test_weight_std_follows_the_formula(init):
    net = deep_mlp(2, 400, in_features=400, init=init, init_scale=1.5, seed=2,
                   dtype=torch.float64)
    w = net.linears[1].weight
    expected = 1.5 * init_std(init, 400, 400)
    assert float(w.detach().std()) == pytest.approx(expected, rel=0.02)
    assert float(net.linears[1].bias.detach().abs().max()) == 0.0


def test_init_std_formulas():
    assert init_std("xavier", 64, 64) == pytest.approx(math.sqrt(2 / 128))
    assert init_std("he", 50, 10) == pytest.approx(math.sqrt(2 / 50))
    assert init_std("lecun", 25, 10) == pytest.approx(0.2)
    assert init_std(0.3, 5, 5) == 0.3


def test_same_seed_same_net_whatever_the_global_rng():
    torch.manual_seed(123)
    a = deep_mlp(3, 6, seed=4)
    torch.manual_seed(999)
    b = deep_mlp(3, 6, seed=4)
    c = deep_mlp(3, 6, seed=5)
    assert all(torch.equal(x.weight, y.weight) for x, y in zip(a.linears, b.linears, strict=True))
    assert not torch.equal(a.linears[0].weight, c.linears[0].weight)


def test_deep_mlp_leaves_the_global_random_stream_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    deep_mlp(4, 16, norm="batch", seed=1)
    assert torch.equal(torch.rand(3), expected)


def test_residual_blocks_add_the_input():
    net = deep_mlp(3, 6, in_features=6, residual=True, residual_scale=0.0, activation="tanh")
    x = torch.randn(2, 6, generator=torch.Generator().manual_seed(0))
    h = net.blocks[0](x)
    torch.testing.assert_close(net.blocks[2](net.blocks[1](h)), h)


def test_forward_rejects_wrong_input_shape():
    net = deep_mlp(2, 4, in_features=5)
    with pytest.raises(ValueError, match=r"\(batch, 5\)"):
        net(torch.zeros(3, 4))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"depth": 0}, ValueError, "depth"),
    ({"depth": 2.5}, TypeError, "depth"),
    ({"width": 0}, ValueError, "width"),
    ({"activation": "softmax"}, ValueError, "activation"),
    ({"activation": 3}, TypeError, "activation"),
    ({"init": "glorot"}, ValueError, "init"),
    ({"init": -0.1}, ValueError, "init"),
    ({"init": [0.1]}, TypeError, "init"),
    ({"init_scale": 0.0}, ValueError, "init_scale"),
    ({"norm": "group"}, ValueError, "norm"),
    ({"residual": 1}, TypeError, "residual"),
    ({"seed": -1}, ValueError, "seed"),
    ({"dtype": torch.int64}, ValueError, "dtype"),
])
def test_deep_mlp_bad_input(kwargs, error, match):
    args = {"depth": 3, "width": 4, **kwargs}
    with pytest.raises(error, match=match):
        deep_mlp(**args)


def test_helpers_bad_input():
    with pytest.raises(ValueError, match="activation"):
        make_activation("swish")
    with pytest.raises(TypeError, match="layer"):
        init_linear_(nn.Conv1d(1, 1, 1), "he")
    with pytest.raises(ValueError, match="fan_in"):
        init_std("he", 0, 3)


# ---------------------------------------------------------------- depth_explorer


def test_depth_profile_matches_a_direct_computation():
    p = depth_profile(6, "tanh", "xavier", 1.0, width=16, batch_size=32)
    x, y = digits_batch(32)
    net = deep_mlp(6, 16, activation="tanh", seed=0, dtype=torch.float64)
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    assert p["loss"][0] == pytest.approx(loss.item())
    assert p["weight_grad"] == pytest.approx([float(b.linear.weight.grad.norm()) for b in net.blocks])
    assert p["layer"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert len(p["signal_grad"]) == len(p["saturated"]) == 6


def test_sigmoid_vanishes_and_large_tanh_explodes_at_initialization():
    sig = depth_profile(15, "sigmoid", "xavier")
    assert sig["signal_grad"][0] / sig["signal_grad"][-1] < 0.25 ** 10
    tanh = depth_profile(15, "tanh", 1.0)
    assert tanh["signal_grad"][0] / tanh["signal_grad"][-1] > 1e3
    assert min(tanh["saturated"]) > 0.5


def test_depth_explorer_never_draws_an_empty_panel():
    # every website position and the corners of the JupyterLab range draw both curves at every
    # layer: no gradient is exactly 0 (which a log axis cannot show) or non-finite
    from gradlab.depth_explorer import DEPTHS, EXPLORER_ACTIVATIONS, INIT_SCALES, depth_state

    for depth in DEPTHS:
        for activation in EXPLORER_ACTIVATIONS:
            for scale in INIT_SCALES:
                data = depth_state(depth, activation, scale)["data"]
                for key in ("weight_grad", "signal_grad"):
                    assert len(data[key]["layer"]) == depth, (depth, activation, scale, key)
    (lo, hi, _) = next(c.lab for c in DEPTH.controls if c.name == "init_scale")  # log10 range
    (d_lo, d_hi, _) = next(c.lab for c in DEPTH.controls if c.name == "depth")
    for depth in (d_lo, d_hi):
        for activation in EXPLORER_ACTIVATIONS:
            for scale in (10.0 ** lo, 10.0 ** hi):
                p = depth_profile(depth, activation, "xavier", scale)
                for key in ("weight_grad", "signal_grad"):
                    assert all(0 < v < float("inf") for v in p[key]), (depth, activation, scale)


def test_depth_profile_bad_input():
    with pytest.raises(ValueError, match="activation"):
        depth_profile(5, "gelu")
    with pytest.raises(ValueError, match="depth"):
        depth_profile(0)
    with pytest.raises(ValueError, match="init"):
        depth_profile(5, "tanh", "kaiming")
    with pytest.raises(ValueError, match="init_scale"):
        depth_profile(5, "tanh", "xavier", -1.0)
    with pytest.raises(ValueError, match="batch_size"):
        digits_batch(0)


def test_plot_and_explorer(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    fig, view = plot_depth(4, "relu", 1.0)
    p = depth_profile(4, "relu", "xavier", 1.0)
    assert view.ratio == pytest.approx(p["weight_grad"][0] / p["weight_grad"][-1])
    assert fig.axes and plt.fignum_exists(fig.number)
    plt.close("all")
    with pytest.raises(ValueError, match="init_scale"):
        explore_in_lab(DEPTH, init_scale=10.0)
    with pytest.raises(ValueError, match="depth"):
        explore_in_lab(DEPTH, depth=1)
    widget = explore_in_lab(DEPTH, depth=5)
    assert widget.children[0].value == 5
    plt.close("all")


@pytest.mark.parametrize("args, kwargs, match", [
    ((0, 4, "tanh", "none", False, 1.0), {}, "n_in"),
    ((4, "8", "tanh", "none", False, 1.0), {}, "n_out"),
    ((4, 4, "tanh", "group", False, 1.0), {}, "norm"),
    ((4, 4, "softplus", "none", False, 1.0), {}, "activation"),
    ((4, 4, "tanh", "none", 1, 1.0), {}, "residual"),
    ((4, 4, "tanh", "none", True, float("nan")), {}, "residual_scale"),
])
def test_block_names_the_bad_argument(args, kwargs, match):
    from gradlab.nets import Block
    with pytest.raises((TypeError, ValueError), match=match):
        Block(*args, **kwargs)


def test_deep_mlp_class_refuses_what_is_not_blocks_and_a_linear_head():
    from gradlab.nets import Block, DeepMLP
    block = Block(4, 4, "tanh", "none", False, 1.0)
    with pytest.raises(TypeError, match="blocks"):
        DeepMLP([], nn.Linear(4, 2))
    with pytest.raises(TypeError, match="blocks"):
        DeepMLP([nn.Linear(4, 4)], nn.Linear(4, 2))
    with pytest.raises(TypeError, match="head"):
        DeepMLP([block], nn.Tanh())
    model = DeepMLP([block], nn.Linear(4, 2))
    assert model(torch.zeros(3, 4)).shape == (3, 2)
