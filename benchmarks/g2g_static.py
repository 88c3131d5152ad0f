"""G2GNet static learning: sparse ensemble-to-ensemble MLP vs dense MLP of the same width.

Konstantaropoulos, Smyrnakis, Papadopouli, arXiv:2508.14140 (2025) report that
G2GNet reaches equal or better accuracy than the dense network at up to 75 %
sparsity. This script checks that claim on the shared data subsets:
mnist-small (3,000 / 1,000 images) and nmnist-small (event-count frames,
800 / 50 recordings; also a pooled 850-recording split with a seeded 25 %
hold-out, because a 50-sample test set resolves only 2 % steps).

Every (data set, variant, seed) trains the same MLP widths with Adam; variants
differ only in wiring (dense, G2G with index / random / mixer groups, G2G with
dynamic sparse training) and a dense baseline with as many active parameters
as the sparse one. Results: JSON + CSV + PNG in ``--out``.

Usage::

    python benchmarks/g2g_static.py benchmarks/script_configs/g2g_static.toml --out benchmarks/results/g2g
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evlearn.config import from_dict, read_config_file
from evlearn.io import run_record, save_figure, write_csv, write_json

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("mnist-small", "nmnist-small", "nmnist-small-pooled")


@dataclass(frozen=True)
class Variant:
    """One network to train: ``wiring`` "dense" or "g2g"; ``hidden`` None means the config's widths."""

    name: str
    wiring: str = "g2g"
    grouping: str = "index"
    sparsity: float | None = 0.75
    p_inter: float | None = None
    n_groups: int = 8
    match_active_parameters: bool = False   # dense: shrink the width to the sparse net's active parameters
    dst: dict | None = None                 # DSTConfig fields; None: static wiring


@dataclass(frozen=True)
class StaticConfig:
    data_root: str = "../shared/data"
    datasets: tuple = DATASETS
    hidden: tuple = (512, 512)
    n_epochs: int = 15
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    seeds: tuple = (0, 1, 2)
    holdout: float = 0.25
    variants: tuple = field(default_factory=tuple)


def load_config(path) -> StaticConfig:
    data = read_config_file(path)
    variants = tuple(from_dict(Variant, v, where=f"{path}: variants[{i}]")
                     for i, v in enumerate(data.pop("variants", [])))
    cfg = from_dict(StaticConfig, data, where=str(path))
    cfg = dataclasses.replace(cfg, variants=variants)
    unknown = sorted(set(cfg.datasets) - set(DATASETS))
    if unknown:
        raise ValueError(f"{path}: unknown data set(s) {unknown}; known: {list(DATASETS)}")
    if not cfg.variants:
        raise ValueError(f"{path}: no [[variants]]")
    return cfg


# ----------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=4)
def _nmnist_frames(folder) -> tuple[np.ndarray, np.ndarray]:
    from evlearn.datasets.folder import NMNISTFolder
    from evlearn.events import NMNIST_SENSOR
    from evlearn.functional.frames import count_frames

    ds = NMNISTFolder(folder)
    frames = count_frames([events for events, _ in ds], NMNIST_SENSOR)
    return frames.reshape(len(ds), -1).astype(np.float32), ds.targets


def load_dataset(name: str, data_root, *, seed: int = 0, holdout: float = 0.25):
    """(X_train, y_train, X_test, y_test) as float32 features and int64 labels.

    Images are scaled to [0, 1]; event-count frames are log1p-compressed and
    standardised with the training set's mean and std.
    """
    root = Path(data_root)
    if not root.is_absolute():
        root = (ROOT / root).resolve()
    if name == "mnist-small":
        from evlearn.datasets.mnist import load_mnist

        xtr, ytr = load_mnist(root / "mnist-small", "train")
        xte, yte = load_mnist(root / "mnist-small", "test")
        return (xtr.reshape(len(xtr), -1) / np.float32(255), ytr,
                xte.reshape(len(xte), -1) / np.float32(255), yte)
    xtr, ytr = (a.copy() for a in _nmnist_frames(root / "nmnist-small" / "Train"))
    xte, yte = (a.copy() for a in _nmnist_frames(root / "nmnist-small" / "Test"))
    if name == "nmnist-small-pooled":
        x = np.concatenate([xtr, xte])
        y = np.concatenate([ytr, yte])
        rng = np.random.default_rng(seed)
        test = np.zeros(len(y), dtype=bool)
        for label in np.unique(y):           # stratified hold-out
            idx = rng.permutation(np.flatnonzero(y == label))
            test[idx[:int(round(holdout * len(idx)))]] = True
        xtr, ytr, xte, yte = x[~test], y[~test], x[test], y[test]
    xtr, xte = np.log1p(xtr), np.log1p(xte)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-6
    return (xtr - mean) / std, ytr, (xte - mean) / std, yte


# ----------------------------------------------------------------------------- models
def matched_width(in_features: int, n_classes: int, n_hidden: int, target_params: int) -> int:
    """Width of a dense MLP with ``n_hidden`` equal layers and about ``target_params`` parameters."""
    def params(w):
        return in_features * w + w + (n_hidden - 1) * (w * w + w) + w * n_classes + n_classes
    lo, hi = 1, 1 << 16
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if params(mid) < target_params else (lo, mid)
    return lo if abs(params(lo) - target_params) <= abs(params(lo - 1) - target_params) else lo - 1


def build_model(variant: Variant, in_features: int, n_classes: int, hidden: tuple, seed: int):
    import torch

    from evlearn.continual.g2g_layers import G2GNet, count_parameters

    torch.manual_seed(seed)
    if variant.wiring == "dense" and variant.match_active_parameters:
        sparse = G2GNet(in_features, n_classes, hidden, n_groups=variant.n_groups, sparsity=variant.sparsity,
                        p_inter=variant.p_inter, seed=seed)
        width = matched_width(in_features, n_classes, len(hidden),
                              count_parameters(sparse)["active_parameters"])
        hidden = (width,) * len(hidden)
        torch.manual_seed(seed)
    return G2GNet(in_features, n_classes, hidden, wiring=variant.wiring, n_groups=variant.n_groups,
                  p_inter=variant.p_inter, sparsity=variant.sparsity, grouping=variant.grouping, seed=seed)


def accuracy(model, x, y, batch: int = 1000) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    model.train()
    return float((pred == y).float().mean())


def train_one(variant: Variant, data, cfg: StaticConfig, seed: int) -> dict:
    import torch

    from evlearn.continual.g2g_dst import DSTConfig, DynamicSparseTraining
    from evlearn.continual.g2g_layers import count_parameters

    xtr, ytr, xte, yte = (torch.as_tensor(a) for a in data)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    model = build_model(variant, xtr.shape[1], n_classes, tuple(cfg.hidden), seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    dst = None
    if variant.dst is not None:
        dst = DynamicSparseTraining(model, from_dict(DSTConfig, dict(variant.dst), where="dst"), optimizer,
                                    seed=seed)
    gen = torch.Generator().manual_seed(seed)
    curve = []
    start = time.perf_counter()
    for _ in range(cfg.n_epochs):
        order = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if dst is not None:
                dst.step()
        curve.append(accuracy(model, xte, yte))
    seconds = time.perf_counter() - start
    counts = count_parameters(model)
    result = {"variant": variant.name, "seed": seed, "test_accuracy": curve[-1],
              "train_accuracy": accuracy(model, xtr, ytr), "test_curve": curve, "train_seconds": seconds,
              "hidden": [layer.out_features for layer in model.layers], **counts}
    masked = model.masked_layers()
    if masked:
        result["layer_stats"] = [layer.stats() for layer in masked]
    if dst is not None:
        result["rewirings"] = len(dst.history) // max(len(masked), 1)
    return result


# ----------------------------------------------------------------------------- report
def summarize(runs: list[dict]) -> list[dict]:
    rows = []
    keys = sorted({(r["dataset"], r["variant"]) for r in runs}, key=lambda k: (k[0], k[1]))
    order = {}
    for r in runs:
        order.setdefault((r["dataset"], r["variant"]), len(order))
    for dataset, variant in sorted(keys, key=order.get):
        sel = [r for r in runs if r["dataset"] == dataset and r["variant"] == variant]
        acc = np.array([r["test_accuracy"] for r in sel])
        rows.append({"dataset": dataset, "variant": variant, "n_seeds": len(sel),
                     "test_accuracy_mean": float(acc.mean()), "test_accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                     "test_accuracy_min": float(acc.min()), "test_accuracy_max": float(acc.max()),
                     "active_parameters": sel[0]["active_parameters"], "parameters": sel[0]["parameters"],
                     "macs_per_sample_active": sel[0]["macs_per_sample_active"],
                     "hidden": "x".join(str(h) for h in sel[0]["hidden"]),
                     "train_seconds_mean": float(np.mean([r["train_seconds"] for r in sel]))})
        # Paired by seed (same data split and training order): variant minus the dense net of the same width.
        dense = {r["seed"]: r["test_accuracy"] for r in runs if r["dataset"] == dataset and r["variant"] == "dense"}
        deltas = np.array([r["test_accuracy"] - dense[r["seed"]] for r in sel if r["seed"] in dense])
        rows[-1]["delta_vs_dense_mean"] = float(deltas.mean()) if deltas.size else None
        rows[-1]["delta_vs_dense_std"] = float(deltas.std(ddof=1)) if deltas.size > 1 else None
    return rows


def plot(rows: list[dict], runs: list[dict], path) -> None:
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure registry

    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    fig = Figure(figsize=(4.2 * len(datasets), 6.4))
    axes = fig.subplots(2, len(datasets), squeeze=False)
    colors = matplotlib.colormaps["tab10"]
    for col, dataset in enumerate(datasets):
        ax = axes[0, col]
        sub = [r for r in rows if r["dataset"] == dataset]
        means = [r["test_accuracy_mean"] for r in sub]
        ax.bar(range(len(sub)), means, yerr=[r["test_accuracy_std"] for r in sub], capsize=3,
               color=[colors(variants.index(r["variant"])) for r in sub])
        for i, r in enumerate(sub):
            pts = [x["test_accuracy"] for x in runs if x["dataset"] == dataset and x["variant"] == r["variant"]]
            ax.plot([i] * len(pts), pts, "k.", ms=3)
        ax.set_xticks(range(len(sub)), [r["variant"] for r in sub], rotation=40, ha="right", fontsize=7)
        low = min(r["test_accuracy_min"] for r in sub)
        ax.set_ylim(max(0.0, low - 0.05), min(1.0, max(r["test_accuracy_max"] for r in sub) + 0.02))
        ax.set_title(f"{dataset}: final test accuracy", fontsize=9)
        ax = axes[1, col]
        for variant in variants:
            curves = np.array([x["test_curve"] for x in runs if x["dataset"] == dataset and x["variant"] == variant])
            if len(curves):
                ax.plot(np.arange(1, curves.shape[1] + 1), curves.mean(0), label=variant,
                        color=colors(variants.index(variant)))
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_ylabel("test accuracy (mean over seeds)", fontsize=8)
        ax.set_ylim(bottom=max(0.0, low - 0.15))
        if col == 0:
            ax.legend(fontsize=6)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)


def write_results(cfg: StaticConfig, runs: list[dict], out: Path, record: dict | None = None) -> dict:
    """Summary, JSON, CSV and PNG; ``record``: the stored record to update (report-only mode)."""
    rows = summarize(runs)
    if record is None:
        record = run_record(dataclasses.asdict(cfg), seed=list(cfg.seeds), summary=rows, runs=runs)
    else:
        record = {**record, "summary": rows, "report_command": sys.argv}
    write_json(out / "static.json", record)
    write_csv(out / "static.csv", rows)
    plot(rows, runs, out / "static.png")
    return record


def run(cfg: StaticConfig, out: Path, *, progress: bool = True) -> dict:
    import torch

    torch.set_num_threads(1)
    runs = []
    for dataset in cfg.datasets:
        for seed in cfg.seeds:
            data = load_dataset(dataset, cfg.data_root, seed=seed, holdout=cfg.holdout)
            for variant in cfg.variants:
                result = train_one(variant, data, cfg, seed)
                result["dataset"] = dataset
                result["n_train"], result["n_test"] = len(data[1]), len(data[3])
                runs.append(result)
                if progress:
                    print(f"{dataset:20s} {variant.name:22s} seed {seed}: test {result['test_accuracy']:.4f} "
                          f"({result['train_seconds']:.1f} s)", file=sys.stderr, flush=True)
    return write_results(cfg, runs, out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "g2g")
    parser.add_argument("--epochs", type=int, help="override the config's n_epochs (quick checks)")
    parser.add_argument("--seeds", type=int, nargs="+", help="override the config")
    parser.add_argument("--datasets", nargs="+", help="override the config")
    parser.add_argument("--report-only", action="store_true",
                        help="rebuild static.csv/png from the runs stored in OUT/static.json (no training)")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        changes = {k: v for k, v in (("n_epochs", args.epochs),
                                     ("seeds", tuple(args.seeds) if args.seeds else None),
                                     ("datasets", tuple(args.datasets) if args.datasets else None)) if v}
        cfg = dataclasses.replace(cfg, **changes)
        if args.report_only:
            from evlearn.io import read_json

            stored = read_json(args.out / "static.json")
            write_results(cfg, stored["runs"], args.out, record=stored)
        else:
            run(cfg, args.out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
