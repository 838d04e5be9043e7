"""What the explorers of chapters 1 and 3 and of the gradient-descent appendix show at every
website position: something to see (no empty panel), axes that stay put (positions can be
compared), and readouts that say what is special about a position (the minimum hit in one step,
two directions shrinking alike)."""

from __future__ import annotations

import numpy as np
import pytest

from coursepages.webfig import plain_figure, web_figure
from gradlab import descent, descent_explorer, momentum_explorer, wT_explorer

#: the explorers whose pages these tests cover (chapter 2's depth explorer has its own)
EXPLORERS = [descent_explorer.STEP_SIZE, descent_explorer.DESCENT, wT_explorer.WT,
             momentum_explorer.MOMENTUM]


def _states(ex):
    for group in ex.groups:
        for key, setting in ex.settings(group):
            yield key, setting, group.state(**setting)


@pytest.mark.parametrize("ex", EXPLORERS, ids=lambda e: e.name)
def test_every_position_draws_something(ex):
    # a source with fewer than two points draws no line: the panel looks broken
    empty = [(key, name) for key, _, state in _states(ex)
             for name, columns in state["data"].items()
             if min(len(v) for v in columns.values()) < 2]
    assert empty == []


@pytest.mark.parametrize("ex", EXPLORERS, ids=lambda e: e.name)
def test_axes_are_fixed(ex):
    # an axis that rescales with the data hides the comparison between positions
    loose = [(panel.title, axis) for panel in ex.panels for axis in ("x_range", "y_range")
             if getattr(panel, axis) is None]
    assert loose == []


def test_fixed_loss_axis_holds_every_descent_position():
    low, high = descent_explorer.DESCENT_LOSS_RANGE
    for alpha in descent_explorer.DESCENT_ALPHAS:
        path = descent.descend(descent.DEFAULT_A, descent.DEFAULT_THETA0, alpha, descent.DEFAULT_STEPS)
        loss = descent.losses(descent.DEFAULT_A, path)
        assert low < loss.min() and loss.max() < high, alpha


def test_zero_is_not_a_website_position_of_the_wT_explorer():
    # at w = 0 or s = 0 every gradient after the first step is exactly 0: nothing on a log axis
    assert 0.0 not in wT_explorer.W_VALUES and 0.0 not in wT_explorer.MATRIX_SCALES
    c = wT_explorer.wT_curves(0.0, 10, 0.0)
    assert c.scalar[1:] == [0.0] * 9 and max(c.tanh) == 0.0
    # the JupyterLab form reaches w = 0 and says why its panel is empty
    fig, _ = wT_explorer.plot_wT(0.0, 10, 0.0)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("w = 0") for t in texts) and any(t.startswith("s = 0") for t in texts)


def test_step_size_readout_at_one_over_L():
    # alpha = 1/L: the error is 0 after one step, below the log axis: the readout says so
    text = descent_explorer.step_size_state(1 / descent_explorer.STEP_L)["text"]
    assert "lands exactly on the minimum" in text and "converges" in text
    assert "lands exactly" not in descent_explorer.step_size_state(0.24)["text"]


def test_descent_readout_gives_both_factors():
    text = descent_explorer.descent_state(0.17)["text"]
    eig = np.linalg.eigvalsh(np.asarray(descent.DEFAULT_A))
    assert f"× {1 - 0.17 * eig[0]:+.3g} along θ₁ (flat)" in text
    assert f"× {1 - 0.17 * eig[-1]:+.3g} along θ₂ (steep)" in text


def test_momentum_readout_names_the_slower_direction_only_when_there_is_one():
    for alpha in momentum_explorer.MOMENTUM_ALPHAS:
        for beta in momentum_explorer.MOMENTUM_BETAS:
            text = momentum_explorer.momentum_state(alpha, beta)["text"]
            flat = momentum_explorer.direction_rate(alpha, beta, momentum_explorer.MU)
            steep = momentum_explorer.direction_rate(alpha, beta, momentum_explorer.L)
            if abs(flat - steep) < 1e-9:
                assert "both directions alike" in text
            else:
                slower = "flat" if flat > steep else "steep"
                assert f"the {slower} direction is the slower" in text


def test_log_axes_draw_no_minor_ticks():
    fig = plain_figure(200, y_axis_type="log", x_axis_type="log")
    assert fig.yaxis[0].minor_tick_line_color is None and fig.xaxis[0].minor_tick_line_color is None


def test_slider_handles_are_whole_at_the_ends():
    html = web_figure(descent_explorer.STEP_SIZE).html
    assert "noUi-horizontal.noUi-target { margin: 5px 16px; width: auto; }" in html


def test_the_notebook_forms_keep_their_axes_too():
    # the JupyterLab figures use the website's fixed axes: a rescaling axis hides the comparison
    import matplotlib.pyplot as plt

    for w, scale in [(0.5, 0.5), (2.0, 3.0)]:
        fig, _ = wT_explorer.plot_wT(w, 60, scale)
        assert [ax.get_ylim() for ax in fig.axes] == [wT_explorer.SCALAR_RANGE, wT_explorer.MATRIX_RANGE]
    for alpha in (0.05, 0.25):
        fig, _ = descent_explorer.plot_descent(alpha=alpha)
        assert fig.axes[1].get_ylim() == descent_explorer.DESCENT_LOSS_RANGE
    plt.close("all")
