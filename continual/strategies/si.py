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
        if not self.importance or self.c == 0:
            return 0.0
        total = sum((self.importance[n] * (p - self.anchor[n]) ** 2).sum() for n, p in self._named())
        return self.c * total

    def before_training_exp(self, task):
        self._start = {n: p.detach().clone() for n, p in self._named()}
        self._omega = {n: torch.zeros_like(p) for n, p in self._named()}

    def before_backward(self):
        self._before = {n: p.detach().clone() for n, p in self._named()}

    def after_update(self):
        for n, p in self._named():
            if p.grad is not None:
                self._omega[n] = si_path_step(self._omega[n], p.grad.detach(), p.detach() - self._before[n])

    def after_training_exp(self, task):
        for n, p in self._named():
            gained = si_importance(self._omega[n], p.detach() - self._start[n], self.xi)
            self.importance[n] = self.importance.get(n, torch.zeros_like(p)) + gained
            self.anchor[n] = p.detach().clone()

    def extra_state(self):
        return {"importance": self.importance, "anchor": self.anchor}

    def load_extra_state(self, state):
        self.importance, self.anchor = dict(state["importance"]), dict(state["anchor"])
