"""Explorer for chapter 2: per-layer gradient norms of a deep MLP at initialization.

``depth_profile`` builds ``deep_mlp(depth, width, activation, init, init_scale)`` in float64,
runs one forward/backward pass of the cross-entropy loss on a fixed batch of scikit-learn's
digits and returns, for every hidden layer l = 1..depth (input side first),

    weight_grad   ||dL/dW_l||_F        the gradient the optimizer uses
    signal_grad   ||dL/dz_l||_F        the back-propagated signal at layer l's pre-activation
    saturated     fraction of saturated units (sigmoid, tanh) or dead units (relu) of layer l

The explorer follows the course's convention: ``plot_depth`` draws the two gradient curves on a
log axis and returns the figure and its numbers; ``explore_depth`` wraps
it in ipywidgets sliders (depth, activation, init scale); ``web_depth`` is the website's live
figure, every slider position computed here in advance (gradlab.webfig).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import torch
from torch import nn

from ._validate import check_choice, check_float, check_int
from .data import load_digits_split
from .nets import deep_mlp
from .probes import SATURATION_KINDS, GradientRecorder, saturation_fraction
from .webfig import Group, LiveFigure, explorer_figure, index_slider, plain_figure, readable, rounded

EXPLORER_ACTIVATIONS = SATURATION_KINDS  # sigmoid, tanh, relu


@lru_cache(maxsize=4)
def digits_batch(batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``batch_size`` standardized training digits (float64) and their labels."""
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=1347)
    data = load_digits_split(dtype=torch.float64)
    return data.X_train[:batch_size], data.y_train[:batch_size]


def depth_profile(
    depth: int = 20,
    activation: str = "sigmoid",
    init: str | float = "xavier",
    init_scale: float = 1.0,
    *,
    width: int = 64,
    batch_size: int = 256,
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
    x, y = digits_batch(batch_size)
    net = deep_mlp(depth, width, activation=activation, init=init, init_scale=init_scale,
                   seed=seed, dtype=torch.float64)
    with GradientRecorder(net) as rec:
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
    weight = list(rec.weight_grad_norms().values())[:depth]
    signal = list(rec.output_grad_norms().values())[:depth]
    saturated = [saturation_fraction(a, activation) for a in rec.activations.values()]
    return {
        "layer": [float(i) for i in range(1, depth + 1)],
        "weight_grad": weight,
        "signal_grad": signal,
        "saturated": saturated,
        "loss": [loss.item()],
    }


class DepthView(NamedTuple):
    """What the depth figure shows (weight-gradient norms of the first and last hidden layer)."""

    ratio: float   # ||dL/dW_1|| / ||dL/dW_depth||
    first: float
    last: float
    loss: float


def _depth_view(p: dict[str, list[float]]) -> DepthView:
    first, last = p["weight_grad"][0], p["weight_grad"][-1]
    ratio = first / last if last > 0 else float("inf")
    return DepthView(ratio, first, last, p["loss"][0])


def _depth_text(depth: int, activation: str, init_scale: float, view: DepthView) -> str:
    return (f"{activation}, {depth} layers, Xavier × {init_scale:.3g}: first/last layer "
            f"gradient ratio {readable(view.ratio)}")


def plot_depth(depth: int = 20, activation: str = "sigmoid", init_scale: float = 1.0):
    """Draw ||dL/dW_l|| and ||dL/dz_l|| against the layer l (Xavier init times ``init_scale``).

    Returns ``(figure, DepthView)``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    p = depth_profile(depth, activation, "xavier", init_scale)
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
    ax.set_title(_depth_text(depth, activation, init_scale, view), fontsize=10)
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


#: the website's grid: depths 5, 10, ..., 50, every activation, init scales 2^(k/2), k = -2..2
WEB_DEPTHS = tuple(range(5, 51, 5))
WEB_SCALES = tuple(2.0 ** (k / 2) for k in range(-2, 3))


def depth_state(depth: int, activation: str, init_scale: float) -> dict:
    """The website's state for one (depth, activation, init scale): the two profiles, readout."""
    p = depth_profile(depth, activation, "xavier", init_scale)
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
