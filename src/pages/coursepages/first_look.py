"""The course's opening picture: a deep sigmoid network next to a deep ReLU network with He weights.

Both networks have ``depth`` hidden layers of ``width`` units (``nets.deep_mlp``) and see the same
digits. ``sigmoid_vs_relu`` trains each of them from ``n_seeds`` seeds (seed, seed + 1, ...: the
initial weights, drawn as ``deep_mlp`` draws them, and the minibatches come from generators
seeded with s) and measures, for every seed,

    grad_norms   ||dL/dW_l|| of every hidden layer l = 1..depth at initialization, on the whole
                 training set (input side first), as ``probes.hidden_grad_norms`` reports it;
    loss0        the training-set cross-entropy at initialization;
    loss         the training-set cross-entropy every ``every`` steps of plain minibatch SGD,
                 w <- w - lr * dL/dw, batches of ``batch_size`` drawn with the seeded generator;
    accuracy     the test accuracy after the last step.

One training run is one sample of a chaotic process (another seed, or another CPU, ends elsewhere),
so every network and seed is trained at once, as one batched network with a leading "run"
dimension: weight stacks W of shape (runs, out, in) and ``torch.baddbmm``. Each run's loss is a
mean over its own batch and the losses are summed, so every run's weights get exactly their own
gradient. The measurements at initialization are made in float64 (they are deterministic: their
digits are printed); training runs in float32, twice as fast, since its outcome is a random
variable anyway.

``plot_first_look`` draws the two measurements side by side, one thin line per seed. The
introduction opens with this figure.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from gradlab._validate import check_float, check_int
from gradlab.data import load_digits_split
from gradlab.nets import init_std

# the two networks: label -> (activation, init)
NETWORKS = {"sigmoid, Xavier": ("sigmoid", "xavier"), "ReLU, He": ("relu", "he")}
COLORS = {"sigmoid, Xavier": "#D55E00", "ReLU, He": "#0072B2"}
_ACT = {"sigmoid": torch.sigmoid, "relu": torch.relu}


def _stacked_params(depth: int, width: int, seeds: list[int], in_features: int = 64,
                    out_features: int = 10):
    """The initial weights and biases of every network of NETWORKS (in order) and every seed,
    stacked along a leading run dimension: lists of float64 tensors (runs, out, in) and
    (runs, out), input side first, head last.

    The layers are those of ``deep_mlp(depth, width)``, the weights drawn from
    N(0, init_std^2) (``nets.init_std``) and the biases zero, as ``deep_mlp`` does; the draws are
    made in float64 from a generator seeded with the seed, because torch's float32 normal
    sampler gives other last bits on other CPUs (its vectorized kernels differ) and a 20-layer
    network amplifies them into the printed digits.
    """
    sizes = [in_features] + [width] * depth + [out_features]
    weights = [[] for _ in range(depth + 1)]
    for _, init in NETWORKS.values():
        for s in seeds:
            gen = torch.Generator().manual_seed(s)
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
                w = torch.empty(n_out, n_in, dtype=torch.float64)
                weights[i].append(w.normal_(0.0, init_std(init, n_in, n_out), generator=gen))
    weights = [torch.stack(ws) for ws in weights]
    biases = [torch.zeros(w.shape[0], w.shape[1], dtype=torch.float64) for w in weights]
    return weights, biases


def _forward(x: torch.Tensor, weights, biases, n_seeds: int) -> torch.Tensor:
    """The stacked networks on x of shape (runs, batch, in): logits (runs, batch, classes).
    Runs come in groups of ``n_seeds``, one group per network of NETWORKS."""
    acts = [_ACT[activation] for activation, _ in NETWORKS.values()]
    h = x
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
        if i < len(weights) - 1:
            h = torch.cat([act(g) for act, g in zip(acts, h.split(n_seeds), strict=True)])
    return h


def _run_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of each run: logits (runs, batch, K), y (runs, batch) -> (runs,)."""
    r, n, k = logits.shape
    per_sample = nn.functional.cross_entropy(logits.reshape(r * n, k), y.reshape(r * n),
                                             reduction="none")
    return per_sample.reshape(r, n).mean(dim=1)


def sigmoid_vs_relu(depth: int = 20, width: int = 64, steps: int = 200, lr: float = 0.02,
                    batch_size: int = 64, every: int = 20, seed: int = 0,
                    n_seeds: int = 5) -> dict[str, Any]:
    """Measure both networks from seeds ``seed .. seed + n_seeds - 1`` (see the module docstring).

    Returns ``{"depth", "width", "seeds": [...], "steps": [0, every, ..., steps], "n_classes": K,
    "ln_k": ln K, "nets": {label: {"grad_norms": [[...] per seed], "loss0": [...],
    "loss": [[...] per seed], "accuracy": [...]}}}``.
    """
    depth = check_int("depth", depth, minimum=2, maximum=100)
    width = check_int("width", width, minimum=1, maximum=4096)
    steps = check_int("steps", steps, minimum=1, maximum=100_000)
    lr = check_float("lr", lr, minimum=0.0, strict_min=True)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=1347)
    every = check_int("every", every, minimum=1, maximum=steps)
    seed = check_int("seed", seed, minimum=0)
    n_seeds = check_int("n_seeds", n_seeds, minimum=1, maximum=100)
    seeds = list(range(seed, seed + n_seeds))
    runs = len(NETWORKS) * n_seeds
    data = load_digits_split(dtype=torch.float64)
    n_train = len(data.y_train)
    n_classes = int(data.y_train.max()) + 1
    y_all = data.y_train.expand(runs, -1)

    # at initialization, in float64: the gradient of every hidden layer and the loss
    weights, biases = _stacked_params(depth, width, seeds)
    for p in weights + biases:
        p.requires_grad_()
    loss0 = _run_losses(_forward(data.X_train.expand(runs, -1, -1), weights, biases, n_seeds), y_all)
    loss0.sum().backward()
    norms = torch.stack([w.grad.norm(dim=(1, 2)) for w in weights[:-1]], dim=1)

    # training, in float32; every run draws its batches from a generator seeded with its seed
    weights = [w.detach().float().requires_grad_() for w in weights]
    biases = [b.detach().float().requires_grad_() for b in biases]
    params = weights + biases
    x_train, x_test = data.X_train.float(), data.X_test.float()
    gens = [torch.Generator().manual_seed(s) for _ in NETWORKS for s in seeds]
    losses = []
    for step in range(steps + 1):
        if step % every == 0:
            with torch.no_grad():
                logits = _forward(x_train.expand(runs, -1, -1), weights, biases, n_seeds)
                losses.append(_run_losses(logits, y_all).double())
        if step == steps:
            break
        idx = torch.stack([torch.randint(0, n_train, (batch_size,), generator=g) for g in gens])
        _run_losses(_forward(x_train[idx], weights, biases, n_seeds), data.y_train[idx]).sum().backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
    with torch.no_grad():
        logits = _forward(x_test.expand(runs, -1, -1), weights, biases, n_seeds)
        accuracy = (logits.argmax(dim=2) == data.y_test).double().mean(dim=1)
    losses = torch.stack(losses, dim=1)

    out: dict[str, Any] = {"depth": depth, "width": width, "seeds": seeds,
                           "steps": list(range(0, steps + 1, every)),
                           "n_classes": n_classes, "ln_k": math.log(n_classes), "nets": {}}
    for i, label in enumerate(NETWORKS):
        part = slice(i * n_seeds, (i + 1) * n_seeds)
        out["nets"][label] = {"grad_norms": norms[part].tolist(), "loss0": loss0[part].tolist(),
                              "loss": losses[part].tolist(), "accuracy": accuracy[part].tolist()}
    return out


def plot_first_look(result: dict[str, Any]):
    """Left: ||dL/dW_l|| against the hidden layer l at initialization (log scale). Right: the
    training loss against the SGD step, with ln K (the loss of a uniform guess) dashed. One thin
    line per seed."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not isinstance(result, dict) or "nets" not in result or "steps" not in result:
        raise TypeError("result must be the dict returned by first_look.sigmoid_vs_relu()")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(6.8, 3.7), layout="constrained")
    for label, m in result["nets"].items():
        color = COLORS.get(label)
        for i, (norms, loss) in enumerate(zip(m["grad_norms"], m["loss"], strict=True)):
            layers = range(1, len(norms) + 1)
            ax1.semilogy(layers, norms, "o-", ms=2.5, lw=1.2, alpha=0.75, color=color,
                         label=label if i == 0 else None)
            ax2.plot(result["steps"], loss, lw=1.2, alpha=0.75, color=color)
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
    n = len(result.get("seeds", [0]))
    ax2.set_title(f"training, {n} seeds" if n > 1 else "training")
    fig.legend(loc="outside lower center", ncol=2, frameon=False)
    return fig
