import pytest
import torch

from gradlab.data import load_digits_split


def test_split_sizes_types_and_labels():
    s = load_digits_split(test_fraction=0.25, seed=0)
    n = len(s.X_train) + len(s.X_test)
    assert n == 1797
    assert len(s.X_test) == round(0.25 * 1797)
    assert s.X_train.shape[1] == 64 and s.X_train.dtype == torch.float32
    assert s.y_train.dtype == torch.int64
    assert set(s.y_train.tolist()) == set(range(10))


def test_standardized_with_training_statistics():
    s = load_digits_split(seed=1)
    mean = s.X_train.mean(dim=0)
    std = s.X_train.std(dim=0, unbiased=False)
    assert torch.allclose(mean, torch.zeros(64), atol=1e-5)
    # constant pixels (always 0 in the training set) have std 0; every other one has std 1
    varying = std > 1e-3
    assert varying.sum() > 50
    assert torch.allclose(std[varying], torch.ones(int(varying.sum())), atol=1e-4)


def test_seed_changes_the_split_and_is_reproducible():
    a, b, c = load_digits_split(seed=0), load_digits_split(seed=0), load_digits_split(seed=1)
    assert torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_test, c.y_test)


def test_unstandardized_pixels_are_in_unit_range():
    s = load_digits_split(standardize=False)
    assert float(s.X_train.min()) == 0.0 and float(s.X_train.max()) == 1.0


@pytest.mark.parametrize("frac", [0.0, 0.95, -0.1])
def test_bad_test_fraction(frac):
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_split(test_fraction=frac)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed must be >= 0"):
        load_digits_split(seed=-1)


def test_read_digits_is_scikit_learns_data_without_importing_it():
    import subprocess
    import sys

    import numpy as np
    from sklearn.datasets import load_digits

    from gradlab.data import read_digits

    X, y = read_digits()
    X_ref, y_ref = load_digits(return_X_y=True)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)
    code = "import sys; from gradlab.data import read_digits; read_digits(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_read_digits_falls_back_to_sklearn(monkeypatch):
    import numpy as np

    import gradlab.data as data

    monkeypatch.setattr(data.Path, "is_file", lambda self: False)
    X, y = data.read_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and np.array_equal(np.unique(y), np.arange(10))
