"""A-GEM: averaged gradient episodic memory (Chaudhry et al. 2019)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from evlearn.continual.rules import agem_project
from evlearn.continual.strategies.base import register_strategy
from evlearn.continual.strategies.replay import ReplayStrategy


@register_strategy("agem")
class AGEM(ReplayStrategy):
    """Project each update so that the loss on a memory sample does not increase.

    Chaudhry, Ranzato, Rohrbach, Elhoseiny, "Efficient Lifelong Learning with
    A-GEM", ICLR 2019 (arXiv 1812.00420). Before each step the reference
    gradient g_ref of the cross-entropy on ``replay_batch_size`` memory samples
    is computed; if the minibatch gradient g has g . g_ref < 0 it is replaced by
    g - (g . g_ref) / (g_ref . g_ref) g_ref. Default ``replay_batch_size`` = 128
    (the authors' best Seq-MNIST setting in Mammoth's best_args). The memory is
    the shared reservoir of ``memory_size`` samples (the paper fills a per-task
    episodic memory at the end of each task; the reservoir keeps the same total
    budget without knowing the number of tasks).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    replay_batch_size : int, default 128
        Memory samples of the reference gradient.
    memory_size : int, default 200
        Samples the memory holds (all tasks together).
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.agem import AGEM
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = AGEM(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, replay_batch_size=16, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = "Chaudhry et al. 2019, Efficient Lifelong Learning with A-GEM (ICLR, arXiv 1812.00420)"

    def __init__(self, model, *, replay_batch_size: int = 128, **kwargs):
        super().__init__(model, replay_batch_size=replay_batch_size, **kwargs)
        self._ref = None

    def _params(self):
        return [p for p in self.model.parameters() if p.requires_grad]

    def _flat_grad(self) -> torch.Tensor:
        return torch.cat([torch.zeros_like(p).ravel() if p.grad is None else p.grad.ravel() for p in self._params()])

    def before_backward(self):
        """Compute the reference gradient on a replay batch (none while the memory is empty)."""
        self._ref = None
        batch = self.replay_batch()
        if batch is None:
            return
        _, x, y, t = batch
        self.optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(self.forward(x, t), y).backward()
        self._ref = self._flat_grad()

    def after_backward(self):
        """Project the gradient so it does not increase the replay loss (A-GEM)."""
        if self._ref is None:
            return
        projected = agem_project(self._flat_grad(), self._ref)
        start = 0
        for p in self._params():
            n = p.numel()
            if p.grad is not None:
                p.grad.copy_(projected[start:start + n].view_as(p))
            start += n
