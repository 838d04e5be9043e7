"""Scikit-learn's bundled 8x8 digits (1,797 images, 10 classes) as torch tensors: no download."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ._checks import check_float, check_int


class Split(NamedTuple):
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(test_fraction: float = 0.25, seed: int = 0, standardize: bool = True,
                      dtype: torch.dtype = torch.float32) -> Split:
    """Shuffle the digits with ``seed``, hold out ``test_fraction`` of them and return tensors.

    Pixels (0..16) are standardized per feature with the training set's mean and std
    (x - mean) / (std + 1e-8) when ``standardize`` is true, else divided by 16.
    Labels are int64 class indices 0..9.
    """
    from sklearn.datasets import load_digits  # ships with scikit-learn, read from disk

    test_fraction = check_float("test_fraction", test_fraction, minimum=0.0, maximum=0.9,
                                strict_min=True)
    seed = check_int("seed", seed, minimum=0)
    X, y = load_digits(return_X_y=True)
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
