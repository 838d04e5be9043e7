"""How the variance of activations and gradients evolves through depth for an initialization.

For a layer z = W h with W_ij ~ N(0, s^2), n_in inputs and n_out outputs (Glorot and Bengio 2010;
He et al. 2015):

    forward:   Var(z) = n_in  * s^2 * E[h^2]
    backward:  Var(dL/dh) = n_out * s^2 * E[act'(z)^2] * Var(dL/dh_next)

Keeping Var(z) constant needs s^2 = 1/n_in for a near-linear activation (tanh at 0) and
s^2 = 2/n_in for ReLU, because E[relu(z)^2] = Var(z)/2 (He). Keeping the gradient variance constant
needs n_out instead of n_in; Xavier's s^2 = 2/(n_in + n_out) is the compromise.

``variance_profile`` measures both per layer in a deep square network built by
:func:`gradlab.nets.deep_mlp` (weights std from :func:`gradlab.nets.init_std`). The
initialization page of the remedies chapter writes the same measurement in a few visible lines
(``measure_variances``); a test checks that the two agree.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ._validate import check_int
from .nets import deep_mlp


class VarianceProfile(NamedTuple):
    """Per hidden layer l = 1..depth: Var(h_l) of the activations and Var(dL/dh_l) of the
    gradients, over a batch of N(0, 1) inputs, with dL/d(output) ~ N(0, 1)."""

    activation_var: list[float]
    gradient_var: list[float]


def variance_profile(depth: int, width: int, activation: str = "tanh",
                     init: str | float = "xavier", *, init_scale: float = 1.0,
                     batch: int = 256, seed: int = 0) -> VarianceProfile:
    """Measure Var(h_l) and Var(dL/dh_l) for l = 1..depth in a width x width network (float64).

    Inputs x ~ N(0, 1) of shape (batch, width); the loss is L = sum(r * output) with r ~ N(0, 1),
    so the gradient entering the network from the head has unit-variance noise and no preferred
    direction. Equal arguments give equal numbers.
    """
    batch = check_int("batch", batch, minimum=2, maximum=100_000)
    # deep_mlp checks depth, width, activation, init, init_scale and seed
    model = deep_mlp(depth, width, activation=activation, init=init, init_scale=init_scale,
                     in_features=width, out_features=width, seed=seed, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=gen, dtype=torch.float64)
    r = torch.randn(batch, width, generator=gen, dtype=torch.float64)
    hs = []
    h = x
    for block in model.blocks:
        h = block(h)
        h.retain_grad()
        hs.append(h)
    loss = (model.head(h) * r).sum()
    loss.backward()
    return VarianceProfile(
        activation_var=[float(t.detach().var()) for t in hs],
        gradient_var=[float(t.grad.var()) for t in hs],
    )
