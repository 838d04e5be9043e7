"""The course's opening picture: a deep sigmoid network next to a deep ReLU network with He weights.

Both networks have ``depth`` hidden layers of ``width`` units (``nets.deep_mlp``) and see the same
digits. ``sigmoid_vs_relu`` measures, for each,

    grad_norms   ||dL/dW_l|| of every hidden layer l = 1..depth at initialization, on the whole
                 training set (input side first), from ``probes.hidden_grad_norms``;
    loss         the training-set cross-entropy every ``every`` steps of plain minibatch SGD,
                 w <- w - lr * dL/dw, batches of ``batch_size`` drawn with a seeded generator;
    accuracy     the test accuracy after the last step.

``plot_first_look`` draws the two measurements side by side. The introduction and chapter 2 open
with this figure; chapter 2 then takes it apart layer by layer.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ._validate import check_int
from .data import load_digits_split
from .nets import deep_mlp
from .probes import hidden_grad_norms

# the two networks: label -> (activation, init)
NETWORKS = {"sigmoid, Xavier": ("sigmoid", "xavier"), "ReLU, He": ("relu", "he")}
COLORS = {"sigmoid, Xavier": "#D55E00", "ReLU, He": "#0072B2"}


def sigmoid_vs_relu(depth: int = 20, width: int = 64, steps: int = 200, lr: float = 0.02,
                    batch_size: int = 64, every: int = 10, seed: int = 0) -> dict[str, Any]:
    """Measure both networks (see the module docstring).

    Returns ``{"depth": depth, "width": width, "steps": [0, every, ..., steps], "n_classes": K, "ln_k": ln K,
    "nets": {label: {"grad_norms": [...], "loss": [...], "accuracy": a}}}``.
    """
    from ._validate import check_float

    depth = check_int("depth", depth, minimum=2, maximum=100)
    width = check_int("width", width, minimum=1, maximum=4096)
    steps = check_int("steps", steps, minimum=1, maximum=100_000)
    lr = check_float("lr", lr, minimum=0.0, strict_min=True)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=1347)
    every = check_int("every", every, minimum=1, maximum=steps)
    seed = check_int("seed", seed, minimum=0)
    data = load_digits_split()
    n_classes = int(data.y_train.max()) + 1
    out: dict[str, Any] = {"depth": depth, "width": width, "steps": list(range(0, steps + 1, every)),
                           "n_classes": n_classes, "ln_k": math.log(n_classes), "nets": {}}
    for label, (activation, init) in NETWORKS.items():
        net = deep_mlp(depth, width, activation=activation, init=init, seed=seed)
        nn.functional.cross_entropy(net(data.X_train), data.y_train).backward()
        norms = hidden_grad_norms(net)
        net.zero_grad(set_to_none=True)
        gen = torch.Generator().manual_seed(seed)
        losses = []
        for step in range(steps + 1):
            if step % every == 0:
                with torch.no_grad():
                    losses.append(nn.functional.cross_entropy(net(data.X_train), data.y_train).item())
            if step == steps:
                break
            idx = torch.randint(0, len(data.y_train), (batch_size,), generator=gen)
            nn.functional.cross_entropy(net(data.X_train[idx]), data.y_train[idx]).backward()
            with torch.no_grad():
                for p in net.parameters():
                    p -= lr * p.grad
                    p.grad = None
        with torch.no_grad():
            accuracy = float((net(data.X_test).argmax(dim=1) == data.y_test).double().mean())
        out["nets"][label] = {"grad_norms": norms, "loss": losses, "accuracy": accuracy}
    return out


def plot_first_look(result: dict[str, Any]):
    """Left: ||dL/dW_l|| against the hidden layer l at initialization (log scale). Right: the
    training loss against the SGD step, with ln K (the loss of a uniform guess) dashed."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not isinstance(result, dict) or "nets" not in result or "steps" not in result:
        raise TypeError("result must be the dict returned by first_look.sigmoid_vs_relu()")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.8, 3.7), layout="constrained")
    for label, m in result["nets"].items():
        layers = range(1, len(m["grad_norms"]) + 1)
        ax1.semilogy(layers, m["grad_norms"], "o-", ms=3, color=COLORS.get(label), label=label)
        ax2.plot(result["steps"], m["loss"], color=COLORS.get(label))
    ax1.set_xlabel("hidden layer (1 = input side)")
    ax1.set_ylabel(r"gradient norm $\|\partial L/\partial W_l\|$")
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_title("at initialization")
    # on top of the curves: the sigmoid network's loss lies right on it
    ax2.axhline(result["ln_k"], color="#222222", linestyle=(0, (4, 3)), linewidth=1.2, zorder=3)
    ax2.annotate(f"uniform guess, ln {result['n_classes']}", (result["steps"][-1], result["ln_k"]),
                 xytext=(0, 4), textcoords="offset points", ha="right", va="bottom", size=10,
                 color="#555555")
    ax2.set_xlabel("SGD step")
    ax2.set_ylabel("training loss")
    ax2.set_ylim(bottom=0)
    ax2.set_title("training")
    fig.legend(loc="outside lower center", ncol=2, frameon=False)
    return fig
