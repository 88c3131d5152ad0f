"""benchmarks/results/scaling.{json,csv}: what the committed script computes from the committed measurements."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def test_committed_extrapolation_is_recomputed_from_the_committed_measurements(tmp_path):
    shutil.copy(RESULTS / "scaling.json", tmp_path / "scaling.json")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scaling.py"), "--extrapolate-only",
                    "--out", str(tmp_path / "scaling.json")], check=True, capture_output=True, timeout=120)
    assert (tmp_path / "scaling.csv").read_text() == (RESULTS / "scaling.csv").read_text()
    recomputed = json.loads((tmp_path / "scaling.json").read_text())
    committed = json.loads((RESULTS / "scaling.json").read_text())
    assert recomputed["extrapolation"] == committed["extrapolation"]


def test_committed_speedups_are_the_medians_of_their_repeats():
    committed = json.loads((RESULTS / "scaling.json").read_text())
    for workload in ("feast_extraction", "split_mnist"):
        runs = committed[workload]
        assert len(runs["repeats"]) >= 3
        for key in ("speedup_map", "speedup_processes_without_dask", "speedup_including_cluster_start"):
            assert runs[key] == round(statistics.median(r[key] for r in runs["repeats"]), 3), (workload, key)
    assert committed["feast_extraction"]["outputs_byte_identical"]
    assert committed["split_mnist"]["accuracy_matrices_identical"]
