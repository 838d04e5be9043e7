"""Matrix recurrences and the Jacobian dh_T/dh_0 of a plain RNN (chapter 3).

Linear:     h_t = W h_{t-1}                      so  dh_T/dh_0 = W^T (the T-th power of W).
Nonlinear:  h_t = phi(a_t),  a_t = W h_{t-1} + U x_t,

    dh_T/dh_0 = prod_{t=T..1} diag(phi'(a_t)) W,

so ||dh_T/dh_0||_2 <= (gamma * sigma_max(W))^T with gamma = max |phi'| (1 for tanh, 1/4 for
sigmoid). If sigma_max(W) < 1/gamma the Jacobian must vanish (a sufficient condition); it can only
explode if sigma_max(W) > 1/gamma (a necessary condition), Pascanu, Mikolov and Bengio (2013).

Everything is computed in float64.
"""

from __future__ import annotations

import torch

from ._validate import check_choice, check_float, check_int

ACTIVATIONS = ("tanh", "sigmoid", "identity")
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "identity": 1.0}
"""gamma = max_a |phi'(a)|: the largest slope of each activation."""


def _check_matrix(name: str, value: object, rows: int | None = None, cols: int | None = None
                  ) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dim() != 2:
        raise ValueError(f"{name} must be a 2-D tensor (a matrix), got shape {tuple(value.shape)}")
    if rows is not None and value.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows, got shape {tuple(value.shape)}")
    if cols is not None and value.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns, got shape {tuple(value.shape)}")
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must contain only finite numbers")
    return value.detach().to(torch.float64)


def _check_square(name: str, value: object) -> torch.Tensor:
    W = _check_matrix(name, value)
    if W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {tuple(W.shape)}")
    return W


def _check_vector(name: str, value: object, size: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dim() != 1 or value.shape[0] != size:
        raise ValueError(
            f"{name} must be a 1-D tensor of length {size}, got shape {tuple(value.shape)}"
        )
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must contain only finite numbers")
    return value.detach().to(torch.float64)


def scaled_orthogonal(n: int, scale: float, seed: int = 0) -> torch.Tensor:
    """scale * Q with Q a random orthogonal n x n matrix (QR of a seeded Gaussian matrix).

    Every eigenvalue has modulus |scale| and every singular value equals |scale|.
    """
    n = check_int("n", n, minimum=1, maximum=2000)
    scale = check_float("scale", scale)
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g, dtype=torch.float64)
    Q, R = torch.linalg.qr(A)
    Q = Q * torch.sign(torch.diagonal(R))  # a unique, uniformly distributed Q
    return scale * Q


def spectral_radius(W: torch.Tensor) -> float:
    """rho(W) = max_i |lambda_i(W)|, the largest eigenvalue modulus."""
    W = _check_square("W", W)
    return float(torch.linalg.eigvals(W).abs().max())


def sigma_max(W: torch.Tensor) -> float:
    """sigma_max(W) = ||W||_2, the largest singular value."""
    W = _check_square("W", W)
    return float(torch.linalg.matrix_norm(W, ord=2))


def power_norms(W: torch.Tensor, T: int) -> list[float]:
    """[||W^t||_2 for t = 1..T]: the norm of dh_t/dh_0 for the linear recurrence h_t = W h_{t-1}."""
    W = _check_square("W", W)
    T = check_int("T", T, minimum=1, maximum=100_000)
    P = torch.eye(W.shape[0], dtype=torch.float64)
    norms = []
    for _ in range(T):
        P = W @ P
        norms.append(float(torch.linalg.matrix_norm(P, ord=2)))
    return norms


def _phi(activation: str, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return phi(a) and phi'(a)."""
    if activation == "tanh":
        h = torch.tanh(a)
        return h, 1.0 - h * h
    if activation == "sigmoid":
        h = torch.sigmoid(a)
        return h, h * (1.0 - h)
    return a, torch.ones_like(a)


def _check_rnn(W, U, xs, h0, activation):
    """Validate the arguments of h_t = phi(W h_{t-1} + U x_t) and return them, checked."""
    W = _check_square("W", W)
    n = W.shape[0]
    U = _check_matrix("U", U, rows=n)
    xs = _check_matrix("xs", xs, cols=U.shape[1])
    h0 = _check_vector("h0", h0, n)
    return W, U, xs, h0, check_choice("activation", activation, ACTIVATIONS)


def rnn_states(W: torch.Tensor, U: torch.Tensor, xs: torch.Tensor, h0: torch.Tensor,
               activation: str = "tanh") -> torch.Tensor:
    """The states h_0..h_T (rows of a (T+1) x n tensor) of h_t = phi(W h_{t-1} + U x_t).

    xs is a T x m tensor of inputs (row t-1 is x_t), U is n x m, h0 has length n.
    """
    W, U, xs, h, activation = _check_rnn(W, U, xs, h0, activation)
    states = [h]
    for x in xs:
        h, _ = _phi(activation, W @ h + U @ x)
        states.append(h)
    return torch.stack(states)


def rnn_jacobian_norms(W: torch.Tensor, U: torch.Tensor, xs: torch.Tensor, h0: torch.Tensor,
                       activation: str = "tanh") -> list[float]:
    """[||dh_t/dh_0||_2 for t = 1..T] for h_t = phi(W h_{t-1} + U x_t).

    Uses dh_t/dh_0 = diag(phi'(a_t)) W dh_{t-1}/dh_0, a_t = W h_{t-1} + U x_t.
    """
    W, U, xs, h, activation = _check_rnn(W, U, xs, h0, activation)
    n = W.shape[0]
    J = torch.eye(n, dtype=torch.float64)
    norms = []
    for x in xs:
        h, slope = _phi(activation, W @ h + U @ x)
        J = (slope[:, None] * W) @ J
        norms.append(float(torch.linalg.matrix_norm(J, ord=2)))
    return norms


def jacobian_bound(W: torch.Tensor, T: int, activation: str = "tanh") -> list[float]:
    """[(gamma * sigma_max(W))^t for t = 1..T]: Pascanu et al.'s upper bound on ||dh_t/dh_0||_2."""
    activation = check_choice("activation", activation, ACTIVATIONS)
    T = check_int("T", T, minimum=1, maximum=100_000)
    eta = GAMMA[activation] * sigma_max(W)
    return [eta ** t for t in range(1, T + 1)]
