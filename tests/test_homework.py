"""Homework: masters pass every check, student copies are clean and in sync, grading works.

The right answers are never written here: they come from running the masters' own solution code.
nbval (run on book/homework) re-executes the student copies and compares them with their stored
outputs, which these tests require to say "not answered yet" for every question.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

from gradlab import checks  # noqa: E402
from gradlab.checks import QUESTIONS, check, questions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402
import make_homework  # noqa: E402

MASTERS = sorted((ROOT / "homework" / "masters").glob("*.ipynb"))
NAMES = [p.name for p in MASTERS]


def master_solutions(path: Path) -> dict:
    """Run a master's setup cell and solution cells in-process; return its namespace."""
    nb = nbformat.read(path, as_version=4)
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
        ns = master_solutions(path)
        assignment = nbformat.read(path, as_version=4).metadata["gradlab"]["assignment"]
        for qid in questions(assignment):
            out[qid] = ns[qid.split(".")[1]]
    return out


def verdict(capsys, qid, answer) -> str:
    check(qid, answer)
    return capsys.readouterr().out


def test_every_question_has_a_master_answer(solutions):
    assert sorted(solutions) == sorted(QUESTIONS)
    for path in MASTERS:
        assignment = nbformat.read(path, as_version=4).metadata["gradlab"]["assignment"]
        assert 4 <= len(questions(assignment)) <= 6


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_master_answer_passes_its_check(capsys, solutions, qid):
    out = verdict(capsys, qid, solutions[qid])
    assert ": correct." in out, out
    assert checks.passed(qid)


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
        ("hw1.q1", stub, "not answered yet"),
        ("hw1.q1", "2.0", "answer with a single number, got str"),
        ("hw1.q1", math.nan, "your answer is NaN"),
        ("hw1.q1", [1.0, 2.0], "answer with a single number, got list"),
        ("hw2.q5", 74.5, "answer with a whole number"),
        ("hw1.q5", "abc", "answer with one letter"),
        ("hw1.q3", broken, "your code raised ZeroDivisionError: division by zero (in broken, line"),
        ("hw1.q3", 3.0, "pass your function itself, got float"),
        ("hw4.q1", lambda grads, m: grads[0], "return a list of 2 tensors"),
        ("hw3.q2", lambda w, h0, T: (math.nan, 0.0), "contains NaN"),
    ]
    for qid, answer, expected in cases:
        out = verdict(capsys, qid, answer)
        assert expected in out, (qid, out)
        assert "Traceback" not in out and out.count("\n") == 1, out


def test_unknown_question_names_the_argument():
    with pytest.raises(ValueError, match="question must be one of"):
        check("hw9.q1", 1.0)
    with pytest.raises(TypeError, match="question must be one of"):
        check(3, 1.0)
    with pytest.raises(ValueError, match="assignment must be one of"):
        checks.summary("hw0")


def test_check_module_does_not_contain_the_answers(solutions):
    source = Path(checks.__file__).read_text(encoding="utf-8")
    for qid, q in QUESTIONS.items():
        if q.kind in ("number", "integer"):
            value = solutions[qid]()
            for text in {f"{value:.3g}", f"{value:.2e}", repr(value)}:
                pattern = r"(?<![0-9a-fA-F.])" + re.escape(text) + r"(?![0-9a-fA-F])"
                assert re.search(pattern, source) is None, (qid, text)


def test_results_file_records_each_verdict(tmp_path, monkeypatch, capsys):
    target = tmp_path / "results.jsonl"
    monkeypatch.setenv("GRADLAB_RESULTS", str(target))
    check("hw1.q1", "x")
    check("hw1.q2", lambda: (_ for _ in ()).throw(NotImplementedError))
    lines = target.read_text().splitlines()
    assert len(lines) == 2 and '"status": "wrong"' in lines[0] and "not answered" in lines[1]
    checks.summary("hw1")
    assert "hw1: 0 of" in capsys.readouterr().out


# ---------------------------------------------------------------- student copies

@pytest.mark.parametrize("name", NAMES)
def test_student_copy_is_in_sync_with_its_master(name):
    assert make_homework.stale_copies() == []
    master = nbformat.read(ROOT / "homework" / "masters" / name, as_version=4)
    again = make_homework.student_notebook(make_homework.student_notebook(master))
    assert [c.source for c in again.cells] == [
        c.source for c in make_homework.student_notebook(master).cells]


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_contains_no_solution_code(name):
    master = nbformat.read(ROOT / "homework" / "masters" / name, as_version=4)
    student = nbformat.read(ROOT / "book" / "homework" / name, as_version=4)
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "assert passed"):
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
    assert f"{assignment}: 0 of" in text


def test_generator_rejects_unbalanced_markers():
    with pytest.raises(make_homework.MarkerError, match="never closed"):
        make_homework.strip_source("def f():\n    ### BEGIN SOLUTION\n    return 1")
    with pytest.raises(make_homework.MarkerError, match="END marker without a BEGIN"):
        make_homework.strip_source("x = 1\n### END HIDDEN TESTS")
    stripped = make_homework.strip_source(
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
        "### BEGIN HIDDEN TESTS\nassert f() == 1\n### END HIDDEN TESTS")
    assert stripped == "def f():\n    " + make_homework.STUB


# ---------------------------------------------------------------- grading (runs kernels)

def read_csv(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["submission"]: row for row in csv.DictReader(fh)}


def test_grading_four_submissions(tmp_path):
    ids = questions("hw1")
    pts = {q: QUESTIONS[q].points for q in ids}
    rows = grade.grade_folder(ROOT / "tests" / "data" / "submissions", tmp_path / "g.csv",
                              tmp_path / "g.log", timeout=90, cell_timeout=15)
    assert len(rows) == 4
    got = read_csv(tmp_path / "g.csv")
    expected = {
        "correct.ipynb": set(ids),
        "partial.ipynb": {"hw1.q1", "hw1.q5"},
        "crashing.ipynb": {"hw1.q1", "hw1.q2"},
        "looping.ipynb": {"hw1.q1", "hw1.q2", "hw1.q3"},
    }
    for name, right in expected.items():
        row = got[name]
        assert row["assignment"] == "hw1"
        assert {q: int(row[q]) for q in ids} == {q: pts[q] if q in right else 0 for q in ids}
        assert int(row["total"]) == sum(pts[q] for q in right)
        assert int(row["max_points"]) == sum(pts.values())
    assert got["correct.ipynb"]["status"] == "ok"
    log = (tmp_path / "g.log").read_text()
    assert "crashing.ipynb: the kernel died" in log
    assert "looping.ipynb: time limit reached" in log
    assert "partial.ipynb: cell" in log and "NameError" in log
    assert "correct.ipynb" not in log


def test_masters_pass_every_check_in_a_fresh_kernel(tmp_path):
    """The masters run top to bottom, hidden tests included, and earn every point."""
    rows = grade.grade_folder(ROOT / "homework" / "masters", tmp_path / "m.csv",
                              tmp_path / "m.log", timeout=300, cell_timeout=120)
    assert len(rows) == len(MASTERS)
    for row in rows:
        assert row["total"] == row["max_points"] > 0, row
    assert (tmp_path / "m.log").read_text() == ""


def test_grade_rejects_a_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="submissions must be a folder"):
        grade.grade_folder(tmp_path / "nope", tmp_path / "g.csv", tmp_path / "g.log")
