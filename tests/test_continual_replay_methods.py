"""DER, DER++, ER-ACE, A-GEM, iCaRL, GDumb and SI as strategies: each learns, keeps its own rule, resumes."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from evlearn.continual.backbones import make_backbone
from evlearn.continual.buffers import herding_order
from evlearn.continual.data import synthetic_blobs
from evlearn.continual.runner import run_benchmark
from evlearn.continual.scenarios import split_scenario
from evlearn.continual.strategies import STRATEGIES, as_float_tensor, make_strategy

NEW = ("der", "derpp", "er_ace", "agem", "icarl", "gdumb", "si")
OPTIONS = {"der": {"memory_size": 20}, "derpp": {"memory_size": 20}, "er_ace": {"memory_size": 20},
           "agem": {"memory_size": 20}, "icarl": {"memory_size": 20},
           "gdumb": {"memory_size": 20, "fitting_epochs": 32}, "si": {}}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def blobs():
    return split_scenario(*synthetic_blobs(seed=0, n_classes=6, n_features=8, n_train_per_class=40,
                                           n_test_per_class=30, spread=3.0), n_tasks=3)


def _make(name, scenario, seed=0, **extra):
    torch.manual_seed(seed)
    model = make_backbone("mlp", scenario.input_shape, scenario.n_classes, hidden=(32,))
    options = {"n_epochs": 8, "batch_size": 16, "lr": 0.1, "optimizer": "sgd", **OPTIONS[name], **extra}
    return make_strategy(name, model, seed=seed, **options)


@pytest.fixture(scope="module")
def trained(blobs):
    out = {}
    for name in NEW + ("naive",):
        strategy = _make(name, blobs) if name != "naive" else make_strategy(
            "naive", make_backbone("mlp", blobs.input_shape, 6, hidden=(32,)), n_epochs=8, batch_size=16, lr=0.1)
        R = []
        for task in blobs:
            strategy.train_task(task)
            R.append([strategy.evaluate(t) for t in blobs])
        out[name] = strategy, np.array(R)
    return out


def test_config_names_are_registered():
    assert set(NEW) <= set(STRATEGIES)


@pytest.mark.parametrize("name", NEW)
def test_each_method_learns_each_task(trained, name):
    strategy, R = trained[name]
    assert R[0, 0] > 0.9 and np.all(np.diag(R) > 0.45), R     # chance: 1/6
    assert R[0, 1] == 0.0 and R[0, 2] == 0.0     # class-incremental: untrained classes never predicted
    assert isinstance(strategy.memory_bytes(), int)


@pytest.mark.parametrize("name", ["der", "derpp", "er_ace", "icarl", "gdumb"])
def test_replay_methods_remember_more_than_naive(trained, name):
    naive_old = trained["naive"][1][-1, :-1].mean()
    assert trained[name][1][-1, :-1].mean() > naive_old + 0.3


@pytest.mark.parametrize("name", ["der", "derpp", "er_ace", "agem", "icarl", "gdumb"])
def test_memory_holds_at_most_memory_size_samples_counted_in_bytes(trained, name):
    strategy, _ = trained[name]
    n = len(strategy.memory)
    assert 0 < n <= 20
    logits = 6 * 4 if name in ("der", "derpp") else 0            # float32 logits of 6 classes
    assert strategy.memory_bytes() == n * (8 * 4 + logits + 1)   # float32 inputs + logits + 1-byte label


def test_der_stores_the_unmasked_logits_of_each_stored_sample(blobs):
    der = _make("der", blobs, lr=1e-12)                 # weights effectively frozen: logits reproducible
    der.train_task(blobs[0])
    with torch.no_grad():
        now = der.model(as_float_tensor(der.memory["x"])).numpy()
    assert der.memory["logits"].dtype == np.float32
    np.testing.assert_allclose(der.memory["logits"], now, rtol=1e-5, atol=1e-6)
    assert der.memory.n_seen == blobs[0].n_train         # stored in one epoch only (the last)


def test_agem_update_never_conflicts_with_the_memory_gradient(blobs):
    agem = _make("agem", blobs)
    dots = []
    original = agem.after_backward

    def check():
        original()
        if agem._ref is not None:
            dots.append(float(torch.dot(agem._flat_grad(), agem._ref)))
    agem.after_backward = check
    for task in blobs:
        agem.train_task(task)
    assert len(dots) > 10 and min(dots) >= -1e-4


def test_er_ace_tracks_the_classes_seen(trained, blobs):
    er_ace, _ = trained["er_ace"]
    assert er_ace.seen.nonzero().ravel().tolist() == list(range(6))


def test_icarl_exemplars_are_herded_and_balanced(blobs):
    icarl = _make("icarl", blobs, memory_size=12)
    icarl.train_task(blobs[0])
    X, y = blobs[0].X_train, blobs[0].y_train
    for c in blobs[0].classes:                                  # 12 // 2 classes = 6 each, in herding order
        rows = np.flatnonzero(y == c)
        order = herding_order(icarl._features(X[rows]).numpy(), 6)
        np.testing.assert_array_equal(icarl.memory.get(c), X[rows[order]])
    icarl.train_task(blobs[1])
    _, labels = icarl.memory.data()
    assert np.bincount(labels).tolist() == [3, 3, 3, 3]         # 12 // 4 classes: old sets cut to their best 3
    pred = icarl.predict(blobs[0].X_test)
    assert set(np.unique(pred)) <= {0, 1, 2, 3}


def test_gdumb_memory_is_class_balanced_and_the_model_restarts(blobs):
    gdumb = _make("gdumb", blobs, memory_size=12)
    initial = [p.detach().clone() for p in gdumb.model.parameters()]
    for task in blobs:
        gdumb.train_task(task)
    assert np.bincount(gdumb.memory["y"]).tolist() == [2] * 6
    assert not all(torch.equal(a, b) for a, b in zip(initial, gdumb.model.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(initial, gdumb.initial_weights.values()))


def test_si_penalty_is_zero_at_the_anchor_and_grows_away_from_it(trained):
    si, _ = trained["si"]
    assert float(si.penalty().detach()) == pytest.approx(0.0, abs=1e-12)
    assert all(float(v.sum()) > 0 for v in si.importance.values())
    with torch.no_grad():
        for p in si.model.parameters():
            p.add_(0.01)
    assert float(si.penalty().detach()) > 0
    with torch.no_grad():
        for p in si.model.parameters():
            p.sub_(0.01)


@pytest.mark.parametrize("name", NEW)
def test_checkpoint_resume_continues_exactly(blobs, name):
    first = _make(name, blobs)
    for task in blobs[:2]:
        first.train_task(task)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    first.train_task(blobs[2])
    resumed = _make(name, blobs, seed=0)
    buffer.seek(0)
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    resumed.train_task(blobs[2])
    for task in blobs:
        np.testing.assert_array_equal(first.predict(task.X_test), resumed.predict(task.X_test))


def test_all_methods_through_the_runner(tmp_path):
    config = {"name": "tiny", "seeds": [0], "strategies": list(NEW), "memory_size": 10,
              "data": {"name": "synthetic", "options": {"n_classes": 4, "n_features": 8, "spread": 3.0,
                                                        "n_train_per_class": 20, "n_test_per_class": 10}},
              "scenario": {"kind": "task", "n_tasks": 2},
              "backbone": {"name": "mlp", "options": {"hidden": [16]}},
              "train": {"n_epochs": 2, "batch_size": 16, "lr": 0.05, "optimizer": "sgd"},
              "options": {"gdumb": {"fitting_epochs": 4}}}
    results = run_benchmark(config, tmp_path)
    assert [r["label"] for r in results] == list(NEW)
    for r in results:
        assert r["accuracy_matrix"][1][0] > 0.5          # task-incremental: the old task stays solvable
        assert (r["peak_memory_bytes"] > 0) == (r["label"] != "si")
