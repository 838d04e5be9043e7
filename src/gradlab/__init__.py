"""gradlab: the small package behind the course on vanishing and exploding gradients.

Modules (one idea each):
    recurrence  the scalar recurrence h_t = w h_{t-1} and its gradient
    nets        deep MLPs with a chosen activation, initialization, normalization
    probes      per-layer gradient and activation recorders
    data        scikit-learn's digits as torch tensors (no download)
    notebook    setup_notebook(): seeds, threads, plot defaults
"""

from .notebook import setup_notebook

__version__ = "0.1.0"
__all__ = ["setup_notebook", "__version__"]
