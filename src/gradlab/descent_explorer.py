"""The two explorers of chapter 1: the learning-rate boundary and descent on a 2-D quadratic.

Step size (1-D): J(theta) = L/2 theta^2, so theta_k = (1 - alpha L)^k theta_0. The iterates
converge for 0 < alpha < 2/L and grow for alpha > 2/L; the explorer draws them on the parabola
and as |theta_k| against k.

Descent (2-D): J(theta) = 1/2 theta^T A theta with the path of gradient descent over the contours
and the loss J(theta_k) against k.

Each explorer comes three ways (one convention for every explorer of the course):

    plot_*     a matplotlib figure and the numbers it shows (a NamedTuple); never calls show()
    explore_*  ipywidgets sliders that redraw plot_* (JupyterLab, Colab, Binder)
    web_*      the website's live figure: every slider position computed here in advance
               (gradlab.webfig), swapped in the browser with no kernel
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validate import check_float, check_int
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
from .webfig import Group, LiveFigure, explorer_figure, index_slider, plain_figure, readable, rounded

# ------------------------------------------------------------------ the learning-rate boundary

#: the step-size explorer's problem: J = L/2 theta^2 from theta_0 = 1, 20 steps
STEP_L, STEP_THETA0, STEP_STEPS = 4.0, 1.0, 20
#: the learning rates the website's slider offers: 0.01, 0.02, ..., 0.6 (2/L = 0.5 is on it)
STEP_ALPHAS = tuple(round(0.01 * i, 2) for i in range(1, 61))


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
    return (f"α = {view.alpha:.3g} = {view.alpha / view.critical:.2f} × 2/L: each step multiplies "
            f"the error by {view.factor:+.3g}; after {STEP_STEPS} steps |θ| = "
            f"{readable(view.final_error)}, so descent {view.verdict}")


def plot_step_size(alpha: float = 0.45, L: float = STEP_L):
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
    ax_err.set_title(f"descent {view.verdict}")
    fig.tight_layout()
    return fig, view


def explore_step_size(alpha: float = 0.45) -> Any:
    """ipywidgets: a learning-rate slider (0.01 to 0.6) redrawing :func:`plot_step_size`."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    alpha = check_float("alpha", alpha, minimum=0.01, maximum=0.6)

    def draw(alpha: float) -> None:
        plot_step_size(alpha)
        plt.show()

    return widgets.interactive(draw, alpha=widgets.FloatSlider(
        value=alpha, min=0.01, max=0.6, step=0.01, readout_format=".2f", description="alpha"))


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


def web_step_size(alpha: float = 0.45) -> LiveFigure:
    """The live figure of :func:`plot_step_size` for every alpha in ``STEP_ALPHAS``."""
    from bokeh.models import ColumnDataSource, Span

    if alpha not in STEP_ALPHAS:
        raise ValueError(f"alpha must be one of STEP_ALPHAS (0.01 ... 0.6), got {alpha!r}")
    states = {str(i): step_size_state(a) for i, a in enumerate(STEP_ALPHAS)}
    sources = {"iterates": ColumnDataSource(), "errors": ColumnDataSource()}
    span = 6.0
    grid = np.linspace(-span, span, 121)
    fig_j = plain_figure(250, x_range=(-3.0, 3.0), y_range=(0, 0.5 * STEP_L * 3.0**2),
                         x_axis_label="θ", y_axis_label="J(θ) = (L/2) θ²",
                         title=f"iterates on J (L = {STEP_L:g}, θ₀ = {STEP_THETA0:g})")
    fig_j.line(grid, 0.5 * STEP_L * grid**2, color="#999999", line_width=2)
    fig_j.line("theta", "J", source=sources["iterates"], color="#d62728", line_width=1.5)
    fig_j.scatter("theta", "J", source=sources["iterates"], color="#d62728", size=6)
    fig_e = plain_figure(230, y_axis_type="log", y_range=(1e-12, 1e4), x_range=(-0.5, 20.5),
                         x_axis_label="step k", y_axis_label="error |θₖ|",
                         title="error per step (dashed: the start)")
    fig_e.add_layout(Span(location=1.0, dimension="width", line_color="#555555", line_dash="dashed"))
    fig_e.line("k", "err", source=sources["errors"], color="#1f77b4", line_width=1.5)
    fig_e.scatter("k", "err", source=sources["errors"], color="#1f77b4", size=5)
    slider = index_slider("learning rate α", [f"{a:.2f}" for a in STEP_ALPHAS],
                          STEP_ALPHAS.index(alpha), "control-alpha")
    group = Group([slider], states, str(STEP_ALPHAS.index(alpha)))
    return explorer_figure([group], sources, [fig_j, fig_e], "step_size",
                           f"live figure: {len(states)} precomputed learning rates (website only)")


# ------------------------------------------------------------------ descent on a 2-D quadratic

#: the learning rates the website's descent slider offers: 0.005, 0.01, ..., 0.25 (2/L = 0.2)
DESCENT_ALPHAS = tuple(round(0.005 * i, 3) for i in range(1, 51))


class DescentView(NamedTuple):
    """What the descent figure shows."""

    alpha: float
    critical: float      # 2 / lambda_max(A)
    final_loss: float    # J(theta_steps), inf if the iterates left float64's range
    verdict: str         # "converges" or "diverges"


def descent_view(A: Any, path: np.ndarray, alpha: float) -> DescentView:
    """The numbers of a descent figure for a path from :func:`gradlab.descent.descend`."""
    loss = losses(A, path)
    crit = critical_step(A)
    final = float(loss[-1]) if np.isfinite(loss[-1]) else float("inf")
    return DescentView(alpha, crit, final, "converges" if final < loss[0] else "diverges")


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
    ax_loss.semilogy(np.arange(loss.size)[finite], loss[finite], ".-", color="C0")
    ax_loss.set_xlabel("step k")
    ax_loss.set_ylabel(r"loss $J(\theta_k)$")
    ax_loss.set_title(f"descent {view.verdict}")
    fig.tight_layout()
    return fig, view


def explore_descent(A: Any = DEFAULT_A, steps: int = DEFAULT_STEPS,
                    alpha: float = DEFAULT_ALPHA) -> Any:
    """ipywidgets: sliders for alpha (up to 1.25 x 2/L) and the start point redraw plot_descent.

    It opens at ``alpha`` (capped at 2/L), where the website's live figure opens by default."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    mat = as_curvature_matrix(A)
    if mat.shape[0] != 2:
        raise ValueError(f"A must be 2x2 for the explorer, got {mat.shape[0]}x{mat.shape[0]}")
    steps = check_int("steps", steps, minimum=1, maximum=1000)
    crit = critical_step(mat)
    alpha = check_float("alpha", alpha, minimum=0.0, strict_min=True)

    def draw(alpha: float, theta1: float, theta2: float) -> None:
        plot_descent(mat, (theta1, theta2), alpha, steps)
        plt.show()

    return widgets.interactive(
        draw,
        alpha=widgets.FloatSlider(value=min(alpha, crit), min=0.01 * crit,
                                  max=1.25 * crit, step=0.005 * crit, readout_format=".3f",
                                  description="alpha"),
        theta1=widgets.FloatSlider(value=DEFAULT_THETA0[0], min=-10.0, max=10.0, step=0.5,
                                   description="theta1 start"),
        theta2=widgets.FloatSlider(value=DEFAULT_THETA0[1], min=-10.0, max=10.0, step=0.5,
                                   description="theta2 start"),
    )


def descent_state(alpha: float, A: Any = DEFAULT_A, theta0: Any = DEFAULT_THETA0,
                  steps: int = DEFAULT_STEPS) -> dict:
    """The website's state for one learning rate: path, losses and the readout line."""
    mat = as_curvature_matrix(A)
    path = descend(mat, theta0, alpha, steps)
    view = descent_view(mat, path, alpha)
    loss = losses(mat, path)
    ok = np.all(np.isfinite(path), axis=1) & np.isfinite(loss)
    text = (f"α = {alpha:.3g} = {alpha / view.critical:.2f} × 2/L: loss after {steps} steps "
            f"{readable(view.final_loss)} (start {readable(loss[0])}), so descent {view.verdict}")
    return {"data": {"path": {"t1": rounded(path[ok, 0]), "t2": rounded(path[ok, 1])},
                     "loss": {"k": [float(k) for k in np.arange(loss.size)[ok]],
                              "J": rounded(loss[ok])}},
            "text": text}


def web_descent(alpha: float = DEFAULT_ALPHA) -> LiveFigure:
    """The live figure of :func:`plot_descent` (default A and start) for every alpha in
    ``DESCENT_ALPHAS``."""
    from bokeh.models import ColumnDataSource

    if alpha not in DESCENT_ALPHAS:
        raise ValueError(f"alpha must be one of DESCENT_ALPHAS (0.005 ... 0.25), got {alpha!r}")
    mat = as_curvature_matrix(DEFAULT_A)
    states = {str(i): descent_state(a) for i, a in enumerate(DESCENT_ALPHAS)}
    sources = {"path": ColumnDataSource(), "loss": ColumnDataSource()}
    span = 1.2 * max(abs(v) for v in DEFAULT_THETA0)
    fig_p = plain_figure(300, x_range=(-span, span), y_range=(-span / 2, span / 2),
                         x_axis_label="θ₁", y_axis_label="θ₂",
                         title="path over the contours of J")
    top = float(losses(mat, np.array([DEFAULT_THETA0]))[0])
    curves = _contours(mat, span, top)
    fig_p.multi_line([list(c[0]) for c in curves], [list(c[1]) for c in curves],
                     color="#aaaaaa", line_width=1)
    fig_p.scatter([0.0], [0.0], marker="star", size=14, color="black")
    fig_p.line("t1", "t2", source=sources["path"], color="#d62728", line_width=1.5)
    fig_p.scatter("t1", "t2", source=sources["path"], color="#d62728", size=5)
    fig_l = plain_figure(230, y_axis_type="log", x_axis_label="step k",
                         y_axis_label="loss J(θₖ)", title="loss per step (log scale)")
    fig_l.line("k", "J", source=sources["loss"], color="#1f77b4", line_width=1.5)
    fig_l.scatter("k", "J", source=sources["loss"], color="#1f77b4", size=5)
    slider = index_slider("learning rate α", [f"{a:.3f}" for a in DESCENT_ALPHAS],
                          DESCENT_ALPHAS.index(alpha), "control-alpha")
    group = Group([slider], states, str(DESCENT_ALPHAS.index(alpha)))
    return explorer_figure([group], sources, [fig_p, fig_l], "descent",
                           f"live figure: {len(states)} precomputed learning rates (website only)")
