"""gradlab.monitor and gradlab.train: recorded numbers agree with direct computation, an exploding
model is stopped with an error naming the parameter and step, bad arguments are refused."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gradlab.data import Split, load_digits_split
from gradlab.monitor import NonFiniteError, TrainingMonitor
from gradlab.nets import deep_mlp
from gradlab.probes import layer_grad_norms
from gradlab.train import Run, accuracy, make_optimizer, train


def small_data(n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 64, generator=gen), torch.randint(0, 10, (n,), generator=gen)


@pytest.mark.parametrize("seed", range(3))
def test_grad_norms_and_update_ratios_match_direct_computation(seed):
    model = deep_mlp(4, 16, activation="tanh", seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mon = TrainingMonitor(model, opt)
    x, y = small_data(seed=seed)
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        mon.record_loss(loss)
        loss.backward()
        expected = list(layer_grad_norms(model).values())
        before = [lin.weight.detach().clone() for lin in model.linears]
        expected_grads = [lin.weight.grad.clone() for lin in model.linears]
        opt.step()
        recorded = [mon.history["grad_norm"][n][-1] for n in mon.layer_names]
        assert recorded == pytest.approx(expected, rel=1e-6)
        # SGD: W_after - W_before = -lr * grad, so the ratio is lr ||g|| / ||W||.
        ratios = [mon.history["update_ratio"][n][-1] for n in mon.layer_names]
        by_hand = [0.05 * float(g.norm()) / float(w.norm())
                   for g, w in zip(expected_grads, before, strict=True)]
        assert ratios == pytest.approx(by_hand, rel=1e-4)
        assert mon.history["loss"][-1] == pytest.approx(loss.item())
    assert mon.history["step"] == [0, 1, 2]
    assert mon.grad_norm_ratio(0) == pytest.approx(
        mon.history["grad_norm"][mon.layer_names[0]][0]
        / mon.history["grad_norm"][mon.layer_names[-1]][0])
    mon.remove()


def test_grad_norms_are_read_before_clipping():
    model = deep_mlp(3, 8, seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with TrainingMonitor(model, opt) as mon:
        x, y = small_data()
        loss = 1e3 * nn.functional.cross_entropy(model(x), y)
        loss.backward()
        raw = list(layer_grad_norms(model).values())
        nn.utils.clip_grad_norm_(model.parameters(), 1e-3)
        opt.step()
    assert [mon.history["grad_norm"][n][0] for n in mon.layer_names] == pytest.approx(raw)
    assert max(raw) > 1e-3  # so clipping did change the gradients the optimizer saw


def test_exploding_model_raises_naming_parameter_and_step():
    # A linear chain whose weights are 10 * identity: the gradient is multiplied by 10 per layer
    # on its way to the input and overflows float32 in the first layers after a few steps.
    model = nn.Sequential(*[nn.Linear(4, 4, bias=False) for _ in range(40)])
    with torch.no_grad():
        for lin in model:
            lin.weight.copy_(1.5 * torch.eye(4))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    mon = TrainingMonitor(model, opt)
    x = torch.ones(2, 4)
    with pytest.raises(NonFiniteError) as info:
        for _ in range(20):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
    err = info.value
    assert err.step == mon.step_count  # raised during the step that was not completed
    assert err.where in {n for n, _ in model.named_parameters()} | set(mon.layer_names)
    assert err.where in str(err) and f"step {err.step}" in str(err)
    mon.remove()


def test_nan_gradient_names_the_parameter():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = TrainingMonitor(model, opt)
    out = model(torch.tensor([[1.0, float("nan"), 0.0]])).sum()
    out.backward()
    before = [p.detach().clone() for p in model.parameters()]
    # Backward reaches the output layer first, and its weight gradient h_1 is already NaN.
    with pytest.raises(NonFiniteError, match=r"'1\.weight' is NaN at optimizer step 0"):
        opt.step()
    # The error comes before the optimizer touches the weights.
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before, strict=True))
    mon.remove()


def test_nonfinite_loss_is_refused_and_check_can_be_disabled():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = TrainingMonitor(model, opt)
    with pytest.raises(NonFiniteError, match="loss is inf at optimizer step 0"):
        mon.record_loss(torch.tensor(float("inf")))
    mon.remove()
    quiet = TrainingMonitor(model, opt, check_finite=False)
    assert math.isnan(quiet.record_loss(float("nan")))
    quiet.remove()


def test_remove_detaches_hooks():
    model = deep_mlp(2, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    mon = TrainingMonitor(model, opt)
    mon.remove()
    x, y = small_data()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    assert mon.history["step"] == []


def test_plot_draws_one_line_per_layer_up_to_five():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load_digits_split()
    run = train(deep_mlp(3, 8), data, epochs=1, batch_size=512)
    fig, axes = run.monitor.plot(title="t")
    assert len(axes[1].lines) == len(run.monitor.layer_names) == 4
    assert len(axes[0].lines[0].get_xdata()) == run.monitor.step_count
    plt.close(fig)
    deep = train(deep_mlp(10, 8), data, epochs=1, batch_size=512)
    fig, axes = deep.monitor.plot()
    labels = [line.get_label() for line in axes[2].lines]
    assert len(labels) == 5 and labels[0] == "layer 1" and labels[-1] == "layer 11 (head)"
    first = deep.monitor.history["update_ratio"][deep.monitor.layer_names[0]]
    assert list(axes[2].lines[0].get_ydata()) == first
    assert fig.get_size_inches()[0] <= 6.8
    plt.close(fig)
    with pytest.raises(ValueError, match="max_layers"):
        deep.monitor.plot(max_layers=0)


def test_monitor_bad_arguments():
    model = deep_mlp(2, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="model"):
        TrainingMonitor("net", opt)
    with pytest.raises(ValueError, match="no nn.Linear"):
        TrainingMonitor(nn.ReLU(), opt)
    with pytest.raises(TypeError, match="optimizer"):
        TrainingMonitor(model, "sgd")
    with pytest.raises(ValueError, match="optimizer does not update"):
        TrainingMonitor(model, torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1))
    with pytest.raises(TypeError, match="check_finite"):
        TrainingMonitor(model, opt, check_finite=1)
    mon = TrainingMonitor(model, opt)
    with pytest.raises(ValueError, match="no step recorded"):
        mon.grad_norm_ratio()
    with pytest.raises(ValueError, match="loss must be a scalar"):
        mon.record_loss(torch.ones(3))
    with pytest.raises(TypeError, match="loss"):
        mon.record_loss("1.0")
    with pytest.raises(ValueError, match="axes"):
        mon.plot(axes=[1, 2])
    mon.remove()


# --- gradlab.train -------------------------------------------------------------------------


def test_train_learns_and_records_every_step():
    data = load_digits_split()
    run = train(deep_mlp(2, 32, activation="relu", init="he"), data, lr=0.1, epochs=3,
                batch_size=128)
    assert not run.diverged and len(run.test_accuracy) == 3
    steps = 3 * math.ceil(len(data.y_train) / 128)
    assert run.monitor.step_count == steps == len(run.monitor.history["loss"])
    assert run.train_loss[-1] < run.train_loss[0]
    assert run.final_accuracy > 0.5  # chance is 0.1
    assert run.epochs_to(0.0) == 1 and run.epochs_to(1.0) in (None, 1, 2, 3)


def test_train_is_deterministic():
    data = load_digits_split()
    a = train(deep_mlp(3, 16, seed=2), data, epochs=2, seed=5)
    b = train(deep_mlp(3, 16, seed=2), data, epochs=2, seed=5)
    assert a.train_loss == b.train_loss and a.test_accuracy == b.test_accuracy


def test_train_marks_divergence_instead_of_raising():
    data = load_digits_split()
    run = train(deep_mlp(10, 32, activation="relu", init="he", init_scale=2.0), data, lr=0.1,
                epochs=2)
    assert run.diverged and run.diverged_at is not None and "step" in run.error
    assert run.monitor.step_count == run.diverged_at
    assert math.isnan(run.final_accuracy) and run.epochs_to(0.5) is None


def test_accuracy_agrees_with_a_count():
    data = load_digits_split()
    model = deep_mlp(2, 8)
    pred = model(data.X_test).argmax(dim=1)
    assert accuracy(model, data.X_test, data.y_test) == pytest.approx(
        sum(int(p == t) for p, t in zip(pred, data.y_test, strict=True)) / len(pred))


def test_train_bad_arguments():
    data = load_digits_split()
    model = deep_mlp(2, 4)
    with pytest.raises(TypeError, match="model"):
        train("net", data)
    with pytest.raises(TypeError, match="data"):
        train(model, (data.X_train, data.y_train))
    with pytest.raises(ValueError, match="epochs"):
        train(model, data, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        train(model, data, batch_size=0)
    with pytest.raises(ValueError, match="max_norm"):
        train(model, data, max_norm=-1.0)
    with pytest.raises(TypeError, match="cosine"):
        train(model, data, cosine="yes")
    with pytest.raises(ValueError, match="optimizer"):
        train(model, data, optimizer="rmsprop")
    with pytest.raises(ValueError, match="lr"):
        train(model, data, lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        make_optimizer(model, "adam", 0.1, momentum=0.9)
    with pytest.raises(ValueError, match="accuracy"):
        Run().epochs_to(1.5)
    assert isinstance(data, Split)


def test_train_agrees_with_the_loop_written_out_in_the_case_study():
    """The chapter 5 notebook writes its baseline loop out by hand; train() must match it."""
    data = load_digits_split()
    model = deep_mlp(3, 16, activation="sigmoid", init=0.1, seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = TrainingMonitor(model, optimizer)
    loss_fn = nn.CrossEntropyLoss()
    order_gen = torch.Generator().manual_seed(0)
    n, batch = len(data.y_train), 128
    loop_loss, loop_acc = [], []
    for _ in range(3):
        order = torch.randperm(n, generator=order_gen)
        total = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(data.X_train[idx]), data.y_train[idx])
            total += monitor.record_loss(loss) * len(idx)
            loss.backward()
            optimizer.step()
        loop_loss.append(total / n)
        with torch.no_grad():
            loop_acc.append((model(data.X_test).argmax(1) == data.y_test).double().mean().item())
    monitor.remove()
    run = train(deep_mlp(3, 16, activation="sigmoid", init=0.1, seed=0), data, lr=0.1, epochs=3,
                batch_size=batch, seed=0)
    assert run.train_loss == loop_loss and run.test_accuracy == loop_acc
    assert run.monitor.history["grad_norm"] == monitor.history["grad_norm"]


def test_accuracy_names_bad_arguments():
    model = nn.Linear(2, 3)
    X, y = torch.zeros(5, 2), torch.zeros(5, dtype=torch.long)
    assert 0.0 <= accuracy(model, X, y) <= 1.0
    with pytest.raises(TypeError, match="model"):
        accuracy("net", X, y)
    with pytest.raises(TypeError, match="X"):
        accuracy(model, [[0.0, 0.0]], y)
    with pytest.raises(ValueError, match="y must be"):
        accuracy(model, X, torch.zeros(4, dtype=torch.long))


def test_monitor_agrees_with_the_diagnostics_written_in_the_case_study_loop():
    """Chapter 5 computes the per-layer gradient norm, the update-to-weight ratio and the
    non-finite check in visible lines of its loop; TrainingMonitor must record the same."""
    data = load_digits_split()
    model = deep_mlp(4, 16, activation="sigmoid", init=0.1, seed=0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = TrainingMonitor(model, optimizer)
    loss_fn = nn.CrossEntropyLoss()
    grad_log, ratio_log = [], []
    for start in range(0, 512, 128):
        x, y = data.X_train[start:start + 128], data.y_train[start:start + 128]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        monitor.record_loss(loss)
        loss.backward()
        # the lines of the case study's loop
        grads = [lin.weight.grad.norm().item() for lin in model.linears]
        before = [lin.weight.detach().clone() for lin in model.linears]
        optimizer.step()
        ratios = [((lin.weight.detach() - w).norm() / w.norm()).item()
                  for lin, w in zip(model.linears, before, strict=True)]
        assert math.isfinite(loss.item()) and all(map(math.isfinite, grads + ratios))
        grad_log.append(grads)
        ratio_log.append(ratios)
    monitor.remove()
    for i, name in enumerate(monitor.layer_names):
        assert monitor.history["grad_norm"][name] == pytest.approx(
            [g[i] for g in grad_log], rel=1e-6)
        assert monitor.history["update_ratio"][name] == pytest.approx(
            [r[i] for r in ratio_log], rel=1e-6)
    assert grad_log[0][0] < 1e-3 * grad_log[0][-1]  # vanishing: the test can tell layers apart


def test_train_clips_with_gradlab_clipping():
    """train(max_norm=c) clips the global gradient norm with gradlab.clipping before the step:
    one SGD step from the same weights moves them by lr * (clipped gradient)."""
    from gradlab.clipping import clip_by_norm

    data = load_digits_split()
    model = deep_mlp(3, 16, activation="relu", init="he", init_scale=2.0, seed=0)
    start = [p.detach().clone() for p in model.parameters()]
    train(model, data, lr=0.1, epochs=1, batch_size=len(data.y_train), max_norm=0.5)
    ref = deep_mlp(3, 16, activation="relu", init="he", init_scale=2.0, seed=0)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(data.y_train), generator=gen)
    nn.CrossEntropyLoss()(ref(data.X_train[order]), data.y_train[order]).backward()
    clipped = clip_by_norm([p.grad for p in ref.parameters()], 0.5, eps=1e-6)
    for p, p0, g in zip(model.parameters(), start, clipped, strict=True):
        assert torch.allclose(p.detach(), p0 - 0.1 * g, atol=1e-6)
    moved = torch.cat([(p.detach() - p0).flatten()
                       for p, p0 in zip(model.parameters(), start, strict=True)])
    assert float(moved.norm()) == pytest.approx(0.1 * 0.5, rel=1e-4)
