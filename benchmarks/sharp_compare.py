"""SHARP vs Naive / ER / Joint and SHARP's ablations, class-incremental, several seeds.

Gurbuz, Moorman, Dovrolis, arXiv 2305.18563. Claim checked: SHARP (hidden
activation replay of the most recent classes) beats raw replay at equal or
lower replay memory. Every (strategy, seed) run is written to
``OUT/runs/<label as a file name>_seed<k>.json`` (skipped when it exists, so a killed run
resumes); ``OUT/summary.{json,csv,md}`` and plots are rebuilt from them.

    python benchmarks/sharp_compare.py benchmarks/configs/sharp_split_mnist.toml --out benchmarks/results/sharp/split_mnist
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from evlearn.config import load_config
from evlearn.io import read_json, run_record, save_figure, write_csv, write_json, write_text

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class StrategySpec:
    label: str
    name: str
    options: dict = field(default_factory=dict)
    backbone: str = "cnn"


@dataclass
class CompareConfig:
    dataset: str = "mnist"              # "mnist" (IDX folder) or "nmnist" (Train/Test folders)
    data_dir: str = "../shared/data/mnist-small"
    n_tasks: int = 5
    seeds: tuple = (0, 1, 2)
    blurry: float = 0.0
    nmnist_holdout: float = 0.25         # nmnist: stratified fraction of Train added to the test set
    threads: int = 1
    epochs: int = 5                       # baselines (naive / er / joint): [train] options
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    strategies: list = field(default_factory=list)


def slug(label: str) -> str:
    """A file-name-safe form of a label ("ER 50 (= SHARP bytes)" -> "ER_50_SHARP_bytes")."""
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")


def load_arrays(cfg: CompareConfig):
    """(X_train, y_train, X_test, y_test) as uint8 images / frames and int64 labels."""
    root = Path(cfg.data_dir)
    if not root.is_absolute():
        root = (ROOT / root).resolve()
    if cfg.dataset == "mnist":
        from evlearn.datasets.idx import read_idx

        def idx(name):
            return read_idx(root / name)
        return (idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz").astype(np.int64),
                idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    if cfg.dataset == "nmnist":
        return nmnist_frames(root, cfg.nmnist_holdout)
    raise ValueError(f"dataset must be 'mnist' or 'nmnist', got {cfg.dataset!r}")


def nmnist_frames(root: Path, holdout: float, seed: int = 0):
    """Event-count frames (2, 34, 34) of N-MNIST, log1p-scaled to uint8 with the training maximum.

    The shared subset has only 50 test recordings, so a stratified ``holdout``
    fraction of Train is moved to the test set (fixed seed).
    """
    from evlearn.datasets.folder import NMNISTFolder
    from evlearn.events import NMNIST_SENSOR
    from evlearn.functional.frames import count_frames

    def split(name):
        folder = NMNISTFolder(root, split=name.lower())
        return count_frames([events for events, _ in folder], NMNIST_SENSOR), np.asarray(folder.targets, dtype=np.int64)

    Xtr, ytr = split("Train")
    Xte, yte = split("Test")
    rng = np.random.default_rng(seed)
    test_rows = np.concatenate([rng.permutation(np.flatnonzero(ytr == c))[:int(round(holdout * np.sum(ytr == c)))]
                                for c in np.unique(ytr)])
    keep = np.setdiff1d(np.arange(len(ytr)), test_rows)
    Xte, yte = np.concatenate([Xte, Xtr[test_rows]]), np.concatenate([yte, ytr[test_rows]])
    Xtr, ytr = Xtr[keep], ytr[keep]
    scale = np.log1p(Xtr.max())
    to_u8 = lambda X: np.rint(255 * np.log1p(X) / scale).clip(0, 255).astype(np.uint8)  # noqa: E731
    return to_u8(Xtr), ytr, to_u8(Xte), yte


def run_one(cfg: CompareConfig, spec: StrategySpec, seed: int, scenario) -> dict:
    import torch

    from evlearn.continual.backbones import make_backbone
    from evlearn.continual.metrics import summarize
    from evlearn.continual.strategies import make_strategy

    torch.manual_seed(seed)
    model = make_backbone(spec.backbone, scenario.input_shape, scenario.n_classes)
    base = dict(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, optimizer=cfg.optimizer,
                seed=seed, device="cpu")
    strategy = make_strategy(spec.name, model, **base, **spec.options)
    n = len(scenario)
    R = np.zeros((n, n))
    baseline = np.array([strategy.evaluate(t) for t in scenario]) if spec.name != "sharp" else None
    seconds, memory = [], []
    for i, task in enumerate(scenario):
        start = time.perf_counter()
        strategy.train_task(task)
        seconds.append(time.perf_counter() - start)
        memory.append(int(strategy.memory_bytes()))
        R[i] = [strategy.evaluate(t) for t in scenario]
    out = {"label": spec.label, "strategy": spec.name, "R": R.tolist(),
           "memory_per_task": memory, "metrics": summarize(R, baseline, seconds, memory)}
    if hasattr(strategy, "ltm_bytes"):
        out["ltm_bytes"] = int(strategy.ltm_bytes())
        out["final_density"] = float(strategy.net.density())
    return out


def summarise(runs: list[dict], out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(r["label"] for r in runs))
    rows = []
    for label in labels:
        rs = [r for r in runs if r["label"] == label]
        acc = np.array([r["metrics"]["average_accuracy"] for r in rs])
        fgt = np.array([r["metrics"]["average_forgetting"] for r in rs])
        mem = np.array([r["metrics"]["peak_memory_bytes"] for r in rs])
        secs = np.array([r["metrics"]["train_seconds"] for r in rs])
        rows.append({"label": label, "strategy": rs[0]["strategy"], "n_seeds": len(rs),
                     "final_accuracy_mean": acc.mean(), "final_accuracy_std": acc.std(ddof=1) if len(rs) > 1 else 0.0,
                     "forgetting_mean": fgt.mean(), "replay_memory_bytes": int(mem.max()),
                     "ltm_bytes": int(rs[0].get("ltm_bytes", 0)), "train_seconds_mean": secs.mean()})
    write_csv(out / "summary.csv", rows)
    write_json(out / "summary.json", {"title": title, "rows": rows})
    lines = [f"# {title}", "", "| method | final avg. accuracy (mean ± std, n seeds) | avg. forgetting | "
             "replay memory (bytes) | kNN memory (bytes) | train s |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['final_accuracy_mean']:.3f} ± {r['final_accuracy_std']:.3f} "
                     f"({r['n_seeds']}) | {r['forgetting_mean']:.3f} | {r['replay_memory_bytes']:,} | "
                     f"{r['ltm_bytes']:,} | {r['train_seconds_mean']:.0f} |")
    write_text(out / "summary.md", "\n".join(lines) + "\n")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for label in labels:
        curves = []
        for r in runs:
            if r["label"] == label:
                R = np.array(r["R"])
                curves.append([R[i, :i + 1].mean() for i in range(len(R))])
        curves = np.array(curves)
        x = np.arange(1, curves.shape[1] + 1)
        axes[0].errorbar(x, curves.mean(0), yerr=curves.std(0), marker="o", capsize=3, label=label)
    axes[0].set_xticks(x)
    axes[0].set_xlabel("tasks learned")
    axes[0].set_ylabel("average accuracy on tasks seen")
    axes[0].set_title(title)
    axes[0].legend(fontsize=7)
    for r in rows:
        bar = axes[1].errorbar(max(r["replay_memory_bytes"], 1), r["final_accuracy_mean"],
                               yerr=r["final_accuracy_std"], marker="o", capsize=3, label=r["label"])
        if r["ltm_bytes"]:   # SHARP's kNN memory on top of the replay buffer: open marker, dotted link
            total = r["replay_memory_bytes"] + r["ltm_bytes"]
            colour = bar.lines[0].get_color()
            axes[1].plot([r["replay_memory_bytes"], total], [r["final_accuracy_mean"]] * 2, ":", color=colour)
            axes[1].plot([total], [r["final_accuracy_mean"]], "o", mfc="none", color=colour)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("replay memory (bytes, log; 1 = none); open: + SHARP's kNN memory")
    axes[1].set_ylabel("final average accuracy")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out / "accuracy.png", dpi=90)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", nargs="*", help="run only these labels")
    args = parser.parse_args(argv)
    cfg = load_config(CompareConfig, args.config)
    specs = [StrategySpec(**s) for s in cfg.strategies]
    import torch

    from evlearn.continual.scenarios import split_scenario

    torch.set_num_threads(cfg.threads)
    out = Path(args.out)
    X_train, y_train, X_test, y_test = load_arrays(cfg)
    write_json(out / "config.json", run_record(dataclasses.asdict(cfg), seed=list(cfg.seeds),
                                               data_shapes={"train": X_train.shape, "test": X_test.shape}))
    for spec in specs:
        if args.only and spec.label not in args.only:
            continue
        for seed in cfg.seeds:
            path = out / "runs" / f"{slug(spec.label)}_seed{seed}.json"
            if path.exists():
                continue
            scenario = split_scenario(X_train, y_train, X_test, y_test, n_tasks=cfg.n_tasks, blurry=cfg.blurry,
                                      seed=seed, name=cfg.dataset)
            result = run_one(cfg, spec, seed, scenario)
            write_json(path, run_record(dataclasses.asdict(spec), seed=seed, compare_config=dataclasses.asdict(cfg),
                                        **result))
            print(f"{spec.label} seed {seed}: final accuracy {result['metrics']['average_accuracy']:.3f}, "
                  f"memory {result['metrics']['peak_memory_bytes']} B", flush=True)
    runs = [read_json(p) for p in sorted((out / "runs").glob("*.json"))]
    order = {s.label: i for i, s in enumerate(specs)}
    runs.sort(key=lambda r: (order.get(r["label"], 99), r["seed"]))
    blurry = f", blurry {cfg.blurry:g}" if cfg.blurry else ""
    summarise(runs, out, f"Split-{'MNIST' if cfg.dataset == 'mnist' else 'N-MNIST'} class-incremental, "
                         f"{cfg.n_tasks} tasks{blurry}")


if __name__ == "__main__":
    main()
