"""CIFAR-10 and CIFAR-100 from the standard "python version" batches in a local folder.

Krizhevsky 2009, "Learning Multiple Layers of Features from Tiny Images";
files from https://www.cs.toronto.edu/~kriz/cifar.html, extracted:
``cifar-10-batches-py/data_batch_1..5, test_batch`` and
``cifar-100-python/train, test``. Each batch is a pickled dict with ``data``
(uint8 [N, 3072]: 1024 red, 1024 green, 1024 blue values, rows of 32) and
``labels`` (CIFAR-10) or ``fine_labels``/``coarse_labels`` (CIFAR-100).

The batches are unpickled with a restricted unpickler that only builds NumPy
arrays and plain containers, so a tampered file cannot run code.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

KINDS = ("cifar10", "cifar100")
SPLITS = ("train", "test")
_FOLDERS = {"cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}
_FILES = {
    ("cifar10", "train"): [f"data_batch_{i}" for i in range(1, 6)],
    ("cifar10", "test"): ["test_batch"],
    ("cifar100", "train"): ["train"],
    ("cifar100", "test"): ["test"],
}
_N_CLASSES = {("cifar10", "labels"): 10, ("cifar100", "fine_labels"): 100, ("cifar100", "coarse_labels"): 20}
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"),  # how Python 3 writes bytes in protocol 2
}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that refuses every global except the few NumPy needs for arrays."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if module.endswith("multiarray"):
            # Files written by NumPy 1.x name numpy.core, which NumPy 2 renamed numpy._core.
            try:
                from numpy._core import multiarray
            except ImportError:  # NumPy 1.x
                from numpy.core import multiarray
            return getattr(multiarray, name)
        return super().find_class(module, name)


def _text(key):
    return key.decode("latin1") if isinstance(key, bytes) else key


def read_cifar_batch(path, label_key: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR batch file: (uint8 images [N, 32, 32, 3], int64 labels [N])."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            batch = _ArrayUnpickler(handle, encoding="bytes").load()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise ValueError(f"{path}: not a CIFAR python batch ({err})") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    batch = {_text(k): v for k, v in batch.items()}
    for key in ("data", label_key):
        if key not in batch:
            raise ValueError(f"{path}: no {key!r} entry (found {sorted(batch)})")
    data = np.asarray(batch["data"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path}: 'data' must be uint8 [N, 3072], got {data.dtype} {data.shape}")
    labels = np.asarray(batch[label_key])
    if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"{path}: {label_key!r} must be a list of integers, got {labels.dtype} {labels.shape}")
    if len(labels) != len(data):
        raise ValueError(f"{path}: {len(data)} images but {len(labels)} {label_key}")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # channel planes -> HWC
    return np.ascontiguousarray(images), labels.astype(np.int64)


def _folder(root: Path, kind: str) -> Path:
    for folder in (root / _FOLDERS[kind], root):
        if folder.is_dir() and all((folder / name).is_file() for name in _FILES[(kind, "test")]):
            return folder
    return root / _FOLDERS[kind]


def load_cifar(root, split: str = "train", kind: str = "cifar10", *,
               label_type: str = "fine") -> tuple[np.ndarray, np.ndarray]:
    """Load one split of CIFAR-10 or CIFAR-100 from the extracted python batches.

    Parameters
    ----------
    root : path
        Folder holding ``cifar-10-batches-py/`` or ``cifar-100-python/`` (or that folder itself).
    split : {"train", "test"}
    kind : {"cifar10", "cifar100"}
    label_type : {"fine", "coarse"}
        CIFAR-100 only: the 100 fine classes or the 20 super-classes.

    Returns
    -------
    images : uint8 array [N, 32, 32, 3]
    labels : int64 array [N] in 0..9 (CIFAR-10), 0..99 (fine) or 0..19 (coarse)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if label_type not in ("fine", "coarse"):
        raise ValueError(f"label_type must be 'fine' or 'coarse', got {label_type!r}")
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: no such folder (expected {_FOLDERS[kind]}/ there)")
    folder = _folder(root, kind)
    paths = [folder / name for name in _FILES[(kind, split)]]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ValueError(f"{root}: missing {kind} {split} file(s): {', '.join(missing)}")
    label_key = "labels" if kind == "cifar10" else f"{label_type}_labels"
    parts = [read_cifar_batch(p, label_key) for p in paths]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    n_classes = _N_CLASSES[(kind, label_key)]
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{folder}: {label_key} value {labels[i]} at index {i} is outside 0..{n_classes - 1}")
    return images, labels
