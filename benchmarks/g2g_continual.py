"""G2GNet continual comparison: the same strategies on a dense vs a G2G-wired backbone.

Runs every runner config listed in a comparison file (``[[runs]]`` with
``scenario``, ``backbone``, ``config``) into ``OUT/<scenario>/<backbone>/`` with
the continual-learning runner (resumable: re-running skips finished runs),
writes the runner's own report in each folder, then a side-by-side comparison:
``OUT/comparison.md``, ``comparison.csv``/``.json`` and one PNG per scenario
(accuracy after each task, final accuracy matrices).

Usage::

    python benchmarks/g2g_continual.py benchmarks/script_configs/g2g_continual.toml --out benchmarks/results/g2g/continual
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from evlearn.config import read_config_file
from evlearn.io import run_record, save_figure, write_csv, write_json, write_text

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("average_accuracy", "average_forgetting", "bwt", "fwt", "train_seconds")


def read_plan(path) -> list[dict]:
    runs = read_config_file(path).get("runs")
    if not runs:
        raise ValueError(f"{path}: no [[runs]]")
    for i, entry in enumerate(runs):
        missing = {"scenario", "backbone", "config"} - set(entry)
        if missing:
            raise ValueError(f"{path}: runs[{i}] lacks {sorted(missing)}")
        if not (ROOT / entry["config"]).is_file():
            raise ValueError(f"{path}: runs[{i}]: config not found: {entry['config']}")
    return runs


def collect(out: Path, plan: list[dict]) -> list[dict]:
    """One row per (scenario, backbone, strategy label): mean and std over seeds, mean matrix."""
    from evlearn.continual.report import collect_runs

    rows = []
    for entry in plan:
        folder = out / entry["scenario"] / entry["backbone"]
        for label, results in collect_runs(folder).items():
            row = {"scenario": entry["scenario"], "backbone": entry["backbone"], "strategy": label,
                   "seeds": len(results)}
            for key in KEYS:
                values = np.array([r[key] for r in results if r.get(key) is not None], dtype=float)
                row[f"{key}_mean"] = float(values.mean()) if values.size else None
                row[f"{key}_std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
            matrices = np.array([r["accuracy_matrix"] for r in results], dtype=float)
            row["accuracy_matrix_mean"] = matrices.mean(0).tolist()
            row["accuracy_curve_mean"] = np.mean([r["accuracy_curve"] for r in results], axis=0).tolist()
            row["accuracy_curve_std"] = (np.std([r["accuracy_curve"] for r in results], axis=0, ddof=1).tolist()
                                         if len(results) > 1 else [0.0] * matrices.shape[1])
            rows.append(row)
    return rows


def plot_scenario(rows: list[dict], scenario: str, path) -> None:
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure registry

    sub = [r for r in rows if r["scenario"] == scenario]
    strategies = list(dict.fromkeys(r["strategy"] for r in sub))
    backbones = list(dict.fromkeys(r["backbone"] for r in sub))
    styles = {b: s for b, s in zip(backbones, ("-", "--", ":", "-."))}
    colors = matplotlib.colormaps["tab10"]
    fig = Figure(figsize=(3.2 * (1 + len(backbones)), 2.6 * max(1, len(strategies))))
    grid = fig.add_gridspec(len(strategies), 1 + len(backbones))
    ax = fig.add_subplot(grid[:, 0])
    for r in sub:
        curve = np.array(r["accuracy_curve_mean"])
        std = np.array(r["accuracy_curve_std"])
        x = np.arange(1, len(curve) + 1)
        color = colors(strategies.index(r["strategy"]))
        ax.plot(x, curve, styles[r["backbone"]], color=color, label=f"{r['strategy']} / {r['backbone']}")
        ax.fill_between(x, curve - std, curve + std, color=color, alpha=0.08)
    ax.set_xlabel("tasks trained")
    ax.set_ylabel("mean accuracy on tasks seen")
    ax.set_ylim(0, 1.02)
    ax.set_title(scenario, fontsize=9)
    ax.legend(fontsize=6)
    for i, strategy in enumerate(strategies):
        for j, backbone in enumerate(backbones):
            match = [r for r in sub if r["strategy"] == strategy and r["backbone"] == backbone]
            if not match:
                continue
            R = np.array(match[0]["accuracy_matrix_mean"])
            hx = fig.add_subplot(grid[i, 1 + j])
            hx.imshow(R, vmin=0, vmax=1, cmap="viridis")
            for (a, b), v in np.ndenumerate(R):
                hx.text(b, a, f"{v:.2f}", ha="center", va="center", fontsize=5,
                        color="white" if v < 0.5 else "black")
            hx.set_title(f"{strategy} / {backbone}", fontsize=7)
            hx.set_xticks([])
            hx.set_yticks([])
            if j == 0:
                hx.set_ylabel("after task i", fontsize=6)
            if i == len(strategies) - 1:
                hx.set_xlabel("accuracy on task j", fontsize=6)
    fig.tight_layout()
    save_figure(fig, path, dpi=80)


def markdown(rows: list[dict], plan: list[dict]) -> str:
    def cell(row, key, digits=3):
        mean, std = row[f"{key}_mean"], row[f"{key}_std"]
        return "—" if mean is None else f"{mean:.{digits}f} ± {std:.{digits}f}"

    lines = ["# G2GNet continual comparison: dense vs ensemble-to-ensemble backbone", "",
             "Class-incremental, 5 tasks x 2 classes; mean ± sample std over seeds. Produced by "
             "`python benchmarks/g2g_continual.py benchmarks/script_configs/g2g_continual.toml`; each "
             "`<scenario>/<backbone>/` folder holds the runner's own report and per-run records "
             "(config, seed, package versions).", ""]
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        lines += [f"## {scenario}", "",
                  "| strategy | backbone | seeds | avg acc | forgetting | BWT | FWT | train s |",
                  "|---|---|---|---|---|---|---|---|"]
        sub = sorted((r for r in rows if r["scenario"] == scenario), key=lambda r: r["strategy"])
        for r in sub:
            lines.append(f"| {r['strategy']} | {r['backbone']} | {r['seeds']} | {cell(r, 'average_accuracy')} | "
                         f"{cell(r, 'average_forgetting')} | {cell(r, 'bwt')} | {cell(r, 'fwt')} | "
                         f"{cell(r, 'train_seconds', 1)} |")
        lines += ["", f"![{scenario}]({scenario}.png)", ""]
        lines += ["Accuracy on each task after the last task (mean over seeds):", "",
                  "| strategy | backbone | " + " | ".join(f"task {j}" for j in range(len(sub[0]["accuracy_matrix_mean"])))
                  + " |", "|---|---|" + "---|" * len(sub[0]["accuracy_matrix_mean"])]
        for r in sub:
            lines.append(f"| {r['strategy']} | {r['backbone']} | "
                         + " | ".join(f"{v:.3f}" for v in r["accuracy_matrix_mean"][-1]) + " |")
        lines.append("")
    lines += ["Configs: " + ", ".join(f"`{e['config']}`" for e in plan), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "g2g" / "continual")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the reports from finished runs")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        import torch

        from evlearn.continual.report import write_report
        from evlearn.continual.runner import run_benchmark

        torch.set_num_threads(1)
        plan = read_plan(args.plan)
        for entry in plan:
            folder = args.out / entry["scenario"] / entry["backbone"]
            if not args.report_only:
                run_benchmark(ROOT / entry["config"], folder, progress=args.progress,
                              log=lambda m, e=entry: print(f"{e['scenario']}/{e['backbone']}: {m}",
                                                           file=sys.stderr, flush=True))
            write_report(folder)
        rows = collect(args.out, plan)
        for scenario in dict.fromkeys(r["scenario"] for r in rows):
            plot_scenario(rows, scenario, args.out / f"{scenario}.png")
        write_json(args.out / "comparison.json", run_record({"plan": plan}, None, rows=rows))
        write_csv(args.out / "comparison.csv",
                  [{k: v for k, v in r.items() if not isinstance(v, list)} for r in rows])
        write_text(args.out / "comparison.md", markdown(rows, plan))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
