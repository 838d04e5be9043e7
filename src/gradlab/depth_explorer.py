"""Explorer for chapter 2: per-layer gradient norms of a deep MLP at initialization.

``depth_profile`` builds ``deep_mlp(depth, width, activation, init, init_scale)`` in float64
(``depth_net``: the same random draws as deep_mlp, its Box-Muller transform done in float64, so
every CPU gets the same weights to the last bit), runs one forward/backward pass of the
cross-entropy loss on a fixed batch of scikit-learn's digits and returns, for every hidden
layer l = 1..depth (input side first),

    weight_grad   ||dL/dW_l||_F        the gradient the optimizer uses
    signal_grad   ||dL/dz_l||_F        the back-propagated signal at layer l's pre-activation
    saturated     fraction of saturated units (sigmoid, tanh) or dead units (relu) of layer l

The explorer is described once, ``DEPTH`` (gradlab.explorer): depth, activation and init scale,
the state function ``depth_state`` and the panel; ``plot_depth`` draws the two gradient curves on
a log axis and returns the figure and its numbers. ``explore_in_lab(DEPTH)`` is the JupyterLab
form (any depth 2..50, any scale 0.1..4), ``coursepages.webfig.web_figure(DEPTH)`` the website's.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import torch
from torch import nn

from ._validate import check_choice, check_float, check_int
from .data import load_digits_split
from .explorer import Control, Explorer, Group, Layer, Panel, positive, rounded
from .nets import DeepMLP, check_init, deep_mlp, init_std
from .notebook import readable
from .probes import SATURATION_KINDS, saturation_fraction

EXPLORER_ACTIVATIONS = SATURATION_KINDS  # sigmoid, tanh, relu
_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


@lru_cache(maxsize=4)
def digits_batch(batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``batch_size`` standardized training digits (float64) and their labels."""
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=1347)
    data = load_digits_split(dtype=torch.float64)
    return data.X_train[:batch_size], data.y_train[:batch_size]


def _normal_fill(uniform: torch.Tensor, std: float) -> torch.Tensor:
    """torch's CPU ``normal_`` (Box-Muller on blocks of 16 uniforms) computed in float64.

    ``uniform`` holds the float32 uniforms ``normal_`` draws for n values (n, plus 16 more when n is
    not a multiple of 16). torch's float32 kernel takes log/cos/sin from SIMD code that differs
    between CPUs in the last bits; here the same formula runs in float64, where those differences
    are 1e-16 instead of 1e-7.
    """
    u = uniform.double()
    n = u.numel() if u.numel() % 16 == 0 else u.numel() - 16

    def block16(v: torch.Tensor) -> torch.Tensor:
        v = v.reshape(-1, 2, 8)
        radius = torch.sqrt(-2 * torch.log(1 - v[:, 0]))
        theta = 2.0 * math.pi * v[:, 1]
        return torch.stack((radius * torch.cos(theta), radius * torch.sin(theta)), 1).flatten()

    out = block16(u[: n - n % 16]) if n >= 16 else u.new_empty(0)
    if n % 16:          # torch redraws the last 16 values from 16 fresh uniforms
        out = torch.cat((out[: n - 16], block16(u[n:])))
    return out * std


@lru_cache(maxsize=64)
def _standard_draws(depth: int, width: int, in_features: int, out_features: int,
                    seed: int) -> tuple[torch.Tensor, ...]:
    # deep_mlp's N(0, 1) draws per layer (it multiplies them by the layer's std)
    shapes = [(width, in_features)] + [(width, width)] * (depth - 1) + [(out_features, width)]
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        # deep_mlp first builds every nn.Linear (default init: n_out * n_in + n_out uniforms each)
        torch.rand(sum(o * i + o for o, i in shapes))
        uniforms = [torch.rand(o * i + (16 if (o * i) % 16 else 0)) for o, i in shapes]
    finally:
        torch.random.set_rng_state(state)
    return tuple(_normal_fill(u, 1.0).reshape(o, i)
                 for u, (o, i) in zip(uniforms, shapes, strict=True))


def depth_weights(depth: int, init: str | float = "xavier", init_scale: float = 1.0, *,
                  width: int = 64, in_features: int = 64, out_features: int = 10,
                  seed: int = 0) -> list[torch.Tensor]:
    """The float64 weight matrices of ``deep_mlp(depth, width, init=init, init_scale=init_scale,
    seed=seed)``, hidden layers first, then the head: W ~ N(0, (init_scale * init_std)^2).

    They equal deep_mlp's weights to float32 precision (the same uniforms from torch's generator,
    seeded with ``seed``) and are bit-identical on every CPU.
    """
    depth = check_int("depth", depth, minimum=1, maximum=1000)
    init = check_init(init)
    init_scale = check_float("init_scale", init_scale, minimum=0.0, strict_min=True)
    draws = _standard_draws(depth, check_int("width", width, minimum=1),
                            check_int("in_features", in_features, minimum=1),
                            check_int("out_features", out_features, minimum=1),
                            check_int("seed", seed, minimum=0))
    return [d * (init_scale * init_std(init, d.shape[1], d.shape[0])) for d in draws]


def depth_net(depth: int = 20, activation: str = "sigmoid", init: str | float = "xavier",
              init_scale: float = 1.0, *, width: int = 64, seed: int = 0) -> DeepMLP:
    """``deep_mlp(depth, width, activation, init, init_scale, seed, dtype=float64)`` with the
    weights of :func:`depth_weights` (biases zero): the network the chapter 2 explorer measures."""
    net = deep_mlp(depth, width, activation=activation, init=init, init_scale=init_scale,
                   seed=seed, dtype=torch.float64)
    with torch.no_grad():
        for layer, w in zip(net.linears, depth_weights(depth, init, init_scale, width=width,
                                                       seed=seed), strict=True):
            layer.weight.copy_(w)
    return net


def depth_profile(
    depth: int = 20,
    activation: str = "sigmoid",
    init: str | float = "xavier",
    init_scale: float = 1.0,
    *,
    width: int = 64,
    batch_size: int = 64,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Per-hidden-layer gradient norms and saturation at initialization (see module docstring).

    Returns ``{"layer": [1..depth], "weight_grad": [...], "signal_grad": [...],
    "saturated": [...], "loss": [L]}``.
    """
    depth = check_int("depth", depth, minimum=1, maximum=200)
    activation = check_choice("activation", activation, EXPLORER_ACTIVATIONS)
    init_scale = check_float("init_scale", init_scale, minimum=0.0, strict_min=True)
    width = check_int("width", width, minimum=1, maximum=4096)
    init = check_init(init)
    seed = check_int("seed", seed, minimum=0)
    x, y = digits_batch(batch_size)
    weights = [w.requires_grad_() for w in depth_weights(depth, init, init_scale, width=width,
                                                         seed=seed)]
    act = _ACT[activation]
    # deep_mlp's forward pass written out (biases are zero), keeping each z_l for its gradient
    h, zs, acts = x, [], []
    for w in weights[:-1]:
        z = h @ w.T
        z.retain_grad()
        h = act(z)
        zs.append(z)
        acts.append(h.detach())
    loss = nn.functional.cross_entropy(h @ weights[-1].T, y)
    loss.backward()
    weight = [float(w.grad.norm()) for w in weights[:-1]]
    signal = [float(z.grad.norm()) for z in zs]
    saturated = [saturation_fraction(a, activation) for a in acts]
    return {
        "layer": [float(i) for i in range(1, depth + 1)],
        "weight_grad": weight,
        "signal_grad": signal,
        "saturated": saturated,
        "loss": [loss.item()],
    }


class DepthView(NamedTuple):
    """What the depth figure shows: first-to-last hidden layer ratios of the weight gradient
    ||dL/dW_l|| and of the back-propagated signal ||dL/dz_l||."""

    ratio: float   # ||dL/dW_1|| / ||dL/dW_depth||
    first: float
    last: float
    loss: float
    signal_ratio: float = float("nan")   # ||dL/dz_1|| / ||dL/dz_depth||


def _ratio(values: list[float]) -> float:
    return values[0] / values[-1] if values[-1] > 0 else float("inf")


def _depth_view(p: dict[str, list[float]]) -> DepthView:
    first, last = p["weight_grad"][0], p["weight_grad"][-1]
    return DepthView(_ratio(p["weight_grad"]), first, last, p["loss"][0],
                     _ratio(p["signal_grad"]))


def _depth_text(depth: int, activation: str, init_scale: float, view: DepthView) -> str:
    # both ratios: with small weights the weight gradient looks level while the signal vanishes
    return (f"{activation}, {depth} layers, Xavier × {init_scale:.3g}. Layer 1 / layer {depth}: "
            f"signal ‖∂L/∂z‖ ratio {readable(view.signal_ratio)}, "
            f"weight gradient ‖∂L/∂W‖ ratio {readable(view.ratio)}")


def plot_depth(depth: int = 20, activation: str = "sigmoid", init_scale: float = 1.0):
    """Draw ||dL/dW_l|| and ||dL/dz_l|| against the layer l (Xavier init times ``init_scale``,
    a batch of ``BATCH`` digits, as on the website). Returns ``(figure, DepthView)``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    p = depth_profile(depth, activation, "xavier", init_scale, batch_size=BATCH)
    view = _depth_view(p)
    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    for key, style, label in (("weight_grad", "o-", r"weights $\|\partial L/\partial W_l\|$"),
                              ("signal_grad", "s--", r"signal $\|\partial L/\partial z_l\|$")):
        values = p[key]
        ok = [v > 0 for v in values]   # an exact zero has no place on a log axis
        ax.semilogy([x for x, k in zip(p["layer"], ok, strict=True) if k],
                    [v for v, k in zip(values, ok, strict=True) if k], style, markersize=4, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hidden layer l (1 = next to the input)")
    ax.set_ylabel("gradient norm")
    ax.set_title(_depth_text(depth, activation, init_scale, view).replace(". Layer", ".\nLayer"),
                 fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    fig.tight_layout()
    return fig, view


#: the website's positions: depths 5, 10, ..., 50, every activation, init scales 2^(k/2) for
#: k = -2..2 (times Xavier's); every network is measured on the first BATCH training digits
DEPTHS = tuple(range(5, 51, 5))
INIT_SCALES = tuple(2.0 ** (k / 2) for k in range(-2, 3))
BATCH = 64


def depth_state(depth: int, activation: str, init_scale: float) -> dict:
    """The website's state for one (depth, activation, init scale): the two profiles, readout."""
    p = depth_profile(depth, activation, "xavier", init_scale, batch_size=BATCH)
    view = _depth_view(p)
    data = {}
    for key in ("weight_grad", "signal_grad"):
        layer, norm = positive(p["layer"], p[key])
        data[key] = {"layer": layer, "norm": rounded(norm)}
    return {"data": data, "text": _depth_text(depth, activation, init_scale, view)}


#: the depth explorer, described once (gradlab.explorer)
DEPTH = Explorer(
    name="depth",
    controls=(
        Control("depth", "depth (hidden layers)", DEPTHS, 20, lab=(2, 50, 1)),
        Control("activation", "activation", EXPLORER_ACTIVATIONS, "sigmoid"),
        Control("init_scale", "init scale (× Xavier)", INIT_SCALES, 1.0, lab=(-1.0, 0.6, 0.05),
                log=True, fmt=".3g")),
    groups=(Group(("depth", "activation", "init_scale"), depth_state),),
    panels=(Panel(320, "hidden layer l (1 = next to the input)", "gradient norm (log scale)",
                  y_log=True, x_range=(0, DEPTHS[-1] + 1), layers=(
                      Layer("line", "layer", "norm", "weight_grad", color="#1f77b4", width=2,
                            label="weights ‖∂L/∂Wₗ‖"),
                      Layer("scatter", "layer", "norm", "weight_grad", color="#1f77b4", size=6,
                            label="weights ‖∂L/∂Wₗ‖"),
                      Layer("line", "layer", "norm", "signal_grad", color="#ff7f0e", width=2,
                            dash="dashed", label="signal ‖∂L/∂zₗ‖"),
                      Layer("scatter", "layer", "norm", "signal_grad", color="#ff7f0e", size=6,
                            marker="square", label="signal ‖∂L/∂zₗ‖"))),),
    plot=plot_depth,
    summary="live figure: {n} precomputed networks (website only)")
