"""Gradient clipping by global norm and by value (Pascanu et al. 2013).

Norm clipping rescales the whole gradient when its global L2 norm exceeds ``max_norm`` = c:

    g <- g * min(1, c / ||g||)        (equivalently g / max(1, ||g|| / c))

where ||g|| is taken over all tensors together, as if they were one long vector. The direction
of g is kept; only its length is capped at c. Value clipping clamps every component on its own:

    g_i <- min(c, max(-c, g_i))

which caps each |g_i| at c but in general changes the direction of g.

Both never make a gradient larger, which is why neither can cure a vanishing gradient.
The ``*_`` functions act in place on the ``.grad`` of parameters, like
``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``; the others return clipped copies.
The clipping page of the remedies chapter writes both rules in a few visible lines (``clip_norm``,
``clip_value``); a test checks that they agree with these functions.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from ._validate import check_float


def _as_tensor_list(name: str,
                    tensors: torch.Tensor | Iterable[torch.Tensor]) -> list[torch.Tensor]:
    if isinstance(tensors, torch.Tensor):
        return [tensors]
    try:
        items = list(tensors)
    except TypeError:
        raise TypeError(
            f"{name} must be a torch.Tensor or an iterable of tensors, got {type(tensors).__name__}"
        ) from None
    if not items:
        raise ValueError(f"{name} must contain at least one tensor, got an empty sequence")
    for i, t in enumerate(items):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}[{i}] must be a torch.Tensor, got {type(t).__name__}")
    return items


def _grads_of(parameters: torch.Tensor | Iterable[torch.Tensor]) -> list[torch.Tensor]:
    params = _as_tensor_list("parameters", parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        raise ValueError("parameters have no gradients: call loss.backward() before clipping")
    return grads


def _norm(items: list[torch.Tensor]) -> float:
    return float(torch.sqrt(sum((t.detach().double() ** 2).sum() for t in items)))


def _norm_scale(total: float, max_norm: float, eps: float) -> float:
    return 1.0 if total == 0.0 else min(1.0, max_norm / (total + eps))


def global_norm(tensors: torch.Tensor | Iterable[torch.Tensor]) -> float:
    """||g|| = sqrt(sum over tensors and entries of g_i^2), the L2 norm of all tensors together."""
    return _norm(_as_tensor_list("tensors", tensors))


def clip_by_norm(tensors: torch.Tensor | Iterable[torch.Tensor], max_norm: float,
                 eps: float = 0.0) -> torch.Tensor | list[torch.Tensor]:
    """Return g * min(1, max_norm / (||g|| + eps)) for a tensor or a list of tensors.

    ``eps=1e-6`` reproduces ``torch.nn.utils.clip_grad_norm_`` exactly; the default 0 is the
    textbook formula. A zero gradient is returned unchanged.
    """
    max_norm = check_float("max_norm", max_norm, minimum=0.0, strict_min=True)
    eps = check_float("eps", eps, minimum=0.0)
    single = isinstance(tensors, torch.Tensor)
    items = _as_tensor_list("tensors", tensors)
    scale = _norm_scale(_norm(items), max_norm, eps)
    out = [t * scale for t in items]
    return out[0] if single else out


def clip_by_value(tensors: torch.Tensor | Iterable[torch.Tensor],
                  clip_value: float) -> torch.Tensor | list[torch.Tensor]:
    """Return every component clamped to [-clip_value, clip_value]."""
    clip_value = check_float("clip_value", clip_value, minimum=0.0, strict_min=True)
    single = isinstance(tensors, torch.Tensor)
    out = [t.clamp(-clip_value, clip_value) for t in _as_tensor_list("tensors", tensors)]
    return out[0] if single else out


def clip_grads_by_norm_(parameters: torch.Tensor | Iterable[torch.Tensor], max_norm: float,
                        eps: float = 0.0) -> float:
    """Clip the ``.grad`` of ``parameters`` in place by global norm; return the norm before."""
    max_norm = check_float("max_norm", max_norm, minimum=0.0, strict_min=True)
    eps = check_float("eps", eps, minimum=0.0)
    grads = _grads_of(parameters)
    total = _norm(grads)
    scale = _norm_scale(total, max_norm, eps)
    with torch.no_grad():
        for g in grads:
            g.mul_(scale)
    return total


def clip_grads_by_value_(parameters: torch.Tensor | Iterable[torch.Tensor],
                         clip_value: float) -> None:
    """Clamp every component of the ``.grad`` of ``parameters`` to [-clip_value, clip_value]."""
    clip_value = check_float("clip_value", clip_value, minimum=0.0, strict_min=True)
    grads = _grads_of(parameters)
    with torch.no_grad():
        for g in grads:
            g.clamp_(-clip_value, clip_value)
