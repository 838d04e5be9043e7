"""The homework's side of gradlab: what a student's kernel needs to do the homework, nothing more.

    checks      every question's definition (kind, points, hint, acceptance rule) and the
                self-check ``check("hw2.q3", answer)``; hashes of the public answers only
    cases       the implementation questions' public inputs and the runner that calls a
                student's function (the only grading code that runs in a student's kernel)

The figures of the interpretation questions are not drawn here: they are drawn when a copy of
the homework is made (tools/make_homework.py, with tools/grading/figures.py, which is not part of
this package) and handed out inside the notebook and as PNG files beside it; ``show_figure``
only shows such a file. Expected answers and reference implementations live in tools/grading,
outside the student's install.
"""

from __future__ import annotations

from pathlib import Path

from .checks import check, passed, questions, results, summary

__all__ = ["check", "passed", "questions", "results", "show_figure", "summary"]


def show_figure(file: str) -> None:
    """Show a figure handed out with the notebook (a PNG file beside it, drawn when the copy was
    made). Without the file, print where the figure is instead of failing: the notebook as
    handed out holds it as this cell's stored output."""
    if not isinstance(file, str) or not file.endswith(".png") or Path(file).name != file:
        raise ValueError(f"file must be the name of a PNG file beside the notebook, such as "
                         f"'hw1_q5.png', got {file!r}")
    path = Path(file)
    if not path.is_file():
        print(f"{file} is not beside this notebook. The figure is this cell's stored output in "
              f"the notebook as handed out: reopen that copy, or put {file} (handed out with it) "
              f"in the notebook's folder and run this cell again.")
        return
    from IPython.display import Image, display

    display(Image(data=path.read_bytes(), format="png", retina=True))
