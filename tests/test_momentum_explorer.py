"""The momentum explorer: heavy ball agrees with plain descent at beta = 0, its rate formula with
the measured decay, and the website's states with the gradlab functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursepages.webfig import web_figure
from gradlab import descent
from gradlab import momentum_explorer as me
from gradlab.explorer import explore_in_lab


def test_beta_zero_is_plain_gradient_descent():
    path = me.heavy_ball(0.7, 0.0, steps=30)
    plain = descent.descend(np.diag([me.MU, me.L]), me.THETA0, 0.7, 30)
    np.testing.assert_allclose(path, plain, rtol=1e-13, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.05, 3.0), beta=st.floats(0.0, 0.95))
def test_the_rate_formula_is_the_measured_decay(alpha, beta):
    lam = me.L
    rate = me.direction_rate(alpha, beta, lam)
    if not 0.05 < rate < 0.999:
        return  # too fast to measure in float64, or too slow for 400 steps
    # along the steep direction alone: |theta_k| decays like rate**k (up to oscillation)
    path = me.heavy_ball(alpha, beta, steps=400, theta0=(0.0, 1.0))
    k = np.arange(path.shape[0])
    size = np.abs(path[:, 1])
    ok = np.isfinite(size) & (size > 1e-280)
    # the envelope: the largest |theta| in each window of 20 steps
    windows = [(k[ok][i:i + 20], size[ok][i:i + 20]) for i in range(0, int(ok.sum()) - 20, 20)]
    if len(windows) < 4:
        return
    peaks = np.array([(kk[np.argmax(ss)], ss.max()) for kk, ss in windows])
    slope = np.polyfit(peaks[:, 0], np.log(peaks[:, 1]), 1)[0]
    assert math.exp(slope) == pytest.approx(rate, abs=0.02)


def test_critical_damping_is_a_double_root():
    for alpha in (0.1, 0.5, 1.0):
        beta = me.critical_beta(alpha, me.MU)
        b = 1 + beta - alpha * me.MU
        assert b * b - 4 * beta == pytest.approx(0.0, abs=1e-12)
        assert me.direction_rate(alpha, beta, me.MU) == pytest.approx(math.sqrt(beta), abs=1e-6)


def test_the_best_pair_beats_the_best_plain_step():
    alpha, beta, rate = me.best_momentum()
    for lam in (me.MU, me.L):
        assert me.direction_rate(alpha, beta, lam) == pytest.approx(rate, abs=1e-6)
    _, plain_rate = descent.best_step(np.diag([me.MU, me.L]))
    assert rate < plain_rate


def test_web_states_are_the_gradlab_numbers():
    live = web_figure(me.MOMENTUM)
    (group,) = live.groups
    assert len(group.states) == len(me.MOMENTUM_ALPHAS) * len(me.MOMENTUM_BETAS)
    i, j = me.MOMENTUM_ALPHAS.index(1.0), me.MOMENTUM_BETAS.index(0.8)
    state = group.states[f"{i}|{j}"]
    path, loss, view = me.momentum_view(1.0, 0.8)
    assert state["data"]["path"]["t1"][:5] == pytest.approx(path[:5, 0], rel=1e-5)
    assert f"{view.rate:.3f}" in state["text"] and view.verdict in state["text"]
    assert group.start == f"{me.MOMENTUM_ALPHAS.index(me.START_ALPHA)}|" \
                          f"{me.MOMENTUM_BETAS.index(me.START_BETA)}"
    diverged = group.states[f"{me.MOMENTUM_ALPHAS.index(3.0)}|{me.MOMENTUM_BETAS.index(0.0)}"]
    assert "diverges" in diverged["text"] and diverged["data"]["loss"]["J"]   # never an empty panel


def test_the_jupyterlab_explorer_opens_where_the_website_does():
    w = explore_in_lab(me.MOMENTUM)
    values = [c.value for c in w.children if hasattr(c, "value")]
    assert values == [me.START_ALPHA, me.START_BETA]


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0.0, "beta": 0.5}, "alpha"),
    ({"alpha": 0.5, "beta": 1.5}, "beta"),
    ({"alpha": 0.5, "beta": 0.5, "steps": -1}, "steps"),
])
def test_bad_arguments_name_themselves(kwargs, match):
    with pytest.raises(ValueError, match=match):
        me.heavy_ball(**kwargs)


def test_web_form_refuses_values_off_its_grid():
    with pytest.raises(ValueError, match="alpha must be one of the website's positions"):
        web_figure(me.MOMENTUM, alpha=0.42)
    with pytest.raises(ValueError, match="beta must be one of"):
        web_figure(me.MOMENTUM, beta=0.42)
