"""Write the student copies of the homework from the masters (`make homework`).

    python tools/make_homework.py            # homework/masters/*.ipynb -> book/homework/*.ipynb
    python tools/make_homework.py --check    # exit 1 if a student copy is out of date
    python tools/make_homework.py --secret-file SECRET --roster roster.csv --out handout/
                                             # one variant per student: handout/<id>/*.ipynb
    python tools/make_homework.py --secret-file SECRET --class-variant fall2026 --out handout/
    python tools/make_homework.py --nbgrader source/     # nbgrader's source notebooks

Masters hold ``{{name}}`` placeholders (the numbers of each question, the letters of a figure's
curves); tools/grading/questions.py fills them in: with the public values for the website copy,
or with the values of a variant derived from the instructor's secret (HMAC-SHA256 of the secret,
the student id or class name, and the question id). The secret is a file the instructor keeps
outside the repository; the grader derives the same variant from it and the student id.

The masters use nbgrader's cell conventions. In each code cell of a master:

- the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers included) become one line
  ``raise NotImplementedError(...)`` at the marker's indentation, with a hint that points to the
  check below;
- the lines from ``### BEGIN HIDDEN TESTS`` to ``### END HIDDEN TESTS`` are removed.

The figures of the interpretation questions are drawn here (tools/grading/figures.py, with the
letters of the copy's variant), never in the student's kernel: each is written as a PNG file
beside the copy and stored as the output of its figure cell, whose code only shows the file
(``show_figure("hw1_q5.png")``). The public copy is then executed in a fresh kernel (as
tools/execute_notebooks.py does) so its stored outputs show every check saying "not answered
yet". Pass ``--no-execute`` to skip that. The result is deterministic: running the tool twice
leaves the files unchanged, which tests/test_homework.py checks.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import secrets
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from grading import figures  # noqa: E402
from grading import questions as spec  # noqa: E402

MASTERS = ROOT / "homework" / "masters"
STUDENT = ROOT / "book" / "homework"

BEGIN_SOLUTION = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
END_HIDDEN = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
STUB = 'raise NotImplementedError("replace this line with your answer")'


class MarkerError(ValueError):
    """A master's solution or hidden-test markers do not pair up."""


def strip_source(source: str, where: str = "cell") -> str:
    """Return ``source`` with solutions replaced by a stub and hidden tests removed."""
    out: list[str] = []
    mode = None  # None, "solution" or "hidden"
    for number, line in enumerate(source.splitlines(), start=1):
        begin = BEGIN_SOLUTION.match(line)
        if mode is None and begin:
            out.append(begin.group(1) + STUB)
            mode = "solution"
        elif mode is None and BEGIN_HIDDEN.match(line):
            mode = "hidden"
        elif mode == "solution" and END_SOLUTION.match(line):
            mode = None
        elif mode == "hidden" and END_HIDDEN.match(line):
            mode = None
        elif mode is None and (END_SOLUTION.match(line) or END_HIDDEN.match(line)):
            raise MarkerError(f"{where}, line {number}: END marker without a BEGIN")
        elif mode is not None and (begin or BEGIN_HIDDEN.match(line)):
            raise MarkerError(f"{where}, line {number}: BEGIN marker inside an open {mode} block")
        elif mode is None:
            out.append(line)
    if mode is not None:
        raise MarkerError(f"{where}: {mode} block is never closed")
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def assignment_of(master: nbformat.NotebookNode) -> str:
    return master.metadata["gradlab"]["assignment"]


def render_master(master: nbformat.NotebookNode, secret: bytes | None = None, key: str = "",
                  with_answers: bool = True) -> nbformat.NotebookNode:
    """The master with its placeholders filled: public values, or variant ``key`` of ``secret``.
    A variant's setup cell also calls ``use_variant`` (numbers are graded after hand-in)."""
    nb = copy.deepcopy(master)
    assignment = assignment_of(nb)
    values = spec.template_values(assignment, secret, key, with_answers=with_answers)
    for cell in nb.cells:
        cell.source = spec.render(cell.source, values)
        if secret is not None and cell.cell_type == "code" and "setup_notebook()" in cell.source:
            cell.source += (f"\n\nfrom gradlab.homework.checks import use_variant  # noqa: E402\n\n"
                            f'use_variant("{assignment}", "{values["variant"]}")')
    nb.metadata["gradlab"]["variant"] = values["variant"]
    return nb


SHOW_FIGURE = re.compile(r'^show_figure\("([\w.]+\.png)"\)', re.MULTILINE)


def figure_files(master: nbformat.NotebookNode, secret: bytes | None = None,
                 key: str = "") -> dict[str, bytes]:
    """File name -> PNG of the figures of a master's copy (public, or variant ``key``)."""
    return figures.figure_files(spec.params(assignment_of(master), secret, key))


def figure_output(data: bytes) -> nbformat.NotebookNode:
    """The stored output of a figure cell: what ``show_figure`` displays for that file."""
    import base64

    return nbformat.v4.new_output("display_data", data={
        "image/png": base64.b64encode(data).decode(),
        "text/plain": "<IPython.core.display.Image object>"},
        metadata={"image/png": {"width": _png_size(data)[0] // 2,
                                "height": _png_size(data)[1] // 2}})


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def student_notebook(master: nbformat.NotebookNode, name: str = "master",
                     secret: bytes | None = None, key: str = "",
                     files: dict[str, bytes] | None = None) -> nbformat.NotebookNode:
    """The student copy of a master notebook (public, or a variant), without outputs except
    the figures ``files`` (file name -> PNG) as the stored outputs of their cells."""
    nb = copy.deepcopy(master)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.source = strip_source(cell.source, f"{name} cell {index}")
            cell.outputs = []
            cell.execution_count = None
            shown = SHOW_FIGURE.search(cell.source)
            if shown and files is not None:
                if shown.group(1) not in files:
                    raise KeyError(f"{name} cell {index} shows {shown.group(1)}, which "
                                   f"tools/grading/figures.py does not draw")
                cell.outputs = [figure_output(files[shown.group(1)])]
    return render_master(nb, secret, key, with_answers=False)


GRADED_CHECK = re.compile(r'^check\(("hw\d+\.q\d+", \w+)\)$', re.MULTILINE)
GRADE_IMPORT = ("from gradlab.homework.checks import grade  "
                "# imported here: a graded cell trusts no earlier cell")


def nbgrader_notebook(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """nbgrader's source notebook of a master (public numbers, with its solutions): each graded
    cell's ``check(...)`` becomes ``grade(...)``, imported in that cell, which fails the cell
    unless the answer is correct. A locked cell's code is restored by nbgrader before grading,
    so what it calls is decided here, not by the names an earlier cell of the student set."""
    nb = render_master(master)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and meta.get("locked"):
            if not GRADED_CHECK.search(cell.source):
                raise MarkerError(f"graded cell {meta.get('grade_id')} holds no check(...)")
            cell.source = GRADE_IMPORT + "\n" + GRADED_CHECK.sub(r"grade(\1)", cell.source)
    return nb


def write_nbgrader_sources(out: Path) -> list[Path]:
    """nbgrader's ``source/<assignment>/`` folders: the notebooks and their figures."""
    written = []
    for path in masters():
        master = nbformat.read(path, as_version=4)
        folder = Path(out) / assignment_of(master)
        folder.mkdir(parents=True, exist_ok=True)
        files = figure_files(master)
        for file, data in files.items():
            (folder / file).write_bytes(data)
        nbformat.write(nbgrader_notebook(master), folder / path.name)
        written.append(folder / path.name)
    return written


def masters() -> list[Path]:
    return sorted(MASTERS.glob("*.ipynb"))


def write_copies(execute: bool = True) -> list[Path]:
    """Write (and by default execute) the student copy of every master; return their paths."""
    sys.path.insert(0, str(ROOT / "tools"))
    from execute_notebooks import execute as run_notebook

    written = []
    for path in masters():
        master = nbformat.read(path, as_version=4)
        files = figure_files(master)
        for file, data in files.items():
            (STUDENT / file).write_bytes(data)
        nb = student_notebook(master, path.name, files=files)
        target = STUDENT / path.name
        nbformat.write(nb, target)
        if execute:
            seconds = run_notebook(target)
            print(f"{seconds:7.1f} s  {target.relative_to(ROOT)}")
        written.append(target)
    return written


CHECKS = ROOT / "src" / "gradlab" / "homework" / "checks.py"
TABLE_BEGIN = "# --- public outputs: generated by `make homework` (tools/make_homework.py) ---\n"
TABLE_END = "# --- end of public outputs ---\n"


def public_outputs_block() -> str:
    """The self-check's table of right outputs for the public cases (never the graded ones)."""
    import pprint

    from grading import reference

    table = {qid: [row["want"] for row in rows] for qid, rows in reference.public_table().items()}
    body = pprint.pformat(table, width=100, compact=True, sort_dicts=True)
    return f"{TABLE_BEGIN}_PUBLIC_OUTPUTS = {body}\n{TABLE_END}"


def write_public_outputs(check_only: bool = False) -> bool:
    """Put the public outputs into gradlab/homework/checks.py; True if it was (or would be) changed."""
    text = CHECKS.read_text(encoding="utf-8")
    start, end = text.index(TABLE_BEGIN), text.index(TABLE_END) + len(TABLE_END)
    new = text[:start] + public_outputs_block() + text[end:]
    if new != text and not check_only:
        CHECKS.write_text(new, encoding="utf-8")
    return new != text


def stale_copies() -> list[Path]:
    """Student copies whose code or markdown differs from what the masters would give."""
    stale = []
    for path in masters():
        want = student_notebook(nbformat.read(path, as_version=4), path.name)
        target = STUDENT / path.name
        if not target.exists():
            stale.append(target)
            continue
        have = nbformat.read(target, as_version=4)
        strip = lambda n: [(c.cell_type, c.source, dict(c.metadata)) for c in n.cells]  # noqa: E731
        shown = {m.group(1) for c in want.cells if c.cell_type == "code"
                 for m in SHOW_FIGURE.finditer(c.source)}
        if strip(have) != strip(want) or not all((STUDENT / f).is_file() for f in shown):
            stale.append(target)
    return stale


ODDS = STUDENT / "_variant_odds.md"


def write_odds(check_only: bool = False) -> bool:
    """The instructors' page's table of the odds that a neighbour's answers score on another
    variant (tools/grading/odds.py, computed from the variant spaces); True if it was (or would
    be) changed."""
    from grading import odds

    text = odds.markdown()
    changed = not ODDS.exists() or ODDS.read_text(encoding="utf-8") != text
    if changed and not check_only:
        ODDS.write_text(text, encoding="utf-8")
    return changed


HOMEWORK_INIT = ROOT / "src" / "gradlab" / "homework" / "__init__.py"
FIGURES_BEGIN = "# --- public figures: generated by `make homework` (tools/make_homework.py) ---\n"
FIGURES_END = "# --- end of public figures ---\n"


def public_figures_url(config: Path = ROOT / "_config.yml") -> str:
    """Where a browser finds the public copy's figures: the raw files of book/homework/ in the
    repository of _config.yml (GitHub only; "" for another host)."""
    import yaml

    repo = yaml.safe_load(config.read_text(encoding="utf-8")).get("repository") or {}
    url = (repo.get("url") or "").rstrip("/").removesuffix(".git")
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url)
    if not match:
        return ""
    branch = repo.get("branch") or "main"
    return f"https://raw.githubusercontent.com/{match.group(1)}/{branch}/book/homework/"


def write_figures_url(check_only: bool = False) -> bool:
    """Put ``public_figures_url()`` into gradlab/homework/__init__.py; True if it changed."""
    text = HOMEWORK_INIT.read_text(encoding="utf-8")
    start, end = text.index(FIGURES_BEGIN), text.index(FIGURES_END) + len(FIGURES_END)
    new = (text[:start] + FIGURES_BEGIN + f"PUBLIC_FIGURES = {public_figures_url()!r}\n"
           .replace("'", '"') + FIGURES_END + text[end:])
    if new != text and not check_only:
        HOMEWORK_INIT.write_text(new, encoding="utf-8")
    return new != text


SECRET_BYTES = 32


def new_secret(path: Path) -> Path:
    """Write a fresh secret (32 random bytes, base64) to ``path``, readable by you only."""
    import base64

    path = Path(path).expanduser().resolve()
    if ROOT in path.parents:
        raise ValueError(f"secret file must live outside the repository, got {path}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never overwrite one
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(secrets.token_bytes(SECRET_BYTES)) + b"\n")
    return path


def _secret_strength(secret: bytes) -> int:
    """Random bytes the secret holds: its decoded length if it is base64 or hex, its length if
    it is binary, 0 for text (a passphrase can be guessed) and for bytes that repeat (fewer
    than 16 different values: not random)."""
    import base64
    import binascii

    text = secret.strip()
    if re.fullmatch(rb"[0-9a-fA-F]+", text) and len(text) % 2 == 0:
        raw = bytes.fromhex(text.decode())
    elif re.fullmatch(rb"[A-Za-z0-9+/]+={0,2}", text) and len(text) % 4 == 0:
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error:
            return 0
    elif sum(32 <= b < 127 for b in text) > 0.9 * len(text):
        return 0
    else:
        raw = text
    return len(raw) if len(set(raw)) >= 16 else 0


def read_secret(path: Path) -> bytes:
    """The instructor's secret: a file outside the repository holding at least 32 random bytes
    (as ``make secret`` writes them: base64; hex or raw binary also do). Words, passphrases and
    short keys are refused: every variant, and so every answer, derives from the secret."""
    path = Path(path).expanduser().resolve()
    if ROOT in path.parents:
        raise ValueError(f"secret file must live outside the repository, got {path}")
    secret = path.read_bytes().strip()
    if _secret_strength(secret) < SECRET_BYTES:
        raise ValueError(f"secret file must hold at least {SECRET_BYTES} random bytes (base64, "
                         f"hex or binary), {path} does not: create one with "
                         f"`make secret SECRET={path}`")
    return secret


def read_roster(path: Path) -> list[str]:
    """Student ids from a CSV roster with a ``student_id`` column (other columns ignored)."""
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "student_id" not in rows[0]:
        raise ValueError(f"roster must be a CSV file with a student_id column: {path}")
    ids = [r["student_id"].strip() for r in rows if r["student_id"].strip()]
    bad = [i for i in ids if not all(ch.isalnum() or ch in "-_.@" for ch in i)]
    if bad or len(set(ids)) != len(ids):
        raise ValueError(f"roster student_id values must be unique and use letters, digits, "
                         f"-_.@ only; check {bad or 'duplicates'}")
    return ids


def write_variants(secret: bytes, keys: list[str], out: Path) -> list[Path]:
    """One folder per student id (or class name) with its variant of every assignment: the
    notebooks, with the figures drawn for the variant stored in them and as PNG files beside."""
    written = []
    for key in keys:
        folder = Path(out) / key
        folder.mkdir(parents=True, exist_ok=True)
        for path in masters():
            master = nbformat.read(path, as_version=4)
            files = figure_files(master, secret, key)
            for file, data in files.items():
                (folder / file).write_bytes(data)
            nb = student_notebook(master, path.name, secret, key, files=files)
            nbformat.write(nb, folder / path.name)
            written.append(folder / path.name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale student copies")
    parser.add_argument("--no-execute", action="store_true", help="do not store fresh outputs")
    parser.add_argument("--secret-file", type=Path, help="instructor's secret (for variants)")
    parser.add_argument("--roster", type=Path, help="CSV with a student_id column")
    parser.add_argument("--class-variant", help="one variant for the whole class, by this name")
    parser.add_argument("--out", type=Path, help="folder for the variant copies")
    parser.add_argument("--new-secret", type=Path, help="write a fresh secret to this file")
    parser.add_argument("--nbgrader", type=Path, metavar="SOURCE_DIR",
                        help="write nbgrader's source notebooks (and figures) into this folder")
    args = parser.parse_args(argv)
    if args.nbgrader:
        paths = write_nbgrader_sources(args.nbgrader)
        print(f"{len(paths)} nbgrader source notebooks in {args.nbgrader}")
        return 0
    if args.new_secret:
        try:
            print(f"new secret: {new_secret(args.new_secret)} (keep it; share it with no one)")
        except FileExistsError:
            parser.error(f"{args.new_secret} exists: an existing secret is never overwritten")
        except ValueError as err:
            parser.error(str(err))
        return 0
    if args.secret_file:
        if not args.out or bool(args.roster) == bool(args.class_variant):
            parser.error("variants need --out and exactly one of --roster or --class-variant")
        keys = read_roster(args.roster) if args.roster else [args.class_variant]
        paths = write_variants(read_secret(args.secret_file), keys, args.out)
        print(f"{len(paths)} variant copies for {len(keys)} student(s) in {args.out}")
        return 0
    if args.check:
        if write_public_outputs(check_only=True):
            print(f"out of date: {CHECKS.relative_to(ROOT)}'s public outputs (run `make homework`)")
            return 1
        stale = stale_copies()
        if write_odds(check_only=True):
            stale.append(ODDS)
        if write_figures_url(check_only=True):
            stale.append(HOMEWORK_INIT)
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run `make homework`)")
        return 1 if stale else 0
    write_public_outputs()
    write_odds()
    write_figures_url()
    write_copies(execute=not args.no_execute)
    return 0


if __name__ == "__main__":
    sys.exit(main())
