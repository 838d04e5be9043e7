"""Live figures on the website: Bokeh plots whose controls swap states computed in advance.

The course site has no Python kernel, so an explorer there cannot recompute anything. Instead the
notebook cell computes every state the controls can reach (with the state functions of the
explorer's one description, gradlab.explorer, whose controls the ipywidgets form uses too) and
hands them to Bokeh; a control's small CustomJS callback only picks the precomputed state and
puts it into the plot's data source. Bokeh draws; nothing is plotted by hand.

What this module does:

- :func:`web_figure` is the website's form of an explorer: its controls (a slider over the
  website's positions, buttons for a choice), its panels, every state, opening at the controls'
  start like the JupyterLab form.
- :func:`live_html` turns a Bokeh layout into the HTML a notebook cell displays (``LiveFigure``).
  Bokeh's random document and element ids are replaced by ids derived from ``name``, and floats
  are rounded to ``gradlab.explorer.DIGITS`` significant digits by the state functions, so a
  second run of the notebook stores the same text (nbval compares it).
- The site build (``_ext/site_assets.py``, a Sphinx extension outside this package) copies
  BokehJS from the installed bokeh package into ``_static/bokeh/`` and loads it only on pages
  that contain a live figure.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from gradlab.explorer import Explorer, Layer, Panel

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MODEL_ID = re.compile(r'"(p\d{4,})"')
_NAME = re.compile(r"[a-z][a-z0-9_]*")


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


#: a slider handle a finger can hit (at least 32 px, WCAG 2.5.8 asks 24) and a thicker track,
#: inset by half a handle so that the handle is whole at both ends (not cut by the figure's edge)
SLIDER_CSS = """
.noUi-horizontal { height: 12px; }
.noUi-horizontal.noUi-target { margin: 5px 16px; width: auto; }
.noUi-horizontal .noUi-handle { width: 32px; height: 32px; top: -11px; right: -16px; }
.noUi-touch-area { position: absolute; inset: -6px; }
"""
#: choice buttons a finger can hit (32 px tall, as the slider handles)
BUTTON_CSS = ".bk-btn { min-height: 32px; }"


def index_slider(title: str, labels: list[str], value: int, name: str) -> Any:
    """A Bokeh slider over grid positions 0..len(labels)-1 that shows the grid's labels.

    Its handle is 32 px with a 44 px touch area; the page's script (``explorer_figure``) names
    it by ``title`` and announces the shown label (``aria-valuetext``), not the grid index.
    """
    from bokeh.models import CustomJSTickFormatter, InlineStyleSheet, Slider

    return Slider(start=0, end=len(labels) - 1, step=1, value=value, title=title, name=name,
                  format=CustomJSTickFormatter(args={"labels": list(labels)},
                                               code="return labels[Math.round(tick)];"),
                  sizing_mode="stretch_width", stylesheets=[InlineStyleSheet(css=SLIDER_CSS)])


#: Screen readers: BokehJS's slider handles (noUiSlider, inside shadow roots) carry role="slider"
#: but no name, and announce the grid index ("44.00"). This names each handle after its
#: control's title and sets aria-valuetext to the label the handle shows (its tooltip), again
#: whenever the handle moves. Handles are found in layout order, the order of the titles.
SLIDER_A11Y_JS = """<script>
(function () {
  var titles = %(titles)s, root = document.getElementById(%(root)s), tries = 0;
  function handles(node, out) {
    node.querySelectorAll(".noUi-handle").forEach(function (h) { out.push(h); });
    node.querySelectorAll("*").forEach(function (el) { if (el.shadowRoot) handles(el.shadowRoot, out); });
    return out;
  }
  function name(h, title) {
    var tip = h.querySelector(".noUi-tooltip"), text = tip ? tip.textContent : "";
    if (h.getAttribute("aria-label") !== title) h.setAttribute("aria-label", title);
    if (text && h.getAttribute("aria-valuetext") !== text) h.setAttribute("aria-valuetext", text);
  }
  function label() {
    var found = root ? handles(root, []) : [];
    if (found.length < titles.length) return false;
    found.slice(0, titles.length).forEach(function (h, i) {
      name(h, titles[i]);
      new MutationObserver(function () { name(h, titles[i]); })
        .observe(h, {attributes: true, attributeFilter: ["aria-valuetext"], subtree: true,
                     childList: true, characterData: true});
    });
    return true;
  }
  var timer = setInterval(function () { if (label() || ++tries > 100) clearInterval(timer); }, 100);
})();
</script>"""


class LiveGroup(NamedTuple):
    """Controls that act together, every combination of their positions, and the first one.

    ``states`` maps a key (the controls' positions joined by "|") to ``{"data": {source name:
    {column: values}}, "text": readout line}``; ``start`` is the key shown first.
    """

    controls: list
    states: dict
    start: str


def explorer_figure(groups: list[LiveGroup], sources: dict[str, Any], figures: list[Any], name: str,
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
    titles = [c.title for c in controls if hasattr(c, "title") and hasattr(c, "start")]
    root = re.search(r'<div id="([^"]+)"', live.html)
    if titles and root:
        live.html += "\n" + SLIDER_A11Y_JS % {"titles": json.dumps(titles),
                                              "root": json.dumps(root.group(1))}
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
    for name in ("x_axis_type", "y_axis_type"):
        if kwargs.get(name) == "log":   # decade ticks only: minor ticks on a log axis drew blobs
            axis = fig.xaxis if name == "x_axis_type" else fig.yaxis
            axis.minor_tick_line_color = None
    fig.title.text_font_size = "14px"
    return fig


def _panel(panel: Panel, sources: dict[str, Any]) -> Any:
    """The Bokeh figure of one panel of an explorer's description."""
    from bokeh.models import Legend, LegendItem, Span

    kwargs = {"x_axis_label": panel.x_label, "y_axis_label": panel.y_label}
    for key, value in (("title", panel.title), ("x_range", panel.x_range), ("y_range", panel.y_range)):
        if value is not None:
            kwargs[key] = value
    if panel.x_log:
        kwargs["x_axis_type"] = "log"
    if panel.y_log:
        kwargs["y_axis_type"] = "log"
    fig = plain_figure(panel.height, **kwargs)
    legend: dict[str, list] = {}
    for layer in panel.layers:
        renderer = _draw(fig, layer, sources)
        if layer.label is not None and renderer is not None:
            legend.setdefault(layer.label, []).append(renderer)
        elif layer.kind == "hline":
            fig.add_layout(Span(location=layer.y, dimension="width", line_color=layer.color,
                                line_dash=layer.dash))
    if legend:
        fig.add_layout(Legend(items=[LegendItem(label=k, renderers=v) for k, v in legend.items()],
                              orientation="horizontal", label_text_font_size="13px"), "below")
    return fig


def _draw(fig: Any, layer: Layer, sources: dict[str, Any]) -> Any:
    if layer.kind == "hline":
        return None
    if layer.kind not in ("line", "scatter", "lines"):
        raise ValueError(f"layer kind must be line, scatter, lines or hline, got {layer.kind!r}")
    xy: tuple = (layer.x, layer.y)
    extra: dict[str, Any] = {"color": layer.color}
    if layer.source is not None:
        extra["source"] = sources[layer.source]
    if layer.kind == "scatter":
        return fig.scatter(*xy, size=layer.size, marker=layer.marker, **extra)
    extra["line_width"] = layer.width
    if layer.dash != "solid":
        extra["line_dash"] = layer.dash
    return (fig.multi_line if layer.kind == "lines" else fig.line)(*xy, **extra)


def web_figure(explorer: Explorer, **start: Any) -> LiveFigure:
    """The website's form of ``explorer``: every combination of its controls' website positions
    computed in advance, opening at the controls' start (or at ``start``: positions the website
    offers; a bad one is refused naming its control). The groups are kept as ``.groups``."""
    from bokeh.models import ColumnDataSource, InlineStyleSheet, RadioButtonGroup

    if not isinstance(explorer, Explorer):
        raise TypeError(f"explorer must be a gradlab.explorer.Explorer, got {type(explorer).__name__}")
    web = {c.name: c for c in explorer.controls if c.web}
    unknown = set(start) - set(web)
    if unknown:
        raise ValueError(f"unknown control(s) {sorted(unknown)} for the website's {explorer.name!r}; "
                         f"its controls are {sorted(web)}")
    values = {name: c.check_web(start[name]) if name in start else c.start for name, c in web.items()}
    names = {layer.source for panel in explorer.panels for layer in panel.layers if layer.source}
    sources = {name: ColumnDataSource() for name in sorted(names)}
    groups = []
    for group in explorer.groups:
        controls = []
        for name in group.controls:
            c = web[name]
            index = c.values.index(values[name])
            if c.choice:
                controls.append(RadioButtonGroup(labels=list(c.values), active=index,
                                                 name=f"control-{name}",
                                                 stylesheets=[InlineStyleSheet(css=BUTTON_CSS)]))
            else:
                controls.append(index_slider(c.label, c.labels(), index, f"control-{name}"))
        states = {key: group.state(**setting) for key, setting in explorer.settings(group)}
        groups.append(LiveGroup(controls, states, explorer.key(group, values)))
    figures = [_panel(panel, sources) for panel in explorer.panels]
    return explorer_figure(groups, sources, figures, explorer.name,
                           explorer.summary.format(n=explorer.n_states()))
