"""Explorer for chapter 3: how the gradient of h_T grows or shrinks with w, T and a matrix scale.

Left panel:  |dL/dw| = |T w^(T-1) h_0| for the scalar recurrence h_t = w h_{t-1}, L = h_T,
             against the number of steps t = 1..T.
Right panel: ||dh_t/dh_0||_2 for a tanh RNN h_t = tanh(W h_{t-1} + U x_t) with W = scale * Q
             (Q orthogonal, so sigma_max(W) = |scale|), next to the linear case
             ||W^t||_2 = |scale|^t.

The explorer is described once, ``WT`` (gradlab.explorer): the w and s controls (and T in
JupyterLab), two state functions (``scalar_state``, ``matrix_state``: each panel has its own
control) and the panels. ``plot_wT`` draws the matplotlib figure and returns it with the numbers
it shows; ``explore_in_lab(WT)`` is the JupyterLab form, ``coursepages.webfig.web_figure(WT)``
the website's.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._validate import check_float, check_int
from .explorer import Control, Explorer, Group, Layer, Panel, positive, rounded
from .notebook import readable
from .recurrence import grad_closed_form
from .rnn_jacobian import rnn_jacobian_norms, scaled_orthogonal

_N, _M = 16, 4  # RNN width and input size of the explorer's network
#: the y axes of the two panels (both forms): fixed, so that settings can be compared
SCALAR_RANGE, MATRIX_RANGE = (1e-12, 1e20), (1e-20, 1e30)


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


def plot_wT(w: float = 2.0, T: int = 5, scale: float = 1.0):
    """Left: |dL/dw| = t |w|^(t-1) against t; right: ||dh_t/dh_0|| of the tanh RNN and s^t.

    Returns ``(figure, WTView)`` with the values at t = T.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    c = wT_curves(w, T, scale)
    view = WTView(c.scalar[-1], c.linear[-1], c.tanh[-1])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.8, 3.6))
    ax1.semilogy(*positive(c.t, c.scalar), "o-", markersize=3, label=f"w = {w:g}")
    ax1.semilogy(c.t, c.t, "--", color="gray", label="|w| = 1 (grows like t)")
    ax1.set_xlabel("number of steps t")
    ax1.set_ylabel(r"$|\mathrm{d}L/\mathrm{d}w| = t\,|w|^{t-1}$")
    ax1.set_title(f"scalar, w = {w:g}: {readable(view.grad)} at T = {T}")
    ax2.semilogy(*positive(c.t, c.linear), "--", label=r"linear $s^t$")
    ax2.semilogy(*positive(c.t, c.tanh), "o-", markersize=3, label="tanh RNN")
    ax2.set_xlabel("number of steps t")
    ax2.set_ylabel(r"$\|\partial h_t/\partial h_0\|_2$")
    ax2.set_title(f"matrix W = sQ, s = {scale:g}")
    # a zero weight (or scale) makes every gradient after the first step exactly 0: say so, since
    # a log axis cannot draw it
    note = {"ha": "center", "va": "center", "fontsize": "small",
            "bbox": {"facecolor": "white", "edgecolor": "0.7"}}
    if w == 0.0:
        ax1.text(0.55, 0.5, "w = 0: dL/dw = 0\nfor every t > 1\n(0 has no place\non a log axis)",
                 transform=ax1.transAxes, **note)
    if scale == 0.0:
        ax2.text(0.55, 0.5, "s = 0: W = 0\nforgets h₀ in one step:\nevery norm is 0\n"
                 "(no place on a log axis)", transform=ax2.transAxes, **note)
    # the website's axes, the same at every setting, so that two settings can be compared
    ax1.set_ylim(*SCALAR_RANGE)
    ax2.set_ylim(*MATRIX_RANGE)
    for ax in (ax1, ax2):
        ax.set_xlim(0, T + 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False)
    fig.tight_layout()
    return fig, view


#: the horizon of the website's live figure, where the JupyterLab explorer's T opens too
HORIZON = 60
#: the website's positions: w = -2, -1.9, ..., 2 and matrix scales s = 0.1, 0.2, ..., 3, without
#: 0: at w = 0 (or s = 0) every gradient after the first step is exactly 0, which a log axis
#: cannot draw (the panel would be empty)
W_VALUES = tuple(round(-2.0 + 0.1 * i, 1) for i in range(41) if i != 20)
MATRIX_SCALES = tuple(round(0.1 * i, 1) for i in range(1, 31))


def scalar_state(w: float) -> dict:
    """The website's state of the scalar panel for one w."""
    c = wT_curves(w, HORIZON, 1.0)
    t, v = positive(c.t, c.scalar)
    return {"data": {"scalar": {"t": t, "g": rounded(v)}},
            "text": f"scalar, w = {w:g}: |dL/dw| = {readable(c.scalar[-1])} at T = {HORIZON}"}


def matrix_state(scale: float) -> dict:
    """The website's state of the matrix panel for one scale s."""
    c = wT_curves(1.0, HORIZON, scale)
    t_lin, lin = positive(c.t, c.linear)
    t_tanh, tanh = positive(c.t, c.tanh)
    return {"data": {"linear": {"t": t_lin, "g": rounded(lin)},
                     "tanh": {"t": t_tanh, "g": rounded(tanh)}},
            "text": (f"matrix W = sQ, s = {scale:g}: at T = {HORIZON}, linear sᵀ = "
                     f"{readable(c.linear[-1])}, tanh RNN {readable(c.tanh[-1])}")}


_TS = [float(t) for t in range(1, HORIZON + 1)]

#: the w^T explorer, described once (gradlab.explorer): w drives the scalar panel, s the matrix one
WT = Explorer(
    name="wt",
    controls=(
        Control("w", "w (scalar recurrence)", W_VALUES, 2.0, lab=(-3.0, 3.0, 0.05)),
        Control("T", "T (steps)", (), HORIZON, lab=(1, 100, 1), web=False),
        Control("scale", "matrix scale s", MATRIX_SCALES, 1.0, lab=(0.0, 5.0, 0.05))),
    groups=(Group(("w",), scalar_state), Group(("scale",), matrix_state)),
    panels=(
        Panel(270, "number of steps t", "|dL/dw| = t·|w|ᵗ⁻¹", title="scalar (dashed: |w| = 1)",
              y_log=True, y_range=SCALAR_RANGE, x_range=(0, HORIZON + 1), layers=(
                  Layer("line", _TS, _TS, color="#888888", dash="dashed"),
                  Layer("line", "t", "g", "scalar", color="#1f77b4", width=2),
                  Layer("scatter", "t", "g", "scalar", color="#1f77b4", size=4))),
        Panel(270, "number of steps t", "‖∂hₜ/∂h₀‖₂", title="tanh RNN, W = sQ (dashed: sᵗ)",
              y_log=True, y_range=MATRIX_RANGE, x_range=(0, HORIZON + 1), layers=(
                  Layer("line", "t", "g", "linear", color="#888888", dash="dashed", width=2),
                  Layer("line", "t", "g", "tanh", color="#ff7f0e", width=2),
                  Layer("scatter", "t", "g", "tanh", color="#ff7f0e", size=4)))),
    plot=plot_wT,
    summary="live figure: {n} precomputed curves (website only)")
