"""Live figures on the website: Bokeh plots whose controls swap states computed in advance.

The course site has no Python kernel, so an explorer there cannot recompute anything. Instead the
notebook cell computes every state the controls can reach (with the same gradlab functions as the
ipywidgets version) and hands them to Bokeh; a control's small CustomJS callback only picks the
precomputed state and puts it into the plot's data source. Bokeh draws; nothing is plotted by hand.

What this module does:

- :func:`live_html` turns a Bokeh layout into the HTML a notebook cell displays (``LiveFigure``).
  Bokeh's random document and element ids are replaced by ids derived from ``name``, and floats
  are rounded to ``DIGITS`` significant digits by the callers, so a second run of the notebook
  stores the same text (nbval compares it).
- The site build (``_ext/site_assets.py``, a Sphinx extension outside this package) copies
  BokehJS from the installed bokeh package into ``_static/bokeh/`` and loads it only on pages
  that contain a live figure.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .notebook import readable  # noqa: F401  (the explorers' headlines use the book's one format)

#: significant digits kept in precomputed states (enough for any figure; stable across CPUs)
DIGITS = 6

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MODEL_ID = re.compile(r'"(p\d{4,})"')
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def rounded(values: Any, digits: int = DIGITS) -> list[float]:
    """A list of floats rounded to ``digits`` significant digits (NaN and inf kept)."""
    out = []
    for v in values:
        v = float(v)
        out.append(float(f"{v:.{digits}g}") if v == v and abs(v) != float("inf") else v)
    return out


def live_html(layout: Any, name: str) -> str:
    """The HTML (a div and a script) that embeds a Bokeh ``layout`` in a page.

    Every id is made from ``name`` (lower-case letters, digits, underscores), so the text is the
    same on every run; use a different name for each live figure of a page.
    """
    from bokeh.embed import components

    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"name must be lower-case letters, digits and '_', got {name!r}")
    script, div = components(layout)
    html = div + "\n" + script
    uuids = list(dict.fromkeys(_UUID.findall(html)))
    for i, uid in enumerate(uuids):
        html = html.replace(uid, f"{name}-doc{i}")
    model_ids = list(dict.fromkeys(_MODEL_ID.findall(html)))
    mapping = {mid: f"{name}-m{i}" for i, mid in enumerate(model_ids)}
    return _MODEL_ID.sub(lambda m: f'"{mapping[m.group(1)]}"', html)


class LiveFigure:
    """A cell's display value: the live HTML on the website, a one-line text elsewhere."""

    def __init__(self, layout: Any, name: str, summary: str):
        self.html = live_html(layout, name)
        self.summary = summary

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.summary


# ------------------------------------------------------------------------ Sphinx extension


# ------------------------------------------------------------------------ explorers

#: The one piece of JavaScript: for each group of controls, read the controls, pick the
#: precomputed state and hand its data to Bokeh. A slider's value (a whole number: a depth, or the
#: index of a grid value) or a button group's active index, joined by "|", is the key of a state.
SWAP_STATE_JS = """
const texts = [];
for (const group of groups) {
  const key = group.controls.map((c) => c.value !== undefined ? Math.round(c.value) : c.active)
    .join("|");
  const state = group.states[key];
  if (state === undefined) {
    texts.push("no precomputed state for " + key);
    continue;
  }
  for (const name in state.data) {
    sources[name].data = state.data[name];
  }
  texts.push(state.text);
}
readout.text = texts.join("<br>");
"""


def index_slider(title: str, labels: list[str], value: int, name: str) -> Any:
    """A Bokeh slider over grid positions 0..len(labels)-1 that shows the grid's labels."""
    from bokeh.models import CustomJSTickFormatter, Slider

    return Slider(start=0, end=len(labels) - 1, step=1, value=value, title=title, name=name,
                  format=CustomJSTickFormatter(args={"labels": list(labels)},
                                               code="return labels[Math.round(tick)];"),
                  sizing_mode="stretch_width")


class Group(NamedTuple):
    """Controls that act together, every combination of their positions, and the first one.

    ``states`` maps a key (the controls' positions joined by "|") to ``{"data": {source name:
    {column: values}}, "text": readout line}``; ``start`` is the key shown first.
    """

    controls: list
    states: dict
    start: str


def explorer_figure(groups: list[Group], sources: dict[str, Any], figures: list[Any], name: str,
                    summary: str) -> LiveFigure:
    """Assemble a live explorer: the controls, a readout line, then the figures.

    Each group of controls drives its own sources (independent groups keep the number of
    precomputed states a sum, not a product). Returns the LiveFigure, with the groups kept as
    ``.groups`` (the tests compare their states with gradlab).
    """
    from bokeh.layouts import column
    from bokeh.models import CustomJS, Div

    texts = []
    for group in groups:
        if group.start not in group.states:
            raise ValueError(f"start must be one of the state keys, got {group.start!r}")
        first = group.states[group.start]
        for key, values in first["data"].items():
            sources[key].data = dict(values)
        texts.append(first["text"])
    for key, src in sources.items():
        src.name = f"source-{key}"
    readout = Div(text="<br>".join(texts), name="readout", sizing_mode="stretch_width",
                  styles={"font-size": "15px", "color": "#222", "background": "#fff",
                          "padding": "2px 6px"})
    callback = CustomJS(args={"groups": [{"controls": g.controls, "states": g.states}
                                         for g in groups],
                              "sources": sources, "readout": readout}, code=SWAP_STATE_JS)
    controls = [c for g in groups for c in g.controls]
    for control in controls:
        control.js_on_change("active" if hasattr(control, "active") else "value", callback)
    layout = column(*controls, readout, *figures, sizing_mode="stretch_width",
                    styles={"background": "#fff", "padding": "4px"})
    live = LiveFigure(layout, name, summary)
    live.groups = groups
    return live


def plain_figure(height: int, **kwargs: Any) -> Any:
    """A Bokeh figure sized for the page column (full width, fixed height), white background,
    tick and label fonts like the matplotlib figures, and no toolbar (nothing to pan or zoom)."""
    from bokeh.plotting import figure

    fig = figure(height=height, sizing_mode="stretch_width", toolbar_location=None,
                 background_fill_color="#ffffff", border_fill_color="#ffffff", **kwargs)
    for axis in (fig.xaxis, fig.yaxis):
        axis.axis_label_text_font_size = "14px"
        axis.major_label_text_font_size = "13px"
        axis.axis_label_text_font_style = "normal"
    fig.title.text_font_size = "14px"
    return fig
