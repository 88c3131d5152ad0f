"""GPU path: with ``device = "auto"`` the runner trains on CUDA when a GPU is present.

Skipped where there is no CUDA device (CI has none). On a GPU machine,
``pytest tests/test_continual_cuda.py`` trains every strategy and both wired
backbones on CUDA and on the CPU from the same seed and checks that the two give
the same accuracy up to floating-point non-determinism. SHARP draws its
re-initialisations from the device's own random stream, so it is checked
against its CPU accuracy band instead of run for run.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

def split_mnist(root, device: str, backbone: dict) -> dict:
    return {
        "name": f"cuda_check_{device}",
        "seeds": [0],
        "memory_size": 100,
        "strategies": ["naive", "er", "ewc", "lwf", "joint"],
        "data": {"name": "mnist", "root": str(root)},
        "scenario": {"kind": "class", "n_tasks": 5, "class_order": "sorted"},
        "backbone": backbone,
        "train": {"n_epochs": 2, "batch_size": 64, "lr": 0.001, "optimizer": "adam", "device": device},
    }


@pytest.mark.parametrize("backbone", [{"name": "mlp", "options": {"hidden": [200, 200]}},
                                      {"name": "g2g_mlp", "options": {"hidden": [200, 200]}}],
                         ids=["dense", "g2g"])
def test_cuda_matches_cpu(mnist_dir, tmp_path, backbone):
    from evlearn.continual.runner import run_benchmark

    results = {}
    for device in ("cpu", "auto"):
        runs = run_benchmark(split_mnist(mnist_dir, device, backbone), tmp_path / device)
        results[device] = {r["label"]: r for r in runs}
    for label, on_gpu in results["auto"].items():
        on_cpu = results["cpu"][label]
        assert on_gpu["device"].startswith("cuda") and on_cpu["device"] == "cpu"
        gap = abs(on_gpu["average_accuracy"] - on_cpu["average_accuracy"])
        print(f"{backbone['name']:8s} {label:6s} cpu {on_cpu['average_accuracy']:.3f} "
              f"cuda {on_gpu['average_accuracy']:.3f} gap {gap:.3f}")
        assert np.isfinite(on_gpu["average_accuracy"]) and gap < 0.02


def test_sharp_trains_on_cuda(mnist_dir, tmp_path):
    """SHARP with the authors' MNIST-like defaults reaches its CPU accuracy band on CUDA."""
    from evlearn.continual.runner import run_benchmark

    config = split_mnist(mnist_dir, "auto", {"name": "cnn"})
    config["strategies"] = ["sharp"]
    (result,) = run_benchmark(config, tmp_path)
    print(f"sharp cuda {result['average_accuracy']:.3f}")
    # CPU, 3 seeds (benchmarks/results/sharp/split_mnist): 0.821 +- 0.016
    assert result["device"].startswith("cuda") and result["average_accuracy"] > 0.75
