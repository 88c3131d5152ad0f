"""G2GNet benchmark scripts: configs parse, helpers are right, a tiny training run works."""
import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


static = _load("g2g_static")
continual = _load("g2g_continual")


def test_committed_configs_parse(shared_data):  # validate() checks the configs' ../shared/data folders
    cfg = static.load_config(ROOT / "benchmarks" / "script_configs" / "g2g_static.toml")
    names = [v.name for v in cfg.variants]
    assert names[0] == "dense" and "g2g-mixer-dst" in names and len(cfg.seeds) == 3
    plan = continual.read_plan(ROOT / "benchmarks" / "script_configs" / "g2g_continual.toml")
    assert {(e["scenario"], e["backbone"]) for e in plan} == {
        (s, b) for s in ("split_mnist", "split_nmnist") for b in ("dense", "g2g", "g2g_dst")}
    from evlearn.continual.runner import read_bench_config, validate

    for entry in plan:
        cfg_run = read_bench_config(ROOT / entry["config"])
        assert cfg_run.backbone.name == "g2g_mlp"
        validate(cfg_run)


def test_matched_width_gives_the_closest_parameter_count():
    def params(w):
        return 784 * w + w + w * w + w + w * 10 + 10
    width = static.matched_width(784, 10, 2, 172042)
    assert abs(params(width) - 172042) <= abs(params(width + 1) - 172042)
    assert abs(params(width) - 172042) <= abs(params(width - 1) - 172042)


def test_bad_config_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('datasets = ["cifar-7"]\n[[variants]]\nname = "dense"\nwiring = "dense"\n')
    with pytest.raises(ValueError, match="unknown data set"):
        static.load_config(path)


def test_tiny_static_run_dense_and_dst():
    rng = np.random.default_rng(0)
    x = rng.random((64, 32), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    data = (x[:48], y[:48], x[48:], y[48:])
    cfg = dataclasses.replace(static.StaticConfig(), hidden=(16, 16), n_epochs=2, batch_size=16)
    dense = static.train_one(static.Variant("dense", wiring="dense"), data, cfg, seed=0)
    dst = static.train_one(static.Variant("dst", sparsity=0.75, n_groups=4, grouping="mixer",
                                          dst={"update_every": 2, "prune": "magnitude", "grow": "hebbian"}),
                           data, cfg, seed=0)
    assert len(dense["test_curve"]) == 2 and 0 <= dense["test_accuracy"] <= 1
    assert dst["rewirings"] == 3
    assert dst["active_parameters"] < dense["active_parameters"]
    assert all(s["sparsity"] == 0.75 for s in dst["layer_stats"])
