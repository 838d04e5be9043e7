"""Tests of gradlab.probes: the recorder agrees with autograd, cleans up, and refuses bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from gradlab.nets import deep_mlp
from gradlab.probes import GradientRecorder, layer_grad_norms, named_layers, saturation_fraction


def batch(n: int = 32, features: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, features, generator=gen), torch.randint(0, 10, (n,), generator=gen)


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               for m in model.modules())


@settings(max_examples=15, deadline=None)
@given(depth=st.integers(1, 6), width=st.integers(2, 16),
       activation=st.sampled_from(["sigmoid", "tanh", "relu"]), seed=st.integers(0, 1000))
def test_recorder_norms_equal_autograd_param_grads(depth, width, activation, seed):
    net = deep_mlp(depth, width, activation=activation, seed=seed)
    x, y = batch(seed=seed)
    with GradientRecorder(net) as rec:
        nn.functional.cross_entropy(net(x), y).backward()
    norms = rec.weight_grad_norms()
    expected = [float(layer.weight.grad.norm()) for layer in net.linears]
    assert list(norms.values()) == pytest.approx(expected, rel=1e-6)
    assert len(norms) == depth + 1


def test_output_grads_equal_autograd_of_preactivations():
    net = deep_mlp(4, 8, activation="tanh", seed=3, dtype=torch.float64)
    x, y = batch()
    x = x.double()
    with GradientRecorder(net) as rec:
        loss = nn.functional.cross_entropy(net(x), y)
        zs = list(rec.preactivations.values())
        # autograd.grad on the stored (detached) tensors is impossible; recompute via retain_grad
        loss.backward()
    # recompute z_l by hand and take autograd gradients
    h, z_list = x, []
    for block in net.blocks:
        z = block.linear(h)
        z.retain_grad()
        z_list.append(z)
        h = block.act(z)
    out = net.head(h)
    out.retain_grad()
    nn.functional.cross_entropy(out, y).backward()
    got = list(rec.output_grads.values())
    assert len(got) == len(z_list) + 1
    for g, z in zip(got, z_list + [out], strict=True):
        torch.testing.assert_close(g, z.grad)
    for z_rec, z in zip(zs[:-1], z_list, strict=True):
        torch.testing.assert_close(z_rec, z.detach())
    assert list(rec.output_grad_norms().values()) == pytest.approx(
        [float(z.grad.norm()) for z in z_list + [out]])


def test_layer_grad_norms_matches_recorder_and_params():
    net = deep_mlp(3, 5, seed=1)
    x, y = batch()
    nn.functional.cross_entropy(net(x), y).backward()
    norms = layer_grad_norms(net)
    assert list(norms) == ["blocks.0.linear", "blocks.1.linear", "blocks.2.linear", "head"]
    assert norms["head"] == pytest.approx(float(net.head.weight.grad.norm()))


def test_hooks_removed_on_exit_and_by_remove():
    net = deep_mlp(3, 8, seed=0)
    before = hook_count(net)
    with GradientRecorder(net):
        assert hook_count(net) > before
    assert hook_count(net) == before
    rec = GradientRecorder(net)
    assert hook_count(net) > before
    rec.remove()
    assert hook_count(net) == before


def test_hooks_removed_when_the_block_raises():
    net = deep_mlp(2, 4, seed=0)
    with pytest.raises(RuntimeError, match="boom"):
        with GradientRecorder(net):
            raise RuntimeError("boom")
    assert hook_count(net) == 0


def test_recorder_describes_only_the_last_forward_pass():
    net = deep_mlp(2, 4, seed=0)
    with GradientRecorder(net) as rec:
        net(batch(n=3)[0])
        net(batch(n=7)[0])
    assert all(z.shape[0] == 7 for z in rec.preactivations.values())
    assert len(rec.preactivations) == 3


def test_shared_activation_module_gets_one_entry_per_use():
    act = nn.Tanh()
    model = nn.Sequential(nn.Linear(6, 5), act, nn.Linear(5, 5), act, nn.Linear(5, 2))
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    with GradientRecorder(model) as rec:
        model(x).sum().backward()
    assert list(rec.activations) == ["1", "1#2"]
    h1 = torch.tanh(model[0](x))
    torch.testing.assert_close(rec.activations["1"], h1.detach())
    torch.testing.assert_close(rec.activations["1#2"], torch.tanh(model[2](h1)).detach())


def test_recorder_bad_input():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        GradientRecorder([nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="no nn.Linear"):
        GradientRecorder(nn.Sequential(nn.Tanh(), nn.ReLU()))
    with pytest.raises(ValueError, match="no nn.Linear"):
        named_layers(nn.Tanh())
    with pytest.raises(TypeError, match="model"):
        layer_grad_norms(None)


def test_reading_norms_before_backward_is_a_clear_error():
    net = deep_mlp(2, 4, seed=0)
    with GradientRecorder(net) as rec:
        with pytest.raises(ValueError, match="loss.backward"):
            rec.weight_grad_norms()
        with pytest.raises(ValueError, match="loss.backward"):
            rec.output_grad_norms()
        net(batch()[0])
        with pytest.raises(ValueError, match="loss.backward"):
            rec.output_grad_norms()


def test_saturation_fraction_counts():
    a = torch.tensor([[0.001, 0.5, 0.999, 0.2]])
    assert saturation_fraction(a, "sigmoid") == pytest.approx(0.5)
    t = torch.tensor([[-0.995, 0.0], [0.999, 0.5]])
    assert saturation_fraction(t, "tanh") == pytest.approx(0.5)
    r = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert saturation_fraction(r, "relu") == pytest.approx(1 / 3)  # only unit 0 is always 0


def test_saturation_threshold_matches_derivative_bound():
    z = torch.linspace(-10, 10, 2001).unsqueeze(0)
    a = torch.sigmoid(z)
    frac = saturation_fraction(a, "sigmoid", threshold=0.01)
    small_slope = float((a * (1 - a) < 0.01).float().mean())
    assert frac <= small_slope + 1e-12
    assert math.isclose(frac, small_slope, abs_tol=0.01)


def test_saturation_fraction_bad_input():
    a = torch.zeros(3, 4)
    with pytest.raises(TypeError, match="activations"):
        saturation_fraction([[0.1]], "tanh")
    with pytest.raises(ValueError, match="activations must have shape"):
        saturation_fraction(torch.zeros(3), "tanh")
    with pytest.raises(ValueError, match="kind"):
        saturation_fraction(a, "softmax")
    with pytest.raises(ValueError, match="threshold"):
        saturation_fraction(a, "tanh", threshold=0.7)
    with pytest.raises(ValueError, match="threshold"):
        saturation_fraction(a, "tanh", threshold=0.0)


def test_grad_norm_lists_match_the_dict_and_exclude_the_head():
    import torch

    from gradlab import nets, probes

    net = nets.deep_mlp(4, 8, seed=1)
    x = torch.randn(5, 64, generator=torch.Generator().manual_seed(0))
    net(x).pow(2).sum().backward()
    every = probes.grad_norms(net)
    hidden = probes.hidden_grad_norms(net)
    assert every == list(probes.layer_grad_norms(net).values())
    assert hidden == every[:-1] and len(hidden) == 4
    assert net.hidden_linears == net.linears[:-1]


def test_hidden_grad_norms_refuses_other_models_and_missing_gradients():
    import pytest
    import torch

    from gradlab import nets, probes

    with pytest.raises(TypeError, match="DeepMLP"):
        probes.hidden_grad_norms(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="backward"):
        probes.hidden_grad_norms(nets.deep_mlp(2, 4))


def test_one_norm_function_selects_hidden_all_and_recurrent_weights():
    import pytest
    import torch

    from gradlab import nets, probes

    net = nets.deep_mlp(3, 8, seed=2)
    x = torch.randn(5, 64, generator=torch.Generator().manual_seed(1))
    net(x).pow(2).sum().backward()
    hidden = probes.layer_grad_norms(net, layers="hidden")
    assert list(hidden) == ["hidden 1", "hidden 2", "hidden 3"]
    assert list(hidden.values()) == probes.hidden_grad_norms(net)
    assert list(hidden.values()) == [float(m.weight.grad.norm()) for m in net.hidden_linears]
    with pytest.raises(ValueError, match="layers"):
        probes.layer_grad_norms(net, layers="every")
    rnn = torch.nn.RNN(3, 4, batch_first=True)
    out, _ = rnn(torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(2)))
    out.sum().backward()
    assert probes.grad_norms(rnn) == [float(rnn.weight_hh_l0.grad.norm())]   # W_hh, not W_ih
    assert probes.layer_weight(rnn) is rnn.weight_hh_l0
