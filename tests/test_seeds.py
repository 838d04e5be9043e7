"""gradlab.seeds: every copy of a seed-batched run does what gradlab.train.train does with the
same arguments (checked in float64, where the two agree to rounding), copies trained together do
not influence each other, a diverging copy is dropped when train() stops (or a step later), and bad
arguments are refused with a message naming them."""

from __future__ import annotations

import math

import pytest
import torch

from gradlab.data import load_digits_split
from gradlab.nets import deep_mlp
from gradlab.seeds import SeedRuns, SeedStack, plot_accuracy, table, train_seeds
from gradlab.train import train

DATA = load_digits_split(dtype=torch.float64)
SEEDS = (0, 3)


def maker(**kw):
    args = dict(activation="sigmoid", init="lecun", init_scale=2.0)
    args.update(kw)
    return lambda seed: deep_mlp(3, 12, seed=seed, dtype=torch.float64, **args)


# (net keywords, setting keywords, train() keywords): one setting of each kind
CASES = {
    "sgd": ({}, {}, {}),
    "adam": ({}, dict(optimizer="adam", lr=1e-2), dict(optimizer="adam", lr=1e-2)),
    "adagrad": ({}, dict(optimizer="adagrad", lr=1e-2), dict(optimizer="adagrad", lr=1e-2)),
    "clip": (dict(activation="relu", init="he", init_scale=2.0), dict(max_norm=0.5),
             dict(max_norm=0.5)),
    "weight decay": ({}, dict(weight_decay=1e-2), dict(weight_decay=1e-2)),
    "cosine": ({}, dict(cosine=True), dict(cosine=True)),
    "batchnorm": (dict(norm="batch"), {}, {}),
    "layernorm": (dict(norm="layer"), {}, {}),
    "residual": (dict(residual=True), {}, {}),
    "residual 0.5": (dict(residual=True, residual_scale=0.5), {}, {}),
}


def reference(net_kw, train_kw, seed, epochs=3, batch_size=128):
    return train(maker(**net_kw)(seed), DATA, epochs=epochs, batch_size=batch_size, seed=seed,
                 **train_kw)


@pytest.mark.parametrize("case", list(CASES))
def test_each_copy_in_float64_is_what_train_does(case):
    net_kw, setting_kw, train_kw = CASES[case]
    runs = train_seeds({case: dict(make=maker(**net_kw), **setting_kw)}, DATA, epochs=3,
                       seeds=SEEDS, dtype=torch.float64)[case]
    for row, seed in enumerate(SEEDS):
        ref = reference(net_kw, train_kw, seed)
        assert not ref.diverged
        assert runs.acc[row].tolist() == pytest.approx(ref.test_accuracy, abs=1e-12)
        assert runs.loss[row].item() == pytest.approx(ref.train_loss[-1], rel=1e-9)
        assert runs.ratio0[row].item() == pytest.approx(ref.monitor.grad_norm_ratio(0), rel=1e-9)
        first = ref.monitor.layer_names[0]
        assert runs.updates[:, row].tolist() == pytest.approx(
            ref.monitor.history["update_ratio"][first], rel=1e-7)
    assert runs.n_div == 0 and len(runs.final) == len(SEEDS)


def test_copies_trained_together_do_not_influence_each_other():
    """Settings with different optimizers, norms and skips in one stack give what each gives
    alone: one copy's loss reaches only its own weights."""
    settings = {name: dict(make=maker(**net_kw), **setting_kw)
                for name, (net_kw, setting_kw, _) in CASES.items()
                if name not in ("clip", "residual 0.5")}  # one activation, one skip scale
    together = train_seeds(settings, DATA, epochs=2, seeds=SEEDS, dtype=torch.float64)
    for name, setting in settings.items():
        alone = train_seeds({name: setting}, DATA, epochs=2, seeds=SEEDS, dtype=torch.float64)
        torch.testing.assert_close(together[name].acc, alone[name].acc, rtol=0, atol=1e-12)
        torch.testing.assert_close(together[name].loss, alone[name].loss, rtol=1e-9, atol=0)


def test_a_diverging_copy_is_dropped_and_the_others_go_on():
    def boom(seed):  # ten ReLU layers at 3 x He: the loss overflows float64 within 4 steps
        return deep_mlp(10, 12, activation="relu", init="he", init_scale=3.0, seed=seed,
                        dtype=torch.float64)

    def calm(seed):
        return deep_mlp(10, 12, activation="relu", init="he", seed=seed, dtype=torch.float64)

    runs = train_seeds({"boom": dict(make=boom), "calm": dict(make=calm)},
                       DATA, epochs=2, seeds=SEEDS, dtype=torch.float64)
    for row, seed in enumerate(SEEDS):
        ref = train(boom(seed), DATA, lr=0.1, epochs=2, seed=seed)
        assert ref.diverged
        # train()'s monitor may stop a step earlier, at a gradient whose norm overflows
        assert ref.diverged_at <= runs["boom"].diverged[row].item() <= ref.diverged_at + 1
        assert math.isnan(runs["boom"].loss[row].item())
    assert runs["boom"].n_div == len(SEEDS) and len(runs["boom"].final) == 0
    assert runs["calm"].n_div == 0 and not runs["calm"].acc.isnan().any()
    alone = train_seeds({"calm": dict(make=calm)}, DATA, epochs=2, seeds=SEEDS,
                        dtype=torch.float64)["calm"]
    torch.testing.assert_close(runs["calm"].acc, alone.acc, rtol=0, atol=1e-12)


def test_reach_counts_epochs_from_one():
    runs = train_seeds({"a": dict(make=maker())}, DATA, epochs=3, seeds=SEEDS)["a"]
    runs.acc = torch.tensor([[0.1, 0.5, 0.9], [0.1, 0.2, 0.3]], dtype=torch.float64)
    assert runs.reach(0.5) == [2, None] and runs.n_reach(0.5) == 1
    assert runs.reach(0.0) == [1, 1]
    with pytest.raises(ValueError, match="target"):
        runs.reach(1.5)


def test_bad_arguments_are_named():
    ok = {"a": dict(make=maker())}
    with pytest.raises(TypeError, match="settings"):
        train_seeds({}, DATA, epochs=1)
    with pytest.raises(ValueError, match="setting 'a'.*make"):
        train_seeds({"a": dict(lr=0.1)}, DATA, epochs=1)
    with pytest.raises(ValueError, match="setting 'a'.*momentum"):
        train_seeds({"a": dict(make=maker(), momentum=0.9)}, DATA, epochs=1)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        train_seeds({"a": dict(make=maker(), optimizer="rmsprop")}, DATA, epochs=1)
    with pytest.raises(ValueError, match="lr"):
        train_seeds({"a": dict(make=maker(), lr=-1.0)}, DATA, epochs=1)
    with pytest.raises(ValueError, match="max_norm"):
        train_seeds({"a": dict(make=maker(), max_norm=0.0)}, DATA, epochs=1)
    with pytest.raises(TypeError, match="cosine"):
        train_seeds({"a": dict(make=maker(), cosine=1)}, DATA, epochs=1)
    with pytest.raises(TypeError, match="data"):
        train_seeds(ok, (DATA.X_train, DATA.y_train), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        train_seeds(ok, DATA, epochs=0)
    with pytest.raises(ValueError, match="seeds"):
        train_seeds(ok, DATA, epochs=1, seeds=[])
    with pytest.raises(ValueError, match="dtype"):
        train_seeds(ok, DATA, epochs=1, dtype=torch.float16)
    with pytest.raises(TypeError, match="DeepMLP"):
        train_seeds({"a": dict(make=lambda s: torch.nn.Linear(64, 10))}, DATA, epochs=1)
    with pytest.raises(ValueError, match="same layer sizes"):
        SeedStack([maker()(0), deep_mlp(3, 8, seed=0)])


def fake_runs(acc, diverged):
    acc = torch.tensor(acc, dtype=torch.float64)
    n = len(acc)
    return SeedRuns(acc, torch.tensor(diverged), torch.zeros(n, dtype=torch.float64),
                    torch.full((n,), 0.5, dtype=torch.float64), torch.zeros(1, n))


def test_table_reads_the_runs():
    runs = {"learns": fake_runs([[0.5, 0.9], [0.85, 0.95], [0.2, 0.7]], [-1, -1, -1]),
            "stuck": fake_runs([[0.1, 0.1], [0.1, 0.2]], [-1, -1]),
            "boom": fake_runs([[math.nan, math.nan], [math.nan, math.nan]], [1, 0])}
    lines = table(runs, 0.8).splitlines()
    assert lines[0].split()[0] == "run" and table(runs, 0.8, header="step").startswith("step ")
    assert lines[2].split() == ["learns", "0.900", "0.70-0.95", "2,1", "5.0e-01", "0"]
    assert lines[3].split() == ["stuck", "0.150", "0.10-0.20", "never", "5.0e-01", "0"]
    assert lines[4].split() == ["boom", "-", "never", "5.0e-01", "2"]
    with pytest.raises(TypeError, match="runs"):
        table({"a": [0.9]}, 0.8)
    with pytest.raises(ValueError, match="target"):
        table(runs, 80)


def test_plot_accuracy_draws_median_and_range_of_the_seeds_that_did_not_diverge():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = {"a": fake_runs([[0.2, 0.6], [0.4, 0.8], [math.nan, math.nan]], [-1, -1, 0]),
            "all diverged": fake_runs([[math.nan, math.nan]] * 2, [0, 1])}
    fig, ax = plt.subplots()
    plot_accuracy(ax, runs, 0.8)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["a (1 of 3 diverged)"].get_ydata()) == pytest.approx([0.3, 0.7])
    assert len(lines["all diverged (2 of 2 diverged)"].get_xdata()) == 0
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert min(band) == pytest.approx(0.2) and max(band) == pytest.approx(0.8)
    assert [line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--"] == [0.8]
    plt.close(fig)
