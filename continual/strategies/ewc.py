"""Elastic Weight Consolidation (Kirkpatrick et al. 2017): a Fisher-weighted penalty in ``penalty()``."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from evlearn.continual.strategies.base import Strategy, as_float_tensor, register_strategy


@register_strategy("ewc")
class EWC(Strategy):
    """Elastic Weight Consolidation: a quadratic penalty anchoring important weights.

    Kirkpatrick et al., "Overcoming catastrophic forgetting in neural networks",
    PNAS 114(13) 2017 (arXiv 1612.00796). After each task the diagonal Fisher
    information F_k and the weights theta_k are stored; the loss on later tasks
    adds ``ewc_lambda / 2 * sum_k sum_i F_k,i (theta_i - theta_k,i)^2``.
    The Fisher is the empirical one (squared per-sample gradients of the
    log-likelihood of the true label) on up to ``fisher_samples`` training samples.
    With plain SGD keep ``lr * ewc_lambda * max(F)`` below 2, or the quadratic
    penalty itself makes the weights oscillate and diverge; Adam is robust to it.
    """

    paper = "Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks (PNAS)"

    def __init__(self, model, *, ewc_lambda: float = 100.0, fisher_samples: int = 600, **kwargs):
        super().__init__(model, **kwargs)
        if float(ewc_lambda) < 0 or int(fisher_samples) < 1:
            raise ValueError(f"ewc: ewc_lambda must be >= 0 and fisher_samples >= 1; got {ewc_lambda}, {fisher_samples}")
        self.ewc_lambda = float(ewc_lambda)
        self.fisher_samples = int(fisher_samples)
        # sum_k F_k (theta - theta_k)^2 == F (theta - centre)^2 + offset with F = sum_k F_k,
        # centre = sum_k F_k theta_k / F: one pass per step however many tasks were seen.
        self.fisher: dict[str, torch.Tensor] = {}
        self.centre: dict[str, torch.Tensor] = {}
        self.offset = 0.0
        self.n_anchors = 0

    def penalty(self):
        if not self.fisher or self.ewc_lambda == 0:
            return 0.0
        total = self.offset
        for name, p in self.model.named_parameters():
            if name in self.fisher:
                total = total + (self.fisher[name] * (p - self.centre[name]) ** 2).sum()
        return 0.5 * self.ewc_lambda * total

    def after_training_exp(self, task):
        new = self.fisher_diagonal(task)
        weights = {n: p.detach().clone() for n, p in self.model.named_parameters()}
        offset = 0.0
        for name, f_new in new.items():
            f_old = self.fisher.get(name, torch.zeros_like(f_new))
            c_old = self.centre.get(name, torch.zeros_like(f_new))
            f_sum = f_old + f_new
            centre = torch.where(f_sum > 0, (f_old * c_old + f_new * weights[name]) / f_sum.clamp_min(1e-30),
                                 weights[name])
            # exact constant so the loss value equals the per-task sum
            offset += float((f_old * (c_old - centre) ** 2 + f_new * (weights[name] - centre) ** 2).sum())
            self.fisher[name], self.centre[name] = f_sum, centre
        self.offset += offset
        self.n_anchors += 1

    def fisher_diagonal(self, task) -> dict:
        from torch.func import functional_call, grad, vmap

        self.model.eval()
        n = min(self.fisher_samples, task.n_train)
        pick = self.rng.choice(task.n_train, size=n, replace=False)
        X = as_float_tensor(task.X_train[pick], self.device)
        y = torch.as_tensor(task.y_train[pick], dtype=torch.long, device=self.device)
        t = torch.full((n,), task.task_id, dtype=torch.long, device=self.device)
        params = {k: v.detach() for k, v in self.model.named_parameters()}
        buffers = {k: v.detach() for k, v in self.model.named_buffers()}

        def nll(p, x, target, tid):
            logits = functional_call(self.model, (p, buffers), (x.unsqueeze(0),))
            if self.mode == "task":
                logits = logits.masked_fill(~self._task_mask(tid.unsqueeze(0)), float("-inf"))
            return F.cross_entropy(logits, target.unsqueeze(0))

        fisher = {k: torch.zeros_like(v) for k, v in params.items()}
        per_sample = vmap(grad(nll), in_dims=(None, 0, 0, 0))
        for start in range(0, n, 32):  # small chunks: per-sample gradients of all weights are large
            grads = per_sample(params, X[start:start + 32], y[start:start + 32], t[start:start + 32])
            for k in fisher:
                fisher[k] += (grads[k] ** 2).sum(0)
        return {k: v / n for k, v in fisher.items()}

    def extra_state(self):
        return {"fisher": self.fisher, "centre": self.centre, "offset": self.offset, "n_anchors": self.n_anchors}

    def load_extra_state(self, state):
        self.fisher, self.centre = dict(state["fisher"]), dict(state["centre"])
        self.offset, self.n_anchors = float(state["offset"]), int(state["n_anchors"])
