"""One description per explorer, from which both of its interactive forms are made.

An explorer of the course is a figure with controls. Its description (:class:`Explorer`) says,
once:

- its **controls** (:class:`Control`): the keyword each one sets, the label both forms show, the
  positions the website offers, the range a JupyterLab slider covers, and the ``start`` where both
  forms open;
- its **state functions** (:class:`Group`): for the controls that act together, the numbers and
  the readout line the figure shows at one setting (``{"data": {source: {column: values}},
  "text": line}``);
- its **panels** (:class:`Panel`, :class:`Layer`): what the website draws, toolkit-neutral (which
  column of which source against which, colours, axes);
- its **plot** function: the matplotlib figure JupyterLab redraws.

Two forms are derived from it:

    explore_in_lab(EXPLORER)   ipywidgets controls that redraw ``plot`` (JupyterLab, Colab, Binder);
                               any value in the control's JupyterLab range
    web_figure(EXPLORER)       the website's live figure (``coursepages.webfig``): every
                               combination of the website's positions computed in advance and
                               swapped in the browser with no kernel

Both open at the controls' ``start``. The explorer modules (descent_explorer, depth_explorer,
wT_explorer, momentum_explorer) hold the descriptions, the plot and state functions; gradlab holds
nothing of Bokeh or Sphinx.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: significant digits kept in a state's numbers (enough for any figure; stable across CPUs)
DIGITS = 6

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def rounded(values: Any, digits: int = DIGITS) -> list[float]:
    """A list of floats rounded to ``digits`` significant digits (NaN and inf kept)."""
    out = []
    for v in values:
        v = float(v)
        out.append(float(f"{v:.{digits}g}") if math.isfinite(v) else v)
    return out


@dataclass(frozen=True)
class Control:
    """One control of an explorer.

    ``values`` are the positions the website offers (numbers, or labels for a choice);
    ``lab`` the JupyterLab slider's ``(min, max, step)`` (with ``log``: exponents of 10), or
    None to offer ``values`` there too; ``web=False`` marks a JupyterLab-only control (the website
    keeps it at ``start``).
    """

    name: str
    label: str
    values: tuple
    start: Any
    lab: tuple[float, float, float] | None = None
    log: bool = False
    fmt: str = "g"            # how the website labels a position (format spec)
    lab_fmt: str = ".2f"      # the JupyterLab slider's readout
    web: bool = True

    def __post_init__(self) -> None:
        if self.web and self.start not in self.values:
            raise ValueError(f"control {self.name!r}: start {self.start!r} is not one of its values")
        if self.lab is not None and not self._in_lab(self.start):
            raise ValueError(f"control {self.name!r}: start {self.start!r} is outside {self.lab}")

    @property
    def choice(self) -> bool:
        """A choice among labels (buttons, a dropdown), not a slider."""
        return isinstance(self.start, str)

    def labels(self) -> list[str]:
        """The website's labels of the positions."""
        return [v if isinstance(v, str) else format(v, self.fmt) for v in self.values]

    def _in_lab(self, value: Any) -> bool:
        low, high, _ = self.lab
        if self.log:
            low, high = 10.0**low, 10.0**high
        return isinstance(value, int | float) and low - 1e-12 <= value <= high + 1e-12

    def check_web(self, value: Any) -> Any:
        """``value`` if the website offers it, else a ValueError naming the control."""
        for v in self.values:
            if v == value or (not isinstance(v, str) and isinstance(value, int | float)
                              and not isinstance(value, bool) and math.isclose(v, value, rel_tol=1e-9)):
                return v
        shown = ", ".join(self.labels()) if len(self.values) <= 12 else \
            f"{self.labels()[0]}, {self.labels()[1]}, ..., {self.labels()[-1]}"
        raise ValueError(f"{self.name} must be one of the website's positions ({shown}), got {value!r}")

    def check_lab(self, value: Any) -> Any:
        """``value`` if the JupyterLab control reaches it, else a ValueError naming the control."""
        if self.lab is None:
            return self.check_web(value)
        if isinstance(value, bool) or not self._in_lab(value):
            low, high, _ = self.lab
            span = f"10^{low:g} .. 10^{high:g}" if self.log else f"{low:g} .. {high:g}"
            raise ValueError(f"{self.name} must be in {span}, got {value!r}")
        return int(value) if isinstance(self.start, int) else float(value)


@dataclass(frozen=True)
class Group:
    """Controls that act together and the function that gives their state at one setting."""

    controls: tuple[str, ...]
    state: Callable[..., dict]


@dataclass(frozen=True)
class Layer:
    """One drawn series of a panel: columns ``x``, ``y`` of a state's ``source``, or fixed data
    (``source`` None: ``x`` and ``y`` are the values; for ``kind="lines"`` lists of curves)."""

    kind: str                      # "line", "scatter", "lines" (several curves) or "hline"
    x: Any = None
    y: Any = None
    source: str | None = None
    color: str = "#1f77b4"
    width: float = 1.5
    dash: str = "solid"
    marker: str = "circle"
    size: float = 5
    label: str | None = None       # legend entry (layers with one label share it)


@dataclass(frozen=True)
class Panel:
    """One plot of the website's form."""

    height: int
    x_label: str
    y_label: str
    layers: tuple[Layer, ...]
    title: str | None = None
    x_log: bool = False
    y_log: bool = False
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Explorer:
    """An explorer, described once (see the module docstring)."""

    name: str                       # lower-case id of the live figure on its page
    controls: tuple[Control, ...]
    groups: tuple[Group, ...]
    panels: tuple[Panel, ...]
    plot: Callable[..., Any]        # plot(**{control: value}) -> (figure, numbers)
    summary: str                    # the live figure's text form; {n}: the number of states

    def __post_init__(self) -> None:
        if not set(self.name) <= _NAME_CHARS or not self.name[:1].isalpha():
            raise ValueError(f"name must be lower-case letters, digits and '_', got {self.name!r}")
        names = [c.name for c in self.controls]
        grouped = [n for g in self.groups for n in g.controls]
        web = [c.name for c in self.controls if c.web]
        if sorted(grouped) != sorted(web):
            raise ValueError(f"explorer {self.name!r}: the groups must hold each website control "
                             f"once, got {grouped} for {web}")
        if len(set(names)) != len(names):
            raise ValueError(f"explorer {self.name!r}: two controls share a name: {names}")

    def control(self, name: str) -> Control:
        for c in self.controls:
            if c.name == name:
                return c
        raise KeyError(name)

    def start(self) -> dict[str, Any]:
        """Where both forms open: every control's ``start``."""
        return {c.name: c.start for c in self.controls}

    def settings(self, group: Group) -> list[tuple[str, dict[str, Any]]]:
        """Every website setting of ``group``: (key, {control: value}); the key joins the
        controls' position indices with "|" (what the page's script reads off the controls)."""
        controls = [self.control(n) for n in group.controls]
        out: list[tuple[list[int], dict[str, Any]]] = [([], {})]
        for c in controls:
            out = [(idx + [i], {**vals, c.name: v}) for idx, vals in out
                   for i, v in enumerate(c.values)]
        return [("|".join(map(str, idx)), vals) for idx, vals in out]

    def key(self, group: Group, values: dict[str, Any]) -> str:
        """The state key of ``group`` at ``values``."""
        return "|".join(str(self.control(n).values.index(values[n])) for n in group.controls)

    def n_states(self) -> int:
        return sum(math.prod(len(self.control(n).values) for n in g.controls) for g in self.groups)


def _widget(control: Control, value: Any) -> Any:
    import ipywidgets as widgets

    common = {"value": value, "description": control.label,
              "style": {"description_width": "initial"},
              "layout": widgets.Layout(width="95%", max_width="560px")}
    if control.choice:
        return widgets.Dropdown(options=list(control.values), **common)
    if control.lab is None:
        return widgets.SelectionSlider(options=list(control.values), **common)
    low, high, step = control.lab
    if control.log:
        return widgets.FloatLogSlider(base=10, min=low, max=high, step=step, **common)
    if isinstance(control.start, int):
        return widgets.IntSlider(min=int(low), max=int(high), step=int(step), **common)
    return widgets.FloatSlider(min=low, max=high, step=step, readout_format=control.lab_fmt, **common)


def explore_in_lab(explorer: Explorer, **start: Any) -> Any:
    """The JupyterLab form: ipywidgets controls that redraw ``explorer.plot``.

    Opens at the description's start, or at ``start`` (any value a control's JupyterLab range
    reaches; a bad one is refused naming its control).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if not isinstance(explorer, Explorer):
        raise TypeError(f"explorer must be a gradlab.explorer.Explorer, got {type(explorer).__name__}")
    unknown = set(start) - {c.name for c in explorer.controls}
    if unknown:
        raise ValueError(f"unknown control(s) {sorted(unknown)} for explorer {explorer.name!r}; "
                         f"its controls are {[c.name for c in explorer.controls]}")
    values = {c.name: c.check_lab(start[c.name]) if c.name in start else c.start
              for c in explorer.controls}

    def draw(**kwargs: Any) -> None:
        explorer.plot(**kwargs)
        plt.show()

    return widgets.interactive(draw, **{c.name: _widget(c, values[c.name])
                                        for c in explorer.controls})


def positive(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """The points with a positive y (a log axis has no place for 0 or less), as float lists."""
    pairs = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True) if y > 0]
    return [x for x, _ in pairs], [y for _, y in pairs]
