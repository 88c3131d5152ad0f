"""`evlearn bench run` on Dask: same accuracy matrices as serial, [sweep] expansion, worker and client kills."""
from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from evlearn.cli.main import main
from evlearn.continual.runner import as_config, run_benchmark, run_specs
from evlearn.io import read_json
from test_continual_runner import TINY  # the runner tests' tiny synthetic config

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = {**copy.deepcopy(TINY), "strategies": ["naive", "er", "ewc"]}
# long enough per run (about a second) for a kill to land in the middle of one
LONGER = {**SMALL, "strategies": ["naive", "er"],
          "data": {"name": "synthetic", "options": {**SMALL["data"]["options"], "n_train_per_class": 300}},
          "train": {**SMALL["train"], "n_epochs": 10}}


def _config(base=SMALL, **changes):
    data = copy.deepcopy(base)
    data.update(changes)
    return as_config(data)


def _toml(path: Path, base: dict) -> Path:
    """The dict configs above as TOML for the CLI."""
    import json

    def value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    lines = [f"{k} = {value(v)}" for k, v in base.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _matrices(results):
    return {(r["label"], r["seed"]): np.asarray(r["accuracy_matrix"]) for r in results}


def _assert_same(a, b):
    ma, mb = _matrices(a), _matrices(b)
    assert ma.keys() == mb.keys()
    for key in ma:
        np.testing.assert_array_equal(ma[key], mb[key], err_msg=str(key))


@pytest.mark.slow
def test_local_cluster_equals_serial(tmp_path, local_executor):
    cfg = _config(seeds=[0], sweep={"er.memory_size": [10, 30]})
    serial = run_benchmark(cfg, tmp_path / "serial")
    logged = []
    parallel = run_benchmark(cfg, tmp_path / "dask", executor=local_executor, log=logged.append)
    assert [r["label"] for r in parallel] == [r["label"] for r in serial]
    _assert_same(serial, parallel)
    assert logged == ["4 run(s) to do on 2 Dask worker(s), 0 done already, skipped"]
    # a second run skips everything and rewrites nothing
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "dask").glob("*/seed_*/metrics.json")}
    run_benchmark(cfg, tmp_path / "dask", executor=local_executor)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_sweep_expands_into_labelled_runs_reported_as_one_table(tmp_path, capsys):
    cfg = _config(strategies=["naive", "er", {"name": "er", "label": "er_big", "options": {"memory_size": 40}}],
                  sweep={"er": {"memory_size": [10, 30]}, "train.lr": [0.1, 0.05]})
    specs = run_specs(cfg)
    assert [s.label for s in specs] == [
        "naive-lr-0.1", "naive-lr-0.05",
        "er-memory_size-10-lr-0.1", "er-memory_size-10-lr-0.05",
        "er-memory_size-30-lr-0.1", "er-memory_size-30-lr-0.05",
        "er_big-memory_size-10-lr-0.1", "er_big-memory_size-10-lr-0.05",
        "er_big-memory_size-30-lr-0.1", "er_big-memory_size-30-lr-0.05"]
    assert specs[3].options == {"memory_size": 10, "lr": 0.05}
    config = _toml(tmp_path / "sweep.toml", {**SMALL, "seeds": [0], "strategies": ["er"],
                                             "sweep": {"er.memory_size": [10, 30]}})
    assert main(["bench", "run", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert "| er-memory_size-10 | 1 |" in table and "| er-memory_size-30 | 1 |" in table
    runs = {r["label"]: r for r in read_json(tmp_path / "out" / "summary.json")["rows"]}
    assert runs["er-memory_size-10"]["peak_memory_bytes_mean"] < runs["er-memory_size-30"]["peak_memory_bytes_mean"]


@pytest.mark.parametrize("sweep, message", [
    ({"er.memory": [1, 2]}, r"unknown option\(s\) \['memory'\]"),
    ({"sgd.lr": [0.1]}, "'sgd' is not a strategy or label"),
    ({"train.momentum_x": [0.1]}, "train options are"),
    ({"er.memory_size": []}, "non-empty list"),
    ({"er.memory_size": [10, 10]}, "distinct values"),
    ({"memory_size": [10]}, "keys are <strategy or label>.<option>"),
])
def test_bad_sweep_tables(sweep, message):
    with pytest.raises(ValueError, match=message):
        run_specs(_config(sweep=sweep))


def test_missing_scheduler_address_exits_2_quickly(tmp_path, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = _toml(tmp_path / "c.toml", SMALL)
    start = time.perf_counter()
    assert main(["bench", "run", str(config), "--out", str(tmp_path / "out"),
                 "--scheduler", f"tcp://127.0.0.1:{port}"]) == 2
    assert time.perf_counter() - start < 15
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"no Dask scheduler answers at tcp://127.0.0.1:{port}" in err[0]
    assert main(["bench", "run", str(config), "--out", str(tmp_path / "out"),
                 "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"]) == 2
    assert "--workers applies to --scheduler local" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_worker_loses_only_its_task(tmp_path, local_executor):
    cfg = _config(LONGER)
    serial = run_benchmark(cfg, tmp_path / "serial")
    out = tmp_path / "dask"
    killed = []

    def kill_a_busy_worker():
        while not killed:
            busy = [w for w, keys in local_executor.client.processing().items() if keys]
            if list(out.glob("*/seed_*/checkpoint.pt")) and busy:
                pid = local_executor.client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    killer.start()
    parallel = run_benchmark(cfg, out, executor=local_executor)
    killer.join(timeout=5)
    assert killed, "no worker was killed: the runs finished too fast"
    _assert_same(serial, parallel)
    local_executor.client.wait_for_workers(2, timeout=60)   # the nanny restarts the worker


@pytest.mark.slow
def test_resume_after_the_client_is_killed(tmp_path):
    config = _toml(tmp_path / "c.toml", LONGER)
    out = tmp_path / "out"
    evlearn = [sys.executable, "-m", "evlearn.cli.main", "bench", "run", str(config), "--out", str(out),
               "--no-progress", "--no-report"]
    client = subprocess.Popen(evlearn + ["--workers", "2"], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/seed_*/metrics.json")) and time.monotonic() < deadline and client.poll() is None:
        time.sleep(0.1)
    os.killpg(client.pid, signal.SIGKILL)       # the command and its local cluster, as a lost session would
    client.wait()
    finished = {p: p.stat().st_mtime_ns for p in out.glob("*/seed_*/metrics.json")}
    assert 0 < len(finished) < 4, "kill the client while runs are still to do"
    assert main(["bench", "run", str(config), "--out", str(out), "--no-progress", "--no-report",
                 "--workers", "2"]) == 0
    assert {p: p.stat().st_mtime_ns for p in finished} == finished      # finished runs are not redone
    resumed = [read_json(p) for p in sorted(out.glob("*/seed_*/metrics.json"))]
    serial = run_benchmark(_config(LONGER), tmp_path / "serial")
    _assert_same(serial, resumed)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_real_dask_scheduler_and_worker_processes(tmp_path, capsys):
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0"], stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard"], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:         # wait for the scheduler to listen
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        config = _toml(tmp_path / "c.toml", {**SMALL, "strategies": ["naive", "er"]})
        assert main(["bench", "run", str(config), "--out", str(tmp_path / "out"), "--no-progress",
                     "--scheduler", address]) == 0
        assert f"Dask scheduler {address}, " in capsys.readouterr().err
        serial = run_benchmark(_config(strategies=["naive", "er"]), tmp_path / "serial")
        _assert_same(serial, [read_json(p) for p in sorted((tmp_path / "out").glob("*/seed_*/metrics.json"))])
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
