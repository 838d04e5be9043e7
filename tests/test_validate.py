import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradlab._validate import check_choice, check_float, check_int


@given(st.integers(min_value=-1000, max_value=1000))
def test_check_int_accepts_whole_numbers_in_range(n):
    if n < 0:
        with pytest.raises(ValueError, match="depth must be >= 0"):
            check_int("depth", n, minimum=0)
    else:
        assert check_int("depth", n, minimum=0) == n


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_check_int_rejects_non_integers_by_name(bad):
    with pytest.raises(TypeError, match="width must be an integer"):
        check_int("width", bad)


def test_check_int_upper_bound():
    with pytest.raises(ValueError, match="T must be <= 10"):
        check_int("T", 11, maximum=10)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_check_float_rejects_nan_and_inf(bad):
    with pytest.raises(ValueError, match="lr must be a finite number"):
        check_float("lr", bad)


def test_check_float_strict_minimum():
    with pytest.raises(ValueError, match="lr must be > 0"):
        check_float("lr", 0.0, minimum=0.0, strict_min=True)
    assert check_float("lr", 0.0, minimum=0.0) == 0.0


@pytest.mark.parametrize("bad", ["1.0", None, [1.0]])
def test_check_float_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="lr must be a real number"):
        check_float("lr", bad)


def test_check_choice():
    assert check_choice("activation", "ReLU", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match=r"activation must be one of \('relu', 'tanh'\)"):
        check_choice("activation", "swish", ("relu", "tanh"))
    with pytest.raises(TypeError, match="activation must be one of"):
        check_choice("activation", 3, ("relu", "tanh"))
