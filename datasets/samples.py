"""The N-MNIST samples shipped inside the package (4 per digit; see samples/README.md).

They make demos, examples and tests work without ``../shared/data`` or a
download. Licence: CC BY-SA 4.0, Orchard et al. 2015.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from evlearn.datasets.folder import NMNISTFolder


def sample_dir() -> Path:
    """The folder of shipped samples, laid out ``<label>/<id>.bin``."""
    folder = resources.files("evlearn").joinpath("samples")
    if not isinstance(folder, Path) or not folder.is_dir():
        raise ValueError(f"shipped N-MNIST samples not found at {folder}; reinstall evlearn")
    return folder


def sample_dataset(transform: Callable | None = None) -> NMNISTFolder:
    """The shipped samples as a lazy NMNISTFolder (10 classes, 4 samples each)."""
    return NMNISTFolder(sample_dir(), transform=transform)


def load_samples(transform: Callable | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Read every shipped sample: (list of event arrays, int64 labels), class by class."""
    dataset = sample_dataset(transform)
    events = [dataset[i][0] for i in range(len(dataset))]
    return events, dataset.targets
