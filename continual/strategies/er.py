"""Experience Replay with a reservoir buffer of raw inputs (Chaudhry et al. 2019)."""
from __future__ import annotations

import numpy as np
import torch

from evlearn.continual.strategies.base import Strategy, as_float_tensor, label_bytes, register_strategy


@register_strategy("er")
class ExperienceReplay(Strategy):
    """Experience Replay with a reservoir buffer of raw inputs.

    Chaudhry et al., "On Tiny Episodic Memories in Continual Learning", arXiv
    1902.10486 (2019); reservoir sampling: Vitter, ACM TOMS 1985. Every step
    trains on the current minibatch plus ``replay_batch_size`` samples drawn
    from the buffer; afterwards the current minibatch (first epoch only: each
    sample enters the stream once) goes through reservoir sampling, so the
    buffer is a uniform sample of all training data seen.
    ``memory_size`` counts samples; inputs are stored in their original dtype
    (``uint8`` images: 1 byte per pixel).
    """

    paper = "Chaudhry et al. 2019, On Tiny Episodic Memories in Continual Learning (arXiv 1902.10486)"

    def __init__(self, model, *, memory_size: int = 200, replay_batch_size: int | None = None, **kwargs):
        super().__init__(model, **kwargs)
        if int(memory_size) < 1:
            raise ValueError(f"er: memory_size must be >= 1 sample, got {memory_size}")
        self.memory_size = int(memory_size)
        self.replay_batch_size = self.batch_size if replay_batch_size is None else int(replay_batch_size)
        self._X: np.ndarray | None = None     # storage, allocated once at the first sample
        self._y = np.zeros(self.memory_size, dtype=np.int64)
        self._t = np.zeros(self.memory_size, dtype=np.int64)
        self.n_stored = 0
        self.n_seen = 0

    @property
    def buffer_X(self):
        return None if self._X is None else self._X[:self.n_stored]

    @property
    def buffer_y(self):
        return self._y[:self.n_stored]

    @property
    def buffer_t(self):
        return self._t[:self.n_stored]

    def before_forward(self):
        n = self.n_stored
        if n == 0:
            return
        pick = self.rng.choice(n, size=min(self.replay_batch_size, n), replace=False)
        x = as_float_tensor(self._X[pick], self.device)
        self.mb_x = torch.cat([self.mb_x, x])
        self.mb_y = torch.cat([self.mb_y, torch.as_tensor(self._y[pick], device=self.device)])
        self.mb_task = torch.cat([self.mb_task, torch.as_tensor(self._t[pick], device=self.device)])

    def after_update(self):
        if self.epoch > 0:  # each training sample enters the stream once, in the first epoch
            return
        index = self.mb_index.cpu().numpy()
        self.add_to_buffer(self.train_raw[index], self.train_y[index],
                           np.full(len(index), self.current_task.task_id, dtype=np.int64))

    def add_to_buffer(self, X, y, t) -> None:
        """Reservoir sampling (Algorithm R) of each new sample into the buffer."""
        if self._X is None:
            self._X = np.zeros((self.memory_size, *X.shape[1:]), dtype=X.dtype)
        for i in range(len(y)):
            if self.n_stored < self.memory_size:
                j = self.n_stored
                self.n_stored += 1
            else:
                j = int(self.rng.integers(0, self.n_seen + 1))
            if j < self.memory_size:
                self._X[j], self._y[j], self._t[j] = X[i], y[i], t[i]
            self.n_seen += 1

    def memory_bytes(self) -> int:
        """Inputs in their stored dtype plus one label per sample (1 byte for < 256 classes)."""
        if self._X is None:
            return 0
        return int(self.buffer_X.nbytes + self.n_stored * label_bytes(self.n_classes))

    def extra_state(self) -> dict:
        return {"X": None if self._X is None else torch.from_numpy(np.ascontiguousarray(self.buffer_X)),
                "y": torch.from_numpy(self.buffer_y.copy()), "t": torch.from_numpy(self.buffer_t.copy()),
                "n_seen": self.n_seen}

    def load_extra_state(self, state):
        self.n_stored = len(state["y"])
        self._y[:] = 0
        self._t[:] = 0
        self._y[:self.n_stored] = state["y"].numpy()
        self._t[:self.n_stored] = state["t"].numpy()
        if state["X"] is None:
            self._X = None
        else:
            X = state["X"].numpy()
            self._X = np.zeros((self.memory_size, *X.shape[1:]), dtype=X.dtype)
            self._X[:self.n_stored] = X
        self.n_seen = int(state["n_seen"])
