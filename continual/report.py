"""Report of a benchmark folder: Markdown table (mean ± std over seeds), CSV/JSON summary, PNG plots."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from evlearn.io import read_json, save_figure, write_csv, write_json, write_text

COLUMNS = (("average_accuracy", "avg acc", 3), ("average_forgetting", "forgetting", 3), ("bwt", "BWT", 3),
           ("fwt", "FWT", 3), ("train_seconds", "train s", 1), ("time_vs_er", "time vs ER", 2),
           ("cpu_vs_er", "CPU vs ER", 2),
           ("peak_memory_bytes", "peak replay bytes", 0), ("peak_total_memory_bytes", "peak total bytes", 0))


def collect_runs(folder) -> dict[str, list[dict]]:
    """label -> metrics of its finished seeds, in the order of the folder's config when known."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder")
    runs: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*/seed_*/metrics.json")):
        result = read_json(path)
        runs.setdefault(result["label"], []).append(result)
    if not runs:
        raise ValueError(f"{folder}: no finished runs (no <label>/seed_<s>/metrics.json); "
                         f"run `evlearn bench run CONFIG --out {folder}` first")
    order = []
    if (folder / "config.json").is_file():
        order = [label for label in read_json(folder / "config.json").get("runs", []) if label in runs]
    order += sorted(set(runs) - set(order))
    return {label: sorted(runs[label], key=lambda r: r["seed"]) for label in order}


def unfinished_runs(folder) -> list[dict]:
    """Runs the folder's config asks for (or that have started) without a metrics.json: label, seed, state."""
    folder = Path(folder)
    expected = set()
    if (folder / "config.json").is_file():
        record = read_json(folder / "config.json")
        seeds = (record.get("config") or {}).get("seeds") or []
        expected = {(label, int(seed)) for label in record.get("runs", []) for seed in seeds}
    started = {(p.parent.parent.name, int(p.parent.name.removeprefix("seed_")))
               for p in folder.glob("*/seed_*/run.json") if p.parent.name.removeprefix("seed_").isdigit()}
    missing = sorted(run for run in expected | started
                     if not (folder / run[0] / f"seed_{run[1]}" / "metrics.json").is_file())
    return [{"label": label, "seed": seed, "state": "in progress" if (label, seed) in started else "not started"}
            for label, seed in missing]


def summarize_runs(runs: dict[str, list[dict]]) -> list[dict]:
    """Mean ± std per label; ``time_vs_er`` / ``cpu_vs_er``: training wall / CPU time over the mean of the
    folder's ER runs (same run; CPU time, recorded since runs have ``train_cpu_seconds``, is not inflated
    by other work on a shared machine)."""
    er_mean = {}
    for key, ratio in (("train_seconds", "time_vs_er"), ("train_cpu_seconds", "cpu_vs_er")):
        er = [r[key] for rs in runs.values() for r in rs if r["strategy"] == "er" and r.get(key) is not None]
        if er:
            er_mean[key, ratio] = float(np.mean(er))
    rows = []
    for label, results in runs.items():
        for (key, ratio), mean in er_mean.items():
            results = [{**r, ratio: r[key] / mean if r.get(key) is not None else None} for r in results]
        row = {"label": label, "strategy": results[0]["strategy"], "seeds": len(results)}
        for key, _, _ in COLUMNS:
            values = np.array([r[key] for r in results if r.get(key) is not None], dtype=float)
            row[f"{key}_mean"] = float(values.mean()) if values.size else None
            row[f"{key}_std"] = float(values.std(ddof=1)) if values.size > 1 else 0.0
        rows.append(row)
    return rows


def _cell(row, key, digits) -> str:
    mean, std = row[f"{key}_mean"], row[f"{key}_std"]
    if mean is None:
        return "—"
    if digits == 0:
        return f"{mean:,.0f}" + (f" ± {std:,.0f}" if std else "")
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table(rows: list[dict]) -> str:
    """The rows of :func:`summarize_runs` as a Markdown table (mean ± std per metric)."""
    head = "| strategy | seeds | " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 2)
    lines = [head, rule]
    for row in rows:
        cells = [_cell(row, key, digits) for key, _, digits in COLUMNS]
        lines.append(f"| {row['label']} | {row['seeds']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figure(**kwargs):
    """A matplotlib Figure without pyplot: no global backend, state or figure registry touched."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def plot_curves(runs, path):
    """Plot the mean accuracy on the tasks seen so far after each task, one line per run label; returns the PNG path."""
    fig = _figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    for label, results in runs.items():
        curves = np.array([r["accuracy_curve"] for r in results], dtype=float)
        x = np.arange(1, curves.shape[1] + 1)
        mean, std = curves.mean(0), curves.std(0)
        ax.plot(x, mean, marker="o", label=label)
        ax.fill_between(x, mean - std, mean + std, alpha=0.2)
    ax.set_xlabel("tasks trained")
    ax.set_ylabel("mean accuracy on tasks seen")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(x)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("accuracy after each task (mean ± std over seeds)", fontsize=9)
    return save_figure(fig, path)


def plot_heatmaps(runs, path):
    """Plot the mean accuracy matrix R[i, j] of each run label as a heat map; returns the PNG path."""
    n = len(runs)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = _figure(figsize=(3.2 * cols, 3.0 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (label, results) in zip(axes.flat, runs.items()):
        R = np.mean([np.array(r["accuracy_matrix"], dtype=float) for r in results], axis=0)
        image = ax.imshow(R, vmin=0, vmax=1, cmap="viridis")
        T = len(R)
        if T <= 10:
            for i in range(T):
                for j in range(T):
                    ax.text(j, i, f"{R[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if R[i, j] < 0.6 else "black")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("evaluated on task j", fontsize=8)
        ax.set_ylabel("after training task i", fontsize=8)
        ax.set_xticks(range(T))
        ax.set_yticks(range(T))
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.colorbar(image, ax=axes, shrink=0.8, label="accuracy R[i, j]")
    return save_figure(fig, path)


def write_report(folder) -> dict:
    """Write report.md, summary.csv/json, accuracy_curves.png and accuracy_matrices.png into ``folder``."""
    folder = Path(folder)
    runs = collect_runs(folder)
    rows = summarize_runs(runs)
    name = ""
    if (folder / "config.json").is_file():
        name = (read_json(folder / "config.json").get("config") or {}).get("name", "")
    unfinished = unfinished_runs(folder)
    write_json(folder / "summary.json", {"name": name, "rows": rows, "unfinished": unfinished})
    write_csv(folder / "summary.csv", rows)
    curves = plot_curves(runs, folder / "accuracy_curves.png")
    heatmaps = plot_heatmaps(runs, folder / "accuracy_matrices.png")
    final = ["| strategy | " + " | ".join(f"task {j}" for j in range(len(next(iter(runs.values()))[0]["accuracy_matrix"])))
             + " |"]
    final.append("|" + "---|" * (1 + len(next(iter(runs.values()))[0]["accuracy_matrix"])))
    for label, results in runs.items():
        last = np.mean([np.array(r["accuracy_matrix"], dtype=float)[-1] for r in results], axis=0)
        final.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in last) + " |")
    text = "\n".join([
        f"# Continual-learning benchmark{': ' + name if name else ''}",
        "",
        "Mean ± sample std over seeds. avg acc: mean accuracy over all tasks after the last task; "
        "forgetting: Chaudhry et al. 2018; BWT/FWT: Lopez-Paz & Ranzato 2017 (FWT against the "
        "randomly initialised model); time vs ER: training time over the mean of the ER runs in this folder; "
        "CPU vs ER: the same with CPU time (not inflated by other work on the machine; — for runs that "
        "predate its recording); "
        "peak replay bytes: largest replay buffer (inputs, stored logits, labels); peak total bytes: "
        "replay + any kNN/prototype memory (SHARP's long-term memory).",
        "",
        markdown_table(rows),
        "",
        *([f"**Unfinished runs, not in the table ({len(unfinished)}):** "
           + ", ".join(f"{r['label']} seed {r['seed']} ({r['state']})" for r in unfinished)
           + ". Run `evlearn bench run` again on this folder to finish them.", ""] if unfinished else []),
        "## Accuracy on each task after the last task (mean over seeds)",
        "",
        *final,
        "",
        f"![accuracy after each task]({curves.name})",
        "",
        f"![accuracy matrices]({heatmaps.name})",
        "",
        "Produced by `evlearn bench report`; the config, seeds and package versions of each run are in "
        "`<strategy>/seed_<s>/run.json`.",
        "",
    ])
    write_text(folder / "report.md", text)
    return {"rows": rows, "report": folder / "report.md", "figures": [curves, heatmaps], "unfinished": unfinished}
