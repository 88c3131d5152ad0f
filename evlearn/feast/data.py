"""Folder data for FEAST: ``root/<label>/<id>.bin`` (N-MNIST layout) to event arrays.

Lists files with ``evlearn.datasets.folder.NMNISTFolder``: an empty folder, a
folder without class sub-folders or a corrupt file is one clear ``ValueError``
naming the path. Labels are the class folder names (strings).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.progress import progress_bar


def list_samples(root) -> tuple[list[tuple[Path, str]], list[str]]:
    """Return ``([(path, label name), ...], class names)`` for a folder of class sub-folders."""
    from evlearn.datasets.folder import NMNISTFolder

    dataset = NMNISTFolder(root)
    samples = [(path, dataset.classes[label]) for path, label in dataset.samples]
    return samples, sorted({label for _, label in samples})


def load_folder(root, *, progress: bool = False, desc: str = "reading") -> tuple[list[np.ndarray], np.ndarray]:
    """Read every sample of ``root``: (list of event arrays, array of string labels)."""
    from evlearn.datasets.nmnist import read_nmnist

    samples, _ = list_samples(root)
    streams = [read_nmnist(path) for path, _ in progress_bar(samples, progress, desc=desc, total=len(samples))]
    return streams, np.array([label for _, label in samples])

