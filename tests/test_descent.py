"""gradlab.descent: the contraction law |1 - alpha L|, the 2/L boundary, agreement with the notebook."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from notebook_cells import cell_defining  # noqa: E402

from gradlab import descent, descent_explorer  # noqa: E402
from gradlab.explorer import explore_in_lab  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "book" / "gradient_descent" / "gradient_descent.ipynb"


def notebook_loop():
    """Execute the notebook's own `gradient_descent` cell and return that function."""
    namespace: dict = {"np": np}
    exec(cell_defining(NOTEBOOK, "gradient_descent"), namespace)  # noqa: S102 - our own notebook's code
    return namespace["gradient_descent"]


@settings(max_examples=80, deadline=None)
@given(
    L=st.floats(min_value=0.01, max_value=100.0),
    ratio=st.floats(min_value=0.01, max_value=2.5),
    theta0=st.floats(min_value=-10.0, max_value=10.0),
)
def test_one_dimensional_error_scales_by_one_minus_alpha_L_each_step(L, ratio, theta0):
    assume(abs(theta0) > 1e-3)
    alpha = ratio / L
    factor = abs(1 - alpha * L)
    assume(factor > 1e-3)
    path = descent.descend(L, theta0, alpha, 12)[:, 0]
    for before, after in zip(path[:-1], path[1:], strict=True):
        assert abs(after) == pytest.approx(factor * abs(before), rel=1e-12)
        assert after == pytest.approx((1 - alpha * L) * before, rel=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    eigs=st.tuples(st.floats(0.1, 20.0), st.floats(0.1, 20.0)),
    angle=st.floats(0.0, np.pi),
    ratio=st.floats(0.05, 1.9),
)
def test_each_eigen_component_contracts_by_its_own_factor(eigs, angle, ratio):
    """For a rotated 2-D quadratic, the component along eigenvector i scales by 1 - alpha lambda_i."""
    c, s = np.cos(angle), np.sin(angle)
    Q = np.array([[c, -s], [s, c]])
    A = Q @ np.diag(eigs) @ Q.T
    A = 0.5 * (A + A.T)
    alpha = ratio / max(eigs)
    path = descent.descend(A, (1.0, -2.0), alpha, 8)
    comps = path @ Q  # coordinates in the eigenbasis
    for i, lam in enumerate(eigs):
        expected = comps[0, i] * (1 - alpha * lam) ** np.arange(9)
        np.testing.assert_allclose(comps[:, i], expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("L", [0.5, 1.0, 4.0, 37.0])
def test_boundary_two_over_L(L):
    """Just below 2/L the iterate shrinks, just above it grows, exactly at it it flips sign."""
    crit = descent.critical_step(L)
    assert crit == pytest.approx(2 / L, rel=1e-15)
    below = descent.descend(L, 1.0, 0.99 * crit, 1000)[:, 0]
    above = descent.descend(L, 1.0, 1.01 * crit, 1000)[:, 0]
    at = descent.descend(L, 1.0, crit, 5)[:, 0]
    assert abs(below[-1]) < 1e-3 < 1e3 < abs(above[-1])
    np.testing.assert_allclose(np.abs(at), 1.0, rtol=1e-12)


def test_divergence_stops_at_blowup_without_overflow():
    path = descent.descend(1.0, 1.0, 5.0, 1000, blowup=1e100)  # factor 4 a step
    finite = np.isfinite(path[:, 0])
    assert finite[0] and not finite[-1]
    assert np.abs(path[finite, 0]).max() <= 1e100
    assert finite.sum() == int(np.log(1e100) / np.log(4)) + 1


def test_notebook_loop_agrees_with_gradlab():
    loop = notebook_loop()
    A = np.array(descent.DEFAULT_A)
    for alpha in (0.05, 0.18, 0.199):
        ours = descent.descend(A, descent.DEFAULT_THETA0, alpha, 30)
        theirs = loop(lambda th: A @ th, np.array(descent.DEFAULT_THETA0), alpha, 30)
        np.testing.assert_allclose(theirs, ours, rtol=1e-13, atol=1e-300)
    L = 3.0
    np.testing.assert_allclose(loop(lambda th: L * th, 2.0, 0.5, 10).reshape(-1),
                               descent.descend(L, 2.0, 0.5, 10)[:, 0], rtol=1e-13)


def test_best_step_and_rate():
    A = np.diag([1.0, 10.0])
    alpha, rate = descent.best_step(A)
    assert alpha == pytest.approx(2 / 11)
    assert rate == pytest.approx(9 / 11)
    assert descent.condition_number(A) == pytest.approx(10.0)
    # at alpha*, both eigen-directions contract by the same factor
    assert abs(1 - alpha * 1.0) == pytest.approx(abs(1 - alpha * 10.0))
    # any other step is worse for one of them (the measured factor of a descent step)
    for other in (0.9 * alpha, 1.1 * alpha):
        path = descent.descend(A, (1.0, 1.0), other, 1)
        worst = max(abs(path[1, 0] / path[0, 0]), abs(path[1, 1] / path[0, 1]))
        assert worst > rate


def test_quadratic_and_losses():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    th = np.array([1.0, -2.0])
    assert descent.quadratic(A, th) == pytest.approx(0.5 * th @ A @ th)
    path = descent.descend(A, th, 0.1, 3)
    np.testing.assert_allclose(descent.losses(A, path)[0], descent.quadratic(A, th))


def test_explorer_slider_reaches_past_the_critical_step():
    widget = explore_in_lab(descent_explorer.DESCENT)
    assert [c.description for c in widget.children[:3]] == ["learning rate α", "θ₁ start", "θ₂ start"]
    assert widget.children[0].max == pytest.approx(1.25 * descent.critical_step(descent.DEFAULT_A))
    plt.close("all")


def test_explorers_open_where_the_website_opens():
    # one starting point: the ipywidgets explorers and the website's live figures open alike
    from coursepages.webfig import web_figure

    for explorer, alpha in ((descent_explorer.DESCENT, descent.DEFAULT_ALPHA),
                            (descent_explorer.STEP_SIZE, 0.45)):
        assert explore_in_lab(explorer).children[0].value == pytest.approx(alpha)
        (group,) = web_figure(explorer).groups
        assert group.controls[0].value == explorer.control("alpha").values.index(alpha)
    widget = explore_in_lab(descent_explorer.DESCENT, alpha=0.05)
    assert widget.children[0].value == pytest.approx(0.05)
    plt.close("all")


@pytest.mark.parametrize(
    ("A", "exc", "message"),
    [
        (-1.0, ValueError, "A must be positive definite"),
        (0.0, ValueError, "A must be positive definite"),
        ([[1.0, 2.0], [0.0, 1.0]], ValueError, "A must be symmetric"),
        ([[1.0, 0.0, 0.0]], ValueError, "A must be .*square"),
        ([[np.inf, 0.0], [0.0, 1.0]], ValueError, "A must have finite"),
        ("big", TypeError, "A must be"),
    ],
)
def test_bad_matrix_is_named(A, exc, message):
    with pytest.raises(exc, match=message):
        descent.descend(A, 1.0, 0.1, 3)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"alpha": -0.1}, ValueError, "alpha"),
        ({"alpha": "fast"}, TypeError, "alpha"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"theta0": (1.0, 2.0)}, ValueError, "theta0 must have 1 entries"),
        ({"theta0": float("nan")}, ValueError, "theta0 must be finite"),
        ({"blowup": 0.0}, ValueError, "blowup"),
    ],
)
def test_bad_descend_arguments_are_named(kwargs, exc, name):
    args = {"A": 2.0, "theta0": 1.0, "alpha": 0.1, "steps": 3} | kwargs
    with pytest.raises(exc, match=name):
        descent.descend(**args)
