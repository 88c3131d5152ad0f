"""Each method's own rule on a hand-computed case (A-GEM, ER-ACE, DER, iCaRL, SI)."""
from __future__ import annotations

import math

import pytest
import torch

from evlearn.continual.rules import (ace_active_classes, agem_project, class_means, der_logit_loss, icarl_targets,
                                     masked_cross_entropy, nearest_mean, si_importance, si_path_step)


def test_agem_projects_only_conflicting_gradients():
    ref = torch.tensor([1.0, 1.0])
    projected = agem_project(torch.tensor([-3.0, 1.0]), ref)   # g.ref = -2, ref.ref = 2: g + ref
    assert torch.allclose(projected, torch.tensor([-2.0, 2.0]))
    assert float(torch.dot(projected, ref)) == pytest.approx(0.0)
    same = torch.tensor([1.0, 1.0])
    assert agem_project(same, torch.tensor([0.0, 1.0])) is same          # g.ref = 1 > 0: unchanged
    orthogonal = torch.tensor([2.0, 0.0, -2.0])
    assert agem_project(orthogonal, torch.ones(3)) is orthogonal         # g.ref = 0: unchanged
    zero_ref = torch.tensor([-1.0, 0.0])
    assert agem_project(zero_ref, torch.zeros(2)) is zero_ref


def test_er_ace_masks_seen_classes_absent_from_the_batch():
    active = ace_active_classes(6, present=torch.tensor([2]), seen=torch.tensor([0, 1, 2, 3]))
    assert active.tolist() == [False, False, True, False, True, True]
    logits = torch.tensor([[1.0, 2.0, 3.0, 0.0, 0.0, 0.0]])
    loss = masked_cross_entropy(logits, torch.tensor([2]), active)
    assert float(loss) == pytest.approx(math.log(1 + 2 * math.exp(-3)), rel=1e-6)   # only classes 2, 4, 5 compete
    assert torch.isfinite(loss)


def test_der_loss_is_the_mean_squared_logit_error():
    assert float(der_logit_loss(torch.tensor([[1.0, 2.0]]), torch.zeros(1, 2))) == pytest.approx(2.5)


def test_icarl_targets_distil_old_classes_and_one_hot_new_ones():
    old = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.9, 0.8, 0.7, 0.6]])
    targets = icarl_targets(torch.tensor([2, 0]), old, [0, 1], 4)
    assert torch.allclose(targets, torch.tensor([[0.1, 0.2, 1.0, 0.0], [0.9, 0.8, 0.0, 0.0]]))
    assert torch.equal(icarl_targets(torch.tensor([1]), None, [], 3), torch.tensor([[0.0, 1.0, 0.0]]))


def test_icarl_nearest_mean_of_exemplars():
    means = class_means(torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 3.0]]), torch.tensor([0, 0, 1]), [0, 1])
    root = 1 / math.sqrt(2)
    assert torch.allclose(means, torch.tensor([[root, root], [root, root]]))   # normalise, average, normalise
    labels = nearest_mean(torch.tensor([[2.0, 0.1], [0.1, 3.0]]), torch.eye(2), [3, 7])
    assert labels.tolist() == [3, 7]


def test_si_path_integral_and_importance():
    omega = si_path_step(torch.zeros(2), grad=torch.tensor([1.0, -2.0]), delta=torch.tensor([-0.1, 0.1]))
    assert torch.allclose(omega, torch.tensor([0.1, 0.2]))
    importance = si_importance(omega, task_delta=torch.tensor([0.5, 0.0]), xi=0.1)
    assert torch.allclose(importance, torch.tensor([0.1 / 0.35, 2.0]))
