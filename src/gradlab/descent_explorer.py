"""The two explorers of chapter 1: the learning-rate boundary and descent on a 2-D quadratic.

Step size (1-D): J(theta) = L/2 theta^2, so theta_k = (1 - alpha L)^k theta_0. The iterates
converge for 0 < alpha < 2/L and grow for alpha > 2/L; the explorer draws them on the parabola
and as |theta_k| against k.

Descent (2-D): J(theta) = 1/2 theta^T A theta with the path of gradient descent over the contours
and the loss J(theta_k) against k.

Each explorer is described once (``STEP_SIZE``, ``DESCENT``: gradlab.explorer): its controls, its
state function (``step_size_state``, ``descent_state``) and its panels; ``plot_*`` draws the
matplotlib figure and returns the numbers it shows. ``explore_in_lab(STEP_SIZE)`` is the
JupyterLab form, ``coursepages.webfig.web_figure(STEP_SIZE)`` the website's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validate import check_float
from .descent import (
    DEFAULT_A,
    DEFAULT_ALPHA,
    DEFAULT_STEPS,
    DEFAULT_THETA0,
    as_curvature_matrix,
    critical_step,
    descend,
    losses,
)
from .explorer import Control, Explorer, Group, Layer, Panel, rounded
from .notebook import readable

# ------------------------------------------------------------------ the learning-rate boundary

#: the step-size explorer's problem: J = L/2 theta^2 from theta_0 = 1, 20 steps
STEP_L, STEP_THETA0, STEP_STEPS = 4.0, 1.0, 20
#: the learning rates the website's slider offers: 0.01, 0.02, ..., 0.6 (2/L = 0.5 is on it)
STEP_ALPHAS = tuple(round(0.01 * i, 2) for i in range(1, 61))
#: where the step-size explorer opens (both forms) and plot_step_size's default
STEP_START = 0.45


class StepSizeView(NamedTuple):
    """What the step-size figure shows."""

    alpha: float
    critical: float      # 2 / L
    factor: float        # 1 - alpha L, the factor per step
    final_error: float   # |theta_steps|
    verdict: str         # "converges", "oscillates forever" or "diverges"


def step_size_path(alpha: float, L: float = STEP_L, theta0: float = STEP_THETA0,
                   steps: int = STEP_STEPS) -> tuple[np.ndarray, StepSizeView]:
    """theta_0..theta_steps of gradient descent on L/2 theta^2, and the numbers of the figure."""
    alpha = check_float("alpha", alpha, minimum=0.0, strict_min=True)
    L = check_float("L", L, minimum=0.0, strict_min=True)
    path = descend(L, theta0, alpha, steps)[:, 0]
    factor = 1.0 - alpha * L
    final = float(abs(path[-1])) if np.isfinite(path[-1]) else float("inf")
    if abs(factor) < 1.0:
        verdict = "converges"
    elif abs(factor) == 1.0:
        verdict = "oscillates forever"
    else:
        verdict = "diverges"
    return path, StepSizeView(alpha, 2.0 / L, factor, final, verdict)


def _step_text(view: StepSizeView) -> str:
    head = f"α = {view.alpha:.3g} = {view.alpha / view.critical:.2f} × 2/L: "
    if view.factor == 0.0:   # alpha = 1/L: nothing is left to draw on the log axis after step 0
        return (head + "each step multiplies the error by 0: the first step lands exactly on the "
                f"minimum (an error of 0 lies below the log axis), so descent {view.verdict}")
    return (head + f"each step multiplies the error by {view.factor:+.3g}; after {STEP_STEPS} "
            f"steps |θ| = {readable(view.final_error)}, so descent {view.verdict}")


def plot_step_size(alpha: float = STEP_START, L: float = STEP_L):
    """Left: the iterates on the parabola J = L/2 theta^2; right: |theta_k| against k (log).

    Returns ``(figure, StepSizeView)``.
    """
    import matplotlib.pyplot as plt

    path, view = step_size_path(alpha, L)
    fig, (ax_j, ax_err) = plt.subplots(1, 2, figsize=(6.8, 3.2))
    span = max(1.5, min(float(np.nanmax(np.abs(path))) * 1.1, 6.0))
    grid = np.linspace(-span, span, 201)
    ax_j.plot(grid, 0.5 * L * grid**2, color="0.6")
    ax_j.plot(path, 0.5 * L * path**2, "o-", color="C3", markersize=3, linewidth=1)
    ax_j.set_xlim(-span, span)
    ax_j.set_ylim(0, 0.5 * L * span**2)
    ax_j.set_xlabel(r"$\theta$")
    ax_j.set_ylabel(r"$J(\theta) = \frac{L}{2}\theta^2$")
    ax_j.set_title(rf"$\alpha$ = {alpha:.3g} ({alpha / view.critical:.2f} × 2/L)")
    k = np.arange(path.size)
    ax_err.semilogy(k, np.maximum(np.abs(path), 1e-300), ".-", color="C0")
    ax_err.set_ylim(1e-12, 1e4)
    ax_err.set_xlabel("step k")
    ax_err.set_ylabel(r"error $|\theta_k|$")
    ax_err.set_title("lands on the minimum in one step" if view.factor == 0.0
                     else f"descent {view.verdict}")
    fig.tight_layout()
    return fig, view


def step_size_state(alpha: float) -> dict:
    """The website's state for one learning rate: the iterates and the readout line."""
    path, view = step_size_path(alpha)
    ok = np.isfinite(path)
    theta = path[ok]
    return {"data": {"iterates": {"theta": rounded(theta),
                                  "J": rounded(0.5 * STEP_L * theta**2)},
                     "errors": {"k": [float(k) for k in np.arange(path.size)[ok]],
                                "err": rounded(np.maximum(np.abs(theta), 1e-300))}},
            "text": _step_text(view)}


_GRID = np.linspace(-6.0, 6.0, 121)

#: the step-size explorer, described once (gradlab.explorer)
STEP_SIZE = Explorer(
    name="step_size",
    controls=(Control("alpha", "learning rate α", STEP_ALPHAS, STEP_START, lab=(0.01, 0.6, 0.01),
                      fmt=".2f"),),
    groups=(Group(("alpha",), step_size_state),),
    panels=(
        Panel(250, "θ", "J(θ) = (L/2) θ²", title=f"iterates on J (L = {STEP_L:g}, θ₀ = {STEP_THETA0:g})",
              x_range=(-3.0, 3.0), y_range=(0.0, 0.5 * STEP_L * 3.0**2), layers=(
                  Layer("line", rounded(_GRID), rounded(0.5 * STEP_L * _GRID**2), color="#999999",
                        width=2),
                  Layer("line", "theta", "J", "iterates", color="#d62728"),
                  Layer("scatter", "theta", "J", "iterates", color="#d62728", size=6))),
        Panel(230, "step k", "error |θₖ|", title="error per step (dashed: the start)", y_log=True,
              y_range=(1e-12, 1e4), x_range=(-0.5, STEP_STEPS + 0.5), layers=(
                  Layer("hline", y=1.0, color="#555555", dash="dashed"),
                  Layer("line", "k", "err", "errors", color="#1f77b4"),
                  Layer("scatter", "k", "err", "errors", color="#1f77b4", size=5)))),
    plot=plot_step_size,
    summary="live figure: {n} precomputed learning rates (website only)")


# ------------------------------------------------------------------ descent on a 2-D quadratic

#: the learning rates the website's descent slider offers: 0.005, 0.01, ..., 0.25 (2/L = 0.2)
DESCENT_ALPHAS = tuple(round(0.005 * i, 3) for i in range(1, 51))


#: the loss axis of the descent explorer, the same at every position (both forms): from the
#: best position's last loss (about 5e-6) to the largest one's (about 6e15)
DESCENT_LOSS_RANGE = (1e-6, 1e17)


class DescentView(NamedTuple):
    """What the descent figure shows."""

    alpha: float
    critical: float      # 2 / lambda_max(A)
    final_loss: float    # J(theta_steps), inf if the iterates left float64's range
    verdict: str         # "converges", "oscillates forever" or "diverges"
    factor_flat: float   # 1 - alpha lambda_min(A): the error's factor per step along the flat axis
    factor_steep: float  # 1 - alpha lambda_max(A): along the steep axis


def descent_view(A: Any, path: np.ndarray, alpha: float) -> DescentView:
    """The numbers of a descent figure for a path from :func:`gradlab.descent.descend`.

    The verdict comes from the factors 1 - alpha lambda_i of the eigendirections the start has a
    component along: all below 1 in size converges, a largest of exactly 1 oscillates forever
    (alpha = 2/lambda_max), above 1 diverges.
    """
    mat = as_curvature_matrix(A)
    loss = losses(mat, path)
    crit = critical_step(mat)
    eig, vec = np.linalg.eigh(mat)
    factors = 1.0 - alpha * eig
    present = np.abs(vec.T @ path[0]) > 0
    size = float(np.max(np.abs(factors[present]))) if present.any() else 0.0
    verdict = ("converges" if size < 1.0 - 1e-12 else "diverges" if size > 1.0 + 1e-12
               else "oscillates forever")
    final = float(loss[-1]) if np.isfinite(loss[-1]) else float("inf")
    return DescentView(alpha, crit, final, verdict, float(factors[0]), float(factors[-1]))


def _contours(mat: np.ndarray, span: float, top: float) -> list[np.ndarray]:
    """Level sets 1/2 theta^T A theta = c as closed curves (rows x, y), c from top / 1000 to top."""
    eig, vec = np.linalg.eigh(mat)
    t = np.linspace(0.0, 2.0 * np.pi, 121)
    curves = []
    for c in top * np.geomspace(1e-3, 1.0, 8):
        radii = np.sqrt(2.0 * c / eig)
        curves.append(vec @ np.vstack([radii[0] * np.cos(t), radii[1] * np.sin(t)]))
    return curves


def plot_descent(A: Any = DEFAULT_A, theta0: Any = DEFAULT_THETA0, alpha: float = DEFAULT_ALPHA,
                 steps: int = DEFAULT_STEPS):
    """The path of gradient descent over the contours of a 2-D quadratic, and J(theta_k) (log).

    Returns ``(figure, DescentView)``.
    """
    import matplotlib.pyplot as plt

    mat = as_curvature_matrix(A)
    if mat.shape[0] != 2:
        raise ValueError(f"A must be 2x2 for this plot, got {mat.shape[0]}x{mat.shape[0]}")
    path = descend(mat, theta0, alpha, steps)
    view = descent_view(mat, path, alpha)
    loss = losses(mat, path)
    start = path[0]
    span = 1.2 * max(np.abs(start).max(), 1.0)
    top = float(loss[0]) if loss[0] > 0 else 0.5 * float(np.trace(mat)) * span**2
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(6.8, 3.3))
    for curve in _contours(mat, span, top):
        ax_path.plot(curve[0], curve[1], color="0.7", linewidth=0.8)
    ok = np.all(np.isfinite(path), axis=1)
    ax_path.plot(path[ok, 0], path[ok, 1], "o-", color="C3", markersize=3, linewidth=1)
    ax_path.plot([0.0], [0.0], "k*", markersize=10)
    ax_path.set_xlim(-span, span)
    ax_path.set_ylim(-span, span)
    ax_path.set_xlabel(r"$\theta_1$")
    ax_path.set_ylabel(r"$\theta_2$")
    ax_path.set_title(rf"$\alpha$ = {alpha:.3g} (2/L = {view.critical:.3g})")
    finite = np.isfinite(loss) & (loss > 0)
    ax_loss.axhline(float(loss[0]), color="0.4", linestyle="--", linewidth=0.8)
    ax_loss.semilogy(np.arange(loss.size)[finite], loss[finite], ".-", color="C0")
    ax_loss.set_ylim(*DESCENT_LOSS_RANGE)
    ax_loss.set_xlabel("step k")
    ax_loss.set_ylabel(r"loss $J(\theta_k)$")
    ax_loss.set_title(f"descent {view.verdict}")
    fig.tight_layout()
    return fig, view


def descent_state(alpha: float, A: Any = DEFAULT_A, theta0: Any = DEFAULT_THETA0,
                  steps: int = DEFAULT_STEPS) -> dict:
    """The website's state for one learning rate: path, losses and the readout line."""
    mat = as_curvature_matrix(A)
    path = descend(mat, theta0, alpha, steps)
    view = descent_view(mat, path, alpha)
    loss = losses(mat, path)
    ok = np.all(np.isfinite(path), axis=1) & np.isfinite(loss)
    text = (f"α = {alpha:.3g} = {alpha / view.critical:.2f} × 2/L: per step the error × "
            f"{view.factor_flat:+.3g} along θ₁ (flat), × {view.factor_steep:+.3g} along θ₂ (steep); "
            f"loss after {steps} steps {readable(view.final_loss)} (start {readable(loss[0])}), "
            f"so descent {view.verdict}")
    return {"data": {"path": {"t1": rounded(path[ok, 0]), "t2": rounded(path[ok, 1])},
                     "loss": {"k": [float(k) for k in np.arange(loss.size)[ok]],
                              "J": rounded(loss[ok])}},
            "text": text}


def _plot_descent_lab(alpha: float, theta1: float, theta2: float):
    return plot_descent(DEFAULT_A, (theta1, theta2), alpha, DEFAULT_STEPS)


_A = as_curvature_matrix(DEFAULT_A)
_SPAN = 1.2 * max(abs(v) for v in DEFAULT_THETA0)
_J0 = float(losses(_A, np.array([DEFAULT_THETA0]))[0])   # the loss at the start
_CURVES = _contours(_A, _SPAN, _J0)
_CRIT = critical_step(_A)

#: the 2-D descent explorer, described once (gradlab.explorer); in JupyterLab the learning rate
#: reaches 1.25 x 2/L and the start point moves too
DESCENT = Explorer(
    name="descent",
    controls=(
        Control("alpha", "learning rate α", DESCENT_ALPHAS, DEFAULT_ALPHA,
                lab=(0.01 * _CRIT, 1.25 * _CRIT, 0.005 * _CRIT), fmt=".3f", lab_fmt=".3f"),
        Control("theta1", "θ₁ start", (), DEFAULT_THETA0[0], lab=(-10.0, 10.0, 0.5), web=False),
        Control("theta2", "θ₂ start", (), DEFAULT_THETA0[1], lab=(-10.0, 10.0, 0.5), web=False)),
    groups=(Group(("alpha",), descent_state),),
    panels=(
        Panel(300, "θ₁", "θ₂", title="path over the contours of J", x_range=(-_SPAN, _SPAN),
              y_range=(-_SPAN / 2, _SPAN / 2), layers=(
                  Layer("lines", [rounded(c[0]) for c in _CURVES], [rounded(c[1]) for c in _CURVES],
                        color="#aaaaaa", width=1),
                  Layer("scatter", [0.0], [0.0], marker="star", size=14, color="black"),
                  Layer("line", "t1", "t2", "path", color="#d62728"),
                  Layer("scatter", "t1", "t2", "path", color="#d62728", size=5))),
        Panel(230, "step k", "loss J(θₖ)", title="loss per step (dashed: the start)",
              y_log=True, y_range=DESCENT_LOSS_RANGE, x_range=(-1, DEFAULT_STEPS + 1), layers=(
            Layer("hline", y=_J0, color="#555555", dash="dashed"),
            Layer("line", "k", "J", "loss", color="#1f77b4"),
            Layer("scatter", "k", "J", "loss", color="#1f77b4", size=5)))),
    plot=_plot_descent_lab,
    summary="live figure: {n} precomputed learning rates (website only)")
