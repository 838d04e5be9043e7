"""gradlab.numgrad: finite differences agree with autograd, with the error orders the docstring states."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.numgrad import numerical_gradient


def smooth_f(x):
    """A smooth test function written once for numpy arrays and torch tensors alike."""
    lib = torch if isinstance(x, torch.Tensor) else np
    return (lib.sin(1.3 * x) * x).sum() + 0.5 * (x[:-1] ** 2 * x[1:]).sum() + (x**2).sum()


def autograd_grad(x: np.ndarray) -> np.ndarray:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    smooth_f(t).backward()
    return t.grad.numpy()


points = st.lists(st.floats(min_value=-2.0, max_value=2.0), min_size=1, max_size=6).map(np.array)


@settings(max_examples=60, deadline=None)
@given(points)
def test_central_difference_matches_autograd(x):
    """Stated tolerance: |central - autograd| <= 1e-7 (1 + |g|) with h = 1e-5 on |x| <= 2.

    Truncation is h^2/6 |f'''| ~ 1e-10 here and rounding eps |f| / h ~ 1e-10: 1e-7 is generous
    and still 100x tighter than the forward difference's error at the same h.
    """
    ours = numerical_gradient(smooth_f, x, h=1e-5)
    exact = autograd_grad(x)
    assert np.all(np.abs(ours - exact) <= 1e-7 * (1 + np.abs(exact)))


@settings(max_examples=60, deadline=None)
@given(points)
def test_forward_difference_matches_autograd_less_tightly(x):
    ours = numerical_gradient(smooth_f, x, h=1e-7, method="forward")
    exact = autograd_grad(x)
    assert np.all(np.abs(ours - exact) <= 1e-5 * (1 + np.abs(exact)))


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-2.0, max_value=2.0))
def test_forward_error_is_h_over_two_times_second_derivative(x):
    """For f = exp, the forward error divided by h tends to f''(x)/2 = exp(x)/2 (order h)."""
    h = 1e-5
    err = numerical_gradient(math.exp, x, h=h, method="forward") - math.exp(x)
    assert err / h == pytest.approx(math.exp(x) / 2, rel=1e-3)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-2.0, max_value=2.0))
def test_central_error_is_h_squared_over_six_times_third_derivative(x):
    """For f = exp, the central error divided by h^2 tends to f'''(x)/6 = exp(x)/6 (order h^2)."""
    h = 1e-3
    err = numerical_gradient(math.exp, x, h=h) - math.exp(x)
    assert err / h**2 == pytest.approx(math.exp(x) / 6, rel=1e-3)


def test_integer_array_input_is_converted_not_truncated():
    """Document 002 differentiates x^4 at an integer array; the result must be 4 x^3."""
    x = np.array([1, 2, 3, 4])
    g = numerical_gradient(lambda v: float((v**4).sum()), x)
    np.testing.assert_allclose(g, 4.0 * x.astype(float) ** 3, rtol=1e-9)
    assert x.dtype.kind == "i" and x.tolist() == [1, 2, 3, 4]  # input untouched


def test_scalar_in_scalar_out():
    g = numerical_gradient(lambda v: v**3, 2.0)
    assert isinstance(g, float)
    assert g == pytest.approx(12.0, rel=1e-9)


def test_does_not_modify_its_input():
    x = np.array([0.5, -1.5])
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(v**2)), x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"h": 0.0}, ValueError, "h"),
        ({"h": -1e-3}, ValueError, "h"),
        ({"h": float("nan")}, ValueError, "h"),
        ({"h": "small"}, TypeError, "h"),
        ({"method": "backward"}, ValueError, "method"),
        ({"method": 3}, TypeError, "method"),
    ],
)
def test_bad_arguments_are_named(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        numerical_gradient(lambda v: v**2, 1.0, **kwargs)


@pytest.mark.parametrize(
    ("x", "exc", "message"),
    [
        (np.zeros((2, 2)), ValueError, "x must be"),
        (np.array([]), ValueError, "x must have"),
        (float("inf"), ValueError, "x must be finite"),
        ("one", TypeError, "x must be"),
    ],
)
def test_bad_points_are_named(x, exc, message):
    with pytest.raises(exc, match=message):
        numerical_gradient(lambda v: float(np.sum(v)), x)


def test_bad_function_is_named():
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient(3.0, 1.0)
    with pytest.raises(TypeError, match="f must return a single real number"):
        numerical_gradient(lambda v: np.array([v, v]), np.array([1.0, 2.0]))
