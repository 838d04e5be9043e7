"""Open the student edition in a real JupyterLab, run every cell, and check what a student sees.

    python tools/lab_check.py                  # the chapters (CI: `make lab-check`)
    python tools/lab_check.py --all            # every notebook of _toc.yml
    python tools/lab_check.py book/wT/wT_matrices.ipynb      # some notebooks
    python tools/lab_check.py --fixture-only   # only prove that the check can fail
    python tools/lab_check.py --screenshots DIR   # full-length 1280 px screenshots after Run All

The student edition (tools/student_edition.py, with its stored outputs, as `make lab` writes it)
is generated into a temporary folder. JupyterLab is started on it (127.0.0.1, a free port, a
random token, no browser, no network: every request to another host is blocked and reported) and
each notebook is opened in headless Chromium (Debian's chromium through Playwright) on a kernel
started for it, its outputs cleared, then Run > Run All Cells. When the kernel is idle and no cell is pending,
the check reads the page and reports:

  markup    raw MyST in the rendered Markdown (`{glue`, `{numref}`, `(label)=`, `:class:`, `:::`,
            a directive fence shown as a code block, a stray fence shown as an empty one)
  empty     an empty output area where the stored notebook had output (or an output that renders
            as nothing, as a Bokeh figure does without BokehJS)
  solution  a solution in plain view: a `<details>` opened, a "Solution" label outside one, or
            the prose of a solution of the book's source shown before the final Solutions section
  console   a browser console error or an uncaught exception; `offline`: a request to another host
  error     a cell that raised (an error output), `stderr`: a cell that wrote to stderr
  widget    an ipywidgets explorer whose figure does not change after an arrow key on a slider
            (each slider of each explorer is moved once)
  timeout   Run All that did not finish in time

Before the real notebooks, two fixture notebooks are run the same way: one with a raw glue role,
an opened solution, an answer in plain view, a missing image, an output JupyterLab cannot render
and an explorer that never redraws; one whose cell raises. Each of these must be reported, or the
check itself fails: it proves it can fail. Per notebook the run time is printed; the server (and
its kernels) is stopped on exit, on failure and on Ctrl-C. Exit status 1 lists every issue.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_edition  # noqa: E402
import toc  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: the chapters CI checks (the chapter notebooks and the case study); --all checks every one
CHAPTERS = ["book/gradient_descent/gradient_descent.ipynb",
            "book/vanishing_exploding/vanishing_exploding.ipynb",
            "book/vanishing_exploding/diagnosing.ipynb",
            "book/wT/wT_derivation.ipynb", "book/wT/wT_matrices.ipynb",
            "book/remedies/clipping.ipynb", "book/remedies/initialization.ipynb",
            "book/remedies/normalization.ipynb", "book/case_study/case_study.ipynb",
            "book/case_study/remedies.ipynb", "book/case_study/checklist.ipynb"]
#: the notebooks photographed with --screenshots (ch1, both pages of ch2, the case study)
SHOTS = ["book/gradient_descent/gradient_descent.ipynb",
         "book/vanishing_exploding/vanishing_exploding.ipynb",
         "book/vanishing_exploding/diagnosing.ipynb", "book/case_study/case_study.ipynb"]
RUN_TIMEOUT = float(os.environ.get("LAB_CHECK_TIMEOUT", 600))  # seconds per notebook
REDRAW_TIMEOUT = 15.0
#: console errors of JupyterLab itself, harmless to a student: counted and named in the summary,
#: never silently dropped (the debugger asks the kernel for its state when a notebook opens; the
#: scripted restart right after cancels that request)
KNOWN_CONSOLE_ERRORS = ("Could not restore the debugger state: Canceled future for debug_request",)

#: raw MyST as it shows in *rendered* Markdown (a role's backticks become a code span, so the
#: role name is followed by its target's text, not by a backtick)
RAW_MARKUP = re.compile(
    r"\{(?:glue|numref|ref|doc|cite|eq|term|download|math|abbr|sub|sup)(?::[a-z-]+)?\}"
    r"|^\s*\([\w-]+\)=\s*$|^\s*:(?:class|label|name|alt|width|align|format|figwidth):|:::",
    re.M)
SOLUTION_LABEL = re.compile(r"^\s*Solution\b")


@dataclass(frozen=True)
class Issue:
    notebook: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.notebook}: [{self.kind}] {self.detail}"


def scan_markup(text: str) -> list[str]:
    """The raw MyST fragments in rendered Markdown text (empty when it reads as plain prose)."""
    return [m.group(0).strip() for m in RAW_MARKUP.finditer(text)]


def stored_outputs(nb: dict) -> list[bool]:
    """For each code cell of a stored notebook, in order: whether it holds an output."""
    return [bool(c.get("outputs")) for c in nb["cells"] if c["cell_type"] == "code"]


_SOLUTION_FENCE = re.compile(r"^(```+|:::+)\{solution\}[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_START = re.compile(r"^(```+|:::+)\{solution-start\}[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
_END = re.compile(r"^(```+|:::+)\{solution-end\}[^\n]*\n.*?^\1[ \t]*$", re.M | re.S)
# what renders differently from its source (roles, math, code, option lines, HTML, directives)
_NOT_PROSE = re.compile(r"\{[\w:-]+\}`[^`]*`|\$\$[\s\S]*?\$\$|\$[^$]*\$|`[^`]*`|^:[\w-]+:.*$|<[^>]+>"
                        r"|^(?:```+|:::+).*$|^ {4}.*$|\\\([\s\S]*?\\\)", re.M)


def solution_texts(nb: dict) -> tuple[list[str], str]:
    """The Markdown of every solution in a book notebook (MyST source): the bodies of
    ``{solution}`` directives and the text between ``{solution-start}`` and ``{solution-end}``;
    and the rest of its Markdown."""
    found, rest, inside, current = [], [], False, []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        found += [m.group(2) for m in _SOLUTION_FENCE.finditer(src)]
        src = _SOLUTION_FENCE.sub("", src)
        pos = 0
        while True:
            if inside:
                end = _END.search(src, pos)
                current.append(src[pos:end.start()] if end else src[pos:])
                if not end:
                    break
                found.append("\n\n".join(current))
                inside, current, pos = False, [], end.end()
            else:
                start = _START.search(src, pos)
                rest.append(src[pos:start.start()] if start else src[pos:])
                if not start:
                    break
                inside, pos = True, start.end()
    return [t for t in found if t.strip()], "\n\n".join(rest)


def prose_fragments(markdown: str, words: int = 5) -> list[str]:
    """Runs of plain prose in ``markdown`` that read the same rendered (at least ``words``
    words; whitespace collapsed): what a reader would find on the page if the text is shown."""
    out = []
    for part in _NOT_PROSE.split(markdown):
        if not part:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", part)  # a link shows its text
        text = re.sub(r"[*_]{1,2}(?=\w)|(?<=\w)[*_]{1,2}|^#+ |^> ?|^\s*[-+] ", "", text, flags=re.M)
        for piece in re.split(r"[()\[\]\n]{2,}|\n\s*\n", text):
            piece = " ".join(piece.split()).strip(" .,;:)(")
            if len(piece.split()) >= words:
                out.append(piece)
    return out


def solution_fragments(nb: dict, per_solution: int = 2, words: int = 6) -> list[str]:
    """The longest prose fragments of each solution of a book notebook (see prose_fragments),
    leaving out any that the rest of the notebook's prose also holds."""
    texts, prose = solution_texts(nb)
    elsewhere = " ".join(prose_fragments(prose, 1))
    out = []
    for text in texts:
        # the first words of each fragment: a long run may wrap or be cut differently on the page
        own = [" ".join(f.split()[:12]) for f in prose_fragments(text, words) if f not in elsewhere]
        out += sorted(own, key=len, reverse=True)[:per_solution]
    return out


# --- fixtures: notebooks the check must report --------------------------------------------------

def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(src: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "metadata": {}, "execution_count": 1 if outputs else None,
            "source": src, "outputs": outputs or []}


def _nb(cells: list[dict]) -> dict:
    for i, cell in enumerate(cells):
        cell["id"] = f"fixture-{i:02d}"
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}}


#: the solutions of the fixtures (the book's are read from its MyST sources)
FIXTURE_SOLUTIONS = {"fixture_markup.ipynb": [
    "Six, because three and three make six in any base above six."]}
#: name -> (notebook, the kinds of issue the check must report for it)
FIXTURES: dict[str, tuple[dict, set[str]]] = {
    "fixture_markup.ipynb": (_nb([
        _md("# A page with raw MyST\n\nThe loss falls to {glue:text}`final_loss:.3f` after "
            "training.\n\n![a figure that is not there](missing-figure.png)"),
        _md("**Exercise.** What is 2 + 2?\n\n<details open><summary>Solution</summary>\n\n"
            "It is 4.\n\n</details>"),
        _md("**Exercise.** What is 3 + 3?\n\nSix, because three and three make six in any base above six."),
        _code("from IPython.display import display\n"
              "display({'application/x-unrenderable': 'nothing to see'}, raw=True)",
              [{"output_type": "display_data", "metadata": {},
                "data": {"application/x-unrenderable": "nothing to see"}}]),
        _code("import ipywidgets as widgets\n"
              "widgets.interactive(lambda x: None, x=widgets.IntSlider(value=2, min=0, max=9))"),
    ]), {"markup", "solution", "console", "empty", "widget"}),
    "fixture_error.ipynb": (_nb([
        _md("# A page whose cell raises"),
        _code("print('before')", [{"output_type": "stream", "name": "stdout", "text": "before\n"}]),
        _code("1 / 0"),
    ]), {"error"}),
}


def write_fixtures(out: Path) -> dict[str, set[str]]:
    """Write the fixture notebooks into ``out``; returns {relative path: kinds expected}."""
    out.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (nb, kinds) in FIXTURES.items():
        (out / name).write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
        expected[f"{out.name}/{name}"] = set(kinds)
    return expected


# --- the edition and the server ----------------------------------------------------------------

def make_edition(out: Path, notebooks: list[Path]) -> list[str]:
    """The student edition with outputs (what `make lab` writes) of ``notebooks`` under ``out``."""
    student_edition.copy_assets(out)
    return [student_edition.convert(p, out).relative_to(out).as_posix() for p in notebooks]


def _die_with_parent() -> None:
    """In the server's process, before exec: Linux sends it SIGTERM when this check's process
    ends, however it ends (also by SIGKILL, when no `finally` and no signal handler runs)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stop() at exit still applies
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on 127.0.0.1 serving ``root``; stopped by stop() (also at exit)."""

    def __init__(self, root: Path, state: Path):
        self.root, self.token = root, secrets.token_hex(16)
        self.proc: subprocess.Popen | None = None
        settings = state / "settings"
        # no restart dialog (Run All is scripted), every cell attached to the page (measurable)
        for plugin, values in {
                "@jupyterlab/apputils-extension/sessionDialogs": {"skipKernelRestartDialog": True},
                "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                                "checkForUpdates": False}}.items():
            target = settings / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        self.env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings),
                    "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
                    "JUPYTER_RUNTIME_DIR": str(state / "runtime"), "IPYTHONDIR": str(state / "ipython"),
                    "JUPYTER_PLATFORM_DIRS": "1", "PYTHONDONTWRITEBYTECODE": "1",
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.log = state / "server.log"

    def start(self, attempts: int = 3) -> str:
        for _ in range(attempts):
            self.port = _free_port()
            cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   "--ServerApp.terminals_enabled=False"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:  # a CI container runs as root
                cmd.append("--allow-root")
            with open(self.log, "ab") as log:
                # a session of its own: stop() ends the server and every kernel it started
                self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True,
                                             preexec_fn=_die_with_parent)
            atexit.register(self.stop)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                                timeout=2) as r:
                        if r.status == 200:
                            return self.url
                except OSError:
                    time.sleep(0.5)
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; see {self.log}:\n"
                           + self.log.read_text(errors="replace")[-2000:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (its kernels too)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# --- the page ----------------------------------------------------------------------------------

JS_READY = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.context.isReady) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && w.content.widgets.length > 0;
}"""

JS_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.widgets;
  let pending = 0, unrun = 0, errors = 0;
  for (const c of cells) {
    if (c.model.type !== 'code') continue;
    const prompt = c.promptNode ? c.promptNode.textContent : '';
    if (c.model.executionState === 'running' || prompt.includes('*')) pending++;
    else if (c.model.executionCount === null && c.model.sharedModel.getSource().trim()) unrun++;
    for (const o of c.model.outputs.toJSON()) if (o.output_type === 'error') errors++;
  }
  return {status: k ? k.status : 'none', pending, unrun, errors};
}"""

JS_READ = """(fragments) => {
  const w = window.jupyterapp.shell.currentWidget;
  const visible = (el) => el.getClientRects().length > 0 &&
      [...el.getClientRects()].some((r) => r.width > 0 && r.height > 0);
  const hasContent = (el) => (el.innerText || '').trim().length > 0 ||
      [...el.querySelectorAll('img, svg, canvas, video, iframe, input, select, .jupyter-widgets')]
        .some(visible);
  const out = {markdown: [], code: [], solutions: [], fences: []};
  let solutionsSection = false, codeIndex = 0;
  w.content.widgets.forEach((c, i) => {
    if (c.model.type === 'markdown') {
      const node = c.node.querySelector('.jp-RenderedMarkdown');
      if (!node) { out.markdown.push({cell: i, text: '', unrendered: true}); return; }
      out.markdown.push({cell: i, text: node.innerText});
      for (const code of node.querySelectorAll('code[class*="language-{"]'))
        out.fences.push({cell: i, text: 'a directive shown as a code block: ' + code.className});
      for (const pre of node.querySelectorAll('pre')) {  // textContent: also inside a closed <details>
        if (!pre.textContent.trim()) out.fences.push({cell: i, text: 'an empty code block: a stray fence'});
        else if (/<a id=|<details|<summary|\\*\\*Exercise|\\*\\*Solution/.test(pre.textContent))
          out.fences.push({cell: i, text: 'Markdown shown as code (an unclosed fence): ' +
                                          pre.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60)});
      }
      if ([...node.querySelectorAll('h1, h2')].some((h) => /^\\s*Solutions\\b/.test(h.textContent)))
        solutionsSection = true;
      for (const d of node.querySelectorAll('details'))
        if (d.open) out.solutions.push({cell: i, text: 'a <details> open from the start: ' +
                                         (d.querySelector('summary') || d).textContent.slice(0, 60)});
      if (!solutionsSection) {
        // innerText leaves out what a closed <details> hides
        const shown = (node.innerText || '').replace(/\\s+/g, ' ');
        for (const f of fragments)
          if (shown.includes(f)) out.solutions.push({cell: i, text: 'solution text: ' + f.slice(0, 70)});
        for (const el of node.querySelectorAll('p, li, h1, h2, h3, h4, h5, h6, strong, em')) {
          if (el.closest('summary') || (el.closest('details') && !el.closest('details').open)) continue;
          if (/^\\s*Solution\\b/.test(el.textContent) && visible(el))
            out.solutions.push({cell: i, text: el.textContent.trim().slice(0, 80)});
        }
      }
    } else if (c.model.type === 'code') {
      const outputs = c.model.outputs.toJSON();
      const items = [...c.node.querySelectorAll('.jp-OutputArea-child')].map((child) => {
        const o = child.querySelector('.jp-OutputArea-output');
        return {mime: o ? (o.getAttribute('data-mime-type') || '') : '',
                content: o ? hasContent(o) : false};
      });
      out.code.push({cell: i, index: codeIndex++, n: outputs.length, items,
                     ran: c.model.executionCount !== null,
                     errors: outputs.filter((o) => o.output_type === 'error')
                       .map((o) => o.ename + ': ' + o.evalue),
                     stderr: outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr')
                       .map((o) => [].concat(o.text).join('').slice(0, 200))});
    }
  });
  return out;
}"""

JS_SLIDERS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const found = [];
  w.content.widgets.forEach((c, i) => {
    c.node.querySelectorAll('.widget-interact').forEach((box, b) => {
      box.setAttribute('data-labcheck', `${i}-${b}`);
      box.querySelectorAll('.noUi-handle, .slider-handle, input[type=range]').forEach((h, s) => {
        const row = h.closest('.widget-slider, .widget-hslider') || h.parentElement;
        const label = row && row.querySelector('.widget-label');
        const readout = row && row.querySelector('.widget-readout');
        found.push({box: `${i}-${b}`, slider: s, cell: i,
                    label: label ? label.textContent.trim() : '',
                    readout: readout ? (readout.value || readout.textContent || '').trim() : '',
                    now: h.getAttribute('aria-valuenow'), max: h.getAttribute('aria-valuemax')});
      });
      box.querySelectorAll('.widget-dropdown').forEach((d) => {  // reported, not moved
        const label = d.querySelector('.widget-label'), select = d.querySelector('select');
        found.push({box: `${i}-${b}`, dropdown: true, cell: i,
                    label: label ? label.textContent.trim() : '', readout: select ? select.value : ''});
      });
    });
  });
  return found;
}"""

JS_SIGNATURE = """(id) => {
  const box = document.querySelector(`[data-labcheck="${id}"]`);
  if (!box) return null;
  const out = box.querySelector('.widget-output') || box;
  const imgs = [...out.querySelectorAll('img')].map((i) => i.src.length + ':' + i.src.slice(-120));
  return imgs.join('|') + '#' + (out.innerText || '').slice(0, 2000);
}"""


def _run_notebook(page, lab_url: str, token: str, rel: str, n: int, timeout: float) -> tuple[dict, float]:
    page.goto(f"{lab_url}/lab/workspaces/lab-check-{n}/tree/{rel}?token={token}&reset",
              wait_until="domcontentloaded")
    page.wait_for_function(JS_READY, timeout=120_000, polling=250)
    page.wait_for_timeout(1500)  # let the page finish its own requests to the new kernel
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    start = time.monotonic()
    # the kernel was started for this page and has run nothing: Run All is Restart and Run All
    # (a scripted restart right after opening races the page's first requests to the kernel)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    stable, state = 0, {}
    while time.monotonic() - start < timeout:
        page.wait_for_timeout(500)
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():  # a restart dialog despite the setting: accept it as a student would
            dialog.first.click()
            continue
        state = page.evaluate(JS_STATE)
        done = state["status"] == "idle" and not state["pending"] and (
            not state["unrun"] or state["errors"])
        stable = stable + 1 if done else 0
        if stable >= 3:
            return state, time.monotonic() - start - 1.0
    state["timeout"] = True
    return state, time.monotonic() - start


def _check_widgets(page, rel: str, issues: list[Issue]) -> list[dict]:
    sliders = page.evaluate(JS_SLIDERS)
    for s in sliders:
        if s.get("dropdown"):
            continue
        sig = page.evaluate(JS_SIGNATURE, s["box"])
        handle = page.locator(f'[data-labcheck="{s["box"]}"]').locator(
            ".noUi-handle, .slider-handle, input[type=range]").nth(s["slider"])
        key = "ArrowLeft" if s["now"] is not None and s["now"] == s["max"] else "ArrowRight"
        handle.scroll_into_view_if_needed()
        handle.focus()
        t0 = time.monotonic()
        page.keyboard.press(key)
        while time.monotonic() - t0 < REDRAW_TIMEOUT:
            page.wait_for_timeout(200)
            now = page.evaluate(JS_SIGNATURE, s["box"])
            if now and now != sig and now.split("#")[0] and page.evaluate(JS_STATE)["status"] == "idle":
                s["redraw"] = round(time.monotonic() - t0, 2)
                break
        else:
            issues.append(Issue(rel, "widget", f"cell {s['cell']}: the explorer did not redraw within "
                                f"{REDRAW_TIMEOUT:.0f} s after {key} on its slider "
                                f"{s['label'] or s['slider']!r}"))
    return sliders


def _screenshot(page, out: Path, rel: str) -> list[Path]:
    """Full-length 1280 px screenshots of the open notebook, cut in screens of 2400 px."""
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(rel).stem
    page.evaluate("() => window.jupyterapp.commands.execute('application:set-mode', "
                  "{mode: 'single-document'})")
    page.wait_for_timeout(300)
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => d.open = false)")
    scroller = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
    total = page.evaluate(f"() => document.querySelector('{scroller}').scrollHeight")
    view = page.viewport_size
    height = 2400
    page.set_viewport_size({"width": 1280, "height": height})
    page.wait_for_timeout(500)
    inner = page.evaluate(f"() => document.querySelector('{scroller}').clientHeight")
    written, y, k = [], 0, 1
    while y < total:
        page.evaluate(f"() => document.querySelector('{scroller}').scrollTop = {y}")
        page.wait_for_timeout(400)
        target = out / f"{stem}-1280-{k:02d}.png"
        page.screenshot(path=str(target))
        written.append(target)
        y, k = y + inner, k + 1
    page.set_viewport_size(view)
    return written


def check(notebooks: list[str], edition: Path, lab: Lab, solutions: dict[str, list[str]] | None = None,
          shots: Path | None = None,
          shot_names: tuple[str, ...] = tuple(SHOTS),
          verbose: bool = True) -> tuple[list[Issue], dict, dict[str, int]]:
    """Run each notebook (paths relative to ``edition``) in JupyterLab.

    Returns (issues, details per notebook: seconds, sliders, screenshots, and the known upstream
    console errors with their counts)."""
    from playwright.sync_api import sync_playwright

    issues: list[Issue] = []
    details: dict[str, dict] = {}
    known: dict[str, int] = {}
    solutions = solutions or {}
    origin = lab.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      service_workers="block")
        current = [""]

        def route(r):
            url = r.request.url
            if url.startswith((origin + "/", "data:", "blob:", "about:")) or url == origin:
                r.continue_()
            else:
                issues.append(Issue(current[0], "offline", f"request to another host: {url[:120]}"))
                r.abort("blockedbyclient")

        context.route("**/*", route)
        page = context.new_page()
        def on_console(msg) -> None:
            if msg.type != "error" or "ERR_BLOCKED_BY_CLIENT" in msg.text:
                return
            for key in KNOWN_CONSOLE_ERRORS:
                if key in msg.text:
                    known[key] = known.get(key, 0) + 1
                    return
            issues.append(Issue(current[0], "console", msg.text[:300]))

        page.on("console", on_console)
        page.on("pageerror", lambda e: issues.append(Issue(current[0], "console",
                                                           f"uncaught exception: {e}"[:300])))
        for n, rel in enumerate(notebooks):
            current[0] = rel
            stored = stored_outputs(json.loads((edition / rel).read_text(encoding="utf-8")))
            try:
                state, took = _run_notebook(page, origin, lab.token, rel, n, RUN_TIMEOUT)
            except Exception as exc:  # noqa: BLE001  (a page that never loads is a finding)
                issues.append(Issue(rel, "timeout", f"the notebook did not open or run: {exc}"[:300]))
                details[rel] = {"seconds": None}
                continue
            if state.get("timeout"):
                issues.append(Issue(rel, "timeout", f"Run All not finished after {took:.0f} s: {state}"))
            seen = page.evaluate(JS_READ, solutions.get(rel, []))
            for md in seen["markdown"]:
                if md.get("unrendered"):
                    issues.append(Issue(rel, "markup", f"cell {md['cell']}: Markdown not rendered"))
                found = scan_markup(md["text"])
                if found:
                    issues.append(Issue(rel, "markup", f"cell {md['cell']}: {found[:4]}"))
            for fence in seen["fences"]:
                issues.append(Issue(rel, "markup", f"cell {fence['cell']}: {fence['text']}"))
            for sol in seen["solutions"]:
                issues.append(Issue(rel, "solution", f"cell {sol['cell']}: {sol['text']!r} in view"))
            for code in seen["code"]:
                had = code["index"] < len(stored) and stored[code["index"]]
                for err in code["errors"]:
                    issues.append(Issue(rel, "error", f"cell {code['cell']}: {err[:200]}"))
                for err in code["stderr"]:
                    issues.append(Issue(rel, "stderr", f"cell {code['cell']}: {err!r}"))
                shown = [it for it in code["items"] if it["content"]]
                blank = [it["mime"] or "?" for it in code["items"] if not it["content"]]
                if (had and not shown and code["ran"]) or blank:
                    issues.append(Issue(rel, "empty", f"cell {code['cell']}: empty output area"
                                        + (f" ({', '.join(blank)})" if blank else
                                           " (the stored notebook has output here)")))
            details[rel] = {"seconds": round(took, 1)}
            if shots is not None and rel in shot_names:  # as Run All leaves it, before any key press
                details[rel]["screenshots"] = [str(p) for p in _screenshot(page, shots, rel)]
            sliders = details[rel]["sliders"] = _check_widgets(page, rel, issues)  # those that ran
            if verbose:
                redraws = [s.get("redraw") for s in sliders if s.get("redraw") is not None]
                mine = sum(1 for i in issues if i.notebook == rel)
                print(f"  {took:6.1f} s  {rel}  ({mine} issue(s)"
                      + (f"; {len(redraws)} slider(s), redraw {min(redraws):.1f}-{max(redraws):.1f} s"
                         if redraws else "") + ")", flush=True)
            page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")
        browser.close()
    return list(dict.fromkeys(issues)), details, known  # a retried request is reported once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="book notebooks to check (default: the chapters and the case study)")
    parser.add_argument("--all", action="store_true", help="every notebook of _toc.yml")
    parser.add_argument("--fixture-only", action="store_true", help="only run the fixtures")
    parser.add_argument("--no-fixture", action="store_true", help="skip the fixtures")
    parser.add_argument("--screenshots", type=Path, nargs="?", const=ROOT / "_build" / "lab-screenshots",
                        help="write 1280 px screenshots of ch1, ch2 and the case study after Run All "
                             "(default folder _build/lab-screenshots)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary edition (prints where)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM",
              file=sys.stderr)
        return 2
    if args.notebooks:
        paths = [p.resolve() for p in args.notebooks]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            print(f"no such notebook: {', '.join(missing)}", file=sys.stderr)
            return 2
    else:
        paths = [ROOT / p for p in toc.notebooks()] if args.all else [ROOT / p for p in CHAPTERS]
    if args.fixture_only:
        paths = []

    work = Path(tempfile.mkdtemp(prefix="lab-check-"))
    edition, state = work / "edition", work / "state"
    state.mkdir(parents=True)
    lab = Lab(edition, state)

    def on_signal(signum, frame):  # Ctrl-C or a CI timeout: stop the server, then leave
        lab.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        t0 = time.monotonic()
        rels = make_edition(edition, paths)
        expected = {} if args.no_fixture else write_fixtures(edition / "lab-check-fixtures")
        print(f"lab-check: student edition of {len(rels)} notebook(s) in {time.monotonic() - t0:.1f} s"
              f"; JupyterLab on 127.0.0.1", flush=True)
        lab.start()
        issues, details, known = [], {}, {}
        if expected:
            print("fixtures (each must be reported):")
            found, _, known = check(list(expected), edition, lab, verbose=True, solutions={
                rel: FIXTURE_SOLUTIONS.get(Path(rel).name, []) for rel in expected})
            for rel, kinds in expected.items():
                got = {i.kind for i in found if i.notebook == rel}
                for kind in sorted(kinds - got):
                    issues.append(Issue(rel, "fixture", f"the check did not report {kind!r} on its "
                                        "fixture: it cannot fail on that"))
                for i in found:
                    if i.notebook == rel:
                        print(f"    reported, as it must be: [{i.kind}] {i.detail}"[:160])
        if rels:
            print(f"notebooks ({len(rels)}):")
            t1 = time.monotonic()
            sols = {rel: solution_fragments(json.loads((ROOT / rel).read_text(encoding="utf-8")))
                    for rel in rels}
            found, details, more = check(rels, edition, lab, sols, shots=args.screenshots)
            issues += found
            for key, count in more.items():
                known[key] = known.get(key, 0) + count
            print(f"  {time.monotonic() - t1:.0f} s in all")
    finally:
        lab.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    for rel, d in details.items():
        for s in d.get("sliders", []):
            print(f"  explorer {rel} cell {s['cell']}: {s['label']} opens at {s['readout']}")
        for shot in d.get("screenshots", []):
            print(f"  screenshot {shot}")
    for key, count in known.items():
        print(f"  known JupyterLab console error, {count} time(s): {key}")
    for issue in issues:
        print(issue)
    print(f"lab-check: {len(rels)} notebook(s), {len(issues)} issue(s)")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
