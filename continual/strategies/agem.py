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
        self._ref = None
        batch = self.replay_batch()
        if batch is None:
            return
        _, x, y, t = batch
        self.optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(self.forward(x, t), y).backward()
        self._ref = self._flat_grad()

    def after_backward(self):
        if self._ref is None:
            return
        projected = agem_project(self._flat_grad(), self._ref)
        start = 0
        for p in self._params():
            n = p.numel()
            if p.grad is not None:
                p.grad.copy_(projected[start:start + n].view_as(p))
            start += n
