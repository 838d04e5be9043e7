"""Numerical gradients by finite differences, the check on every hand-derived or autograd gradient.

For a smooth f and a step h > 0, Taylor's theorem gives

    forward:  (f(x + h e_i) - f(x)) / h          = df/dx_i + (h/2)   f''(x)  + O(h^2)
    central:  (f(x + h e_i) - f(x - h e_i)) / (2h) = df/dx_i + (h^2/6) f'''(x) + O(h^4)

so the forward difference has a truncation error of order h and the central one of order h^2.
Rounding adds an error of order eps * |f(x)| / h (eps = 2.2e-16 in float64), which grows as h
shrinks: the best h is about sqrt(eps) ~ 1e-8 for forward and eps^(1/3) ~ 1e-5 for central
differences. Everything is computed in float64; x is copied to float64 first, so an integer
array is never perturbed in place (an integer array cannot hold x + h).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._validate import check_choice, check_float

METHODS = ("forward", "central")


def _as_point(x: Any) -> tuple[np.ndarray, bool]:
    """Return x as a 1-D float64 array and whether it was a scalar."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"x must be a real number or a 1-D array of real numbers, got {x!r}") from None
    if arr.ndim > 1:
        raise ValueError(f"x must be a real number or a 1-D array, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("x must have at least one entry, got an empty array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"x must be finite, got {arr.tolist()}")
    return arr.reshape(-1), arr.ndim == 0


def _evaluate(f: Callable[[Any], Any], point: np.ndarray, scalar: bool) -> float:
    value = f(float(point[0]) if scalar else point.copy())
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a single real number, got {value!r}") from None


def numerical_gradient(
    f: Callable[[Any], Any], x: Any, h: float = 1e-5, method: str = "central"
) -> float | np.ndarray:
    """The gradient of f at x by finite differences, one coordinate at a time.

    method="forward":  g_i = (f(x + h e_i) - f(x)) / h               error O(h)
    method="central":  g_i = (f(x + h e_i) - f(x - h e_i)) / (2 h)   error O(h^2)

    ``x`` is a real number (then a float is returned and f is called with floats) or a 1-D array
    (then an array of the same length is returned and f is called with float64 arrays).
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x returning a real number, got {type(f).__name__}")
    h = check_float("h", h, minimum=0.0, strict_min=True)
    method = check_choice("method", method, METHODS)
    point, scalar = _as_point(x)
    grad = np.empty_like(point)
    f0 = _evaluate(f, point, scalar) if method == "forward" else 0.0
    for i in range(point.size):
        up = point.copy()
        up[i] += h
        if method == "forward":
            grad[i] = (_evaluate(f, up, scalar) - f0) / h
        else:
            down = point.copy()
            down[i] -= h
            grad[i] = (_evaluate(f, up, scalar) - _evaluate(f, down, scalar)) / (2.0 * h)
    return float(grad[0]) if scalar else grad
