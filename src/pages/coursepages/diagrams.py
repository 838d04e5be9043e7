"""The course's diagrams, drawn with matplotlib and written as reproducible SVG files.

Five structures that a reader would rather look at than read about:

    chain_of_factors     backpropagation as a product of per-layer Jacobians J_l        (ch. 2)
    unrolled_recurrence  h_t = w h_{t-1} unrolled; the T paths that give T w^(T-1) h_0  (ch. 3)
    lstm_cell            an LSTM cell; the additive memory path c_t = f_t c_{t-1} + i_t g_t
    residual_block       h_l = h_{l-1} + F(h_{l-1}); the identity path
    clipping_2d          norm vs value clipping of one 2-D gradient (computed with
                         gradlab.clipping, so the geometry is the real one)

``draw(name)`` returns a matplotlib Figure; ``svg_text(name)`` its SVG, byte for byte the same on
every run (fixed ``svg.hashsalt``, no date, text drawn as paths so no font is needed to view it);
``write_all(folder)`` writes every ``<name>.svg``. ``tools/draw_diagrams.py`` calls it for
``book/figures/diagrams/``, and a test checks that the committed files are what the code draws.

Sizes: drawn on a 6.8-unit-wide grid and saved at 0.8 in per unit (5.44 in), so when the SVG
fills the 688 px column its 12-17 pt text is 15-21 pt relative to the column: at least 16 px
there and about 9-12 px on a 390 px phone.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from gradlab._validate import check_choice, check_float

WIDTH = 6.8  # inches of drawing space (data units), the book's column
SHRINK = 0.8  # the saved figure is SHRINK * WIDTH wide: text is 1/SHRINK larger on the page
# colours (Okabe-Ito): readable for colour-blind readers and in print
INK = "#222222"
FORWARD = "#555555"
HIGHLIGHT = "#D55E00"   # the path the diagram is about
BACKWARD = "#0072B2"
FILL = "#F2F2F2"
HIGHLIGHT_FILL = "#FBE3D6"

STYLE = {
    "svg.hashsalt": "gradlab-diagrams",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 14,
    "figure.dpi": 100,
    "savefig.facecolor": "white",
    "axes.grid": False,
}


def _canvas(height: float, xlim: tuple[float, float], ylim: tuple[float, float]):
    """A blank figure whose single axes spans it, in data units (equal aspect)."""
    fig = Figure(figsize=(SHRINK * WIDTH, SHRINK * height))
    fig.patch.set_facecolor("white")
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(ax, x: float, y: float, text: str, w: float = 1.0, h: float = 0.7,
         color: str = INK, fill: str = FILL, size: float = 16) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=fill, edgecolor=color, linewidth=1.6))
    ax.text(x, y, text, ha="center", va="center", size=size, color=INK)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], color: str = FORWARD,
           width: float = 1.6, rad: float = 0.0, style: str = "-|>") -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=16, color=color,
                                 linewidth=width, connectionstyle=f"arc3,rad={rad}",
                                 shrinkA=0, shrinkB=0))


def _op(ax, x: float, y: float, symbol: str, color: str = INK, r: float = 0.22) -> None:
    """A small circle holding an operation (+ or the elementwise product)."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=color, linewidth=1.6, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", size=15, color=color, zorder=4)


def chain_of_factors() -> Figure:
    """Backpropagation through L layers: the gradient at the input is a product of L factors,
    dL/dh_0 = dL/dh_L J_L ... J_2 J_1 with J_l = dh_l/dh_{l-1} = diag(phi'(z_l)) W_l."""
    fig, ax = _canvas(3.0, (0, 6.8), (0, 3.0))
    xs = [0.6, 1.95, 3.3, 4.65, 6.0]
    labels = ["$h_0$", "$h_1$", "$h_2$", r"$\cdots\, h_L$", r"$\mathcal{L}$"]
    y = 2.35
    for x, t in zip(xs, labels, strict=True):
        _box(ax, x, y, t, w=0.95 if t.startswith(r"$\cdots") else 0.8, h=0.6)
    for a, b in zip(xs[:-1], xs[1:], strict=True):
        _arrow(ax, (a + 0.48, y + 0.12), (b - 0.48, y + 0.12), FORWARD)
        _arrow(ax, (b - 0.48, y - 0.12), (a + 0.48, y - 0.12), BACKWARD, width=2.2)
    ax.text((xs[0] + xs[1]) / 2, y + 0.45, "forward", size=12, color=FORWARD, ha="center")
    ax.text((xs[0] + xs[1]) / 2, y - 0.85, "backward", size=12, color=BACKWARD, ha="center",
            va="center")
    for (a, b), t in zip(zip(xs[:-1], xs[1:], strict=True),
                         ["$J_1$", "$J_2$", r"$J_3\cdots J_L$", ""], strict=True):
        ax.text((a + b) / 2, y - 0.5, t, ha="center", va="center", size=15, color=BACKWARD)
    ax.text(3.4, 0.95, r"$\partial \mathcal{L}/\partial h_0 = "
            r"\partial \mathcal{L}/\partial h_L \cdot J_L \cdots J_2\, J_1$",
            ha="center", va="center", size=17, color=BACKWARD)
    ax.text(3.4, 0.3, r"$J_l = \mathrm{diag}(\varphi'(z_l))\, W_l$:   "
            r"factors $<1$ vanish,  $>1$ explode",
            ha="center", va="center", size=13, color=INK)
    return fig


def unrolled_recurrence() -> Figure:
    """h_t = w h_{t-1} unrolled over T steps. Each of the T edges carries the same w;
    differentiating the w of one edge leaves the other T-1 factors, so dh_T/dw = T w^(T-1) h_0."""
    fig, ax = _canvas(2.9, (0, 6.8), (0, 2.9))
    xs = [0.45, 1.6, 2.75, 4.05, 5.2, 6.35]
    labels = ["$h_0$", "$h_1$", r"$\cdots$", "$h_{t-1}$", "$h_t$", r"$\cdots h_T$"]
    y = 2.1
    for x, t in zip(xs, labels, strict=True):
        if t == r"$\cdots$":
            ax.text(x, y, t, ha="center", va="center", size=18)
        else:
            _box(ax, x, y, t, w=0.85 if "h_T" in t else 0.68, h=0.6)
    for i, (a, b) in enumerate(zip(xs[:-1], xs[1:], strict=True)):
        hot = i == 3
        color = HIGHLIGHT if hot else FORWARD
        _arrow(ax, (a + 0.36, y), (b - 0.36, y), color, width=3.0 if hot else 1.6)
        ax.text((a + b) / 2, y + 0.45, r"$\times w$", ha="center", va="center", size=14,
                color=color)
    ax.text(3.4, 1.2, r"$\partial/\partial w$ of one edge: $w^{T-t}\, h_{t-1} = w^{T-1} h_0$",
            ha="center", va="center", size=14, color=HIGHLIGHT)
    ax.text(3.4, 0.45, r"$T$ edges:  $\partial h_T/\partial w = T\, w^{T-1} h_0$",
            ha="center", va="center", size=17, color=INK)
    return fig


def lstm_cell() -> Figure:
    """An LSTM cell (Hochreiter and Schmidhuber 1997). The memory path along the top,
    c_t = f_t * c_{t-1} + i_t * g_t, is additive: dc_t/dc_{t-1} = f_t, with no weight matrix and
    no squashing on the way, so a gradient can cross many steps when f_t is near 1."""
    fig, ax = _canvas(3.5, (-0.9, 7.3), (-0.15, 4.05))
    top, bottom = 3.1, 0.85
    # the cell body
    ax.add_patch(FancyBboxPatch((0.9, 0.45), 5.0, 3.15, boxstyle="round,pad=0.02,rounding_size=0.2",
                                facecolor="#FAFAFA", edgecolor="#999999", linewidth=1.2))
    # the memory path
    ax.text(0.45, top, "$c_{t-1}$", ha="right", va="center", size=15, color=HIGHLIGHT)
    _arrow(ax, (0.55, top), (2.08, top), HIGHLIGHT, width=3.2, style="-")
    _op(ax, 2.3, top, r"$\times$", HIGHLIGHT)
    _arrow(ax, (2.52, top), (3.88, top), HIGHLIGHT, width=3.2, style="-")
    _op(ax, 4.1, top, "$+$", HIGHLIGHT)
    _arrow(ax, (4.32, top), (6.2, top), HIGHLIGHT, width=3.2)
    ax.text(6.25, top, "$c_t$", ha="left", va="center", size=15, color=HIGHLIGHT)
    ax.text(3.4, top + 0.75, r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$", ha="center",
            va="center", size=13, color=HIGHLIGHT)
    # gates from [h_{t-1}, x_t]
    gates = [(2.3, r"$f_t\;\sigma$"), (3.25, r"$i_t\;\sigma$"), (4.25, r"$g_t\,\tanh$"),
             (5.25, r"$o_t\;\sigma$")]
    for x, t in gates:
        _box(ax, x, 1.55, t, w=0.88 if "tanh" in t else 0.8, h=0.5, size=12)
    _arrow(ax, (0.55, bottom), (5.25, bottom), FORWARD, style="-")
    ax.text(0.45, bottom, "$h_{t-1}, x_t$", ha="right", va="center", size=14)
    for x, _ in gates:
        _arrow(ax, (x, bottom), (x, 1.3), FORWARD)
    _arrow(ax, (2.3, 1.8), (2.3, top - 0.22), FORWARD)          # f_t into the product
    _op(ax, 3.7, 2.35, r"$\times$")                               # i_t * g_t
    _arrow(ax, (3.25, 1.8), (3.55, 2.2), FORWARD)
    _arrow(ax, (4.25, 1.8), (3.85, 2.2), FORWARD)
    _arrow(ax, (3.86, 2.5), (4.0, top - 0.2), FORWARD)
    # output h_t = o_t * tanh(c_t)
    _op(ax, 5.25, 2.35, r"$\times$")
    _arrow(ax, (5.25, 1.8), (5.25, 2.13), FORWARD)
    _arrow(ax, (5.55, top), (5.4, 2.53), FORWARD)
    ax.text(5.62, 2.72, r"$\tanh$", size=12, ha="left", va="center", color=FORWARD)
    _arrow(ax, (5.47, 2.35), (6.2, 2.35), FORWARD)
    ax.text(6.25, 2.35, "$h_t$", ha="left", va="center", size=15)
    ax.text(3.4, 0.1, r"memory path: $\partial c_t/\partial c_{t-1} = f_t$ (no $W$, no squashing)",
            ha="center", va="center", size=13, color=HIGHLIGHT)
    return fig


def residual_block() -> Figure:
    """A residual block h_l = h_{l-1} + F(h_{l-1}) (He et al. 2016). Its Jacobian is
    I + dF/dh_{l-1}: the identity path carries the gradient back unchanged."""
    fig, ax = _canvas(3.0, (0, 6.8), (0, 3.0))
    y = 1.35
    ax.text(0.1, y, "$h_{l-1}$", ha="left", va="center", size=16)
    _arrow(ax, (0.85, y), (1.5, y), FORWARD)
    _box(ax, 2.05, y, "Linear", w=1.1, h=0.6, size=14)
    _arrow(ax, (2.6, y), (3.05, y), FORWARD)
    _box(ax, 3.45, y, r"$\varphi$", w=0.7, h=0.6)
    _arrow(ax, (3.8, y), (4.48, y), FORWARD)
    _op(ax, 4.7, y, "$+$", HIGHLIGHT)
    _arrow(ax, (4.92, y), (5.6, y), FORWARD)
    ax.text(5.65, y, "$h_l$", ha="left", va="center", size=16)
    ax.text(2.75, y - 0.62, r"$F(h_{l-1})$", ha="center", va="center", size=14, color=FORWARD)
    # the identity path
    _arrow(ax, (1.05, y), (1.05, 2.45), HIGHLIGHT, width=3.0, style="-")
    _arrow(ax, (1.05, 2.45), (4.7, 2.45), HIGHLIGHT, width=3.0, style="-")
    _arrow(ax, (4.7, 2.45), (4.7, y + 0.22), HIGHLIGHT, width=3.0)
    ax.text(2.9, 2.72, "identity", ha="center", va="center", size=14, color=HIGHLIGHT)
    ax.text(3.4, 0.25, r"$\partial h_l/\partial h_{l-1} = I + \partial F/\partial h_{l-1}$",
            ha="center", va="center", size=17)
    return fig


def _check_vector2(name: str, value: Sequence[float]) -> tuple[float, float]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a pair of real numbers (gx, gy), got {value!r}")
    items = list(value)
    if len(items) != 2:
        raise ValueError(f"{name} must have exactly 2 components (gx, gy), got {len(items)}")
    gx, gy = (check_float(f"{name}[{i}]", v) for i, v in enumerate(items))
    if gx == 0.0 and gy == 0.0:
        raise ValueError(f"{name} must not be the zero vector (nothing to clip), got {value!r}")
    return gx, gy


def clipping_geometry(gradient: Sequence[float] = (2.4, 0.8),
                      threshold: float = 1.0) -> dict[str, tuple[float, float] | float]:
    """Clip one 2-D gradient g both ways with gradlab.clipping and measure the result.

    Returns the three vectors (``g``, ``by_norm`` = g min(1, c/||g||), ``by_value`` = clamp(g, -c, c))
    and their angles in degrees measured from the x axis.
    """
    import torch

    from gradlab.clipping import clip_by_norm, clip_by_value

    g = torch.tensor(_check_vector2("gradient", gradient), dtype=torch.float64)
    c = check_float("threshold", threshold, minimum=0.0, strict_min=True)
    by_norm = clip_by_norm(g, c)
    by_value = clip_by_value(g, c)

    def angle(v: torch.Tensor) -> float:
        return math.degrees(math.atan2(float(v[1]), float(v[0])))

    return {
        "g": (float(g[0]), float(g[1])),
        "by_norm": (float(by_norm[0]), float(by_norm[1])),
        "by_value": (float(by_value[0]), float(by_value[1])),
        "angle_g": angle(g), "angle_by_norm": angle(by_norm), "angle_by_value": angle(by_value),
        "threshold": c,
    }


def clipping_2d(gradient: Sequence[float] = (2.4, 0.8), threshold: float = 1.0) -> Figure:
    """Norm clipping (left) keeps the direction of g and caps its length at c (the circle);
    value clipping (right) clamps each component to [-c, c] (the square) and turns g."""
    geo = clipping_geometry(gradient, threshold)
    gx, gy = geo["g"]
    c = geo["threshold"]
    fig = Figure(figsize=(SHRINK * WIDTH, SHRINK * 3.6))
    fig.patch.set_facecolor("white")
    span = max(abs(gx), abs(gy), c) * 1.12
    panels = [("norm clipping", "by_norm", "angle_by_norm"),
              ("value clipping", "by_value", "angle_by_value")]
    for k, (title, key, akey) in enumerate(panels):
        ax = fig.add_axes((0.02 + 0.5 * k, 0.02, 0.46, 0.84))
        ax.set_xlim(min(-c, gx, 0) * 1.12 - 0.1 * span, span)
        ax.set_ylim(min(-c, gy, 0) * 1.12 - 0.1 * span, max(c, gy) * 1.12 + 0.35 * span)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.axhline(0, color="#BBBBBB", linewidth=1)
        ax.axvline(0, color="#BBBBBB", linewidth=1)
        if key == "by_norm":
            ax.add_patch(Circle((0, 0), c, fill=False, edgecolor=BACKWARD, linewidth=1.6,
                                linestyle="--"))
        else:
            ax.add_patch(Rectangle((-c, -c), 2 * c, 2 * c, fill=False, edgecolor=BACKWARD,
                                   linewidth=1.6, linestyle="--"))
        _arrow(ax, (0, 0), (gx, gy), "#888888", width=2.0)
        ax.text(gx, gy + 0.12 * span, "$g$", ha="center", va="bottom", size=16, color="#666666")
        vx, vy = geo[key]
        _arrow(ax, (0, 0), (vx, vy), HIGHLIGHT, width=3.2)
        turned = abs(geo[akey] - geo["angle_g"])
        note = "same direction" if turned < 0.05 else f"turned {turned:.0f}°"
        ax.set_title(f"{title}\n{note}", size=14, color=INK)
    return fig


DIAGRAMS: dict[str, Callable[[], Figure]] = {
    "chain_of_factors": chain_of_factors,
    "unrolled_recurrence": unrolled_recurrence,
    "lstm_cell": lstm_cell,
    "residual_block": residual_block,
    "clipping_2d": clipping_2d,
}


def draw(name: str) -> Figure:
    """The diagram ``name`` (one of ``DIAGRAMS``) as a matplotlib Figure, in the course's style."""
    name = check_choice("name", name, DIAGRAMS)
    with mpl.rc_context(STYLE):
        return DIAGRAMS[name]()


def svg_text(name: str) -> str:
    """The SVG of diagram ``name``: the same bytes on every run (fixed hash salt, no date)."""
    name = check_choice("name", name, DIAGRAMS)
    with mpl.rc_context(STYLE):
        fig = DIAGRAMS[name]()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "coursepages.diagrams"})
    return buf.getvalue()


def write_all(folder: str | Path, names: Iterable[str] | None = None) -> list[Path]:
    """Write ``<folder>/<name>.svg`` for every diagram (or those in ``names``); return the paths."""
    if not isinstance(folder, (str, Path)):
        raise TypeError(f"folder must be a path (str or pathlib.Path), got {type(folder).__name__}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"folder must be a directory, got the file {folder}")
    if isinstance(names, str):
        raise TypeError(f"names must be a list of diagram names, got the string {names!r}")
    chosen = list(DIAGRAMS) if names is None else [check_choice("names", n, DIAGRAMS) for n in names]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in chosen:
        path = folder / f"{name}.svg"
        path.write_text(svg_text(name), encoding="utf-8")
        paths.append(path)
    return paths
