"""Synaptic Intelligence: online per-parameter importance from the path integral of the loss (Zenke et al. 2017)."""
from __future__ import annotations

import torch

from evlearn.continual.rules import si_importance, si_path_step
from evlearn.continual.strategies.base import Strategy, register_strategy
from evlearn.validation import check_number


@register_strategy("si")
class SI(Strategy):
    """Synaptic Intelligence: a quadratic penalty weighted by each parameter's contribution to the loss drop.

    Zenke, Poole, Ganguli, "Continual Learning Through Synaptic Intelligence",
    ICML 2017 (arXiv 1703.04200). During a task each parameter accumulates
    omega -= g * delta (g: the gradient of the step, delta: the change it made);
    at the task's end its importance grows by omega / (Delta^2 + ``xi``), Delta the
    parameter's change over the task; later tasks add ``c * sum Omega (theta -
    theta*)^2`` with theta* the weights at the end of the last task. Defaults
    ``c`` = 1.0 and ``xi`` = 0.9: the authors' best Seq-MNIST values in Mammoth's
    best_args. Importance and anchors are model-sized and not counted in
    ``memory_bytes`` (as EWC's).

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    c : float, default 1.0
        Weight of the penalty.
    xi : float, default 0.9
        Damping of the importance (added to the squared change over a task).
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.si import SI
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = SI(MLP((16,), n_classes=4, hidden=(32,)), n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = "Zenke, Poole, Ganguli 2017, Continual Learning Through Synaptic Intelligence (ICML, arXiv 1703.04200)"

    def __init__(self, model, *, c: float = 1.0, xi: float = 0.9, **kwargs):
        super().__init__(model, **kwargs)
        self.c = float(check_number(c, "si: c", low=0.0))
        self.xi = float(check_number(xi, "si: xi", low=0.0, low_open=True))
        self.importance: dict[str, torch.Tensor] = {}
        self.anchor: dict[str, torch.Tensor] = {}
        self._omega: dict[str, torch.Tensor] = {}
        self._start: dict[str, torch.Tensor] = {}
        self._before: dict[str, torch.Tensor] = {}

    def _named(self):
        return [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]

    def penalty(self):
        """``c`` x sum of importance-weighted squared distances to the anchored weights (0 before the first task ends)."""
        if not self.importance or self.c == 0:
            return 0.0
        total = sum((self.importance[n] * (p - self.anchor[n]) ** 2).sum() for n, p in self._named())
        return self.c * total

    def before_training_exp(self, task):
        """Remember the weights at the task's start and reset the path integrals."""
        self._start = {n: p.detach().clone() for n, p in self._named()}
        self._omega = {n: torch.zeros_like(p) for n, p in self._named()}

    def before_backward(self):
        """Remember the weights before the step."""
        self._before = {n: p.detach().clone() for n, p in self._named()}

    def after_update(self):
        """Accumulate each weight's path integral: minus gradient times the step's change."""
        for n, p in self._named():
            if p.grad is not None:
                self._omega[n] = si_path_step(self._omega[n], p.grad.detach(), p.detach() - self._before[n])

    def after_training_exp(self, task):
        """Add the task's importances (path integral over squared total change + ``xi``) and anchor the weights."""
        for n, p in self._named():
            gained = si_importance(self._omega[n], p.detach() - self._start[n], self.xi)
            self.importance[n] = self.importance.get(n, torch.zeros_like(p)) + gained
            self.anchor[n] = p.detach().clone()

    def extra_state(self):
        """Checkpoint state: the accumulated importances and the anchored weights."""
        return {"importance": self.importance, "anchor": self.anchor}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        self.importance, self.anchor = dict(state["importance"]), dict(state["anchor"])
