"""SHARP on the paper's other benchmarks, through the standard file readers, on generated fixtures.

Split-Fashion-MNIST, EMNIST letters (13 tasks), Split-CIFAR-10 and Split-CIFAR-100
(10 tasks): tiny files in the standard formats (IDX .gz, CIFAR python pickles)
are written to a temporary folder, read back with evlearn.datasets and learned
end to end with few phases.
"""
import gzip
import pickle

import numpy as np
import pytest
import torch

from evlearn.continual.scenarios import split_scenario
from evlearn.continual.sharp_net import SharpNet
from evlearn.continual.strategies import make_strategy
from evlearn.datasets.cifar import load_cifar
from evlearn.datasets.idx import encode_idx
from evlearn.datasets.mnist import load_mnist

FAST = dict(stream_batch_size=64, batch_size_memory=16, max_phases=1, phase_epochs=1, replay_per_class=3,
            ltm_per_class=3, k_neighbors=1, selection_batch=64)


def _prototype_images(rng, n_classes, per_class, shape):
    """Each class: a fixed random uint8 prototype plus a little noise."""
    protos = rng.integers(0, 256, size=(n_classes, *shape))
    X = np.repeat(protos, per_class, axis=0) + rng.integers(-20, 21, size=(n_classes * per_class, *shape))
    y = np.repeat(np.arange(n_classes), per_class)
    return np.clip(X, 0, 255).astype(np.uint8), y


def _write_idx(folder, split, kind, X, y):
    if kind == "emnist-letters":
        names = (f"emnist-letters-{split}-images-idx3-ubyte.gz", f"emnist-letters-{split}-labels-idx1-ubyte.gz")
        X, y = X.transpose(0, 2, 1), y + 1          # EMNIST: column-major images, labels 1..26
    else:
        prefix = "train" if split == "train" else "t10k"
        names = (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
    for name, array in zip(names, (X, y.astype(np.uint8))):
        with gzip.open(folder / name, "wb") as handle:
            handle.write(encode_idx(array))


def _write_cifar(folder, kind, split, X, y):
    sub = folder / ("cifar-10-batches-py" if kind == "cifar10" else "cifar-100-python")
    sub.mkdir(exist_ok=True)
    data = X.transpose(0, 3, 1, 2).reshape(len(X), -1)  # HWC -> channel planes
    if kind == "cifar10":
        names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
        parts = np.array_split(np.arange(len(y)), len(names))
        for name, rows in zip(names, parts):
            batch = {b"data": data[rows], b"labels": [int(v) for v in y[rows]]}
            (sub / name).write_bytes(pickle.dumps(batch, protocol=2))
    else:
        batch = {b"data": data, b"fine_labels": [int(v) for v in y], b"coarse_labels": [int(v) // 5 for v in y]}
        (sub / split).write_bytes(pickle.dumps(batch, protocol=2))


def _learn(X_train, y_train, X_test, y_test, n_tasks, arch="small"):
    torch.manual_seed(0)
    scenario = split_scenario(X_train, y_train, X_test, y_test, n_tasks=n_tasks, seed=0)
    from evlearn.continual.backbones import make_backbone

    if arch == "small":   # the MNIST-like layout at reduced width keeps the default tests fast
        net = SharpNet(scenario.input_shape, scenario.n_classes, conv=((8, True), (8, True)), hidden=(64,),
                       penultimate=64, n_early=2)
    else:
        net = make_backbone("sharp_cnn", scenario.input_shape, scenario.n_classes, arch=arch)
    strategy = make_strategy("sharp", net, seed=0, **FAST)
    for task in scenario:
        strategy.train_task(task)
    accuracy = np.mean(strategy.predict(X_test) == y_test)
    return strategy, scenario, accuracy


@pytest.mark.parametrize("kind, n_classes, n_tasks", [("fashion", 10, 5), ("emnist-letters", 26, 13)])
def test_split_mnist_family(tmp_path, rng, kind, n_classes, n_tasks):
    Xtr, ytr = _prototype_images(rng, n_classes, 4, (28, 28))
    Xte, yte = _prototype_images(np.random.default_rng(1), n_classes, 2, (28, 28))
    _write_idx(tmp_path, "train", kind, Xtr, ytr)
    _write_idx(tmp_path, "test", kind, Xte, yte)
    X_train, y_train = load_mnist(tmp_path, "train", kind)
    X_test, y_test = load_mnist(tmp_path, "test", kind)
    assert np.array_equal(X_train, Xtr) and np.array_equal(y_train, ytr)
    strategy, scenario, _ = _learn(X_train, y_train, X_train, y_train, n_tasks)
    assert len(scenario) == n_tasks and sorted(strategy.ltm.classes) == list(range(n_classes))
    assert strategy.buffer.classes == list(scenario[-1].classes)
    assert strategy.memory_bytes() == 2 * (3 * 8 * 7 * 7 + 8) + 2
    # the read-out separates the training prototypes of all classes after the whole sequence
    assert np.mean(strategy.predict(X_train) == y_train) > 3.0 / n_classes
    assert strategy.predict(X_test).shape == y_test.shape


@pytest.mark.parametrize("kind, n_classes, n_tasks, arch", [
    ("cifar10", 10, 5, "small"),
    ("cifar100", 100, 10, "small"),
    pytest.param("cifar10", 10, 5, "vgg_small", marks=pytest.mark.slow),   # the paper's CIFAR network
])
def test_split_cifar(tmp_path, rng, kind, n_classes, n_tasks, arch):
    per_class = 4 if kind == "cifar10" else 2
    Xtr, ytr = _prototype_images(rng, n_classes, per_class, (32, 32, 3))
    _write_cifar(tmp_path, kind, "train", Xtr, ytr)
    _write_cifar(tmp_path, kind, "test", Xtr[::per_class], ytr[::per_class])
    X_train, y_train = load_cifar(tmp_path, "train", kind)
    X_test, y_test = load_cifar(tmp_path, "test", kind)
    assert X_train.shape[1:] == (32, 32, 3) and np.array_equal(y_train, ytr)
    strategy, scenario, accuracy = _learn(X_train, y_train, X_test, y_test, n_tasks, arch)
    assert strategy.net.image_shape == (3, 32, 32)
    hidden = 64 * 8 * 8 if arch == "vgg_small" else 8 * 8 * 8
    n_last = len(scenario[-1].classes)
    stored = min(per_class, FAST["replay_per_class"])
    assert strategy.memory_bytes() == n_last * (stored * hidden + 8) + n_last
    assert sorted(strategy.ltm.classes) == list(range(n_classes))
    assert accuracy > 3.0 / n_classes
