"""Lazy folder data set for N-MNIST-style recordings: ``<root>/<label>/<id>.bin``.

Works like a tonic data set (``len``, ``ds[i] -> (events, label)``, ``transform``)
but reads from any folder in the official layout, without downloading. Files
are listed once at construction and read only when indexed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from evlearn.datasets.nmnist import read_nmnist
from evlearn.events import NMNIST_SENSOR
from evlearn.validation import check_sensor_size

SPLITS = ("train", "test")
_IGNORED = ("__MACOSX",)


def _subfolders(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in _IGNORED)


def find_split(root, split: str) -> Path:
    """The ``Train``/``Test`` sub-folder of ``root`` for ``split`` ("train" or "test"), any case."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    matches = [p for p in _subfolders(Path(root)) if p.name.lower() == split]
    if not matches:
        raise ValueError(f"{root}: no {split.capitalize()}/ folder for split={split!r}")
    return matches[0]


def _class_labels(names: list[str]) -> tuple[list[str], dict[str, int]]:
    """Class names and the label of each folder.

    Folders named by whole numbers (N-MNIST's ``0``..``9``) keep their number as
    label, so a split that lacks a class (the shared Test subset has no ``8``)
    still labels the others correctly; ``classes`` then runs from ``0`` to the
    largest number. Other names are sorted and numbered in that order.
    """
    if all(name.isdigit() for name in names):
        numbers = {name: int(name) for name in names}
        return [str(i) for i in range(max(numbers.values()) + 1)], numbers
    ordered = sorted(names)
    return ordered, {name: i for i, name in enumerate(ordered)}


class NMNISTFolder:
    """N-MNIST recordings in the official layout, read lazily.

    Parameters
    ----------
    root : path
        A folder ``<root>/<label>/<id>.bin``; or, with ``split``, a folder
        holding ``Train/`` and ``Test/`` in that layout (as extracted from the
        official archives or by tonic).
    transform : callable, optional
        Applied to each event array (e.g. a tonic transform).
    sensor_size : (width, height, polarities)
        Events outside it make reading that sample raise ValueError.
    split : {"train", "test"}, optional
        Which sub-folder of ``root`` to use when ``root`` holds Train/ and Test/.
    target_transform : callable, optional
        Applied to each integer label.

    Attributes
    ----------
    samples : list of (Path, int)
        Every recording and its label, sorted by class folder then file name.
    classes : list of str
        Class names; ``classes[label]`` is the folder name of ``label``.
    sensor_size : SensorSize
    """

    def __init__(self, root, transform: Callable | None = None, sensor_size=NMNIST_SENSOR, *,
                 split: str | None = None, target_transform: Callable | None = None):
        self.root = Path(root)
        self.split = split
        self.transform = transform
        self.target_transform = target_transform
        self.sensor_size = check_sensor_size(sensor_size)
        if not self.root.exists():
            raise ValueError(f"{self.root}: no such folder")
        if not self.root.is_dir():
            raise ValueError(f"{self.root}: is a file, expected a folder <root>/<label>/<id>.bin")
        folder = find_split(self.root, split) if split is not None else self.root
        class_dirs = _subfolders(folder)
        if split is None and {p.name.lower() for p in class_dirs} & set(SPLITS):
            raise ValueError(f"{self.root}: holds {', '.join(p.name for p in class_dirs)}; "
                             "pass split='train' or split='test'")
        if not class_dirs:
            what = "is empty" if not any(folder.iterdir()) else "has no class sub-folders"
            raise ValueError(f"{folder}: {what}; expected the layout <root>/<label>/<id>.bin")
        self.folder = folder
        self.classes, label_of = _class_labels([p.name for p in class_dirs])
        self.samples: list[tuple[Path, int]] = [
            (path, label_of[d.name])
            for d in class_dirs
            for path in sorted(p for p in d.iterdir() if p.suffix == ".bin" and p.is_file())
        ]
        if not self.samples:
            raise ValueError(f"{folder}: no .bin files in its class sub-folders "
                             f"({', '.join(p.name for p in class_dirs[:5])}{', ...' if len(class_dirs) > 5 else ''})")

    @property
    def targets(self) -> np.ndarray:
        """Labels of all samples (int64), in order, without reading any file."""
        return np.array([label for _, label in self.samples], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        events = read_nmnist(path, sensor_size=self.sensor_size)
        if self.transform is not None:
            events = self.transform(events)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return events, label

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        split = f", split={self.split!r}" if self.split else ""
        return (f"NMNISTFolder({str(self.root)!r}{split}: {len(self)} samples, "
                f"{len(self.classes)} classes, sensor_size={tuple(self.sensor_size)})")
