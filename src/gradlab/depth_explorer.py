"""Explorer for chapter 2: per-layer gradient norms of a deep MLP at initialization.

``depth_profile`` builds ``deep_mlp(depth, width, activation, init, init_scale)`` in float64
(``depth_net``: the same random draws as deep_mlp, its Box-Muller transform done in float64, so
every CPU gets the same weights to the last bit), runs one forward/backward pass of the
cross-entropy loss on a fixed batch of scikit-learn's digits and returns, for every hidden
layer l = 1..depth (input side first),

    weight_grad   ||dL/dW_l||_F        the gradient the optimizer uses
    signal_grad   ||dL/dz_l||_F        the back-propagated signal at layer l's pre-activation
    saturated     fraction of saturated units (sigmoid, tanh) or dead units (relu) of layer l

The explorer follows the course's convention: ``plot_depth`` draws the two gradient curves on a
log axis and returns the figure and its numbers; ``explore_depth`` wraps
it in ipywidgets sliders (depth, activation, init scale); ``web_depth`` is the website's live
figure, every slider position computed here in advance (gradlab.webfig).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, NamedTuple

import torch
from torch import nn

from ._validate import check_choice, check_float, check_int
from .data import load_digits_split
from .nets import DeepMLP, check_init, deep_mlp, init_std
from .probes import SATURATION_KINDS, saturation_fraction
from .webfig import Group, LiveFigure, explorer_figure, index_slider, plain_figure, readable, rounded

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
    a batch of ``WEB_BATCH`` digits, as on the website). Returns ``(figure, DepthView)``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    p = depth_profile(depth, activation, "xavier", init_scale, batch_size=WEB_BATCH)
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


def explore_depth(depth: int = 20, activation: str = "sigmoid", init_scale: float = 1.0) -> Any:
    """ipywidgets: sliders for depth (2..50), activation and init scale (0.1..4) redraw
    :func:`plot_depth`."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    depth = check_int("depth", depth, minimum=2, maximum=50)
    activation = check_choice("activation", activation, EXPLORER_ACTIVATIONS)
    init_scale = check_float("init_scale", init_scale, minimum=0.1, maximum=4.0)

    def show(depth: int, activation: str, init_scale: float) -> None:
        plot_depth(depth, activation, init_scale)
        plt.show()

    return widgets.interactive(
        show,
        depth=widgets.IntSlider(value=depth, min=2, max=50, description="depth"),
        activation=widgets.Dropdown(options=list(EXPLORER_ACTIVATIONS), value=activation,
                                    description="activation"),
        init_scale=widgets.FloatLogSlider(value=init_scale, base=10, min=-1, max=0.6, step=0.05,
                                          description="init scale"),
    )


#: the website's grid: depths 5, 10, ..., 50, every activation, init scales 2^(k/2), k = -2..2,
#: each network measured on the first WEB_BATCH training digits
WEB_DEPTHS = tuple(range(5, 51, 5))
WEB_SCALES = tuple(2.0 ** (k / 2) for k in range(-2, 3))
WEB_BATCH = 64


def depth_state(depth: int, activation: str, init_scale: float) -> dict:
    """The website's state for one (depth, activation, init scale): the two profiles, readout."""
    p = depth_profile(depth, activation, "xavier", init_scale, batch_size=WEB_BATCH)
    view = _depth_view(p)
    data = {}
    for key in ("weight_grad", "signal_grad"):
        pairs = [(x, v) for x, v in zip(p["layer"], p[key], strict=True) if v > 0]
        data[key] = {"layer": [x for x, _ in pairs], "norm": rounded([v for _, v in pairs])}
    return {"data": data, "text": _depth_text(depth, activation, init_scale, view)}


def web_depth(depth: int = 20, activation: str = "sigmoid", init_scale: float = 1.0) -> LiveFigure:
    """The live figure of :func:`plot_depth` for every depth in ``WEB_DEPTHS``, activation and
    init scale in ``WEB_SCALES`` (about 5 s of precomputation)."""
    from bokeh.models import ColumnDataSource, Legend, LegendItem, RadioButtonGroup, Slider

    if depth not in WEB_DEPTHS:
        raise ValueError(f"depth must be one of {WEB_DEPTHS}, got {depth!r}")
    activation = check_choice("activation", activation, EXPLORER_ACTIVATIONS)
    scales = [round(v, 12) for v in WEB_SCALES]
    if round(float(init_scale), 12) not in scales:
        raise ValueError(f"init_scale must be one of {[f'{v:.3g}' for v in WEB_SCALES]}, "
                         f"got {init_scale!r}")
    states = {}
    for d in WEB_DEPTHS:
        for a_index, act in enumerate(EXPLORER_ACTIVATIONS):
            for s_index, scale in enumerate(WEB_SCALES):
                states[f"{d}|{a_index}|{s_index}"] = depth_state(d, act, scale)
    sources = {"weight_grad": ColumnDataSource(), "signal_grad": ColumnDataSource()}
    fig = plain_figure(320, y_axis_type="log", x_range=(0, 51),
                       x_axis_label="hidden layer l (1 = next to the input)",
                       y_axis_label="gradient norm (log scale)")
    w_line = fig.line("layer", "norm", source=sources["weight_grad"], color="#1f77b4", line_width=2)
    w_dots = fig.scatter("layer", "norm", source=sources["weight_grad"], color="#1f77b4", size=6)
    s_line = fig.line("layer", "norm", source=sources["signal_grad"], color="#ff7f0e",
                      line_width=2, line_dash="dashed")
    s_dots = fig.scatter("layer", "norm", source=sources["signal_grad"], color="#ff7f0e",
                         size=6, marker="square")
    fig.add_layout(Legend(items=[LegendItem(label="weights ‖∂L/∂Wₗ‖", renderers=[w_line, w_dots]),
                                 LegendItem(label="signal ‖∂L/∂zₗ‖", renderers=[s_line, s_dots])],
                          orientation="horizontal", label_text_font_size="13px"), "below")
    depth_slider = Slider(start=WEB_DEPTHS[0], end=WEB_DEPTHS[-1], step=WEB_DEPTHS[1] - WEB_DEPTHS[0],
                          value=depth, title="depth (hidden layers)", name="control-depth",
                          sizing_mode="stretch_width")
    act_buttons = RadioButtonGroup(labels=list(EXPLORER_ACTIVATIONS), name="control-activation",
                                   active=EXPLORER_ACTIVATIONS.index(activation))
    scale_slider = index_slider("init scale (× Xavier)", [f"{v:.3g}" for v in WEB_SCALES],
                                scales.index(round(float(init_scale), 12)), "control-init_scale")
    start = f"{depth}|{EXPLORER_ACTIVATIONS.index(activation)}|{scales.index(round(float(init_scale), 12))}"
    group = Group([depth_slider, act_buttons, scale_slider], states, start)
    return explorer_figure([group], sources, [fig], "depth",
                           f"live figure: {len(states)} precomputed networks (website only)")
