"""Scikit-learn's bundled 8x8 digits (1,797 images, 10 classes) as torch tensors: no download."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ._validate import check_float, check_int


class Split(NamedTuple):
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def read_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as (X float64 of shape (1797, 64) with pixels 0..16, y int64 labels).

    The data is the file scikit-learn ships (datasets/data/digits.csv.gz: 64 pixels and the label
    per row). It is read straight from the installed package, because importing
    sklearn.datasets costs about 1.5 s per notebook; if the file is not where this version of
    scikit-learn keeps it, sklearn.datasets.load_digits reads it instead (same arrays, tested).
    """
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is None or spec.origin is None:
        raise ImportError("scikit-learn is needed for the digits data: pip install -r requirements.txt")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path.is_file():
        table = np.loadtxt(path, delimiter=",")
        if table.shape == (1797, 65):
            return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X.astype(np.float64), y.astype(np.int64)


def load_digits_split(test_fraction: float = 0.25, seed: int = 0, standardize: bool = True,
                      dtype: torch.dtype = torch.float32) -> Split:
    """Shuffle the digits with ``seed``, hold out ``test_fraction`` of them and return tensors.

    Pixels (0..16) are standardized per feature with the training set's mean and std
    (x - mean) / (std + 1e-8) when ``standardize`` is true, else divided by 16.
    Labels are int64 class indices 0..9.
    """
    test_fraction = check_float("test_fraction", test_fraction, minimum=0.0, maximum=0.9,
                                strict_min=True)
    seed = check_int("seed", seed, minimum=0)
    X, y = read_digits()
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order].astype(np.float64), y[order]
    n_test = int(round(test_fraction * len(X)))
    X_test, y_test, X_train, y_train = X[:n_test], y[:n_test], X[n_test:], y[n_test:]
    if standardize:
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        X_train = (X_train - mean) / (std + 1e-8)
        X_test = (X_test - mean) / (std + 1e-8)
    else:
        X_train, X_test = X_train / 16.0, X_test / 16.0
    as_x = lambda a: torch.tensor(a, dtype=dtype)  # noqa: E731
    as_y = lambda a: torch.tensor(a, dtype=torch.int64)  # noqa: E731
    return Split(as_x(X_train), as_y(y_train), as_x(X_test), as_y(y_test))
