"""The rehearsal base shared by ER, DER, DER++, ER-ACE and A-GEM: a reservoir memory of raw inputs."""
from __future__ import annotations

import numpy as np
import torch

from evlearn.continual.buffers import ReservoirMemory
from evlearn.continual.strategies.base import Strategy, as_float_tensor
from evlearn.validation import check_number


class ReplayStrategy(Strategy):
    """A strategy with a reservoir memory of ``memory_size`` raw samples (Vitter 1985).

    The current minibatch rows enter the memory after each update in one epoch
    of the task (``store_epoch``: "first", so that each training sample enters
    the stream once, or "last", for methods that store the network's outputs
    with the sample). :meth:`replay_batch` draws ``replay_batch_size`` distinct
    stored samples. ``memory_bytes`` counts every stored field at its dtype plus
    one label per sample (see :mod:`evlearn.continual.buffers`).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    memory_size : int, default 200
        Samples the memory holds (all tasks together).
    replay_batch_size : int, optional
        Memory samples replayed per step (default: ``batch_size``).
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).
    """

    store_epoch = "first"

    def __init__(self, model, *, memory_size: int = 200, replay_batch_size: int | None = None, **kwargs):
        super().__init__(model, **kwargs)
        self.memory_size = int(check_number(memory_size, f"{self.name}: memory_size", low=1, integer=True))
        self.replay_batch_size = self.batch_size if replay_batch_size is None else int(
            check_number(replay_batch_size, f"{self.name}: replay_batch_size", low=1, integer=True))
        self.memory = ReservoirMemory(self.memory_size)

    def stored_fields(self, index: np.ndarray) -> dict:
        """What one minibatch puts in the memory (rows ``index`` of the task's training arrays)."""
        return {"x": self.train_raw[index], "y": self.train_y[index],
                "t": np.full(len(index), self.current_task.task_id, dtype=np.int64)}

    def after_update(self):
        """Offer the minibatch's samples to the memory (in the epoch set by ``store_epoch``)."""
        if self.epoch != (0 if self.store_epoch == "first" else self.n_epochs - 1):
            return
        self.memory.add(self.rng, **self.stored_fields(self.mb_index.cpu().numpy()))

    def replay_batch(self, n: int | None = None):
        """``(slots, x, y, task ids)`` of up to ``n`` (default ``replay_batch_size``) stored samples, or None."""
        if len(self.memory) == 0:
            return None
        pick = self.memory.sample(self.replay_batch_size if n is None else n, self.rng)
        x = as_float_tensor(self.memory["x"][pick], self.device)
        y = torch.as_tensor(self.memory["y"][pick], device=self.device)
        t = torch.as_tensor(self.memory["t"][pick], device=self.device)
        return pick, x, y, t

    def memory_bytes(self) -> int:
        """Bytes of the replay memory (see :meth:`evlearn.continual.buffers.ReplayMemory.nbytes`)."""
        return self.memory.nbytes(self.n_classes)

    def extra_state(self) -> dict:
        """Checkpoint state: the replay memory."""
        return {"memory": self.memory.state()}

    def load_extra_state(self, state) -> None:
        """Restore what :meth:`extra_state` saved."""
        self.memory.load_state(state["memory"])
