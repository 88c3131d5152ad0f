"""Each strategy on a tiny synthetic problem, plus the buffer, penalties, registry and backbones."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from evlearn.continual.backbones import BACKBONES, default_device, make_backbone, register_backbone
from evlearn.continual.data import synthetic_blobs
from evlearn.continual.scenarios import split_scenario
from evlearn.continual.strategies import (STRATEGIES, ExperienceReplay, Strategy, as_float_tensor,
                                          make_strategy, register_strategy)

OPTIONS = {"er": {"memory_size": 20}, "ewc": {"ewc_lambda": 100.0}}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def blobs():
    # overlapping blobs: a naive learner forgets the first task
    return split_scenario(*synthetic_blobs(seed=0, n_classes=4, n_features=8, n_train_per_class=50,
                                           n_test_per_class=50, spread=3.0), n_tasks=2)


def _train(name, scenario, seed=0, **extra):
    torch.manual_seed(seed)
    model = make_backbone("mlp", scenario.input_shape, scenario.n_classes, hidden=(32,))
    strategy = make_strategy(name, model, n_epochs=10, batch_size=16, lr=0.1, optimizer="sgd", seed=seed,
                             **{**OPTIONS.get(name, {}), **extra})
    R = []
    for task in scenario:
        strategy.train_task(task)
        R.append([strategy.evaluate(t) for t in scenario])
    return strategy, np.array(R)


@pytest.fixture(scope="module")
def results(blobs):
    return {name: _train(name, blobs) for name in ("naive", "joint", "er", "ewc", "lwf")}


@pytest.mark.parametrize("name", ["naive", "joint", "er", "ewc", "lwf"])
def test_each_strategy_learns_each_task(results, name):
    strategy, R = results[name]
    assert R.shape == (2, 2)
    assert R[0, 0] > 0.9 and R[1, 1] > 0.7
    assert R[0, 1] == 0.0          # class-incremental: classes not trained yet are not predicted
    assert isinstance(strategy.memory_bytes(), int)


def test_naive_forgets_and_joint_er_remember(results):
    naive, joint, er = (results[k][1] for k in ("naive", "joint", "er"))
    assert naive[1, 0] < 0.3
    assert joint[1, 0] > 0.7
    assert er[1, 0] > naive[1, 0] + 0.3


def test_er_buffer_size_and_bytes(results, blobs):
    er, _ = results["er"]
    assert len(er.memory["y"]) == 20 and er.memory["x"].shape == (20, 8)
    assert er.memory["x"].dtype == np.float32       # stored in the data's own dtype
    assert er.memory_bytes() == 20 * 8 * 4 + 20 * 1
    assert set(np.unique(er.memory["y"])) == {0, 1, 2, 3}        # both tasks represented
    assert er.memory.n_seen == sum(t.n_train for t in blobs)      # each sample entered once


def test_joint_trains_on_everything_seen(results, blobs):
    joint, _ = results["joint"]
    n = sum(t.n_train for t in blobs)
    assert sum(len(y) for y in joint.seen_y) == n
    assert joint.memory_bytes() == n * 8 * 4 + n * 1       # float32 inputs + 1-byte labels


def test_er_buffer_larger_than_the_stream(blobs):
    torch.manual_seed(0)
    er = make_strategy("er", make_backbone("mlp", blobs.input_shape, 4, hidden=(8,)), memory_size=1000, n_epochs=2)
    er.train_task(blobs[0])
    assert len(er.memory) == blobs[0].n_train == len(er.memory["y"])
    assert er.memory_bytes() == blobs[0].n_train * (8 * 4 + 1)
    assert sorted(er.memory["x"][:, 0].tolist()) == sorted(blobs[0].X_train[:, 0].tolist())


def test_reservoir_sampling_is_uniform():
    model = make_backbone("mlp", (1,), 2, hidden=(2,))
    counts = np.zeros(400)
    for seed in range(150):
        er = ExperienceReplay(model, memory_size=40, seed=seed)
        stream = np.arange(400, dtype=np.float32)[:, None]
        er.memory.add(er.rng, x=stream, y=np.zeros(400, dtype=np.int64), t=np.zeros(400, dtype=np.int64))
        assert len(er.memory["y"]) == 40 and len(np.unique(er.memory["x"])) == 40
        counts[er.memory["x"][:, 0].astype(int)] += 1
    # every item kept with probability 40/400 = 0.1: early and late quarters alike
    quarters = counts.reshape(4, 100).mean(1) / 150
    assert np.allclose(quarters, 0.1, atol=0.02)


def test_er_uint8_inputs_counted_in_bytes():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(80, 6, 6), dtype=np.uint8)
    y = np.repeat(np.arange(4), 20)
    sc = split_scenario(X, y, X, y, n_tasks=2)
    torch.manual_seed(0)
    er = make_strategy("er", make_backbone("mlp", (6, 6), 4, hidden=(8,)), memory_size=10, n_epochs=1)
    er.train_task(sc[0])
    assert er.memory["x"].dtype == np.uint8 and er.memory_bytes() == 10 * 36 + 10
    assert torch.allclose(as_float_tensor(X[:2]), torch.from_numpy(X[:2]).float() / 255)


def test_ewc_penalty_equals_sum_over_tasks(blobs):
    torch.manual_seed(0)
    ewc = make_strategy("ewc", make_backbone("mlp", blobs.input_shape, 4, hidden=(16,)), n_epochs=2,
                        lr=0.1, optimizer="sgd", ewc_lambda=3.0, fisher_samples=30)
    anchors = []
    assert ewc.penalty() == 0.0
    for task in blobs:
        ewc.train_task(task)
        anchors.append((ewc.fisher_diagonal(task),
                        {n: p.detach().clone() for n, p in ewc.model.named_parameters()}))
    # rebuild the merged penalty from the stored (Fisher, weights) pairs and compare with the plain sum
    ewc.fisher, ewc.centre, ewc.offset = {}, {}, 0.0
    for fisher, weights in anchors:
        ewc.fisher_diagonal = lambda task, f=fisher: f
        for n, p in ewc.model.named_parameters():
            p.data.copy_(weights[n])
        ewc.after_training_exp(None)
    with torch.no_grad():
        for p in ewc.model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    direct = sum((f[n] * (p - w[n]) ** 2).sum() for f, w in anchors for n, p in ewc.model.named_parameters())
    assert float(ewc.penalty().detach()) == pytest.approx(1.5 * float(direct.detach()), rel=1e-4)


def test_ewc_fisher_matches_per_sample_loop(blobs):
    torch.manual_seed(1)
    ewc = make_strategy("ewc", make_backbone("mlp", blobs.input_shape, 4, hidden=(8,)), fisher_samples=25)
    ewc.current_task, ewc.task_classes = blobs[0], {0: blobs[0].classes}
    state = ewc.rng.bit_generator.state
    fisher = ewc.fisher_diagonal(blobs[0])
    ewc.rng.bit_generator.state = state
    pick = ewc.rng.choice(blobs[0].n_train, size=25, replace=False)
    expected = {n: torch.zeros_like(p) for n, p in ewc.model.named_parameters()}
    for i in pick:
        ewc.model.zero_grad()
        x = torch.from_numpy(blobs[0].X_train[i:i + 1])
        torch.nn.functional.cross_entropy(ewc.model(x), torch.tensor([blobs[0].y_train[i]])).backward()
        for n, p in ewc.model.named_parameters():
            expected[n] += p.grad ** 2 / 25
    for n in expected:
        assert torch.allclose(fisher[n], expected[n], atol=1e-6)


def test_lwf_penalty_zero_for_unchanged_model(blobs, results):
    lwf, _ = results["lwf"]
    assert lwf.old_classes == [0, 1, 2, 3]
    assert not any(p.requires_grad for p in lwf.old_model.parameters())
    torch.manual_seed(0)
    fresh = make_strategy("lwf", make_backbone("mlp", blobs.input_shape, 4, hidden=(16,)), n_epochs=1)
    assert fresh.penalty() == 0.0
    fresh.train_task(blobs[0])
    fresh.mb_x = torch.from_numpy(blobs[1].X_train[:10])
    fresh.mb_output = fresh.model(fresh.mb_x)
    assert float(fresh.penalty().detach()) == pytest.approx(0.0, abs=1e-6)   # old == new: no distillation loss
    with torch.no_grad():
        fresh.model.head.weight.add_(1.0)
        fresh.model.head.weight[0].mul_(3.0)
    fresh.mb_output = fresh.model(fresh.mb_x)
    assert float(fresh.penalty().detach()) > 0


@pytest.mark.parametrize("name", ["naive", "joint", "er", "ewc", "lwf"])
def test_task_incremental_predicts_within_task(name):
    X, y, Xt, yt = synthetic_blobs(seed=2, n_classes=4, n_features=8, spread=3.0)
    sc = split_scenario(X, y, Xt, yt, n_tasks=2, mode="task")
    torch.manual_seed(0)
    options = {"ewc": {"ewc_lambda": 10.0}, "er": {"memory_size": 10}}.get(name, {})
    strategy = make_strategy(name, make_backbone("mlp", (8,), 4, hidden=(16,)), n_epochs=5, lr=0.1,
                             optimizer="sgd", **options)
    R = []
    for task in sc:
        strategy.train_task(task)
        R.append([strategy.evaluate(t) for t in sc])
    preds = strategy.predict(sc[0].X_test, classes=sc[0].classes)
    assert set(np.unique(preds)) <= set(sc[0].classes)
    # with the task id known, accuracy on the first task stays well above chance (0.5)
    assert R[1][0] > 0.8 and R[1][1] > 0.8


def test_diverging_loss_is_a_clear_error(blobs):
    class Exploding(Strategy):
        def penalty(self):
            return torch.tensor(float("inf"))

    strategy = Exploding(make_backbone("mlp", blobs.input_shape, 4, hidden=(4,)), n_epochs=1)
    with pytest.raises(ValueError, match="loss became inf in task 0, epoch 0"):
        strategy.train_task(blobs[0])


def test_state_dict_round_trip(results, blobs):
    er, _ = results["er"]
    state = er.state_dict()
    torch.manual_seed(5)
    other = make_strategy("er", make_backbone("mlp", blobs.input_shape, 4, hidden=(32,)), memory_size=20)
    other.load_state_dict(state)
    assert np.array_equal(other.memory["x"], er.memory["x"]) and other.memory.n_seen == er.memory.n_seen
    assert np.array_equal(other.predict(blobs[0].X_test), er.predict(blobs[0].X_test))
    assert other.rng.bit_generator.state == er.rng.bit_generator.state


def test_registry_and_errors():
    assert {"naive", "joint", "er", "ewc", "lwf"} <= set(STRATEGIES)
    model = make_backbone("mlp", (3,), 2, hidden=(4,))

    @register_strategy("_test_const")
    class Const(Strategy):
        def train_task(self, task):
            return self

        def predict(self, X, classes=None):
            return np.zeros(len(X), dtype=np.int64)

    assert isinstance(make_strategy("_test_const", model), Const)
    with pytest.raises(ValueError, match="already registered"):
        register_strategy("naive")(Const)
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        make_strategy("nope", model)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['memory'\]"):
        make_strategy("er", model, memory=3)
    with pytest.raises(ValueError, match="optimizer"):
        make_strategy("naive", model, optimizer="rmsprop")
    del STRATEGIES["_test_const"]


def test_backbones():
    assert default_device() == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert default_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            default_device("cuda")
    mlp = make_backbone("mlp", (28, 28), 10)
    assert mlp(torch.zeros(3, 28, 28)).shape == (3, 10) and mlp.feature_dim == 400
    cnn = make_backbone("cnn", (28, 28), 10)
    assert cnn(torch.zeros(2, 28, 28)).shape == (2, 10)
    assert cnn.features(torch.zeros(2, 784)).shape == (2, 500)
    convs = [m for m in cnn.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 16]
    assert make_backbone("cnn", (3, 32, 32), 100)(torch.zeros(1, 3, 32, 32)).shape == (1, 100)
    with pytest.raises(ValueError, match="image inputs"):
        make_backbone("cnn", (10,), 2)
    with pytest.raises(ValueError, match="unknown backbone"):
        make_backbone("transformer", (4,), 2)
    with pytest.raises(ValueError, match="unexpected keyword"):
        make_backbone("mlp", (4,), 2, width=3)

    @register_backbone("_test_linear")
    class Linear(torch.nn.Module):
        def __init__(self, input_shape, n_classes):
            super().__init__()
            self.features = torch.nn.Flatten()
            self.head = torch.nn.Linear(int(np.prod(input_shape)), n_classes)

        def forward(self, x):
            return self.head(self.features(x))

    assert make_strategy("naive", make_backbone("_test_linear", (2, 2), 3)).n_classes == 3
    del BACKBONES["_test_linear"]


def test_deprecated_epochs_option_warns_and_maps():
    model = make_backbone("mlp", (4,), 2, hidden=(4,))
    with pytest.warns(FutureWarning, match="'epochs' is deprecated.*'n_epochs'"):
        assert make_strategy("naive", model, epochs=3).n_epochs == 3
    with pytest.raises(ValueError, match="give 'n_epochs' only"):
        make_strategy("naive", model, epochs=3, n_epochs=3)


def test_sharp_refuses_the_shared_training_options_it_does_not_use():
    from evlearn.continual.strategies import strategy_parameters

    params = strategy_parameters("sharp")
    assert {"learning_rate", "phase_epochs", "seed", "device"} <= params
    assert not params & {"n_epochs", "lr", "optimizer", "batch_size", "momentum", "weight_decay"}
    assert {"n_epochs", "lr", "memory_size"} <= strategy_parameters("er")
    with pytest.raises(ValueError, match=r"sharp does not use the shared training option\(s\) \['lr', 'n_epochs'\]"):
        make_strategy("sharp", make_backbone("mlp", (8,), 4, hidden=(4,)), lr=0.1, n_epochs=2)
