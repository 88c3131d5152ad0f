"""G2GNet as a runner backbone: registry, dense/g2g switch, every strategy, DST through the strategy loop's hooks."""
import copy

import numpy as np
import pytest
import torch

from evlearn.continual.backbones import make_backbone
from evlearn.continual.g2g_backbone import G2GBackbone
from evlearn.continual.g2g_layers import MaskedLinear
from evlearn.continual.scenarios import split_scenario
from evlearn.continual.strategies import get_strategy_class


def _tiny_scenario(seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (4, 16)).astype(np.float32)
    def sample(n):
        y = np.repeat(np.arange(4), n)
        return (centres[y] + rng.normal(0, 1, (len(y), 16)).astype(np.float32)), y.astype(np.int64)
    xtr, ytr = sample(30)
    xte, yte = sample(10)
    return split_scenario(xtr, ytr, xte, yte, n_tasks=2, seed=seed)


def test_registry_builds_dense_and_g2g_with_the_same_widths():
    torch.manual_seed(0)
    g2g = make_backbone("g2g_mlp", (1, 28, 28), 10, hidden=[64, 32], sparsity=0.75)
    dense = make_backbone("g2g_mlp", (1, 28, 28), 10, hidden=[64, 32], wiring="dense")
    assert isinstance(g2g, G2GBackbone) and g2g.feature_dim == dense.feature_dim == 32
    assert [m.nnz for m in g2g.masked_layers()] == [round(0.25 * 784 * 64), round(0.25 * 64 * 32)]
    assert not dense.masked_layers()
    x = torch.rand(3, 1, 28, 28)
    assert g2g(x).shape == dense(x).shape == (3, 10)
    assert g2g.head(g2g.features(x)).shape == (3, 10)
    with pytest.raises(ValueError):
        make_backbone("g2g_mlp", (16,), 4, hidden=[8], colour="blue")


def test_mask_seed_follows_torch_seed():
    torch.manual_seed(1)
    a = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, p_inter=0.3)
    torch.manual_seed(1)
    b = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, p_inter=0.3)
    torch.manual_seed(2)
    c = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, p_inter=0.3)
    assert torch.equal(a.layers[0].mask, b.layers[0].mask)
    assert not torch.equal(a.layers[0].mask, c.layers[0].mask)


@pytest.mark.parametrize("strategy", ["naive", "joint", "er", "ewc", "lwf"])
def test_every_strategy_trains_the_g2g_backbone_with_dst(strategy):
    torch.manual_seed(0)
    scenario = _tiny_scenario()
    model = G2GBackbone((16,), 4, hidden=(32, 16), n_groups=4, sparsity=0.6,
                        dst={"update_every": 3, "prune_fraction": 0.2, "prune": "magnitude", "grow": "hebbian"})
    counts = [layer.nnz for layer in model.masked_layers()]
    masks0 = [layer.mask.clone() for layer in model.masked_layers()]
    options = dict(n_epochs=2, batch_size=16, lr=0.01, optimizer="adam", seed=0)
    if strategy == "er":
        options["memory_size"] = 20
    learner = get_strategy_class(strategy)(model, **options)
    for task in scenario:
        learner.train_task(task)
        accuracy = learner.evaluate(task)
        assert 0.0 <= accuracy <= 1.0
    assert int(model.dst_steps) > 0 and model.dst.history
    for layer, n, m0 in zip(model.masked_layers(), counts, masks0):
        assert layer.nnz == n
        assert torch.all(layer.weight[layer.mask == 0] == 0)
    assert any(not torch.equal(layer.mask, m0) for layer, m0 in zip(model.masked_layers(), masks0))


def test_checkpoint_round_trip_keeps_masks_and_step_counter():
    torch.manual_seed(0)
    model = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, sparsity=0.6,
                        dst={"update_every": 2, "prune": "random", "grow": "random"})
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(5):
        loss = model(torch.randn(8, 16)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.dst_step(opt)             # a hand-written loop steps DST itself
    assert int(model.dst_steps) == 5 and len(model.dst.history) == 2
    torch.manual_seed(9)
    other = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, sparsity=0.6,
                        dst={"update_every": 2, "prune": "random", "grow": "random"})
    other.load_state_dict(model.state_dict())
    assert int(other.dst_steps) == 5
    assert torch.equal(other.layers[0].mask, model.layers[0].mask)


def test_copies_do_not_rewire_and_keep_grad_masking():
    model = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, sparsity=0.6,
                        dst={"update_every": 1, "prune": "random", "grow": "random"})
    teacher = copy.deepcopy(model)
    assert teacher.dst is None
    mask_before = teacher.layers[0].mask.clone()
    opt = torch.optim.SGD(teacher.parameters(), lr=0.1)
    (teacher(torch.randn(4, 16)) ** 2).sum().backward()
    assert torch.all(teacher.layers[0].weight.grad[teacher.layers[0].mask == 0] == 0)
    opt.step()
    assert torch.equal(teacher.layers[0].mask, mask_before) and int(teacher.dst_steps) == 0
    assert isinstance(teacher.layers[0], MaskedLinear)


def test_dst_has_no_global_side_effect():
    # No process-global optimiser hook: an optimiser stepping outside a strategy never rewires.
    model = G2GBackbone((16,), 4, hidden=(16,), n_groups=4, sparsity=0.6,
                        dst={"update_every": 1, "prune": "random", "grow": "random"})
    mask_before = model.layers[0].mask.clone()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    (model(torch.randn(4, 16)) ** 2).sum().backward()
    opt.step()
    assert int(model.dst_steps) == 0 and torch.equal(model.layers[0].mask, mask_before)
    assert [type(p).__name__ for p in model.training_plugins()] == ["DSTPlugin"]
    assert G2GBackbone((16,), 4, hidden=(8,)).training_plugins() == []


def test_dst_needs_g2g_wiring():
    with pytest.raises(ValueError, match="wiring"):
        G2GBackbone((16,), 4, hidden=(8,), wiring="dense", dst={"update_every": 5})
