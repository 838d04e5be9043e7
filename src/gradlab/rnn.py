"""Recurrent cells (vanilla RNN, LSTM, GRU): gradient through time and a long-range memory task.

Gradient through time. For an input sequence x_1..x_T and a scalar read-out of the last state,

    L = u . h_T                (u a fixed random unit vector),

``input_grad_norms`` returns ||dL/dx_t||_2 for t = 1..T. By the chain rule

    dL/dx_t = (dh_t/dx_t)^T (dh_{t+1}/dh_t)^T ... (dh_T/dh_{T-1})^T u,

a product of T - t step Jacobians: it shrinks or grows geometrically in T - t unless the cell
keeps a path whose Jacobian stays near the identity (the LSTM's cell state
c_t = f_t * c_{t-1} + ..., the GRU's h_t = (1 - z_t) * h_{t-1} + ...).

``state_jacobian_norm`` returns ||dh_T/dh_0||_F, the same product measured from the initial state.

Memory task. ``memory_task`` makes sequences whose first step carries one of ``n_symbols``
symbols (one-hot) and whose other T - 1 steps are blank (or random distractor symbols); the label
is the first symbol. A model must carry it across T steps: chance accuracy is 1 / n_symbols.
``train_memory`` trains a cell + linear read-out on it (with an optimizer from
:func:`gradlab.optim.make_optimizer` and, optionally, :mod:`gradlab.clipping`'s norm clipping) and
reports the test accuracy.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from ._validate import check_choice, check_float, check_int
from .clipping import clip_grads_by_norm_
from .optim import OPTIMIZERS, make_optimizer

CELLS = ("rnn", "lstm", "gru")


def make_rnn(cell: str, input_size: int, hidden_size: int, *, seed: int = 0,
             forget_bias: float | None = None, update_bias: float | None = None,
             dtype: torch.dtype = torch.float32) -> nn.RNNBase:
    """A one-layer ``nn.RNN`` (tanh) / ``nn.LSTM`` / ``nn.GRU`` with batch-first input.

    Weights use torch's default initialization U(-1/sqrt(H), 1/sqrt(H)), drawn with the torch
    RNG seeded by ``seed`` (the global RNG state is restored afterwards). For the LSTM,
    ``forget_bias`` (if given) sets the forget gate's total bias b_f = b_if + b_hf to that value,
    so the gate starts at sigmoid(b_f) instead of about 1/2 (Gers et al. 2000 use b_f = 1).
    For the GRU, ``update_bias`` (if given) sets the update gate's total bias b_z = b_iz + b_hz:
    torch's GRU computes h_t = (1 - z_t) * n_t + z_t * h_{t-1}, so a positive b_z starts the
    gate near 1, copying the old state forward (the GRU's "open" gate).
    """
    cell = check_choice("cell", cell, CELLS)
    input_size = check_int("input_size", input_size, minimum=1, maximum=10_000)
    hidden_size = check_int("hidden_size", hidden_size, minimum=1, maximum=10_000)
    seed = check_int("seed", seed, minimum=0)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    if forget_bias is not None:
        if cell != "lstm":
            raise ValueError(f"forget_bias applies to cell='lstm' only, got cell={cell!r}")
        forget_bias = check_float("forget_bias", forget_bias)
    if update_bias is not None:
        if cell != "gru":
            raise ValueError(f"update_bias applies to cell='gru' only, got cell={cell!r}")
        update_bias = check_float("update_bias", update_bias)
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = cls(input_size, hidden_size, batch_first=True)
    finally:
        torch.random.set_rng_state(state)
    if forget_bias is not None:  # gate order in torch's LSTM weights: input, forget, cell, output
        with torch.no_grad():
            model.bias_ih_l0[hidden_size:2 * hidden_size] = forget_bias
            model.bias_hh_l0[hidden_size:2 * hidden_size] = 0.0
    if update_bias is not None:  # gate order in torch's GRU weights: reset, update, new
        with torch.no_grad():
            model.bias_ih_l0[hidden_size:2 * hidden_size] = update_bias
            model.bias_hh_l0[hidden_size:2 * hidden_size] = 0.0
    return model.to(dtype)


def _check_torch_rnn(rnn: object) -> nn.RNNBase:
    if not isinstance(rnn, (nn.RNN, nn.LSTM, nn.GRU)):
        raise TypeError(f"rnn must be a torch.nn.RNN, nn.LSTM or nn.GRU, got {type(rnn).__name__}")
    if not rnn.batch_first or rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError("rnn must be one-layer, one-directional and batch_first=True "
                         "(build it with gradlab.rnn.make_rnn)")
    return rnn


def _check_sequence(x: object, rnn: nn.RNNBase) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3 or x.shape[0] != 1 or x.shape[2] != rnn.input_size or x.shape[1] < 1:
        raise ValueError(f"x must have shape (1, T, {rnn.input_size}) with T >= 1, "
                         f"got {tuple(x.shape)}")
    return x


def _readout(hidden_size: int, seed: int, dtype: torch.dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(hidden_size, generator=g, dtype=torch.float64)
    return (u / u.norm()).to(dtype)


def random_sequence(T: int, input_size: int, *, seed: int = 0,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A (1, T, input_size) sequence of independent N(0, 1) entries, seeded."""
    T = check_int("T", T, minimum=1, maximum=100_000)
    input_size = check_int("input_size", input_size, minimum=1, maximum=10_000)
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    return torch.randn(1, T, input_size, generator=g, dtype=torch.float64).to(dtype)


def input_grad_norms(rnn: nn.RNNBase, x: torch.Tensor, *, seed: int = 0) -> list[float]:
    """[||dL/dx_1||, ..., ||dL/dx_T||] for L = u . h_T, u a unit vector drawn with ``seed``."""
    rnn = _check_torch_rnn(rnn)
    x = _check_sequence(x, rnn)
    seed = check_int("seed", seed, minimum=0)
    x = x.detach().clone().requires_grad_(True)
    out, _ = rnn(x)
    u = _readout(rnn.hidden_size, seed, out.dtype)
    loss = out[0, -1] @ u
    (grad,) = torch.autograd.grad(loss, x)
    return [float(v) for v in grad[0].norm(dim=1)]


def state_jacobian_norm(rnn: nn.RNNBase, x: torch.Tensor) -> float:
    """||dh_T/dh_0||_F at h_0 = 0 (and c_0 = 0 for the LSTM, held fixed) along the input x."""
    rnn = _check_torch_rnn(rnn)
    x = _check_sequence(x, rnn).detach()
    H = rnn.hidden_size
    h0 = torch.zeros(1, 1, H, dtype=x.dtype)

    def last_state(h: torch.Tensor) -> torch.Tensor:
        if isinstance(rnn, nn.LSTM):
            out, _ = rnn(x, (h, torch.zeros_like(h)))
        else:
            out, _ = rnn(x, h)
        return out[0, -1]

    jac = torch.autograd.functional.jacobian(last_state, h0)
    return float(jac.reshape(H, H).norm())


class MemoryData(NamedTuple):
    x: torch.Tensor  # (n, T, n_symbols) one-hot symbols
    y: torch.Tensor  # (n,) int64: the symbol of the first step


def memory_task(n: int, T: int, *, n_symbols: int = 4, distractors: bool = False,
                seed: int = 0) -> MemoryData:
    """``n`` sequences of length ``T``: step 1 shows a symbol s ~ U{0..n_symbols-1} (one-hot);
    steps 2..T are zero vectors, or independent random one-hot symbols if ``distractors``.
    The label is s."""
    n = check_int("n", n, minimum=1, maximum=1_000_000)
    T = check_int("T", T, minimum=1, maximum=10_000)
    n_symbols = check_int("n_symbols", n_symbols, minimum=2, maximum=1000)
    seed = check_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    symbols = torch.randint(0, n_symbols, (n, T), generator=g)
    if not isinstance(distractors, bool):
        raise TypeError(f"distractors must be True or False, got {distractors!r}")
    x = nn.functional.one_hot(symbols, n_symbols).to(torch.float32)
    if not distractors:
        x[:, 1:] = 0.0
    return MemoryData(x, symbols[:, 0].clone())


class MemoryResult(NamedTuple):
    losses: list[float]      # training cross-entropy after each step
    test_accuracy: float     # fraction of held-out sequences whose first symbol is recalled
    chance: float            # 1 / n_symbols


class RecallModel(nn.Module):
    """A recurrent cell followed by a linear read-out of its last hidden state."""

    def __init__(self, cell: str, n_symbols: int, hidden_size: int, seed: int,
                 forget_bias: float | None = None, update_bias: float | None = None,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        self.rnn = make_rnn(cell, n_symbols, hidden_size, seed=seed, forget_bias=forget_bias,
                            update_bias=update_bias, dtype=dtype)
        g = torch.Generator().manual_seed(seed + 1)
        self.head = nn.Linear(hidden_size, n_symbols)
        bound = 1.0 / hidden_size ** 0.5
        with torch.no_grad():
            self.head.weight.uniform_(-bound, bound, generator=g)
            self.head.bias.zero_()
        self.head.to(dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def _check_memory_run(cell, T, hidden_size, n_symbols, steps, batch_size, lr, n_test) -> tuple:
    """The arguments train_memory and train_memory_seeds share, checked and normalized."""
    return (check_choice("cell", cell, CELLS),
            check_int("T", T, minimum=1, maximum=10_000),
            check_int("hidden_size", hidden_size, minimum=1, maximum=4096),
            check_int("n_symbols", n_symbols, minimum=2, maximum=1000),
            check_int("steps", steps, minimum=0, maximum=100_000),
            check_int("batch_size", batch_size, minimum=1, maximum=100_000),
            check_float("lr", lr, minimum=0.0, strict_min=True),
            check_int("n_test", n_test, minimum=1, maximum=1_000_000))


def train_memory(cell: str, T: int, *, hidden_size: int = 16, n_symbols: int = 4,
                 steps: int = 300, batch_size: int = 64, lr: float = 0.01,
                 n_test: int = 1000, forget_bias: float | None = None,
                 update_bias: float | None = None,
                 optimizer: str = "adam", clip: float | None = None,
                 seed: int = 0, dtype: torch.dtype = torch.float32) -> MemoryResult:
    """Train ``cell`` (+ linear read-out) on fresh ``memory_task`` batches (blank steps 2..T).

    ``optimizer`` is one of ``gradlab.train.OPTIMIZERS`` ("sgd" is plain SGD, step = lr *
    gradient), built by :func:`gradlab.optim.make_optimizer`; ``clip`` (if given) rescales the
    gradient to global norm at most ``clip`` before each step,
    g <- g * min(1, clip / ||g||) (:func:`gradlab.clipping.clip_grads_by_norm_`).

    Each step draws a new batch (seed, step) so the model never sees the test set (drawn with
    a separate seed). Returns the training losses and the test accuracy after ``steps`` steps.
    """
    cell, T, hidden_size, n_symbols, steps, batch_size, lr, n_test = _check_memory_run(
        cell, T, hidden_size, n_symbols, steps, batch_size, lr, n_test)
    seed = check_int("seed", seed, minimum=0)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    if clip is not None:
        clip = check_float("clip", clip, minimum=0.0, strict_min=True)
    model = RecallModel(cell, n_symbols, hidden_size, seed, forget_bias, update_bias, dtype)
    opt = make_optimizer(model, optimizer, lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for step in range(steps):
        x, y = memory_task(batch_size, T, n_symbols=n_symbols, seed=1_000_000 * (seed + 1) + step)
        loss = loss_fn(model(x.to(dtype)), y)
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            clip_grads_by_norm_(model.parameters(), clip)
        opt.step()
        losses.append(float(loss.detach()))
    x_test, y_test = memory_task(n_test, T, n_symbols=n_symbols, seed=999_999_999 - seed)
    with torch.no_grad():
        acc = float((model(x_test.to(dtype)).argmax(dim=1) == y_test).double().mean())
    return MemoryResult(losses, acc, 1.0 / n_symbols)


_GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _stack_block_diagonal(models: list[RecallModel], cell: str, n_symbols: int,
                          hidden_size: int, dtype: torch.dtype):
    """One model whose weights hold ``models`` as diagonal blocks, and the 0/1 block masks.

    Unit j of model s is unit s * H + j of every gate's chunk; input symbol k of model s is input
    s * n_symbols + k; weights between different models are zero."""
    S, H, D, G = len(models), hidden_size, n_symbols, _GATES[cell]
    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
    big = RecallModel.__new__(RecallModel)
    nn.Module.__init__(big)
    big.rnn = cls(S * D, S * H, batch_first=True).to(dtype)
    big.head = nn.Linear(S * H, S * D).to(dtype)
    masks = {}
    with torch.no_grad():
        for name, p in big.named_parameters():
            p.zero_()
            mask = torch.zeros_like(p)
            for s, m in enumerate(models):
                small = dict(m.named_parameters())[name]
                rows_in = H if name.startswith("rnn.") else D  # rows per gate (head: D outputs)
                cols = H if name.endswith("hh_l0") or name.startswith("head.") else D
                gates = G if name.startswith("rnn.") else 1
                for g in range(gates):
                    r0 = g * S * rows_in + s * rows_in
                    rows = slice(r0, r0 + rows_in)
                    part = small[g * rows_in:(g + 1) * rows_in]
                    if p.dim() == 2:
                        p[rows, s * cols:(s + 1) * cols] = part
                        mask[rows, s * cols:(s + 1) * cols] = 1.0
                    else:
                        p[rows] = part
                        mask[rows] = 1.0
            masks[name] = mask
    return big, masks


def train_memory_seeds(cell: str, T: int, seeds, *, hidden_size: int = 16, n_symbols: int = 4,
                       steps: int = 300, batch_size: int = 64, lr: float = 0.01,
                       n_test: int = 1000, forget_bias=None, update_bias=None,
                       dtype: torch.dtype = torch.float64) -> list[MemoryResult]:
    """``train_memory`` with Adam for several seeds at once: one result per seed.

    The S models (seeds) are the diagonal blocks of one wider cell and read-out (weights between
    blocks are zero and their gradients masked to zero), each block fed its own seed's batches;
    the loss is the sum of the S per-seed losses. Adam acts on each weight separately, so every
    block follows the same steps as ``train_memory(..., seed=s, dtype=dtype)`` up to rounding,
    at the cost of about one run. ``forget_bias`` (LSTM) and ``update_bias`` (GRU) are one value
    for every seed or a list with one value (or None) per seed, so that cells with and without an
    open gate train side by side.
    """
    cell, T, hidden_size, n_symbols, steps, batch_size, lr, n_test = _check_memory_run(
        cell, T, hidden_size, n_symbols, steps, batch_size, lr, n_test)
    if isinstance(seeds, int) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of seeds, got {seeds!r}")
    seeds = [check_int("seeds", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
    def per_seed(name: str, value) -> list:
        if value is None or isinstance(value, int | float):
            return [value] * len(seeds)
        value = list(value)
        if len(value) != len(seeds):
            raise ValueError(f"{name} must be one value or one per seed ({len(seeds)}), "
                             f"got {len(value)}")
        return value

    models = [RecallModel(cell, n_symbols, hidden_size, s, fb, ub, dtype)
              for s, fb, ub in zip(seeds, per_seed("forget_bias", forget_bias),
                                   per_seed("update_bias", update_bias), strict=True)]
    S, D = len(seeds), n_symbols
    model, masks = _stack_block_diagonal(models, cell, n_symbols, hidden_size, dtype)
    for name, p in model.named_parameters():
        p.register_hook(lambda g, m=masks[name]: g * m)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def batch(n: int, seed_of) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [memory_task(n, T, n_symbols=n_symbols, seed=seed_of(s)) for s in seeds]
        return (torch.cat([p.x for p in parts], dim=2).to(dtype),
                torch.stack([p.y for p in parts], dim=1))

    losses = []
    for step in range(steps):
        x, y = batch(batch_size, lambda s, step=step: 1_000_000 * (s + 1) + step)
        logits = model(x).reshape(batch_size, S, D)
        per_seed = nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none")
        per_seed = per_seed.mean(dim=0)
        opt.zero_grad()
        per_seed.sum().backward()
        opt.step()
        losses.append(per_seed.detach().tolist())
    x_test, y_test = batch(n_test, lambda s: 999_999_999 - s)
    with torch.no_grad():
        hits = (model(x_test).reshape(n_test, S, D).argmax(dim=2) == y_test).double().mean(dim=0)
    return [MemoryResult([step[i] for step in losses], float(hits[i]), 1.0 / n_symbols)
            for i in range(S)]
