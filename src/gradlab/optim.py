"""The optimizer factory: the one place a gradlab training loop builds its optimizer.

A module of its own so that every training loop (``train.train``, ``rnn.train_memory``) can use it
without importing the others (``gradlab.train`` re-exports it).
"""

from __future__ import annotations

import torch
from torch import nn

from ._validate import check_choice, check_float

#: the optimizers ``make_optimizer`` builds
OPTIMIZERS = ("sgd", "adam", "adagrad")


def make_optimizer(model: nn.Module, name: str, lr: float, *, momentum: float = 0.0,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """torch.optim.SGD / Adam / Adagrad over ``model.parameters()`` with the given settings.

    The one optimizer factory of gradlab: every gradlab training loop builds its optimizer here.
    """
    name = check_choice("optimizer", name, OPTIMIZERS)
    lr = check_float("lr", lr, minimum=0.0, strict_min=True)
    momentum = check_float("momentum", momentum, minimum=0.0, maximum=1.0)
    weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
    params = model.parameters()
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if momentum != 0.0:
        raise ValueError(f"momentum applies to optimizer='sgd' only, got optimizer={name!r}")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
