"""Tamper flags come from the syntax tree: what code reaches, never what a name is called."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from grading.tamper import definitions, findings, shortcuts  # noqa: E402

from gradlab.homework.cases import FORBIDDEN  # noqa: E402

HONEST = {
    "local summary": "def q7():\n    summary = {'a': 1}\n    return summary['a']\n",
    "counter passed": "def q6():\n    passed = 0\n    for k in range(3):\n"
                      "        passed += 1\n    return passed\n",
    "private helper": "def _evaluate_sharpness(a):\n    return 2 * a\n\n\n"
                      "def q7():\n    return _evaluate_sharpness(3.0)\n",
    "top-level names": "summary = 3\npassed = True\ncheck_value = 2\n",
    "the self-check": "from gradlab.homework import check, summary\ncheck('hw1.q1', q1)\n"
                      "summary('hw1')\n",
    "public gradlab and torch": "import torch\nfrom torch import nn\nimport numpy as np\n"
                                "from gradlab.notebook import setup_notebook\n"
                                "g = torch.autograd.grad\nx = np.linspace(0, 1, 5)\n",
    "magics": "%matplotlib inline\n!ls\nx = 1\n",
    "a natural q7 loop": "def q7():\n    a, b = 6.0, 0.1\n    for _ in range(2000):\n"
                         "        a, b = a - 0.1 * a * b * b, b - 0.1 * a * a * b\n"
                         "    return a * a + b * b\n",
    "not python": "this is ( not python",
}

ATTACKS = {
    "disguised import": ("import gradlab.homework\nrc = getattr(gradlab.homework, 'ca' + 'ses')\n",
                         "getattr"),
    "cases": ("from gradlab.homework import cases\ncases.run_case = print\n", "cases"),
    "cases alias": ("import gradlab.homework.cases as h\n", "cases"),
    "old runner name": ("import gradlab.hwcases as h\n", "hwcases"),
    "private of checks": ("import gradlab.homework.checks as gc\ngc._evaluate = None\n", "_evaluate"),
    "patch torch": ("import torch\ntorch.autograd.grad = lambda *a, **k: None\n", "replaces"),
    "frames": ("import sys\nf = sys._getframe(1)\n", "_getframe"),
    "caller locals": ("def q3(f):\n    import inspect\n    return inspect.stack()\n", "inspect"),
    "engine": ("import torch\ntorch.autograd.graph._engine_run_backward\n", "_engine"),
    "closure": ("def q1():\n    return q1.__closure__\n", "__closure__"),
    "runner": ("_gradlab_grade('x', 'hw1.q1', 'q1', None)\n", "_gradlab_grade"),
    "exec": ("exec('imp' + 'ort gradlab.homework.cases')\n", "exec"),
    "processes": ("import os\nos.system('sleep 1')\n", "os.system"),
    "ctypes": ("import ctypes\n", "ctypes"),
    "modules": ("import sys\nsys.modules['gradlab.homework.cases']\n", ".modules"),
}


@pytest.mark.parametrize("name", list(HONEST))
def test_honest_code_is_never_flagged(name):
    assert findings(HONEST[name]) == []


@pytest.mark.parametrize("name", list(ATTACKS))
def test_reaching_into_grading_is_flagged(name):
    source, what = ATTACKS[name]
    found = findings(source)
    assert found and any(what in f for f in found), found


# ---------------------------------------------------------------- forbidden shortcuts per question

def _master_answers():
    import grade
    import make_homework
    import nbformat

    for path in sorted(make_homework.MASTERS.glob("*.ipynb")):
        nb = make_homework.render_master(nbformat.read(path, as_version=4))
        cells = grade.answer_cells(nb, nb.metadata["gradlab"]["assignment"])
        helpers = definitions([c.source for c in nb.cells if c.cell_type == "code"])
        for qid, i in cells.items():
            yield qid, nb.cells[i].source, helpers


def test_master_solutions_use_no_forbidden_shortcut():
    for qid, source, helpers in _master_answers():
        assert shortcuts(source, helpers, FORBIDDEN.get(qid, ())) == [], qid


SAVED = definitions(["import torch\nSAVED = {'grad': torch.autograd.grad}\n",
                     "def helper(w, h0, T, g=torch.autograd.grad):\n    return g\n",
                     "def grad_norms(model, x, y):\n    return [0.0]\n"])
BYPASSES = {
    "saved reference": ("hw3.q2", "def q2(w, h0, T):\n    return SAVED['grad'](w, h0)\n",
                        "autograd"),
    "default argument": ("hw3.q2", "def q2(w, h0, T):\n    return helper(w, h0, T)\n",
                         "autograd"),
    "float(w) then a power": ("hw3.q2", "def q2(w, h0, T):\n    w = float(w)\n"
                                        "    return w ** T, T * w ** (T - 1) * h0\n", "**"),
    "private engine": ("hw3.q2", "def q2(w, h0, T):\n    import torch\n"
                                 "    return torch.autograd.graph._engine_run_backward\n",
                       "autograd"),
    "clip_grad module": ("hw4.q1", "def q1(grads, m):\n    from torch import nn\n"
                                   "    return nn.utils.clip_grad.clip_grad_norm_(grads, m)\n",
                         "clip_grad_norm_"),
    "numgrad": ("hw1.q4", "def q4(f, w, eps):\n    from gradlab import numgrad\n"
                          "    return numgrad.numerical_gradient(f, w, eps)\n",
                "numerical_gradient"),
    "probe by string": ("hw2.q2", "def q2(model, x, y):\n    import gradlab.probes as p\n"
                                  "    return getattr(p, 'layer_grad_norms')(model)\n",
                        "layer_grad_norms"),
}


def test_own_function_with_a_forbidden_name_is_honest():
    source = "def q2(model, x, y):\n    return grad_norms(model, x, y)\n"
    assert shortcuts(source, SAVED, FORBIDDEN["hw2.q2"]) == []


@pytest.mark.parametrize("name", list(BYPASSES))
def test_ways_around_a_forbidden_shortcut_are_flagged(name):
    qid, source, what = BYPASSES[name]
    assert what in shortcuts(source, SAVED, FORBIDDEN[qid])
