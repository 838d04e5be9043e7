"""One call at the top of every notebook (seeds, threads, plot defaults), and ``glue``."""

from __future__ import annotations

import random
import re

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


def glue(name: str, value, display: bool = True) -> None:
    """Store ``value`` under ``name`` for the page's prose (``{glue:text}`name:.3g```).

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
    if isinstance(value, torch.Tensor | np.ndarray):
        raise TypeError(f"glue {name!r}: value is an array of shape {tuple(value.shape)}; glue one "
                        "number (float(x)) or a string")
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
