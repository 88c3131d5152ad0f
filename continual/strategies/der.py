"""Dark Experience Replay (DER) and DER++: replay of the network's own logits (Buzzega et al. 2020)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from evlearn.continual.rules import der_logit_loss
from evlearn.continual.strategies.base import register_strategy
from evlearn.continual.strategies.replay import ReplayStrategy
from evlearn.validation import check_number


@register_strategy("der")
class DER(ReplayStrategy):
    """Dark Experience Replay: match the logits stored with each replayed sample.

    Buzzega, Boschini, Porrello, Abati, Calderara, "Dark Experience for General
    Continual Learning: a Strong, Simple Baseline", NeurIPS 2020 (arXiv
    2004.07211). Loss: cross-entropy on the current minibatch +
    ``alpha * MSE(logits(x_m), z_m)`` on ``replay_batch_size`` memory samples,
    where ``z_m`` are the logits the network gave ``x_m`` when it was stored
    (float32, counted in ``memory_bytes``). Default ``alpha`` = 0.2: the
    authors' best value for Seq-MNIST with 200 samples (Mammoth's best_args).
    Samples enter the reservoir in the task's last epoch, so with several
    epochs per task the stored logits are those of the trained network (the
    paper trains one epoch, storing during its only pass).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    alpha : float, default 0.2
        Weight of the logit-matching term.
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
    >>> from evlearn.continual.strategies.der import DER
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = DER(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    >>> strategy.memory_bytes()                   # inputs, labels and 4 float32 logits per sample
    3240
    """

    paper = ("Buzzega et al. 2020, Dark Experience for General Continual Learning: a Strong, Simple Baseline "
             "(NeurIPS, arXiv 2004.07211)")
    store_epoch = "last"

    def __init__(self, model, *, alpha: float = 0.2, **kwargs):
        super().__init__(model, **kwargs)
        self.alpha = float(check_number(alpha, f"{self.name}: alpha", low=0.0))
        self._logits = None

    def forward(self, x, task_ids=None):
        """Logits of ``x``, masked per task as in :meth:`Strategy.forward`; the unmasked logits are kept to be stored."""
        self._logits = self.model(x)      # unmasked: DER stores and matches every class's logit
        return self.mask_other_tasks(self._logits, task_ids)

    def after_forward(self):
        """Keep the minibatch's logits, detached, to store beside its samples."""
        self.mb_logits = self._logits.detach()

    def stored_fields(self, index):
        """The replay fields of minibatch rows ``index``: inputs, labels, task ids and the float32 logits."""
        return {**super().stored_fields(index), "logits": self.mb_logits.cpu().numpy().astype(np.float32)}

    def penalty(self):
        """``alpha`` x mean squared error between the model's logits on a replay batch and the stored ones (0 while the memory is empty)."""
        batch = self.replay_batch()
        if batch is None:
            return 0.0
        pick, x, _, _ = batch
        stored = torch.from_numpy(self.memory["logits"][pick]).to(self.device)
        return self.alpha * der_logit_loss(self.model(x), stored)


@register_strategy("derpp")
class DERpp(DER):
    """DER++: DER plus ``beta`` x cross-entropy on the labels of a second memory sample.

    Same paper as DER (eq. 6). Defaults ``alpha`` = 0.2, ``beta`` = 1.0: the
    authors' best values for Seq-MNIST with 200 samples (Mammoth's best_args).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    alpha : float, default 0.2
        Weight of the logit-matching term.
    beta : float, default 1.0
        Weight of the cross-entropy on replayed labels.
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
    >>> from evlearn.continual.strategies.der import DERpp
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = DERpp(MLP((16,), n_classes=4, hidden=(32,)), memory_size=40, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    def __init__(self, model, *, alpha: float = 0.2, beta: float = 1.0, **kwargs):
        super().__init__(model, alpha=alpha, **kwargs)
        self.beta = float(check_number(beta, f"{self.name}: beta", low=0.0))

    def penalty(self):
        """DER's logit penalty plus ``beta`` x cross-entropy on a second replay batch's labels (DER++)."""
        total = super().penalty()
        batch = self.replay_batch()
        if batch is None:
            return total
        _, x, y, t = batch
        return total + self.beta * F.cross_entropy(self.forward(x, t), y)
