"""Per-layer probes: what flows forward (activations) and backward (gradients) through a model.

``GradientRecorder`` attaches forward and backward hooks to every ``nn.Linear`` / ``nn.Conv*`` /
``nn.RNNBase`` layer of any torch model and to its activation modules, and keeps, for the last
forward/backward pass:

- ``weight_grad_norms()``: ||dL/dW_l||_2 (Frobenius) for each layer, input side first;
- ``output_grads``: dL/dz_l, the gradient with respect to each layer's output (input side
  first, like every other dict here);
- ``preactivations``: z_l, each layer's output;
- ``activations``: each activation module's output, used for saturation percentages.

The dicts are cleared at the start of every forward pass of the model, so they always describe
the last pass. A module used more than once in one pass (one ``nn.Tanh()`` object placed after
every layer of an ``nn.Sequential``, say) gets one entry per use: ``name``, ``name#2``, ...

``layer_grad_norms(model, layers="all" | "hidden")`` is the one per-layer gradient-norm function
(``grad_norms`` and ``hidden_grad_norms`` are its list forms; the recorder's
``weight_grad_norms`` calls it).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from ._validate import check_choice, check_float

LAYER_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.RNNBase)
ACTIVATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.GELU, nn.ELU,
)


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers whose weights gradlab probes (Linear, Conv, RNN), in registration order.

    Raises ValueError if the model has none: the probes would have nothing to record.
    """
    model = _check_model(model)
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, LAYER_TYPES)]
    if not layers:
        raise ValueError(
            f"model ({type(model).__name__}) has no nn.Linear, nn.Conv or nn.RNN/LSTM/GRU "
            "layers; gradlab's probes record the weight gradients of those layers only"
        )
    return layers


def layer_weight(module: nn.Module) -> torch.Tensor:
    """The weight whose gradient gradlab reads for a layer: ``W`` of a Linear/Conv layer, the
    recurrent weight ``W_hh`` (layer 0) of an RNN/LSTM/GRU, the matrix the w^T story is about."""
    if isinstance(module, nn.RNNBase):
        return module.weight_hh_l0
    return module.weight


#: which layers ``layer_grad_norms`` reports
LAYER_SELECTORS = ("all", "hidden")


def layer_grad_norms(model: nn.Module, layers: str = "all") -> OrderedDict[str, float]:
    """||dL/dW_l||_2 (Frobenius) per layer after ``loss.backward()``, input side first.

    The one per-layer gradient-norm function of gradlab (the explorers, the monitor's plots, the
    homework and the pages all read it). ``layers`` selects which:

    - ``"all"``: every Linear/Conv/RNN layer of any model (for an RNN layer, the recurrent
      weight W_hh, see ``layer_weight``), named as in ``model.named_modules()``;
    - ``"hidden"``: the hidden layers of a gradlab ``DeepMLP``, head excluded, named
      ``hidden 1``, ``hidden 2``, ... (``[0]`` is the first hidden layer).
    """
    layers = check_choice("layers", layers, LAYER_SELECTORS)
    if layers == "hidden":
        from .nets import DeepMLP

        if not isinstance(model, DeepMLP):
            raise TypeError(f"layers='hidden' needs a gradlab.nets.DeepMLP (it has hidden layers "
                            f"and a head), got {type(model).__name__}; use layers='all' for any model")
        chosen = [(f"hidden {i + 1}", layer) for i, layer in enumerate(model.hidden_linears)]
    else:
        chosen = named_layers(model)
    norms: OrderedDict[str, float] = OrderedDict()
    for name, module in chosen:
        w = layer_weight(module)
        if w.grad is None:
            raise ValueError(
                f"layer {name!r} has no gradient yet: call loss.backward() before reading norms"
            )
        norms[name] = float(w.grad.detach().norm())
    return norms


def grad_norms(model: nn.Module, layers: str = "all") -> list[float]:
    """``layer_grad_norms(model, layers)`` as a list, input side first."""
    return list(layer_grad_norms(model, layers).values())


def hidden_grad_norms(model: nn.Module) -> list[float]:
    """``grad_norms(model, layers="hidden")``: a DeepMLP's hidden layers, input side first.

    Kept under this name because the pages and the homework call it; ``[-1]`` is the last
    hidden layer, ``[0]`` the first.
    """
    return grad_norms(model, layers="hidden")


class GradientRecorder:
    """Hooks that record per-layer activations and gradients of the last forward/backward pass.

    Use as a context manager (hooks are removed on exit) or call ``remove()`` yourself::

        with GradientRecorder(model) as rec:
            loss = loss_fn(model(x), y)
            loss.backward()
        rec.weight_grad_norms()
    """

    def __init__(self, model: nn.Module):
        self.model = _check_model(model)
        self.layers = named_layers(model)
        self.preactivations: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.output_grads: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.activations: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._handles = [model.register_forward_pre_hook(self._clear)]
        for name, module in self.layers:
            if isinstance(module, nn.RNNBase):
                continue  # RNN outputs are tuples; their weights are still read by weight_grad_norms
            self._handles.append(module.register_forward_hook(self._forward_hook(name)))
        for name, module in model.named_modules():
            if isinstance(module, ACTIVATION_TYPES):
                self._handles.append(module.register_forward_hook(self._activation_hook(name)))

    def _clear(self, module, inputs) -> None:
        self.preactivations.clear()
        self.output_grads.clear()
        self.activations.clear()

    @staticmethod
    def _key(store: OrderedDict, name: str) -> str:
        # second, third ... use of the same module within one forward pass
        if name not in store:
            return name
        k = 2
        while f"{name}#{k}" in store:
            k += 1
        return f"{name}#{k}"

    def _forward_hook(self, name):
        # A tensor hook on the layer's output sees dL/dz_l during backward. (Module backward
        # hooks would warn on stderr when the input does not require a gradient.)
        def hook(module, inputs, output):
            key = self._key(self.preactivations, name)
            self.preactivations[key] = output.detach()
            if output.requires_grad:
                def store_grad(grad):
                    self.output_grads[key] = grad.detach()
                    # backward arrives output side first; keep the dict input side first
                    for k in self.preactivations:
                        if k in self.output_grads:
                            self.output_grads.move_to_end(k)
                output.register_hook(store_grad)
        return hook

    def _activation_hook(self, name):
        def hook(module, inputs, output):
            self.activations[self._key(self.activations, name)] = output.detach()
        return hook

    def weight_grad_norms(self) -> OrderedDict[str, float]:
        """||dL/dW_l||_2 for each probed layer, input side first (see ``layer_grad_norms``)."""
        return layer_grad_norms(self.model)

    def output_grad_norms(self) -> OrderedDict[str, float]:
        """||dL/dz_l||_2 over the batch for each layer, input side first."""
        if not self.output_grads:
            raise ValueError("no gradients recorded yet: run a forward pass and loss.backward()")
        return OrderedDict((n, float(self.output_grads[n].norm())) for n in self.preactivations
                           if n in self.output_grads)

    def remove(self) -> None:
        """Detach every hook from the model."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def __enter__(self) -> GradientRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


SATURATION_KINDS = ("sigmoid", "tanh", "relu")


def saturation_fraction(activations: torch.Tensor, kind: str, threshold: float = 0.01) -> float:
    """Fraction of saturated or dead units in a batch of activations of shape (batch, units).

    - sigmoid: a unit value a is saturated when a < threshold or a > 1 - threshold
      (then sigma'(z) = a(1-a) < threshold);
    - tanh: saturated when |a| > 1 - threshold (then tanh'(z) = 1 - a^2 < 2 * threshold);
    - relu: a unit is dead when it outputs 0 for every example of the batch; the fraction
      returned is dead units / units.
    """
    if not isinstance(activations, torch.Tensor):
        raise TypeError(f"activations must be a torch.Tensor, got {type(activations).__name__}")
    if activations.dim() != 2:
        raise ValueError(f"activations must have shape (batch, units), got {tuple(activations.shape)}")
    kind = check_choice("kind", kind, SATURATION_KINDS)
    threshold = check_float("threshold", threshold, minimum=0.0, maximum=0.5, strict_min=True)
    a = activations.detach()
    if kind == "sigmoid":
        return float(((a < threshold) | (a > 1 - threshold)).float().mean())
    if kind == "tanh":
        return float((a.abs() > 1 - threshold).float().mean())
    return float((a <= 0).all(dim=0).float().mean())
