"""Labelled arrays for continual-learning scenarios, read from local folders.

``load_arrays(name, root)`` returns ``(X_train, y_train, X_test, y_test)``:

=================  ==========================================  ===============================
name               files in ``root``                           inputs
=================  ==========================================  ===============================
mnist              IDX (``train-images-idx3-ubyte[.gz]`` ...)  uint8 (N, 28, 28)
fashion            Fashion-MNIST IDX                           uint8 (N, 28, 28)
emnist-letters     EMNIST letters IDX                          uint8 (N, 28, 28), labels 0..25
cifar10/cifar100   extracted python batches                    uint8 (N, 3, 32, 32)
nmnist             ``Train/<label>/*.bin``, ``Test/...``        float32 event features
synthetic          (no files: Gaussian blobs for smoke tests)  float32 (N, n_features)
=================  ==========================================  ===============================

N-MNIST recordings become fixed vectors by a feature extractor from
``FEATURES``: ``"count_frame"`` (2-polarity event-count frame, log1p,
standardised with the training set's mean and std) or ``"feast"`` (feature
histograms of a FEAST model saved with ``evlearn.feast``; give its path as
``feast_model``). A new extractor is one ``@register_features(name)`` function
``(train_streams, test_streams, sensor_size, **options) -> (F_train, F_test)``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from evlearn.progress import progress_bar

# name -> number of classes (for checking the scenario before reading any file)
N_CLASSES = {"mnist": 10, "fashion": 10, "emnist-letters": 26, "cifar10": 10, "cifar100": 100,
             "nmnist": 10, "synthetic": None}
DATASETS = tuple(N_CLASSES)
FEATURES: dict[str, Callable] = {}


def register_features(name: str):
    """Decorator: make an event-stream feature extractor usable as ``data.features``."""

    def decorator(func):
        FEATURES[name] = func
        return func

    return decorator


def load_arrays(name: str, root=None, *, features: str = "count_frame", feast_model: str = "",
                progress: bool = False, seed: int = 0, **options):
    """Train and test arrays of data set ``name`` read from folder ``root``."""
    if name not in N_CLASSES:
        raise ValueError(f"unknown data set {name!r}; known: {list(DATASETS)}")
    if name == "synthetic":
        return synthetic_blobs(seed=seed, **options)
    if options and name != "nmnist":
        raise ValueError(f"data set {name!r} takes no options {sorted(options)}")
    root = check_root(name, root)
    if name in ("mnist", "fashion", "emnist-letters"):
        from evlearn.datasets.mnist import load_mnist

        return (*load_mnist(root, "train", name), *load_mnist(root, "test", name))
    if name in ("cifar10", "cifar100"):
        from evlearn.datasets.cifar import load_cifar

        Xtr, ytr = load_cifar(root, "train", name)
        Xte, yte = load_cifar(root, "test", name)
        # (N, H, W, C) -> (N, C, H, W), the layout of torch's conv layers
        return (np.ascontiguousarray(Xtr.transpose(0, 3, 1, 2)), ytr,
                np.ascontiguousarray(Xte.transpose(0, 3, 1, 2)), yte)
    return load_nmnist_features(root, features=features, feast_model=feast_model, progress=progress, **options)


def check_root(name: str, root) -> Path:
    """The data folder ``root`` of data set ``name`` as a Path; ValueError if empty or not a folder."""
    if not root:
        raise ValueError(f"data.root is empty: give the folder holding the {name} files")
    path = Path(root)
    if not path.is_dir():
        raise ValueError(f"data folder not found: {path} (relative paths start from the current "
                         f"folder, {Path.cwd()})")
    return path


def load_nmnist_features(root, *, features: str = "count_frame", feast_model: str = "",
                         progress: bool = False, **options):
    """N-MNIST ``Train``/``Test`` folders turned into fixed-length vectors (``options`` go to the extractor)."""
    from evlearn.datasets.folder import NMNISTFolder

    import inspect

    if features not in FEATURES:
        raise ValueError(f"unknown N-MNIST features {features!r}; known: {sorted(FEATURES)}")
    accepted = set(list(inspect.signature(FEATURES[features]).parameters)[3:]) - {"feast_model"}
    if set(options) - accepted:
        raise ValueError(f"N-MNIST features {features!r}: unknown option(s) {sorted(set(options) - accepted)}; "
                         f"valid: {sorted(accepted)}")
    train = NMNISTFolder(root, split="train")
    test = NMNISTFolder(root, split="test")
    streams = []
    for ds, what in ((train, "train"), (test, "test")):
        streams.append([ds[i][0] for i in progress_bar(range(len(ds)), progress, desc=f"reading N-MNIST {what}")])
    if features == "feast":
        options["feast_model"] = feast_model
    F_train, F_test = FEATURES[features](streams[0], streams[1], train.sensor_size, **options)
    return F_train, train.targets, F_test, test.targets


@register_features("count_frame")
def count_frame_features(train_streams, test_streams, sensor_size):
    """log1p event counts per polarity and pixel, (N, P, H, W), standardised with train statistics."""
    from evlearn.functional.frames import count_frames

    F_train = np.log1p(count_frames(train_streams, sensor_size).astype(np.float32))
    F_test = np.log1p(count_frames(test_streams, sensor_size).astype(np.float32))
    mean, std = F_train.mean(), F_train.std() + 1e-8
    return (F_train - mean) / std, (F_test - mean) / std


@register_features("feast")
def feast_features(train_streams, test_streams, sensor_size, feast_model: str = "", grid: int = 4):
    """Feature histograms of a saved FEAST model (``evlearn.feast.persistence.save_model``).

    A saved FEASTClassifier gives its own histograms (its grid); a saved FEAST
    layer or network gives ``grid`` x ``grid`` x channels histograms of its events.
    """
    if not feast_model or not Path(feast_model).is_file():
        raise ValueError(f"data.features = 'feast' needs data.feast_model, the path of a saved FEAST "
                         f"model (got {feast_model!r})")
    from evlearn.feast.persistence import load_model
    from evlearn.feast.readout import FEASTClassifier

    model = load_model(feast_model)
    if not hasattr(model, "histograms"):
        extractor = model
        model = FEASTClassifier(features=extractor, grid=grid)
        model.features_ = extractor
    return (np.asarray(model.histograms(train_streams), dtype=np.float32),
            np.asarray(model.histograms(test_streams), dtype=np.float32))


def synthetic_blobs(*, seed: int = 0, n_classes: int = 4, n_features: int = 16, n_train_per_class: int = 40,
                    n_test_per_class: int = 20, spread: float = 1.0):
    """Well separated Gaussian blobs, one per class: a tiny data set for tests and smoke runs."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(n_classes, n_features))

    def draw(per_class):
        y = np.repeat(np.arange(n_classes), per_class)
        X = centres[y] + spread * rng.normal(size=(len(y), n_features))
        order = rng.permutation(len(y))
        return X[order].astype(np.float32), y[order].astype(np.int64)

    return (*draw(n_train_per_class), *draw(n_test_per_class))
