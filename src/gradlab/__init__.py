"""gradlab: the small package behind the course on vanishing and exploding gradients.

Modules (one idea each), in the order the course meets them:

    notebook        one helper per notebook habit: setup_notebook(), glue(), glue_num(),
                    readable() (the prose number format), claim() (guards), seed_spread()
    descent         gradient descent on quadratics                                (ch. 1)
    explorer        one description per explorer (controls, state functions, panels) and
                    its JupyterLab form, explore_in_lab() (the website's: coursepages.webfig)
    descent_explorer  the chapter 1 explorers: learning-rate boundary, 2-D descent (ch. 1)
    numgrad         numerical gradients: forward and central finite differences   (ch. 1)
    nets            deep MLPs with a chosen activation, initialization, norm       (ch. 2-5)
    probes          per-layer gradient and activation recorders                    (ch. 2-5)
    depth_explorer  per-layer gradient norms against depth; the chapter 2 explorer (ch. 2)
    recurrence      the scalar recurrence h_t = w h_{t-1} and its gradient         (ch. 3)
    rnn_jacobian    matrix recurrences and the Jacobian of a tanh/sigmoid RNN      (ch. 3)
    wT_explorer     the chapter 3 explorer (w, T, matrix scale)                    (ch. 3)
    momentum_explorer  heavy-ball momentum on an ill-conditioned quadratic (the optimizers page)
    clipping        clipping by norm and by value                                  (ch. 4)
    initialization  variance of activations and gradients through depth           (ch. 4)
    rnn             RNN/LSTM/GRU gradient through time; the memory task            (ch. 4)
    data            scikit-learn's digits as torch tensors (no download)           (ch. 4-5)
    monitor         TrainingMonitor: per-layer norms, update ratios, inf/NaN stop  (ch. 5)
    optim           the optimizer factory every training loop uses                 (ch. 4-5)
    train           a small training loop watched by the monitor                   (ch. 5)
    seeds           train one network per (setting, seed) at once, as train does   (ch. 5)
    hessian         Hessian-vector products and the sharpness by power iteration   (ch. 7)
    homework        the homework's self-checks, check("hw2.q3", answer), and the runner of its
                    function questions (references, expected values and the figures' code live
                    in tools/grading, outside the package)                         (homework)

The website's page machinery (Bokeh live figures, diagrams, the intro's figure, the fact
check's reader and its documents) is the package ``coursepages`` (src/pages), which imports
gradlab; gradlab never imports it, so this package holds nothing of Bokeh or Sphinx.

Import the module you need (``from gradlab import nets``); the package imports only
``setup_notebook`` and ``glue`` eagerly, so ``import gradlab`` stays fast.
"""

from .notebook import glue, setup_notebook

__version__ = "0.1.0"
__all__ = ["glue", "setup_notebook", "__version__"]
