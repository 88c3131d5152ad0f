"""Elastic Weight Consolidation (Kirkpatrick et al. 2017): a Fisher-weighted penalty in ``penalty()``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from evlearn.continual.strategies.base import Strategy, as_float_tensor, register_strategy


@register_strategy("ewc")
class EWC(Strategy):
    """Elastic Weight Consolidation: a quadratic penalty anchoring important weights.

    Kirkpatrick et al., "Overcoming catastrophic forgetting in neural networks",
    PNAS 114(13) 2017 (arXiv 1612.00796). After each task the diagonal Fisher
    information F_k and the weights theta_k are stored; the loss on later tasks
    adds ``ewc_lambda / 2 * sum_k sum_i F_k,i (theta_i - theta_k,i)^2``.
    The Fisher is the empirical one (squared per-sample gradients of the
    log-likelihood of the true label) on up to ``fisher_samples`` training samples
    (``fisher_estimator = "per_sample"``, exact; for networks whose weights all sit
    in linear layers it is computed in closed form, see :func:`linear_fisher_diagonal`).
    ``fisher_estimator = "batch"`` is Avalanche's cheaper estimate: squared
    gradients of the mean loss of each minibatch of ``batch_size``, averaged over
    the minibatches (it underestimates the Fisher by about the batch size).
    With plain SGD keep ``lr * ewc_lambda * max(F)`` below 2, or the quadratic
    penalty itself makes the weights oscillate and diverge; Adam is robust to it.

    Parameters
    ----------
    model : torch.nn.Module
        The network, with one output per class (``n_classes`` logits).
    ewc_lambda : float, default 100.0
        Weight of the penalty.
    fisher_samples : int, default 600
        Training samples of each task the Fisher information is estimated on.
    fisher_estimator : {"per_sample", "batch"}, default "per_sample"
        Exact empirical Fisher, or Avalanche's per-minibatch estimate.
    **kwargs
        The shared training options of :class:`~evlearn.continual.strategies.base.Strategy`
        (``n_epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ...).

    Examples
    --------
    >>> from evlearn.continual.backbones import MLP
    >>> from evlearn.continual.data import synthetic_blobs
    >>> from evlearn.continual.scenarios import split_scenario
    >>> from evlearn.continual.strategies.ewc import EWC
    >>> scenario = split_scenario(*synthetic_blobs(), n_tasks=2)  # 4 Gaussian blobs, 2 classes per task
    >>> strategy = EWC(MLP((16,), n_classes=4, hidden=(32,)), ewc_lambda=10.0, n_epochs=3)
    >>> for task in scenario.tasks:
    ...     strategy = strategy.train_task(task)
    >>> strategy.evaluate(scenario.tasks[-1]) > 0.8                # test accuracy on the last task
    True
    """

    paper = "Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks (PNAS)"

    def __init__(self, model, *, ewc_lambda: float = 100.0, fisher_samples: int = 600,
                 fisher_estimator: str = "per_sample", **kwargs):
        super().__init__(model, **kwargs)
        if float(ewc_lambda) < 0 or int(fisher_samples) < 1:
            raise ValueError(f"ewc: ewc_lambda must be >= 0 and fisher_samples >= 1; got {ewc_lambda}, {fisher_samples}")
        if fisher_estimator not in ("per_sample", "batch"):
            raise ValueError(f"ewc: fisher_estimator must be 'per_sample' or 'batch', got {fisher_estimator!r}")
        self.fisher_estimator = fisher_estimator
        self.ewc_lambda = float(ewc_lambda)
        self.fisher_samples = int(fisher_samples)
        # sum_k F_k (theta - theta_k)^2 == F (theta - centre)^2 + offset with F = sum_k F_k,
        # centre = sum_k F_k theta_k / F: one pass per step however many tasks were seen.
        self.fisher: dict[str, torch.Tensor] = {}
        self.centre: dict[str, torch.Tensor] = {}
        self.offset = 0.0
        self.n_anchors = 0

    def penalty(self):
        """``ewc_lambda`` x sum of Fisher-weighted squared distances to the anchored weights (0 before the first task ends)."""
        if not self.fisher or self.ewc_lambda == 0:
            return 0.0
        total = self.offset
        for name, p in self.model.named_parameters():
            if name in self.fisher:
                total = total + (self.fisher[name] * (p - self.centre[name]) ** 2).sum()
        return 0.5 * self.ewc_lambda * total

    def after_training_exp(self, task):
        """Add the task's diagonal Fisher information to the penalty, re-centred so the loss equals the sum of per-task penalties."""
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
        """Diagonal Fisher information of each parameter (name -> tensor) on up to ``fisher_samples`` training samples of ``task``."""
        self.model.eval()
        n = min(self.fisher_samples, task.n_train)
        pick = self.rng.choice(task.n_train, size=n, replace=False)
        X = as_float_tensor(task.X_train[pick], self.device)
        y = torch.as_tensor(task.y_train[pick], dtype=torch.long, device=self.device)
        t = torch.full((n,), task.task_id, dtype=torch.long, device=self.device)
        if self.fisher_estimator == "batch":
            return self._batch_fisher(X, y, t)
        fisher = linear_fisher_diagonal(self.model, X, y, lambda xb, rows: self.forward(xb, t[rows]))
        return fisher if fisher is not None else self._vmap_fisher(X, y, t)

    def _batch_fisher(self, X, y, t) -> dict:
        """Avalanche's estimate: squared minibatch-mean gradients, averaged over the minibatches."""
        fisher = {k: torch.zeros_like(v) for k, v in self.model.named_parameters()}
        n_batches = 0
        for start in range(0, len(y), self.batch_size):
            rows = slice(start, start + self.batch_size)
            self.model.zero_grad(set_to_none=True)
            F.cross_entropy(self.forward(X[rows], t[rows]), y[rows]).backward()
            for k, p in self.model.named_parameters():
                if p.grad is not None:
                    fisher[k] += p.grad.detach() ** 2
            n_batches += 1
        self.model.zero_grad(set_to_none=True)
        return {k: v / n_batches for k, v in fisher.items()}

    def _vmap_fisher(self, X, y, t) -> dict:
        """Per-sample gradients with torch.func, for any architecture."""
        from torch.func import functional_call, grad, vmap

        params = {k: v.detach() for k, v in self.model.named_parameters()}
        buffers = {k: v.detach() for k, v in self.model.named_buffers()}

        def nll(p, x, target, tid):
            logits = functional_call(self.model, (p, buffers), (x.unsqueeze(0),))
            return F.cross_entropy(self.mask_other_tasks(logits, tid.unsqueeze(0)), target.unsqueeze(0))

        fisher = {k: torch.zeros_like(v) for k, v in params.items()}
        per_sample = vmap(grad(nll), in_dims=(None, 0, 0, 0))
        for start in range(0, len(y), 32):  # small chunks: per-sample gradients of all weights are large
            grads = per_sample(params, X[start:start + 32], y[start:start + 32], t[start:start + 32])
            for k in fisher:
                fisher[k] += (grads[k] ** 2).sum(0)
        return {k: v / len(y) for k, v in fisher.items()}

    def extra_state(self):
        """Checkpoint state: the accumulated Fisher diagonal, its centres, the constant offset and the number of tasks anchored."""
        return {"fisher": self.fisher, "centre": self.centre, "offset": self.offset, "n_anchors": self.n_anchors}

    def load_extra_state(self, state):
        """Restore what :meth:`extra_state` saved."""
        self.fisher, self.centre = dict(state["fisher"]), dict(state["centre"])
        self.offset, self.n_anchors = float(state["offset"]), int(state["n_anchors"])


def linear_fisher_diagonal(model: nn.Module, X: torch.Tensor, y: torch.Tensor, logits_fn,
                           chunk: int = 256) -> dict | None:
    """Exact empirical Fisher diagonal when every trainable weight sits in an ``nn.Linear`` layer.

    A linear layer's per-sample weight gradient is the outer product g_i a_i^T
    (g_i: the loss gradient at the layer's output, a_i: its input), so the sum of
    its squares over the samples is (g*g)^T (a*a): one matrix product per layer
    instead of N per-sample gradients of every weight. ``logits_fn(x, rows)``
    gives the logits of ``x = X[rows]``. Returns None where the shortcut does not
    hold (another trainable layer type, a layer applied twice, inputs with more
    than two dimensions); the caller then computes per-sample gradients.
    """
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    in_linear = {id(p) for m in linears for p in m.parameters()}
    named = dict(model.named_parameters())
    if any(p.requires_grad and id(p) not in in_linear for p in named.values()):
        return None
    name_of = {id(p): k for k, p in named.items()}
    fisher = {k: torch.zeros_like(p) for k, p in named.items()}
    for start in range(0, len(y), chunk):
        rows = slice(start, start + chunk)
        calls = []
        hooks = [m.register_forward_hook(lambda mod, args, out: calls.append((mod, args[0], out))) for m in linears]
        try:
            logits = logits_fn(X[rows], rows)
        finally:
            for hook in hooks:
                hook.remove()
        modules = [id(m) for m, _, _ in calls]
        if len(set(modules)) != len(modules) or any(a.dim() != 2 for _, a, _ in calls):
            return None
        loss = F.cross_entropy(logits, y[rows], reduction="sum")  # a sum: each output gradient is one sample's
        grads = torch.autograd.grad(loss, [out for _, _, out in calls], allow_unused=True)
        for (module, a, _), g in zip(calls, grads):
            if g is None:
                continue
            g2 = g.detach() ** 2
            if module.weight.requires_grad:
                fisher[name_of[id(module.weight)]] += g2.T @ (a.detach() ** 2)
            if module.bias is not None and module.bias.requires_grad:
                fisher[name_of[id(module.bias)]] += g2.sum(0)
    return {k: v / len(y) for k, v in fisher.items()}
