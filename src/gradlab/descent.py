"""Gradient descent on a quadratic J(theta) = 1/2 theta^T A theta, the first place a step explodes.

With A symmetric positive definite, grad J(theta) = A theta, and one step of

    theta <- theta - alpha * grad J(theta) = (I - alpha A) theta

multiplies the component of theta along an eigenvector of A with eigenvalue lambda by
(1 - alpha lambda). So every component shrinks, by |1 - alpha lambda| a step, if and only if
0 < alpha < 2 / lambda_max; beyond that the steepest component grows geometrically. With
condition number kappa = lambda_max / lambda_min the best fixed step is alpha* = 2 / (lambda_min +
lambda_max), which contracts the error by (kappa - 1) / (kappa + 1) a step.

The notebook of chapter 1 writes the 3-line loop itself; this module holds the same loop for the
figures and the explorers of gradlab.descent_explorer (a test checks that the two agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import check_float, check_int

#: The explorer's default problem: curvatures 1 and 10 (condition number 10).
DEFAULT_A = ((1.0, 0.0), (0.0, 10.0))
DEFAULT_THETA0 = (-8.0, 3.0)
DEFAULT_ALPHA = 0.1   # where both explorers (website and ipywidgets) open
DEFAULT_STEPS = 40


def as_curvature_matrix(A: Any) -> np.ndarray:
    """A as a float64 symmetric positive definite matrix; a positive number L means the 1x1 [[L]]."""
    try:
        mat = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"A must be a positive number or a square matrix of real numbers, got {A!r}"
        ) from None
    if mat.ndim == 0:
        mat = mat.reshape(1, 1)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1] or mat.shape[0] == 0:
        raise ValueError(f"A must be a positive number or a square matrix, got shape {mat.shape}")
    if not np.all(np.isfinite(mat)):
        raise ValueError("A must have finite entries")
    if not np.allclose(mat, mat.T, rtol=1e-12, atol=0.0):
        raise ValueError("A must be symmetric (A == A.T)")
    if np.linalg.eigvalsh(mat).min() <= 0:
        raise ValueError("A must be positive definite (all eigenvalues > 0)")
    return mat


def _as_start(theta0: Any, dim: int) -> np.ndarray:
    try:
        start = np.asarray(theta0, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"theta0 must be a real number or a 1-D array, got {theta0!r}") from None
    if start.size != dim:
        raise ValueError(f"theta0 must have {dim} entries (the size of A), got {start.size}")
    if not np.all(np.isfinite(start)):
        raise ValueError(f"theta0 must be finite, got {start.tolist()}")
    return start


def quadratic(A: Any, theta: Any) -> float:
    """J(theta) = 1/2 theta^T A theta."""
    mat = as_curvature_matrix(A)
    th = _as_start(theta, mat.shape[0])
    return float(0.5 * th @ mat @ th)


def descend(A: Any, theta0: Any, alpha: float, steps: int, blowup: float = 1e100) -> np.ndarray:
    """The iterates theta_0, ..., theta_steps of theta <- theta - alpha * A theta, shape (steps+1, d).

    If the norm of an iterate passes ``blowup`` the descent has diverged: the remaining rows are
    NaN (not computed), so the array never holds an overflowed number.
    """
    mat = as_curvature_matrix(A)
    theta = _as_start(theta0, mat.shape[0])
    alpha = check_float("alpha", alpha, minimum=0.0, strict_min=True)
    steps = check_int("steps", steps, minimum=0, maximum=100_000)
    blowup = check_float("blowup", blowup, minimum=0.0, strict_min=True)
    path = np.full((steps + 1, theta.size), np.nan)
    path[0] = theta
    for k in range(steps):
        grad = mat @ theta
        theta = theta - alpha * grad
        if np.linalg.norm(theta) > blowup:
            break
        path[k + 1] = theta
    return path


def losses(A: Any, path: np.ndarray) -> np.ndarray:
    """J(theta_k) for each row of a path from :func:`descend` (NaN rows stay NaN)."""
    mat = as_curvature_matrix(A)
    path = np.asarray(path, dtype=np.float64)
    return 0.5 * np.einsum("ki,ij,kj->k", path, mat, path)


def critical_step(A: Any) -> float:
    """2 / lambda_max(A): gradient descent converges for 0 < alpha < this and diverges above it."""
    return 2.0 / float(np.linalg.eigvalsh(as_curvature_matrix(A)).max())


def condition_number(A: Any) -> float:
    """kappa = lambda_max(A) / lambda_min(A)."""
    eig = np.linalg.eigvalsh(as_curvature_matrix(A))
    return float(eig.max() / eig.min())


def best_step(A: Any) -> tuple[float, float]:
    """(alpha*, rate): alpha* = 2 / (lambda_min + lambda_max), rate = (kappa - 1) / (kappa + 1)."""
    eig = np.linalg.eigvalsh(as_curvature_matrix(A))
    lo, hi = float(eig.min()), float(eig.max())
    return 2.0 / (lo + hi), (hi - lo) / (hi + lo)
