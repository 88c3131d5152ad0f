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

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.joint import Joint
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = Joint(MLP((16,), n_classes=4, hidden=(32,)), n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    >>> strategy.memory_bytes()                                  # every input seen (float32) + labels
    10400
    """

    paper = "Joint / cumulative training on all data seen so far (upper bound, e.g. van de Ven & Tolias 2019)."

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.seen_X: list[np.ndarray] = []
        self.seen_y: list[np.ndarray] = []
        self.seen_t: list[np.ndarray] = []

    def training_data(self, task):
        """Every task's data seen so far, ``task``'s included (the upper bound: no forgetting by construction)."""
        self.seen_X.append(np.asarray(task.X_train))
        self.seen_y.append(np.asarray(task.y_train, dtype=np.int64))
        self.seen_t.append(np.full(len(task.y_train), task.task_id, dtype=np.int64))
        return np.concatenate(self.seen_X), np.concatenate(self.seen_y), np.concatenate(self.seen_t)

    def memory_bytes(self) -> int:
        """All stored inputs plus one label per sample, counted as in ER (1 byte for < 256 classes)."""
        return int(sum(a.nbytes for a in self.seen_X) + sum(len(a) for a in self.seen_y) * label_bytes(self.n_classes))

    def extra_state(self) -> dict:
        """Checkpoint state: the inputs, labels and task ids of every task seen."""
        return {"X": [torch.from_numpy(np.ascontiguousarray(a)) for a in self.seen_X],
                "y": [torch.from_numpy(a) for a in self.seen_y],
                "t": [torch.from_numpy(a) for a in self.seen_t]}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        self.seen_X = [a.numpy() for a in state["X"]]
        self.seen_y = [a.numpy() for a in state["y"]]
        self.seen_t = [a.numpy() for a in state["t"]]
