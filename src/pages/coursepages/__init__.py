"""coursepages: the course website's page machinery, kept out of the student's gradlab.

gradlab is what a student installs and imports (the measuring library and the JupyterLab
explorers). This package holds what only the book's pages need:

    webfig      the explorers' live figures on the website: Bokeh, every control position
                computed in advance from the explorer's one description (gradlab.explorer)
    first_look  the introduction's opening figure: deep sigmoid vs ReLU+He networks
    diagrams    the course's diagrams as reproducible SVG files (tools/draw_diagrams.py)
    audit       the fact check's reader of the source documents and of data/audit.yaml

It imports gradlab; gradlab never imports it (tests/test_import_direction.py).
"""

__version__ = "0.1.0"
