"""EWC's Fisher estimate: the exact per-sample Fisher three ways, timed in one run.

Split-MNIST task 0 (mnist-small), MLP 784-400-400-10 after one epoch of Adam,
up to 600 Fisher samples (as benchmarks/configs/split_mnist.toml; task 0 has 595):

* vmap:        per-sample gradients with torch.func (the previous implementation; any layer type)
* closed_form: the same exact Fisher from (g*g)^T (a*a) per linear layer (the default now for MLPs)
* batch:       Avalanche's estimator, squared gradients of minibatch-mean losses (batch 32), averaged

Repeats are interleaved and the median kept (shared machine). Also records how
far closed_form is from vmap (should be float rounding) and the batch/exact
ratio of the Fisher's total (the batch estimate is about 1/batch_size of it).

    python benchmarks/ewc_fisher_speed.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/mnist-small")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ewc_fisher_speed.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    from evlearn.continual.backbones import make_backbone
    from evlearn.continual.data import load_arrays
    from evlearn.continual.runner import as_config, build_scenario
    from evlearn.continual.strategies import as_float_tensor, make_strategy
    from evlearn.continual.strategies.ewc import linear_fisher_diagonal
    from evlearn.io import run_record, write_json

    cfg = as_config({"name": "ewc_fisher_speed", "data": {"name": "mnist", "root": args.data},
                     "scenario": {"kind": "class", "n_tasks": 5}})
    task = build_scenario(cfg, load_arrays("mnist", args.data), 0)[0]
    torch.manual_seed(0)
    model = make_backbone("mlp", task.X_train.shape[1:], 10, hidden=(400, 400))
    ewc = make_strategy("ewc", model, n_epochs=1, batch_size=32, lr=1e-3, optimizer="adam", device="cpu")
    ewc.train_task(task)
    ewc.model.eval()
    n = min(600, task.n_train)
    X = as_float_tensor(task.X_train[:n])
    y = torch.as_tensor(task.y_train[:n])
    t = torch.zeros(n, dtype=torch.long)
    ways = {"vmap": lambda: ewc._vmap_fisher(X, y, t),
            "closed_form": lambda: linear_fisher_diagonal(ewc.model, X, y, lambda xb, rows: ewc.forward(xb, t[rows])),
            "batch": lambda: ewc._batch_fisher(X, y, t)}
    times = {k: [] for k in ways}
    fisher = {}
    for _ in range(args.repeats):
        for name, fn in ways.items():
            t0 = time.perf_counter()
            fisher[name] = fn()
            times[name].append(time.perf_counter() - t0)
    median = {k: statistics.median(v) for k, v in times.items()}
    exact_diff = max(float(((fisher["closed_form"][k] - fisher["vmap"][k]).abs().max()
                            / fisher["vmap"][k].abs().max().clamp_min(1e-30))) for k in fisher["vmap"])
    total = {k: float(sum(v.sum() for v in f.values())) for k, f in fisher.items()}
    result = run_record({"data": args.data, "fisher_samples": n, "hidden": [400, 400], "batch_size": 32}, 0,
                        script="benchmarks/ewc_fisher_speed.py", repeats=args.repeats, threads=1, device="cpu",
                        seconds=times, median_seconds=median,
                        speedup_closed_form_vs_vmap=median["vmap"] / median["closed_form"],
                        speedup_batch_vs_vmap=median["vmap"] / median["batch"],
                        closed_form_vs_vmap_max_relative_difference=exact_diff,
                        fisher_total=total, batch_over_exact_total=total["batch"] / total["vmap"])
    write_json(args.out, result)
    for name in ways:
        print(f"{name:>12}: median {median[name]:.3f} s")
    print(f"closed form {result['speedup_closed_form_vs_vmap']:.1f}x faster than vmap (max rel. diff "
          f"{exact_diff:.1e}); batch {result['speedup_batch_vs_vmap']:.1f}x; batch/exact Fisher total "
          f"{result['batch_over_exact_total']:.3f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
