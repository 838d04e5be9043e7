"""Tests of gradlab.notebook: setup_notebook and glue (the same protocol as myst_nb.glue)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from IPython.utils.capture import capture_output

from gradlab import glue, setup_notebook
from gradlab.notebook import GLUE_PREFIX


def glued(name, value, display=False):
    with capture_output() as cap:
        glue(name, value, display=display)
    assert len(cap.outputs) == 1
    return cap.outputs[0]


def test_glue_matches_myst_nb_output(monkeypatch):
    """The site build reads what myst_nb.glue writes: ours must send the same display call."""
    import IPython.display
    import myst_nb.ext.glue as myst_glue

    calls = []
    record = lambda *args, **kwargs: calls.append((args, kwargs))  # noqa: E731
    monkeypatch.setattr(myst_glue, "ipy_display", record)
    monkeypatch.setattr(IPython.display, "display", record)
    for value, display in [(0.125, False), ("text", True), (3, False)]:
        myst_glue.glue("x", value, display=display)
        glue("x", value, display=display)
        assert len(calls) == 2 and calls[0] == calls[1], calls
        calls.clear()


@pytest.mark.parametrize("value", [np.float64(0.25), np.float32(0.25), torch.tensor(0.25),
                                   np.array(0.25)])
def test_glue_stores_scalars_as_python_numbers(value):
    out = glued("v", value)
    assert out.data == {GLUE_PREFIX + "text/plain": "0.25"}
    assert out.metadata["scrapbook"] == {"name": "v", "mime_prefix": GLUE_PREFIX}


def test_glue_display_true_shows_the_value():
    out = glued("v", 2.5, display=True)
    assert out.data == {"text/plain": "2.5"} and out.metadata["scrapbook"]["mime_prefix"] == ""


@pytest.mark.parametrize("name, value, display, error, match", [
    ("", 1.0, False, ValueError, "glue name"),
    ("2x", 1.0, False, ValueError, "glue name"),
    ("a b", 1.0, False, ValueError, "glue name"),
    (3, 1.0, False, ValueError, "glue name"),
    ("v", np.ones(3), False, TypeError, r"shape \(3,\)"),
    ("v", torch.ones(2, 2), False, TypeError, r"shape \(2, 2\)"),
    ("v", 1.0, "no", TypeError, "display must be"),
])
def test_glue_bad_input(name, value, display, error, match):
    with pytest.raises(error, match=match):
        glue(name, value, display=display)


def test_setup_notebook_seeds_every_source():
    setup_notebook(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    setup_notebook(3)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a
    assert torch.get_num_threads() == 1
    with pytest.raises((TypeError, ValueError), match="seed"):
        setup_notebook(-1)
