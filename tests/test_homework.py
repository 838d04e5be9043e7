"""Homework: masters, self-checks, variants, student copies, and the sandboxed grader.

The right answers are never written here: they come from running the masters' own solution code
or from tools/grading/questions.py, and the two are tested against each other.
nbval (run on book/homework) re-executes the student copies and compares them with their stored
outputs, which these tests require to say "not answered yet" for every question.
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import torch
from torch import nn

matplotlib.use("Agg")

import gradlab  # noqa: E402
from gradlab.homework import cases as hwcases  # noqa: E402
from gradlab.homework import checks  # noqa: E402
from gradlab.homework.checks import QUESTIONS, check, questions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "data"))
import grade  # noqa: E402
import make_homework  # noqa: E402
import make_submissions  # noqa: E402
from grading import questions as spec  # noqa: E402
from grading import reference  # noqa: E402

MASTERS = sorted((ROOT / "homework" / "masters").glob("*.ipynb"))
NAMES = [p.name for p in MASTERS]
SECRET = b"a-throwaway-secret-for-the-tests-only"


def master_solutions(nb: nbformat.NotebookNode) -> dict:
    """Run a rendered master's setup cell and solution cells in-process; return its namespace."""
    # the Colab install cell (tools/colab_cell.py) holds a %pip magic: not plain Python, skip it
    code = [c for c in nb.cells if c.cell_type == "code" and c.get("id") != "colab-install"]
    ns: dict = {}
    exec(code[0].source, ns)  # imports and setup_notebook()
    for cell in code[1:]:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, ns)
    return ns


@pytest.fixture(scope="module")
def solutions() -> dict:
    out = {}
    for path in MASTERS:
        nb = make_homework.render_master(nbformat.read(path, as_version=4))
        ns = master_solutions(nb)
        for qid in questions(nb.metadata["gradlab"]["assignment"]):
            out[qid] = ns[qid.split(".")[1]]
    return out


def verdict(capsys, qid, answer) -> str:
    check(qid, answer)
    return capsys.readouterr().out


# ---------------------------------------------------------------- the public self-check

def test_every_question_has_a_master_answer(solutions):
    assert sorted(solutions) == sorted(QUESTIONS) == sorted(spec.SPECS)
    for qid, q in QUESTIONS.items():
        assert (q.kind, q.points) == (spec.SPECS[qid].kind, spec.SPECS[qid].points)
    for path in MASTERS:
        assignment = nbformat.read(path, as_version=4).metadata["gradlab"]["assignment"]
        assert 4 <= len(questions(assignment)) <= 7


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_master_answer_passes_its_check(capsys, solutions, qid):
    out = verdict(capsys, qid, solutions[qid])
    assert ": correct." in out, out
    assert checks.passed(qid)


@pytest.mark.parametrize("qid", [q for q in QUESTIONS if QUESTIONS[q].kind != "function"])
def test_grader_expected_answer_agrees_with_master_and_public_digest(solutions, qid):
    """Two independent computations of each answer (the master's solution code and the
    grader's formula), and the public digest, agree for the public parameters."""
    want = spec.expected(qid, spec.SPECS[qid].defaults)
    got = solutions[qid]()
    if QUESTIONS[qid].kind == "number":
        assert hwcases.close(np.array(got), np.array(want), 1e-9, 0.0), (got, want)
    else:
        assert got == want
    assert checks.answer_digest(qid, QUESTIONS[qid].kind, want) == QUESTIONS[qid].digest


@pytest.mark.parametrize("qid", [q for q in QUESTIONS if QUESTIONS[q].kind == "number"])
def test_a_number_off_by_two_percent_is_wrong(capsys, solutions, qid):
    right = solutions[qid]()
    assert ": correct." in verdict(capsys, qid, right * 1.00000001)  # float noise is accepted
    out = verdict(capsys, qid, right * 1.02)
    assert "not correct" in out and "Hint:" in out, out
    assert not checks.passed(qid)


@pytest.mark.parametrize("qid", [q for q in QUESTIONS if QUESTIONS[q].kind == "function"])
def test_a_slightly_wrong_implementation_is_wrong(capsys, solutions, qid):
    fn = solutions[qid]

    def off(*args):
        result = fn(*args)
        if isinstance(result, (list, tuple)):
            return [r * 1.01 for r in result]
        return result * 1.01

    def skewed_init(layer):  # for he_init_: right shape of code, wrong variance
        fn(layer)
        layer.weight.data.mul_(1.2)

    out = verdict(capsys, qid, skewed_init if qid == "hw4.q3" else off)
    assert "[0/" in out and "Hint:" in out, out


@pytest.mark.parametrize("qid", [q for q in QUESTIONS if QUESTIONS[q].kind == "choice"])
def test_only_one_letter_is_right(capsys, solutions, qid):
    right = solutions[qid]()
    verdicts = [": correct." in verdict(capsys, qid, letter) for letter in "abcd"]
    assert sum(verdicts) == 1 and verdicts["abcd".index(right)]


def test_readable_messages_never_tracebacks(capsys):
    def stub():
        raise NotImplementedError("write me")

    def broken(*args):
        return 1 / 0

    cases = [
        ("hw1.q1", "2.0", "answer with a single number, got str"),
        ("hw1.q1", math.nan, "your answer is NaN"),
        ("hw1.q1", [1.0, 2.0], "answer with a single number, got list"),
        ("hw1.q1", lambda: None, "forget to `return`"),
        ("hw1.q1", lambda: torch.tensor(2.0, requires_grad=True), "still requires grad"),
        ("hw2.q5", 74.5, "answer with a whole number"),
        ("hw1.q5", "abc", "answer with one letter"),
        ("hw1.q3", broken, "your code raised ZeroDivisionError: division by zero (in broken, line"),
        ("hw1.q3", 3.0, "pass your function itself, got float"),
        ("hw1.q3", lambda grad, w0, lr, steps: None, "forget to `return`"),
        ("hw2.q2", lambda m, x, y: {"a": 1.0}, "got dict"),
        ("hw2.q2", lambda m, x, y: [p.sum() for p in m.parameters()], "still require grad"),
        ("hw4.q1", lambda grads, m: grads[0], "return a list of 2 tensors"),
        ("hw3.q2", lambda w, h0, T: (math.nan, 0.0), "contains NaN"),
    ]
    for qid, answer, expected in cases:
        out = verdict(capsys, qid, answer)
        assert expected in " ".join(out.split()), (qid, out)
        assert "Traceback" not in out and "__array__" not in out, out
        assert all(len(line) <= checks.WIDTH for line in out.splitlines()), out
    out = verdict(capsys, "hw1.q1", stub)
    assert "not answered yet" in out and "Hint" not in out  # hints only after a wrong attempt


def test_grade_fails_unless_correct_whatever_the_environment(monkeypatch, capsys, solutions):
    """nbgrader's graded cells call grade(): no switch can make it pass a wrong answer, and
    check() (the students' self-check) never raises."""
    monkeypatch.setenv("GRADLAB_STRICT", "0")  # a cell changing the environment: no effect
    with pytest.raises(AssertionError, match="not answered"):
        checks.grade("hw1.q1", lambda: (_ for _ in ()).throw(NotImplementedError))
    with pytest.raises(AssertionError, match="not correct"):
        checks.grade("hw1.q2", 0.3)
    checks.grade("hw1.q2", solutions["hw1.q2"])  # right: no exception
    check("hw1.q2", 0.3)  # the self-check prints and never raises
    assert "not correct" in capsys.readouterr().out


def test_old_strict_switch_stops_the_import(tmp_path):
    """A kernel that still sets GRADLAB_STRICT (an nbgrader setup of earlier versions, whose
    cells call check) fails at import, rather than passing every graded cell."""
    import subprocess

    run = subprocess.run([sys.executable, "-c", "import gradlab.homework"], capture_output=True,
                         text=True, env={**os.environ, "GRADLAB_STRICT": "1"}, timeout=120)
    assert run.returncode != 0 and "GRADLAB_STRICT is no longer read" in run.stderr


def test_nbgrader_sources_import_grade_in_every_graded_cell(tmp_path):
    paths = make_homework.write_nbgrader_sources(tmp_path)
    assert len(paths) == len(MASTERS)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assignment = nb.metadata["gradlab"]["assignment"]
        assert len(graded) == len(questions(assignment))
        for cell in graded:
            lines = cell.source.splitlines()
            assert lines[0] == make_homework.GRADE_IMPORT and lines[1].startswith("grade(")
            assert "check(" not in cell.source and cell.metadata["nbgrader"]["locked"]
        for file in (c for c in ("hw1_q5.png", "hw2_q4.png", "hw4_q5.png")
                     if c.startswith(assignment)):
            assert (path.parent / file).is_file()


def test_variant_copies_record_numbers_instead_of_judging_them(capsys, monkeypatch):
    monkeypatch.setattr(checks, "_VARIANT", {})
    checks.use_variant("hw1", "abc123")
    out = verdict(capsys, "hw1.q1", 1.234)
    assert "recorded" in out and "correct" not in out.replace("recorded", "")
    assert "answer with a single number" in verdict(capsys, "hw1.q1", "x")
    with pytest.raises(ValueError, match="tag must be"):
        checks.use_variant("hw1", "a b")


def test_unknown_question_names_the_argument():
    with pytest.raises(ValueError, match="question must be one of"):
        check("hw9.q1", 1.0)
    with pytest.raises(TypeError, match="question must be one of"):
        check(3, 1.0)
    with pytest.raises(ValueError, match="assignment must be one of"):
        checks.summary("hw0")
    with pytest.raises(ValueError, match="qid must be one of"):
        hwcases.make_cases("hw1.q1", np.random.default_rng(0))


def test_check_module_does_not_contain_the_answers(solutions):
    source = Path(checks.__file__).read_text(encoding="utf-8")
    for qid, q in QUESTIONS.items():
        if q.kind in ("number", "integer"):
            value = solutions[qid]()
            for text in {f"{value:.3g}", f"{value:.2e}", repr(value)}:
                pattern = r"(?<![0-9a-fA-F.])" + re.escape(text) + r"(?![0-9a-fA-F])"
                assert re.search(pattern, source) is None, (qid, text)


# ---------------------------------------------------------------- checks that mean the question

def _run(qid, fn, seed=7):
    """The first message over a set of cases, or "correct"."""
    for case in hwcases.make_cases(qid, np.random.default_rng(seed)):
        record = hwcases.run_case(qid, fn, case)
        if record["status"] != "ok":
            return record["message"]
        message = hwcases.compare(qid, case, record, reference.expected(qid, case))
        if message:
            return message
    return "correct"


def test_forbidden_shortcuts_and_holes_are_refused(solutions):
    from gradlab import probes, recurrence

    def clip_in_place(grads, max_norm):
        total = float(torch.sqrt(sum((g**2).sum() for g in grads)))
        for g in grads:
            g.mul_(min(1.0, max_norm / total))
        return grads

    def he_transposed(layer):
        with torch.no_grad():
            layer.weight = nn.Parameter(torch.randn(layer.in_features, layer.out_features,
                                                    dtype=torch.float64)
                                        * (2 / layer.in_features) ** 0.5)
            layer.bias.zero_()

    def bptt_closed(w, h0, T):
        return w**T * h0, T * w ** (T - 1) * h0

    def bptt_gradlab(w, h0, T):
        return recurrence.forward(w, h0, T)[-1], recurrence.grad_autograd(w, h0, T)

    def bptt_autograd(w, h0, T):
        wt = torch.tensor(float(w), requires_grad=True, dtype=torch.float64)
        h = torch.tensor(h0, dtype=torch.float64)
        for _ in range(T):
            h = wt * h
        h.backward()
        return float(h), float(wt.grad)

    def probe_wrapper(model, x, y):
        nn.functional.cross_entropy(model(x), y).backward()
        return list(probes.layer_grad_norms(model).values())

    assert "changed its inputs" in _run("hw4.q1", clip_in_place)
    assert "(out_features, in_features)" in _run("hw4.q3", he_transposed)
    assert "closed form" in _run("hw3.q2", bptt_closed)
    assert "not allowed" in _run("hw3.q2", bptt_gradlab)
    assert "not allowed" in _run("hw3.q2", bptt_autograd)
    assert "not allowed" in _run("hw2.q2", probe_wrapper)
    for qid in hwcases.FUNCTION_QUESTIONS:  # the honest solutions pass the same cases
        assert _run(qid, solutions[qid]) == "correct", qid
    assert callable(probes.layer_grad_norms) and probes.layer_grad_norms.__name__ == \
        "layer_grad_norms"  # restored after the call


def test_grader_tolerance_is_symmetric():
    want = spec.expected("hw1.q1", spec.SPECS["hw1.q1"].defaults)
    for factor in (1.003, 0.997):
        assert grade.judge_value("hw1.q1", want * factor, want) == ""
    for factor in (1.006, 0.994):
        assert grade.judge_value("hw1.q1", want * factor, want) == "not correct"
    assert "one letter" in grade.judge_value("hw1.q5", 3, "b")
    assert grade.judge_value("hw1.q6", {"array": 93.0, "shape": []}, 93) == ""


# ---------------------------------------------------------------- the new questions (issue 17)

def test_edge_of_stability_variants_start_above_and_end_below_two_over_eta():
    for a0, b0, eta in spec._EOS:
        final = spec.eos_sharpness(a0, b0, eta, 2000)
        assert a0**2 > 2 / eta > final > 2.0 - 1e-9, (a0, b0, eta, final)


def test_momentum_steps_grow_like_the_square_root_of_kappa():
    kappas = np.array([100.0, 400.0, 1600.0])
    hb = np.array([spec.heavy_ball_steps(k, 1e-6) for k in kappas])
    slope = np.polyfit(np.log(kappas), np.log(hb), 1)[0]
    assert 0.4 < slope < 0.65, (hb, slope)


# ---------------------------------------------------------------- variants

def test_variants_come_from_the_secret_and_differ_from_the_public_copy():
    for assignment in spec.ASSIGNMENTS:
        public = spec.params(assignment)
        mine = spec.params(assignment, SECRET, "student-1")
        assert mine == spec.params(assignment, SECRET, "student-1")  # deterministic
        assert mine != spec.params(assignment, SECRET + b"x", "student-1")
        for qid, p in mine.items():
            if spec.SPECS[qid].kind in ("number", "integer"):
                assert spec.expected(qid, p) != spec.expected(qid, public[qid]), qid
    cases = spec.cases("hw1.q3", SECRET, "student-1")
    assert cases != spec.cases("hw1.q3", SECRET, "student-2") != spec.cases("hw1.q3", None, "")


def test_variant_copies_hold_their_numbers_and_no_solution(tmp_path):
    paths = make_homework.write_variants(SECRET, ["s1", "s2"], tmp_path)
    assert len(paths) == 2 * len(MASTERS)
    hw1 = {s: nbformat.read(tmp_path / s / "hw1_gradient_descent.ipynb", as_version=4)
           for s in ("s1", "s2")}
    text = {s: "\n".join(c.source for c in nb.cells) for s, nb in hw1.items()}
    assert text["s1"] != text["s2"] and "{{" not in text["s1"]
    for s, nb in hw1.items():
        assert f'use_variant("hw1", "{spec.variant_tag(SECRET, s)}")' in text[s]
        assert nb.metadata["gradlab"]["variant"] == spec.variant_tag(SECRET, s)
        assert "BEGIN SOLUTION" not in text[s] and make_homework.STUB in text[s]
    with pytest.raises(ValueError, match="outside the repository"):
        make_homework.read_secret(ROOT / "README.md")


def test_variant_figures_are_drawn_for_the_variant_and_handed_out(tmp_path):
    """Each variant's figure shows its own letters: stored in the figure cell and beside it."""
    import base64

    from grading import figures

    make_homework.write_variants(SECRET, ["s1", "s2", "s3"], tmp_path)
    seen = set()
    for s in ("s1", "s2", "s3"):
        for path in MASTERS:
            nb = nbformat.read(tmp_path / s / path.name, as_version=4)
            params = spec.params(nb.metadata["gradlab"]["assignment"], SECRET, s)
            want = figures.figure_files(params)
            for file, data in want.items():
                assert (tmp_path / s / file).read_bytes() == data
                cell = next(c for c in nb.cells if c.cell_type == "code"
                            and f'show_figure("{file}")' in c.source)
                assert base64.b64decode(cell.outputs[0]["data"]["image/png"]) == data
                qid = next(q for q in figures.FIGURES if figures.FIGURES[q][0] == file)
                seen.add((file, params[qid]["labels"]))
                # the copy's code names no letters: the figure cell only shows the file
                assert params[qid]["labels"] not in cell.source
    assert len({labels for file, labels in seen if file == "hw1_q5.png"}) > 1  # variants differ


def test_show_figure_shows_the_file_the_public_figure_or_says_where_it_is(tmp_path, monkeypatch,
                                                                        capsys):
    import IPython.display

    import gradlab.homework as hw

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(checks, "_VARIANT", {})
    data = (ROOT / "book" / "homework" / "hw1_q5.png").read_bytes()
    (tmp_path / "hw1_q5.png").write_bytes(data)
    hw.show_figure("hw1_q5.png")  # beside the notebook: that file
    assert shown[-1].data == data
    assert hw.PUBLIC_FIGURES == make_homework.public_figures_url() != ""
    hw.show_figure("hw2_q4.png")  # missing, public copy (Colab): the website's figure
    assert shown[-1].url == hw.PUBLIC_FIGURES + "hw2_q4.png" and len(shown) == 2
    checks.use_variant("hw2", "abc123")  # missing, a variant: never the public letters
    hw.show_figure("hw2_q4.png")
    assert len(shown) == 2 and "stored output" in capsys.readouterr().out
    with pytest.raises(ValueError, match="file must be the name of a PNG file"):
        hw.show_figure("../hw1_q5.png")


def test_students_install_cannot_draw_the_figures_or_name_their_mapping():
    """Nothing in gradlab (what a student installs, and what the sandbox mounts) or in a
    student copy's code can draw the interpretation figures or says which letter is which run:
    the drawing code and the learning rates of hw1.q5's runs are only in tools/grading."""
    from grading import figures

    markers = ["hwfigures", *(fn.__name__ for _, fn in figures.FIGURES.values()),
               ", ".join(map(str, figures.LEARNING_RATES))]
    drawing = (ROOT / "tools" / "grading" / "figures.py").read_text(encoding="utf-8")
    assert all(m in drawing for m in markers[1:])  # the markers do mark the drawing code
    package = Path(gradlab.__file__).parent
    files = sorted(package.rglob("*.py"))
    assert package / "homework" / "checks.py" in files
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = [m for m in markers if m in text]
        assert not found, f"{path.relative_to(package)} names {found}"
    for path in (ROOT / "book" / "homework").glob("*.ipynb"):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        assert not [m for m in markers if m in code], path.name
    import pkgutil

    homework_pkg = package / "homework"
    names = {m.name for m in pkgutil.walk_packages([str(homework_pkg)], "gradlab.homework.")}
    assert names == {"gradlab.homework.cases", "gradlab.homework.checks"}, names


# ---------------------------------------------------------------- student copies

def test_rendered_masters_pass_ruff(tmp_path):
    """The masters are templates (ruff skips homework/masters); rendered, they must be clean."""
    import subprocess

    for path in MASTERS:
        nb = make_homework.render_master(nbformat.read(path, as_version=4))
        nbformat.write(nb, tmp_path / path.name)
    ruff = Path(sys.executable).parent / "ruff"
    run = subprocess.run([str(ruff), "check", "--config", str(ROOT / "pyproject.toml"),
                          "--no-cache", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_is_in_sync_with_its_master(name):
    assert make_homework.stale_copies() == []
    master = nbformat.read(ROOT / "homework" / "masters" / name, as_version=4)
    once = make_homework.student_notebook(master)
    assert "{{" not in "".join(c.source for c in once.cells)


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_contains_no_solution_code(name):
    master = make_homework.render_master(
        nbformat.read(ROOT / "homework" / "masters" / name, as_version=4))
    student = nbformat.read(ROOT / "book" / "homework" / name, as_version=4)
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "passed"):
        assert marker not in student_code
    solution_lines, public_lines = [], set()
    for cell in master.cells:
        inside = False
        for line in cell.source.splitlines():
            if make_homework.BEGIN_SOLUTION.match(line):
                inside = True
            elif make_homework.END_SOLUTION.match(line):
                inside = False
            elif inside and line.strip():
                solution_lines.append(line.strip())
            elif cell.cell_type == "code":
                public_lines.add(line.strip())
    assert solution_lines
    student_lines = {line.strip() for line in student_code.splitlines()}
    leaked = [line for line in solution_lines
              if line in student_lines and line not in public_lines]
    assert leaked == []
    assert student_code.count(make_homework.STUB) == len(
        [c for c in master.cells if "BEGIN SOLUTION" in c.source])


@pytest.mark.parametrize("name", NAMES)
def test_stored_student_outputs_say_not_answered_yet(name):
    student = nbformat.read(ROOT / "book" / "homework" / name, as_version=4)
    assignment = student.metadata["gradlab"]["assignment"]
    text = "".join(out.get("text", "") for c in student.cells if c.cell_type == "code"
                   for out in c.get("outputs", []) if out.get("output_type") == "stream")
    for qid in questions(assignment):
        assert f"{qid} [" in text and "not answered yet" in text.split(f"{qid} [")[1].split("\n")[0]
    assert f"{assignment}: 0 of" in text and "Hint" not in text
    assert all(len(line) <= checks.WIDTH for line in text.splitlines())


def test_generator_rejects_unbalanced_markers_and_unknown_placeholders():
    with pytest.raises(make_homework.MarkerError, match="never closed"):
        make_homework.strip_source("def f():\n    ### BEGIN SOLUTION\n    return 1")
    with pytest.raises(make_homework.MarkerError, match="END marker without a BEGIN"):
        make_homework.strip_source("x = 1\n### END HIDDEN TESTS")
    stripped = make_homework.strip_source(
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
        "### BEGIN HIDDEN TESTS\nassert f() == 1\n### END HIDDEN TESTS")
    assert stripped == "def f():\n    " + make_homework.STUB
    with pytest.raises(KeyError, match="q9_typo"):
        spec.render("w = {{q9_typo}}", {"q1_eta": 0.1})


# ---------------------------------------------------------------- grading (runs kernels)

def read_csv(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["submission"]: row for row in csv.DictReader(fh)}


def _sleepers() -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd[:2] == [b"sleep", b"311"]:
            found.append(pid)
    return found


@pytest.mark.skipif(grade.BWRAP is None, reason="bubblewrap is not installed (CI installs it)")
def test_grading_attacks_in_a_sandbox(tmp_path):
    """One run over the attack set of tests/data/make_submissions.py, many assertions."""
    outside = tmp_path / "instructor_file.txt"
    outside.write_text("keep me", encoding="utf-8")
    paths = make_submissions.write_submissions(tmp_path / "subs", SECRET, outside)
    honest_before = paths["honest"].read_bytes()
    roster = list(make_submissions.IDS)
    out = tmp_path / "grades.csv"
    subs = grade.grade_folder(tmp_path / "subs", out, tmp_path / "feedback", secret=SECRET,
                              roster=roster, cell_timeout=8, question_timeout=6)
    rows = read_csv(out)
    assert len(subs) == len(rows) == 7
    ids = questions("hw1")
    pts = {q: QUESTIONS[q].points for q in ids}

    def status(name):
        return {q: rows[name][f"{q} status"] for q in ids}

    def points(name):
        return {q: int(rows[name][q]) for q in ids}

    # a correct variant submission: full marks
    assert status("honest_hw1.ipynb") == dict.fromkeys(ids, "correct")
    assert int(rows["honest_hw1.ipynb"]["total"]) == sum(pts.values())
    assert rows["honest_hw1.ipynb"]["student_id"] == "honest"
    # the public answers on a variant: numbers and letters earn nothing, functions still do
    public = status("public_hw1.ipynb")
    for q in ids:
        want = "correct" if QUESTIONS[q].kind == "function" else "wrong"
        assert public[q] == want, (q, public[q])
    assert "near copy of the published solution" in rows["public_hw1.ipynb"]["flags"]
    # forged results and patched checks: flagged, and only the honest outputs count
    forger = status("forger_hw1.ipynb")
    assert forger["hw1.q1"] == "wrong" and "tampered" in rows["forger_hw1.ipynb"]["flags"]
    assert int(rows["forger_hw1.ipynb"]["total"]) == sum(pts.values()) - pts["hw1.q1"]
    # the escaper: nothing outside its sandbox changed, no process left, hangs cost one question
    escaper = status("escaper_hw1.ipynb")
    assert escaper["hw1.q3"] == "timeout" and escaper["hw1.q6"] == "timeout"
    assert [q for q in ids if escaper[q] != "correct"] == ["hw1.q3", "hw1.q6"]
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert paths["honest"].read_bytes() == honest_before
    assert _sleepers() == []
    # a kernel killed by q2: q2 is an error, every later question still graded
    crasher = status("crasher_hw1.ipynb")
    assert crasher["hw1.q2"] == "error"
    assert points("crasher_hw1.ipynb") == {q: 0 if q == "hw1.q2" else pts[q] for q in ids}
    # not notebooks: a row each, no hang
    for name in ("fifo_hw1.ipynb", "notjson_hw1.ipynb"):
        assert "not a readable notebook" in rows[name]["message"]
        assert rows[name]["total"] == "0"
    # feedback per student, with each question's message
    feedback = (tmp_path / "feedback" / "escaper_hw1_escaper_hw1.md").read_text()
    assert "| hw1.q3 | 0/2 | timeout |" in feedback and "interrupted after" in feedback


def test_grader_refuses_without_a_sandbox(tmp_path, monkeypatch):
    (tmp_path / "subs").mkdir()
    monkeypatch.setattr(grade, "BWRAP", None)
    with pytest.raises(grade.SandboxUnavailable, match="--unsafe-no-sandbox"):
        grade.grade_folder(tmp_path / "subs", tmp_path / "g.csv")
    with pytest.raises(ValueError, match="submissions must be a folder"):
        grade.grade_folder(tmp_path / "nope", tmp_path / "g.csv")


def test_command_line_errors_name_the_problem(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    for argv, text in [
        ([str(tmp_path / "nope")], "submissions must be a folder"),
        ([str(tmp_path / "subs"), "--class-variant", "fall"], "--class-variant needs"),
        ([str(tmp_path / "subs"), "--question-timeout", "0"], "must be > 0 seconds"),
    ]:
        with pytest.raises(SystemExit) as exit_info:
            grade.main(argv)
        assert exit_info.value.code == 2 and text in capsys.readouterr().err
    secret = tmp_path / "short"
    secret.write_text("abc")
    assert grade.main([str(tmp_path / "subs"), "--secret-file", str(secret)]) == 2
    assert "at least 32 random bytes" in capsys.readouterr().err
    with pytest.raises(ValueError, match="student_id column"):
        make_homework.read_roster(_write(tmp_path / "r.csv", "name\nann\n"))
    with pytest.raises(ValueError, match="unique"):
        make_homework.read_roster(_write(tmp_path / "r.csv", "student_id\nann\nann\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
