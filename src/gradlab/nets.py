"""Deep fully connected networks with a chosen activation, initialization and normalization.

``deep_mlp`` builds the network every chapter measures: ``depth`` hidden blocks

    z_l = W_l h_{l-1} + b_l,   h_l = act(norm(z_l))          (plain block)
    h_l = h_{l-1} + residual_scale * act(norm(z_l))          (residual block, l >= 2)

followed by a linear output layer. Weights are drawn from N(0, std^2) with

    xavier: std = sqrt(2 / (n_in + n_out))      (Glorot and Bengio 2010)
    he:     std = sqrt(2 / n_in)                (He et al. 2015)
    lecun:  std = sqrt(1 / n_in)
    a float s: std = s                          (for "too small" / "too large" experiments)

each multiplied by ``init_scale``; biases start at zero.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import check_choice, check_float, check_int

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "identity")
INITS = ("xavier", "he", "lecun")
NORMS = ("none", "batch", "layer")


def make_activation(name: str) -> nn.Module:
    """Return a fresh activation module for one of ``ACTIVATIONS``."""
    name = check_choice("activation", name, ACTIVATIONS)
    return {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
        "gelu": nn.GELU,
        "identity": nn.Identity,
    }[name]()


def check_init(init: object) -> str | float:
    """``init`` if it is one of INITS or a positive float std; else TypeError/ValueError naming it."""
    if isinstance(init, str):
        return check_choice("init", init, INITS)
    if isinstance(init, bool) or not isinstance(init, (int, float)):
        raise TypeError(f"init must be one of {INITS} or a positive float std, got {init!r}")
    return check_float("init", init, minimum=0.0, strict_min=True)


def init_std(init: str | float, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the weights for an initialization scheme (see the module docstring)."""
    fan_in = check_int("fan_in", fan_in, minimum=1)
    fan_out = check_int("fan_out", fan_out, minimum=1)
    init = check_init(init)
    if init == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    if init == "lecun":
        return math.sqrt(1.0 / fan_in)
    return init


def init_linear_(layer: nn.Linear, init: str | float, init_scale: float = 1.0) -> nn.Linear:
    """Initialize ``layer`` in place: W ~ N(0, (init_scale * init_std)^2), b = 0."""
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"layer must be a torch.nn.Linear, got {type(layer).__name__}")
    init_scale = check_float("init_scale", init_scale, minimum=0.0, strict_min=True)
    std = init_scale * init_std(init, layer.in_features, layer.out_features)
    with torch.no_grad():
        layer.weight.normal_(0.0, std)
        if layer.bias is not None:
            layer.bias.zero_()
    return layer


class Block(nn.Module):
    """One hidden layer: linear -> optional norm -> activation, optionally with a skip connection."""

    def __init__(self, n_in: int, n_out: int, activation: str, norm: str, residual: bool,
                 residual_scale: float):
        super().__init__()
        n_in = check_int("n_in", n_in, minimum=1)
        n_out = check_int("n_out", n_out, minimum=1)
        norm = check_choice("norm", norm, NORMS)
        if not isinstance(residual, bool):
            raise TypeError(f"residual must be True or False, got {residual!r}")
        residual_scale = check_float("residual_scale", residual_scale)
        self.linear = nn.Linear(n_in, n_out)
        if norm == "batch":
            self.norm = nn.BatchNorm1d(n_out)
        elif norm == "layer":
            self.norm = nn.LayerNorm(n_out)
        else:
            self.norm = nn.Identity()
        self.act = make_activation(activation)
        self.residual = residual
        self.residual_scale = residual_scale

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.act(self.norm(self.linear(h)))
        if self.residual:
            return h + self.residual_scale * out
        return out


class DeepMLP(nn.Module):
    """A stack of :class:`Block` s and a linear head. ``model.linears`` lists every nn.Linear,
    input side first, which is the order in which probes report per-layer numbers."""

    def __init__(self, blocks: list[Block], head: nn.Linear):
        super().__init__()
        if (not isinstance(blocks, (list, tuple)) or not blocks
                or not all(isinstance(b, Block) for b in blocks)):
            raise TypeError(f"blocks must be a non-empty list of gradlab.nets.Block, got {blocks!r:.80}")
        if not isinstance(head, nn.Linear):
            raise TypeError(f"head must be a torch.nn.Linear, got {type(head).__name__}")
        self.blocks = nn.ModuleList(blocks)
        self.head = head

    @property
    def linears(self) -> list[nn.Linear]:
        """Every nn.Linear, input side first: the hidden layers, then the head."""
        return self.hidden_linears + [self.head]

    @property
    def hidden_linears(self) -> list[nn.Linear]:
        """The hidden layers' nn.Linear, input side first (the head excluded)."""
        return [b.linear for b in self.blocks]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.blocks[0].linear.in_features:
            raise ValueError(
                f"input must have shape (batch, {self.blocks[0].linear.in_features}), "
                f"got {tuple(x.shape)}"
            )
        h = x
        for block in self.blocks:
            h = block(h)
        return self.head(h)


def deep_mlp(
    depth: int,
    width: int,
    *,
    activation: str = "tanh",
    init: str | float = "xavier",
    init_scale: float = 1.0,
    in_features: int = 64,
    out_features: int = 10,
    norm: str = "none",
    residual: bool = False,
    residual_scale: float = 1.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> DeepMLP:
    """Build a DeepMLP with ``depth`` hidden blocks of ``width`` units and a linear head.

    The defaults fit scikit-learn's digits (64 inputs, 10 classes). ``residual=True`` adds skip
    connections h_l = h_{l-1} + residual_scale * block(h_{l-1}) to every block after the first
    (the first changes the width from ``in_features`` to ``width``). The weights are drawn from a
    generator seeded with ``seed``, so equal arguments give equal networks.
    """
    depth = check_int("depth", depth, minimum=1, maximum=1000)
    width = check_int("width", width, minimum=1, maximum=100_000)
    in_features = check_int("in_features", in_features, minimum=1)
    out_features = check_int("out_features", out_features, minimum=1)
    activation = check_choice("activation", activation, ACTIVATIONS)
    norm = check_choice("norm", norm if norm is not None else "none", NORMS)
    if not isinstance(residual, bool):
        raise TypeError(f"residual must be True or False, got {residual!r}")
    residual_scale = check_float("residual_scale", residual_scale, minimum=0.0)
    init_scale = check_float("init_scale", init_scale, minimum=0.0, strict_min=True)
    init = check_init(init)  # before any layer is built
    seed = check_int("seed", seed, minimum=0)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")

    # Building the layers draws torch's default init from the global generator: do it all under a
    # saved state, so calling deep_mlp leaves the caller's random stream where it was.
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        blocks = []
        n_in = in_features
        for i in range(depth):
            blocks.append(Block(n_in, width, activation, norm, residual and i > 0, residual_scale))
            n_in = width
        model = DeepMLP(blocks, nn.Linear(width, out_features))
        for layer in model.linears:
            init_linear_(layer, init, init_scale)
    finally:
        torch.random.set_rng_state(gen_state)
    return model.to(dtype)
