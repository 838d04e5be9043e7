"""The explorers: the website's precomputed states are what gradlab computes, both forms (the
JupyterLab one, gradlab.explorer.explore_in_lab, and the website's, coursepages.webfig.web_figure)
come from one description and open at the same setting, and bad arguments are refused by name.

The states are compared with direct gradlab calls (descend, losses, depth_profile, wT_curves) at a
sample of control positions, so the live figures cannot drift from the code that the notebooks and
the ipywidgets versions run.
"""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from coursepages import webfig
from coursepages.webfig import web_figure
from gradlab import depth_explorer, descent, descent_explorer, explorer, momentum_explorer, wT_explorer
from gradlab.depth_explorer import depth_profile
from gradlab.explorer import explore_in_lab
from gradlab.notebook import readable
from gradlab.wT_explorer import wT_curves

#: every explorer of the course, described once
EXPLORERS = [descent_explorer.STEP_SIZE, descent_explorer.DESCENT, depth_explorer.DEPTH,
             wT_explorer.WT, momentum_explorer.MOMENTUM]


def close_lists(shown: list[float], exact, digits: int = explorer.DIGITS) -> bool:
    exact = [float(v) for v in exact]
    return len(shown) == len(exact) and all(
        math.isclose(a, b, rel_tol=10.0 ** (1 - digits), abs_tol=0.0)
        for a, b in zip(shown, exact, strict=True))


@pytest.fixture(scope="module")
def step_live():
    return web_figure(descent_explorer.STEP_SIZE)


@pytest.fixture(scope="module")
def descent_live():
    return web_figure(descent_explorer.DESCENT)


@pytest.fixture(scope="module")
def depth_live():
    # 150 small networks: one torch thread, as in the notebooks (threads only add overhead here)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return web_figure(depth_explorer.DEPTH)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def wt_live():
    return web_figure(wT_explorer.WT)


# ------------------------------------------------------------------ states equal gradlab


@pytest.mark.parametrize("index", [0, 24, 44, 49, 50, 59])
def test_step_size_states_equal_descend(step_live, index):
    alpha = descent_explorer.STEP_ALPHAS[index]
    state = step_live.groups[0].states[str(index)]
    path = descent.descend(descent_explorer.STEP_L, descent_explorer.STEP_THETA0, alpha,
                           descent_explorer.STEP_STEPS)[:, 0]
    path = path[np.isfinite(path)]
    assert close_lists(state["data"]["iterates"]["theta"], path)
    assert close_lists(state["data"]["iterates"]["J"], 0.5 * descent_explorer.STEP_L * path**2)
    factor = 1 - alpha * descent_explorer.STEP_L
    verdict = "converges" if abs(factor) < 1 else "diverges" if abs(factor) > 1 else "oscillates"
    assert verdict in state["text"]


@pytest.mark.parametrize("index", [0, 17, 35, 39, 40, 49])
def test_descent_states_equal_descend(descent_live, index):
    alpha = descent_explorer.DESCENT_ALPHAS[index]
    state = descent_live.groups[0].states[str(index)]
    path = descent.descend(descent.DEFAULT_A, descent.DEFAULT_THETA0, alpha, descent.DEFAULT_STEPS)
    ok = np.all(np.isfinite(path), axis=1)
    assert close_lists(state["data"]["path"]["t1"], path[ok, 0])
    assert close_lists(state["data"]["path"]["t2"], path[ok, 1])
    loss = descent.losses(descent.DEFAULT_A, path)
    assert close_lists(state["data"]["loss"]["J"], loss[np.isfinite(loss)])
    crit = descent.critical_step(descent.DEFAULT_A)
    verdict = "diverges" if alpha > crit else "oscillates forever" if alpha == crit else "converges"
    assert f"so descent {verdict}" in state["text"]


@pytest.mark.parametrize("depth,act,scale", [(5, 0, 0), (20, 0, 2), (35, 1, 4), (50, 2, 3)])
def test_depth_states_equal_depth_profile(depth_live, depth, act, scale):
    key = f"{depth_explorer.DEPTHS.index(depth)}|{act}|{scale}"
    state = depth_live.groups[0].states[key]
    activation = depth_explorer.EXPLORER_ACTIVATIONS[act]
    p = depth_profile(depth, activation, "xavier", depth_explorer.INIT_SCALES[scale],
                      batch_size=depth_explorer.BATCH)
    for key in ("weight_grad", "signal_grad"):
        positive = [v for v in p[key] if v > 0]
        assert close_lists(state["data"][key]["norm"], positive)
    assert state["text"].startswith(f"{activation}, {depth} layers")
    # the headline reports both ratios: the weight gradient and the back-propagated signal
    assert f"weight gradient ‖∂L/∂W‖ ratio {readable(p['weight_grad'][0] / p['weight_grad'][-1])}" \
        in state["text"]
    assert f"signal ‖∂L/∂z‖ ratio {readable(p['signal_grad'][0] / p['signal_grad'][-1])}" \
        in state["text"]


def test_depth_headline_cannot_hide_a_vanishing_signal(depth_live):
    # ReLU at half Xavier's scale: the weight-gradient ratio looks level, the signal vanishes
    text = depth_live.groups[0].states["9|2|0"]["text"]   # depth 50, relu, the smallest scale
    p = depth_profile(50, "relu", "xavier", depth_explorer.INIT_SCALES[0],
                      batch_size=depth_explorer.BATCH)
    signal = p["signal_grad"][0] / p["signal_grad"][-1]
    assert 0.1 < p["weight_grad"][0] / p["weight_grad"][-1] < 10 and signal < 1e-15
    assert readable(signal) in text


def test_depth_weights_are_deep_mlps_in_float64():
    # the same random draws as deep_mlp (to float32 precision), whatever the shape and tail of 16
    from gradlab.nets import deep_mlp

    for depth, width, init, scale, seed in [(20, 64, "xavier", 1.0, 0), (3, 10, 1.0, 0.5, 3),
                                            (5, 7, "he", 2.0, 1)]:
        net = deep_mlp(depth, width, init=init, init_scale=scale, seed=seed)
        weights = depth_explorer.depth_weights(depth, init, scale, width=width, seed=seed)
        assert all(w.dtype == torch.float64 for w in weights)
        with torch.no_grad():
            for layer, w in zip(net.linears, weights, strict=True):
                assert float((layer.weight.double() - w).abs().max()) < 1e-5 * float(w.std())
    net = depth_explorer.depth_net(4, "tanh", 1.0, width=8)
    assert net.head.weight.dtype == torch.float64
    assert torch.equal(net.blocks[0].linear.weight, depth_explorer.depth_weights(4, 1.0, width=8)[0])


def test_depth_grid_has_every_position(depth_live):
    keys = set(depth_live.groups[0].states)
    assert keys == {f"{d}|{a}|{s}" for d in range(len(depth_explorer.DEPTHS)) for a in range(3)
                    for s in range(len(depth_explorer.INIT_SCALES))}


@pytest.mark.parametrize("index", [0, 10, 19, 20, 29, 39])
def test_wT_scalar_states_equal_wT_curves(wt_live, index):
    w = wT_explorer.W_VALUES[index]
    state = wt_live.groups[0].states[str(index)]
    exact = [v for v in wT_curves(w, wT_explorer.HORIZON, 1.0).scalar if v > 0]
    assert close_lists(state["data"]["scalar"]["g"], exact)


@pytest.mark.parametrize("index", [0, 5, 10, 15, 29])
def test_wT_matrix_states_equal_wT_curves(wt_live, index):
    scale = wT_explorer.MATRIX_SCALES[index]
    state = wt_live.groups[1].states[str(index)]
    c = wT_curves(1.0, wT_explorer.HORIZON, scale)
    assert close_lists(state["data"]["tanh"]["g"], [v for v in c.tanh if v > 0])
    assert close_lists(state["data"]["linear"]["g"], [v for v in c.linear if v > 0])


def test_the_page_holds_the_states(step_live):
    """The HTML embeds the states the tests checked (not some other copy)."""
    sample = step_live.groups[0].states["44"]
    ascii_part = re.search(r"each step multiplies the error by [-+0-9.e]+", sample["text"]).group()
    assert ascii_part in step_live.html
    for value in sample["data"]["iterates"]["theta"][:5]:
        assert repr(value) in step_live.html


# ------------------------------------------------------------------ the HTML a notebook stores


def test_live_html_is_the_same_on_every_run(step_live):
    again = web_figure(descent_explorer.STEP_SIZE)
    assert again.html == step_live.html
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", step_live.html)
    assert "data-root-id=\"step_size-m" in step_live.html
    assert repr(step_live) == "live figure: 60 precomputed learning rates (website only)"


def test_readable_numbers():
    assert [readable(v) for v in (0.0115, 4.87e-06, 1.4e6, 9999.0, -5e-4, 0.0)] == [
        "0.0115", "4.87×10⁻⁶", "1.4×10⁶", "1×10⁴", "-5×10⁻⁴", "0"]


def test_rounded_keeps_digits_and_specials():
    assert explorer.rounded([1.23456789, float("inf"), -2e-300]) == [1.23457, float("inf"), -2e-300]
    assert math.isnan(explorer.rounded([float("nan")])[0])


# ------------------------------------------------------------------ plot_* and explore_*


def test_plot_functions_return_the_figure_and_numbers():
    fig, view = descent_explorer.plot_step_size(0.52)
    assert view.verdict == "diverges" and view.factor == pytest.approx(1 - 0.52 * 4)
    assert isinstance(fig, plt.Figure)
    fig, view = descent_explorer.plot_descent()
    assert view.verdict == "converges" and view.critical == pytest.approx(0.2)
    fig, view = depth_explorer.plot_depth(4, "relu", 1.0)
    p = depth_profile(4, "relu", "xavier", 1.0, batch_size=depth_explorer.BATCH)
    assert view.first == p["weight_grad"][0] and view.last == p["weight_grad"][-1]
    assert view.signal_ratio == p["signal_grad"][0] / p["signal_grad"][-1]
    fig, view = wT_explorer.plot_wT(-1.5, 8, 0.5)
    assert view.grad == pytest.approx(8 * 1.5**7) and view.linear == pytest.approx(0.5**8)
    plt.close("all")


def test_explore_in_lab_builds_the_widgets_the_description_names():
    for ex in EXPLORERS:
        widget = explore_in_lab(ex, **({"depth": 5} if ex is depth_explorer.DEPTH else {}))
        shown = [c.description for c in widget.children if hasattr(c, "description")][:len(ex.controls)]
        assert shown == [c.label for c in ex.controls]
    plt.close("all")


@pytest.mark.parametrize("ex", EXPLORERS, ids=lambda e: e.name)
def test_both_forms_open_at_the_description_start(ex, request):
    # one starting point: the JupyterLab form and the website's live figure open alike
    widget = explore_in_lab(ex)
    lab = {c.name: w.value for c, w in zip(ex.controls, widget.children, strict=False)}
    assert lab == ex.start()
    live = request.getfixturevalue("depth_live") if ex is depth_explorer.DEPTH else web_figure(ex)
    for group, live_group in zip(ex.groups, live.groups, strict=True):
        assert live_group.start == ex.key(group, ex.start())
        web = [c.value if hasattr(c, "start") else c.active for c in live_group.controls]
        assert web == [ex.control(n).values.index(ex.control(n).start) for n in group.controls]
        titles = [getattr(c, "title", None) for c in live_group.controls]
        assert all(t in (None, ex.control(n).label) for t, n in zip(titles, group.controls, strict=True))
    assert repr(live) == ex.summary.format(n=ex.n_states())
    plt.close("all")


def test_one_meaning_per_name():
    # a name such as WEB_SCALES once meant 2^(k/2) init scales in one module and 0..3 matrix
    # scales in another: every explorer module now names its positions by what they are
    modules = [descent_explorer, depth_explorer, wT_explorer, momentum_explorer]
    names = [n for m in modules for n in vars(m) if n.isupper() and not n.startswith("_")]
    assert not [n for n in names if n.startswith("WEB_")]
    shared = {n for n in names if names.count(n) > 1} - {"L"}
    assert shared == set(), shared


def test_a_description_refuses_what_it_cannot_show():
    alpha = explorer.Control("alpha", "α", (0.1, 0.2), 0.1)
    with pytest.raises(ValueError, match="start 0.3 is not one of its values"):
        explorer.Control("alpha", "α", (0.1, 0.2), 0.3)
    with pytest.raises(ValueError, match="groups must hold each website control once"):
        explorer.Explorer("x", (alpha,), (), (), plot=print, summary="")
    with pytest.raises(ValueError, match="name must be"):
        explorer.Explorer("Bad", (alpha,), (explorer.Group(("alpha",), dict),), (), print, "")


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("call,match", [
    (lambda: web_figure(descent_explorer.STEP_SIZE, alpha=0.455), "alpha"),
    (lambda: web_figure(descent_explorer.DESCENT, alpha=0.3), "alpha"),
    (lambda: web_figure(descent_explorer.DESCENT, theta1=1.0), "theta1"),
    (lambda: descent_explorer.step_size_path(-1.0), "alpha"),
    (lambda: descent_explorer.step_size_path(0.1, L=0.0), "L"),
    (lambda: explore_in_lab(descent_explorer.STEP_SIZE, alpha=2.0), "alpha"),
    (lambda: descent_explorer.plot_descent(A=3.0, theta0=1.0), "A must be 2x2"),
    (lambda: explore_in_lab(descent_explorer.DESCENT, steps=10), "steps"),
    (lambda: web_figure(depth_explorer.DEPTH, depth=7), "depth"),
    (lambda: web_figure(depth_explorer.DEPTH, activation="gelu"), "activation"),
    (lambda: web_figure(depth_explorer.DEPTH, init_scale=3.0), "init_scale"),
    (lambda: explore_in_lab(depth_explorer.DEPTH, init_scale=10.0), "init_scale"),
    (lambda: explore_in_lab(depth_explorer.DEPTH, activation="gelu"), "activation"),
    (lambda: web_figure(wT_explorer.WT, w=5.0), "w must"),
    (lambda: web_figure(wT_explorer.WT, scale=0.05), "scale"),
    (lambda: explore_in_lab(wT_explorer.WT, scale=-1.0), "scale"),
    (lambda: explore_in_lab("not an explorer"), "explorer must be"),
    (lambda: webfig.live_html(None, "Bad Name"), "name"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
