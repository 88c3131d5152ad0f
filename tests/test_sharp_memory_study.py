"""SHARP memory study script: per-label rows, ratios to ER in wall and CPU time, equal-memory pairs."""
import importlib.util
from pathlib import Path

import pytest

from evlearn.io import write_json

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("_bench_sharp_memory_study", ROOT / "benchmarks" / "sharp_memory_study.py")
study = importlib.util.module_from_spec(spec)
spec.loader.exec_module(study)


def _run(folder, label, method, seed, acc, total, seconds, cpu=None):
    metrics = {"label": label, "strategy": method, "average_accuracy": acc, "peak_memory_bytes": total,
               "peak_total_memory_bytes": total, "task_seconds": seconds}
    if cpu is not None:
        metrics.update(task_cpu_seconds=cpu, train_cpu_seconds=sum(cpu))
    write_json(folder / label / f"seed_{seed}" / "metrics.json", metrics)


def test_rows_ratios_and_equal_memory_pairs(tmp_path):
    _run(tmp_path, "er_m10", "er", 0, 0.6, 1000, [2.0, 2.0], [1.0, 1.0])
    _run(tmp_path, "er_m10", "er", 1, 0.8, 1000, [2.0, 2.0])               # from before CPU time was recorded
    _run(tmp_path, "sharp_k5", "sharp", 0, 0.9, 1200, [8.0, 8.0], [5.0, 5.0])
    _run(tmp_path, "derpp_m20", "derpp", 0, 0.95, 2000, [3.0, 3.0], [1.5, 1.5])
    rows = {r["label"]: r for r in study.collect(tmp_path)}
    assert rows["er_m10"]["n_seeds"] == 2 and rows["er_m10"]["accuracy_mean"] == pytest.approx(0.7)
    assert rows["sharp_k5"]["time_per_task_vs_er"] == pytest.approx(4.0)
    assert rows["sharp_k5"]["cpu_per_task_vs_er"] == pytest.approx(5.0)      # only the ER seed with CPU time
    pairs = study.equal_memory(list(rows.values()))
    assert [(p["sharp"], p["other"]) for p in pairs] == [("sharp_k5", "er_m10")]   # DER++ needs more bytes
