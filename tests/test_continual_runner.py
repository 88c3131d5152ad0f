"""Runner: resume after a kill, config errors, CLI run + report, data loading."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from evlearn.cli.main import main
from evlearn.continual.runner import as_config, run_benchmark, validate
from evlearn.io import read_json

TINY = {
    "name": "tiny",
    "seeds": [0, 1],
    "strategies": ["naive", "er", "ewc", "lwf", {"name": "joint", "label": "joint_upper"}],
    "memory_size": 20,
    "data": {"name": "synthetic", "options": {"n_classes": 4, "n_features": 8, "spread": 3.0,
                                              "n_train_per_class": 30, "n_test_per_class": 20}},
    "scenario": {"kind": "class", "n_tasks": 2},
    "backbone": {"name": "mlp", "options": {"hidden": [16]}},
    "train": {"epochs": 3, "batch_size": 16, "lr": 0.1, "optimizer": "sgd"},
    "options": {"ewc": {"ewc_lambda": 50.0, "fisher_samples": 20}},
}

TOML = """\
name = "tiny"
seeds = [0, 1]
strategies = ["naive", "er"]
memory_size = 20
[data]
name = "synthetic"
options = { n_classes = 4, n_features = 8, spread = 3.0, n_train_per_class = 30, n_test_per_class = 20 }
[scenario]
kind = "class"
n_tasks = 2
[backbone]
name = "mlp"
options = { hidden = [16] }
[train]
epochs = 2
batch_size = 16
lr = 0.1
optimizer = "sgd"
"""


pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Killed(RuntimeError):
    pass


def _config(**changes):
    data = copy.deepcopy(TINY)
    data.update(changes)
    return as_config(data)


def test_resume_after_kill_gives_the_same_results(tmp_path):
    cfg = _config(scenario={"kind": "class", "n_tasks": 4}, seeds=[0],
                  data={**TINY["data"], "options": {**TINY["data"]["options"], "n_classes": 8}})
    straight = run_benchmark(cfg, tmp_path / "straight")

    def kill(label, seed, task):
        if label == "ewc" and task == 1:      # after ewc has finished 2 of 4 tasks
            raise Killed

    out = tmp_path / "killed"
    with pytest.raises(Killed):
        run_benchmark(cfg, out, after_task=kill)
    finished = {p: p.stat().st_mtime_ns for p in out.glob("*/seed_*/metrics.json")}
    assert {p.parts[-3] for p in finished} == {"naive", "er"}
    assert (out / "ewc" / "seed_0" / "checkpoint.pt").is_file()
    assert not (out / "ewc" / "seed_0" / "metrics.json").exists()

    trained = []
    resumed = run_benchmark(cfg, out, after_task=lambda label, seed, task: trained.append((label, task)))
    # finished runs are neither redone nor rewritten; ewc restarts after its second task
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    assert [t for label, t in trained if label == "ewc"] == [2, 3]
    assert not any(label in ("naive", "er") for label, _ in trained)
    assert not (out / "ewc" / "seed_0" / "checkpoint.pt").exists()
    for a, b in zip(straight, resumed):
        assert a["label"] == b["label"]
        np.testing.assert_array_equal(a["accuracy_matrix"], b["accuracy_matrix"])
        assert a["peak_memory_bytes"] == b["peak_memory_bytes"]


def test_run_folder_contents(tmp_path):
    cfg = _config(strategies=["er"], seeds=[3])
    (result,) = run_benchmark(cfg, tmp_path)
    run = tmp_path / "er" / "seed_3"
    record = read_json(run / "run.json")
    assert record["seed"] == 3 and "torch" in record["versions"]
    assert record["run_config"]["options"] == {} and record["run_config"]["memory_size"] == 20
    metrics = read_json(run / "metrics.json")
    assert np.array(metrics["accuracy_matrix"]).shape == (2, 2)
    assert metrics["peak_memory_bytes"] == metrics["peak_total_memory_bytes"] == 20 * 8 * 4 + 20
    assert len(metrics["random_init_accuracy"]) == 2
    csv = (run / "metrics.csv").read_text().splitlines()
    assert csv[0].startswith("after_task,acc_task_0,acc_task_1,average_seen") and len(csv) == 3
    assert read_json(tmp_path / "config.json")["config"]["name"] == "tiny"
    assert not list(tmp_path.rglob("*.tmp"))


def test_changed_config_is_refused(tmp_path):
    run_benchmark(_config(strategies=["naive"], seeds=[0]), tmp_path)
    changed = _config(strategies=["naive"], seeds=[0], train={**TINY["train"], "lr": 0.5})
    with pytest.raises(ValueError, match="different config"):
        run_benchmark(changed, tmp_path)
    # adding a seed or a strategy to the same folder is fine
    run_benchmark(_config(strategies=["naive"], seeds=[0, 1]), tmp_path)
    assert (tmp_path / "naive" / "seed_1" / "metrics.json").is_file()


@pytest.mark.parametrize("change, message", [
    ({"strategies": ["naive", "sharpp"]}, "unknown strategy 'sharpp'"),
    ({"strategies": [{"name": "er", "options": {"memory": 5}}]}, r"unknown option\(s\) \['memory'\]"),
    ({"strategies": ["er", "er"]}, "duplicate label"),
    ({"options": {"ewcc": {"alpha": 1}}}, "neither a strategy nor a label"),
    ({"data": {"name": "mnist", "root": "/no/such/folder"}}, "data folder not found: /no/such/folder"),
    ({"data": {"name": "imagenet", "root": "."}}, "unknown data set 'imagenet'"),
    ({"data": {"name": "mnist", "root": "."}, "scenario": {"kind": "class", "classes_per_task": 3}},
     "classes_per_task=3 does not divide the 10 classes"),
    ({"scenario": {"kind": "class", "n_tasks": 3}}, "n_tasks=3 does not divide the 4 classes"),
    ({"scenario": {"kind": "online"}}, "scenario.kind"),
    ({"backbone": {"name": "resnet"}}, "unknown backbone 'resnet'"),
    ({"seeds": []}, "seeds"),
    ({"train": {"device": "tpu0"}}, "device must be"),
])
def test_config_errors(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        validate(_config(**change))


def test_config_errors_before_training(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(TOML.replace('strategies = ["naive", "er"]', 'strategies = ["naive", "ewwc"]'))
    assert main(["bench", "run", str(bad), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown strategy 'ewwc'" in err[0]
    assert not (tmp_path / "out").exists()
    typo = tmp_path / "typo.toml"
    typo.write_text(TOML.replace("[train]\n", "[train]\nepoch = 3\n"))
    assert main(["bench", "run", str(typo), "--out", str(tmp_path / "out")]) == 2
    assert "unknown key(s) ['epoch']" in capsys.readouterr().err


def test_cli_run_and_report(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TOML)
    out = tmp_path / "out"
    assert main(["bench", "run", str(config), "--out", str(out), "--no-progress", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "| naive | 2 |" in text and "| er | 2 |" in text
    for name in ("report.md", "summary.csv", "summary.json", "accuracy_curves.png", "accuracy_matrices.png"):
        assert (out / name).is_file(), name
    assert (out / "accuracy_matrices.png").stat().st_size < 300_000
    (out / "report.md").unlink()
    assert main(["bench", "report", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "avg acc" in report and "| er | 2 |" in report and "accuracy_curves.png" in report
    rows = read_json(out / "summary.json")["rows"]
    assert [r["label"] for r in rows] == ["naive", "er"] and rows[1]["seeds"] == 2
    # running again does nothing new
    assert main(["bench", "run", str(config), "--out", str(out), "--no-progress", "--no-report"]) == 0
    assert "skipped" in capsys.readouterr().err
    assert main(["bench", "report", str(tmp_path / "empty")]) == 2


def test_yaml_config_and_task_incremental(tmp_path):
    import yaml

    data = copy.deepcopy(TINY)
    data.update(strategies=["naive"], seeds=[0], scenario={"kind": "task", "n_tasks": 2})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    from evlearn.continual.runner import read_bench_config

    (result,) = run_benchmark(read_bench_config(path), tmp_path / "out")
    R = np.array(result["accuracy_matrix"])
    assert R[0, 1] > 0           # task-incremental: the task's classes are known at test time


def test_mnist_small_arrays(mnist_dir):
    from evlearn.continual.data import load_arrays

    Xtr, ytr, Xte, yte = load_arrays("mnist", mnist_dir)
    assert Xtr.shape == (3000, 28, 28) and Xtr.dtype == np.uint8 and Xte.shape == (1000, 28, 28)
    assert set(np.unique(ytr)) == set(range(10))


def test_nmnist_count_frame_features(nmnist_dir):
    from evlearn.continual.data import load_arrays

    Ftr, ytr, Fte, yte = load_arrays("nmnist", nmnist_dir)
    assert Ftr.shape == (800, 2, 34, 34) and Fte.shape == (50, 2, 34, 34) and Ftr.dtype == np.float32
    assert abs(float(Ftr.mean())) < 1e-3 and abs(float(Ftr.std()) - 1) < 1e-3
    assert len(ytr) == 800 and set(np.unique(ytr)) == set(range(10))
    with pytest.raises(ValueError, match="feast_model"):
        load_arrays("nmnist", nmnist_dir, features="feast")


def test_report_leaves_global_matplotlib_state_alone(tmp_path, monkeypatch):
    import sys

    import matplotlib

    from evlearn.continual.report import write_report

    run_benchmark(_config(strategies=["naive"], seeds=[0]), tmp_path)
    monkeypatch.setattr(matplotlib, "use", lambda *a, **k: pytest.fail("the report switched the global backend"))
    rc_before = dict(matplotlib.rcParams)
    figures_before = sys.modules["matplotlib.pyplot"].get_fignums() if "matplotlib.pyplot" in sys.modules else []
    write_report(tmp_path)
    assert dict(matplotlib.rcParams) == rc_before
    if "matplotlib.pyplot" in sys.modules:      # no figure left open in pyplot's registry
        assert sys.modules["matplotlib.pyplot"].get_fignums() == figures_before
