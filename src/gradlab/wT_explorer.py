"""Explorer for chapter 3: how the gradient of h_T grows or shrinks with w, T and a matrix scale.

Left panel:  |dL/dw| = |T w^(T-1) h_0| for the scalar recurrence h_t = w h_{t-1}, L = h_T,
             against the number of steps t = 1..T.
Right panel: ||dh_t/dh_0||_2 for a tanh RNN h_t = tanh(W h_{t-1} + U x_t) with W = scale * Q
             (Q orthogonal, so sigma_max(W) = |scale|), next to the linear case
             ||W^t||_2 = |scale|^t.

``plot_wT`` draws the figure and returns it with the numbers it shows; ``explore_wT`` wraps it in
ipywidgets sliders; ``web_wT`` is the website's live figure (every slider position computed here
in advance, gradlab.webfig).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from ._validate import check_float, check_int
from .recurrence import grad_closed_form
from .rnn_jacobian import rnn_jacobian_norms, scaled_orthogonal
from .webfig import Group, LiveFigure, explorer_figure, index_slider, plain_figure, readable, rounded

_N, _M = 16, 4  # RNN width and input size of the explorer's network


def _rnn_inputs(T: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    U = torch.randn(_N, _M, generator=g, dtype=torch.float64) / _M**0.5
    xs = torch.randn(T, _M, generator=g, dtype=torch.float64)
    return U, xs, torch.zeros(_N, dtype=torch.float64)


class WTCurves(NamedTuple):
    """The explorer's curves for t = 1..T."""

    t: list[float]
    scalar: list[float]   # |t w^(t-1) h_0|
    linear: list[float]   # |scale|^t = ||W^t||_2
    tanh: list[float]     # ||dh_t/dh_0||_2 of the tanh RNN with W = scale * Q


def wT_curves(w: float = 2.0, T: int = 5, scale: float = 1.0, h0: float = 1.0) -> WTCurves:
    """The explorer's numbers for t = 1..T (see :class:`WTCurves`)."""
    w = check_float("w", w, minimum=-3.0, maximum=3.0)
    T = check_int("T", T, minimum=1, maximum=200)
    scale = check_float("scale", scale, minimum=0.0, maximum=5.0)
    h0 = check_float("h0", h0)
    ts = list(range(1, T + 1))
    U, xs, h_init = _rnn_inputs(T)
    W = scaled_orthogonal(_N, scale, seed=0)
    return WTCurves(t=[float(t) for t in ts],
                    scalar=[abs(grad_closed_form(w, h0, t)) for t in ts],
                    linear=[scale**t for t in ts],
                    tanh=rnn_jacobian_norms(W, U, xs, h_init, "tanh"))


class WTView(NamedTuple):
    """What the wT figure shows, at t = T (h_0 = 1)."""

    grad: float     # |T w^(T-1)|
    linear: float   # s^T = ||W^T||_2
    tanh: float     # ||dh_T/dh_0||_2 of the tanh RNN


def _positive(ts: list[float], values: list[float]) -> tuple[list[float], list[float]]:
    """The points with a positive value (a log axis has no place for 0)."""
    pairs = [(t, v) for t, v in zip(ts, values, strict=True) if v > 0]
    return [t for t, _ in pairs], [v for _, v in pairs]


def plot_wT(w: float = 2.0, T: int = 5, scale: float = 1.0):
    """Left: |dL/dw| = t |w|^(t-1) against t; right: ||dh_t/dh_0|| of the tanh RNN and s^t.

    Returns ``(figure, WTView)`` with the values at t = T.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    c = wT_curves(w, T, scale)
    view = WTView(c.scalar[-1], c.linear[-1], c.tanh[-1])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.8, 3.6))
    ax1.semilogy(*_positive(c.t, c.scalar), "o-", markersize=3, label=f"w = {w:g}")
    ax1.semilogy(c.t, c.t, "--", color="gray", label="|w| = 1 (grows like t)")
    ax1.set_xlabel("number of steps t")
    ax1.set_ylabel(r"$|\mathrm{d}L/\mathrm{d}w| = t\,|w|^{t-1}$")
    ax1.set_title(f"scalar, w = {w:g}: {readable(view.grad)} at T = {T}")
    ax2.semilogy(*_positive(c.t, c.linear), "--", label=r"linear $s^t$")
    ax2.semilogy(*_positive(c.t, c.tanh), "o-", markersize=3, label="tanh RNN")
    ax2.set_xlabel("number of steps t")
    ax2.set_ylabel(r"$\|\partial h_t/\partial h_0\|_2$")
    ax2.set_title(f"matrix W = sQ, s = {scale:g}")
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False)
    fig.tight_layout()
    return fig, view


#: the horizon of the website's live figure; the ipywidgets explorer opens at the same T
WEB_T = 60


def explore_wT(w: float = 2.0, T: int = WEB_T, scale: float = 1.0) -> Any:
    """ipywidgets: sliders for w (-3..3), T (1..100) and the matrix scale s (0..5) redraw
    :func:`plot_wT`. It opens where the website's live figure (:func:`web_wT`) opens."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    w = check_float("w", w, minimum=-3.0, maximum=3.0)
    T = check_int("T", T, minimum=1, maximum=100)
    scale = check_float("scale", scale, minimum=0.0, maximum=5.0)

    def show(w: float, T: int, scale: float) -> None:
        plot_wT(w, T, scale)
        plt.show()

    return widgets.interactive(
        show,
        w=widgets.FloatSlider(value=w, min=-3.0, max=3.0, step=0.05, description="w"),
        T=widgets.IntSlider(value=T, min=1, max=100, description="T"),
        scale=widgets.FloatSlider(value=scale, min=0.0, max=5.0, step=0.05, description="scale s"),
    )


#: the website's grid: the curves for t = 1..WEB_T, w = -2, -1.9, ..., 2 and s = 0, 0.1, ..., 3
WEB_WS = tuple(round(-2.0 + 0.1 * i, 1) for i in range(41))
WEB_SCALES = tuple(round(0.1 * i, 1) for i in range(31))


def scalar_state(w: float) -> dict:
    """The website's state of the scalar panel for one w."""
    c = wT_curves(w, WEB_T, 1.0)
    t, v = _positive(c.t, c.scalar)
    return {"data": {"scalar": {"t": t, "g": rounded(v)}},
            "text": f"scalar, w = {w:g}: |dL/dw| = {readable(c.scalar[-1])} at T = {WEB_T}"}


def matrix_state(scale: float) -> dict:
    """The website's state of the matrix panel for one scale s."""
    c = wT_curves(1.0, WEB_T, scale)
    t_lin, lin = _positive(c.t, c.linear)
    t_tanh, tanh = _positive(c.t, c.tanh)
    return {"data": {"linear": {"t": t_lin, "g": rounded(lin)},
                     "tanh": {"t": t_tanh, "g": rounded(tanh)}},
            "text": (f"matrix W = sQ, s = {scale:g}: at T = {WEB_T}, linear sᵀ = "
                     f"{readable(c.linear[-1])}, tanh RNN {readable(c.tanh[-1])}")}


def web_wT(w: float = 2.0, scale: float = 1.0) -> LiveFigure:
    """The live figure of :func:`plot_wT` with T = WEB_T for every w in ``WEB_WS`` and s in
    ``WEB_SCALES`` (the two panels have their own slider)."""
    from bokeh.models import ColumnDataSource

    if w not in WEB_WS:
        raise ValueError(f"w must be one of WEB_WS (-2, -1.9, ..., 2), got {w!r}")
    if scale not in WEB_SCALES:
        raise ValueError(f"scale must be one of WEB_SCALES (0, 0.1, ..., 3), got {scale!r}")
    sources = {"scalar": ColumnDataSource(), "linear": ColumnDataSource(),
               "tanh": ColumnDataSource()}
    ts = [float(t) for t in range(1, WEB_T + 1)]
    fig_s = plain_figure(270, y_axis_type="log", y_range=(1e-12, 1e20), x_range=(0, WEB_T + 1),
                         x_axis_label="number of steps t", y_axis_label="|dL/dw| = t·|w|ᵗ⁻¹",
                         title="scalar (dashed: |w| = 1)")
    fig_s.line(ts, ts, color="#888888", line_dash="dashed", line_width=1.5)
    fig_s.line("t", "g", source=sources["scalar"], color="#1f77b4", line_width=2)
    fig_s.scatter("t", "g", source=sources["scalar"], color="#1f77b4", size=4)
    fig_m = plain_figure(270, y_axis_type="log", y_range=(1e-20, 1e30), x_range=(0, WEB_T + 1),
                         x_axis_label="number of steps t", y_axis_label="‖∂hₜ/∂h₀‖₂",
                         title="tanh RNN, W = sQ (dashed: sᵗ)")
    fig_m.line("t", "g", source=sources["linear"], color="#888888", line_dash="dashed",
               line_width=2)
    fig_m.line("t", "g", source=sources["tanh"], color="#ff7f0e", line_width=2)
    fig_m.scatter("t", "g", source=sources["tanh"], color="#ff7f0e", size=4)
    w_slider = index_slider("w (scalar recurrence)", [f"{v:g}" for v in WEB_WS],
                            WEB_WS.index(w), "control-w")
    s_slider = index_slider("matrix scale s", [f"{v:g}" for v in WEB_SCALES],
                            WEB_SCALES.index(scale), "control-scale")
    groups = [Group([w_slider], {str(i): scalar_state(v) for i, v in enumerate(WEB_WS)},
                    str(WEB_WS.index(w))),
              Group([s_slider], {str(i): matrix_state(v) for i, v in enumerate(WEB_SCALES)},
                    str(WEB_SCALES.index(scale)))]
    n = len(WEB_WS) + len(WEB_SCALES)
    return explorer_figure(groups, sources, [fig_s, fig_m], "wt",
                           f"live figure: {n} precomputed curves (website only)")
