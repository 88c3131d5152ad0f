"""SHARP network, contrastive loss and the strategy end to end on tiny data."""
import numpy as np
import pytest
import torch

from evlearn.continual.scenarios import split_scenario
from evlearn.continual.sharp import SHARP
from evlearn.continual.sharp_net import SharpNet, drop_singleton_classes, supcon_loss
from evlearn.continual.strategies import make_strategy


def _reference_supcon(z, y, t):
    """Direct per-anchor formula of Khosla et al. 2020 (single view)."""
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    total = 0.0
    for i in range(len(y)):
        others = [a for a in range(len(y)) if a != i]
        denom = np.log(sum(np.exp(z[i] @ z[a] / t) for a in others))
        pos = [p for p in others if y[p] == y[i]]
        total += -np.mean([z[i] @ z[p] / t - denom for p in pos])
    return total / len(y)


def test_supcon_matches_reference(rng):
    z = rng.normal(size=(8, 5))
    y = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    got = supcon_loss(torch.tensor(z), torch.tensor(y), 0.1).item()
    assert got == pytest.approx(_reference_supcon(z, y, 0.1), rel=1e-6)
    with pytest.raises(ValueError, match="needs another sample"):
        supcon_loss(torch.tensor(z[:3]), torch.tensor([0, 0, 1]))


def test_drop_singleton_classes():
    x = torch.arange(5.0)[:, None]
    xb, yb = drop_singleton_classes(x, torch.tensor([1, 2, 1, 3, 3]))
    assert yb.tolist() == [1, 1, 3, 3] and xb[:, 0].tolist() == [0, 2, 3, 4]


def test_sharpnet_shapes_masks_and_split_forward(rng):
    torch.manual_seed(0)
    net = SharpNet((1, 12, 12), 4, conv=((4, True), (4, True)), hidden=(20,), penultimate=10, n_early=2)
    x = torch.rand(3, 1, 12, 12)
    h = net.early(x)
    assert h.shape == (3, 4 * 3 * 3)
    assert torch.allclose(net.late(h), net(x))
    assert [len(a) for a in net.unit_activity(x)] == [4, 4, 20, 10]
    net.set_output_units(np.arange(10) < 3)
    assert (net(x)[:, 3:] == 0).all()
    # masked weights are zero and get zero gradient; frozen rows get zero gradient
    conn = np.zeros((20, 36), dtype=bool)
    conn[:, :9] = True
    conns = [np.ones((4, 1), bool), np.ones((4, 4), bool), conn, np.ones((10, 20), bool)]
    net.set_connectivity(conns)
    assert (net.layers[2].weight[:, 9:] == 0).all()
    net(x).sum().backward()
    assert (net.layers[2].weight.grad[:, 9:] == 0).all()
    net.zero_frozen_grads([None, np.array([True, False, False, False]), None, None])
    assert (net.layers[1].weight.grad[0] == 0).all() and (net.layers[1].bias.grad[0] == 0)


def test_reinit_touches_only_plastic_rows():
    torch.manual_seed(0)
    net = SharpNet((1, 8, 8), 2, conv=((4, True), (4, True)), hidden=(6,), penultimate=5, n_early=2)
    before = [layer.weight.detach().clone() for layer in net.layers]
    plastic = [np.array([1, 0, 0, 0], bool), np.zeros(4, bool), np.array([0, 1, 0, 0, 0, 0], bool),
               np.zeros(5, bool)]
    net.reinitialize_units(plastic)
    for b, layer, rows in zip(before, net.layers, plastic):
        assert torch.equal(b[~torch.from_numpy(rows)], layer.weight[~torch.from_numpy(rows)])
        if rows.any():
            assert not torch.equal(b[torch.from_numpy(rows)], layer.weight[torch.from_numpy(rows)])


def _blobs(rng, n_classes=4, per_class=30, shape=(1, 8, 8)):
    """Separable tiny images: each class lights a different quadrant."""
    X, y = [], []
    for c in range(n_classes):
        img = rng.random((per_class, *shape)).astype(np.float32) * 0.2
        r, q = divmod(c, 2)
        img[:, :, r * 4:(r + 1) * 4, q * 4:(q + 1) * 4] += 0.8
        X.append(img)
        y.append(np.full(per_class, c))
    return np.concatenate(X), np.concatenate(y)


TINY = dict(arch="mnistlike", stream_batch_size=16, batch_size_memory=16, max_phases=2, phase_epochs=1,
            replay_per_class=5, ltm_per_class=5, k_neighbors=3, selection_batch=64)


def _tiny_scenario(rng, blurry=0.0):
    Xtr, ytr = _blobs(rng)
    Xte, yte = _blobs(rng, per_class=10)
    return split_scenario(Xtr, ytr, Xte, yte, n_tasks=2, blurry=blurry, seed=0)


def _net():
    return SharpNet((1, 8, 8), 4, conv=((4, True), (4, True)), hidden=(24,), penultimate=16, n_early=2)


@pytest.mark.parametrize("options", [{}, {"replay": "raw"}, {"sparse": False}])
def test_end_to_end_tiny_run(rng, options):
    torch.manual_seed(0)
    scenario = _tiny_scenario(rng)
    strategy = make_strategy("sharp", _net(), seed=0, **TINY, **options)
    initial_weights = int(sum(float(m.sum()) for m in strategy.net.masks()))
    strategy.train_task(scenario[0])
    frozen_rows = [f.copy() for f in strategy.frozen]
    weights = [layer.weight.detach().clone() for layer in strategy.net.layers]
    conns = [c.copy() for c in strategy.conns]
    assert strategy.buffer.classes == [0, 1]
    strategy.train_task(scenario[1])
    # frozen units' incoming weights and connectivity did not change while learning task 2
    for i, rows in enumerate(frozen_rows):
        rows_t = torch.from_numpy(rows)
        assert torch.equal(weights[i][rows_t], strategy.net.layers[i].weight.detach()[rows_t])
        assert np.array_equal(conns[i][rows], strategy.conns[i][rows])
    assert strategy.buffer.classes == [2, 3]
    if options.get("sparse", True):
        # after every phase the kept weight count is the initial one minus the reported shortfalls
        kept = np.array([h["weights"] for h in strategy.history])
        short = np.cumsum([h["shortfall"] for h in strategy.history])
        assert np.array_equal(kept, initial_weights - short)
    expected_bytes = 2 * (5 * (16 if options.get("replay") != "raw" else 64) + 8) + 2
    assert strategy.memory_bytes() == expected_bytes
    acc = np.mean([strategy.evaluate(t) for t in scenario])
    assert acc > 0.6, acc   # chance is 0.25 on these separable blobs
    assert sorted(strategy.ltm.classes) == [0, 1, 2, 3]


def test_blurry_boundaries_and_checkpoint(rng):
    torch.manual_seed(0)
    scenario = _tiny_scenario(rng, blurry=0.2)
    strategy = make_strategy("sharp", _net(), seed=1, **TINY)
    strategy.train_task(scenario[0])
    # leaked classes of task 2 are stored too
    assert set(strategy.buffer.classes) == set(np.unique(scenario[0].y_train).tolist())
    state = strategy.state_dict()
    other = make_strategy("sharp", _net(), seed=1, **TINY)
    other.load_state_dict(state)
    X = scenario[1].X_test
    assert np.array_equal(other.predict(X), strategy.predict(X))
    other.train_task(scenario[1])
    assert np.mean(other.predict(X) == scenario[1].y_test) > 0.5


def test_builds_own_net_from_cnn_backbone_and_rejects_bad_options():
    from evlearn.continual.backbones import make_backbone

    cnn = make_backbone("cnn", (28, 28), 10)
    strategy = make_strategy("sharp", cnn)
    assert isinstance(strategy, SHARP) and strategy.net.image_shape == (1, 28, 28)
    assert strategy.net.density() < 0.5
    with pytest.raises(ValueError, match="replay"):
        make_strategy("sharp", _net(), replay="bogus")
    with pytest.raises(ValueError, match="density"):
        make_strategy("sharp", _net(), density=0.0)


def test_plugged_into_the_runner_with_resume(tmp_path):
    """The runner builds SHARP by name (plugin), checkpoints it after each task and resumes."""
    from evlearn.continual.runner import run_benchmark

    cfg = {"name": "sharp_tiny", "seeds": [0], "memory_size": 20,
           "strategies": ["naive", {"name": "sharp", "label": "sharp_mlp",
                                    "options": dict(arch="mlp", stream_batch_size=32, batch_size_memory=16,
                                                    max_phases=2, phase_epochs=1, replay_per_class=5,
                                                    ltm_per_class=5, k_neighbors=3)}],
           "data": {"name": "synthetic", "options": {"n_classes": 4, "n_features": 8, "spread": 1.0,
                                                     "n_train_per_class": 30, "n_test_per_class": 20}},
           "scenario": {"kind": "class", "n_tasks": 2, "blurry": 0.1},
           "backbone": {"name": "mlp", "options": {"hidden": [16]}},
           "train": {"n_epochs": 2, "batch_size": 16, "lr": 0.1, "optimizer": "sgd"}}

    class Kill(Exception):
        pass

    def kill(label, seed, task):
        if label == "sharp_mlp" and task == 0:
            raise Kill

    with pytest.raises(Kill):
        run_benchmark(cfg, tmp_path, after_task=kill)
    assert (tmp_path / "sharp_mlp" / "seed_0" / "checkpoint.pt").is_file()
    results = {r["label"]: r for r in run_benchmark(cfg, tmp_path)}
    sharp = results["sharp_mlp"]
    assert sharp["strategy"] == "sharp" and np.all(np.array(sharp["random_init_accuracy"]) == 0)
    assert sharp["average_accuracy"] > 0.7       # separable blobs; chance 0.25
    assert sharp["memory_bytes_after_task"][-1] > 0
    # total memory = replay buffer + long-term kNN memory (float32 representations + unit masks)
    ltm = sharp["total_memory_bytes_after_task"][-1] - sharp["memory_bytes_after_task"][-1]
    n_classes = len({c for t in sharp["task_classes"] for c in t})
    assert ltm > 0 and ltm % n_classes == 0 and sharp["peak_total_memory_bytes"] >= sharp["peak_memory_bytes"] + ltm


def test_runner_configs_of_the_comparison_are_valid(mnist_dir, nmnist_dir):
    from pathlib import Path

    from evlearn.config import read_config_file
    from evlearn.continual.runner import as_config, validate

    configs = Path(__file__).resolve().parents[1] / "benchmarks" / "configs"
    for name, root in (("sharp_split_mnist", mnist_dir), ("sharp_split_mnist_blurry", mnist_dir),
                       ("sharp_split_nmnist", nmnist_dir)):
        data = read_config_file(configs / f"{name}.toml")
        data["data"]["root"] = str(root)
        specs = validate(as_config(data))
        assert specs[0].label == "sharp" and specs[0].options == {}
    assert {s.label: s.options for s in specs}["sharp_raw_replay"] == {"replay": "raw"}
    assert data["data"]["test_from_train"] == 0.25 and data["data"]["options"] == {"scale": "uint8"}


def test_sharp_reads_the_image_shape_of_an_mlp_backbone():
    from evlearn.continual.backbones import make_backbone

    model = make_backbone("mlp", (2, 34, 34), 10, hidden=(8,))    # N-MNIST frames: flat size not square
    assert model.input_shape == (2, 34, 34)
    assert make_strategy("sharp", model, device="cpu").net.image_shape == (2, 34, 34)
