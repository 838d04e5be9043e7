"""One call at the top of every notebook: seeds, threads and plot defaults."""

from __future__ import annotations

import random

import numpy as np
import torch

from ._checks import check_int


def setup_notebook(seed: int = 0) -> None:
    """Seed Python, NumPy and torch with ``seed``; use one torch thread; set figure defaults.

    One thread makes float reductions run in the same order on every machine, so a notebook
    prints the same digits twice; the course's networks are small enough not to need more.
    """
    seed = check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": (7.0, 3.6),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
