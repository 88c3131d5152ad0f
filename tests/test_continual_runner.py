"""Runner: resume after a kill, config errors, CLI run + report, data loading."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from evlearn.cli.main import main
from evlearn.continual.runner import as_config, run_benchmark, validate
from evlearn.io import read_json, write_json

TINY = {
    "name": "tiny",
    "seeds": [0, 1],
    "strategies": ["naive", "er", "ewc", "lwf", {"name": "joint", "label": "joint_upper"}],
    "memory_size": 20,
    "data": {"name": "synthetic", "options": {"n_classes": 4, "n_features": 8, "spread": 3.0,
                                              "n_train_per_class": 30, "n_test_per_class": 20}},
    "scenario": {"kind": "class", "n_tasks": 2},
    "backbone": {"name": "mlp", "options": {"hidden": [16]}},
    "train": {"n_epochs": 3, "batch_size": 16, "lr": 0.1, "optimizer": "sgd"},
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
n_epochs = 2
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
        assert len(b["task_cpu_seconds"]) == 4 and b["train_cpu_seconds"] == pytest.approx(sum(b["task_cpu_seconds"]))


def test_report_ratios_use_the_er_runs_and_skip_runs_without_cpu_time():
    from evlearn.continual.report import summarize_runs

    def run(strategy, seconds, cpu):
        return {"label": strategy, "strategy": strategy, "seed": 0, "average_accuracy": 0.5,
                "train_seconds": seconds, **({} if cpu is None else {"train_cpu_seconds": cpu})}

    rows = {r["label"]: r for r in summarize_runs({"er": [run("er", 10.0, 4.0)], "der": [run("der", 30.0, 6.0)],
                                                    "old": [run("old", 5.0, None)]})}
    assert rows["der"]["time_vs_er_mean"] == 3.0 and rows["der"]["cpu_vs_er_mean"] == 1.5
    assert rows["old"]["time_vs_er_mean"] == 0.5 and rows["old"]["cpu_vs_er_mean"] is None


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
    with pytest.raises(ValueError, match=r"different config \(train.lr: 0.1 -> 0.5\)"):
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
    # an error only the strategy's constructor sees: SHARP's default conv network on flat features
    flat = tmp_path / "flat.toml"
    flat.write_text(TOML.replace('strategies = ["naive", "er"]', 'strategies = ["naive", "sharp"]'))
    assert main(["bench", "run", str(flat), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "strategy 'sharp'" in err[0] and "image inputs" in err[0], err
    assert not (tmp_path / "out").exists()


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


def test_resume_names_the_change_and_accepts_the_same_folder_by_another_path(tmp_path, monkeypatch, mnist_dir):
    import os

    monkeypatch.chdir(tmp_path)
    relative = os.path.relpath(mnist_dir, tmp_path)
    base = {"strategies": ["naive"], "seeds": [0], "data": {"name": "mnist", "root": relative},
            "scenario": {"kind": "class", "n_tasks": 5}, "train": {"n_epochs": 1, "batch_size": 256}}
    from evlearn.continual.runner import check_same_run, config_changes, run_config

    cfg = _config(**base)
    spec = validate(cfg)[0]
    stored = run_config(cfg, spec, 0)
    absolute = _config(**{**base, "data": {"name": "mnist", "root": os.path.abspath(mnist_dir)}})
    assert config_changes(stored, run_config(absolute, spec, 0)) == []
    # a run stored before a setting existed or under a renamed key is still the same run
    old_style = copy.deepcopy(stored)
    old_style["train"]["epochs"] = old_style["train"].pop("n_epochs")
    del old_style["data"]["test_from_train"]
    assert config_changes(old_style, stored) == []
    moved = _config(**{**base, "data": {**base["data"], "test_from_train": 0.1}}, memory_size=7)
    changes = config_changes(stored, run_config(moved, spec, 0))
    assert changes == ["data.test_from_train: 0.0 -> 0.1", "memory_size: 20 -> 7"]
    record = tmp_path / "run.json"
    write_json(record, {"run_config": stored})
    with pytest.raises(ValueError, match=r"data.test_from_train: 0.0 -> 0.1; memory_size: 20 -> 7"):
        check_same_run(record, run_config(moved, spec, 0))


def test_deprecated_train_epochs_warns_and_maps(tmp_path):
    with pytest.warns(FutureWarning, match="'epochs' is deprecated.*'n_epochs'"):
        cfg = _config(train={"epochs": 4})
    assert cfg.train.n_epochs == 4
    with pytest.raises(ValueError, match="give 'n_epochs' only"):
        _config(train={"epochs": 4, "n_epochs": 4})
    toml = tmp_path / "old.toml"
    toml.write_text(TOML.replace("n_epochs = 2", "epochs = 2"))
    from evlearn.continual.runner import read_bench_config

    with pytest.warns(FutureWarning, match="old.toml: \\[train\\]: 'epochs'"):
        assert read_bench_config(toml).train.n_epochs == 2


def test_options_a_strategy_does_not_use_are_refused_before_any_folder(tmp_path, capsys):
    sharp_only = TOML.replace('strategies = ["naive", "er"]', 'strategies = ["sharp"]').replace(
        "memory_size = 20\n", "")
    config = tmp_path / "sharp.toml"
    config.write_text(sharp_only)
    assert main(["bench", "run", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.n_epochs, train.batch_size, train.lr, train.optimizer set, but no strategy" in err[0]
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match=r"sharp does not use the shared training option\(s\) \['lr'\]"):
        validate(_config(strategies=[{"name": "sharp", "options": {"lr": 0.1}}]))
    validate(_config(strategies=["naive", "sharp"]))    # [train] is used by naive: fine


def test_test_from_train_moves_a_stratified_part_of_train(tmp_path):
    from evlearn.continual.data import load_arrays

    Xtr, ytr, Xte, yte = load_arrays("synthetic", n_classes=4, n_train_per_class=40, n_test_per_class=10)
    Mtr, mytr, Mte, myte = load_arrays("synthetic", n_classes=4, n_train_per_class=40, n_test_per_class=10,
                                       test_from_train=0.25)
    assert len(mytr) == 120 and len(myte) == 40 + 40
    assert np.array_equal(np.bincount(myte[40:]), [10, 10, 10, 10])     # stratified: 25 % of each class
    assert np.array_equal(Mte[:40], Xte)                                  # the test set keeps its own samples first
    moved = {row.tobytes() for row in Mte[40:]}
    assert moved.isdisjoint({row.tobytes() for row in Mtr}) and moved <= {row.tobytes() for row in Xtr}
    with pytest.raises(ValueError, match="data.test_from_train"):
        validate(_config(data={**TINY["data"], "test_from_train": 1.0}))


def test_nmnist_uint8_count_frames_and_held_out_train(nmnist_dir):
    from evlearn.continual.data import load_arrays

    Ftr, ytr, Fte, yte = load_arrays("nmnist", nmnist_dir, test_from_train=0.25, scale="uint8")
    assert Ftr.dtype == np.uint8 and Ftr.shape == (601, 2, 34, 34) and Fte.shape == (249, 2, 34, 34)
    assert Ftr.max() == 255 and len(ytr) == 601 and len(yte) == 249
    with pytest.raises(ValueError, match="scale must be one of"):
        load_arrays("nmnist", nmnist_dir, scale="minmax")


def test_every_file_in_benchmarks_configs_is_a_bench_run_config():
    # configs of benchmark scripts and other commands live in benchmarks/script_configs
    import warnings
    from pathlib import Path

    from evlearn.continual.runner import check_train_used, read_bench_config, run_specs

    folder = Path(__file__).resolve().parents[1] / "benchmarks" / "configs"
    paths = sorted(folder.iterdir())
    assert len(paths) >= 10
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("error")      # no deprecated keys in committed configs
            cfg = read_bench_config(path)
        check_train_used(cfg, run_specs(cfg))
