"""Every data set of the runner end to end on small generated files (no download)."""
from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from evlearn.continual.runner import as_config, run_benchmark
from evlearn.datasets.idx import encode_idx


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _images(rng, n, shape=(28, 28)):
    return rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)


def _write_idx(folder, prefix_images, prefix_labels, images, labels):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{prefix_images}.gz").write_bytes(gzip.compress(encode_idx(images)))
    (folder / f"{prefix_labels}.gz").write_bytes(gzip.compress(encode_idx(labels.astype(np.uint8))))


def _run(tmp_path, data, scenario, backbone="mlp", strategies=("naive", "er")):
    cfg = as_config({"name": "fixture", "seeds": [0], "strategies": list(strategies), "memory_size": 8,
                     "data": data, "scenario": scenario,
                     "backbone": {"name": backbone, "options": {"hidden": [32]} if backbone == "mlp" else {}},
                     "train": {"n_epochs": 1, "batch_size": 16}})
    results = run_benchmark(cfg, tmp_path / "out")
    return results


def test_fashion_mnist_fixture(tmp_path, rng):
    root = tmp_path / "fashion"
    for split, prefix, n in (("train", "train", 60), ("test", "t10k", 20)):
        labels = np.arange(n) % 10
        _write_idx(root, f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte", _images(rng, n), labels)
    (naive, er) = _run(tmp_path, {"name": "fashion", "root": str(root)}, {"kind": "class", "n_tasks": 5})
    assert np.array(naive["accuracy_matrix"]).shape == (5, 5)
    assert er["peak_memory_bytes"] == 8 * 784 + 8


def test_emnist_letters_fixture(tmp_path, rng):
    root = tmp_path / "emnist"
    for split, n in (("train", 104), ("test", 52)):
        labels = np.arange(n) % 26 + 1          # EMNIST letters are stored as 1..26
        _write_idx(root, f"emnist-letters-{split}-images-idx3-ubyte", f"emnist-letters-{split}-labels-idx1-ubyte",
                   _images(rng, n), labels)
    (naive,) = _run(tmp_path, {"name": "emnist-letters", "root": str(root)},
                    {"kind": "class", "classes_per_task": 2}, strategies=("naive",))
    assert len(naive["task_classes"]) == 13 and naive["task_classes"][-1] == [24, 25]


@pytest.mark.parametrize("kind", ["cifar10", "cifar100"])
def test_cifar_fixture_with_cnn(tmp_path, rng, kind):
    folder = tmp_path / "cifar" / ("cifar-10-batches-py" if kind == "cifar10" else "cifar-100-python")
    folder.mkdir(parents=True)
    n_classes = 10 if kind == "cifar10" else 100
    key = b"labels" if kind == "cifar10" else b"fine_labels"
    files = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"] if kind == "cifar10" else ["train", "test"]
    for name in files:
        n = n_classes * (2 if name != "test" else 1)
        batch = {b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
                 key: [int(v) for v in np.arange(n) % n_classes], b"coarse_labels": [0] * n}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle, protocol=2)
    (naive,) = _run(tmp_path, {"name": kind, "root": str(tmp_path / "cifar")},
                    {"kind": "class", "n_tasks": 5 if kind == "cifar10" else 10}, backbone="cnn",
                    strategies=("naive",))
    assert len(naive["task_classes"][0]) == (2 if kind == "cifar10" else 10)


def test_permuted_and_blurry_mnist_small(tmp_path, mnist_dir):
    (naive,) = _run(tmp_path / "p", {"name": "mnist", "root": str(mnist_dir)}, {"kind": "permuted", "n_tasks": 2},
                    strategies=("naive",))
    R = np.array(naive["accuracy_matrix"])
    assert R[0, 0] > 0.7 and naive["task_classes"][0] == list(range(10))
    (blurry,) = _run(tmp_path / "b", {"name": "mnist", "root": str(mnist_dir)},
                     {"kind": "class", "n_tasks": 5, "blurry": 0.2}, strategies=("naive",))
    assert sum(blurry["n_train_per_task"]) == 3000


def test_split_nmnist_count_frames(tmp_path, nmnist_dir):
    (naive,) = _run(tmp_path, {"name": "nmnist", "root": str(nmnist_dir)}, {"kind": "class", "n_tasks": 5},
                    strategies=("naive",))
    assert sum(naive["n_train_per_task"]) == 800
    assert np.array(naive["accuracy_matrix"])[0, 0] > 0.6


def test_split_nmnist_with_a_saved_feast_model(tmp_path, nmnist_dir):
    """The FEAST hook: a saved FEAST layer turns N-MNIST recordings into feature histograms."""
    import shutil

    from evlearn.continual.data import load_arrays
    from evlearn.datasets.folder import NMNISTFolder
    from evlearn.feast.layer import FEAST
    from evlearn.feast.persistence import save_model

    root = tmp_path / "nmnist"
    for split, per_class in (("Train", 2), ("Test", 1)):
        for label in range(10):
            files = sorted((nmnist_dir / split / str(label)).glob("*.bin"))[:per_class]
            (root / split / str(label)).mkdir(parents=True)
            for f in files:
                shutil.copy(f, root / split / str(label) / f.name)
    streams = [events for events, _ in NMNISTFolder(root, split="train")][:4]
    layer = FEAST(n_neurons=4, radius=2, seed=0).fit(streams)
    save_model(tmp_path / "feast.npz", layer)
    Ftr, ytr, Fte, yte = load_arrays("nmnist", root, features="feast", feast_model=str(tmp_path / "feast.npz"))
    channels = layer.output_size[2]
    n_test = len(NMNISTFolder(root, split="test"))    # nmnist-small's Test has no class 8
    assert Ftr.shape == (20, 4 * 4 * channels) and Fte.shape == (n_test, 4 * 4 * channels)
    assert np.all(np.isfinite(Ftr)) and Ftr.any()
    (naive,) = _run(tmp_path, {"name": "nmnist", "root": str(root), "features": "feast",
                               "feast_model": str(tmp_path / "feast.npz")},
                    {"kind": "class", "n_tasks": 5}, strategies=("naive",))
    assert np.array(naive["accuracy_matrix"]).shape == (5, 5)
