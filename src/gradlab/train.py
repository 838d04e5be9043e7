"""A small, reusable training loop for the case study: minibatch training of a classifier with
an optional clipping threshold and cosine schedule, watched by a
:class:`~gradlab.monitor.TrainingMonitor`.

One epoch is a pass over a shuffled training set in minibatches of ``batch_size``; each step does

    loss = cross_entropy(model(x), y); loss.backward(); [clip ||g|| to max_norm]; optimizer.step()

and after each epoch the test accuracy is measured. A :class:`~gradlab.monitor.NonFiniteError`
ends the run and marks it as diverged instead of propagating, so a table of runs can be made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from ._validate import check_float, check_int
from .clipping import clip_grads_by_norm_
from .data import Split
from .monitor import NonFiniteError, TrainingMonitor
from .optim import OPTIMIZERS, make_optimizer  # noqa: F401  (re-exported: gradlab.train.make_optimizer)


@dataclass
class Run:
    """What one training run produced. Lists have one entry per completed epoch."""

    train_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    diverged: bool = False
    diverged_at: int | None = None  # optimizer step (from 0) at which the monitor raised
    error: str = ""
    monitor: TrainingMonitor | None = None

    def epochs_to(self, accuracy: float) -> int | None:
        """First epoch (counted from 1) whose test accuracy is >= ``accuracy``; None if never."""
        accuracy = check_float("accuracy", accuracy, minimum=0.0, maximum=1.0)
        for epoch, acc in enumerate(self.test_accuracy, start=1):
            if acc >= accuracy:
                return epoch
        return None

    @property
    def final_accuracy(self) -> float:
        """Test accuracy after the last completed epoch; NaN if no epoch completed."""
        return self.test_accuracy[-1] if self.test_accuracy else math.nan


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``X`` whose arg-max logit equals ``y``, in eval mode, without grad."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(X, torch.Tensor) or X.dim() < 1:
        raise TypeError(f"X must be a tensor with one row per example, got {type(X).__name__}")
    if not isinstance(y, torch.Tensor) or y.dim() != 1 or len(y) != len(X):
        raise ValueError(f"y must be a 1-D tensor of {len(X)} class labels (one per row of X), "
                         f"got {type(y).__name__} of shape {tuple(getattr(y, 'shape', ()))}")
    was_training = model.training
    model.eval()
    with torch.no_grad():
        acc = float((model(X).argmax(dim=1) == y).double().mean())
    model.train(was_training)
    return acc


def train(model: nn.Module, data: Split, *, optimizer: str = "sgd", lr: float = 0.1,
          epochs: int = 10, batch_size: int = 128, momentum: float = 0.0,
          weight_decay: float = 0.0, max_norm: float | None = None, cosine: bool = False,
          seed: int = 0) -> Run:
    """Train ``model`` on ``data`` (a :class:`gradlab.data.Split`) and return a :class:`Run`.

    ``max_norm`` clips the global gradient norm (:func:`gradlab.clipping.clip_grads_by_norm_`,
    with torch's ``eps=1e-6``);
    ``cosine=True`` anneals the learning rate to 0 over all steps (``CosineAnnealingLR``);
    ``seed`` seeds the minibatch order. ``run.monitor.history`` holds per-step numbers.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(data, Split):
        raise TypeError(f"data must be a gradlab.data.Split, got {type(data).__name__}")
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if max_norm is not None:
        max_norm = check_float("max_norm", max_norm, minimum=0.0, strict_min=True)
    if not isinstance(cosine, bool):
        raise TypeError(f"cosine must be True or False, got {cosine!r}")
    seed = check_int("seed", seed, minimum=0)
    opt = make_optimizer(model, optimizer, lr, momentum=momentum, weight_decay=weight_decay)
    n = len(data.y_train)
    steps_per_epoch = math.ceil(n / batch_size)
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
                if cosine else None)
    gen = torch.Generator().manual_seed(seed)
    run = Run(monitor=TrainingMonitor(model, opt))
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    try:
        for _ in range(epochs):
            order = torch.randperm(n, generator=gen)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                opt.zero_grad()
                loss = loss_fn(model(data.X_train[idx]), data.y_train[idx])
                total += run.monitor.record_loss(loss) * len(idx)
                loss.backward()
                if max_norm is not None:
                    clip_grads_by_norm_(model.parameters(), max_norm, eps=1e-6)
                opt.step()
                if schedule is not None:
                    schedule.step()
            run.train_loss.append(total / n)
            run.test_accuracy.append(accuracy(model, data.X_test, data.y_test))
    except NonFiniteError as err:
        run.diverged, run.diverged_at, run.error = True, err.step, str(err)
    finally:
        run.monitor.remove()
    return run
