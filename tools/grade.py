"""Grade a folder of submitted homework notebooks into a CSV and one feedback file per student.

    python tools/grade.py SUBMISSIONS [--secret-file SECRET] [--roster roster.csv]
                          [--class-variant NAME] [--out grades.csv] [--feedback DIR]
                          [--jobs N] [--fresh] [--question-timeout 30] [--cell-timeout 60]
                          [--submission-timeout 600] [--memory-mb 3072]
    python tools/grade.py --merge shard1.csv shard2.csv ... --out grades.csv

Trust. Nothing a submission's kernel says about itself counts: ``check``, ``passed`` and any
printed "correct" are ignored, and nothing in the kernel knows an answer. The grader computes
every expected answer in its own process (tools/grading/questions.py for the numbers of the
student's variant, tools/grading/reference.py for the implementations), sends the student's
kernel only inputs it draws at grading time, reads back what the student's functions returned
(JSON, structure validated) and judges that itself with each question's one acceptance rule
(gradlab.homework.checks, the self-check's).

Isolation. Every submission runs in its own kernel inside a bubblewrap sandbox
(tools/grading/sandbox.py) that holds no privilege even when the grader is root: no network, a
private /tmp, read-only system and gradlab, its own notebook read-only, no view of other
submissions, of tools/ or of the masters; every process it started is killed when it ends.
Without bwrap the grader refuses to run unless you pass ``--unsafe-no-sandbox``.

Limits. Each answer cell (``--cell-timeout``; other cells get at least 120 s), each question
(``--question-timeout``) and the whole submission (``--submission-timeout``) have a time limit;
memory, processes, files, /tmp and output are limited too (sandbox.Limits). A question that hits
a limit gets its status (timeout, memory limit, process limit, disk limit, output limit, time
limit) and the next questions are still graded.

Student ids. With ``--roster`` (CSV with a ``student_id`` column), a submission belongs to the
student whose id is the name of its folder under SUBMISSIONS or the start of its file name
(``<id>.ipynb``, ``<id>_anything.ipynb``); without a roster, that folder or file-name part is the
id. Variants: with ``--secret-file``, each student's answers are those of the variant derived
from the secret and the student id (or, with ``--class-variant NAME``, of that one variant for
everyone); without it, the public copy's answers.

Output. ``grades.csv`` gets one row per submission as soon as it is graded (columns: student_id,
submission, assignment, variant, then for each question its points and its status, total,
max_points, flags, message); a rerun continues where the last one stopped. A feedback file per
student and assignment (Markdown, student text escaped) says what each question got and why.
One failing submission never stops the run, which ends with a list of what could not be graded.
The CSV imports into Moodle and Canvas gradebooks: see book/homework/instructors.md.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import difflib
import html
import json
import os
import re
import secrets
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "src"))

from grading import questions as spec  # noqa: E402
from grading import reference  # noqa: E402
from grading.sandbox import (  # noqa: E402
    BWRAP,
    LIMITS,
    Limits,
    SandboxKernel,
    SandboxUnavailable,
    limit_status,
)
from grading.tamper import definitions, shortcuts  # noqa: E402
from grading.tamper import findings as tamper_findings  # noqa: E402
from make_homework import MASTERS, read_roster, read_secret, render_master  # noqa: E402

from gradlab.homework import cases as hwcases  # noqa: E402
from gradlab.homework import checks  # noqa: E402

STATUSES = ("correct", "wrong", "not answered", "error", "timeout", "tampered",
            "memory limit", "process limit", "disk limit", "output limit", "time limit")
# statuses of a cell that ran into a limit (a question whose cell did so gets that status)
LIMIT_STATUSES = ("timeout", "memory limit", "process limit", "disk limit", "output limit")
MAX_BYTES = 20_000_000


def clean(text) -> str:
    """Any text (student messages, file names) as printable UTF-8: lone surrogates and
    undecodable bytes become U+FFFD, control characters spaces."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace") \
        if isinstance(text, str) else str(text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch if ch.isprintable() or ch == " " else " " for ch in text)


def md_escape(text) -> str:
    """Student text for a Markdown table cell: HTML escaped, Markdown syntax backslashed."""
    text = html.escape(clean(text), quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~])", r"\\\1", text)


def csv_safe(value):
    """A CSV cell a spreadsheet will not run as a formula."""
    if isinstance(value, int | float):
        return value
    text = clean(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass
class QuestionResult:
    qid: str
    points: int
    max_points: int
    status: str
    message: str = ""


@dataclass
class Submission:
    path: Path
    name: str
    student_id: str
    assignment: str = ""
    variant: str = ""
    results: list[QuestionResult] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(r.points for r in self.results)

    @property
    def max_points(self) -> int:
        return sum(spec.SPECS[q].points for q in spec.questions(self.assignment)) \
            if self.assignment else 0


# ------------------------------------------------------------------------------ finding work

def find_submissions(folder: Path) -> list[Path]:
    """Every name ending in .ipynb under ``folder`` (symlinks not followed), sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".ipynb_checkpoints")
        found += [Path(dirpath) / f for f in filenames if f.endswith(".ipynb")]
    return sorted(found)


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a submission without ever blocking: regular files only, size-limited."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file (a FIFO, device, link or folder)")
    if info.st_size > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1_000_000} MB")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        text = fh.read(MAX_BYTES + 1).decode("utf-8")
    nb = nbformat.reads(text, as_version=4)
    if not isinstance(nb.get("cells"), list):
        raise ValueError("no cells")
    return nb


def student_id_of(path: Path, folder: Path, roster: list[str] | None) -> str:
    rel = path.relative_to(folder)
    candidates = [rel.parts[0]] if len(rel.parts) > 1 else []
    stem = rel.name[:-len(".ipynb")]
    candidates += [stem, stem.split("_")[0]]
    if roster is None:
        return candidates[0] if len(rel.parts) > 1 else stem.split("_")[0]
    for c in candidates:
        if c in roster:
            return c
    return ""


def assignment_of(path: Path, nb: nbformat.NotebookNode) -> str:
    meta = nb.metadata.get("gradlab", {}).get("assignment")
    if meta in spec.ASSIGNMENTS:
        return meta
    found = re.search(r"(hw\d+)", path.name)
    return found.group(1) if found and found.group(1) in spec.ASSIGNMENTS else ""


# ------------------------------------------------------------------------------ code analysis

def answer_cells(nb: nbformat.NotebookNode, assignment: str) -> dict[str, int]:
    """The index of the code cell that defines ``qN`` for each question of ``assignment``."""
    out = {}
    for qid in spec.questions(assignment):
        name = qid.split(".")[1]
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and re.search(rf"^def\s+{name}\s*\(", cell.source, re.M):
                out[qid] = i
    return out


def is_plumbing(source: str) -> bool:
    """Cells the grader does not run: self-checks (also nbgrader's graded cells), the score,
    the figures, the Colab install cell."""
    lines = [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    graded = "from gradlab.homework.checks import grade"  # nbgrader's graded cells
    calls = "check|summary|show_figure" + ("|grade" if lines and lines[0].startswith(graded) else "")
    return (not lines or all(re.match(rf"\s*({calls})\(", ln) or ln.startswith(graded)
                             for ln in lines)
            or "%pip" in source)


def _normalize(code: str) -> list[str]:
    lines = []
    for line in code.splitlines():
        line = line.split("#")[0].strip()
        if line and "BEGIN SOLUTION" not in line and "END SOLUTION" not in line:
            lines.append(re.sub(r"\s+", " ", line))
    return lines


def published_solutions() -> dict[str, list[str]]:
    """The public master's solution lines of each question (for the near-copy flag)."""
    out: dict[str, list[str]] = {}
    for path in sorted(MASTERS.glob("*.ipynb")):
        nb = render_master(nbformat.read(path, as_version=4))
        assignment = nb.metadata["gradlab"]["assignment"]
        for qid, index in answer_cells(nb, assignment).items():
            block = re.findall(r"BEGIN SOLUTION\n(.*?)### END SOLUTION", nb.cells[index].source,
                               re.S)
            out[qid] = _normalize("\n".join(block))
    return out


def near_copy(student_code: str, solution: list[str]) -> bool:
    mine = _normalize(student_code)
    mine = [ln for ln in mine if not re.match(r"def q\d+\(|return \w+\(", ln)]
    if sum(len(ln) for ln in solution) < 60 or not mine:
        return False
    ratio = difflib.SequenceMatcher(None, "\n".join(mine), "\n".join(solution)).ratio()
    return ratio >= 0.9


# ------------------------------------------------------------------------------ judging

PRELUDE = '''
def _gradlab_grade(nonce, qid, name, cases_json):
    import json
    from gradlab.homework import cases as hwcases
    fn = globals().get(name)
    if cases_json is None:
        try:
            if fn is None:
                record = {"status": "not answered", "message": name + " is not defined"}
            else:
                record = {"status": "ok", "output": hwcases.to_json(fn(), "your answer")}
        except NotImplementedError:
            record = {"status": "not answered"}
        except hwcases.Wrong as err:
            record = {"status": "wrong", "message": str(err)}
        except Exception as err:
            record = {"status": "error", "message": "your code raised "
                      + type(err).__name__ + ": " + str(err)[:160]}
        records = [record]
    else:
        records = [hwcases.run_case(qid, fn, case, globals()) for case in json.loads(cases_json)]
    print(nonce + json.dumps(records))
'''


def _records(stdout: str, nonce: str, count: int) -> list[dict]:
    """The records printed after ``nonce``; ValueError if they are missing or malformed."""
    lines = [ln[len(nonce):] for ln in stdout.splitlines() if ln.startswith(nonce)]
    if len(lines) != 1:
        raise ValueError(f"expected one result line, got {len(lines)}")
    records = json.loads(lines[0])
    if not isinstance(records, list) or len(records) != count or not all(
            isinstance(r, dict) and r.get("status") in ("ok", "not answered", "wrong", "error")
            for r in records):
        raise ValueError("malformed result records")
    for r in records:
        if r["status"] == "ok" and "output" not in r:
            raise ValueError("a record without output")
    return records


def judge_value(qid: str, output, want) -> str:
    """"" if a number/integer/choice answer is right, else a message: the one acceptance rule
    of the question (gradlab.homework.checks.judge, the self-check's), with the variant's answer."""
    if isinstance(output, dict) and "array" in output:  # a 0-d or 1-element array or tensor
        if output.get("shape") == []:
            output = output["array"]
        elif output.get("shape") == [1]:
            output = output["array"][0]
    if isinstance(output, dict | list):
        return f"answer with a single {'letter' if spec.SPECS[qid].kind == 'choice' else 'number'}"
    return checks.judge(qid, output, want)


def _limited(status: str, error: str, limit: float) -> tuple[str, str]:
    """The CSV status and message of a cell or call that ran into a limit."""
    if status == "timeout":
        return "timeout", f"interrupted after {limit:g} s"
    if status == "dead":
        return "error", "the kernel died while running this answer"
    return status, clean(error)[:200]


def grade_questions(kernel: SandboxKernel, sub: Submission, params: dict, secret, key: str,
                    question_timeout: float, timed_out: dict[str, tuple[str, str]], replay,
                    deadline: float) -> None:
    """Ask the kernel for each question's outputs and judge them here. ``replay()`` runs the
    student's cells again in a fresh kernel (after a crash or an unstoppable loop). Past
    ``deadline`` (time.monotonic()) the remaining questions get "time limit"."""
    nonce = "GRADE-" + secrets.token_hex(8) + ":"
    prelude = kernel.execute(PRELUDE, timeout=question_timeout)
    for qid in spec.questions(sub.assignment):
        s = spec.SPECS[qid]
        if qid in timed_out:
            status, message = timed_out[qid]
            sub.results.append(QuestionResult(qid, 0, s.points, status, message))
            continue
        left = deadline - time.monotonic()
        if left <= 1:
            sub.results.append(QuestionResult(qid, 0, s.points, "time limit",
                                              "the submission's total time ran out"))
            continue
        try:
            sub.results.append(grade_question(kernel, qid, params, secret, key, nonce,
                                              prelude.status, min(question_timeout, left),
                                              replay))
        except SandboxUnavailable:
            raise
        except Exception as err:  # noqa: BLE001 - the judge's own failure costs one question
            sub.results.append(QuestionResult(
                qid, 0, s.points, "error",
                f"the grader could not judge this answer ({type(err).__name__}: "
                f"{clean(err)[:120]}); ask your instructor"))


def grade_question(kernel: SandboxKernel, qid: str, params: dict, secret, key: str,
                   nonce: str, prelude_status: str, timeout: float, replay) -> QuestionResult:
    s = spec.SPECS[qid]
    name = qid.split(".")[1]
    cases = spec.cases(qid, secret, key) if s.kind == "function" else None
    call = (f"_gradlab_grade({nonce!r}, {qid!r}, {name!r}, "
            f"{json.dumps(cases) if cases is not None else None!r})")
    run = kernel.execute(call, timeout=timeout)
    if run.status in ("timeout", "dead") or run.status in LIMIT_STATUSES:
        status, message = _limited(run.status, run.error, timeout)
        if run.status == "dead" or "restarted" in run.error:
            if run.status == "dead":
                kernel.restart()
            replay()
        kernel.execute(PRELUDE, timeout=timeout)
        return QuestionResult(qid, 0, s.points, status, message)
    if run.dropped:
        return QuestionResult(qid, 0, s.points, "output limit",
                              "printed more than the grader reads")
    try:
        records = _records(run.stdout, nonce, len(cases) if cases is not None else 1)
    except (ValueError, json.JSONDecodeError) as err:
        status = "tampered" if prelude_status == "ok" and run.status == "ok" else "error"
        return QuestionResult(qid, 0, s.points, status,
                              f"the grading call did not return valid results "
                              f"({clean(err)[:100]}; {clean(run.error)[:100] or 'no error'})")
    message, status = "", "correct"
    for i, record in enumerate(records):
        if record["status"] != "ok":
            status = "not answered" if record["status"] == "not answered" else record["status"]
            message = clean(record.get("message", ""))[:300]
            if status == "error":
                status = limit_status(message, message) or status
            break
        if s.kind == "function":
            msg = hwcases.compare(qid, cases[i], record, reference.expected(qid, cases[i]))
        else:
            msg = judge_value(qid, record["output"], spec.expected(qid, params[qid]))
        if msg:
            status, message = "wrong", clean(msg)
            break
    return QuestionResult(qid, s.points if status == "correct" else 0, s.points, status,
                          message)


def grade_submission(sub: Submission, nb: nbformat.NotebookNode, secret, key: str,
                     sandbox: bool, cell_timeout: float, question_timeout: float,
                     solutions: dict[str, list[str]], other_timeout: float = 120.0,
                     limits: Limits = LIMITS) -> None:
    """Run one submission's cells in a sandboxed kernel and grade its questions into ``sub``.
    Answer cells (those defining ``qN``) get ``cell_timeout`` seconds, other cells (imports,
    figures) ``other_timeout``; the whole submission ``limits.seconds``."""
    deadline = time.monotonic() + limits.seconds
    params = spec.params(sub.assignment, secret, key)
    sub.variant = spec.variant_tag(secret, key)
    claimed = nb.metadata.get("gradlab", {}).get("variant")
    if secret is not None and claimed and claimed != sub.variant:
        sub.flags.append(f"variant mismatch: the notebook says {clean(claimed)[:20]}, "
                         f"student {sub.student_id} has {sub.variant}")
    cells = answer_cells(nb, sub.assignment)
    by_cell = {i: q for q, i in cells.items()}
    for i, cell in enumerate(nb.cells):  # flags only: nothing in the kernel knows an answer
        if cell.cell_type == "code" and cell.source and (found := tamper_findings(cell.source)):
            sub.flags.append(f"tampered: cell {i} uses {', '.join(found[:3])}")
    helpers = definitions([c.source for c in nb.cells if c.cell_type == "code"])
    for qid, i in cells.items():
        used = shortcuts(nb.cells[i].source, helpers, hwcases.FORBIDDEN.get(qid, ()))
        if used:
            sub.flags.append(f"{qid} uses what it forbids: {', '.join(used)} (cell {i})")
    copies = [q for q, i in cells.items() if q in solutions
              and near_copy(nb.cells[i].source, solutions[q])]
    if copies:
        sub.flags.append("near copy of the published solution: " + ", ".join(copies))
    timed_out: dict[str, tuple[str, str]] = {}
    skip: set[int] = set()

    def run_cells() -> None:
        """Run the student's cells in order; a cell that hangs, kills the kernel or hits a
        limit is skipped from then on (and so is its question)."""
        setup = kernel.execute("import matplotlib\nmatplotlib.use('Agg')", timeout=60)
        if setup.status != "ok":
            sub.message = f"the kernel could not start: {clean(setup.error)[:200]}"
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or is_plumbing(cell.source) or i in skip:
                continue
            left = deadline - time.monotonic()
            if left <= 1:
                sub.flags.append("the submission's total time ran out")
                return
            limit = min(cell_timeout if i in by_cell else max(cell_timeout, other_timeout),
                        left)
            run = kernel.execute(cell.source, timeout=limit)
            if run.status in LIMIT_STATUSES or run.status == "dead" or run.dropped:
                skip.add(i)
                status = "output limit" if run.dropped and run.status == "ok" else run.status
                if i in by_cell:
                    timed_out[by_cell[i]] = _limited(status, run.error or
                                                     "printed more than the grader reads",
                                                     limit)
                what = {"timeout": "ran out of time", "dead": "killed its kernel"}.get(
                    status, f"hit the {status}")
                sub.flags.append(f"cell {i} {what}")
            if run.status == "dead" or "restarted" in run.error:
                kernel.restart()
                run_cells()
                return

    with SandboxKernel(sub.path, sandbox=sandbox, limits=limits) as kernel:
        run_cells()
        grade_questions(kernel, sub, params, secret, key, question_timeout, timed_out,
                        run_cells, deadline)


# ------------------------------------------------------------------------------ reports

def csv_fields(assignments: list[str]) -> list[str]:
    qcols = []
    for a in assignments:
        for q in spec.questions(a):
            qcols += [q, f"{q} status"]
    return ["student_id", "submission", "assignment", "variant", *qcols, "total", "max_points",
            "flags", "message"]


def csv_row(sub: Submission) -> dict:
    row = {"student_id": sub.student_id, "submission": sub.name, "assignment": sub.assignment,
           "variant": sub.variant, "total": sub.total, "max_points": sub.max_points,
           "flags": "; ".join(sub.flags), "message": sub.message}
    for r in sub.results:
        row[r.qid], row[f"{r.qid} status"] = r.points, r.status
    return {k: csv_safe(v) for k, v in row.items()}


def feedback(sub: Submission) -> str:
    """The student's feedback (Markdown): every text that came from the submission escaped."""
    e = md_escape
    lines = [f"# {sub.assignment or 'submission'}: {e(sub.student_id or sub.name)}", "",
             f"Submission {e(sub.name)}, variant {e(sub.variant or '-')}: "
             f"**{sub.total} of {sub.max_points} points**.", ""]
    if sub.message:
        lines += [e(sub.message), ""]
    if sub.results:
        lines += ["| question | points | status | what the grader saw |", "| --- | --- | --- | --- |"]
        for r in sub.results:
            text = e(r.message or ("right" if r.status == "correct" else ""))
            lines.append(f"| {r.qid} | {r.points}/{r.max_points} | {r.status} | {text} |")
    if sub.flags:
        lines += ["", "Notes for the instructor: " + e("; ".join(sub.flags)) + "."]
    return "\n".join(lines) + "\n"


# messages of rows a rerun grades again (the grader, not the submission, failed)
RETRY = ("grading failed:", "the sandbox could not start")


def display_name(path: Path, folder: Path) -> str:
    """The submission's path under the folder, printable and unique (bytes that are not UTF-8
    shown as \\xNN)."""
    return clean(os.fsencode(path.relative_to(folder)).decode("utf-8", "backslashreplace"))


def grade_one(path: Path, folder: Path, roster, secret, class_variant, sandbox: bool,
              cell_timeout: float, question_timeout: float, solutions, limits: Limits,
              feedback_dir: Path) -> Submission:
    """Grade one submission; never raises (except KeyboardInterrupt): whatever goes wrong is
    this submission's message and its questions' status."""
    start = time.monotonic()
    sub = Submission(path, display_name(path, folder), "")
    try:
        sub.student_id = clean(student_id_of(path, folder, roster))
        nb = read_notebook(path)
        sub.assignment = assignment_of(path, nb)
        if not sub.assignment:
            sub.message = "cannot tell which assignment this is"
        elif roster is not None and not sub.student_id:
            sub.message = "no student of the roster matches this file"
        else:
            key = class_variant or sub.student_id
            grade_submission(sub, nb, secret, key, sandbox, cell_timeout, question_timeout,
                             solutions, limits=limits)
    except (ValueError, UnicodeError, OSError, nbformat.reader.NotJSONError) as err:
        sub.message = f"not a readable notebook: {clean(err)}"[:300]
    except SandboxUnavailable as err:
        sub.results = []
        sub.message = f"the sandbox could not start: {clean(err)}"[:300]
    except Exception as err:  # noqa: BLE001 - one broken submission must not stop the run
        sub.results = []
        sub.message = f"grading failed: {type(err).__name__}: {clean(err)}"[:300]
    if sub.assignment and not sub.results and not sub.message:
        sub.message = "no question was graded"
    if sub.assignment and not sub.results:
        sub.results = [QuestionResult(q, 0, spec.SPECS[q].points, "error", sub.message)
                       for q in spec.questions(sub.assignment)]
    sub.flags = [clean(f) for f in sub.flags]
    sub.seconds = time.monotonic() - start
    try:
        stem = f"{sub.student_id or 'unknown'}_{sub.assignment or 'unknown'}"
        safe = re.sub(r"[^A-Za-z0-9_.@-]", "_", f"{stem}_{sub.name.rsplit('/', 1)[-1]}")
        safe = safe.removesuffix(".ipynb")[:150]
        (feedback_dir / f"{safe}.md").write_text(feedback(sub), encoding="utf-8")
    except Exception as err:  # noqa: BLE001
        sub.flags.append(f"feedback file not written: {clean(err)[:100]}")
    return sub


def _read_rows(out: Path) -> tuple[list[str], list[dict]]:
    """The header and rows of an existing grades CSV ([] and [] if there is none)."""
    if not out.exists():
        return [], []
    with open(out, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r.get("submission")]
        return list(reader.fieldnames or []), rows


def _unsafe(value: str) -> str:
    return value[1:] if value[:2] in ("'=", "'+", "'-", "'@") else value


def summary(subs: list[Submission]) -> list[str]:
    """One line per submission that could not be graded, or only in part, and why."""
    lines = []
    for sub in subs:
        bad = [f"{r.qid} {r.status}" for r in sub.results
               if r.status in ("error", "time limit", *LIMIT_STATUSES)]
        if sub.message:
            lines.append(f"{sub.name}: {sub.message}")
        elif bad:
            lines.append(f"{sub.name}: graded in part ({', '.join(bad)})")
    return lines


def grade_folder(folder: Path, out: Path, feedback_dir: Path | None = None, *,
                 secret: bytes | None = None, roster: list[str] | None = None,
                 class_variant: str | None = None, sandbox: bool = True,
                 cell_timeout: float = 60.0, question_timeout: float = 30.0,
                 jobs: int = 1, limits: Limits = LIMITS, fresh: bool = False,
                 report=print) -> list[Submission]:
    """Grade every notebook under ``folder``: a CSV row per submission (appended as soon as it
    is graded) and a Markdown feedback file per submission in ``feedback_dir``.

    Resumable: submissions that already have a row in ``out`` are not graded again (except
    rows whose grading failed on the grader's side); the file is rewritten atomically with the
    union of the old and new columns, so a rerun never loses a graded row. ``fresh`` starts
    over (the old file is kept as ``out.bak``). ``jobs`` submissions are graded at once, each
    in its own sandbox and process."""
    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise ValueError(f"submissions must be a folder of .ipynb files, got {folder}")
    if sandbox and BWRAP is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so submissions cannot be isolated. Install it "
            "(apt-get install bubblewrap) or pass --unsafe-no-sandbox to run them with your own "
            "rights (only for notebooks you trust)")
    feedback_dir = Path(feedback_dir) if feedback_dir else out.with_suffix("")
    feedback_dir.mkdir(parents=True, exist_ok=True)
    paths = find_submissions(folder)
    solutions = published_solutions()
    if fresh and out.exists():
        os.replace(out, out.with_name(out.name + ".bak"))
    header, rows = _read_rows(out)
    kept = [r for r in rows if not r.get("message", "").startswith(RETRY)]
    done = {_unsafe(r["submission"]) for r in kept}
    todo = [p for p in paths if display_name(p, folder) not in done]
    present = {a for p in paths for a in spec.ASSIGNMENTS if a in p.name}
    present |= {r.get("assignment", "") for r in kept} & set(spec.ASSIGNMENTS)
    fields = csv_fields(sorted(present) or list(spec.ASSIGNMENTS))
    fields += [f for f in header if f not in fields]
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(kept)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    if len(kept) and todo:
        report(f"resuming: {len(kept)} submissions already graded in {out}, {len(todo)} to go")
    args = (folder, roster, secret, class_variant, sandbox, cell_timeout, question_timeout,
            solutions, limits, feedback_dir)
    graded: list[Submission] = []
    with open(out, "a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="", extrasaction="ignore")

        def record(sub: Submission) -> None:
            writer.writerow(csv_row(sub))
            fh.flush()
            report(f"{sub.seconds:6.1f} s  {sub.name}: {sub.total}/{sub.max_points}"
                   f"{'  [' + '; '.join(sub.flags)[:120] + ']' if sub.flags else ''}"
                   f"{'  ' + sub.message[:120] if sub.message else ''}")
            graded.append(sub)

        if jobs <= 1:
            for path in todo:
                record(grade_one(path, *args))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) \
                    as pool:
                futures = {pool.submit(grade_one, path, *args): path for path in todo}
                for future in as_completed(futures):
                    try:
                        sub = future.result()
                    except Exception as err:  # noqa: BLE001 - a worker died
                        path = futures[future]
                        sub = Submission(path, display_name(path, folder), "",
                                         message=f"grading failed: {type(err).__name__}: "
                                                 f"{clean(err)}"[:300])
                    record(sub)
    problems = summary(graded)
    report(f"{len(graded)} submissions graded now, {len(kept)} earlier: {out}")
    if problems:
        report(f"{len(problems)} could not be graded, or only in part:")
        for line in problems:
            report("  " + line)
    return graded


def merge(parts: list[Path], out: Path) -> int:
    """Merge the CSVs of a class graded in shards (one per machine) into ``out``: the union of
    their columns, one row per submission; a submission graded differently in two shards is an
    error. Returns the number of rows."""
    fields: list[str] = []
    rows: dict[str, dict] = {}
    for part in parts:
        header, part_rows = _read_rows(Path(part))
        fields += [f for f in header if f not in fields]
        for row in part_rows:
            name = row["submission"]
            if name in rows and rows[name] != row:
                raise ValueError(f"{name} has different rows in two of the CSVs: grade it in "
                                 "one shard only")
            rows[name] = row
    known = csv_fields(sorted({r.get("assignment", "") for r in rows.values()}
                              & set(spec.ASSIGNMENTS)))
    fields = [f for f in known if f in fields] + [f for f in fields if f not in known]
    tmp = Path(out).with_name(Path(out).name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))
    os.replace(tmp, out)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--merge"]:
        merger = argparse.ArgumentParser(prog="grade.py --merge",
                                         description="merge the CSVs of a class graded in shards")
        merger.add_argument("parts", type=Path, nargs="+")
        merger.add_argument("--out", type=Path, required=True)
        margs = merger.parse_args(argv[1:])
        try:
            print(f"{merge(margs.parts, margs.out)} rows in {margs.out}")
        except (ValueError, OSError) as err:
            print(f"grade.py: {err}", file=sys.stderr)
            return 2
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted .ipynb files")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    parser.add_argument("--feedback", type=Path, default=None,
                        help="folder for the feedback files (default: OUT without .csv)")
    parser.add_argument("--secret-file", type=Path, help="the secret the variants came from")
    parser.add_argument("--roster", type=Path, help="CSV with a student_id column")
    parser.add_argument("--class-variant", help="everyone has this one variant")
    parser.add_argument("--cell-timeout", type=float, default=60.0,
                        help="seconds per answer cell (other cells: at least 120 s)")
    parser.add_argument("--question-timeout", type=float, default=30.0,
                        help="seconds per question")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run submissions without bubblewrap, with your rights")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    parser.add_argument("--fresh", action="store_true",
                        help="grade everything again (the old CSV is kept as OUT.bak)")
    parser.add_argument("--memory-mb", type=int, default=LIMITS.memory >> 20,
                        help="address space per sandboxed process")
    parser.add_argument("--submission-timeout", type=float, default=LIMITS.seconds,
                        help="seconds for a whole submission")
    args = parser.parse_args(argv)
    if args.cell_timeout <= 0 or args.question_timeout <= 0 or args.submission_timeout <= 0:
        parser.error("--cell-timeout, --question-timeout and --submission-timeout must be "
                     "> 0 seconds")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if not args.submissions.is_dir():
        parser.error(f"submissions must be a folder, got {args.submissions}")
    if args.class_variant and not args.secret_file:
        parser.error("--class-variant needs --secret-file")
    try:
        secret = read_secret(args.secret_file) if args.secret_file else None
        roster = read_roster(args.roster) if args.roster else None
        subs = grade_folder(args.submissions, args.out, args.feedback, secret=secret,
                            roster=roster, class_variant=args.class_variant,
                            sandbox=not args.unsafe_no_sandbox, cell_timeout=args.cell_timeout,
                            question_timeout=args.question_timeout, jobs=args.jobs,
                            fresh=args.fresh,
                            limits=dataclasses.replace(LIMITS, memory=args.memory_mb << 20,
                                                       seconds=args.submission_timeout),
                            report=lambda line: print(line, flush=True))
    except (SandboxUnavailable, ValueError) as err:
        print(f"grade.py: {err}", file=sys.stderr)
        return 2
    return 0 if subs is not None else 1


if __name__ == "__main__":
    sys.exit(main())
