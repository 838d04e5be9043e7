"""The explorers: the website's precomputed states are what gradlab computes, the three forms
(plot_*, explore_*, web_*) follow one convention, and bad arguments are refused by name.

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

from gradlab import depth_explorer, descent, descent_explorer, webfig, wT_explorer
from gradlab.depth_explorer import depth_profile
from gradlab.wT_explorer import wT_curves


def close_lists(shown: list[float], exact, digits: int = webfig.DIGITS) -> bool:
    exact = [float(v) for v in exact]
    return len(shown) == len(exact) and all(
        math.isclose(a, b, rel_tol=10.0 ** (1 - digits), abs_tol=0.0)
        for a, b in zip(shown, exact, strict=True))


@pytest.fixture(scope="module")
def step_live():
    return descent_explorer.web_step_size()


@pytest.fixture(scope="module")
def descent_live():
    return descent_explorer.web_descent()


@pytest.fixture(scope="module")
def depth_live():
    # 150 small networks: one torch thread, as in the notebooks (threads only add overhead here)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return depth_explorer.web_depth()
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def wt_live():
    return wT_explorer.web_wT()


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
    grows = alpha > descent.critical_step(descent.DEFAULT_A)
    assert ("diverges" if grows else "converges") in state["text"]


@pytest.mark.parametrize("depth,act,scale", [(5, 0, 0), (20, 0, 2), (35, 1, 4), (50, 2, 3)])
def test_depth_states_equal_depth_profile(depth_live, depth, act, scale):
    state = depth_live.groups[0].states[f"{depth}|{act}|{scale}"]
    activation = depth_explorer.EXPLORER_ACTIVATIONS[act]
    p = depth_profile(depth, activation, "xavier", depth_explorer.WEB_SCALES[scale],
                      batch_size=depth_explorer.WEB_BATCH)
    for key in ("weight_grad", "signal_grad"):
        positive = [v for v in p[key] if v > 0]
        assert close_lists(state["data"][key]["norm"], positive)
    assert state["text"].startswith(f"{activation}, {depth} layers")
    # the headline reports both ratios: the weight gradient and the back-propagated signal
    assert f"weight gradient ‖∂L/∂W‖ ratio {webfig.readable(p['weight_grad'][0] / p['weight_grad'][-1])}" \
        in state["text"]
    assert f"signal ‖∂L/∂z‖ ratio {webfig.readable(p['signal_grad'][0] / p['signal_grad'][-1])}" \
        in state["text"]


def test_depth_headline_cannot_hide_a_vanishing_signal(depth_live):
    # ReLU at half Xavier's scale: the weight-gradient ratio looks level, the signal vanishes
    text = depth_live.groups[0].states["50|2|0"]["text"]
    p = depth_profile(50, "relu", "xavier", depth_explorer.WEB_SCALES[0],
                      batch_size=depth_explorer.WEB_BATCH)
    signal = p["signal_grad"][0] / p["signal_grad"][-1]
    assert 0.1 < p["weight_grad"][0] / p["weight_grad"][-1] < 10 and signal < 1e-15
    assert webfig.readable(signal) in text


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
    assert keys == {f"{d}|{a}|{s}" for d in depth_explorer.WEB_DEPTHS for a in range(3)
                    for s in range(len(depth_explorer.WEB_SCALES))}


@pytest.mark.parametrize("index", [0, 10, 20, 29, 40])
def test_wT_scalar_states_equal_wT_curves(wt_live, index):
    w = wT_explorer.WEB_WS[index]
    state = wt_live.groups[0].states[str(index)]
    exact = [v for v in wT_curves(w, wT_explorer.WEB_T, 1.0).scalar if v > 0]
    assert close_lists(state["data"]["scalar"]["g"], exact)


@pytest.mark.parametrize("index", [0, 5, 10, 15, 30])
def test_wT_matrix_states_equal_wT_curves(wt_live, index):
    scale = wT_explorer.WEB_SCALES[index]
    state = wt_live.groups[1].states[str(index)]
    c = wT_curves(1.0, wT_explorer.WEB_T, scale)
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
    again = descent_explorer.web_step_size()
    assert again.html == step_live.html
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", step_live.html)
    assert "data-root-id=\"step_size-m" in step_live.html
    assert repr(step_live) == "live figure: 60 precomputed learning rates (website only)"


def test_readable_numbers():
    assert [webfig.readable(v) for v in (0.0115, 4.87e-06, 1.4e6, 9999.0, -5e-4, 0.0)] == [
        "0.0115", "4.87×10⁻⁶", "1.4×10⁶", "1×10⁴", "-5×10⁻⁴", "0"]


def test_rounded_keeps_digits_and_specials():
    assert webfig.rounded([1.23456789, float("inf"), -2e-300]) == [1.23457, float("inf"), -2e-300]
    assert math.isnan(webfig.rounded([float("nan")])[0])


# ------------------------------------------------------------------ plot_* and explore_*


def test_plot_functions_return_the_figure_and_numbers():
    fig, view = descent_explorer.plot_step_size(0.52)
    assert view.verdict == "diverges" and view.factor == pytest.approx(1 - 0.52 * 4)
    assert isinstance(fig, plt.Figure)
    fig, view = descent_explorer.plot_descent()
    assert view.verdict == "converges" and view.critical == pytest.approx(0.2)
    fig, view = depth_explorer.plot_depth(4, "relu", 1.0)
    p = depth_profile(4, "relu", "xavier", 1.0, batch_size=depth_explorer.WEB_BATCH)
    assert view.first == p["weight_grad"][0] and view.last == p["weight_grad"][-1]
    assert view.signal_ratio == p["signal_grad"][0] / p["signal_grad"][-1]
    fig, view = wT_explorer.plot_wT(-1.5, 8, 0.5)
    assert view.grad == pytest.approx(8 * 1.5**7) and view.linear == pytest.approx(0.5**8)
    plt.close("all")


def test_explore_functions_build_widgets():
    for widget in (descent_explorer.explore_step_size(), descent_explorer.explore_descent(),
                   depth_explorer.explore_depth(depth=5), wT_explorer.explore_wT()):
        assert len(widget.children) >= 2
    plt.close("all")


def test_wT_explorer_opens_where_the_website_opens():
    # one starting point: the ipywidgets explorer opens at the live figure's w, s and T
    import inspect

    web = inspect.signature(wT_explorer.web_wT).parameters
    widget = wT_explorer.explore_wT()
    values = {c.description: c.value for c in widget.children[:3]}
    assert values == {"w": web["w"].default, "T": wT_explorer.WEB_T, "scale s": web["scale"].default}
    plt.close("all")


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("call,match", [
    (lambda: descent_explorer.web_step_size(0.455), "alpha"),
    (lambda: descent_explorer.web_descent(0.3), "alpha"),
    (lambda: descent_explorer.step_size_path(-1.0), "alpha"),
    (lambda: descent_explorer.step_size_path(0.1, L=0.0), "L"),
    (lambda: descent_explorer.explore_step_size(2.0), "alpha"),
    (lambda: descent_explorer.plot_descent(A=3.0, theta0=1.0), "A must be 2x2"),
    (lambda: descent_explorer.explore_descent(steps=0), "steps"),
    (lambda: depth_explorer.web_depth(depth=7), "depth"),
    (lambda: depth_explorer.web_depth(activation="gelu"), "activation"),
    (lambda: depth_explorer.web_depth(init_scale=3.0), "init_scale"),
    (lambda: depth_explorer.explore_depth(init_scale=10.0), "init_scale"),
    (lambda: wT_explorer.web_wT(w=5.0), "w must"),
    (lambda: wT_explorer.web_wT(scale=0.05), "scale"),
    (lambda: wT_explorer.explore_wT(scale=-1.0), "scale"),
    (lambda: webfig.live_html(None, "Bad Name"), "name"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
