"""Browser check of the live explorers: every control moves its figure to the expected state.

    python tools/explorer_check.py [SITE]          (default _build/html; `make site-check` runs it)
    python tools/explorer_check.py SITE --out DIR  (screenshots; default _build/screenshots/explorers)

Every page of the built site that holds a live figure (coursepages.webfig: a Bokeh document) is opened
from disk (file://) with every other host blocked, in light and in dark mode. For each explorer
and each control: a slider is moved once with the arrow keys and once with the mouse, a button
group by a click on another button. After every move the check reads the page itself: the key of
the controls' positions, the readout line and the plotted data, and asserts that they changed and
that they equal the precomputed state stored on the page for that key (the state test in
tests/test_explorers.py ties those states to gradlab), and that a slider's handle is named
by its title and announces the value it shows (aria-valuetext), not the grid index.
Screenshots of each explorer before and after are written to the output folder. Exit status 1
lists every failure.

Uses Debian's chromium through Playwright (no browser download), like tools/site_check.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARKER = "data-root-id="

# Everything the check reads from a page goes through these two functions, run in the page.
JS_HELPERS = """
window.__explorer = {
  doc(i) { return Bokeh.documents[i]; },
  models(i) { return [...this.doc(i).all_models]; },
  controls(i) {
    return this.models(i).filter((m) => (m.name || "").startsWith("control-"))
      .sort((a, b) => a.name.localeCompare(b.name));
  },
  callbackArgs(i) {
    const c = this.controls(i)[0];
    const cbs = c.js_property_callbacks;
    const list = cbs instanceof Map ? [...cbs.values()][0] : Object.values(cbs)[0];
    const args = list[0].args;
    return args instanceof Map ? Object.fromEntries(args) : args;
  },
  snapshot(i) {
    const args = this.callbackArgs(i);
    const pos = (c) => c.value !== undefined ? Math.round(c.value) : c.active;
    const groups = args.groups.map((g) => {
      const key = g.controls.map(pos).join("|");
      return {key: key, state: g.states[key] ?? null};
    });
    const readout = this.doc(i).get_model_by_name("readout").text;
    const data = {};
    for (const m of this.models(i)) {
      if ((m.name || "").startsWith("source-")) {
        data[m.name.slice(7)] = JSON.stringify(m.data, (k, v) => v instanceof Map
          ? Object.fromEntries(v) : ArrayBuffer.isView(v) ? Array.from(v) : v);
      }
    }
    const controls = {};
    for (const c of this.controls(i)) { controls[c.name] = pos(c); }
    return {groups: groups, readout: readout, data: data, controls: controls};
  },
  rootView(i) {
    const root = this.doc(i).roots()[0];
    return Bokeh.index.roots.find((v) => v.model === root) ?? null;
  },
  view(model) {
    const walk = function* (v) {
      yield v;
      for (const c of v.children()) { yield* walk(c); }
    };
    for (const root of Bokeh.index.roots) {
      for (const v of walk(root)) {
        if (v.model === model) { return v; }
      }
    }
    return null;
  },
};
"""


def explorer_pages(site: Path) -> list[Path]:
    """Pages of the built site that hold at least one live figure."""
    pages = []
    for page in sorted(site.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        if MARKER in page.read_text(encoding="utf-8", errors="replace"):
            pages.append(page)
    return pages


def _expected_errors(label: str, before: dict, after: dict) -> list[str]:
    """What is wrong with the state after a move (empty if the figure shows the right state)."""
    errors = []
    if after["controls"] == before["controls"]:
        return [f"{label}: the control did not move ({after['controls']})"]
    texts = []
    for group in after["groups"]:
        state = group["state"]
        if state is None:
            errors.append(f"{label}: no precomputed state on the page for key {group['key']}")
            continue
        texts.append(state["text"])
        for name, values in state["data"].items():
            shown = json.loads(after["data"].get(name, "null"))
            if shown != values:
                errors.append(f"{label}: source {name} does not show the state for key "
                              f"{group['key']}")
    if not errors and after["readout"] != "<br>".join(texts):
        errors.append(f"{label}: readout {after['readout']!r} is not the expected "
                      f"{'<br>'.join(texts)!r}")
    if not errors and after["data"] == before["data"]:
        errors.append(f"{label}: the plotted data did not change")
    return errors


def check_page(page: Path, out: Path, dark: bool, browser) -> list[str]:
    """Move every control of every explorer on ``page``; return the failures."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900},
                              color_scheme="dark" if dark else "light")
    ctx.route("**/*", lambda route: route.continue_()
              if route.request.url.startswith("file://") else route.abort())
    pg = ctx.new_page()
    failures: list[str] = []
    # script errors of the explorers themselves (other page errors are site_check.py's business)
    pg.on("pageerror", lambda exc: failures.append(f"{page.name}: page error {exc}")
          if "bokeh" in f"{exc.message} {exc.stack}".lower() else None)
    mode = "dark" if dark else "light"
    expected = page.read_text(encoding="utf-8", errors="replace").count(MARKER)
    pg.goto(page.resolve().as_uri(), wait_until="load")
    try:
        pg.wait_for_function(
            f"() => window.Bokeh && Bokeh.documents.length >= {expected} && "
            f"Bokeh.documents.every((d) => Bokeh.index.roots.some((v) => v.model === d.roots()[0]))",
            timeout=15_000)
    except Exception:
        ctx.close()
        return [f"{page.name} ({mode}): {expected} live figure(s) expected, BokehJS did not "
                "render them (is _static/bokeh/ there and loaded?)"]
    pg.evaluate(JS_HELPERS)
    pg.wait_for_timeout(500)
    stem = page.stem
    for i in range(expected):
        shots = out / f"{stem}-{i}"
        _shoot(pg, i, f"{shots}-before-{mode}.png")
        names = pg.evaluate(f"() => __explorer.controls({i}).map((c) => c.name)")
        if not names:
            failures.append(f"{page.name} explorer {i}: no controls named control-*")
        for name in names:
            kind = pg.evaluate(f"() => __explorer.doc({i}).get_model_by_name('{name}')"
                               ".type ?? ''")
            view_js = f"__explorer.view(__explorer.doc({i}).get_model_by_name('{name}'))"
            label = f"{page.name} explorer {i} {name} ({mode})"
            if pg.evaluate(f"() => {view_js} === null"):
                failures.append(f"{label}: no view on the page")
                continue
            moves = _slider_moves(pg, view_js) if "Slider" in kind else _button_moves(pg, view_js)
            for how, move in moves:
                before = pg.evaluate(f"() => __explorer.snapshot({i})")
                move()
                pg.wait_for_timeout(300)
                after = pg.evaluate(f"() => __explorer.snapshot({i})")
                failures += _expected_errors(f"{label} by {how}", before, after)
                if "Slider" in kind:
                    failures += _slider_name_errors(pg, view_js, f"{label} by {how}")
        _shoot(pg, i, f"{shots}-after-{mode}.png")
    ctx.close()
    return failures


def _slider_name_errors(pg, view_js: str, label: str) -> list[str]:
    """A screen reader hears the slider's title and the value it shows, not a grid index."""
    name, title, valuetext, shown = pg.evaluate(
        f"""() => {{ const v = {view_js}, h = v.shadow_el.querySelector('.noUi-handle'),
        tip = h.querySelector('.noUi-tooltip');
        return [h.getAttribute('aria-label'), v.model.title, h.getAttribute('aria-valuetext'),
                tip ? tip.textContent : null]; }}""")
    errors = []
    if name != title:
        errors.append(f"{label}: the slider handle is named {name!r}, not by its title {title!r}")
    if valuetext != shown:
        errors.append(f"{label}: the slider announces {valuetext!r} but shows {shown!r}")
    return errors


def _shoot(pg, i: int, path: str) -> None:
    """Screenshot of explorer ``i`` (its root element's box on the full page)."""
    box = pg.evaluate(f"""() => {{
        document.activeElement?.blur();   // no focus ring, no "skip to content" link
        const el = __explorer.rootView({i}).el;
        el.scrollIntoView({{block: "center"}});   // clear of the theme's sticky header
        const r = el.getBoundingClientRect();
        return {{x: r.left + window.scrollX, y: r.top + window.scrollY,
                 width: r.width, height: r.height}};
    }}""")
    if box["width"] > 0 and box["height"] > 0:
        pg.screenshot(path=path, full_page=True, clip=box)


def _slider_moves(pg, view_js: str):
    """Arrow key (towards the middle), then a mouse click at a quarter of the track."""
    handle = pg.evaluate_handle(f"() => {view_js}.shadow_el.querySelector('.noUi-handle')")
    handle = handle.as_element()
    track = pg.evaluate_handle(f"() => {view_js}.shadow_el.querySelector('.noUi-target')")
    track = track.as_element()

    def key() -> None:
        now = float(handle.get_attribute("aria-valuenow"))
        low = float(handle.get_attribute("aria-valuemin"))
        high = float(handle.get_attribute("aria-valuemax"))
        handle.focus()
        pg.keyboard.press("ArrowRight" if now - low <= high - now else "ArrowLeft")

    def mouse() -> None:
        box = track.bounding_box()
        now = float(handle.get_attribute("aria-valuenow"))
        low = float(handle.get_attribute("aria-valuemin"))
        high = float(handle.get_attribute("aria-valuemax"))
        frac = 0.25 if now > (low + high) / 2 else 0.75
        pg.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)

    return [("arrow key", key), ("mouse", mouse)]


def _button_moves(pg, view_js: str):
    """A mouse click on the next button, then Space on the one after (keyboard)."""
    def press(step: int, by_key: bool):
        def move() -> None:
            buttons = pg.evaluate_handle(
                f"() => [...{view_js}.shadow_el.querySelectorAll('button')]")
            count = pg.evaluate("(b) => b.length", buttons)
            active = pg.evaluate(f"() => {view_js}.model.active")
            target = pg.evaluate_handle(f"(b) => b[{(0 if active is None else active) + step}"
                                        f" % {count}]", buttons).as_element()
            if by_key:
                target.focus()
                pg.keyboard.press("Space")
            else:
                target.click()
        return move

    return [("mouse", press(1, False)), ("keyboard", press(1, True))]


def run(site: Path, out: Path) -> list[str]:
    """Check every explorer page of ``site`` in light and dark mode; return the failures."""
    from playwright.sync_api import sync_playwright

    pages = explorer_pages(site)
    if not pages:
        return [f"no page with a live figure under {site}"]
    out.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for page in pages:
            for dark in (False, True):
                failures += check_page(page, out, dark, browser)
        browser.close()
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=Path("_build/html"))
    parser.add_argument("--out", type=Path, default=Path("_build/screenshots/explorers"))
    args = parser.parse_args()
    if not args.site.is_dir():
        print(f"no built site at {args.site} (run `make book` first)", file=sys.stderr)
        return 2
    failures = run(args.site, args.out)
    for line in failures:
        print(f"FAIL {line}")
    pages = explorer_pages(args.site)
    print(f"explorer check: {len(pages)} page(s), {len(failures)} failure(s); "
          f"screenshots in {args.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
