"""Scenario splitting and metric formulas (no training)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evlearn.continual import metrics
from evlearn.continual.scenarios import permuted_scenario, resolve_class_order, split_scenario


def _data(rng, n_classes=10, per_class=20, n_test=5, shape=(3, 4)):
    y = np.repeat(np.arange(n_classes), per_class)
    X = np.arange(len(y) * np.prod(shape)).reshape(len(y), *shape).astype(np.float32)
    yt = np.repeat(np.arange(n_classes), n_test)
    Xt = rng.normal(size=(len(yt), *shape)).astype(np.float32)
    perm = rng.permutation(len(y))
    return X[perm], y[perm], Xt, yt


def test_split_class_order_and_partition(rng):
    X, y, Xt, yt = _data(rng)
    sc = split_scenario(X, y, Xt, yt, n_tasks=5, class_order=[9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    assert sc.n_tasks == 5 and sc.n_classes == 10 and sc.input_shape == (3, 4)
    assert [t.classes for t in sc] == [(9, 8), (7, 6), (5, 4), (3, 2), (1, 0)]
    for task in sc:
        assert set(np.unique(task.y_train)) == set(task.classes)
        assert set(np.unique(task.y_test)) == set(task.classes)
        assert task.mode == "class"
    # no training or test sample lost or duplicated (rows of X are unique)
    rows = np.concatenate([t.X_train.reshape(len(t.X_train), -1)[:, 0] for t in sc])
    assert len(rows) == len(X) and len(np.unique(rows)) == len(X)
    assert sum(t.n_test for t in sc) == len(yt)


def test_class_order_random_is_seeded():
    a = resolve_class_order(range(10), "random", seed=3)
    assert a == resolve_class_order(range(10), "random", seed=3)
    assert sorted(a) == list(range(10)) and a != tuple(range(10))
    assert resolve_class_order([2, 0, 1], None) == (0, 1, 2)
    with pytest.raises(ValueError, match="permutation"):
        resolve_class_order(range(4), [0, 1, 2, 2])


def test_classes_per_task_must_divide(rng):
    X, y, Xt, yt = _data(rng)
    with pytest.raises(ValueError, match="does not divide the 10 classes"):
        split_scenario(X, y, Xt, yt, classes_per_task=3)
    with pytest.raises(ValueError, match="does not divide"):
        split_scenario(X, y, Xt, yt, n_tasks=4)
    assert split_scenario(X, y, Xt, yt, classes_per_task=5).n_tasks == 2


@pytest.mark.parametrize("fraction", [0.1, 0.3])
def test_blurry_moves_fraction_to_neighbours_without_loss(rng, fraction):
    X, y, Xt, yt = _data(rng, per_class=50)
    sc = split_scenario(X, y, Xt, yt, n_tasks=5, blurry=fraction, seed=1)
    idx = np.concatenate(sc.info["train_indices"])
    assert np.array_equal(np.sort(idx), np.arange(len(y)))     # partition: nothing lost or doubled
    task_of_class = {c: i for i, t in enumerate(sc) for c in t.classes}
    for i, task in enumerate(sc):
        owners = np.array([task_of_class[c] for c in task.y_train])
        foreign = owners != i
        assert np.all(np.abs(owners[foreign] - i) == 1)         # only neighbours leak in
        assert set(np.unique(task.y_test)) == set(task.classes)  # test sets stay clean
    # each task keeps (1 - fraction) of its own samples
    kept = [np.sum(np.isin(t.y_train, t.classes)) for t in sc]
    assert kept == [100 - round(fraction * 100)] * 5
    with pytest.raises(ValueError, match="mode='class'"):
        split_scenario(X, y, Xt, yt, n_tasks=5, blurry=0.2, mode="task")


def test_task_mode_and_permuted(rng):
    X, y, Xt, yt = _data(rng)
    sc = split_scenario(X, y, Xt, yt, n_tasks=2, mode="task")
    assert sc.mode == "task" and all(t.mode == "task" for t in sc)
    pm = permuted_scenario(X, y, Xt, yt, n_tasks=3, seed=0)
    assert pm.n_tasks == 3 and pm.mode == "domain" and pm[0].classes == tuple(range(10))
    assert np.array_equal(pm[0].X_train, X)                       # first task unpermuted
    flat = X.reshape(len(X), -1)
    perm = pm.info["permutations"][1]
    assert np.array_equal(pm[1].X_train.reshape(len(X), -1), flat[:, perm])
    assert not np.array_equal(perm, np.arange(flat.shape[1]))


def test_split_rejects_bad_input(rng):
    X, y, Xt, yt = _data(rng)
    with pytest.raises(ValueError, match="one row per label"):
        split_scenario(X[:-1], y, Xt, yt, n_tasks=5)
    with pytest.raises(ValueError, match="never occur"):
        split_scenario(X[y < 8], y[y < 8], Xt, yt, n_tasks=4)


# ------------------------------------------------------------------ metrics
R = np.array([[0.9, 0.1, 0.0],
              [0.5, 0.8, 0.2],
              [0.4, 0.6, 0.7]])


def test_metrics_by_hand():
    assert metrics.average_accuracy(R) == pytest.approx((0.4 + 0.6 + 0.7) / 3)
    assert np.allclose(metrics.accuracy_curve(R), [0.9, 0.65, (0.4 + 0.6 + 0.7) / 3])
    # forgetting: task 0 best 0.9 -> 0.4 (0.5); task 1 best 0.8 -> 0.6 (0.2)
    assert np.allclose(metrics.forgetting_per_task(R), [0.5, 0.2])
    assert metrics.average_forgetting(R) == pytest.approx(0.35)
    assert metrics.backward_transfer(R) == pytest.approx(((0.4 - 0.9) + (0.6 - 0.8)) / 2)
    b = np.array([0.1, 0.05, 0.3])
    assert metrics.forward_transfer(R, b) == pytest.approx(((0.1 - 0.05) + (0.2 - 0.3)) / 2)
    s = metrics.summarize(R, b, train_seconds=[1.0, 2.0, 3.0], memory_bytes=[10, 30, 20])
    assert s["train_seconds"] == 6.0 and s["peak_memory_bytes"] == 30 and "fwt" in s


def test_forgetting_uses_max_not_diagonal():
    # accuracy on task 0 rises after task 1 (positive transfer) then drops
    M = np.array([[0.5, 0.0, 0.0], [0.9, 0.8, 0.0], [0.6, 0.8, 0.9]])
    assert metrics.forgetting_per_task(M)[0] == pytest.approx(0.3)
    assert metrics.backward_transfer(M) == pytest.approx(((0.6 - 0.5) + 0.0) / 2)


def test_metrics_edge_cases():
    one = np.array([[0.7]])
    assert metrics.average_forgetting(one) == 0.0 and metrics.backward_transfer(one) == 0.0
    with pytest.raises(ValueError, match="square"):
        metrics.average_accuracy(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="one entry per task"):
        metrics.forward_transfer(R, [0.1, 0.2])


@settings(max_examples=40, deadline=None)
@given(n_tasks=st.sampled_from([1, 2, 3, 6]), per_class=st.integers(1, 12), blurry=st.floats(0.0, 0.9),
       seed=st.integers(0, 2**16), shuffle=st.booleans())
def test_split_is_a_partition_for_any_setting(n_tasks, per_class, blurry, seed, shuffle):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(6), per_class))
    X = np.arange(len(y))[:, None]                        # each row names its sample
    if n_tasks == 1:
        blurry = 0.0
    sc = split_scenario(X, y, X, y, n_tasks=n_tasks, blurry=blurry, seed=seed,
                        class_order="random" if shuffle else None)
    train_ids = np.concatenate([t.X_train[:, 0] for t in sc])
    assert np.array_equal(np.sort(train_ids), np.arange(len(y)))           # nothing lost, nothing doubled
    assert all(np.array_equal(t.y_train, y[t.X_train[:, 0]]) for t in sc)  # labels travel with samples
    assert sorted(c for t in sc for c in t.classes) == list(range(6))
    assert all(len(t.classes) == 6 // n_tasks for t in sc)
    assert all(set(np.unique(t.y_test)) == set(t.classes) for t in sc)
    assert sc.class_order == tuple(c for t in sc for c in t.classes)
