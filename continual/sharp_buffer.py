"""SHARP's replay buffer and long-term memory (NumPy only).

- :class:`QuantizedReplayBuffer`: a fixed number of samples per class (hidden
  activations, or raw inputs for the ablation), quantised to ``bits`` bits with
  one min/max pair per class, holding only the classes of the most recent
  ``recent_tasks`` tasks (older classes are never replayed again).
- :class:`LongTermMemory`: a few penultimate representations per class with a
  per-class unit mask, read out by k-nearest neighbours.

Reference: the authors' ``Source/memory.py`` and ``Source/neocortex.py``
(arXiv 2305.18563); see docs/sharp.md.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from evlearn.validation import check_number


def quantize(x: np.ndarray, bits: int = 8) -> tuple[np.ndarray, float, float]:
    """Uniform quantisation of ``x`` to ``bits`` bits between its own min and max.

    Returns ``(codes, lo, hi)`` with ``codes`` as uint8. The round trip through
    :func:`dequantize` is off by at most ``(hi - lo) / (2 * (2**bits - 1))``.
    """
    bits = check_number(bits, "bits", low=1, high=8, integer=True)
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return np.zeros(x.shape, dtype=np.uint8), 0.0, 0.0
    lo, hi = float(x.min()), float(x.max())
    levels = 2 ** bits - 1
    if hi == lo:  # constant tensor: every code is 0 (their code would divide by zero)
        return np.zeros(x.shape, dtype=np.uint8), lo, hi
    codes = np.rint((x.astype(np.float64) - lo) / (hi - lo) * levels)
    return np.clip(codes, 0, levels).astype(np.uint8), lo, hi


def dequantize(codes: np.ndarray, lo: float, hi: float, bits: int = 8) -> np.ndarray:
    """Inverse of :func:`quantize` (float32)."""
    levels = 2 ** int(bits) - 1
    return (codes.astype(np.float64) / levels * (hi - lo) + lo).astype(np.float32)


class QuantizedReplayBuffer:
    """Per-class quantised samples of the most recent tasks.

    ``add_task({label: samples})`` stores the first ``per_class`` samples of each
    class (replacing an older entry of the same class, which happens with
    blurry boundaries) and forgets classes that belong to none of the last
    ``recent_tasks`` tasks.
    """

    def __init__(self, per_class: int = 25, recent_tasks: int = 1, bits: int = 8):
        self.per_class = check_number(per_class, "per_class", low=1, integer=True)
        self.recent_tasks = check_number(recent_tasks, "recent_tasks", low=1, integer=True)
        self.bits = check_number(bits, "bits", low=1, high=8, integer=True)
        self._store: dict[int, tuple[np.ndarray, float, float]] = {}
        self._tasks: list[list[int]] = []  # class labels per pushed task, oldest first

    def add_task(self, samples_by_class: dict) -> None:
        """Store up to ``per_class`` quantised samples of each class of a new task (label -> samples); keep the last ``recent_tasks`` tasks."""
        labels = []
        for label, samples in samples_by_class.items():
            samples = np.asarray(samples, dtype=np.float32)
            if len(samples) == 0:
                continue
            self._store[int(label)] = quantize(samples[:self.per_class], self.bits)
            labels.append(int(label))
        self._tasks.append(labels)
        self._tasks = self._tasks[-self.recent_tasks:]
        # A class re-seen in a newer task belongs to that task only.
        newest = {}
        for age, labels in enumerate(reversed(self._tasks)):
            for label in labels:
                newest.setdefault(label, age)
        self._tasks = [[c for c in labels if newest[c] == len(self._tasks) - 1 - i]
                       for i, labels in enumerate(self._tasks)]
        for label in list(self._store):
            if label not in newest:
                del self._store[label]

    @property
    def classes(self) -> list[int]:
        """Stored classes, oldest task first."""
        return [c for labels in self._tasks for c in labels]

    def __len__(self) -> int:
        return sum(codes.shape[0] for codes, _, _ in self._store.values())

    def age(self, label: int) -> int:
        """0 for classes of the most recent task, 1 for the task before, ..."""
        for age, labels in enumerate(reversed(self._tasks)):
            if label in labels:
                return age
        raise KeyError(label)

    def get(self, label: int) -> np.ndarray:
        """The stored samples of class ``label``, dequantised to float32."""
        codes, lo, hi = self._store[int(label)]
        return dequantize(codes, lo, hi, self.bits)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples spread evenly over the stored classes (the first ones get the remainder).

        Within a class without replacement when it holds enough samples,
        otherwise with replacement (as the authors' ``sample_n``).
        """
        classes = self.classes
        if not classes:
            raise ValueError("the replay buffer is empty")
        base, extra = divmod(int(n), len(classes))
        xs, ys = [], []
        for i, label in enumerate(classes):
            count = base + (1 if i < extra else 0)
            if count == 0:
                continue
            data = self.get(label)
            idx = rng.choice(len(data), size=count, replace=count > len(data))
            xs.append(data[idx])
            ys.append(np.full(count, label, dtype=np.int64))
        return np.concatenate(xs), np.concatenate(ys)

    def per_class_samples(self, n: int, rng: np.random.Generator):
        """``[(label, samples, age), ...]`` with ``n`` samples per class (newest task first)."""
        out = []
        for age, labels in enumerate(reversed(self._tasks)):
            for label in labels:
                data = self.get(label)
                idx = rng.choice(len(data), size=n, replace=n > len(data))
                out.append((label, data[idx], age))
        return out

    def state(self) -> dict:
        """Checkpoint state (tensors, numbers, lists and dicts only)."""
        import torch

        return {"tasks": [list(t) for t in self._tasks],
                "store": {int(k): [torch.from_numpy(c.copy()), lo, hi] for k, (c, lo, hi) in self._store.items()}}

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` saved."""
        self._tasks = [[int(c) for c in t] for t in state["tasks"]]
        self._store = {int(k): (c.numpy().copy(), float(lo), float(hi)) for k, (c, lo, hi) in state["store"].items()}

    @property
    def memory_bytes(self) -> int:
        """Payload at ``bits`` bits per value (packed) plus two float32 (min, max) per class."""
        total = 0
        for codes, _, _ in self._store.values():
            total += (codes.size * self.bits + 7) // 8 + 8
        return int(total)


def _normalize(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


class LongTermMemory:
    """k-nearest-neighbour read-out over a few stored representations per class.

    Each class has its own unit mask: distances to class ``c``'s memories use
    only the units in ``c``'s mask, after L2-normalising both sides on those
    units (the authors' ``NeocortexKNN.predict``). Ties in the vote go to the
    smallest label.
    """

    def __init__(self, k: int = 5):
        self.k = check_number(k, "k", low=1, integer=True)
        self._reps: OrderedDict[int, np.ndarray] = OrderedDict()
        self._masks: dict[int, np.ndarray] = {}

    def add(self, label: int, representations: np.ndarray, unit_mask=None) -> None:
        """Store (replace) class ``label``'s representations; ``unit_mask`` None or empty: all units."""
        reps = np.asarray(representations, dtype=np.float32)
        if reps.ndim != 2 or len(reps) == 0:
            raise ValueError(f"representations must be a non-empty (n, d) array, got shape {reps.shape}")
        mask = np.ones(reps.shape[1], dtype=bool) if unit_mask is None else np.asarray(unit_mask, dtype=bool)
        if mask.shape != (reps.shape[1],):
            raise ValueError(f"unit_mask must have shape ({reps.shape[1]},), got {mask.shape}")
        if not mask.any():
            mask = np.ones_like(mask)
        self._reps[int(label)] = reps
        self._masks[int(label)] = mask

    @property
    def classes(self) -> list[int]:
        """Labels with stored representations, oldest first."""
        return list(self._reps)

    @property
    def memory_bytes(self) -> int:
        """Bytes of the stored representations and masks."""
        return int(sum(r.nbytes for r in self._reps.values()) + sum(m.size for m in self._masks.values()))

    def state(self) -> dict:
        """Checkpoint state: ``k``, labels, representations and masks as tensors."""
        import torch

        return {"k": self.k, "classes": [int(c) for c in self._reps],
                "reps": [torch.from_numpy(r.copy()) for r in self._reps.values()],
                "masks": [torch.from_numpy(self._masks[c].copy()) for c in self._reps]}

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` saved."""
        self.k = int(state["k"])
        self._reps = OrderedDict((int(c), r.numpy().copy()) for c, r in zip(state["classes"], state["reps"]))
        self._masks = {int(c): m.numpy().copy() for c, m in zip(state["classes"], state["masks"])}

    def predict(self, representations: np.ndarray, classes=None) -> np.ndarray:
        """Labels by majority vote of the ``k`` nearest memories (only of ``classes`` if given)."""
        if not self._reps:
            raise ValueError("the long-term memory is empty; train on a task first")
        z = np.asarray(representations, dtype=np.float32)
        allowed = None if classes is None else {int(c) for c in classes}
        items = [(c, r) for c, r in self._reps.items() if allowed is None or c in allowed]
        if not items:
            raise ValueError(f"no long-term memory for classes {sorted(allowed)}")
        dists, labels = [], []
        for label, reps in items:
            mask = self._masks[label]
            q = _normalize(z[:, mask].astype(np.float64))
            m = _normalize(reps[:, mask].astype(np.float64))
            sq = (q * q).sum(1)[:, None] + (m * m).sum(1)[None, :] - 2.0 * q @ m.T
            dists.append(np.sqrt(np.maximum(sq, 0.0)))
            labels.append(np.full(len(reps), label, dtype=np.int64))
        dists = np.concatenate(dists, axis=1)
        labels = np.concatenate(labels)
        k = min(self.k, dists.shape[1])
        nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
        votes = labels[nearest]
        n_labels = int(labels.max()) + 1
        counts = np.zeros((len(z), n_labels), dtype=np.int64)
        np.add.at(counts, (np.repeat(np.arange(len(z)), k), votes.ravel()), 1)
        return counts.argmax(axis=1)
