"""The grader never stops the class, writes safe outputs and bounds every submission.

Small hand-made hw1 submissions (one cell each) are graded in the real sandbox, as root on the
course machines: an answer raising ValueError('\\udc80'), a file name that is not UTF-8, a judge
that crashes, a rerun that resumes, student text that tries HTML/Markdown/CSV formula tricks,
and submissions that run into the memory, process, disk, output and total-time limits.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402
import make_homework  # noqa: E402
from grading import questions as spec  # noqa: E402
from grading import sandbox  # noqa: E402

needs_bwrap = pytest.mark.skipif(sandbox.BWRAP is None, reason="bubblewrap is not installed")
HW1 = spec.questions("hw1")


def notebook(*cells: str, assignment: str = "hw1") -> bytes:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}",
                     "metadata": {}, "outputs": [], "source": src}
                    for i, src in enumerate(cells)],
          "metadata": {"gradlab": {"assignment": assignment}}, "nbformat": 4,
          "nbformat_minor": 5}
    return json.dumps(nb).encode()


def rows(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["submission"]: r for r in csv.DictReader(fh)}


RIGHT_Q1 = f"def q1():\n    return {spec.expected('hw1.q1', spec.SPECS['hw1.q1'].defaults)!r}\n"


@needs_bwrap
def test_one_bad_file_never_stops_the_class(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "a_hw1.ipynb").write_bytes(notebook(
        "def q1():\n    raise ValueError('\\udc80 <b>x</b>')\n"))
    os.makedirs(os.fsencode(subs) + b"/b\xff", exist_ok=True)
    (Path(os.fsdecode(os.fsencode(subs) + b"/b\xff")) / "hw1.ipynb").write_bytes(
        notebook(RIGHT_Q1))
    (subs / "c_hw1.ipynb").write_bytes(notebook(RIGHT_Q1, "def q6():\n    return float('inf')\n"
                                                "def q2():\n    return 10**400\n"))
    real = grade.judge_value

    def crashing(qid, output, want):
        if qid == "hw1.q7":
            raise RuntimeError("judge bug")
        return real(qid, output, want)

    monkeypatch.setattr(grade, "judge_value", crashing)
    (subs / "c_hw1.ipynb").write_bytes(notebook(
        RIGHT_Q1, "def q6():\n    return float('inf')\n", "def q7():\n    return 1.0\n"))
    lines: list[str] = []
    out = tmp_path / "grades.csv"
    graded = grade.grade_folder(subs, out, secret=None, cell_timeout=20, question_timeout=20,
                                report=lines.append)
    got = rows(out)
    assert len(graded) == len(got) == 3, got.keys()
    a = got["a_hw1.ipynb"]
    assert a["hw1.q1 status"] == "error" and a["total"] == "0"
    assert "\udc80" not in out.read_text(encoding="utf-8")
    b = got["b\\xff/hw1.ipynb"]
    assert b["hw1.q1 status"] == "correct" and b["total"] == "1"
    c = got["c_hw1.ipynb"]
    assert c["hw1.q1 status"] == "correct"
    assert c["hw1.q6 status"] == "wrong"  # int(inf) is a wrong answer, not a crash
    assert c["hw1.q7 status"] == "error" and c["hw1.q5 status"] == "not answered"
    fb = (tmp_path / "grades" / "a_hw1_a_hw1.md").read_text(encoding="utf-8")
    assert "<b>" not in fb and "&lt;b&gt;" in fb
    assert any("could not be graded, or only in part" in ln for ln in lines)
    assert any("c_hw1.ipynb: graded in part (hw1.q7 error)" in ln for ln in lines)


def test_csv_resumes_and_never_loses_a_row(tmp_path, monkeypatch):
    """A rerun grades only what has no row; rows the grader failed on are graded again."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a_hw1.ipynb", "b_hw1.ipynb", "c_hw1.ipynb"):
        (subs / name).write_bytes(notebook(RIGHT_Q1))
    calls: list[str] = []
    attempts: dict[str, int] = {}

    def fake(path, folder, *args):
        calls.append(path.name)
        attempts[path.name] = attempts.get(path.name, 0) + 1
        sub = grade.Submission(path, grade.display_name(path, folder), path.name[0],
                               assignment="hw1")
        sub.results = [grade.QuestionResult(q, 1, 1, "correct") for q in HW1]
        if path.name.startswith("b") and attempts[path.name] == 1:
            sub.results, sub.message = [], "grading failed: RuntimeError: boom"
        return sub

    monkeypatch.setattr(grade, "grade_one", fake)
    out = tmp_path / "grades.csv"
    grade.grade_folder(subs, out, sandbox=False, report=lambda line: None)
    assert sorted(calls) == ["a_hw1.ipynb", "b_hw1.ipynb", "c_hw1.ipynb"]
    first = rows(out)
    (subs / "d_hw1.ipynb").write_bytes(notebook(RIGHT_Q1))
    calls.clear()
    grade.grade_folder(subs, out, sandbox=False, report=lambda line: None)
    assert sorted(calls) == ["b_hw1.ipynb", "d_hw1.ipynb"]  # b failed on our side: again
    second = rows(out)
    assert second["a_hw1.ipynb"] == first["a_hw1.ipynb"]
    assert second["c_hw1.ipynb"] == first["c_hw1.ipynb"]
    assert second["b_hw1.ipynb"]["message"] == "" and len(second) == 4
    calls.clear()
    grade.grade_folder(subs, out, sandbox=False, fresh=True, report=lambda line: None)
    assert len(calls) == 4 and (tmp_path / "grades.csv.bak").exists()


def test_outputs_are_escaped_and_formula_free():
    sub = grade.Submission(Path("x.ipynb"), "=cmd|' /C calc'!A0.ipynb", "@evil",
                           assignment="hw1")
    sub.results = [grade.QuestionResult("hw1.q1", 0, 1, "error",
                                        "your code raised X: <script>alert(1)</script>\n"
                                        "| hw1.q1 | 1/1 | correct |\n# Total: 100")]
    sub.flags = ["tampered: cell 1 uses **bold** [link](http://x)"]
    text = grade.feedback(sub)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\n# Total" not in text and "\n| hw1.q1 | 1/1 | correct" not in text
    assert "**bold**" not in text and "[link](" not in text
    row = grade.csv_row(sub)
    for value in row.values():
        assert str(value)[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
    assert row["student_id"] == "'@evil"
    for text in ("+1", "-2+3", "\t=x", "\r=x", "=1"):
        assert str(grade.csv_safe(text))[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert grade.csv_safe(3) == 3


def test_secrets_are_strong_and_no_tag_tests_a_guess(tmp_path):
    path = make_homework.new_secret(tmp_path / "secret")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    secret = make_homework.read_secret(path)
    assert make_homework._secret_strength(secret) == 32
    with pytest.raises(FileExistsError):
        make_homework.new_secret(path)
    for weak in (b"correct horse battery staple and a longer passphrase", b"a" * 64,
                 b"0123456789abcdef", os.urandom(16).hex().encode()):
        (tmp_path / "weak").write_bytes(weak)
        with pytest.raises(ValueError, match="32 random bytes"):
            make_homework.read_secret(tmp_path / "weak")
    (tmp_path / "hex").write_bytes(os.urandom(32).hex().encode())
    assert make_homework.read_secret(tmp_path / "hex")
    # the printed tag depends on the student id only, never on the secret
    assert spec.variant_tag(secret, "s1") == spec.variant_tag(b"x" * 32, "s1")
    assert spec.variant_tag(secret, "s1") != spec.variant_tag(secret, "s2")


@needs_bwrap
def test_limits_each_get_a_status(tmp_path):
    limits = dataclasses.replace(sandbox.LIMITS, memory=1536 << 20, processes=40,
                                 file_bytes=4 << 20, tmp_bytes=8 << 20, output_bytes=20_000,
                                 seconds=60)
    subs = tmp_path / "subs"
    subs.mkdir()
    cells = {
        "memory": "def q1():\n    return len(bytearray(3 * 1024**3))\n",
        "processes": "import os, time\nkids = []\nfor _ in range(200):\n    pid = os.fork()\n"
                     "    if pid == 0:\n        time.sleep(20)\n        os._exit(0)\n"
                     "    kids.append(pid)\n",
        "disk": "def q1():\n    with open('/tmp/big', 'wb') as fh:\n"
                "        fh.write(b'x' * (32 << 20))\n    return 1.0\n",
        "tmpfs": "def q1():\n    for i in range(8):\n"
                 "        open(f'/tmp/f{i}', 'wb').write(b'x' * (3 << 20))\n    return 1.0\n",
        "output": "def q1():\n    print('x' * 10_000_000)\n    return 1.0\n",
    }
    for name, cell in cells.items():
        (subs / f"{name}_hw1.ipynb").write_bytes(notebook(cell))
    (subs / "slow_hw1.ipynb").write_bytes(notebook(
        "import time\ntime.sleep(4)\n", "import time\ntime.sleep(4)\n", RIGHT_Q1))
    out = tmp_path / "grades.csv"
    grade.grade_folder(subs, out, cell_timeout=20, question_timeout=20, report=lambda x: None,
                       limits=limits)
    got = rows(out)
    assert got["memory_hw1.ipynb"]["hw1.q1 status"] == "memory limit"
    assert "process limit" in got["processes_hw1.ipynb"]["flags"]
    assert got["disk_hw1.ipynb"]["hw1.q1 status"] == "disk limit"
    assert got["tmpfs_hw1.ipynb"]["hw1.q1 status"] == "disk limit"
    assert got["output_hw1.ipynb"]["hw1.q1 status"] == "output limit"
    short = dataclasses.replace(limits, seconds=9)
    out2 = tmp_path / "slow.csv"
    (tmp_path / "slow").mkdir()
    os.replace(subs / "slow_hw1.ipynb", tmp_path / "slow" / "slow_hw1.ipynb")
    grade.grade_folder(tmp_path / "slow", out2, cell_timeout=20, question_timeout=20,
                       report=lambda x: None, limits=short)
    slow = rows(out2)["slow_hw1.ipynb"]
    assert "time limit" in {slow[f"{q} status"] for q in HW1}, slow


def test_shards_merge_into_one_csv(tmp_path, monkeypatch):
    """A class split across machines (each grading its part of the folder) merges into one CSV."""
    def fake(path, folder, *args):
        sub = grade.Submission(path, grade.display_name(path, folder), path.name.split("_")[0],
                               assignment=path.name.split("_")[1][:3])
        sub.results = [grade.QuestionResult(q, 1, 1, "correct")
                       for q in spec.questions(sub.assignment)]
        return sub

    monkeypatch.setattr(grade, "grade_one", fake)
    for shard, names in {"a": ["s1_hw1.ipynb", "s2_hw1.ipynb"], "b": ["s3_hw2.ipynb"]}.items():
        (tmp_path / shard).mkdir()
        for name in names:
            (tmp_path / shard / name).write_bytes(notebook(RIGHT_Q1))
        grade.grade_folder(tmp_path / shard, tmp_path / f"{shard}.csv", sandbox=False,
                           report=lambda line: None)
    out = tmp_path / "all.csv"
    assert grade.main(["--merge", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"),
                       "--out", str(out)]) == 0
    merged = rows(out)
    assert sorted(merged) == ["s1_hw1.ipynb", "s2_hw1.ipynb", "s3_hw2.ipynb"]
    assert merged["s3_hw2.ipynb"]["hw2.q1 status"] == "correct"
    assert merged["s1_hw1.ipynb"]["hw1.q1"] == "1" and merged["s1_hw1.ipynb"]["hw2.q1"] == ""
    # the same submission graded differently in two shards is refused
    text = (tmp_path / "a.csv").read_text(encoding="utf-8").replace(",7,9,", ",6,9,")
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    assert grade.main(["--merge", str(tmp_path / "a.csv"), str(tmp_path / "c.csv"),
                       "--out", str(out)]) == 2


@needs_bwrap
def test_parallel_jobs_grade_every_submission(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("p1_hw1.ipynb", "p2_hw1.ipynb", "p3_hw1.ipynb"):
        (subs / name).write_bytes(notebook(RIGHT_Q1))
    out = tmp_path / "grades.csv"
    graded = grade.grade_folder(subs, out, jobs=2, cell_timeout=30, question_timeout=30,
                                report=lambda line: None)
    got = rows(out)
    assert len(graded) == len(got) == 3
    assert all(r["hw1.q1 status"] == "correct" and r["total"] == "1" for r in got.values()), got
