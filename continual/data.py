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
standardised with the training set's mean and std, or with ``scale="uint8"``
scaled to 0..255 by the training maximum) or ``"feast"`` (feature
histograms of a FEAST model saved with ``evlearn.feast``; give its path as
``feast_model``).

``test_from_train`` (a fraction in [0, 1)) moves a stratified, fixed (seed 0)
part of every class of the training set to the test set before any feature
statistic is computed: the shared N-MNIST subset has only 50 test recordings,
so the SHARP comparison moves 25 % of Train to the test set. A new extractor is one ``@register_features(name)`` function
``(train_streams, test_streams, sensor_size, **options) -> (F_train, F_test)``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from evlearn.progress import progress_bar
from evlearn.validation import check_number

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
                test_from_train: float = 0.0, progress: bool = False, seed: int = 0, **options):
    """Train and test arrays of data set ``name`` read from folder ``root``."""
    if name not in N_CLASSES:
        raise ValueError(f"unknown data set {name!r}; known: {list(DATASETS)}")
    check_number(test_from_train, "data.test_from_train", low=0.0, high=1.0, high_open=True)
    if name == "synthetic":
        return move_to_test(*synthetic_blobs(seed=seed, **options), test_from_train)
    if options and name != "nmnist":
        raise ValueError(f"data set {name!r} takes no options {sorted(options)}")
    root = check_root(name, root)
    if name in ("mnist", "fashion", "emnist-letters"):
        from evlearn.datasets.mnist import load_mnist

        arrays = (*load_mnist(root, "train", name), *load_mnist(root, "test", name))
    elif name in ("cifar10", "cifar100"):
        from evlearn.datasets.cifar import load_cifar

        Xtr, ytr = load_cifar(root, "train", name)
        Xte, yte = load_cifar(root, "test", name)
        # (N, H, W, C) -> (N, C, H, W), the layout of torch's conv layers
        arrays = (np.ascontiguousarray(Xtr.transpose(0, 3, 1, 2)), ytr,
                  np.ascontiguousarray(Xte.transpose(0, 3, 1, 2)), yte)
    else:
        return load_nmnist_features(root, features=features, feast_model=feast_model, progress=progress,
                                    test_from_train=test_from_train, **options)
    return move_to_test(*arrays, test_from_train)


def held_out_rows(y_train, fraction: float, seed: int = 0) -> np.ndarray:
    """Rows of a stratified ``fraction`` of every class of ``y_train`` (rounded per class, fixed seed)."""
    y_train = np.asarray(y_train)
    rng = np.random.default_rng(seed)
    rows = [rng.permutation(np.flatnonzero(y_train == c))[:int(round(fraction * np.sum(y_train == c)))]
            for c in np.unique(y_train)]
    return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)


def move_to_test(X_train, y_train, X_test, y_test, fraction: float):
    """Move :func:`held_out_rows` of the training set to the end of the test set.

    ``X_train``/``X_test`` are arrays or lists (event streams); labels are int64 arrays.
    """
    if not fraction:
        return X_train, y_train, X_test, y_test
    y_train, y_test = np.asarray(y_train, dtype=np.int64), np.asarray(y_test, dtype=np.int64)
    moved = held_out_rows(y_train, fraction)
    keep = np.setdiff1d(np.arange(len(y_train)), moved)

    def take(X, rows):
        return X[rows] if isinstance(X, np.ndarray) else [X[i] for i in rows]

    moved_X = take(X_train, moved)
    X_test = np.concatenate([X_test, moved_X]) if isinstance(X_test, np.ndarray) else [*X_test, *moved_X]
    return take(X_train, keep), y_train[keep], X_test, np.concatenate([y_test, y_train[moved]])


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
                         test_from_train: float = 0.0, progress: bool = False, **options):
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
    train_streams, y_train, test_streams, y_test = move_to_test(streams[0], train.targets, streams[1],
                                                                test.targets, test_from_train)
    if features == "feast":
        options["feast_model"] = feast_model
    F_train, F_test = FEATURES[features](train_streams, test_streams, train.sensor_size, **options)
    return F_train, y_train, F_test, y_test


COUNT_FRAME_SCALES = ("standardize", "uint8")


@register_features("count_frame")
def count_frame_features(train_streams, test_streams, sensor_size, scale: str = "standardize"):
    """log1p event counts per polarity and pixel, (N, P, H, W), scaled with training-set statistics.

    ``scale="standardize"``: float32, zero mean and unit variance over the training set.
    ``scale="uint8"``: ``round(255 * log1p(count) / log1p(training max))`` as uint8, one byte
    per value in replay buffers (the SHARP comparison's frames).
    """
    from evlearn.functional.frames import count_frames

    if scale not in COUNT_FRAME_SCALES:
        raise ValueError(f"count_frame: scale must be one of {COUNT_FRAME_SCALES}, got {scale!r}")
    counts_train = count_frames(train_streams, sensor_size)
    counts_test = count_frames(test_streams, sensor_size)
    if scale == "uint8":
        top = np.log1p(counts_train.max())
        return tuple(np.rint(255 * np.log1p(c) / top).clip(0, 255).astype(np.uint8) for c in (counts_train, counts_test))
    F_train = np.log1p(counts_train.astype(np.float32))
    F_test = np.log1p(counts_test.astype(np.float32))
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
