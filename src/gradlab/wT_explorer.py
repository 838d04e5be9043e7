"""Explorer for chapter 3: how the gradient of h_T grows or shrinks with w, T and a matrix scale.

Left panel:  |dL/dw| = |T w^(T-1) h_0| for the scalar recurrence h_t = w h_{t-1}, L = h_T,
             against the number of steps t = 1..T.
Right panel: ||dh_t/dh_0||_2 for a tanh RNN h_t = tanh(W h_{t-1} + U x_t) with W = scale * Q
             (Q orthogonal, so sigma_max(W) = |scale|), next to the linear case
             ||W^t||_2 = |scale|^t.

``plot_wT(...)`` draws one static figure and returns the numbers it shows; ``wT_explorer()`` wraps
it in ipywidgets sliders.
"""

from __future__ import annotations

from typing import Any

import torch

from ._checks import check_float, check_int
from .recurrence import grad_closed_form
from .rnn_jacobian import rnn_jacobian_norms, scaled_orthogonal

_N, _M = 16, 4  # RNN width and input size of the explorer's network


def _rnn_inputs(T: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    U = torch.randn(_N, _M, generator=g, dtype=torch.float64) / _M**0.5
    xs = torch.randn(T, _M, generator=g, dtype=torch.float64)
    return U, xs, torch.zeros(_N, dtype=torch.float64)


def wT_curves(
    w: float = 2.0, T: int = 5, scale: float = 1.0, h0: float = 1.0
) -> dict[str, list[float]]:
    """The explorer's numbers for t = 1..T.

    Returns a dict with ``"t"``, ``"scalar"`` (|t w^(t-1) h_0|), ``"linear"`` (|scale|^t) and
    ``"tanh"`` (||dh_t/dh_0||_2 of the tanh RNN with W = scale * Q).
    """
    w = check_float("w", w, minimum=-3.0, maximum=3.0)
    T = check_int("T", T, minimum=1, maximum=200)
    scale = check_float("scale", scale, minimum=0.0, maximum=5.0)
    h0 = check_float("h0", h0)
    ts = list(range(1, T + 1))
    U, xs, h_init = _rnn_inputs(T)
    W = scaled_orthogonal(_N, scale, seed=0)
    return {
        "t": [float(t) for t in ts],
        "scalar": [abs(grad_closed_form(w, h0, t)) for t in ts],
        "linear": [scale**t for t in ts],
        "tanh": rnn_jacobian_norms(W, U, xs, h_init, "tanh"),
    }


def plot_wT(w: float = 2.0, T: int = 5, scale: float = 1.0) -> dict[str, float]:
    """Draw the two panels for (w, T, scale); return the values at t = T.

    Returns ``{"grad": |T w^(T-1)|, "linear": scale^T, "tanh": ||dh_T/dh_0||_2}`` (h_0 = 1).
    """
    import matplotlib.pyplot as plt

    c = wT_curves(w, T, scale)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    tiny = 1e-300  # keep exact zeros (w = 0) drawable on a log axis
    ax1.semilogy(c["t"], [max(v, tiny) for v in c["scalar"]], "o-", label=f"w = {w:g}")
    ax1.semilogy(c["t"], c["t"], "--", color="gray", label="|w| = 1: grows like t")
    ax1.set_xlabel("number of steps t")
    ax1.set_ylabel("|dL/dw| = |t w^(t-1) h0|")
    ax1.set_title(f"scalar: |dL/dw| at T={T} is {c['scalar'][-1]:.3g}")
    ax1.legend(fontsize=8)
    ax2.semilogy(c["t"], [max(v, tiny) for v in c["linear"]], "--", label="linear: ||W^t|| = s^t")
    ax2.semilogy(c["t"], [max(v, tiny) for v in c["tanh"]], "o-", label="tanh RNN")
    ax2.set_xlabel("number of steps t")
    ax2.set_ylabel("||dh_t/dh_0||_2")
    ax2.set_title(f"matrix W = s Q, s = {scale:g}")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    return {"grad": c["scalar"][-1], "linear": c["linear"][-1], "tanh": c["tanh"][-1]}


def wT_explorer(w: float = 2.0, T: int = 5, scale: float = 1.0) -> Any:
    """Sliders for w (-3..3), T (1..100) and the matrix scale s (0..5) redrawing ``plot_wT``."""
    import ipywidgets as widgets

    w = check_float("w", w, minimum=-3.0, maximum=3.0)
    T = check_int("T", T, minimum=1, maximum=100)
    scale = check_float("scale", scale, minimum=0.0, maximum=5.0)

    def show(w: float, T: int, scale: float) -> None:
        plot_wT(w, T, scale)

    return widgets.interactive(
        show,
        w=widgets.FloatSlider(value=w, min=-3.0, max=3.0, step=0.05, description="w"),
        T=widgets.IntSlider(value=T, min=1, max=100, description="T"),
        scale=widgets.FloatSlider(value=scale, min=0.0, max=5.0, step=0.05, description="scale s"),
    )
