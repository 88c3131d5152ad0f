"""Learning without Forgetting (Li & Hoiem 2016): distillation from the previous model in ``penalty()``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from evlearn.continual.strategies.base import Strategy, frozen_copy, register_strategy


@register_strategy("lwf")
class LwF(Strategy):
    """Learning without Forgetting: distil the previous model's outputs on new data.

    Li & Hoiem, "Learning without Forgetting", ECCV 2016 / TPAMI 2017 (arXiv
    1606.09282). While training task k the loss adds
    ``alpha * T^2 * KL(softmax(old/T) || softmax(new/T))`` over the logits of
    the classes seen before task k, with the frozen model from the end of task k-1.

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    alpha : float, default 1.0
        Weight of the distillation term.
    temperature : float, default 2.0
        Softmax temperature T of the distillation.
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.lwf import LwF
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = LwF(MLP((16,), n_classes=4, hidden=(32,)), n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = "Li & Hoiem 2016, Learning without Forgetting (arXiv 1606.09282)"

    def __init__(self, model, *, alpha: float = 1.0, temperature: float = 2.0, **kwargs):
        super().__init__(model, **kwargs)
        if float(alpha) < 0 or not float(temperature) > 0:
            raise ValueError(f"lwf: alpha must be >= 0 and temperature > 0; got {alpha}, {temperature}")
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.old_model: nn.Module | None = None
        self.old_classes: list[int] = []

    def penalty(self):
        """``alpha`` x distillation loss between the old and the current model's outputs on the old classes (0 on the first task)."""
        if self.old_model is None or not self.old_classes or self.alpha == 0:
            return 0.0
        with torch.no_grad():
            old = self.old_model(self.mb_x)[:, self.old_classes]
        new = self.model(self.mb_x)[:, self.old_classes] if self.mode == "task" else \
            self.mb_output[:, self.old_classes]
        T = self.temperature
        kd = F.kl_div(F.log_softmax(new / T, 1), F.log_softmax(old / T, 1), log_target=True,
                      reduction="batchmean")
        return self.alpha * T * T * kd

    def after_training_exp(self, task):
        """Freeze a copy of the model: its outputs on the old classes are the distillation targets of later tasks."""
        self.old_model = frozen_copy(self.model)
        self.old_classes = sorted({c for classes in self.task_classes.values() for c in classes})

    def extra_state(self):
        """Checkpoint state: the old classes and the frozen old model's weights."""
        return {"old_model": None if self.old_model is None else self.old_model.state_dict(),
                "old_classes": list(self.old_classes)}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        self.old_classes = list(state["old_classes"])
        self.old_model = None if state["old_model"] is None else frozen_copy(self.model, state["old_model"])
