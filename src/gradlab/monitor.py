"""A training monitor: attach it to a model and its optimizer in one line, read what happened.

    monitor = TrainingMonitor(model, optimizer)

From then on, every ``loss.backward()`` and ``optimizer.step()`` is watched through hooks:

- per-layer gradient norms ||dL/dW_l||_2 of each probed layer's weight (``gradlab.probes``
  chooses the layers: Linear, Conv, RNN), read as soon as backward has accumulated the gradient,
  so before any clipping;
- the update-to-data ratio of each layer, ||W_l(after step) - W_l(before)||_2 / ||W_l(before)||_2,
  the size of one step relative to the weights it changes (around 1e-3 is the usual healthy
  range; 1e-7 means the layer is frozen, 1e-1 means it is being overwritten);
- the loss, when you pass it: ``monitor.record_loss(loss)``;
- a check of every parameter's gradient (before the optimizer uses it), every probed weight after
  its update, and the loss: the first inf or NaN raises :class:`NonFiniteError` naming the
  parameter (or the loss) and the optimizer step, instead of letting NaN flow silently through
  the rest of training. Gradients are checked in the order backward reached them, output side
  first.

``monitor.history`` is a plain dict of lists (one entry per optimizer step); ``monitor.plot()``
draws loss, gradient norms and update ratios in one figure.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from .probes import layer_weight, named_layers


class NonFiniteError(FloatingPointError):
    """A loss, gradient or updated weight became inf or NaN. ``.step`` and ``.where`` say where."""

    def __init__(self, message: str, *, step: int, where: str):
        super().__init__(message)
        self.step = step
        self.where = where


class TrainingMonitor:
    """Watch a model's gradients, updates and loss during training (see the module docstring).

    Parameters
    ----------
    model : the torch model being trained (any ``nn.Module`` with Linear/Conv/RNN layers).
    optimizer : the ``torch.optim.Optimizer`` that updates it; its ``step()`` is hooked.
    check_finite : raise :class:`NonFiniteError` at the first inf/NaN (default True).

    Use ``remove()`` (or a ``with`` block) to detach the hooks.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, *,
                 check_finite: bool = True):
        self.layers = named_layers(model)  # validates model
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}"
            )
        if not isinstance(check_finite, bool):
            raise TypeError(f"check_finite must be True or False, got {check_finite!r}")
        optimized = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if not any(id(p) in optimized for p in model.parameters()):
            raise ValueError("optimizer does not update any parameter of model: "
                             "pass the optimizer built from model.parameters()")
        self.model = model
        self.optimizer = optimizer
        self.check_finite = check_finite
        self.layer_names = [name for name, _ in self.layers]
        self.history: dict[str, Any] = {
            "step": [],
            "loss": [],
            "grad_norm": OrderedDict((n, []) for n in self.layer_names),
            "update_ratio": OrderedDict((n, []) for n in self.layer_names),
        }
        self.step_count = 0  # optimizer steps completed
        self._grad_norms: dict[str, torch.Tensor] = {}  # parameter name -> ||grad||, this step
        self._grad_values: dict[str, float] = {}
        self._params: dict[str, torch.Tensor] = {}
        self._loss = math.nan
        self._before: list[torch.Tensor] = []
        self._handles = []
        self._layer_param = {n: None for n in self.layer_names}
        weight_owner = {id(layer_weight(m)): n for n, m in self.layers}
        for pname, p in model.named_parameters():
            if p.requires_grad:
                self._params[pname] = p
                if id(p) in weight_owner:
                    self._layer_param[weight_owner[id(p)]] = pname
                self._handles.append(p.register_post_accumulate_grad_hook(self._grad_hook(pname)))
        self._handles.append(optimizer.register_step_pre_hook(self._pre_step))
        self._handles.append(optimizer.register_step_post_hook(self._post_step))

    # --- hooks -------------------------------------------------------------------------------
    def _fail(self, what: str, where: str, value: str) -> None:
        raise NonFiniteError(
            f"{what} {where!r} is {value} at optimizer step {self.step_count} "
            f"(steps counted from 0): training diverged",
            step=self.step_count, where=where,
        )

    def _grad_hook(self, pname: str):
        # Runs as soon as backward has accumulated p.grad, so before any clipping. The norm stays
        # a tensor here (no synchronisation); all norms are read at once before the step.
        def hook(p: torch.Tensor) -> None:
            self._grad_norms.pop(pname, None)  # keep the order in which backward reached them
            self._grad_norms[pname] = torch.linalg.vector_norm(p.grad.detach())
        return hook

    def _pre_step(self, optimizer, args, kwargs) -> None:
        names = list(self._grad_norms)
        values = torch.stack(list(self._grad_norms.values())).tolist() if names else []
        self._grad_values = dict(zip(names, values, strict=True))
        if self.check_finite:
            for pname, value in self._grad_values.items():  # in the order backward reached them
                if not math.isfinite(value):
                    g = self._params[pname].grad
                    kind = ("NaN" if bool(torch.isnan(g).any()) else
                            "inf" if bool(torch.isinf(g).any()) else "too large for its norm")
                    self._fail("the gradient of", pname, kind)
        self._before = [layer_weight(m).detach().clone() for _, m in self.layers]

    def _post_step(self, optimizer, args, kwargs) -> None:
        after = [layer_weight(m).detach() for _, m in self.layers]
        sizes = torch.stack([torch.linalg.vector_norm(b) for b in self._before]).tolist()
        steps = torch.stack([torch.linalg.vector_norm(a - b)
                             for a, b in zip(after, self._before, strict=True)]).tolist()
        h = self.history
        h["step"].append(self.step_count)
        h["loss"].append(self._loss)
        for name, size, step in zip(self.layer_names, sizes, steps, strict=True):
            if self.check_finite and not math.isfinite(step):
                self._fail("the updated weight of", name, "inf or NaN")
            pname = self._layer_param[name]
            h["grad_norm"][name].append(self._grad_values.get(pname, math.nan))
            ratio = step / size if size > 0 else (0.0 if step == 0 else math.inf)
            h["update_ratio"][name].append(ratio)
        self._grad_norms, self._grad_values, self._loss, self._before = {}, {}, math.nan, []
        self.step_count += 1

    # --- public ------------------------------------------------------------------------------
    def record_loss(self, loss: torch.Tensor | float) -> float:
        """Store this step's loss (a scalar tensor or float); raise NonFiniteError if inf/NaN."""
        if isinstance(loss, torch.Tensor):
            if loss.numel() != 1:
                raise ValueError(
                    f"loss must be a scalar, got a tensor of shape {tuple(loss.shape)}")
            value = float(loss.detach())
        elif isinstance(loss, (int, float)) and not isinstance(loss, bool):
            value = float(loss)
        else:
            raise TypeError(f"loss must be a scalar tensor or a float, got {type(loss).__name__}")
        if self.check_finite and not math.isfinite(value):
            raise NonFiniteError(
                f"the loss is {value} at optimizer step {self.step_count} "
                "(steps counted from 0): training diverged",
                step=self.step_count, where="loss",
            )
        self._loss = value
        return value

    def grad_norm_ratio(self, step: int = 0) -> float:
        """||dL/dW_first|| / ||dL/dW_last|| at optimizer step ``step``: << 1 means vanishing
        towards the input, >> 1 exploding."""
        if not self.history["step"]:
            raise ValueError("no step recorded yet: run loss.backward() and optimizer.step()")
        n = len(self.history["step"])
        if isinstance(step, bool) or not isinstance(step, int) or not -n <= step < n:
            raise ValueError(f"step must be an integer in [{-n}, {n - 1}], got {step!r}")
        first = self.history["grad_norm"][self.layer_names[0]][step]
        last = self.history["grad_norm"][self.layer_names[-1]][step]
        return first / last if last > 0 else math.inf

    def plot(self, axes=None, title: str | None = None, max_layers: int = 5):
        """Loss, per-layer gradient norms and update ratios against the step: three panels
        stacked, sized for the book's column.

        At most ``max_layers`` layers are drawn (evenly spaced from the first to the last, so
        the lines stay distinguishable), labelled in a legend under the figure. The loss axis
        is logarithmic only when the loss spans more than a decade. Returns ``(fig, axes)``.
        """
        import matplotlib.pyplot as plt

        if isinstance(max_layers, bool) or not isinstance(max_layers, int) or max_layers < 1:
            raise ValueError(f"max_layers must be a positive integer, got {max_layers!r}")
        own_figure = axes is None
        if own_figure:
            fig, axes = plt.subplots(3, 1, figsize=(6.8, 7.2), sharex=True,
                                     layout="constrained")
        else:
            if len(axes) != 3:
                raise ValueError(f"axes must hold 3 matplotlib Axes, got {len(axes)}")
            fig = axes[0].figure
        steps = self.history["step"]
        n = len(self.layer_names)
        shown = (list(range(n)) if n <= max_layers else
                 sorted({round(i * (n - 1) / max(1, max_layers - 1)) for i in range(max_layers)}))
        losses = [v for v in self.history["loss"] if math.isfinite(v) and v > 0]
        spans_decades = bool(losses) and max(losses) > 10 * min(losses)
        axes[0].plot(steps, self.history["loss"], color="k")
        axes[0].set(ylabel="loss", yscale="log" if spans_decades else "linear",
                    title="training loss")
        colors = plt.cm.viridis([0.85 * i / max(1, len(shown) - 1) for i in range(len(shown))])
        for key, ax, label in (("grad_norm", axes[1], "‖∂L/∂W‖"),
                               ("update_ratio", axes[2], "‖ΔW‖ / ‖W‖")):
            for c, i in zip(colors, shown, strict=True):
                name = self.layer_names[i]
                ax.plot(steps, self.history[key][name], color=c, lw=1.4,
                        label=f"layer {i + 1}" + (" (head)" if i == n - 1 else ""))
            ax.set(ylabel=label)
            ax.set_yscale("log", nonpositive="mask")  # a zero (no change) leaves a gap
        axes[1].set_title("gradient norm per layer")
        axes[2].set_title("update-to-weight ratio per layer")
        axes[2].set_xlabel("optimizer step")
        handles, labels = axes[1].get_legend_handles_labels()
        if own_figure:
            fig.legend(handles, labels, loc="outside lower center", ncol=min(len(shown), 5))
        else:
            axes[2].legend(handles, labels, fontsize=8)
        if title:
            fig.suptitle(title)
        return fig, axes

    def remove(self) -> None:
        """Detach every hook from the model and the optimizer."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self) -> TrainingMonitor:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
