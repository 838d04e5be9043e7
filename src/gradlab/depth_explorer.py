"""Explorer for chapter 2: per-layer gradient norms of a deep MLP at initialization.

``depth_profile`` builds ``deep_mlp(depth, width, activation, init, init_scale)`` in float64,
runs one forward/backward pass of the cross-entropy loss on a fixed batch of scikit-learn's
digits and returns, for every hidden layer l = 1..depth (input side first),

    weight_grad   ||dL/dW_l||_F        the gradient the optimizer uses
    signal_grad   ||dL/dz_l||_F        the back-propagated signal at layer l's pre-activation
    saturated     fraction of saturated units (sigmoid, tanh) or dead units (relu) of layer l

``plot_depth_profile`` draws the two gradient curves on a log axis; ``depth_explorer`` wraps it in
ipywidgets sliders (depth, activation, init scale).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
from torch import nn

from ._checks import check_choice, check_float, check_int
from .data import load_digits_split
from .nets import deep_mlp, init_std
from .probes import SATURATION_KINDS, GradientRecorder, saturation_fraction

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
    init_std(init, 1, 1)  # validates init
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


def plot_depth_profile(depth: int = 20, activation: str = "sigmoid",
                       init_scale: float = 1.0) -> dict[str, float]:
    """Draw ||dL/dW_l|| and ||dL/dz_l|| against the layer l (Xavier init times ``init_scale``).

    Returns ``{"ratio": ||dL/dW_1|| / ||dL/dW_depth||, "first": ..., "last": ...}``.
    """
    import matplotlib.pyplot as plt

    p = depth_profile(depth, activation, "xavier", init_scale)
    tiny = 1e-300  # an exact zero cannot be drawn on a log axis
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    ax.semilogy(p["layer"], [max(v, tiny) for v in p["weight_grad"]], "o-",
                label=r"weights $\|\partial L/\partial W_l\|$")
    ax.semilogy(p["layer"], [max(v, tiny) for v in p["signal_grad"]], "s--",
                label=r"signal $\|\partial L/\partial z_l\|$")
    ax.set_xlabel("hidden layer l (1 = next to the input)")
    ax.set_ylabel("gradient norm (log scale)")
    ratio = p["weight_grad"][0] / p["weight_grad"][-1] if p["weight_grad"][-1] > 0 else float("inf")
    ax.set_title(f"{activation}, {depth} layers, Xavier x {init_scale:g}: "
                 f"first/last = {ratio:.3g}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    return {"ratio": ratio, "first": p["weight_grad"][0], "last": p["weight_grad"][-1]}


def depth_explorer(depth: int = 20, activation: str = "sigmoid", init_scale: float = 1.0) -> Any:
    """Sliders for depth (2..50), activation and init scale (0.1..4) redrawing the profile."""
    import ipywidgets as widgets

    depth = check_int("depth", depth, minimum=2, maximum=50)
    activation = check_choice("activation", activation, EXPLORER_ACTIVATIONS)
    init_scale = check_float("init_scale", init_scale, minimum=0.1, maximum=4.0)

    def show(depth: int, activation: str, init_scale: float) -> None:
        plot_depth_profile(depth, activation, init_scale)

    return widgets.interactive(
        show,
        depth=widgets.IntSlider(value=depth, min=2, max=50, description="depth"),
        activation=widgets.Dropdown(options=list(EXPLORER_ACTIVATIONS), value=activation,
                                    description="activation"),
        init_scale=widgets.FloatLogSlider(value=init_scale, base=10, min=-1, max=0.6, step=0.05,
                                          description="init scale"),
    )
