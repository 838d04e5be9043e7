"""The notebook habits, one helper each: set-up, glue, the prose number format, claim guards.

    setup_notebook()              seeds, one torch thread, figure defaults (first code cell)
    glue(name, x, digits=...)     a number for the prose, rounded to the digits that are stable
    glue_num(name, x)             glue ``x`` and its prose form (``name_x``, via ``readable``)
    readable(x)                   the book's one number format for prose: m×10ⁿ outside 1e-3..1e4
    claim(ok, "what the text says")   stop the notebook when the data stop supporting the text
    seed_spread(values)           median and range of a measurement over seeds, for the prose
"""

from __future__ import annotations

import random
import re
from typing import NamedTuple

import numpy as np
import torch

from ._validate import check_int

# the default figure size in inches: the 688 px column of the book at 100 px per inch
FIGSIZE = (6.8, 3.6)


def setup_notebook(seed: int = 0) -> None:
    """Seed Python, NumPy and torch with ``seed``; use one torch thread; set figure defaults.

    One thread makes float reductions run in the same order on every machine, so a notebook
    prints the same digits twice; the course's networks are small enough not to need more.
    """
    seed = check_int("seed", seed, minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    import matplotlib as mpl

    # Figures are sized for the book's 688 px column: 6.8 in at 100 px/in. They are stored at
    # twice that resolution ("retina": the PNG carries its display size, which the site keeps),
    # and text is at least 10 pt (about 14 px on a laptop screen, 8 px on a 390 px phone).
    mpl.rcParams.update({
        "figure.figsize": FIGSIZE,
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "font.size": 11,
        "axes.titlesize": 11,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
        "legend.framealpha": 0.9,
        "lines.linewidth": 1.8,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: nothing to configure
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


# myst-nb reads glued values from display outputs whose MIME types carry this prefix
GLUE_PREFIX = "application/papermill.record/"
_GLUE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def glue(name: str, value, display: bool = True, digits: int | None = None) -> None:
    """Store ``value`` under ``name`` for the page's prose (``{glue:text}`name:.3g```).

    ``digits`` rounds a float to that many significant digits before it is stored: use it for
    values computed in float32 (whose 7th digit differs between CPUs), so the stored output holds
    only digits every machine reproduces.

    The same protocol as ``myst_nb.glue`` (which the site build reads), without importing Sphinx
    (that import costs about 2 s per notebook). NumPy and 0-d torch scalars are stored as plain
    Python numbers: a NumPy scalar's repr under NumPy 2 (``np.float64(0.5)``) cannot be formatted
    by ``{glue:text}``. ``display=True`` also shows the value in the notebook.
    """
    if not isinstance(name, str) or not _GLUE_NAME.match(name):
        raise ValueError(f"glue name must be letters, digits, '_', '.' or '-' (not starting with "
                         f"a digit or punctuation), got {name!r}")
    if not isinstance(display, bool):
        raise TypeError(f"display must be True or False, got {display!r}")
    if isinstance(value, np.generic) or (isinstance(value, torch.Tensor | np.ndarray) and value.ndim == 0):
        value = value.item()
    if digits is not None:
        digits = check_int("digits", digits, minimum=1)
        if not isinstance(value, float | int) or isinstance(value, bool):
            raise TypeError(f"glue {name!r}: digits= rounds a number, got {type(value).__name__}")
        value = _round_sig(float(value), digits)
    if isinstance(value, torch.Tensor | np.ndarray):
        raise TypeError(f"glue {name!r}: value is an array of shape {tuple(value.shape)}; glue one "
                        "number (float(x)) or a string")
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def _round_sig(x: float, digits: int) -> float:
    if x != x or abs(x) == float("inf"):
        return x
    return float(f"{x:.{digits}g}")


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def readable(x: float, digits: int = 3) -> str:
    """A number for people: ``digits`` significant digits, and m×10ⁿ outside 1e-3..1e4.

    readable(0.0115) == "0.0115", readable(4.87e-06) == "4.87×10⁻⁶", readable(1.4e6) == "1.4×10⁶".
    The book's one prose format; notebooks do not define their own.
    """
    digits = check_int("digits", digits, minimum=1)
    x = float(x)
    if x != x or abs(x) == float("inf"):
        return str(x)
    plain = f"{x:.{digits}g}"
    if x == 0 or (1e-3 <= abs(x) < 1e4 and "e" not in plain):
        return plain
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def glue_num(name: str, x: float, digits: int = 2) -> None:
    """Glue the float ``x`` under ``name`` (hidden) and its prose form under ``name + "_x"``.

    The prose form is ``readable(x, digits)``; the float is stored rounded to ``digits + 4``
    significant digits, far below any shown digit and far above float64 noise between CPUs.
    """
    x = float(x)
    glue(name, x, display=False, digits=digits + 4)
    glue(f"{name}_x", readable(x, digits), display=False)


class ClaimError(Exception):
    """A sentence of the page is no longer supported by the numbers the page computed."""


def claim(condition: bool, says: str, **evidence: object) -> None:
    """Guard a sentence of the prose: raise ClaimError unless ``condition`` is true.

    ``says`` is the claim as the text makes it ("BatchNorm trains in 5 of 5 seeds"); ``evidence``
    (name=value pairs) is printed with the error so a failing build shows what the data say now.
    Unlike ``assert``, this is not removed by ``python -O``, and ``condition`` must be a real
    boolean (a bool, a NumPy bool or a one-element boolean tensor), so ``claim(x, ...)`` with a
    number is refused instead of silently passing.
    """
    if not isinstance(says, str) or not says.strip():
        raise TypeError(f"says must be the sentence the claim guards, got {says!r}")
    if isinstance(condition, torch.Tensor) and condition.dtype == torch.bool and condition.numel() == 1:
        condition = bool(condition.item())
    elif isinstance(condition, np.bool_):
        condition = bool(condition)
    if not isinstance(condition, bool):
        raise TypeError(f"claim {says!r}: condition must be a bool (a comparison), got "
                        f"{type(condition).__name__}")
    if not condition:
        detail = ", ".join(f"{k}={v!r}" for k, v in evidence.items())
        raise ClaimError(f"the page says: {says}; the numbers no longer support it"
                         + (f" ({detail})" if detail else ""))


class Spread(NamedTuple):
    """A measurement over seeds: its median, smallest and largest value, and how many seeds."""

    median: float
    low: float
    high: float
    n: int

    def text(self, digits: int = 2) -> str:
        """"median 0.51 (range 0.47-0.58, 5 seeds)", each number through ``readable``."""
        return (f"median {readable(self.median, digits)} (range {readable(self.low, digits)}–"
                f"{readable(self.high, digits)}, {self.n} seeds)")


def seed_spread(values) -> Spread:
    """Median, minimum and maximum of one measurement over several seeds (at least 2)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().double().flatten().tolist()
    vals = [float(v) for v in values]
    if len(vals) < 2:
        raise ValueError(f"values must hold the measurement for at least 2 seeds, got {len(vals)}")
    if any(v != v for v in vals):
        raise ValueError("values must not contain NaN (a diverged run: report it separately)")
    return Spread(float(np.median(vals)), min(vals), max(vals), len(vals))
