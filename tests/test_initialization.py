"""gradlab's initialization std agrees with torch.nn.init; variance profiles behave as derived;
the initialization page's visible measurement and gradlab's variance_profile agree."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.initialization import variance_profile
from gradlab.nets import deep_mlp, init_std

# The std of n samples of N(0, s^2) has a relative standard error of about 1/sqrt(2n); with
# n = 256 * 512 that is 0.2 %, so a 1.5 % tolerance is about 7.5 standard errors.
SAMPLE_RTOL = 0.015
from notebook_cells import cell_defining  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "remedies" / "initialization.ipynb"


def sampled_std(fill, shape, seed=0):
    torch.manual_seed(seed)
    w = torch.empty(shape, dtype=torch.float64)
    fill(w)
    return float(w.std())


@given(fan_in=st.integers(1, 5000), fan_out=st.integers(1, 5000))
@settings(max_examples=100, deadline=None)
def test_formulas_match_torch_init_formulas(fan_in, fan_out):
    """Exactly the std torch.nn.init uses (weight shape (fan_out, fan_in), as in nn.Linear)."""
    xavier_torch = 1.0 * math.sqrt(2.0 / float(fan_in + fan_out))
    he_torch = torch.nn.init.calculate_gain("relu") / math.sqrt(fan_in)
    assert init_std("xavier", fan_in, fan_out) == pytest.approx(xavier_torch, rel=1e-12)
    assert init_std("he", fan_in, fan_out) == pytest.approx(he_torch, rel=1e-12)


@pytest.mark.parametrize("fan_in,fan_out", [(512, 256), (256, 512), (384, 384)])
def test_sampled_std_matches_torch_nn_init(fan_in, fan_out):
    shape = (fan_out, fan_in)
    xavier = sampled_std(torch.nn.init.xavier_normal_, shape)
    he = sampled_std(lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu"), shape)
    model_x = deep_mlp(1, fan_out, init="xavier", in_features=fan_in, dtype=torch.float64)
    model_h = deep_mlp(1, fan_out, init="he", in_features=fan_in, dtype=torch.float64)
    ours_x = float(model_x.linears[0].weight.detach().std())
    ours_h = float(model_h.linears[0].weight.detach().std())
    assert ours_x == pytest.approx(xavier, rel=SAMPLE_RTOL)
    assert ours_h == pytest.approx(he, rel=SAMPLE_RTOL)
    assert xavier == pytest.approx(init_std("xavier", fan_in, fan_out), rel=SAMPLE_RTOL)
    assert he == pytest.approx(init_std("he", fan_in, fan_out), rel=SAMPLE_RTOL)
    # and the tolerance is tight enough to tell the two schemes apart when fans differ
    if fan_in != fan_out:
        assert ours_x != pytest.approx(he, rel=SAMPLE_RTOL)


def test_relu_he_keeps_variance_and_xavier_halves_it():
    depth = 30
    he = variance_profile(depth, 128, "relu", "he", batch=256)
    xa = variance_profile(depth, 128, "relu", "xavier", batch=256)
    he_ratio = he.activation_var[-1] / he.activation_var[0]
    xa_ratio = xa.activation_var[-1] / xa.activation_var[0]
    assert 0.1 < he_ratio < 10
    # square layers: Xavier = 1/n, half of He's 2/n, so the second moment halves per layer
    assert xa_ratio == pytest.approx(0.5 ** (depth - 1), rel=0.9)
    assert xa.gradient_var[0] / xa.gradient_var[-1] < 1e-6
    assert 0.1 < he.gradient_var[0] / he.gradient_var[-1] < 10


def test_variance_profile_is_deterministic_and_sized():
    a = variance_profile(5, 16, "tanh", "xavier", batch=32, seed=3)
    b = variance_profile(5, 16, "tanh", "xavier", batch=32, seed=3)
    assert a == b
    assert len(a.activation_var) == len(a.gradient_var) == 5


@pytest.mark.parametrize(
    "kwargs,exc,word",
    [
        ({"depth": 0}, ValueError, "depth"),
        ({"width": 2.5}, TypeError, "width"),
        ({"activation": "swish"}, ValueError, "activation"),
        ({"init": "orthogonal"}, ValueError, "init"),
        ({"init": -0.1}, ValueError, "init"),
        ({"batch": 1}, ValueError, "batch"),
        ({"init_scale": 0.0}, ValueError, "init_scale"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_inputs(kwargs, exc, word):
    args = {"depth": 3, "width": 8, "activation": "tanh", "init": "xavier", "batch": 16}
    args.update(kwargs)
    with pytest.raises(exc, match=word):
        variance_profile(**args)


@functools.cache
def notebook_function(name: str):
    """Execute the initialization page's cell that defines ``name`` and return the function."""
    # the definition only, not the cell's measurements
    source = cell_defining(NOTEBOOK, name).split("\n\n\n")[0]
    namespace: dict = {"torch": torch, "deep_mlp": deep_mlp}
    exec(source, namespace)  # noqa: S102 - our own notebook's code
    return namespace[name]


@pytest.mark.parametrize("depth,width,activation,init,batch,seed", [
    (10, 256, "relu", "he", 128, 0),
    (6, 32, "tanh", "xavier", 16, 3),
    (4, 8, "sigmoid", 0.3, 5, 7),
    (3, 17, "gelu", "lecun", 9, 1),
])
def test_page_measurement_equals_variance_profile(depth, width, activation, init, batch, seed):
    measure_variances = notebook_function("measure_variances")
    act_var, grad_var = measure_variances(depth, width, activation, init, batch, seed)
    packaged = variance_profile(depth, width, activation, init, batch=batch, seed=seed)
    assert act_var == packaged.activation_var
    assert grad_var == packaged.gradient_var
    # and the comparison can fail: a different seed gives different numbers
    other = variance_profile(depth, width, activation, init, batch=batch, seed=seed + 1)
    assert act_var != other.activation_var
