"""GDumb: a greedy class-balanced memory and a network retrained from scratch on it (Prabhu et al. 2020)."""
from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from evlearn.continual.buffers import ClassBalancedMemory
from evlearn.continual.strategies.base import Strategy, as_float_tensor, register_strategy
from evlearn.progress import progress_bar
from evlearn.validation import check_number


@register_strategy("gdumb")
class GDumb(Strategy):
    """Greedy sampler and dumb learner.

    Prabhu, Torr, Dokania, "GDumb: A Simple Approach that Questions Our Progress
    in Continual Learning", ECCV 2020. The stream only fills a class-balanced
    memory of ``memory_size`` samples (greedy sampler, Algorithm 1); after each
    task the network is reset to its initial weights and trained on the memory
    alone for ``fitting_epochs`` epochs with SGD (momentum 0.9), a first epoch at
    ``max_lr / 10``, then cosine annealing with warm restarts (T_0 = 1 epoch,
    T_mult = 2) from ``max_lr`` to ``min_lr``, gradients clipped at norm
    ``clip``. Defaults from the authors' code: 256 epochs, max_lr 0.05, min_lr
    0.0005, weight decay 1e-6, clip 10; ``batch_size`` comes from [train]. Not
    implemented: CutMix (the authors use it on CIFAR/ImageNet). The shared
    ``epochs``, ``lr``, ``optimizer``, ``momentum`` and ``weight_decay`` options
    are not used: the schedule above replaces them.

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    memory_size : int, default 200
        Samples of the class-balanced memory.
    fitting_epochs : int, default 256
        Epochs of training on the memory after each task.
    max_lr, min_lr : float, default 0.05 and 0.0005
        Range of the cosine-annealed learning rate.
    gdumb_weight_decay : float, default 1e-6
        Weight decay of its SGD.
    clip : float, default 10.0
        Gradient-norm clipping.
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.gdumb import GDumb
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = GDumb(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, fitting_epochs=4)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = ("Prabhu, Torr, Dokania 2020, GDumb: A Simple Approach that Questions Our Progress in Continual "
             "Learning (ECCV)")

    def __init__(self, model, *, memory_size: int = 200, fitting_epochs: int = 256, max_lr: float = 0.05,
                 min_lr: float = 0.0005, gdumb_weight_decay: float = 1e-6, clip: float = 10.0, **kwargs):
        super().__init__(model, **kwargs)
        self.memory_size = int(check_number(memory_size, "gdumb: memory_size", low=1, integer=True))
        self.fitting_epochs = int(check_number(fitting_epochs, "gdumb: fitting_epochs", low=1, integer=True))
        self.max_lr = float(check_number(max_lr, "gdumb: max_lr", low=0.0, low_open=True))
        self.min_lr = float(check_number(min_lr, "gdumb: min_lr", low=0.0, high=self.max_lr))
        self.gdumb_weight_decay = float(check_number(gdumb_weight_decay, "gdumb: gdumb_weight_decay", low=0.0))
        self.clip = float(check_number(clip, "gdumb: clip", low=0.0, low_open=True))
        self.memory = ClassBalancedMemory(self.memory_size)
        self.initial_weights = copy.deepcopy(self.model.state_dict())

    def train_task(self, task) -> "GDumb":
        """Add ``task``'s samples to the class-balanced memory, then train the model from its initial weights on the memory alone. Returns self."""
        self.current_task = task
        self.mode = task.mode
        self.task_classes[int(task.task_id)] = tuple(int(c) for c in task.classes)
        order = self.rng.permutation(task.n_train)
        self.memory.add(self.rng, x=np.asarray(task.X_train)[order], y=np.asarray(task.y_train)[order],
                        t=np.full(task.n_train, task.task_id, dtype=np.int64))
        self.model.load_state_dict(self.initial_weights)
        self._fit()
        return self

    def _fit(self) -> None:
        X = as_float_tensor(self.memory["x"], self.device)
        y = torch.as_tensor(self.memory["y"], device=self.device)
        t = torch.as_tensor(self.memory["t"], device=self.device)
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.SGD(params, lr=self.max_lr / 10, momentum=0.9, weight_decay=self.gdumb_weight_decay)
        schedule = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=1, T_mult=2,
                                                                        eta_min=self.min_lr)
        self.model.train()
        epochs = progress_bar(range(self.fitting_epochs), self.progress, desc=f"gdumb task {self.current_task.task_id}",
                              unit="epoch")
        for epoch in epochs:
            if epoch == 1:          # one warm-up epoch at max_lr / 10, then the cosine schedule from max_lr
                for group in optimizer.param_groups:
                    group["lr"] = self.max_lr
            elif epoch > 1:
                schedule.step()
            order = torch.from_numpy(self.rng.permutation(len(y))).to(self.device)
            for start in range(0, len(y), self.batch_size):
                index = order[start:start + self.batch_size]
                loss = F.cross_entropy(self.forward(X[index], t[index]), y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, self.clip)
                optimizer.step()
        if not torch.isfinite(loss.detach()):
            raise ValueError(f"gdumb: the loss became {float(loss)} in task {self.current_task.task_id}; "
                             "lower max_lr")

    def memory_bytes(self) -> int:
        """Bytes of the class-balanced memory (inputs at their dtype plus one label per sample)."""
        return self.memory.nbytes(self.n_classes)

    def extra_state(self):
        """Checkpoint state: the memory and the initial weights training restarts from."""
        return {"memory": self.memory.state(), "initial_weights": self.initial_weights}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        self.memory.load_state(state["memory"])
        self.initial_weights = dict(state["initial_weights"])
