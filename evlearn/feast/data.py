"""Folder data for FEAST: ``root/<label>/<id>.bin`` (N-MNIST layout) to event arrays.

Uses ``evlearn.datasets.folder.NMNISTFolder`` when the datasets part provides it,
and an equivalent scan otherwise, so errors read the same either way: an empty
folder, a folder without class sub-folders or a corrupt file is one clear
``ValueError`` naming the path.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.progress import progress_bar


def list_samples(root) -> tuple[list[tuple[Path, str]], list[str]]:
    """Return ``([(path, label), ...], classes)`` for a folder of class sub-folders."""
    root = Path(root)
    if not root.exists():
        raise ValueError(f"{root}: no such folder")
    if not root.is_dir():
        raise ValueError(f"{root}: is a file, expected a folder of class sub-folders <label>/<id>.bin")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    samples = [(path, label) for label in classes for path in sorted((root / label).glob("*.bin"))]
    if not samples:
        loose = sorted(root.glob("*.bin"))
        hint = " (found .bin files directly in it: put them in class sub-folders)" if loose else ""
        raise ValueError(f"{root}: no samples; expected class sub-folders <label>/<id>.bin{hint}")
    return samples, sorted({label for _, label in samples})


def load_folder(root, *, progress: bool = False, desc: str = "reading") -> tuple[list[np.ndarray], np.ndarray]:
    """Read every sample of ``root``: (list of event arrays, array of string labels)."""
    from evlearn.datasets.nmnist import read_nmnist

    samples, _ = list_samples(root)
    streams = [read_nmnist(path) for path, _ in progress_bar(samples, progress, desc=desc, total=len(samples))]
    return streams, np.array([label for _, label in samples])


def split_per_class(labels, n_test_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) holding out ``n_test_per_class`` samples of each class."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        test.extend(idx[:n_test_per_class])
        train.extend(idx[n_test_per_class:])
    return np.sort(np.array(train, dtype=int)), np.sort(np.array(test, dtype=int))
