"""Each replay or regularisation method's own rule as a small pure function (PyTorch).

The strategies (one module each) call these; the unit tests check them on
hand-computed cases. References are in each docstring and in docs/continual.md.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def agem_project(grad: torch.Tensor, ref_grad: torch.Tensor) -> torch.Tensor:
    """A-GEM's projection (Chaudhry et al., ICLR 2019, eq. 11) of flat gradients.

    If the update ``grad`` would increase the loss on the memory (``grad . ref < 0``),
    return ``grad - (grad . ref) / (ref . ref) * ref``; otherwise ``grad`` unchanged.
    """
    dot = torch.dot(grad, ref_grad)
    norm = torch.dot(ref_grad, ref_grad)
    if dot >= 0 or norm <= 0:
        return grad
    return grad - (dot / norm) * ref_grad


def ace_active_classes(n_classes: int, present: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
    """ER-ACE's mask for the incoming batch (Caccia et al., ICLR 2022): boolean (n_classes,).

    Active: the classes present in the incoming batch and the classes never seen yet.
    Classes seen before but absent from the batch are masked, so the incoming
    data cannot push their logits down (the asymmetric cross-entropy).
    """
    active = torch.ones(n_classes, dtype=torch.bool, device=present.device)
    active[seen] = False
    active[present] = True
    return active


def masked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the ``active`` classes only (the others get the lowest finite logit)."""
    masked = logits.masked_fill(~active, torch.finfo(logits.dtype).min)
    return F.cross_entropy(masked, labels)


def der_logit_loss(outputs: torch.Tensor, stored_logits: torch.Tensor) -> torch.Tensor:
    """DER's replay term (Buzzega et al., NeurIPS 2020, eq. 4): mean squared error to the stored logits."""
    return F.mse_loss(outputs, stored_logits.to(outputs.dtype))


def icarl_targets(labels: torch.Tensor, old_probs: torch.Tensor | None, old_classes: list[int],
                  n_classes: int) -> torch.Tensor:
    """iCaRL's sigmoid targets (Rebuffi et al., CVPR 2017, Algorithm 3): (N, n_classes).

    One-hot labels, except that the columns of the ``old_classes`` hold the
    previous network's sigmoid outputs ``old_probs`` (N, n_classes) (distillation).
    """
    targets = F.one_hot(labels, n_classes).to(torch.float32)
    if old_probs is not None and old_classes:
        targets[:, old_classes] = old_probs[:, old_classes].to(torch.float32)
    return targets


def class_means(features: torch.Tensor, labels: torch.Tensor, classes: list[int]) -> torch.Tensor:
    """Mean of the L2-normalised features of each class, normalised again (iCaRL, Algorithm 1)."""
    f = F.normalize(features, dim=1)
    means = torch.stack([f[labels == c].mean(0) for c in classes])
    return F.normalize(means, dim=1)


def nearest_mean(features: torch.Tensor, means: torch.Tensor, classes: list[int]) -> torch.Tensor:
    """iCaRL's nearest-mean-of-exemplars label of each (L2-normalised) feature vector."""
    f = F.normalize(features, dim=1)
    nearest = torch.cdist(f, means).argmin(1)
    return torch.as_tensor(classes, device=features.device)[nearest]


def si_path_step(omega: torch.Tensor, grad: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """SI's running path integral (Zenke et al., ICML 2017, eq. 3): ``omega - grad * delta``.

    ``grad``: the loss gradient used for the step; ``delta``: the parameter change it made.
    """
    return omega - grad * delta


def si_importance(omega: torch.Tensor, task_delta: torch.Tensor, xi: float) -> torch.Tensor:
    """SI's per-parameter importance of a finished task (eq. 5): ``omega / (task_delta ** 2 + xi)``."""
    return omega / (task_delta ** 2 + xi)
