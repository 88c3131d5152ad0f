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
    """

    paper = ("Caccia et al. 2022, New Insights on Reducing Abrupt Representation Change in Online Continual "
             "Learning (ICLR, arXiv 2104.05025)")

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        self.seen = torch.zeros(self.n_classes, dtype=torch.bool)

    def criterion(self):
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
        return {**super().extra_state(), "seen": self.seen.clone()}

    def load_extra_state(self, state):
        super().load_extra_state(state)
        self.seen = state["seen"].clone()
