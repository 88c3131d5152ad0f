"""MNIST, Fashion-MNIST and EMNIST-letters from the standard IDX files in a local folder.

No download: point ``root`` at the folder holding the files (raw or ``.gz``)
as distributed by the data sets' authors or as left by torchvision
(``<root>/MNIST/raw``, ``<root>/FashionMNIST/raw``, ``<root>/EMNIST/raw``) or by
the EMNIST archive (``<root>/gzip``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.datasets.idx import read_idx

KINDS = ("mnist", "fashion", "emnist-letters")
SPLITS = ("train", "test")

# Number of classes and the first label value used in the files.
_CLASSES = {"mnist": (10, 0), "fashion": (10, 0), "emnist-letters": (26, 1)}
# Sub-folders where other tools leave the files, besides root itself.
_SUBFOLDERS = {"mnist": ("MNIST/raw", "raw"), "fashion": ("FashionMNIST/raw", "raw"),
               "emnist-letters": ("gzip", "EMNIST/raw", "raw")}


def idx_file_names(split: str, kind: str = "mnist") -> tuple[list[str], list[str]]:
    """The accepted file names (images, labels) of one split, without ``.gz``."""
    if kind == "emnist-letters":
        return [f"emnist-letters-{split}-images-idx3-ubyte"], [f"emnist-letters-{split}-labels-idx1-ubyte"]
    prefix = "train" if split == "train" else "t10k"
    # Some mirrors (e.g. Kaggle) write a dot instead of the second dash.
    return ([f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"],
            [f"{prefix}-labels-idx1-ubyte", f"{prefix}-labels.idx1-ubyte"])


def _folders(root: Path, kind: str) -> list[Path]:
    return [root, *(root / sub for sub in _SUBFOLDERS[kind])]


def _find(root: Path, kind: str, names: list[str]) -> Path | None:
    for folder in _folders(root, kind):
        for name in names:
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_file():
                    return candidate
    return None


def find_idx_files(root, split: str = "train", kind: str = "mnist") -> tuple[Path, Path]:
    """Paths of the (images, labels) IDX files of ``split`` under ``root``.

    Raises ValueError listing every path looked at when one is missing.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder (expected the {kind} IDX files there)")
    found = []
    for what, names in zip(("images", "labels"), idx_file_names(split, kind)):
        path = _find(root, kind, names)
        if path is None:
            folders = ", ".join(str(f) for f in _folders(root, kind))
            raise ValueError(f"no {kind} {split} {what} file: looked for {' or '.join(names)} "
                             f"(raw or .gz) in {folders}")
        found.append(path)
    return found[0], found[1]


def load_mnist(root, split: str = "train", kind: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST, Fashion-MNIST or EMNIST-letters.

    Parameters
    ----------
    root : path
        Folder with the standard IDX files, e.g. ``train-images-idx3-ubyte.gz``,
        ``t10k-labels-idx1-ubyte`` or ``emnist-letters-test-images-idx3-ubyte.gz``.
    split : {"train", "test"}
    kind : {"mnist", "fashion", "emnist-letters"}

    Returns
    -------
    images : uint8 array [N, H, W], upright (EMNIST's transposed storage is undone)
    labels : int64 array [N], 0..9 (MNIST, Fashion) or 0..25 for letters a..z
        (EMNIST's 1..26 shifted down by one).
    """
    image_path, label_path = find_idx_files(root, split, kind)
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"{image_path}: expected uint8 images [N, H, W], got {images.dtype} {images.shape}")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{label_path}: expected integer labels [N], got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels")
    n_classes, first = _CLASSES[kind]
    labels = labels.astype(np.int64) - first
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{label_path}: label {labels[i] + first} at index {i} is outside "
                         f"{first}..{first + n_classes - 1} for {kind}")
    if kind.startswith("emnist"):
        images = images.transpose(0, 2, 1)  # EMNIST stores images column by column
    return np.ascontiguousarray(images), labels
