"""The student edition: the book's notebooks as every Jupyter front end shows them.

    python tools/student_edition.py                 # every notebook of _toc.yml -> _build/student/
    python tools/student_edition.py --out DIR book/wT/wT_derivation.ipynb
    python tools/student_edition.py --clean --out student      # the copy kept in the repository
    python tools/student_edition.py --check student             # exit 1 if that copy is stale

JupyterLab, Colab, VS Code and GitHub render plain Markdown, not the book's MyST: a number glued
into the prose shows as `{glue:text}`key``, a cross-reference as `{numref}`fig-x``, a solution
in plain view. This tool writes, from the stored notebooks (their outputs hold every glued
value, from the same execution as the website), a copy in plain Markdown:

- glued values written in as text, formatted as the book formats them;
- cross-references as links (a figure or section of the same notebook: an anchor; another page:
  its student notebook; a citation: author and year from references.bib);
- `(label)=` targets as HTML anchors; admonitions as block quotes; exercises as bold headings;
  solutions folded in `<details>`, and solutions written as code cells moved to a final
  "Solutions" section, so no answer shows before the reader asks for it;
- figure captions (cell metadata on the website) as a line under the figure;
- the website-only cells left out (glue and claim guards, tag `remove-cell`, and the Bokeh live
  figures, `web_*`), and the JupyterLab explorers (`explore_*`, hidden on the website) shown.

Stored outputs are kept, so the notebook reads well before it is run. `make lab` opens this edition.

The repository keeps a copy without outputs (`--clean`, in student/, small and unchanged when a
notebook is merely re-executed): the site's Binder and Colab buttons open it (they open files of
the repository), and the site's download button serves the edition with outputs
(_ext/site_assets.py writes it into the built site). `make outputs` regenerates student/;
tests/test_student_edition.py fails when it is stale.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import toc  # noqa: E402

GLUE_MIME = "application/papermill.record/text/plain"
#: what must never be left in a student notebook's Markdown
RAW_MYST = re.compile(r"\{(glue|numref|ref|doc|cite|eq|term|download)(:[a-z]+)?\}`|^\([\w-]+\)=\s*$"
                      r"|^:(class|label|name|alt|width|format):|^(```+|:::+)\{", re.M)
_ROLE = re.compile(r"\{(glue:text|glue:md|glue|numref|ref|doc|cite|cite:p|cite:t)\}`([^`]*)`")
_FENCE = re.compile(r"^(?P<fence>```+|:::+)\{(?P<name>[a-z:-]+)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)"
                    r"^(?P=fence)[ \t]*$", re.M | re.S)
_OPTION = re.compile(r"^:([a-z-]+):[ \t]*(.*)$", re.M)
#: sphinx-exercise's gated solutions: a start block (with options) and an end block, each a fence
_SOLUTION_MARK = re.compile(r"^(?P<fence>```+|:::+)\{(?P<kind>solution-start|solution-end)\}[^\n]*\n"
                            r"(?:.*?\n)??(?P=fence)[ \t]*(?:\n|$)", re.M | re.S)
#: the website's live figure: its import is left out with its cells
_WEB_IMPORT = re.compile(r"^from coursepages\.webfig import web_figure[ \t]*\n", re.M)


def glue_values(path: Path) -> dict[str, object]:
    """Every value a notebook glues, read from its stored outputs."""
    values: dict[str, object] = {}
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            name = (out.get("metadata") or {}).get("scrapbook", {}).get("name")
            data = out.get("data") or {}
            text = data.get(GLUE_MIME, data.get("text/plain"))
            if name and text is not None:
                text = "".join(text)
                try:
                    values[name] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[name] = text
    return values


def page_title(page: Path) -> str:
    """The first heading of a notebook or Markdown page (its title on the website)."""
    try:
        if page.suffix == ".ipynb":
            nb = json.loads(page.read_text(encoding="utf-8"))
            text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        else:
            text = page.read_text(encoding="utf-8")
    except OSError:
        return page.stem.replace("_", " ")
    m = re.search(r"^#\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else page.stem.replace("_", " ")


def bib_labels(bib: Path = ROOT / "references.bib") -> dict[str, str]:
    """key -> "Author et al. Year" for every entry of references.bib."""
    labels = {}
    for m in re.finditer(r"@\w+\{([^,]+),(.*?)\n\}", bib.read_text(encoding="utf-8"), re.S):
        key, body = m.group(1).strip(), m.group(2)
        author = re.search(r"author\s*=\s*[{\"](.+?)[}\"]\s*,?\s*\n", body, re.S)
        year = re.search(r"year\s*=\s*[{\"]?(\d{4})", body)
        names = [a.strip() for a in (author.group(1) if author else key).split(" and ")]
        last = [n.split(",")[0].strip() if "," in n else n.split()[-1] for n in names if n]
        who = last[0] if len(last) == 1 else (f"{last[0]} and {last[1]}" if len(last) == 2
                                              else f"{last[0]} et al.")
        labels[key] = f"{re.sub(r'[{}]', '', who)} {year.group(1) if year else ''}".strip()
    return labels


class Converter:
    """Turns one notebook's MyST Markdown into plain Markdown (see the module docstring)."""

    def __init__(self, path: Path, book: Path = ROOT / "book"):
        self.path = path.resolve()
        self.glue = glue_values(self.path)
        self.bib = bib_labels()
        self.book = book
        self.labels = self._labels()

    def _labels(self) -> set[str]:
        nb = json.loads(self.path.read_text(encoding="utf-8"))
        found = set()
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            found.update(re.findall(r"^\(([\w-]+)\)=", src, re.M))
            found.update(re.findall(r"^:label:\s*(\S+)", src, re.M))
            name = ((cell.get("metadata") or {}).get("mystnb") or {}).get("figure", {}).get("name")
            if name:
                found.add(name)
        return found

    def _glue(self, target: str) -> str:
        source, _, rest = target.rpartition("::") if "::" in target else ("", "", target)
        key, _, fmt = rest.partition(":")
        values = self.glue if not source else glue_values((self.path.parent / source).resolve())
        if key not in values:
            raise KeyError(f"{self.path.name}: no glued value {key!r}")
        value = values[key]
        return format(value, fmt) if fmt and isinstance(value, int | float) else str(value)

    def _ref(self, kind: str, target: str) -> str:
        m = re.fullmatch(r"(.*?)\s*<([^>]+)>", target, re.S)
        text, label = (m.group(1), m.group(2)) if m else ("", target)
        if kind == "doc":
            base = (self.path.parent / label).resolve()
            page = next((base.with_suffix(s) for s in (".ipynb", ".md") if base.with_suffix(s).exists()),
                        base.with_suffix(".ipynb"))
            href = Path(_relative(page, self.path.parent)).as_posix()
            return f"[{text or page_title(page)}]({href})"
        if kind == "numref":
            text = (text.replace("%s", "").strip() or "the figure") if text else "the figure"
        text = text or "this section"
        return f"[{text}](#{label})" if label in self.labels else text

    def roles(self, text: str) -> str:
        def repl(m: re.Match) -> str:
            kind, target = m.group(1), m.group(2)
            if kind.startswith("glue"):
                return self._glue(target)
            if kind.startswith("cite"):
                return "(" + "; ".join(self.bib.get(k.strip(), k.strip())
                                       for k in target.split(",")) + ")"
            return self._ref(kind, target)
        text = _ROLE.sub(repl, text)
        return re.sub(r"\(\(([^()]*)\)\)", r"(\1)", text)

    def directives(self, text: str) -> str:
        def repl(m: re.Match) -> str:
            name, arg, body = m.group("name"), m.group("arg").strip(), m.group("body")
            options = dict(_OPTION.findall(body))
            body = _OPTION.sub("", body).strip("\n")
            body = self.directives(body)
            anchor = f'<a id="{options["label"]}"></a>\n\n' if "label" in options else ""
            if name == "glue:md":
                return self.markdown(self._glue(arg)) + "\n"
            if name == "glue:figure":
                return ""  # the figure is the output of the cell that glued it
            if name == "exercise":
                return f"{anchor}**Exercise.** {body}\n"
            if name == "solution":
                return f"<details><summary>Solution (click to show)</summary>\n\n{body}\n\n</details>\n"
            if name in ("admonition", "note", "warning", "tip", "important"):
                title = arg or name.capitalize()
                quoted = "\n".join("> " + line if line else ">" for line in body.splitlines())
                return f"> **{title}**\n>\n{quoted}\n"
            if name == "figure":
                alt = options.get("alt", "")
                href = Path(_relative((self.path.parent / arg).resolve(), self.path.parent)).as_posix()
                name_ = options.get("name")
                lead = f'<a id="{name_}"></a>\n\n' if name_ else ""
                return f"{lead}![{alt}]({href})\n\n*{body.strip()}*\n"
            return body
        return _FENCE.sub(repl, text)

    def markdown(self, text: str) -> str:
        text = re.sub(r"^\(([\w-]+)\)=[ \t]*$", r'<a id="\1"></a>', text, flags=re.M)
        return self.roles(self.directives(text))

    def notebook(self) -> dict:
        nb = json.loads(self.path.read_text(encoding="utf-8"))
        kept = kept_code_cells(nb["cells"])
        cells, solutions, in_solution = [], [], False
        for index, cell in enumerate(nb["cells"]):
            tags = set((cell.get("metadata") or {}).get("tags", []))
            src = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                pos = 0
                for m in _SOLUTION_MARK.finditer(src):
                    segment = src[pos:m.start()]
                    if segment.strip():
                        (solutions if in_solution else cells).append(_markdown(self.markdown(segment)))
                    if m.group("kind") == "solution-start":
                        in_solution = True
                        solutions.append(_markdown("**Solution.**"))
                    else:
                        in_solution = False
                    pos = m.end()
                segment = src[pos:]
                if segment.strip():
                    (solutions if in_solution else cells).append(_markdown(self.markdown(segment)))
                continue
            if cell["cell_type"] != "code":
                continue
            if index not in kept:
                continue
            target = solutions if (in_solution or kept[index]) else cells
            new = copy.deepcopy(cell)
            new["source"] = _WEB_IMPORT.sub("", src)
            # glued values are records for the website, not outputs a front end can show
            new["outputs"] = [o for o in new.get("outputs", [])
                              if not (o.get("metadata") or {}).get("scrapbook")]
            new["metadata"] = {k: v for k, v in new.get("metadata", {}).items() if k != "mystnb"}
            new["metadata"]["tags"] = [t for t in tags if t not in ("remove-cell", "remove-input",
                                                                     "hide-input")]
            target.append(new)
            figure = ((cell.get("metadata") or {}).get("mystnb") or {}).get("figure") or {}
            if figure.get("caption") and not in_solution:
                anchor = f'<a id="{figure["name"]}"></a>' if figure.get("name") else ""
                cells.append(_markdown(f"{anchor}*Figure: {self.roles(figure['caption'])}*"))
        if solutions:
            cells.append(_markdown("## Solutions\n\nThe worked solutions of the exercises above. "
                                   "Try each exercise first."))
            cells.extend(solutions)
        for i, cell in enumerate(cells):
            cell.setdefault("id", f"student-{i:03d}")
        out = dict(nb)
        out["cells"] = cells
        out["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k != "widgets"}
        return out


def _names(src: str) -> tuple[set[str], set[str]]:
    """The names a code cell defines and the names it reads (IPython magics skipped)."""
    code = "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(), set()
    defined, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    return defined, used


def solution_cells(cells: list[dict]) -> set[int]:
    """Indices of the cells inside a gated solution (between solution-start and solution-end)."""
    inside, state = set(), False
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            marks = list(_SOLUTION_MARK.finditer("".join(cell["source"])))
            if marks:
                state = marks[-1].group("kind") == "solution-start"
                continue
        if state:
            inside.add(i)
    return inside


def kept_code_cells(cells: list[dict]) -> dict[int, bool]:
    """The code cells the student edition keeps: index -> True if it goes with the solutions.

    Left out: the website's live figures (`web_*`), and the website-only cells (tag `remove-cell`:
    glue, claim guards), except the Colab install cell, the JupyterLab explorers, and a hidden
    cell that last defines a name a kept cell reads (a solution may use it); such a cell goes
    with the solutions when only solutions read it, so no answer shows before its exercise.
    """
    code = {i: "".join(c["source"]) for i, c in enumerate(cells) if c["cell_type"] == "code"}
    in_solution = solution_cells(cells)
    web = {i for i, src in code.items() if re.search(r"\bweb_\w+\(", src)}
    kept = {}
    for i, src in code.items():
        tags = set((cells[i].get("metadata") or {}).get("tags", []))
        explorer = "explore_" in src
        install = cells[i].get("id") == "colab-install"
        if i not in web and ("remove-cell" not in tags or explorer or install):
            kept[i] = i in in_solution
    names = {i: _names(src) for i, src in code.items()}
    changed = True
    while changed:
        changed = False
        last: dict[str, int] = {}
        readers: dict[int, set[bool]] = {}
        for j in sorted(code):
            if j in kept:
                for name in names[j][1] - names[j][0]:
                    k = last.get(name)
                    if k is not None and k not in kept and k not in web:
                        readers.setdefault(k, set()).add(kept[j])
            for name in names[j][0]:
                last[name] = j
        for k, contexts in readers.items():
            kept[k] = contexts == {True} or k in in_solution
            changed = True
    return kept


def _markdown(text: str) -> dict:
    lines = text.splitlines(keepends=True)
    return {"cell_type": "markdown", "metadata": {}, "source": lines}


def _relative(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def leftovers(nb: dict) -> list[str]:
    """Raw MyST left in a converted notebook's Markdown (should be none)."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            found += [f"cell {i}: {m.group(0)!r}" for m in RAW_MYST.finditer("".join(cell["source"]))]
    return found


STUDENT = ROOT / "student"


def clean(nb: dict) -> dict:
    """The notebook without outputs (the repository's copy: readers run it in Binder or Colab)."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def render(path: Path, without_outputs: bool = False) -> str:
    nb = Converter(path).notebook()
    bad = leftovers(nb)
    if bad:
        raise ValueError(f"{path}: MyST left after conversion: {bad[:5]}")
    if without_outputs:
        nb = clean(nb)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def stale(out_dir: Path = STUDENT) -> list[str]:
    """Notebooks whose copy in ``out_dir`` (made with --clean) differs from a fresh conversion."""
    found = []
    for path in toc.notebooks():
        rel = (ROOT / path).resolve().relative_to(ROOT)
        target = out_dir / rel
        if not target.is_file() or target.read_text(encoding="utf-8") != render(ROOT / rel, True):
            found.append(str(rel))
    return found


def convert(path: Path, out_dir: Path, without_outputs: bool = False) -> Path:
    """Write the student edition of one notebook under ``out_dir`` (same path below book/)."""
    text = render(path, without_outputs)
    rel = path.resolve().relative_to(ROOT)
    target = out_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def copy_assets(out: Path) -> None:
    """The files the notebooks show beside them, at the same relative place: the diagrams and
    the homework's figures (show_figure reads them offline; without them it fetches the site's)."""
    figures = ROOT / "book" / "figures"
    if figures.is_dir():
        shutil.copytree(figures, out / "book" / "figures", dirs_exist_ok=True)
    (out / "book" / "homework").mkdir(parents=True, exist_ok=True)
    for image in sorted((ROOT / "book" / "homework").glob("*.png")):
        shutil.copy2(image, out / "book" / "homework" / image.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook of _toc.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--clean", action="store_true", help="write the notebooks without outputs")
    parser.add_argument("--check", type=Path, metavar="DIR",
                        help="only check that DIR (made with --clean) is current; exit 1 if not")
    args = parser.parse_args(argv)
    if args.check:
        found = stale(args.check.resolve())
        for rel in found:
            print(f"stale: {args.check / rel}")
        print(f"{len(found)} stale student notebook(s) in {args.check}"
              + ("; run `make outputs` (or tools/student_edition.py --clean --out student)" if found else ""))
        return 1 if found else 0
    paths = args.notebooks or [ROOT / p for p in toc.notebooks()]
    copy_assets(args.out)
    for path in paths:
        print(f"  {convert(Path(path), args.out, args.clean).relative_to(args.out)}")
    print(f"student edition of {len(paths)} notebooks in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
