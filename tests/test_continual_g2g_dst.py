"""Dynamic sparse training: exact prune/regrow counts, pruned weights stay zero, Hebbian rule by hand."""
import math

import pytest
import torch

from evlearn.continual.g2g_dst import (
    DSTConfig, DynamicSparseTraining, hebbian_correlation, reset_optimizer_state, rewire_mask,
)
from evlearn.continual.g2g_layers import G2GNet


def test_hebbian_correlation_hand_computed():
    pre = torch.tensor([[1.0, 0.0], [1.0, 1.0]])    # batch of 2, 2 pre-synaptic neurons
    post = torch.tensor([[2.0], [0.0]])             # 1 post-synaptic neuron
    # mean co-activation: post^T pre / batch = [[(2*1 + 0*1)/2, (2*0 + 0*1)/2]]
    torch.testing.assert_close(hebbian_correlation(pre, post, "none"), torch.tensor([[1.0, 0.0]]))
    # cosine: columns scaled to unit norm: post (1, 0); pre0 (1, 1)/sqrt2; pre1 (0, 1)
    torch.testing.assert_close(hebbian_correlation(pre, post, "cosine"),
                               torch.tensor([[1 / math.sqrt(2), 0.0]]))
    # pearson: centred post (1, -1); pre0 constant -> 0; pre1 (-.5, .5) -> -1
    torch.testing.assert_close(hebbian_correlation(pre, post, "pearson"), torch.tensor([[0.0, -1.0]]),
                               atol=1e-6, rtol=0)


def test_hebbian_correlation_flattens_time_and_matches_loop():
    gen = torch.Generator().manual_seed(0)
    pre = torch.rand(3, 4, 5, generator=gen)         # (time, batch, in)
    post = torch.rand(3, 4, 6, generator=gen)
    c = hebbian_correlation(pre, post, "none")
    p, q = pre.reshape(12, 5), post.reshape(12, 6)
    loop = torch.tensor([[sum(q[b, o] * p[b, i] for b in range(12)) / 12 for i in range(5)] for o in range(6)])
    torch.testing.assert_close(c, loop)
    with pytest.raises(ValueError):
        hebbian_correlation(torch.rand(4, 5), torch.rand(3, 6))
    with pytest.raises(ValueError):
        hebbian_correlation(pre, post, "spearman")


def test_magnitude_prune_and_hebbian_grow_by_hand():
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    weight = torch.tensor([[0.5, -0.1, 0.0], [2.0, 0.0, 0.0]])
    corr = torch.tensor([[0.9, 0.1, 0.2], [0.0, 0.8, 0.3]])
    new, pruned, grown = rewire_mask(mask, 1, prune="magnitude", grow="hebbian", weight=weight, correlation=corr)
    assert pruned.tolist() == [1]                   # |-0.1| is the smallest active weight
    assert grown.tolist() == [4]                    # highest correlation among inactive: (1, 1) = 0.8
    assert new.tolist() == [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    new, pruned, grown = rewire_mask(mask, 1, prune="hebbian", grow="hebbian", correlation=corr)
    assert pruned.tolist() == [3]                   # lowest correlation among active: (1, 0) = 0.0
    assert grown.tolist() == [4]


@pytest.mark.parametrize("prune", ["magnitude", "random", "hebbian"])
@pytest.mark.parametrize("grow", ["random", "hebbian"])
@pytest.mark.parametrize("seed", [0, 1])
def test_rewire_keeps_count_exact(prune, grow, seed):
    gen = torch.Generator().manual_seed(seed)
    mask = (torch.rand(30, 40, generator=gen) < 0.25).float()
    weight = torch.randn(30, 40, generator=gen) * mask
    corr = torch.rand(30, 40, generator=gen)
    corr[:5] = 0.5                                    # ties must not change the count
    k = int(0.3 * mask.sum())
    new, pruned, grown = rewire_mask(mask, k, prune=prune, grow=grow, weight=weight, correlation=corr,
                                     generator=torch.Generator().manual_seed(seed))
    assert new.sum() == mask.sum()
    assert pruned.numel() == grown.numel() == k
    flat = mask.reshape(-1)
    assert torch.all(flat[pruned] == 1)
    assert torch.all(new.reshape(-1)[grown] == 1)
    assert len(set(pruned.tolist())) == k and len(set(grown.tolist())) == k


def _train_with_dst(config, seed=0, steps=20):
    torch.manual_seed(seed)
    net = G2GNet(32, 4, (24, 16), n_groups=4, sparsity=0.6, grouping="mixer", seed=seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-4)
    dst = DynamicSparseTraining(net, config, optimizer, seed=seed)
    counts = [layer.nnz for layer in net.masked_layers()]
    gen = torch.Generator().manual_seed(seed)
    masks_seen = []
    for _ in range(steps):
        x = torch.randn(20, 32, generator=gen)
        y = torch.randint(0, 4, (20,), generator=gen)
        loss = torch.nn.functional.cross_entropy(net(x), y) + 1e-3 * sum((p ** 2).sum() for p in net.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if dst.step():
            masks_seen.append([layer.mask.clone() for layer in net.masked_layers()])
        for layer, n in zip(net.masked_layers(), counts):
            assert layer.nnz == n                                  # exactly constant density
            assert torch.all(layer.weight[layer.mask == 0] == 0)   # pruned weights stay zero
    return net, optimizer, dst, masks_seen


@pytest.mark.parametrize("prune,grow", [("magnitude", "random"), ("magnitude", "hebbian"),
                                        ("hebbian", "hebbian"), ("random", "random")])
def test_training_with_rewiring_keeps_pruned_weights_and_state_zero(prune, grow):
    config = DSTConfig(update_every=5, prune_fraction=0.2, prune=prune, grow=grow)
    net, optimizer, dst, masks_seen = _train_with_dst(config)
    assert len(masks_seen) == 4
    assert not torch.equal(masks_seen[0][0], masks_seen[-1][0])      # the wiring did change
    assert all(r["pruned"] == r["grown"] > 0 for r in dst.history)
    for layer in net.masked_layers():
        state = optimizer.state[layer.weight]
        inactive = layer.mask == 0
        assert torch.all(state["exp_avg"][inactive] == 0)
        assert torch.all(state["exp_avg_sq"][inactive] == 0)


def test_rewiring_is_reproducible_from_seed():
    config = DSTConfig(update_every=4, prune_fraction=0.25, prune="random", grow="random")
    a = _train_with_dst(config, seed=3, steps=12)[0]
    b = _train_with_dst(config, seed=3, steps=12)[0]
    for la, lb in zip(a.masked_layers(), b.masked_layers()):
        torch.testing.assert_close(la.mask, lb.mask)


def test_reset_optimizer_state_only_touches_given_entries():
    w = torch.nn.Parameter(torch.ones(2, 3))
    opt = torch.optim.Adam([w], lr=0.1)
    w.grad = torch.ones(2, 3)
    opt.step()
    reset_optimizer_state(opt, w, torch.tensor([0, 4]))
    m = opt.state[w]["exp_avg"].reshape(-1)
    assert m[0] == 0 and m[4] == 0 and torch.all(m[[1, 2, 3, 5]] != 0)


def test_stop_after_and_config_validation():
    config = DSTConfig(update_every=2, stop_after=4, prune="random", grow="random")
    _, _, dst, masks_seen = _train_with_dst(config, steps=10)
    assert len(masks_seen) == 2
    for bad in (dict(update_every=0), dict(prune_fraction=1.5), dict(prune="gradient"), dict(grow="set")):
        with pytest.raises(ValueError):
            DSTConfig(**bad)


def test_hebbian_rewiring_needs_a_forward_pass():
    net = G2GNet(16, 2, (8,), n_groups=2, sparsity=0.5)
    dst = DynamicSparseTraining(net, DSTConfig(update_every=1, prune="hebbian"))
    with pytest.raises(ValueError, match="forward"):
        dst.rewire()
