"""Runner overhead: `evlearn bench`'s per-run code vs a plain PyTorch loop, same model and data.

Split-MNIST (mnist-small, 5 class-incremental tasks), MLP 784-400-400-10, Adam,
batch 32. Three ways to do the same work (train each task, then test on every task):

* plain:    a hand-written PyTorch loop (tensors prepared once, randperm batches)
* strategy: evlearn's Strategy.train_task + evaluate (the hooked loop, no files)
* runner:   evlearn.continual.runner.run_one (adds the random-init baseline,
            a checkpoint after every task, run.json / metrics.json / metrics.csv)

Repeats are interleaved and the median is kept, since the machine is shared.
Target (issue 7): runner / plain <= 1.2.

    python benchmarks/runner_overhead.py [--epochs 5] [--repeats 5]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]


def plain_loop(scenario, epochs, batch_size, lr, seed):
    from evlearn.continual.backbones import make_backbone

    torch.manual_seed(seed)
    model = make_backbone("mlp", scenario.input_shape, scenario.n_classes, hidden=(400, 400))
    tests = [(torch.from_numpy(t.X_test).float() / 255, torch.from_numpy(t.y_test)) for t in scenario]
    R = np.zeros((len(scenario), len(scenario)))
    for i, task in enumerate(scenario):
        X = torch.from_numpy(task.X_train).float() / 255
        y = torch.from_numpy(task.y_train)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(len(y))
            for start in range(0, len(y), batch_size):
                index = order[start:start + batch_size]
                loss = F.cross_entropy(model(X[index]), y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        model.eval()
        with torch.no_grad():
            R[i] = [(model(Xt).argmax(1) == yt).float().mean().item() for Xt, yt in tests]
    return R


def strategy_loop(scenario, epochs, batch_size, lr, seed):
    from evlearn.continual.backbones import make_backbone
    from evlearn.continual.strategies import make_strategy

    torch.manual_seed(seed)
    model = make_backbone("mlp", scenario.input_shape, scenario.n_classes, hidden=(400, 400))
    strategy = make_strategy("naive", model, n_epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam",
                             seed=seed)
    R = np.zeros((len(scenario), len(scenario)))
    for i, task in enumerate(scenario):
        strategy.train_task(task)
        R[i] = [strategy.evaluate(t) for t in scenario]
    return R


def runner_run(cfg, arrays, seed):
    from evlearn.continual.runner import run_one, run_specs

    folder = Path(tempfile.mkdtemp(prefix="evlearn-overhead-"))
    try:
        result = run_one(cfg, run_specs(cfg)[0], seed, arrays, folder / "run")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return np.array(result["accuracy_matrix"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "mnist-small"))
    parser.add_argument("--epochs", type=int, default=5)  # as in split_mnist.toml
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "runner_overhead.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    from evlearn.continual.data import load_arrays
    from evlearn.continual.runner import as_config, build_scenario
    from evlearn.io import run_record, write_json

    cfg = as_config({"name": "runner_overhead", "seeds": [0], "strategies": ["naive"],
                     "data": {"name": "mnist", "root": args.data},
                     "scenario": {"kind": "class", "n_tasks": 5},
                     "backbone": {"name": "mlp", "options": {"hidden": [400, 400]}},
                     "train": {"n_epochs": args.epochs, "batch_size": 32, "lr": 0.001, "optimizer": "adam",
                               "device": "cpu"}})
    arrays = load_arrays("mnist", args.data)
    scenario = build_scenario(cfg, arrays, 0)
    ways = {
        "plain": lambda: plain_loop(scenario, args.epochs, 32, 0.001, 0),
        "strategy": lambda: strategy_loop(scenario, args.epochs, 32, 0.001, 0),
        "runner": lambda: runner_run(cfg, arrays, 0),
    }
    ways["plain"]()  # warm-up (first-call allocations)
    times = {k: [] for k in ways}
    final = {}
    for _ in range(args.repeats):
        for name, fn in ways.items():
            t0 = time.perf_counter()
            R = fn()
            times[name].append(time.perf_counter() - t0)
            final[name] = float(R[-1].mean())
    median = {k: statistics.median(v) for k, v in times.items()}
    result = run_record(cfg, 0, script="benchmarks/runner_overhead.py", epochs=args.epochs,
                        repeats=args.repeats, threads=1, device="cpu",
                        seconds=times, median_seconds=median,
                        ratio_strategy_vs_plain=median["strategy"] / median["plain"],
                        ratio_runner_vs_plain=median["runner"] / median["plain"],
                        target_ratio=1.2, final_average_accuracy=final)
    write_json(args.out, result)
    for name in ways:
        print(f"{name:>9}: median {median[name]:.2f} s  (runs {', '.join(f'{t:.2f}' for t in times[name])}); "
              f"final avg acc {final[name]:.3f}")
    print(f"runner / plain = {result['ratio_runner_vs_plain']:.3f}, strategy / plain = "
          f"{result['ratio_strategy_vs_plain']:.3f} (target <= 1.2); wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
