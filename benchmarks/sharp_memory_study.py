"""SHARP against the best replay method at equal total memory: one table and one accuracy-vs-bytes plot.

Reads the runner folders written by

    evlearn bench run benchmarks/configs/sharp_memory_<data>.toml --out benchmarks/results/sharp_memory/<data> --scheduler local

for each <data> of DATASETS whose folder exists (SHARP at 4 memory sizes, DER++ (the
best method of the Split-MNIST table) and ER at 4 sizes each), and writes ``benchmarks/results/sharp_memory/summary.{md,csv,json}``
and ``accuracy_vs_memory.png``. "Total memory" is each run's
``peak_total_memory_bytes``: the replay data plus any kNN/prototype memory (SHARP's
long-term kNN memory), in bytes as stored. For each SHARP size the comparison
takes each other method's largest size that does not use more bytes.

    python benchmarks/sharp_memory_study.py [--root benchmarks/results/sharp_memory]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from evlearn.io import read_json, run_record, save_figure, write_csv, write_json, write_text

DATASETS = {"split_mnist": "Split-MNIST", "split_mnist_blurry": "blurry Split-MNIST (10 %)",
            "split_nmnist_frames": "Split-N-MNIST, count frames", "split_nmnist_feast": "Split-N-MNIST, FEAST features"}


def collect(folder: Path) -> list[dict]:
    """One row per label: method, mean/std accuracy and total bytes over seeds, seconds per task."""
    runs = {}
    for path in sorted(folder.glob("*/seed_*/metrics.json")):
        m = read_json(path)
        runs.setdefault(m["label"], []).append(m)
    rows = []
    for label, ms in runs.items():
        acc = np.array([m["average_accuracy"] for m in ms])
        total = np.array([m.get("peak_total_memory_bytes", m["peak_memory_bytes"]) for m in ms])
        rows.append({"label": label, "method": ms[0]["strategy"], "n_seeds": len(ms),
                     "accuracy_mean": float(acc.mean()), "accuracy_std": float(acc.std(ddof=1)) if len(ms) > 1 else 0.0,
                     "total_bytes": int(total.max()), "replay_bytes": int(max(m["peak_memory_bytes"] for m in ms)),
                     "seconds_per_task": float(np.mean([np.mean(m["task_seconds"]) for m in ms])),
                     # CPU time: recorded by runs made since the runner measured it; not inflated by other load
                     "cpu_seconds_per_task": float(np.mean(cpu)) if (cpu := [np.mean(m["task_cpu_seconds"])
                                                                              for m in ms if m.get("train_cpu_seconds")]) else None})
    for key, ratio in (("seconds_per_task", "time_per_task_vs_er"), ("cpu_seconds_per_task", "cpu_per_task_vs_er")):
        er = [r[key] for r in rows if r["method"] == "er" and r[key] is not None]
        for r in rows:
            r[ratio] = r[key] / float(np.mean(er)) if er and r[key] is not None else None
    return sorted(rows, key=lambda r: (r["method"] != "sharp", r["method"], r["total_bytes"]))


def equal_memory(rows: list[dict]) -> list[dict]:
    """For each SHARP size, each other method's best-accuracy size with total bytes <= SHARP's."""
    out = []
    for s in (r for r in rows if r["method"] == "sharp"):
        for method in sorted({r["method"] for r in rows} - {"sharp"}):
            fits = [r for r in rows if r["method"] == method and r["total_bytes"] <= s["total_bytes"]]
            if not fits:
                continue
            b = max(fits, key=lambda r: r["total_bytes"])
            out.append({"sharp": s["label"], "sharp_bytes": s["total_bytes"], "sharp_accuracy": s["accuracy_mean"],
                        "sharp_std": s["accuracy_std"], "other": b["label"], "other_bytes": b["total_bytes"],
                        "other_accuracy": b["accuracy_mean"], "other_std": b["accuracy_std"],
                        "difference": s["accuracy_mean"] - b["accuracy_mean"],
                        "n": min(s["n_seeds"], b["n_seeds"])})
    return out


def _acc(mean: float, std: float, n: int) -> str:
    return f"{mean:.3f} ± {std:.3f}" if n > 1 else f"{mean:.3f} ± —"


def _ratio(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def plot(results: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), squeeze=False)
    for ax, (name, rows) in zip(axes[0], results.items()):
        for method in dict.fromkeys(r["method"] for r in rows):
            rs = sorted((r for r in rows if r["method"] == method), key=lambda r: r["total_bytes"])
            ax.errorbar([r["total_bytes"] for r in rs], [r["accuracy_mean"] for r in rs],
                        yerr=[r["accuracy_std"] for r in rs], marker="o", capsize=3, label=method)
        ax.set_xscale("log")
        ax.set_title(DATASETS.get(name, name), fontsize=9)
        ax.set_xlabel("total memory (bytes, log): replay + kNN")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("final average accuracy")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="benchmarks/results/sharp_memory")
    args = parser.parse_args(argv)
    root = Path(args.root)
    results = {name: collect(root / name) for name in DATASETS if (root / name).is_dir()}
    if not results:
        print(f"no result folders under {root}; run the configs first (see --help)", file=sys.stderr)
        return 2
    comparisons = {name: equal_memory(rows) for name, rows in results.items()}
    lines = ["# SHARP vs replay methods at equal total memory", "",
             "Total memory = replay data + kNN/prototype memory, bytes as stored (peak over tasks). "
             "Accuracy: final average accuracy, mean ± std over the seeds run (n; ± — with one seed). "
             "Time per task relative to ER (mean over ER's sizes) in the same study: wall time (moves with the "
             "load of the shared machine) and CPU time (runs that recorded it).", ""]
    for name, rows in results.items():
        lines += [f"## {DATASETS[name]}", "", "| run | method | n | total bytes | replay bytes | accuracy | time/task vs ER | "
                  "CPU/task vs ER |", "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['label']} | {r['method']} | {r['n_seeds']} | {r['total_bytes']:,} | {r['replay_bytes']:,} | "
                  f"{_acc(r['accuracy_mean'], r['accuracy_std'], r['n_seeds'])} | {_ratio(r['time_per_task_vs_er'])} | "
                  f"{_ratio(r['cpu_per_task_vs_er'])} |"
                  for r in rows]
        lines += ["", "At equal memory (the other method's largest size within SHARP's bytes):", "",
                  "| SHARP | bytes | accuracy | vs | bytes | accuracy | SHARP − other |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {c['sharp']} | {c['sharp_bytes']:,} | {_acc(c['sharp_accuracy'], c['sharp_std'], c['n'])} | "
                  f"{c['other']} | {c['other_bytes']:,} | {_acc(c['other_accuracy'], c['other_std'], c['n'])} | "
                  f"{c['difference']:+.3f} |" for c in comparisons[name]]
        lines.append("")
    lines.append("![accuracy vs memory](accuracy_vs_memory.png)")
    write_text(root / "summary.md", "\n".join(lines) + "\n")
    write_csv(root / "summary.csv", [{"data": name, **r} for name, rows in results.items() for r in rows])
    write_json(root / "summary.json", run_record(None, None, script="benchmarks/sharp_memory_study.py",
                                                 results=results, equal_memory=comparisons))
    plot(results, root / "accuracy_vs_memory.png")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
