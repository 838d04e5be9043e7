"""The sharpness of a loss: the largest Hessian eigenvalue, without ever forming the Hessian.

A Hessian-vector product costs about two gradients (Pearlmutter's trick): differentiate the
scalar g(theta) . v once more,

    H v = d/dtheta [ (dL/dtheta) . v ]            (v held fixed)

and power iteration turns products into the top eigenvalue:

    v_{k+1} = H v_k / ||H v_k||,      lambda_k = v_k . H v_k   (the Rayleigh quotient)

which converges to the eigenvalue of largest magnitude at the rate |lambda_2 / lambda_1|.
For a network trained by gradient descent that eigenvalue is the positive "sharpness"
(Cohen et al. 2021): gradient descent's step-size limit on a quadratic, 2/L, applies to it
with L the sharpness.
Start the iteration from the previous call's vector (``v0=result.vector``) when the weights
have moved a little: a few iterations then suffice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import torch

from ._validate import check_float, check_int


class TopEigen(NamedTuple):
    """What :func:`sharpness` found: the eigenvalue, its unit eigenvector, iterations used."""

    value: float
    vector: torch.Tensor
    iterations: int


def _params(params: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    if isinstance(params, torch.Tensor):
        params = [params]
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"params must be an iterable of tensors (e.g. model.parameters()), "
                        f"got {type(params).__name__}") from None
    if not params:
        raise ValueError("params must contain at least one tensor, got none")
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor) or not p.requires_grad:
            raise TypeError(f"params[{i}] must be a tensor with requires_grad=True, "
                            f"got {type(p).__name__}")
    return params


def _loss(loss_fn: Callable[[], torch.Tensor]) -> torch.Tensor:
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function of no arguments returning the loss, "
                        f"got {type(loss_fn).__name__}")
    loss = loss_fn()
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError(f"loss_fn must return a scalar tensor, got {type(loss).__name__} "
                         f"of shape {tuple(getattr(loss, 'shape', ()))}")
    return loss.reshape(())


def _check_vector(name: str, v: object, n: int, like: torch.Tensor) -> torch.Tensor:
    if not isinstance(v, torch.Tensor) or v.dim() != 1 or v.numel() != n:
        raise ValueError(f"{name} must be a 1-D tensor of {n} entries (one per parameter "
                         f"entry), got {type(v).__name__} of shape "
                         f"{tuple(getattr(v, 'shape', ()))}")
    if not bool(torch.isfinite(v).all()) or float(v.norm()) == 0.0:
        raise ValueError(f"{name} must be finite and nonzero")
    return v.detach().to(like)


def hvp(loss_fn: Callable[[], torch.Tensor], params: Iterable[torch.Tensor],
        v: torch.Tensor) -> torch.Tensor:
    """H v, the Hessian of ``loss_fn()`` with respect to ``params`` times the flat vector ``v``.

    ``v`` has one entry per parameter entry, in the order of ``params`` (flattened and
    concatenated). Computed as d/dtheta [(dL/dtheta) . v] by double backward.
    """
    params = _params(params)
    n = sum(p.numel() for p in params)
    v = _check_vector("v", v, n, params[0])
    loss = _loss(loss_fn)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    g = torch.cat([x.reshape(-1) for x in grads])
    hv = torch.autograd.grad(g @ v, params, allow_unused=True)
    return torch.cat([torch.zeros(p.numel(), dtype=p.dtype) if h is None else h.reshape(-1)
                      for p, h in zip(params, hv, strict=True)]).detach()


def sharpness(loss_fn: Callable[[], torch.Tensor], params: Iterable[torch.Tensor], *,
              iters: int = 20, tol: float = 1e-4, v0: torch.Tensor | None = None,
              seed: int = 0) -> TopEigen:
    """The Hessian eigenvalue of largest magnitude of ``loss_fn()`` at ``params``.

    Power iteration on :func:`hvp`: at most ``iters`` products, stopping early once the Rayleigh
    quotient lambda_k = v_k . H v_k changes by less than ``tol * |lambda_k|``. ``v0`` (for
    example the ``vector`` of a previous call) is the starting vector; otherwise a Gaussian
    vector drawn with ``seed``. Returns ``TopEigen(value, vector, iterations)``.
    """
    params = _params(params)
    iters = check_int("iters", iters, minimum=1)
    tol = check_float("tol", tol, minimum=0.0)
    seed = check_int("seed", seed, minimum=0)
    n = sum(p.numel() for p in params)
    if v0 is None:
        gen = torch.Generator().manual_seed(seed)
        v = torch.randn(n, generator=gen, dtype=torch.float64).to(params[0])
    else:
        v = _check_vector("v0", v0, n, params[0])
    v = v / v.norm()
    value = float("nan")
    for k in range(1, iters + 1):
        hv = hvp(loss_fn, params, v)
        new = float(v @ hv)
        size = float(hv.norm())
        if size == 0.0:  # v is in the null space: the top eigenvalue along it is 0
            return TopEigen(0.0, v, k)
        v = hv / size
        if abs(new - value) <= tol * abs(new):
            return TopEigen(new, v, k)
        value = new
    return TopEigen(value, v, iters)
