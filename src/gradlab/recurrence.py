"""The scalar linear recurrence h_t = w * h_{t-1} with loss L = h_T (document 003's example).

Unrolling gives h_t = w^t * h_0, so L = w^T * h_0 and

    dL/dw = sum_{t=1}^{T} h_{t-1} * w^(T-t) = T * w^(T-1) * h_0.

Each of the T terms equals w^(T-1) * h_0: the sum has T equal terms, which is why the gradient
grows like T * w^(T-1) and not like w^T.
"""

from __future__ import annotations

import torch

from ._validate import check_float, check_int


def forward(w: float, h0: float, T: int) -> list[float]:
    """Return [h_0, h_1, ..., h_T] with h_t = w * h_{t-1}, computed in float64."""
    w = check_float("w", w)
    h0 = check_float("h0", h0)
    T = check_int("T", T, minimum=0, maximum=100_000)
    h = [h0]
    for _ in range(T):
        h.append(w * h[-1])
    return h


def grad_terms(w: float, h0: float, T: int) -> list[float]:
    """Return the T terms h_{t-1} * w^(T-t), t = 1..T, whose sum is dL/dw for L = h_T."""
    h = forward(w, h0, T)
    return [h[t - 1] * w ** (T - t) for t in range(1, T + 1)]


def grad_closed_form(w: float, h0: float, T: int) -> float:
    """dL/dw for L = h_T: the closed form T * w^(T-1) * h_0 (0 when T = 0)."""
    w = check_float("w", w)
    h0 = check_float("h0", h0)
    T = check_int("T", T, minimum=0, maximum=100_000)
    if T == 0:
        return 0.0
    return T * w ** (T - 1) * h0


def grad_autograd(w: float, h0: float, T: int) -> float:
    """dL/dw for L = h_T computed by torch autograd through the unrolled loop (float64)."""
    w = check_float("w", w)
    h0 = check_float("h0", h0)
    T = check_int("T", T, minimum=0, maximum=100_000)
    w_t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    h = torch.tensor(h0, dtype=torch.float64)
    for _ in range(T):
        h = w_t * h
    if T == 0:
        return 0.0
    h.backward()
    return float(w_t.grad)


def squared_loss(w: float, h0: float, T: int, y: float) -> float:
    """The loss (h_T - y)^2 = (w^T h_0 - y)^2 as a function of w."""
    h_T = forward(w, h0, T)[-1]
    y = check_float("y", y)
    return (h_T - y) ** 2


def squared_loss_grad(w: float, h0: float, T: int, y: float) -> float:
    """d/dw (w^T h_0 - y)^2 = 2 (w^T h_0 - y) * T w^(T-1) h_0."""
    h_T = forward(w, h0, T)[-1]
    y = check_float("y", y)
    return 2.0 * (h_T - y) * grad_closed_form(w, h0, T)
