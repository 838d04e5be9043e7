"""The momentum explorer: heavy-ball descent on an ill-conditioned 2-D quadratic.

J(theta) = 1/2 theta^T A theta with A = diag(mu, L) (a flat and a steep direction). Heavy ball
(Polyak's momentum) keeps a velocity:

    v_{k+1} = beta v_k - alpha grad J(theta_k),      theta_{k+1} = theta_k + v_{k+1}.

Along an eigendirection with curvature lam the pair (theta_k, theta_{k-1}) is multiplied by
M(lam) = [[1 + beta - alpha lam, -beta], [1, 0]] each step, so the error shrinks like rho^k with
rho(lam) = the spectral radius of M(lam); the slowest direction sets the rate
rho = max(rho(mu), rho(L)). The direction lam is critically damped (fastest without oscillating)
at beta = (1 - sqrt(alpha lam))^2, where the two roots of z^2 - (1 + beta - alpha lam) z + beta
meet; above it the iterates oscillate with |z| = sqrt(beta). The best pair for the whole
quadratic is alpha* = 4 / (sqrt(L) + sqrt(mu))^2, beta* = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2
with rate sqrt(beta*) (Polyak 1964), against (kappa - 1)/(kappa + 1) for the best plain step.

The explorer is described once, ``MOMENTUM`` (gradlab.explorer): step size and momentum, the
state function ``momentum_state`` and the panels; ``plot_momentum`` draws the matplotlib figure
and returns the numbers it shows. ``explore_in_lab(MOMENTUM)`` is the JupyterLab form,
``coursepages.webfig.web_figure(MOMENTUM)`` the website's.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._validate import check_float, check_int
from .explorer import Control, Explorer, Group, Layer, Panel, rounded
from .notebook import readable

#: the quadratic: a flat direction (mu) and a steep one (L), kappa = 50
MU, L = 0.02, 1.0
#: the start: far along the flat direction, off the valley floor in the steep one
THETA0 = (-1.0, 0.6)
STEPS = 60
#: the website's grid of step sizes (2/L = 2 is plain descent's limit) and momenta
MOMENTUM_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.3, 1.6, 1.9, 2.2, 2.6, 3.0)
MOMENTUM_BETAS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
#: where the explorer opens (the same on the website and in JupyterLab)
START_ALPHA, START_BETA = 1.0, 0.0


def heavy_ball(alpha: float, beta: float, steps: int = STEPS, theta0: Any = THETA0,
               mu: float = MU, L: float = L) -> np.ndarray:
    """theta_0 .. theta_steps of heavy-ball descent on 1/2 (mu x^2 + L y^2), shape (steps+1, 2).

    Rows after the iterates leave 1e100 are NaN (not computed): the run has diverged.
    """
    alpha = check_float("alpha", alpha, minimum=0.0, strict_min=True)
    beta = check_float("beta", beta, minimum=0.0, maximum=1.0)
    steps = check_int("steps", steps, minimum=0, maximum=100_000)
    curv = np.array([check_float("mu", mu, minimum=0.0, strict_min=True),
                     check_float("L", L, minimum=0.0, strict_min=True)])
    theta = np.asarray(theta0, dtype=np.float64).reshape(2).copy()
    velocity = np.zeros(2)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = theta
    for k in range(steps):
        velocity = beta * velocity - alpha * curv * theta
        theta = theta + velocity
        if not np.all(np.abs(theta) < 1e100):
            break
        path[k + 1] = theta
    return path


def direction_rate(alpha: float, beta: float, lam: float) -> float:
    """The spectral radius of [[1 + beta - alpha lam, -beta], [1, 0]]: the per-step factor of the
    error along a direction of curvature ``lam``."""
    roots = np.roots([1.0, -(1.0 + beta - alpha * lam), beta])
    return float(np.max(np.abs(roots)))


def critical_beta(alpha: float, lam: float) -> float:
    """beta = (1 - sqrt(alpha lam))^2, the momentum that critically damps curvature ``lam``
    (0 once alpha lam >= 1: plain descent already overshoots there)."""
    s = np.sqrt(alpha * lam)
    return float((1.0 - s) ** 2) if s < 1.0 else 0.0


def best_momentum(mu: float = MU, L: float = L) -> tuple[float, float, float]:
    """(alpha*, beta*, rate*) for heavy ball on a quadratic with curvatures mu <= L."""
    alpha = 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2
    beta = ((np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))) ** 2
    return float(alpha), float(beta), float(np.sqrt(beta))


class MomentumView(NamedTuple):
    """What the momentum figure shows."""

    alpha: float
    beta: float
    rate: float          # max over the two directions of the per-step factor
    rate_flat: float     # the flat direction's factor
    rate_steep: float    # the steep direction's factor
    critical: float      # the beta that critically damps the flat direction at this alpha
    final_loss: float    # J(theta_steps), inf once diverged
    verdict: str         # "converges" or "diverges"


def momentum_view(alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray, MomentumView]:
    """The path, its losses J(theta_k) and the numbers of the figure."""
    path = heavy_ball(alpha, beta)
    loss = 0.5 * (MU * path[:, 0] ** 2 + L * path[:, 1] ** 2)
    flat, steep = direction_rate(alpha, beta, MU), direction_rate(alpha, beta, L)
    rate = max(flat, steep)
    final = float(loss[-1]) if np.isfinite(loss[-1]) else float("inf")
    view = MomentumView(alpha, beta, rate, flat, steep, critical_beta(alpha, MU), final,
                        "converges" if rate < 1.0 else "diverges")
    return path, loss, view


def _text(view: MomentumView) -> str:
    if abs(view.rate_flat - view.rate_steep) < 1e-9:     # both spiral at sqrt(beta)
        which = "both directions alike"
    else:
        which = f"the {'flat' if view.rate_flat > view.rate_steep else 'steep'} direction is the slower"
    return (f"α = {view.alpha:g}, β = {view.beta:g}: error × {view.rate:.3f} per step ({which}), "
            f"so descent {view.verdict}; loss after {STEPS} steps "
            f"{readable(view.final_loss)}. The flat direction is critically damped at "
            f"β = {view.critical:.2f}.")


def plot_momentum(alpha: float = START_ALPHA, beta: float = START_BETA):
    """Left: the path over the contours of J; right: J(theta_k) per step (log). Returns
    ``(figure, MomentumView)``."""
    import matplotlib.pyplot as plt

    path, loss, view = momentum_view(alpha, beta)
    fig, (ax_p, ax_l) = plt.subplots(1, 2, figsize=(6.8, 3.2))
    t = np.linspace(0, 2 * np.pi, 121)
    for c in 0.5 * (MU * THETA0[0] ** 2 + L * THETA0[1] ** 2) * np.geomspace(1e-3, 1, 7):
        ax_p.plot(np.sqrt(2 * c / MU) * np.cos(t), np.sqrt(2 * c / L) * np.sin(t), color="0.75",
                  linewidth=0.8)
    ok = np.all(np.isfinite(path), axis=1)
    ax_p.plot(path[ok, 0], path[ok, 1], "o-", color="C3", markersize=2.5, linewidth=1)
    ax_p.plot([0.0], [0.0], "k*", markersize=9)
    ax_p.set_xlim(-1.5, 1.5)
    ax_p.set_ylim(-1.0, 1.0)
    ax_p.set_xlabel(r"$\theta_1$ (flat, $\mu$ = 0.02)")
    ax_p.set_ylabel(r"$\theta_2$ (steep, $L$ = 1)")
    ax_p.set_title(rf"$\alpha$ = {alpha:g}, $\beta$ = {beta:g}")
    good = np.isfinite(loss) & (loss > 0)
    ax_l.semilogy(np.arange(loss.size)[good], loss[good], ".-", color="C0")
    ax_l.set_ylim(1e-12, 1e4)
    ax_l.set_xlabel("step k")
    ax_l.set_ylabel(r"loss $J(\theta_k)$")
    ax_l.set_title(f"× {view.rate:.3f} per step: {view.verdict}")
    fig.tight_layout()
    return fig, view


def momentum_state(alpha: float, beta: float) -> dict:
    """The website's state for one (alpha, beta): path, losses and the readout line."""
    path, loss, view = momentum_view(alpha, beta)
    ok = np.all(np.isfinite(path), axis=1) & np.isfinite(loss) & (loss > 0)
    return {"data": {"path": {"t1": rounded(path[ok, 0]), "t2": rounded(path[ok, 1])},
                     "loss": {"k": [float(k) for k in np.arange(loss.size)[ok]],
                              "J": rounded(loss[ok])}},
            "text": _text(view)}


_T = np.linspace(0, 2 * np.pi, 121)
_LEVELS = 0.5 * (MU * THETA0[0] ** 2 + L * THETA0[1] ** 2) * np.geomspace(1e-3, 1, 7)

#: the momentum explorer, described once (gradlab.explorer)
MOMENTUM = Explorer(
    name="momentum",
    controls=(Control("alpha", "step size α", MOMENTUM_ALPHAS, START_ALPHA, lab=(0.01, 3.0, 0.01)),
              Control("beta", "momentum β", MOMENTUM_BETAS, START_BETA, lab=(0.0, 0.99, 0.01))),
    groups=(Group(("alpha", "beta"), momentum_state),),
    panels=(
        Panel(260, "θ₁ (flat, μ = 0.02)", "θ₂ (steep, L = 1)", title="path over the contours of J",
              x_range=(-1.5, 1.5), y_range=(-1.0, 1.0), layers=(
                  Layer("lines", [rounded(np.sqrt(2 * c / MU) * np.cos(_T)) for c in _LEVELS],
                        [rounded(np.sqrt(2 * c / L) * np.sin(_T)) for c in _LEVELS],
                        color="#aaaaaa", width=1),
                  Layer("scatter", [0.0], [0.0], marker="star", size=14, color="black"),
                  Layer("line", "t1", "t2", "path", color="#d62728"),
                  Layer("scatter", "t1", "t2", "path", color="#d62728", size=4))),
        Panel(230, "step k", "loss J(θₖ)", title="loss per step (fixed log scale)", y_log=True,
              y_range=(1e-12, 1e4), x_range=(-1, STEPS + 1), layers=(
                  Layer("line", "k", "J", "loss", color="#1f77b4"),
                  Layer("scatter", "k", "J", "loss", color="#1f77b4", size=4)))),
    plot=plot_momentum,
    summary="live figure: {n} precomputed (α, β) pairs (website only)")
