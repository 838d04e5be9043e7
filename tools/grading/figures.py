"""The figures of the homework's interpretation questions, drawn on the instructor's side.

Their code gives the answer away (which curve is which run), so it is not part of gradlab, the
student's install: tools/make_homework.py draws each figure when it writes a copy of the homework
(the public copy or a student's variant), stores the PNG beside the notebook and as the stored
output of the figure cell, whose code only shows that file (``gradlab.homework.show_figure``).
Each drawing function returns a figure whose curves carry the letters ``labels`` (a permutation
chosen per homework variant: ``tools/grading/questions.py``).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from gradlab._validate import check_choice
from gradlab.data import load_digits_split
from gradlab.nets import deep_mlp
from gradlab.probes import grad_norms

__all__ = ["FIGURES", "learning_rate_runs", "depth_profiles", "remedy_profiles", "png",
           "figure_files"]


def _labels(labels: str, n: int) -> str:
    if not isinstance(labels, str) or sorted(labels) != [chr(ord("A") + i) for i in range(n)]:
        raise ValueError(f"labels must be a permutation of the first {n} capital letters, "
                         f"got {labels!r}")
    return labels


def _legend_below(ax, ncol: int) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, frameon=False)


#: hw1.q5: the learning rates of the runs named by labels[0], labels[1], labels[2]
LEARNING_RATES = (0.45, 0.05, 0.55)


def learning_rate_runs(labels: str = "ABC") -> Figure:
    """Gradient descent w_{k+1} = w_k - lr * 4 w_k on f(w) = 2 w^2 from w_0 = 1 for three
    learning rates, the runs named by the letters of ``labels``: loss and iterate."""
    labels = _labels(labels, 3)
    runs = {}
    for name, lr in sorted(zip(labels, LEARNING_RATES, strict=True)):
        ws = [1.0]
        for _ in range(25):
            ws.append(ws[-1] - lr * 4.0 * ws[-1])
        runs[name] = ws
    fig, (ax_loss, ax_w) = plt.subplots(1, 2, figsize=(6.8, 3.4))
    styles = [dict(marker="o", markersize=5, linestyle="-"),
              dict(marker="x", markersize=6, linestyle="--"),
              dict(marker="s", markersize=3, linestyle=":")]
    for (name, ws), style in zip(runs.items(), styles, strict=True):
        ax_loss.semilogy([2 * w**2 for w in ws], label=f"run {name}", **style)
        ax_w.plot(ws, label=f"run {name}", **style)
    ax_loss.set(xlabel="step k", ylabel="loss (log scale)")
    ax_w.set(xlabel="step k", ylabel="iterate $w_k$", ylim=(-3, 3))
    fig.legend(*ax_loss.get_legend_handles_labels(), loc="lower center", ncol=3,
               frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    data = load_digits_split()
    return data.X_train[:256].double(), data.y_train[:256]


def depth_profiles(labels: str = "ABC") -> Figure:
    """Per-layer weight-gradient norms of three 20-layer networks of width 64 on 256 digits,
    named by the letters of ``labels``."""
    labels = _labels(labels, 3)
    configs = (dict(activation="sigmoid", init="xavier"), dict(activation="relu", init="he"),
               dict(activation="tanh", init="xavier", init_scale=3.0))
    xb, yb = _batch()
    fig, ax = plt.subplots()
    for name, kw in sorted(zip(labels, configs, strict=True), key=lambda p: p[0]):
        net = deep_mlp(20, 64, seed=1, dtype=torch.float64, **kw)
        F.cross_entropy(net(xb), yb).backward()
        norms = grad_norms(net)
        ax.semilogy(range(1, len(norms) + 1), norms, marker="o", label=f"network {name}")
    ax.set(xlabel="layer (1 = input side)", ylabel="weight-gradient norm (log)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_below(ax, 3)
    fig.tight_layout()
    return fig


def remedy_profiles(labels: str = "BCD") -> Figure:
    """Per-layer weight-gradient norms of a 12-layer sigmoid network (curve A) and after three
    remedies, named by the letters of ``labels``."""
    if not isinstance(labels, str) or sorted(labels) != ["B", "C", "D"]:
        raise ValueError(f"labels must be a permutation of 'BCD', got {labels!r}")
    check_choice("labels", labels, ("bcd", "bdc", "cbd", "cdb", "dbc", "dcb"))
    xb, yb = _batch()
    base = dict(seed=2, dtype=torch.float64)

    def norms_of(net) -> list[float]:
        net.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        return grad_norms(net)

    curves = {"A": norms_of(deep_mlp(12, 64, activation="sigmoid", **base))}
    clipped = deep_mlp(12, 64, activation="sigmoid", **base)
    norms_of(clipped)
    torch.nn.utils.clip_grad_norm_(clipped.parameters(), max_norm=1e-3)
    curves[labels[0]] = grad_norms(clipped)
    curves[labels[1]] = norms_of(deep_mlp(12, 64, activation="relu", init="he", **base))
    curves[labels[2]] = norms_of(deep_mlp(12, 64, activation="sigmoid", residual=True, **base))
    fig, ax = plt.subplots()
    for name in "ABCD":
        ax.semilogy(range(1, len(curves[name]) + 1), curves[name], marker="o", label=name)
    ax.set(xlabel="layer (1 = input side)", ylabel="weight-gradient norm (log)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend_below(ax, 4)
    fig.tight_layout()
    return fig


#: question id -> (file name handed out beside the notebook, drawing function); the letters come
#: from the question's parameter ``labels`` (public or of the student's variant)
FIGURES: dict[str, tuple[str, Callable[[str], Figure]]] = {
    "hw1.q5": ("hw1_q5.png", learning_rate_runs),
    "hw2.q4": ("hw2_q4.png", depth_profiles),
    "hw4.q5": ("hw4_q5.png", remedy_profiles),
}


def png(fig: Figure) -> bytes:
    """The figure as the notebook would show it (retina: 200 dpi for a 100 dpi display, tight
    box), without the timestamp or software tag, so the same figure gives the same bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


@functools.lru_cache(maxsize=64)
def _drawn(qid: str, labels: str) -> bytes:
    from gradlab.notebook import setup_notebook

    setup_notebook()  # the notebooks' figure defaults
    return png(FIGURES[qid][1](labels))


def figure_files(params: dict[str, dict]) -> dict[str, bytes]:
    """File name -> PNG bytes of every figure of one assignment, for its parameters (``params``
    as ``questions.params`` gives them). Figures with the same letters are drawn once."""
    return {FIGURES[qid][0]: _drawn(qid, p["labels"]) for qid, p in params.items()
            if qid in FIGURES}
