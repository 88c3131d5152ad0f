"""Replay memories shared by the rehearsal strategies (NumPy only), with honest byte counts.

A memory is a fixed number of slots holding named arrays: ``x`` (inputs at
their stored dtype: ``uint8`` images stay 1 byte per pixel), ``y`` (labels),
``t`` (task ids) and any extra field a method needs (DER's ``logits``, kept
as float32). Three ways to decide what is stored:

- :class:`ReservoirMemory`: reservoir sampling (Vitter 1985, Algorithm R), a
  uniform sample of the whole stream (ER, DER, DER++, ER-ACE, A-GEM).
- :class:`ClassBalancedMemory`: GDumb's greedy class-balanced sampler
  (Prabhu et al. 2020, Algorithm 1).
- :func:`herding_order`: iCaRL's herding selection (Rebuffi et al. 2017,
  Algorithm 4), used with :class:`ExemplarMemory` (a fixed number of
  exemplars per class, the best first).

Bytes (:meth:`ReplayMemory.nbytes`): every stored field at its dtype, plus one label per
sample at the smallest unsigned integer that holds ``n_classes - 1`` (1 byte
below 256 classes). Task ids are not counted: each class belongs to one task,
so the id follows from the label (and class-incremental training ignores it).
"""
from __future__ import annotations

import numpy as np

from evlearn.validation import check_number

LABEL_FIELDS = ("y", "t")   # stored as int64 for indexing; counted at label_bytes / not at all


def label_bytes(n_classes: int) -> int:
    """Bytes of the smallest unsigned integer holding a class label."""
    return int(np.min_scalar_type(max(int(n_classes) - 1, 0)).itemsize)


class ReplayMemory:
    """Fixed-capacity storage of named arrays, allocated at the first write."""

    def __init__(self, capacity: int):
        self.capacity = check_number(capacity, "memory capacity (samples)", low=1, integer=True)
        self._fields: dict[str, np.ndarray] = {}
        self.n_stored = 0
        self.n_seen = 0

    def __len__(self) -> int:
        return self.n_stored

    def __getitem__(self, name: str) -> np.ndarray:
        """The stored rows of field ``name`` (a view of the first ``len(self)`` slots)."""
        return self._fields[name][:self.n_stored]

    def __contains__(self, name: str) -> bool:
        return name in self._fields

    def prepare(self, batch: dict) -> int:
        """Check ``batch`` (equal-length arrays, the same fields every time), allocate at the first; its length."""
        lengths = {len(values) for values in batch.values()}
        if len(lengths) != 1:
            raise ValueError(f"memory: fields {sorted(batch)} have different lengths {sorted(lengths)}")
        if not self._fields:
            for name, values in batch.items():
                values = np.asarray(values)
                dtype = np.int64 if name in LABEL_FIELDS else values.dtype
                self._fields[name] = np.zeros((self.capacity, *values.shape[1:]), dtype=dtype)
        elif set(batch) != set(self._fields):
            raise ValueError(f"memory fields are {sorted(self._fields)}, got {sorted(batch)}")
        return lengths.pop()

    def write(self, slot: int, row: int, batch: dict) -> None:
        """Copy row ``row`` of every array in ``batch`` into slot ``slot``."""
        for name, values in batch.items():
            self._fields[name][slot] = values[row]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct stored slots, drawn uniformly."""
        return rng.choice(self.n_stored, size=min(int(n), self.n_stored), replace=False)

    def nbytes(self, n_classes: int) -> int:
        """Stored payload in bytes: non-label fields at their dtype + one label per sample."""
        payload = sum(self[name].nbytes for name in self._fields if name not in LABEL_FIELDS)
        labels = self.n_stored * label_bytes(n_classes) if "y" in self._fields else 0
        return int(payload + labels)

    def state(self) -> dict:
        """Checkpoint state: tensors, numbers, lists and dicts only."""
        import torch

        return {"fields": {k: torch.from_numpy(np.ascontiguousarray(self[k])) for k in self._fields},
                "n_stored": self.n_stored, "n_seen": self.n_seen}

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` saved (capacity unchanged)."""
        self.n_stored, self.n_seen = int(state["n_stored"]), int(state["n_seen"])
        self._fields = {}
        for name, values in state["fields"].items():
            values = values.numpy()
            self._fields[name] = np.zeros((self.capacity, *values.shape[1:]), dtype=values.dtype)
            self._fields[name][:self.n_stored] = values


class ReservoirMemory(ReplayMemory):
    """Reservoir sampling: after ``n`` samples, each one is stored with probability capacity / n."""

    def add(self, rng: np.random.Generator, **batch) -> np.ndarray:
        """Offer every row of ``batch`` (arrays of equal length) in turn; return the slot of each (-1: dropped)."""
        n = self.prepare(batch)
        slots = np.full(n, -1, dtype=np.int64)
        for i in range(n):
            if self.n_stored < self.capacity:
                j = self.n_stored
                self.n_stored += 1
            else:
                j = int(rng.integers(0, self.n_seen + 1))
            if j < self.capacity:
                self.write(j, i, batch)
                slots[i] = j
            self.n_seen += 1
        return slots


def class_balanced_slot(labels: np.ndarray, y: int, capacity: int, rng: np.random.Generator) -> int:
    """GDumb's greedy sampler: the slot for a new sample of class ``y``, or -1 to drop it.

    ``labels``: the labels stored now. While the memory has room, the sample is
    appended (slot ``len(labels)``). When full, a sample whose class holds fewer
    than ``capacity / n_classes_seen`` slots replaces a random sample of the
    largest class (the smallest label among equally large ones); otherwise it is
    dropped. (Prabhu, Torr, Dokania, "GDumb", ECCV 2020, Algorithm 1.)
    """
    labels = np.asarray(labels)
    if len(labels) < capacity:
        return len(labels)
    classes, counts = np.unique(labels, return_counts=True)
    n_seen = len(classes) + (0 if y in classes else 1)
    own = int(counts[classes == y].sum())
    if own >= capacity / n_seen:
        return -1
    largest = classes[np.argmax(counts)]
    return int(rng.choice(np.flatnonzero(labels == largest)))


class ClassBalancedMemory(ReplayMemory):
    """GDumb's greedy class-balanced memory (see :func:`class_balanced_slot`)."""

    def add(self, rng: np.random.Generator, **batch) -> np.ndarray:
        """Offer every row of ``batch`` (arrays of equal length, with labels ``y``) in turn; return the slot of each (-1: dropped)."""
        n = self.prepare(batch)
        slots = np.full(n, -1, dtype=np.int64)
        for i in range(n):
            stored = self["y"]
            j = class_balanced_slot(stored, int(batch["y"][i]), self.capacity, rng)
            if j >= 0:
                self.write(j, i, batch)
                self.n_stored = max(self.n_stored, j + 1)
                slots[i] = j
            self.n_seen += 1
        return slots


def herding_order(features: np.ndarray, m: int) -> np.ndarray:
    """iCaRL's herding: indices of ``m`` rows whose running mean best tracks the mean of all rows.

    Step k picks the not yet chosen row p minimising
    ``|| mu - (sum of the k-1 chosen + f_p) / k ||`` (Rebuffi et al. 2017,
    Algorithm 4; features are L2-normalised first, as in the paper). Ties go to
    the lowest index. Returns the indices in selection order (best first).
    """
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2:
        raise ValueError(f"herding: features must be (n, d), got shape {f.shape}")
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    m = min(int(m), len(f))
    mu = f.mean(0)
    chosen = np.zeros(len(f), dtype=bool)
    running = np.zeros(f.shape[1])
    order = []
    for k in range(1, m + 1):
        cost = np.linalg.norm(mu - (running + f) / k, axis=1)
        cost[chosen] = np.inf
        p = int(np.argmin(cost))
        order.append(p)
        chosen[p] = True
        running += f[p]
    return np.asarray(order, dtype=np.int64)


class ExemplarMemory:
    """iCaRL's exemplar sets: per class, exemplars in priority order; total at most ``capacity``.

    ``set_class(label, x)`` stores one class's exemplars (best first);
    ``shrink(m)`` keeps the first ``m`` of every class (iCaRL's
    ReduceExemplarSet). ``data()`` returns all inputs and labels.
    """

    def __init__(self, capacity: int):
        self.capacity = check_number(capacity, "memory capacity (samples)", low=1, integer=True)
        self._x: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return sum(len(x) for x in self._x.values())

    @property
    def classes(self) -> list[int]:
        """Labels that have exemplars, in the order they were stored."""
        return list(self._x)

    def per_class(self, n_classes_seen: int) -> int:
        """Exemplars per class when ``n_classes_seen`` classes share the memory (iCaRL's m = K / t)."""
        return self.capacity // max(int(n_classes_seen), 1)

    def shrink(self, m: int) -> None:
        """Keep the first ``m`` exemplars of every class (iCaRL's ReduceExemplarSet)."""
        self._x = {c: x[:int(m)] for c, x in self._x.items()}

    def set_class(self, label: int, x: np.ndarray) -> None:
        """Store (a copy of) ``x``, class ``label``'s exemplars, best first, replacing any before."""
        self._x[int(label)] = np.asarray(x).copy()

    def get(self, label: int) -> np.ndarray:
        """The exemplars of class ``label`` (a view, best first)."""
        return self._x[int(label)]

    def data(self) -> tuple[np.ndarray | None, np.ndarray]:
        """All exemplars and their int64 labels, class by class; (None, empty) when nothing is stored."""
        if not self._x:
            return None, np.zeros(0, dtype=np.int64)
        x = np.concatenate(list(self._x.values()))
        y = np.concatenate([np.full(len(v), c, dtype=np.int64) for c, v in self._x.items()])
        return x, y

    def nbytes(self, n_classes: int) -> int:
        """Stored payload in bytes: exemplars at their dtype + one label per exemplar (see :func:`label_bytes`)."""
        return int(sum(x.nbytes for x in self._x.values()) + len(self) * label_bytes(n_classes))

    def state(self) -> dict:
        """Checkpoint state: the labels and one tensor of exemplars per class."""
        import torch

        return {"classes": list(self._x), "x": [torch.from_numpy(np.ascontiguousarray(x)) for x in self._x.values()]}

    def load_state(self, state: dict) -> None:
        """Restore what :meth:`state` saved."""
        self._x = {int(c): x.numpy().copy() for c, x in zip(state["classes"], state["x"])}
