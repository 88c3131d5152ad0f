"""Joint (cumulative) training: the upper bound of every continual-learning comparison."""
from __future__ import annotations

import numpy as np
import torch

from evlearn.continual.strategies.base import Strategy, label_bytes, register_strategy


@register_strategy("joint")
class Joint(Strategy):
    """Upper bound: at task i, train on the union of the training data of tasks 0..i.

    (Avalanche's "Cumulative" strategy; the final model has seen all data jointly.)
    The stored data is reported by ``memory_bytes`` for completeness.
    """

    paper = "Joint / cumulative training on all data seen so far (upper bound, e.g. van de Ven & Tolias 2019)."

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.seen_X: list[np.ndarray] = []
        self.seen_y: list[np.ndarray] = []
        self.seen_t: list[np.ndarray] = []

    def training_data(self, task):
        self.seen_X.append(np.asarray(task.X_train))
        self.seen_y.append(np.asarray(task.y_train, dtype=np.int64))
        self.seen_t.append(np.full(len(task.y_train), task.task_id, dtype=np.int64))
        return np.concatenate(self.seen_X), np.concatenate(self.seen_y), np.concatenate(self.seen_t)

    def memory_bytes(self) -> int:
        """All stored inputs plus one label per sample, counted as in ER (1 byte for < 256 classes)."""
        return int(sum(a.nbytes for a in self.seen_X) + sum(len(a) for a in self.seen_y) * label_bytes(self.n_classes))

    def extra_state(self) -> dict:
        return {"X": [torch.from_numpy(np.ascontiguousarray(a)) for a in self.seen_X],
                "y": [torch.from_numpy(a) for a in self.seen_y],
                "t": [torch.from_numpy(a) for a in self.seen_t]}

    def load_extra_state(self, state):
        self.seen_X = [a.numpy() for a in state["X"]]
        self.seen_y = [a.numpy() for a in state["y"]]
        self.seen_t = [a.numpy() for a in state["t"]]
