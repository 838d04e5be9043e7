"""Train one network per (setting, seed) at once: a comparison of settings over several seeds for
the price of a few runs (the case study's remedies and checklist).

A claim about training is a claim about a distribution, so every setting is trained with the same
seeds. Doing that one run at a time costs one Python loop per run; here the copies of the network
(one per setting and seed) become tensors with a leading copy dimension, and one ``torch.bmm`` per
layer runs every copy. Each copy follows exactly what :func:`gradlab.train.train` does with the
same arguments (the same initial weights from :func:`gradlab.nets.deep_mlp`, the same minibatch
order from the seed, torch.optim's SGD, Adam or Adagrad update, clipping with ``eps=1e-6``,
L2 weight decay, a cosine schedule): in float64 the two agree to rounding (the tests check it).

    runs = train_seeds({"baseline": dict(make=lambda s: deep_mlp(10, 32, seed=s)),
                        "clip 1": dict(make=..., max_norm=1.0)}, data, epochs=20)
    runs["baseline"].acc          # test accuracy per seed and epoch
    runs["baseline"].reach(0.8)   # epoch at which each seed first reaches 0.8

A copy whose loss turns inf or NaN is dropped from the stack at that step and marked diverged
(``train()``'s monitor can stop such a run one step earlier, when a gradient's norm overflows
before the loss does).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import torch
import torch.nn.functional as F

from ._validate import check_float, check_int
from .data import Split
from .nets import DeepMLP
from .optim import OPTIMIZERS

#: what a setting may change, and its value when the setting does not say
SETTING_DEFAULTS = dict(optimizer="sgd", lr=None, weight_decay=0.0, max_norm=math.inf, cosine=False)


class SeedStack:
    """Copies of :class:`gradlab.nets.DeepMLP` networks of one shape as tensors with a leading
    copy dimension. The copies share layer sizes and activation; each keeps its own norm (none,
    BatchNorm or LayerNorm, with BatchNorm's running statistics) and skip connections."""

    def __init__(self, nets: list[DeepMLP], dtype: torch.dtype = torch.float32):
        if not nets or not all(isinstance(m, DeepMLP) for m in nets):
            raise TypeError("nets must be a non-empty list of gradlab.nets.DeepMLP networks")

        def shape(m):
            return [(tuple(lin.weight.shape), type(b.act).__name__, b.residual_scale)
                    for lin, b in zip(m.linears, m.blocks, strict=False)]

        if any(shape(m) != shape(nets[0]) for m in nets):
            raise ValueError("every network of a SeedStack needs the same layer sizes, activation "
                             "and residual scale")
        self.act = nets[0].blocks[0].act
        L, width = len(nets[0].linears), nets[0].linears[0].weight.shape[0]

        def stack(get):
            return torch.stack([get(m).detach().to(dtype) for m in nets]).requires_grad_()

        def norm(m, i, part, default):  # a copy without a norm keeps g = 1, beta = 0
            return getattr(m.blocks[i].norm, part, default)

        one, zero = torch.ones(width), torch.zeros(width)
        self.W = [stack(lambda m, i=i: m.linears[i].weight.T) for i in range(L)]
        self.b = [stack(lambda m, i=i: m.linears[i].bias[None]) for i in range(L)]
        self.g = [stack(lambda m, i=i: norm(m, i, "weight", one)[None]) for i in range(L - 1)]
        self.beta = [stack(lambda m, i=i: norm(m, i, "bias", zero)[None]) for i in range(L - 1)]
        self.norms = [type(m.blocks[0].norm).__name__ for m in nets]  # per copy
        # h -> h + scale * block(h) where a copy has a skip, block(h) where it has none
        self.scale = nets[0].blocks[0].residual_scale
        self.skip = [torch.tensor([float(m.blocks[i].residual) for m in nets],
                                  dtype=dtype).view(-1, 1, 1) for i in range(L - 1)]
        self.running = [[torch.zeros(len(nets), 1, width, dtype=dtype),
                         torch.ones(len(nets), 1, width, dtype=dtype)]
                        for _ in range(L - 1)]  # BatchNorm's running mean and variance

    @property
    def params(self) -> list[torch.Tensor]:
        """Weights and biases; the norms' g and beta too when some copy has a norm."""
        normed = any(k != "Identity" for k in self.norms)
        return self.W + self.b + (self.g + self.beta if normed else [])

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only the copies in ``rows`` (a boolean mask over the copies)."""
        def sub(ts):
            return [t.detach()[rows].requires_grad_() for t in ts]

        self.W, self.b = sub(self.W), sub(self.b)
        self.g, self.beta = sub(self.g), sub(self.beta)
        self.norms = [k for k, r in zip(self.norms, rows.tolist(), strict=True) if r]
        self.skip = [s[rows] for s in self.skip]
        self.running = [[t[rows] for t in pair] for pair in self.running]

    def normalize(self, z: torch.Tensor, i: int, train: bool) -> torch.Tensor:
        """Each copy's norm on z (copies, examples, units), one call per run of copies with the
        same norm."""
        kinds = self.norms
        starts = [j for j in range(len(kinds)) if j == 0 or kinds[j] != kinds[j - 1]]
        if len(starts) == 1 and kinds[0] == "Identity":
            return z
        sizes = [b - a for a, b in zip(starts, [*starts[1:], len(kinds)], strict=True)]
        parts = []
        for a, x, g, beta, mean, var in zip(starts, *(t.split(sizes) for t in (
                z, self.g[i], self.beta[i], *self.running[i])), strict=True):
            if kinds[a] == "BatchNorm1d":  # statistics over each copy's examples
                c, e, u = x.shape  # as nn.BatchNorm1d, running statistics too
                x = F.batch_norm(x.transpose(0, 1).reshape(e, c * u), mean.view(-1),
                                 var.view(-1), g.flatten(), beta.flatten(),
                                 training=train, momentum=0.1, eps=1e-5)
                x = x.view(e, c, u).transpose(0, 1)
            elif kinds[a] == "LayerNorm":  # statistics over the units
                x = F.layer_norm(x, x.shape[-1:], eps=1e-5) * g + beta
            parts.append(x)
        return torch.cat(parts)

    def __call__(self, x: torch.Tensor, train: bool = True) -> torch.Tensor:
        """Logits of every copy for x of shape (copies, examples, features)."""
        h = x
        for i in range(len(self.W) - 1):
            z = torch.baddbmm(self.b[i], h, self.W[i])
            out = self.act(self.normalize(z, i, train))
            if self.skip[i].any():
                if self.scale != 1.0:
                    out = out * torch.where(self.skip[i] > 0, self.scale, 1.0)
                out = torch.addcmul(out, self.skip[i], h)
            h = out
        return torch.baddbmm(self.b[-1], h, self.W[-1])


class SeedRuns:
    """What :func:`train_seeds` measured for one setting, one row per seed.

    ``acc``: test accuracy after each epoch (seeds x epochs; NaN once diverged); ``diverged``:
    the step of the first non-finite loss, -1 if none; ``loss``: final training loss (mean over
    the last epoch; NaN if diverged); ``ratio0``: first layer's weight-gradient norm over the
    head's at the first step; ``updates``: the first layer's update-to-weight ratio at every
    step (steps x seeds)."""

    def __init__(self, acc, diverged, loss, ratio0, updates):
        self.acc, self.diverged, self.loss = acc, diverged, loss
        self.ratio0, self.updates = ratio0, updates
        self.n_div = int((diverged >= 0).sum())
        self.final = acc[:, -1][diverged < 0]  # final accuracy of the seeds that did not diverge

    def reach(self, target: float) -> list[int | None]:
        """Per seed, the first epoch (from 1) whose test accuracy is >= target; None if never."""
        target = check_float("target", target, minimum=0.0, maximum=1.0)
        return [next((e + 1 for e, a in enumerate(row) if a >= target), None)
                for row in self.acc.tolist()]

    def n_reach(self, target: float) -> int:
        """How many seeds reach ``target`` test accuracy at some epoch."""
        return sum(r is not None for r in self.reach(target))


def _step(kind, params, grads, state, eta, t):
    """One step of torch.optim's SGD, Adam or Adagrad (default settings) on the copies params,
    with a learning rate per copy (eta: copies x 1 x 1), in place."""
    if kind == "sgd":
        for w, g in zip(params, grads, strict=True):
            w.sub_(eta * g)
    elif kind == "adam":
        for w, g, m, v in zip(params, grads, state["m"], state["v"], strict=True):
            m.lerp_(g, 0.1)  # m = 0.9 m + 0.1 g
            v.mul_(0.999).addcmul_(g, g, value=0.001)  # v = 0.999 v + 0.001 g²
            denom = (v.sqrt() / math.sqrt(1 - 0.999**t)).add_(1e-8)
            w.sub_(eta / (1 - 0.9**t) * m / denom)
    else:  # adagrad
        for w, g, s in zip(params, grads, state["sum"], strict=True):
            s.addcmul_(g, g)  # sum of g²
            w.sub_(eta * g / s.sqrt().add_(1e-10))


def _check_settings(settings, lr):
    if not isinstance(settings, Mapping) or not settings:
        raise TypeError("settings must be a non-empty dict {name: setting}")
    out = {}
    for name, s in settings.items():
        allowed = sorted(SETTING_DEFAULTS) + ["make"]
        if not isinstance(s, Mapping) or not callable(s.get("make")) or set(s) - set(allowed):
            raise ValueError(f"setting {name!r}: a dict with make (seed -> network), allowing "
                             f"{allowed}; got {s!r:.120}")
        c = {**SETTING_DEFAULTS, "lr": lr, **s}
        if c["optimizer"] not in OPTIMIZERS:
            raise ValueError(f"setting {name!r}: optimizer must be one of {OPTIMIZERS}, "
                             f"got {c['optimizer']!r}")
        c["lr"] = check_float(f"setting {name!r}: lr", c["lr"], minimum=0.0, strict_min=True)
        c["weight_decay"] = check_float(f"setting {name!r}: weight_decay", c["weight_decay"],
                                        minimum=0.0)
        c["max_norm"] = check_float(f"setting {name!r}: max_norm", c["max_norm"], minimum=0.0,
                                    strict_min=True, allow_inf=True)
        if not isinstance(c["cosine"], bool):
            raise TypeError(f"setting {name!r}: cosine must be True or False, got {c['cosine']!r}")
        out[name] = c
    return out


def train_seeds(settings: Mapping[str, Mapping], data: Split, *, epochs: int,
                batch_size: int = 128, seeds: Iterable[int] = range(5), lr: float = 0.1,
                dtype: torch.dtype = torch.float32) -> dict[str, SeedRuns]:
    """Train every setting with every seed at once and return ``{name: SeedRuns}``.

    A setting is a dict with ``make`` (seed -> :class:`gradlab.nets.DeepMLP`) and optionally
    ``optimizer`` ("sgd", "adam" or "adagrad"), ``lr`` (default: the ``lr`` argument),
    ``weight_decay`` (L2), ``max_norm`` (clip each copy's global gradient norm) and ``cosine``
    (anneal the learning rate to 0 over the run). Every network of one call needs the same layer
    sizes and activation. ``seeds`` seed both the network (through ``make``) and the minibatch
    order, as :func:`gradlab.train.train`'s ``seed`` does.
    """
    if not isinstance(data, Split):
        raise TypeError(f"data must be a gradlab.data.Split, got {type(data).__name__}")
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    seeds = [check_int("seeds (each)", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    config = _check_settings(settings, lr)
    made = {k: [config[k]["make"](seed) for seed in seeds] for k in config}
    for k, nets in made.items():
        if not all(isinstance(m, DeepMLP) for m in nets):
            raise TypeError(f"setting {k!r}: make(seed) must return a gradlab.nets.DeepMLP")

    # copies of one optimizer side by side (it updates one slice of the stack), and within it
    # copies of one norm (normalized in one call)
    def order(k):
        return OPTIMIZERS.index(config[k]["optimizer"]), type(made[k][0].blocks[0].norm).__name__

    names = sorted(config, key=order)
    cfg = [config[k] for k in names]
    S, M = len(seeds), len(cfg) * len(seeds)
    net = SeedStack([m for k in names for m in made[k]], dtype)
    X_train, X_test = data.X_train.to(dtype), data.X_test.to(dtype)

    def per_copy(key):
        return torch.tensor([float(c[key]) for c in cfg for _ in seeds], dtype=dtype).view(M, 1, 1)

    lr_, wd, max_norm, cosine = map(per_copy, ("lr", "weight_decay", "max_norm", "cosine"))
    kinds = [c["optimizer"] for c in cfg for _ in seeds]
    live = torch.arange(M)  # the copies still in the stack
    state = {k: [torch.zeros_like(w) for w in net.params] for k in ("m", "v", "sum")}

    def slices():  # each optimizer's part of the stack: (kind, slice, params, state)
        out = []
        for kind in dict.fromkeys(kinds):
            a, b = kinds.index(kind), len(kinds) - kinds[::-1].index(kind)
            part = {k: [x[a:b] for x in v] for k, v in state.items()}
            out.append((kind, slice(a, b), [w[a:b] for w in net.params], part))
        return out

    parts = slices()
    clip, decay = bool(max_norm.isfinite().any()), bool((wd > 0).any())
    anneal = bool((cosine > 0).any())
    n = len(data.y_train)
    steps = epochs * -(-n // batch_size)
    gens = [torch.Generator().manual_seed(s) for s in seeds]  # minibatch order, as train
    acc = torch.full((M, epochs), math.nan, dtype=torch.float64)
    diverged = torch.full((M,), -1)
    total = torch.full((M,), math.nan, dtype=torch.float64)
    updates = torch.full((steps, M), math.nan, dtype=torch.float64)
    ratio0 = torch.full((M,), math.nan, dtype=torch.float64)
    step = 0
    for epoch in range(epochs):
        orders = torch.stack([torch.randperm(n, generator=g) for g in gens])
        total[live] = 0.0
        for start in range(0, n, batch_size):
            idx = orders[live % S, start:start + batch_size]
            losses = F.cross_entropy(net(X_train[idx]).transpose(1, 2), data.y_train[idx],
                                     reduction="none").mean(1)
            total[live] += losses.detach().double() * idx.shape[1]
            # each copy's loss reaches only its own weights
            grads = torch.autograd.grad(losses.sum(), net.params)
            if step == 0:
                ratio0 = (grads[0].flatten(1).norm(dim=1)
                          / grads[len(net.W) - 1].flatten(1).norm(dim=1)).double()
            with torch.no_grad():
                if clip:  # clip each copy's global norm, as clip_grad_norm_ (eps 1e-6)
                    norm = sum(g.flatten(1).pow(2).sum(1) for g in grads).sqrt()
                    coef = (max_norm / (norm.view(-1, 1, 1) + 1e-6)).clamp(max=1.0)
                    coef = torch.where(torch.isinf(max_norm), 1.0, coef)
                    grads = [g * coef for g in grads]
                if decay:  # L2: g + weight_decay * w
                    grads = [g + wd * w for g, w in zip(grads, net.params, strict=True)]
                eta = lr_
                if anneal:
                    eta = torch.where(cosine > 0,
                                      lr_ * (1 + math.cos(math.pi * step / steps)) / 2, lr_)
                before = net.W[0].detach().clone()
                for kind, sl, params, part in parts:  # each optimizer on its slice
                    _step(kind, params, [g[sl] for g in grads], part, eta[sl], step + 1)
                updates[step, live] = ((net.W[0] - before).flatten(1).norm(dim=1)
                                       / before.flatten(1).norm(dim=1)).double()
            step += 1
            bad = ~torch.isfinite(losses)
            if bad.any():  # drop the diverged copies: every later step of theirs would be NaN
                diverged[live[bad]] = step - 1
                total[live[bad]] = math.nan
                ok = ~bad
                net.keep(ok)
                live, lr_, wd, max_norm, cosine = (x[ok] for x in (live, lr_, wd, max_norm, cosine))
                kinds = [k for k, keep in zip(kinds, ok.tolist(), strict=True) if keep]
                state = {k: [x[ok] for x in v] for k, v in state.items()}
                parts = slices()
                if len(live) == 0:
                    break
        if len(live) == 0:
            break
        with torch.no_grad():
            pred = net(X_test.expand(len(live), -1, -1), train=False).argmax(-1)
            acc[live, epoch] = (pred == data.y_test).double().mean(1)
    updates = updates[:step]
    out = {}
    for i, name in enumerate(names):
        sl = slice(i * S, (i + 1) * S)
        out[name] = SeedRuns(acc[sl], diverged[sl], total[sl] / n, ratio0[sl], updates[:, sl])
    return {name: out[name] for name in config}


def table(runs: Mapping[str, SeedRuns], target: float, header: str = "run") -> str:
    """A text table, one row per setting (``header`` heads the names' column): median and
    range of the final test accuracy over the seeds that did not diverge, the epoch at which
    each seed reaches ``target`` ("never" if none), the median first/head gradient ratio at the
    first step, and how many seeds diverged."""
    target = check_float("target", target, minimum=0.0, maximum=1.0)
    if not isinstance(runs, Mapping) or not all(isinstance(r, SeedRuns) for r in runs.values()):
        raise TypeError("runs must be a dict {name: SeedRuns}, as train_seeds returns")
    width = max([29, len(header), *map(len, runs)])
    lines = [f"{header:{width}s} {'test accuracy':>15s} {'epochs to':>14s} {'first/':>9s} "
             f"{'div.':>4s}",
             f"{'':{width}s} {'median':>5s} {'range':>9s} {'reach':>14s} {'head':>9s}"]
    for name, r in runs.items():
        final = r.final
        # the median of an even number of seeds is the mean of the middle two (torch.median
        # would give the lower one)
        acc = "-" if len(final) == 0 else f"{final.quantile(0.5).item():.3f}"
        rng = "" if len(final) < 2 else f"{final.min().item():.2f}-{final.max().item():.2f}"
        reach = ",".join(str(e) for e in r.reach(target) if e is not None) or "never"
        lines.append(f"{name:{width}s} {acc:>5s} {rng:>9s} {reach:>14s} "
                     f"{r.ratio0.quantile(0.5).item():9.1e} {r.n_div:4d}")
    return "\n".join(lines)


def plot_accuracy(ax, runs: Mapping[str, SeedRuns], target: float, colors=None) -> None:
    """Test accuracy per epoch of each setting on ``ax``: the median over the seeds that did not
    diverge as a line, their range as a band, ``target`` as a grey dashed line. A setting whose
    every seed diverged gets a legend entry only; the legend says how many seeds diverged."""
    target = check_float("target", target, minimum=0.0, maximum=1.0)
    colors = colors or [f"C{i}" for i in range(len(runs))]
    for color, (name, r) in zip(colors, runs.items(), strict=False):
        label = name + (f" ({r.n_div} of {len(r.diverged)} diverged)" if r.n_div else "")
        acc = r.acc[r.diverged < 0]
        if len(acc) == 0:
            ax.plot([], [], "o-", ms=3, color=color, label=label)
            continue
        epochs = range(1, acc.shape[1] + 1)
        ax.plot(epochs, acc.quantile(0.5, dim=0), "o-", ms=3, color=color, label=label)
        ax.fill_between(epochs, acc.min(0).values, acc.max(0).values, color=color, alpha=0.2,
                        lw=0)
    ax.axhline(target, color="grey", lw=0.8, ls="--")
    ax.set(ylabel="test accuracy", ylim=(0, 1))


__all__ = ["SETTING_DEFAULTS", "SeedRuns", "SeedStack", "plot_accuracy", "table", "train_seeds"]
