"""ER-ACE: experience replay with the asymmetric cross-entropy (Caccia et al. 2022)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from evlearn.continual.rules import ace_active_classes, masked_cross_entropy
from evlearn.continual.strategies.base import register_strategy
from evlearn.continual.strategies.replay import ReplayStrategy


@register_strategy("er_ace")
class ERACE(ReplayStrategy):
    """Experience replay whose incoming-data loss cannot push old classes' logits down.

    Caccia, Aljundi, Asadi, Tuytelaars, Pineau, Belilovsky, "New Insights on
    Reducing Abrupt Representation Change in Online Continual Learning", ICLR
    2022 (arXiv 2104.05025). After the first task, the cross-entropy on the
    incoming minibatch only involves the classes present in it and the classes
    never seen yet; the replayed minibatch (``replay_batch_size`` samples from
    the reservoir) gets the ordinary cross-entropy over all classes; the loss is
    their sum. No extra hyper-parameter (the authors' code on Mammoth).

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

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.er_ace import ERACE
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = ERACE(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = ("Caccia et al. 2022, New Insights on Reducing Abrupt Representation Change in Online Continual "
             "Learning (ICLR, arXiv 2104.05025)")

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.seen = torch.zeros(self.n_classes, dtype=torch.bool)

    def criterion(self):
        """Asymmetric cross-entropy: incoming samples compete only among the classes present (from the second task on); replayed ones among all."""
        present = torch.unique(self.mb_y)
        self.seen[present.cpu()] = True
        if len(self.task_classes) > 1:      # from the second task on
            active = ace_active_classes(self.n_classes, present, torch.nonzero(self.seen).ravel().to(self.device))
            loss = masked_cross_entropy(self.mb_output, self.mb_y, active)
        else:
            loss = F.cross_entropy(self.mb_output, self.mb_y)
        batch = self.replay_batch()
        if batch is not None:
            _, x, y, t = batch
            loss = loss + F.cross_entropy(self.forward(x, t), y)
        return loss

    def extra_state(self):
        """Checkpoint state: the replay memory and the classes seen."""
        return {**super().extra_state(), "seen": self.seen.clone()}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        super().load_extra_state(state)
        self.seen = state["seen"].clone()
