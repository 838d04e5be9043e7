"""Tamper flags come from the syntax tree: what code reaches, never what a name is called."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from grading.tamper import findings  # noqa: E402

HONEST = {
    "local summary": "def q7():\n    summary = {'a': 1}\n    return summary['a']\n",
    "counter passed": "def q6():\n    passed = 0\n    for k in range(3):\n"
                      "        passed += 1\n    return passed\n",
    "private helper": "def _evaluate_sharpness(a):\n    return 2 * a\n\n\n"
                      "def q7():\n    return _evaluate_sharpness(3.0)\n",
    "top-level names": "summary = 3\npassed = True\ncheck_value = 2\n",
    "the self-check": "from gradlab.checks import check, summary\ncheck('hw1.q1', q1)\n"
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
    "disguised import": ("import gradlab\nrc = getattr(gradlab, 'hw' + 'cases')\n", "getattr"),
    "hwcases": ("from gradlab import hwcases\nhwcases.run_case = print\n", "hwcases"),
    "hwcases alias": ("import gradlab.hwcases as h\n", "hwcases"),
    "private of checks": ("import gradlab.checks as gc\ngc._evaluate = None\n", "_evaluate"),
    "patch torch": ("import torch\ntorch.autograd.grad = lambda *a, **k: None\n", "replaces"),
    "frames": ("import sys\nf = sys._getframe(1)\n", "_getframe"),
    "caller locals": ("def q3(f):\n    import inspect\n    return inspect.stack()\n", "inspect"),
    "engine": ("import torch\ntorch.autograd.graph._engine_run_backward\n", "_engine"),
    "closure": ("def q1():\n    return q1.__closure__\n", "__closure__"),
    "runner": ("_gradlab_grade('x', 'hw1.q1', 'q1', None)\n", "_gradlab_grade"),
    "exec": ("exec('imp' + 'ort gradlab.hwcases')\n", "exec"),
    "processes": ("import os\nos.system('sleep 1')\n", "os.system"),
    "ctypes": ("import ctypes\n", "ctypes"),
    "modules": ("import sys\nsys.modules['gradlab.hwcases']\n", ".modules"),
}


@pytest.mark.parametrize("name", list(HONEST))
def test_honest_code_is_never_flagged(name):
    assert findings(HONEST[name]) == []


@pytest.mark.parametrize("name", list(ATTACKS))
def test_reaching_into_grading_is_flagged(name):
    source, what = ATTACKS[name]
    found = findings(source)
    assert found and any(what in f for f in found), found
