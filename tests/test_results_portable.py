"""Results record paths relative to the project or data root, never the producing machine's folders."""
import json
import re
import sys
from pathlib import Path

from evlearn.io import portable_path, run_record

ROOT = Path(__file__).resolve().parents[1]
MACHINE_PATH = re.compile(r'"(/work|/tmp|/root|/home|/Users|[A-Z]:\\\\)[^"]*"')


def test_committed_results_hold_no_absolute_paths():
    """benchmarks/results/feast/*.json and dendrites/summary.json used to record /work/... paths."""
    offenders = [f"{path.relative_to(ROOT)}: {match.group(0)}"
                 for path in sorted((ROOT / "benchmarks" / "results").rglob("*.json"))
                 for match in MACHINE_PATH.finditer(path.read_text())]
    assert offenders == []


def test_run_record_makes_paths_portable(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "venv" / "bin" / "evlearn"), "feast", "fit", "--train",
                                      str(tmp_path / "shared" / "data" / "Train")])
    record = run_record({"data": tmp_path / "shared" / "data", "out": str(project / "runs" / "a"), "lr": 0.1},
                        0, model="/elsewhere/tmp123/feast.npz")
    assert record["command"] == ["evlearn", "feast", "fit", "--train", "../shared/data/Train"]
    assert record["config"] == {"data": "../shared/data", "out": "runs/a", "lr": 0.1}
    assert record["model"] == "feast.npz"
    assert "/" + tmp_path.parts[1] not in json.dumps(record)
    assert portable_path("relative/stays") == "relative/stays"
