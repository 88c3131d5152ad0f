"""MaskedLinear / G2GNet: pruned weights get no gradient, stay zero and leave optimiser state at zero."""
import copy

import numpy as np
import pytest
import torch

from evlearn.continual.g2g_layers import G2GNet, MaskedLinear, count_parameters, g2g_linear


def _train(model, optimizer, steps=5, extra_penalty=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, model.in_features, generator=gen)
        y = torch.randint(0, model.n_classes, (16,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        if extra_penalty:   # a penalty on the raw parameters (EWC/L2-like) must not reach pruned weights
            loss = loss + sum((p ** 2).sum() for p in model.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("opt", ["adam", "adamw", "sgd"])
@pytest.mark.parametrize("grouping", ["index", "random", "mixer"])
def test_pruned_weights_stay_zero_and_optimizer_state_is_zero(opt, grouping):
    torch.manual_seed(0)
    net = G2GNet(40, 5, (32, 24), n_groups=4, sparsity=0.75, grouping=grouping, seed=1)
    params = net.parameters()
    optimizer = {"adam": lambda: torch.optim.Adam(params, lr=1e-2, weight_decay=1e-3),
                 "adamw": lambda: torch.optim.AdamW(params, lr=1e-2, weight_decay=1e-2),
                 "sgd": lambda: torch.optim.SGD(params, lr=1e-2, momentum=0.9, weight_decay=1e-3)}[opt]()
    before = [layer.weight.detach().clone() for layer in net.masked_layers()]
    _train(net, optimizer, steps=6, extra_penalty=True)
    for layer, w0 in zip(net.masked_layers(), before):
        pruned = layer.mask == 0
        assert torch.all(layer.weight[pruned] == 0)
        assert torch.all(layer.weight.grad[pruned] == 0)
        assert not torch.equal(layer.weight[~pruned], w0[~pruned])      # active weights did learn
        state = optimizer.state[layer.weight]
        for key in ("exp_avg", "exp_avg_sq", "momentum_buffer"):
            if key in state:
                assert torch.all(state[key][pruned] == 0), key
                assert torch.any(state[key][~pruned] != 0), key


def test_forward_equals_dense_linear_with_masked_weight():
    torch.manual_seed(0)
    layer = g2g_linear(30, 20, n_groups=5, p_inter=0.2, seed=3)
    x = torch.randn(7, 30)
    ref = x @ (layer.weight * layer.mask).T + layer.bias
    torch.testing.assert_close(layer(x), ref)
    assert torch.all(layer.weight[layer.mask == 0] == 0)          # stored zero from the start


def test_init_rescales_to_active_fan_in():
    torch.manual_seed(0)
    dense = torch.nn.Linear(512, 512)
    sparse = g2g_linear(512, 512, n_groups=8, sparsity=0.75, seed=0)
    active = sparse.weight[sparse.mask.bool()]
    # variance of each pre-activation matches the dense layer's on average
    ratio = (active.var() * 0.25) / dense.weight.var()
    assert 0.85 < ratio.item() < 1.15


def test_deepcopy_and_pickle_keep_gradient_masking():
    net = G2GNet(20, 3, (16,), n_groups=4, sparsity=0.75, seed=0)
    for clone in (copy.deepcopy(net), _roundtrip(net)):
        layer = clone.layers[0]
        (layer.weight ** 2).sum().backward()
        assert torch.all(layer.weight.grad[layer.mask == 0] == 0)
        torch.testing.assert_close(layer.mask, net.layers[0].mask)


def _roundtrip(module):
    import io
    buffer = io.BytesIO()
    torch.save(module, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)


def test_state_dict_round_trip_keeps_mask():
    a = G2GNet(20, 3, (16,), n_groups=4, sparsity=0.6, seed=0)
    b = G2GNet(20, 3, (16,), n_groups=4, sparsity=0.6, seed=99)
    assert not torch.equal(a.layers[0].mask, b.layers[0].mask)
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(a.layers[0].mask, b.layers[0].mask)


def test_dense_wiring_and_counts():
    dense = G2GNet(784, 10, (256, 256), wiring="dense")
    sparse = G2GNet(784, 10, (256, 256), sparsity=0.75, seed=0)
    cd, cs = count_parameters(dense), count_parameters(sparse)
    assert cd["parameters"] == cs["parameters"] == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    assert cd["active_parameters"] == cd["parameters"]
    hidden_w = 784 * 256 + 256 * 256
    assert cs["active_parameters"] == cd["parameters"] - round(0.75 * 784 * 256) - round(0.75 * 256 * 256)
    assert cs["macs_per_sample_active"] == hidden_w // 4 + 2560
    assert cd["macs_per_sample_active"] == hidden_w + 2560
    assert not any(isinstance(m, MaskedLinear) for m in dense.modules())


def test_set_mask_zeroes_pruned_weights_and_checks_shape():
    layer = g2g_linear(12, 8, n_groups=4, p_inter=0.5, seed=0)
    new = torch.zeros(8, 12)
    new[:, :3] = 1
    layer.set_mask(new)
    assert layer.nnz == 24 and torch.all(layer.weight[:, 3:] == 0)
    with pytest.raises(ValueError):
        layer.set_mask(torch.ones(12, 8))
    with pytest.raises(ValueError):
        MaskedLinear(4, 3, np.ones((4, 3)))


def test_invalid_network_arguments():
    with pytest.raises(ValueError):
        G2GNet(10, 2, (8,), wiring="sparse")
    with pytest.raises(ValueError):
        G2GNet(10, 2, (8,), grouping="shuffle")
    with pytest.raises(ValueError):
        G2GNet(10, 2, ())


def test_sparse_inference_matches_masked_forward_and_follows_updates():
    import warnings
    torch.manual_seed(0)
    layer = g2g_linear(64, 32, n_groups=16, sparsity=0.9, seed=0).eval()
    x = torch.randn(5, 64)
    with torch.no_grad():
        ref = layer(x)
        layer.sparse_inference = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "sparse CSR support is in beta"
            torch.testing.assert_close(layer(x), ref)
            layer.weight.mul_(2.0)             # the cached CSR must follow weight updates
            torch.testing.assert_close(layer(x) - layer.bias, 2 * (ref - layer.bias))
